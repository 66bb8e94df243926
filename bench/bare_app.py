"""The baseline of the intake benchmark: a bare Flask endpoint inserting one row.

Served by gunicorn exactly like pirights (`gunicorn bench.bare_app:app`), against the same
database, so the ratio measures what pirights adds: validation, encryption, deadline
arithmetic, the audit chain.
"""

from __future__ import annotations

import os
from functools import cache

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert

from pirights.database import normalise_url

rows = Table(
    "bench_rows", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text)
)
app = Flask(__name__)


@cache
def engine():
    """The worker's engine, made on first use (after gunicorn forks)."""
    # One connection per server thread, as pirights' pool (server.threads).
    threads = int(os.environ.get("PIRIGHTS_THREADS", "8"))
    return create_engine(
        normalise_url(os.environ["PIRIGHTS_DATABASE_URL"]), pool_size=threads, max_overflow=4
    )


@app.post("/insert")
def insert_one():
    """Insert the posted body as one row."""
    with engine().begin() as conn:
        conn.execute(insert(rows).values(body=request.get_data(as_text=True)))
    return {"ok": True}, 201


@app.get("/healthz")
def healthz():
    """Readiness for the benchmark driver."""
    return {"status": "ok"}


def create_table(url: str) -> None:
    """Create the baseline's table."""
    eng = create_engine(normalise_url(url))
    rows.metadata.create_all(eng)
    eng.dispose()


@app.post("/check")
def check():
    """Parse the posted JSON and answer a small JSON body, as the blocklist check does."""
    body = request.get_json()
    return {"matches": [], "length": len(body.get("text", ""))}
