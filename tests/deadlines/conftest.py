"""Helpers for the deadline integration tests: staff intake and lifecycle via the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from tests.conftest import valid_request


def at(text: str) -> datetime:
    """An aware datetime from ISO text."""
    return datetime.fromisoformat(text)


@pytest.fixture
def staff_headers(auth) -> dict[str, dict]:
    """One member per role that the deadline tests use."""
    return {role: auth(role) for role in ("agent", "supervisor", "admin", "auditor")}


@pytest.fixture
def intake(client, staff_headers) -> Callable[..., dict]:
    """Record a request by staff intake (channel letter); returns the representation."""

    def do(received_at: str | None = None, **changes) -> dict:
        body = valid_request(**changes)
        body["channel"] = "letter"
        if received_at is not None:
            body["received_at"] = received_at
        resp = client.post("/api/v1/requests", json=body, headers=staff_headers["agent"])
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return do


@pytest.fixture
def act(client, staff_headers) -> Callable[..., dict]:
    """Apply a §3.2 action as the agent (or `role`); returns the JSON answer."""

    def do(reference: str, action: str, role: str = "agent", status: int = 200, **fields) -> dict:
        resp = client.post(
            f"/api/v1/requests/{reference}/transitions",
            json={"action": action, **fields},
            headers=staff_headers[role],
        )
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    return do


@pytest.fixture
def start(act) -> Callable[[str], dict]:
    """Verify identity and accept: the request is in_progress."""

    def do(reference: str) -> dict:
        act(reference, "verify_identity", method="email_code")
        return act(reference, "accept")

    return do
