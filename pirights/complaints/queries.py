"""The §9 filters of the staff list and the SLA report, over the indexed complaint_tracks
table, the loader options that let the list show complaints without per-row queries, and
the open measure and remediation deadlines the staff dashboard lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, not_, select
from sqlalchemy.orm import selectinload

from pirights.complaints.models import ComplaintTrack
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.staff.models import Staff


def complaint_filters(now: datetime) -> dict[str, Any]:
    """Conditions on ComplaintTrack for each §9 filter, by filter name."""
    terminal_failed = Request.status.in_((lc.REFUSED, lc.WITHDRAWN))
    return {
        "measure_overdue": and_(
            ComplaintTrack.first_measure_at.is_(None),
            ComplaintTrack.measure_due_at < now,
            ComplaintTrack.request_id.in_(select(Request.id).where(not_(terminal_failed))),
        ),
        "remediation_open": and_(
            ComplaintTrack.remediation_due_at.is_not(None),
            ComplaintTrack.remediated_at.is_(None),
        ),
        "remediation_overdue": and_(
            ComplaintTrack.remediated_at.is_(None), ComplaintTrack.remediation_due_at < now
        ),
    }


def _list_filter(name: str):
    """The staff-list filter `name`: requests whose track matches (or, for False, not)."""

    def build(value: bool, now: datetime):
        """SQL on Request for `?name=value`."""
        track = select(ComplaintTrack.request_id).where(complaint_filters(now)[name])
        return Request.id.in_(track) if value else Request.id.not_in(track)

    build.__name__ = f"filter_{name}"
    return name, build


LIST_FILTERS = [
    _list_filter(name) for name in ("measure_overdue", "remediation_open", "remediation_overdue")
]
# Built once, so registering them again for another app adds nothing.
LIST_LOADERS = [
    selectinload(Request.complaint_track),  # type: ignore[attr-defined]
    selectinload(Request.complaint_measures),  # type: ignore[attr-defined]
]


@dataclass(frozen=True)
class Deadline:
    """One complaint deadline still open: whose request, when, and whether it has passed."""

    reference: str
    due_at: datetime
    overdue: bool
    assignee: str | None


@dataclass(frozen=True)
class Deadlines:
    """Open deadlines of one kind: how many, how many past, and the nearest few."""

    open: int
    overdue: int
    nearest: list[Deadline]


def _pending(kind: str):
    """(due column, condition on the track and its request) of the open deadlines of
    `kind` (measure or remediation); a refused or withdrawn complaint owes no measure."""
    if kind == "measure":
        return ComplaintTrack.measure_due_at, and_(
            ComplaintTrack.first_measure_at.is_(None),
            Request.status.not_in((lc.REFUSED, lc.WITHDRAWN)),
        )
    return ComplaintTrack.remediation_due_at, and_(
        ComplaintTrack.remediation_due_at.is_not(None), ComplaintTrack.remediated_at.is_(None)
    )


def open_deadlines(kind: str, now: datetime, nearest: int = 10) -> Deadlines:
    """The first measures (kind "measure") or remediations ("remediation") still due: a
    count, the overdue count, and the `nearest` soonest due (overdue ones first), for the
    dashboard. Answered from the tracks' (done_at, due_at) indexes."""
    due, pending = _pending(kind)
    tracks = select(ComplaintTrack.request_id, due.label("due")).select_from(ComplaintTrack)
    if kind == "measure":  # its condition reads the request's status
        tracks = tracks.join(Request, Request.id == ComplaintTrack.request_id)
    tracks = tracks.where(pending)
    open_ = tracks.subquery()
    total, late = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((open_.c.due < now, 1), else_=0)), 0))
    ).one()
    # The nearest are picked from the tracks alone (an ordered scan of the due index that
    # stops after `nearest`), then named: joined first, all open ones would be read.
    first = tracks.order_by(due, ComplaintTrack.request_id).limit(nearest).subquery()
    rows = db.session.execute(
        select(Request.reference, first.c.due, Staff.name)
        .join_from(first, Request, Request.id == first.c.request_id)
        .outerjoin(Staff, Staff.id == Request.assignee_id)
        .order_by(first.c.due, first.c.request_id)
    ).all()
    return Deadlines(
        open=total,
        overdue=int(late),
        nearest=[Deadline(ref, at, at < now, name) for ref, at, name in rows],
    )
