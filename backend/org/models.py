"""Organisations ("cơ quan", with their "mã định danh"), units, users, memberships and
the document-type catalogue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow


class Role(StrEnum):
    LEADER = "leader"  # lãnh đạo cơ quan
    HEAD = "head"  # trưởng/phó phòng, vụ
    SPECIALIST = "specialist"  # chuyên viên
    CLERK = "clerk"  # văn thư
    ADMIN = "admin"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)  # mã định danh, e.g. 000.00.00.H41
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(30))  # used in symbols: 15/QĐ-UBND
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # Sign steps need a digital signature (else "approve" records the decision to sign).
    digital_signing: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    signature_level: Mapped[str] = mapped_column(String(8), default="B-LTA", server_default="B-LTA")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])
    units: Mapped[list[Unit]] = relationship(back_populates="organisation")


class Unit(Base):
    """A phòng/vụ/ban inside an organisation."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("organisation_id", "abbreviation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    abbreviation: Mapped[str] = mapped_column(String(20))  # e.g. VP, TC, KT
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="units")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="selectin", order_by="Membership.id"
    )

    @property
    def primary_membership(self) -> Membership | None:
        return self.memberships[0] if self.memberships else None

    def roles_in(self, organisation_id: int) -> set[str]:
        return {m.role for m in self.memberships if m.organisation_id == organisation_id}

    @property
    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.memberships}


class Membership(Base):
    """A user's place: organisation, unit (optional for agency leaders), role, and the
    position title printed under the signature ("Phó Chủ tịch", "Chánh Văn phòng")."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    position_title: Mapped[str] = mapped_column(String(120), default="")

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")


class DocumentType(Base):
    """Loại văn bản (Nghị định 30, Phụ lục III). Công văn has no abbreviation."""

    __tablename__ = "document_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    abbreviation: Mapped[str | None] = mapped_column(String(10))
    paperless_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    is_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Delegation(Base):
    """Ủy quyền: a leader lets a named deputy approve and/or sign in their place for a
    period, for all documents or for some types/units. Actions taken under it are
    recorded as "TUQ." with both names. It cannot be passed on: only work assigned to the
    delegator in person is covered, never work the delegator holds by delegation."""

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_deputy", "deputy_id", "revoked_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    can_approve: Mapped[bool] = mapped_column(Boolean, default=True)
    can_sign: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document_type_ids: Mapped[list[int] | None] = mapped_column(JSON)  # None = all types
    unit_ids: Mapped[list[int] | None] = mapped_column(JSON)  # None = all units
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it ran out

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id], lazy="joined")
    deputy: Mapped[User] = relationship(foreign_keys=[deputy_id], lazy="joined")

    def active_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= moment < self.ends_at

    def covers(self, kind: str, document_type_id: int, unit_id: int | None) -> bool:
        """kind: "approve" (review, consult) or "sign"."""
        if kind == "sign" and not self.can_sign:
            return False
        if kind == "approve" and not self.can_approve:
            return False
        if self.document_type_ids is not None and document_type_id not in self.document_type_ids:
            return False
        return self.unit_ids is None or unit_id in self.unit_ids
