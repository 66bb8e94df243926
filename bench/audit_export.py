"""Audit export and verification speed (SPEC §10): events/s and peak memory.

    python bench/audit_export.py --url postgresql://postgres@127.0.0.1/pirights_bench \
        [--events 1000000] [--format jsonl]

Fills a scratch database's empty chain with valid events (COPY on PostgreSQL), then times,
each in its own process so its peak resident memory is its own:
  1. `pirights audit export -o FILE` (the real CLI, start-up included),
  2. `python -I -S pirights/audit/standalone.py FILE` (stdlib verifier),
  3. `pirights audit verify` (the database chain).
With --reuse, the chain filled by an earlier run is timed again (the exports it made
add a few events). Prints one table with the load average at the end.
Targets: export >= 100 000 events/s within 150 MB; verify >= 200 000/s.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Context, Row  # noqa: E402

KEY = base64.urlsafe_b64encode(b"bench-audit-export-key-32-bytes!").decode()


def fill(url: str, count: int) -> None:
    """Append `count` valid events to an empty chain, as fast as the database takes them."""
    from sqlalchemy import insert, select, text

    from pirights.audit.chain import GENESIS, canonical, event_hash
    from pirights.audit.models import AuditEvent, AuditHead
    from pirights.database import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        if conn.scalar(select(AuditHead.seq)) != 0:
            raise SystemExit("the database's chain is not empty: give a fresh scratch database")
    prev, at = GENESIS, "2026-01-01T00:00:00.000000Z"

    def events():
        nonlocal prev
        for seq in range(1, count + 1):
            data = {"field": "status", "from": "received", "masked": False, "to": "in_progress"}
            event = {
                "seq": seq,
                "at": at,
                "actor": "staff:agent",
                "action": "request.transitioned",
                "request_ref": f"PIR-{seq:04d}-{seq % 9973:05d}"[:15],
                "data": data,
            }
            digest = event_hash(prev, event)
            yield (
                seq,
                at,
                event["actor"],
                event["action"],
                event["request_ref"],
                canonical(data),
                prev,
                digest,
            )
            prev = digest

    columns = ("seq", "at", "actor", "action", "request_ref", "data", "prev_hash", "hash")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.connection.dbapi_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY audit_events ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in events():
                    copy.write_row(row)
        else:
            batch = []
            for row in events():
                batch.append(dict(zip(columns, row, strict=True)))
                if len(batch) == 50_000:
                    conn.execute(insert(AuditEvent), batch)
                    batch = []
            if batch:
                conn.execute(insert(AuditEvent), batch)
        conn.execute(AuditHead.__table__.update().values(seq=count, hash=prev, at=at))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE audit_events"))
    engine.dispose()


def _hwm_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) so far, in MB; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed(command: list[str], env: dict) -> tuple[float, float, str]:
    """Run a process; (seconds, its own peak RSS in MB, its stdout).

    The peak is read from /proc/PID/status (VmHWM) while it runs: unlike ru_maxrss it
    starts afresh at exec, so it excludes whatever the benchmark process held when it
    forked the child.
    """
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out_fh, tempfile.TemporaryFile() as err_fh:
        proc = subprocess.Popen(command, env=env, stdout=out_fh, stderr=err_fh)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _hwm_mb(proc.pid))
            time.sleep(0.02)
        elapsed = time.perf_counter() - began
        out_fh.seek(0)
        err_fh.seek(0)
        out, err = out_fh.read().decode(), err_fh.read().decode()
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {err or out}")
    return elapsed, peak, out.strip()


def measure(url: str, events: int, fmt: str = "jsonl", reuse: bool = False) -> dict:
    """Fill a chain (in a child process), export it, verify the file and the database.

    Each step runs as its own process so its peak RSS is measured from outside.
    """
    args = argparse.Namespace(url=url, events=events, format=fmt, reuse=reuse)
    # Filling runs in a child too: a child's peak RSS would otherwise include this
    # process's memory, inherited at fork.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    env.update(PIRIGHTS_DATABASE_URL=args.url, PIRIGHTS_ENCRYPTION_KEY=KEY)
    filler = [sys.executable, __file__, "--fill-only", "--url", args.url, "--events"]
    filled = 0.0 if args.reuse else timed([*filler, str(args.events)], env)[0]
    cli = [sys.executable, "-m", "pirights", "audit"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"audit.{args.format}"
        export = timed([*cli, "export", "--format", args.format, "-o", str(path)], env)
        size = path.stat().st_size / 1e6
        standalone = ROOT / "pirights" / "audit" / "standalone.py"
        file_check = timed([sys.executable, "-I", "-S", str(standalone), str(path)], env)
        db_check = timed([*cli, "verify"], env)
    return {
        "export": export,
        "file_check": file_check,
        "db_check": db_check,
        "size_mb": size,
        "filled": filled,
    }


def rows(ctx: Context) -> list[Row]:
    """The §10 export and verify rows over a freshly filled chain of `ctx.rows` events."""
    events = ctx.rows
    m = measure(ctx.database("export"), events)
    export_s, export_mb, _ = m["export"]
    verify_s, verify_mb, verdict = m["file_check"]
    db_s, _, db_verdict = m["db_check"]
    if not (verdict.startswith("OK") and db_verdict.startswith("OK")):
        raise RuntimeError(f"export: the file says {verdict!r}, the database {db_verdict!r}")
    return [
        Row(f"export {events:,} audit events as JSONL", events / export_s, "events/s", 100_000),
        Row("export peak memory (RSS, read from /proc outside)", export_mb, "MB", 150, False),
        Row(
            f"verify {events:,} exported events (standalone verifier)",
            events / verify_s,
            "events/s",
            200_000,
        ),
        Row("verify: peak memory", verify_mb, "MB", None, False),
        Row("verify the database chain (audit verify)", events / db_s, "events/s", None),
    ]


def main() -> None:
    """Fill, export, verify, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PIRIGHTS_DATABASE_URL", ""))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument(
        "--reuse", action="store_true", help="time the chain already filled by an earlier run"
    )
    parser.add_argument("--fill-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url (a fresh scratch database) or PIRIGHTS_DATABASE_URL")
    if args.fill_only:
        from alembic import command

        from pirights.cli import alembic_config

        command.upgrade(alembic_config(args.url), "head")
        fill(args.url, args.events)
        return
    n = args.events
    m = measure(args.url, n, args.format, reuse=args.reuse)
    export, file_check, db_check, size, filled = (
        m["export"],
        m["file_check"],
        m["db_check"],
        m["size_mb"],
        m["filled"],
    )
    dialect = args.url.split(":", 1)[0].split("+")[0]
    print(
        f"audit export/verify, {dialect}, {n:,} events ({size:,.0f} MB {args.format}), "
        f"{os.cpu_count()} CPUs; chain filled in {filled:.1f} s; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{'step':<34} | {'seconds':>7} | {'events/s':>9} | {'peak RSS MB':>11} | target")
    print("-" * 90)
    for name, (secs, rss, _out), target in (
        ("export (pirights audit export)", export, ">= 100 000/s, <= 150 MB"),
        ("verify file (standalone.py -I -S)", file_check, ">= 200 000/s"),
        ("verify database (audit verify)", db_check, ""),
    ):
        print(f"{name:<34} | {secs:>7.2f} | {n / secs:>9,.0f} | {rss:>11.0f} | {target}")
    print(f"verdicts: file {file_check[2]!r}, database {db_check[2]!r}")


if __name__ == "__main__":
    main()
