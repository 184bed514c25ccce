"""Time: stored in UTC, shown in Asia/Ho_Chi_Minh with an explicit +07:00 offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Tests freeze the clock by replacing this callable (see tests/conftest.py).
_clock = None


def utcnow() -> datetime:
    if _clock is not None:
        return _clock()
    return datetime.now(UTC)


def to_vn(value: datetime) -> datetime:
    return value.astimezone(VN_TZ)


def iso_vn(value: datetime | None) -> str | None:
    """ISO 8601 with the Vietnam offset, e.g. ``2026-11-23T07:05:24+07:00``."""
    if value is None:
        return None
    return to_vn(value).isoformat(timespec="seconds")
