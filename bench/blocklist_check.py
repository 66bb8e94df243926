"""Benchmark: blocklist checks per second against a 10 000-term list (SPEC §9).

Measures the matcher alone and the full `POST /api/v1/blocklist/check` path (auth, JSON,
the version read and the cached automaton) on a throwaway SQLite database.
Run: python bench/blocklist_check.py [--terms 10000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import base64
import random
import tempfile
import time
from pathlib import Path

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


def seeded_app(terms: list[str]):
    """(app, service token): a throwaway SQLite app whose blocklist holds `terms`."""
    from alembic import command

    from pirights import create_app
    from pirights.cli import alembic_config
    from pirights.complaints import blocklist
    from pirights.extensions import db
    from pirights.requests.intake import submit
    from pirights.staff.service import add_staff

    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app(
        {
            "database": {"url": url},
            "security": {"encryption_key": base64.urlsafe_b64encode(b"b" * 32).decode()},
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


def bench_endpoint(terms: list[str], texts: list[str], seconds: float) -> float:
    """Checks per second through the Flask app (one process, test client)."""
    app, token = seeded_app(terms)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/blocklist/check", json={"text": "warm"}, headers=headers)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        resp = client.post(
            "/api/v1/blocklist/check", json={"text": texts[count % len(texts)]}, headers=headers
        )
        assert resp.status_code == 200
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    """Run both measurements and print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rng = random.Random(2026)
    terms = make_terms(args.terms, rng)
    texts = [make_text(rng) for _ in range(200)]
    build, per_second = bench_matcher(terms, texts, args.seconds)
    endpoint = bench_endpoint(terms, texts, args.seconds)
    print(f"| benchmark ({args.terms} terms, 500-char texts) | figure |")
    print("| --- | --- |")
    print(f"| build automaton | {build * 1000:.0f} ms |")
    print(f"| matcher checks/s (one core) | {per_second:,.0f} |")
    print(
        f"| POST /api/v1/blocklist/check per second (one process, test client) | {endpoint:,.0f} |"
    )


if __name__ == "__main__":
    main()
