"""A key in an HSM through PKCS#11 (SoftHSM2 in tests). The key never leaves the token;
one session is opened per batch."""

from __future__ import annotations

import threading

import pkcs11
from asn1crypto import algos
from pkcs11 import KeyType, Mechanism, ObjectClass

from ..errors import ProviderError
from .base import Authorization, Credential, SyncProvider

# DER prefix of a DigestInfo for SHA-256: RSA_PKCS signs DigestInfo(sha256, digest)
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _ecdsa_der(raw: bytes) -> bytes:
    """PKCS#11 returns r‖s; CMS wants a DER SEQUENCE of two INTEGERs."""
    half = len(raw) // 2
    return algos.DSASignature(
        {"r": int.from_bytes(raw[:half], "big"), "s": int.from_bytes(raw[half:], "big")}
    ).dump()


class Pkcs11Provider(SyncProvider):
    def __init__(self, module: str, token_label: str, user_pin: str) -> None:
        self._lib = pkcs11.lib(module)
        self._token_label = token_label
        self._pin = user_pin
        self._lock = threading.Lock()  # one session at a time: SoftHSM and many HSMs want it

    def sign_digests(
        self,
        credential: Credential,
        digests: list[bytes],
        authorization: Authorization | None = None,
    ) -> list[bytes]:
        with self._lock:
            try:
                token = self._lib.get_token(token_label=self._token_label)
                with token.open(user_pin=self._pin) as session:
                    key = session.get_key(
                        object_class=ObjectClass.PRIVATE_KEY, label=credential.credential_id
                    )
                    if key.key_type == KeyType.RSA:
                        return [
                            key.sign(SHA256_DIGEST_INFO + d, mechanism=Mechanism.RSA_PKCS)
                            for d in digests
                        ]
                    # SoftHSM 2.6 has no SHA256+ECDSA mechanism: sign the digest raw
                    return [_ecdsa_der(key.sign(d, mechanism=Mechanism.ECDSA)) for d in digests]
            except pkcs11.PKCS11Error as exc:
                raise ProviderError(f"HSM: {type(exc).__name__}", code="hsm-failed") from exc


__all__ = ["Pkcs11Provider"]
