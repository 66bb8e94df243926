"""`pirights deadlines recompute`: recount open requests' due dates with today's policies
and calendars (e.g. after a year's State Council schedule is added to config, SPEC §3.4).

A due date is replayed from received_at: the initial period, then the paused days and the
extensions in the order they happened (each extension remembers the paused days before
it). Requests are streamed in batches by id (keyset), each batch one unit of work that
audits every change as `deadline.recomputed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.deadlines.runtime import book
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.requests.present import iso_local

BATCH_SIZE = 500


@dataclass
class RecomputeResult:
    """How many open requests were examined and how many changed."""

    examined: int = 0
    changed: int = 0


def steps(req: Request) -> list[tuple[str, int]]:
    """Pauses and extensions of a request, in the order they moved its due date."""
    out: list[tuple[str, int]] = []
    paused = 0
    for ext in req.extensions:
        before = ext.paused_days_before or 0
        if before > paused:
            out.append(("pause", before - paused))
            paused = before
        out.append(("extension", ext.days))
    if req.paused_days > paused:
        out.append(("pause", req.paused_days - paused))
    return out


def _candidates(only_changed: bool):
    """Open requests; unless `--all`, only those whose deadline inputs may have changed."""
    cond = [Request.status.in_(lc.OPEN)]
    if only_changed:
        descriptions = {c.describe() for c in book().calendars.values()}
        rules = {
            book().policy(j, t).rule() for j in book().policies.jurisdictions() for t in lc.TYPES
        }
        cond.append(
            or_(
                Request.due_at_provisional.is_(True),
                Request.calendar_data.not_in(sorted(descriptions)),
                Request.deadline_rule.not_in(sorted(rules)),
            )
        )
    return cond


def _recompute_one(s, req: Request) -> bool:
    """Recount one request; update and audit it when anything differs."""
    fresh = book().recomputed(req.received_at, req.jurisdiction, req.type, steps(req))
    before = (req.due_at, req.due_at_provisional, req.deadline_rule, req.calendar_data)
    after = (fresh.due_at, fresh.provisional, fresh.rule, fresh.calendar_data)
    if before == after:
        return False
    old_due = req.due_at
    req.due_at, req.due_at_provisional = fresh.due_at, fresh.provisional
    req.deadline_rule, req.calendar_data = fresh.rule, fresh.calendar_data
    record(
        s,
        actor="system",
        action=actions.DEADLINE_RECOMPUTED,
        request_ref=req.reference,
        data={
            "old_due_at": iso_local(req, old_due),
            "new_due_at": iso_local(req, fresh.due_at),
            "old_deadline_rule": before[2],
            "deadline_rule": fresh.rule,
            "old_calendar_data": before[3],
            "calendar_data": fresh.calendar_data,
            "due_at_provisional": fresh.provisional,
        },
    )
    return True


def recompute(
    now: datetime,
    *,
    only_changed: bool = True,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[RecomputeResult], None] | None = None,
) -> RecomputeResult:
    """Recount open requests in batches; returns the totals."""
    result = RecomputeResult()
    last_id = 0
    while True:
        with db.unit_of_work() as s:
            batch = list(
                s.scalars(
                    select(Request)
                    .where(Request.id > last_id, *_candidates(only_changed))
                    .options(selectinload(Request.extensions))
                    .order_by(Request.id)
                    .limit(batch_size)
                    .with_for_update()
                )
            )
            if not batch:
                return result
            for req in batch:
                if _recompute_one(s, req):
                    req.updated_at = now
                    result.changed += 1
            result.examined += len(batch)
            last_id = batch[-1].id
        s.expunge_all()  # keep memory flat across batches
        if progress:
            progress(result)
