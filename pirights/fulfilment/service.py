"""Systems, tasks and results (SPEC §14); each public function is one unit of work, or runs
inside the unit of work of the request change that calls it (through requests.hooks)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record, record_many
from pirights.errors import Conflict, Forbidden, Invalid, NotFound
from pirights.extensions import db
from pirights.fulfilment import settings as webhook_settings
from pirights.fulfilment.models import (
    ANSWERED,
    DONE,
    FAILED,
    NOT_FOUND,
    PENDING,
    SENT,
    WAITING,
    WAIVED,
    System,
    Task,
)
from pirights.fulfilment.urls import url_problem
from pirights.outbox import models as outbox_models
from pirights.outbox import service as outbox
from pirights.outbox.models import OutboxMessage
from pirights.outbox.signing import new_secret
from pirights.requests.lifecycle import TERMINAL, TYPES
from pirights.requests.models import Request
from pirights.staff import roles
from pirights.staff.models import Staff

KIND = "fulfilment.task"  # the outbox kind of task webhooks
CHANNEL = "webhook"
EVENT_TYPE = "privacy_request.task"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
SYSTEM_RESULTS = (DONE, NOT_FOUND, FAILED)
SUPERVISOR_RESULTS = (DONE, NOT_FOUND, WAIVED)


class TasksOutstanding(Conflict):
    """`complete` while some system has not answered (SPEC §14)."""

    title, slug = "Systems have not answered", "tasks-outstanding"


# --- systems ---------------------------------------------------------------------------


def register_system(
    name: str, webhook_url: str, handles: Iterable[str], staff: Staff
) -> tuple[System, str]:
    """Register a data system; returns it and its signing secret (not shown again)."""
    errors: dict[str, list[str]] = {}
    if not NAME_RE.match(name):
        errors["name"] = ["1-64 lowercase letters, digits, '_', '.' or '-', starting alnum"]
    allow_http = webhook_settings.load(current_app.config["PIRIGHTS"].raw).allow_http
    problem = url_problem(webhook_url, allow_http=allow_http)
    if problem:
        errors["webhook_url"] = [problem]
    types = sorted(set(handles))
    unknown = [t for t in types if t not in TYPES]
    if unknown or not types:
        errors["handles"] = [f"unknown types: {', '.join(unknown)}" if unknown else "empty"]
    if errors:
        raise Invalid("The system cannot be registered; see errors.", errors=errors)
    secret = new_secret()
    now = clock.now()
    taken = Conflict(f"A system named {name!r} is already registered.", slug="system-exists")
    try:
        with db.unit_of_work() as s:
            if s.scalar(select(System.id).where(System.name == name)) is not None:
                raise taken
            system = _add_system(s, name, webhook_url, secret, types, staff, now)
    except IntegrityError:
        # A concurrent registration of the same name committed between our check and our
        # insert; the unique index refused ours, so the answer is the same 409.
        raise taken from None
    return system, secret


def _add_system(
    s: Session,
    name: str,
    webhook_url: str,
    secret: str,
    types: list[str],
    staff: Staff,
    now: datetime,
) -> System:
    """Add the system and its `system.registered` event to the unit of work."""
    system = System(
        name=name,
        webhook_url=webhook_url,
        secret=secret,
        handles=json.dumps(types),
        active=True,
        created_at=now,
    )
    s.add(system)
    record(
        s,
        actor=staff.actor,
        action=actions.SYSTEM_REGISTERED,
        data={"system": name, "handles": types},
    )
    return system


def systems() -> list[System]:
    """Every registered system, active or not, by name."""
    return list(db.session.scalars(select(System).order_by(System.name)))


def deactivate_system(name: str, staff: Staff) -> System:
    """Stop giving a system new tasks; its open tasks wait until answered or waived."""
    now = clock.now()
    with db.unit_of_work() as s:
        system = s.scalar(select(System).where(System.name == name).with_for_update())
        if system is None:
            raise NotFound(f"No system named {name!r}.")
        if system.active:
            system.active, system.deactivated_at = False, now
            record(s, actor=staff.actor, action=actions.SYSTEM_DEACTIVATED, data={"system": name})
    return system


def system_id(s: Session, name: str) -> int:
    """The id of an active system (for tying a service token to it), or 404."""
    found = s.scalar(select(System.id).where(System.name == name, System.active))
    if found is None:
        raise NotFound(f"No active system named {name!r}; register it first.")
    return found


def present_system(system: System, secret: str | None = None) -> dict[str, Any]:
    """A system as the API shows it; the secret only when just created."""
    body = {
        "name": system.name,
        "webhook_url": system.webhook_url,
        "handles": json.loads(system.handles),
        "active": system.active,
        "created_at": system.created_at.isoformat(),
    }
    if secret:
        body["secret"] = secret
    return body


# --- tasks: created on accept, delivered by the outbox ---------------------------------


def webhook_body(task: Task, req: Request, due_at: str) -> str:
    """The JSON the system receives: who the request is about and by when to act."""
    return json.dumps(
        {
            "type": EVENT_TYPE,
            "task_id": task.id,
            "request_ref": req.reference,
            "request_type": req.type,
            "subject": {
                "account_id": req.requester_account_id,
                "email": req.requester_email,
                "phone": req.requester_phone,
            },
            "due_at": due_at,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def queue_webhook(s: Session, task: Task, req: Request, now: datetime) -> None:
    """Queue the task's webhook in the caller's unit of work, with its own webhook-id."""
    from pirights.requests.present import iso_local

    msg = outbox.enqueue_now(
        s,
        kind=KIND,
        channel=CHANNEL,
        payload={
            "task_id": task.id,
            "system_id": task.system_id,
            # Standard Webhooks: one id per message, the same on every retry.
            "webhook_id": "msg_" + secrets.token_urlsafe(18),
            "body": webhook_body(task, req, iso_local(req, req.due_at) or ""),
        },
        now=now,
        request_id=req.id,
        request_ref=req.reference,
    )
    task.outbox_id = msg.id


def create_tasks(s: Session, req: Request, actor: str, now: datetime) -> list[Task]:
    """One task per active system that handles the request's type, each with its webhook
    queued, in the accepting transaction. Audit: task.created (task id and system name)."""
    handling = [
        system
        for system in s.scalars(select(System).where(System.active).order_by(System.name))
        if req.type in json.loads(system.handles)
    ]
    tasks = []
    for system in handling:
        task = Task(
            request_id=req.id,
            system_id=system.id,
            system=system,
            status=PENDING,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        s.add(task)
        tasks.append(task)
    s.flush()
    for task in tasks:
        queue_webhook(s, task, req, now)
    record_many(
        s,
        [
            (actor, actions.TASK_CREATED, req.reference, {"task_id": t.id, "system": t.system.name})
            for t in tasks
        ],
    )
    return tasks


def waiting_systems(s: Session, request_id: int) -> list[str]:
    """Names of the systems whose tasks of this request are still open, locked so a
    concurrent retry or answer is ordered before or after the caller's change."""
    rows = s.execute(
        select(System.name)
        .join(Task, Task.system_id == System.id)
        .where(Task.request_id == request_id, Task.status.in_(WAITING))
        .order_by(System.name)
        .with_for_update(of=Task)
    ).all()
    return sorted({name for (name,) in rows})


def refuse_completion(s: Session, req: Request) -> None:
    """Raise TasksOutstanding while a task is pending, sent or failed."""
    waiting = waiting_systems(s, req.id)
    if waiting:
        raise TasksOutstanding(
            f"Cannot complete: waiting for {', '.join(waiting)}. Each system must report a "
            "result, or a supervisor must record or waive it (POST /api/v1/tasks/{id}/result).",
            errors={"systems": waiting},
        )


def on_settled(s: Session, items: list[outbox.Settled], now: datetime) -> list[outbox.Event]:
    """Follow the outbox's attempts (its settle hook for KIND), in settle's transaction.

    A 2xx makes a pending task `sent` (task.delivered: attempt, HTTP status, duration); the
    last failed retry makes it `failed` (task.failed). An answer that arrived first is kept.
    """
    ids = [int(i.outcome.claimed.payload["task_id"]) for i in items]
    tasks = {
        t.id: t
        for t in s.scalars(
            select(Task)
            .where(Task.id.in_(ids))
            .options(joinedload(Task.system))
            .with_for_update(of=Task)
        )
    }
    events: list[outbox.Event] = []
    for item, task_id in zip(items, ids, strict=True):
        task = tasks.get(task_id)
        if task is None or task.outbox_id != item.outcome.claimed.id:
            continue
        task.attempts, task.updated_at = item.attempts, now
        ref, info = item.outcome.claimed.request_ref, item.outcome.info
        base = {"task_id": task.id, "system": task.system.name, "attempt": item.attempts}
        if item.state == outbox.SENT_NOW:
            task.last_error = None
            if task.status == PENDING:
                task.status = SENT
            data = base | {k: info[k] for k in ("http_status", "duration_ms") if k in info}
            events.append(("system", actions.TASK_DELIVERED, ref, data))
            continue
        task.last_error = item.outcome.error
        if item.state == outbox.GAVE_UP and task.status in (PENDING, SENT):
            task.status = FAILED
            events.append(("system", actions.TASK_FAILED, ref, base | {"error": task.last_error}))
    return events


# --- results and retries ---------------------------------------------------------------


def _load_task(s: Session, task_id: int) -> tuple[Task, Request]:
    """The task and its request, the request locked first (as transitions lock it)."""
    # An id beyond the column's range is simply unknown (PostgreSQL would refuse the query).
    found = (
        s.execute(select(Task.request_id).where(Task.id == task_id)).first()
        if 0 < task_id < 2**31
        else None
    )
    if found is None:
        raise NotFound(f"No task with id {task_id}.")
    req = s.get(Request, found[0], with_for_update=True)
    task = s.get(Task, task_id, with_for_update=True, populate_existing=True)
    assert req is not None and task is not None  # rows are never deleted
    return task, req


def _check_answer(task: Task, staff: Staff, result: str, reason: str | None) -> None:
    """Who may answer what (SPEC §14): 403 for another system's task, 422 for a result or
    field the caller may not use, 409 when the task is already answered."""
    if staff.role == roles.SERVICE:
        if staff.system_id != task.system_id:
            raise Forbidden("This service token belongs to another system (or to none).")
        if result not in SYSTEM_RESULTS:
            raise Invalid(
                "A system reports done, not_found or failed.",
                errors={"result": [f"must be one of {', '.join(SYSTEM_RESULTS)}"]},
            )
        if reason is not None:
            raise Invalid("Systems send detail, not reason.", errors={"reason": ["not used"]})
    else:
        if staff.role not in roles.SUPERVISORS:
            raise Forbidden("Only the system itself, a supervisor or an admin may answer.")
        if result not in SUPERVISOR_RESULTS:
            raise Invalid(
                "A supervisor records done or not_found, or waives the task.",
                errors={"result": [f"must be one of {', '.join(SUPERVISOR_RESULTS)}"]},
            )
        if not reason:
            raise Invalid("Say why you answer for the system.", errors={"reason": ["required"]})
    if task.status in ANSWERED:
        raise Conflict(
            f"Task {task.id} is already {task.status}; an answer is final.", slug="task-answered"
        )


def post_result(
    task_id: int, result: str, detail: str | None, reason: str | None, staff: Staff
) -> Task:
    """Record a system's answer (its service token) or a supervisor's, with a reason.

    Audit: task.result, or task.waived; the detail and reason are stored encrypted and only
    their lengths enter the audit data (they may name the person).
    """
    now = clock.now()
    with db.unit_of_work() as s:
        task, req = _load_task(s, task_id)
        _check_answer(task, staff, result, reason)
        text = reason if staff.role != roles.SERVICE else detail
        task.status, task.result, task.detail = result, result, text
        task.answered_by, task.updated_at = staff.actor, now
        data = {"task_id": task.id, "system": task.system.name, "by": staff.role}
        if text:
            data["text_length"] = len(text)
        if result != WAIVED:
            data["result"] = result
        action = actions.TASK_WAIVED if result == WAIVED else actions.TASK_RESULT
        record(s, actor=staff.actor, action=action, request_ref=req.reference, data=data)
    return task


def retry_task(task_id: int, staff: Staff) -> Task:
    """Send a failed task's webhook again, with the same webhook-id (a supervisor's retry)."""
    now = clock.now()
    with db.unit_of_work() as s:
        task, req = _load_task(s, task_id)
        if task.status != FAILED:
            raise Conflict(
                f"Only a failed task can be retried; task {task.id} is {task.status}.",
                slug="task-not-failed",
            )
        if req.status in TERMINAL:
            raise Conflict(
                f"The request is {req.status}; reopen it before retrying its tasks.",
                slug="request-closed",
            )
        row = s.get(OutboxMessage, task.outbox_id, with_for_update=True) if task.outbox_id else None
        if row is not None and row.status == outbox_models.FAILED:
            # Never acknowledged: the same message again, same webhook-id (SPEC §14).
            outbox.requeue(s, row.id, now)
        elif row is None or row.status == outbox_models.SENT:
            # The system received it and answered `failed`: a new message, with a new id,
            # so a receiver that drops duplicate ids acts on it.
            queue_webhook(s, task, req, now)
        # (still pending in the outbox: it is already on its way)
        task.status, task.result, task.detail, task.answered_by = PENDING, None, None, None
        task.attempts, task.last_error, task.updated_at = 0, None, now
        record(
            s,
            actor=staff.actor,
            action=actions.TASK_RETRIED,
            request_ref=req.reference,
            data={"task_id": task.id, "system": task.system.name},
        )
    return task


def present_task(task: Task, *, masked: bool = False) -> dict[str, Any]:
    """A task as the staff detail shows it (SPEC §14); auditors see the detail masked."""
    return {
        "id": task.id,
        "system": task.system.name,
        "status": task.status,
        "attempts": task.attempts,
        "last_error": task.last_error,
        "updated_at": task.updated_at.isoformat(),
        "result": task.result,
        "detail": ("***" if task.detail else None) if masked else task.detail,
    }
