"""Audited writes under contention (SPEC §10, §11): events/s for N writers, two designs.

    python bench/audit_append.py --url postgresql://postgres@127.0.0.1/pirights_bench \
        [--writers 1,2,4,8] [--seconds 5] [--designs queued,inline]

Each writer is its own process with its own connection and records one event per
transaction. `queued` is the application's path (pirights.audit.recorder.record): the
event is accepted in the writer's transaction and sequenced after its commit, by the
writer itself unless another process is sequencing. `inline` is the previous design
(recorder.append_inline): the head row lock taken in the writer's transaction and held
to COMMIT. The designs alternate at each level, so both see the same machine load. The
database is migrated first and the events appended to its chain, so use a scratch
database. At the end the chain is verified and nothing may be left waiting.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Context, Row


def writer(url: str, design: str, seconds: float, ready, start, out) -> None:
    """Record events until `seconds` have passed after `start` is set; report latencies."""
    from sqlalchemy.orm import Session

    from pirights.audit.recorder import append_inline, record
    from pirights.audit.sequencer import data_text
    from pirights.database import make_engine

    engine = make_engine(url)
    latencies = []
    with engine.connect():
        pass  # connect before the clock starts
    ready.put(os.getpid())
    start.wait()
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        began = time.perf_counter()
        with Session(engine) as session, session.begin():
            if design == "inline":
                item = ("system", "bench.appended", None, data_text({"n": n}))
                append_inline(session, [item])
            else:
                record(session, actor="system", action="bench.appended", data={"n": n})
        latencies.append(time.perf_counter() - began)
        n += 1
    engine.dispose()
    out.put(latencies)


def run_level(
    url: str, design: str, writers: int, seconds: float
) -> tuple[int, float, list[float]]:
    """Run `writers` processes at once; (events, elapsed seconds, all latencies)."""
    ctx = mp.get_context("spawn")
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=writer, args=(url, design, seconds, ready, start, out))
        for _ in range(writers)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=120)  # every writer has imported and connected
    began = time.perf_counter()
    start.set()
    latencies: list[float] = []
    for _ in procs:
        latencies += out.get()
    elapsed = time.perf_counter() - began
    for proc in procs:
        proc.join()
    return len(latencies), elapsed, latencies


ROUNDS = 3


def rows(ctx: Context) -> list[Row]:
    """The §10 audited-writes rows: the application's (queued) design, 1 and 8 writers in
    ROUNDS alternating rounds sharing `ctx.seconds` (one round with --quick)."""
    from pirights.audit.verify import verify_database
    from pirights.database import make_engine

    url = ctx.database("audit")
    # The levels alternate in rounds, as the server comparisons do (bench.common.compare):
    # run one after the other, a drift in the machine's speed between them (a third within
    # the hour on the 2-core machine of the README) moved the ratio by ±0.3.
    totals = {1: [0, 0.0], 8: [0, 0.0]}
    rounds = 1 if ctx.quick else ROUNDS  # the smoke test measures nothing
    for _ in range(rounds):
        for level, total in totals.items():
            events, elapsed, _ = run_level(url, "queued", level, ctx.seconds / rounds)
            total[0] += events
            total[1] += elapsed
    rates = {level: events / elapsed for level, (events, elapsed) in totals.items()}
    engine = make_engine(url)
    verdict = verify_database(engine)
    engine.dispose()
    if not verdict.ok or verdict.pending:
        raise RuntimeError(f"audit: chain {verdict} after the run")
    return [
        Row("audited writes, 1 writer", rates[1], "events/s", None),
        Row("audited writes, 8 concurrent writers", rates[8], "events/s", 500),
        Row("audited writes: 8 writers / 1 writer (same run)", rates[8] / rates[1], "×", 3),
    ]


def main() -> None:
    """Parse arguments, migrate, run each level, verify, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PIRIGHTS_DATABASE_URL", ""))
    parser.add_argument("--writers", default="1,2,4,8")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--designs", default="queued,inline")
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url (a scratch database) or PIRIGHTS_DATABASE_URL")

    from alembic import command

    from pirights.audit.sequencer import catch_up
    from pirights.audit.verify import verify_database
    from pirights.cli import alembic_config
    from pirights.database import make_engine

    command.upgrade(alembic_config(args.url), "head")
    designs = args.designs.split(",")
    rows = []
    for level in (int(w) for w in args.writers.split(",")):
        for design in designs:
            events, elapsed, latencies = run_level(args.url, design, level, args.seconds)
            latencies.sort()
            p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0
            rows.append(
                (
                    design,
                    level,
                    events,
                    elapsed,
                    events / elapsed,
                    statistics.median(latencies) * 1e3,
                    p95 * 1e3,
                )
            )
    engine = make_engine(args.url)
    verdict = verify_database(engine)  # before any catch-up: the writers left nothing behind
    left_waiting = verdict.pending
    catch_up(engine)
    engine.dispose()
    single = {r[0]: r[4] for r in rows if r[1] == 1}
    dialect = args.url.split(":", 1)[0]
    print(f"audit chain append, {dialect}, {os.cpu_count()} CPUs, {args.seconds:g} s per level")
    print(
        f"{'design':>6} | {'writers':>7} | {'events':>7} | {'seconds':>7} | {'events/s':>8} | "
        f"{'× 1 writer':>10} | {'p50 ms':>6} | {'p95 ms':>6}"
    )
    print("-" * 82)
    for design, level, events, elapsed, rate, p50, p95 in rows:
        ratio = rate / single[design] if single.get(design) else 0.0
        print(
            f"{design:>6} | {level:>7} | {events:>7} | {elapsed:>7.2f} | {rate:>8.0f} | "
            f"{ratio:>10.2f} | {p50:>6.2f} | {p95:>6.2f}"
        )
    print(
        f"chain after the run: {'OK' if verdict.ok else 'BROKEN'}, {verdict.events} events"
        + ("" if verdict.ok else f", first bad seq {verdict.first_bad_seq}")
        + f", {left_waiting} left waiting for the sequencer"
    )


if __name__ == "__main__":
    main()
