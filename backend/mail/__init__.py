"""Official e-mail (thư điện tử công vụ): an outbox written in the transaction of its
cause, sent by the worker over SMTP with retries, one delivery per (message, recipient);
the development mail sink; the admin's view of what failed."""
