"""Email delivery through the outbox: `pirights worker` processes to a local SMTP sink.

The workers start first and idle; then one transaction queues N emails, and the clock runs
until the sink has received all N. So the figure is steady delivery (claim, send over SMTP,
settle with the audit events), not process start-up.
Run: python bench/delivery.py [--messages 5000] [--workers 2] [--url URL]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Context, Row, env_for, free_port, make_app, migrate, python

TARGET = 200  # deliveries/s with 2 worker processes (SPEC §10)


class Sink:
    """Counts the messages an aiosmtpd server receives."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # the name aiosmtpd calls
        with self._lock:
            self.count += 1
        return "250 OK"


def queue(url: str, n: int) -> None:
    """Queue `n` receipts in one unit of work, as intake queues them (the worker renders
    each in its request's language when it sends it)."""
    from pirights import clock
    from pirights.extensions import db
    from pirights.notify.service import receipt
    from pirights.requests.models import Request

    app = make_app(url)
    now = clock.now()
    with app.app_context(), db.unit_of_work() as s:
        for i in range(n):
            # not stored: receipt() reads only these fields of the request
            req = Request(
                reference=f"PIR-B{i:04d}-00000",
                type="delete",
                jurisdiction="CN",
                locale="en" if i % 2 else "zh-CN",
                requester_name="张三",
                requester_email=f"person{i}@example.cn",
                due_at=now,
            )
            receipt(s, req, now, code="123456", minutes=15)
    app.extensions["pirights_db"].engine.dispose()


def measure(url: str, messages: int, workers: int, timeout: float = 300) -> float:
    """Deliveries per second of `workers` worker processes."""
    from aiosmtpd.controller import Controller

    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = env_for(url) | {
        "PIRIGHTS_SMTP_HOST": "127.0.0.1",
        "PIRIGHTS_SMTP_PORT": str(port),
        "PIRIGHTS_SMTP_FROM": "pirights@example.cn",
    }
    procs = [
        subprocess.Popen(
            [python(), "-m", "pirights", "worker", "--idle", "0.05"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        time.sleep(4)  # let the workers import and start polling
        queue(url, messages)
        start = time.perf_counter()
        deadline = start + timeout
        while sink.count < messages and time.perf_counter() < deadline:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        if sink.count < messages:
            raise RuntimeError(f"only {sink.count} of {messages} delivered in {timeout} s")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        controller.stop()
    return messages / elapsed


def run(url: str, messages: int, workers: int = 2) -> list[Row]:
    """The §10 row for email delivery."""
    rate = measure(url, messages, workers)
    return [
        Row(
            f"email delivery, {messages:,} messages, {workers} workers, local SMTP sink",
            rate,
            "deliveries/s",
            TARGET,
        )
    ]


def rows(ctx: Context) -> list[Row]:
    """The §10 email delivery row."""
    return run(ctx.database("delivery"), 300 if ctx.quick else 5000, ctx.workers)


def main() -> None:
    """Print the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'delivery.sqlite3'}"
    migrate(url)
    rate = measure(url, args.messages, args.workers)
    print(f"email deliveries/s with {args.workers} workers: {rate:,.0f}")


if __name__ == "__main__":
    main()
