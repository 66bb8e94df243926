"""The request state machine of SPEC §3.2 as data, and its pure checks.

Nothing here touches the database or the clock; the service applies what this decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from pirights.staff import roles

RECEIVED, IN_PROGRESS, AWAITING = "received", "in_progress", "awaiting_requester"
COMPLETED, REFUSED, WITHDRAWN = "completed", "refused", "withdrawn"
STATUSES = (RECEIVED, IN_PROGRESS, AWAITING, COMPLETED, REFUSED, WITHDRAWN)
TERMINAL = frozenset({COMPLETED, REFUSED, WITHDRAWN})
OPEN = tuple(s for s in STATUSES if s not in TERMINAL)
RUNNING = (RECEIVED, IN_PROGRESS)  # the deadline clock runs only in these (§3.5)

RIGHTS_TYPES = (
    "access",
    "copy",
    "portability",
    "correct",
    "supplement",
    "delete",
    "deregister",
    "block",
    "withdraw_consent",
    "explain",
)
COMPLAINT_TYPES = (
    "portrait_complaint",
    "reputation_complaint",
    "privacy_complaint",
    "business_secret_complaint",
)
TYPES = RIGHTS_TYPES + COMPLAINT_TYPES

LEGAL_BASES = (
    "legal_obligation",
    "national_security",
    "public_interest",
    "criminal_justice",
    "abuse",
    "vital_interests",
    "rights_of_others",
    "business_secret",
    "identity_unverified",
    "not_personal_information",
    "other",
)
RESULTS = ("fulfilled", "partial", "restricted")
IDENTITY_METHODS = ("email_code", "sms_code", "account_login", "id_document", "in_person", "other")
CHANNELS = ("email", "phone", "letter", "in_person", "web")
RELATIONSHIPS = ("self", "guardian", "next_of_kin", "agent")

STAFF_WRITERS = frozenset(roles.WRITERS)
SUPERVISORS = frozenset(roles.SUPERVISORS)


@dataclass(frozen=True)
class Action:
    """One row of the §3.2 table."""

    name: str
    sources: frozenset[str]
    target: str | None  # None: the status does not change
    required: tuple[str, ...]
    roles: frozenset[str] = STAFF_WRITERS


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("verify_identity", frozenset(OPEN), None, ("method",)),
        Action("accept", frozenset({RECEIVED}), IN_PROGRESS, ()),
        Action("request_info", frozenset({IN_PROGRESS}), AWAITING, ("message",)),
        Action("resume", frozenset({AWAITING}), IN_PROGRESS, ()),
        Action("complete", frozenset({IN_PROGRESS}), COMPLETED, ("resolution",)),
        Action("refuse", frozenset(OPEN), REFUSED, ("legal_basis", "reason")),
        Action("withdraw", frozenset(OPEN), WITHDRAWN, ("reason",)),
        Action("reopen", frozenset({COMPLETED, REFUSED}), IN_PROGRESS, ("reason",), SUPERVISORS),
    )
}


class TransitionRefused(Exception):
    """The action is not allowed now (HTTP 409); the message says why, `slug` which rule."""

    def __init__(self, message: str, slug: str) -> None:
        super().__init__(message)
        self.slug = slug


def is_complaint(request_type: str) -> bool:
    """True for the four complaint types of §3.1."""
    return request_type in COMPLAINT_TYPES


def check(action: Action, status: str, *, identity_verified: bool) -> str:
    """Return the status after `action`, or raise TransitionRefused.

    Guards beyond the table (a complaint's measures) are the complaints module's.
    """
    if status not in action.sources:
        allowed = ", ".join(sorted(action.sources))
        raise TransitionRefused(
            f"'{action.name}' is not possible while the request is {status}; "
            f"it is possible from: {allowed}.",
            "wrong-status",
        )
    if action.name == "accept" and not identity_verified:
        raise TransitionRefused(
            "Verify the requester's identity (action verify_identity) before accepting.",
            "identity-unverified",
        )
    return action.target or status
