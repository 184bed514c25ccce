"""Errors of the signing library, each with a stable code the API turns into a Problem."""

from __future__ import annotations


class SigningError(Exception):
    code = "signing-failed"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class NotAPdf(SigningError):
    code = "pdf-broken"


class PlacementError(SigningError):
    code = "signature-placement"


class ProviderError(SigningError):
    code = "provider-failed"


class CertificateRevoked(SigningError):
    code = "certificate-revoked"


class ImageRejected(SigningError):
    code = "signature-image-rejected"
