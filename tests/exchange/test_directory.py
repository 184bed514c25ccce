"""The directory: codes in both forms (QCVN 102 and QĐ 20/2020, the same level-1 body),
a parent, how each organisation is reached; read by everyone, kept by the installation's
administrators, imported from CSV by a command."""

from __future__ import annotations

import pytest

from backend.exchange import codes, directory

VPCP = {
    "code": "000.00.00.G22",
    "code_qd20": "G22",
    "name": "Văn phòng Chính phủ",
    "reach": "axis",
    "place": "Hà Nội",
    "address": "Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội",
}


@pytest.mark.parametrize(
    ("code", "qd20", "ok"),
    [
        ("000.00.00.H41", "H41", True),
        ("000.00.06.H41", "H41.06", True),
        ("000.00.00.H41", "H40.06", False),  # another province
        ("00.00.00.H41", None, False),
        ("000.00.00.41H", None, False),
        ("000.00.00.G22", "G22." + "1" * 40, False),
    ],
)
def test_codes_in_both_forms(code, qd20, ok):
    assert (codes.check_pair(code, qd20) == []) is ok
    if ok:
        assert codes.level1(code) == codes.level1(qd20)


def create(client, person, body):
    return client.post("/api/exchange/directory", json=body, headers=person.headers)


def test_admin_keeps_the_directory_everyone_reads_it(client, world):
    admin = world["admin"]
    created = create(client, admin, VPCP)
    assert created.status_code == 201, created.json
    entry = created.json
    assert entry["code"] == "000.00.00.G22" and entry["code_qd20"] == "G22"
    child = create(
        client,
        admin,
        {
            "code": "000.00.12.G22",
            "code_qd20": "G22.12",
            "name": "Cục Kiểm soát thủ tục hành chính",
            "reach": "axis",
            "parent_id": entry["id"],
        },
    )
    assert child.status_code == 201, child.json
    assert child.json["parent_name"] == "Văn phòng Chính phủ"
    # everyone signed in reads it; diacritics and case do not matter
    found = client.get(
        "/api/exchange/directory",
        query_string={"q": "van phong chinh phu"},
        headers=world["specialist"].headers,
    ).json["items"]
    assert [e["code"] for e in found] == ["000.00.00.G22"]
    by_qd20 = client.get(
        "/api/exchange/directory", query_string={"q": "G22.12"}, headers=world["clerk"].headers
    ).json["items"]
    assert [e["name"] for e in by_qd20] == ["Cục Kiểm soát thủ tục hành chính"]
    # only administrators change it
    assert (
        create(
            client, world["clerk"], {**VPCP, "code": "000.00.00.G12", "code_qd20": "G12"}
        ).status_code
        == 403
    )
    patched = client.patch(
        f"/api/exchange/directory/{entry['id']}",
        json={"telephone": "080 43100"},
        headers=admin.headers,
    )
    assert patched.status_code == 200 and patched.json["telephone"] == "080 43100"
    # no loops in the hierarchy
    loop = client.patch(
        f"/api/exchange/directory/{entry['id']}",
        json={"parent_id": child.json["id"]},
        headers=admin.headers,
    )
    assert loop.status_code == 422 and "parent_id" in loop.json["errors"]


def test_wrong_codes_are_refused_naming_the_field(client, world):
    admin = world["admin"]
    mismatch = create(client, admin, {**VPCP, "code_qd20": "H41"})
    assert mismatch.status_code == 422
    assert "code_qd20" in mismatch.json["errors"]
    assert create(client, admin, VPCP).status_code == 201
    assert create(client, admin, VPCP).json["code"] == "duplicate-code"
    # an organisation reached in this installation is one of its organisations
    local = create(
        client,
        admin,
        {
            "code": "000.00.00.H41",
            "name": "UBND tỉnh Nghệ An",
            "reach": "installation",
            "organisation_id": world.org_b,
        },
    )
    assert local.status_code == 422 and "code" in local.json["errors"]


def test_organisations_of_the_installation_are_in_the_directory(app, client, world):
    with app.app_context():
        assert directory.sync_installation() == 2
        assert directory.sync_installation() == 0
    listed = client.get(
        "/api/exchange/directory",
        query_string={"reach": "installation"},
        headers=world["clerk"].headers,
    ).json["items"]
    assert {(e["code"], e["organisation_id"]) for e in listed} == {
        ("000.00.00.H41", world.org_a),
        ("000.00.00.H40", world.org_b),
    }


CSV = """\ufeffcode,code_qd20,name,parent_code,reach,place,address,email,telephone,fax,website
000.00.18.G12,G12.18,Tổng cục Thuế,000.00.00.G12,axis,Hà Nội,,,,,
000.00.00.G12,G12,Bộ Tài chính,,axis,Hà Nội,Số 28 Trần Hưng Đạo,,024 2220 2828,,mof.gov.vn
000.00.00.H41,H41,Ủy ban nhân dân tỉnh Nghệ An,,,Nghệ An,,,,,
"""


def test_csv_import_by_the_command(app, world, tmp_path, client):
    path = tmp_path / "danh-ba.csv"
    path.write_text(CSV, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["exchange", "import-directory", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 added, 1 updated" in result.output
    entries = {
        e["code"]: e
        for e in client.get("/api/exchange/directory", headers=world["clerk"].headers).json["items"]
    }
    assert entries["000.00.18.G12"]["parent_name"] == "Bộ Tài chính"
    assert entries["000.00.00.G12"]["telephone"] == "024 2220 2828"
    # a code of this installation is reached in it, whatever the file says
    assert entries["000.00.00.H41"]["reach"] == "installation"
    assert entries["000.00.00.H41"]["organisation_id"] == world.org_a
    # a wrong line: nothing of the file is taken
    bad = tmp_path / "sai.csv"
    bad.write_text(CSV.replace("000.00.18.G12,G12.18", "000.00.19.G12,H41.19"), encoding="utf-8")
    result = runner.invoke(args=["exchange", "import-directory", str(bad)])
    assert result.exit_code != 0 and "Line 2" in result.output
    codes_now = {
        e["code"]
        for e in client.get("/api/exchange/directory", headers=world["clerk"].headers).json["items"]
    }
    assert "000.00.19.G12" not in codes_now
