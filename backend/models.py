"""Every table of every domain, imported in one place for Alembic and the tests."""

from backend.audit.models import AuditEvent, AuditHead
from backend.auth.models import Device, RefreshToken
from backend.core.db import Base
from backend.core.models import IdempotencyRecord
from backend.documents.models import (
    Blob,
    Document,
    DocumentFile,
    DocumentParticipant,
    DocumentVersion,
)
from backend.org.models import DocumentType, Membership, Organisation, Unit, User

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Base",
    "Blob",
    "Device",
    "Document",
    "DocumentFile",
    "DocumentParticipant",
    "DocumentType",
    "DocumentVersion",
    "IdempotencyRecord",
    "Membership",
    "Organisation",
    "RefreshToken",
    "Unit",
    "User",
]
