"""Webhooks: signed deliveries of document events, retries with backoff, automatic
disabling after repeated failures, the delivery log and manual resend."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import act, run_periodic, run_worker, set_route, standard_route, upload_document


class Receiver:
    """Another system's endpoint on 127.0.0.1: records requests, answers as scripted."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/trinhky-events"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def register(
    client, world, url, events=("document.submitted", "document.signed", "document.issued")
):
    r = client.post(
        "/api/webhooks",
        json={"organisation_id": world.org_a, "url": url, "events": list(events)},
        headers=world["admin"].headers,
    )
    assert r.status_code == 201, r.json
    return r.json


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does with X-TrinhKy-Signature."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    if abs(time.time() - int(parts["t"])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def submitted(client, world, **meta) -> int:
    doc = upload_document(client, world["specialist"], **meta).json["id"]
    set_route(client, world["specialist"], doc, standard_route(world))
    act(client, world["specialist"], doc, "submit")
    return doc


def test_events_arrive_signed_with_the_document(client, world, app, receiver):
    endpoint = register(client, world, receiver.url)
    assert len(endpoint["secret"]) >= 40
    doc = submitted(client, world, subject="Về việc cấp phép xây dựng")
    act(client, world["head"], doc, "approve")  # "approved" is not subscribed
    act(client, world["leader"], doc, "approve")
    act(client, world["clerk"], doc, "issue")
    assert receiver.requests == []  # nothing is sent from inside a request
    run_worker(app)
    events = [r["headers"]["X-TrinhKy-Event"] for r in receiver.requests]
    assert events == ["document.submitted", "document.signed", "document.issued"]
    for request in receiver.requests:
        assert verify(
            endpoint["secret"], request["headers"]["X-TrinhKy-Signature"], request["body"]
        )
        assert not verify(
            "wrong-secret", request["headers"]["X-TrinhKy-Signature"], request["body"]
        )
    issued = json.loads(receiver.requests[-1]["body"])
    assert issued["document"]["id"] == doc and issued["document"]["status"] == "issued"
    assert issued["document"]["number_symbol"] == "01/UBND-KT"
    assert issued["organisation"]["code"] == "000.00.00.H41"
    assert issued["occurred_at"].endswith("+07:00")
    # a tampered body fails verification
    tampered = receiver.requests[0]["body"].replace(b"submitted", b"issued")
    assert not verify(
        endpoint["secret"], receiver.requests[0]["headers"]["X-TrinhKy-Signature"], tampered
    )
    log = client.get(f"/api/webhooks/{endpoint['id']}/deliveries", headers=world["admin"].headers)
    assert [d["status"] for d in log.json["items"]] == ["sent", "sent", "sent"]
    assert (
        "secret"
        not in client.get(
            f"/api/webhooks?organisation_id={world.org_a}", headers=world["admin"].headers
        ).json[0]
    )


def test_failures_are_retried_with_backoff(client, world, app, receiver, frozen_clock):
    endpoint = register(client, world, receiver.url)
    receiver.answers = [503, 500]
    submitted(client, world)
    run_worker(app)
    assert len(receiver.requests) == 1
    start = datetime.now(UTC)
    frozen_clock(start + timedelta(seconds=10))  # backoff not over
    run_periodic(app, "sweep")
    assert len(receiver.requests) == 1
    frozen_clock(start + timedelta(seconds=40))
    run_periodic(app, "sweep")
    assert len(receiver.requests) == 2
    frozen_clock(start + timedelta(minutes=5))
    run_periodic(app, "sweep")
    assert len(receiver.requests) == 3
    log = client.get(f"/api/webhooks/{endpoint['id']}/deliveries", headers=world["admin"].headers)
    [delivery] = log.json["items"]
    assert delivery["status"] == "sent" and delivery["attempts"] == 3
    # the same delivery id each time: receivers can drop duplicates
    ids = {r["headers"]["X-TrinhKy-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery["id"])}


def test_an_endpoint_that_keeps_failing_is_disabled_and_can_be_resent(
    client, world, app, receiver, monkeypatch, frozen_clock
):
    monkeypatch.setattr(app.extensions["settings"], "webhook_disable_after", 3)
    monkeypatch.setattr(app.extensions["settings"], "webhook_max_attempts", 2)
    endpoint = register(client, world, receiver.url)
    receiver.answers = [500] * 10
    for _ in range(3):
        submitted(client, world)
    run_worker(app)
    after = datetime.now(UTC) + timedelta(hours=1)
    frozen_clock(after)
    run_periodic(app, "sweep")
    state = client.get(
        f"/api/webhooks?organisation_id={world.org_a}", headers=world["admin"].headers
    ).json[0]
    assert state["active"] is False and "3 failed deliveries" in state["disabled_reason"]
    sent_before = len(receiver.requests)
    assert sent_before == 3
    submitted(client, world)  # a disabled endpoint gets no new events
    run_worker(app)
    assert len(receiver.requests) == sent_before

    receiver.answers = []
    r = client.patch(
        f"/api/webhooks/{endpoint['id']}", json={"active": True}, headers=world["admin"].headers
    )
    assert r.status_code == 200 and r.json["active"] and r.json["consecutive_failures"] == 0
    log = client.get(f"/api/webhooks/{endpoint['id']}/deliveries", headers=world["admin"].headers)
    first = log.json["items"][-1]
    r = client.post(
        f"/api/webhooks/{endpoint['id']}/deliveries/{first['id']}/resend",
        headers=world["admin"].headers,
    )
    assert r.status_code == 200 and r.json["status"] == "pending"
    run_worker(app)
    frozen_clock(after + timedelta(hours=1))
    run_periodic(app, "sweep")  # the rest of the backlog
    statuses = [
        d["status"]
        for d in client.get(
            f"/api/webhooks/{endpoint['id']}/deliveries", headers=world["admin"].headers
        ).json["items"]
    ]
    assert statuses.count("sent") >= 1 and "pending" not in statuses


def test_endpoint_rules(client, world):
    r = client.post(
        "/api/webhooks",
        json={
            "organisation_id": world.org_a,
            "url": "http://example.vn/hook",
            "events": ["document.issued"],
        },
        headers=world["admin"].headers,
    )
    assert r.status_code == 422  # HTTPS only (plain HTTP is allowed on loopback in development)
    r = client.post(
        "/api/webhooks",
        json={"organisation_id": world.org_a, "url": "https://example.vn/hook", "events": ["x"]},
        headers=world["admin"].headers,
    )
    assert r.status_code == 422


def test_secret_documents_are_never_sent(client, world, app, receiver):
    register(client, world, receiver.url)
    submitted(client, world, secrecy="mat")
    run_worker(app)
    assert receiver.requests == []
