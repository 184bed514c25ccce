"""Conditional requests: writes to a document must name the version they saw (If-Match);
stored files are served with their content hash as the ETag."""

from __future__ import annotations

from pathlib import Path

from flask import Response, request, send_file

from backend.core.errors import PreconditionFailed, PreconditionRequired


def if_match_header() -> str | None:
    return request.headers.get("If-Match")


def check_if_match(if_match: str | None, current_etag: str) -> None:
    """428 when the client sent no If-Match, 412 when it names another version."""
    if not if_match:
        raise PreconditionRequired(
            "Send the document's ETag in If-Match so changes made meanwhile are not overwritten."
        )
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" in candidates or current_etag in candidates:
        return
    raise PreconditionFailed(
        "The document was changed by someone else; reload it and try again.",
        current_etag=current_etag,
    )


def send_stored_file(path: Path, content_type: str, filename: str, sha256: str) -> Response:
    """A stored blob as a download: ETag = its SHA-256 (a blob never changes), Range
    requests, and revalidation each time (access may be withdrawn). Content-Disposition
    names the file: a PDF opens in the browser's viewer (inline), anything else (office
    files) is saved, never shown as a page of our origin."""
    response = send_file(
        path,
        mimetype=content_type,
        download_name=filename,
        as_attachment=content_type != "application/pdf",
        conditional=True,
        etag=sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response
