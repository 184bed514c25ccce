"""A push service on 127.0.0.1 for the tests: it checks each request the way a real one
does (VAPID JWT signature, audience, expiry, subject — RFC 8292) and decrypts the message
with the subscription's keys (RFC 8291, aes128gcm), then keeps what the phone would get."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    token: str
    payload: dict
    headers: dict[str, str]


@dataclass
class Browser:
    """One browser's subscription: the keys only it holds."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    def subscription_json(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }


@dataclass
class PushService:
    port: int = 0
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    scripted: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    verified: dict[str, float] = field(default_factory=dict)
    defer_decrypt: bool = False
    raw: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    delay: float = 0.0  # seconds before each answer: a slow push service

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def new_browser(self) -> Browser:
        token = b64url(os.urandom(12))
        browser = Browser(
            token,
            ec.generate_private_key(ec.SECP256R1()),
            os.urandom(16),
            f"{self.origin}/push/{token}",
        )
        self.browsers[token] = browser
        return browser

    def answer_next(self, browser: Browser, status: int, headers: dict[str, str] | None = None):
        """Script the next answer for this browser (e.g. 429 with Retry-After, or 410)."""
        self.scripted.setdefault(browser.token, []).append((status, headers or {}))

    def messages_for(self, browser: Browser) -> list[dict]:
        return [r.payload for r in self.received if r.token == browser.token]

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        token = path.rsplit("/", 1)[-1]
        browser = self.browsers.get(token)
        if browser is None:
            return 404, {}
        problem = self._check_vapid(headers.get("authorization", ""))
        if problem:
            self.rejected.append(problem)
            return 403, {}
        with self.lock:
            script = self.scripted.get(token)
            if script:
                status, extra = script.pop(0)
                if status >= 300:
                    return status, extra
        if self.delay:
            time.sleep(self.delay)
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            self.rejected.append("missing content-encoding or ttl")
            return 400, {}
        if self.defer_decrypt:  # benchmarks: accept fast, decrypt everything afterwards
            with self.lock:
                self.raw.append((token, headers, body))
            return 201, {}
        with self.lock:
            self.received.append(Received(token, self._decrypt(browser, body), headers))
        return 201, {}

    def _decrypt(self, browser: Browser, body: bytes) -> dict:
        plaintext = http_ece.decrypt(
            body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
        )
        return json.loads(plaintext)

    def decrypt_deferred(self) -> int:
        """Decrypt what was accepted with ``defer_decrypt``; returns how many failed."""
        failed = 0
        with self.lock:
            raw, self.raw = self.raw, []
        for token, headers, body in raw:
            try:
                payload = self._decrypt(self.browsers[token], body)
            except Exception:  # noqa: BLE001 - counted: a message the phone could not read
                failed += 1
                continue
            self.received.append(Received(token, payload, headers))
        return failed

    def _check_vapid(self, authorization: str) -> str:
        # A verified token is good until it expires (real push services cache them too).
        cached = self.verified.get(authorization)
        if cached and cached > time.time():
            return ""
        problem = self._verify_vapid(authorization)
        if not problem:
            self.verified[authorization] = time.time() + 60
        return problem

    def _verify_vapid(self, authorization: str) -> str:
        if not authorization.startswith("vapid "):
            return "no vapid authorization"
        parts = dict(p.strip().split("=", 1) for p in authorization[6:].split(","))
        raw = unb64url(parts["k"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        try:
            claims = jwt.decode(
                parts["t"],
                public,
                algorithms=["ES256"],
                audience=self.origin,
                options={"require": ["exp", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            return f"bad vapid token: {exc}"
        if claims["exp"] > time.time() + 24 * 3600:
            return "vapid token lives longer than 24 h"
        if not claims["sub"].startswith(("mailto:", "https:")):
            return "vapid sub is not a contact"
        return ""


def start(service: PushService) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra = service.handle(self.path, headers, body)
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
