"""Two installations, two databases, one development axis between them (HTTP, signed
headers): UBND tỉnh Nghệ An (installation A) sends a signed decision to Văn phòng Chính
phủ (installation B); B's clerk registers it, a leader assigns it, the department works
and completes it — and A sees 01, 03, 04, 05, 06 arrive. Then refusal (02), recall
(13 → 15, 13 → 16), update and replacement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.core.db import session
from backend.core.timeutil import VN_TZ, utcnow
from backend.notifications.models import Notification
from tests.exchange.conftest import (
    VPCP,
    Installation,
    deliveries,
    queue,
    received_detail,
    signed_and_issued,
)


def travel(a: Installation, b: Installation) -> None:
    """What the workers of both sides do in a minute: send, poll, answer, poll."""
    a.run_worker()
    b.poll()
    b.run_worker()
    a.poll()
    a.run_worker()


def line_of(a: Installation, document_id: int) -> dict:
    [line] = deliveries(a, a["clerk"], document_id)
    return line


def to_vpcp(a: Installation) -> list[dict]:
    return [{"directory_id": a.directory[VPCP]}]


def register(b: Installation, item: dict, **body) -> dict:
    _detail, etag = received_detail(b, b["clerk"], item["id"])
    r = b.client.post(
        f"/api/exchange/received/{item['id']}/register",
        json=body,
        headers={**b["clerk"].headers, "If-Match": etag},
    )
    assert r.status_code == 200, r.json
    return r.json


def deadline(days: int) -> str:
    return (utcnow().astimezone(VN_TZ).date() + timedelta(days=days)).isoformat()


def test_send_receive_and_every_processing_status_back(
    installation_a, installation_b, signing_env, axis
):
    a, b = installation_a, installation_b
    document = signed_and_issued(a, to_vpcp(a))
    a.run_worker()
    line = line_of(a, document)
    assert line["channel"] == "axis" and line["transport_state"] == "sent"
    assert line["status_code"] is None  # on the axis, not yet received
    report = a.client.get(
        "/api/exchange/sent",
        query_string={"organisation_id": a.organisation_id, "state": "not_received"},
        headers=a["clerk"].headers,
    ).json["items"]
    assert [d["document_id"] for d in report] == [document]

    b.poll()
    [item] = queue(b, b["clerk"])
    sent = a.client.get(f"/api/documents/{document}", headers=a["clerk"].headers).json
    assert item["sender"] == {"code": "000.00.00.H41", "name": "Ủy ban nhân dân tỉnh Nghệ An"}
    assert item["number_symbol"] == sent["number_symbol"]
    assert item["subject"] == sent["subject"]
    assert item["signatures_ok"] is True
    assert [f["kind"] for f in item["files"]] == ["main"]
    detail, _ = received_detail(b, b["clerk"], item["id"])
    assert detail["sender_document_id"].startswith("000.00.00.H41,")
    assert [s["signer"] for s in detail["validation"][0]["signatures"]] == [
        a["leader"].full_name,
        "Ủy ban nhân dân tỉnh Nghệ An",
    ]
    # the same PDF, byte for byte, on the other side
    mine = a.client.get(f"/api/documents/{document}/versions", headers=a["clerk"].headers).json
    theirs = b.client.get(
        f"/api/documents/{item['document_id']}/versions", headers=b["clerk"].headers
    ).json
    assert theirs[-1]["files"][0]["size"] == mine[-1]["files"][0]["size"]
    pdf_a = a.client.get(
        f"/api/documents/{document}/files/{mine[-1]['files'][0]['id']}", headers=a["clerk"].headers
    ).data
    pdf_b = b.client.get(
        f"/api/documents/{item['document_id']}/files/{theirs[-1]['files'][0]['id']}",
        headers=b["clerk"].headers,
    ).data
    assert pdf_a == pdf_b

    b.run_worker()  # status 01 leaves B
    a.poll()
    assert line_of(a, document)["status_code"] == "01"
    assert axis.axis.count("initial") == 0  # everything was acknowledged

    registered = register(b, item, send_to_user_id=b["leader"].id)
    assert registered["status"] == "registered"
    travel(a, b)
    line = line_of(a, document)
    assert line["status_code"] == "03"
    assert "vào sổ văn bản đến số 01" in line["status_description"]

    assigned = b.client.post(
        f"/api/documents/{item['document_id']}/assignments",
        json={
            "text": "Giao Vụ Kinh tế tổng hợp chủ trì, báo cáo Thủ tướng.",
            "lead": {"unit_id": b.units["KTTH"], "deadline": deadline(10)},
            "cooperating": [{"unit_id": b.units["TCCV"], "deadline": deadline(10)}],
        },
        headers={**b["leader"].headers, "If-Match": "*"},
    )
    assert assigned.status_code == 201, assigned.json
    travel(a, b)
    assert line_of(a, document)["status_code"] == "04"

    lead = next(x["id"] for x in assigned.json["assignments"] if x["role"] == "lead")
    progress = b.client.post(
        f"/api/assignments/{lead}/progress",
        json={"percent": 40, "note": "Đang tổng hợp ý kiến các bộ."},
        headers=b["head"].headers,
    )
    assert progress.status_code in (200, 201), progress.json
    travel(a, b)
    assert line_of(a, document)["status_code"] == "05"

    etag = b.client.get(f"/api/assignments/{lead}", headers=b["head"].headers).headers["ETag"]
    done = b.client.post(
        f"/api/assignments/{lead}/complete",
        json={"result": "Đã báo cáo Thủ tướng Chính phủ."},
        headers={**b["head"].headers, "If-Match": etag},
    )
    assert done.status_code == 200, done.json
    travel(a, b)
    line = line_of(a, document)
    assert line["status_code"] == "06"
    statuses = [h["status_code"] for h in line["history"] if h["kind"] == "status"]
    assert statuses == ["01", "03", "04", "05", "06"]
    # each status once, though the workers ran many times
    travel(a, b)
    assert len([h for h in line_of(a, document)["history"] if h["kind"] == "status"]) == 5
    report = a.client.get(
        "/api/exchange/sent",
        query_string={"organisation_id": a.organisation_id, "state": "not_received"},
        headers=a["clerk"].headers,
    ).json["items"]
    assert report == []


def test_refusal_over_the_axis_carries_the_reason(installation_a, installation_b, signing_env):
    a, b = installation_a, installation_b
    document = signed_and_issued(a, to_vpcp(a))
    a.run_worker()
    b.poll()
    [item] = queue(b, b["clerk"])
    _detail, etag = received_detail(b, b["clerk"], item["id"])
    refused = b.client.post(
        f"/api/exchange/received/{item['id']}/refuse",
        json={"reason": "Không thuộc thẩm quyền giải quyết của Văn phòng Chính phủ."},
        headers={**b["clerk"].headers, "If-Match": etag},
    )
    assert refused.status_code == 200, refused.json
    travel(a, b)
    line = line_of(a, document)
    assert line["status_code"] == "02"
    assert line["status_description"] == (
        "Từ chối tiếp nhận: Không thuộc thẩm quyền giải quyết của Văn phòng Chính phủ."
    )
    with a.app.app_context():
        told = set(
            session().scalars(
                select(Notification.user_id).where(
                    Notification.kind == "exchange.refused", Notification.document_id == document
                )
            )
        )
    assert told == {a["specialist"].id, a["clerk"].id}


def recall(a: Installation, document: int, reason: str):
    r = a.client.post(
        f"/api/documents/{document}/recall", json={"reason": reason}, headers=a["clerk"].headers
    )
    assert r.status_code == 202, r.json
    return r.json


def pending_change(b: Installation) -> dict:
    [change] = b.client.get(
        "/api/exchange/changes", query_string={"state": "pending"}, headers=b["clerk"].headers
    ).json
    return change


def decide(b: Installation, change: dict, decision: str, note: str = "") -> dict:
    r = b.client.post(
        f"/api/exchange/changes/{change['id']}/decide",
        json={"decision": decision, "note": note},
        headers=b["clerk"].headers,
    )
    assert r.status_code == 200, r.json
    return r.json


def test_recall_accepted_withdraws_the_document_and_its_work(
    installation_a, installation_b, signing_env
):
    a, b = installation_a, installation_b
    document = signed_and_issued(a, to_vpcp(a))
    travel(a, b)
    [item] = queue(b, b["clerk"])
    register(b, item, send_to_user_id=b["leader"].id)
    assigned = b.client.post(
        f"/api/documents/{item['document_id']}/assignments",
        json={
            "text": "Vụ KTTH xử lý.",
            "lead": {"unit_id": b.units["KTTH"], "deadline": deadline(5)},
        },
        headers={**b["leader"].headers, "If-Match": "*"},
    )
    assert assigned.status_code == 201
    travel(a, b)

    recall(a, document, "Văn bản ban hành sai thẩm quyền.")
    assert line_of(a, document)["status_code"] == "13"
    travel(a, b)
    change = pending_change(b)
    assert change["kind"] == "recall" and change["reason"] == "Văn bản ban hành sai thẩm quyền."
    # the clerk answers; 16 needs a reason
    missing = b.client.post(
        f"/api/exchange/changes/{change['id']}/decide",
        json={"decision": "refuse"},
        headers=b["clerk"].headers,
    )
    assert missing.status_code == 422
    decide(b, change, "accept")
    withdrawn = b.client.get(
        f"/api/documents/{item['document_id']}", headers=b["clerk"].headers
    ).json
    assert withdrawn["status"] == "withdrawn"
    work = b.client.get(
        "/api/assignments", query_string={"scope": "unit"}, headers=b["head"].headers
    ).json["items"]
    assert [w["state"] for w in work] == ["withdrawn"]
    travel(a, b)
    line = line_of(a, document)
    assert line["status_code"] == "15"
    assert [h["status_code"] for h in line["history"] if h["kind"] == "status"] == [
        "01",
        "03",
        "04",
        "13",
        "15",
    ]


def test_recall_refused_keeps_the_document(installation_a, installation_b, signing_env):
    a, b = installation_a, installation_b
    document = signed_and_issued(a, to_vpcp(a))
    travel(a, b)
    [item] = queue(b, b["clerk"])
    register(b, item)
    travel(a, b)
    recall(a, document, "Xin rút lại để chỉnh sửa.")
    travel(a, b)
    decide(b, pending_change(b), "refuse", "Văn bản đã được trình Thủ tướng, không thể rút lại.")
    kept = b.client.get(f"/api/documents/{item['document_id']}", headers=b["clerk"].headers).json
    assert kept["status"] == "registered"
    travel(a, b)
    line = line_of(a, document)
    assert line["status_code"] == "16"
    assert "không thể rút lại" in line["status_description"]


def test_update_becomes_a_new_version_when_accepted(installation_a, installation_b, signing_env):
    a, b = installation_a, installation_b
    document = signed_and_issued(a, to_vpcp(a))
    travel(a, b)
    [item] = queue(b, b["clerk"])
    register(b, item)
    travel(a, b)

    update = a.client.post(
        f"/api/documents/{document}/send-update",
        json={"reason": "Bổ sung nơi nhận và sửa lỗi chính tả."},
        headers=a["clerk"].headers,
    )
    assert update.status_code == 202, update.json
    travel(a, b)
    change = pending_change(b)
    assert change["kind"] == "update"
    assert change["reason"] == "Bổ sung nơi nhận và sửa lỗi chính tả."
    # an update is not a new document in the queue
    assert queue(b, b["clerk"]) == []
    decide(b, change, "accept")
    versions = b.client.get(
        f"/api/documents/{item['document_id']}/versions", headers=b["clerk"].headers
    ).json
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[-1]["note"].startswith("Cập nhật từ Ủy ban nhân dân tỉnh Nghệ An")
    travel(a, b)
    assert line_of(a, document)["status_code"] == "15"


def test_replacement_withdraws_the_old_one_and_queues_the_new(
    installation_a, installation_b, signing_env
):
    a, b = installation_a, installation_b
    old = signed_and_issued(a, to_vpcp(a), subject="Quyết định phê duyệt kế hoạch (bản cũ)")
    travel(a, b)
    [first] = queue(b, b["clerk"])
    register(b, first)
    travel(a, b)

    new = signed_and_issued(a, [], subject="Quyết định phê duyệt kế hoạch (thay thế)")
    replaced = a.client.post(
        f"/api/documents/{new}/replace",
        json={"replaces_document_id": old, "reason": "Thay thế do sai số liệu"},
        headers=a["clerk"].headers,
    )
    assert replaced.status_code == 202, replaced.json
    travel(a, b)
    [second] = queue(b, b["clerk"])
    assert second["subject"] == "Quyết định phê duyệt kế hoạch (thay thế)"
    assert second["business_type"] == 3
    change = pending_change(b)
    assert change["kind"] == "replace" and change["received_id"] == first["id"]
    decide(b, change, "accept")
    assert (
        b.client.get(f"/api/documents/{first['document_id']}", headers=b["clerk"].headers).json[
            "status"
        ]
        == "withdrawn"
    )
    register(b, second)
    travel(a, b)
    assert line_of(a, new)["status_code"] == "03"
    old_line = line_of(a, old)
    assert old_line["status_code"] == "15"
    assert "thay thế" in old_line["status_description"]


def test_a_demo_agency_answers_by_itself(installation_a, signing_env):
    a = installation_a
    from tests.exchange.conftest import BTC

    document = signed_and_issued(a, [{"directory_id": a.directory[BTC]}])
    a.run_worker()
    a.poll()
    line = line_of(a, document)
    assert [h["status_code"] for h in line["history"] if h["kind"] == "status"] == ["01", "03"]
