"""The audit tests count and locate events, so their submissions record exactly one event.

A public submission with an email address also records `identity.code_sent` (§12.1); these
tests submit with a phone number only (no SMS gateway is configured in tests, so no code is
sent), which keeps "one submission, one event" true. Verification's own events are tested
in tests/verification.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import valid_request

PHONE_ONLY = {"name": "张三", "phone": "+8613800138000"}


@pytest.fixture
def submit(client) -> Callable[..., dict]:
    """Submit a phone-only request through the public API; returns the 201 body."""

    def do(**changes) -> dict:
        changes.setdefault("requester", PHONE_ONLY)
        resp = client.post("/api/v1/public/requests", json=valid_request(**changes))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return do
