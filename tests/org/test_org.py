from __future__ import annotations

from tests.auth.test_auth import login


def _new_user(world, **overrides):
    body = {
        "username": "Chuyenvien.Moi",
        "full_name": "Lý Thị Thu",
        "password": "mat-khau-du-dai-2026",
        "memberships": [
            {
                "role": "specialist",
                "unit_id": world.units["A.KT"],
                "position_title": "Chuyên viên chính",
            }
        ],
    }
    body.update(overrides)
    return body


def test_admin_creates_a_user_who_can_sign_in(client, world):
    r = client.post(
        f"/api/organisations/{world.org_a}/users",
        json=_new_user(world),
        headers=world["admin"].headers,
    )
    assert r.status_code == 201, r.json
    assert r.json["username"] == "chuyenvien.moi"
    membership = r.json["memberships"][0]
    assert membership["unit_name"] == "Phòng Kinh tế"
    assert membership["position_title"] == "Chuyên viên chính"
    assert "password" not in r.json
    assert login(client, "chuyenvien.moi", "mat-khau-du-dai-2026").status_code == 200
    directory = client.get(
        f"/api/organisations/{world.org_a}/users", headers=world["leader"].headers
    ).json
    assert "Lý Thị Thu" in {u["full_name"] for u in directory}


def test_username_is_unique(client, world):
    url = f"/api/organisations/{world.org_a}/users"
    assert (
        client.post(url, json=_new_user(world), headers=world["admin"].headers).status_code == 201
    )
    again = client.post(
        url, json=_new_user(world, full_name="Người khác"), headers=world["admin"].headers
    )
    assert again.status_code == 409
    assert again.json["code"] == "username-taken"


def test_memberships_must_point_inside_the_organisation(client, world, app):
    body = _new_user(world, memberships=[{"role": "specialist", "unit_id": world.units["B.TH"]}])
    r = client.post(
        f"/api/organisations/{world.org_a}/users", json=body, headers=world["admin"].headers
    )
    assert r.status_code == 422
    assert "unit_id" in r.json["errors"]
    bad_role = _new_user(world, memberships=[{"role": "emperor"}])
    r = client.post(
        f"/api/organisations/{world.org_a}/users", json=bad_role, headers=world["admin"].headers
    )
    assert r.status_code == 422


def test_weak_password_is_refused(client, world):
    r = client.post(
        f"/api/organisations/{world.org_a}/users",
        json=_new_user(world, password="123"),
        headers=world["admin"].headers,
    )
    assert r.status_code == 422
    assert "password" in r.json["errors"]


def test_password_reset_by_admin_lifts_a_lock(client, world, app):
    from backend.core.ratelimit import limiter

    for _ in range(app.extensions["settings"].lockout_threshold):
        login(client, "specialist", "sai")
        limiter.reset()
    assert login(client, "specialist").status_code == 429
    r = client.patch(
        f"/api/users/{world['specialist'].id}",
        json={"password": "mat-khau-moi-2026"},
        headers=world["admin"].headers,
    )
    assert r.status_code == 200
    assert login(client, "specialist", "mat-khau-moi-2026").status_code == 200


def test_admin_cannot_disable_themselves(client, world):
    r = client.patch(
        f"/api/users/{world['admin'].id}", json={"active": False}, headers=world["admin"].headers
    )
    assert r.status_code == 409


def test_units_have_unique_abbreviations(client, world):
    url = f"/api/organisations/{world.org_a}/units"
    r = client.post(
        url, json={"name": "Phòng Kinh tế 2", "abbreviation": "KT"}, headers=world["admin"].headers
    )
    assert r.status_code == 409


def test_document_type_catalogue_follows_decree_30(client, world):
    types = client.get("/api/document-types", headers=world["clerk"].headers).json
    by_name = {t["name"]: t for t in types}
    assert by_name["Quyết định"]["abbreviation"] == "QĐ"
    assert by_name["Quy định"]["abbreviation"] == "QyĐ"
    assert by_name["Tờ trình"]["abbreviation"] == "TTr"
    assert by_name["Công văn"]["abbreviation"] is None
    assert by_name["Thư công"]["abbreviation"] is None
    assert {by_name[n]["abbreviation"] for n in ("Bản sao y", "Bản trích sao", "Bản sao lục")} == {
        "SY",
        "TrS",
        "SL",
    }
    assert all(by_name[n]["is_copy"] for n in ("Bản sao y", "Bản trích sao", "Bản sao lục"))
    assert len([t for t in types if not t["is_copy"]]) == 29


def test_demo_seed_is_idempotent_and_complete(app):
    from sqlalchemy import func, select

    from backend.core.db import session
    from backend.org.models import Membership, Organisation, Unit, User
    from backend.org.seed import seed_demo

    with app.app_context():
        seed_demo("mat-khau-demo")
        seed_demo("mat-khau-demo")
        s = session()
        assert s.scalar(select(func.count()).select_from(Organisation)) == 1
        assert s.scalar(select(func.count()).select_from(Unit)) == 4
        users = {u.username: u for u in s.scalars(select(User))}
        assert len(users) == 12
        roles = [m.role for m in s.scalars(select(Membership))]
        assert (
            roles.count("leader") == 3 and roles.count("clerk") == 1 and roles.count("admin") == 1
        )
        assert users["chutich"].full_name == "Nguyễn Văn Thắng"
        assert users["chutich"].memberships[0].position_title == "Chủ tịch"
        assert users["phochutich1"].password_hash != users["phochutich2"].password_hash


def test_the_readme_tells_what_the_demo_seeds(app):
    """The quick start says how many demo decisions wait for phochutich1's signature."""
    from pathlib import Path

    from sqlalchemy import select

    from backend.core.db import session
    from backend.demo import DEMO_DOCUMENTS, seed_demo_documents
    from backend.org.models import User
    from backend.org.seed import seed_demo
    from backend.workflow import inbox

    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    with app.app_context():
        seed_demo("mat-khau-demo")
        seed_demo_documents()
        signer = session().scalar(select(User).where(User.username == "phochutich1"))
        to_sign = inbox.counts(signer)["waiting_sign"]
    readme = " ".join(Path(__file__).resolve().parents[2].joinpath("README.md").read_text().split())
    assert f"{words[len(DEMO_DOCUMENTS)]} demo decisions" in readme
    assert f"{words[to_sign]} waiting for `phochutich1`'s signature" in readme


def test_admin_renames_a_unit(client, world):
    url = f"/api/organisations/{world.org_a}/units/{world.units['A.KT']}"
    r = client.patch(
        url,
        json={"name": "Phòng Kinh tế - Hạ tầng", "abbreviation": "KTHT"},
        headers=world["admin"].headers,
    )
    assert r.status_code == 200, r.json
    assert (r.json["name"], r.json["abbreviation"]) == ("Phòng Kinh tế - Hạ tầng", "KTHT")
    units = client.get(f"/api/organisations/{world.org_a}/units", headers=world["leader"].headers)
    assert "Phòng Kinh tế - Hạ tầng" in {u["name"] for u in units.json}
    taken = client.patch(url, json={"abbreviation": "VX"}, headers=world["admin"].headers)
    assert taken.status_code == 409 and taken.json["code"] == "abbreviation-taken"
    bad = client.patch(url, json={"abbreviation": "K T"}, headers=world["admin"].headers)
    assert bad.status_code == 422 and "abbreviation" in bad.json["errors"]
    other = f"/api/organisations/{world.org_a}/units/{world.units['B.TH']}"
    assert (
        client.patch(other, json={"name": "X"}, headers=world["admin"].headers).status_code == 404
    )
    assert client.patch(url, json={"name": "X"}, headers=world["head"].headers).status_code == 403


def test_admin_changes_memberships_and_roles(client, world):
    """The specialist of VX becomes head of KT (and stays a specialist of VX): the roles
    take effect on the next request; a membership in another agency stays untouched."""
    person = world["specialist_vx"]
    body = {
        "memberships": [
            {"role": "specialist", "unit_id": world.units["A.VX"], "position_title": "Chuyên viên"},
            {"role": "head", "unit_id": world.units["A.KT"], "position_title": "Phó Trưởng phòng"},
        ]
    }
    r = client.patch(f"/api/users/{person.id}", json=body, headers=world["admin"].headers)
    assert r.status_code == 200, r.json
    assert {(m["unit_name"], m["role"], m["position_title"]) for m in r.json["memberships"]} == {
        ("Phòng Văn hóa - Xã hội", "specialist", "Chuyên viên"),
        ("Phòng Kinh tế", "head", "Phó Trưởng phòng"),
    }
    me = client.get("/api/me", headers=person.headers).json
    assert {m["role"] for m in me["memberships"]} == {"specialist", "head"}
    # heads read their unit's reports now
    report = client.get(
        f"/api/reports/processing?unit_id={world.units['A.KT']}", headers=person.headers
    )
    assert report.status_code == 200
    twice = {"memberships": [{"role": "head", "unit_id": world.units["A.KT"]}] * 2}
    r = client.patch(f"/api/users/{person.id}", json=twice, headers=world["admin"].headers)
    assert r.status_code == 422
    r = client.patch(
        f"/api/users/{person.id}",
        json={"memberships": [{"role": "head", "unit_id": world.units["B.TH"]}]},
        headers=world["admin"].headers,
    )
    assert r.status_code == 422 and "unit_id" in r.json["errors"]
    r = client.patch(
        f"/api/users/{person.id}", json={"memberships": []}, headers=world["admin"].headers
    )
    assert r.status_code == 422
    # unchanged after the refusals
    me = client.get("/api/me", headers=person.headers).json
    assert {m["role"] for m in me["memberships"]} == {"specialist", "head"}


def test_admin_keeps_their_own_admin_role(client, world):
    admin = world["admin"]
    r = client.patch(
        f"/api/users/{admin.id}",
        json={"memberships": [{"role": "leader"}]},
        headers=admin.headers,
    )
    assert r.status_code == 409 and r.json["code"] == "own-admin-role"
    assert {
        m["role"] for m in client.get("/api/me", headers=admin.headers).json["memberships"]
    } == {"admin"}
