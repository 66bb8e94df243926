"""The subject blocklist of §9: add, remove, poll with ETag, check, roles, privacy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pirights.complaints.matching import Matcher, fold

URL = "/api/v1/blocklist"


@pytest.fixture
def block_ref(submit):
    """A block request that may add entries."""
    return submit(type="block")["reference"]


def add(client, headers, ref, terms=("张三", "Zhang San"), reason="Upheld portrait complaint"):
    """POST an entry."""
    return client.post(
        URL, json={"terms": list(terms), "request_ref": ref, "reason": reason}, headers=headers
    )


def test_add_list_check_delete(client, auth, block_ref):
    sup, svc = auth("supervisor"), auth("service")
    resp = add(client, sup, block_ref)
    assert resp.status_code == 201, resp.get_json()
    entry = resp.get_json()
    assert entry["terms"] == ["张三", "Zhang San"] and entry["request_ref"] == block_ref
    assert entry["id"] and entry["created_at"]

    listed = client.get(URL, headers=svc)
    assert listed.status_code == 200
    assert [e["id"] for e in listed.get_json()["items"]] == [entry["id"]]

    check = client.post(f"{URL}/check", json={"text": "写一首关于张 三的诗"}, headers=svc)
    assert check.get_json() == {"matches": [{"id": entry["id"], "term": "张三"}]}
    assert client.post(f"{URL}/check", json={"text": "李四"}, headers=svc).get_json() == {
        "matches": []
    }

    assert client.delete(f"{URL}/{entry['id']}", headers=sup).status_code == 204
    assert client.get(URL, headers=svc).get_json()["items"] == []
    assert client.post(f"{URL}/check", json={"text": "张三"}, headers=svc).get_json() == {
        "matches": []
    }
    assert client.delete(f"{URL}/{entry['id']}", headers=sup).status_code == 404


def test_polling_gets_304_until_the_list_changes(client, auth, block_ref):
    sup, svc = auth("supervisor"), auth("service")
    first = client.get(URL, headers=svc)
    etag = first.headers["ETag"]
    again = client.get(URL, headers={**svc, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    add(client, sup, block_ref)
    changed = client.get(URL, headers={**svc, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("Zhang San", "an essay about ZHANGSAN's life"),
        ("Zhang San", "Ｚｈａｎｇ　Ｓａｎ wrote"),  # full-width letters and space
        ("张三", "张\u3000三"),
        ("ＡＢＣ公司", "abc公司的秘密"),
        ("Straße", "STRASSE"),  # case folding, not just lower()
    ],
)
def test_matching_folds_width_case_and_space(term, text):
    assert Matcher([(1, [term])]).matches(text) == [{"id": 1, "term": term}]


@given(
    term=st.text(min_size=1, max_size=12), before=st.text(max_size=20), after=st.text(max_size=20)
)
def test_a_term_is_found_wherever_it_is_embedded(term, before, after):
    if not fold(term):
        return
    found = Matcher([(7, [term])]).matches(before + term + after)
    assert {"id": 7, "term": term} in found


@pytest.mark.parametrize(
    "entry_id", ["0", "2147483647", "2147483648", "9223372036854775808", "1" + "0" * 30, "-1"]
)
def test_absurd_entry_ids_are_404(client, auth, entry_id):
    resp = client.delete(f"{URL}/{entry_id}", headers=auth("supervisor"))
    assert resp.status_code == 404, resp.get_data()[:300]
    assert resp.mimetype == "application/problem+json"


def test_roles(client, auth, block_ref):
    body = {"terms": ["x"], "request_ref": block_ref, "reason": "r"}
    for role in ("agent", "auditor", "service"):
        assert client.post(URL, json=body, headers=auth(role)).status_code == 403
    for role in ("agent", "auditor"):
        headers = auth(role, name=f"{role}2")
        assert client.get(URL, headers=headers).status_code == 403
        assert client.post(f"{URL}/check", json={"text": "x"}, headers=headers).status_code == 403
    svc = auth("service", name="svc2")
    assert client.get(URL, headers=svc).status_code == 200
    # The service role reads the blocklist and nothing else.
    assert client.get("/api/v1/requests", headers=svc).status_code == 403
    assert client.get(URL).status_code == 401


def test_only_blocking_requests_add_entries(client, auth, submit):
    sup = auth("supervisor")
    access = submit(type="access")["reference"]
    assert add(client, sup, access).status_code == 409
    portrait = submit(type="portrait_complaint", content_refs=["out-1"])["reference"]
    assert add(client, sup, portrait).status_code == 201
    assert add(client, sup, "PIR-00000-00000").status_code == 404
    bad = client.post(URL, json={"terms": [], "request_ref": portrait, "reason": "r"}, headers=sup)
    assert bad.status_code == 422 and "terms" in bad.get_json()["errors"]
    blank = add(client, sup, portrait, terms=["   "])
    assert blank.status_code == 422


def test_terms_are_encrypted_and_kept_out_of_the_audit(app, client, auth, block_ref):
    from sqlalchemy import select, text

    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    add(client, auth("supervisor"), block_ref, terms=["Zhao Liuliu"], reason="Reason Qqq")
    with app.app_context():
        raw = db.session.execute(text("SELECT terms, reason FROM blocklist_entries")).one()
        assert b"Zhao" not in bytes(raw[0]) and b"Qqq" not in bytes(raw[1])
        events = db.session.scalars(select(AuditEvent)).all()
        dump = " ".join(e.data for e in events)
        assert "blocklist.added" in {e.action for e in events}
        assert "Zhao" not in dump and "Qqq" not in dump


def test_check_rejects_bad_bodies(client, auth):
    svc = auth("service")
    assert client.post(f"{URL}/check", json={}, headers=svc).status_code == 422
    assert client.post(f"{URL}/check", json={"text": 5}, headers=svc).status_code == 422
    huge = {"text": "x" * 100_001}
    assert client.post(f"{URL}/check", json=huge, headers=svc).status_code == 422


def test_a_change_made_elsewhere_reaches_checks_within_the_version_ttl(
    app_overrides, client, auth, block_ref, tmp_path
):
    """Checks trust the list version they read for VERSION_TTL seconds (a transaction per
    check cost more than the matching); a change made by another process (here, another
    app on the same database) is seen once that has passed, one made here at once."""
    import time

    from pirights import create_app
    from pirights.complaints.blocklist import VERSION_TTL

    sup, svc = auth("supervisor"), auth("service")
    check = f"{URL}/check"
    assert client.post(check, json={"text": "张三"}, headers=svc).get_json() == {"matches": []}
    other = create_app(app_overrides, instance_path=str(tmp_path / "other"))
    added = add(other.test_client(), sup, block_ref).get_json()
    other.extensions["pirights_db"].engine.dispose()
    started = time.monotonic()
    while client.post(check, json={"text": "张三"}, headers=svc).get_json()["matches"] == []:
        assert time.monotonic() - started < VERSION_TTL + 0.5, "the change never arrived"
        time.sleep(0.05)
    assert client.post(check, json={"text": "张三"}, headers=svc).get_json() == {
        "matches": [{"id": added["id"], "term": "张三"}]
    }
    # Made in this process: the next check sees it, with no wait.
    assert client.delete(f"{URL}/{added['id']}", headers=sup).status_code == 204
    assert client.post(check, json={"text": "张三"}, headers=svc).get_json() == {"matches": []}
