"""The audit trail: every state change recorded; a chain keyed with AUDIT_KEY (HMAC) and
anchored by TSA timestamps kept outside the database, so that someone with write access
to the database cannot rewrite history quietly. `verify` reports every break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asn1crypto import pem
from sqlalchemy import select, text, update

from backend.audit import service
from backend.audit.models import AuditEvent, AuditHead
from backend.audit.service import CHANGED, verify
from backend.core.db import session
from tests.conftest import run_periodic, upload_document
from tests.signing.conftest import pki_env  # noqa: F401 - the test PKI's TSA on loopback


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


def _sql(app, statement, **params):
    with app.app_context():
        s = session()
        s.execute(text(statement), params)
        s.commit()


def _rehash_from(app, seq: int, digest) -> None:
    """A forger with write access to the database: recompute every hash and link from
    ``seq`` on with ``digest``, and move the head, so that the chain hangs together."""
    with app.app_context():
        s = session()
        prev = s.get(AuditEvent, seq - 1).hash if seq > 1 else service.GENESIS
        for event in s.scalars(
            select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq)
        ):
            event.prev_hash = prev
            event.hash = prev = digest(event)
        head = s.get(AuditHead, service.HEAD_ID)
        head.hash = prev
        s.commit()


def _verify(app, **kw):
    with app.app_context():
        return verify(**kw)


@pytest.fixture
def tsa(app, pki_env, monkeypatch, tmp_path):  # noqa: F811
    """The test PKI's TSA as the deployment's TSA, and its root as a trust root."""
    settings = app.extensions["settings"]
    monkeypatch.setattr(settings, "signing_tsa_url", pki_env.pki.tsa_url)
    root = tmp_path / "root.pem"
    root.write_bytes(pem.armor("CERTIFICATE", pki_env.pki.trust_root().dump()))
    monkeypatch.setattr(settings, "signing_trust_roots", str(root))
    return [pki_env.pki.trust_root()]


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
    result = _verify(app)
    assert result.ok and result.checked == 4 and result.keyed_from == 1
    out = _run_cli(app, "audit", "verify")
    assert out.exit_code == 0
    assert "intact: 4 events" in out.output


def test_the_chain_is_keyed_not_a_plain_hash(client, world, app):
    _activity(client, world)
    with app.app_context():
        event = session().get(AuditEvent, 2)
        assert event.hash == service._digest(event)
        assert event.hash != service._legacy_digest(event)
        # another key gives another chain: the key is what a forger lacks
        assert event.hash != service._digest(event, b"another key")


def test_an_edited_event_is_reported(client, world, app):
    _activity(client, world)
    _sql(app, 'UPDATE audit_events SET data = \'{"urgency": "hoa_toc"}\' WHERE seq = 2')
    result = _verify(app)
    assert [(b.first, b.last, b.reason) for b in result.breaks] == [(2, 2, CHANGED)]
    out = _run_cli(app, "audit", "verify")
    assert out.exit_code == 1
    assert "audit chain BROKEN: 1 breaks" in out.output
    assert f"event 2: {CHANGED}" in out.output


def test_an_edit_with_the_rest_of_the_chain_recomputed_is_reported(client, world, app):
    """Forgery 1: edit an event and recompute every hash after it (plain SHA-256, or a
    guessed key) — the chain hangs together, but no hash is the keyed one."""
    _activity(client, world)
    with app.app_context():
        s = session()
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor_id=world["leader"].id))
        s.commit()
    _rehash_from(app, 2, service._legacy_digest)
    result = _verify(app)
    assert [(b.first, b.last, b.reason) for b in result.breaks] == [(2, 4, CHANGED)]
    _rehash_from(app, 2, lambda e: service._digest(e, b"a guessed key"))
    assert [(b.first, b.last) for b in _verify(app).breaks] == [(2, 4)]


def test_every_break_is_reported_not_only_the_first(client, world, app):
    _activity(client, world)
    _activity(client, world)  # events 1–8
    _sql(app, "UPDATE audit_events SET object_id = 'x' WHERE seq IN (2, 6)")
    _sql(app, "DELETE FROM audit_events WHERE seq = 4")
    result = _verify(app)
    assert [(b.first, b.last, b.reason) for b in result.breaks] == [
        (2, 2, CHANGED),
        (4, 4, "missing (deleted)"),
        (6, 6, CHANGED),
    ]
    out = _run_cli(app, "audit", "verify")
    assert out.exit_code == 1
    assert out.output.count("\n  event ") == 3


def test_deleting_the_latest_events_without_moving_the_head_is_reported(client, world, app):
    _activity(client, world)
    _sql(app, "DELETE FROM audit_events WHERE seq >= 3")
    result = _verify(app)
    assert (result.ok, result.broken_at) == (False, 3)
    assert "the head says 4 events; the chain ends at 2" in result.reason


def test_the_tail_deleted_and_the_head_moved_back_is_caught_by_the_anchor(client, world, app, tsa):
    """Forgery 2: delete the newest events and move the head back. What remains is a
    valid keyed chain — only the anchor, outside the database, knows it went further."""
    _activity(client, world)
    assert run_periodic(app, "anchor_audit") == 4  # the worker anchors the head: event 4
    with app.app_context():
        s = session()
        s.execute(text("DELETE FROM audit_events WHERE seq >= 3"))
        kept = s.get(AuditEvent, 2)
        s.execute(update(AuditHead).values(seq=2, hash=kept.hash))
        s.commit()
    result = _verify(app, trust_roots=tsa)
    assert [(b.first, b.last) for b in result.breaks] == [(3, 4)]
    assert "deleted from the end" in result.reason and "reach event 4" in result.reason
    assert (result.anchors, result.timestamped) == (1, 1)
    out = _run_cli(app, "audit", "verify")  # the CLI uses the configured trust roots
    assert out.exit_code == 1 and "events 3–4: deleted from the end" in out.output
    assert "1 with a valid TSA timestamp" in out.output


def test_even_with_the_key_an_anchored_event_cannot_be_rewritten(client, world, app, tsa):
    _activity(client, world)
    run_periodic(app, "anchor_audit")
    with app.app_context():
        s = session()
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(object_id="999"))
        s.commit()
    _rehash_from(app, 3, service._digest)  # a stolen key: the chain is keyed again
    result = _verify(app, trust_roots=tsa)
    [problem] = result.breaks  # event 3 is keyed again; event 4's hash is not the anchored one
    assert (problem.first, problem.last) == (4, 4)
    assert problem.reason.startswith("differs from the anchor of") and "(TSA)" in problem.reason


def test_anchors_are_timestamped_kept_outside_the_database_and_not_repeated(
    client, world, app, tsa
):
    _activity(client, world)
    assert run_periodic(app, "anchor_audit") == 4
    assert run_periodic(app, "anchor_audit") == 0  # the head has not moved
    client.post("/api/auth/logout", headers=world["leader"].headers)
    assert run_periodic(app, "anchor_audit") == 5
    directory = Path(app.extensions["settings"].audit_anchor_dir)
    [path] = list(directory.glob("anchors-*.jsonl"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(a["seq"], bool(a["tst"])) for a in lines] == [(4, True), (5, True)]
    result = _verify(app, trust_roots=tsa)
    assert result.ok and (result.anchors, result.timestamped) == (2, 2)
    # an anchor edited in its file no longer matches its TSA timestamp
    lines[0]["seq"] = 3
    path.write_text("".join(json.dumps(a) + "\n" for a in lines))
    broken = _verify(app, trust_roots=tsa)
    assert not broken.ok and "does not cover this anchor" in broken.reason
    # a TSA of another PKI is not trusted
    path.write_text("".join(json.dumps(a) + "\n" for a in lines[1:]))
    other = _verify(app, trust_roots=[])
    assert other.ok and "integrity only" in " ".join(other.notes)


def test_an_unreachable_tsa_still_leaves_an_anchor(client, world, app, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "signing_tsa_url", "http://127.0.0.1:9/tsa")
    _activity(client, world)
    assert run_periodic(app, "anchor_audit") == 4
    with app.app_context():
        from backend.audit.anchors import read

        [entry], damaged = read()
    assert damaged == [] and "tst" not in entry and entry["error"]
    _sql(app, "DELETE FROM audit_events WHERE seq >= 3")
    _sql(app, "UPDATE audit_head SET seq = 2")
    result = _verify(app)
    assert any(b.first == 3 and "deleted from the end" in b.reason for b in result.breaks)
    assert "1 anchors without a TSA timestamp" in result.notes


def test_a_chain_from_before_the_key_is_kept_and_keyed_from_an_epoch(
    client, world, app, monkeypatch
):
    """Upgrading: events written by the old code (plain SHA-256) stay as they are; the
    first keyed event marks the epoch and its keyed hash covers the legacy head."""
    with monkeypatch.context() as old_code:
        old_code.setattr(service, "_digest", lambda event, key=None: service._legacy_digest(event))
        _activity(client, world)  # events 1–4, the old way
    with app.app_context():
        assert service.ensure_keyed() is True  # flask db-upgrade does this
        assert service.ensure_keyed() is False
        marker = session().get(AuditEvent, 5)
        assert marker.action == "audit.chain_keyed"
        assert json.loads(marker.data)["legacy_events"] == 4
    client.post("/api/auth/logout", headers=world["leader"].headers)  # event 6, keyed
    result = _verify(app)
    assert result.ok and result.checked == 6 and result.keyed_from == 5
    # an old-style forger rewrites a legacy event and recomputes the legacy part:
    # the marker's keyed hash still covers the old head
    with app.app_context():
        s = session()
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(object_id="999"))
        s.commit()
        prev = s.get(AuditEvent, 1).hash
        for seq in (2, 3, 4):
            event = s.get(AuditEvent, seq)
            event.prev_hash = prev
            event.hash = prev = service._legacy_digest(event)
        s.commit()
    assert [b.first for b in _verify(app).breaks] == [5]
    # …and one who rewrites the whole chain the old way, marker and all, is caught too
    _rehash_from(app, 1, service._legacy_digest)
    assert "not keyed" in " ".join(b.reason for b in _verify(app).breaks)


def test_a_chain_of_an_upgraded_installation_is_marked_by_db_upgrade(
    client, world, app, monkeypatch
):
    with monkeypatch.context() as old_code:
        old_code.setattr(service, "_digest", lambda event, key=None: service._legacy_digest(event))
        _activity(client, world)
    assert not _verify(app).ok  # not keyed yet
    monkeypatch.setattr("backend.migrate.upgrade", lambda url, revision="head": None)
    out = _run_cli(app, "db-upgrade")
    assert out.exit_code == 0, out.output
    assert "audit chain keyed from now on" in out.output
    assert _verify(app).ok


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
    _sql(app, "UPDATE audit_events SET action = 'x' WHERE seq = 2")
    r = client.get(url, headers=world["admin"].headers)
    assert r.json["ok"] is False and r.json["broken_at"] == 2
    assert "changed" in r.json["reason"] and r.json["breaks"] == [f"event 2: {r.json['reason']}"]
    assert client.get(url, headers=world["leader"].headers).status_code == 403
    assert client.get(url, headers=world["outsider_admin"].headers).status_code == 404
