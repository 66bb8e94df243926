"""Shared pieces of the benchmarks: databases, bulk data, servers, the result table."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = base64.urlsafe_b64encode(b"bench-key-0123456789abcdef-32byt").decode()
TYPES = ("access", "copy", "correct", "delete", "block", "explain")
STATUSES = ("received", "in_progress", "awaiting_requester", "completed", "refused")


@dataclass
class Row:
    """One line of the result table.

    `target` None means the row is context (a baseline, a latency) rather than a §10 goal.
    `load` is the 1-minute load average when the row's benchmark finished; `bench/run.py`
    fills it in, since absolute figures on a shared machine mean little without it.
    """

    name: str
    figure: float
    unit: str
    target: float | None
    higher_is_better: bool = True
    load: float | None = None

    def ratio(self) -> float | None:
        """Figure over target, oriented so that ≥ 1.00 meets it; None without a target."""
        if not self.target:
            return None
        if self.higher_is_better:
            return self.figure / self.target
        return self.target / self.figure if self.figure else float("inf")

    def verdict(self) -> str:
        """The ratio and whether the target is met, e.g. "1.18 met" or "0.70 missed"."""
        r = self.ratio()
        if r is None:
            return "—"
        return f"{r:.2f} {'met' if r >= 1 else 'missed'}"


def number(x: float) -> str:
    """A figure with three significant digits at most, thousands separated by spaces."""
    if x == 0 or abs(x) >= 100:
        text = f"{x:,.0f}"
    elif abs(x) >= 10:
        text = f"{x:.1f}"
    else:
        text = f"{x:.2f}"
    return text.replace(",", "\u202f")


def print_table(rows: list[Row], title: str, out=None) -> None:
    """The one table every run prints (Markdown, so the README can quote it)."""
    out = out or sys.stdout
    print(f"\n{title}\n", file=out)
    print("| benchmark | figure | target | ratio | load |", file=out)
    print("| --- | ---: | ---: | ---: | ---: |", file=out)
    for r in rows:
        unit = f" {r.unit}" if r.unit else ""
        target = "—"
        if r.target is not None:
            target = f"{'≥' if r.higher_is_better else '≤'} {number(r.target)}{unit}"
        load = "—" if r.load is None else f"{r.load:.1f}"
        print(
            f"| {r.name} | {number(r.figure)}{unit} | {target} | {r.verdict()} | {load} |", file=out
        )
    out.flush()


@dataclass
class Context:
    """What a benchmark gets from `bench/run.py`: sizes, and fresh databases on demand.

    A benchmark is a function `rows(ctx) -> list[Row]`; `ctx.database(name)` gives it a
    migrated, empty database of its own: a new SQLite file with --quick, a recreated
    PostgreSQL database `<prefix>_<name>` otherwise, or, with --url, that one database
    emptied (how the CI smoke test runs on the test's database).
    """

    quick: bool
    rows: int
    seconds: float
    workers: int = 2
    admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    prefix: str = "pirights_bench"
    url: str | None = None
    scratch: Path | None = None
    postgres: bool = False  # with quick: fresh PostgreSQL databases rather than SQLite files
    made: list[str] = field(default_factory=list)  # PostgreSQL databases this run created

    def database(self, name: str) -> str:
        """A migrated, empty database for benchmark `name`; returns its URL."""
        if self.url:
            reset_database(self.url)
            return self.url
        if self.quick and not self.postgres:
            if self.scratch is None:
                self.scratch = Path(tempfile.mkdtemp(prefix="pirights-bench-"))
            url = f"sqlite:///{self.scratch / f'{name}.sqlite3'}"
        else:
            url = fresh_postgres(f"{self.prefix}_{name}", self.admin_url)
            self.made.append(f"{self.prefix}_{name}")
        migrate(url)
        return url

    def drop_made(self) -> None:
        """Drop the PostgreSQL databases this run created."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()

    def dialect(self) -> str:
        """Where the databases of this run live: "SQLite" or "PostgreSQL"."""
        url = self.url or ("sqlite" if self.quick and not self.postgres else "postgresql")
        return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def reset_database(url: str) -> None:
    """Empty every table of a migrated database and re-seed what the migrations seed (the
    test suite's reset between tests, too); the intake baseline's own table is dropped.

    On PostgreSQL the TRUNCATE takes its tables in its own order, and a sequencer pass still
    finishing for an earlier app takes audit_pending, then audit_events: CI met that
    deadlock once (2026-12-06, "deadlock detected" in the suite's reset). The reset waits
    for the sequencer's lock first, and tries again should anything else collide.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from pirights.audit.sequencer import LOCK_KEY
    from pirights.database import normalise_url

    engine = create_engine(normalise_url(url))
    postgres = engine.dialect.name == "postgresql"
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if postgres:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
                conn.execute(text("DROP TABLE IF EXISTS bench_rows"))
                _empty_tables(conn, postgres)
                conn.execute(
                    text("INSERT INTO audit_head (id, seq, hash, at) VALUES (1, 0, :h, '')"),
                    {"h": "0" * 64},
                )
                conn.execute(text("INSERT INTO blocklist_state (id, version) VALUES (1, 0)"))
            break
        except OperationalError as exc:
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            time.sleep(0.2)
    engine.dispose()


def _empty_tables(conn, postgres: bool) -> None:
    """Delete every row but the migrations' own record; sequences start again."""
    from sqlalchemy import text

    if postgres:
        tables = conn.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ).all()
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    tables = conn.scalars(
        text(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT IN ('alembic_version', 'sqlite_sequence')"
        )
    ).all()
    for table in tables:
        conn.execute(text(f'DELETE FROM "{table}"'))


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


THREADS = 8  # `pirights serve`'s default (server.threads), for both kinds of server


def gunicorn_args(workers: int) -> list[str]:
    """The settings `pirights serve` gives gunicorn, for the bare Flask baselines."""
    return [
        python(),
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--timeout",
        "60",
    ]


@contextmanager
def serving(kind: str, url: str, workers: int) -> Iterator[str]:
    """Run `pirights serve` (kind "pirights") or the bare Flask baseline (kind "bare") on a
    free port against `url`; yields the base URL. Output, access log included, is dropped."""
    port = free_port()
    if kind == "pirights":
        args = [python(), "-m", "pirights", "serve", "--host", "127.0.0.1", "--port", str(port)]
        args += ["--workers", str(workers), "--threads", str(THREADS)]
    else:
        args = [*gunicorn_args(workers), "--bind", f"127.0.0.1:{port}", "bench.bare_app:app"]
    proc = start_server(args, env_for(url), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load(
    url: str,
    seconds: float,
    concurrency: int,
    body: dict,
    status: int = 201,
    headers: dict[str, str] | None = None,
) -> dict:
    """POST `body` to `url` from `concurrency` keep-alive clients for `seconds`, in a load
    generator process of its own (bench/loadgen.py); returns its summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(body, fh, ensure_ascii=False)
    command = [python(), str(ROOT / "bench" / "loadgen.py"), url, str(seconds), str(concurrency)]
    command += [fh.name, "--status", str(status)]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 120
        )
    finally:
        os.unlink(fh.name)
    return json.loads(out.stdout)


def compare(
    targets: dict[str, tuple[str, str, dict]],
    db_url: str,
    workers: int,
    seconds: float,
    body: dict,
    status: int,
    warmup: float = 2,
    rounds: int = 3,
) -> dict[str, dict]:
    """Load several servers in alternation, in the same run: `targets` maps a kind of
    server (see `serving`) to (path, label, headers). All are started first, warmed, then
    each gets `seconds / rounds` of load in turn, `rounds` times, so a change in the
    machine's load (other jobs) falls on all alike. Returns, per kind, the summed
    requests, errors and seconds and the worst round's p99."""
    with ExitStack() as stack:
        bases = {kind: stack.enter_context(serving(kind, db_url, workers)) for kind in targets}
        for kind, (path, _label, headers) in targets.items():
            load(f"{bases[kind]}{path}", warmup, 16, body, status, headers)
        totals = {k: {"requests": 0, "errors": 0, "seconds": 0.0, "p99_ms": 0.0} for k in targets}
        for _ in range(rounds):
            for kind, (path, _label, headers) in targets.items():
                got = load(f"{bases[kind]}{path}", seconds / rounds, 16, body, status, headers)
                total = totals[kind]
                for key in ("requests", "errors", "seconds"):
                    total[key] += got[key]
                total["p99_ms"] = max(total["p99_ms"], got["p99_ms"])
    return totals


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
