"""Hostile input (SPEC §8.4): every malformed request is a 4xx problem and writes nothing."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import valid_request
from tests.security.helpers import assert_problem, row_counts

PUBLIC = "/api/v1/public/requests"
STAFF = "/api/v1/requests"
JSON = "application/json"


@pytest.fixture
def target(client, submit, auth):
    """One existing request, its tracking token and an admin's headers."""
    answer = submit()
    return {
        "ref": answer["reference"],
        "token": {"X-Tracking-Token": answer["tracking_token"]},
        "admin": auth("admin"),
    }


def body_endpoints(t: dict) -> list[tuple[str, dict]]:
    """Every JSON-body endpoint of the public and staff APIs, with the headers it needs."""
    ref = t["ref"]
    return [
        (PUBLIC, {}),
        (f"{PUBLIC}/{ref}/messages", t["token"]),
        (f"{PUBLIC}/{ref}/withdraw", t["token"]),
        (STAFF, t["admin"]),
        (f"{STAFF}/{ref}/transitions", t["admin"]),
        (f"{STAFF}/{ref}/assign", t["admin"]),
        (f"{STAFF}/{ref}/notes", t["admin"]),
        (f"{STAFF}/{ref}/messages", t["admin"]),
    ]


def post_raw(client, url, data, headers, content_type=JSON):
    """POST raw bytes or text with a content type."""
    return client.post(url, data=data, headers=headers, content_type=content_type)


def test_body_over_the_limit_is_413(app, client, target):
    before = row_counts(app)
    big = json.dumps(valid_request(description="x" * (1 << 20)))
    for url, headers in body_endpoints(target):
        assert_problem(post_raw(client, url, big, headers), 413)
    assert row_counts(app) == before


def post_chunked(client, url, body: bytes, headers):
    """POST a body as a server sees `Transfer-Encoding: chunked`: no Content-Length."""
    import io

    return client.post(
        url,
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        content_type=JSON,
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets
    )


def test_chunked_body_over_the_limit_is_413_like_a_sized_one(app, client, target):
    before = row_counts(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = json.dumps(valid_request(description="x" * (limit + 10))).encode()
    for url, headers in body_endpoints(target):
        assert_problem(post_chunked(client, url, big, headers), 413)
    assert row_counts(app) == before


def test_chunked_body_within_the_limit_is_read_whole(app, client):
    body = json.dumps(valid_request()).encode()
    resp = post_chunked(client, PUBLIC, body, {})
    assert resp.status_code == 201, resp.get_json()
    # Exactly at the limit is still accepted as far as size goes (then validated: 422).
    limit = app.config["MAX_CONTENT_LENGTH"]
    padded = json.dumps(valid_request(description="x"))
    padded = padded[:-1] + " " * (limit - len(padded.encode())) + "}"
    assert len(padded.encode()) == limit
    assert post_chunked(client, PUBLIC, padded.encode(), {}).status_code == 201


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/json",
    ],
)
def test_wrong_content_type_is_415(app, client, target, content_type):
    before = row_counts(app)
    body = json.dumps(valid_request())
    for url, headers in body_endpoints(target):
        assert_problem(post_raw(client, url, body, headers, content_type), 415)
    assert row_counts(app) == before


MALFORMED = [
    "{",
    '{"type": }',
    "{'type': 'delete'}",
    '{"type": "delete"} trailing',
    b'{"type": "\xff\xfe"}',
    b"\xef\xbb\xbf\xff",
    "[" * 100_000,
    '{"a":' * 100_000,
    "[" * 100_000 + "]" * 100_000,
    '{"type": ' + "9" * 5000 + "}",
]


@pytest.mark.parametrize("payload", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json_is_400(app, client, target, payload):
    before = row_counts(app)
    for url, headers in body_endpoints(target):
        body = assert_problem(post_raw(client, url, payload, headers), 400)
        assert "JSON" in body["detail"]
    assert row_counts(app) == before


@pytest.mark.parametrize("payload", ["[]", "[1, 2]", '"text"', "null", "1", "true", "1.5e308"])
def test_json_that_is_not_an_object_is_refused(app, client, target, payload):
    before = row_counts(app)
    for url, headers in body_endpoints(target):
        assert_problem(post_raw(client, url, payload, headers), 400, 422)
    assert row_counts(app) == before


def _set(body: dict, path: tuple, value) -> dict:
    """A deep copy of `body` with the field at `path` (keys and list indexes) replaced."""
    body = json.loads(json.dumps(body))
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return body


INTAKE_FIELDS = [
    ("type",),
    ("requester", "name"),
    ("requester", "email"),
    ("requester", "phone"),
    ("requester", "account_id"),
    ("requester", "relationship"),
    ("requester", "on_behalf_of"),
    ("description",),
    ("content_refs", 0),
    ("jurisdiction",),
    ("locale",),
]
BAD_TEXT = ["\x00", "a\x00b", "\ud800", "x\udfffy", "\U0001f600\ud83d"]


def _intake_body() -> dict:
    """A valid body in which every optional string field is present."""
    body = valid_request(content_refs=["conv-1"])
    body["requester"].update(account_id="u-1", relationship="agent", on_behalf_of="李四")
    return body


@pytest.mark.parametrize("path", INTAKE_FIELDS, ids=lambda p: ".".join(map(str, p)))
def test_nul_and_lone_surrogates_in_every_intake_field_are_422(app, client, auth, path):
    admin = auth("admin")
    before = row_counts(app)
    for bad in BAD_TEXT:
        body = _set(_intake_body(), path, bad)
        # json.dumps escapes surrogates as \udXXX, exactly what a hostile client sends.
        raw = json.dumps(body)
        problem = assert_problem(post_raw(client, PUBLIC, raw, {}), 422)
        errors = problem["errors"]
        for step in path:
            errors = errors[str(step)] if isinstance(step, int) else errors[step]
        staff_body = json.dumps({**body, "channel": "email"})
        assert_problem(post_raw(client, STAFF, staff_body, admin), 422)
    assert row_counts(app) == before


def test_unstorable_field_names_are_422(app, client):
    before = row_counts(app)
    for key in ("\ud800", "a\x00"):
        raw = json.dumps({**valid_request(), key: 1})
        assert_problem(post_raw(client, PUBLIC, raw, {}), 422)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("suffix", "field", "base"),
    [
        ("/notes", "body", {}),
        ("/messages", "body", {}),
        ("/assign", "assignee", {}),
        ("/transitions", "action", {}),
        ("/transitions", "message", {"action": "request_info"}),
        ("/transitions", "resolution", {"action": "complete"}),
        ("/transitions", "reason", {"action": "refuse", "legal_basis": "other"}),
    ],
)
def test_nul_and_lone_surrogates_in_staff_fields_are_422(app, client, target, suffix, field, base):
    before = row_counts(app)
    for bad in BAD_TEXT:
        raw = json.dumps({**base, field: bad})
        url = f"{STAFF}/{target['ref']}{suffix}"
        problem = assert_problem(post_raw(client, url, raw, target["admin"]), 422)
        assert field in problem["errors"]
    assert row_counts(app) == before


@pytest.mark.parametrize("suffix", ["/messages", "/withdraw"])
def test_nul_and_lone_surrogates_in_public_follow_up_are_422(app, client, target, suffix):
    before = row_counts(app)
    field = "body" if suffix == "/messages" else "reason"
    for bad in BAD_TEXT:
        raw = json.dumps({field: bad})
        url = f"{PUBLIC}/{target['ref']}{suffix}"
        assert_problem(post_raw(client, url, raw, target["token"]), 422)
    assert row_counts(app) == before


WRONG_TYPES = [
    {"type": 1},
    {"type": None},
    {"type": ["delete"]},
    {"requester": "张三"},
    {"requester": []},
    {"requester": None},
    {"requester": {"name": 1, "email": "a@b.cn"}},
    {"requester": {"name": "A", "email": ["a@b.cn"]}},
    {"requester": {"name": "A", "phone": 8613800138000}},
    {"requester": {"name": {"first": "A"}, "email": "a@b.cn"}},
    {"description": 42},
    {"description": True},
    {"description": {"text": "x"}},
    {"content_refs": {"a": 1}},
    {"content_refs": [1, 2]},
    {"content_refs": [None]},
    {"content_refs": [["nested"]]},
    {"content_refs": ["x"] * 51},
    {"jurisdiction": []},
    {"jurisdiction": 86},
    {"locale": False},
    {"description": "x" * 10_001},
    {"requester": {"name": "名" * 100_000, "email": "a@b.cn"}},
    {"content_refs": ["u" * 100_000]},
    {"description": "[" * 500_000},
]


@pytest.mark.parametrize("change", WRONG_TYPES, ids=range(len(WRONG_TYPES)))
def test_wrong_types_and_huge_strings_are_422(app, client, auth, change):
    admin = auth("admin")
    before = row_counts(app)
    body = valid_request(**change)
    assert_problem(client.post(PUBLIC, json=body), 422)
    assert_problem(client.post(STAFF, json={**body, "channel": "email"}, headers=admin), 422)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "change",
    [
        {"channel": 1},
        {"channel": "pigeon"},
        {"received_at": "yesterday"},
        {"received_at": "2026-09-01T10:00:00"},  # naive: ambiguous
        {"received_at": "0001-01-01T00:00:00+14:00"},
        {"received_at": "9999-12-31T23:59:59-12:00"},
        {"received_at": 1_700_000_000},
    ],
)
def test_staff_intake_wrong_channel_and_dates_are_422(app, client, auth, change):
    admin = auth("admin")
    before = row_counts(app)
    body = {**valid_request(), "channel": "email", **change}
    assert_problem(client.post(STAFF, json=body, headers=admin), 422)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "body",
    [
        {"action": 1},
        {"action": "complete", "resolution": ["done"]},
        {"action": "refuse", "reason": "x", "legal_basis": 7},
        {"action": "verify_identity", "method": None},
        {"action": "nope"},
    ],
)
def test_wrong_types_in_transitions_are_422(app, client, target, body):
    before = row_counts(app)
    url = f"{STAFF}/{target['ref']}/transitions"
    assert_problem(client.post(url, json=body, headers=target["admin"]), 422)
    assert row_counts(app) == before


def latin1(text: str) -> str:
    """What a server sees of a UTF-8 header value (WSGI decodes headers as latin-1)."""
    return text.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize(
    "value", [latin1("版本三"), '"²"', '"٣"', '"' + "9" * 5000 + '"', "W/", '""', "\t"]
)
def test_bad_if_match_is_4xx_and_changes_nothing(app, client, target, value):
    before = row_counts(app)
    headers = {**target["admin"], "If-Match": value}
    url = f"{STAFF}/{target['ref']}/assign"
    assert_problem(client.post(url, json={"assignee": "admin"}, headers=headers), 412, 422)
    assert row_counts(app) == before


def test_non_latin_idempotency_key_still_deduplicates(app, client):
    headers = {"Idempotency-Key": latin1("重试-键-🔁")}
    first = client.post(PUBLIC, json=valid_request(), headers=headers)
    second = client.post(PUBLIC, json=valid_request(), headers=headers)
    assert first.status_code == 201 and second.get_json() == first.get_json()
    assert row_counts(app)["requests"] == 1


@pytest.mark.parametrize("token", [latin1("令牌"), "\x7f" * 300, "a" * 8000, ""])
def test_hostile_tracking_tokens_are_404(app, client, target, token):
    before = row_counts(app)
    headers = {"X-Tracking-Token": token}
    ref = target["ref"]
    assert_problem(client.get(f"{PUBLIC}/{ref}", headers=headers), 404)
    assert_problem(
        client.post(f"{PUBLIC}/{ref}/messages", json={"body": "x"}, headers=headers), 404
    )
    assert_problem(client.post(f"{PUBLIC}/{ref}/withdraw", json={}, headers=headers), 404)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "value",
    [
        latin1("Bearer 令牌"),
        "Bearer \xff\xfe",
        "Bearer " + "a" * 8000,
        "Basic YTpi",
        "Bearer",
        "令",
    ],
)
def test_hostile_authorization_is_401(app, client, target, value, clock):
    # The frozen clock keeps both refusals in one audit minute (a real one may turn between).
    before = row_counts(app)
    headers = {"Authorization": value}
    assert_problem(client.get(STAFF, headers=headers), 401)
    assert_problem(
        client.post(f"{STAFF}/{target['ref']}/notes", json={"body": "x"}, headers=headers), 401
    )
    after = row_counts(app)
    # Refusals are audited (auth.denied, once a minute per address), nothing else is written.
    assert after["audit_events"] == before["audit_events"] + 1
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }


def _cursor(payload) -> str:
    """A cursor in the API's own encoding, around any payload."""
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_QUERIES = [
    "limit=abc",
    "limit=0",
    "limit=-1",
    "limit=201",
    "limit=" + "9" * 5000,
    "limit=1.5",
    "overdue=maybe",
    "due_soon=2",
    "status=nope",
    "type=%00",
    "status=%00",
    "assignee=a%00b",
    "email=%00",
    "phone=%00",
    "cursor=%00",
    "cursor=" + "A" * 201,
    "cursor=%ff%fe",
    "cursor=!!!",
    "cursor=" + _cursor([1, 2]),
    "cursor=" + _cursor(["2026-01-01T00:00:00", "PIR-1"]),
    "cursor=" + _cursor(["2026-01-01T00:00:00+00:00", "a\x00b"]),
    "cursor=" + _cursor(["2026-01-01T00:00:00+00:00", "\ud800"]),
    "cursor=" + _cursor(["2026-01-01T00:00:00+00:00"]),
    "cursor=" + _cursor({"a": 1}),
    "cursor=" + _cursor("x"),
    "%00=1",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_list_queries_are_4xx(app, client, target, query):
    before = row_counts(app)
    assert_problem(client.get(f"{STAFF}?{query}", headers=target["admin"]), 400, 422)
    assert row_counts(app) == before


@pytest.mark.parametrize("ref", ["PIR%00", "%00", "PIR-%ff%fe", "P" * 5000, "%F0%9F%98%80"])
def test_hostile_references_are_404(app, client, target, ref):
    before = row_counts(app)
    token = target["token"]
    assert_problem(client.get(f"{PUBLIC}/{ref}", headers=token), 404)
    assert_problem(client.get(f"{STAFF}/{ref}", headers=target["admin"]), 404)
    url = f"{STAFF}/{ref}/notes"
    assert_problem(client.post(url, json={"body": "x"}, headers=target["admin"]), 404)
    after = row_counts(app)
    # A refused staff GET records nothing (there was nothing to view).
    assert after == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
intake_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["delete", "access", "x"]) | json_values,
        "requester": st.fixed_dictionaries(
            {},
            optional={
                "name": st.text(max_size=20) | json_values,
                "email": st.emails() | st.text(max_size=20),
                "phone": st.from_regex(r"\+?[0-9]{5,12}", fullmatch=True) | st.text(max_size=20),
                "relationship": st.sampled_from(["self", "agent", "guardian"]) | json_values,
                "on_behalf_of": st.text(max_size=20),
            },
        )
        | json_values,
        "description": st.text(max_size=50) | json_values,
        "content_refs": st.lists(st.text(max_size=10), max_size=3) | json_values,
        "jurisdiction": st.sampled_from(["CN", "EU", "US-CA"]) | st.text(max_size=5),
        "locale": st.sampled_from(["zh-CN", "en"]) | json_values,
    },
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=intake_like | json_values)
def test_any_json_gets_201_or_a_4xx_problem_and_4xx_writes_nothing(app, client, body):
    before = row_counts(app)
    resp = client.post(PUBLIC, data=json.dumps(body), content_type=JSON)
    if resp.status_code == 201:
        assert row_counts(app)["requests"] == before["requests"] + 1
    else:
        assert_problem(resp, 400, 422)
        assert row_counts(app) == before
