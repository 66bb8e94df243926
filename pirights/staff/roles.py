"""The staff roles (SPEC §8.1) and who may do what, defined once.

Pure data: the models, the HTTP authentication decorator, the state machine and the
CLI's --role choice all read these names from here.
"""

from __future__ import annotations

AGENT, SUPERVISOR, AUDITOR, ADMIN = "agent", "supervisor", "auditor", "admin"
SERVICE = "service"  # a machine identity: the generation service reading the blocklist

ROLES = (AGENT, SUPERVISOR, AUDITOR, ADMIN, SERVICE)

# People on the privacy team (every role but the machine one).
ALL_STAFF = (AGENT, SUPERVISOR, AUDITOR, ADMIN)
# Who handles requests: may change them and be assigned them.
WRITERS = (AGENT, SUPERVISOR, ADMIN)
# Who may reopen, extend deadlines and change the blocklist.
SUPERVISORS = (SUPERVISOR, ADMIN)
# Who may read the whole audit trail and the SLA report.
AUDITORS = (AUDITOR, SUPERVISOR, ADMIN)
# Who may read the blocklist and check texts against it.
BLOCKLIST_READERS = (SERVICE, SUPERVISOR, ADMIN)


def sees_masked(role: str) -> bool:
    """Auditors see requesters' details masked (SPEC §5)."""
    return role == AUDITOR
