"""Form fields to the API's schemas and back: one set of rules for the page and the API.

The HTML form is flat; RequestInSchema (SPEC §4.1) is nested. `parse_request` builds the
nested dict, validates it with the very schema the JSON API uses, and turns its English
messages into translated ones keyed by the form field they belong to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError

from pirights.requests.schemas import MessageInSchema, PublicWithdrawSchema, RequestInSchema

REQUESTER_FIELDS = ("name", "email", "phone", "account_id", "relationship", "on_behalf_of")
FIELDS = ("type", *REQUESTER_FIELDS, "description", "content_refs")

_TOO_LONG = re.compile(r"(?:between \d+ and|maximum length) (\d+)")


def form_values(form: Mapping[str, str]) -> dict[str, str]:
    """The submitted text of every field, to show again beside the errors."""
    return {name: form.get(name, "") for name in FIELDS}


def _content_refs(text: str) -> list[str]:
    """One reference per line; blank lines are not references."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def build_request(values: Mapping[str, str], locale: str) -> dict[str, Any]:
    """The §4.1 body for these form values; empty fields are left out, as a client would."""
    requester = {k: values[k].strip() for k in REQUESTER_FIELDS if values.get(k, "").strip()}
    body: dict[str, Any] = {"requester": requester, "locale": locale}
    for key in ("type", "description"):
        if values.get(key, "").strip():
            body[key] = values[key]
    refs = _content_refs(values.get("content_refs", ""))
    if refs:
        body["content_refs"] = refs
    return body


def friendly(field: str, message: str) -> str:
    """A translated message a requester can act on, for one schema message."""
    if message == "Missing data for required field.":
        if field == "type":
            return _("Choose the type of request.")
        return _("Fill in this field.")
    if message.startswith("give an email"):
        return _("Give an email address or a phone number, so we can reach you.")
    if message.startswith("name the person"):
        return _("Give the name of the person you are acting for.")
    if message.startswith("a complaint needs"):
        return _("A complaint needs at least one conversation ID, output ID or link.")
    if message.startswith("must be a phone number"):
        return _("Enter a phone number like +8613800138000.")
    if message.startswith("must be one of"):
        return _("Choose one of the options.")
    if message == "Not a valid email address.":
        return _("Enter an email address like name@example.com.")
    if "NUL" in message or "Unicode" in message:
        return _("Remove the invisible control characters.")
    match = _TOO_LONG.search(message)
    if match and field == "content_refs":
        return _("Too many or too long: at most 50 references of 2048 characters each.")
    if match:
        return _("Too long: at most %(max)s characters.", max=match.group(1))
    return _("This value is not valid.")


def _flatten(messages: Any) -> list[str]:
    """Every message string in a marshmallow error value (lists, or dicts by list index)."""
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [m for value in messages.values() for m in _flatten(value)]
    return [m for value in messages for m in _flatten(value)]


def field_errors(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """Schema errors keyed by form field name, translated, duplicates dropped."""
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        pairs = (
            value.items() if key == "requester" and isinstance(value, Mapping) else [(key, value)]
        )
        for field, raw in pairs:
            name = field if field in FIELDS else "_form"
            for message in _flatten(raw):
                text = friendly(name, message)
                if text not in out.setdefault(name, []):
                    out[name].append(text)
    return out


def parse_request(form: Mapping[str, str], locale: str) -> tuple[dict | None, dict[str, list]]:
    """(validated §4.1 data, {}) or (None, errors by field) for a submitted form."""
    try:
        return RequestInSchema().load(build_request(form_values(form), locale)), {}
    except ValidationError as exc:
        return None, field_errors(exc.messages_dict)


def parse_message(form: Mapping[str, str]) -> tuple[str | None, dict[str, list]]:
    """A reply body validated like the API's, or errors under `message`."""
    try:
        return MessageInSchema().load({"body": form.get("message", "")})["body"], {}
    except ValidationError as exc:
        if not form.get("message", "").strip():
            return None, {"message": [_("Write your message first.")]}
        return None, {"message": [friendly("message", m) for m in _flatten(exc.messages_dict)]}


def parse_code(form: Mapping[str, str]) -> tuple[str | None, dict[str, list]]:
    """A one-time code validated like the API's (six digits), or errors under `code`."""
    from pirights.verification.schemas import CodeInSchema

    # People paste codes with spaces ("123 456"); those are not part of the code.
    code = "".join(form.get("code", "").split())
    try:
        return CodeInSchema().load({"code": code})["code"], {}
    except ValidationError:
        if not code:
            return None, {"code": [_("Enter the code we sent you.")]}
        return None, {"code": [_("Enter the 6 digits of the code we sent you.")]}


def parse_withdrawal(form: Mapping[str, str]) -> tuple[str | None, dict[str, list]]:
    """The optional reason of a confirmed withdrawal, or errors (the confirmation is required)."""
    errors: dict[str, list[str]] = {}
    if form.get("confirm") != "yes":
        errors["confirm"] = [_("Tick the box to confirm that you want to withdraw.")]
    reason = form.get("reason", "").strip()
    try:
        data = PublicWithdrawSchema().load({"reason": reason} if reason else {})
    except ValidationError as exc:
        errors["reason"] = [friendly("reason", m) for m in _flatten(exc.messages_dict)]
        data = {}
    return (None, errors) if errors else (data.get("reason"), {})
