"""Where features plug into the request lifecycle without `requests` importing them.

Each name is a plain list of callables, filled by a feature's `init_app` (complaints today;
files and fulfilment tasks next). `requests` calls every entry in order, inside the unit of
work of the change, so a feature's rows and audit events commit or roll back with it.
Keeping these as lists, not a plugin framework, keeps the call order visible and testable.

Signatures (s = the unit of work's Session, req = the Request, now = the instant):
- on_created(s, req) -> None: a request was just created (intake, public or staff).
- before_transition(s, req, action_name) -> None: may raise a DomainError to refuse.
- after_transition(s, req, action_name, fields, staff, now) -> dict: extra audit data.
- present(req, now, masked) -> dict: extra keys of the staff representation.
- list_filters: (name, build(value, now) -> SQL clause or None) pairs for the staff list.
- list_loaders: loader options (selectinload...) the list adds so presenting needs no
  per-row query.
- pii_erasers(s, req) -> None: erase the feature's PII of a purged request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

on_created: list[Callable[..., None]] = []
before_transition: list[Callable[..., None]] = []
after_transition: list[Callable[..., dict[str, Any]]] = []
present: list[Callable[..., dict[str, Any]]] = []
list_filters: list[tuple[str, Callable[..., Any]]] = []
list_loaders: list[Any] = []
pii_erasers: list[Callable[..., None]] = []


def register(hook: list, fn: Any) -> None:
    """Add `fn` once: apps are created many times in one process (tests, CLI)."""
    if fn not in hook:
        hook.append(fn)
