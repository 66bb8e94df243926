"""Public intake throughput: `pirights serve` against a bare Flask insert, same database."""

from __future__ import annotations

from bench.bare_app import create_table
from bench.common import Context, Row, compare

BODY = {
    "type": "delete",
    "requester": {"name": "张三", "email": "zs@example.cn", "phone": "+8613800138000"},
    "description": "Delete my chat history and any profile built from it.",
}


def run(
    db_url: str, workers: int, seconds: float, concurrency: int = 16, warmup: float = 2
) -> list[Row]:
    """Measure both servers in alternation with the same load (bench.common.compare)."""
    create_table(db_url)
    targets = {
        "pirights": ("/api/v1/public/requests", "pirights", {}),
        "bare": ("/insert", "bare Flask", {}),
    }
    results = compare(targets, db_url, workers, seconds, BODY, 201, warmup)
    ours, bare = results["pirights"], results["bare"]
    errors = ours["errors"] + bare["errors"]
    if errors:
        raise RuntimeError(f"intake: {errors} requests failed")
    ours_rps = ours["requests"] / ours["seconds"]
    bare_rps = bare["requests"] / bare["seconds"]
    return [
        Row("intake: pirights requests/s", ours_rps, "req/s", None),
        Row("intake: bare Flask insert requests/s", bare_rps, "req/s", None),
        Row("intake: pirights / bare Flask (same run)", ours_rps / bare_rps, "×", 0.5),
        Row("intake: pirights p99 latency (worst round)", ours["p99_ms"], "ms", None, False),
    ]


def rows(ctx: Context) -> list[Row]:
    """The §10 intake rows: `pirights serve --workers N` and the baseline, 16 clients."""
    warmup = 0.5 if ctx.quick else 2
    return run(ctx.database("intake"), ctx.workers, ctx.seconds, 16, warmup)
