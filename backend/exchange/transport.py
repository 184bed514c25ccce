"""How packages travel: one ``Transport`` interface, the VXP adapter (the national axis,
Trục liên thông văn bản quốc gia) behind it, and room for a provincial LGSP adapter (REST
with a login token and ``X-SystemId``/``X-SecretKey``; not built — no such service is
reachable from here).

VXP (STANDARDS.md, and the SDK's ``VnptService``): plain HTTP POST; parameters travel as
headers; every header is repeated as ``XroadVnpt-<name>``, the JSON object of those copies
is sent as ``XroadVnpt-sign-header`` and its HMAC-SHA256 under the system's secret as
``XroadVnpt-hash-header``, with ``XroadVnpt-sign-header-key`` naming the signed headers.
The secret itself never travels. A sent package's SHA-256 is signed too (``hash-file``),
so the body cannot be swapped in transit. Replies are JSON
``{status: OK|FAIL, ErrorCode, ErrorDesc, data, DocId}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests

SIGNED_PREFIX = "XroadVnpt-"
TIMESTAMP_FORMAT = "%d%m%Y" + "T" + "%H%M%S"  # the SDK's ddMMyyyy'T'HHmmss, then +SSSS
MAX_CLOCK_SKEW = timedelta(minutes=5)


class TransportError(Exception):
    """The axis could not be reached or refused the call. ``retryable``: try again later
    (network, 5xx, 429); otherwise the call itself was refused (bad recipient, auth)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class ReceivedRef:
    """One message waiting for us on the axis."""

    doc_id: str
    from_code: str
    to_code: str
    message_type: str  # edoc | status
    created: str = ""


class Transport(Protocol):
    name: str

    def send(
        self, package: bytes, *, message_type: str, from_code: str, to_codes: list[str]
    ) -> str:
        """Hand a package to the axis; returns the axis's id for it."""
        ...

    def received(self, message_type: str) -> list[ReceivedRef]: ...

    def fetch(self, doc_id: str) -> bytes: ...

    def acknowledge(self, doc_id: str, status: str) -> None:
        """Tell the axis we have it (``done``), or could not take it (``fail``)."""
        ...

    def sent(self) -> list[dict[str, Any]]: ...


# -- header signing (shared with the development axis) ---------------------------------------


def vxp_timestamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime(TIMESTAMP_FORMAT) + f"+{moment.microsecond // 1000:04d}"


def parse_vxp_timestamp(value: str) -> datetime | None:
    try:
        return datetime.strptime(value.split("+", 1)[0], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def sign_headers(params: Mapping[str, str], secret: str) -> dict[str, str]:
    """The headers of one call: the parameters, their ``XroadVnpt-`` copies, and the
    HMAC of the copies' JSON."""
    copies = {f"{SIGNED_PREFIX}{k}": str(v) for k, v in params.items()}
    signed = json.dumps(copies, separators=(",", ":"), ensure_ascii=True)
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
    return {
        **{k: str(v) for k, v in params.items()},
        **copies,
        f"{SIGNED_PREFIX}sign-header-key": ";".join(params),
        f"{SIGNED_PREFIX}sign-header": signed,
        f"{SIGNED_PREFIX}hash-header": digest,
    }


class SignatureRefused(Exception):
    pass


def verify_headers(
    headers: Mapping[str, str],
    secret_of: Mapping[str, str],
    required: list[str],
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Check a call's signed headers; returns the signed parameters. Raises
    ``SignatureRefused`` with the reason when anything does not match."""
    signed = headers.get(f"{SIGNED_PREFIX}sign-header", "")
    digest = headers.get(f"{SIGNED_PREFIX}hash-header", "")
    names = [n for n in headers.get(f"{SIGNED_PREFIX}sign-header-key", "").split(";") if n]
    try:
        copies = json.loads(signed) if signed else {}
    except ValueError as exc:
        raise SignatureRefused("sign-header is not JSON") from exc
    if not isinstance(copies, dict):
        raise SignatureRefused("sign-header is not a JSON object")
    params = {n: str(copies.get(f"{SIGNED_PREFIX}{n}", "")) for n in names}
    system = params.get("systemid") or ""
    secret = secret_of.get(system)
    if not secret:
        raise SignatureRefused(f"unknown system {system!r}")
    expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest.lower()):
        raise SignatureRefused("hash-header does not match (wrong secret or altered headers)")
    if set(copies) != {f"{SIGNED_PREFIX}{n}" for n in names}:
        raise SignatureRefused("sign-header-key does not name the signed headers")
    for name in names:
        for header in (name, f"{SIGNED_PREFIX}{name}"):
            if headers.get(header, "") != params[name]:
                raise SignatureRefused(f"header {header} differs from the signed value")
    absent = [n for n in ["systemid", "timestamp", *required] if n not in params]
    if absent:
        raise SignatureRefused(f"unsigned headers: {', '.join(absent)}")
    moment = parse_vxp_timestamp(params["timestamp"])
    if moment is None or abs((now or datetime.now(UTC)) - moment) > MAX_CLOCK_SKEW:
        raise SignatureRefused("timestamp missing or more than 5 minutes off")
    return params


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the VXP adapter ------------------------------------------------------------------------


class VxpTransport:
    name = "vxp"

    def __init__(self, url: str, system_id: str, secret: str, *, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self.system_id = system_id
        self.secret = secret
        self.timeout = timeout
        self.http = requests.Session()  # keep-alive to the axis

    def _call(
        self,
        operation: str,
        params: dict[str, str],
        body: bytes | None = None,
    ) -> dict[str, Any]:
        all_params = {"systemid": self.system_id, "timestamp": vxp_timestamp(), **params}
        headers = sign_headers(all_params, self.secret)
        headers["Content-Type"] = (
            "application/octet-stream" if body is not None else "application/json"
        )
        try:
            response = self.http.post(
                f"{self.url}/{operation}", data=body or b"", headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise TransportError(f"axis unreachable: {exc}", retryable=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportError(f"axis answered HTTP {response.status_code}", retryable=True)
        try:
            reply = response.json()
        except ValueError as exc:
            raise TransportError(
                f"axis answered HTTP {response.status_code} without JSON", retryable=True
            ) from exc
        if not isinstance(reply, dict):
            raise TransportError("axis answered an unexpected JSON value", retryable=True)
        if response.status_code >= 400 or reply.get("status") != "OK":
            raise TransportError(
                f"axis refused {operation}: {reply.get('ErrorCode', '')} "
                f"{reply.get('ErrorDesc', '')}".strip(),
                retryable=False,
            )
        return reply

    def send(
        self, package: bytes, *, message_type: str, from_code: str, to_codes: list[str]
    ) -> str:
        service = "eDoc" if message_type == "edoc" else "status"
        reply = self._call(
            "sendEdoc",
            {
                "servicetype": service,
                "messagetype": message_type,
                "from": from_code,
                "to": json.dumps(to_codes, separators=(",", ":")),
                "hash-file": file_hash(package),
            },
            body=package,
        )
        return str(reply.get("DocId", ""))

    def received(self, message_type: str) -> list[ReceivedRef]:
        service = "eDoc" if message_type == "edoc" else "status"
        reply = self._call(
            "getReceivedEdocList", {"servicetype": service, "messagetype": message_type}
        )
        return [
            ReceivedRef(
                doc_id=str(item.get("docId", "")),
                from_code=str(item.get("from", "")),
                to_code=str(item.get("to", "")),
                message_type=str(item.get("messageType", message_type)),
                created=str(item.get("created_time", "")),
            )
            for item in reply.get("data") or []
            if item.get("docId")
        ]

    def fetch(self, doc_id: str) -> bytes:
        reply = self._call("getEdoc", {"docId": doc_id})
        try:
            return base64.b64decode(reply.get("data") or "", validate=True)
        except ValueError as exc:
            raise TransportError("axis sent undecodable data", retryable=True) from exc

    def acknowledge(self, doc_id: str, status: str) -> None:
        self._call("updateStatus", {"docId": doc_id, "status": status})

    def sent(self) -> list[dict[str, Any]]:
        return list(self._call("getSentEdocList", {}).get("data") or [])
