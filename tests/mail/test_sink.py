"""The development mail sink: an SMTP server on loopback that keeps every message as an
.eml under var/mail/, read by the admin in the app."""

from __future__ import annotations

from backend.mail import sink
from tests.conftest import run_worker
from tests.mail.conftest import free_port
from tests.mail.test_issued_by_mail import RECIPIENTS, _draft, _issue_plain


def test_the_admin_reads_what_the_sink_kept(app, client, world, tmp_path, monkeypatch):
    settings = app.extensions["settings"]
    port = free_port()
    monkeypatch.setattr(settings, "var_dir", str(tmp_path))
    monkeypatch.setattr(settings, "mail_sink", True)
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    controller = sink.start(settings.mail_dir, port)
    try:
        document = _draft(client, world, subject="Về việc phòng, chống dịch bệnh")
        r = _issue_plain(client, world, document, email_recipients=RECIPIENTS)
        assert r.status_code == 200, r.json
        run_worker(app)
    finally:
        controller.stop()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2

    admin = world["admin"]
    listed = client.get("/api/mail/sink", headers=admin.headers)
    assert listed.status_code == 200, listed.json
    assert {m["delivered_to"] for m in listed.json} == {r["email"] for r in RECIPIENTS}
    first = listed.json[0]
    assert "phòng, chống dịch bệnh" in first["subject"]
    assert first["from"] == "Trình Ký <trinhky@trinhky.local>"
    detail = client.get(f"/api/mail/sink/{first['name']}", headers=admin.headers)
    assert detail.status_code == 200
    assert "phòng, chống dịch bệnh" in detail.json["text"]
    assert "<html" in detail.json["html"]
    assert detail.json["attachments"][0]["content_type"] == "application/pdf"
    raw = client.get(f"/api/mail/sink/{first['name']}?raw=1", headers=admin.headers)
    assert raw.mimetype == "message/rfc822"
    assert raw.data == (tmp_path / "mail" / first["name"]).read_bytes()
    assert sink.parse(raw.data)["Message-ID"] == detail.json["message_id"]

    assert client.get("/api/mail/sink/..%2Fapp.db", headers=admin.headers).status_code == 404
    assert client.get("/api/mail/sink/x.eml", headers=admin.headers).status_code == 404
    assert client.get("/api/mail/sink", headers=world["clerk"].headers).status_code == 403
    monkeypatch.setattr(settings, "mail_sink", False)  # production has none
    gone = client.get("/api/mail/sink", headers=admin.headers)
    assert gone.status_code == 404 and gone.json["code"] == "no-mail-sink"
