"""Purge reaches every kind of PII a request gathers, found from one registry (SPEC §8.2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import inspect, select

from pirights.crypto import Encrypted, cipher
from pirights.database import Base
from pirights.requests import hooks
from pirights.security.pii import holders, unowned
from tests.conftest import valid_request

STAFF = "/api/v1/requests"
CLOSED = datetime(2022, 3, 1, 2, 0, tzinfo=UTC)  # past a 3-year retention on NOW
NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
# Each string is typed once, into one place, and is distinctive: finding it anywhere after
# the purge means that place was missed.
OLD = {
    "name": "柏芷若Oldname",
    "email": "zhiruo.oldmail@example.cn",
    "phone": "+8613711112222",
    "account_id": "acct-old-5521",
    "on_behalf_of": "柏小芷Oldchild",
    "description": "Olddescription: my face in generated images",
    "content_ref": "https://images.example/zhiruo-old/77",
    "extension": "Oldextension waiting for the photos",
    "info_request": "Oldinforequest send a photo",
    "reply": "Oldreply attached",
    "note": "Oldnote she called twice",
    "staff_message": "Oldstaffmessage we stopped it",
    "measure": "Oldmeasure filter on her name",
    "blocklist_reason": "Oldblockreason portrait",
    "removed_term": "Oldremovedterm",
    "resolution": "Oldresolution stopped and blocked",
    "reason": "Oldreason one image is a licensed photo",
    "remediation": "Oldremediation refusal training",
    "outbox": "Oldoutbox your complaint was upheld",
}
# The terms of an active blocklist entry outlive the request: they keep protecting her.
KEPT_TERM = "Keptterm柏芷若"


def ok(resp, status=200):
    """The response has `status`; returns its JSON."""
    assert resp.status_code == status, resp.get_data()[:400]
    return resp.get_json()


def every_kind_of_pii(app, client, admin) -> dict:
    """A portrait complaint holding every PII-carrying row there is, closed at once."""
    body = valid_request(
        type="portrait_complaint",
        requester={
            "name": OLD["name"],
            "email": OLD["email"],
            "phone": OLD["phone"],
            "account_id": OLD["account_id"],
            "relationship": "guardian",
            "on_behalf_of": OLD["on_behalf_of"],
        },
        description=OLD["description"],
        content_refs=[OLD["content_ref"]],
    )
    idem = {"Idempotency-Key": "idem-old-1"}
    answer = ok(client.post("/api/v1/public/requests", json=body, headers=idem), 201)
    ref, token = answer["reference"], {"X-Tracking-Token": answer["tracking_token"]}
    url = f"{STAFF}/{ref}"

    def act(**action):
        ok(client.post(f"{url}/transitions", json=action, headers=admin))

    act(action="verify_identity", method="email_code")
    act(action="accept")
    extension = {"days": 3, "reason": OLD["extension"]}
    ok(client.post(f"{url}/extensions", json=extension, headers=admin), 201)
    act(action="request_info", message=OLD["info_request"])
    reply = {"body": OLD["reply"]}
    ok(client.post(f"/api/v1/public/requests/{ref}/messages", json=reply, headers=token), 201)
    ok(client.post(f"{url}/notes", json={"body": OLD["note"]}, headers=admin), 201)
    ok(client.post(f"{url}/messages", json={"body": OLD["staff_message"]}, headers=admin), 201)
    measure = {"kind": "block_subject", "detail": OLD["measure"]}
    ok(client.post(f"{url}/measures", json=measure, headers=admin), 201)
    entry = {"request_ref": ref, "reason": OLD["blocklist_reason"]}
    kept = ok(
        client.post("/api/v1/blocklist", json={**entry, "terms": [KEPT_TERM]}, headers=admin),
        201,
    )
    gone = {**entry, "terms": [OLD["removed_term"]]}
    removed = ok(client.post("/api/v1/blocklist", json=gone, headers=admin), 201)
    assert client.delete(f"/api/v1/blocklist/{removed['id']}", headers=admin).status_code == 204
    act(
        action="complete",
        result="partial",
        resolution=OLD["resolution"],
        reason=OLD["reason"],
    )
    fix = {"detail": OLD["remediation"], "model_version": "gen-2022.03"}
    ok(client.post(f"{url}/remediation", json=fix, headers=admin), 201)
    _queue_mail(app, ref)
    return {"reference": ref, "tracking_token": answer["tracking_token"], "kept": kept["id"]}


def _queue_mail(app, ref: str) -> None:
    """An outbox row for the request, as a requester notification would queue it."""
    from pirights.extensions import db
    from pirights.outbox.service import enqueue
    from pirights.requests.models import Request

    with app.app_context(), db.unit_of_work() as s:
        req = s.scalar(select(Request).where(Request.reference == ref))
        payload = {"to": OLD["email"], "subject": "pirights", "body": OLD["outbox"]}
        enqueue(
            s,
            kind="requester.outcome",
            channel="email",
            payload=payload,
            now=CLOSED,
            request_id=req.id,
            request_ref=ref,
        )


def raw_tables(app) -> dict[str, list[dict]]:
    """Every row of every table in the database as stored: no ORM, no decryption."""
    from pirights.extensions import db

    with app.app_context():
        conn = db.session.connection()
        found = {}
        for name in inspect(conn).get_table_names():
            rows = conn.exec_driver_sql(f'SELECT * FROM "{name}"').mappings().all()
            found[name] = [
                {k: bytes(v) if isinstance(v, memoryview | bytes) else v for k, v in row.items()}
                for row in rows
            ]
        db.session.rollback()
    return found


def stored(tables: dict[str, list[dict]]):
    """(table, row, column, value) of every stored value."""
    for table, rows in tables.items():
        for row in rows:
            for column, value in row.items():
                yield table, row, column, value


def readable(app, value) -> str:
    """A stored value as text: ciphertexts decrypted, anything else as str()."""
    if isinstance(value, bytes):
        with app.app_context():
            return cipher().decrypt(value)
    return str(value)


def test_purge_leaves_no_plaintext_or_ciphertext_of_any_kind(app, client, auth, clock):
    from pirights.security.purge import purge

    admin = auth("admin")
    clock.set(CLOSED)
    old = every_kind_of_pii(app, client, admin)
    clock.set(datetime(2025, 5, 1, 2, 0, tzinfo=UTC))
    recent = ok(
        client.post(
            "/api/v1/public/requests", json=valid_request(), headers={"Idempotency-Key": "new-1"}
        ),
        201,
    )
    clock.set(NOW)
    before = raw_tables(app)
    secrets = {**OLD, "tracking_token": old["tracking_token"]}
    # The old request's ciphertexts, found by what they decrypt to; its indexes by its row.
    old_blobs = {
        value
        for _, _, _, value in stored(before)
        if isinstance(value, bytes) and any(s in readable(app, value) for s in secrets.values())
    }
    [old_row] = [r for r in before["requests"] if r["reference"] == old["reference"]]
    markers = {old_row[k] for k in ("email_index", "phone_index", "tracking_token_hash")}
    # The scenario did store every kind: each secret is in some ciphertext before.
    found = {k for k, s in secrets.items() if any(s in readable(app, v) for v in old_blobs)}
    assert found == set(secrets) and None not in markers

    with app.app_context():
        result = purge(NOW, 3)
    assert result.requests == 1 and result.idempotency_records == 1
    after = raw_tables(app)

    survivors = [(t, c) for t, _, c, v in stored(after) if v in old_blobs or v in markers]
    assert survivors == [], "old ciphertexts, blind indexes or token hash survived"
    for table, row, column, value in stored(after):
        if table == "blocklist_entries" and column == "terms" and row["id"] == old["kept"]:
            assert readable(app, value) == json.dumps([KEPT_TERM], ensure_ascii=False)
            continue
        text = readable(app, value)
        for key, secret in secrets.items():
            assert secret not in text, (table, column, key)
    # What stays: the rows and their times (the skeleton), the active entry, the recent one.
    for table in ("request_messages", "request_notes", "extensions", "complaint_measures"):
        assert len(after[table]) == len(before[table]) and all(
            r["created_at"] for r in after[table]
        ), table
    [new_row] = [r for r in before["requests"] if r["reference"] == recent["reference"]]
    assert [r for r in after["requests"] if r["id"] == new_row["id"]] == [new_row]
    [new_idem] = [r for r in before["idempotency_records"] if r["request_id"] == new_row["id"]]
    assert after["idempotency_records"] == [new_idem]
    check = client.post("/api/v1/blocklist/check", json={"text": f"画 {KEPT_TERM}"}, headers=admin)
    assert [m["id"] for m in ok(check)["matches"]] == [old["kept"]]


def test_every_encrypted_column_is_in_the_purge_registry():
    """A new table or column holding PII is purged the day it is declared, or this fails."""
    import pirights.models  # noqa: F401

    encrypted = {
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        for c in t.columns
        # Only a column marked as the provider's own secret may stay out (pii=False).
        if isinstance(c.type, Encrypted) and c.info.get("pii") is not False
    }
    exempt = {
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if c.info.get("pii") is False
    }
    assert exempt == {("systems", "secret")}
    registered = {(h.table.name, c.name) for h in holders() for c in h.columns}
    assert encrypted <= registered
    assert unowned() == []
    assert {"email_index", "phone_index", "tracking_token_hash"} <= {
        c.name for h in holders() if h.table.name == "requests" for c in h.columns
    }


def test_registered_erasers_run_for_each_purged_request(app, client, auth, clock, monkeypatch):
    """Features whose PII is not a column (files) plug in through hooks.pii_erasers."""
    from pirights.security.purge import purge

    seen = []
    monkeypatch.setattr(hooks, "pii_erasers", [lambda s, req: seen.append(req.reference)])
    admin = auth("admin")
    clock.set(CLOSED)
    refs = []
    for _ in range(2):
        ref = ok(client.post("/api/v1/public/requests", json=valid_request()), 201)["reference"]
        ok(
            client.post(
                f"{STAFF}/{ref}/transitions",
                json={"action": "withdraw", "reason": "dup"},
                headers=admin,
            )
        )
        refs.append(ref)
    clock.set(NOW)
    with app.app_context():
        purge(NOW, 3, batch=1)
    assert seen == refs
