"""`bench/run.py --quick` as a smoke test: every benchmark still runs and reports its rows.

No figure is asserted (speed is measured in bench/, never in tests): only that the run
exits 0, prints one table with a line for each §10 benchmark, and leaves no server's access
log in its output. It runs on SQLite, or with the suite on PostgreSQL on fresh databases of the
same server (dropped afterwards): bulk loads there are analysed, and those statistics left
in the suite's own database would change later tests' query plans.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent

# One line of the table per benchmark at least (the start of its row's name).
EXPECTED = (
    "intake: pirights / bare Flask",
    "audited writes, 8 concurrent writers",
    "list 2,000 requests by status, first page",
    "list 2,000 requests by status, deep page",
    "console queue over 2,000 requests, open requests, first page",
    "console queue over 2,000 requests, in progress, deep page",
    "sweep 2,000 open requests",
    "export 2,000 audit events as JSONL",
    "verify 2,000 exported events",
    "blocklist check: pirights / bare Flask JSON",
    "in-process guard",
    "email delivery",
    "webhook delivery",
)


def test_bench_run_quick_prints_every_row(tmp_path):
    """The quick run exits 0 with a complete table and no access-log lines."""
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"]
    if PG_URL:
        server, name = PG_URL.rsplit("/", 1)
        command += ["--postgres", "--admin-url", f"{server}/postgres", "--prefix", f"{name}_b"]
    proc = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,  # about a minute on a quiet machine; shared CI machines can be slower
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| benchmark | figure | target | ratio | load |"
    names = [line.split(" | ")[0][2:] for line in table[2:]]
    for expected in EXPECTED:
        assert any(name.startswith(expected) for name in names), (expected, names)
    assert "FAILED" not in proc.stdout
    for stream in (proc.stdout, proc.stderr):
        assert '"route"' not in stream and "duration_ms" not in stream
