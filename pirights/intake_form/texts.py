"""Words the requester sees for the codes of SPEC §3: types, statuses, outcomes, grounds.

Each text is a lazy gettext msgid in English, translated by the message catalogs; the codes
themselves come from pirights.requests.lifecycle so the form offers exactly what the API takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from pirights.requests.lifecycle import COMPLAINT_TYPES, RIGHTS_TYPES


@dataclass(frozen=True)
class TypeText:
    """How one request type is offered on the form."""

    code: str
    title: LazyString
    explanation: LazyString
    law: LazyString


TYPE_TEXTS: dict[str, TypeText] = {
    t.code: t
    for t in (
        TypeText(
            "access",
            _l("Access"),
            _l("Find out what personal information we hold about you and how we use it."),
            _l("PIPL Art 44, 45"),
        ),
        TypeText(
            "copy",
            _l("Copy"),
            _l("Receive a copy of your personal information."),
            _l("PIPL Art 45"),
        ),
        TypeText(
            "portability",
            _l("Transfer to another service"),
            _l("Have your personal information sent to another company you choose."),
            _l("PIPL Art 45(3)"),
        ),
        TypeText(
            "correct",
            _l("Correct"),
            _l("Fix personal information about you that is wrong."),
            _l("PIPL Art 46"),
        ),
        TypeText(
            "supplement",
            _l("Complete"),
            _l("Add to personal information about you that is incomplete."),
            _l("PIPL Art 46"),
        ),
        TypeText(
            "delete",
            _l("Delete"),
            _l("Have your personal information deleted."),
            _l("PIPL Art 47"),
        ),
        TypeText(
            "deregister",
            _l("Close my account"),
            _l("Close your account and have its data deleted or anonymised."),
            _l("PIPL Art 47"),
        ),
        TypeText(
            "block",
            _l("Block"),
            _l("Make us stop using your personal information, including in generated content."),
            _l("PIPL Art 44"),
        ),
        TypeText(
            "withdraw_consent",
            _l("Withdraw consent"),
            _l("Take back your consent; what was done before stays lawful."),
            _l("PIPL Art 15"),
        ),
        TypeText(
            "explain",
            _l("Explain the rules"),
            _l("Get a plain explanation of how and why we process personal information."),
            _l("PIPL Art 48"),
        ),
        TypeText(
            "portrait_complaint",
            _l("Complaint: my likeness"),
            _l("AI-generated content uses your face, voice or image without permission."),
            _l("Civil Code Art 1019; PIPL Art 44"),
        ),
        TypeText(
            "reputation_complaint",
            _l("Complaint: my reputation"),
            _l("AI-generated content says false or insulting things about you."),
            _l("Civil Code Art 1024; PIPL Art 44"),
        ),
        TypeText(
            "privacy_complaint",
            _l("Complaint: my privacy"),
            _l("AI-generated content reveals private facts about you."),
            _l("Civil Code Art 1032; PIPL Art 44"),
        ),
        TypeText(
            "business_secret_complaint",
            _l("Complaint: business secrets"),
            _l("AI-generated content discloses your company's business secrets."),
            _l("Anti-Unfair Competition Law Art 9; PIPL Art 44"),
        ),
    )
}

RIGHTS = [TYPE_TEXTS[c] for c in RIGHTS_TYPES]
COMPLAINTS = [TYPE_TEXTS[c] for c in COMPLAINT_TYPES]

RELATIONSHIP_TEXTS = {
    "self": _l("Myself"),
    "guardian": _l("A child under 14 in my care (guardian, PIPL Art 31)"),
    "next_of_kin": _l("A relative who has died (next of kin, PIPL Art 49)"),
    "agent": _l("Someone who authorised me to act for them"),
}

STATUS_TEXTS = {
    "received": _l("Received"),
    "in_progress": _l("In progress"),
    "awaiting_requester": _l("Waiting for your reply"),
    "completed": _l("Completed"),
    "refused": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
}

RESULT_TEXTS = {
    "fulfilled": _l("Done as you asked."),
    "partial": _l("Partly done."),
    "restricted": _l(
        "Your information could not be deleted, so all processing except storage and "
        "security has stopped (PIPL Art 47)."
    ),
    "refused": _l("Refused."),
    "withdrawn": _l("You withdrew this request."),
}

# The msgids repeat pirights.requests.present.LEGAL_BASIS_TEXT word for word (a test checks
# it), so the API's English and the page's English never drift apart.
LEGAL_BASIS_TEXTS = {
    "legal_obligation": _l("needed to fulfil a legal obligation"),
    "national_security": _l("directly related to national security or national defence"),
    "public_interest": _l(
        "directly related to public safety, public health or a major public interest"
    ),
    "criminal_justice": _l(
        "directly related to criminal investigation, prosecution, trial or execution of judgments"
    ),
    "abuse": _l("evidence that the request is malicious or abuses rights"),
    "vital_interests": _l(
        "to protect life, property or other major lawful rights when consent is hard to obtain"
    ),
    "rights_of_others": _l("responding would seriously harm the lawful rights of others"),
    "business_secret": _l("responding would disclose business secrets"),
    "identity_unverified": _l("the requester's identity could not be verified"),
    "not_personal_information": _l("the request does not concern personal information"),
    "other": _l("other grounds, stated in the reason"),
}

RIGHTS_NOTICE = _l(
    "If you disagree, you may complain to the authorities responsible for personal "
    "information protection (PIPL Art 65) or bring a lawsuit in a People's Court (PIPL Art 50)."
)
