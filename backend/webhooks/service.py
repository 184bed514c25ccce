"""Webhooks for other systems: endpoints per organisation, events written as deliveries in
the transaction that causes them, posted by the worker with an HMAC-SHA256 signature,
bounded retries with backoff, automatic disabling after repeated failures, a delivery log
with manual resend.

Signature header: ``X-TrinhKy-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the endpoint's secret>`` — the receiver recomputes it and rejects old
timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.core.db import atomic, on_commit, session
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import iso_vn, utcnow
from backend.documents.models import Document
from backend.org.models import Organisation, Role, User

from .models import EVENTS, WebhookDelivery, WebhookEndpoint

TIMEOUT = 10
SWEEP_GRACE = timedelta(seconds=20)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ENDPOINTS_CACHE = "webhook_endpoints"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _require_admin(actor: User, organisation_id: int) -> None:
    roles = actor.roles_in(organisation_id)
    if not roles:
        raise NotFound("No such organisation.")
    if Role.ADMIN not in roles:
        raise Forbidden("Webhooks are managed by the organisation's administrators.")


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    production = current_app.extensions["settings"].is_production
    if parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in LOOPBACK and not production
    ):
        return
    raise ValidationFailed("Webhook endpoints must use HTTPS.", {"url": ["Use https://."]})


def _endpoint(actor: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organisation_id not in actor.organisation_ids:
        raise NotFound("No such webhook endpoint.")
    _require_admin(actor, endpoint.organisation_id)
    return endpoint


def create_endpoint(actor: User, data: dict[str, Any]) -> WebhookEndpoint:
    _require_admin(actor, data["organisation_id"])
    _check_url(data["url"])
    unknown = set(data["events"]) - set(EVENTS)
    if unknown or not data["events"]:
        raise ValidationFailed(
            "Choose events from the list.", {"events": [f"Known: {', '.join(EVENTS)}"]}
        )
    with atomic() as s:
        endpoint = WebhookEndpoint(
            organisation_id=data["organisation_id"],
            url=data["url"],
            secret=secrets.token_urlsafe(32),
            events=sorted(set(data["events"])),
            description=data.get("description", ""),
        )
        s.add(endpoint)
        s.flush()
    return endpoint


def list_endpoints(actor: User, organisation_id: int) -> list[WebhookEndpoint]:
    _require_admin(actor, organisation_id)
    return list(
        session().scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organisation_id == organisation_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def update_endpoint(actor: User, endpoint_id: int, data: dict[str, Any]) -> WebhookEndpoint:
    with atomic():
        endpoint = _endpoint(actor, endpoint_id)
        if "url" in data:
            _check_url(data["url"])
            endpoint.url = data["url"]
        if "events" in data:
            if set(data["events"]) - set(EVENTS) or not data["events"]:
                raise ValidationFailed("Choose events from the list.", {"events": ["Unknown."]})
            endpoint.events = sorted(set(data["events"]))
        if "active" in data:
            endpoint.active = data["active"]
            if data["active"]:  # switched back on: start counting afresh, deliver the backlog
                endpoint.consecutive_failures = 0
                endpoint.disabled_at = None
                endpoint.disabled_reason = ""
    return endpoint


def delete_endpoint(actor: User, endpoint_id: int) -> None:
    with atomic() as s:
        s.delete(_endpoint(actor, endpoint_id))


def list_deliveries(actor: User, endpoint_id: int, cursor: str | None, limit: int) -> Page:
    endpoint = _endpoint(actor, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    after = decode_cursor(cursor, 1)
    if after:
        query = query.where(WebhookDelivery.id < int(after[0]))
    rows = list(session().scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor([rows[-1].id]) if more and rows else None)


def resend(actor: User, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (after the receiver was fixed), with a fresh retry budget."""
    with atomic() as s:
        endpoint = _endpoint(actor, endpoint_id)
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.endpoint_id != endpoint.id:
            raise NotFound("No such delivery.")
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = None
        on_commit(lambda: _enqueue([delivery_id]))
    return delivery


# -- events (inside the caller's transaction) -----------------------------------------------


def _active_endpoints(s: Session, organisation_id: int) -> list[WebhookEndpoint]:
    """The organisation's active endpoints, read once per transaction (a signing batch
    emits several events per document)."""
    cache: dict[int, list[WebhookEndpoint]] = s.info.setdefault(ENDPOINTS_CACHE, {})
    if organisation_id not in cache:
        cache[organisation_id] = list(
            s.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.organisation_id == organisation_id,
                    WebhookEndpoint.active,
                )
            )
        )
    return cache[organisation_id]


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_endpoints(s: Session) -> None:
    s.info.pop(ENDPOINTS_CACHE, None)


def emit(document: Document, event: str, data: dict[str, Any] | None = None) -> None:
    """Queue ``event`` for every active endpoint of the document's organisation that
    wants it. Secret documents are never sent to other systems."""
    if document.is_secret:
        return
    s = session()
    endpoints = [e for e in _active_endpoints(s, document.organisation_id) if event in e.events]
    if not endpoints:
        return
    organisation = s.get(Organisation, document.organisation_id)
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event=event, payload="")
        s.add(delivery)
        s.flush()
        delivery.payload = json.dumps(
            {
                "id": delivery.id,
                "event": event,
                "occurred_at": iso_vn(utcnow()),
                "organisation": {"code": organisation.code, "name": organisation.name},
                "document": {
                    "id": document.id,
                    "subject": document.subject,
                    "type": document.document_type.name,
                    "urgency": document.urgency,
                    "status": document.status,
                    "number_symbol": document.number_symbol,
                    "version": document.current_version,
                },
                "data": data or {},
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        deliveries.append(delivery.id)
    on_commit(lambda: _enqueue(deliveries))


def _enqueue(ids: list[int]) -> None:
    current_app.extensions["tasks"].deliver_webhooks(ids)


# -- delivery (worker) ----------------------------------------------------------------------


def _session() -> requests.Session:
    ext = current_app.extensions
    if "webhook_http" not in ext:
        ext["webhook_http"] = requests.Session()
    return ext["webhook_http"]


def _backoff(attempts: int) -> float:
    return float(min(30 * 4 ** (attempts - 1), 6 * 3600))


def deliver(ids: list[int]) -> int:
    """POST each due delivery; returns how many were accepted (2xx)."""
    s = session()
    settings = current_app.extensions["settings"]
    accepted = 0
    for delivery_id in ids:
        now = utcnow()
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending" or not delivery.endpoint.active:
            continue
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            continue
        endpoint = delivery.endpoint
        body = delivery.payload.encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "TrinhKy-Webhooks/1",
            "X-TrinhKy-Event": delivery.event,
            "X-TrinhKy-Delivery": str(delivery.id),
            "X-TrinhKy-Signature": sign(endpoint.secret, timestamp, body),
        }
        session().rollback()  # no transaction held open during the HTTP call
        status, error, retry_after = None, "", None
        try:
            response = _session().post(endpoint.url, data=body, headers=headers, timeout=TIMEOUT)
            status = response.status_code
            error = "" if status < 300 else response.text[:300]
            if response.headers.get("Retry-After", "").isdigit():
                retry_after = float(response.headers["Retry-After"])
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        with atomic():
            delivery = s.get(WebhookDelivery, delivery_id)
            endpoint = delivery.endpoint
            delivery.attempts += 1
            delivery.last_status = status
            delivery.last_error = error
            if status is not None and 200 <= status < 300:
                delivery.status = "sent"
                delivery.delivered_at = utcnow()
                endpoint.consecutive_failures = 0
                accepted += 1
                continue
            endpoint.consecutive_failures += 1
            if endpoint.consecutive_failures >= settings.webhook_disable_after:
                endpoint.active = False
                endpoint.disabled_at = utcnow()
                endpoint.disabled_reason = (
                    f"{endpoint.consecutive_failures} failed deliveries in a row "
                    f"(last: {status or error[:80]})"
                )
            if delivery.attempts >= settings.webhook_max_attempts:
                delivery.status = "failed"
            else:
                delay = max(retry_after or 0.0, _backoff(delivery.attempts))
                delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
    return accepted


def sweep(batch: int = 200) -> int:
    """Deliveries committed but never enqueued, and retries that are due."""
    now = utcnow()
    ids = list(
        session().scalars(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookEndpoint.active,
                WebhookDelivery.created_at < now - SWEEP_GRACE,
                or_(
                    WebhookDelivery.next_attempt_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now,
                ),
            )
            .order_by(WebhookDelivery.id)
            .limit(batch)
        )
    )
    session().rollback()
    return deliver(ids) if ids else 0
