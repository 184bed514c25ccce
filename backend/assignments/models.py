"""Phiếu giải quyết: the assignments that carry out a leader's instruction on a document
(a lead unit, cooperating units, units kept informed, each with its deadline), the
sub-assignments a unit's head gives the unit's people, their progress reports and
their deadline-extension requests."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow
from backend.org.models import Unit, User


class AssignmentRole(StrEnum):
    LEAD = "lead"  # chủ trì
    COOPERATE = "cooperate"  # phối hợp
    FYI = "fyi"  # để biết


class AssignmentState(StrEnum):
    NEW = "new"  # giao, not started
    IN_PROGRESS = "in_progress"  # đang xử lý
    COMPLETED = "completed"  # hoàn thành (FYI: đã xem)
    WITHDRAWN = "withdrawn"  # the document was recalled by its sender (exchange)


OPEN_STATES = (AssignmentState.NEW, AssignmentState.IN_PROGRESS)


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class Assignment(Base):
    """One unit's share of an instruction (``parent_id`` empty, ``assignee_id`` empty: the
    unit's heads answer for it), or one person's share of their unit's assignment
    (``parent_id`` = the unit's assignment, ``assignee_id`` = the person).

    ``deadline`` is a date (Vietnam time) and ends at midnight; ``due_at`` is that
    midnight in UTC, so "late" is one comparison in SQL."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_asg_document", "document_id", "parent_id"),
        # the dashboard and the lists: mine, my unit's, what I assigned — open ones by deadline
        Index("ix_asg_assignee_open", "assignee_id", "state", "due_at"),
        Index("ix_asg_unit_open", "unit_id", "state", "due_at"),
        Index("ix_asg_assigner_open", "assigner_id", "state", "due_at"),
        # the leaders' "late units" and the reminders
        Index("ix_asg_org_open", "organisation_id", "state", "due_at"),
        # the processing reports: what an organisation received in a period
        Index("ix_asg_org_created", "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    instruction_id: Mapped[int | None] = mapped_column(
        ForeignKey("instructions.id", ondelete="SET NULL")
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(12))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    original_deadline: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default=AssignmentState.NEW)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str] = mapped_column(Text, default="")
    reply_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the deadline each reminder was sent for (a moved deadline is reminded again)
    reminded_due_soon: Mapped[date | None] = mapped_column(Date)
    reminded_overdue: Mapped[date | None] = mapped_column(Date)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    unit: Mapped[Unit] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    assigner: Mapped[User] = relationship(foreign_keys=[assigner_id], lazy="joined")

    @property
    def etag(self) -> str:
        return f'"a{self.id}-{self.row_version}"'

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def timeliness_at(self, now: datetime) -> str:
        """on_time | late: completed before the deadline's end, or still within it."""
        if self.due_at is None:
            return "on_time"
        moment = self.completed_at if self.completed_at is not None else now
        return "late" if moment >= self.due_at else "on_time"


class AssignmentProgress(Base):
    """A progress report: percent done and a note (báo cáo tiến độ)."""

    __tablename__ = "assignment_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
    files: Mapped[list[AssignmentProgressFile]] = relationship(
        order_by="AssignmentProgressFile.id", lazy="selectin"
    )


class AssignmentProgressFile(Base):
    """A file attached to a progress report (a draft, a photo of the site, a table)."""

    __tablename__ = "assignment_progress_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(
        ForeignKey("assignment_progress.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)


class AssignmentExtension(Base):
    """A request to move a deadline (gia hạn), and the assigner's answer. Accepted ones
    keep the old date: the history of a deadline is its extensions."""

    __tablename__ = "assignment_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    old_deadline: Mapped[date] = mapped_column(Date)
    requested_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ExtensionStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
