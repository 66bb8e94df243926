"""The public API of §4: intake, follow-up, idempotency, errors."""

from __future__ import annotations

import hashlib

import pytest

from pirights.requests.lifecycle import COMPLAINT_TYPES, TYPES
from tests.conftest import valid_request

URL = "/api/v1/public/requests"


@pytest.mark.parametrize("rtype", TYPES)
def test_intake_accepts_every_type(client, rtype):
    refs = ["conv-1"] if rtype in COMPLAINT_TYPES else []
    resp = client.post(URL, json=valid_request(type=rtype, content_refs=refs))
    assert resp.status_code == 201
    body = resp.get_json()
    assert set(body) == {
        "reference",
        "tracking_token",
        "status",
        "type",
        "received_at",
        "due_at",
        "identity_verified",  # §12.1: where the one-time code went
        "verification_channel",
    }
    assert body["status"] == "received" and body["type"] == rtype
    assert body["reference"].startswith("PIR-") and len(body["reference"]) == 15


def test_example_due_date_from_spec(client, clock):
    resp = client.post(URL, json=valid_request())
    assert resp.get_json()["due_at"] == "2026-10-27T23:59:59+08:00"
    assert resp.get_json()["received_at"].startswith("2026-09-30T10:00:00")


@pytest.mark.parametrize("rtype", COMPLAINT_TYPES)
def test_complaints_need_content_refs(client, rtype):
    resp = client.post(URL, json=valid_request(type=rtype, content_refs=[]))
    assert resp.status_code == 422
    assert "content_refs" in resp.get_json()["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "nope"}, "type"),
        ({"description": ""}, "description"),
        ({"description": "x" * 10001}, "description"),
        ({"requester": {"name": "A"}}, "email"),
        ({"requester": {"email": "a@b.cn"}}, "name"),
        ({"requester": {"name": "A", "email": "not-an-email"}}, "email"),
        ({"requester": {"name": "A", "phone": "call me"}}, "phone"),
        (
            {"requester": {"name": "A", "email": "a@b.cn", "relationship": "guardian"}},
            "on_behalf_of",
        ),
        ({"requester": {"name": "A", "email": "a@b.cn", "relationship": "cousin"}}, "relationship"),
        ({"jurisdiction": "XX"}, "jurisdiction"),
        ({"content_refs": "conv-1"}, "content_refs"),
        ({"locale": "fr"}, "locale"),
        ({"surprise": 1}, "surprise"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_bad_fields_get_422_naming_them(client, change, field):
    body = valid_request(**change)
    resp = client.post(URL, json=body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert field in str(problem["errors"]), problem
    assert problem["status"] == 422 and problem["title"] and problem["detail"]


def test_lone_surrogate_is_422_not_500(client):
    import json

    text = json.dumps(valid_request(description="\ud800"))  # ASCII escapes: "\\ud800"
    resp = client.post(URL, data=text, content_type="application/json")
    assert resp.status_code == 422
    assert "description" in resp.get_json()["errors"]


def test_proxy_requests_record_relationship(client, auth):
    who = {
        "name": "李四",
        "email": "ls@example.cn",
        "relationship": "guardian",
        "on_behalf_of": "李小四",
    }
    ref = client.post(URL, json=valid_request(requester=who)).get_json()["reference"]
    detail = client.get(f"/api/v1/requests/{ref}", headers=auth("agent")).get_json()
    assert detail["requester"]["relationship"] == "guardian"
    assert detail["requester"]["on_behalf_of"] == "李小四"


def test_references_are_unique_and_unguessable(client):
    refs = {client.post(URL, json=valid_request()).get_json()["reference"] for _ in range(20)}
    assert len(refs) == 20


def test_tracking_token_is_stored_only_as_hash(app, submit):
    from sqlalchemy import select

    from pirights.extensions import db
    from pirights.requests.models import Request

    answer = submit()
    with app.app_context():
        row = db.session.scalar(select(Request))
        stored = row.tracking_token_hash
    token = answer["tracking_token"]
    # Computed here, not with the app's helper: the column holds SHA-256 of the token.
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored


def test_status_lookup_and_uniform_404(client, submit):
    answer = submit()
    ref, token = answer["reference"], answer["tracking_token"]
    ok = client.get(f"{URL}/{ref}", headers={"X-Tracking-Token": token})
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["status"] == "received" and body["messages"] == [] and body["outcome"] is None
    answers = [
        client.get(f"{URL}/PIR-00000-00000", headers={"X-Tracking-Token": token}),
        client.get(f"{URL}/{ref}"),
        client.get(f"{URL}/{ref}", headers={"X-Tracking-Token": token + "x"}),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.get_data() for r in answers}) == 1


def test_reference_lookup_tolerates_case_and_lookalikes(client, submit):
    answer = submit()
    typed = answer["reference"].lower().replace("0", "o")
    resp = client.get(f"{URL}/{typed}", headers={"X-Tracking-Token": answer["tracking_token"]})
    assert resp.status_code == 200


def test_idempotency_key_returns_first_answer(client, app):
    from sqlalchemy import func, select

    from pirights.extensions import db
    from pirights.requests.models import Request

    headers = {"Idempotency-Key": "abc-123"}
    first = client.post(URL, json=valid_request(), headers=headers)
    again = client.post(URL, json=valid_request(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    other = client.post(URL, json=valid_request(description="different"), headers=headers)
    assert other.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Request)) == 1


def test_requester_reply_resumes_awaiting_request(client, submit, auth):
    answer = submit()
    ref, tok = answer["reference"], {"X-Tracking-Token": answer["tracking_token"]}
    staff = auth("agent")
    for action in (
        {"action": "verify_identity", "method": "email_code"},
        {"action": "accept"},
        {"action": "request_info", "message": "Which account?"},
    ):
        assert (
            client.post(
                f"/api/v1/requests/{ref}/transitions", json=action, headers=staff
            ).status_code
            == 200
        )
    status = client.get(f"{URL}/{ref}", headers=tok).get_json()
    assert status["status"] == "awaiting_requester"
    assert status["messages"][0] == {
        "from": "staff",
        "body": "Which account?",
        "at": status["messages"][0]["at"],
    }
    reply = client.post(f"{URL}/{ref}/messages", json={"body": "u-1"}, headers=tok)
    assert reply.status_code == 201
    assert reply.get_json()["status"] == "in_progress"
    assert [m["from"] for m in reply.get_json()["messages"]] == ["staff", "requester"]


def test_requester_withdraws(client, submit):
    answer = submit()
    ref, tok = answer["reference"], {"X-Tracking-Token": answer["tracking_token"]}
    resp = client.post(f"{URL}/{ref}/withdraw", headers=tok)
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "withdrawn"
    again = client.post(f"{URL}/{ref}/withdraw", headers=tok)
    assert again.status_code == 409
    assert client.post(f"{URL}/{ref}/withdraw").status_code == 404
    assert client.post(f"{URL}/{ref}/messages", json={"body": "hi"}, headers=tok).status_code == 409


def test_refusal_shows_reason_basis_and_rights(client, submit, auth):
    answer = submit()
    ref = answer["reference"]
    client.post(
        f"/api/v1/requests/{ref}/transitions",
        headers=auth("agent"),
        json={
            "action": "refuse",
            "legal_basis": "rights_of_others",
            "reason": "The data also identifies another person.",
        },
    )
    out = client.get(f"{URL}/{ref}", headers={"X-Tracking-Token": answer["tracking_token"]})
    outcome = out.get_json()["outcome"]
    assert outcome["result"] == "refused"
    assert outcome["reason"] == "The data also identifies another person."
    assert outcome["legal_basis"] == "rights_of_others"
    assert "Art 65" in outcome["rights_notice"] and "Art 50" in outcome["rights_notice"]
