"""Benchmark: the in-process guard of §15, checks per second on one core.

A throwaway SQLite app holds 10 000 terms and is served on 127.0.0.1; the guard fetches the
list from it once, then every check runs locally in this process's one thread.
Run: python bench/guard.py [--terms 10000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.blocklist_check import make_terms, make_text, seeded_app
from bench.common import Context, Row

TARGET = 20_000  # checks/s on one core (SPEC §10)


def measure(terms: int = 10_000, seconds: float = 3.0) -> float:
    """Checks per second of Guard.check over 500-character texts."""
    from werkzeug.serving import make_server

    from pirights.guard import Guard

    rng = random.Random(2026)
    app, token = seeded_app(make_terms(terms, rng))
    texts = [make_text(rng) for _ in range(200)]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("pirights.access").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        guard = Guard(f"http://127.0.0.1:{server.server_port}", token, poll_seconds=0)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        guard.check(texts[count % len(texts)])
        count += 1
    return count / (time.perf_counter() - start)


def run(terms: int = 10_000, seconds: float = 3.0) -> list[Row]:
    """The §10 row for the guard."""
    rate = measure(terms, seconds)
    return [Row(f"in-process guard, {terms:,} terms, 500-char texts", rate, "checks/s", TARGET)]


def rows(ctx: Context) -> list[Row]:
    """The §10 guard row (10 000 terms even with --quick: building is quick)."""
    return run(seconds=min(ctx.seconds, 5))


def main() -> None:
    """Print the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(f"guard checks/s (one core): {measure(args.terms, args.seconds):,.0f}")


if __name__ == "__main__":
    main()
