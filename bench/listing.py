"""List the first and a deep page of many requests filtered by status (§10)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bench.common import REQUEST_COLUMNS, Row, bulk_insert, make_app, percentile, request_rows


def seed(db_url: str, n: int) -> None:
    """Bulk-load n requests (COPY on PostgreSQL)."""
    from pirights import crypto

    app = make_app(db_url)
    with app.app_context():
        rows = request_rows(n, datetime.now(UTC), crypto.cipher())
        bulk_insert(db_url, "requests", REQUEST_COLUMNS, rows)


def run(db_url: str, n: int, samples: int = 60) -> list[Row]:
    """p95 of the first page and of a page ~90% deep, in process through the test client."""
    from pirights.staff.service import add_staff

    app = make_app(db_url)
    with app.app_context():
        _, token = add_staff(f"bench-{time.time_ns()}", "supervisor")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    first_url = "/api/v1/requests?status=in_progress&limit=50"
    # Walk to a deep cursor cheaply: the cursor encodes (due_at, reference), so take the
    # key of a row about 90% of the way through and ask for the page after it.
    with app.app_context():
        from sqlalchemy import select

        from pirights.extensions import db
        from pirights.requests.models import Request
        from pirights.requests.queries import encode_cursor

        deep_row = db.session.scalars(
            select(Request)
            .where(Request.status == "in_progress")
            .order_by(Request.due_at, Request.reference)
            .offset(int(n / 5 * 0.9))
            .limit(1)
        ).one()
        deep_url = f"{first_url}&cursor={encode_cursor(deep_row)}"
    out = []
    for label, url in (("first page", first_url), ("deep page", deep_url)):
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            resp = client.get(url, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
            assert resp.status_code == 200 and len(resp.get_json()["items"]) == 50
        out.append(
            Row(
                f"list {n:,} requests by status, {label}, p95",
                percentile(times, 95),
                "ms",
                25,
                False,
            )
        )
    return out
