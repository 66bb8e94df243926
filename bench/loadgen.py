"""A small closed-loop HTTP load generator, run as its own process.

python bench/loadgen.py URL SECONDS CONCURRENCY BODY_FILE [--status 201] [--header "K: V"]...
→ prints JSON {"requests": n, "errors": e, "seconds": s, "p50_ms": ..., "p99_ms": ...}
POSTs BODY_FILE as JSON over keep-alive connections, one per thread, for SECONDS; a reply
with another status than --status counts as an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit


def worker(
    url: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    stop: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    """Send POSTs until `stop`, recording each latency."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Content-Type": "application/json", "Connection": "keep-alive", **headers}
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            conn.request("POST", parts.path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == status
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        latencies.append(time.perf_counter() - start)
        if not ok:
            errors.append(1)
    conn.close()


def main() -> None:
    """Run the load and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("seconds", type=float)
    parser.add_argument("concurrency", type=int)
    parser.add_argument("body_file")
    parser.add_argument("--status", type=int, default=201, help="the expected status")
    parser.add_argument("--header", action="append", default=[], help='"Name: value"')
    args = parser.parse_args()
    with open(args.body_file, "rb") as fh:
        body = fh.read()
    headers = dict(h.split(": ", 1) for h in args.header)
    stop = time.monotonic() + args.seconds
    latencies: list[float] = []
    errors: list[int] = []
    threads = [
        threading.Thread(
            target=worker, args=(args.url, body, headers, args.status, stop, latencies, errors)
        )
        for _ in range(args.concurrency)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]
    print(
        json.dumps(
            {
                "requests": len(latencies) - len(errors),
                "errors": len(errors),
                "seconds": elapsed,
                "p50_ms": ordered[len(ordered) // 2] * 1000,
                "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
