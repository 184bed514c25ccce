"""The leaders\x27 and heads\x27 morning digest by e-mail."""
