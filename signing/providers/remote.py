"""Remote signing where the user confirms on their phone, in another app (the shape of
VNPT SmartCA and Viettel MySign): submit the hashes → a transaction id → the user
confirms → poll for the result, or receive it by callback (HMAC-signed by the provider).

The wire format here is a neutral JSON one; an adapter per real provider maps its field
names onto it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import requests

from ..errors import ProviderError
from .base import AsyncProvider, AsyncResult, AsyncStatus, Credential


class RemoteConfirmProvider(AsyncProvider):
    def __init__(self, base_url: str, api_key: str, callback_secret: str, timeout: float = 15):
        self.base_url = base_url.rstrip("/")
        self.callback_secret = callback_secret.encode()
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    def _call(self, method: str, path: str, **kwargs: object) -> dict:
        try:
            response = self.http.request(
                method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ProviderError(
                f"signing service unreachable: {exc}", code="provider-unreachable"
            ) from exc
        if response.status_code >= 300:
            raise ProviderError(
                f"signing service answered {response.status_code}: {response.text[:200]}"
            )
        return response.json()

    def submit(self, credential: Credential, digests: list[bytes], description: str) -> str:
        body = {
            "credential_id": credential.credential_id,
            "hash_algorithm": "sha256",
            "hashes": [base64.b64encode(d).decode() for d in digests],
            "description": description,
        }
        return str(self._call("POST", "/transactions", json=body)["transaction_id"])

    def _result(self, data: dict) -> AsyncResult:
        try:
            status = AsyncStatus(data["status"])
        except (KeyError, ValueError) as exc:
            raise ProviderError("signing service sent an unknown status") from exc
        return AsyncResult(
            transaction_id=str(data["transaction_id"]),
            status=status,
            signatures=[base64.b64decode(s) for s in data.get("signatures") or []],
            reason=data.get("reason", ""),
        )

    def poll(self, transaction_id: str) -> AsyncResult:
        return self._result(self._call("GET", f"/transactions/{transaction_id}"))

    def accept_callback(self, payload: dict, signature_header: str | None) -> AsyncResult:
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        expected = hmac.new(self.callback_secret, body, hashlib.sha256).hexdigest()
        if not signature_header or not hmac.compare_digest(expected, signature_header):
            raise ProviderError("callback signature does not match", code="callback-forged")
        return self._result(payload)


def callback_signature(secret: str, payload: dict) -> str:
    """What the provider puts in the callback's signature header."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
