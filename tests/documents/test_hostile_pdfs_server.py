"""The hostile PDFs against a real gunicorn worker: every answer is a 4xx with the reason
or a bounded page image, and the worker's peak memory (VmHWM) stays under 512 MB — the
parsing, inflating and drawing happen in capped child processes, never in the worker."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import requests
from PIL import Image

from backend.documents import pdfwork
from tests import gunicorn_server, hostile_pdfs

WORKER_LIMIT_MB = 512


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[gunicorn_server.Server]:
    running = gunicorn_server.start(tmp_path_factory.mktemp("hostile-var"))
    yield running
    running.stop()


def _upload(server, headers, main: bytes, attachments: list[bytes] = ()) -> requests.Response:
    types = requests.get(f"{server.base}/api/document-types", headers=headers, timeout=30).json()
    type_id = next(t["id"] for t in types if t["code"] == "cong-van")
    files = [("file", ("du-thao.pdf", main, "application/pdf"))] + [
        ("attachments", (f"phu-luc-{i}.pdf", a, "application/pdf"))
        for i, a in enumerate(attachments)
    ]
    return requests.post(
        f"{server.base}/api/documents",
        data={"document_type_id": str(type_id), "subject": "Văn bản thử"},
        files=files,
        headers=headers,
        timeout=120,
    )


def _store_as_version(server, document_id: int, pdf: bytes) -> int:
    """A PDF that reached storage another way (an exchange package, a signing step): put
    straight into the server's database and store, as a new version."""
    from backend.app import create_app
    from backend.config import Settings
    from backend.core.db import atomic
    from backend.documents import service
    from backend.org.models import User

    app = create_app(
        Settings.from_env(
            var_dir=str(server.var_dir),
            database_url=server.env["DATABASE_URL"],
            dev_pki=False,
            redis_url="",
        )
    )
    with app.app_context(), atomic() as s:
        drafter = s.query(User).filter_by(username="chuyenvien.kt").one()
        document = service.get_document(drafter, document_id, for_update=True)
        version = service.add_signed_version(document, drafter, pdf, "nhận từ nơi khác", 1)
        file_id = next(f.id for f in version.files if f.kind == "main")
    app.extensions["db"].engine.dispose()
    return file_id


def test_hostile_pdfs_leave_the_worker_small(server):
    headers = server.login("chuyenvien.kt")
    worker = server.worker_pid()
    bomb = hostile_pdfs.bomb_pdf()  # 1 MiB → 1 GiB

    r = _upload(server, headers, bomb)
    assert r.status_code == 422 and r.json()["code"] == "pdf-too-complex", r.text

    many = _upload(server, headers, hostile_pdfs.text_pdf(), [bomb] * 40)
    assert many.status_code == 422 and many.json()["code"] == "too-many-files", many.text
    twenty = _upload(server, headers, hostile_pdfs.text_pdf(), [bomb] * 20)
    assert twenty.status_code == 422 and twenty.json()["code"] == "pdf-too-complex"

    tall = _upload(server, headers, hostile_pdfs.tall_page_pdf())
    assert tall.status_code == 201, tall.text
    doc, file_id = tall.json()["id"], tall.json()["files"][0]["id"]
    image = requests.get(
        f"{server.base}/api/documents/{doc}/files/{file_id}/pages/1?width=800&dpr=3",
        headers=headers,
        timeout=60,
    )
    assert image.status_code == 200, image.text
    picture = Image.open(io.BytesIO(image.content))
    assert picture.width * picture.height <= pdfwork.MAX_PAGE_PIXELS

    bomb_file = _store_as_version(server, doc, bomb)
    page = requests.get(
        f"{server.base}/api/documents/{doc}/files/{bomb_file}/pages/1?width=390&dpr=2",
        headers=headers,
        timeout=60,
    )
    assert page.status_code == 422 and page.json()["code"] == "page-too-complex", page.text
    assert page.headers["Content-Type"] == "application/problem+json"

    assert server.worker_pid() == worker  # the same worker answered everything
    peak = gunicorn_server.peak_rss_mb(worker)
    assert peak < WORKER_LIMIT_MB, f"the worker peaked at {peak:.0f} MB"
