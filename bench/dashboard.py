"""The console dashboard's figures over many requests (§13): the open queue by status, type
and assignee with overdue and due-this-week sums, the 26-week on-time rate and the open
complaint deadlines, timed in process (the database's share of the page).

The data is three years of requests at an even rate (about 900 a day at 1 000 000): those
received in the last 40 days are open or closing, the older ones closed, 0-29 days after
receipt (on time or late by their due date); every request is assigned to one of 20
agents and one in ten is a complaint with its §9 track. So the queue holds some 36 000
open requests and the 26 weeks some 160 000 closings, as a large provider's would.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bench.common import (
    REQUEST_COLUMNS,
    TYPES,
    Context,
    Row,
    bulk_insert,
    make_app,
    percentile,
    request_rows,
)

AGENTS = 20
SPAN = timedelta(days=3 * 365)
RECENT = timedelta(days=40)
OPEN = ("received", "in_progress", "awaiting_requester", "completed")  # recent ones


def plan(n: int):
    """(type, status, received_at, due_at) of the i-th of n requests, oldest first."""
    step = SPAN / max(n, 1)

    def row(i: int, now: datetime) -> tuple[str, str, datetime, datetime]:
        received = now - SPAN + step * i
        if now - received < RECENT:
            status = OPEN[i % len(OPEN)]
        else:
            status = "refused" if i % 10 == 0 else "completed"
        return TYPES[i % len(TYPES)], status, received, received + timedelta(days=21)

    return row


def seed(db_url: str, n: int) -> None:
    """n requests, then closing dates, assignees and complaint tracks set in bulk."""
    from sqlalchemy import text

    from pirights import crypto
    from pirights.extensions import db
    from pirights.staff.service import add_staff

    app = make_app(db_url)
    with app.app_context():
        rows = request_rows(n, datetime.now(UTC), crypto.cipher(), plan=plan(n))
        bulk_insert(db_url, "requests", REQUEST_COLUMNS, rows)
        ids = [add_staff(f"agent-{i:02d}", "agent")[0].id for i in range(AGENTS)]
        s = db.session
        postgres = s.get_bind().dialect.name == "postgresql"

        def plus(column: str, days: str) -> str:
            """SQL for `column` + `days` days on this database."""
            if postgres:
                return f"{column} + ({days}) * interval '1 day'"
            return f"strftime('%Y-%m-%d %H:%M:%f', {column}, '+' || ({days}) || ' days')"

        s.execute(
            text(
                f"UPDATE requests SET closed_at = {plus('received_at', 'id % 30')} "
                "WHERE status IN ('completed', 'refused')"
            )
        )
        s.execute(
            text("UPDATE requests SET on_time = (closed_at <= due_at) WHERE closed_at IS NOT NULL")
        )
        s.execute(
            text(f"UPDATE requests SET assignee_id = :first + (id % {AGENTS})"), {"first": min(ids)}
        )
        # Complaints: the open ones owe their first measure one time in two; the completed
        # owe a remediation three months on, done within a month except for recent ones.
        s.execute(
            text(
                "INSERT INTO complaint_tracks (request_id, measure_due_at, first_measure_at, "
                "remediation_due_at, remediated_at) SELECT id, "
                f"{plus('received_at', '1')}, "
                "CASE WHEN closed_at IS NULL AND id % 20 = 10 THEN NULL ELSE received_at END, "
                f"CASE WHEN status = 'completed' THEN {plus('closed_at', '91')} END, "
                "CASE WHEN status = 'completed' AND received_at < :recent "
                f"THEN {plus('closed_at', '30')} END "
                "FROM requests WHERE id % 10 = 0"
            ),
            {"recent": datetime.now(UTC) - 4 * RECENT},
        )
        s.commit()
    if postgres:  # as autovacuum would have: statistics, and a visibility map
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE requests"))
            conn.execute(text("VACUUM ANALYZE complaint_tracks"))
    app.extensions["pirights_db"].engine.dispose()


def run(db_url: str, n: int, samples: int) -> list[Row]:
    """p95 of all the dashboard's figures together, in process."""
    from zoneinfo import ZoneInfo

    from pirights.complaints.queries import open_deadlines
    from pirights.requests import figures

    app = make_app(db_url)
    tz = ZoneInfo("Asia/Shanghai")
    times = []
    with app.app_context():
        for i in range(samples + 3):
            now = datetime.now(UTC)
            start = time.perf_counter()
            queue = figures.open_queue(now)
            weeks = figures.on_time_by_week(now, tz)
            measures = open_deadlines("measure", now)
            remediations = open_deadlines("remediation", now)
            if i >= 3:  # the first ones warm caches and connections
                times.append((time.perf_counter() - start) * 1000)
        loaded = queue.total and sum(w.closed for w in weeks) and measures.open is not None
        assert loaded and remediations.open, "the data did not load"
    app.extensions["pirights_db"].engine.dispose()
    return [
        Row(
            f"dashboard figures over {n:,} requests, p95 in process",
            percentile(times, 95),
            "ms",
            None,
            False,
        )
    ]


def rows(ctx: Context) -> list[Row]:
    """The dashboard row."""
    url = ctx.database("dashboard")
    seed(url, ctx.rows)
    return run(url, ctx.rows, 5 if ctx.quick else 20)
