"""Where features plug into the request lifecycle without `requests` importing them.

Each name is a plain list of callables, filled by a feature's `init_app` (complaints today;
files and fulfilment tasks next). `requests` calls every entry in order, inside the unit of
work of the change, so a feature's rows and audit events commit or roll back with it.
Keeping these as lists, not a plugin framework, keeps the call order visible and testable.

Signatures (s = the unit of work's Session, req = the Request, now = the instant):
- on_created(s, req) -> None: a request was just created (intake, public or staff); its
  row is flushed, so `req.id` is set.
- before_transition(s, req, action_name) -> None: may raise a DomainError to refuse.
- after_transition(s, req, action_name, fields, staff, now) -> dict: runs after the
  request changed and before its `request.transitioned` event is written; returns extra
  data for that event. `fields` holds every field the caller sent, the feature's own
  (see `action_fields`) included.
- on_transitioned(s, req, action_name, fields, staff, now) -> None: runs after the
  transition's event is written, for follow-on changes that write events of their own
  (so the trail reads in the order things happened).
- action_fields: (action_name, field_name) pairs a feature accepts on an action beyond the
  lifecycle's own; `requests` lets them through validation and leaves them to the hooks.
- present(req, now, masked) -> dict: extra keys of the staff representation.
- list_filters: (name, build(value, now) -> SQL clause on Request) pairs for the staff
  list; `build` gets the parsed query value (True/False).
- list_loaders: loader options (selectinload...) the staff list adds so that `present`
  hooks run no per-row query.
- pii_erasers(s, req) -> None: erase the feature's PII of a purged request.
- on_submitted(s, req, data, actor, now) -> dict: intake only, after `request.created` is
  recorded: sees the validated submission (with the fields features add to the §4.1 body,
  such as `identity_assertion`) and who sent it (`requester` for the public API and form);
  may refuse with a DomainError (then nothing is created); returns extra keys of the
  intake answer.
- on_extended(s, req, extension, staff, now) -> None: the due date was extended.
- on_message_sent(s, req, message, staff, now) -> None: staff wrote to the requester.
- present_detail(req, now, masked) -> dict: extra keys of the staff detail only (the list
  leaves them out, so they cost the list nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

on_created: list[Callable[..., None]] = []
before_transition: list[Callable[..., None]] = []
after_transition: list[Callable[..., dict[str, Any]]] = []
on_transitioned: list[Callable[..., None]] = []
action_fields: list[tuple[str, str]] = []
present: list[Callable[..., dict[str, Any]]] = []
list_filters: list[tuple[str, Callable[..., Any]]] = []
list_loaders: list[Any] = []
pii_erasers: list[Callable[..., None]] = []
on_submitted: list[Callable[..., dict[str, Any]]] = []
on_extended: list[Callable[..., None]] = []
on_message_sent: list[Callable[..., None]] = []
present_detail: list[Callable[..., dict[str, Any]]] = []


def register(hook: list, fn: Any) -> None:
    """Add `fn` once: apps are created many times in one process (tests, CLI)."""
    if fn not in hook:
        hook.append(fn)


def extra_fields(action_name: str) -> set[str]:
    """The fields features accept on `action_name`."""
    return {field for action, field in action_fields if action == action_name}
