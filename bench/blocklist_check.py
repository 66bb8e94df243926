"""Benchmark: blocklist checks per second against a 10 000-term list (SPEC §9, §10).

Measures the matcher alone, and `POST /api/v1/blocklist/check` over HTTP: `pirights serve
--workers 2` against a bare Flask JSON endpoint under the same gunicorn settings, 16
clients each, in the same run (the §10 row is their ratio).
Run: python bench/blocklist_check.py [--terms 10000] [--seconds 10] [--url URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import KEY, Context, Row, compare, migrate

TARGET = 0.5  # of the bare Flask JSON endpoint (SPEC §10)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉"


def make_terms(n: int, rng: random.Random) -> list[str]:
    """Plausible names and aliases, half Chinese, half Latin."""
    out = []
    for i in range(n):
        if i % 2:
            out.append(rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))))
        else:
            out.append(f"Person{i} {rng.choice(['Li', 'Wang', 'Zhang', 'Chen'])}")
    return out


def make_text(rng: random.Random, length: int = 500) -> str:
    """A generated-looking text of mixed scripts."""
    pool = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
        + "abcdefghijklmnopqrstuvwxyz      "
    )
    return "".join(rng.choices(pool, k=length))


def bench_matcher(terms: list[str], texts: list[str], seconds: float) -> tuple[float, float]:
    """(build seconds, checks per second) for the matcher alone."""
    from pirights.complaints.matching import Matcher

    start = time.perf_counter()
    matcher = Matcher((i // 5, terms[i : i + 5]) for i in range(0, len(terms), 5))
    build = time.perf_counter() - start
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        matcher.matches(texts[count % len(texts)])
        count += 1
    return build, count / (time.perf_counter() - start)


def seeded_app(terms: list[str], url: str | None = None):
    """(app, service token): an app on `url` (default a throwaway SQLite file, migrated here)
    whose blocklist holds `terms`, five to an entry."""
    from pirights import create_app
    from pirights.complaints import blocklist
    from pirights.extensions import db
    from pirights.requests.intake import submit
    from pirights.staff.service import add_staff

    tmp = Path(tempfile.mkdtemp())
    if url is None:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        migrate(url)
    app = create_app(
        {
            "database": {"url": url},
            "security": {"encryption_key": KEY},
            "public": {"rate_limit": "off"},
        },
        instance_path=str(tmp),
    )
    with app.app_context():
        sup, _ = add_staff("bench-sup", "supervisor")
        _, token = add_staff("bench-svc", "service")
        req, _ = submit(
            {"type": "block", "requester": {"name": "n", "email": "e@x.cn"}, "description": "d"},
            channel="web",
            actor="requester",
            default_jurisdiction="CN",
        )
        with db.unit_of_work() as s:
            for i in range(0, len(terms), 5):
                blocklist.add_entry(s, terms[i : i + 5], s.merge(req), "bench", s.merge(sup))
    return app, token


def bench_http(
    url: str, terms: list[str], text: str, workers: int, seconds: float, warmup: float = 2
) -> list[Row]:
    """`pirights serve` against the bare JSON endpoint, 16 clients, in alternation."""
    app, token = seeded_app(terms, url)
    app.extensions["pirights_db"].engine.dispose()
    targets = {
        "pirights": ("/api/v1/blocklist/check", "pirights", {"Authorization": f"Bearer {token}"}),
        "bare": ("/check", "bare Flask", {}),
    }
    results = compare(targets, url, workers, seconds, {"text": text}, 200, warmup)
    errors = results["pirights"]["errors"] + results["bare"]["errors"]
    if errors:
        raise RuntimeError(f"blocklist check: {errors} requests failed")
    ours, bare = (results[k]["requests"] / results[k]["seconds"] for k in ("pirights", "bare"))
    n = f"{len(terms):,} terms"
    return [
        Row(f"blocklist check over HTTP, {n}: pirights checks/s", ours, "req/s", None),
        Row("blocklist check: bare Flask JSON endpoint requests/s", bare, "req/s", None),
        Row("blocklist check: pirights / bare Flask JSON (same run)", ours / bare, "×", TARGET),
        Row(
            "blocklist check: pirights p99 latency (worst round)",
            results["pirights"]["p99_ms"],
            "ms",
            None,
            False,
        ),
    ]


def rows(ctx: Context) -> list[Row]:
    """The §10 blocklist rows (1 000 terms with --quick, else 10 000)."""
    rng = random.Random(2026)
    terms = make_terms(1_000 if ctx.quick else 10_000, rng)
    text = make_text(rng)
    warmup = 0.5 if ctx.quick else 2
    return bench_http(ctx.database("blocklist"), terms, text, ctx.workers, ctx.seconds, warmup)


def main() -> None:
    """Run the measurements and print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="a migrated, empty database (default: a SQLite file)")
    args = parser.parse_args()
    from bench.common import print_table

    rng = random.Random(2026)
    terms = make_terms(args.terms, rng)
    texts = [make_text(rng) for _ in range(200)]
    build, per_second = bench_matcher(terms, texts, min(args.seconds, 3))
    url = args.url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'blocklist.sqlite3'}"
        migrate(url)
    out = [
        Row("build the automaton", build * 1000, "ms", None, False),
        Row("matcher alone, one core", per_second, "checks/s", None),
        *bench_http(url, terms, texts[0], args.workers, args.seconds),
    ]
    print_table(out, f"blocklist check, {args.terms:,} terms, 500-character texts")


if __name__ == "__main__":
    main()
