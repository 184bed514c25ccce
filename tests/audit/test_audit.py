from __future__ import annotations

from sqlalchemy import text

from backend.audit.service import verify
from backend.core.db import session
from tests.conftest import upload_document


def _activity(client, world):
    person = world["specialist"]
    doc = upload_document(client, person).json
    client.patch(
        f"/api/documents/{doc['id']}",
        json={"urgency": "khan"},
        headers={**person.headers, "If-Match": doc["etag"]},
    )
    client.post(
        f"/api/organisations/{world.org_a}/units",
        json={"name": "Phòng Tài chính", "abbreviation": "TC"},
        headers=world["admin"].headers,
    )
    client.post("/api/auth/logout", headers=world["clerk"].headers)
    return doc


def _run_cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_every_state_change_is_recorded_and_the_chain_verifies(client, world, app):
    doc = _activity(client, world)
    r = client.get(
        "/api/audit-events",
        query_string={"organisation_id": world.org_a},
        headers=world["admin"].headers,
    )
    assert r.status_code == 200
    actions = [e["action"] for e in r.json["items"]]
    assert actions == [
        "auth.device_revoked",
        "org.unit_created",
        "document.updated",
        "document.created",
    ]
    created = r.json["items"][-1]
    assert created["actor_id"] == world["specialist"].id
    assert created["device_id"] == world["specialist"].device_id
    assert created["object_id"] == str(doc["id"])
    assert created["occurred_at"].endswith("+07:00")
    updated = r.json["items"][-2]
    assert updated["data"] == {"before": {"urgency": "normal"}, "after": {"urgency": "khan"}}
    with app.app_context():
        result = verify()
    assert result.ok and result.checked == 4
    out = _run_cli(app, "audit", "verify")
    assert out.exit_code == 0
    assert "intact: 4 events" in out.output


def _tamper(app, sql):
    with app.app_context():
        s = session()
        s.execute(text(sql))
        s.commit()


def test_an_edited_event_is_reported(client, world, app):
    _activity(client, world)
    _tamper(app, 'UPDATE audit_events SET data = \'{"urgency": "hoa_toc"}\' WHERE seq = 2')
    with app.app_context():
        result = verify()
    assert not result.ok
    assert result.broken_at == 2
    assert result.reason == "event content was changed"
    out = _run_cli(app, "audit", "verify")
    assert out.exit_code == 1
    assert "BROKEN at event 2" in out.output


def test_a_rehashed_edit_still_breaks_the_next_link(client, world, app):
    _activity(client, world)
    # A careful forger recomputes the edited row's own hash: the next row's link breaks.
    with app.app_context():
        from backend.audit.models import AuditEvent
        from backend.audit.service import _digest

        s = session()
        event = s.get(AuditEvent, 2)
        event.actor_id = world["leader"].id
        event.hash = _digest(event)
        s.commit()
        result = verify()
    assert not result.ok
    assert result.broken_at == 3
    assert result.reason == "link to previous event broken"


def test_a_deleted_event_is_reported(client, world, app):
    _activity(client, world)
    _tamper(app, "DELETE FROM audit_events WHERE seq = 2")
    with app.app_context():
        result = verify()
    assert (result.ok, result.broken_at) == (False, 2)
    assert "deleted" in result.reason


def test_deleting_the_latest_events_is_reported(client, world, app):
    _activity(client, world)
    _tamper(app, "DELETE FROM audit_events WHERE seq >= 3")
    with app.app_context():
        result = verify()
    assert (result.ok, result.broken_at) == (False, 3)
    assert "end" in result.reason


def test_audit_trail_is_for_the_organisations_admins(client, world):
    q = {"organisation_id": world.org_a}
    assert (
        client.get("/api/audit-events", query_string=q, headers=world["leader"].headers).status_code
        == 403
    )
    assert (
        client.get(
            "/api/audit-events", query_string=q, headers=world["outsider_admin"].headers
        ).status_code
        == 404
    )


def test_admins_see_the_chain_verified_in_the_app(client, world, app):
    """GET /api/audit-events/verify walks the chain as `flask audit verify` does."""
    _activity(client, world)
    url = f"/api/audit-events/verify?organisation_id={world.org_a}"
    r = client.get(url, headers=world["admin"].headers)
    assert r.status_code == 200
    assert r.json["ok"] is True and r.json["broken_at"] is None and r.json["checked"] > 0
    assert r.json["verified_at"].endswith("+07:00")
    _tamper(app, "UPDATE audit_events SET action = 'x' WHERE seq = 2")
    r = client.get(url, headers=world["admin"].headers)
    assert r.json["ok"] is False and r.json["broken_at"] == 2
    assert r.json["reason"] == "event content was changed" and r.json["checked"] == 1
    assert client.get(url, headers=world["leader"].headers).status_code == 403
    assert client.get(url, headers=world["outsider_admin"].headers).status_code == 404
