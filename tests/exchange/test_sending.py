"""Sending: the worker sends after the commit, most urgent first; transport errors are
retried with backoff; the same document goes to the same recipient once however often
the worker runs; a delivery that keeps failing is shown to the clerk and resent only on
request."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from sqlalchemy import func, select

from backend.core.db import session
from backend.core.timeutil import utcnow
from backend.exchange import edxml, sending
from backend.exchange.models import OutboxMessage
from backend.notifications.models import Notification
from tests.exchange.conftest import BTC, VPCP, deliveries, signed_and_issued

DEAD = "http://127.0.0.1:9"  # nothing listens there


def go_offline(app, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "exchange_vxp_url", DEAD)
    app.extensions.pop("exchange_transport", None)


def go_online(app, axis, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "exchange_vxp_url", axis.url)
    app.extensions.pop("exchange_transport", None)


def sent_to_axis(axis) -> list[bytes]:
    db = sqlite3.connect(axis.axis.db.execute("PRAGMA database_list").fetchone()[2])
    rows = db.execute(
        "SELECT body FROM messages WHERE message_type = 'edoc' ORDER BY created"
    ).fetchall()
    db.close()
    return [r[0] for r in rows]


def test_retries_with_backoff_then_failed_visible_then_explicit_resend(
    installation_a, signing_env, axis, app, monkeypatch, frozen_clock
):
    a = installation_a
    monkeypatch.setattr(app.extensions["settings"], "exchange_max_attempts", 3)
    document = signed_and_issued(a, [{"directory_id": a.directory[BTC]}])
    go_offline(app, monkeypatch)
    start = utcnow()
    frozen_clock(start)
    a.run_worker()
    [line] = deliveries(a, a["clerk"], document)
    assert line["transport_state"] == "pending" and "unreachable" in line["last_error"]
    with app.app_context():
        [message] = session().scalars(select(OutboxMessage))
        assert message.attempts == 1
        assert message.next_attempt_at == start + timedelta(seconds=30)
        # not due yet: the worker leaves it
        assert sending.send_due() == 0
    frozen_clock(start + timedelta(seconds=31))
    with app.app_context():
        assert sending.send_due() == 1
        message = session().get(OutboxMessage, message.id)
        assert message.attempts == 2
        assert message.next_attempt_at == start + timedelta(seconds=31 + 60)
    frozen_clock(start + timedelta(seconds=100))
    with app.app_context():
        sending.send_due()
    [line] = deliveries(a, a["clerk"], document)
    assert line["transport_state"] == "failed"
    assert [h["kind"] for h in line["history"]] == ["failed"]
    with app.app_context():
        told = list(
            session().scalars(
                select(Notification.user_id).where(Notification.kind == "exchange.failed")
            )
        )
        assert told == [a["clerk"].id]
        # never dropped, and never retried on its own any more
        frozen_clock(start + timedelta(hours=5))
        assert sending.send_due() == 0
    report = a.client.get(
        "/api/exchange/sent",
        query_string={"organisation_id": a.organisation_id, "state": "failed"},
        headers=a["clerk"].headers,
    ).json["items"]
    assert [d["document_id"] for d in report] == [document]

    go_online(app, axis, monkeypatch)
    resent = a.client.post(
        f"/api/exchange/deliveries/{line['id']}/resend", headers=a["clerk"].headers
    )
    assert resent.status_code == 202, resent.json
    assert resent.json["transport_state"] == "pending"
    a.run_worker()
    a.poll()
    [line] = deliveries(a, a["clerk"], document)
    assert line["transport_state"] == "sent"
    assert line["status_code"] == "03"  # the demo agency answered 01 then 03
    assert len(sent_to_axis(axis)) == 1


def test_the_same_document_to_the_same_recipient_is_sent_once(
    installation_a, signing_env, axis, app
):
    a = installation_a
    signed_and_issued(a, [{"directory_id": a.directory[VPCP]}])
    a.run_worker()
    with app.app_context():
        # the task enqueued again, the periodic tick, a second worker: nothing more to send
        assert sending.send_due() == 0
        app.extensions["tasks"].exchange_send()
    a.run_worker()
    assert len(sent_to_axis(axis)) == 1
    with app.app_context():
        assert session().scalar(select(func.count(OutboxMessage.id))) == 1


def test_most_urgent_first(installation_a, signing_env, axis, app, monkeypatch):
    a = installation_a
    go_offline(app, monkeypatch)
    for urgency in ("normal", "khan", "hoa_toc", "thuong_khan"):
        signed_and_issued(
            a, [{"directory_id": a.directory[VPCP]}], urgency=urgency, subject=f"Công văn {urgency}"
        )
    # the queued sends failed while the axis was away; they are due again now
    with app.app_context():
        session().execute(OutboxMessage.__table__.update().values(next_attempt_at=utcnow()))
        session().commit()
    go_online(app, axis, monkeypatch)
    with app.app_context():
        assert sending.send_due() == 4
    priorities = [edxml.parse(body).priority for body in sent_to_axis(axis)]
    assert priorities == [3, 2, 1, 0]  # hỏa tốc, thượng khẩn, khẩn, thường


def test_a_recall_before_anything_left_cancels_the_send(
    installation_a, signing_env, axis, app, monkeypatch
):
    a = installation_a
    document = signed_and_issued(a, [{"directory_id": a.directory[VPCP]}])
    recalled = a.client.post(
        f"/api/documents/{document}/recall",
        json={"reason": "Ban hành nhầm."},
        headers=a["clerk"].headers,
    )
    assert recalled.status_code == 202
    a.run_worker()
    assert sent_to_axis(axis) == []
    [line] = deliveries(a, a["clerk"], document)
    assert line["status_code"] == "15"
    assert line["status_description"] == "Thu hồi trước khi gửi: Ban hành nhầm."


def test_only_the_clerk_sends_again(installation_a, signing_env, axis):
    a = installation_a
    document = signed_and_issued(a, [{"directory_id": a.directory[VPCP]}])
    [line] = deliveries(a, a["clerk"], document)
    for who in ("specialist", "leader"):
        r = a.client.post(f"/api/exchange/deliveries/{line['id']}/resend", headers=a[who].headers)
        assert r.status_code == 403, who
