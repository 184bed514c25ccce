"""Database plumbing: the declarative base, one engine per app, a request-scoped session
and ``atomic()`` — the single way a service makes its changes all-or-nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("trinhky.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, sqlite_busy_timeout: float = 30) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": sqlite_busy_timeout, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE is ours.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the lock up front (see atomic()): upgrading a read transaction to a
            # write one later fails at once with SQLITE_BUSY instead of waiting its turn.
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    def __init__(self, url: str, sqlite_busy_timeout: float = 30) -> None:
        self.url = url
        self.engine = make_engine(url, sqlite_busy_timeout)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"


def init_app(app: Flask, url: str, sqlite_busy_timeout: float = 30) -> Database:
    database = Database(url, sqlite_busy_timeout)
    app.extensions["db"] = database

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    return database


def get_db() -> Database:
    return current_app.extensions["db"]


def session() -> Session:
    """The session of the current app context (one per request or CLI command)."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


@contextmanager
def atomic() -> Iterator[Session]:
    """All changes inside commit together or not at all. Nested calls join the outer one,
    so a service calling another service (or an idempotent request wrapping a service)
    still makes one transaction."""
    s = session()
    depth = s.info.get("atomic_depth", 0)
    if depth == 0 and s.get_bind().dialect.name == "sqlite":
        if s.in_transaction():
            s.commit()  # only reads so far; objects stay loaded (expire_on_commit=False)
        s.connection(execution_options={"sqlite_immediate": True})
    s.info["atomic_depth"] = depth + 1
    try:
        yield s
        if depth == 0:
            s.commit()
    except BaseException:
        if depth == 0:
            s.rollback()
            s.info.pop("on_commit", None)
        raise
    finally:
        s.info["atomic_depth"] = depth
    if depth == 0:
        for callback in s.info.pop("on_commit", []):
            try:
                callback()
            except Exception:  # the change is committed; a periodic sweep finishes the job
                log.exception("after-commit callback failed")


def on_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the surrounding ``atomic()`` block has committed (e.g. to
    enqueue delivery of what it wrote); dropped if it rolls back."""
    s = session()
    if s.info.get("atomic_depth", 0) == 0:
        raise RuntimeError("on_commit() belongs inside an atomic() block")
    s.info.setdefault("on_commit", []).append(callback)
