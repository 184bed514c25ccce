"""Organisations, units, users and the document-type catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.core.db import atomic, session
from backend.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .models import DocumentType, Membership, Organisation, Role, Unit, User


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
    with atomic():
        recorded: dict[str, Any] = {}
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
            organisation_id=admin_of[0],
            data=recorded,
        )
    return user


def list_document_types() -> list[DocumentType]:
    return list(session().scalars(select(DocumentType).order_by(DocumentType.sort_order)))


def get_document_type(type_id: int) -> DocumentType:
    doc_type = session().get(DocumentType, type_id)
    if doc_type is None:
        raise ValidationFailed(
            "Unknown document type.", {"document_type_id": ["No such document type."]}
        )
    return doc_type
