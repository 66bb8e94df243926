"""Concurrent writers in several server processes make one gapless chain (SPEC §6, §11)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from pirights.audit.verify import verify_database
from pirights.database import normalise_url
from tests.conftest import TEST_KEY, valid_request

SUBMISSIONS = 60
THREADS = 8


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Poll /healthz until the server answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise AssertionError("server did not come up in time")


@pytest.fixture
def server(database_url, tmp_path):
    """`pirights serve --workers 3` on a free port against the test database."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    env.update(
        PIRIGHTS_DATABASE_URL=database_url,
        PIRIGHTS_ENCRYPTION_KEY=TEST_KEY,
        PIRIGHTS_SECRET_KEY="concurrency-test",
        PIRIGHTS_PUBLIC_RATE_LIMIT="off",
    )
    log = (tmp_path / "server.log").open("w")
    command = [sys.executable, "-m", "pirights", "serve", "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "3"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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
