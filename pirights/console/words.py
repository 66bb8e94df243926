"""Words the queue and the request page show staff for the codes of SPEC §3.

Type titles and legal grounds are the request form's msgids (intake_form.texts), so they
are translated once. Action labels carry the context "action": their English (§13 names
each button) is shared with other msgids, e.g. the type "Complete" (补充) is not the action
"Complete" (办结).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from pirights.errors import DomainError
from pirights.intake_form.locale import page_language
from pirights.intake_form.texts import LEGAL_BASIS_TEXTS, TYPE_TEXTS

STATUS_LABELS = {
    "received": _l("Received"),
    "in_progress": _l("In progress"),
    "awaiting_requester": lazy_pgettext("status", "Awaiting requester"),
    "completed": lazy_pgettext("status", "Completed"),
    "refused": lazy_pgettext("status", "Refused"),
    "withdrawn": lazy_pgettext("status", "Withdrawn"),
}

# The §13 button labels, by the action each form posts.
ACTION_LABELS = {
    "verify_identity": lazy_pgettext("action", "Verify identity"),
    "accept": lazy_pgettext("action", "Accept"),
    "request_info": lazy_pgettext("action", "Request information"),
    "resume": lazy_pgettext("action", "Resume"),
    "complete": lazy_pgettext("action", "Complete"),
    "refuse": lazy_pgettext("action", "Refuse"),
    "withdraw": lazy_pgettext("action", "Withdraw"),
    "reopen": lazy_pgettext("action", "Reopen"),
    "extend": lazy_pgettext("action", "Extend"),
    "assign": lazy_pgettext("action", "Assign"),
    "note": lazy_pgettext("action", "Add note"),
    "message": lazy_pgettext("action", "Send message"),
    "measure": lazy_pgettext("action", "Record measure"),
    "remediation": lazy_pgettext("action", "Record remediation"),
}

METHOD_LABELS = {
    "email_code": _l("Code sent by email"),
    "sms_code": _l("Code sent by SMS"),
    "account_login": _l("Signed in to their account"),
    "id_document": _l("Identity document"),
    "in_person": _l("In person"),
    "other": _l("Other"),
}

RESULT_LABELS = {
    "fulfilled": _l("Fulfilled"),
    "partial": _l("Partly fulfilled"),
    "restricted": _l("Restricted: not deletable, processing stopped (PIPL Art 47(2))"),
}

MEASURE_LABELS = {
    "filter": _l("Output filter"),
    "stop_generation": _l("Generation stopped"),
    "takedown": _l("Content taken down"),
    "block_subject": _l("Subject blocked"),
}

CHANNEL_LABELS = {
    "email": _l("Email"),
    "phone": _l("Phone"),
    "letter": _l("Letter"),
    "in_person": _l("In person"),
    "web": _l("Web form"),
}


def type_label(code: str) -> str:
    """The request type's title in the page language (the code if unknown)."""
    text = TYPE_TEXTS.get(code)
    return str(text.title) if text else code


def legal_basis_label(code: str | None) -> str:
    """A refusal ground in the page language."""
    return str(LEGAL_BASIS_TEXTS.get(code or "", code or ""))


def label(table: dict, code: str | None) -> str:
    """A code's label from one of the tables above, or the code itself."""
    if code is None:
        return ""
    return str(table.get(code, code))


# Chinese pages say the services' most common refusals in Chinese; English pages show the
# service's own sentence, which names the statuses and fields involved.
REFUSAL_TEXTS = {
    "wrong-status": _l("This action is not possible in the request's current status."),
    "identity-unverified": _l("Verify the requester's identity before accepting."),
    "request-closed": _l("The request is closed; reopen it first."),
    "measure-required": _l("Record a measure against the content before completing."),
    "tasks-outstanding": _l("Not every system holding the data has answered yet."),
    "not-upheld": _l("Remediation follows an upheld complaint; complete it first."),
    "already-remediated": _l("Remediation of this complaint is already recorded."),
    "forbidden": _l("Your role may not do this."),
    "invalid": _l("Some fields need attention; see below."),
}


def refusal(exc: DomainError) -> str:
    """A service's refusal as the page says it."""
    if page_language() == "zh" and exc.slug in REFUSAL_TEXTS:
        return str(REFUSAL_TEXTS[exc.slug])
    return exc.detail


FIELD_PROBLEM = _l("Required here, or not a valid value.")


def field_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Per-field messages as the page shows them: the schemas' and services' English on
    English pages, one sentence in the page's language otherwise (their texts are English)."""
    out = {}
    for name, messages in errors.items():
        if isinstance(messages, dict):  # marshmallow nests some errors; flatten them
            messages = [
                m for ms in messages.values() for m in (ms if isinstance(ms, list) else [ms])
            ]
        elif not isinstance(messages, list):
            messages = [messages]
        out[name] = [str(m) for m in messages]
        if page_language() != "en":
            out[name] = [str(FIELD_PROBLEM)]
    return out
