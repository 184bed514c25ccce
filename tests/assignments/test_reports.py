"""Processing reports and the dashboard against a scenario whose figures are worked out by
hand below (not by the code under test)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.assignments.helpers import (
    assign,
    complete,
    incoming_for_leader,
    roots_by_unit,
    sub_assign,
    vn,
)

NOVEMBER = "from=2026-11-01&to=2026-11-30"
FIGURES = [
    "received",
    "completed_on_time",
    "completed_late",
    "in_progress_on_time",
    "in_progress_overdue",
]


@pytest.fixture
def scenario(client, world, frozen_clock) -> dict[str, int]:
    """
    30/10  doc0: KT leads, due 03/11                      (October: outside November)
    02/11  doc1: KT leads, VX cooperates, both due 05/11
           doc2: KT leads, due 10/11; the head gives it to the specialist, due 09/11
           doc3: VX leads, due 06/11; KT kept informed (no deadline: not counted)
    04/11  KT completes doc1                               → KT completed on time
    07/11  VX completes its part of doc1 (05/11 ended)    → VX completed late
    08/11  the report: doc2 is within its deadline         → KT in progress on time
           doc3's deadline ended at 00:00 on 07/11         → VX in progress overdue
    """
    kt, vx = world.units["A.KT"], world.units["A.VX"]
    leader, head, head_vx = world["leader"], world["head"], world["head_vx"]
    frozen_clock(vn(2026, 10, 30, 9))
    doc0 = incoming_for_leader(client, world, "Về việc rà soát hồ sơ đất đai")
    assert assign(client, leader, doc0, (kt, "2026-11-03")).status_code == 201
    frozen_clock(vn(2026, 11, 2, 9))
    doc1 = incoming_for_leader(client, world, "Về việc báo cáo giải ngân vốn đầu tư công")
    doc2 = incoming_for_leader(client, world, "Về việc tổ chức hội nghị tổng kết")
    doc3 = incoming_for_leader(client, world, "Về việc phòng, chống thiên tai")
    one = roots_by_unit(assign(client, leader, doc1, (kt, "2026-11-05"), [(vx, "2026-11-05")]).json)
    two = roots_by_unit(assign(client, leader, doc2, (kt, "2026-11-10")).json)
    three = roots_by_unit(assign(client, leader, doc3, (vx, "2026-11-06"), fyi=[kt]).json)
    child = sub_assign(client, head, two[kt]["id"], world["specialist"], "2026-11-09")
    assert child.status_code == 201
    frozen_clock(vn(2026, 11, 4, 9))
    assert complete(client, head, one[kt]["id"]).status_code == 200
    frozen_clock(vn(2026, 11, 7, 9))
    assert complete(client, head_vx, one[vx]["id"]).status_code == 200
    frozen_clock(vn(2026, 11, 8, 9))
    return {
        "doc0": doc0,
        "doc1": doc1,
        "doc2": doc2,
        "doc3": doc3,
        "fyi": three[kt]["id"],
        "child": child.json[0]["id"],
    }


def figures(row: dict) -> list[int]:
    return [row[f] for f in FIGURES]


def test_report_per_unit(client, world, scenario):
    r = client.get(f"/api/reports/processing?{NOVEMBER}", headers=world["leader"].headers)
    assert r.status_code == 200, r.json
    rows = {row["unit_id"]: row for row in r.json["rows"]}
    assert figures(rows[world.units["A.KT"]]) == [2, 1, 0, 1, 0]
    assert figures(rows[world.units["A.VX"]]) == [2, 0, 1, 0, 1]
    assert figures(rows[world.units["A.VP"]]) == [0, 0, 0, 0, 0]
    assert figures(r.json["totals"]) == [4, 1, 1, 1, 1]
    assert r.json["from"] == "2026-11-01" and r.json["to"] == "2026-11-30"
    # with October: doc0 is KT's, still open, past its deadline
    r = client.get(
        "/api/reports/processing?from=2026-10-01&to=2026-11-30", headers=world["admin"].headers
    )
    rows = {row["unit_id"]: row for row in r.json["rows"]}
    assert figures(rows[world.units["A.KT"]]) == [3, 1, 0, 1, 1]


def test_report_per_person_and_drill_down(client, world, scenario):
    leader = world["leader"]
    r = client.get(f"/api/reports/processing?{NOVEMBER}&by=person", headers=leader.headers)
    assert r.status_code == 200
    assert [(row["full_name"], figures(row)) for row in r.json["rows"]] == [
        ("Đặng Văn Hùng", [1, 0, 0, 1, 0])
    ]
    vx = world.units["A.VX"]
    base = f"/api/reports/processing/documents?{NOVEMBER}&unit_id={vx}"
    late = client.get(f"{base}&bucket=completed_late", headers=leader.headers).json["items"]
    assert [i["document_id"] for i in late] == [scenario["doc1"]]
    assert late[0]["document"]["subject"] == "Về việc báo cáo giải ngân vốn đầu tư công"
    assert late[0]["timeliness"] == "late" and late[0]["role"] == "cooperate"
    overdue = client.get(f"{base}&bucket=in_progress_overdue", headers=leader.headers).json
    assert [i["document_id"] for i in overdue["items"]] == [scenario["doc3"]]
    received = client.get(f"{base}&bucket=received&limit=1", headers=leader.headers).json
    assert len(received["items"]) == 1 and received["next_cursor"]
    rest = client.get(
        f"{base}&bucket=received&limit=1&cursor={received['next_cursor']}", headers=leader.headers
    ).json
    assert {received["items"][0]["document_id"], rest["items"][0]["document_id"]} == {
        scenario["doc1"],
        scenario["doc3"],
    }
    person = client.get(
        f"/api/reports/processing/documents?{NOVEMBER}&user_id={world['specialist'].id}"
        "&bucket=in_progress_on_time",
        headers=leader.headers,
    ).json["items"]
    assert [i["document_id"] for i in person] == [scenario["doc2"]]
    # the admin reads the figures but not the documents it may not open
    items = client.get(f"{base}&bucket=completed_late", headers=world["admin"].headers).json[
        "items"
    ]
    assert items[0]["document_id"] == scenario["doc1"] and items[0]["document"] is None


def test_who_reads_reports(client, world, scenario):
    path = f"/api/reports/processing?{NOVEMBER}"
    head = client.get(path, headers=world["head"].headers)
    assert head.status_code == 200
    assert [row["unit_id"] for row in head.json["rows"]] == [world.units["A.KT"]]
    r = client.get(f"{path}&unit_id={world.units['A.VX']}", headers=world["head"].headers)
    assert r.status_code == 403
    for role in ("specialist", "clerk"):
        assert client.get(path, headers=world[role].headers).status_code == 403
    r = client.get(f"{path}&organisation_id={world.org_a}", headers=world["outsider"].headers)
    assert r.status_code == 404
    r = client.get(
        "/api/reports/processing?from=2026-11-30&to=2026-11-01", headers=world["leader"].headers
    )
    assert r.status_code == 422


def test_exports(client, world, scenario):
    leader = world["leader"]
    r = client.get(f"/api/reports/processing/export.csv?{NOVEMBER}", headers=leader.headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "Đơn vị,Tiếp nhận,Hoàn thành đúng hạn,Hoàn thành quá hạn,"
        "Đang xử lý trong hạn,Đang xử lý quá hạn"
    )
    assert "Phòng Kinh tế,2,1,0,1,0" in lines
    assert lines[-1] == "Tổng cộng,4,1,1,1,1"

    r = client.get(f"/api/reports/processing/export.xlsx?{NOVEMBER}", headers=leader.headers)
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == (
        "Đơn vị",
        "Tiếp nhận",
        "Hoàn thành đúng hạn",
        "Hoàn thành quá hạn",
        "Đang xử lý trong hạn",
        "Đang xử lý quá hạn",
    )
    assert ("Phòng Văn hóa - Xã hội", 2, 0, 1, 0, 1) in rows
    assert rows[-1] == ("Tổng cộng", 4, 1, 1, 1, 1)
    r = client.get(
        f"/api/reports/processing/export.xlsx?{NOVEMBER}&by=person", headers=leader.headers
    )
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert rows[1][:2] == ("Đơn vị", "Cán bộ")
    assert rows[2] == ("Phòng Kinh tế", "Đặng Văn Hùng", 1, 0, 0, 1, 0)


def test_dashboard(client, world, scenario, frozen_clock):
    """On 08/11: doc0's KT lead is overdue (03/11), doc2's KT lead open (10/11), the
    specialist's part open (09/11), KT's FYI on doc3 open (no deadline), doc3's VX lead
    overdue (06/11)."""

    def board(role: str) -> dict:
        r = client.get("/api/dashboard", headers=world[role].headers)
        assert r.status_code == 200, r.json
        return r.json

    specialist = board("specialist")
    assert specialist["mine"] == {"open": 1, "due_soon": 0, "overdue": 0}
    assert specialist["unit"] == {"open": 3, "due_soon": 0, "overdue": 1}
    assert specialist["late_units"] is None
    head = board("head")
    assert head["mine"] == {"open": 3, "due_soon": 0, "overdue": 1}
    assert head["assigned_by_me"] == {"open": 1, "late_documents": 0}
    leader = board("leader")
    assert leader["assigned_by_me"] == {"open": 4, "late_documents": 2}
    assert leader["late_units"] == [
        {"unit_id": world.units["A.KT"], "unit_name": "Phòng Kinh tế", "overdue": 1},
        {"unit_id": world.units["A.VX"], "unit_name": "Phòng Văn hóa - Xã hội", "overdue": 1},
    ]
    assert board("outsider")["mine"] == {"open": 0, "due_soon": 0, "overdue": 0}
    # 09/11 09:00: the specialist's part ends at midnight tonight
    frozen_clock(vn(2026, 11, 9, 9))
    assert board("specialist")["mine"] == {"open": 1, "due_soon": 1, "overdue": 0}
    # 10/11: it is overdue, and so is the document the head assigned it from
    frozen_clock(vn(2026, 11, 10, 9))
    assert board("specialist")["mine"] == {"open": 1, "due_soon": 0, "overdue": 1}
    assert board("head")["assigned_by_me"] == {"open": 1, "late_documents": 1}


def test_dashboard_counts_documents_issued_this_month(client, world, frozen_clock):
    """Leaders and administrators see how many documents the agency issued this month
    (Vietnam time): a document issued on 30 November counts in November, not December."""
    from tests.conftest import act, set_route, standard_route, upload_document

    def issued(role: str):
        r = client.get("/api/dashboard", headers=world[role].headers)
        assert r.status_code == 200, r.json
        return r.json["issued_this_month"]

    # 30/11 23:00 in Hà Nội (16:00 UTC)
    frozen_clock(vn(2026, 11, 30, 23))
    assert issued("leader") == 0
    doc = upload_document(client, world["specialist"]).json["id"]
    assert set_route(client, world["specialist"], doc, standard_route(world)).status_code == 200
    for person, action in [
        ("specialist", "submit"),
        ("head", "approve"),
        ("leader", "approve"),
        ("clerk", "issue"),
    ]:
        assert act(client, world[person], doc, action).status_code == 200, action
    assert issued("leader") == 1 and issued("admin") == 1
    assert issued("specialist") is None and issued("head") is None
    assert issued("outsider_admin") == 0  # another agency's
    frozen_clock(vn(2026, 12, 1, 1))
    assert issued("leader") == 0
