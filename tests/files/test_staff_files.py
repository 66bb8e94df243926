"""Staff files (SPEC §12.3): upload with an audience, download, files[] in the detail,
roles, audit events, and what the store holds."""

from __future__ import annotations

import hashlib
import os

from tests.files.conftest import PDF, PNG, stored_keys, upload


def events(client, headers, ref, action):
    """The request's audit events of one action."""
    items = client.get(f"/api/v1/requests/{ref}/events", headers=headers).get_json()["items"]
    return [e for e in items if e["action"] == action]


def test_staff_upload_download_round_trip(backend, app, client, auth, requester, store):
    ref, _ = requester
    agent = auth("agent")
    resp = upload(client, f"/api/v1/requests/{ref}/files", PDF, "结果 result.pdf", agent,
                  audience="requester")  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["name"] == "结果 result.pdf"
    assert body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["content_type"] == "application/pdf"
    assert body["audience"] == "requester"
    assert body["added_by"] == "staff:agent"
    assert body["created_at"].endswith("+08:00")

    got = client.get(f"/api/v1/requests/{ref}/files/{body['id']}", headers=agent)
    assert got.status_code == 200
    assert got.data == PDF
    assert got.mimetype == "application/pdf"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E7%BB%93%E6%9E%9C%20result.pdf" in disposition
    assert got.headers["Repr-Digest"].startswith("sha-256=:")

    detail = client.get(f"/api/v1/requests/{ref}", headers=agent).get_json()
    assert [f["id"] for f in detail["files"]] == [body["id"]]

    (added,) = events(client, agent, ref, "file.added")
    assert added["data"] == {"file_id": body["id"], "size": len(PDF), "audience": "requester"}
    (downloaded,) = events(client, agent, ref, "file.downloaded")
    assert downloaded["data"] == added["data"]
    assert downloaded["actor"] == "staff:agent"

    # One published object, sealed: neither the content nor the name in it.
    keys = stored_keys(app, store)
    assert keys == [f"blobs/{k.removeprefix('blobs/')}" for k in keys] and len(keys) == 1
    with app.app_context():
        sealed = b"".join(store.get(keys[0]))
    assert PDF[:40] not in sealed and b"result" not in sealed


def test_a_large_file_streams_through_both_ways(backend, app, client, auth, requester, store):
    ref, _ = requester
    agent = auth("agent")
    content = os.urandom(9 * 1024 * 1024 + 123)  # several S3 parts, many sealed segments
    resp = upload(client, f"/api/v1/requests/{ref}/files", content, "dump.bin", agent,
                  audience="internal")  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["content_type"] == "application/octet-stream"  # staff: any type
    got = client.get(f"/api/v1/requests/{ref}/files/{resp.get_json()['id']}", headers=agent)
    assert got.data == content


def test_auditors_list_files_but_may_not_download(client, auth, requester):
    ref, _ = requester
    agent, auditor = auth("agent"), auth("auditor")
    resp = upload(client, f"/api/v1/requests/{ref}/files", PNG, "张三的身份证.png", agent,
                  audience="internal")  # fmt: skip
    file_id = resp.get_json()["id"]
    listed = client.get(f"/api/v1/requests/{ref}/files", headers=auditor)
    assert listed.status_code == 200
    (item,) = listed.get_json()["items"]
    assert item["id"] == file_id and item["name"] != "张三的身份证.png"
    detail = client.get(f"/api/v1/requests/{ref}", headers=auditor).get_json()
    assert detail["files"][0]["name"] != "张三的身份证.png"
    assert client.get(f"/api/v1/requests/{ref}/files/{file_id}", headers=auditor).status_code == 403
    refused = upload(client, f"/api/v1/requests/{ref}/files", PNG, headers=auditor,
                     audience="internal")  # fmt: skip
    assert refused.status_code == 403
    for role in ("supervisor", "admin"):
        got = client.get(f"/api/v1/requests/{ref}/files/{file_id}", headers=auth(role))
        assert got.status_code == 200 and got.data == PNG


def test_audience_is_required_and_nothing_is_left(app, client, auth, requester, store):
    ref, _ = requester
    agent = auth("agent")
    resp = upload(client, f"/api/v1/requests/{ref}/files", PNG, headers=agent)
    assert resp.status_code == 422
    assert "audience" in resp.get_json()["errors"]
    resp = upload(client, f"/api/v1/requests/{ref}/files", PNG, headers=agent, audience="all")
    assert resp.status_code == 422
    assert stored_keys(app, store) == []
    assert events(client, agent, ref, "file.added") == []


def test_unknown_request_and_file_are_404(client, auth, requester):
    ref, token = requester
    agent = auth("agent")
    resp = upload(client, "/api/v1/requests/NOPE-0000/files", PNG, headers=agent,
                  audience="internal")  # fmt: skip
    assert resp.status_code == 404
    assert client.get(f"/api/v1/requests/{ref}/files/999", headers=agent).status_code == 404
    # Ids beyond the column's range are unknown too (PostgreSQL refuses them in a query).
    for huge in (2**31, 2**45):
        assert client.get(f"/api/v1/requests/{ref}/files/{huge}", headers=agent).status_code == 404
        mine = client.get(f"/api/v1/public/requests/{ref}/files/{huge}", headers=token)
        assert mine.status_code == 404
    assert client.get(f"/api/v1/requests/{ref}/files", headers={}).status_code == 401


def test_a_file_that_does_not_decrypt_is_neither_sent_nor_recorded(app, client, auth, requester,
                                                                    store):  # fmt: skip
    """Decryption starts before the answer and its audit event: an altered file fails as
    an error, not as a 200 cut short with `file.downloaded` in the trail."""
    from sqlalchemy import func, select

    from pirights.audit.models import AuditEvent
    from pirights.extensions import db
    from pirights.files.models import File

    ref, _ = requester
    agent = auth("agent")
    added = upload(client, f"/api/v1/requests/{ref}/files", PNG, headers=agent,
                   audience="internal").get_json()  # fmt: skip
    with app.app_context():
        blob = db.session.get(File, added["id"]).blob
        store.delete(blob)
        store.put(blob, [b"\x00" * 100])  # the stored object altered
    # A server-side fault (logged), answered whole as problem+json, never a cut-off 200.
    resp = client.get(f"/api/v1/requests/{ref}/files/{added['id']}", headers=agent)
    assert resp.status_code == 500 and resp.mimetype == "application/problem+json"
    with app.app_context():
        downloads = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "file.downloaded")
        )
    assert downloads == 0
