"""Benchmark: §14 webhook delivery to a local receiver with 2 worker processes (SPEC §10).

Builds N accepted-looking requests, gives each one fulfilment task (the task rows, their
signed webhooks queued in the outbox and their task.created events, as accepting does),
then starts `pirights worker --once` twice and counts deliveries per second from the first
webhook the receiver sees until both workers have settled everything and exited. The
receiver is a keep-alive http.server in its own process that answers 200.

Run: python bench/webhooks.py [--url URL] [--tasks 6000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    REQUEST_COLUMNS,
    ROOT,
    Context,
    Row,
    bulk_insert,
    env_for,
    free_port,
    make_app,
    migrate,
    python,
    request_rows,
)

TARGET = 200  # deliveries/s with 2 worker processes (SPEC §10)


def serve(port: int) -> None:
    """The receiver: 200 to every POST; GET answers {count, first, last} (Unix times)."""
    stats = {"count": 0, "first": None, "last": None}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                now = time.time()
                stats["count"] += 1
                stats["first"] = stats["first"] or now
                stats["last"] = now
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            with lock:
                body = json.dumps(stats).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            """Quiet."""

    ThreadingHTTPServer.request_queue_size = 128  # 2 workers x 16 senders connect at once
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def stats(port: int) -> dict:
    """The receiver's counters."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
        return json.loads(resp.read())


def seed(url: str, tasks: int, receiver_url: str) -> None:
    """`tasks` in-progress delete requests, each with one task and its queued webhook."""
    from sqlalchemy import select

    from pirights import clock, crypto
    from pirights.extensions import db
    from pirights.fulfilment import service
    from pirights.requests.models import Request
    from pirights.staff.service import add_staff

    now = datetime.now(UTC)
    app = make_app(url)

    def plan(i, at):
        return ("delete", "in_progress", at, at.replace(year=at.year + 1))

    with app.app_context():
        bulk_insert(
            url, "requests", REQUEST_COLUMNS, request_rows(tasks, now, crypto.cipher(), plan, "W")
        )
        admin, _ = add_staff("bench-admin", "admin")
        service.register_system("bench", receiver_url, ["delete"], admin)
        ids = list(db.session.scalars(select(Request.id).order_by(Request.id)))
        for start in range(0, len(ids), 500):
            with db.unit_of_work() as s:
                for req in s.scalars(
                    select(Request).where(Request.id.in_(ids[start : start + 500]))
                ):
                    service.create_tasks(s, req, "staff:bench-admin", clock.now())
    app.extensions["pirights_db"].engine.dispose()


def measure(url: str, tasks: int = 6000, workers: int = 2) -> tuple[float, int]:
    """(deliveries per second, deliveries seen by the receiver)."""
    port = free_port()
    receiver = subprocess.Popen([python(), __file__, "--serve", str(port)], cwd=ROOT)
    try:
        for _ in range(100):
            try:
                stats(port)
                break
            except OSError:
                time.sleep(0.05)
        seed(url, tasks, f"http://127.0.0.1:{port}/hooks")
        env = env_for(url)
        procs = [
            subprocess.Popen(
                [python(), "-m", "pirights", "worker", "--once"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            proc.wait(timeout=600)
        done = time.time()
        seen = stats(port)
    finally:
        receiver.terminate()
        receiver.wait(10)
    return seen["count"] / (done - seen["first"]), seen["count"]


def run(url: str, tasks: int = 6000, workers: int = 2) -> list[Row]:
    """The §10 row for webhook delivery."""
    rate, seen = measure(url, tasks, workers)
    return [
        Row(
            f"webhook delivery, {workers} worker processes, local receiver ({seen:,} sent)",
            rate,
            "deliveries/s",
            TARGET,
        )
    ]


def rows(ctx: Context) -> list[Row]:
    """The §10 webhook delivery row."""
    return run(ctx.database("webhooks"), 300 if ctx.quick else 6000, ctx.workers)


def main() -> None:
    """Print the figure (or, with --serve, be the receiver)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help="a migrated, empty database (default: a SQLite file)")
    parser.add_argument("--tasks", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'webhooks.sqlite3'}"
    if not args.url:
        migrate(url)
    rate, seen = measure(url, args.tasks, args.workers)
    print(f"webhook deliveries/s ({args.workers} workers, {seen} sent): {rate:,.0f}")


if __name__ == "__main__":
    main()
