"""Cloud Signature Consortium API v1 (the shape of Viettel MySign's CSC endpoints and of
many remote signing services): credentials/info → certificate chain;
credentials/authorize with the hash list → SAD; signatures/signHash → signatures.
One authorize + one signHash cover a whole batch."""

from __future__ import annotations

import base64

import requests
from asn1crypto import x509

from ..errors import ProviderError
from .base import Authorization, Credential, SyncProvider

SHA256 = "2.16.840.1.101.3.4.2.1"
SIGN_ALGO = {"rsa": "1.2.840.113549.1.1.11", "ec": "1.2.840.10045.4.3.2"}


class CscProvider(SyncProvider):
    def __init__(self, base_url: str, access_token: str = "", timeout: float = 20) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        if access_token:
            self.http.headers["Authorization"] = f"Bearer {access_token}"

    def _post(self, path: str, body: dict) -> dict:
        try:
            response = self.http.post(
                f"{self.base_url}/csc/v1/{path}", json=body, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ProviderError(
                f"CSC service unreachable: {exc}", code="provider-unreachable"
            ) from exc
        if response.status_code >= 300:
            raise ProviderError(f"CSC {path} answered {response.status_code}")
        return response.json()

    def credential(self, credential_id: str) -> Credential:
        info = self._post(
            "credentials/info", {"credentialID": credential_id, "certificates": "chain"}
        )
        certs = [x509.Certificate.load(base64.b64decode(c)) for c in info["cert"]["certificates"]]
        return Credential(credential_id, certs[0], tuple(certs[1:]))

    def sign_digests(
        self,
        credential: Credential,
        digests: list[bytes],
        authorization: Authorization | None = None,
    ) -> list[bytes]:
        hashes = [base64.b64encode(d).decode() for d in digests]
        authorize: dict = {
            "credentialID": credential.credential_id,
            "numSignatures": len(digests),
            "hash": hashes,
        }
        if authorization and authorization.pin:
            authorize["PIN"] = authorization.pin
        if authorization and authorization.otp:
            authorize["OTP"] = authorization.otp
        sad = self._post("credentials/authorize", authorize)["SAD"]
        signed = self._post(
            "signatures/signHash",
            {
                "credentialID": credential.credential_id,
                "SAD": sad,
                "hash": hashes,
                "hashAlgo": SHA256,
                "signAlgo": SIGN_ALGO[credential.key_algorithm],
            },
        )
        values = [base64.b64decode(s) for s in signed["signatures"]]
        if len(values) != len(digests):
            raise ProviderError("CSC returned a different number of signatures")
        return values
