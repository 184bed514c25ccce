"""The task queue (Huey): a SQLite file in var/ by default, Redis when REDIS_URL is set."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey

from backend.config import Settings

_queues: dict[tuple[str, str], Huey] = {}


def make_queue(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey("trinhky", url=settings.redis_url)
    Path(settings.var_dir).mkdir(parents=True, exist_ok=True)
    return SqliteHuey("trinhky", filename=str(Path(settings.var_dir) / "queue.db"))


def queue_for(settings: Settings) -> Huey:
    key = (settings.redis_url, settings.var_dir)
    if key not in _queues:
        _queues[key] = make_queue(settings)
    return _queues[key]
