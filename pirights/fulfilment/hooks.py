"""Fulfilment's entries in pirights.requests.hooks (accept creates tasks, complete waits for
them, the staff representation lists them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, configure_mappers, selectinload

from pirights.fulfilment import service
from pirights.fulfilment.models import Task
from pirights.requests.models import Request
from pirights.staff.models import Staff


def before_transition(s: Session, req: Request, action_name: str) -> None:
    """`complete` is refused while a task is pending, sent or failed."""
    if action_name == "complete":
        service.refuse_completion(s, req)


def on_transitioned(
    s: Session,
    req: Request,
    action_name: str,
    fields: dict[str, Any],
    staff: Staff,
    now: datetime,
) -> None:
    """`accept` creates the request's tasks and queues their webhooks in its transaction,
    after the transition's own event (task.created follows request.transitioned)."""
    if action_name == "accept":
        service.create_tasks(s, req, staff.actor, now)


def present(req: Request, now: datetime, masked: bool) -> dict[str, Any]:
    """`tasks[]` of the staff representation."""
    return {"tasks": [service.present_task(t, masked=masked) for t in req.tasks]}


configure_mappers()  # Request.tasks is a backref: it exists once the mappers are configured
# Eager-loads tasks (and their systems) for the staff list: no query per listed request.
LIST_LOADER = selectinload(Request.tasks).joinedload(Task.system)  # type: ignore[attr-defined]
