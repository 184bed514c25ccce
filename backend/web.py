"""Serving the built PWA: hashed assets cached for a year, index.html and the service
worker never cached, so a deploy reaches every phone on its next start."""

from __future__ import annotations

import gzip
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, Response, request, send_from_directory

from backend.config import Settings
from backend.core.api import AppPathConverter
from backend.core.errors import NotFound

NO_CACHE = {"index.html", "sw.js", "manifest.webmanifest", "registerSW.js"}
COMPRESSIBLE = {".js", ".css", ".html", ".webmanifest", ".json", ".svg", ".map"}
_gzipped: dict[tuple[str, float], bytes] = {}  # the built files change only on deploy


def _gzip(path: Path) -> bytes:
    key = (str(path), path.stat().st_mtime)
    if key not in _gzipped:
        _gzipped[key] = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
    return _gzipped[key]


def init_app(app: Flask, settings: Settings) -> None:
    dist = Path(settings.pwa_dist)
    swagger_dir = Path(swagger_ui_bundle.swagger_ui_path)
    app.url_map.converters["app_path"] = AppPathConverter

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        return send_from_directory(swagger_dir, filename, max_age=86400)

    @app.get("/", defaults={"filename": "index.html"})
    @app.get("/<app_path:filename>")  # never an /api/ path (backend.core.api)
    def pwa(filename: str) -> Response:
        target = dist / filename
        if not target.is_file():
            # Client-side routes (/documents/12) get the app shell.
            filename = "index.html"
            if not (dist / filename).is_file():
                raise NotFound("The app is not built: run `make run` (or `make pwa`).")
        response = send_from_directory(dist, filename)
        path = dist / filename
        if (
            path.suffix in COMPRESSIBLE
            and "gzip" in request.headers.get("Accept-Encoding", "")
            and response.status_code == 200
        ):
            # Phones on slow networks: the app's JS is a third of its size gzipped.
            etag = f"{response.get_etag()[0] or path.name}-gz"
            response.direct_passthrough = False
            if etag in request.if_none_match:
                response.status_code = 304
                response.set_data(b"")
            else:
                response.set_data(_gzip(path))
                response.headers["Content-Encoding"] = "gzip"
            response.set_etag(etag)
            response.vary.add("Accept-Encoding")
        if filename in NO_CACHE:
            response.headers["Cache-Control"] = "no-cache"
        elif filename.startswith("assets/"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
