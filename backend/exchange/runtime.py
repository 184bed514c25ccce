"""What the exchange needs from the deployment: the transport to the axis, the limits on
received packages, and the account received documents are attributed to."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import select

from backend.core.db import atomic, session
from backend.documents.models import URGENCY_RANK, Urgency
from backend.org.models import Membership, Role, User

from . import edxml
from .transport import Transport, VxpTransport

SYSTEM_USERNAME = "he-thong.lien-thong"
SYSTEM_FULL_NAME = "Hệ thống liên thông văn bản"
# edXML Priority (one implementation: 0 normal … 3 hỏa tốc, 4 hỏa tốc hẹn giờ)
URGENCY_PRIORITY = {
    Urgency.NORMAL: 0,
    Urgency.KHAN: 1,
    Urgency.THUONG_KHAN: 2,
    Urgency.HOA_TOC: 3,
}
PRIORITY_URGENCY = {0: Urgency.NORMAL, 1: Urgency.KHAN, 2: Urgency.THUONG_KHAN, 3: Urgency.HOA_TOC}


def settings() -> Any:
    return current_app.extensions["settings"]


def transport() -> Transport | None:
    """The axis adapter, or None when this installation is not connected to an axis."""
    ext = current_app.extensions
    s = settings()
    if not s.exchange_vxp_url:
        return None
    key = (s.exchange_vxp_url, s.exchange_vxp_system_id, s.exchange_vxp_secret)
    cached = ext.get("exchange_transport")
    if cached is None or cached[0] != key:
        cached = (key, VxpTransport(*key))
        ext["exchange_transport"] = cached
    return cached[1]


def limits() -> edxml.Limits:
    s = settings()
    return edxml.Limits(
        max_package=s.exchange_max_package_mb * 1024 * 1024,
        max_attachment=s.max_upload_bytes,
    )


def urgency_of(priority: int) -> str:
    return PRIORITY_URGENCY.get(priority, Urgency.HOA_TOC if priority > 3 else Urgency.NORMAL)


def urgency_rank(urgency: str) -> int:
    return URGENCY_RANK[Urgency(urgency)]


def memo(name: str) -> dict[Any, Any]:
    """A cache for the length of the current task or request (many packages in a poll
    look up the same clerks, types and directory entries)."""
    if not has_app_context():
        return {}
    return g.setdefault(f"exchange_{name}", {})


def system_user_id() -> int:
    """The account documents received from elsewhere are created by: inactive, no
    password, no membership — it cannot sign in; the timeline names it."""
    cache = memo("system_user")
    if "id" in cache:
        return cache["id"]
    s = session()
    found = s.scalar(select(User.id).where(User.username == SYSTEM_USERNAME))
    if found is not None:
        cache["id"] = found  # (one created below may still be rolled back: not cached)
        return found
    with atomic():
        user = User(
            username=SYSTEM_USERNAME,
            full_name=SYSTEM_FULL_NAME,
            password_hash="!",  # noqa: S106 - not a hash: no password can match it
            active=False,
        )
        s.add(user)
        s.flush()
        return user.id


def clerks_of(organisation_id: int) -> list[int]:
    cache = memo("clerks")
    if organisation_id not in cache:
        cache[organisation_id] = _clerks_of(organisation_id)
    return cache[organisation_id]


def _clerks_of(organisation_id: int) -> list[int]:
    return list(
        session().scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role == Role.CLERK,
                User.active.is_(True),
            )
            .order_by(User.id)
            .distinct()
        )
    )
