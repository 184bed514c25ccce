"""A batch of documents under one provider call; a "confirm on your phone" provider
(SmartCA/MySign shape) through a local fake, by polling and by callback."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from signing import pades
from signing.errors import NotAPdf, ProviderError
from signing.pades import Level, SignatureField
from signing.providers.base import AsyncStatus
from signing.providers.remote import RemoteConfirmProvider, callback_signature
from signing.samples import decision
from signing.validation import validate

NOW = datetime.now(UTC)


class CountingProvider:
    """Wraps a provider and counts authorizations (calls)."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def sign_digests(self, credential, digests, authorization=None):
        self.calls += 1
        return self.inner.sign_digests(credential, digests, authorization)


def test_a_batch_of_twenty_is_one_authorization_and_failures_stay_alone(pki_env):
    documents = [(decision("Lê Thị Hồng Hạnh"), SignatureField(f"Sig{i}")) for i in range(20)]
    documents[7] = (b"%PDF-1.7 broken", SignatureField("Sig7"))
    provider = CountingProvider(pki_env.memory)
    items = pades.sign_batch(
        documents,
        pki_env.credential("phochutich1"),
        provider,
        level=Level.B_T,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    assert provider.calls == 1
    assert isinstance(items[7].error, NotAPdf) and items[7].pdf is None
    good = [i for i in items if i.error is None]
    assert len(good) == 19 and all(i.outcome.achieved == Level.B_T for i in good)
    assert validate(good[0].pdf, [pki_env.pki.trust_root()]).ok


class FakePhoneService:
    """The remote service: holds transactions until the user "confirms" on the phone."""

    def __init__(self, pki_env, secret: str):
        self.pki_env, self.secret = pki_env, secret
        self.transactions: dict[str, dict] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                if self.headers.get("Authorization") != "Bearer api-key-123":
                    return self._send(401, {"error": "unauthorized"})
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                tid = uuid.uuid4().hex
                service.transactions[tid] = {**body, "status": "pending"}
                self._send(200, {"transaction_id": tid})

            def do_GET(self) -> None:  # noqa: N802
                tid = self.path.rsplit("/", 1)[-1]
                if tid not in service.transactions:
                    return self._send(404, {"error": "no such transaction"})
                self._send(200, service.result(tid))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def confirm(self, tid: str) -> None:
        """The user taps "Xác nhận" in the app: the key signs the hashes."""
        t = self.transactions[tid]
        digests = [base64.b64decode(h) for h in t["hashes"]]
        values = self.pki_env.memory.sign_digests(
            self.pki_env.credential(t["credential_id"]), digests
        )
        t["status"] = "signed"
        t["signatures"] = [base64.b64encode(v).decode() for v in values]

    def reject(self, tid: str) -> None:
        self.transactions[tid].update(status="rejected", reason="Người dùng từ chối")

    def result(self, tid: str) -> dict:
        t = self.transactions[tid]
        return {
            "transaction_id": tid,
            "status": t["status"],
            "signatures": t.get("signatures", []),
            "reason": t.get("reason", ""),
        }


@pytest.fixture
def phone_service(pki_env):
    service = FakePhoneService(pki_env, "callback-secret")
    yield service
    service.server.shutdown()


def test_remote_signing_by_polling(pki_env, phone_service):
    provider = RemoteConfirmProvider(phone_service.url, "api-key-123", "callback-secret")
    credential = pki_env.credential("phochutich1")
    pdf = decision("Lê Thị Hồng Hạnh")
    prepared = pades.prepare(
        pdf, credential, SignatureField("Sig"), level=Level.B_LT, signing_time=NOW
    )
    tid = provider.submit(credential, [prepared.digest], "Ký Quyết định số 15")
    assert provider.poll(tid).status == AsyncStatus.PENDING
    phone_service.confirm(tid)
    result = provider.poll(tid)
    assert result.status == AsyncStatus.SIGNED and len(result.signatures) == 1
    signed, outcome = pades.finish(
        prepared.state, prepared.pdf, result.signatures[0], pki_env.trust()
    )
    assert outcome.achieved == Level.B_LT
    assert validate(signed, [pki_env.pki.trust_root()]).ok


def test_remote_signing_by_callback_and_rejections(pki_env, phone_service):
    provider = RemoteConfirmProvider(phone_service.url, "api-key-123", "callback-secret")
    credential = pki_env.credential("phochutich1")
    pdfs = [decision("Lê Thị Hồng Hạnh") for _ in range(3)]
    prepared = [
        pades.prepare(p, credential, SignatureField("Sig"), level=Level.B_T, signing_time=NOW)
        for p in pdfs
    ]
    tid = provider.submit(credential, [p.digest for p in prepared], "Ký 3 văn bản")
    phone_service.confirm(tid)
    payload = phone_service.result(tid)
    result = provider.accept_callback(payload, callback_signature("callback-secret", payload))
    assert result.status == AsyncStatus.SIGNED and len(result.signatures) == 3
    for p, value in zip(prepared, result.signatures, strict=True):
        signed, outcome = pades.finish(p.state, p.pdf, value, pki_env.trust())
        assert outcome.achieved == Level.B_T
    with pytest.raises(ProviderError) as forged:
        provider.accept_callback(payload, callback_signature("not-the-secret", payload))
    assert forged.value.code == "callback-forged"

    second = provider.submit(credential, [prepared[0].digest], "Ký lại")
    phone_service.reject(second)
    rejected = provider.poll(second)
    assert rejected.status == AsyncStatus.REJECTED and rejected.reason == "Người dùng từ chối"
    with pytest.raises(ProviderError):
        RemoteConfirmProvider(phone_service.url, "wrong-key", "x").submit(
            credential, [b"x" * 32], ""
        )
