"""Lịch công tác: the office keeps it, the agency reads it, the people on an event hear
about every change."""

from __future__ import annotations

from typing import Any

from tests.conftest import upload_document

MONDAY = "2026-11-23"  # ISO week 2026-W48


def event_body(world, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Họp giao ban UBND tỉnh tháng 11",
        "starts_at": f"{MONDAY}T08:00:00+07:00",
        "ends_at": f"{MONDAY}T11:00:00+07:00",
        "place": "Phòng họp tầng 3",
        "chair_id": world["chairman"].id,
        "participant_ids": [world["leader"].id, world["head"].id],
        "notes": "Các sở chuẩn bị báo cáo.",
    }
    body.update(overrides)
    return body


def create(client, world, person=None, **overrides):
    person = person or world["clerk"]
    return client.post(
        "/api/calendar/events", json=event_body(world, **overrides), headers=person.headers
    )


def week(client, person, **params):
    response = client.get(
        "/api/calendar", query_string={"week": "2026-W48", **params}, headers=person.headers
    )
    assert response.status_code == 200, response.json
    return response.json


def notifications(client, person) -> list[dict]:
    return client.get("/api/notifications", headers=person.headers).json["items"]


def test_clerk_creates_and_participants_are_notified(client, world):
    response = create(client, world)
    assert response.status_code == 201, response.json
    event = response.json
    assert response.headers["ETag"] == event["etag"]
    assert event["starts_at"] == f"{MONDAY}T08:00:00+07:00"
    assert event["chair"] == {"id": world["chairman"].id, "full_name": "Nguyễn Văn Thắng"}
    assert [p["id"] for p in event["participants"]] == [world["leader"].id, world["head"].id]
    assert event["status"] == "scheduled"
    for key in ("chairman", "leader", "head"):
        (note,) = notifications(client, world[key])
        assert note["kind"] == "calendar.invited"
        assert note["title"] == "Lịch công tác: Họp giao ban UBND tỉnh tháng 11"
        assert note["body"] == "08:00 23/11/2026, Phòng họp tầng 3"
    assert notifications(client, world["clerk"]) == []  # not told about their own change
    assert notifications(client, world["specialist"]) == []


def test_week_of_the_agency_and_of_a_leader(client, world):
    meeting = create(client, world).json["id"]
    visit = create(
        client,
        world,
        title="Kiểm tra công trình đường ven biển",
        starts_at="2026-11-29T22:00:00",  # Sunday night, Vietnam time: still week 48
        ends_at="2026-11-29T23:30:00",
        chair_id=world["leader2"].id,
        participant_ids=[],
    ).json["id"]
    create(
        client, world, starts_at="2026-11-30T08:00:00+07:00", ends_at="2026-11-30T09:00:00+07:00"
    )
    agency = week(client, world["specialist"])
    assert agency["starts_on"] == MONDAY and agency["ends_on"] == "2026-11-29"
    assert [e["id"] for e in agency["events"]] == [meeting, visit]
    assert agency["events"][1]["starts_at"] == "2026-11-29T22:00:00+07:00"
    assert [
        e["id"] for e in week(client, world["head"], leader_id=world["leader"].id)["events"]
    ] == [meeting]
    assert [
        e["id"] for e in week(client, world["head"], leader_id=world["leader2"].id)["events"]
    ] == [visit]
    # another agency sees its own (empty) calendar, and not this one
    assert week(client, world["outsider"])["events"] == []
    response = client.get(
        "/api/calendar",
        query_string={"week": "2026-W48", "organisation_id": world.org_a},
        headers=world["outsider"].headers,
    )
    assert response.status_code == 404
    assert (
        client.get(f"/api/calendar/events/{meeting}", headers=world["outsider"].headers).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/calendar/events/{meeting}", headers=world["specialist_vx"].headers
        ).status_code
        == 200
    )


def test_edit_notifies_kept_added_and_removed_people(client, world):
    created = create(client, world)
    event_id = created.json["id"]
    for key in ("chairman", "leader", "head"):
        client.post("/api/notifications/read-all", headers=world[key].headers)
    changes = {
        "starts_at": f"{MONDAY}T14:00:00+07:00",
        "ends_at": f"{MONDAY}T16:00:00+07:00",
        "participant_ids": [world["leader"].id, world["head_vx"].id],
    }
    path = f"/api/calendar/events/{event_id}"
    clerk = world["clerk"].headers
    assert client.patch(path, json=changes, headers=clerk).status_code == 428
    assert (
        client.patch(path, json=changes, headers={**clerk, "If-Match": '"e0-0"'}).status_code == 412
    )
    response = client.patch(
        path, json=changes, headers={**clerk, "If-Match": created.headers["ETag"]}
    )
    assert response.status_code == 200, response.json
    assert response.headers["ETag"] != created.headers["ETag"]
    assert response.json["starts_at"] == f"{MONDAY}T14:00:00+07:00"
    kinds = {key: [n["kind"] for n in notifications(client, world[key])] for key in world.people}
    assert kinds["leader"] == ["calendar.changed", "calendar.invited"]
    assert kinds["chairman"] == ["calendar.changed", "calendar.invited"]
    assert kinds["head_vx"] == ["calendar.invited"]  # added
    assert kinds["head"][0] == "calendar.changed"  # removed, and told so
    assert (
        notifications(client, world["head"])[0]["body"] == "Bạn không còn trong thành phần tham dự."
    )
    assert kinds["clerk"] == [] and kinds["specialist"] == []
    assert notifications(client, world["leader"])[0]["body"].startswith("14:00 23/11/2026")
    audit = client.get(
        "/api/audit-events",
        query_string={"organisation_id": world.org_a},
        headers=world["admin"].headers,
    ).json["items"]
    assert {"calendar.event_created", "calendar.event_updated"} <= {a["action"] for a in audit}


def test_cancel(client, world):
    created = create(client, world)
    event_id = created.json["id"]
    path = f"/api/calendar/events/{event_id}/cancel"
    response = client.post(
        path,
        json={"reason": "Lãnh đạo đi công tác Hà Nội"},
        headers={**world["admin"].headers, "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled"
    assert response.json["cancel_reason"] == "Lãnh đạo đi công tác Hà Nội"
    note = notifications(client, world["leader"])[0]
    assert note["kind"] == "calendar.cancelled"
    assert note["body"].endswith("Lý do: Lãnh đạo đi công tác Hà Nội")
    # it stays in the week, marked; it cannot be changed or cancelled again
    assert week(client, world["leader"])["events"][0]["status"] == "cancelled"
    again = client.post(path, json={}, headers={**world["clerk"].headers, "If-Match": "*"})
    assert again.status_code == 409 and again.json["code"] == "invalid-state"


def test_only_the_office_edits(client, world):
    for key in ("leader", "chairman", "head", "specialist"):
        response = create(client, world, person=world[key])
        assert response.status_code == 403, key
        assert response.mimetype == "application/problem+json"
    assert create(client, world, person=world["admin"]).status_code == 201
    event = create(client, world).json
    for key in ("leader", "head", "specialist"):
        headers = {**world[key].headers, "If-Match": "*"}
        path = f"/api/calendar/events/{event['id']}"
        assert client.patch(path, json={"place": "Hội trường"}, headers=headers).status_code == 403
        assert client.post(f"{path}/cancel", json={}, headers=headers).status_code == 403
    # another agency's staff cannot write to this calendar either
    outsider = create(client, world, person=world["outsider_admin"], organisation_id=world.org_a)
    assert outsider.status_code == 404


def test_validation(client, world):
    def refused(field: str, **overrides: Any) -> None:
        response = create(client, world, **overrides)
        assert response.status_code == 422, (field, response.json)
        assert field in response.json["errors"], response.json

    refused("ends_at", ends_at=f"{MONDAY}T07:00:00+07:00")
    refused("ends_at", ends_at="2026-12-20T07:00:00+07:00")
    refused("participant_ids", participant_ids=[world["outsider"].id])
    refused("chair_id", chair_id=world["outsider"].id)
    refused("title", title="")
    bad_week = client.get(
        "/api/calendar", query_string={"week": "2026-W60"}, headers=world["leader"].headers
    )
    assert bad_week.status_code == 422


def test_attached_documents(client, world):
    mine = upload_document(client, world["clerk"], subject="Báo cáo kinh tế - xã hội").json["id"]
    hidden = upload_document(client, world["specialist"], subject="Dự thảo mật").json["id"]
    response = create(client, world, document_ids=[hidden])
    assert response.status_code == 422 and "document_ids" in response.json["errors"]
    event = create(client, world, document_ids=[mine]).json
    assert [d["id"] for d in event["documents"]] == [mine]
    assert event["documents"][0]["subject"] == "Báo cáo kinh tế - xã hội"
    # a reader who cannot open the document does not learn about it from the calendar
    assert week(client, world["leader"])["events"][0]["documents"] == []
