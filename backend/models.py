"""Every table of every domain, imported in one place for Alembic and the tests."""

from backend.assignments.models import (
    Assignment,
    AssignmentExtension,
    AssignmentProgress,
    AssignmentProgressFile,
)
from backend.audit.models import AuditEvent, AuditHead
from backend.auth.models import Device, RefreshToken
from backend.calendar.models import CalendarDocument, CalendarEvent, CalendarParticipant
from backend.conversion.models import FileConversion
from backend.core.db import Base
from backend.core.models import IdempotencyRecord
from backend.documents.models import (
    Blob,
    Document,
    DocumentFile,
    DocumentParticipant,
    DocumentVersion,
)
from backend.exchange.models import (
    ChangeRequest,
    DeliveryEvent,
    DirectoryEntry,
    InboundMessage,
    OutboxMessage,
    ReceivedDocument,
)
from backend.exchange.models import Delivery as ExchangeDelivery
from backend.mail.models import (
    MailAttachment,
    MailDelivery,
    MailLink,
    MailMessage,
    MailPreference,
)
from backend.notifications.models import (
    Notification,
    NotificationPreference,
    PushDelivery,
    PushSubscription,
    Reminder,
)
from backend.org.models import Delegation, DocumentType, Membership, Organisation, Unit, User
from backend.registers.models import RegisterCounter, RegisterEntry
from backend.search.models import BlobText, DocumentSearch
from backend.signatures.models import (
    ArchiveState,
    SigningCredential,
    SigningFactor,
    SigningItem,
    SigningPasskey,
    SigningRequest,
    ValidationRecord,
)
from backend.webhooks.models import WebhookDelivery, WebhookEndpoint
from backend.workflow.models import (
    Instruction,
    QuickPhrase,
    RouteStep,
    RouteTemplate,
    StepActor,
    StepAssignment,
    WorkflowAction,
)

__all__ = [
    "ArchiveState",
    "ChangeRequest",
    "DeliveryEvent",
    "DirectoryEntry",
    "ExchangeDelivery",
    "InboundMessage",
    "OutboxMessage",
    "ReceivedDocument",
    "Assignment",
    "AssignmentExtension",
    "AssignmentProgress",
    "AssignmentProgressFile",
    "SigningCredential",
    "SigningFactor",
    "SigningPasskey",
    "SigningItem",
    "SigningRequest",
    "ValidationRecord",
    "BlobText",
    "CalendarDocument",
    "CalendarEvent",
    "CalendarParticipant",
    "DocumentSearch",
    "NotificationPreference",
    "PushDelivery",
    "PushSubscription",
    "Reminder",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Delegation",
    "Instruction",
    "Notification",
    "QuickPhrase",
    "RegisterCounter",
    "RegisterEntry",
    "RouteStep",
    "RouteTemplate",
    "StepActor",
    "StepAssignment",
    "WorkflowAction",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Blob",
    "Device",
    "Document",
    "DocumentFile",
    "DocumentParticipant",
    "FileConversion",
    "MailAttachment",
    "MailDelivery",
    "MailLink",
    "MailMessage",
    "MailPreference",
    "DocumentType",
    "DocumentVersion",
    "IdempotencyRecord",
    "Membership",
    "Organisation",
    "RefreshToken",
    "Unit",
    "User",
]
