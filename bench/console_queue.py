"""The console's queue page over many requests (§10, §13: p95 ≤ 50 ms), timed at the HTTP
client against `pirights serve`, signed in through the console's sign-in form.

The data is the list benchmark's (bench/listing.py seed); the pages are the default queue
(open requests, first page), and a page ~90% deep into the `in_progress` filter.
"""

from __future__ import annotations

import http.client
import re
import time
from urllib.parse import urlencode, urlsplit

from bench import listing
from bench.common import Context, Row, make_app, percentile, serving

PASSWORD = "bench console password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def member(db_url: str) -> str:
    """A supervisor with a console password (supervisors also see the bulk controls)."""
    from pirights.staff.service import add_staff, set_password

    name = f"bench-console-{time.time_ns()}"
    app = make_app(db_url)
    with app.app_context():
        add_staff(name, "supervisor")
        set_password(name, PASSWORD)
    app.extensions["pirights_db"].engine.dispose()
    return name


def _cookie(resp: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    """Keep the cookies a response sets (name=value only)."""
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(jar: dict[str, str]) -> str:
    """The Cookie header for the jar."""
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def sign_in(conn: http.client.HTTPConnection, name: str) -> dict[str, str]:
    """Sign in through the form (GET for the CSRF token, POST the form); the cookie jar."""
    jar: dict[str, str] = {}
    conn.request("GET", "/console/login?lang=en")
    resp = conn.getresponse()
    page = resp.read().decode()
    _cookie(resp, jar)
    token = _CSRF.search(page)
    if resp.status != 200 or token is None:
        raise RuntimeError(f"console sign-in page: {resp.status}")
    body = urlencode({"csrf_token": token.group(1), "name": name, "password": PASSWORD})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": _cookie_header(jar),
    }
    conn.request("POST", "/console/login", body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    _cookie(resp, jar)
    if resp.status != 303:
        raise RuntimeError(f"console sign-in: {resp.status}")
    return jar


def timings(base: str, path: str, name: str, samples: int) -> list[float]:
    """Milliseconds of `samples` sequential GETs of a queue page on one connection."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    jar = sign_in(conn, name)
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": _cookie_header(jar)})
        resp = conn.getresponse()
        body = resp.read()
        out.append((time.perf_counter() - start) * 1000)
        _cookie(resp, jar)
        if resp.status != 200 or body.count(b'<tr data-ref="') != 50:
            raise RuntimeError(f"console queue {path}: {resp.status} {body[:200]!r}")
    conn.close()
    return out


def run(db_url: str, n: int, workers: int = 2, samples: int = 200) -> list[Row]:
    """p95 of the default queue and of a deep filtered page, at the HTTP client."""
    name = member(db_url)
    _token, deep_api = listing.prepare(db_url, n)
    cursor = deep_api.split("cursor=", 1)[1]
    pages = (
        ("open requests, first page", "/console/?lang=en"),
        ("in progress, deep page", f"/console/?lang=en&status=in_progress&cursor={cursor}"),
    )
    out = []
    with serving("pirights", db_url, workers) as base:
        for label, path in pages:
            timings(base, path, name, 10)  # warm both workers' caches and connections
            ms = timings(base, path, name, samples)
            title = f"console queue over {n:,} requests, {label}, p95 at the HTTP client"
            out.append(Row(title, percentile(ms, 95), "ms", 50, False))
    return out


def rows(ctx: Context) -> list[Row]:
    """The §10 console queue rows."""
    url = ctx.database("console")
    listing.seed(url, ctx.rows)
    return run(url, ctx.rows, ctx.workers, 40 if ctx.quick else 200)
