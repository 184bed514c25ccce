"""The morning digest (thư tổng hợp buổi sáng) for leaders and heads, at 07:00 Vietnam
time on working days: what waits for them, most urgent first; overdue work of their units
(for a leader: of the work they assigned); deadlines today — each line a link that opens
the app at the document. Written to the outbox once per person and day, so a second
worker or a rerun writes nothing twice; a worker that was down at 07:00 catches up at
its next quarter hour until noon. Nothing is sent to someone with nothing waiting."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.assignments import service as assignments
from backend.assignments.models import AssignmentState
from backend.core.db import atomic, session
from backend.core.timeutil import to_vn, utcnow
from backend.documents.models import URGENCY_LABELS, Urgency
from backend.mail import fallback
from backend.mail import service as mail
from backend.mail.models import MailKind, MailMessage
from backend.mail.templates import Section, document_link, render
from backend.org.models import Membership, Role, User
from backend.workflow import inbox

log = logging.getLogger("trinhky.digest")
HOUR, LAST_HOUR = 7, 11  # sent from 07:00; caught up until 11:59
LIMIT = 100  # lines per section


def working_day(day: date) -> bool:
    """Monday to Friday, except the days off the agency lists (NON_WORKING_DAYS)."""
    if day.weekday() >= 5:
        return False
    extra = {d.strip() for d in mail.settings().non_working_days.split(",") if d.strip()}
    return day.isoformat() not in extra


def _recipients() -> list[User]:
    ids = session().scalars(
        select(Membership.user_id)
        .where(Membership.role.in_((Role.LEADER, Role.HEAD)))
        .group_by(Membership.user_id)
    )
    return list(
        session().scalars(
            select(User)
            .where(User.id.in_(list(ids)), User.active.is_(True), User.email.is_not(None))
            .order_by(User.id)
        )
    )


def send_digests(now: datetime | None = None) -> int:
    """Write today's digests that are not written yet; returns how many."""
    if not mail.enabled():
        return 0
    local = to_vn(now or utcnow())
    if not working_day(local.date()) or not HOUR <= local.hour <= LAST_HOUR:
        return 0
    day = local.date()
    written = 0
    for user in _recipients():
        key = f"digest:{day.isoformat()}:{user.id}"
        if session().scalar(select(MailMessage.id).where(MailMessage.dedupe_key == key)):
            continue
        if not fallback.preferences(user).digest:
            continue
        sections = gather(user, day)
        session().rollback()
        if not sections:
            continue
        try:
            with atomic():
                written += _write(user, day, key, sections) is not None
        except IntegrityError:  # another worker wrote it a moment ago
            session().rollback()
    return written


def _line(document: Any, extra: str = "") -> str:
    if document.is_secret:
        return "Văn bản mật" + (f" — {extra}" if extra else "")
    number = f"{document.number_symbol}: " if document.number_symbol else ""
    return f"{number}{document.subject}" + (f" — {extra}" if extra else "")


def gather(user: User, day: date) -> list[Section]:
    url = mail.settings().app_url
    sections: list[Section] = []
    waiting = inbox.waiting(user, {}, None, LIMIT).items
    by_urgency: dict[str, list[Any]] = {}
    for item in waiting:
        by_urgency.setdefault(item["document"].urgency, []).append(item)
    for urgency in reversed(list(Urgency)):
        items = by_urgency.get(urgency, [])
        if items:
            sections.append(
                Section(
                    f"Chờ anh/chị xử lý — {URGENCY_LABELS[urgency]} ({len(items)})",
                    [
                        (
                            _line(i["document"], "quá hạn" if i["overdue"] else ""),
                            document_link(url, i["document"].id),
                        )
                        for i in items
                    ],
                )
            )
    heads = assignments.head_unit_ids(user)
    scope = "unit" if heads else "assigned_by_me"
    overdue = assignments.list_assignments(
        user, scope=scope, state=None, overdue=True, unit_id=None, cursor=None, limit=LIMIT
    ).items
    if overdue:
        sections.append(
            Section(
                ("Việc quá hạn của đơn vị" if heads else "Việc anh/chị giao đã quá hạn")
                + f" ({len(overdue)})",
                [
                    (
                        _line(node.document, f"hạn {node.deadline.strftime('%d/%m/%Y')}")
                        if node.deadline
                        else _line(node.document),
                        document_link(url, node.document_id),
                    )
                    for node in overdue
                ],
            )
        )
    today: list[tuple[str, str | None]] = [
        (_line(i["document"], "hạn hôm nay"), document_link(url, i["document"].id))
        for i in waiting
        if i["document"].due_date == day
    ]
    mine = assignments.list_assignments(
        user, scope="mine", state=None, overdue=None, unit_id=None, cursor=None, limit=LIMIT
    ).items
    today += [
        (_line(node.document, "việc được giao, hạn hôm nay"), document_link(url, node.document_id))
        for node in mine
        if node.deadline == day and node.state != AssignmentState.COMPLETED
    ]
    if today:
        sections.append(Section(f"Đến hạn hôm nay ({len(today)})", today))
    return sections


def _write(user: User, day: date, key: str, sections: list[Section]) -> Any:
    text, html = render(
        f"Kính gửi {user.full_name},",
        f"Tổng hợp công việc ngày {day.strftime('%d/%m/%Y')} trên Trình Ký:",
        sections,
        "Chạm vào từng dòng để mở văn bản trên Trình Ký.",
    )
    return mail.write(
        kind=MailKind.DIGEST,
        dedupe_key=key,
        subject=f"Trình Ký: tổng hợp công việc ngày {day.strftime('%d/%m/%Y')}",
        text=text,
        html=html,
        recipients=[mail.Recipient(user.email or "", user.full_name, user.id)],
        organisation_id=next((m.organisation_id for m in user.memberships), None),
    )
