"""The blocklist page (SPEC §13, §9): the active entries, adding and removing, with the
blocklist API's roles (supervisors and admins; the machine role `service` has no console).

Adding and removing call the same service functions as `POST /api/v1/blocklist` and
`DELETE /api/v1/blocklist/{id}` (complaints.blocklist), so they write the same audit
events with `actor = staff:NAME`. The form is checked with the API's own schema; a
refusal of the service (unknown request, a type that cannot block, a closed request) is
shown on the page in the page language, with the form as it was sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from pirights.complaints import blocklist
from pirights.complaints.schemas import BlocklistInSchema
from pirights.console.blueprint import bp
from pirights.console.dates import shown
from pirights.console.session import console_view
from pirights.database import MAX_ROW_ID
from pirights.errors import Conflict, DomainError, Invalid, NotFound
from pirights.security.input_guard import is_storable
from pirights.staff import roles

EDITORS = roles.SUPERVISORS  # as the API: POST and DELETE /api/v1/blocklist

FIELD_MESSAGES = {
    "terms": _l("Give at least one term, one per line: at most 100 terms of 200 characters each."),
    "request_ref": _l("Give the reference of the request this entry is for, e.g. PIR-ABCDE-FGHIJ."),
    "reason": _l("Give a reason, in at most 2000 characters."),
}
# The service's refusals, said in the page language (its English detail is the fallback).
REFUSALS = {
    "type-cannot-block": _l(
        "Only a block request or a portrait or reputation complaint can add blocklist "
        "entries; request %(ref)s is of another type."
    ),
    "request-closed": _l("Request %(ref)s was refused or withdrawn, so it cannot block anyone."),
}


def _terms(text: str) -> list[str]:
    """The terms of the form's text area: one per line, blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    """The list with the add form (values and errors as given)."""
    _version, items = blocklist.active()
    for item in items:
        item["created"] = shown(datetime.fromisoformat(item["created_at"]))
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render_template("console/blocklist.html", entries=items, **context), status


@bp.get("/blocklist")
@console_view(*EDITORS)
def blocklist_page():
    """Every active entry and the form to add one."""
    return _page()


def _refusal(error: DomainError, reference: str) -> str:
    """A service's refusal of an addition as a sentence in the page language."""
    if isinstance(error, NotFound):
        return _("No request has the reference %(ref)s.", ref=reference)
    if isinstance(error, Invalid):
        return str(FIELD_MESSAGES["terms"])
    if isinstance(error, Conflict) and error.slug in REFUSALS:
        return str(REFUSALS[error.slug]) % {"ref": reference}
    return error.detail


@bp.post("/blocklist")
@console_view(*EDITORS)
def blocklist_add():
    """Add an entry through the blocklist service; errors come back on the page."""
    values = {
        "terms": request.form.get("terms", ""),
        "request_ref": request.form.get("request_ref", "").strip(),
        "reason": request.form.get("reason", ""),
    }
    try:
        # The JSON API's input guard refuses NUL and lone surrogates before its schema;
        # a form post has no such guard, and a database would choke on them.
        unstorable = [k for k, v in values.items() if not is_storable(v)]
        if unstorable:
            raise ValidationError({k: ["unstorable"] for k in unstorable})
        data = BlocklistInSchema().load(values | {"terms": _terms(values["terms"])})
    except ValidationError as exc:
        errors = {k: [str(FIELD_MESSAGES.get(k, _("Check this field.")))] for k in exc.messages}
        return _page(422, values=values, errors=errors)
    try:
        entry, reference = blocklist.add(
            data["terms"], data["request_ref"], data["reason"], g.member
        )
    except DomainError as exc:
        field = "terms" if isinstance(exc, Invalid) else "request_ref"
        message = _refusal(exc, data["request_ref"])
        return _page(exc.status, values=values, errors={field: [message]})
    flash(_("Entry %(id)d added for request %(ref)s.", id=entry.id, ref=reference), "success")
    return redirect(url_for("console.blocklist_page"), 303)


# One rule for asking (GET) and removing (POST): with a rule per method, werkzeug answers an
# id beyond the bound with 405 instead of 404.
@bp.route(f"/blocklist/<int(min=1, max={MAX_ROW_ID}):entry_id>/remove", methods=["GET", "POST"])
@console_view(*EDITORS)
def blocklist_remove(entry_id: int):
    """GET: ask before removing (the generation service may then name the person again);
    POST: remove the entry through the blocklist service."""
    gone = _("Entry %(id)d is not on the blocklist (any more).", id=entry_id)
    if request.method == "GET":
        _version, items = blocklist.active()
        entry = next((item for item in items if item["id"] == entry_id), None)
        if entry is None:
            return _page(404, notice=gone)
        entry["created"] = shown(datetime.fromisoformat(entry["created_at"]))
        return render_template("console/blocklist_remove.html", entry=entry)
    try:
        blocklist.remove(entry_id, g.member)
    except NotFound:
        return _page(404, notice=gone)
    flash(_("Entry %(id)d removed.", id=entry_id), "success")
    return redirect(url_for("console.blocklist_page"), 303)
