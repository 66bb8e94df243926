"""What staff see of a request (§5): the conversation, auditor masking, and the schema."""

from __future__ import annotations

import json

import pytest

from pirights.requests.schemas import (
    MeasureOutSchema,
    NoteOutSchema,
    RequestOutSchema,
    RequestSummarySchema,
    StaffMessageOutSchema,
)
from tests.conftest import valid_request

BASE = "/api/v1/requests"
COMPLAINT_ONLY = {
    "measure_due_at",
    "measure_overdue",
    "measures",
    "remediation_due_at",
    "remediated_at",
    "remediation_overdue",
}
# Free text a person typed, each distinctive so a search of a body cannot match by chance.
TEXT = {
    "name": "罗晓梅Sentinel",
    "email": "xiaomei.sentinel@example.cn",
    "phone": "+8613912345678",
    "content_ref": "https://weibo.example/luoxiaomei-sentinel/42",
    "description": "Sentineldescription of my portrait",
    "extension": "Sentinelextension waiting for 罗晓梅's records",
    "info_request": "Sentinelinforequest send the picture",
    "reply": "Sentinelreply here is my ID card",
    "note": "Sentinelnote called her at home",
    "staff_message": "Sentinelstaffmessage we removed it",
    "measure": "Sentinelmeasure filtered outputs naming 罗晓梅",
    "resolution": "Sentinelresolution content stopped",
    "reason": "Sentinelreason partly outside our service",
    "remediation": "Sentinelremediation refusals for 罗晓梅",
}


def ok(resp, status=200):
    """The response has `status`; returns its JSON."""
    assert resp.status_code == status, resp.get_data()[:400]
    return resp.get_json()


@pytest.fixture
def handled(client, auth):
    """A portrait complaint with every kind of staff and requester text; returns its parts."""
    admin = auth("admin", name="ann")
    body = valid_request(
        type="portrait_complaint",
        requester={"name": TEXT["name"], "email": TEXT["email"], "phone": TEXT["phone"]},
        description=TEXT["description"],
        content_refs=[TEXT["content_ref"], "conv-2"],
    )
    answer = ok(client.post("/api/v1/public/requests", json=body), 201)
    ref, token = answer["reference"], {"X-Tracking-Token": answer["tracking_token"]}
    url = f"{BASE}/{ref}"
    for action in (
        {"action": "verify_identity", "method": "email_code"},
        {"action": "accept"},
        {"action": "request_info", "message": TEXT["info_request"]},
    ):
        ok(client.post(f"{url}/transitions", json=action, headers=admin))
    ok(
        client.post(
            f"{url}/extensions", json={"days": 3, "reason": TEXT["extension"]}, headers=admin
        ),
        201,
    )
    reply = {"body": TEXT["reply"]}
    ok(client.post(f"/api/v1/public/requests/{ref}/messages", json=reply, headers=token), 201)
    ok(client.post(f"{url}/notes", json={"body": TEXT["note"]}, headers=admin), 201)
    ok(client.post(f"{url}/messages", json={"body": TEXT["staff_message"]}, headers=admin), 201)
    measure = {"kind": "filter", "detail": TEXT["measure"]}
    ok(client.post(f"{url}/measures", json=measure, headers=admin), 201)
    done = {
        "action": "complete",
        "result": "partial",
        "resolution": TEXT["resolution"],
        "reason": TEXT["reason"],
    }
    ok(client.post(f"{url}/transitions", json=done, headers=admin))
    fix = {"detail": TEXT["remediation"], "model_version": "gen-2026.12"}
    ok(client.post(f"{url}/remediation", json=fix, headers=admin), 201)
    return ref


def test_staff_read_the_whole_conversation_and_the_notes(client, auth, handled):
    body = ok(client.get(f"{BASE}/{handled}", headers=auth("agent")))
    assert [(m["from"], m["body"]) for m in body["messages"]] == [
        ("staff", TEXT["info_request"]),
        ("requester", TEXT["reply"]),
        ("staff", TEXT["staff_message"]),
    ]
    assert all(m["at"].endswith("+08:00") for m in body["messages"])
    [note] = body["notes"]
    assert (note["author"], note["body"]) == ("ann", TEXT["note"])
    assert note["at"].endswith("+08:00")


def test_the_note_answer_matches_the_note_in_the_detail(client, auth, submit):
    headers = auth("agent")
    ref = submit()["reference"]
    note = ok(
        client.post(f"{BASE}/{ref}/notes", json={"body": "Called back."}, headers=headers), 201
    )
    assert ok(client.get(f"{BASE}/{ref}", headers=headers))["notes"] == [note]


def test_the_list_leaves_the_conversation_to_the_detail(client, auth, handled):
    [item] = ok(client.get(BASE, headers=auth("agent")))["items"]
    assert item["reference"] == handled
    assert "messages" not in item and "notes" not in item


@pytest.mark.parametrize("view", ["detail", "list"])
def test_auditors_see_no_free_text_that_may_name_the_person(client, auth, handled, view):
    headers = auth("auditor")
    if view == "detail":
        body = ok(client.get(f"{BASE}/{handled}", headers=headers))
    else:
        [body] = ok(client.get(BASE, headers=headers))["items"]
    blob = json.dumps(body, ensure_ascii=False)
    for key, value in TEXT.items():
        assert value not in blob, key
    assert "罗晓梅" not in blob.replace(body["requester"]["name"], "")
    assert body["content_refs"] == ["[masked]", "[masked]"]
    assert body["outcome"]["resolution"] == body["outcome"]["reason"] == "[masked]"
    assert body["outcome"]["result"] == "partial"
    assert [e["reason"] for e in body["extensions"]] == ["[masked]"]
    assert [(m["kind"], m["detail"]) for m in body["measures"]] == [("filter", "[masked]")]
    if view == "detail":
        # What happened and when stays visible; what was written does not.
        assert [(m["from"], m["body"]) for m in body["messages"]] == [
            ("staff", "[masked]"),
            ("requester", "[masked]"),
            ("staff", "[masked]"),
        ]
        assert "notes" not in body


def test_other_roles_see_the_free_text(client, auth, handled):
    body = ok(client.get(f"{BASE}/{handled}", headers=auth("supervisor")))
    assert body["content_refs"] == [TEXT["content_ref"], "conv-2"]
    assert body["outcome"]["reason"] == TEXT["reason"]
    assert body["extensions"][0]["reason"] == TEXT["extension"]
    assert body["measures"][0]["detail"] == TEXT["measure"]


@pytest.mark.parametrize(
    "query", ["email=zs@example.cn", "phone=%2B8613800138000", "email=x@y.cn&status=received"]
)
def test_auditors_may_not_search_by_email_or_phone(client, auth, submit, query):
    submit()
    resp = client.get(f"{BASE}?{query}", headers=auth("auditor"))
    assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
    assert "Auditors may not filter" in resp.get_json()["detail"]
    found = client.get(f"{BASE}?{query}", headers=auth("supervisor"))
    assert found.status_code == 200


def test_auditors_may_use_the_other_filters(client, auth, submit):
    ref = submit()["reference"]
    items = ok(client.get(f"{BASE}?status=received", headers=auth("auditor")))["items"]
    assert [i["reference"] for i in items] == [ref]


# --- the presenter and the documented schema say the same thing (issue 12, item 5) ---


def fields_of(schema) -> set[str]:
    """The JSON keys a marshmallow schema documents."""
    return {f.data_key or name for name, f in schema().fields.items()}


def assert_matches(body: dict, schema, absent: set[str]) -> None:
    """`body` has exactly the schema's keys minus `absent`, nested lists included."""
    assert set(body) == fields_of(schema) - absent
    for key, nested in (
        ("messages", StaffMessageOutSchema),
        ("notes", NoteOutSchema),
        ("measures", MeasureOutSchema),
    ):
        for item in body.get(key, []):
            assert set(item) == fields_of(nested), key
    for key in ("requester", "clock"):
        assert set(body[key]) == fields_of(type(schema().fields[key].schema)), key
    for item in body["extensions"]:
        assert set(item) == fields_of(type(schema().fields["extensions"].inner.schema))


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", ["plain", "complaint"])
def test_presenter_keys_are_the_schema_fields(app, client, auth, handled, submit, masked, kind):
    from sqlalchemy import select

    from pirights import clock
    from pirights.extensions import db
    from pirights.requests.models import Request
    from pirights.requests.present import for_staff

    if kind == "plain":
        ref = submit(type="access")["reference"]
        admin = auth("admin", name="adm")
        ok(client.post(f"{BASE}/{ref}/notes", json={"body": "n"}, headers=admin), 201)
        ok(client.post(f"{BASE}/{ref}/messages", json={"body": "m"}, headers=admin), 201)
    else:
        ref = handled
    absent = COMPLAINT_ONLY if kind == "plain" else set()
    with app.app_context():
        req = db.session.scalar(select(Request).where(Request.reference == ref))
        detail = for_staff(req, clock.now(), masked=masked)
        item = for_staff(req, clock.now(), masked=masked, detail=False)
    # The presenter's own output, not the HTTP body: dumping through the schema would
    # drop undocumented keys and so hide the very mismatch this test is for.
    assert detail["messages"] and (masked or detail["notes"])
    assert_matches(detail, RequestOutSchema, absent | ({"notes"} if masked else set()))
    assert_matches(item, RequestSummarySchema, absent)


def test_openapi_documents_the_conversation_in_the_detail_only(client):
    schemas = ok(client.get("/api/v1/openapi.json"))["components"]["schemas"]
    detail, summary = schemas["RequestOut"]["properties"], schemas["RequestSummary"]["properties"]
    assert {"messages", "notes"} <= set(detail) and not {"messages", "notes"} & set(summary)
    assert set(schemas["StaffMessageOut"]["properties"]) == {"from", "body", "at"}
    assert {"author", "body", "at"} <= set(schemas["NoteOut"]["properties"])
    assert "absent for auditors" in detail["notes"]["description"]
