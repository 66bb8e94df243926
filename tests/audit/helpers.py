"""Helpers shared by the audit tests: CLI runs, parsing exports, bulk chains."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import insert

from pirights.audit.chain import GENESIS, canonical, event_hash
from pirights.audit.models import AuditEvent, AuditHead
from pirights.cli import main
from tests.conftest import TEST_KEY

EXPORT = "/api/v1/audit/export"
VERIFY = "/api/v1/audit/verify"


def cli(monkeypatch, database_url: str, *args: str, **env: str) -> Result:
    """Run `pirights ARGS` in-process against the test database."""
    monkeypatch.setenv("PIRIGHTS_DATABASE_URL", database_url)
    monkeypatch.setenv("PIRIGHTS_ENCRYPTION_KEY", TEST_KEY)
    monkeypatch.setenv("PIRIGHTS_PUBLIC_RATE_LIMIT", "off")
    monkeypatch.delenv("PIRIGHTS_CONFIG", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if "PIRIGHTS_AUDIT_SIGNING_KEY" not in env:
        monkeypatch.delenv("PIRIGHTS_AUDIT_SIGNING_KEY", raising=False)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def jsonl_events(text: str) -> list[dict]:
    """Parse a JSONL export."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def csv_rows(text: str) -> list[list[str]]:
    """Parse a CSV export, header included."""
    return list(csv.reader(io.StringIO(text)))


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write lines as a file, newline-terminated."""
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def bulk_chain(engine, count: int, start_at: str = "2026-01-01T00:00:00.000000Z") -> str:
    """Append `count` valid events directly (fast), updating the head; returns the last hash.

    The data carry a little weight (~200 bytes an event) so a memory test means something.
    """
    prev, rows, seq = GENESIS, [], 0
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            event = {
                "seq": seq,
                "at": start_at,
                "actor": "system",
                "action": "bench.event",
                "request_ref": f"PIR-{seq:011d}",
                "data": {"n": seq, "pad": "x" * 120, "note": "日志"},
            }
            digest = event_hash(prev, event)
            rows.append(
                {**event, "data": canonical(event["data"]), "prev_hash": prev, "hash": digest}
            )
            prev = digest
            if len(rows) >= 20000:
                conn.execute(insert(AuditEvent), rows)
                rows = []
        if rows:
            conn.execute(insert(AuditEvent), rows)
        conn.execute(AuditHead.__table__.update().values(seq=seq, hash=prev, at=start_at))
    return prev
