"""Hostile PDFs against a real gunicorn worker: answer time (median of 3) and the worker's
peak memory, beside the same requests with an ordinary PDF in the same run.

    .venv/bin/python bench/hostile_pdfs.py

Targets (issue 13): every hostile case answers in under 5 s, the worker stays under 512 MB.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import gunicorn_server, hostile_pdfs  # noqa: E402
from tests.documents.test_hostile_pdfs_server import _store_as_version, _upload  # noqa: E402

ROUNDS = 3


def timed(call) -> tuple[float, requests.Response]:
    start = time.perf_counter()
    response = call()
    return time.perf_counter() - start, response


def median_of(call, expect: int) -> float:
    times = []
    for _ in range(ROUNDS):
        elapsed, response = timed(call)
        assert response.status_code == expect, (response.status_code, response.text[:300])
        times.append(elapsed)
    return statistics.median(times)


def sandbox_overhead(pdf: bytes) -> tuple[float, float]:
    """Drawing one ordinary page in this process vs in a sandboxed child (median of 5)."""
    from backend.core import sandbox
    from backend.documents import pdfwork

    path = Path(tempfile.mkdtemp(prefix="bench-sandbox-")) / "page.pdf"
    path.write_bytes(pdf)
    sandbox.run(pdfwork.render_page, str(path), 1, 780)  # starts the forkserver
    inline, boxed = [], []
    for _ in range(5):
        start = time.perf_counter()
        pdfwork.render_page(str(path), 1, 780)
        inline.append(time.perf_counter() - start)
        start = time.perf_counter()
        sandbox.run(pdfwork.render_page, str(path), 1, 780)
        boxed.append(time.perf_counter() - start)
    return statistics.median(inline), statistics.median(boxed)


def main() -> None:
    server = gunicorn_server.start(Path(tempfile.mkdtemp(prefix="bench-hostile-")))
    try:
        headers = server.login("chuyenvien.kt")
        worker = server.worker_pid()
        normal = hostile_pdfs.text_pdf("Cong van thuong")
        bomb = hostile_pdfs.bomb_pdf()
        rows: list[tuple[str, float, str]] = []

        rows.append(
            (
                "upload, ordinary 1-page PDF",
                median_of(lambda: _upload(server, headers, normal), 201),
                "201",
            )
        )
        doc = _upload(server, headers, normal).json()

        def page(document: dict, file_id: int, width: int):
            url = f"{server.base}/api/documents/{document['id']}/files/{file_id}/pages/1"
            return lambda: requests.get(f"{url}?width={width}&dpr=2", headers=headers, timeout=60)

        widths = iter(range(200, 1600, 50))  # a new width each round: drawn, not cached
        rows.append(
            (
                "page image, ordinary page",
                median_of(lambda: page(doc, doc["files"][0]["id"], next(widths))(), 200),
                "200",
            )
        )
        baseline_peak = gunicorn_server.peak_rss_mb(worker)

        rows.append(
            (
                "upload, 1 MiB → 1 GiB bomb",
                median_of(lambda: _upload(server, headers, bomb), 422),
                "422 pdf-too-complex",
            )
        )
        rows.append(
            (
                "upload, 40 bomb attachments",
                median_of(lambda: _upload(server, headers, normal, [bomb] * 40), 422),
                "422 too-many-files",
            )
        )
        rows.append(
            (
                "upload, 20 bomb attachments",
                median_of(lambda: _upload(server, headers, normal, [bomb] * 20), 422),
                "422 pdf-too-complex",
            )
        )
        truncated = hostile_pdfs.truncated(normal)
        rows.append(
            (
                "upload, truncated PDF",
                median_of(lambda: _upload(server, headers, truncated), 422),
                "422 pdf-broken",
            )
        )
        tall = _upload(server, headers, hostile_pdfs.tall_page_pdf()).json()
        rows.append(
            (
                "page image, 40 × 14,400 pt page",
                median_of(lambda: page(tall, tall["files"][0]["id"], next(widths))(), 200),
                "200 (scaled)",
            )
        )
        bomb_file = _store_as_version(server, tall["id"], bomb)
        first, response = timed(page(tall, bomb_file, 400))
        assert response.status_code == 422, response.text
        rows.append(("page image, bomb page (first ask)", first, "422 page-too-complex"))
        rows.append(
            (
                "page image, bomb page (kept refusal)",
                median_of(page(tall, bomb_file, 400), 422),
                "422 page-too-complex",
            )
        )
        peak = gunicorn_server.peak_rss_mb(worker)
        assert server.worker_pid() == worker
    finally:
        server.stop()

    inline, boxed = sandbox_overhead(hostile_pdfs.text_pdf("Cong van thuong"))
    print(f"{'case':42} {'median s':>9}  answer")
    for name, seconds, answer in rows:
        print(f"{name:42} {seconds:9.3f}  {answer}")
    print(
        f"worker peak memory (VmHWM): {peak:.0f} MB after everything; "
        f"{baseline_peak:.0f} MB after the ordinary requests alone (baseline)"
    )
    print(
        f"drawing an ordinary page at 780 px: {inline * 1000:.0f} ms in-process (baseline), "
        f"{boxed * 1000:.0f} ms in a sandboxed child ({boxed / inline:.1f}×)"
    )


if __name__ == "__main__":
    main()
