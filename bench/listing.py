"""List the first and a deep page of many requests filtered by status (§10), timed at the
HTTP client against `pirights serve`."""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bench.common import (
    REQUEST_COLUMNS,
    Context,
    Row,
    bulk_insert,
    make_app,
    percentile,
    request_rows,
    serving,
)

FIRST = "/api/v1/requests?status=in_progress&limit=50"


def seed(db_url: str, n: int) -> None:
    """Bulk-load n requests (COPY on PostgreSQL)."""
    from pirights import crypto

    app = make_app(db_url)
    with app.app_context():
        rows = request_rows(n, datetime.now(UTC), crypto.cipher())
        bulk_insert(db_url, "requests", REQUEST_COLUMNS, rows)
    app.extensions["pirights_db"].engine.dispose()


def prepare(db_url: str, n: int) -> tuple[str, str]:
    """(a supervisor's token, the path of a page about 90% deep)."""
    from sqlalchemy import select

    from pirights.extensions import db
    from pirights.requests.models import Request
    from pirights.requests.queries import encode_cursor
    from pirights.staff.service import add_staff

    app = make_app(db_url)
    with app.app_context():
        _, token = add_staff(f"bench-{time.time_ns()}", "supervisor")
        # Walk to a deep cursor cheaply: the cursor encodes (due_at, reference), so take
        # the key of a row about 90% of the way through and ask for the page after it.
        deep_row = db.session.scalars(
            select(Request)
            .where(Request.status == "in_progress")
            .order_by(Request.due_at, Request.reference)
            .offset(max(min(int(n / 5 * 0.9), n // 5 - 51), 0))
            .limit(1)
        ).one()
        deep = f"{FIRST}&cursor={encode_cursor(deep_row)}"
    app.extensions["pirights_db"].engine.dispose()
    return token, deep


def timings(base: str, path: str, token: str, samples: int) -> list[float]:
    """Milliseconds of `samples` sequential GETs on one keep-alive connection."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        out.append((time.perf_counter() - start) * 1000)
        if resp.status != 200 or len(json.loads(body)["items"]) != 50:
            raise RuntimeError(f"list: {resp.status} {body[:200]!r}")
    conn.close()
    return out


def run(db_url: str, n: int, workers: int = 2, samples: int = 200) -> list[Row]:
    """p95 of the first page and of a page ~90% deep, at the HTTP client."""
    token, deep = prepare(db_url, n)
    out = []
    with serving("pirights", db_url, workers) as base:
        for label, path in (("first page", FIRST), ("deep page", deep)):
            timings(base, path, token, 10)  # warm both workers' caches and connections
            ms = timings(base, path, token, samples)
            name = f"list {n:,} requests by status, {label}, p95 at the HTTP client"
            out.append(Row(name, percentile(ms, 95), "ms", 25, False))
    return out


def rows(ctx: Context) -> list[Row]:
    """The §10 list rows."""
    url = ctx.database("list")
    seed(url, ctx.rows)
    return run(url, ctx.rows, ctx.workers, 40 if ctx.quick else 200)
