"""The staff ticket API of §5: list, detail, versions, assignment, notes, messages, roles."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.conftest import valid_request

BASE = "/api/v1/requests"


def verify_accept(client, ref, headers):
    """Bring a request to in_progress."""
    for body in ({"action": "verify_identity", "method": "account_login"}, {"action": "accept"}):
        assert (
            client.post(f"{BASE}/{ref}/transitions", json=body, headers=headers).status_code == 200
        )


def test_list_is_sorted_by_due_then_reference_and_pages(client, submit, auth, clock):
    headers = auth("agent")
    refs = []
    for _ in range(5):
        clock.set(clock.moment + timedelta(days=1))
        refs += [submit()["reference"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        url = f"{BASE}?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).get_json()
        seen += [(i["due_at"], i["reference"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 15 and sorted(seen) == seen
    assert {r for _, r in seen} == set(refs)


def test_list_filters(client, submit, auth):
    headers = auth("supervisor")
    a = submit(type="access")["reference"]
    b = submit(requester={"name": "王五", "email": "WW@Example.cn", "phone": "+86 139-0000-0000"})[
        "reference"
    ]
    c = submit(type="copy")["reference"]
    client.post(
        f"{BASE}/{c}/transitions", json={"action": "withdraw", "reason": "dup"}, headers=headers
    )
    client.post(f"{BASE}/{a}/assign", json={"assignee": "supervisor"}, headers=headers)

    def refs(query):
        resp = client.get(f"{BASE}?{query}", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return {i["reference"] for i in resp.get_json()["items"]}

    assert refs("type=access") == {a}
    assert refs("status=withdrawn") == {c}
    assert refs("status=received") == {a, b}
    assert refs("assignee=supervisor") == {a}
    assert refs("email=ww@example.cn") == {b}
    assert refs("phone=%2B8613900000000") == {b}
    assert refs("email=nobody@example.cn") == set()
    assert refs("overdue=false") == {a, b, c}
    assert refs("overdue=true") == set()


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=abc",
        "status=nope",
        "type=nope",
        "cursor=%%%",
        "cursor=WyJ4Il0",
        "overdue=maybe",
    ],
)
def test_bad_list_arguments_are_422(client, auth, query):
    resp = client.get(f"{BASE}?{query}", headers=auth("agent"))
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"


def test_detail_has_the_representation_and_etag(client, submit, auth):
    ref = submit(type="privacy_complaint", content_refs=["conv-9"])["reference"]
    resp = client.get(f"{BASE}/{ref}", headers=auth("agent"))
    body = resp.get_json()
    for key in (
        "reference",
        "type",
        "status",
        "jurisdiction",
        "channel",
        "requester",
        "identity_verified",
        "description",
        "content_refs",
        "received_at",
        "due_at",
        "due_at_provisional",
        "deadline_rule",
        "overdue",
        "due_soon",
        "clock",
        "extensions",
        "assignee",
        "outcome",
        "closed_at",
        "on_time",
        "version",
    ):
        assert key in body, key
    assert resp.headers["ETag"] == f'"{body["version"]}"'
    assert body["content_refs"] == ["conv-9"] and body["deadline_rule"] == "CN:15wd"
    assert body["requester"]["email"] == "zs@example.cn"


def test_auditors_see_masked_pii(client, submit, auth):
    ref = submit()["reference"]
    body = client.get(f"{BASE}/{ref}", headers=auth("auditor")).get_json()
    assert body["requester"]["name"] != "张三" and body["requester"]["name"].startswith("张")
    assert (
        body["requester"]["email"].endswith("@example.cn")
        and "zs@" not in body["requester"]["email"]
    )
    assert body["description"] == "[masked]"


def test_viewing_is_audited(client, submit, auth):
    ref = submit()["reference"]
    headers = auth("agent")
    client.get(f"{BASE}/{ref}", headers=headers)
    events = client.get(f"{BASE}/{ref}/events", headers=headers).get_json()["items"]
    # identity.code_sent: the public submission's one-time code (§12.1)
    assert [e["action"] for e in events] == [
        "request.created",
        "identity.code_sent",
        "request.viewed",
    ]
    assert events[2]["actor"] == "staff:agent"
    assert events[2]["seq"] > events[1]["seq"] > events[0]["seq"]


def test_stale_if_match_is_412(client, submit, auth):
    headers = auth("agent")
    ref = submit()["reference"]
    etag = client.get(f"{BASE}/{ref}", headers=headers).headers["ETag"]
    body = {"action": "verify_identity", "method": "email_code"}
    ok = client.post(f"{BASE}/{ref}/transitions", json=body, headers={**headers, "If-Match": etag})
    assert ok.status_code == 200
    stale = client.post(
        f"{BASE}/{ref}/transitions", json=body, headers={**headers, "If-Match": etag}
    )
    assert stale.status_code == 412
    bad = client.post(f"{BASE}/{ref}/transitions", json=body, headers={**headers, "If-Match": "x"})
    assert bad.status_code == 422


def test_concurrent_updates_of_one_version_exactly_one_wins(app, submit, auth):
    headers = auth("agent")
    ref = submit()["reference"]
    results = []
    barrier = threading.Barrier(6)

    def attempt(i):
        c = app.test_client()
        barrier.wait()
        resp = c.post(
            f"{BASE}/{ref}/transitions",
            headers={**headers, "If-Match": '"1"'},
            json={"action": "verify_identity", "method": "email_code"},
        )
        results.append(resp.status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [412] * 5


def test_assign_rules(client, submit, auth, make_staff):
    agent = auth("agent", name="ann")
    sup = auth("supervisor")
    make_staff("bob", "agent")
    ref = submit()["reference"]
    assert (
        client.post(f"{BASE}/{ref}/assign", json={"assignee": "bob"}, headers=agent).status_code
        == 403
    )
    mine = client.post(f"{BASE}/{ref}/assign", json={"assignee": "ann"}, headers=agent)
    assert mine.status_code == 200 and mine.get_json()["assignee"] == "ann"
    other = client.post(f"{BASE}/{ref}/assign", json={"assignee": "bob"}, headers=sup)
    assert other.get_json()["assignee"] == "bob"
    nobody = client.post(f"{BASE}/{ref}/assign", json={"assignee": "ghost"}, headers=sup)
    assert nobody.status_code == 422
    events = client.get(f"{BASE}/{ref}/events", headers=sup).get_json()["items"]
    assert [e["data"] for e in events if e["action"] == "request.assigned"] == [
        {"from": None, "to": "ann"},
        {"from": "ann", "to": "bob"},
    ]


def test_notes_stay_internal_and_messages_reach_the_requester(client, submit, auth):
    headers = auth("agent")
    answer = submit()
    ref, tok = answer["reference"], {"X-Tracking-Token": answer["tracking_token"]}
    note = client.post(
        f"{BASE}/{ref}/notes", json={"body": "Checked the CRM: 3 records."}, headers=headers
    )
    assert note.status_code == 201 and note.get_json()["author"] == "agent"
    msg = client.post(f"{BASE}/{ref}/messages", json={"body": "We are on it."}, headers=headers)
    assert msg.status_code == 201
    seen = client.get(f"/api/v1/public/requests/{ref}", headers=tok).get_json()
    assert [m["body"] for m in seen["messages"]] == ["We are on it."]
    assert "CRM" not in str(seen)


def test_staff_intake_from_another_channel(client, auth, clock):
    headers = auth("agent")
    body = valid_request(channel="letter", received_at="2026-09-29T09:00:00+08:00")
    resp = client.post(BASE, json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["channel"] == "letter" and out["tracking_token"]
    assert out["received_at"].startswith("2026-09-29T09:00:00")
    future = client.post(
        BASE,
        json=valid_request(channel="email", received_at="2026-12-01T00:00:00+08:00"),
        headers=headers,
    )
    assert future.status_code == 422 and "received_at" in future.get_json()["errors"]
    missing = client.post(BASE, json=valid_request(), headers=headers)
    assert missing.status_code == 422 and "channel" in missing.get_json()["errors"]


def test_unknown_reference_is_404(client, auth):
    headers = auth("agent")
    for url in (f"{BASE}/PIR-00000-00000", f"{BASE}/PIR-00000-00000/events"):
        assert client.get(url, headers=headers).status_code == 404
    resp = client.post(
        f"{BASE}/PIR-00000-00000/transitions", json={"action": "accept"}, headers=headers
    )
    assert resp.status_code == 404


# --- roles: every staff endpoint, every role ------------------------------------------

ENDPOINTS = [
    ("GET", "", None, {"agent", "supervisor", "auditor", "admin"}),
    ("POST", "", valid_request(channel="email"), {"agent", "supervisor", "admin"}),
    ("GET", "/{ref}", None, {"agent", "supervisor", "auditor", "admin"}),
    ("GET", "/{ref}/events", None, {"agent", "supervisor", "auditor", "admin"}),
    (
        "POST",
        "/{ref}/transitions",
        {"action": "verify_identity", "method": "email_code"},
        {"agent", "supervisor", "admin"},
    ),
    ("POST", "/{ref}/assign", {"assignee": "{self}"}, {"agent", "supervisor", "admin"}),
    ("POST", "/{ref}/notes", {"body": "n"}, {"agent", "supervisor", "admin"}),
    ("POST", "/{ref}/messages", {"body": "m"}, {"agent", "supervisor", "admin"}),
]
ROLES = ["agent", "supervisor", "auditor", "admin", "service"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
def test_roles_on_every_endpoint(client, submit, auth, method, path, body, allowed, role):
    ref = submit()["reference"]
    headers = auth(role)
    url = BASE + path.format(ref=ref)
    if body and body.get("assignee") == "{self}":
        body = {"assignee": role}
    resp = client.open(url, method=method, json=body, headers=headers)
    if role in allowed:
        assert resp.status_code in (200, 201), resp.get_json()
    else:
        assert resp.status_code == 403
        assert resp.mimetype == "application/problem+json"
    anonymous = client.open(url, method=method, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.open(url, method=method, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_revoked_token_is_401(client, app, auth):
    from pirights.staff.service import revoke_staff

    headers = auth("agent", name="carol")
    assert client.get(BASE, headers=headers).status_code == 200
    with app.app_context():
        assert revoke_staff("carol") == 1
    assert client.get(BASE, headers=headers).status_code == 401


def test_idempotency_keys_are_namespaced_by_caller(client, auth):
    key = {"Idempotency-Key": "shared-key-1"}
    public = client.post("/api/v1/public/requests", json=valid_request(), headers=key)
    assert public.status_code == 201
    public = public.get_json()
    alice, bob = auth("agent", name="alice"), auth("agent", name="bob")
    # Staff reusing the public key (same body, channel "web") make their own request and
    # never see the requester's reference or tracking token.
    staff_body = valid_request(channel="web")
    first = client.post(BASE, json=staff_body, headers={**alice, **key})
    assert first.status_code == 201, first.get_json()
    first = first.get_json()
    assert first["reference"] != public["reference"]
    assert first["tracking_token"] != public["tracking_token"]
    # A staff member's own retry replays their own answer...
    again = client.post(BASE, json=staff_body, headers={**alice, **key}).get_json()
    assert (again["reference"], again["tracking_token"]) == (
        first["reference"],
        first["tracking_token"],
    )
    # ...and another member's key is theirs alone.
    other = client.post(BASE, json=staff_body, headers={**bob, **key}).get_json()
    assert other["reference"] not in (first["reference"], public["reference"])
    # The public retry still answers the public request.
    replay = client.post("/api/v1/public/requests", json=valid_request(), headers=key)
    assert replay.get_json() == public
    listed = client.get(f"{BASE}?limit=200", headers=alice).get_json()["items"]
    assert len(listed) == 3
