"""A key held in memory (PKCS#12 or PEM): development, tests, an agency seal on a server."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from .base import Authorization, Credential, SyncProvider


class MemoryProvider(SyncProvider):
    def __init__(self) -> None:
        self._keys: dict[str, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey] = {}

    def add_pem(self, credential_id: str, pem: bytes, password: bytes | None = None) -> None:
        key = serialization.load_pem_private_key(pem, password)
        assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        self._keys[credential_id] = key  # parsed once, not on every signature

    def add_pkcs12(self, credential_id: str, data: bytes, password: bytes | None) -> None:
        key, _cert, _chain = pkcs12.load_key_and_certificates(data, password)
        assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        self._keys[credential_id] = key

    def sign_digests(
        self,
        credential: Credential,
        digests: list[bytes],
        authorization: Authorization | None = None,
    ) -> list[bytes]:
        key = self._keys[credential.credential_id]
        prehashed = utils.Prehashed(hashes.SHA256())
        if isinstance(key, rsa.RSAPrivateKey):
            return [key.sign(d, padding.PKCS1v15(), prehashed) for d in digests]
        return [key.sign(d, ec.ECDSA(prehashed)) for d in digests]
