"""Key providers behind one interface: they sign digests with keys they hold.

- :class:`~signing.providers.memory.MemoryProvider` — PKCS#12 / PEM key in memory
- :class:`~signing.providers.pkcs11.Pkcs11Provider` — an HSM (SoftHSM2 in tests)
- :class:`~signing.providers.csc.CscProvider` — Cloud Signature Consortium API v1
- :class:`~signing.providers.base.AsyncProvider` — "confirm in another app" providers
  (VNPT SmartCA / Viettel MySign shape): submit, then poll or receive a callback
"""

from .base import AsyncProvider, AsyncResult, Credential, SyncProvider

__all__ = ["AsyncProvider", "AsyncResult", "Credential", "SyncProvider"]
