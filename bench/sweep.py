"""The deadline sweep over many open requests of which some are newly overdue (§10)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bench.common import REQUEST_COLUMNS, Context, Row, bulk_insert, make_app, request_rows


def _plan(overdue: int, n: int):
    """`overdue` of n open requests past due and not yet alerted, spread evenly; the rest
    due in 10-40 days (neither overdue nor due soon)."""
    step = max(n // max(overdue, 1), 1)

    def plan(i: int, now: datetime):
        late = i % step == 0 and i // step < overdue
        received = now - timedelta(days=25 if late else 1, seconds=i % 86_400)
        due = (
            now - timedelta(hours=1 + i % 48)
            if late
            else now + timedelta(days=10 + i % 30, seconds=i % 3600)
        )
        return "delete", "in_progress" if i % 2 else "received", received, due

    return plan


def run(db_url: str, n: int, overdue: int) -> list[Row]:
    """Seed, then time one sweep (and a second, which must find nothing)."""
    from pirights import crypto
    from pirights.alerts.sweep import sweep

    now = datetime.now(UTC)
    app = make_app(db_url)
    with app.app_context():
        bulk_insert(
            db_url,
            "requests",
            REQUEST_COLUMNS,
            request_rows(n, now, crypto.cipher(), _plan(overdue, n), prefix="S"),
        )
        start = time.perf_counter()
        first = sweep(now)
        took = time.perf_counter() - start
        start = time.perf_counter()
        second = sweep(now)
        idle = time.perf_counter() - start
    assert first.counts["deadline.overdue"] == overdue, first.counts
    assert second.counts["deadline.overdue"] == 0
    return [
        Row(f"sweep {n:,} open requests, {overdue:,} newly overdue", took, "s", 2.0, False),
        Row("sweep again (nothing new)", idle * 1000, "ms", None, False),
    ]


def rows(ctx: Context) -> list[Row]:
    """The §10 sweep rows: 1% of the open requests newly overdue."""
    return run(ctx.database("sweep"), ctx.rows, max(ctx.rows // 100, 1))
