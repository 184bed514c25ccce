"""The browser's defences, on every answer: a strict Content-Security-Policy (our own
scripts and styles only, no inline script, no framing, no plugins), nosniff, no referrer,
and HSTS when production is served over HTTPS.

The app keeps a 30-day refresh token where its scripts can read it, so injected script
is the threat that matters: the policy allows nothing but files from our origin.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

from backend.config import Settings

# The push services browsers subscribe with (Chrome/Edge, Firefox, Windows, Safari).
PUSH_SERVICES = (
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://*.notify.windows.com",
    "https://*.push.apple.com",
)
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' blob: data:",  # page images arrive by fetch() and show as blob: URLs
    "font-src": "'self'",
    "connect-src": " ".join(("'self'", *PUSH_SERVICES)),
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
    "base-uri": "'none'",
}
HSTS = "max-age=63072000; includeSubDomains"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
DOCS_PATH = "/api/docs"


def policy(extra_script_sources: list[str] | None = None) -> str:
    directives = dict(POLICY)
    if extra_script_sources:
        directives["script-src"] += " " + " ".join(extra_script_sources)
    return "; ".join(f"{name} {value}" for name, value in directives.items())


APP_POLICY = policy()


def _script_hashes(html: bytes) -> list[str]:
    """CSP hashes of the inline scripts of a page we render ourselves (the API docs page
    of flask-smorest starts Swagger UI with one): allowed one by one, never 'unsafe-inline'."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def init_app(app: Flask, settings: Settings) -> None:
    @app.after_request
    def _defences(response: Response) -> Response:
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"  # browsers older than frame-ancestors
        if request.path == DOCS_PATH and response.mimetype == "text/html":
            headers["Content-Security-Policy"] = policy(_script_hashes(response.get_data()))
        else:
            headers.setdefault("Content-Security-Policy", APP_POLICY)
        secure = request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"
        if settings.is_production and secure:
            headers["Strict-Transport-Security"] = HSTS
        return response
