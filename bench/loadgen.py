"""A small closed-loop HTTP load generator, run as its own process.

python bench/loadgen.py URL SECONDS CONCURRENCY BODY_FILE  → prints JSON
{"requests": n, "errors": e, "seconds": s, "p50_ms": ..., "p99_ms": ...}
Keep-alive connections, one per thread; bounded by SECONDS.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def worker(url: str, body: bytes, stop: float, latencies: list[float], errors: list[int]) -> None:
    """Send POSTs until `stop`, recording each latency."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            conn.request("POST", parts.path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 201
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
    url, seconds, concurrency, body_file = sys.argv[1:5]
    with open(body_file, "rb") as fh:
        body = fh.read()
    stop = time.monotonic() + float(seconds)
    latencies: list[float] = []
    errors: list[int] = []
    threads = [
        threading.Thread(target=worker, args=(url, body, stop, latencies, errors))
        for _ in range(int(concurrency))
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
