"""The state machine of §3.2: every action from every status, and random sequences."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pirights.requests import lifecycle as lc

FIELDS = {
    "verify_identity": {"method": "email_code"},
    "accept": {},
    "request_info": {"message": "Please confirm your account id."},
    "resume": {},
    "complete": {"resolution": "Deleted the chat history."},
    "refuse": {"legal_basis": "legal_obligation", "reason": "Kept under the Cybersecurity Law."},
    "withdraw": {"reason": "Requester called to withdraw."},
    "reopen": {"reason": "Requester showed the deletion was incomplete."},
}

# How to bring a fresh request into each status.
PATHS = {
    lc.RECEIVED: [],
    lc.IN_PROGRESS: ["verify_identity", "accept"],
    lc.AWAITING: ["verify_identity", "accept", "request_info"],
    lc.COMPLETED: ["verify_identity", "accept", "complete"],
    lc.REFUSED: ["refuse"],
    lc.WITHDRAWN: ["withdraw"],
}

# §3.2 written out by hand, independently of lifecycle.ACTIONS.
TABLE = {
    ("verify_identity", lc.RECEIVED): lc.RECEIVED,
    ("verify_identity", lc.IN_PROGRESS): lc.IN_PROGRESS,
    ("verify_identity", lc.AWAITING): lc.AWAITING,
    ("accept", lc.RECEIVED): lc.IN_PROGRESS,
    ("request_info", lc.IN_PROGRESS): lc.AWAITING,
    ("resume", lc.AWAITING): lc.IN_PROGRESS,
    ("complete", lc.IN_PROGRESS): lc.COMPLETED,
    ("refuse", lc.RECEIVED): lc.REFUSED,
    ("refuse", lc.IN_PROGRESS): lc.REFUSED,
    ("refuse", lc.AWAITING): lc.REFUSED,
    ("withdraw", lc.RECEIVED): lc.WITHDRAWN,
    ("withdraw", lc.IN_PROGRESS): lc.WITHDRAWN,
    ("withdraw", lc.AWAITING): lc.WITHDRAWN,
    ("reopen", lc.COMPLETED): lc.IN_PROGRESS,
    ("reopen", lc.REFUSED): lc.IN_PROGRESS,
}


def act(client, ref, headers, action, **extra):
    """POST one transition."""
    body = {"action": action, **FIELDS[action], **extra}
    return client.post(f"/api/v1/requests/{ref}/transitions", json=body, headers=headers)


def in_status(client, submit, headers, status):
    """A new request brought into `status`."""
    ref = submit()["reference"]
    for step in PATHS[status]:
        assert act(client, ref, headers, step).status_code == 200
    return ref


@pytest.mark.parametrize("status", lc.STATUSES)
@pytest.mark.parametrize("action", list(FIELDS))
def test_every_action_from_every_status(client, submit, auth, action, status):
    headers = auth("supervisor")
    ref = in_status(client, submit, headers, status)
    if action == "accept" and status == lc.RECEIVED:
        assert act(client, ref, headers, "verify_identity").status_code == 200
    resp = act(client, ref, headers, action)
    expected = TABLE.get((action, status))
    if expected is None:
        assert resp.status_code == 409, resp.get_json()
        assert resp.mimetype == "application/problem+json"
        after = client.get(f"/api/v1/requests/{ref}", headers=headers).get_json()
        assert after["status"] == status
    else:
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert body["status"] == expected
        assert (body["closed_at"] is not None) == (expected in lc.TERMINAL)


def test_table_matches_lifecycle_module():
    derived = {(a.name, s): a.target or s for a in lc.ACTIONS.values() for s in a.sources}
    assert derived == TABLE


def test_accept_needs_verified_identity(client, submit, auth):
    headers = auth("agent")
    ref = submit()["reference"]
    resp = act(client, ref, headers, "accept")
    assert resp.status_code == 409
    assert "verify" in resp.get_json()["detail"].lower()


@pytest.mark.parametrize("action", [a for a, f in FIELDS.items() if f])
def test_missing_required_field_is_422(client, submit, auth, action):
    headers = auth("supervisor")
    ref = submit()["reference"]
    resp = client.post(
        f"/api/v1/requests/{ref}/transitions", json={"action": action}, headers=headers
    )
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == set(FIELDS[action])


def test_unknown_action_and_unused_field_are_422(client, submit, auth):
    headers = auth("agent")
    ref = submit()["reference"]
    resp = client.post(
        f"/api/v1/requests/{ref}/transitions", json={"action": "approve"}, headers=headers
    )
    assert resp.status_code == 422 and "action" in resp.get_json()["errors"]
    resp = act(client, ref, headers, "accept", legal_basis="abuse")
    assert resp.status_code == 422 and "legal_basis" in resp.get_json()["errors"]


def test_refusal_needs_a_known_legal_basis(client, submit, auth):
    headers = auth("agent")
    ref = submit()["reference"]
    resp = act(client, ref, headers, "refuse", legal_basis="because")
    assert resp.status_code == 422 and "legal_basis" in resp.get_json()["errors"]


@pytest.mark.parametrize("result", ["partial", "restricted"])
def test_partial_and_restricted_completion_need_a_reason(client, submit, auth, result):
    headers = auth("agent")
    ref = in_status(client, submit, headers, lc.IN_PROGRESS)
    resp = act(client, ref, headers, "complete", result=result)
    assert resp.status_code == 422 and "reason" in resp.get_json()["errors"]
    resp = act(
        client,
        ref,
        headers,
        "complete",
        result=result,
        reason="Backups are kept for 30 days under a legal retention period.",
    )
    assert resp.status_code == 200
    outcome = resp.get_json()["outcome"]
    assert outcome["result"] == result and outcome["reason"].startswith("Backups")


def test_only_supervisors_and_admins_reopen(client, submit, auth):
    agent = auth("agent")
    ref = in_status(client, submit, agent, lc.REFUSED)
    assert act(client, ref, agent, "reopen").status_code == 403
    resp = act(client, ref, auth("admin"), "reopen")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == lc.IN_PROGRESS and body["outcome"] is None
    assert body["closed_at"] is None and body["on_time"] is None


def test_terminal_status_sets_closed_at_and_on_time(client, submit, auth, clock):
    from datetime import timedelta

    headers = auth("agent")
    ref = in_status(client, submit, headers, lc.IN_PROGRESS)
    clock.set(clock.moment + timedelta(days=40))  # well past 2026-10-27
    body = act(client, ref, headers, "complete").get_json()
    assert body["closed_at"] is not None and body["on_time"] is False
    ref2 = submit()["reference"]
    body2 = act(client, ref2, headers, "withdraw").get_json()
    assert body2["on_time"] is True


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(st.sampled_from(list(FIELDS)), min_size=1, max_size=8))
def test_random_sequences_follow_the_table(client, submit, auth, actions):
    headers = _supervisor(auth)
    ref = submit()["reference"]
    status = lc.RECEIVED
    verified = False
    applied = []  # (action, from, to) of every transition the table allows
    for action in actions:
        resp = act(client, ref, headers, action)
        expected = TABLE.get((action, status))
        if action == "accept" and not verified:
            expected = None
        if expected is None:
            assert resp.status_code == 409, (action, status, resp.get_json())
        else:
            assert resp.status_code == 200, (action, status, resp.get_json())
            applied.append((action, status, expected))
            status = expected
            verified = verified or action == "verify_identity"
    final = client.get(f"/api/v1/requests/{ref}", headers=headers).get_json()
    assert final["status"] == status
    # The stored history agrees: exactly the allowed transitions were recorded, in order,
    # and a refused action left no trace.
    events = client.get(f"/api/v1/requests/{ref}/events", headers=headers).get_json()["items"]
    recorded = [
        (e["data"]["action"], e["data"]["from"], e["data"]["to"])
        for e in events
        if e["action"] == "request.transitioned"
    ]
    assert recorded == applied


_tokens: dict[int, dict] = {}


def _supervisor(auth):
    """One supervisor per test run, reused across hypothesis examples."""
    key = id(auth)
    if key not in _tokens:
        _tokens[key] = auth("supervisor", name=f"sup{len(_tokens)}")
    return _tokens[key]
