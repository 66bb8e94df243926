"""Each 409 names its own problem type, so a client can tell the conflicts apart."""

from __future__ import annotations

import pytest

BASE = "/api/v1/requests"
PUBLIC = "/api/v1/public/requests"


def problem_type(resp) -> str:
    """The slug of a 409 problem response."""
    assert resp.status_code == 409, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"].startswith("urn:pirights:problem:"), body
    return body["type"].removeprefix("urn:pirights:problem:")


def act(client, ref, headers, action, **fields):
    """POST one transition."""
    return client.post(
        f"{BASE}/{ref}/transitions", json={"action": action, **fields}, headers=headers
    )


def start(client, ref, headers):
    """Verify identity and accept."""
    assert act(client, ref, headers, "verify_identity", method="account_login").status_code == 200
    assert act(client, ref, headers, "accept").status_code == 200


@pytest.fixture
def sup(auth):
    """A supervisor's headers."""
    return auth("supervisor")


def test_an_action_not_possible_in_the_status_is_wrong_status(client, sup, submit):
    ref = submit()["reference"]
    assert problem_type(act(client, ref, sup, "resume")) == "wrong-status"


def test_accepting_before_verifying_is_identity_unverified(client, sup, submit):
    ref = submit()["reference"]
    assert problem_type(act(client, ref, sup, "accept")) == "identity-unverified"


def test_writing_about_a_closed_request_is_request_closed(client, sup, submit):
    answer = submit(type="block")
    ref, token = answer["reference"], answer["tracking_token"]
    assert act(client, ref, sup, "withdraw", reason="asked to").status_code == 200
    staff_message = client.post(f"{BASE}/{ref}/messages", json={"body": "hi"}, headers=sup)
    assert problem_type(staff_message) == "request-closed"
    reply = client.post(
        f"{PUBLIC}/{ref}/messages", json={"body": "hi"}, headers={"X-Tracking-Token": token}
    )
    assert problem_type(reply) == "request-closed"
    extension = client.post(
        f"{BASE}/{ref}/extensions", json={"days": 5, "reason": "complex"}, headers=sup
    )
    assert problem_type(extension) == "request-closed"
    block = client.post(
        "/api/v1/blocklist",
        json={"terms": ["张三"], "request_ref": ref, "reason": "upheld"},
        headers=sup,
    )
    assert problem_type(block) == "request-closed"


def test_measures_on_a_closed_complaint_are_request_closed(client, sup, submit):
    ref = submit(type="privacy_complaint", content_refs=["c1"])["reference"]
    assert act(client, ref, sup, "withdraw", reason="asked to").status_code == 200
    resp = client.post(
        f"{BASE}/{ref}/measures", json={"kind": "filter", "detail": "d"}, headers=sup
    )
    assert problem_type(resp) == "request-closed"


def test_complaint_actions_on_another_type_are_not_a_complaint(client, sup, submit):
    ref = submit(type="access")["reference"]
    resp = client.post(
        f"{BASE}/{ref}/measures", json={"kind": "filter", "detail": "d"}, headers=sup
    )
    assert problem_type(resp) == "not-a-complaint"


def test_upholding_a_complaint_without_a_measure_is_measure_required(client, sup, submit):
    ref = submit(type="portrait_complaint", content_refs=["c1"])["reference"]
    start(client, ref, sup)
    resp = act(client, ref, sup, "complete", resolution="done")
    assert problem_type(resp) == "measure-required"


def test_remediation_before_and_after_it_is_due(client, sup, submit):
    ref = submit(type="portrait_complaint", content_refs=["c1"])["reference"]
    body = {"detail": "retrained", "model_version": "gen-2"}
    early = client.post(f"{BASE}/{ref}/remediation", json=body, headers=sup)
    assert problem_type(early) == "not-upheld"
    client.post(f"{BASE}/{ref}/measures", json={"kind": "filter", "detail": "d"}, headers=sup)
    start(client, ref, sup)
    assert act(client, ref, sup, "complete", resolution="done").status_code == 200
    assert client.post(f"{BASE}/{ref}/remediation", json=body, headers=sup).status_code == 201
    again = client.post(f"{BASE}/{ref}/remediation", json=body, headers=sup)
    assert problem_type(again) == "already-remediated"


def test_blocking_from_a_type_that_cannot_block_is_type_cannot_block(client, sup, submit):
    ref = submit(type="access")["reference"]
    start(client, ref, sup)
    resp = act(client, ref, sup, "complete", resolution="done", blocklist_terms=["x"])
    assert problem_type(resp) == "type-cannot-block"


def test_a_second_member_with_the_same_name_is_staff_exists(app):
    from pirights.errors import Conflict
    from pirights.staff.service import add_staff

    with app.app_context():
        add_staff("dana", "agent")
        with pytest.raises(Conflict) as refused:
            add_staff("dana", "admin")
    assert refused.value.slug == "staff-exists"


def test_every_conflict_raised_names_its_own_type():
    """Each `Conflict(...)` in the code passes a slug, so no 409 is the generic one."""
    import ast
    from pathlib import Path

    import pirights

    root = Path(pirights.__file__).parent
    unnamed = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Conflict"
                and not any(k.arg == "slug" for k in node.keywords)
            ):
                unnamed.append(f"{path.relative_to(root)}:{node.lineno}")
    assert unnamed == []
