"""Run the §10 benchmarks and print one table: each figure beside its target and the ratio.

    python bench/run.py                 # fresh PostgreSQL databases, 1 000 000 rows
    python bench/run.py --quick         # SQLite, small data, no targets expected: a smoke test
    python bench/run.py --quick --postgres   # the same on fresh PostgreSQL databases, dropped after
    python bench/run.py --quick --url postgresql://…/db   # the same on one given database
    python bench/run.py --only list sweep

Each benchmark gets databases of its own (`pirights_bench_<name>` on PostgreSQL, recreated;
with --url, that one database emptied before each). Servers' output, access log included, is
dropped. A benchmark that fails prints its traceback on stderr, gets a FAILED line, and makes
the run exit 1 once the table is printed.

Adding a row: write `bench/NAME.py` with `def rows(ctx: Context) -> list[Row]` (ctx gives
sizes and `ctx.database(NAME)`; see bench/common.py) and add it to BENCHMARKS below.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    audit_append,
    audit_export,
    blocklist_check,
    console_queue,
    dashboard,
    delivery,
    guard,
    intake,
    listing,
    sweep,
    webhooks,
)
from bench.common import Context, Row, print_table

# name (for --only) → the function that measures it; the table keeps this order.
BENCHMARKS: dict[str, Callable[[Context], list[Row]]] = {
    "intake": intake.rows,
    "audit": audit_append.rows,
    "list": listing.rows,
    "console": console_queue.rows,
    "dashboard": dashboard.rows,
    "sweep": sweep.rows,
    "export": audit_export.rows,
    "blocklist": blocklist_check.rows,
    "guard": guard.rows,
    "delivery": delivery.rows,
    "webhooks": webhooks.rows,
}


def machine() -> str:
    """What the figures were measured on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def measure(ctx: Context, names: list[str]) -> tuple[list[Row], list[str]]:
    """Run the named benchmarks in order; (their rows, the names that failed)."""
    results: list[Row] = []
    failed: list[str] = []
    for name in names:
        began = time.perf_counter()
        print(f"{name} …", file=sys.stderr, flush=True)
        try:
            rows = BENCHMARKS[name](ctx)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            rows = [Row(f"{name}: FAILED (traceback above)", 0, "", None)]
        load = os.getloadavg()[0]
        for row in rows:
            row.load = load
        results += rows
        took = time.perf_counter() - began
        print(f"{name} done in {took:.1f} s, load {load:.1f}", file=sys.stderr, flush=True)
    return results, failed


def main() -> None:
    """Parse arguments, run each benchmark, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small data, SQLite by default")
    parser.add_argument("--url", help="run every benchmark on this one migrated database")
    parser.add_argument(
        "--postgres", action="store_true", help="with --quick: fresh PostgreSQL databases"
    )
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--prefix", default="pirights_bench", help="of the databases made")
    parser.add_argument("--rows", type=int, help="requests and audit events to generate")
    parser.add_argument("--seconds", type=float, help="duration of each load run")
    parser.add_argument("--workers", type=int, help="server processes (2; 1 with --quick)")
    parser.add_argument("--only", nargs="*", choices=list(BENCHMARKS), help="run only these")
    args = parser.parse_args()
    # In-process apps (the guard's seeding server, data set-up) would log each request.
    logging.getLogger("pirights.access").disabled = True
    ctx = Context(
        quick=args.quick,
        rows=args.rows or (2_000 if args.quick else 1_000_000),
        seconds=args.seconds or (1.0 if args.quick else 15.0),
        workers=args.workers or (1 if args.quick else 2),
        admin_url=args.admin_url,
        prefix=args.prefix,
        url=args.url,
        postgres=args.postgres,
    )
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        results, failed = measure(ctx, args.only or list(BENCHMARKS))
    finally:
        if ctx.quick:
            ctx.drop_made()  # a smoke test leaves nothing behind
    if args.url:
        from bench.common import reset_database

        reset_database(args.url)  # leave the given database as empty as it came
    title = (
        f"pirights benchmarks{' (--quick: a smoke test, not a measurement)' if ctx.quick else ''}"
        f" — {ctx.dialect()}, {ctx.rows:,} rows, {started} — {machine()};"
        f" load = 1-minute load average when the row was measured"
    )
    print_table(results, title)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
