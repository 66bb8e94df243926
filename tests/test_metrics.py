"""GET /metrics (issue 13): Prometheus text, token-protected, figures from every worker."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_KEY
from tests.servers import serving

TOKEN = "metrics-secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_overrides(app_overrides):
    """Metrics on, with a token."""
    app_overrides["metrics"] = {"token": TOKEN}
    return app_overrides


def samples(body: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of an exposition."""
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(client) -> dict:
    """Scrape through the test client."""
    resp = client.get("/metrics", headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["Content-Type"].startswith("text/plain")
    return samples(resp.get_data(as_text=True))


def test_metrics_are_off_without_a_token(database_url, tmp_path):
    """Off, /metrics is 404 and requests are not counted (nobody could read the counts)."""
    from pirights import create_app

    app = create_app(
        {
            "database": {"url": database_url},
            "security": {"encryption_key": TEST_KEY, "secret_key": "s"},
            "public": {"rate_limit": "off"},
        },
        instance_path=str(tmp_path / "i"),
    )
    resp = app.test_client().get("/metrics", headers=AUTH)
    assert resp.status_code == 404 and "PIRIGHTS_METRICS_TOKEN" in resp.get_json()["detail"]
    assert "pirights_metrics" not in app.extensions
    app.extensions["pirights_db"].engine.dispose()


def test_a_wrong_token_is_refused(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_http_outbox_and_request_figures(app, client, clock, submit):
    from pirights.extensions import db
    from pirights.outbox.service import enqueue
    from pirights.outbox.worker import run

    client.get("/healthz")
    client.get("/healthz")
    submit(type="delete")
    submit(type="access")
    with app.app_context(), db.unit_of_work() as s:
        for _ in range(3):
            enqueue(s, kind="requester.receipt", channel="email", payload={}, now=clock())
    clock.set(clock() + timedelta(minutes=2))
    got = scrape(client)
    health = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    assert got[("pirights_http_requests_total", health)] == 2
    assert (
        got[
            (
                "pirights_http_request_duration_seconds_count",
                (("method", "GET"), ("route", "/healthz")),
            )
        ]
        == 2
    )
    # Three queued here and the two submissions' own receipts (§12.2).
    assert got[("pirights_outbox_due", (("kind", "requester.receipt"),))] == 5
    assert got[("pirights_outbox_oldest_due_age_seconds", (("kind", "requester.receipt"),))] == 120
    assert got[("pirights_requests_open", (("status", "received"), ("type", "delete")))] == 1
    assert got[("pirights_requests_open", (("status", "received"), ("type", "access")))] == 1
    assert ("pirights_requests_overdue", (("type", "delete"),)) not in got
    run(app, clock, once=True)  # SMTP is not configured: every send fails and is retried
    clock.set(clock() + timedelta(days=60))
    got = scrape(client)
    assert ("pirights_outbox_due", (("kind", "requester.receipt"),)) in got  # due again
    assert got[("pirights_requests_overdue", (("type", "delete"),))] == 1
    assert got[("pirights_requests_overdue", (("type", "access"),))] == 1


def test_deliveries_and_failures_are_counted(app, client, clock):
    from sqlalchemy import update

    from pirights.extensions import db
    from pirights.outbox.models import FAILED, SENT, OutboxMessage
    from pirights.outbox.service import enqueue_now

    with app.app_context(), db.unit_of_work() as s:
        ids = [
            enqueue_now(s, kind="staff.alert", channel="email", payload={}, now=clock()).id
            for _ in range(3)
        ]
        s.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids[:2])).values(status=SENT))
        s.execute(update(OutboxMessage).where(OutboxMessage.id == ids[2]).values(status=FAILED))
    got = scrape(client)
    labels = (("channel", "email"), ("kind", "staff.alert"))
    assert got[("pirights_outbox_deliveries_total", labels)] == 2
    assert got[("pirights_outbox_failures_total", labels)] == 1


def test_every_gunicorn_worker_counts_toward_one_scrape(database_url, tmp_path):
    with serving(database_url, tmp_path, 2, PIRIGHTS_METRICS_TOKEN=TOKEN) as port:
        base = f"http://127.0.0.1:{port}"
        for _ in range(39):  # the 40th was the readiness check
            urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
        counts = set()
        for _ in range(6):  # whichever worker answers, it reports all 40
            req = urllib.request.Request(f"{base}/metrics", headers=AUTH)
            with urllib.request.urlopen(req, timeout=10) as resp:
                got = samples(resp.read().decode())
            key = (
                "pirights_http_requests_total",
                (("method", "GET"), ("route", "/healthz"), ("status", "200")),
            )
            counts.add(got[key])
        assert counts == {40.0}
