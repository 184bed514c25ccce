"""The provider interface. A provider never sees a PDF: it signs SHA-256 digests of the
CMS signed attributes, which is what every remote signing service accepts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum

from asn1crypto import x509


@dataclass(frozen=True)
class Credential:
    """A signing key somewhere, and its certificate chain (issuer first, root last or
    omitted)."""

    credential_id: str
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def key_algorithm(self) -> str:
        return self.certificate.public_key.algorithm  # "rsa" | "ec"


@dataclass(frozen=True)
class Authorization:
    """What the user proved to the provider (CSC: PIN/OTP → SAD). The product checks its
    own step-up before calling any provider; this is what the provider itself wants."""

    pin: str | None = None
    otp: str | None = None


class SyncProvider(ABC):
    """Signs at once (PKCS#12, HSM, CSC with PIN/OTP)."""

    @abstractmethod
    def sign_digests(
        self,
        credential: Credential,
        digests: list[bytes],
        authorization: Authorization | None = None,
    ) -> list[bytes]:
        """Raw signature values (RSA PKCS#1 v1.5 or DER-encoded ECDSA) over SHA-256
        digests, in order. One call = one authorization, however many digests."""


class AsyncStatus(StrEnum):
    PENDING = "pending"  # waiting for the user to confirm on their phone
    SIGNED = "signed"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass
class AsyncResult:
    transaction_id: str
    status: AsyncStatus
    signatures: list[bytes] = field(default_factory=list)
    reason: str = ""


class AsyncProvider(ABC):
    """The user confirms in another app; the result arrives later (poll or callback)."""

    @abstractmethod
    def submit(self, credential: Credential, digests: list[bytes], description: str) -> str:
        """Start a transaction for these digests; returns its id."""

    @abstractmethod
    def poll(self, transaction_id: str) -> AsyncResult:
        """Ask for the transaction's state."""

    @abstractmethod
    def accept_callback(self, payload: dict, signature_header: str | None) -> AsyncResult:
        """Read the provider's callback (verifying that it comes from the provider)."""
