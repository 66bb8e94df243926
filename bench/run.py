"""Run the §10 benchmarks and print one table.

    python bench/run.py            # PostgreSQL at 127.0.0.1:5432, 1 000 000 rows
    python bench/run.py --quick    # SQLite, small data, under a minute

Each run builds its own data in a fresh database (`pirights_bench` on PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import audit_export, delivery, guard, intake, listing, sweep, webhooks
from bench.common import Row, fresh_postgres, migrate, print_table


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


def export_rows(url: str, events: int, quick: bool) -> list[Row]:
    """Export and verify a freshly filled chain of `events` events."""
    if quick:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'audit.sqlite3'}"
    m = audit_export.measure(url, events)
    export_s, export_mb, _ = m["export"]
    verify_s, verify_mb, verdict = m["file_check"]
    db_s, _, _ = m["db_check"]
    assert verdict.startswith("OK"), verdict
    return [
        Row(f"export {events:,} audit events as JSONL", events / export_s, "events/s", 100_000),
        Row("export peak memory (RSS, measured outside)", export_mb, "MB", 150, False),
        Row(
            f"verify {events:,} exported events (standalone)",
            events / verify_s,
            "events/s",
            200_000,
        ),
        Row("verify file peak memory", verify_mb, "MB", None, False),
        Row("verify the database chain", events / db_s, "events/s", None),
    ]


def main() -> None:
    """Parse arguments, build data, run each benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="SQLite and small data")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, help="requests and audit events to generate")
    parser.add_argument("--seconds", type=float, help="duration of each load run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only",
        nargs="*",
        help="run only these: intake list sweep export guard delivery webhooks",
    )
    args = parser.parse_args()
    if args.quick:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
        rows, seconds = args.rows or 20_000, args.seconds or 5
    else:
        url = fresh_postgres("pirights_bench", args.admin_url)
        rows, seconds = args.rows or 1_000_000, args.seconds or 15
    migrate(url)
    wanted = set(
        args.only or ["intake", "list", "sweep", "export", "guard", "delivery", "webhooks"]
    )
    results: list[Row] = []
    if "intake" in wanted:
        results += intake.run(url, args.workers, seconds, concurrency=16)
    if "list" in wanted:
        listing.seed(url, rows)
        results += listing.run(url, rows)
    if "sweep" in wanted:
        sweep_url = url if args.quick else fresh_postgres("pirights_bench_sweep", args.admin_url)
        if sweep_url != url:
            migrate(sweep_url)
        else:
            sweep_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'sweep.sqlite3'}"
            migrate(sweep_url)
        results += sweep.run(sweep_url, rows, max(rows // 100, 1))
    if "export" in wanted:
        results += export_rows(
            url if args.quick else fresh_postgres("pirights_bench_audit", args.admin_url),
            rows,
            args.quick,
        )
    if "guard" in wanted:
        results += guard.run(seconds=min(seconds, 5))
    if "delivery" in wanted:
        if args.quick:
            delivery_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'delivery.sqlite3'}"
        else:
            delivery_url = fresh_postgres("pirights_bench_delivery", args.admin_url)
        migrate(delivery_url)
        results += delivery.run(delivery_url, 1000 if args.quick else 5000)
    if "webhooks" in wanted:
        if args.quick:
            hooks_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'webhooks.sqlite3'}"
        else:
            hooks_url = fresh_postgres("pirights_bench_webhooks", args.admin_url)
        migrate(hooks_url)
        results += webhooks.run(hooks_url, 1000 if args.quick else 6000, args.workers)
    db = "SQLite" if args.quick else "PostgreSQL"
    print_table(results, f"pirights benchmarks — {db}, {rows:,} rows — {machine()}")


if __name__ == "__main__":
    main()
