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
    assert events[0]["data"] == {"reason": reason, "route": "/api/v1/requests"}
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
