"""Ủy quyền: a leader lets a deputy approve/sign for a period and scope; TUQ. recorded;
never passed on; revoking takes effect at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import act, etag_of, set_route, standard_route, upload_document


def delegate(client, world, delegator, deputy, **extra):
    body = {
        "organisation_id": world.org_a,
        "deputy_id": world[deputy].id,
        "can_approve": True,
        "can_sign": True,
        "ends_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        **extra,
    }
    return client.post("/api/delegations", json=body, headers=world[delegator].headers)


def at_sign_step(client, world, **meta) -> int:
    """A draft waiting for the vice-chairman's signature."""
    doc = upload_document(client, world["specialist"], **meta).json["id"]
    set_route(client, world["specialist"], doc, standard_route(world))
    act(client, world["specialist"], doc, "submit")
    act(client, world["head"], doc, "approve")
    return doc


def waiting(client, person) -> list[dict]:
    return client.get("/api/inbox/waiting", headers=person.headers).json["items"]


def test_deputy_signs_under_delegation_and_the_timeline_says_tuq(client, world):
    doc = at_sign_step(client, world)
    assert delegate(client, world, "leader", "leader2").status_code == 201

    items = waiting(client, world["leader2"])
    assert [i["document"]["id"] for i in items] == [doc]
    assert items[0]["on_behalf_of"]["full_name"] == "Lê Thị Hồng Hạnh"
    assert client.get("/api/inbox/counts", headers=world["leader2"].headers).json["waiting"] == 1

    r = act(client, world["leader2"], doc, "approve", comment="Ký thay khi đồng chí đi công tác")
    assert r.status_code == 200 and r.json["status"] == "signed"
    timeline = client.get(f"/api/documents/{doc}/timeline", headers=world["specialist"].headers)
    signed = [e for e in timeline.json if e.get("action") == "approve"][-1]
    assert signed["signing_prefix"] == "TUQ."
    assert signed["actor"]["full_name"] == "Trần Quốc Bảo"
    assert signed["on_behalf_of"]["full_name"] == "Lê Thị Hồng Hạnh"
    # the deputy keeps seeing what they signed
    assert client.get(f"/api/documents/{doc}", headers=world["leader2"].headers).status_code == 200
    # the register names both
    issued = act(client, world["clerk"], doc, "issue")
    assert issued.status_code == 200
    register = client.get(
        f"/api/registers/outgoing?organisation_id={world.org_a}&year={datetime.now(UTC).year}",
        headers=world["clerk"].headers,
    ).json["items"]
    assert register[0]["signer_name"] == "TUQ. Lê Thị Hồng Hạnh — Trần Quốc Bảo"


def test_delegation_outside_its_window_gives_nothing(client, world, frozen_clock):
    doc = at_sign_step(client, world)
    start = datetime.now(UTC) + timedelta(days=2)
    r = delegate(
        client,
        world,
        "leader",
        "leader2",
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(days=3)).isoformat(),
    )
    assert r.status_code == 201
    assert waiting(client, world["leader2"]) == []
    assert act(client, world["leader2"], doc, "approve", etag="*").status_code == 404

    frozen_clock(start + timedelta(days=1))  # inside the window
    assert [i["document"]["id"] for i in waiting(client, world["leader2"])] == [doc]

    frozen_clock(start + timedelta(days=3, seconds=1))  # over
    assert waiting(client, world["leader2"]) == []
    assert act(client, world["leader2"], doc, "approve", etag="*").status_code == 404


def test_revoking_takes_effect_at_once(client, world):
    doc = at_sign_step(client, world)
    delegation = delegate(client, world, "leader", "leader2").json
    etag = etag_of(client, world["leader2"], doc)
    r = client.delete(f"/api/delegations/{delegation['id']}", headers=world["leader2"].headers)
    assert r.status_code == 403  # the deputy cannot end it
    r = client.delete(f"/api/delegations/{delegation['id']}", headers=world["leader"].headers)
    assert r.status_code == 200 and r.json["revoked_at"] and not r.json["active"]
    assert waiting(client, world["leader2"]) == []
    assert act(client, world["leader2"], doc, "approve", etag=etag).status_code == 404
    assert act(client, world["leader"], doc, "approve").status_code == 200


def test_scope_limits_what_the_deputy_may_do(client, world):
    doc = at_sign_step(client, world)
    # approve-only: a sign step is not covered
    delegate(client, world, "leader", "leader2", can_sign=False)
    assert waiting(client, world["leader2"]) == []
    assert act(client, world["leader2"], doc, "approve", etag="*").status_code == 404


def test_scope_by_document_type(client, world):
    types = client.get("/api/document-types", headers=world["leader"].headers).json
    qd = next(t["id"] for t in types if t["abbreviation"] == "QĐ")
    cong_van_doc = at_sign_step(client, world)
    qd_doc = at_sign_step(client, world, document_type_id=qd)
    delegate(client, world, "leader", "leader2", document_type_ids=[qd])
    assert [i["document"]["id"] for i in waiting(client, world["leader2"])] == [qd_doc]
    assert act(client, world["leader2"], cong_van_doc, "approve", etag="*").status_code == 404
    assert act(client, world["leader2"], qd_doc, "approve").status_code == 200


def test_delegation_cannot_be_passed_on(client, world):
    doc = at_sign_step(client, world)
    delegate(client, world, "leader", "leader2")
    # leader2 delegates their own authority to the chairman: it covers leader2's own work
    # only, never what leader2 holds by delegation
    assert delegate(client, world, "leader2", "chairman").status_code == 201
    assert waiting(client, world["chairman"]) == []
    assert act(client, world["chairman"], doc, "approve", etag="*").status_code == 404


def test_secret_documents_are_not_delegated(client, world):
    doc = at_sign_step(client, world, secrecy="mat")
    delegate(client, world, "leader", "leader2")
    assert waiting(client, world["leader2"]) == []
    assert act(client, world["leader2"], doc, "approve", etag="*").status_code == 404


def test_delegation_rules(client, world):
    assert delegate(client, world, "specialist", "leader2").status_code == 403
    assert delegate(client, world, "leader", "leader").status_code == 422
    assert delegate(client, world, "leader", "outsider").status_code == 422
    r = delegate(client, world, "leader", "leader2", can_approve=False, can_sign=False)
    assert r.status_code == 422
    too_long = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    assert delegate(client, world, "leader", "leader2", ends_at=too_long).status_code == 422
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert delegate(client, world, "leader", "leader2", ends_at=past).status_code == 422
    listed = client.get("/api/delegations", headers=world["leader2"].headers).json
    assert listed == []
    delegate(client, world, "leader", "leader2")
    listed = client.get("/api/delegations", headers=world["leader2"].headers).json
    assert [d["delegator"]["full_name"] for d in listed] == ["Lê Thị Hồng Hạnh"]
    assert listed[0]["active"] is True
