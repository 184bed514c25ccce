"""Organisations, units, users and the document-type catalogue."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.core.db import atomic, session
from backend.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.core.timeutil import to_vn, utcnow

from .models import Delegation, DocumentType, Membership, Organisation, Role, Unit, User


def _require_member(actor: User, organisation_id: int) -> Organisation:
    org = session().get(Organisation, organisation_id)
    if org is None or organisation_id not in actor.organisation_ids:
        raise NotFound("No such organisation.")
    return org


def _require_admin(actor: User, organisation_id: int) -> Organisation:
    org = _require_member(actor, organisation_id)
    if Role.ADMIN not in actor.roles_in(organisation_id):
        raise Forbidden("Only the organisation's administrators may do this.")
    return org


def list_organisations(actor: User) -> list[Organisation]:
    ids = actor.organisation_ids
    if not ids:
        return []
    return list(
        session().scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.id)
        )
    )


def get_organisation(actor: User, organisation_id: int) -> Organisation:
    return _require_member(actor, organisation_id)


def list_units(actor: User, organisation_id: int) -> list[Unit]:
    _require_member(actor, organisation_id)
    return list(
        session().scalars(
            select(Unit).where(Unit.organisation_id == organisation_id).order_by(Unit.id)
        )
    )


def create_unit(actor: User, organisation_id: int, name: str, abbreviation: str) -> Unit:
    _require_admin(actor, organisation_id)
    try:
        with atomic() as s:
            unit = Unit(organisation_id=organisation_id, name=name, abbreviation=abbreviation)
            s.add(unit)
            s.flush()
            audit.record(
                "org.unit_created",
                "unit",
                unit.id,
                actor=actor,
                organisation_id=organisation_id,
                data={"name": name, "abbreviation": abbreviation},
            )
    except IntegrityError as exc:
        raise Conflict(f"A unit with abbreviation {abbreviation!r} already exists.") from exc
    return unit


def update_unit(actor: User, organisation_id: int, unit_id: int, changes: dict[str, Any]) -> Unit:
    """Rename a unit (its abbreviation prints in later numbers: 12/UBND-KT)."""
    _require_admin(actor, organisation_id)
    try:
        with atomic() as s:
            unit = s.get(Unit, unit_id)
            if unit is None or unit.organisation_id != organisation_id:
                raise NotFound("No such unit in this organisation.")
            before = {"name": unit.name, "abbreviation": unit.abbreviation}
            for key in ("name", "abbreviation"):
                if key in changes:
                    setattr(unit, key, changes[key])
            s.flush()
            audit.record(
                "org.unit_updated",
                "unit",
                unit.id,
                actor=actor,
                organisation_id=organisation_id,
                data={"before": before, "after": {k: changes[k] for k in changes}},
            )
    except IntegrityError as exc:
        raise Conflict(
            f"A unit with abbreviation {changes.get('abbreviation')!r} already exists.",
            code="abbreviation-taken",
        ) from exc
    return unit


def list_users(actor: User, organisation_id: int) -> list[User]:
    _require_member(actor, organisation_id)
    return list(
        session().scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id)
            .distinct()
            .order_by(User.id)
        )
    )


def get_user(actor: User, user_id: int) -> User:
    user = session().get(User, user_id)
    if user is None or not (user.organisation_ids & actor.organisation_ids):
        raise NotFound("No such user.")
    return user


def _check_membership_target(organisation_id: int, unit_id: int | None, role: str) -> None:
    if role not in {r.value for r in Role}:
        raise ValidationFailed("Unknown role.", {"role": [f"Unknown role {role!r}."]})
    if unit_id is not None:
        unit = session().get(Unit, unit_id)
        if unit is None or unit.organisation_id != organisation_id:
            raise ValidationFailed(
                "The unit does not belong to this organisation.",
                {"unit_id": ["Not a unit of this organisation."]},
            )


def create_user(actor: User, organisation_id: int, data: dict[str, Any]) -> User:
    from backend.auth.service import hash_password

    _require_admin(actor, organisation_id)
    memberships = data.get("memberships") or []
    for m in memberships:
        _check_membership_target(organisation_id, m.get("unit_id"), m["role"])
    username = data["username"].strip().lower()
    try:
        with atomic() as s:
            user = User(
                username=username,
                full_name=data["full_name"],
                email=data.get("email"),
                password_hash=hash_password(data["password"]),
            )
            s.add(user)
            s.flush()
            for m in memberships:
                s.add(
                    Membership(
                        user_id=user.id,
                        organisation_id=organisation_id,
                        unit_id=m.get("unit_id"),
                        role=m["role"],
                        position_title=m.get("position_title", ""),
                    )
                )
            s.flush()
            s.refresh(user)
            audit.record(
                "org.user_created",
                "user",
                user.id,
                actor=actor,
                organisation_id=organisation_id,
                data={"username": username, "roles": [m["role"] for m in memberships]},
            )
    except IntegrityError as exc:
        raise Conflict(f"The username {username!r} is taken.", code="username-taken") from exc
    return user


def update_user(actor: User, user_id: int, changes: dict[str, Any]) -> User:
    from backend.auth.service import hash_password

    user = get_user(actor, user_id)
    shared = user.organisation_ids & actor.organisation_ids
    admin_of = [org for org in shared if Role.ADMIN in actor.roles_in(org)]
    if not admin_of:
        raise Forbidden("Only the organisation's administrators may change users.")
    organisation_id = admin_of[0]
    memberships = changes.get("memberships")
    if memberships is not None:
        _check_memberships(actor, user, organisation_id, memberships)
    with atomic() as s:
        recorded: dict[str, Any] = {}
        if memberships is not None:
            _replace_memberships(s, user, organisation_id, memberships)
            recorded["memberships"] = [
                {"unit_id": m.get("unit_id"), "role": m["role"]} for m in memberships
            ]
        if "full_name" in changes:
            user.full_name = recorded["full_name"] = changes["full_name"]
        if "email" in changes:
            user.email = recorded["email"] = changes["email"]
        if "active" in changes:
            if user.id == actor.id and not changes["active"]:
                raise Conflict("You cannot disable your own account.")
            user.active = recorded["active"] = changes["active"]
        if "password" in changes:
            user.password_hash = hash_password(changes["password"])
            user.failed_logins = 0
            user.locked_until = None
            recorded["password"] = "reset"  # noqa: S105 - what happened, not a password
        audit.record(
            "org.user_updated",
            "user",
            user.id,
            actor=actor,
            organisation_id=organisation_id,
            data=recorded,
        )
    return user


def _check_memberships(
    actor: User, user: User, organisation_id: int, memberships: list[dict[str, Any]]
) -> None:
    seen = set()
    for m in memberships:
        _check_membership_target(organisation_id, m.get("unit_id"), m["role"])
        key = (m.get("unit_id"), m["role"])
        if key in seen:
            raise ValidationFailed(
                "The same role in the same unit is given twice.",
                {"memberships": ["A role is given twice in the same unit."]},
            )
        seen.add(key)
    if user.id == actor.id and not any(m["role"] == Role.ADMIN for m in memberships):
        # nobody locks themselves (and maybe everyone) out of administration by mistake
        raise Conflict("You cannot take away your own administrator role.", code="own-admin-role")


def _replace_memberships(
    s: Any, user: User, organisation_id: int, memberships: list[dict[str, Any]]
) -> None:
    """The user's places in this organisation become exactly ``memberships`` (those in
    other organisations stay); unchanged ones keep their rows."""
    wanted = {(m.get("unit_id"), m["role"]): m.get("position_title", "") for m in memberships}
    for row in [m for m in user.memberships if m.organisation_id == organisation_id]:
        key = (row.unit_id, row.role)
        if key in wanted:
            row.position_title = wanted.pop(key)
        else:
            s.delete(row)
    s.flush()
    for (unit_id, role), title in wanted.items():
        s.add(
            Membership(
                user_id=user.id,
                organisation_id=organisation_id,
                unit_id=unit_id,
                role=role,
                position_title=title,
            )
        )
    s.flush()
    s.expire(user, ["memberships"])


def list_document_types() -> list[DocumentType]:
    return list(session().scalars(select(DocumentType).order_by(DocumentType.sort_order)))


def get_document_type(type_id: int) -> DocumentType:
    doc_type = session().get(DocumentType, type_id)
    if doc_type is None:
        raise ValidationFailed(
            "Unknown document type.", {"document_type_id": ["No such document type."]}
        )
    return doc_type


# -- delegation (ủy quyền) ---------------------------------------------------------------

DELEGATING_ROLES = {Role.LEADER, Role.HEAD}
MAX_DELEGATION_DAYS = 366


def heads_of_unit(unit_id: int) -> list[User]:
    """Trưởng/phó of a unit: the people behind a "head of unit X" route actor."""
    return list(
        session().scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit_id, Membership.role == Role.HEAD, User.active)
            .order_by(Membership.id)
        )
    )


def position_title(user: User, organisation_id: int) -> str:
    """The title printed for this user in that organisation ("Phó Chủ tịch")."""
    titles = [
        m.position_title
        for m in user.memberships
        if m.organisation_id == organisation_id and m.position_title
    ]
    return titles[0] if titles else ""


def active_delegations_to(user: User) -> list[Delegation]:
    """Delegations the user may act under right now (cached for the request)."""
    cache = g.setdefault("delegations_to", {}) if has_app_context() else {}
    if user.id not in cache:
        now = utcnow()
        cache[user.id] = list(
            session().scalars(
                select(Delegation).where(
                    Delegation.deputy_id == user.id,
                    Delegation.revoked_at.is_(None),
                    Delegation.starts_at <= now,
                    Delegation.ends_at > now,
                )
            )
        )
    return cache[user.id]


def _forget_delegation_cache() -> None:
    if has_app_context():
        g.pop("delegations_to", None)


def create_delegation(actor: User, data: dict[str, Any]) -> Delegation:
    organisation_id = data["organisation_id"]
    _require_member(actor, organisation_id)
    if not actor.roles_in(organisation_id) & DELEGATING_ROLES:
        raise Forbidden("Only leaders and heads of units delegate their authority.")
    s = session()
    deputy = s.get(User, data["deputy_id"])
    if deputy is None or organisation_id not in deputy.organisation_ids:
        raise ValidationFailed(
            "The deputy must belong to the same organisation.",
            {"deputy_id": ["Not a member of this organisation."]},
        )
    if deputy.id == actor.id:
        raise ValidationFailed(
            "You cannot delegate to yourself.", {"deputy_id": ["Choose someone else."]}
        )
    starts_at, ends_at = data.get("starts_at") or utcnow(), data["ends_at"]
    if ends_at <= starts_at:
        raise ValidationFailed("The period must end after it starts.", {"ends_at": ["Too early."]})
    if (ends_at - starts_at).days > MAX_DELEGATION_DAYS:
        raise ValidationFailed(
            "A delegation is limited in time: at most one year.", {"ends_at": ["Too late."]}
        )
    if not (data.get("can_approve") or data.get("can_sign")):
        raise ValidationFailed(
            "Delegate approving, signing or both.", {"can_approve": ["Nothing delegated."]}
        )
    for unit_id in data.get("unit_ids") or []:
        unit = s.get(Unit, unit_id)
        if unit is None or unit.organisation_id != organisation_id:
            raise ValidationFailed("Unknown unit.", {"unit_ids": [f"No unit {unit_id}."]})
    for type_id in data.get("document_type_ids") or []:
        if s.get(DocumentType, type_id) is None:
            raise ValidationFailed(
                "Unknown document type.", {"document_type_ids": [f"No type {type_id}."]}
            )
    with atomic():
        delegation = Delegation(
            organisation_id=organisation_id,
            delegator_id=actor.id,
            deputy_id=deputy.id,
            can_approve=bool(data.get("can_approve")),
            can_sign=bool(data.get("can_sign")),
            starts_at=starts_at,
            ends_at=ends_at,
            document_type_ids=data.get("document_type_ids") or None,
            unit_ids=data.get("unit_ids") or None,
            note=data.get("note", ""),
        )
        s.add(delegation)
        s.flush()
        audit.record(
            "delegation.created",
            "delegation",
            delegation.id,
            actor=actor,
            organisation_id=organisation_id,
            data={
                "deputy_id": deputy.id,
                "can_approve": delegation.can_approve,
                "can_sign": delegation.can_sign,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "document_type_ids": delegation.document_type_ids,
                "unit_ids": delegation.unit_ids,
            },
        )
        from backend.notifications import service as notifications

        notifications.notify(
            [deputy.id],
            "delegation.started",
            f"Ủy quyền từ {actor.full_name}",
            body=_delegation_text(delegation),
        )
    _forget_delegation_cache()
    return delegation


def _delegation_text(delegation: Delegation) -> str:
    what = " và ".join(
        w for w, on in (("xử lý", delegation.can_approve), ("ký", delegation.can_sign)) if on
    )
    until = to_vn(delegation.ends_at).strftime("%H:%M %d/%m/%Y")
    return f"Được ủy quyền {what} đến {until}."


def list_delegations(actor: User) -> list[Delegation]:
    """Delegations given by me or to me, newest first."""
    return list(
        session().scalars(
            select(Delegation)
            .where(or_(Delegation.delegator_id == actor.id, Delegation.deputy_id == actor.id))
            .order_by(Delegation.id.desc())
        )
    )


def revoke_delegation(actor: User, delegation_id: int) -> Delegation:
    """Takes effect at once: the deputy's next request no longer sees the items."""
    with atomic() as s:
        delegation = s.scalar(
            select(Delegation).where(Delegation.id == delegation_id).with_for_update(of=Delegation)
        )
        if (
            delegation is None
            or actor.id
            not in (
                delegation.delegator_id,
                delegation.deputy_id,
            )
            and Role.ADMIN not in actor.roles_in(delegation.organisation_id)
        ):
            raise NotFound("No such delegation.")
        if actor.id == delegation.deputy_id:
            raise Forbidden("Only the person who delegated (or an admin) may revoke it.")
        if delegation.revoked_at is None:
            delegation.revoked_at = utcnow()
            delegation.revoked_by_id = actor.id
            audit.record(
                "delegation.revoked",
                "delegation",
                delegation.id,
                actor=actor,
                organisation_id=delegation.organisation_id,
            )
            from backend.notifications import service as notifications

            notifications.notify(
                [delegation.deputy_id],
                "delegation.ended",
                f"Kết thúc ủy quyền của {delegation.delegator.full_name}",
            )
    _forget_delegation_cache()
    return delegation


def notify_expired_delegations() -> int:
    """Tell deputies when a delegation ran out (revocations are told at once)."""
    from backend.notifications import service as notifications

    s = session()
    now = utcnow()
    expired = list(
        s.scalars(
            select(Delegation).where(
                Delegation.revoked_at.is_(None),
                Delegation.end_notified_at.is_(None),
                Delegation.ends_at <= now,
            )
        )
    )
    for delegation in expired:
        with atomic():
            delegation.end_notified_at = now
            notifications.notify(
                [delegation.deputy_id],
                "delegation.ended",
                f"Hết thời hạn ủy quyền của {delegation.delegator.full_name}",
            )
    return len(expired)
