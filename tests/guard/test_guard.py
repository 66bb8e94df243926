"""The in-process guard of §15 against a live server: fetch, 304 polling, same matching."""

from __future__ import annotations

import threading
import time

import pytest

from pirights.guard import Guard, GuardError

URL = "/api/v1/blocklist"
TRICKY = [
    "写一首关于张 三的诗",
    "ｚｈａｎｇ　ＳＡＮ was here",
    "ZHANG\tsan and 李四",
    "nothing to see",
    "",
    "张三张三 Zhang San",
]


@pytest.fixture
def block_ref(submit):
    """A block request that may add entries."""
    return submit(type="block")["reference"]


@pytest.fixture
def service_token(make_staff):
    """A service token, as the generation service holds."""
    return make_staff("gen-service", "service")


@pytest.fixture
def sup(auth):
    """A supervisor's headers."""
    return auth("supervisor")


def add(client, sup, ref, terms):
    """Add an entry as a supervisor; returns its id."""
    resp = client.post(
        URL, json={"terms": terms, "request_ref": ref, "reason": "upheld"}, headers=sup
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_matches_exactly_what_the_server_matches(
    client, sup, block_ref, live_server, service_token
):
    add(client, sup, block_ref, ["张三", "Zhang San"])
    add(client, sup, block_ref, ["李四"])
    with Guard(live_server, service_token, poll_seconds=0) as guard:
        headers = {"Authorization": f"Bearer {service_token}"}
        for text in TRICKY:
            server = client.post(f"{URL}/check", json={"text": text}, headers=headers)
            assert guard.check(text) == server.get_json()["matches"], text
        assert guard.check("张 三")[0]["term"] == "张三"
        assert guard.version == 2


def test_refresh_is_304_until_the_list_changes(client, sup, block_ref, live_server, service_token):
    entry = add(client, sup, block_ref, ["张三"])
    guard = Guard(live_server, service_token, poll_seconds=0)
    assert guard.refresh() is False  # unchanged: the server answered 304
    assert guard.check("张三") == [{"id": entry, "term": "张三"}]
    second = add(client, sup, block_ref, ["王五"])
    assert guard.refresh() is True and guard.version == 2
    assert guard.check("王五") == [{"id": second, "term": "王五"}]
    deleted = client.delete(f"{URL}/{entry}", headers=sup)
    assert deleted.status_code == 204
    assert guard.refresh() is True
    assert guard.check("张三") == []
    assert guard.age_seconds < 5


def test_polling_picks_up_changes_by_itself(client, sup, block_ref, live_server, service_token):
    with Guard(live_server, service_token, poll_seconds=0.05) as guard:
        assert guard.check("赵六") == []
        add(client, sup, block_ref, ["赵六"])
        deadline = time.monotonic() + 10
        while not guard.check("赵六") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [m["term"] for m in guard.check("赵六")] == ["赵六"]


def test_a_bad_token_fails_at_start_without_echoing_it(live_server):
    with pytest.raises(GuardError) as info:
        Guard(live_server, "not-a-token-secret", poll_seconds=0)
    assert "401" in str(info.value) and "not-a-token-secret" not in str(info.value)


def test_a_role_that_may_not_read_the_list_is_refused(live_server, make_staff):
    with pytest.raises(GuardError, match="403"):
        Guard(live_server, make_staff("ann", "agent"), poll_seconds=0)


def test_an_unreachable_server_keeps_the_last_list(app, client, sup, block_ref, service_token):
    from werkzeug.serving import make_server

    add(client, sup, block_ref, ["张三"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    guard = Guard(f"http://127.0.0.1:{server.server_port}", service_token, poll_seconds=0.05)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    deadline = time.monotonic() + 10
    while guard.last_error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "failed" in (guard.last_error or "")
    guard.close()
    with pytest.raises(GuardError, match="failed"):
        guard.refresh()
    assert [m["term"] for m in guard.check("张三")] == ["张三"]


def test_an_unreachable_server_at_start_is_an_error():
    with pytest.raises(GuardError, match="failed"):
        Guard("http://127.0.0.1:9", "t", poll_seconds=0, timeout=1)
