"""The SLA report (SPEC §5 `GET /api/v1/reports/sla`) for requests received in a window.

Counts, the on-time rate and the open-overdue count are GROUP BY / aggregate queries. The
median working days to close needs each jurisdiction's working-day calendar, which lives in
Python (holidays package + config), so closed requests of the window are streamed (three
columns each, `yield_per`) and counted here: memory grows by one integer per closed request
in the window.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from pirights.deadlines.runtime import book
from pirights.extensions import db
from pirights.requests.models import Request
from pirights.requests.queries import RUNNING

STREAM_BATCH = 1000


def sla_report(since: datetime, until: datetime, now: datetime) -> dict[str, Any]:
    """Figures for requests with since <= received_at < until."""
    s = db.session
    window = (Request.received_at >= since, Request.received_at < until)
    by_type: dict[str, int] = {}
    by_status: dict[str, int] = {}
    cells = []
    for rtype, status, count in s.execute(
        select(Request.type, Request.status, func.count())
        .where(*window)
        .group_by(Request.type, Request.status)
        .order_by(Request.type, Request.status)
    ):
        cells.append({"type": rtype, "status": status, "count": count})
        by_type[rtype] = by_type.get(rtype, 0) + count
        by_status[status] = by_status.get(status, 0) + count
    closed, on_time = s.execute(
        select(
            func.count(Request.closed_at),
            func.coalesce(func.sum(case((Request.on_time.is_(True), 1), else_=0)), 0),
        ).where(*window, Request.closed_at.is_not(None))
    ).one()
    open_overdue = s.scalar(
        select(func.count()).where(*window, Request.status.in_(RUNNING), Request.due_at < now)
    )
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "total": sum(by_type.values()),
        "by_type": by_type,
        "by_status": by_status,
        "by_type_status": cells,
        "closed": closed,
        "on_time": int(on_time),
        "on_time_rate": round(on_time / closed, 4) if closed else None,
        "median_working_days_to_close": _median_days_to_close(window),
        "open_overdue": open_overdue or 0,
        "complaints": _complaint_figures(window, now),
    }


def _complaint_figures(window, now: datetime) -> dict[str, int]:
    """§9 figures for complaints received in the window, from the same SQL as the filters."""
    from pirights.complaints.models import ComplaintTrack  # complaints builds on deadlines
    from pirights.requests.queries import complaint_filters

    in_window = select(Request.id).where(*window)
    figures = {}
    for name, condition in complaint_filters(now).items():
        figures[name] = (
            db.session.scalar(
                select(func.count())
                .select_from(ComplaintTrack)
                .where(ComplaintTrack.request_id.in_(in_window), condition)
            )
            or 0
        )
    return figures


def _median_days_to_close(window) -> float | None:
    """Median working days from receipt to closing, on each request's own calendar."""
    rows = db.session.execute(
        select(Request.received_at, Request.closed_at, Request.jurisdiction)
        .where(*window, Request.closed_at.is_not(None))
        .execution_options(yield_per=STREAM_BATCH)
    )
    days = [book().working_days(received, closed, j) for received, closed, j in rows]
    return float(statistics.median(days)) if days else None
