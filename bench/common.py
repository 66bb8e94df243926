"""Shared pieces of the benchmarks: databases, bulk data, servers, the result table."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = base64.urlsafe_b64encode(b"bench-key-0123456789abcdef-32byt").decode()
TYPES = ("access", "copy", "correct", "delete", "block", "explain")
STATUSES = ("received", "in_progress", "awaiting_requester", "completed", "refused")


@dataclass
class Row:
    """One line of the result table."""

    name: str
    figure: float
    unit: str
    target: float | None
    higher_is_better: bool = True

    def ratio(self) -> str:
        """Figure over target, oriented so that ≥ 1.00 meets it."""
        if not self.target:
            return "—"
        r = self.figure / self.target if self.higher_is_better else self.target / self.figure
        return f"{r:.2f}"


def print_table(rows: list[Row], title: str) -> None:
    """The one table every run prints (Markdown, so the README can quote it)."""
    print(f"\n{title}\n")
    print("| benchmark | figure | target | ratio to target |")
    print("| --- | ---: | ---: | ---: |")
    for r in rows:
        target = (
            "—"
            if r.target is None
            else (f"{'≥' if r.higher_is_better else '≤'} {r.target:,.6g} {r.unit}")
        )
        print(f"| {r.name} | {r.figure:,.6g} {r.unit} | {target} | {r.ratio()} |")


def fresh_postgres(name: str, admin_url: str) -> str:
    """Drop and create database `name`; returns its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def migrate(url: str) -> None:
    """Apply every migration."""
    from alembic import command

    from pirights.cli import alembic_config

    command.upgrade(alembic_config(url), "head")


def env_for(url: str) -> dict[str, str]:
    """Environment for a pirights process on `url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    env.update(
        PIRIGHTS_DATABASE_URL=url,
        PIRIGHTS_ENCRYPTION_KEY=KEY,
        PIRIGHTS_PUBLIC_RATE_LIMIT="off",
        PIRIGHTS_SECRET_KEY="bench",
    )
    return env


def make_app(url: str):
    """A pirights app on `url` for in-process measurements."""
    from pirights import create_app

    return create_app(
        {
            "database": {"url": url},
            "security": {"encryption_key": KEY},
            "public": {"rate_limit": "off"},
        },
        instance_path=str(ROOT / "instance" / "bench"),
    )


def free_port() -> int:
    """An unused local port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    """Start a server process and wait until it answers on /healthz."""
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {' '.join(args)}") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def python() -> str:
    """The interpreter running the benchmarks."""
    return sys.executable


def default_plan(i: int, now: datetime) -> tuple[str, str, datetime, datetime]:
    """(type, status, received_at, due_at) of the i-th row: a mix of types and statuses."""
    received = now - timedelta(days=60) + timedelta(seconds=i * 5)
    return (
        TYPES[i % len(TYPES)],
        STATUSES[i % len(STATUSES)],
        received,
        received + timedelta(days=21),
    )


def request_rows(n: int, now: datetime, cipher, plan=default_plan, prefix: str = "B"):
    """n synthetic requests in bulk-insert order, shaped by `plan(i, now)`; one ciphertext
    reused per PII column, since the benchmarks measure queries, not encryption."""
    name, email = cipher.encrypt("Bench Person"), cipher.encrypt("bench@example.cn")
    desc, refs = cipher.encrypt("Synthetic request for benchmarks."), cipher.encrypt("[]")
    for i in range(n):
        rtype, status, received, due = plan(i, now)
        yield (
            f"PIR-{prefix}{i:09d}",
            rtype,
            status,
            "CN",
            "web",
            name,
            email,
            "self",
            desc,
            refs,
            False,
            received,
            due,
            False,
            "CN:15wd",
            "holidays CN",
            0,
            received,
            received,
            1,
        )


REQUEST_COLUMNS = (
    "reference",
    "type",
    "status",
    "jurisdiction",
    "channel",
    "requester_name",
    "requester_email",
    "relationship",
    "description",
    "content_refs",
    "identity_verified",
    "received_at",
    "due_at",
    "due_at_provisional",
    "deadline_rule",
    "calendar_data",
    "paused_days",
    "created_at",
    "updated_at",
    "version",
)


def bulk_insert(url: str, table: str, columns: tuple[str, ...], rows, batch: int = 50_000) -> int:
    """COPY on PostgreSQL, executemany on SQLite; returns the row count."""
    from pirights.database import normalise_url

    count = 0
    if url.startswith("postgresql"):
        import psycopg

        dsn = normalise_url(url).replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            conn.commit()
        # Freshly copied rows have no hint bits or visibility map yet; autovacuum gives a
        # live table both, so measure that steady state rather than the first touch.
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"VACUUM ANALYZE {table}")
        return count
    import sqlite3

    path = url.split("///", 1)[1]
    conn = sqlite3.connect(path)
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(tuple(_sqlite_value(v) for v in row))
        if len(chunk) >= batch:
            conn.executemany(sql, chunk)
            count += len(chunk)
            chunk = []
    conn.executemany(sql, chunk)
    count += len(chunk)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return count


def _sqlite_value(v):
    """SQLite stores our UTC datetimes naive, as UTCDateTime does."""
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return v


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]
