"""Inside one installation: UBND tỉnh Nghệ An (H41) sends to UBND tỉnh Hà Tĩnh (H40), an
organisation of the same database, and to one of its own units. The receiving clerk's
queue gets the signed PDF and attachments (the same stored files), the metadata filled
from the sender, the signatures already checked; the statuses come straight back."""

from __future__ import annotations

from sqlalchemy import select

from backend.core.db import session
from backend.documents.models import Document
from backend.exchange.models import OutboxMessage
from backend.notifications.models import Notification
from tests.conftest import act, make_pdf
from tests.exchange.conftest import (
    A2_CODE,
    BTC,
    deliveries,
    queue,
    received_detail,
    signed_and_issued,
)


def send_to(inst, *codes: str, units: tuple[str, ...] = ()) -> list[dict]:
    return [{"directory_id": inst.directory[c]} for c in codes] + [
        {"unit_id": inst.units[u]} for u in units
    ]


def files_of(inst, person, document_id):
    r = inst.client.get(f"/api/documents/{document_id}/versions", headers=person.headers)
    assert r.status_code == 200, r.json
    return [(f["filename"], f["kind"]) for f in r.json[-1]["files"]], r.json[-1]["files"]


def test_delivery_inside_the_installation(installation_a, signing_env):
    a = installation_a
    clerk, clerk_b = a["clerk"], a["clerk_b"]
    annex = make_pdf(2, text_marker="Phụ lục")
    document = signed_and_issued(
        a,
        send_to(a, A2_CODE, units=("A.VX",)),
        attachments=[(annex, "Phụ lục kế hoạch.pdf")],
    )
    lines = deliveries(a, clerk, document)
    assert [
        (d["channel"], d["recipient"]["code"], d["transport_state"], d["status_code"])
        for d in lines
    ] == [
        ("installation", A2_CODE, "pending", None),
        ("unit", "VX", "pending", None),
    ]
    # nothing travelled inside the request: the worker sends after the commit
    assert queue(a, clerk_b) == []
    a.run_worker()

    [item] = queue(a, clerk_b)
    sent = a.client.get(f"/api/documents/{document}", headers=clerk.headers).json
    assert item["sender"] == {"code": "000.00.00.H41", "name": "Ủy ban nhân dân tỉnh Nghệ An"}
    assert item["number_symbol"] == sent["number_symbol"] == "01/UBND-KT"
    assert item["subject"] == sent["subject"]
    assert item["type_name"] == "Công văn"
    assert item["signer"]["full_name"] == a["leader"].full_name
    assert item["signer"]["position"] == "Phó Chủ tịch"
    assert item["channel"] == "installation" and item["state"] == "waiting"
    # the signatures were checked on arrival: the leader's and the agency seal
    detail, etag = received_detail(a, clerk_b, item["id"])
    assert detail["signatures_ok"] is True
    # the main PDF carries the leader's signature and the seal; each attachment the seal
    [main_report] = [
        v
        for v in detail["validation"]
        if any(s["signer"] == a["leader"].full_name for s in v["signatures"])
    ]
    assert [s["signer"] for s in main_report["signatures"]] == [
        a["leader"].full_name,
        "Ủy ban nhân dân tỉnh Nghệ An",
    ]
    # the same files, not copies
    names, sent_files = files_of(a, clerk, document)
    got_names, got_files = files_of(a, clerk_b, item["document_id"])
    assert got_names == names
    assert [f["size"] for f in got_files] == [f["size"] for f in sent_files]
    with a.app.app_context():
        got = session().get(Document, item["document_id"])
        assert got.organisation_id == clerk_b.organisation_id and got.direction == "incoming"
    # status 01 at once; the unit's head got the document
    lines = {d["recipient"]["code"]: d for d in deliveries(a, clerk, document)}
    assert lines[A2_CODE]["status_code"] == "01" and lines[A2_CODE]["transport_state"] == "sent"
    assert lines["VX"]["status_code"] == "01"
    seen = a.client.get(f"/api/documents/{document}", headers=a["head_vx"].headers)
    assert seen.status_code == 200

    registered = a.client.post(
        f"/api/exchange/received/{item['id']}/register",
        json={},
        headers={**clerk_b.headers, "If-Match": etag},
    )
    assert registered.status_code == 200, registered.json
    assert registered.json["status"] == "registered"
    assert registered.json["number_symbol"] == "01/UBND-KT"
    line = {d["recipient"]["code"]: d for d in deliveries(a, clerk, document)}[A2_CODE]
    assert line["status_code"] == "03"
    assert "vào sổ văn bản đến số 01" in line["status_description"]
    assert [h["status_code"] for h in line["history"] if h["kind"] == "status"] == ["01", "03"]
    # the register of Hà Tĩnh has the sender's details
    register = a.client.get(
        "/api/registers/incoming",
        query_string={
            "organisation_id": clerk_b.organisation_id,
            "year": int(sent["issued_at"][:4]),
        },
        headers=clerk_b.headers,
    ).json["items"]
    assert [
        (r["number"], r["number_symbol"], r["sender_name"], r["sender_code"]) for r in register
    ] == [(1, "01/UBND-KT", "Ủy ban nhân dân tỉnh Nghệ An", "000.00.00.H41")]
    assert queue(a, clerk_b) == []
    # the sender's timeline carries each recipient's history
    timeline = a.client.get(f"/api/documents/{document}/timeline", headers=clerk.headers).json
    exchange = [e for e in timeline if e["kind"] == "exchange"]
    assert [(e["recipient"]["code"], e["status_code"]) for e in exchange if e["status_code"]] == [
        (A2_CODE, "01"),
        ("VX", "01"),
        (A2_CODE, "03"),
    ]


def test_refusal_goes_back_with_the_reason_and_notifies_drafter_and_clerk(
    installation_a, signing_env
):
    a = installation_a
    clerk, clerk_b = a["clerk"], a["clerk_b"]
    document = signed_and_issued(a, send_to(a, A2_CODE))
    a.run_worker()
    [item] = queue(a, clerk_b)
    _detail, etag = received_detail(a, clerk_b, item["id"])
    missing_reason = a.client.post(
        f"/api/exchange/received/{item['id']}/refuse",
        json={"reason": ""},
        headers={**clerk_b.headers, "If-Match": etag},
    )
    assert missing_reason.status_code == 422
    refused = a.client.post(
        f"/api/exchange/received/{item['id']}/refuse",
        json={"reason": "Gửi nhầm cơ quan: văn bản gửi UBND tỉnh Nghệ An."},
        headers={**clerk_b.headers, "If-Match": etag},
    )
    assert refused.status_code == 200, refused.json
    assert refused.json["status"] == "refused"
    [line] = deliveries(a, clerk, document)
    assert line["status_code"] == "02"
    assert line["status_description"] == (
        "Từ chối tiếp nhận: Gửi nhầm cơ quan: văn bản gửi UBND tỉnh Nghệ An."
    )
    with a.app.app_context():
        told = session().scalars(
            select(Notification.user_id).where(
                Notification.kind == "exchange.refused", Notification.document_id == document
            )
        )
        assert set(told) == {a["specialist"].id, clerk.id}
    report = a.client.get(
        "/api/exchange/sent",
        query_string={"organisation_id": clerk.organisation_id, "state": "refused"},
        headers=clerk.headers,
    ).json["items"]
    assert [d["document_id"] for d in report] == [document]
    assert queue(a, clerk_b, "refused")[0]["reason"].startswith("Gửi nhầm cơ quan")


def test_recall_inside_the_installation_withdraws_the_registered_document(
    installation_a, signing_env
):
    a = installation_a
    clerk, clerk_b = a["clerk"], a["clerk_b"]
    document = signed_and_issued(a, send_to(a, A2_CODE))
    a.run_worker()
    [item] = queue(a, clerk_b)
    _detail, etag = received_detail(a, clerk_b, item["id"])
    assert (
        a.client.post(
            f"/api/exchange/received/{item['id']}/register",
            json={},
            headers={**clerk_b.headers, "If-Match": etag},
        ).status_code
        == 200
    )

    recalled = a.client.post(
        f"/api/documents/{document}/recall",
        json={"reason": "Văn bản có sai sót về số liệu."},
        headers=clerk.headers,
    )
    assert recalled.status_code == 202, recalled.json
    assert [d["status_code"] for d in recalled.json] == ["13"]
    changes = a.client.get(
        "/api/exchange/changes", query_string={"state": "pending"}, headers=clerk_b.headers
    ).json
    assert [(c["kind"], c["reason"], c["received_id"]) for c in changes] == [
        ("recall", "Văn bản có sai sót về số liệu.", item["id"])
    ]
    accepted = a.client.post(
        f"/api/exchange/changes/{changes[0]['id']}/decide",
        json={"decision": "accept"},
        headers=clerk_b.headers,
    )
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["state"] == "accepted"
    received = a.client.get(f"/api/documents/{item['document_id']}", headers=clerk_b.headers).json
    assert received["status"] == "withdrawn"
    assert queue(a, clerk_b, "withdrawn")[0]["id"] == item["id"]
    [line] = deliveries(a, clerk, document)
    assert line["status_code"] == "15"
    # the register line stays (numbers have no gaps) and says why
    register = a.client.get(
        "/api/registers/incoming",
        query_string={
            "organisation_id": clerk_b.organisation_id,
            "year": int(received["created_at"][:4]),
        },
        headers=clerk_b.headers,
    ).json["items"]
    assert "Thu hồi theo đề nghị" in register[0]["note"]


def test_secret_documents_never_go_over_the_axis(installation_a, signing_env, app):
    a = installation_a
    signed_and_issued(a, send_to(a, BTC), secrecy="mat", expect=409)
    # the refusal changed nothing: the document is still waiting for its issue
    with app.app_context():
        assert session().scalar(select(OutboxMessage.id)) is None


def test_only_the_clerk_sends_and_an_unknown_recipient_is_refused(installation_a, signing_env):
    a = installation_a
    document = signed_and_issued(a, [{"directory_id": 999_999}], expect=422)
    assert (
        act(
            a.client, a["clerk"], document, "issue", send_to=[{"unit_id": 1, "directory_id": 2}]
        ).status_code
        == 422
    )
