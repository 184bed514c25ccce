"""Web Push end to end: a draft is submitted → the worker delivers → the leader's phone
(our local push service) decrypts exactly this JSON. Retries, pruning, crash recovery,
quiet hours, preferences and reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.notifications.models import Notification
from tests.conftest import (
    TEST_PASSWORD,
    act,
    count_rows,
    run_periodic,
    run_worker,
    set_route,
    upload_document,
)


def subscribe(client, person, push_service, headers=None):
    browser = push_service.new_browser()
    r = client.post(
        "/api/push/subscriptions",
        json=browser.subscription_json(),
        headers=headers or person.headers,
    )
    assert r.status_code == 201, r.json
    return browser


def send_to_head(client, world, **meta) -> int:
    doc = upload_document(client, world["specialist"], **meta).json["id"]
    steps = [
        {"kind": "review", "actors": [{"user_id": world["head"].id}]},
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
    ]
    assert set_route(client, world["specialist"], doc, steps).status_code == 200
    assert act(client, world["specialist"], doc, "submit").status_code == 200
    return doc


def push_states(app) -> list[str]:
    from sqlalchemy import select

    from backend.core.db import session

    with app.app_context():
        return [
            n.push_state for n in session().scalars(select(Notification).order_by(Notification.id))
        ]


def test_a_submitted_draft_reaches_the_heads_phone(client, world, app, push_service):
    key = client.get("/api/push/vapid-public-key", headers=world["head"].headers).json
    assert len(key["public_key"]) == 87  # 65-byte uncompressed P-256 point, base64url
    phone = subscribe(client, world["head"], push_service)
    doc = send_to_head(
        client, world, urgency="hoa_toc", subject="Về việc ứng phó khẩn cấp với bão số 9"
    )
    assert push_service.received == []  # nothing is sent from inside the request
    run_worker(app)
    [message] = push_service.messages_for(phone)
    assert message["title"] == "Xem xét: Về việc ứng phó khẩn cấp với bão số 9"
    assert message["document_id"] == doc and message["url"] == f"/documents/{doc}"
    assert message["urgency"] == "hoa_toc" and message["urgent"] is True
    headers = push_service.received[0].headers
    assert headers["urgency"] == "high"
    assert int(headers["ttl"]) > 0 and headers["topic"] == f"n{message['id']}"
    assert push_service.rejected == []
    assert push_states(app) == ["sent"]
    # a normal draft is "normal" urgency
    send_to_head(client, world)
    run_worker(app)
    assert push_service.received[-1].headers["urgency"] == "normal"


def test_every_device_of_the_user_gets_it_once(client, world, app, push_service):
    phone = subscribe(client, world["head"], push_service)
    login = client.post(
        "/api/auth/login",
        json={"username": "head", "password": TEST_PASSWORD, "device_name": "iPad"},
    )
    assert login.status_code == 200, login.json
    tablet_headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    tablet = subscribe(client, world["head"], push_service, headers=tablet_headers)
    send_to_head(client, world)
    run_worker(app)
    run_worker(app)
    assert len(push_service.messages_for(phone)) == 1
    assert len(push_service.messages_for(tablet)) == 1
    subs = client.get("/api/push/subscriptions", headers=world["head"].headers).json
    assert len(subs) == 2 and len({s["device_id"] for s in subs}) == 2


def test_lost_enqueue_is_delivered_by_the_sweep_once_per_device(
    client, world, app, push_service, frozen_clock
):
    phone = subscribe(client, world["head"], push_service)
    send_to_head(client, world)
    app.extensions["queue"].flush()  # the process died between commit and enqueue
    run_periodic(app, "sweep")
    assert push_service.messages_for(phone) == []  # too fresh: its own enqueue may still come
    frozen_clock(datetime.now(UTC) + timedelta(minutes=1))
    run_periodic(app, "sweep")
    run_periodic(app, "sweep")
    assert len(push_service.messages_for(phone)) == 1
    assert push_states(app) == ["sent"]


def test_gone_subscriptions_are_removed(client, world, app, push_service):
    phone = subscribe(client, world["head"], push_service)
    push_service.answer_next(phone, 410)
    send_to_head(client, world)
    run_worker(app)
    assert client.get("/api/push/subscriptions", headers=world["head"].headers).json == []
    assert push_states(app) == ["failed"]


def test_429_is_retried_after_retry_after(client, world, app, push_service, frozen_clock):
    phone = subscribe(client, world["head"], push_service)
    push_service.answer_next(phone, 429, {"Retry-After": "120"})
    send_to_head(client, world)
    run_worker(app)
    assert push_service.messages_for(phone) == []
    start = datetime.now(UTC)
    frozen_clock(start + timedelta(seconds=60))  # not yet
    run_periodic(app, "sweep")
    assert push_service.messages_for(phone) == []
    frozen_clock(start + timedelta(seconds=125))
    run_periodic(app, "sweep")
    assert len(push_service.messages_for(phone)) == 1
    assert push_states(app) == ["sent"]


def test_a_refused_message_is_not_retried(client, world, app, push_service, frozen_clock):
    phone = subscribe(client, world["head"], push_service)
    push_service.answer_next(phone, 400)
    send_to_head(client, world)
    run_worker(app)
    frozen_clock(datetime.now(UTC) + timedelta(hours=2))
    run_periodic(app, "sweep")
    assert push_service.messages_for(phone) == []
    assert push_states(app) == ["failed"]


def test_quiet_hours_hold_normal_pushes_but_not_urgent_ones(
    client, world, app, push_service, frozen_clock
):
    phone = subscribe(client, world["head"], push_service)
    r = client.put(
        "/api/me/notification-preferences",
        json={"quiet_start": "22:00", "quiet_end": "06:30"},
        headers=world["head"].headers,
    )
    assert r.status_code == 200
    night = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 23:00 in Hà Nội
    frozen_clock(night)
    send_to_head(client, world, subject="Báo cáo định kỳ")
    send_to_head(client, world, subject="Khẩn cấp", urgency="hoa_toc")
    run_worker(app)
    assert [m["title"] for m in push_service.messages_for(phone)] == ["Xem xét: Khẩn cấp"]
    frozen_clock(datetime(2026, 11, 24, 23, 0, tzinfo=UTC))  # 06:00: still quiet
    run_periodic(app, "sweep")
    assert len(push_service.messages_for(phone)) == 1
    frozen_clock(datetime(2026, 11, 24, 23, 31, tzinfo=UTC))  # 06:31
    run_periodic(app, "sweep")
    assert [m["title"] for m in push_service.messages_for(phone)][-1] == "Xem xét: Báo cáo định kỳ"


def test_muted_kinds_stay_in_the_app_only(client, world, app, push_service):
    phone = subscribe(client, world["head"], push_service)
    r = client.put(
        "/api/me/notification-preferences",
        json={"muted_kinds": ["step.review"]},
        headers=world["head"].headers,
    )
    assert r.status_code == 200
    send_to_head(client, world)
    run_worker(app)
    assert push_service.messages_for(phone) == []
    assert push_states(app) == ["skipped"]
    assert (
        client.get("/api/inbox/counts", headers=world["head"].headers).json["notifications_unread"]
        == 1
    )
    bad = client.put(
        "/api/me/notification-preferences",
        json={"muted_kinds": ["no.such.kind"], "quiet_start": "25:00"},
        headers=world["head"].headers,
    )
    assert bad.status_code == 422


def test_a_revoked_device_gets_no_more_pushes(client, world, app, push_service):
    subscribe(client, world["head"], push_service)
    r = client.delete(f"/api/auth/devices/{world['head'].device_id}", headers=world["head"].headers)
    assert r.status_code == 204
    assert count_rows(app, "push_subscriptions") == 0


def test_deadline_reminders_come_once_each(client, world, app, push_service, frozen_clock):
    phone = subscribe(client, world["head"], push_service)
    doc = send_to_head(client, world, due_date="2026-12-10")
    run_worker(app)
    frozen_clock(datetime(2026, 12, 8, 5, 0, tzinfo=UTC))  # 12:00 on 8/12: too early
    assert run_periodic(app, "reminders") == 0
    frozen_clock(datetime(2026, 12, 9, 1, 0, tzinfo=UTC))  # 08:00 on 9/12: due tomorrow
    assert run_periodic(app, "reminders") == 1
    assert run_periodic(app, "reminders") == 0
    frozen_clock(datetime(2026, 12, 10, 16, 59, tzinfo=UTC))  # 23:59 on the due day
    assert run_periodic(app, "reminders") == 0
    frozen_clock(datetime(2026, 12, 10, 17, 1, tzinfo=UTC))  # 00:01 on 11/12: overdue
    assert run_periodic(app, "reminders") == 1
    assert run_periodic(app, "reminders") == 0
    run_worker(app)
    titles = [m["title"] for m in push_service.messages_for(phone)]
    assert titles[1].startswith("Sắp đến hạn (10/12/2026)")
    assert titles[2].startswith("Quá hạn xử lý (10/12/2026)")
    assert push_service.messages_for(phone)[2]["document_id"] == doc
    # done documents are not reminded
    act(client, world["head"], doc, "approve")
    frozen_clock(datetime(2026, 12, 12, 1, 0, tzinfo=UTC))
    # the head is done with it; the leader, who has it now, is told once
    assert run_periodic(app, "reminders") == 1
    assert run_periodic(app, "reminders") == 0
    run_worker(app)
    assert len(push_service.messages_for(phone)) == 3


def test_delegation_start_and_end_are_notified(client, world, app, frozen_clock):
    r = client.post(
        "/api/delegations",
        json={
            "organisation_id": world.org_a,
            "deputy_id": world["leader2"].id,
            "can_sign": True,
            "ends_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        },
        headers=world["leader"].headers,
    )
    assert r.status_code == 201
    notes = client.get("/api/notifications", headers=world["leader2"].headers).json["items"]
    assert notes[0]["kind"] == "delegation.started"
    assert notes[0]["title"] == "Ủy quyền từ Lê Thị Hồng Hạnh"
    assert "xử lý và ký" in notes[0]["body"]
    frozen_clock(datetime.now(UTC) + timedelta(days=3))
    run_periodic(app, "reminders")
    run_periodic(app, "reminders")
    notes = client.get("/api/notifications", headers=world["leader2"].headers).json["items"]
    assert [n["kind"] for n in notes] == ["delegation.ended", "delegation.started"]
