"""Shared fixtures: one database per pytest worker (SQLite file, or a PostgreSQL database
created next to TEST_DATABASE_URL), migrated with Alembic, emptied after every test."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfWriter
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend.app import create_app
from backend.config import Settings
from backend.core.db import atomic, get_db, session
from backend.core.ratelimit import limiter
from backend.migrate import upgrade
from backend.models import Base

TEST_PASSWORD = "mật-khẩu-thử-nghiệm"


# -- databases -----------------------------------------------------------------------------


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def create_postgres_database(base_url: str, suffix: str) -> str:
    """A fresh database beside the one TEST_DATABASE_URL names; fails loudly if the server
    is not there (CI must not silently skip PostgreSQL)."""
    url = make_url(base_url)
    name = f"{url.database}_{suffix}"
    conninfo = (
        f"host={url.host or '127.0.0.1'} port={url.port or 5432} "
        f"user={url.username or 'postgres'} dbname=postgres"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url_string: str) -> None:
    url = make_url(url_string)
    conninfo = (
        f"host={url.host or '127.0.0.1'} port={url.port or 5432} "
        f"user={url.username or 'postgres'} dbname=postgres"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = create_postgres_database(base, _worker())
        yield url
        drop_postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("var"))


def make_settings(database_url: str, var_dir: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "var_dir": var_dir,
        "database_url": database_url,
        "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
        # Fast hashing in tests; production keeps the strong defaults.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "redis_url": "",
        # no mail unless a test starts an SMTP server (tests/mail); the worker's sink is
        # for `make run`
        "mail_sink": False,
    }
    values.update(overrides)
    settings = Settings(**values)
    settings._fill_defaults()
    settings.validate()
    return settings


@pytest.fixture(scope="session")
def app(database_url: str, var_dir: str) -> Iterator[Flask]:
    upgrade(database_url)
    application = create_app(make_settings(database_url, var_dir))
    application.testing = True
    yield application
    get_db_engine = application.extensions["db"].engine
    get_db_engine.dispose()


def _empty_database() -> None:
    db = get_db()
    with db.engine.begin() as conn:
        names = [t.name for t in Base.metadata.sorted_tables]
        if db.is_postgres:
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(names):
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - our own table names


@pytest.fixture(autouse=True)
def clean_state(app: Flask, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from backend.org.seed import seed_reference_data

    # Each test gets its own file store.
    monkeypatch.setattr(app.extensions["settings"], "blob_dir", str(tmp_path / "blobs"))
    # ... and its own audit anchors (the chain starts again with every test)
    monkeypatch.setattr(
        app.extensions["settings"], "audit_anchor_dir", str(tmp_path / "audit-anchors")
    )
    app.extensions.pop("blob_store", None)
    with app.app_context():
        seed_reference_data()
    limiter.reset()
    app.extensions["queue"].flush()  # no task of an earlier test is left for this one
    yield
    with app.app_context():
        _empty_database()


@pytest.fixture
def frozen_clock() -> Iterator[Callable[[datetime], None]]:
    """Set the application's clock (UTC-aware datetimes); real time again afterwards."""
    from backend.core import timeutil

    def freeze(moment: datetime) -> None:
        timeutil._clock = lambda: moment

    yield freeze
    timeutil._clock = None


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- people and organisations ----------------------------------------------------------


@dataclass
class Person:
    id: int
    username: str
    full_name: str
    role: str
    organisation_id: int
    unit_id: int | None
    token: str = ""
    refresh_token: str = ""
    device_id: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """Two organisations: A (the demo-like agency) and B (an outsider)."""

    org_a: int = 0
    org_b: int = 0
    units: dict[str, int] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Person:
        return self.people[key]


PEOPLE = [
    # key, org, unit, role, title, full name
    ("leader", "A", None, "leader", "Phó Chủ tịch", "Lê Thị Hồng Hạnh"),
    ("chairman", "A", None, "leader", "Chủ tịch", "Nguyễn Văn Thắng"),
    ("leader2", "A", None, "leader", "Phó Chủ tịch", "Trần Quốc Bảo"),
    ("head", "A", "KT", "head", "Trưởng phòng", "Hoàng Thị Lan"),
    ("specialist", "A", "KT", "specialist", "Chuyên viên", "Đặng Văn Hùng"),
    ("specialist_vx", "A", "VX", "specialist", "Chuyên viên", "Bùi Quang Huy"),
    ("head_vx", "A", "VX", "head", "Trưởng phòng", "Vũ Thị Thu Hà"),
    ("clerk", "A", "VP", "clerk", "Văn thư", "Phan Thị Ngọc Ánh"),
    ("admin", "A", "VP", "admin", "Quản trị", "Trịnh Văn Tuấn"),
    ("outsider", "B", "TH", "specialist", "Chuyên viên", "Mai Văn Tâm"),
    ("outsider_admin", "B", "TH", "admin", "Quản trị", "Hà Thị Yến"),
]


@pytest.fixture
def world(app: Flask) -> World:
    from backend.auth.models import Device
    from backend.auth.service import hash_password, issue_tokens
    from backend.org.models import Membership, Organisation, Unit, User

    w = World()
    with app.app_context(), atomic() as s:
        # Routing tests record the decision to sign with "approve"; tests/signatures
        # switch digital signing on.
        org_a = Organisation(
            code="000.00.00.H41",
            name="Ủy ban nhân dân tỉnh Nghệ An",
            short_name="UBND",
            digital_signing=False,
        )
        org_b = Organisation(
            code="000.00.00.H40",
            name="Ủy ban nhân dân tỉnh Hà Tĩnh",
            short_name="UBND",
            digital_signing=False,
        )
        s.add_all([org_a, org_b])
        s.flush()
        w.org_a, w.org_b = org_a.id, org_b.id
        orgs = {"A": org_a.id, "B": org_b.id}
        for org, abbr, name in [
            ("A", "VP", "Văn phòng"),
            ("A", "KT", "Phòng Kinh tế"),
            ("A", "VX", "Phòng Văn hóa - Xã hội"),
            ("B", "TH", "Phòng Tổng hợp"),
        ]:
            unit = Unit(organisation_id=orgs[org], name=name, abbreviation=abbr)
            s.add(unit)
            s.flush()
            w.units[f"{org}.{abbr}"] = unit.id
        password_hash = hash_password(TEST_PASSWORD)
        for key, org, unit, role, title, full_name in PEOPLE:
            user = User(
                username=key.replace("_", "."), full_name=full_name, password_hash=password_hash
            )
            s.add(user)
            s.flush()
            s.add(
                Membership(
                    user_id=user.id,
                    organisation_id=orgs[org],
                    unit_id=w.units[f"{org}.{unit}"] if unit else None,
                    role=role,
                    position_title=title,
                )
            )
            s.flush()
            s.refresh(user)
            device = Device(user_id=user.id, name=f"Điện thoại của {full_name}")
            s.add(device)
            s.flush()
            pair = issue_tokens(user, device)
            w.people[key] = Person(
                id=user.id,
                username=user.username,
                full_name=full_name,
                role=role,
                organisation_id=orgs[org],
                unit_id=w.units[f"{org}.{unit}"] if unit else None,
                token=pair.access_token,
                refresh_token=pair.refresh_token,
                device_id=device.id,
            )
    return w


# -- PDFs --------------------------------------------------------------------------------


def make_pdf(pages: int = 1, *, encrypt: str | None = None, text_marker: str = "") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text_marker:
        writer.add_metadata({"/Title": text_marker})
    if encrypt:
        writer.encrypt(encrypt)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.fixture
def pdf_factory() -> Callable[..., bytes]:
    return make_pdf


def upload_document(
    client: FlaskClient,
    person: Person,
    *,
    pdf: bytes | None = None,
    attachments: list[tuple[bytes, str]] | None = None,
    headers: dict[str, str] | None = None,
    **meta: Any,
):
    data: dict[str, Any] = {
        "document_type_id": str(
            meta.pop("document_type_id", document_type_id(client, person, "cong-van"))
        ),
        "subject": meta.pop("subject", "Về việc triển khai kế hoạch chuyển đổi số năm 2027"),
    }
    data.update({k: str(v) for k, v in meta.items()})
    data["file"] = (io.BytesIO(pdf if pdf is not None else make_pdf()), "du-thao.pdf")
    if attachments:
        data["attachments"] = [(io.BytesIO(b), name) for b, name in attachments]
    return client.post(
        "/api/documents",
        data=data,
        headers={**person.headers, **(headers or {})},
        content_type="multipart/form-data",
    )


def document_type_id(client: FlaskClient, person: Person, code: str) -> int:
    response = client.get("/api/document-types", headers=person.headers)
    assert response.status_code == 200
    return next(t["id"] for t in response.json if t["code"] == code)


def count_rows(app: Flask, table: str) -> int:
    with app.app_context():
        return session().execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # noqa: S608


# -- workflow helpers ----------------------------------------------------------------------


def etag_of(client: FlaskClient, person: Person, document_id: int) -> str:
    response = client.get(f"/api/documents/{document_id}", headers=person.headers)
    assert response.status_code == 200, response.json
    return response.headers["ETag"]


def set_route(client: FlaskClient, person: Person, document_id: int, steps: list[dict]):
    return client.put(
        f"/api/documents/{document_id}/route",
        json={"steps": steps},
        headers={**person.headers, "If-Match": etag_of(client, person, document_id)},
    )


def act(
    client: FlaskClient,
    person: Person,
    document_id: int,
    action: str,
    *,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
    **body: Any,
):
    """POST an action with the document's current ETag (as the person sees it)."""
    if etag is None:
        etag = etag_of(client, person, document_id)
    return client.post(
        f"/api/documents/{document_id}/{action}",
        json=body,
        headers={**person.headers, "If-Match": etag, **(headers or {})},
    )


def standard_route(world: World) -> list[dict]:
    """head of KT reviews → the vice-chairman signs → the clerk issues."""
    return [
        {"kind": "review", "actors": [{"user_id": world["head"].id}]},
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
        {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
    ]


def run_worker(app: Flask) -> int:
    """Do what the worker process would: run every queued task, in order."""
    huey = app.extensions["queue"]
    ran = 0
    with app.app_context():
        while (task := huey.dequeue()) is not None:
            task.execute()
            ran += 1
    return ran


def run_periodic(app: Flask, name: str) -> object:
    """Run one periodic task now (the sweep, the reminders) as the worker would."""
    with app.app_context():
        return getattr(app.extensions["tasks"], name).call_local()
