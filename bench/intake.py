"""Public intake throughput: `pirights serve` against a bare Flask insert, same database."""

from __future__ import annotations

import json
import subprocess
import tempfile

from bench.bare_app import create_table
from bench.common import ROOT, Row, env_for, free_port, python, start_server

BODY = {
    "type": "delete",
    "requester": {"name": "张三", "email": "zs@example.cn", "phone": "+8613800138000"},
    "description": "Delete my chat history and any profile built from it.",
}


def _load(url: str, seconds: float, concurrency: int) -> dict:
    """Run the load generator in its own process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(BODY, fh)
    out = subprocess.run(
        [
            python(),
            str(ROOT / "bench" / "loadgen.py"),
            url,
            str(seconds),
            str(concurrency),
            fh.name,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    )
    return json.loads(out.stdout)


def run(db_url: str, workers: int, seconds: float, concurrency: int) -> list[Row]:
    """Measure both servers one after the other with the same load."""
    create_table(db_url)
    env = env_for(db_url)
    results = {}
    servers = {
        "pirights": [
            python(),
            "-m",
            "pirights",
            "serve",
            "--host",
            "127.0.0.1",
            "--workers",
            str(workers),
        ],
        "bare": [
            python(),
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "bench.bare_app:app",
        ],
    }
    paths = {"pirights": "/api/v1/public/requests", "bare": "/insert"}
    for name, args in servers.items():
        port = free_port()
        args = (
            [*args, "--port", str(port)]
            if name == "pirights"
            else [*args, "--bind", f"127.0.0.1:{port}"]
        )
        proc = start_server(args, env, port)
        try:
            _load(f"http://127.0.0.1:{port}{paths[name]}", 2, concurrency)  # warm-up
            results[name] = _load(f"http://127.0.0.1:{port}{paths[name]}", seconds, concurrency)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ours, bare = results["pirights"], results["bare"]
    ours_rps = ours["requests"] / ours["seconds"]
    bare_rps = bare["requests"] / bare["seconds"]
    return [
        Row("intake: pirights requests/s", ours_rps, "req/s", None),
        Row("intake: bare Flask insert requests/s", bare_rps, "req/s", None),
        Row("intake: pirights / bare Flask", ours_rps / bare_rps, "×", 0.5),
        Row("intake: pirights p50 latency", ours["p50_ms"], "ms", None, False),
        Row("intake: pirights p99 latency", ours["p99_ms"], "ms", None, False),
        Row("intake: errors (pirights + bare)", ours["errors"] + bare["errors"], "", None, False),
    ]
