"""The approval workflow: routes, the action state machine, delegation at action time,
instructions and quick phrases.

Every action runs in one transaction: the document row is locked and its ETag checked,
the state machine says whether the action is legal (409 with the current state if not),
the step and work items change, the action is written to the timeline and the audit
chain, and the next actors get their notifications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from backend.audit import service as audit
from backend.core import events
from backend.core.db import atomic, session
from backend.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.core.http import check_if_match
from backend.core.timeutil import utcnow
from backend.documents import conversions
from backend.documents import service as documents
from backend.documents.models import (
    Direction,
    Document,
    DocumentStatus,
    ParticipantRole,
)
from backend.mail import issuing
from backend.notifications import service as notifications
from backend.org import service as org_service
from backend.org.models import Delegation, DocumentType, Role, Unit, User
from backend.registers import service as registers
from backend.webhooks import service as webhooks

from .models import (
    AssignmentStatus,
    Instruction,
    QuickPhrase,
    RouteStep,
    RouteTemplate,
    SigningPrefix,
    StepActor,
    StepAssignment,
    StepKind,
    StepMode,
    StepStatus,
    WorkflowAction,
)

MAX_STEPS = 20
MAX_ACTORS = 10
ROUTE_EDITORS = {Role.ADMIN, Role.LEADER, Role.HEAD}  # who keeps route templates
INSTRUCTING_ROLES = {Role.LEADER, Role.HEAD}
DEFAULT_QUICK_PHRASES = [
    "Đồng ý.",
    "Đồng ý, trình ký.",
    "Đề nghị bổ sung, hoàn thiện trước khi trình.",
    "Giao Phòng … chủ trì, phối hợp các đơn vị liên quan tham mưu.",
    "Đã xem.",
]

# The state machine: which document states allow which action.
ACTING = {DocumentStatus.IN_REVIEW, DocumentStatus.SIGNED}
TRANSITIONS: dict[str, set[str]] = {
    "submit": {DocumentStatus.DRAFT, DocumentStatus.RETURNED},
    "withdraw": {DocumentStatus.IN_REVIEW},
    "approve": ACTING,
    "return": ACTING,
    "forward": ACTING,
    "reply": ACTING,
    "issue": ACTING,
    "sign": {DocumentStatus.IN_REVIEW},
}
# Which step kinds each actor action applies to.
ACTION_STEP_KINDS: dict[str, set[str]] = {
    "approve": {StepKind.REVIEW, StepKind.SIGN},
    "return": {StepKind.REVIEW, StepKind.SIGN, StepKind.ISSUE},
    "forward": {StepKind.REVIEW, StepKind.CONSULT, StepKind.SIGN, StepKind.ISSUE},
    "reply": {StepKind.CONSULT},
    "issue": {StepKind.ISSUE},
    "sign": {StepKind.SIGN},
}
STEP_PARTICIPANT_ROLE = {
    StepKind.REVIEW: ParticipantRole.REVIEWER,
    StepKind.CONSULT: ParticipantRole.REVIEWER,
    StepKind.SIGN: ParticipantRole.SIGNER,
    StepKind.ISSUE: ParticipantRole.CLERK,
}
WEBHOOK_EVENTS = {
    "submit": "document.submitted",
    "approve": "document.approved",
    "return": "document.returned",
    "issue": "document.issued",
    "sign": "document.signature_added",
}
STEP_LABELS_VI = {
    StepKind.REVIEW: "Xem xét",
    StepKind.CONSULT: "Xin ý kiến",
    StepKind.SIGN: "Ký",
    StepKind.ISSUE: "Ban hành",
}


# -- routes ----------------------------------------------------------------------------


def _validate_steps(organisation_id: int, steps: list[dict[str, Any]]) -> None:
    """A route must be usable before it is saved: known people and units of this
    organisation, a clerk at the issue step, a competent signer before it."""
    s = session()
    if not 1 <= len(steps) <= MAX_STEPS:
        raise ValidationFailed(
            f"A route has 1 to {MAX_STEPS} steps.", {"steps": ["Wrong number of steps."]}
        )
    kinds = [step["kind"] for step in steps]
    if kinds.count(StepKind.ISSUE) > 1 or (StepKind.ISSUE in kinds and kinds[-1] != StepKind.ISSUE):
        raise ValidationFailed(
            "The issue step (văn thư) comes once, at the end.", {"steps": ["Issue step misplaced."]}
        )
    if StepKind.ISSUE in kinds and StepKind.SIGN not in kinds:
        raise ValidationFailed(
            "A document is signed before it is issued: add a sign step.",
            {"steps": ["Sign step missing."]},
        )
    last = steps[-1]
    if last["kind"] == StepKind.CONSULT and not last.get("blocking", False):
        raise ValidationFailed(
            "The last step cannot be a non-blocking consultation.",
            {f"steps.{len(steps) - 1}.blocking": ["Nothing would wait for it."]},
        )
    prefixes = {p.value for p in SigningPrefix}
    for i, step in enumerate(steps):
        if step.get("signing_prefix") and step["kind"] != StepKind.SIGN:
            raise ValidationFailed(
                "Only a sign step has a signing prefix (KT., TM., TL., Q.).",
                {f"steps.{i}.signing_prefix": ["Not a sign step."]},
            )
        # checked here too, not only in the API schema: callers inside (the demo seed)
        # once stored a whole title, which SQLite kept and PostgreSQL refused
        if step.get("signing_prefix") and step["signing_prefix"] not in prefixes:
            raise ValidationFailed(
                "The signing prefix is one of KT., TM., TL., Q. (the title is the signer's).",
                {f"steps.{i}.signing_prefix": ["Unknown prefix."]},
            )
        actors = step["actors"]
        if not 1 <= len(actors) <= MAX_ACTORS:
            raise ValidationFailed(
                f"A step has 1 to {MAX_ACTORS} actors.", {f"steps.{i}.actors": ["Wrong count."]}
            )
        for j, actor in enumerate(actors):
            field = f"steps.{i}.actors.{j}"
            if bool(actor.get("user_id")) == bool(actor.get("unit_id")):
                raise ValidationFailed(
                    "An actor is a user or the head of a unit.", {field: ["Give one of them."]}
                )
            if actor.get("unit_id"):
                unit = s.get(Unit, actor["unit_id"])
                if unit is None or unit.organisation_id != organisation_id:
                    raise ValidationFailed("Unknown unit.", {field: ["Not a unit of yours."]})
                continue
            user = s.get(User, actor["user_id"])
            roles = user.roles_in(organisation_id) if user and user.active else set()
            if not roles:
                raise ValidationFailed(
                    "The person must be an active member of the organisation.",
                    {field: ["Not a member."]},
                )
            if step["kind"] == StepKind.ISSUE and Role.CLERK not in roles:
                raise ValidationFailed(
                    "The issue step is for the clerk (văn thư).", {field: ["Not a clerk."]}
                )
            if step["kind"] == StepKind.SIGN and not roles & {Role.LEADER, Role.HEAD}:
                raise ValidationFailed(
                    "The sign step is for a leader with signing authority.",
                    {field: ["Not a leader."]},
                )


def _drafter_document(actor: User, document_id: int, if_match: str | None) -> Document:
    document = documents.get_document(actor, document_id, for_update=True)
    check_if_match(if_match, document.etag)
    if ParticipantRole.DRAFTER not in documents.roles_of(actor, document):
        raise Forbidden("Only the drafter may do this.")
    return document


def set_route(
    actor: User,
    document_id: int,
    if_match: str | None,
    *,
    steps: list[dict[str, Any]] | None,
    template_id: int | None,
) -> list[RouteStep]:
    """Attach (or replace) the route of a draft."""
    with atomic() as s:
        document = _drafter_document(actor, document_id, if_match)
        if document.direction != Direction.OUTGOING:
            raise Conflict("Only outgoing drafts have an approval route.", code="invalid-state")
        if document.status != DocumentStatus.DRAFT:
            raise _illegal("set the route of", document)
        if template_id is not None:
            template = s.get(RouteTemplate, template_id)
            if template is None or template.organisation_id != document.organisation_id:
                raise NotFound("No such route template.")
            steps = template.steps
        assert steps is not None
        _validate_steps(document.organisation_id, steps)
        for old in route_steps(document.id):
            s.delete(old)
        s.flush()
        created = []
        for position, spec in enumerate(steps):
            kind = spec["kind"]
            step = RouteStep(
                document_id=document.id,
                position=position,
                kind=kind,
                mode=spec.get("mode", StepMode.ALL),
                blocking=spec.get("blocking", kind != StepKind.CONSULT),
                signing_prefix=spec.get("signing_prefix"),
                label=spec.get("label") or STEP_LABELS_VI[StepKind(kind)],
                status=StepStatus.PENDING,
            )
            step.actors = [
                StepActor(user_id=a.get("user_id"), unit_id=a.get("unit_id"))
                for a in spec["actors"]
            ]
            s.add(step)
            created.append(step)
        documents.touch(document)
        audit.record(
            "route.set",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"steps": steps, "template_id": template_id},
        )
        s.flush()
    return created


def route_steps(document_id: int) -> list[RouteStep]:
    return list(
        session().scalars(
            select(RouteStep)
            .where(RouteStep.document_id == document_id)
            .order_by(RouteStep.position)
            # the actors' users, without their memberships (read on demand: unit heads)
            .options(
                selectinload(RouteStep.actors).joinedload(StepActor.user).lazyload(User.memberships)
            )
        )
    )


def get_route(actor: User, document_id: int) -> tuple[Document, list[RouteStep]]:
    document = documents.get_document(actor, document_id)
    return document, route_steps(document.id)


def step_assignments(document_id: int) -> list[StepAssignment]:
    return list(
        session().scalars(
            select(StepAssignment)
            .where(StepAssignment.document_id == document_id)
            .order_by(StepAssignment.id)
        )
    )


# -- route templates ---------------------------------------------------------------------


def create_template(actor: User, data: dict[str, Any]) -> RouteTemplate:
    organisation_id = data["organisation_id"]
    roles = actor.roles_in(organisation_id)
    if not roles:
        raise NotFound("No such organisation.")
    if not roles & ROUTE_EDITORS:
        raise Forbidden("Route templates are kept by admins, leaders and heads of units.")
    s = session()
    if data.get("document_type_id") and s.get(DocumentType, data["document_type_id"]) is None:
        raise ValidationFailed("Unknown document type.", {"document_type_id": ["Unknown."]})
    if data.get("unit_id"):
        unit = s.get(Unit, data["unit_id"])
        if unit is None or unit.organisation_id != organisation_id:
            raise ValidationFailed("Unknown unit.", {"unit_id": ["Not a unit of yours."]})
    _validate_steps(organisation_id, data["steps"])
    with atomic():
        template = RouteTemplate(
            organisation_id=organisation_id,
            name=data["name"],
            document_type_id=data.get("document_type_id"),
            unit_id=data.get("unit_id"),
            steps=data["steps"],
            created_by_id=actor.id,
        )
        s.add(template)
        s.flush()
        audit.record(
            "route_template.created",
            "route_template",
            template.id,
            actor=actor,
            organisation_id=organisation_id,
            data={"name": template.name, "steps": template.steps},
        )
    return template


def list_templates(
    actor: User, *, document_type_id: int | None, unit_id: int | None
) -> list[RouteTemplate]:
    """Templates of my organisations; with a type/unit, the matching ones (and generic
    ones) come first."""
    ids = actor.organisation_ids
    if not ids:
        return []
    templates = list(
        session().scalars(
            select(RouteTemplate)
            .where(RouteTemplate.organisation_id.in_(ids))
            .order_by(RouteTemplate.id)
        )
    )

    def fits(t: RouteTemplate) -> bool:
        return (t.document_type_id in (None, document_type_id) or document_type_id is None) and (
            t.unit_id in (None, unit_id) or unit_id is None
        )

    def specificity(t: RouteTemplate) -> int:
        return -((t.document_type_id is not None) + (t.unit_id is not None))

    return sorted((t for t in templates if fits(t)), key=specificity)


def delete_template(actor: User, template_id: int) -> None:
    with atomic() as s:
        template = s.get(RouteTemplate, template_id)
        if template is None or template.organisation_id not in actor.organisation_ids:
            raise NotFound("No such route template.")
        if not actor.roles_in(template.organisation_id) & ROUTE_EDITORS:
            raise Forbidden("Route templates are kept by admins, leaders and heads of units.")
        s.delete(template)
        audit.record(
            "route_template.deleted",
            "route_template",
            template_id,
            actor=actor,
            organisation_id=template.organisation_id,
        )


# -- the state machine -------------------------------------------------------------------


def _illegal(verb: str, document: Document) -> Conflict:
    return Conflict(
        f"Cannot {verb} a document that is {document.status!r}.",
        code="invalid-transition",
        current_state=document.status,
    )


def _check_transition(action: str, document: Document) -> None:
    if document.status not in TRANSITIONS[action]:
        raise _illegal(action, document)


def _device_id() -> int | None:
    return g.get("current_device_id") if has_request_context() else None


def _record(
    document: Document,
    action: str,
    actor: User,
    *,
    step: RouteStep | None = None,
    comment: str = "",
    delegation: Delegation | None = None,
    target: User | None = None,
    data: dict[str, Any] | None = None,
) -> WorkflowAction:
    entry = WorkflowAction(
        document_id=document.id,
        step_id=step.id if step else None,
        action=action,
        actor_id=actor.id,
        actor_position=org_service.position_title(actor, document.organisation_id),
        on_behalf_of_id=delegation.delegator_id if delegation else None,
        delegation_id=delegation.id if delegation else None,
        target_user_id=target.id if target else None,
        device_id=_device_id(),
        version_number=document.current_version,
        comment=comment,
        created_at=utcnow(),
    )
    session().add(entry)
    event = WEBHOOK_EVENTS.get(action)
    if event:
        webhooks.emit(
            document,
            event,
            {"actor": actor.full_name, "comment": comment, "step": step.kind if step else None},
        )
    audit.record(
        f"workflow.{action}",
        "document",
        document.id,
        actor=actor,
        organisation_id=document.organisation_id,
        data={
            "step": step.position if step else None,
            "step_kind": step.kind if step else None,
            "on_behalf_of": entry.on_behalf_of_id,
            "delegation": entry.delegation_id,
            "target": entry.target_user_id,
            "version": document.current_version,
            "comment": comment,
            **(data or {}),
        },
    )
    return entry


def _resolve_actors(step: RouteStep) -> list[User]:
    users: dict[int, User] = {}
    for actor in step.actors:
        if actor.user_id is not None and actor.user is not None and actor.user.active:
            users.setdefault(actor.user_id, actor.user)
        elif actor.unit_id is not None:
            for head in org_service.heads_of_unit(actor.unit_id):
                users.setdefault(head.id, head)
    return list(users.values())


def _title(document: Document) -> str:
    return document.subject if len(document.subject) <= 120 else document.subject[:117] + "…"


def _give_work(document: Document, step: RouteStep, users: list[User]) -> list[StepAssignment]:
    s = session()
    now = utcnow()
    created = []
    for user in users:
        assignment = StepAssignment(
            step_id=step.id,
            document_id=document.id,
            user_id=user.id,
            status=AssignmentStatus.WAITING,
            urgency_rank=document.urgency_rank,
            created_at=now,
        )
        s.add(assignment)
        created.append(assignment)
        documents.ensure_participant(document, user.id, STEP_PARTICIPANT_ROLE[StepKind(step.kind)])
    notifications.notify(
        [u.id for u in users],
        f"step.{step.kind}",
        f"{STEP_LABELS_VI[StepKind(step.kind)]}: {_title(document)}",
        document_id=document.id,
        urgency=document.urgency,
    )
    return created


def _activate(document: Document, step: RouteStep) -> None:
    users = _resolve_actors(step)
    if not users:
        raise Conflict(
            f"No one can act at step {step.position + 1} ({step.label}): "
            "the unit has no head or the person left.",
            code="route-actor-missing",
        )
    step.status = StepStatus.ACTIVE
    step.activated_at = utcnow()
    step.completed_at = None
    session().flush()
    _give_work(document, step, users)


def _advance(document: Document, steps: list[RouteStep], after_position: int) -> None:
    """Start the next pending steps; a non-blocking consultation starts together with what
    follows it. With nothing left, the route is finished."""
    for step in steps:
        if step.position <= after_position or step.status != StepStatus.PENDING:
            continue
        _activate(document, step)
        if step.kind == StepKind.CONSULT and not step.blocking:
            continue
        return
    if not any(
        st.status == StepStatus.ACTIVE and (st.kind != StepKind.CONSULT or st.blocking)
        for st in steps
    ):
        _finish_route(document, steps)


def _finish_route(document: Document, steps: list[RouteStep]) -> None:
    now = utcnow()
    # Advice still open when the route ends is no longer needed.
    for step in steps:
        if step.status == StepStatus.ACTIVE:
            _cancel_waiting(step)
            step.status = StepStatus.DONE
            step.completed_at = now
    kinds_done = {st.kind for st in steps if st.status == StepStatus.DONE}
    if StepKind.ISSUE in kinds_done:
        document.status = DocumentStatus.ISSUED
    elif StepKind.SIGN in kinds_done:
        document.status = DocumentStatus.SIGNED
    else:
        document.status = DocumentStatus.APPROVED
    drafters = [p.user_id for p in document.participants if p.role == ParticipantRole.DRAFTER]
    notifications.notify(
        drafters,
        "document.completed",
        f"Hoàn thành: {_title(document)}",
        body=document.number_symbol or "",
        document_id=document.id,
        urgency=document.urgency,
    )


def _waiting(step: RouteStep) -> list[StepAssignment]:
    return list(
        session().scalars(
            select(StepAssignment).where(
                StepAssignment.step_id == step.id,
                StepAssignment.status == AssignmentStatus.WAITING,
            )
        )
    )


def _cancel_waiting(step: RouteStep) -> None:
    now = utcnow()
    for assignment in _waiting(step):
        assignment.status = AssignmentStatus.CANCELLED
        assignment.acted_at = now


def _step_finished(step: RouteStep) -> bool:
    """After an approval or a reply: is the step done (any: one is enough; all: no one
    is still waiting)?"""
    session().flush()
    if step.mode == StepMode.ANY:
        _cancel_waiting(step)
        return True
    return not _waiting(step)


@dataclass
class Acting:
    """Who acts, on which work item, and under which delegation (if any)."""

    assignment: StepAssignment
    step: RouteStep
    delegation: Delegation | None


def _acting_assignment(actor: User, document: Document, action: str) -> Acting:
    kinds = ACTION_STEP_KINDS[action]
    rows = list(
        session().scalars(
            select(StepAssignment)
            .join(RouteStep, RouteStep.id == StepAssignment.step_id)
            .where(
                StepAssignment.document_id == document.id,
                StepAssignment.status == AssignmentStatus.WAITING,
                RouteStep.status == StepStatus.ACTIVE,
            )
            .order_by(RouteStep.position, StepAssignment.id)
            # the step's kind is what matters here; its actors are read on demand
            .options(
                joinedload(StepAssignment.step).lazyload(RouteStep.actors),
                joinedload(StepAssignment.user).lazyload(User.memberships),
            )
        )
    )
    own = [a for a in rows if a.user_id == actor.id]
    for assignment in own:
        if assignment.step.kind in kinds:
            return Acting(assignment, assignment.step, None)
    if not document.is_secret:
        for delegation in org_service.active_delegations_to(actor):
            for assignment in rows:
                kind = assignment.step.kind
                if assignment.user_id != delegation.delegator_id or kind not in kinds:
                    continue
                if kind == StepKind.ISSUE:
                    continue  # the clerk's work is not delegated
                scope = "sign" if kind == StepKind.SIGN else "approve"
                if delegation.covers(scope, document.document_type_id, document.unit_id):
                    return Acting(assignment, assignment.step, delegation)
    if own:
        step = own[0].step
        raise Conflict(
            f"At this step ({step.label}) you cannot {action}.",
            code="invalid-transition",
            current_state=document.status,
            step_kind=step.kind,
        )
    raise Forbidden("Nothing waits for you on this document.", code="not-your-step")


def _load(actor: User, document_id: int, if_match: str | None, action: str) -> Document:
    document = documents.get_document(actor, document_id, for_update=True)
    check_if_match(if_match, document.etag)
    _check_transition(action, document)
    return document


def submit(actor: User, document_id: int, if_match: str | None, comment: str = "") -> Document:
    """Trình: send the draft along its route (or back to the step that returned it)."""
    with atomic():
        document = documents.get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        if ParticipantRole.DRAFTER not in documents.roles_of(actor, document):
            raise Forbidden("Only the drafter submits the document.")
        _check_transition("submit", document)
        # a Word draft goes on its way once its PDF is made (409 while converting/failed)
        conversions.require_main_pdf(document, documents.current_files(document))
        steps = route_steps(document.id)
        if not steps:
            raise Conflict(
                "Attach a route before submitting.", code="route-missing", current_state="draft"
            )
        now = utcnow()
        resubmission = document.status == DocumentStatus.RETURNED
        document.status = DocumentStatus.IN_REVIEW
        document.submitted_at = now
        _record(document, "submit", actor, comment=comment, data={"resubmission": resubmission})
        if resubmission:
            returned = next(st for st in steps if st.status == StepStatus.RETURNED)
            resume = _resume_point(document, steps, returned)
            for step in steps:
                if resume.position <= step.position <= returned.position:
                    step.status = StepStatus.PENDING
            _advance(document, steps, resume.position - 1)
            signed = any(st.kind == StepKind.SIGN for st in steps) and all(
                st.status == StepStatus.DONE for st in steps if st.kind == StepKind.SIGN
            )
            if signed and document.status == DocumentStatus.IN_REVIEW:
                document.status = DocumentStatus.SIGNED
        else:
            _advance(document, steps, -1)
        documents.touch(document)
    return document


def _resume_point(document: Document, steps: list[RouteStep], returned: RouteStep) -> RouteStep:
    """The route resumes at the step that returned it — unless a signature was given to an
    older version: then the signer must sign the new one."""
    session().flush()
    for step in steps:
        if step.kind != StepKind.SIGN or step.status != StepStatus.DONE:
            continue
        if step.position >= returned.position:
            continue
        signed_version = session().scalar(
            select(WorkflowAction.version_number)
            .where(WorkflowAction.step_id == step.id, WorkflowAction.action == "approve")
            .order_by(WorkflowAction.id.desc())
            .limit(1)
        )
        if signed_version is not None and signed_version < document.current_version:
            return step
    return returned


def withdraw(actor: User, document_id: int, if_match: str | None, comment: str = "") -> Document:
    """Rút lại: the drafter takes the draft back before anyone acted on it."""
    with atomic() as s:
        document = documents.get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        if ParticipantRole.DRAFTER not in documents.roles_of(actor, document):
            raise Forbidden("Only the drafter withdraws the document.")
        _check_transition("withdraw", document)
        last_submit = s.scalar(
            select(WorkflowAction.id)
            .where(WorkflowAction.document_id == document.id, WorkflowAction.action == "submit")
            .order_by(WorkflowAction.id.desc())
            .limit(1)
        )
        acted = s.scalar(
            select(WorkflowAction.id)
            .where(
                WorkflowAction.document_id == document.id,
                WorkflowAction.id > (last_submit or 0),
                WorkflowAction.action.in_(["approve", "return", "forward", "reply"]),
            )
            .limit(1)
        )
        if acted is not None:
            raise Conflict(
                "Someone has already acted on it; ask them to return it instead.",
                code="already-acted",
                current_state=document.status,
            )
        for step in route_steps(document.id):
            _cancel_waiting(step)
            step.status = StepStatus.PENDING
            step.activated_at = None
        document.status = DocumentStatus.DRAFT
        _record(document, "withdraw", actor, comment=comment)
        documents.touch(document)
    return document


def approve(actor: User, document_id: int, if_match: str | None, comment: str = "") -> Document:
    """Đồng ý (ký nháy at a review step; approval to sign at a sign step)."""
    with atomic():
        document = _load(actor, document_id, if_match, "approve")
        acting = _acting_assignment(actor, document, "approve")
        if acting.step.kind == StepKind.SIGN and _digital_signing(document):
            raise Conflict(
                "This organisation signs digitally: sign the document (POST "
                "/api/signing-requests) instead of approving it.",
                code="signature-required",
            )
        _complete_assignment(actor, document, acting, AssignmentStatus.APPROVED)
        _record(
            document,
            "approve",
            actor,
            step=acting.step,
            comment=comment,
            delegation=acting.delegation,
        )
        _after_step_action(document, acting.step)
        documents.touch(document)
    return document


def _digital_signing(document: Document) -> bool:
    from backend.org.models import Organisation

    org = session().get(Organisation, document.organisation_id)
    return bool(org and org.digital_signing)


def signing_assignment(actor: User, document: Document) -> Acting:
    """The sign-step work item ``actor`` may complete with a digital signature (their
    own, or a delegator's under a delegation that covers signing)."""
    _check_transition("sign", document)
    return _acting_assignment(actor, document, "sign")


def complete_signature(
    actor: User, document: Document, assignment_id: int, data: dict[str, Any]
) -> None:
    """A digital signature was embedded in a new version: the sign step's work item is
    done (the caller holds the document's lock and has checked the version)."""
    acting = _acting_assignment(actor, document, "sign")
    if acting.assignment.id != assignment_id:
        raise Conflict("The signing step changed meanwhile.", code="step-changed")
    _complete_assignment(actor, document, acting, AssignmentStatus.APPROVED)
    _record(document, "sign", actor, step=acting.step, delegation=acting.delegation, data=data)
    _after_step_action(document, acting.step)
    documents.touch(document)


def reply(actor: User, document_id: int, if_match: str | None, comment: str) -> Document:
    """Cho ý kiến: answer a consultation."""
    if not comment.strip():
        raise ValidationFailed("Write your opinion.", {"comment": ["Required for a reply."]})
    with atomic():
        document = _load(actor, document_id, if_match, "reply")
        acting = _acting_assignment(actor, document, "reply")
        _complete_assignment(actor, document, acting, AssignmentStatus.REPLIED)
        _record(
            document,
            "reply",
            actor,
            step=acting.step,
            comment=comment,
            delegation=acting.delegation,
        )
        drafters = [p.user_id for p in document.participants if p.role == ParticipantRole.DRAFTER]
        notifications.notify(
            drafters,
            "consult.replied",
            f"Có ý kiến: {_title(document)}",
            body=comment,
            document_id=document.id,
            exclude=actor.id,
            urgency=document.urgency,
        )
        _after_step_action(document, acting.step)
        documents.touch(document)
    return document


def _complete_assignment(
    actor: User, document: Document, acting: Acting, status: AssignmentStatus
) -> None:
    acting.assignment.status = status
    acting.assignment.acted_at = utcnow()
    if acting.delegation is not None:
        documents.ensure_participant(document, actor.id, ParticipantRole.DELEGATE)


def _after_step_action(document: Document, step: RouteStep) -> None:
    if not _step_finished(step):
        return
    step.status = StepStatus.DONE
    step.completed_at = utcnow()
    steps = route_steps(document.id)
    if step.kind == StepKind.SIGN:
        document.status = DocumentStatus.SIGNED
        webhooks.emit(document, "document.signed", {"step": step.position})
    if step.kind == StepKind.CONSULT and not step.blocking:
        # Advice arrived; the route did not wait for it. It may have been the last thing.
        if not any(st.status in (StepStatus.ACTIVE, StepStatus.PENDING) for st in steps):
            _finish_route(document, steps)
        return
    _advance(document, steps, step.position)


def return_document(actor: User, document_id: int, if_match: str | None, reason: str) -> Document:
    """Trả lại: back to the drafter with a reason; the route resumes here on resubmit."""
    if not reason.strip():
        raise ValidationFailed("Say why it goes back.", {"reason": ["A reason is required."]})
    with atomic():
        document = _load(actor, document_id, if_match, "return")
        acting = _acting_assignment(actor, document, "return")
        _complete_assignment(actor, document, acting, AssignmentStatus.RETURNED)
        _cancel_waiting(acting.step)
        acting.step.status = StepStatus.RETURNED
        # Open advice stays open: consultations are independent of the main line.
        document.status = DocumentStatus.RETURNED
        _record(
            document,
            "return",
            actor,
            step=acting.step,
            comment=reason,
            delegation=acting.delegation,
        )
        drafters = [p.user_id for p in document.participants if p.role == ParticipantRole.DRAFTER]
        notifications.notify(
            drafters,
            "document.returned",
            f"Trả lại: {_title(document)}",
            body=reason,
            document_id=document.id,
            urgent=True,
            urgency=document.urgency,
        )
        documents.touch(document)
    return document


def forward(
    actor: User, document_id: int, if_match: str | None, to_user_id: int, comment: str = ""
) -> Document:
    """Chuyển: hand my work item on this step to someone else."""
    with atomic() as s:
        document = _load(actor, document_id, if_match, "forward")
        acting = _acting_assignment(actor, document, "forward")
        target = s.get(User, to_user_id)
        roles = target.roles_in(document.organisation_id) if target and target.active else set()
        if not roles:
            raise ValidationFailed(
                "Forward to an active member of the organisation.",
                {"to_user_id": ["Not a member."]},
            )
        if acting.step.kind == StepKind.ISSUE and Role.CLERK not in roles:
            raise ValidationFailed("Issuing is for a clerk.", {"to_user_id": ["Not a clerk."]})
        if acting.step.kind == StepKind.SIGN and not roles & {Role.LEADER, Role.HEAD}:
            raise ValidationFailed("Signing is for a leader.", {"to_user_id": ["Not a leader."]})
        if target.id in {a.user_id for a in _waiting(acting.step)}:
            raise Conflict(
                "That person already has this step waiting.",
                code="already-assigned",
                current_state=document.status,
            )
        if document.is_secret and target.id not in {p.user_id for p in document.participants}:
            raise Forbidden("Secret documents go only to people already named on them.")
        _complete_assignment(actor, document, acting, AssignmentStatus.FORWARDED)
        new = _give_work(document, acting.step, [target])[0]
        s.flush()
        new.forwarded_from_id = acting.assignment.id
        _record(
            document,
            "forward",
            actor,
            step=acting.step,
            comment=comment,
            delegation=acting.delegation,
            target=target,
        )
        documents.touch(document)
    return document


@dataclass
class IssueDetails:
    recipients: str
    copies: int | None
    note: str
    # recipients reached by official e-mail (no exchange endpoint): name + address
    email_recipients: list[dict[str, str]] = field(default_factory=list)
    send_to: list[dict[str, Any]] = field(default_factory=list)  # from the directory


def issue(actor: User, document_id: int, if_match: str | None, details: IssueDetails) -> Document:
    """Ban hành: the clerk gives the signed document its number and date."""
    with atomic():
        document = _load(actor, document_id, if_match, "issue")
        acting = _acting_assignment(actor, document, "issue")
        signer = _signer_name(document)
        by_mail = [issuing.EmailRecipient(r["name"], r["email"]) for r in details.email_recipients]
        issuing.check_recipients(document, by_mail)  # before a number is spent
        entry = registers.register_outgoing(
            document,
            actor,
            signer_name=signer,
            recipients=issuing.register_text(details.recipients, by_mail),
            copies=details.copies,
            note=details.note,
        )
        document.number_symbol = entry.number_symbol
        document.issued_at = entry.registered_at
        if _digital_signing(document):
            from backend.signatures import service as signatures

            signatures.seal_at_issue(actor, document, entry.number_symbol, entry.registered_at)
        # the signed PDFs to the e-mail recipients, written with the issue (the outbox)
        issuing.send_issued(actor, document, by_mail, entry.number_symbol)
        _complete_assignment(actor, document, acting, AssignmentStatus.APPROVED)
        acting.step.status = StepStatus.DONE
        acting.step.completed_at = utcnow()
        _cancel_waiting(acting.step)
        steps = route_steps(document.id)
        _finish_route(document, steps)
        _record(
            document,
            "issue",
            actor,
            step=acting.step,
            comment=details.note,
            data={"number_symbol": entry.number_symbol, "number": entry.number},
        )
        # the exchange domain creates one delivery per recipient picked from the directory
        events.document_issued.send(document, actor=actor, send_to=details.send_to)
        documents.touch(document)
    return document


def issue_preview(actor: User, document_id: int) -> dict[str, Any]:
    """What issuing would give the document now, for the clerk whose issue step waits:
    the number (not taken yet), the date, the signer for the register, and whether the
    agency seal is applied."""
    document = documents.get_document(actor, document_id)
    _check_transition("issue", document)
    _acting_assignment(actor, document, "issue")
    return {
        **registers.preview_outgoing(document),
        "signer_name": _signer_name(document),
        "seal": _digital_signing(document),
    }


def _signer_name(document: Document) -> str:
    """Người ký for the register: who approved the sign step (and for whom)."""
    row = (
        session()
        .execute(
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
        .scalar()
    )
    if row is None:
        return ""
    if row.on_behalf_of is not None:
        return f"TUQ. {row.on_behalf_of.full_name} — {row.actor.full_name}"
    prefix = row.step.signing_prefix if row.step else None
    return f"{prefix} {row.actor.full_name}" if prefix else row.actor.full_name


# -- incoming registration -----------------------------------------------------------------


def register_incoming(
    actor: User,
    document_id: int,
    if_match: str | None,
    details: registers.IncomingDetails,
    *,
    accept_duplicate: bool,
    accept_invalid_signature: bool = False,
    send_to_user_id: int | None = None,
) -> tuple[Document, Any]:
    """Vào sổ văn bản đến: the clerk gives an incoming document its "số đến". A number
    and symbol already registered from the same sender this year is refused with the
    existing entries unless the clerk confirms (duplicate alert). Its signatures are
    checked first: a signature that does not validate stops the registration unless the
    clerk confirms (or refuses the document with the reason)."""
    from backend.signatures import service as signatures

    report = signatures.check_incoming(documents.get_document(actor, document_id))
    if report["signatures"] and not report["ok"] and not accept_invalid_signature:
        raise Conflict(
            f"The document's signature is not valid: {report['verdict_en']}. Refuse it, or "
            "send accept_invalid_signature=true to register it anyway.",
            code="signature-invalid",
            verdict_vi=report["verdict_vi"],
            verdict_en=report["verdict_en"],
        )
    with atomic():
        document = documents.get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        if Role.CLERK not in actor.roles_in(document.organisation_id):
            raise Forbidden("Only the clerk (văn thư) keeps the incoming register.")
        if document.direction != Direction.INCOMING or document.status != DocumentStatus.DRAFT:
            raise _illegal("register", document)
        duplicates = registers.find_duplicates(document.organisation_id, details)
        if duplicates and not accept_duplicate:
            raise Conflict(
                f"{details.number_symbol} from this sender is already registered "
                f"(số đến {', '.join(f'{d.number:02d}' for d in duplicates)}). "
                "Send accept_duplicate=true to register it anyway.",
                code="duplicate-incoming",
                duplicates=[
                    {
                        "entry_id": d.id,
                        "document_id": d.document_id,
                        "number": d.number,
                        "number_symbol": d.number_symbol,
                    }
                    for d in duplicates
                ],
            )
        entry = registers.register_incoming(document, actor, details)
        signatures.record_validation(document, report)
        document.status = DocumentStatus.REGISTERED
        leader = None
        if send_to_user_id is not None:
            leader = _send_for_instruction(document, send_to_user_id, actor)
        document.number_symbol = details.number_symbol.strip()
        _record(
            document,
            "register",
            actor,
            target=leader,
            data={
                "incoming_number": entry.number,
                "duplicates": [d.id for d in duplicates],
                "signatures_valid": report["ok"] if report["signatures"] else None,
            },
        )
        events.incoming_registered.send(document, actor=actor, entry=entry)
        documents.touch(document)
    return document, entry


def _send_for_instruction(document: Document, user_id: int, clerk: User) -> User:
    """Trình lãnh đạo: the registered document goes to a leader (or the chief of office)
    for an instruction; they see it and are notified."""
    leader = session().get(User, user_id)
    roles = leader.roles_in(document.organisation_id) if leader else set()
    if leader is None or not roles & INSTRUCTING_ROLES:
        raise ValidationFailed(
            "Send it to a leader or a head of unit of this organisation.",
            {"send_to_user_id": ["Not a leader or head here."]},
        )
    documents.ensure_participant(document, leader.id, ParticipantRole.RECIPIENT)
    notifications.notify(
        [leader.id],
        "incoming.to_instruct",
        f"Văn bản đến cần cho ý kiến: {_title(document)}",
        body=document.subject,
        document_id=document.id,
        exclude=clerk.id,
        urgency=document.urgency,
    )
    return leader


def refuse_incoming(actor: User, document_id: int, if_match: str | None, reason: str) -> Document:
    """Từ chối tiếp nhận: the clerk refuses an incoming document (wrong recipient,
    invalid signature) with the reason; it is kept, marked refused, out of the register."""
    if not reason.strip():
        raise ValidationFailed("Give the reason.", {"reason": ["Required."]})
    with atomic():
        document = documents.get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        if Role.CLERK not in actor.roles_in(document.organisation_id):
            raise Forbidden("Only the clerk (văn thư) receives incoming documents.")
        if document.direction != Direction.INCOMING or document.status != DocumentStatus.DRAFT:
            raise _illegal("refuse", document)
        document.status = DocumentStatus.REFUSED
        _record(document, "refuse", actor, comment=reason)
        events.incoming_refused.send(document, actor=actor, reason=reason)
        documents.touch(document)
    return document


# -- instructions and quick phrases --------------------------------------------------------


def add_instruction(actor: User, document_id: int, text: str) -> Instruction:
    """Ý kiến chỉ đạo on any document the leader can see."""
    text = text.strip()
    if not text:
        raise ValidationFailed("Write the instruction.", {"text": ["Required."]})
    with atomic() as s:
        document = documents.get_document(actor, document_id, for_update=True)
        if not actor.roles_in(document.organisation_id) & INSTRUCTING_ROLES:
            raise Forbidden("Instructions are written by leaders and heads of units.")
        instruction = Instruction(
            document_id=document.id,
            author_id=actor.id,
            author_position=org_service.position_title(actor, document.organisation_id),
            text=text,
            device_id=_device_id(),
            version_number=document.current_version,
            created_at=utcnow(),
        )
        s.add(instruction)
        s.flush()
        audit.record(
            "workflow.instruction",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"text": text},
        )
        people = {p.user_id for p in document.participants if p.role != ParticipantRole.WATCHER}
        notifications.notify(
            people,
            "document.instruction",
            f"Ý kiến chỉ đạo: {_title(document)}",
            body=text,
            document_id=document.id,
            exclude=actor.id,
            urgency=document.urgency,
        )
    return instruction


def list_quick_phrases(actor: User) -> list[QuickPhrase]:
    rows = list(
        session().scalars(
            select(QuickPhrase)
            .where(QuickPhrase.user_id == actor.id)
            .order_by(QuickPhrase.sort_order, QuickPhrase.id)
        )
    )
    if rows:
        return rows
    # Not stored until the leader adds their own: the defaults are for everyone.
    return [
        QuickPhrase(id=None, user_id=actor.id, text=t, sort_order=i)
        for i, t in enumerate(DEFAULT_QUICK_PHRASES)
    ]


def add_quick_phrase(actor: User, text: str) -> QuickPhrase:
    text = text.strip()
    if not text:
        raise ValidationFailed("The phrase is empty.", {"text": ["Required."]})
    with atomic() as s:
        existing = list(s.scalars(select(QuickPhrase).where(QuickPhrase.user_id == actor.id)))
        if not existing:
            # First own phrase: keep the defaults the leader was seeing, then add.
            for i, default in enumerate(DEFAULT_QUICK_PHRASES):
                s.add(QuickPhrase(user_id=actor.id, text=default, sort_order=i))
            existing_count = len(DEFAULT_QUICK_PHRASES)
        else:
            existing_count = len(existing)
            if any(p.text == text for p in existing):
                return next(p for p in existing if p.text == text)
        if existing_count >= 50:
            raise ValidationFailed("At most 50 quick phrases.", {"text": ["Too many phrases."]})
        phrase = QuickPhrase(user_id=actor.id, text=text, sort_order=existing_count)
        s.add(phrase)
        s.flush()
    return phrase


def set_quick_phrases(actor: User, texts: list[str]) -> list[QuickPhrase]:
    """The leader's phrases become ``texts`` in that order: kept rows keep their ids,
    missing ones are deleted, new ones added (the defaults are stored on first use)."""
    wanted = [t.strip() for t in texts]
    if any(not t for t in wanted):
        raise ValidationFailed("A phrase is empty.", {"texts": ["Empty phrase."]})
    if len(set(wanted)) != len(wanted):
        raise ValidationFailed("A phrase is given twice.", {"texts": ["Duplicate phrase."]})
    with atomic() as s:
        existing = {
            p.text: p for p in s.scalars(select(QuickPhrase).where(QuickPhrase.user_id == actor.id))
        }
        for text, phrase in existing.items():
            if text not in wanted:
                s.delete(phrase)
        rows = []
        for i, text in enumerate(wanted):
            phrase = existing.get(text) or QuickPhrase(user_id=actor.id, text=text)
            phrase.sort_order = i
            s.add(phrase)
            rows.append(phrase)
        s.flush()
    return rows


def delete_quick_phrase(actor: User, phrase_id: int) -> None:
    with atomic() as s:
        phrase = s.get(QuickPhrase, phrase_id)
        if phrase is None or phrase.user_id != actor.id:
            raise NotFound("No such quick phrase.")
        s.delete(phrase)
