"""Rate limits (SPEC §8.3): per client address on public pages, per reference on guesses."""

from __future__ import annotations

import uuid

import pytest
import redis

from pirights import create_app
from tests.conftest import valid_request
from tests.security.helpers import assert_problem, row_counts

PUBLIC = "/api/v1/public/requests"
REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_available() -> bool:
    """Whether the local Redis answers (CI provides one; laptops may not)."""
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def limited(app_overrides):
    """Turn the public limit on (tests default to "off")."""
    app_overrides["public"]["rate_limit"] = "3/hour"
    return app_overrides


def test_public_api_is_limited_per_address_with_retry_after(limited, app, client):
    for _ in range(3):
        assert client.post(PUBLIC, json=valid_request()).status_code == 201
    before = row_counts(app)
    resp = client.post(PUBLIC, json=valid_request())
    body = assert_problem(resp, 429)
    assert body["type"] == "urn:pirights:problem:rate-limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 3601  # the window, rounded up
    assert row_counts(app) == before
    # Another address still has its own budget.
    other = client.post(PUBLIC, json=valid_request(), environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 201


def test_public_budget_is_shared_by_json_and_html_pages(limited, client):
    client.get("/")
    client.get("/status")
    client.get(f"{PUBLIC}/PIR-00000-00000")
    assert_problem(client.post(PUBLIC, json=valid_request()), 429)
    assert_problem(client.get("/?lang=en"), 429)


def test_staff_health_openapi_and_assets_are_not_limited(limited, client, auth):
    admin = auth("admin")
    for _ in range(6):
        assert client.get("/api/v1/requests", headers=admin).status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.post(PUBLIC, json=valid_request()).status_code == 201


def test_off_disables_limits(app_overrides, app, client):
    assert app_overrides["public"]["rate_limit"] == "off"
    for _ in range(30):
        assert client.get(f"{PUBLIC}/PIR-00000-00000").status_code == 404


def test_wrong_tracking_tokens_for_one_reference_are_slowed_down(app_overrides, app, submit):
    app_overrides["public"]["rate_limit"] = "1000/hour"
    limited_app = create_app(app_overrides, instance_path=app.instance_path)
    client = limited_app.test_client()
    resp = client.post(PUBLIC, json=valid_request())
    ref, token = resp.get_json()["reference"], resp.get_json()["tracking_token"]
    stranger = {"REMOTE_ADDR": "10.0.0.66"}
    for i in range(10):
        guess = client.get(
            f"{PUBLIC}/{ref}", headers={"X-Tracking-Token": f"guess-{i}"}, environ_base=stranger
        )
        assert guess.status_code == 404
    blocked = client.get(
        f"{PUBLIC}/{ref}", headers={"X-Tracking-Token": token}, environ_base=stranger
    )
    assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) >= 1
    # Typing the reference differently does not reset the count.
    sloppy = client.get(
        f"{PUBLIC}/{ref.lower()}", headers={"X-Tracking-Token": "x"}, environ_base=stranger
    )
    assert_problem(sloppy, 429)
    # The stranger's guesses do not lock the owner out: from their own address, the
    # correct token still reads and withdraws the request.
    owner = {"REMOTE_ADDR": "10.0.0.7"}
    own = client.get(f"{PUBLIC}/{ref}", headers={"X-Tracking-Token": token}, environ_base=owner)
    assert own.status_code == 200
    gone = client.post(
        f"{PUBLIC}/{ref}/withdraw", headers={"X-Tracking-Token": token}, environ_base=owner
    )
    assert gone.status_code == 200, gone.get_json()
    # Other references are unaffected, and successes never count.
    other = client.post(PUBLIC, json=valid_request()).get_json()
    for _ in range(15):
        ok = client.get(
            f"{PUBLIC}/{other['reference']}", headers={"X-Tracking-Token": other["tracking_token"]}
        )
        assert ok.status_code == 200
    limited_app.extensions["pirights_db"].engine.dispose()


@pytest.mark.skipif(not _redis_available(), reason="no Redis at 127.0.0.1:6379")
def test_two_app_instances_share_the_count_through_redis(app_overrides, tmp_path):
    # A fresh client address keeps parallel runs apart inside one Redis database.
    address = f"fd00::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    environ = {"REMOTE_ADDR": address}
    app_overrides["public"]["rate_limit"] = "4/hour"
    app_overrides["limits"] = {"storage": REDIS_URL}
    first = create_app(app_overrides, instance_path=str(tmp_path / "a"))
    second = create_app(app_overrides, instance_path=str(tmp_path / "b"))
    try:
        a, b = first.test_client(), second.test_client()
        for client in (a, b, a, b):
            assert (
                client.post(PUBLIC, json=valid_request(), environ_base=environ).status_code == 201
            )
        assert_problem(a.post(PUBLIC, json=valid_request(), environ_base=environ), 429)
        assert_problem(b.post(PUBLIC, json=valid_request(), environ_base=environ), 429)
    finally:
        for application in (first, second):
            application.extensions["pirights_db"].engine.dispose()
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"*{address}*"):
            store.delete(key)
