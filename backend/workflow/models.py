"""The approval route of a document (the paper round of "văn bản trình ký"): ordered
steps with their actors, the work items each actor receives, every action taken, the
leaders' instructions ("ý kiến chỉ đạo"), route templates and quick phrases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow
from backend.org.models import User


class StepKind(StrEnum):
    REVIEW = "review"  # xem xét, ký nháy
    CONSULT = "consult"  # xin ý kiến: parallel and advisory unless blocking
    SIGN = "sign"  # người có thẩm quyền ký
    ISSUE = "issue"  # văn thư: số, ngày, ban hành


class StepMode(StrEnum):
    ALL = "all"  # every actor must act
    ANY = "any"  # the first actor to act decides for the step


class StepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"
    RETURNED = "returned"  # the draft went back to the drafter from this step


class AssignmentStatus(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    RETURNED = "returned"
    FORWARDED = "forwarded"
    REPLIED = "replied"
    CANCELLED = "cancelled"


class SigningPrefix(StrEnum):
    """Printed above the signer's title (Nghị định 30). TUQ. comes from a delegation."""

    TM = "TM."  # thay mặt (on behalf of a collective)
    KT = "KT."  # ký thay (a deputy signing for the head)
    TL = "TL."  # thừa lệnh
    Q = "Q."  # quyền (acting)


class RouteTemplate(Base):
    """A reusable route for a document type and/or unit, e.g. "Công văn of Phòng Tài chính:
    head → vice-chairman → clerk". ``steps`` has the same shape as a route in the API."""

    __tablename__ = "route_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    document_type_id: Mapped[int | None] = mapped_column(ForeignKey("document_types.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RouteStep(Base):
    __tablename__ = "route_steps"
    __table_args__ = (Index("ix_route_steps_document", "document_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8), default=StepMode.ALL)
    blocking: Mapped[bool] = mapped_column(Boolean, default=True)
    signing_prefix: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.PENDING)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actors: Mapped[list[StepActor]] = relationship(
        back_populates="step",
        lazy="selectin",
        order_by="StepActor.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class StepActor(Base):
    """Who a step is for: a named user, or "the head(s) of unit X" resolved when the step
    starts (so a new head receives it)."""

    __tablename__ = "step_actors"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(
        ForeignKey("route_steps.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    step: Mapped[RouteStep] = relationship(back_populates="actors")
    user: Mapped[User | None] = relationship(lazy="joined")


class StepAssignment(Base):
    """One person's work item on an active step: what "waiting for me" lists."""

    __tablename__ = "step_assignments"
    __table_args__ = (Index("ix_assignments_document", "document_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("route_steps.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.WAITING)
    urgency_rank: Mapped[int] = mapped_column(Integer, default=0)  # copied from the document
    forwarded_from_id: Mapped[int | None] = mapped_column(ForeignKey("step_assignments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    step: Mapped[RouteStep] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


# The inbox, read in index order: mine, waiting, most urgent first, then oldest first.
Index(
    "ix_assignments_inbox",
    StepAssignment.user_id,
    StepAssignment.status,
    StepAssignment.urgency_rank.desc(),
    StepAssignment.created_at,
    StepAssignment.id,
)


class WorkflowAction(Base):
    """Everything anyone did to the route, in order: the document's timeline."""

    __tablename__ = "workflow_actions"
    __table_args__ = (
        Index("ix_workflow_actions_actor", "actor_id", "document_id"),
        Index("ix_workflow_actions_document", "document_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("route_steps.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_position: Mapped[str] = mapped_column(String(120), default="")
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    version_number: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    step: Mapped[RouteStep | None] = relationship(lazy="joined")
    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id], lazy="joined")
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id], lazy="joined")


class Instruction(Base):
    """Ý kiến chỉ đạo / bút phê: a leader's text on a document."""

    __tablename__ = "instructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_position: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    version_number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class QuickPhrase(Base):
    """A leader's reusable phrases ("Đồng ý", "Giao Phòng … chủ trì")."""

    __tablename__ = "quick_phrases"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
