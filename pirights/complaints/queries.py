"""The §9 filters of the staff list and the SLA report, over the indexed complaint_tracks
table, and the loader options that let the list show complaints without per-row queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import selectinload

from pirights.complaints.models import ComplaintTrack
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request


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
