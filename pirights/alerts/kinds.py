"""The one registry of alert kinds: what the sweep records, queues, mails and reports.

An `AlertKind` says everything about one kind of alert: its name (the notification's
`kind`), the audit action each alert records, the mail subject, how the sweep claims a
batch of crossings, and how the SLA report counts it. The sweep result, the notification
schema's enum, the mail subjects and the report's figures are all read from here, so a new
kind is one `register` call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pirights.requests import reports


@dataclass(frozen=True)
class Alert:
    """One crossed deadline, claimed by a sweep: what is audited and notified."""

    reference: str
    due_at: datetime
    assignee_id: int | None
    data: dict[str, Any]  # the audit event's data: dates and rules, never PII


@dataclass(frozen=True)
class AlertKind:
    """One kind of alert.

    `claim(s, now, size)` selects up to `size` crossings not yet alerted for their current
    due value, locks them (FOR UPDATE SKIP LOCKED, so concurrent sweeps share the work),
    marks them alerted and returns them; the sweep audits and notifies them in the same
    unit of work. `report` is the SLA report figure that counts this kind, if any.
    """

    name: str
    action: str
    subject: str
    claim: Callable[[Session, datetime, int], list[Alert]]
    report: reports.Figure | None = None

    @property
    def label(self) -> str:
        """The key of this kind in the sweep's one-line summary: `deadline.overdue` -> `overdue`."""
        return self.name.partition(".")[2]


_KINDS: dict[str, AlertKind] = {}
# Kept in place (never rebound) so the notification schema's enum, which holds this very
# list, names every kind registered before the OpenAPI document is generated.
NAMES: list[str] = []


def register(kind: AlertKind) -> None:
    """Add a kind (again with the same name: no change; apps are created many times)."""
    if kind.name in _KINDS:
        return
    _KINDS[kind.name] = kind
    NAMES.append(kind.name)
    if kind.report is not None:
        reports.add_figure(kind.report)


def registered() -> list[AlertKind]:
    """Every kind, in registration order (the order the sweep runs and reports them)."""
    return list(_KINDS.values())


def subject(name: str) -> str:
    """The mail subject of a kind (its name if the kind is no longer registered)."""
    kind = _KINDS.get(name)
    return kind.subject if kind else name
