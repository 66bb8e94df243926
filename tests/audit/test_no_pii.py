"""No raw PII, message body or token reaches the audit trail (SPEC §6, §8.1)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.audit.helpers import EXPORT
from tests.conftest import valid_request

PUBLIC = "/api/v1/public/requests"
STAFF = "/api/v1/requests"

SECRETS = {
    "name": "Qzname Wuxiaoming",
    "behalf": "Qzbehalf Lilei",
    "email": "qzmail7781@example.cn",
    "phone": "+8613977781234",
    "account": "acct-qz-7781",
    "description": "Qzdescription about my private diary 7781",
    "content_ref": "https://example.cn/qzcontent/7781",
    "staff_name": "Qzstaffname Intake",
    "staff_email": "qzstaffmail7781@example.cn",
    "staff_description": "Qzstaffdesc letter received 7781",
    "reply": "Qzreply here is my id 7781",
    "staff_message": "Qzstaffmessage we are on it 7781",
    "note": "Qznote requester sounded upset 7781",
    "request_info": "Qzrequestinfo send a photo 7781",
    "resolution": "Qzresolution deleted everything 7781",
    "reopen": "Qzreopen found more data 7781",
    "refuse": "Qzrefuse law requires keeping 7781",
    "withdraw": "Qzwithdraw changed my mind 7781",
    "staff_withdraw": "Qzstaffwithdraw duplicate 7781",
    "extension": "Qzextension complex case 7781",
}


def ok(resp, *codes: int):
    """Assert a success status and return the JSON body."""
    assert resp.status_code in (codes or (200,)), (resp.status_code, resp.get_data(as_text=True))
    return resp.get_json()


@pytest.fixture
def everything(client, auth, make_staff) -> tuple[list[str], dict]:
    """Drive every endpoint with distinctive values; returns (secrets, auditor headers)."""
    values = list(SECRETS.values())
    agent_token = make_staff("agent7", "agent")
    boss_token = make_staff("boss7", "supervisor")
    auditor_token = make_staff("audit7", "auditor")
    values += [agent_token, boss_token, auditor_token]
    agent = {"Authorization": f"Bearer {agent_token}"}
    boss = {"Authorization": f"Bearer {boss_token}"}
    auditor = {"Authorization": f"Bearer {auditor_token}"}

    body = valid_request(
        type="delete",
        requester={
            "name": SECRETS["name"],
            "email": SECRETS["email"],
            "phone": SECRETS["phone"],
            "account_id": SECRETS["account"],
            "relationship": "guardian",
            "on_behalf_of": SECRETS["behalf"],
        },
        description=SECRETS["description"],
        content_refs=[SECRETS["content_ref"]],
    )
    created = ok(client.post(PUBLIC, json=body), 201)
    ref, tracking = created["reference"], created["tracking_token"]
    values.append(tracking)
    track = {"X-Tracking-Token": tracking}
    ok(client.get(f"{PUBLIC}/{ref}", headers=track))

    staff_body = valid_request(
        requester={"name": SECRETS["staff_name"], "email": SECRETS["staff_email"]},
        description=SECRETS["staff_description"],
        channel="letter",
    )
    other = ok(client.post(STAFF, json=staff_body, headers=agent), 201)["reference"]

    def act(reference, headers=agent, **fields):
        return ok(client.post(f"{STAFF}/{reference}/transitions", json=fields, headers=headers))

    ok(client.get(f"{STAFF}/{ref}", headers=agent))
    ok(client.get(f"{STAFF}/{ref}", headers=auditor))
    ok(client.get(STAFF, query_string={"email": SECRETS["email"]}, headers=agent))
    ok(client.get(STAFF, query_string={"phone": SECRETS["phone"]}, headers=agent))
    act(ref, action="verify_identity", method="email_code")
    act(ref, action="accept")
    act(ref, action="request_info", message=SECRETS["request_info"])
    ok(client.post(f"{PUBLIC}/{ref}/messages", json={"body": SECRETS["reply"]}, headers=track), 201)
    ok(client.post(f"{STAFF}/{ref}/notes", json={"body": SECRETS["note"]}, headers=agent), 201)
    msg = {"body": SECRETS["staff_message"]}
    ok(client.post(f"{STAFF}/{ref}/messages", json=msg, headers=agent), 201)
    ok(client.post(f"{STAFF}/{ref}/assign", json={"assignee": "agent7"}, headers=agent))
    extension = {"days": 1, "reason": SECRETS["extension"]}
    ok(client.post(f"{STAFF}/{other}/extensions", json=extension, headers=boss), 201)
    act(ref, action="complete", resolution=SECRETS["resolution"], result="fulfilled")
    act(ref, boss, action="reopen", reason=SECRETS["reopen"])
    act(ref, action="refuse", legal_basis="legal_obligation", reason=SECRETS["refuse"])
    act(other, action="withdraw", reason=SECRETS["staff_withdraw"])
    third = ok(client.post(PUBLIC, json=valid_request()), 201)
    values.append(third["tracking_token"])
    withdraw = {"reason": SECRETS["withdraw"]}
    ok(
        client.post(
            f"{PUBLIC}/{third['reference']}/withdraw",
            json=withdraw,
            headers={"X-Tracking-Token": third["tracking_token"]},
        )
    )
    ok(client.get(f"{STAFF}/{ref}/events", headers=auditor))
    # Refused authentication with a token-like string must not record it either.
    bogus = "pir_qzbogustoken7781abcdefghijklmnopqrstuvwxyz"
    values.append(bogus)
    assert client.get(STAFF, headers={"Authorization": f"Bearer {bogus}"}).status_code == 401
    assert client.get(EXPORT, headers=agent).status_code == 403
    return values, auditor


def test_no_secret_appears_in_a_full_export(client, everything):
    values, auditor = everything
    jsonl = client.get(f"{EXPORT}?format=jsonl", headers=auditor).get_data(as_text=True)
    csv_text = client.get(f"{EXPORT}?format=csv", headers=auditor).get_data(as_text=True)
    actions = {line.split('"action":"')[1].split('"')[0] for line in jsonl.splitlines()}
    assert {
        "request.created",
        "request.viewed",
        "request.transitioned",
        "request.message_received",
        "request.note_added",
        "request.message_sent",
        "request.assigned",
        "auth.denied",
    } <= actions
    for value in values:
        for exported in (jsonl, csv_text):
            assert value not in exported
            assert value.lower() not in exported.lower()
    assert "Wuxiaoming" not in jsonl and "qzmail7781" not in csv_text


def test_no_secret_is_stored_in_the_audit_tables(app, everything):
    values, _auditor = everything
    engine = app.extensions["pirights_db"].engine
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_events")).all()
        head = conn.execute(text("SELECT * FROM audit_head")).all()
    dump = "\n".join("|".join(str(col) for col in row) for row in [*rows, *head])
    assert len(rows) > 20
    for value in values:
        assert value.lower() not in dump.lower()
