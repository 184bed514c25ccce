"""Notifications by e-mail: when the person has no push subscription, when an urgent
push is not delivered within N minutes, and for the kinds they always want by e-mail;
never the content of a secret document."""

from __future__ import annotations

from datetime import timedelta

from backend.core.timeutil import utcnow
from tests.conftest import run_periodic, run_worker
from tests.mail.conftest import give_emails
from tests.notifications.test_push import send_to_head, subscribe

APP = "https://trinhky.nghean.example"


def _mails_to(server, address: str):
    return [r.message for r in server.received if r.rcpt_tos == [address]]


def test_without_a_push_subscription_the_notification_comes_by_email(
    app, client, world, smtp_server
):
    give_emails(app, world, "head", "specialist")
    document = send_to_head(client, world, subject="Về việc tổ chức Hội nghị tổng kết năm 2026")
    run_worker(app)
    [mail] = _mails_to(smtp_server, "head@nghean.example")
    assert "Hội nghị tổng kết năm 2026" in str(mail["Subject"])
    assert mail["To"].addresses[0].display_name == world["head"].full_name
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"{APP}/documents/{document}" in text  # opens the app at the document
    assert "chưa bật nhận thông báo đẩy" in text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert f'href="{APP}/documents/{document}"' in html
    # once: later runs and sweeps write nothing more
    run_worker(app)
    run_periodic(app, "sweep")
    assert len(_mails_to(smtp_server, "head@nghean.example")) == 1
    assert _mails_to(smtp_server, "specialist@nghean.example") == []


def test_a_working_push_is_enough_unless_the_kind_is_wanted_by_email(
    app, client, world, smtp_server, push_service
):
    give_emails(app, world, "head")
    head = world["head"]
    phone = subscribe(client, head, push_service)
    send_to_head(client, world)
    run_worker(app)
    assert len(push_service.messages_for(phone)) == 1
    assert smtp_server.received == []

    prefs = client.get("/api/me/mail-preferences", headers=head.headers).json
    assert prefs == {"email": "head@nghean.example", "always_kinds": [], "digest": True}
    bad = client.put(
        "/api/me/mail-preferences", json={"always_kinds": ["no.such"]}, headers=head.headers
    )
    assert bad.status_code == 422
    r = client.put(
        "/api/me/mail-preferences", json={"always_kinds": ["step.review"]}, headers=head.headers
    )
    assert r.status_code == 200 and r.json["always_kinds"] == ["step.review"]
    send_to_head(client, world, subject="Về việc rà soát thủ tục hành chính")
    run_worker(app)
    assert len(push_service.messages_for(phone)) == 2  # pushed and mailed
    [mail] = smtp_server.messages()
    assert "rà soát thủ tục hành chính" in str(mail["Subject"])
    assert "đã chọn nhận loại thông báo này" in mail.get_body(("plain",)).get_content()


def test_a_muted_kind_is_not_mailed_either(app, client, world, smtp_server):
    give_emails(app, world, "head")
    r = client.put(
        "/api/me/notification-preferences",
        json={"muted_kinds": ["step.review"]},
        headers=world["head"].headers,
    )
    assert r.status_code == 200
    send_to_head(client, world)
    run_worker(app)
    assert smtp_server.received == []


def test_an_urgent_push_not_delivered_in_time_goes_by_email(
    app, client, world, smtp_server, push_service, frozen_clock, monkeypatch
):
    monkeypatch.setattr(app.extensions["settings"], "mail_push_fallback_minutes", 15)
    give_emails(app, world, "head")
    phone = subscribe(client, world["head"], push_service)
    for _ in range(20):
        push_service.answer_next(phone, 503)  # the push service is in trouble
    now = utcnow()
    frozen_clock(now)
    document = send_to_head(client, world, urgency="hoa_toc", subject="Về việc ứng phó bão số 9")
    run_worker(app)
    assert smtp_server.received == []  # push is still being retried
    frozen_clock(now + timedelta(minutes=10))
    run_periodic(app, "sweep")
    assert smtp_server.received == []
    frozen_clock(now + timedelta(minutes=16))
    run_periodic(app, "sweep")
    [mail] = smtp_server.messages()
    text = mail.get_body(("plain",)).get_content()
    assert "Khẩn" in text and "ứng phó bão số 9" in str(mail["Subject"])
    assert "chưa đến được thiết bị" in text and f"/documents/{document}" in text


def test_nothing_of_a_secret_document_is_mailed(app, client, world, smtp_server):
    give_emails(app, world, "head")
    document = send_to_head(client, world, secrecy="mat", subject="Về việc phương án tác chiến")
    run_worker(app)
    [mail] = smtp_server.messages()
    raw = smtp_server.received[0].raw.decode("utf-8", "replace")
    assert "tác chiến" not in raw and "tác chiến" not in mail.get_body(("plain",)).get_content()
    assert "văn bản mật" in str(mail["Subject"])
    assert f"/documents/{document}" in mail.get_body(("plain",)).get_content()
    assert list(mail.iter_attachments()) == []
