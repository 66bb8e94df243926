"""Refused staff authentication is audited as auth.denied, never with the token (§8.1)."""

from __future__ import annotations

import pytest

from tests.audit.helpers import EXPORT, jsonl_events

LIST = "/api/v1/requests"


def denials(client, headers) -> tuple[list[dict], str]:
    """The auth.denied events of a full export, and the export's text."""
    body = client.get(EXPORT, headers=headers).get_data(as_text=True)
    return [e for e in jsonl_events(body) if e["action"] == "auth.denied"], body


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_token"),
        ("Bearer ", "missing_token"),
        ("Basic dXNlcjpwYXNz", "missing_token"),
        ("Bearer pir_wrongtoken_0123456789abcdefghijklmnopqrstuv", "invalid_token"),
    ],
)
def test_missing_and_wrong_tokens_are_audited_without_the_token(client, auth, header, reason):
    auditor = auth("auditor")
    headers = {"Authorization": header} if header else {}
    resp = client.get(LIST, headers=headers)
    assert resp.status_code == 401
    events, body = denials(client, auditor)
    assert len(events) == 1
    assert events[0]["actor"] == "system"
    data = events[0]["data"]
    assert data == {**data, "reason": reason, "route": "/api/v1/requests", "count": 1}
    # The client address is personal data: only a keyed hash of it is kept.
    assert set(data) == {"reason", "route", "count", "client"}
    assert len(data["client"]) == 16 and "127.0.0.1" not in body
    secret = (header or "").partition(" ")[2].strip()
    if secret:
        assert secret not in body


def test_a_revoked_token_is_audited_without_the_token(app, client, auth, make_staff):
    from pirights.staff.service import revoke_staff

    auditor = auth("auditor")
    token = make_staff("leaver", "agent")
    assert client.get(LIST, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context():
        assert revoke_staff("leaver") == 1
    resp = client.get(f"{LIST}/PIR-XXXX", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    events, body = denials(client, auditor)
    assert [e["data"]["reason"] for e in events] == ["revoked_token"]
    assert events[0]["data"]["route"] == "/api/v1/requests/<string:reference>"
    assert token not in body and token[4:] not in body


def test_a_role_refusal_is_audited_with_the_member_not_the_token(client, auth, make_staff):
    auditor = auth("auditor")
    token = make_staff("helper", "agent")
    assert client.get(EXPORT, headers={"Authorization": f"Bearer {token}"}).status_code == 403
    events, body = denials(client, auditor)
    assert events[0]["actor"] == "staff:helper"
    assert events[0]["data"] == {"reason": "role", "role": "agent", "route": "/api/v1/audit/export"}
    assert token not in body


FLOOD_FROM = {"REMOTE_ADDR": "198.51.100.23"}
GARBAGE = {"Authorization": "Bearer pir_garbage-token-from-a-flood"}


def flood(client, times: int) -> list[int]:
    """Staff requests with a garbage token from one address; their statuses."""
    return [
        client.get(LIST, headers=GARBAGE, environ_base=FLOOD_FROM).status_code for _ in range(times)
    ]


def test_failed_authentication_is_rate_limited_per_address(client, auth):
    statuses = flood(client, 15)
    assert statuses == [401] * 10 + [429] * 5  # limits.staff_auth_failures = 10/minute
    resp = client.get(LIST, headers=GARBAGE, environ_base=FLOOD_FROM)
    assert resp.status_code == 429 and resp.mimetype == "application/problem+json"
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    # Other addresses, and valid tokens from them, are not affected.
    admin = auth("admin")
    other = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get(LIST, headers=admin, environ_base=other).status_code == 200
    assert client.get(LIST, headers=GARBAGE, environ_base=other).status_code == 401


def test_a_flood_costs_one_event_per_address_per_minute_with_a_count(client, auth, clock):
    from datetime import timedelta

    flood(client, 300)
    auditor = auth("auditor")
    events, _ = denials(client, auditor)
    assert [e["data"]["count"] for e in events] == [1]
    clock.set(clock.moment + timedelta(minutes=1))
    flood(client, 1)
    events, _ = denials(client, auditor)
    # The next minute's event counts every refusal since the previous event.
    assert [e["data"]["count"] for e in events] == [1, 300]
    assert events[1]["data"]["reason"] == "throttled"
    assert events[0]["data"]["client"] == events[1]["data"]["client"]


def test_without_a_budget_refusals_are_still_audited_boundedly(app_overrides, request):
    app_overrides["limits"] = {"staff_auth_failures": "off"}
    client, auth = request.getfixturevalue("client"), request.getfixturevalue("auth")
    assert set(flood(client, 50)) == {401}
    events, _ = denials(client, auth("auditor"))
    assert [e["data"]["count"] for e in events] == [1]
