"""Shared fixtures: a clean database per test, on SQLite or on PostgreSQL.

PIRIGHTS_TEST_DATABASE_URL chooses PostgreSQL (CI runs the suite once with it and once
without). Migrations run once per session; each test then starts from empty tables.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings

from bench.common import reset_database
from pirights import create_app
from pirights.cli import alembic_config

PG_URL = os.environ.get("PIRIGHTS_TEST_DATABASE_URL", "")
TEST_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()

# No per-example time limit: the test machines are shared, and a busy core made pure
# examples fail as "too slow" (Hypothesis's default 200 ms deadline) at random.
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")


def pytest_report_header(config):
    """Say which database this run uses."""
    return f"pirights database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


def pytest_collection_modifyitems(config, items):
    """Skip tests marked postgres_only when the run uses SQLite."""
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set PIRIGHTS_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _upgrade(url: str) -> None:
    """Apply every migration to `url`."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def migrated(tmp_path_factory) -> str:
    """A migrated database: the PostgreSQL one, or a SQLite template file."""
    if PG_URL:
        _upgrade(PG_URL)
        return PG_URL
    template = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _upgrade(f"sqlite:///{template}")
    return str(template)


@pytest.fixture
def database_url(migrated, tmp_path) -> str:
    """A clean database for this test."""
    if PG_URL:
        reset_database(migrated)
        return migrated
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(migrated, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_overrides(database_url) -> dict:
    """Configuration for the test app; tests may extend it before `app` is built."""
    return {
        "database": {"url": database_url},
        "security": {"encryption_key": TEST_KEY, "secret_key": "test-secret"},
        "public": {"rate_limit": "off"},
        # Writers sequence their own events, so a test reads them at once; the
        # background thread has tests of its own (tests/audit/test_background.py).
        "audit": {"sequencing": "after_commit"},
    }


@pytest.fixture
def app(app_overrides, tmp_path) -> Iterator:
    """The application on a clean database."""
    application = create_app(app_overrides, instance_path=str(tmp_path / "instance"))
    application.config["TESTING"] = True
    yield application
    application.extensions["pirights_db"].engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def make_staff(app) -> Callable[..., str]:
    """Create a staff member; returns the bearer token."""
    from pirights.staff.service import add_staff

    def make(name: str = "alice", role: str = "agent") -> str:
        with app.app_context():
            _, token = add_staff(name, role)
        return token

    return make


@pytest.fixture
def auth(make_staff) -> Callable[..., dict]:
    """Headers for a new member of the given role (named after it unless told)."""

    def headers(role: str = "agent", name: str | None = None) -> dict:
        return {"Authorization": f"Bearer {make_staff(name or role, role)}"}

    return headers


class FrozenClock:
    """A settable clock for tests of time-dependent rules."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        """Move to an absolute time."""
        self.moment = moment


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    """Freeze pirights.clock.now (default 2026-09-30 10:00 +08:00)."""
    frozen = FrozenClock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    monkeypatch.setattr("pirights.clock.now", frozen)
    return frozen


def valid_request(**changes) -> dict:
    """A valid public submission, with top-level changes applied."""
    body = {
        "type": "delete",
        "requester": {"name": "张三", "email": "zs@example.cn", "phone": "+8613800138000"},
        "description": "Delete my chat history and any profile built from it.",
        "content_refs": [],
        "jurisdiction": "CN",
        "locale": "zh-CN",
    }
    body.update(changes)
    return body


@pytest.fixture
def submit(client) -> Callable[..., dict]:
    """Submit a request through the public API; returns the 201 body."""

    def do(**changes) -> dict:
        resp = client.post("/api/v1/public/requests", json=valid_request(**changes))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return do


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests put screenshots and other files for people to look at."""
    path = Path(os.environ.get("PIRIGHTS_TEST_ARTIFACTS", "test-artifacts")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def uncached_conversions(monkeypatch) -> Callable[[], list[bytes]]:
    """Start recording the statements psycopg converts to $n placeholders without its cache
    (database._cache_statements_with_many_parameters); returns the list it fills."""
    from psycopg import _queries

    def start() -> list[bytes]:
        parsed: list[bytes] = []
        uncached = _queries._query2pg_nocache

        def spy(query, encoding):
            parsed.append(query)
            return uncached(query, encoding)

        monkeypatch.setattr(_queries, "_query2pg_nocache", spy)
        return parsed

    return start
