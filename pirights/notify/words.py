"""Words the requester's emails use for the codes of SPEC §3: types, results, legal grounds.

The msgids are the request form's (pirights.intake_form.texts; the legal grounds and the
rights notice are requests.present's English) word for word, so one catalog entry
translates both the page and the email; a test checks every one is translated. They are
repeated here rather than imported because the form is an edge above this package.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TYPE_TITLES = {
    "access": _l("Access"),
    "copy": _l("Copy"),
    "portability": _l("Transfer to another service"),
    "correct": _l("Correct"),
    "supplement": _l("Complete"),
    "delete": _l("Delete"),
    "deregister": _l("Close my account"),
    "block": _l("Block"),
    "withdraw_consent": _l("Withdraw consent"),
    "explain": _l("Explain the rules"),
    "portrait_complaint": _l("Complaint: my likeness"),
    "reputation_complaint": _l("Complaint: my reputation"),
    "privacy_complaint": _l("Complaint: my privacy"),
    "business_secret_complaint": _l("Complaint: business secrets"),
}

RESULT_TEXTS = {
    "fulfilled": _l("Done as you asked."),
    "partial": _l("Partly done."),
    "restricted": _l(
        "Your information could not be deleted, so all processing except storage and "
        "security has stopped (PIPL Art 47)."
    ),
}
