"""Legal numbering (01 from 1 January, no gaps, no duplicates, secret series apart) and
the outgoing/incoming registers with their CSV export."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime

from tests.conftest import act, count_rows, set_route, upload_document


def at_issue_step(client, world, **meta) -> int:
    doc = upload_document(client, world["specialist"], **meta).json["id"]
    steps = [
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
        {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
    ]
    assert set_route(client, world["specialist"], doc, steps).status_code == 200
    assert act(client, world["specialist"], doc, "submit").status_code == 200
    assert act(client, world["leader"], doc, "approve").status_code == 200
    return doc


def register(client, world, direction, year, person="clerk", series="normal"):
    return client.get(
        f"/api/registers/{direction}?organisation_id={world.org_a}&year={year}&series={series}",
        headers=world[person].headers,
    )


def test_twenty_concurrent_issuers_get_twenty_consecutive_numbers(app, client, world):
    docs = [at_issue_step(client, world) for _ in range(20)]
    results: dict[int, dict] = {}
    barrier = threading.Barrier(len(docs))

    def issue(doc: int) -> None:
        c = app.test_client()
        from tests.conftest import etag_of

        etag = etag_of(c, world["clerk"], doc)
        barrier.wait()
        response = act(c, world["clerk"], doc, "issue", etag=etag)
        results[doc] = {"status": response.status_code, "body": response.json}

    threads = [threading.Thread(target=issue, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r["status"] == 200 for r in results.values()), results
    numbers = sorted(int(r["body"]["number_symbol"].split("/")[0]) for r in results.values())
    assert numbers == list(range(1, 21))
    entries = register(client, world, "outgoing", datetime.now(UTC).year).json["items"]
    assert [e["number"] for e in entries] == list(range(1, 21))
    assert {e["document_id"] for e in entries} == set(docs)


def test_numbers_restart_at_01_on_the_first_of_january_vietnam_time(client, world, frozen_clock):
    first, second, third = (at_issue_step(client, world) for _ in range(3))
    frozen_clock(datetime(2026, 12, 31, 16, 59, tzinfo=UTC))  # 23:59 on 31/12 in Hà Nội
    assert act(client, world["clerk"], first, "issue").json["number_symbol"] == "01/UBND-KT"
    frozen_clock(datetime(2026, 12, 31, 17, 0, 30, tzinfo=UTC))  # 00:00:30 on 1/1/2027
    assert act(client, world["clerk"], second, "issue").json["number_symbol"] == "01/UBND-KT"
    assert act(client, world["clerk"], third, "issue").json["number_symbol"] == "02/UBND-KT"
    assert [e["number"] for e in register(client, world, "outgoing", 2026).json["items"]] == [1]
    new_year = register(client, world, "outgoing", 2027).json["items"]
    assert [e["number"] for e in new_year] == [1, 2]
    assert new_year[0]["document_date"] == "2027-01-01"


def test_secret_documents_have_their_own_series_and_register(client, world):
    year = datetime.now(UTC).year
    normal = at_issue_step(client, world)
    secret = at_issue_step(client, world, secrecy="mat")
    act(client, world["clerk"], normal, "issue")
    r = act(client, world["clerk"], secret, "issue")
    assert r.json["number_symbol"] == "01/UBND-KT"
    assert [e["document_id"] for e in register(client, world, "outgoing", year).json["items"]] == [
        normal
    ]
    secret_register = register(client, world, "outgoing", year, series="secret")
    assert [e["document_id"] for e in secret_register.json["items"]] == [secret]
    assert (
        register(client, world, "outgoing", year, person="leader", series="secret").status_code
        == 200
    )
    assert register(client, world, "outgoing", year, person="admin").status_code == 200
    assert (
        register(client, world, "outgoing", year, person="admin", series="secret").status_code
        == 403
    )
    assert register(client, world, "outgoing", year, person="head").status_code == 403
    assert register(client, world, "outgoing", year, person="outsider").status_code == 404


def test_outgoing_register_csv_has_the_legal_columns(client, world):
    doc = at_issue_step(client, world, subject="Về việc tổ chức Hội nghị tổng kết năm 2026")
    act(client, world["clerk"], doc, "issue", recipients="Các sở, ban, ngành", copies=12)
    year = datetime.now(UTC).year
    r = client.get(
        f"/api/registers/outgoing/export.csv?organisation_id={world.org_a}&year={year}",
        headers=world["clerk"].headers,
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert f"so-van-ban-di-{year}.csv" in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Số, ký hiệu văn bản",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung",
        "Người ký",
        "Nơi nhận văn bản",
        "Đơn vị, người nhận bản lưu",
        "Số lượng bản",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]
    assert rows[1][0] == "01/UBND-KT"
    assert rows[1][2] == "Công văn: Về việc tổ chức Hội nghị tổng kết năm 2026"
    assert rows[1][3] == "Lê Thị Hồng Hạnh"
    assert rows[1][4] == "Các sở, ban, ngành" and rows[1][5] == "Phòng Kinh tế"
    assert rows[1][6] == "12"


def incoming(client, world, **meta) -> int:
    response = upload_document(client, world["clerk"], direction="incoming", **meta)
    assert response.status_code == 201, response.json
    return response.json["id"]


def register_incoming(client, world, doc, **overrides):
    body = {
        "sender_name": "Bộ Nội vụ",
        "sender_code": "000.00.00.G09",
        "number_symbol": "15/BNV-VP",
        "document_date": "2026-11-20",
        "recipients": "Văn phòng UBND tỉnh",
        **overrides,
    }
    return act(client, world["clerk"], doc, "register-incoming", **body)


def test_incoming_numbers_and_duplicate_alerts(client, world):
    first, copy, other = incoming(client, world), incoming(client, world), incoming(client, world)
    r = register_incoming(client, world, first)
    assert r.status_code == 200 and r.json["incoming_number"] == 1
    assert r.json["document"]["status"] == "registered"

    r = register_incoming(client, world, copy, number_symbol="15/bnv-vp ")
    assert r.status_code == 409 and r.json["code"] == "duplicate-incoming"
    assert r.json["duplicates"][0]["document_id"] == first
    r = register_incoming(client, world, other, number_symbol="16/BNV-VP")
    assert r.status_code == 200 and r.json["incoming_number"] == 2  # no gap left by the refusal
    r = register_incoming(client, world, copy, number_symbol="15/BNV-VP", accept_duplicate=True)
    assert r.status_code == 200 and r.json["incoming_number"] == 3

    year = datetime.now(UTC).year
    rows = register(client, world, "incoming", year).json["items"]
    assert [(e["number"], e["sender_name"], e["number_symbol"]) for e in rows] == [
        (1, "Bộ Nội vụ", "15/BNV-VP"),
        (2, "Bộ Nội vụ", "16/BNV-VP"),
        (3, "Bộ Nội vụ", "15/BNV-VP"),
    ]
    r = register_incoming(client, world, first)
    assert r.status_code == 409 and r.json["current_state"] == "registered"
    csv_text = client.get(
        f"/api/registers/incoming/export.csv?organisation_id={world.org_a}&year={year}",
        headers=world["clerk"].headers,
    ).data.decode("utf-8")
    header = next(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert header[:4] == ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu"]


def test_only_the_clerk_registers_incoming(client, world):
    doc = incoming(client, world)
    r = client.post(
        f"/api/documents/{doc}/register-incoming",
        json={
            "sender_name": "Bộ Tài chính",
            "number_symbol": "1/BTC",
            "document_date": "2026-11-01",
        },
        headers={**world["specialist"].headers, "If-Match": "*"},
    )
    assert r.status_code == 404  # not visible to them at all
    r = register_incoming(client, world, doc, document_date="not-a-date")
    assert r.status_code == 422 and "document_date" in r.json["errors"]


def test_registered_incoming_goes_to_the_leader_for_an_instruction(client, world, app):
    doc = incoming(client, world)
    leader = world["chairman"]
    assert client.get(f"/api/documents/{doc}", headers=leader.headers).status_code == 404
    r = register_incoming(client, world, doc, send_to_user_id=world["specialist"].id)
    assert r.status_code == 422 and "send_to_user_id" in r.json["errors"]
    assert count_rows(app, "register_entries") == 0  # nothing half-written
    r = register_incoming(client, world, doc, send_to_user_id=leader.id)
    assert r.status_code == 200, r.json
    assert client.get(f"/api/documents/{doc}", headers=leader.headers).status_code == 200
    kinds = [
        n["kind"] for n in client.get("/api/notifications", headers=leader.headers).json["items"]
    ]
    assert "incoming.to_instruct" in kinds
    r = client.post(
        f"/api/documents/{doc}/instructions",
        json={"text": "Giao Phòng Kinh tế chủ trì, báo cáo trước ngày 30/11."},
        headers=leader.headers,
    )
    assert r.status_code == 201


def test_issue_preview_shows_the_next_number_without_taking_it(client, world):
    """Issue 14, the clerk's issue screen: the number issuing would give, the date, the
    signer; nothing is taken until the issue itself; only the clerk whose step waits."""
    first = at_issue_step(client, world, subject="Về việc A")
    second = at_issue_step(client, world, subject="Về việc B")
    clerk = world["clerk"]
    preview = client.get(f"/api/documents/{first}/issue-preview", headers=clerk.headers)
    assert preview.status_code == 200, preview.json
    body = preview.json
    assert body["number"] == 1 and body["number_symbol"] == "01/UBND-KT"
    assert body["signer_name"] == "Lê Thị Hồng Hạnh" and body["seal"] is False
    assert body["series"] == "normal" and body["year"] == datetime.now(UTC).year
    again = client.get(f"/api/documents/{second}/issue-preview", headers=clerk.headers).json
    assert again["number"] == 1  # a preview takes nothing
    assert act(client, clerk, second, "issue").json["number_symbol"] == "01/UBND-KT"
    after = client.get(f"/api/documents/{first}/issue-preview", headers=clerk.headers).json
    assert after["number_symbol"] == "02/UBND-KT"
    # not the clerk's step: 403; issued already: 409
    r = client.get(f"/api/documents/{first}/issue-preview", headers=world["leader"].headers)
    assert r.status_code == 403
    r = client.get(f"/api/documents/{second}/issue-preview", headers=clerk.headers)
    assert r.status_code == 409


def test_register_filter_finds_number_subject_or_sender(client, world):
    year = datetime.now(UTC).year
    for subject in ("Về việc phòng chống bão", "Về việc tổ chức hội nghị"):
        doc = at_issue_step(client, world, subject=subject)
        issued = act(client, world["clerk"], doc, "issue", recipients="Sở Tài chính")
        assert issued.status_code == 200

    def found(q: str) -> list[str]:
        r = client.get(
            f"/api/registers/outgoing?organisation_id={world.org_a}&year={year}&q={q}",
            headers=world["clerk"].headers,
        )
        assert r.status_code == 200, r.json
        return [e["type_and_subject"] for e in r.json["items"]]

    assert found("hội nghị") == ["Công văn: Về việc tổ chức hội nghị"]
    assert len(found("02/UBND")) == 1
    assert len(found("Tài chính")) == 2
    assert found("không có") == []
