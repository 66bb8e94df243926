"""Operators' metrics: `GET /metrics` in the Prometheus text format.

Two kinds of figures:
- HTTP requests by route rule, method and status, with latency histograms, counted in the
  process that served them. Under `pirights serve` every gunicorn worker writes them to
  files in PROMETHEUS_MULTIPROC_DIR (set by pirights.server before the workers fork) and a
  scrape adds them up, so any worker answers for all.
- Figures read from the database at scrape time, so they hold across hosts: the outbox's
  due rows and the age of the oldest by kind, deliveries and failures by kind and channel,
  open requests by type and status, overdue requests by type.

prometheus_client is imported only inside functions: it picks its storage (memory or the
multiprocess files) when first imported, which must happen in a worker, after the
environment variable is set, never in gunicorn's master.

Access: the bearer token `metrics.token` (PIRIGHTS_METRICS_TOKEN). Without one configured
the endpoint answers 404, so metrics are off until an operator asks for them.
"""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

from flask import Flask, Response, current_app, g, request

from pirights.errors import NotFound, Unauthorized

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def instruments() -> dict[str, Any]:
    """This app's HTTP counter and histogram, created on first use (one app per worker
    process in production; several apps in one test process keep separate counts)."""
    found = current_app.extensions.setdefault("pirights_metrics", {})
    if not found:
        from prometheus_client import Counter, Histogram

        found["requests"] = Counter(
            "pirights_http_requests",
            "HTTP requests by route rule, method and status",
            ["route", "method", "status"],
            registry=None,
        )
        found["latency"] = Histogram(
            "pirights_http_request_duration_seconds",
            "HTTP request latency by route rule and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=None,
        )
    return found


def _start() -> None:
    """Note when the request began."""
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    """Count the request under its route rule (never the raw path: it can carry PII)."""
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        key = (route, request.method, response.status_code)
        found = instruments()
        # The labelled children, looked up once per route, method and status: labels()
        # takes a lock and builds a key on every call.
        children = current_app.extensions.setdefault("pirights_metrics_children", {})
        pair = children.get(key)
        if pair is None:
            pair = children[key] = (
                found["requests"].labels(route, request.method, str(response.status_code)),
                found["latency"].labels(route, request.method),
            )
        pair[0].inc()
        pair[1].observe(time.perf_counter() - started)
    return response


class DatabaseCollector:
    """Figures read from the database when Prometheus scrapes."""

    def collect(self):
        """Yield the outbox and request families."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        from sqlalchemy import func, select

        from pirights import clock
        from pirights.extensions import db
        from pirights.outbox.models import FAILED, SENT, OutboxMessage
        from pirights.outbox.service import depth
        from pirights.requests import lifecycle as lc
        from pirights.requests.models import Request

        now = clock.now()
        s = db.session
        due = GaugeMetricFamily("pirights_outbox_due", "Outbox messages due now", labels=["kind"])
        age = GaugeMetricFamily(
            "pirights_outbox_oldest_due_age_seconds",
            "Seconds the oldest due outbox message has waited",
            labels=["kind"],
        )
        for kind, count, oldest in depth(now):
            due.add_metric([kind], count)
            age.add_metric([kind], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield due
        yield age
        delivered = CounterMetricFamily(
            "pirights_outbox_deliveries", "Messages delivered", labels=["kind", "channel"]
        )
        failed = CounterMetricFamily(
            "pirights_outbox_failures",
            "Messages given up after their retries",
            labels=["kind", "channel"],
        )
        rows = s.execute(
            select(OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_((SENT, FAILED)))
            .group_by(OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.status)
        ).all()
        for kind, channel, status, count in rows:
            (delivered if status == SENT else failed).add_metric([kind, channel], count)
        yield delivered
        yield failed
        open_ = GaugeMetricFamily(
            "pirights_requests_open", "Open requests by type and status", labels=["type", "status"]
        )
        for type_, status, count in s.execute(
            select(Request.type, Request.status, func.count())
            .where(Request.status.in_(lc.OPEN))
            .group_by(Request.type, Request.status)
        ):
            open_.add_metric([type_, status], count)
        yield open_
        overdue = GaugeMetricFamily(
            "pirights_requests_overdue", "Overdue requests by type", labels=["type"]
        )
        for type_, count in s.execute(
            select(Request.type, func.count()).where(Request.is_overdue(now)).group_by(Request.type)
        ):
            overdue.add_metric([type_], count)
        yield overdue
        s.rollback()  # a read-only scrape leaves no transaction open


def _token(app: Flask) -> str:
    """The configured metrics token; empty while metrics are off."""
    return str(app.config["PIRIGHTS"].raw.get("metrics", {}).get("token", "") or "")


def _authorised() -> None:
    """404 while metrics are off; 401 without the configured bearer token."""
    token = _token(current_app)
    if not token:
        raise NotFound("Metrics are off; set metrics.token (PIRIGHTS_METRICS_TOKEN) to enable.")
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        raise Unauthorized(
            "Send the metrics token as `Authorization: Bearer …`.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


def scrape() -> Response:
    """The Prometheus text exposition of every figure."""
    _authorised()
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for instrument in instruments().values():
            registry.register(instrument)
    registry.register(DatabaseCollector())
    return Response(
        generate_latest(registry),
        mimetype=CONTENT_TYPE_LATEST.split(";")[0],
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )


def init_app(app: Flask) -> None:
    """Serve /metrics and, while metrics are on, count every request."""
    # Off, nobody can read the counts: counting them cost 2-3 % of a public submission's
    # CPU under `pirights serve`, whose workers keep them in memory-mapped files (issue 17).
    if _token(app):
        app.before_request(_start)
        app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", scrape, methods=["GET"])
