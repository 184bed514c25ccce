"""Word drafts and office attachments turned into PDF: the checks an office file passes
before LibreOffice sees it (``checks``), the converters the worker runs (``converter``:
unoserver, one per core, a time limit per document) and the conversion jobs (``models``).
The documents domain decides what is converted and what the PDF becomes."""
