"""Imports every model so that Base.metadata knows every table (Alembic, tests)."""

from pirights.alerts.models import Notification
from pirights.audit.models import AuditEvent, AuditHead
from pirights.complaints.models import (
    BlocklistEntry,
    BlocklistState,
    ComplaintTrack,
    Measure,
    Remediation,
)
from pirights.deadlines.models import Extension
from pirights.files.models import File
from pirights.fulfilment.models import System, Task
from pirights.outbox.models import OutboxMessage
from pirights.requests.models import IdempotencyRecord, Message, Note, Request
from pirights.staff.models import Staff, StaffToken
from pirights.verification.models import VerificationCode

__all__ = [
    "AuditEvent",
    "AuditHead",
    "BlocklistEntry",
    "BlocklistState",
    "ComplaintTrack",
    "Extension",
    "File",
    "IdempotencyRecord",
    "Measure",
    "Message",
    "Note",
    "Notification",
    "OutboxMessage",
    "Remediation",
    "Request",
    "Staff",
    "StaffToken",
    "System",
    "Task",
    "VerificationCode",
]
