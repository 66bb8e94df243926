"""Concurrent writers in several server processes make one gapless chain (SPEC §6, §11)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from pirights.audit.sequencer import catch_up
from pirights.audit.verify import verify_database
from pirights.database import normalise_url
from tests.conftest import valid_request
from tests.servers import serving

SUBMISSIONS = 60
THREADS = 8


@pytest.fixture
def server(database_url, tmp_path):
    """`pirights serve --workers 3` on a free port against the test database."""
    with serving(database_url, tmp_path, 3) as port:
        yield f"http://127.0.0.1:{port}"


def submit(base: str, number: int) -> int:
    """One public submission; returns the HTTP status."""
    body = json.dumps(valid_request(description=f"Concurrent request number {number}"))
    req = urllib.request.Request(
        f"{base}/api/v1/public/requests",
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_three_workers_and_eight_threads_make_one_gapless_valid_chain(server, database_url):
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(lambda n: submit(server, n), range(SUBMISSIONS)))
    assert statuses == [201] * SUBMISSIONS
    engine = create_engine(normalise_url(database_url))
    try:
        # The servers' sequencer threads may still hold the last events in the queue; a
        # reader of the chain sequences them first.
        catch_up(engine)
        with engine.connect() as conn:
            seqs = [r[0] for r in conn.execute(text("SELECT seq FROM audit_events ORDER BY seq"))]
            created = conn.execute(
                text("SELECT count(*) FROM audit_events WHERE action = 'request.created'")
            ).scalar_one()
            head = conn.execute(text("SELECT seq FROM audit_head")).scalar_one()
        assert created == SUBMISSIONS
        assert seqs == list(range(1, len(seqs) + 1)) and head == len(seqs)
        verdict = verify_database(engine)
        assert verdict.ok and verdict.events == len(seqs)
    finally:
        engine.dispose()
