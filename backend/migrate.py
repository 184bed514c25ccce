"""Alembic, driven from code (``flask db-upgrade`` / ``db-downgrade``); no alembic.ini."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config

from backend.config import PROJECT_ROOT


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Autogenerate compares the models only: database objects made by hand in a migration
    for one dialect (the search index's FTS5 table and trigram indexes) are left alone."""
    from backend.search.models import DIALECT_OBJECTS

    return name not in DIALECT_OBJECTS


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "-1") -> None:
    command.downgrade(alembic_config(url), revision)


def revision(url: str, message: str, rev_id: str) -> None:
    """Autogenerate a new migration against a database at head (for developers)."""
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)
