"""Exchange fixtures: the development axis served over HTTP on loopback, installation A
(the tests' main app: Nghệ An H41 and Hà Tĩnh H40 in one database) connected to it, and
a second installation B (its own app and database: Văn phòng Chính phủ G22) connected to
the same axis. Both trust the test PKI, so documents signed in A validate in B."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import pem
from flask import Flask
from flask.testing import FlaskClient

from backend.app import create_app
from backend.core.db import atomic, get_db
from backend.exchange import directory
from backend.exchange.devaxis import Axis, serve
from backend.exchange.models import DirectoryEntry, Reach
from backend.migrate import upgrade
from signing.samples import decision
from tests.conftest import (
    TEST_PASSWORD,
    Person,
    _empty_database,
    act,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    run_worker,
    set_route,
    upload_document,
)
from tests.signatures.conftest import (  # noqa: F401 - fixtures
    PIN,
    awaiting_signature,
    signing_env,
)
from tests.signing.conftest import PKIEnv, pki_env  # noqa: F401 - session fixture

A_CODE = "000.00.00.H41"  # UBND tỉnh Nghệ An (world.org_a)
A2_CODE = "000.00.00.H40"  # UBND tỉnh Hà Tĩnh (world.org_b): same installation
VPCP = "000.00.00.G22"  # Văn phòng Chính phủ: installation B
BTC = "000.00.00.G12"  # Bộ Tài chính: a demo agency of the axis (answers by itself)
TESTER = "000.00.00.G09"  # Bộ Nội vụ: a sender the tests drive by hand
SECRETS = {
    "inst-a": "bí-mật-của-tỉnh-nghệ-an-0123456789",
    "inst-b": "bí-mật-của-văn-phòng-chính-phủ-987",
    "agency": "bí-mật-của-bộ-tài-chính-555555555",
    "tester": "bí-mật-của-bộ-nội-vụ-444444444444",
}


@dataclass
class AxisEnv:
    axis: Axis
    url: str
    config: dict[str, Any]


@pytest.fixture
def axis(tmp_path: Path) -> Iterator[AxisEnv]:
    config = {
        "systems": {
            "inst-a": {"secret": SECRETS["inst-a"], "codes": [A_CODE, A2_CODE]},
            "inst-b": {"secret": SECRETS["inst-b"], "codes": [VPCP]},
            "agency": {"secret": SECRETS["agency"], "codes": [BTC], "auto_answer": True},
            "tester": {"secret": SECRETS["tester"], "codes": [TESTER]},
        }
    }
    ax = Axis(tmp_path / "axis.db", config)
    url, server = serve(ax)
    yield AxisEnv(ax, url, config)
    server.shutdown()


def trust_pki(app: Flask, env: PKIEnv, monkeypatch: pytest.MonkeyPatch, directory_: Path) -> None:
    root = directory_ / "root.pem"
    root.write_bytes(pem.armor("CERTIFICATE", env.pki.trust_root().dump()))
    settings = app.extensions["settings"]
    monkeypatch.setattr(settings, "dev_pki", False)
    monkeypatch.setattr(settings, "signing_trust_roots", str(root))
    monkeypatch.setattr(settings, "signing_pki_dir", str(env.pki.directory))
    monkeypatch.setattr(settings, "signing_tsa_url", env.pki.tsa_url)


def connect(app: Flask, axis: AxisEnv, system: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = app.extensions["settings"]
    monkeypatch.setattr(settings, "exchange_vxp_url", axis.url)
    monkeypatch.setattr(settings, "exchange_vxp_system_id", system)
    monkeypatch.setattr(settings, "exchange_vxp_secret", SECRETS[system])
    monkeypatch.setattr(settings, "exchange_ingest_processes", 1)
    app.extensions.pop("exchange_transport", None)


def add_axis_entries(app: Flask, entries: list[tuple[str, str, str | None]]) -> dict[str, int]:
    """Directory entries reached over the axis: (code, name, QĐ 20 code)."""
    ids = {}
    with app.app_context():
        directory.sync_installation()
        with atomic() as s:
            for code, name, qd20 in entries:
                entry = DirectoryEntry(code=code, code_qd20=qd20, name=name, reach=Reach.AXIS)
                s.add(entry)
                s.flush()
                ids[code] = entry.id
            for entry in s.query(DirectoryEntry).filter(DirectoryEntry.organisation_id.isnot(None)):
                ids[entry.code] = entry.id
                entry.place = "Nghệ An" if entry.code == A_CODE else entry.place
    return ids


@dataclass
class Installation:
    app: Flask
    client: FlaskClient
    people: dict[str, Person] = field(default_factory=dict)
    organisation_id: int = 0
    units: dict[str, int] = field(default_factory=dict)
    directory: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Person:
        return self.people[key]

    def run_worker(self) -> int:
        return run_worker(self.app)

    def poll(self) -> dict[str, int]:
        from backend.exchange import receiving

        with self.app.app_context():
            return receiving.poll()


@pytest.fixture
def installation_a(app, client, world, axis, pki_env, monkeypatch, tmp_path) -> Installation:  # noqa: F811
    """The main app as installation A, connected to the axis, with a clerk in Hà Tĩnh
    (org B of the same database) so documents can travel inside the installation."""
    from backend.auth.models import Device
    from backend.auth.service import hash_password, issue_tokens
    from backend.org.models import Membership, User

    trust_pki(app, pki_env, monkeypatch, tmp_path)
    connect(app, axis, "inst-a", monkeypatch)
    with app.app_context(), atomic() as s:
        user = User(
            username="vanthu.hatinh",
            full_name="Võ Thị Hoa",
            password_hash=hash_password(TEST_PASSWORD),
        )
        s.add(user)
        s.flush()
        s.add(
            Membership(
                user_id=user.id,
                organisation_id=world.org_b,
                unit_id=world.units["B.TH"],
                role="clerk",
                position_title="Văn thư",
            )
        )
        device = Device(user_id=user.id, name="Máy tính văn thư")
        s.add(device)
        s.flush()
        s.refresh(user)
        pair = issue_tokens(user, device)
        world.people["clerk_b"] = Person(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            role="clerk",
            organisation_id=world.org_b,
            unit_id=world.units["B.TH"],
            token=pair.access_token,
            device_id=device.id,
        )
    ids = add_axis_entries(
        app,
        [
            (VPCP, "Văn phòng Chính phủ", "G22"),
            (BTC, "Bộ Tài chính", "G12"),
            (TESTER, "Bộ Nội vụ", "G09"),
        ],
    )
    inst = Installation(app, client, world.people, world.org_a, dict(world.units), ids)
    return inst


# -- installation B: another app, another database ----------------------------------------------


@pytest.fixture(scope="session")
def app_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    base = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if base:
        url = create_postgres_database(base, f"{worker}_b")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db_b') / 'installation_b.db'}"
    var = str(tmp_path_factory.mktemp("var_b"))
    upgrade(url)
    application = create_app(make_settings(url, var))
    application.testing = True
    yield application
    application.extensions["db"].engine.dispose()
    if base:
        drop_postgres_database(url)


@pytest.fixture
def installation_b(app_b, axis, pki_env, monkeypatch, tmp_path) -> Iterator[Installation]:  # noqa: F811
    """Văn phòng Chính phủ: a clerk, a leader, two departments with their heads and a
    specialist; connected to the axis as system inst-b."""
    from backend.auth.models import Device
    from backend.auth.service import hash_password, issue_tokens
    from backend.org.models import Membership, Organisation, Unit, User
    from backend.org.seed import seed_reference_data

    monkeypatch.setattr(app_b.extensions["settings"], "blob_dir", str(tmp_path / "blobs_b"))
    app_b.extensions.pop("blob_store", None)
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    trust_pki(app_b, pki_env, monkeypatch, b_dir)
    connect(app_b, axis, "inst-b", monkeypatch)
    app_b.extensions["queue"].flush()
    inst = Installation(app_b, app_b.test_client())
    with app_b.app_context():
        seed_reference_data()
        with atomic() as s:
            org = Organisation(
                code=VPCP, name="Văn phòng Chính phủ", short_name="VPCP", digital_signing=False
            )
            s.add(org)
            s.flush()
            inst.organisation_id = org.id
            for abbr, name in [
                ("VT", "Phòng Hành chính - Văn thư"),
                ("KTTH", "Vụ Kinh tế tổng hợp"),
                ("TCCV", "Vụ Tổ chức công vụ"),
            ]:
                unit = Unit(organisation_id=org.id, name=name, abbreviation=abbr)
                s.add(unit)
                s.flush()
                inst.units[abbr] = unit.id
            password = hash_password(TEST_PASSWORD)
            for key, unit, role, title, name in [
                ("clerk", "VT", "clerk", "Văn thư", "Nguyễn Thị Ngọc Trâm"),
                ("leader", None, "leader", "Phó Chủ nhiệm", "Trần Văn Sơn"),
                ("head", "KTTH", "head", "Vụ trưởng", "Đỗ Hữu Huy"),
                ("head2", "TCCV", "head", "Vụ trưởng", "Lê Minh Thông"),
                ("specialist", "KTTH", "specialist", "Chuyên viên", "Phạm Thu Hằng"),
            ]:
                user = User(username=f"b.{key}", full_name=name, password_hash=password)
                s.add(user)
                s.flush()
                s.add(
                    Membership(
                        user_id=user.id,
                        organisation_id=org.id,
                        unit_id=inst.units[unit] if unit else None,
                        role=role,
                        position_title=title,
                    )
                )
                device = Device(user_id=user.id, name=f"Thiết bị của {name}")
                s.add(device)
                s.flush()
                s.refresh(user)
                pair = issue_tokens(user, device)
                inst.people[key] = Person(
                    id=user.id,
                    username=user.username,
                    full_name=name,
                    role=role,
                    organisation_id=org.id,
                    unit_id=inst.units[unit] if unit else None,
                    token=pair.access_token,
                    device_id=device.id,
                )
    inst.directory = add_axis_entries(
        app_b, [(A_CODE, "Ủy ban nhân dân tỉnh Nghệ An", "H41"), (TESTER, "Bộ Nội vụ", "G09")]
    )
    yield inst
    with app_b.app_context():
        _empty_database()
    app_b.extensions["queue"].flush()


# -- helpers -------------------------------------------------------------------------------------


def signed_and_issued(
    inst: Installation,
    send_to: list[dict],
    *,
    subject: str = "Quyết định về việc phê duyệt kế hoạch chuyển đổi số năm 2027",
    urgency: str = "normal",
    secrecy: str = "normal",
    attachments: list[tuple[bytes, str]] | None = None,
    expect: int = 200,
) -> int:
    """A decision of UBND tỉnh Nghệ An: drafted, signed by the vice-chairman (PAdES via
    the signing API), issued by the clerk (number, date, seal) with ``send_to``."""
    from tests.signatures.test_signing_api import authorize, sign

    client, people = inst.client, inst.people
    leader, clerk = people["leader"], people["clerk"]
    pdf = decision(leader.full_name, subject=subject)
    document = upload_document(
        client,
        people["specialist"],
        pdf=pdf,
        subject=subject,
        urgency=urgency,
        secrecy=secrecy,
        attachments=attachments,
    ).json["id"]
    steps = [
        {"kind": "sign", "actors": [{"user_id": leader.id}]},
        {"kind": "issue", "actors": [{"user_id": clerk.id}]},
    ]
    assert set_route(client, people["specialist"], document, steps).status_code == 200
    assert act(client, people["specialist"], document, "submit").status_code == 200
    request = sign(client, leader, document)
    assert request.status_code == 201, request.json
    assert authorize(client, leader, request.json["id"]).status_code == 202
    inst.run_worker()
    issued = act(
        client,
        clerk,
        document,
        "issue",
        recipients="Lưu: VT, KT",
        send_to=send_to,
    )
    assert issued.status_code == expect, issued.json
    return document


def deliveries(inst: Installation, person: Person, document_id: int) -> list[dict]:
    r = inst.client.get(f"/api/documents/{document_id}/deliveries", headers=person.headers)
    assert r.status_code == 200, r.json
    return r.json


def queue(inst: Installation, person: Person, state: str = "waiting") -> list[dict]:
    r = inst.client.get(
        "/api/exchange/received",
        query_string={"state": state, "organisation_id": person.organisation_id},
        headers=person.headers,
    )
    assert r.status_code == 200, r.json
    return r.json["items"]


def received_detail(inst: Installation, person: Person, received_id: int) -> tuple[dict, str]:
    r = inst.client.get(f"/api/exchange/received/{received_id}", headers=person.headers)
    assert r.status_code == 200, r.json
    return r.json, r.headers.get("ETag", "")


def engine_of(app: Flask):
    with app.app_context():
        return get_db().engine
