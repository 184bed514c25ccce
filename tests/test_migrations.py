"""Migrations: from an empty database to head, matching the models exactly, and one step
down and up again."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from backend.migrate import alembic_config, downgrade, include_name, upgrade
from backend.models import Base
from tests.conftest import create_postgres_database, drop_postgres_database


@pytest.fixture
def empty_database(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = create_postgres_database(base, f"mig_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
        yield url
        drop_postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


def _diff(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    return diff


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_from_empty_matches_the_models(empty_database):
    upgrade(empty_database)
    assert _diff(empty_database) == []
    assert set(Base.metadata.tables) <= _tables(empty_database)


def test_downgrade_one_step_and_upgrade_again(empty_database):
    script = ScriptDirectory.from_config(alembic_config(empty_database))
    head = script.get_current_head()
    previous = script.get_revision(head).down_revision
    upgrade(empty_database)
    downgrade(empty_database, "-1")
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    assert current == previous
    if previous is None:
        assert _tables(empty_database) <= {"alembic_version"}
    upgrade(empty_database)
    assert _diff(empty_database) == []
