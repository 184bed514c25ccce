"""The paper round made electronic: routes, the action state machine, return/resubmit,
withdraw, forward, any/all steps, concurrency, idempotency, audit."""

from __future__ import annotations

import threading

from backend.audit.service import verify
from tests.conftest import (
    act,
    count_rows,
    etag_of,
    make_pdf,
    set_route,
    standard_route,
    upload_document,
)


def new_draft(client, world, **meta) -> int:
    response = upload_document(client, world["specialist"], **meta)
    assert response.status_code == 201, response.json
    return response.json["id"]


def routed_draft(client, world, steps=None, **meta) -> int:
    doc = new_draft(client, world, **meta)
    response = set_route(client, world["specialist"], doc, steps or standard_route(world))
    assert response.status_code == 200, response.json
    return doc


def waiting_ids(client, person) -> list[int]:
    response = client.get("/api/inbox/waiting", headers=person.headers)
    assert response.status_code == 200
    return [item["document"]["id"] for item in response.json["items"]]


def route_of(client, person, doc) -> dict:
    response = client.get(f"/api/documents/{doc}/route", headers=person.headers)
    assert response.status_code == 200, response.json
    return response.json


def test_full_round_trip_review_consult_sign_issue(client, world, app):
    steps = [
        {"kind": "review", "actors": [{"unit_id": world.units["A.KT"]}]},  # head of KT
        {"kind": "consult", "actors": [{"user_id": world["head_vx"].id}]},  # advisory
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}], "signing_prefix": "KT."},
        {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
    ]
    doc = routed_draft(client, world, steps)
    specialist, head, head_vx, leader, clerk = (
        world[k] for k in ("specialist", "head", "head_vx", "leader", "clerk")
    )

    r = act(client, specialist, doc, "submit", comment="Kính trình")
    assert r.status_code == 200 and r.json["status"] == "in_review"
    assert doc in waiting_ids(client, head)  # "head of unit KT" resolved to the head
    assert doc not in waiting_ids(client, leader)

    assert act(client, head, doc, "approve", comment="Đã xem, đề nghị ký").status_code == 200
    # The consultation runs beside the sign step: both wait now.
    assert doc in waiting_ids(client, head_vx)
    assert doc in waiting_ids(client, leader)

    r = act(client, head_vx, doc, "reply", comment="Nhất trí với dự thảo.")
    assert r.status_code == 200
    r = act(client, leader, doc, "approve")
    assert r.status_code == 200 and r.json["status"] == "signed"
    assert doc in waiting_ids(client, clerk)

    r = act(client, clerk, doc, "issue", recipients="Như trên;\nLưu: VT, KT.", copies=5)
    assert r.status_code == 200, r.json
    body = r.json
    assert body["status"] == "issued"
    assert body["number_symbol"] == "01/UBND-KT"  # công văn: agency-unit, number 01
    assert body["issued_at"].endswith("+07:00")
    assert not any(doc in waiting_ids(client, p) for p in (head, head_vx, leader, clerk))

    route = route_of(client, specialist, doc)
    assert [s["status"] for s in route["steps"]] == ["done"] * 4
    assert route["steps"][0]["assignments"][0]["user_id"] == head.id

    # the drafter was told it is done; the clerk's register has it
    notes = client.get("/api/notifications", headers=specialist.headers).json["items"]
    assert any(n["kind"] == "document.completed" and n["document_id"] == doc for n in notes)
    with app.app_context():
        assert verify().ok


def test_outgoing_numbers_follow_the_type_and_run_on(client, world):
    qd = next(
        t["id"]
        for t in client.get("/api/document-types", headers=world["clerk"].headers).json
        if t["abbreviation"] == "QĐ"
    )
    numbers = []
    for type_id in (qd, None, qd):
        meta = {"document_type_id": type_id} if type_id else {}
        doc = routed_draft(client, world, **meta)
        act(client, world["specialist"], doc, "submit")
        act(client, world["head"], doc, "approve")
        act(client, world["leader"], doc, "approve")
        numbers.append(act(client, world["clerk"], doc, "issue").json["number_symbol"])
    assert numbers == ["01/QĐ-UBND", "02/UBND-KT", "03/QĐ-UBND"]


def test_return_goes_to_the_drafter_and_resumes_at_the_returning_step(client, world):
    doc = routed_draft(client, world)
    specialist, head, leader = world["specialist"], world["head"], world["leader"]
    act(client, specialist, doc, "submit")
    act(client, head, doc, "approve")

    r = act(client, leader, doc, "return", reason="")
    assert r.status_code == 422  # a reason is required
    r = act(client, leader, doc, "return", reason="Bổ sung số liệu quý IV.")
    assert r.status_code == 200 and r.json["status"] == "returned"
    assert doc not in waiting_ids(client, leader)
    counts = client.get("/api/inbox/counts", headers=specialist.headers).json
    assert counts["returned_to_me"] == 1

    # the drafter uploads a new version and resubmits: the leader, not the head, gets it
    v2 = client.post(
        f"/api/documents/{doc}/versions",
        data={"file": (__import__("io").BytesIO(make_pdf(2)), "v2.pdf"), "note": "Đã bổ sung"},
        headers={**specialist.headers, "If-Match": etag_of(client, specialist, doc)},
        content_type="multipart/form-data",
    )
    assert v2.status_code == 201
    assert act(client, specialist, doc, "submit").status_code == 200
    assert doc in waiting_ids(client, leader)
    assert doc not in waiting_ids(client, head)
    steps = route_of(client, specialist, doc)["steps"]
    assert [s["status"] for s in steps] == ["done", "active", "pending"]

    timeline = client.get(f"/api/documents/{doc}/timeline", headers=specialist.headers).json
    returned = next(e for e in timeline if e.get("action") == "return")
    assert returned["text"] == "Bổ sung số liệu quý IV." and returned["version_number"] == 1
    resubmitted = [e for e in timeline if e.get("action") == "submit"][-1]
    assert resubmitted["version_number"] == 2


def test_a_new_version_after_signing_must_be_signed_again(client, world):
    doc = routed_draft(client, world)
    specialist, head, leader, clerk = (world[k] for k in ("specialist", "head", "leader", "clerk"))
    act(client, specialist, doc, "submit")
    act(client, head, doc, "approve")
    act(client, leader, doc, "approve")
    act(client, clerk, doc, "return", reason="Sai thể thức")
    client.post(
        f"/api/documents/{doc}/versions",
        data={"file": (__import__("io").BytesIO(make_pdf(3)), "v2.pdf")},
        headers={**specialist.headers, "If-Match": etag_of(client, specialist, doc)},
        content_type="multipart/form-data",
    )
    act(client, specialist, doc, "submit")
    assert doc in waiting_ids(client, leader)  # the signature covered version 1 only
    assert doc not in waiting_ids(client, clerk)


def test_resubmission_without_changes_goes_straight_back_to_the_clerk(client, world):
    doc = routed_draft(client, world)
    specialist, head, leader, clerk = (world[k] for k in ("specialist", "head", "leader", "clerk"))
    act(client, specialist, doc, "submit")
    act(client, head, doc, "approve")
    act(client, leader, doc, "approve")
    act(client, clerk, doc, "return", reason="Thiếu nơi nhận")
    r = act(client, specialist, doc, "submit")
    assert r.json["status"] == "signed"
    assert doc in waiting_ids(client, clerk) and doc not in waiting_ids(client, leader)


def test_withdraw_only_before_anyone_acted(client, world):
    doc = routed_draft(client, world)
    specialist, head = world["specialist"], world["head"]
    act(client, specialist, doc, "submit")
    r = act(client, specialist, doc, "withdraw")
    assert r.status_code == 200 and r.json["status"] == "draft"
    assert doc not in waiting_ids(client, head)
    # back to draft: the route can be changed and the draft submitted again
    assert set_route(client, specialist, doc, standard_route(world)).status_code == 200
    act(client, specialist, doc, "submit")
    act(client, head, doc, "approve")
    r = act(client, specialist, doc, "withdraw")
    assert r.status_code == 409 and r.json["code"] == "already-acted"


def test_forward_hands_the_step_to_someone_else(client, world):
    doc = routed_draft(client, world)
    specialist, head, head_vx = world["specialist"], world["head"], world["head_vx"]
    act(client, specialist, doc, "submit")
    r = act(client, head, doc, "forward", to_user_id=world["outsider"].id)
    assert r.status_code == 422  # not a member of this agency
    r = act(client, head, doc, "forward", to_user_id=head_vx.id, comment="Nhờ chị xem giúp")
    assert r.status_code == 200
    assert doc not in waiting_ids(client, head)
    assert doc in waiting_ids(client, head_vx)
    assert act(client, head, doc, "approve").status_code == 403
    assert act(client, head_vx, doc, "approve").status_code == 200
    assert doc in waiting_ids(client, world["leader"])
    timeline = client.get(f"/api/documents/{doc}/timeline", headers=specialist.headers).json
    forwarded = next(e for e in timeline if e.get("action") == "forward")
    assert forwarded["target"]["full_name"] == "Vũ Thị Thu Hà"


def test_all_step_waits_for_everyone_any_step_for_one(client, world):
    steps = [
        {
            "kind": "review",
            "mode": "all",
            "actors": [{"user_id": world["head"].id}, {"user_id": world["head_vx"].id}],
        },
        {
            "kind": "sign",
            "mode": "any",
            "actors": [{"user_id": world["leader"].id}, {"user_id": world["leader2"].id}],
        },
        {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
    ]
    doc = routed_draft(client, world, steps)
    act(client, world["specialist"], doc, "submit")
    act(client, world["head"], doc, "approve")
    assert doc not in waiting_ids(client, world["leader"])  # head_vx has not acted yet
    act(client, world["head_vx"], doc, "approve")
    assert doc in waiting_ids(client, world["leader"])
    assert doc in waiting_ids(client, world["leader2"])
    assert act(client, world["leader2"], doc, "approve").status_code == 200
    assert doc not in waiting_ids(client, world["leader"])  # one was enough
    assert act(client, world["leader"], doc, "approve").status_code == 403
    assert doc in waiting_ids(client, world["clerk"])


def test_concurrent_approvals_of_an_any_step_exactly_one_wins(app, world, client):
    steps = [
        {
            "kind": "review",
            "mode": "any",
            "actors": [{"user_id": world["head"].id}, {"user_id": world["head_vx"].id}],
        },
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
    ]
    doc = routed_draft(client, world, steps)
    act(client, world["specialist"], doc, "submit")
    etag = etag_of(client, world["head"], doc)
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def approve(key: str) -> None:
        c = app.test_client()
        barrier.wait()
        results[key] = act(c, world[key], doc, "approve", etag=etag).status_code

    threads = [threading.Thread(target=approve, args=(k,)) for k in ("head", "head_vx")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values())[0] == 200
    assert sorted(results.values())[1] in (403, 412)  # too late: stale ETag or step gone
    assert count_rows(app, "workflow_actions") == 2  # submit + one approval
    with app.app_context():
        assert verify().ok


def test_illegal_transitions_answer_409_with_the_current_state(client, world):
    doc = routed_draft(client, world)
    r = act(client, world["specialist"], doc, "withdraw")
    assert r.status_code == 409
    assert r.json["code"] == "invalid-transition" and r.json["current_state"] == "draft"
    act(client, world["specialist"], doc, "submit")
    r = act(client, world["specialist"], doc, "submit")
    assert r.status_code == 409 and r.json["current_state"] == "in_review"
    # the head may not issue at a review step
    r = act(client, world["head"], doc, "issue")
    assert r.status_code == 409 and r.json["step_kind"] == "review"
    # nor change the route once submitted
    r = set_route(client, world["specialist"], doc, standard_route(world))
    assert r.status_code == 409


def test_acting_on_a_step_that_is_not_yours_is_refused(client, world):
    doc = routed_draft(client, world)
    act(client, world["specialist"], doc, "submit")
    # the drafter sees the document but nothing waits for them
    r = act(client, world["specialist"], doc, "approve")
    assert r.status_code == 403 and r.json["code"] == "not-your-step"
    # the signer is not yet on it: the document is not even visible to them
    assert act(client, world["leader"], doc, "approve", etag="*").status_code == 404
    assert act(client, world["outsider"], doc, "approve", etag="*").status_code == 404


def test_actions_need_the_current_etag(client, world):
    doc = routed_draft(client, world)
    old = etag_of(client, world["specialist"], doc)
    act(client, world["specialist"], doc, "submit", etag=old)
    r = act(client, world["head"], doc, "approve", etag=old)
    assert r.status_code == 412
    r = client.post(f"/api/documents/{doc}/approve", json={}, headers=world["head"].headers)
    assert r.status_code == 428


def test_an_action_replayed_with_its_idempotency_key_happens_once(client, world, app):
    doc = routed_draft(client, world)
    act(client, world["specialist"], doc, "submit")
    etag = etag_of(client, world["head"], doc)
    key = {"Idempotency-Key": "approve-once-7f3a"}
    first = act(client, world["head"], doc, "approve", etag=etag, headers=key, comment="OK")
    second = act(client, world["head"], doc, "approve", etag=etag, headers=key, comment="OK")
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json == second.json
    assert count_rows(app, "workflow_actions") == 2
    other = act(client, world["head"], doc, "approve", etag=etag, headers=key, comment="khác")
    assert other.status_code == 422 and other.json["code"] == "idempotency-key-reused"


def test_failed_action_changes_nothing(client, world, app):
    # the unit in the route has no head: submit must fail whole, leaving the draft as it was
    with app.app_context():
        from backend.core.db import atomic
        from backend.org.models import Unit

        with atomic() as s:
            unit = Unit(organisation_id=world.org_a, name="Ban Dân tộc", abbreviation="DT")
            s.add(unit)
            s.flush()
            empty_unit = unit.id
    steps = [
        {"kind": "review", "actors": [{"unit_id": empty_unit}]},
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
    ]
    doc = routed_draft(client, world, steps)
    before = (count_rows(app, "audit_events"), count_rows(app, "notifications"))
    r = act(client, world["specialist"], doc, "submit")
    assert r.status_code == 409 and r.json["code"] == "route-actor-missing"
    assert (
        client.get(f"/api/documents/{doc}", headers=world["specialist"].headers).json["status"]
        == "draft"
    )
    assert (count_rows(app, "audit_events"), count_rows(app, "notifications")) == before
    assert count_rows(app, "step_assignments") == 0


def test_route_validation(client, world):
    doc = new_draft(client, world)
    bad_routes = {
        "issue not last": [
            {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
            {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
        ],
        "issue without sign": [{"kind": "issue", "actors": [{"user_id": world["clerk"].id}]}],
        "issuer not a clerk": [
            {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
            {"kind": "issue", "actors": [{"user_id": world["head"].id}]},
        ],
        "signer not a leader": [{"kind": "sign", "actors": [{"user_id": world["specialist"].id}]}],
        "outsider": [{"kind": "review", "actors": [{"user_id": world["outsider"].id}]}],
        "no actors": [{"kind": "review", "actors": []}],
        "unknown kind": [{"kind": "bless", "actors": [{"user_id": world["head"].id}]}],
        "prefix on review": [
            {"kind": "review", "signing_prefix": "KT.", "actors": [{"user_id": world["head"].id}]}
        ],
        "dangling consult": [{"kind": "consult", "actors": [{"user_id": world["head"].id}]}],
    }
    for name, steps in bad_routes.items():
        r = set_route(client, world["specialist"], doc, steps)
        assert r.status_code == 422, name
        assert r.json["errors"], name
    r = client.put(
        f"/api/documents/{doc}/route",
        json={},
        headers={**world["specialist"].headers, "If-Match": "*"},
    )
    assert r.status_code == 422
    r = act(client, world["specialist"], doc, "submit")
    assert r.status_code == 409 and r.json["code"] == "route-missing"


def test_route_templates_fill_a_route(client, world):
    cong_van = client.get("/api/document-types", headers=world["head"].headers).json
    cong_van_id = next(t["id"] for t in cong_van if t["code"] == "cong-van")
    created = client.post(
        "/api/route-templates",
        json={
            "organisation_id": world.org_a,
            "name": "Công văn Phòng Kinh tế",
            "document_type_id": cong_van_id,
            "unit_id": world.units["A.KT"],
            "steps": [
                {"kind": "review", "actors": [{"unit_id": world.units["A.KT"]}]},
                {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
                {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
            ],
        },
        headers=world["head"].headers,
    )
    assert created.status_code == 201, created.json
    generic = client.post(
        "/api/route-templates",
        json={
            "organisation_id": world.org_a,
            "name": "Chung",
            "steps": [{"kind": "sign", "actors": [{"user_id": world["chairman"].id}]}],
        },
        headers=world["admin"].headers,
    )
    assert generic.status_code == 201
    found = client.get(
        f"/api/route-templates?document_type_id={cong_van_id}&unit_id={world.units['A.KT']}",
        headers=world["specialist"].headers,
    ).json
    assert [t["name"] for t in found] == ["Công văn Phòng Kinh tế", "Chung"]
    assert client.get("/api/route-templates", headers=world["outsider"].headers).json == []

    doc = new_draft(client, world)
    r = client.put(
        f"/api/documents/{doc}/route",
        json={"template_id": created.json["id"]},
        headers={
            **world["specialist"].headers,
            "If-Match": etag_of(client, world["specialist"], doc),
        },
    )
    assert r.status_code == 200
    assert [s["kind"] for s in r.json["steps"]] == ["review", "sign", "issue"]
    assert r.json["steps"][0]["actors"][0]["unit_id"] == world.units["A.KT"]
