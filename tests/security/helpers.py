"""Shared checks for the security tests."""

from __future__ import annotations

from sqlalchemy import func, select

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def row_counts(app) -> dict[str, int]:
    """How many rows each table holds, to prove a refused request wrote nothing."""
    from pirights.models import AuditEvent, IdempotencyRecord, Message, Note, Request

    with app.app_context():
        from pirights.extensions import db

        s = db.session
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model))
            for model in (Request, Message, Note, IdempotencyRecord, AuditEvent)
        }


def assert_problem(resp, *statuses: int) -> dict:
    """The response is a 4xx problem+json with one of `statuses`; returns its body."""
    assert resp.status_code in statuses, (resp.status_code, resp.get_data()[:300])
    assert 400 <= resp.status_code < 500
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == resp.status_code
    return body


# Distinctive values, so a search of logs or raw storage cannot match anything by chance.
SECRETS = {
    "name": "罗晓梅Sentinelname",
    "email": "xiaomei.sentinelmail@example.cn",
    "phone": "+8613912345678",
    "account_id": "acct-sentinel-7731",
    "on_behalf_of": "罗小宝Sentinelchild",
    "description": "Sentineldescription: delete my voice clips 声音",
    "content_ref": "conv-sentinelref-9",
    "requester_message": "Sentinelreply from the requester",
    "info_request": "Sentinelinforequest please send ID",
    "note": "Sentinelnote internal only",
    "staff_message": "Sentinelstaffmessage to the requester",
    "resolution": "Sentinelresolution all deleted",
}


def full_lifecycle(client, admin_headers: dict) -> dict:
    """Drive one request through intake, follow-up and staff handling to completion.

    Returns every value a person typed and every token that travelled, for tests that
    must find none of them where they do not belong.
    """
    s = SECRETS
    body = {
        "type": "delete",
        "requester": {
            "name": s["name"],
            "email": s["email"],
            "phone": s["phone"],
            "account_id": s["account_id"],
            "relationship": "guardian",
            "on_behalf_of": s["on_behalf_of"],
        },
        "description": s["description"],
        "content_refs": [s["content_ref"]],
        "jurisdiction": "CN",
    }
    created = client.post(
        "/api/v1/public/requests", json=body, headers={"Idempotency-Key": "idem-sentinel-1"}
    )
    assert created.status_code == 201, created.get_json()
    ref, token = created.get_json()["reference"], created.get_json()["tracking_token"]
    requester = {"X-Tracking-Token": token}
    staff = "/api/v1/requests"

    def ok(resp, status=200):
        assert resp.status_code == status, resp.get_data()[:300]
        return resp

    ok(client.get(f"/api/v1/public/requests/{ref}", headers=requester))
    ok(client.get(staff, query_string={"email": s["email"]}, headers=admin_headers))
    ok(client.get(staff, query_string={"phone": s["phone"]}, headers=admin_headers))
    ok(client.get(f"{staff}/{ref}", headers=admin_headers))
    for action in (
        {"action": "verify_identity", "method": "email_code"},
        {"action": "accept"},
        {"action": "request_info", "message": s["info_request"]},
    ):
        ok(client.post(f"{staff}/{ref}/transitions", json=action, headers=admin_headers))
    ok(
        client.post(
            f"/api/v1/public/requests/{ref}/messages",
            json={"body": s["requester_message"]},
            headers=requester,
        ),
        201,
    )
    ok(client.post(f"{staff}/{ref}/notes", json={"body": s["note"]}, headers=admin_headers), 201)
    ok(
        client.post(
            f"{staff}/{ref}/messages", json={"body": s["staff_message"]}, headers=admin_headers
        ),
        201,
    )
    ok(
        client.post(
            f"{staff}/{ref}/transitions",
            json={"action": "complete", "resolution": s["resolution"]},
            headers=admin_headers,
        )
    )
    ok(client.get(f"/api/v1/public/requests/{ref}", headers=requester))
    bearer = admin_headers["Authorization"].split(" ", 1)[1]
    return {"reference": ref, "tracking_token": token, "staff_token": bearer, **s}
