"""Sending: at issuing, one delivery per recipient picked from the directory; the outbox
the worker empties after the commit (Hỏa tốc and Thượng khẩn first) — edXML over the
axis, straight into the receiving clerk's queue inside the installation, or to the heads
of an internal unit; retries with backoff; the sender's actions afterwards (resend,
recall, update, replacement) and what the sender sees (a status line per recipient, the
history in the timeline, the report of issued documents)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update

from backend.audit import service as audit
from backend.core.db import atomic, on_commit, session
from backend.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import to_vn, utcnow
from backend.documents import service as documents
from backend.documents.models import (
    Direction,
    Document,
    DocumentStatus,
    ParticipantRole,
)
from backend.notifications import service as notifications
from backend.org import service as org_service
from backend.org.models import Role, Unit, User
from backend.registers import service as registers
from backend.search.models import BlobText
from backend.workflow.models import RouteStep, StepKind, WorkflowAction

from . import directory, edxml, runtime
from .models import (
    Channel,
    Delivery,
    DeliveryEvent,
    DirectoryEntry,
    OutboxMessage,
    Reach,
    TransportState,
)
from .transport import TransportError

log = logging.getLogger("trinhky.exchange")

LEASE = timedelta(minutes=5)  # a worker that held a message this long is presumed dead
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
SENDERS = {Role.CLERK}  # who sends, resends, recalls
REPORT_READERS = {Role.CLERK, Role.LEADER, Role.ADMIN}


# -- issuing ---------------------------------------------------------------------------


def _require_sender(actor: User, organisation_id: int) -> None:
    if Role.CLERK not in actor.roles_in(organisation_id):
        raise Forbidden("Documents are sent by the clerk (văn thư).")


def on_document_issued(document: Document, *, actor: User, send_to: list[dict], **_: Any) -> None:
    """Subscriber of ``document_issued`` (inside the issuing transaction): validate the
    recipients and write one delivery each; a problem stops the issue."""
    if not send_to:
        return
    create_deliveries(document, actor, send_to)


def create_deliveries(document: Document, actor: User, send_to: list[dict]) -> list[Delivery]:
    s = session()
    own = directory.entry_of_organisation(document.organisation_id)
    targets: list[tuple[str, DirectoryEntry | None, Unit | None]] = []
    seen: set[tuple[str, int]] = set()
    for n, item in enumerate(send_to):
        field = f"send_to.{n}"
        entry_id, unit_id = item.get("directory_id"), item.get("unit_id")
        if (entry_id is None) == (unit_id is None):
            raise ValidationFailed(
                "Each recipient is a directory entry or an internal unit.",
                {field: ["Give directory_id or unit_id."]},
            )
        key = ("d", entry_id) if entry_id is not None else ("u", unit_id)
        if key in seen:
            raise ValidationFailed("A recipient is listed twice.", {field: ["Repeated."]})
        seen.add(key)
        if unit_id is not None:
            unit = s.get(Unit, unit_id)
            if unit is None or unit.organisation_id != document.organisation_id:
                raise ValidationFailed(
                    "Internal units are units of the issuing organisation.",
                    {field: ["Not a unit of this organisation."]},
                )
            if not org_service.heads_of_unit(unit.id):
                raise Conflict(
                    f"{unit.name} has no head to receive the document.",
                    code="unit-without-head",
                )
            targets.append((Channel.UNIT, None, unit))
            continue
        entry = s.get(DirectoryEntry, entry_id)
        if entry is None or not entry.active:
            raise ValidationFailed(
                "No such organisation in the directory.", {field: ["Unknown recipient."]}
            )
        if entry.id == own.id:
            raise ValidationFailed(
                "An organisation does not send to itself; pick its units instead.",
                {field: ["The issuing organisation."]},
            )
        if entry.reach == Reach.AXIS:
            if document.is_secret:
                raise Conflict(
                    f"Secret documents are never sent over the axis ({entry.name}); send it "
                    "on paper, through the secret channel.",
                    code="secret-over-axis",
                )
            if runtime.transport() is None:
                raise Conflict(
                    "This installation is not connected to the national axis.",
                    code="axis-not-configured",
                )
        targets.append(
            (Channel.AXIS if entry.reach == Reach.AXIS else Channel.INSTALLATION, entry, None)
        )
    created = []
    for channel, entry, unit in targets:
        delivery = Delivery(
            document_id=document.id,
            organisation_id=document.organisation_id,
            channel=channel,
            recipient_id=entry.id if entry else None,
            unit_id=unit.id if unit else None,
            recipient_code=entry.code if entry else (unit.abbreviation if unit else ""),
            recipient_name=entry.name if entry else (unit.name if unit else ""),
            edxml_document_id=issued_document_id(document),
            transport_state=TransportState.PENDING,
            created_by_id=actor.id,
            created_at=utcnow(),
        )
        s.add(delivery)
        created.append(delivery)
    s.flush()
    for delivery in created:
        queue_edoc(delivery, document, edxml.BusinessType.NEW, key=f"edoc:{delivery.id}:new")
    _note_recipients(document, created)
    audit.record(
        "exchange.deliveries_created",
        "document",
        document.id,
        actor=actor,
        organisation_id=document.organisation_id,
        data={"recipients": [[d.channel, d.recipient_code, d.recipient_name] for d in created]},
    )
    return created


def _note_recipients(document: Document, deliveries: list[Delivery]) -> None:
    """ "Nơi nhận" of the outgoing register: the directory recipients, then the free text."""
    entry = registers.entry_for(document.id, Direction.OUTGOING)
    if entry is None:
        return
    names = [d.recipient_name for d in deliveries]
    free = [line for line in (entry.recipients or "").splitlines() if line.strip()]
    entry.recipients = "\n".join(dict.fromkeys([*names, *free]))


# -- the outbox ------------------------------------------------------------------------


def queue_edoc(
    delivery: Delivery,
    document: Document,
    business_type: int,
    *,
    key: str,
    data: dict[str, Any] | None = None,
) -> OutboxMessage:
    channel = Channel.AXIS if delivery.channel == Channel.AXIS else delivery.channel
    message = OutboxMessage(
        dedupe_key=key,
        kind="edoc",
        channel=channel,
        delivery_id=delivery.id,
        business_type=business_type,
        to_code=delivery.recipient_code,
        data=data or {},
        urgency_rank=document.urgency_rank,
        state=TransportState.PENDING,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    session().add(message)
    session().flush()
    delivery.transport_state = TransportState.PENDING
    on_commit(enqueue_send)
    return message


def enqueue_send() -> None:
    current_app.extensions["tasks"].exchange_send()


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _claim_next() -> int | None:
    """Take the most urgent due message (a lease, so a dead worker's message comes back)."""
    now = utcnow()
    with atomic() as s:
        query = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == TransportState.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(
                OutboxMessage.urgency_rank.desc(),
                OutboxMessage.next_attempt_at,
                OutboxMessage.id,
            )
            .limit(1)
        )
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        message_id = s.scalar(query)
        if message_id is None:
            return None
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(claimed_until=now + LEASE)
        )
    return message_id


def send_due(budget: int = 500) -> int:
    """The worker: hand due messages to their channel, most urgent first."""
    done = 0
    while done < budget:
        message_id = _claim_next()
        if message_id is None:
            break
        try:
            _process(message_id)
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the rest
            log.exception("exchange: message %s failed", message_id)
            _failed(message_id, f"{type(exc).__name__}: {exc}", retryable=True)
        done += 1
    return done


def _process(message_id: int) -> None:
    from . import receiving

    message = session().get(OutboxMessage, message_id)
    if message is None or message.state != TransportState.PENDING:
        return
    if message.channel == Channel.UNIT:
        _deliver_to_unit(message_id)
        return
    if message.channel == Channel.INSTALLATION:
        receiving.deliver_internal(message_id)
        return
    transport = runtime.transport()
    if transport is None:
        _failed(message_id, "This installation is not connected to the axis.", retryable=False)
        return
    if message.kind == "edoc":
        delivery = session().get(Delivery, message.delivery_id)
        document = session().get(Document, delivery.document_id)
        package = edxml.build_edoc(outgoing_edoc(delivery, document, message))
        from_code = directory.entry_of_organisation(document.organisation_id).code
        message_type = "edoc"
    else:
        package = receiving.status_package(message)
        from_code = message.from_code
        message_type = "status"
    try:
        remote_id = transport.send(
            package, message_type=message_type, from_code=from_code, to_codes=[message.to_code]
        )
    except TransportError as exc:
        _failed(message_id, str(exc), retryable=exc.retryable)
        return
    _sent(message_id, remote_id)


def _sent(message_id: int, remote_id: str) -> None:
    with atomic() as s:
        message = s.get(OutboxMessage, message_id)
        message.state = TransportState.SENT
        message.remote_id = remote_id
        message.sent_at = utcnow()
        message.claimed_until = None
        message.attempts += 1
        if message.delivery_id is not None:
            delivery = s.get(Delivery, message.delivery_id)
            delivery.transport_state = TransportState.SENT
            delivery.last_error = ""
            _event(delivery, "sent", message.status_code, _sent_text(message))


def _sent_text(message: OutboxMessage) -> str:
    if message.kind == "status":
        return f"Đã gửi trạng thái {message.status_code}"
    return {
        edxml.BusinessType.NEW: "Đã gửi văn bản",
        edxml.BusinessType.UPDATE: "Đã gửi văn bản cập nhật",
        edxml.BusinessType.REPLACE: "Đã gửi văn bản thay thế",
        edxml.BusinessType.REVOKE: "Đã gửi yêu cầu thu hồi",
    }.get(message.business_type, "Đã gửi")


def _failed(message_id: int, error: str, *, retryable: bool) -> None:
    max_attempts = runtime.settings().exchange_max_attempts
    with atomic() as s:
        message = s.get(OutboxMessage, message_id)
        if message is None or message.state != TransportState.PENDING:
            return
        message.attempts += 1
        message.last_error = error[:2000]
        message.claimed_until = None
        give_up = not retryable or message.attempts >= max_attempts
        delivery = s.get(Delivery, message.delivery_id) if message.delivery_id else None
        if give_up:
            message.state = TransportState.FAILED
        else:
            message.next_attempt_at = utcnow() + backoff(message.attempts)
        if delivery is None:
            return
        delivery.last_error = error[:2000]
        if give_up:
            # never dropped: the clerk sees it failed, and resends it explicitly
            delivery.transport_state = TransportState.FAILED
            _event(delivery, "failed", None, f"Gửi không thành công: {error[:500]}")
            document = s.get(Document, delivery.document_id)
            notifications.notify(
                [delivery.created_by_id],
                "exchange.failed",
                f"Gửi không thành công tới {delivery.recipient_name}: {_title(document)}",
                body=error[:500],
                document_id=document.id,
                urgency=document.urgency,
            )


def _event(
    delivery: Delivery,
    kind: str,
    code: str | None,
    description: str,
    *,
    staff: str = "",
    reported_at: datetime | None = None,
) -> DeliveryEvent:
    event = DeliveryEvent(
        delivery_id=delivery.id,
        kind=kind,
        status_code=code,
        description=description,
        staff=staff,
        reported_at=reported_at,
        created_at=utcnow(),
    )
    session().add(event)
    return event


def _title(document: Document) -> str:
    return document.subject if len(document.subject) <= 120 else document.subject[:117] + "…"


def _deliver_to_unit(message_id: int) -> None:
    """An internal unit: its heads receive the issued document (participants, notified)."""
    with atomic() as s:
        message = s.get(OutboxMessage, message_id)
        if message is None or message.state != TransportState.PENDING:
            return
        delivery = s.get(Delivery, message.delivery_id)
        document = s.scalar(select(Document).where(Document.id == delivery.document_id))
        heads = org_service.heads_of_unit(delivery.unit_id)
        for head in heads:
            documents.ensure_participant(document, head.id, ParticipantRole.RECIPIENT)
        notifications.notify(
            [h.id for h in heads],
            "exchange.received",
            f"Văn bản gửi đơn vị: {_title(document)}",
            body=document.number_symbol or "",
            document_id=document.id,
            urgency=document.urgency,
        )
        message.state = TransportState.SENT
        message.sent_at = utcnow()
        message.attempts += 1
        delivery.transport_state = TransportState.SENT
        apply_status(delivery, "01", "Đã chuyển tới lãnh đạo đơn vị", reported_at=None)


# -- the package of an issued document -----------------------------------------------------


def organ_of(entry: DirectoryEntry) -> edxml.Organ:
    return edxml.Organ(
        organ_id=entry.code,
        organization_in_charge=entry.parent.name if entry.parent else entry.name,
        organ_name=entry.name,
        organ_add=entry.address,
        email=entry.email,
        telephone=entry.telephone,
        fax=entry.fax,
        website=entry.website,
    )


def _signer(document: Document) -> tuple[str, str, str]:
    """(competence, position, full name) of whoever signed: the last decision at a sign
    step (TUQ. when under a delegation)."""
    action = session().scalar(
        select(WorkflowAction)
        .join(RouteStep, RouteStep.id == WorkflowAction.step_id)
        .where(
            WorkflowAction.document_id == document.id,
            WorkflowAction.action.in_(("approve", "sign")),
            RouteStep.kind == StepKind.SIGN,
        )
        .order_by(WorkflowAction.id.desc())
        .limit(1)
    )
    if action is None:
        return "", "", ""
    prefix = "TUQ." if action.on_behalf_of_id else (action.step.signing_prefix or "")
    return prefix, action.actor_position, action.actor.full_name


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split() if part).upper()


def issued_document_id(document: Document) -> str:
    own = directory.entry_of_organisation(document.organisation_id)
    issued = to_vn(document.issued_at or document.created_at).date()
    return edxml.document_id(own.code, issued, document.number_symbol or str(document.id))


def outgoing_edoc(
    delivery: Delivery,
    document: Document,
    message: OutboxMessage | None,
    *,
    with_files: bool = True,
) -> edxml.Edoc:
    """The edXML of ``document`` for one recipient."""
    s = session()
    own = directory.entry_of_organisation(document.organisation_id)
    recipient = s.get(DirectoryEntry, delivery.recipient_id) if delivery.recipient_id else None
    number_symbol = document.number_symbol or ""
    number, _, notation = number_symbol.partition("/")
    issued = to_vn(document.issued_at or document.created_at)
    entry = registers.entry_for(document.id, Direction.OUTGOING)
    competence, position, signer_name = _signer(document)
    files = documents.current_files(document)
    main = next((f for f in files if f.kind == "main"), None)
    clerk = s.get(User, delivery.created_by_id)
    clerk_unit = next(
        (
            m.unit.name
            for m in clerk.memberships
            if m.organisation_id == document.organisation_id and m.unit
        ),
        "",
    )
    business_type = message.business_type if message else edxml.BusinessType.NEW
    data = message.data if message else {}
    to_places = [line for line in (entry.recipients if entry else "").splitlines() if line]
    return edxml.Edoc(
        sender=organ_of(own),
        recipients=[organ_of(recipient)] if recipient else [],
        document_id=delivery.edxml_document_id or issued_document_id(document),
        code_number=number,
        code_notation=notation,
        promulgation_date=issued.date(),
        subject=document.subject,
        place=own.place,
        type="1",
        type_detail="0",
        type_name=document.document_type.name,
        content=document.subject,
        signer_competence=competence,
        signer_position=position,
        signer_full_name=signer_name,
        due_date=document.due_date,
        priority=runtime.URGENCY_PRIORITY.get(document.urgency, 0),
        sphere=(
            "Liên thông văn bản quốc gia"
            if delivery.channel == Channel.AXIS
            else "Liên thông trong hệ thống"
        ),
        typer_notation=_initials(document.created_by.full_name),
        promulgation_amount=entry.copies if entry else None,
        page_amount=main.page_count if main else None,
        direction="false",
        appendixes=[f.filename for f in files if f.kind != "main"],
        steering_type="0",
        to_places=to_places,
        traces=[
            edxml.TraceHeader(organ_id=own.code, timestamp=to_vn(utcnow()).replace(tzinfo=None))
        ],
        business=edxml.Business(
            doc_type=business_type,
            reason=data.get("reason")
            or {
                edxml.BusinessType.NEW: "Văn bản điện tử mới",
                edxml.BusinessType.UPDATE: "Cập nhật văn bản điện tử",
                edxml.BusinessType.REPLACE: "Văn bản thay thế",
            }.get(business_type, ""),
            paper="0",
            staff=edxml.StaffInfo(
                department=clerk_unit, staff=clerk.full_name, email=clerk.email or "", mobile=""
            ),
            replacements=[
                edxml.ReplacementInfo(
                    document_id=data["replaces"], organ_ids=[delivery.recipient_code]
                )
            ]
            if business_type == edxml.BusinessType.REPLACE and data.get("replaces")
            else [],
            document_info="1" if business_type == edxml.BusinessType.UPDATE else "",
            document_receiver="0" if business_type == edxml.BusinessType.UPDATE else "",
        ),
        attachments=[
            edxml.Attachment(
                content_id=f"cid:{f.blob_sha256[:8]}-{f.id}",
                name=f.filename,
                content_type=f.content_type,
                data=documents.blob_store().path(f.blob_sha256).read_bytes(),
                description=f.filename,
            )
            for f in files
        ]
        if with_files
        else [],
    )


def stored_files(document: Document) -> list[documents.StoredFileRef]:
    """The current files of ``document`` as references to the shared blobs (inside the
    installation nothing is copied)."""
    files = documents.current_files(document)
    texts = {
        sha: text
        for sha, text in session().execute(
            select(BlobText.blob_sha256, BlobText.text).where(
                BlobText.blob_sha256.in_([f.blob_sha256 for f in files])
            )
        )
    }
    return [
        documents.StoredFileRef(
            kind=f.kind,
            filename=f.filename,
            content_type=f.content_type,
            sha256=f.blob_sha256,
            size=f.size,
            page_count=f.page_count,
            text=texts.get(f.blob_sha256),
        )
        for f in files
    ]


# -- statuses coming back ----------------------------------------------------------------

STATUS_NOTIFY = {"02", "15", "16"}


def apply_status(
    delivery: Delivery,
    code: str,
    description: str,
    *,
    reported_at: datetime | None,
    staff: str = "",
) -> bool:
    """A recipient's status for a delivery (inside the caller's transaction). Returns
    False for a repeat of one already recorded (a status packet sent twice)."""
    s = session()
    if reported_at is not None:
        repeat = s.scalar(
            select(DeliveryEvent.id).where(
                DeliveryEvent.delivery_id == delivery.id,
                DeliveryEvent.kind == "status",
                DeliveryEvent.status_code == code,
                DeliveryEvent.reported_at == reported_at,
            )
        )
        if repeat is not None:
            return False
    _event(delivery, "status", code, description, staff=staff, reported_at=reported_at)
    moment = reported_at or utcnow()
    # statuses may arrive out of order: the line shows the latest one the recipient sent
    # (edXML times have whole seconds: compare at that precision)
    current = delivery.status_at.replace(microsecond=0) if delivery.status_at else None
    second = moment.replace(microsecond=0)
    if current is None or second >= current:  # same second: the one that came later
        delivery.status_code = code
        delivery.status_description = description
        delivery.status_at = moment
    if delivery.transport_state != TransportState.SENT:
        delivery.transport_state = TransportState.SENT  # it arrived, whatever we thought
    if code == "15":
        _replaced_too(delivery)
    if code in STATUS_NOTIFY:
        document = s.get(Document, delivery.document_id)
        label = edxml.STATUS_LABELS_VI[code]
        notifications.notify(
            [document.created_by_id, delivery.created_by_id],
            "exchange.refused" if code == "02" else "exchange.status",
            f"{delivery.recipient_name} — {label}: {_title(document)}",
            body=description[:600],
            document_id=document.id,
            urgency=document.urgency,
            urgent=True if code == "02" else None,
        )
    audit.record(
        "exchange.status_received",
        "document",
        delivery.document_id,
        organisation_id=delivery.organisation_id,
        data={"delivery": delivery.id, "code": code, "description": description[:500]},
    )
    return True


def _replaced_too(delivery: Delivery) -> None:
    """A replacement accepted: the recipient's line of the replaced document says so."""
    s = session()
    last = s.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.delivery_id == delivery.id, OutboxMessage.kind == "edoc")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if last is None or last.business_type != edxml.BusinessType.REPLACE:
        return
    old = s.scalar(
        select(Delivery).where(
            Delivery.edxml_document_id == last.data.get("replaces"),
            Delivery.organisation_id == delivery.organisation_id,
            Delivery.recipient_id == delivery.recipient_id,
        )
    )
    if old is not None and old.status_code != "15":
        document = s.get(Document, delivery.document_id)
        apply_status(
            old,
            "15",
            f"Đã được thay thế bởi văn bản {document.number_symbol}",
            reported_at=None,
        )


def delivery_for_status(status: edxml.Status) -> Delivery | None:
    """Which of our deliveries an axis status packet answers: the document it names, the
    organisation it comes from."""
    sender = directory.by_code(status.sender.organ_id)
    codes = {status.sender.organ_id.upper()}
    if sender is not None:
        codes |= {sender.code, *([sender.code_qd20] if sender.code_qd20 else [])}
    return session().scalar(
        select(Delivery)
        .where(
            Delivery.edxml_document_id == status.response_for.document_id,
            Delivery.recipient_code.in_(codes),
            Delivery.channel == Channel.AXIS,
        )
        .order_by(Delivery.id.desc())
        .limit(1)
    )


# -- the sender's actions ------------------------------------------------------------------


def _issued_document(actor: User, document_id: int, *, for_update: bool = True) -> Document:
    document = documents.get_document(actor, document_id, for_update=for_update)
    _require_sender(actor, document.organisation_id)
    if document.direction != Direction.OUTGOING or document.status != DocumentStatus.ISSUED:
        raise Conflict(
            f"Only issued documents travel; this one is {document.status!r}.",
            code="invalid-transition",
            current_state=document.status,
        )
    return document


def _pick(document: Document, delivery_ids: list[int] | None) -> list[Delivery]:
    rows = list(
        session().scalars(
            select(Delivery).where(Delivery.document_id == document.id).order_by(Delivery.id)
        )
    )
    if delivery_ids:
        wanted = set(delivery_ids)
        rows = [d for d in rows if d.id in wanted]
        if len(rows) != len(wanted):
            raise ValidationFailed(
                "Some deliveries are not of this document.", {"delivery_ids": ["Unknown."]}
            )
    return rows


def resend(actor: User, delivery_id: int) -> Delivery:
    """Send again, explicitly (after a failure, or on the recipient's request)."""
    with atomic() as s:
        delivery = s.get(Delivery, delivery_id)
        if delivery is None:
            raise NotFound("No such delivery.")
        document = _issued_document(actor, delivery.document_id)
        if delivery.channel == Channel.UNIT:
            raise Conflict("Internal units receive the document once.", code="invalid-state")
        count = s.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.delivery_id == delivery.id)
        )
        last = s.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.delivery_id == delivery.id, OutboxMessage.kind == "edoc")
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        business = last.business_type if last else edxml.BusinessType.NEW
        queue_edoc(
            delivery,
            document,
            business,
            key=f"edoc:{delivery.id}:resend:{count + 1}",
            data=last.data if last else {},
        )
        _event(delivery, "requested", None, f"Gửi lại theo yêu cầu của {actor.full_name}")
        audit.record(
            "exchange.resent",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"delivery": delivery.id},
        )
    return delivery


def recall(
    actor: User, document_id: int, reason: str, delivery_ids: list[int] | None
) -> list[Delivery]:
    """Ask recipients to give the document back (13); each answers 15 or 16."""
    from . import receiving

    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Give the reason for the recall.", {"reason": ["Required."]})
    with atomic():
        document = _issued_document(actor, document_id)
        picked = [
            d
            for d in _pick(document, delivery_ids)
            if d.channel != Channel.UNIT and d.status_code not in ("02", "15")
        ]
        if not picked:
            raise Conflict("No recipient holds this document to recall.", code="nothing-to-recall")
        for delivery in picked:
            if _cancel_unsent(delivery):
                apply_status(delivery, "15", f"Thu hồi trước khi gửi: {reason}", reported_at=None)
                continue
            apply_status(delivery, "13", reason, reported_at=None, staff=actor.full_name)
            if delivery.channel == Channel.INSTALLATION:
                receiving.request_change_internal(delivery, "recall", reason)
            else:
                receiving.queue_status_to(
                    delivery,
                    "13",
                    reason,
                    actor,
                    key=f"recall:{delivery.id}:{_count_events(delivery, '13')}",
                )
        audit.record(
            "exchange.recall_requested",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"deliveries": [d.id for d in picked], "reason": reason},
        )
    return picked


def _cancel_unsent(delivery: Delivery) -> bool:
    """A recall before anything left: the waiting messages are cancelled."""
    s = session()
    sent = s.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.delivery_id == delivery.id,
            OutboxMessage.kind == "edoc",
            OutboxMessage.state == TransportState.SENT,
        )
    )
    if sent is not None:
        return False
    for message in s.scalars(
        select(OutboxMessage).where(
            OutboxMessage.delivery_id == delivery.id,
            OutboxMessage.state == TransportState.PENDING,
        )
    ):
        message.state = TransportState.FAILED
        message.last_error = "Đã thu hồi trước khi gửi"
    delivery.transport_state = TransportState.FAILED
    delivery.last_error = "Đã thu hồi trước khi gửi"
    return True


def _count_events(delivery: Delivery, code: str) -> int:
    return session().scalar(
        select(func.count(DeliveryEvent.id)).where(
            DeliveryEvent.delivery_id == delivery.id, DeliveryEvent.status_code == code
        )
    )


def send_update(
    actor: User, document_id: int, reason: str, delivery_ids: list[int] | None
) -> list[Delivery]:
    """Send the document's current version again as an update (BussinessDocType 2)."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Say what the update changes.", {"reason": ["Required."]})
    with atomic() as s:
        document = _issued_document(actor, document_id)
        picked = [
            d
            for d in _pick(document, delivery_ids)
            if d.channel != Channel.UNIT and d.status_code not in ("02", "15")
        ]
        if not picked:
            raise Conflict("No recipient to update.", code="nothing-to-update")
        for delivery in picked:
            n = s.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.delivery_id == delivery.id,
                    OutboxMessage.business_type == edxml.BusinessType.UPDATE,
                )
            )
            queue_edoc(
                delivery,
                document,
                edxml.BusinessType.UPDATE,
                key=f"edoc:{delivery.id}:update:{n + 1}",
                data={"reason": reason},
            )
            _event(delivery, "requested", None, f"Gửi cập nhật: {reason}")
        audit.record(
            "exchange.update_sent",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"deliveries": [d.id for d in picked], "reason": reason},
        )
    return picked


def replace(
    actor: User, document_id: int, replaces_document_id: int, reason: str
) -> list[Delivery]:
    """Send this issued document to the recipients of an earlier one, as its replacement
    (BussinessDocType 3): each recipient accepts (15: the old one is withdrawn) or
    refuses (16)."""
    reason = reason.strip() or "Văn bản thay thế"
    with atomic() as s:
        document = _issued_document(actor, document_id)
        old = _issued_document(actor, replaces_document_id, for_update=False)
        if old.id == document.id or old.organisation_id != document.organisation_id:
            raise ValidationFailed(
                "The replaced document is another issued document of this organisation.",
                {"replaces_document_id": ["Not replaceable by this one."]},
            )
        old_deliveries = [
            d
            for d in _pick(old, None)
            if d.channel != Channel.UNIT and d.status_code not in ("02", "15")
        ]
        if not old_deliveries:
            raise Conflict(
                "The earlier document reached no organisation to replace it at.",
                code="nothing-to-replace",
            )
        existing = {d.recipient_id: d for d in _pick(document, None) if d.recipient_id}
        replaced_id = {d.id: d.edxml_document_id or issued_document_id(old) for d in old_deliveries}
        created = []
        for old_delivery in old_deliveries:
            if document.is_secret and old_delivery.channel == Channel.AXIS:
                raise Conflict(
                    "Secret documents are never sent over the axis.", code="secret-over-axis"
                )
            delivery = existing.get(old_delivery.recipient_id)
            if delivery is None:
                delivery = Delivery(
                    document_id=document.id,
                    organisation_id=document.organisation_id,
                    channel=old_delivery.channel,
                    recipient_id=old_delivery.recipient_id,
                    recipient_code=old_delivery.recipient_code,
                    recipient_name=old_delivery.recipient_name,
                    edxml_document_id=issued_document_id(document),
                    created_by_id=actor.id,
                    created_at=utcnow(),
                )
                s.add(delivery)
                s.flush()
                created.append(delivery)
            queue_edoc(
                delivery,
                document,
                edxml.BusinessType.REPLACE,
                key=f"edoc:{delivery.id}:replace:{old.id}",
                data={"reason": reason, "replaces": replaced_id[old_delivery.id]},
            )
            _event(delivery, "requested", None, f"Thay thế văn bản {old.number_symbol}")
            _event(
                old_delivery,
                "requested",
                None,
                f"Được thay thế bởi văn bản {document.number_symbol}",
            )
        _note_recipients(document, created)
        audit.record(
            "exchange.replacement_sent",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"replaces": old.id, "recipients": [d.recipient_code for d in old_deliveries]},
        )
    return old_deliveries


# -- what the sender sees -------------------------------------------------------------------


def delivery_view(delivery: Delivery, events: list[DeliveryEvent] | None = None) -> dict[str, Any]:
    code = delivery.status_code
    return {
        "id": delivery.id,
        "document_id": delivery.document_id,
        "channel": delivery.channel,
        "recipient": {
            "directory_id": delivery.recipient_id,
            "unit_id": delivery.unit_id,
            "code": delivery.recipient_code,
            "name": delivery.recipient_name,
        },
        "transport_state": delivery.transport_state,
        "last_error": delivery.last_error,
        "status_code": code,
        "status_label_vi": edxml.STATUS_LABELS_VI.get(code or "", "Chưa có phản hồi")
        if code
        else ("Đang gửi" if delivery.transport_state == TransportState.PENDING else "Chưa nhận"),
        "status_label_en": edxml.STATUS_LABELS_EN.get(code or "", "")
        if code
        else ("Sending" if delivery.transport_state == TransportState.PENDING else "Not received"),
        "status_description": delivery.status_description,
        "status_at": delivery.status_at,
        "history": [
            {
                "kind": e.kind,
                "status_code": e.status_code,
                "description": e.description,
                "staff": e.staff,
                "at": e.reported_at or e.created_at,
                "recorded_at": e.created_at,
            }
            for e in events or []
        ],
    }


def deliveries_of(actor: User, document_id: int) -> list[dict[str, Any]]:
    document = documents.get_document(actor, document_id)
    s = session()
    rows = list(
        s.scalars(select(Delivery).where(Delivery.document_id == document.id).order_by(Delivery.id))
    )
    events: dict[int, list[DeliveryEvent]] = {d.id: [] for d in rows}
    for e in s.scalars(
        select(DeliveryEvent)
        .where(DeliveryEvent.delivery_id.in_(list(events)))
        .order_by(DeliveryEvent.id)
    ):
        events[e.delivery_id].append(e)
    return [delivery_view(d, events[d.id]) for d in rows]


def timeline_entries(document: Document, *, actor: User, **_: Any) -> list[dict[str, Any]]:
    """Subscriber of ``timeline_requested``: each recipient's history on the timeline."""
    s = session()
    rows = list(
        s.execute(
            select(DeliveryEvent, Delivery)
            .join(Delivery, Delivery.id == DeliveryEvent.delivery_id)
            .where(Delivery.document_id == document.id)
            .order_by(DeliveryEvent.id)
        )
    )
    return [
        {
            "kind": "exchange",
            "action": e.kind,
            "at": e.created_at,
            "actor": None,
            "recipient": {"name": d.recipient_name, "code": d.recipient_code, "channel": d.channel},
            "status_code": e.status_code,
            "text": e.description or edxml.STATUS_LABELS_VI.get(e.status_code or "", ""),
        }
        for e, d in rows
    ]


def sent_report(
    actor: User,
    *,
    organisation_id: int,
    state: str | None,
    cursor: str | None,
    limit: int,
) -> Page:
    """Issued documents that travelled, newest first, each with its recipients' lines;
    ``state``: ``not_received`` (a recipient has not confirmed arrival), ``refused``
    (a recipient refused it), ``failed`` (a delivery kept failing)."""
    roles = actor.roles_in(organisation_id)
    if not roles:
        raise NotFound("No such organisation.")
    if not roles & REPORT_READERS:
        raise Forbidden("The report is for the clerk, the leaders and the administrators.")
    has = Delivery.document_id == Document.id
    query = select(Document).where(
        Document.organisation_id == organisation_id,
        Document.status == DocumentStatus.ISSUED,
        exists().where(has),
    )
    if Role.CLERK not in roles and Role.LEADER not in roles:
        query = query.where(Document.secrecy == "normal")
    if state == "not_received":
        query = query.where(
            exists().where(
                has,
                Delivery.channel != Channel.UNIT,
                or_(Delivery.status_code.is_(None), Delivery.status_code.in_(["13", "16"])),
                ~exists().where(
                    DeliveryEvent.delivery_id == Delivery.id, DeliveryEvent.status_code == "01"
                ),
            )
        )
    elif state == "refused":
        query = query.where(exists().where(has, Delivery.status_code == "02"))
    elif state == "failed":
        query = query.where(exists().where(has, Delivery.transport_state == TransportState.FAILED))
    after = decode_cursor(cursor, 2)
    if after:
        query = query.where(
            or_(
                Document.issued_at < datetime.fromisoformat(after[0]),
                and_(
                    Document.issued_at == datetime.fromisoformat(after[0]),
                    Document.id < int(after[1]),
                ),
            )
        )
    rows = list(
        session().scalars(
            query.options(*documents.summary_load_options())
            .order_by(Document.issued_at.desc(), Document.id.desc())
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    lines: dict[int, list[Delivery]] = {d.id: [] for d in rows}
    for delivery in session().scalars(
        select(Delivery).where(Delivery.document_id.in_(list(lines))).order_by(Delivery.id)
    ):
        lines[delivery.document_id].append(delivery)
    items = [
        {
            "document_id": d.id,
            "number_symbol": d.number_symbol,
            "subject": d.subject,
            "issued_at": d.issued_at,
            "urgency": d.urgency,
            "deliveries": [delivery_view(x) for x in lines[d.id]],
        }
        for d in rows
    ]
    next_cursor = (
        encode_cursor([rows[-1].issued_at.isoformat(), rows[-1].id]) if more and rows else None
    )
    return Page(items, next_cursor)
