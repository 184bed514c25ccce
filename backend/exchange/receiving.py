"""Receiving: the worker polls the axis (on a schedule and on demand), keeps every
message as it came, acknowledges it, and ingests it — a document into the clerk's
"Văn bản đến chờ tiếp nhận" queue with its files stored and its signatures checked,
a status into the sender's delivery line. Documents from another organisation of this
installation arrive the same way without the axis. Status 01 goes back at once; the
clerk registers (03) or refuses with the reason (02); assignment (04), work starting (05)
and completion (06) go back by themselves; the sender's recall (13) and updates or
replacements wait for the clerk's answer (15 or 16).

Nothing received is lost: the raw package is stored before it is acknowledged, and a
package that cannot be accepted is kept, marked rejected, with the reason — also sent
back as status 02 when the package says who sent it. A worker killed at any point
leaves a state the next poll finishes: fetched-but-unacknowledged messages are
recognised by the axis's id and only acknowledged; stored-but-unprocessed ones are
processed once (a conditional update claims each)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.assignments import service as assignments
from backend.audit import service as audit
from backend.core.db import atomic, on_commit, session
from backend.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import to_vn, utcnow
from backend.documents import service as documents
from backend.documents.models import Direction, Document, DocumentStatus, ParticipantRole
from backend.notifications import service as notifications
from backend.org.models import DocumentType, Role, User
from backend.registers import service as registers
from backend.search.text import normalise
from backend.signatures import runtime as signing_runtime

from . import directory, edxml, prepare, runtime, sending
from .models import (
    ChangeKind,
    ChangeRequest,
    ChangeState,
    Channel,
    Delivery,
    InboundMessage,
    OutboxMessage,
    ReceivedDocument,
    ReceivedState,
    TransportState,
)
from .transport import TransportError

log = logging.getLogger("trinhky.exchange")

BATCH = 200  # packages prepared per round of the ingest
POOL_FROM = 4  # a pool of processes pays off from this many waiting packages
_CHANNEL_VI = {Channel.AXIS: "trục liên thông", Channel.INSTALLATION: "trong hệ thống"}
ONCE = {"01", "03", "04", "05", "06"}  # each goes back once per document
DESCRIPTIONS = {
    "01": "Đã đến - Phần mềm quản lý văn bản đã nhận, văn thư chưa xử lý",
    "03": "Văn thư: Tiếp nhận văn bản điện tử, vào sổ văn bản đến",
    "04": "Lãnh đạo: Phân công xử lý",
    "05": "Đang xử lý văn bản đến",
    "06": "Hoàn thành xử lý văn bản đến",
}


# -- polling -------------------------------------------------------------------------------


def _insert(s: Any) -> Any:
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert


def poll() -> dict[str, int]:
    """Fetch what waits on the axis (statuses, then documents), keep each message,
    acknowledge it, and ingest it — the signature checks of one package run while the
    next is being fetched."""
    transport = runtime.transport()
    counts = {"fetched": 0, "acknowledged": 0}
    ingest = _Ingest()
    if transport is not None:
        for message_type in ("status", "edoc"):
            try:
                refs = transport.received(message_type)
            except TransportError as exc:
                log.warning("exchange: cannot list %s messages: %s", message_type, exc)
                continue
            ingest.expect(len(refs))
            acknowledged: list[int] = []
            for ref in refs:
                try:
                    stored_id, fresh = _fetch(transport, ref)
                    counts["fetched"] += fresh
                    if stored_id is not None:
                        if fresh:
                            ingest.submit(stored_id)
                        transport.acknowledge(ref.doc_id, "done")
                        acknowledged.append(stored_id)
                        counts["acknowledged"] += 1
                except TransportError as exc:
                    log.warning("exchange: message %s: %s", ref.doc_id, exc)
                if len(acknowledged) >= ACK_BATCH:
                    _mark_acknowledged(acknowledged)
                ingest.commit_ready()
            _mark_acknowledged(acknowledged)
        _acknowledge_leftovers(transport)
    ingest.finish()
    counts.update(ingest.counts)
    leftovers = ingest_pending()  # stored by an earlier poll that did not finish
    for key, value in leftovers.items():
        counts[key] += value
    return counts


ACK_BATCH = 50


def _mark_acknowledged(ids: list[int]) -> None:
    """Record acknowledgements (a crash before this only means acknowledging again)."""
    if not ids:
        return
    with atomic() as s:
        s.execute(
            update(InboundMessage).where(InboundMessage.id.in_(ids)).values(acknowledged=True)
        )
    ids.clear()


def _acknowledge_leftovers(transport: Any) -> None:
    """Messages we stored whose acknowledgement we never recorded (a poll killed while
    the axis was answering): tell the axis again; it is idempotent."""
    rows = list(
        session().scalars(
            select(InboundMessage).where(
                InboundMessage.transport == transport.name,
                InboundMessage.acknowledged.is_(False),
            )
        )
    )
    done = []
    for row in rows:
        try:
            transport.acknowledge(row.remote_id, "done")
        except TransportError as exc:
            if exc.retryable:
                continue
            log.warning("exchange: the axis refused to acknowledge %s: %s", row.remote_id, exc)
        done.append(row.id)
    _mark_acknowledged(done)


def _stored(transport_name: str, ref: Any) -> InboundMessage | None:
    return session().scalar(
        select(InboundMessage).where(
            InboundMessage.transport == transport_name,
            InboundMessage.remote_id == ref.doc_id,
            InboundMessage.to_code == ref.to_code.upper(),
        )
    )


def _fetch(transport: Any, ref: Any) -> tuple[int | None, bool]:
    """Store a message unless we have it already (a poll killed before it acknowledged):
    (its row, whether it is new)."""
    existing = _stored(transport.name, ref)
    if existing is not None:
        return existing.id, False
    data = transport.fetch(ref.doc_id)
    sha = documents.blob_store().put_bytes(data)  # on disk before the row that names it
    with atomic() as s:
        documents._insert_blob_if_missing(sha, len(data))
        result = s.execute(
            _insert(s)(InboundMessage)
            .values(
                transport=transport.name,
                remote_id=ref.doc_id,
                message_type="status" if ref.message_type == "status" else "edoc",
                from_code=ref.from_code.upper()[:35],
                to_code=ref.to_code.upper()[:35],
                blob_sha256=sha,
                size=len(data),
                state="fetched",
                acknowledged=False,
                error="",
                fetched_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["transport", "remote_id", "to_code"])
        )
    stored = _stored(transport.name, ref)
    return (stored.id if stored else None), bool(result.rowcount)


def enqueue_poll() -> None:
    current_app.extensions["tasks"].exchange_poll()


def poll_now(actor: User) -> None:
    """Check the axis now (clerks, administrators): the worker polls after the commit."""
    if not {m.role for m in actor.memberships} & {Role.CLERK, Role.ADMIN}:
        raise Forbidden("Clerks and administrators check the axis.")
    enqueue_poll()


# -- ingesting -------------------------------------------------------------------------------

_pool: tuple[int, ProcessPoolExecutor] | None = None


def _processes() -> int:
    wanted = runtime.settings().exchange_ingest_processes
    return wanted if wanted > 0 else min(os.cpu_count() or 1, 4)


def _get_pool(size: int) -> ProcessPoolExecutor:
    global _pool
    if _pool is None or _pool[0] != size:
        # spawn: the worker process has threads (Huey), which fork must not copy
        executor = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("spawn"))
        _pool = (size, executor)
    return _pool[1]


def _trust_roots() -> tuple[bytes, ...]:
    return tuple(c.dump() for c in signing_runtime.trust_roots())


def _job(row: InboundMessage, roots: tuple[bytes, ...]) -> prepare.Job:
    return prepare.Job(
        package_path=str(documents.blob_store().path(row.blob_sha256)),
        blob_dir=runtime.settings().blob_dir,
        limits=runtime.limits(),
        trust_roots=roots,
    )


class _Ingest:
    """Packages prepared while the poll goes on: in a pool of processes when many wait,
    in the worker itself otherwise; each committed as soon as it is ready."""

    def __init__(self) -> None:
        self.counts = {"accepted": 0, "rejected": 0, "statuses": 0, "ignored": 0}
        self.pending: list[tuple[int, Future]] = []
        self.inline: list[int] = []
        self.pool: ProcessPoolExecutor | None = None
        self.roots = _trust_roots()

    def expect(self, n: int) -> None:
        size = _processes()
        if self.pool is None and size > 1 and n >= POOL_FROM:
            self.pool = _get_pool(size)

    def submit(self, inbound_id: int) -> None:
        if self.pool is None:
            self.inline.append(inbound_id)
            return
        row = session().get(InboundMessage, inbound_id)
        self.pending.append((inbound_id, self.pool.submit(prepare.prepare, _job(row, self.roots))))

    def commit_ready(self) -> None:
        ready: list[tuple[int, Future]] = []
        waiting: list[tuple[int, Future]] = []
        for item in self.pending:
            (ready if item[1].done() else waiting).append(item)
        self.pending = waiting
        for inbound_id, future in ready:
            self._commit(inbound_id, future)

    def _commit(self, inbound_id: int, future: Future) -> None:
        try:
            prepared = future.result()
        except Exception:  # noqa: BLE001 - a broken pool: the message stays stored
            log.exception("exchange: preparing message %s failed", inbound_id)
            return
        self.counts[_commit(inbound_id, prepared)] += 1

    def finish(self) -> None:
        for inbound_id, future in self.pending:
            self._commit(inbound_id, future)
        self.pending = []
        for inbound_id in self.inline:
            row = session().get(InboundMessage, inbound_id)
            if row is not None and row.state == "fetched":
                self.counts[_commit(inbound_id, prepare.prepare(_job(row, self.roots)))] += 1
        self.inline = []


def ingest_pending(limit: int | None = None) -> dict[str, int]:
    """Ingest stored messages not yet ingested (oldest first)."""
    counts = {"accepted": 0, "rejected": 0, "statuses": 0, "ignored": 0}
    while True:
        query = (
            select(InboundMessage)
            .where(InboundMessage.state == "fetched")
            .order_by(InboundMessage.id)
            .limit(min(BATCH, limit) if limit else BATCH)
        )
        rows = list(session().scalars(query))
        if not rows:
            break
        roots = _trust_roots()
        jobs = [(row.id, _job(row, roots)) for row in rows]
        size = _processes()
        if size > 1 and len(jobs) >= POOL_FROM:
            futures: list[tuple[int, Future]] = [
                (inbound_id, _get_pool(size).submit(prepare.prepare, job))
                for inbound_id, job in jobs
            ]
            for inbound_id, future in futures:
                outcome = _commit(inbound_id, future.result())
                counts[outcome] += 1
        else:
            for inbound_id, job in jobs:
                counts[_commit(inbound_id, prepare.prepare(job))] += 1
        if limit is not None:
            limit -= len(rows)
            if limit <= 0:
                break
    return counts


def _claim(inbound_id: int, state: str, error: str = "") -> bool:
    """Mark a stored message ingested, once (another worker may race us)."""
    result = session().execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.state == "fetched")
        .values(state=state, error=error[:2000], processed_at=utcnow())
    )
    return bool(result.rowcount)


def _commit(inbound_id: int, prepared: prepare.Prepared) -> str:
    with atomic() as s:
        inbound = s.get(InboundMessage, inbound_id)
        organisation_id = _organisation_of(inbound.to_code)
        if prepared.refusal is None and organisation_id is None:
            prepared.refusal = prepare.Refusal(
                "wrong-recipient",
                f"Cơ quan nhận {inbound.to_code} không thuộc hệ thống này.",
                f"The recipient {inbound.to_code} is not an organisation of this system.",
                prepared.edoc.sender.organ_id if prepared.edoc else "",
                prepared.edoc.document_id if prepared.edoc else "",
            )
        if prepared.refusal is not None:
            if not _claim(inbound_id, "rejected", prepared.refusal.reason_en):
                return "ignored"
            _reject(inbound, organisation_id, prepared)
            return "rejected"
        if prepared.status is not None:
            if not _claim(inbound_id, "done"):
                return "ignored"
            return "statuses" if _accept_status(prepared.status, organisation_id) else "ignored"
        if not _claim(inbound_id, "done"):
            return "ignored"
        edoc = prepared.edoc
        assert edoc is not None and organisation_id is not None
        received, fresh = accept_edoc(
            organisation_id,
            Channel.AXIS,
            edoc,
            [_ref(f) for f in prepared.files],
            prepared.validation,
            prepared.signatures_ok,
            inbound_id=inbound_id,
            secrecy="normal",
        )
        return "accepted" if fresh else "ignored"


def _ref(f: prepare.PreparedFile) -> documents.StoredFileRef:
    return documents.StoredFileRef(
        kind=f.kind,
        filename=f.filename,
        content_type=f.content_type,
        sha256=f.sha256,
        size=f.size,
        page_count=f.page_count,
        text=f.text,
    )


def _organisation_of(code: str) -> int | None:
    entry = directory.by_code(code)
    return entry.organisation_id if entry is not None and entry.organisation_id else None


def _reject(
    inbound: InboundMessage, organisation_id: int | None, prepared: prepare.Prepared
) -> None:
    """Keep what could not be accepted, visible to the clerk, and tell the sender (02)
    when the package says who it is."""
    refusal = prepared.refusal
    assert refusal is not None
    edoc = prepared.edoc
    sender_code = (refusal.sender or inbound.from_code).upper()
    if organisation_id is not None:
        received = ReceivedDocument(
            organisation_id=organisation_id,
            channel=Channel.AXIS,
            inbound_id=inbound.id,
            state=ReceivedState.REJECTED,
            sender_code=sender_code[:35],
            sender_name=(edoc.sender.organ_name if edoc else "")[:255],
            sender_document_id=refusal.document_id[:200],
            number_symbol=(edoc.number_symbol if edoc else "")[:60],
            number_key=number_key(edoc.number_symbol) if edoc else "",
            document_date=edoc.promulgation_date if edoc else None,
            subject=edoc.subject if edoc else "",
            files=[f.as_dict() for f in prepared.files],
            validation=prepared.validation,
            reason=refusal.reason_vi,
            metadata_={"code": refusal.code, "reason_en": refusal.reason_en},
            received_at=utcnow(),
        )
        session().add(received)
        session().flush()
        notifications.notify(
            runtime.clerks_of(organisation_id),
            "exchange.received",
            f"Gói tin bị từ chối tự động: {refusal.reason_vi[:150]}",
            body=f"{received.sender_name or sender_code} — {received.number_symbol}",
        )
        if refusal.document_id and sender_code:
            queue_status(received, "02", f"Từ chối tiếp nhận: {refusal.reason_vi}", None)
    elif refusal.document_id and sender_code:
        # not for us at all: answer from the code it was addressed to
        _queue_raw_status(
            inbound.to_code,
            sender_code,
            edxml.ResponseFor(organ_id=sender_code, document_id=refusal.document_id),
            "02",
            f"Từ chối tiếp nhận: {refusal.reason_vi}",
            key=f"status:inbound:{inbound.id}:02",
        )
    audit.record(
        "exchange.package_rejected",
        "inbound",
        inbound.id,
        organisation_id=organisation_id,
        data={"code": refusal.code, "reason": refusal.reason_en, "sender": sender_code},
    )


# -- a document arrives ------------------------------------------------------------------------


def _document_type_id(type_name: str) -> int:
    """Our catalogue's type of that name (diacritics and case aside), else công văn."""
    types = runtime.memo("types")
    if not types:
        for t in session().scalars(select(DocumentType).where(DocumentType.is_copy.is_(False))):
            types[normalise(t.name).strip()] = t.id
            if t.code == "cong-van":
                types[""] = t.id
    return types.get(normalise(type_name).strip(), types[""])


def _find_received(
    organisation_id: int, sender_code: str, sender_document_id: str
) -> ReceivedDocument | None:
    return session().scalar(
        select(ReceivedDocument)
        .where(
            ReceivedDocument.organisation_id == organisation_id,
            ReceivedDocument.sender_code == sender_code,
            ReceivedDocument.sender_document_id == sender_document_id,
            ReceivedDocument.business_type.in_(
                [edxml.BusinessType.NEW, edxml.BusinessType.REPLACE]
            ),
            ReceivedDocument.state.not_in([ReceivedState.REJECTED, ReceivedState.CHANGE]),
        )
        .order_by(ReceivedDocument.id.desc())
        .limit(1)
    )


def number_key(number_symbol: str) -> str:
    return number_symbol.replace(" ", "").upper()[:60]


def _duplicates(received: ReceivedDocument) -> tuple[int | None, list[str]]:
    """Same sender and DocumentId, or same sender, number/symbol and year, already
    received; or the same number already registered by hand."""
    s = session()
    earlier = s.execute(
        select(
            ReceivedDocument.id,
            ReceivedDocument.sender_document_id,
            ReceivedDocument.number_key,
            ReceivedDocument.document_date,
        )
        .where(
            ReceivedDocument.organisation_id == received.organisation_id,
            ReceivedDocument.sender_code == received.sender_code,
            ReceivedDocument.id != received.id,
            ReceivedDocument.state.not_in([ReceivedState.REJECTED, ReceivedState.CHANGE]),
            or_(
                ReceivedDocument.sender_document_id == received.sender_document_id,
                ReceivedDocument.number_key == received.number_key,
            ),
        )
        .order_by(ReceivedDocument.id)
    ).all()
    reasons: list[str] = []
    first: int | None = None
    for e_id, e_document_id, e_key, e_date in earlier:
        if e_document_id and e_document_id == received.sender_document_id:
            reasons.append(f"same-document-id:{e_id}")
            first = first or e_id
        elif (
            received.number_key
            and e_key == received.number_key
            and e_date
            and received.document_date
            and e_date.year == received.document_date.year
        ):
            reasons.append(f"same-number-symbol:{e_id}")
            first = first or e_id
    if received.number_symbol and received.document_date:
        registered = registers.find_duplicates(
            received.organisation_id,
            registers.IncomingDetails(
                sender_name=received.sender_name,
                sender_code=received.sender_code[:13],
                number_symbol=received.number_symbol,
                document_date=received.document_date,
                recipients="",
                note="",
            ),
        )
        reasons += [f"registered:{e.number}" for e in registered]
    return first, reasons


def accept_edoc(
    organisation_id: int,
    channel: str,
    edoc: edxml.Edoc,
    files: list[documents.StoredFileRef],
    validation: list[dict[str, Any]],
    signatures_ok: bool | None,
    *,
    inbound_id: int | None = None,
    delivery_id: int | None = None,
    secrecy: str = "normal",
) -> tuple[ReceivedDocument, bool]:
    """Place a document that arrived (inside the caller's transaction). Returns the queue
    item and whether it is new (False: a retransmission of one we have)."""
    s = session()
    sender_code = edoc.sender.organ_id.upper()
    shas = sorted(f.sha256 for f in files)
    kind = edoc.business.doc_type
    for earlier_id, earlier_files in s.execute(
        select(ReceivedDocument.id, ReceivedDocument.files).where(
            ReceivedDocument.organisation_id == organisation_id,
            ReceivedDocument.sender_code == sender_code,
            ReceivedDocument.sender_document_id == edoc.document_id,
            ReceivedDocument.business_type == kind,
            ReceivedDocument.state != ReceivedState.REJECTED,
        )
    ):
        if sorted(f["sha256"] for f in earlier_files) == shas:
            # the same package again (a resend, a retried send)
            return s.get(ReceivedDocument, earlier_id), False
    urgency = runtime.urgency_of(edoc.priority)
    received = ReceivedDocument(
        organisation_id=organisation_id,
        channel=channel,
        inbound_id=inbound_id,
        delivery_id=delivery_id,
        state=ReceivedState.WAITING,
        business_type=kind,
        business_reason=edoc.business.reason,
        sender_code=sender_code[:35],
        sender_name=(edoc.sender.organ_name or edoc.sender.organization_in_charge)[:255],
        sender={
            "organ_id": edoc.sender.organ_id,
            "organ_name": edoc.sender.organ_name,
            "organization_in_charge": edoc.sender.organization_in_charge,
            "organ_add": edoc.sender.organ_add,
            "email": edoc.sender.email,
            "telephone": edoc.sender.telephone,
        },
        sender_document_id=edoc.document_id[:200],
        number_symbol=edoc.number_symbol[:60],
        number_key=number_key(edoc.number_symbol),
        document_date=edoc.promulgation_date,
        place=edoc.place[:100],
        type_name=edoc.type_name[:120],
        subject=edoc.subject,
        signer={
            "competence": edoc.signer_competence,
            "position": edoc.signer_position,
            "full_name": edoc.signer_full_name,
        },
        urgency=urgency,
        urgency_rank=runtime.urgency_rank(urgency),
        due_date=edoc.due_date,
        metadata_={
            "to_places": edoc.to_places,
            "steering_type": edoc.steering_type,
            "page_amount": edoc.page_amount,
            "promulgation_amount": edoc.promulgation_amount,
            "appendixes": edoc.appendixes,
            "staff": vars(edoc.business.staff) if edoc.business.staff else None,
            "replaces": [r.document_id for r in edoc.business.replacements],
            "statuses": [],
        },
        files=[
            {
                "kind": f.kind,
                "filename": f.filename,
                "content_type": f.content_type,
                "sha256": f.sha256,
                "size": f.size,
                "page_count": f.page_count,
            }
            for f in files
        ],
        signatures_ok=signatures_ok,
        validation=validation,
        received_at=utcnow(),
    )
    s.add(received)
    s.flush()
    clerks = runtime.clerks_of(organisation_id)
    sender_label = received.sender_name or sender_code
    target = None
    if kind in (edxml.BusinessType.REVOKE, edxml.BusinessType.UPDATE):
        target = _find_received(organisation_id, sender_code, edoc.business.document_id or "")
        target = target or _find_received(organisation_id, sender_code, edoc.document_id)
        if target is None and edoc.response_for is not None:
            target = _find_received(organisation_id, sender_code, edoc.response_for.document_id)
    if target is not None:
        # a change to a document we hold: it waits for the clerk's answer, not in the queue
        received.state = ReceivedState.CHANGE
        _change(
            target,
            ChangeKind.RECALL if kind == edxml.BusinessType.REVOKE else ChangeKind.UPDATE,
            edoc.business.reason,
            package=received,
        )
    else:
        received.document_id = documents.create_received(
            organisation_id,
            created_by_id=runtime.system_user_id(),
            document_type_id=_document_type_id(edoc.type_name),
            subject=edoc.subject or edoc.number_symbol,
            urgency=urgency,
            secrecy=secrecy,
            due_date=edoc.due_date,
            files=files,
            readers=[(c, ParticipantRole.CLERK) for c in clerks],
            note=f"Nhận từ {sender_label} ({_CHANNEL_VI[channel]})",
        ).id
        received.duplicate_of_id, received.duplicate_reasons = _duplicates(received)
        notifications.notify(
            clerks,
            "exchange.received",
            f"Văn bản đến chờ tiếp nhận: {_short(edoc.subject)}",
            body=f"{sender_label} — {edoc.number_symbol}",
            document_id=received.document_id,
            urgency=urgency,
        )
        if kind == edxml.BusinessType.REPLACE:
            for replaced_id in {r.document_id for r in edoc.business.replacements}:
                old = _find_received(organisation_id, sender_code, replaced_id)
                if old is not None and old.id != received.id:
                    _change(old, ChangeKind.REPLACE, edoc.business.reason, package=received)
    status_back(received, "01", DESCRIPTIONS["01"], None)
    audit.record(
        "exchange.received",
        "received",
        received.id,
        organisation_id=organisation_id,
        data={
            "channel": channel,
            "sender": sender_code,
            "document_id": edoc.document_id,
            "business_type": kind,
            "files": shas,
            "signatures_ok": signatures_ok,
        },
    )
    return received, True


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "…"


def _change(
    target: ReceivedDocument, kind: str, reason: str, *, package: ReceivedDocument | None = None
) -> ChangeRequest:
    s = session()
    change = ChangeRequest(
        organisation_id=target.organisation_id,
        received_id=target.id,
        kind=kind,
        package_id=package.id if package else None,
        reason=reason,
        state=ChangeState.PENDING,
        created_at=utcnow(),
    )
    s.add(change)
    s.flush()
    label = {"recall": "thu hồi", "update": "cập nhật", "replace": "thay thế"}[kind]
    notifications.notify(
        runtime.clerks_of(target.organisation_id),
        "exchange.change_requested",
        f"{target.sender_name} đề nghị {label} văn bản {target.number_symbol}",
        body=reason,
        document_id=target.document_id,
        urgent=True,
    )
    return change


# -- statuses we receive --------------------------------------------------------------------


def _accept_status(status: edxml.Status, organisation_id: int | None) -> bool:
    if status.code == "13":
        # the sender asks for its document back
        target = (
            _find_received(
                organisation_id, status.sender.organ_id.upper(), status.response_for.document_id
            )
            if organisation_id is not None
            else None
        )
        if target is None:
            return False
        _change(target, ChangeKind.RECALL, status.description)
        return True
    delivery = sending.delivery_for_status(status)
    if delivery is None:
        log.info(
            "exchange: status %s for an unknown document %s",
            status.code,
            status.response_for.document_id,
        )
        return False
    reported = None
    if status.timestamp is not None:
        reported = status.timestamp.replace(tzinfo=to_vn(utcnow()).tzinfo)
    staff = status.staff.staff if status.staff else ""
    return sending.apply_status(
        delivery, status.code, status.description, reported_at=reported, staff=staff
    )


# -- statuses we send back ---------------------------------------------------------------------


def status_back(
    received: ReceivedDocument, code: str, description: str, actor: User | None
) -> None:
    """Tell the sender where its document stands (inside the caller's transaction)."""
    sent = list((received.metadata_ or {}).get("statuses", []))
    if code in ONCE and code in sent:
        return
    received.metadata_ = {**(received.metadata_ or {}), "statuses": [*sent, code]}
    staff = actor.full_name if actor else ""
    if received.channel == Channel.INSTALLATION:
        delivery = session().get(Delivery, received.delivery_id) if received.delivery_id else None
        if delivery is not None:
            sending.apply_status(delivery, code, description, reported_at=utcnow(), staff=staff)
        return
    queue_status(received, code, description, actor)


def queue_status(
    received: ReceivedDocument, code: str, description: str, actor: User | None
) -> None:
    own = directory.entry_of_organisation(received.organisation_id)
    n = len((received.metadata_ or {}).get("statuses", []))
    _queue_raw_status(
        own.code,
        received.sender_code,
        edxml.ResponseFor(
            organ_id=received.sender_code,
            code=received.number_symbol,
            promulgation_date=received.document_date,
            document_id=received.sender_document_id,
        ),
        code,
        description,
        key=f"status:{received.id}:{code}:{n}",
        received_id=received.id,
        urgency_rank=received.urgency_rank,
        staff=_staff_of(actor, received.organisation_id),
    )


def queue_status_to(
    delivery: Delivery, code: str, description: str, actor: User, *, key: str
) -> None:
    """The sender's own status to a recipient over the axis (13: give it back)."""
    document = session().get(Document, delivery.document_id)
    own = directory.entry_of_organisation(delivery.organisation_id)
    _queue_raw_status(
        own.code,
        delivery.recipient_code,
        edxml.ResponseFor(
            organ_id=delivery.recipient_code,
            code=document.number_symbol or "",
            promulgation_date=to_vn(document.issued_at).date() if document.issued_at else None,
            document_id=delivery.edxml_document_id,
        ),
        code,
        description,
        key=key,
        delivery_id=delivery.id,
        urgency_rank=document.urgency_rank,
        staff=_staff_of(actor, delivery.organisation_id),
    )


def _staff_of(actor: User | None, organisation_id: int) -> dict[str, str]:
    if actor is None:
        return {"department": "", "staff": "Hệ thống", "email": "", "mobile": ""}
    unit = next(
        (m.unit.name for m in actor.memberships if m.organisation_id == organisation_id and m.unit),
        "",
    )
    return {"department": unit, "staff": actor.full_name, "email": actor.email or "", "mobile": ""}


def _queue_raw_status(
    from_code: str,
    to_code: str,
    response_for: edxml.ResponseFor,
    code: str,
    description: str,
    *,
    key: str,
    received_id: int | None = None,
    delivery_id: int | None = None,
    urgency_rank: int = 0,
    staff: dict[str, str] | None = None,
) -> None:
    s = session()
    if s.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
        return
    s.add(
        OutboxMessage(
            dedupe_key=key,
            kind="status",
            channel=Channel.AXIS,
            received_id=received_id,
            delivery_id=delivery_id,
            status_code=code,
            description=description,
            from_code=from_code,
            to_code=to_code,
            data={
                "response_for": {
                    "organ_id": response_for.organ_id,
                    "code": response_for.code,
                    "promulgation_date": response_for.promulgation_date.isoformat()
                    if response_for.promulgation_date
                    else None,
                    "document_id": response_for.document_id,
                },
                "staff": staff or {},
                "timestamp": to_vn(utcnow()).replace(tzinfo=None).isoformat(timespec="seconds"),
            },
            urgency_rank=urgency_rank,
            state=TransportState.PENDING,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
    )
    s.flush()
    on_commit(sending.enqueue_send)


def status_package(message: OutboxMessage) -> bytes:
    data = message.data
    rf = data["response_for"]
    own = directory.by_code(message.from_code)
    sender = sending.organ_of(own) if own is not None else edxml.Organ(organ_id=message.from_code)
    return edxml.build_status(
        edxml.Status(
            sender=sender,
            response_for=edxml.ResponseFor(
                organ_id=rf["organ_id"],
                code=rf["code"],
                promulgation_date=datetime.fromisoformat(rf["promulgation_date"]).date()
                if rf.get("promulgation_date")
                else None,
                document_id=rf["document_id"],
            ),
            code=message.status_code or "",
            description=message.description,
            timestamp=datetime.fromisoformat(data["timestamp"]),
            staff=edxml.StaffInfo(**data["staff"]) if data.get("staff") else None,
        )
    )


# -- subscribers: the receiving document moves ----------------------------------------------


def received_of(document_id: int) -> ReceivedDocument | None:
    return session().scalar(
        select(ReceivedDocument)
        .where(ReceivedDocument.document_id == document_id)
        .order_by(ReceivedDocument.id.desc())
        .limit(1)
    )


def on_incoming_registered(document: Document, *, actor: User, entry: Any, **_: Any) -> None:
    received = received_of(document.id)
    if received is None or received.state != ReceivedState.WAITING:
        return
    received.state = ReceivedState.REGISTERED
    received.decided_by_id = actor.id
    position = (
        actor.primary_membership.position_title if actor.primary_membership else ""
    ) or "Văn thư"
    status_back(
        received,
        "03",
        f"{position} {actor.full_name}: tiếp nhận văn bản điện tử, vào sổ văn bản đến "
        f"số {entry.number:02d}",
        actor,
    )


def on_incoming_refused(document: Document, *, actor: User, reason: str, **_: Any) -> None:
    received = received_of(document.id)
    if received is None or received.state != ReceivedState.WAITING:
        return
    received.state = ReceivedState.REFUSED
    received.reason = reason
    received.decided_by_id = actor.id
    status_back(received, "02", f"Từ chối tiếp nhận: {reason}", actor)


def on_assignment_changed(assignment: Any, *, change: str, document_done: bool, **_: Any) -> None:
    received = received_of(assignment.document_id)
    if received is None or received.state != ReceivedState.REGISTERED:
        return
    if change == "assigned":
        status_back(received, "04", DESCRIPTIONS["04"], None)
    elif change == "started":
        status_back(received, "04", DESCRIPTIONS["04"], None)
        status_back(received, "05", DESCRIPTIONS["05"], None)
    elif change == "completed" and document_done:
        status_back(received, "05", DESCRIPTIONS["05"], None)
        status_back(received, "06", DESCRIPTIONS["06"], None)


# -- inside the installation ---------------------------------------------------------------


def deliver_internal(message_id: int) -> None:
    """The worker hands a document to another organisation of this installation: its
    clerk's queue gets it with the same files (nothing copied), the sender's metadata and
    the signatures checked; 01 goes back at once."""
    s = session()
    message = s.get(OutboxMessage, message_id)
    delivery = s.get(Delivery, message.delivery_id)
    document = s.get(Document, delivery.document_id)
    entry = directory.get_entry(delivery.recipient_id)
    edoc = sending.outgoing_edoc(delivery, document, message, with_files=False)
    files = sending.stored_files(document)
    roots = signing_runtime.trust_roots()
    validation: list[dict[str, Any]] = []
    refusal: prepare.Refusal | None = None
    store = documents.blob_store()
    for f in files:
        if f.content_type != "application/pdf":
            continue
        report, refusal = prepare.check_signatures(
            store.path(f.sha256).read_bytes(), f.filename, roots
        )
        if refusal is not None:
            break
        validation.append({"file": f.filename, "sha256": f.sha256, **report})
    with atomic() as s:
        message = s.get(OutboxMessage, message_id)
        if message is None or message.state != TransportState.PENDING:
            return  # another worker did it
        message.state = TransportState.SENT
        message.sent_at = utcnow()
        message.attempts += 1
        message.claimed_until = None
        delivery = s.get(Delivery, message.delivery_id)
        delivery.transport_state = TransportState.SENT
        sending._event(delivery, "sent", None, sending._sent_text(message))
        if refusal is not None:
            sending.apply_status(
                delivery, "02", f"Từ chối tiếp nhận: {refusal.reason_vi}", reported_at=utcnow()
            )
            return
        received, _fresh = accept_edoc(
            entry.organisation_id,
            Channel.INSTALLATION,
            edoc,
            files,
            validation,
            prepare.signatures_ok(validation),
            delivery_id=delivery.id,
            secrecy=document.secrecy,
        )


def request_change_internal(delivery: Delivery, kind: str, reason: str) -> None:
    """A recall inside the installation: straight to the receiving clerk."""
    target = session().scalar(
        select(ReceivedDocument)
        .where(
            ReceivedDocument.delivery_id == delivery.id,
            ReceivedDocument.business_type.in_(
                [edxml.BusinessType.NEW, edxml.BusinessType.REPLACE]
            ),
            ReceivedDocument.state.not_in([ReceivedState.REJECTED, ReceivedState.CHANGE]),
        )
        .order_by(ReceivedDocument.id.desc())
        .limit(1)
    )
    if target is None:
        return
    _change(target, kind, reason)


# -- the clerk's queue ---------------------------------------------------------------------------


def _require_clerk(actor: User, organisation_id: int) -> None:
    roles = actor.roles_in(organisation_id)
    if not roles:
        raise NotFound("No such organisation.")
    if Role.CLERK not in roles:
        raise Forbidden("Received documents are handled by the clerk (văn thư).")


def list_received(
    actor: User,
    *,
    organisation_id: int | None,
    state: str | None,
    cursor: str | None,
    limit: int,
) -> Page:
    """The queue (``waiting``, most urgent first then oldest) and what became of the
    others (newest first)."""
    organisation_id = organisation_id or _clerk_organisation(actor)
    _require_clerk(actor, organisation_id)
    state = state or ReceivedState.WAITING
    query = select(ReceivedDocument).where(
        ReceivedDocument.organisation_id == organisation_id, ReceivedDocument.state == state
    )
    after = decode_cursor(cursor, 2)
    if state == ReceivedState.WAITING:
        if after:
            rank, last = int(after[0]), int(after[1])
            query = query.where(
                (ReceivedDocument.urgency_rank < rank)
                | ((ReceivedDocument.urgency_rank == rank) & (ReceivedDocument.id > last))
            )
        query = query.order_by(ReceivedDocument.urgency_rank.desc(), ReceivedDocument.id)
    else:
        if after:
            query = query.where(ReceivedDocument.id < int(after[1]))
        query = query.order_by(ReceivedDocument.id.desc())
    rows = list(session().scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].urgency_rank, rows[-1].id]) if more and rows else None
    return Page([received_view(r) for r in rows], next_cursor)


def _clerk_organisation(actor: User) -> int:
    for m in actor.memberships:
        if m.role == Role.CLERK:
            return m.organisation_id
    if actor.memberships:
        return actor.memberships[0].organisation_id
    raise NotFound("No such organisation.")


def _load(actor: User, received_id: int) -> ReceivedDocument:
    received = session().get(ReceivedDocument, received_id)
    if received is None or not actor.roles_in(received.organisation_id):
        raise NotFound("No such received document.")
    _require_clerk(actor, received.organisation_id)
    return received


def received_view(r: ReceivedDocument, *, detail: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": r.id,
        "organisation_id": r.organisation_id,
        "channel": r.channel,
        "state": r.state,
        "business_type": r.business_type,
        "document_id": r.document_id,
        "sender": {"code": r.sender_code, "name": r.sender_name},
        "sender_document_id": r.sender_document_id,
        "number_symbol": r.number_symbol,
        "document_date": r.document_date,
        "type_name": r.type_name,
        "subject": r.subject,
        "urgency": r.urgency,
        "due_date": r.due_date,
        "signer": r.signer,
        "signatures_ok": r.signatures_ok,
        "duplicate_of_id": r.duplicate_of_id,
        "duplicate_reasons": r.duplicate_reasons or [],
        "reason": r.reason,
        "received_at": r.received_at,
        "files": r.files or [],
    }
    if detail:
        view["validation"] = r.validation or []
        view["metadata"] = {k: v for k, v in (r.metadata_ or {}).items() if k != "statuses"}
        view["statuses_sent"] = (r.metadata_ or {}).get("statuses", [])
        view["changes"] = [
            change_view(c)
            for c in session().scalars(
                select(ChangeRequest)
                .where(ChangeRequest.received_id == r.id)
                .order_by(ChangeRequest.id)
            )
        ]
    return view


def get_received(actor: User, received_id: int) -> tuple[dict[str, Any], str | None]:
    received = _load(actor, received_id)
    etag = None
    if received.document_id:
        document = session().get(Document, received.document_id)
        etag = document.etag if document else None
    return received_view(received, detail=True), etag


def raw_package(actor: User, received_id: int) -> tuple[Any, str]:
    received = _load(actor, received_id)
    inbound = session().get(InboundMessage, received.inbound_id) if received.inbound_id else None
    if inbound is None:
        raise NotFound("This document did not come over the axis.", code="no-package")
    return documents.blob_store().path(inbound.blob_sha256), inbound.blob_sha256


def _ensure_reader(actor: User, received: ReceivedDocument) -> None:
    """A clerk who joined after the document arrived can still handle it."""
    if received.document_id is None:
        return
    with atomic() as s:
        document = s.get(Document, received.document_id)
        documents.ensure_participant(document, actor.id, ParticipantRole.CLERK)


def register(actor: User, received_id: int, if_match: str | None, data: dict[str, Any]) -> Document:
    """Vào sổ: the incoming registration, its details filled from the sender's package."""
    from backend.workflow import service as workflow

    received = _load(actor, received_id)
    if received.state != ReceivedState.WAITING or received.document_id is None:
        raise Conflict(
            f"This document is {received.state!r}, not waiting.",
            code="invalid-transition",
            current_state=received.state,
        )
    _ensure_reader(actor, received)
    details = registers.IncomingDetails(
        sender_name=data.get("sender_name") or received.sender_name or received.sender_code,
        sender_code=received.sender_code if len(received.sender_code) <= 13 else "",
        number_symbol=data.get("number_symbol") or received.number_symbol,
        document_date=data.get("document_date")
        or received.document_date
        or to_vn(received.received_at).date(),
        recipients=data.get("recipients", ""),
        note=data.get("note")
        or (
            "Nhận qua trục liên thông"
            if received.channel == Channel.AXIS
            else "Nhận trong hệ thống"
        ),
    )
    document, _entry = workflow.register_incoming(
        actor,
        received.document_id,
        if_match,
        details,
        accept_duplicate=data.get("accept_duplicate", False),
        accept_invalid_signature=data.get("accept_invalid_signature", False),
        send_to_user_id=data.get("send_to_user_id"),
    )
    return document


def refuse(actor: User, received_id: int, if_match: str | None, reason: str) -> Document:
    from backend.workflow import service as workflow

    received = _load(actor, received_id)
    if received.state != ReceivedState.WAITING or received.document_id is None:
        raise Conflict(
            f"This document is {received.state!r}, not waiting.",
            code="invalid-transition",
            current_state=received.state,
        )
    _ensure_reader(actor, received)
    return workflow.refuse_incoming(actor, received.document_id, if_match, reason)


# -- recall, update, replacement: the clerk answers ----------------------------------------------


def change_view(c: ChangeRequest) -> dict[str, Any]:
    return {
        "id": c.id,
        "received_id": c.received_id,
        "kind": c.kind,
        "package_id": c.package_id,
        "reason": c.reason,
        "state": c.state,
        "decision_note": c.decision_note,
        "decided_at": c.decided_at,
        "created_at": c.created_at,
    }


def list_changes(actor: User, *, organisation_id: int | None, state: str | None) -> list[dict]:
    organisation_id = organisation_id or _clerk_organisation(actor)
    _require_clerk(actor, organisation_id)
    query = select(ChangeRequest).where(ChangeRequest.organisation_id == organisation_id)
    if state:
        query = query.where(ChangeRequest.state == state)
    rows = list(session().scalars(query.order_by(ChangeRequest.id.desc()).limit(200)))
    received = {
        r.id: r
        for r in session().scalars(
            select(ReceivedDocument).where(
                ReceivedDocument.id.in_(
                    {c.received_id for c in rows} | {c.package_id for c in rows if c.package_id}
                )
            )
        )
    }
    out = []
    for c in rows:
        view = change_view(c)
        view["received"] = received_view(received[c.received_id])
        if c.package_id:
            view["package"] = received_view(received[c.package_id])
        out.append(view)
    return out


def _withdraw(received: ReceivedDocument, reason: str, actor: User) -> None:
    """Out of the registers' live documents and out of the work: the document is marked
    withdrawn, its register line says why (the number stays: numbers have no gaps), its
    open assignments end."""
    received.state = ReceivedState.WITHDRAWN
    if received.document_id is None:
        return
    document = session().scalar(
        select(Document).where(Document.id == received.document_id).with_for_update(of=Document)
    )
    document.status = DocumentStatus.WITHDRAWN
    documents.touch(document)
    entry = registers.entry_for(document.id, Direction.INCOMING)
    if entry is not None:
        entry.note = f"{entry.note}\n{reason}".strip()
    assignments.withdraw_document(document.id, reason)


def decide_change(actor: User, change_id: int, accept: bool, note: str) -> dict[str, Any]:
    note = note.strip()
    with atomic() as s:
        change = s.get(ChangeRequest, change_id)
        if change is None or not actor.roles_in(change.organisation_id):
            raise NotFound("No such request.")
        _require_clerk(actor, change.organisation_id)
        if change.state != ChangeState.PENDING:
            raise Conflict(
                "The request is already answered.", code="invalid-state", current_state=change.state
            )
        if not accept and not note:
            raise ValidationFailed("Give the reason for refusing.", {"note": ["Required."]})
        target = s.get(ReceivedDocument, change.received_id)
        package = s.get(ReceivedDocument, change.package_id) if change.package_id else None
        answer_to = package if change.kind == ChangeKind.REPLACE and package else target
        if accept:
            if change.kind == ChangeKind.RECALL:
                _withdraw(
                    target, f"Thu hồi theo đề nghị của {target.sender_name}: {change.reason}", actor
                )
            elif change.kind == ChangeKind.REPLACE:
                _withdraw(
                    target,
                    f"Được thay thế bởi văn bản {package.number_symbol if package else ''}",
                    actor,
                )
            elif change.kind == ChangeKind.UPDATE and package is not None and target.document_id:
                _apply_update(target, package)
            description = (
                note
                or {
                    ChangeKind.RECALL: "Văn thư đồng ý yêu cầu lấy lại văn bản",
                    ChangeKind.UPDATE: "Văn thư đồng ý cập nhật văn bản",
                    ChangeKind.REPLACE: "Văn thư đồng ý thay thế văn bản",
                }[ChangeKind(change.kind)]
            )
            code = "15"
        else:
            if change.kind == ChangeKind.REPLACE and package is not None:
                package.state = ReceivedState.REFUSED
                package.reason = note
                if package.document_id:
                    doc = s.get(Document, package.document_id)
                    doc.status = DocumentStatus.REFUSED
                    documents.touch(doc)
            description = f"Từ chối: {note}"
            code = "16"
        change.state = ChangeState.ACCEPTED if accept else ChangeState.REFUSED
        change.decision_note = note
        change.decided_by_id = actor.id
        change.decided_at = utcnow()
        status_back(answer_to, code, description, actor)
        audit.record(
            f"exchange.change_{'accepted' if accept else 'refused'}",
            "received",
            target.id,
            actor=actor,
            organisation_id=change.organisation_id,
            data={"change": change.id, "kind": change.kind, "note": note},
        )
    return change_view(change)


def _apply_update(target: ReceivedDocument, package: ReceivedDocument) -> None:
    s = session()
    document = s.scalar(
        select(Document).where(Document.id == target.document_id).with_for_update(of=Document)
    )
    refs = [
        documents.StoredFileRef(
            kind=f["kind"],
            filename=f["filename"],
            content_type=f["content_type"],
            sha256=f["sha256"],
            size=f["size"],
            page_count=f.get("page_count"),
        )
        for f in package.files
    ]
    if refs:
        documents.add_received_version(
            document,
            runtime.system_user_id(),
            refs,
            f"Cập nhật từ {target.sender_name}: {package.business_reason}",
        )
    document.subject = (package.subject or document.subject)[:500]
    document.due_date = package.due_date or document.due_date
    for field in (
        "subject",
        "number_symbol",
        "number_key",
        "document_date",
        "due_date",
        "signer",
        "files",
        "validation",
        "signatures_ok",
    ):
        setattr(target, field, getattr(package, field))
    documents.touch(document)


# -- housekeeping ----------------------------------------------------------------------------


def counts(actor: User, organisation_id: int | None) -> dict[str, int]:
    organisation_id = organisation_id or _clerk_organisation(actor)
    _require_clerk(actor, organisation_id)
    s = session()
    rows = {
        state: n
        for state, n in s.execute(
            select(ReceivedDocument.state, func.count(ReceivedDocument.id))
            .where(ReceivedDocument.organisation_id == organisation_id)
            .group_by(ReceivedDocument.state)
        )
    }
    pending = s.scalar(
        select(func.count(ChangeRequest.id)).where(
            ChangeRequest.organisation_id == organisation_id,
            ChangeRequest.state == ChangeState.PENDING,
        )
    )
    return {
        "waiting": rows.get(ReceivedState.WAITING, 0),
        "rejected": rows.get(ReceivedState.REJECTED, 0),
        "changes_pending": pending or 0,
    }
