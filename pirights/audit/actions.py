"""Every audit action name (SPEC §6), defined once.

Each `record(...)` call names its action with one of these constants, so the trail's
vocabulary is one list to read, and a typo is an import error rather than a new action.
"""

from __future__ import annotations

# Requests (pirights.requests)
REQUEST_CREATED = "request.created"
REQUEST_VIEWED = "request.viewed"
REQUEST_TRANSITIONED = "request.transitioned"
REQUEST_ASSIGNED = "request.assigned"
REQUEST_NOTE_ADDED = "request.note_added"
REQUEST_MESSAGE_SENT = "request.message_sent"
REQUEST_MESSAGE_RECEIVED = "request.message_received"
REQUEST_EXTENDED = "request.extended"
DEADLINE_RECOMPUTED = "deadline.recomputed"

# Deadline alerts written by the sweeps (kinds of notification, too)
DEADLINE_DUE_SOON = "deadline.due_soon"
DEADLINE_OVERDUE = "deadline.overdue"
COMPLAINT_MEASURE_OVERDUE = "complaint.measure_overdue"
COMPLAINT_REMEDIATION_OVERDUE = "complaint.remediation_overdue"

# Deliveries of the outbox (pirights.outbox)
NOTIFICATION_SENT = "notification.sent"
NOTIFICATION_FAILED = "notification.failed"

# Identity verification of requesters (pirights.verification)
IDENTITY_CODE_SENT = "identity.code_sent"
IDENTITY_CODE_FAILED = "identity.code_failed"
IDENTITY_VERIFIED = "identity.verified"

# Complaints and the blocklist (pirights.complaints)
COMPLAINT_MEASURE_RECORDED = "complaint.measure_recorded"
COMPLAINT_REMEDIATED = "complaint.remediated"
BLOCKLIST_ADDED = "blocklist.added"
BLOCKLIST_REMOVED = "blocklist.removed"

# Fulfilment in the data systems (pirights.fulfilment, SPEC §14)
SYSTEM_REGISTERED = "system.registered"
SYSTEM_DEACTIVATED = "system.deactivated"
TASK_CREATED = "task.created"
TASK_DELIVERED = "task.delivered"
TASK_FAILED = "task.failed"
TASK_RESULT = "task.result"
TASK_WAIVED = "task.waived"
TASK_RETRIED = "task.retried"

# Files of requests (pirights.files, SPEC §12.3): id, size and audience, never name or content
FILE_ADDED = "file.added"
FILE_DOWNLOADED = "file.downloaded"
FILES_SWEPT = "files.swept"

# Staff and authentication (pirights.staff)
STAFF_ADDED = "staff.added"
STAFF_REVOKED = "staff.revoked"
STAFF_PASSWORD_SET = "staff.password_set"
AUTH_DENIED = "auth.denied"
# Console sessions (pirights.console, SPEC §13)
AUTH_SIGNED_IN = "auth.signed_in"
AUTH_SIGNED_OUT = "auth.signed_out"

# The trail itself and protection (pirights.audit, pirights.security)
AUDIT_EXPORTED = "audit.exported"
KEYS_ROTATED = "keys.rotated"
RETENTION_PURGED = "retention.purged"

ALL = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
