"""Inboxes (waiting, submitted, done, following), badge counts, timeline, instructions
and quick phrases."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import act, set_route, upload_document


def review_by_head(world) -> list[dict]:
    return [
        {"kind": "review", "actors": [{"user_id": world["head"].id}]},
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
    ]


def submitted_draft(client, world, **meta) -> int:
    doc = upload_document(client, world["specialist"], **meta).json["id"]
    assert set_route(client, world["specialist"], doc, review_by_head(world)).status_code == 200
    assert act(client, world["specialist"], doc, "submit").status_code == 200
    return doc


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [item["document"]["id"] for item in response.json["items"]]


def test_waiting_is_urgent_first_then_oldest_first_with_cursor_pages(client, world):
    normal_old = submitted_draft(client, world, subject="Báo cáo tháng 10")
    hoa_toc = submitted_draft(client, world, urgency="hoa_toc", subject="Phòng chống bão số 9")
    normal_new = submitted_draft(client, world, subject="Báo cáo tháng 11")
    khan = submitted_draft(client, world, urgency="khan", subject="Kế hoạch tiêm chủng")
    head = world["head"]

    everything = ids(client.get("/api/inbox/waiting", headers=head.headers))
    assert everything == [hoa_toc, khan, normal_old, normal_new]

    seen, cursor = [], None
    while True:
        url = "/api/inbox/waiting?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=head.headers)
        seen += ids(page)
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert seen == everything

    item = client.get("/api/inbox/waiting?limit=1", headers=head.headers).json["items"][0]
    assert item["step"]["kind"] == "review" and item["on_behalf_of"] is None
    assert item["document"]["etag"] and item["arrived_at"].endswith("+07:00")
    r = client.get("/api/inbox/waiting?cursor=nonsense", headers=head.headers)
    assert r.status_code == 422


def test_waiting_filters(client, world):
    overdue = submitted_draft(
        client, world, due_date=(date.today() - timedelta(days=2)).isoformat(), subject="Quá hạn"
    )
    urgent = submitted_draft(
        client, world, urgency="thuong_khan", subject="Về việc khắc phục sạt lở"
    )
    plain = submitted_draft(client, world, subject="Về việc chuyển đổi số")
    head = world["head"].headers
    assert ids(client.get("/api/inbox/waiting?overdue=true", headers=head)) == [overdue]
    assert ids(client.get("/api/inbox/waiting?urgency=thuong_khan", headers=head)) == [urgent]
    assert ids(client.get("/api/inbox/waiting?q=chuyển đổi", headers=head)) == [plain]
    assert ids(client.get(f"/api/inbox/waiting?unit_id={world.units['A.VX']}", headers=head)) == []
    r = client.get("/api/inbox/waiting?urgency=very", headers=head)
    assert r.status_code == 422
    item = client.get("/api/inbox/waiting?overdue=true", headers=head).json["items"][0]
    assert item["overdue"] is True


def test_counts_for_the_badges(client, world):
    submitted_draft(client, world, urgency="khan")
    submitted_draft(client, world, due_date=(date.today() - timedelta(days=1)).isoformat())
    returned = submitted_draft(client, world)
    act(client, world["head"], returned, "return", reason="Chưa đúng thể thức")
    followed = submitted_draft(client, world)
    client.post(
        f"/api/documents/{followed}/participants",
        json={"user_id": world["head_vx"].id},
        headers={**world["specialist"].headers, "If-Match": "*"},
    )
    head = client.get("/api/inbox/counts", headers=world["head"].headers).json
    assert head["waiting"] == 3
    assert head["waiting_urgent"] == 1 and head["waiting_overdue"] == 1
    assert head["notifications_unread"] == 4  # four drafts arrived
    drafter = client.get("/api/inbox/counts", headers=world["specialist"].headers).json
    assert drafter["returned_to_me"] == 1 and drafter["submitted_in_progress"] == 3
    watcher = client.get("/api/inbox/counts", headers=world["head_vx"].headers).json
    assert watcher["following"] == 1 and watcher["waiting"] == 0
    assert ids(client.get("/api/inbox/following", headers=world["head_vx"].headers)) == [followed]


def test_to_sign_list_and_badge(client, world):
    """“Chờ ký”: the waiting items at sign steps, with their own count."""
    at_review = submitted_draft(client, world)
    to_sign = submitted_draft(client, world)
    act(client, world["head"], to_sign, "approve")  # the leader's sign step is next
    leader = world["leader"]
    act(client, world["head"], at_review, "approve")
    # oldest arrival first: to_sign reached the leader before at_review
    assert ids(client.get("/api/inbox/waiting?step_kind=sign", headers=leader.headers)) == [
        to_sign,
        at_review,
    ]
    head = world["head"]
    third = submitted_draft(client, world)
    assert ids(client.get("/api/inbox/waiting?step_kind=sign", headers=head.headers)) == []
    assert ids(client.get("/api/inbox/waiting?step_kind=review", headers=head.headers)) == [third]
    assert client.get("/api/inbox/counts", headers=leader.headers).json["waiting_sign"] == 2
    assert client.get("/api/inbox/counts", headers=head.headers).json["waiting_sign"] == 0
    bad = client.get("/api/inbox/waiting?step_kind=draft", headers=leader.headers)
    assert bad.status_code == 422


def test_submitted_and_done(client, world):
    first = submitted_draft(client, world)
    second = submitted_draft(client, world, urgency="hoa_toc")
    draft_only = upload_document(client, world["specialist"]).json["id"]
    mine = ids(client.get("/api/inbox/submitted", headers=world["specialist"].headers))
    assert mine == [second, first] and draft_only not in mine
    act(client, world["head"], first, "approve")
    act(client, world["head"], second, "approve")
    done = ids(client.get("/api/inbox/done", headers=world["head"].headers))
    assert done == [second, first]  # most recent action first
    page = client.get("/api/inbox/done?limit=1", headers=world["head"].headers).json
    rest = client.get(
        f"/api/inbox/done?cursor={page['next_cursor']}", headers=world["head"].headers
    )
    assert ids(rest) == [first]
    assert ids(client.get("/api/inbox/done", headers=world["leader"].headers)) == []


def test_instructions_appear_in_the_timeline_with_author_position_and_device(client, world):
    doc = submitted_draft(client, world)
    r = client.post(
        f"/api/documents/{doc}/instructions",
        json={"text": "Giao Phòng Kinh tế chủ trì, báo cáo trước ngày 30/11."},
        headers=world["head"].headers,
    )
    assert r.status_code == 201
    assert r.json["author"]["position_title"] == "Trưởng phòng"
    r = client.post(
        f"/api/documents/{doc}/instructions", json={"text": "  "}, headers=world["head"].headers
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/documents/{doc}/instructions",
        json={"text": "Tôi chỉ đạo"},
        headers=world["specialist"].headers,
    )
    assert r.status_code == 403  # specialists do not write instructions

    timeline = client.get(f"/api/documents/{doc}/timeline", headers=world["specialist"].headers)
    kinds = [(e["kind"], e.get("action")) for e in timeline.json]
    assert kinds == [("version", None), ("action", "submit"), ("instruction", None)]
    instruction = timeline.json[-1]
    assert instruction["actor"]["full_name"] == "Hoàng Thị Lan"
    assert instruction["device"]["name"] == "Điện thoại của Hoàng Thị Lan"
    assert instruction["version_number"] == 1
    assert instruction["at"].endswith("+07:00")
    # the drafter is told
    notes = client.get("/api/notifications", headers=world["specialist"].headers).json["items"]
    assert notes[0]["kind"] == "document.instruction"
    assert (
        client.get(f"/api/documents/{doc}/timeline", headers=world["outsider"].headers).status_code
        == 404
    )


def test_quick_phrases_start_with_defaults_and_are_personal(client, world):
    leader = world["leader"].headers
    defaults = client.get("/api/me/quick-phrases", headers=leader).json
    assert defaults[0]["text"] == "Đồng ý." and defaults[0]["id"] is None
    added = client.post(
        "/api/me/quick-phrases", json={"text": "Đồng ý, giao VP theo dõi."}, headers=leader
    )
    assert added.status_code == 201
    mine = client.get("/api/me/quick-phrases", headers=leader).json
    assert [p["text"] for p in mine][: len(defaults)] == [p["text"] for p in defaults]
    assert mine[-1]["text"] == "Đồng ý, giao VP theo dõi." and all(p["id"] for p in mine)
    assert client.get("/api/me/quick-phrases", headers=world["head"].headers).json == defaults
    r = client.delete(f"/api/me/quick-phrases/{added.json['id']}", headers=world["head"].headers)
    assert r.status_code == 404
    r = client.delete(f"/api/me/quick-phrases/{added.json['id']}", headers=leader)
    assert r.status_code == 204


def test_quick_phrases_are_put_in_the_leaders_order(client, world):
    """PUT gives the whole list in order: the defaults are stored then, kept phrases keep
    their ids (a phrase being deleted from another phone still finds its row)."""
    leader = world["leader"].headers
    defaults = [p["text"] for p in client.get("/api/me/quick-phrases", headers=leader).json]
    wanted = [defaults[2], "Giao Phòng Kinh tế chủ trì.", defaults[0]]
    r = client.put("/api/me/quick-phrases", json={"texts": wanted}, headers=leader)
    assert r.status_code == 200, r.json
    assert [p["text"] for p in r.json] == wanted and all(p["id"] for p in r.json)
    ids = {p["text"]: p["id"] for p in r.json}
    again = client.put(
        "/api/me/quick-phrases", json={"texts": [wanted[2], wanted[0]]}, headers=leader
    ).json
    assert [(p["text"], p["id"]) for p in again] == [
        (wanted[2], ids[wanted[2]]),
        (wanted[0], ids[wanted[0]]),
    ]
    assert client.get("/api/me/quick-phrases", headers=leader).json == again
    for bad in ({"texts": ["Đồng ý.", "Đồng ý."]}, {"texts": ["  "]}, {"texts": ["x"] * 51}):
        r = client.put("/api/me/quick-phrases", json=bad, headers=leader)
        assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert client.get("/api/me/quick-phrases", headers=leader).json == again  # nothing lost


def test_notifications_can_be_read(client, world):
    submitted_draft(client, world)
    submitted_draft(client, world)
    notes = client.get("/api/notifications?unread=true", headers=world["head"].headers).json
    assert len(notes["items"]) == 2
    first = notes["items"][0]["id"]
    r = client.post(f"/api/notifications/{first}/read", headers=world["head"].headers)
    assert r.status_code == 200 and r.json["read_at"]
    assert (
        client.get("/api/inbox/counts", headers=world["head"].headers).json["notifications_unread"]
        == 1
    )
    r = client.post("/api/notifications/read-all", headers=world["head"].headers)
    assert r.json == {"marked": 1}


def registered_for(client, world, leader, *, urgency="normal", number="1/BKHĐT-TH") -> int:
    """The clerk registers an incoming document and sends it to ``leader`` to instruct."""
    clerk = world["clerk"]
    doc = upload_document(client, clerk, direction="incoming", urgency=urgency).json["id"]
    r = act(
        client,
        clerk,
        doc,
        "register-incoming",
        sender_name="Bộ Kế hoạch và Đầu tư",
        sender_code="000.00.00.G11",
        number_symbol=number,
        document_date="2026-10-20",
        send_to_user_id=leader.id,
    )
    assert r.status_code == 200, r.json
    return doc


def test_incoming_sent_to_a_leader_waits_in_her_inbox_until_she_instructs(client, world):
    """Point 9 of issue 14: an incoming document sent for an instruction is in the
    leader's Chờ xử lý (in the one urgent-first order with her route work, across cursor
    pages) and its badge; once she writes the instruction it moves to Đã xử lý."""
    leader = world["leader"]
    routed = submitted_draft(client, world)
    act(client, world["head"], routed, "approve")  # now at the leader's sign step
    incoming = registered_for(client, world, leader)
    urgent = registered_for(client, world, leader, urgency="thuong_khan", number="2/BKHĐT-TH")

    page = client.get("/api/inbox/waiting", headers=leader.headers)
    assert ids(page) == [urgent, routed, incoming]
    kinds = {i["document"]["id"]: i["step"]["kind"] for i in page.json["items"]}
    assert kinds == {urgent: "instruct", routed: "sign", incoming: "instruct"}
    item = next(i for i in page.json["items"] if i["document"]["id"] == incoming)
    assert item["sender"] == "Bộ Kế hoạch và Đầu tư"
    assert item["step"]["label"] == "Cho ý kiến chỉ đạo" and item["arrived_at"].endswith("+07:00")
    routed_item = next(i for i in page.json["items"] if i["document"]["id"] == routed)
    assert routed_item["sender"] == "Đặng Văn Hùng — Phòng Kinh tế"
    assert routed_item["document"]["unit"]["name"] == "Phòng Kinh tế"

    seen, cursor = [], None
    while True:
        url = "/api/inbox/waiting?limit=1" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=leader.headers)
        seen += ids(r)
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert seen == [urgent, routed, incoming]
    # Chờ ký is the route's sign work only
    assert ids(client.get("/api/inbox/waiting?step_kind=sign", headers=leader.headers)) == [routed]
    counts = client.get("/api/inbox/counts", headers=leader.headers).json
    assert counts["waiting"] == 3 and counts["waiting_instruct"] == 2
    assert counts["waiting_urgent"] == 1
    # nobody else waits for it
    assert ids(client.get("/api/inbox/waiting", headers=world["leader2"].headers)) == []

    r = client.post(
        f"/api/documents/{incoming}/instructions",
        json={"text": "Giao Phòng Kinh tế nghiên cứu, tham mưu."},
        headers=leader.headers,
    )
    assert r.status_code == 201, r.json
    assert ids(client.get("/api/inbox/waiting", headers=leader.headers)) == [urgent, routed]
    assert client.get("/api/inbox/counts", headers=leader.headers).json["waiting_instruct"] == 1
    assert ids(client.get("/api/inbox/done", headers=leader.headers)) == [incoming]
    # the register action names who it was sent to, with the register entry
    events = client.get(f"/api/documents/{incoming}/timeline", headers=leader.headers).json
    register = next(e for e in events if e.get("action") == "register")
    assert register["target"]["full_name"] == leader.full_name
    assert register["registration"]["sender_name"] == "Bộ Kế hoạch và Đầu tư"
    assert register["registration"]["number"] == 1
    assert register["registration"]["number_symbol"] == "1/BKHĐT-TH"


def test_submitted_says_where_each_document_is_and_why_one_came_back(client, world):
    specialist = world["specialist"].headers
    at_head = submitted_draft(client, world)
    at_leader = submitted_draft(client, world)
    act(client, world["head"], at_leader, "approve")
    returned = submitted_draft(client, world)
    act(client, world["head"], returned, "return", reason="Bổ sung số liệu quý III.")

    items = {
        i["document"]["id"]: i
        for i in client.get("/api/inbox/submitted", headers=specialist).json["items"]
    }
    head_pos = items[at_head]["position"]
    assert head_pos["step"]["kind"] == "review" and head_pos["holders"] == ["Hoàng Thị Lan"]
    assert head_pos["since"].endswith("+07:00")
    leader_pos = items[at_leader]["position"]
    assert leader_pos["step"]["kind"] == "sign"
    assert leader_pos["holders"] == ["Lê Thị Hồng Hạnh"]
    assert items[at_head]["returned"] is None
    back = items[returned]
    assert back["position"] is None
    assert back["returned"]["reason"] == "Bổ sung số liệu quý III."
    assert back["returned"]["by"]["full_name"] == "Hoàng Thị Lan"
