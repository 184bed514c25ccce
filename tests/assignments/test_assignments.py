"""Phiếu giải quyết end to end: an incoming document registered, assigned to a lead unit,
a cooperating unit and a unit kept informed, sub-assigned, reported on, extended,
completed with a reply draft; deadlines, reminders and who sees what."""

from __future__ import annotations

import io

from sqlalchemy import select

from backend.core.db import session
from backend.notifications.models import Notification
from tests.assignments.helpers import (
    add_head,
    assign,
    complete,
    get_assignment,
    incoming_for_leader,
    roots_by_unit,
    sub_assign,
    vn,
)
from tests.conftest import etag_of, run_periodic, upload_document


def kinds_for(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            session().scalars(
                select(Notification.kind)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        )


def test_incoming_round_trip(app, client, world, frozen_clock):
    chief = add_head(client, world, "A.VP", "chanh.vp")  # signs in before the clock is frozen
    frozen_clock(vn(2026, 11, 23, 9))
    kt, vx, vp = world.units["A.KT"], world.units["A.VX"], world.units["A.VP"]
    head, specialist, leader, clerk = (
        world["head"],
        world["specialist"],
        world["leader"],
        world["clerk"],
    )
    doc = incoming_for_leader(client, world)

    # -- the leader's phiếu giải quyết ---------------------------------------------------------
    r = assign(client, leader, doc, (kt, "2026-11-30"), [(vx, "2026-11-28")], [vp])
    assert r.status_code == 201, r.json
    roots = roots_by_unit(r.json)
    assert [a["role"] for a in r.json["assignments"]] == ["lead", "cooperate", "fyi"]
    assert roots[kt]["deadline"] == "2026-11-30" and roots[vx]["deadline"] == "2026-11-28"
    assert roots[vp]["deadline"] is None
    assert r.json["processing"]["state"] == "new"
    assert r.json["processing"]["lead_unit"]["id"] == kt
    lead, coop = roots[kt]["id"], roots[vx]["id"]
    # the instruction is on the timeline; the heads were told and can open the document
    timeline = client.get(f"/api/documents/{doc}/timeline", headers=head.headers)
    assert timeline.status_code == 200
    assert any(e["kind"] == "instruction" for e in timeline.json)
    assert "assignment.assigned" in kinds_for(app, head.id)
    assert "assignment.assigned" in kinds_for(app, world["head_vx"].id)
    assert "document.instruction" in kinds_for(app, clerk.id)
    # a second phiếu for the same document is refused; so is a document still a draft
    again = assign(client, leader, doc, (kt, "2026-11-30"))
    assert again.status_code == 409 and again.json["code"] == "already-assigned"
    # the leader follows it (watcher)
    following = client.get("/api/inbox/following", headers=leader.headers).json["items"]
    assert doc in [i["document"]["id"] for i in following]

    # -- the head of KT gives the work to a specialist -----------------------------------------
    too_late = sub_assign(client, head, lead, specialist, "2026-12-01")
    assert too_late.status_code == 422
    r = sub_assign(client, head, lead, specialist, "2026-11-27")
    assert r.status_code == 201, r.json
    child = r.json[0]["id"]
    assert r.json[0]["parent_id"] == lead and r.json[0]["assignee"]["id"] == specialist.id
    assert get_assignment(client, head, lead).json["state"] == "in_progress"
    assert "assignment.assigned" in kinds_for(app, specialist.id)
    # a specialist cannot sub-assign
    r = sub_assign(client, specialist, lead, specialist, "2026-11-27")
    assert r.status_code == 403

    # -- progress ----------------------------------------------------------------------------
    frozen_clock(vn(2026, 11, 24, 10))
    r = client.post(
        f"/api/assignments/{child}/progress",
        json={"percent": 40, "note": "Đã tổng hợp số liệu."},
        headers=specialist.headers,
    )
    assert r.status_code == 201, r.json
    assert r.json["state"] == "in_progress" and r.json["progress"] == 40
    assert r.json["progress_reports"][0]["note"] == "Đã tổng hợp số liệu."
    bad = client.post(
        f"/api/assignments/{child}/progress", json={"percent": 140}, headers=specialist.headers
    )
    assert bad.status_code == 422

    # -- an extension, asked and accepted ------------------------------------------------------
    r = client.post(
        f"/api/assignments/{child}/extensions",
        json={"deadline": "2026-11-29", "reason": "Chờ số liệu của các xã."},
        headers=specialist.headers,
    )
    assert r.status_code == 201, r.json
    extension = r.json["extensions"][0]
    assert extension["status"] == "pending" and extension["old_deadline"] == "2026-11-27"
    beyond = client.post(
        f"/api/assignments/{child}/extensions",
        json={"deadline": "2026-12-05", "reason": "Thêm thời gian."},
        headers=specialist.headers,
    )
    assert beyond.status_code == 422  # later than the unit's own deadline
    assert "assignment.extension_requested" in kinds_for(app, head.id)
    decide = f"/api/assignments/{child}/extensions/{extension['id']}/decide"
    r = client.post(decide, json={"decision": "accept"}, headers=specialist.headers)
    assert r.status_code in (403, 428)
    r = client.post(decide, json={"decision": "accept"}, headers=head.headers)
    assert r.status_code == 428  # If-Match
    stale = client.post(
        decide, json={"decision": "accept"}, headers={**head.headers, "If-Match": '"a1-0"'}
    )
    assert stale.status_code == 412
    etag = get_assignment(client, head, child).headers["ETag"]
    r = client.post(
        decide,
        json={"decision": "accept", "note": "Đồng ý."},
        headers={**head.headers, "If-Match": etag},
    )
    assert r.status_code == 200, r.json
    assert r.json["deadline"] == "2026-11-29" and r.json["original_deadline"] == "2026-11-27"
    assert r.json["extensions"][0]["status"] == "accepted"
    assert r.json["extensions"][0]["decided_by"]["id"] == head.id
    assert "assignment.extension_decided" in kinds_for(app, specialist.id)

    # -- the lead unit cannot complete while its person works --------------------------------
    r = complete(client, head, lead)
    assert r.status_code == 409 and r.json["code"] == "open-sub-assignments"

    # -- completion with a reply draft -------------------------------------------------------
    frozen_clock(vn(2026, 11, 26, 15))
    reply = upload_document(client, specialist, subject="Về việc báo cáo tình hình thực hiện")
    assert reply.status_code == 201
    reply_id = reply.json["id"]
    r = complete(
        client, specialist, child, "Đã dự thảo công văn trả lời.", reply_document_id=reply_id
    )
    assert r.status_code == 200, r.json
    assert r.json["state"] == "completed" and r.json["timeliness"] == "on_time"
    assert r.json["reply_document_id"] == reply_id
    assert r.json["reply_document"]["subject"] == "Về việc báo cáo tình hình thực hiện"
    # the reply must be an outgoing document the completer can open
    other = upload_document(client, world["specialist_vx"]).json["id"]
    r = complete(client, head, lead, reply_document_id=other)
    assert r.status_code == 422

    # cooperating unit completes (recorded; the processing goes on)
    r = complete(client, world["head_vx"], coop, "Đã gửi số liệu phối hợp.")
    assert r.status_code == 200 and r.json["state"] == "completed"
    tree = client.get(f"/api/documents/{doc}/assignments", headers=leader.headers).json
    assert tree["processing"]["state"] == "in_progress"

    # FYI: acknowledged by the unit's head (not by the leader; it has nothing to complete)
    fyi = roots_by_unit(tree)[vp]["id"]
    r = client.post(f"/api/assignments/{fyi}/acknowledge", headers=leader.headers)
    assert r.status_code == 403
    assert complete(client, chief, fyi).status_code == 409
    r = client.post(f"/api/assignments/{fyi}/acknowledge", headers=chief.headers)
    assert r.status_code == 200 and r.json["state"] == "completed"

    # -- the lead's completion completes the document's processing ---------------------------
    r = complete(client, head, lead, "Đã trình văn bản trả lời.", reply_document_id=reply_id)
    assert r.status_code == 200, r.json
    tree = client.get(f"/api/documents/{doc}/assignments", headers=clerk.headers)
    assert tree.status_code == 200  # the sender inside the agency follows it
    processing = tree.json["processing"]
    assert processing["state"] == "completed" and processing["timeliness"] == "on_time"
    assert processing["completed_at"].startswith("2026-11-26T15:00:00+07:00")
    lead_node = roots_by_unit(tree.json)[kt]
    assert lead_node["children"] == []  # who in the unit did it is the unit's business
    assert lead_node["reply_document_id"] == reply_id
    assert lead_node["reply_document"] is None  # the clerk may not open the draft
    tree = client.get(f"/api/documents/{doc}/assignments", headers=leader.headers).json
    assert roots_by_unit(tree)[kt]["children"][0]["result"] == "Đã dự thảo công văn trả lời."
    assert "assignment.completed" in kinds_for(app, leader.id)
    assert "assignment.completed" in kinds_for(app, clerk.id)
    # completed is final
    r = client.post(f"/api/assignments/{lead}/progress", json={"percent": 10}, headers=head.headers)
    assert r.status_code == 409


def test_assign_rules(client, world, frozen_clock):
    frozen_clock(vn(2026, 11, 23, 9))
    kt, vx = world.units["A.KT"], world.units["A.VX"]
    doc = incoming_for_leader(client, world)
    leader = world["leader"]
    # past deadline, repeated unit, missing deadline, another organisation's unit
    assert assign(client, leader, doc, (kt, "2026-11-20")).status_code == 422
    assert assign(client, leader, doc, (kt, "2026-11-30"), [(kt, "2026-11-30")]).status_code == 422
    assert assign(client, leader, doc, (world.units["B.TH"], "2026-11-30")).status_code == 422
    r = client.post(
        f"/api/documents/{doc}/assignments",
        json={"text": "Giao.", "lead": {"unit_id": kt}},
        headers={**leader.headers, "If-Match": etag_of(client, leader, doc)},
    )
    assert r.status_code == 422
    # If-Match is required, and must be current
    r = client.post(
        f"/api/documents/{doc}/assignments",
        json={"text": "Giao.", "lead": {"unit_id": kt, "deadline": "2026-11-30"}},
        headers=leader.headers,
    )
    assert r.status_code == 428
    # a unit without a head cannot receive work
    r = assign(client, leader, doc, (world.units["A.VP"], "2026-11-30"))
    assert r.status_code == 409 and r.json["code"] == "unit-without-head"
    # a draft cannot be assigned
    draft = upload_document(client, world["head"]).json["id"]
    r = assign(client, world["head"], draft, (kt, "2026-11-30"))
    assert r.status_code == 409 and r.json["code"] == "invalid-transition"
    # idempotent retry: the same key replays the answer, nothing is assigned twice
    key = {"Idempotency-Key": "phieu-1"}
    body = {
        "text": "Giao Phòng Văn hóa - Xã hội chủ trì.",
        "lead": {"unit_id": vx, "deadline": "2026-11-30"},
    }
    headers = {**leader.headers, "If-Match": etag_of(client, leader, doc), **key}
    first = client.post(f"/api/documents/{doc}/assignments", json=body, headers=headers)
    second = client.post(f"/api/documents/{doc}/assignments", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    tree = client.get(f"/api/documents/{doc}/assignments", headers=leader.headers).json
    assert len(tree["assignments"]) == 1


def test_deadlines_overdue_and_reminders(app, client, world, frozen_clock):
    frozen_clock(vn(2026, 11, 23, 9))
    kt = world.units["A.KT"]
    head, specialist = world["head"], world["specialist"]
    doc = incoming_for_leader(client, world)
    lead = roots_by_unit(assign(client, world["leader"], doc, (kt, "2026-11-25")).json)[kt]["id"]
    child = sub_assign(client, head, lead, specialist, "2026-11-24").json[0]["id"]

    run_periodic(app, "reminders")
    assert "assignment.due_soon" not in kinds_for(app, specialist.id)

    # 24 h before the end of 24/11 (midnight, Vietnam time): due soon, once
    frozen_clock(vn(2026, 11, 24, 8))
    run_periodic(app, "reminders")
    run_periodic(app, "reminders")
    assert kinds_for(app, specialist.id).count("assignment.due_soon") == 1
    a = get_assignment(client, specialist, child).json
    assert a["timeliness"] == "on_time" and a["overdue"] is False
    mine = client.get("/api/assignments?scope=mine&overdue=true", headers=specialist.headers)
    assert mine.json["items"] == []

    # 25/11 00:00 Vietnam time: the specialist's part is overdue
    frozen_clock(vn(2026, 11, 25, 0))
    run_periodic(app, "reminders")
    run_periodic(app, "reminders")
    assert kinds_for(app, specialist.id).count("assignment.overdue") == 1
    assert kinds_for(app, head.id).count("assignment.due_soon") == 1  # the unit's: 25/11
    a = get_assignment(client, specialist, child).json
    assert a["timeliness"] == "late" and a["overdue"] is True
    mine = client.get("/api/assignments?scope=mine&overdue=true", headers=specialist.headers)
    assert [i["id"] for i in mine.json["items"]] == [child]
    assert mine.json["items"][0]["document"]["id"] == doc
    unit = client.get("/api/assignments?scope=unit&overdue=false", headers=head.headers)
    assert [i["id"] for i in unit.json["items"]] == [lead]

    # completed late stays late; a moved deadline is reminded again
    r = complete(client, specialist, child)
    assert r.json["state"] == "completed" and r.json["timeliness"] == "late"
    frozen_clock(vn(2026, 11, 26, 9))
    run_periodic(app, "reminders")
    assert kinds_for(app, head.id).count("assignment.overdue") == 1
    r = client.post(
        f"/api/assignments/{lead}/extensions",
        json={"deadline": "2026-11-30", "reason": "Chờ ý kiến Sở Tài chính."},
        headers=head.headers,
    )
    ext = r.json["extensions"][0]["id"]
    leader = world["leader"]
    r = client.post(
        f"/api/assignments/{lead}/extensions/{ext}/decide",
        json={"decision": "accept"},
        headers={
            **leader.headers,
            "If-Match": get_assignment(client, leader, lead).headers["ETag"],
        },
    )
    assert r.status_code == 200 and r.json["overdue"] is False
    frozen_clock(vn(2026, 12, 1, 0))
    run_periodic(app, "reminders")
    assert kinds_for(app, head.id).count("assignment.overdue") == 2
    # the leader's list of what they assigned (following)
    mine = client.get("/api/assignments?scope=assigned_by_me", headers=leader.headers).json
    assert [i["id"] for i in mine["items"]] == [lead]


def test_refused_extension_keeps_the_deadline(client, world, frozen_clock):
    frozen_clock(vn(2026, 11, 23, 9))
    kt = world.units["A.KT"]
    head, leader = world["head"], world["leader"]
    doc = incoming_for_leader(client, world)
    lead = roots_by_unit(assign(client, leader, doc, (kt, "2026-11-25")).json)[kt]["id"]
    ext = client.post(
        f"/api/assignments/{lead}/extensions",
        json={"deadline": "2026-11-30", "reason": "Nhiều việc."},
        headers=head.headers,
    ).json["extensions"][0]["id"]
    again = client.post(
        f"/api/assignments/{lead}/extensions",
        json={"deadline": "2026-11-29", "reason": "Nhiều việc."},
        headers=head.headers,
    )
    assert again.status_code == 409 and again.json["code"] == "extension-pending"
    path = f"/api/assignments/{lead}/extensions/{ext}/decide"
    # the unit's head may not decide on the unit's own deadline
    r = client.post(path, json={"decision": "accept"}, headers={**head.headers, "If-Match": "*"})
    assert r.status_code == 403
    r = client.post(
        path,
        json={"decision": "refuse", "note": "Đề nghị hoàn thành đúng hạn."},
        headers={**leader.headers, "If-Match": "*"},
    )
    assert r.status_code == 200
    assert r.json["deadline"] == "2026-11-25" and r.json["extensions"][0]["status"] == "refused"
    r = client.post(path, json={"decision": "accept"}, headers={**leader.headers, "If-Match": "*"})
    assert r.status_code == 409


def test_visibility(client, world, frozen_clock):
    frozen_clock(vn(2026, 11, 23, 9))
    kt, vx = world.units["A.KT"], world.units["A.VX"]
    doc = incoming_for_leader(client, world)
    roots = roots_by_unit(
        assign(client, world["leader"], doc, (kt, "2026-11-30"), [(vx, "2026-11-30")]).json
    )
    kt_child = sub_assign(client, world["head"], roots[kt]["id"], world["specialist"], "2026-11-28")
    kt_child = kt_child.json[0]["id"]
    vx_child = sub_assign(
        client, world["head_vx"], roots[vx]["id"], world["specialist_vx"], "2026-11-28"
    ).json[0]["id"]

    # another organisation: nothing exists
    outsider = world["outsider"]
    assert (
        client.get(f"/api/documents/{doc}/assignments", headers=outsider.headers).status_code == 404
    )
    assert get_assignment(client, outsider, roots[kt]["id"]).status_code == 404
    assert client.get("/api/assignments?scope=unit", headers=outsider.headers).json["items"] == []
    r = client.post(
        f"/api/assignments/{kt_child}/progress", json={"percent": 5}, headers=outsider.headers
    )
    assert r.status_code == 404

    # a specialist of VX sees the document's units, not who in KT does what
    svx = world["specialist_vx"]
    tree = client.get(f"/api/documents/{doc}/assignments", headers=svx.headers).json
    by_unit = roots_by_unit(tree)
    assert by_unit[kt]["children"] == []
    assert [c["id"] for c in by_unit[vx]["children"]] == [vx_child]
    assert get_assignment(client, svx, kt_child).status_code == 404
    assert get_assignment(client, svx, roots[kt]["id"]).status_code == 200
    listed = client.get("/api/assignments?scope=unit", headers=svx.headers).json["items"]
    assert {i["unit"]["id"] for i in listed} == {vx}
    r = client.get(f"/api/assignments?scope=unit&unit_id={kt}", headers=svx.headers)
    assert r.status_code == 403
    # ... and may not report on KT's work
    r = client.post(
        f"/api/assignments/{roots[kt]['id']}/progress", json={"percent": 5}, headers=svx.headers
    )
    assert r.status_code == 403
    # the leader sees the whole tree
    tree = client.get(f"/api/documents/{doc}/assignments", headers=world["leader"].headers).json
    assert [c["id"] for c in roots_by_unit(tree)[kt]["children"]] == [kt_child]


def test_progress_reports_carry_files(client, world, app):
    from tests.conftest import count_rows, make_pdf

    leader, head = world["leader"], world["head"]
    doc = incoming_for_leader(client, world)
    r = assign(client, leader, doc, (world.units["A.KT"], "2026-12-31"))
    assert r.status_code == 201, r.json
    lead = roots_by_unit(r.json)[world.units["A.KT"]]["id"]
    r = client.post(
        f"/api/assignments/{lead}/progress",
        json={"percent": 30, "note": "Gửi kèm dự thảo báo cáo."},
        headers=head.headers,
    )
    assert r.status_code == 201, r.json
    progress = r.json["progress_reports"][0]["id"]

    def attach(person, files):
        return client.post(
            f"/api/assignments/{lead}/progress/{progress}/files",
            data={"files": [(io.BytesIO(data), name) for data, name in files]},
            headers=person.headers,
            content_type="multipart/form-data",
        )

    report = make_pdf(2)
    r = attach(head, [(report, "du-thao-bao-cao.pdf")])
    assert r.status_code == 201, r.json
    [file] = r.json["progress_reports"][0]["files"]
    assert file["filename"] == "du-thao-bao-cao.pdf" and file["size"] == len(report)
    got = client.get(f"/api/assignments/{lead}/progress-files/{file['id']}", headers=leader.headers)
    assert got.status_code == 200 and got.data == report
    # not a PDF or office file: refused, nothing stored
    rows = count_rows(app, "assignment_progress_files")
    r = attach(head, [(b"MZ\x90\x00 an executable", "virus.exe")])
    assert r.status_code == 422
    assert count_rows(app, "assignment_progress_files") == rows
    # a photo from the phone's camera (issue 14: progress with files or photos)
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    photo = buf.getvalue()
    r = attach(head, [(photo, "hien-truong.jpg")])
    assert r.status_code == 201, r.json
    shot = next(f for f in r.json["progress_reports"][0]["files"] if f["filename"].endswith("jpg"))
    assert shot["content_type"] == "image/jpeg"
    got = client.get(f"/api/assignments/{lead}/progress-files/{shot['id']}", headers=leader.headers)
    assert got.status_code == 200 and got.data == photo
    assert got.headers["Content-Type"].startswith("image/jpeg")
    # ... but a document's attachments stay PDF or office files
    from tests.conftest import upload_document

    r = upload_document(client, world["specialist"], attachments=[(photo, "anh.jpg")])
    assert r.status_code == 422 and r.json["code"] == "file-type-not-allowed"
    # a PDF cut short: refused like a document's file
    rows = count_rows(app, "assignment_progress_files")
    r = attach(head, [(report[: len(report) // 2], "cut.pdf")])
    assert r.status_code == 422 and r.json["code"] == "pdf-broken"
    assert count_rows(app, "assignment_progress_files") == rows
    # only whoever answers for the assignment attaches; another org sees nothing
    assert attach(world["specialist_vx"], [(report, "x.pdf")]).status_code in (403, 404)
    outsider = client.get(
        f"/api/assignments/{lead}/progress-files/{file['id']}", headers=world["outsider"].headers
    )
    assert outsider.status_code == 404
