"""Shared steps of the assignment tests: an incoming document registered and shown to a
leader, and the leader's phiếu giải quyết."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from backend.core.timeutil import VN_TZ
from tests.conftest import TEST_PASSWORD, Person, World, act, etag_of, upload_document

_numbers = iter(range(1, 10_000))


def vn(year: int, month: int, day: int, hour: int = 9) -> datetime:
    """A Vietnam wall-clock time as the UTC moment the clock is frozen at."""
    return datetime(year, month, day, hour, tzinfo=VN_TZ).astimezone(UTC)


def incoming_for_leader(client: FlaskClient, world: World, subject: str = "") -> int:
    """The clerk uploads and registers an incoming document and passes it to the leader."""
    clerk = world["clerk"]
    meta: dict[str, Any] = {"direction": "incoming"}
    if subject:
        meta["subject"] = subject
    r = upload_document(client, clerk, **meta)
    assert r.status_code == 201, r.json
    doc = r.json["id"]
    r = act(
        client,
        clerk,
        doc,
        "register-incoming",
        sender_name="Bộ Kế hoạch và Đầu tư",
        sender_code="000.00.00.G11",
        number_symbol=f"{next(_numbers)}/BKHĐT-TH",
        document_date="2026-10-20",
    )
    assert r.status_code == 200, r.json
    r = client.post(
        f"/api/documents/{doc}/participants",
        json={"user_id": world["leader"].id},
        headers={**clerk.headers, "If-Match": etag_of(client, clerk, doc)},
    )
    assert r.status_code == 201, r.json
    return doc


def assign(
    client: FlaskClient,
    person: Person,
    doc: int,
    lead: tuple[int, str],
    cooperating: list[tuple[int, str]] = (),  # type: ignore[assignment]
    fyi: list[int] = (),  # type: ignore[assignment]
    text: str = "Giao Phòng Kinh tế chủ trì, Phòng Văn hóa - Xã hội phối hợp tham mưu.",
):
    return client.post(
        f"/api/documents/{doc}/assignments",
        json={
            "text": text,
            "lead": {"unit_id": lead[0], "deadline": lead[1]},
            "cooperating": [{"unit_id": u, "deadline": d} for u, d in cooperating],
            "fyi": [{"unit_id": u} for u in fyi],
        },
        headers={**person.headers, "If-Match": etag_of(client, person, doc)},
    )


def roots_by_unit(tree: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {a["unit"]["id"]: a for a in tree["assignments"]}


def get_assignment(client: FlaskClient, person: Person, assignment_id: int):
    return client.get(f"/api/assignments/{assignment_id}", headers=person.headers)


def complete(
    client: FlaskClient,
    person: Person,
    assignment_id: int,
    result: str = "Đã tham mưu văn bản trả lời.",
    **extra: Any,
):
    etag = get_assignment(client, person, assignment_id).headers["ETag"]
    return client.post(
        f"/api/assignments/{assignment_id}/complete",
        json={"result": result, **extra},
        headers={**person.headers, "If-Match": etag},
    )


def sub_assign(
    client: FlaskClient, head: Person, assignment_id: int, assignee: Person, deadline: str
):
    return client.post(
        f"/api/assignments/{assignment_id}/sub-assignments",
        json={"items": [{"assignee_id": assignee.id, "deadline": deadline, "text": "Dự thảo."}]},
        headers=head.headers,
    )


def add_head(client: FlaskClient, world: World, unit_key: str, username: str) -> Person:
    """A head for a unit the shared world leaves without one (Văn phòng)."""
    r = client.post(
        f"/api/organisations/{world.org_a}/users",
        json={
            "username": username,
            "full_name": "Phạm Minh Đức",
            "password": TEST_PASSWORD,
            "memberships": [
                {
                    "role": "head",
                    "unit_id": world.units[unit_key],
                    "position_title": "Chánh Văn phòng",
                }
            ],
        },
        headers=world["admin"].headers,
    )
    assert r.status_code == 201, r.json
    token = client.post(
        "/api/auth/login",
        json={"username": username, "password": TEST_PASSWORD, "device_name": "Điện thoại"},
    ).json["access_token"]
    person = Person(
        id=r.json["id"],
        username=username,
        full_name="Phạm Minh Đức",
        role="head",
        organisation_id=world.org_a,
        unit_id=world.units[unit_key],
        token=token,
    )
    world.people[username] = person
    return person
