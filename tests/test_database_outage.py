"""The database going away (PostgreSQL restarting, a lost connection): 503 problem+json with
Retry-After, never a 500 and never the WSGI server's HTML page from a failing teardown."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import create_engine, text

from pirights import create_app
from pirights.database import normalise_url
from pirights.extensions import db
from tests.conftest import PG_URL, valid_request

UNREACHABLE = {
    # A PostgreSQL port where nothing listens: connections are refused.
    "postgresql": "postgresql://postgres@127.0.0.1:1/pirights",
    # A SQLite file in a directory that does not exist: "unable to open database file".
    "sqlite": "sqlite:////nonexistent-pirights-dir/pirights.sqlite3",
}


def assert_unavailable(resp) -> None:
    """A 503 problem that tells the client when to retry."""
    assert resp.status_code == 503, (resp.status_code, resp.get_data()[:300])
    assert resp.mimetype == "application/problem+json"
    assert int(resp.headers["Retry-After"]) > 0
    body = resp.get_json()
    assert body["status"] == 503 and body["type"].endswith("database-unavailable")


@pytest.mark.parametrize("kind", sorted(UNREACHABLE))
def test_an_unreachable_database_is_503_with_retry_after(app_overrides, tmp_path, kind):
    app_overrides["database"]["url"] = UNREACHABLE[kind]
    app = create_app(app_overrides, instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    headers = {"Authorization": "Bearer pir_whatever"}
    assert_unavailable(client.post("/api/v1/public/requests", json=valid_request()))
    assert_unavailable(client.get("/api/v1/requests", headers=headers))
    assert_unavailable(client.get("/api/v1/public/requests/PIR-00000-00000"))
    assert client.get("/healthz").status_code == 503


def _kill_own_connection() -> None:
    """End this request's database connection from outside, as a server restart does."""
    session = db.session
    if PG_URL:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = create_engine(normalise_url(PG_URL))
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
    else:
        session.execute(text("SELECT 1"))
        session.connection().connection.dbapi_connection.close()


@pytest.fixture
def outage_app(app):
    """The app with two probe routes that lose their connection mid-request."""
    probe = Blueprint("outage_probe", __name__)

    @probe.route("/probe/lose-then-answer")
    def lose_then_answer():
        _kill_own_connection()
        return {"answered": True}  # the teardown then closes a dead session

    @probe.route("/probe/lose-then-query")
    def lose_then_query():
        _kill_own_connection()
        db.session.execute(text("SELECT 1"))
        return {"answered": True}

    app.register_blueprint(probe)
    return app


def test_a_dead_connection_at_teardown_does_not_replace_the_response(outage_app):
    client = outage_app.test_client()
    resp = client.get("/probe/lose-then-answer")  # teardown raising would surface here
    assert resp.status_code == 200 and resp.get_json() == {"answered": True}
    # The pool recovers: the next request gets a working connection.
    assert client.get("/healthz").status_code == 200


def test_losing_the_connection_mid_request_is_503(outage_app, auth):
    client = outage_app.test_client()
    assert_unavailable(client.get("/probe/lose-then-query"))
    assert client.get("/api/v1/requests", headers=auth("admin")).status_code == 200
