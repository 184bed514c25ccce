"""Text for the search index: Vietnamese folded to plain lower-case ASCII letters
("Quyết định" → "quyet dinh", "Đ" → "d"), and the text of PDFs (pypdfium2, in a sandboxed child).

``normalise`` keeps the length of its (NFC) input: every character becomes exactly one
character — a letter or digit without its marks, or a space for everything else — so a
position found in the folded text is the same position in the original (snippets)."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

log = logging.getLogger("trinhky.search")

MAX_CHARS = 200_000  # characters kept per document body
EXTRACT_MEMORY_MB = 400
EXTRACT_SECONDS = 60.0
MAX_TERMS = 10


class _FoldTable(dict[int, str]):
    """str.translate table, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "đĐ":
            folded = "d"
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
            folded = base.lower() if base else " "
            if len(folded) != 1 or not folded.isalnum():
                folded = char.lower() if len(char.lower()) == 1 and char.isalnum() else " "
            if not folded.isalnum():
                folded = " "
        self[code] = folded
        return folded


_TABLE = _FoldTable()
for _code in range(0x250):  # Latin, prefilled so the common case is a plain dict hit
    _TABLE[_code]  # noqa: B018 - fills the table
for _code in range(0x1E00, 0x1F00):  # Latin Extended Additional: ạ ả ấ ầ ẩ ẫ ậ … ỹ
    _TABLE[_code]  # noqa: B018


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalise(text: str) -> str:
    """Fold an NFC string for matching; same length as the input."""
    return text.translate(_TABLE)


def index_text(text: str) -> str:
    """What the index stores: the folded text after one leading space, so that every word
    start is " word" (prefix matching with LIKE '% word%')."""
    return " " + normalise(nfc(text))


def query_terms(query: str) -> list[str]:
    """The words of a search box entry, folded; duplicates and words that are a prefix of
    another word of the query are dropped (they add nothing: all words must match)."""
    words = list(dict.fromkeys(normalise(nfc(query)).split()))
    kept = [w for w in words if not any(o != w and o.startswith(w) for o in words)]
    return kept[:MAX_TERMS]


def extract_pdf_text(path: Path | str) -> str:
    """The text of a PDF (NFC), pages separated by blank lines; "" when it has none or
    cannot be read within the limits (scans, broken files, bombs: still stored, just not
    searchable). Read in a sandboxed child: never in a request (the worker does it)."""
    from backend.core import sandbox
    from backend.documents import pdfwork

    try:
        return sandbox.run(
            pdfwork.extract_text, str(path), memory_mb=EXTRACT_MEMORY_MB, seconds=EXTRACT_SECONDS
        )
    except (sandbox.LimitExceeded, sandbox.JobFailed, sandbox.Busy) as exc:
        log.warning("search: no text from %s: %s", Path(path).name, exc)
        return ""
