"""Sign-in, sessions and sign-out of the console (SPEC §13), through the Flask test client."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from pirights.audit.models import AuditEvent
from pirights.extensions import db
from pirights.staff.models import Staff
from tests.console.conftest import LOGIN, PASSWORD, csrf_token, page_of, post, sign_in

STAFF_PAGE = "/console/staff"


def _events(app, action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


def _data(event: AuditEvent) -> dict:
    """An event's data object."""
    return json.loads(event.data)


def _member(app, name: str) -> Staff:
    """A member's row as stored now."""
    with app.app_context():
        return db.session.scalar(select(Staff).where(Staff.name == name))


def test_sign_in_page_has_the_spec_fields(client):
    resp = client.get(f"{LOGIN}?lang=en")
    assert resp.status_code == 200
    doc = page_of(resp)
    assert doc.find("label", for_="name").text() == "Name"
    assert doc.find("label", for_="password").text() == "Password"
    assert doc.find("input", id="password").get("type") == "password"
    assert doc.find("button", type="submit").text() == "Sign in"
    assert doc.find("input", name="csrf_token").get("value")


def test_sign_in_page_in_chinese_by_default(client):
    doc = page_of(client.get(LOGIN))
    assert doc.find("html").get("lang") == "zh-CN"
    assert doc.find("label", for_="name").text() == "姓名"
    assert doc.find("button", type="submit").text() == "登录"


def test_console_pages_carry_the_strict_headers(client):
    resp = client.get(LOGIN)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "<script" not in resp.get_data(as_text=True)
    css = client.get("/console/assets/console.css")
    assert css.status_code == 200 and css.headers["Content-Security-Policy"]


def test_a_post_without_csrf_token_is_a_400_page(client, make_member):
    make_member("agent")
    resp = client.post(LOGIN, data={"name": "agent", "password": PASSWORD})
    assert resp.status_code == 400
    assert resp.mimetype == "text/html"
    assert (
        "console" not in client.get_cookie("session").value
        if client.get_cookie("session")
        else True
    )


def test_sign_in_sets_a_protected_session_and_audits_it(app, client, make_member):
    make_member("admin", "root")
    resp = sign_in(client, "root", next_path=STAFF_PAGE)
    assert resp.status_code == 303
    assert resp.headers["Location"] == STAFF_PAGE
    cookie = resp.headers.getlist("Set-Cookie")[-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here
    (event,) = _events(app, "auth.signed_in")
    assert event.actor == "staff:root"
    assert PASSWORD not in event.data


def test_session_cookie_is_secure_over_https(client, make_member):
    make_member("agent")
    token = csrf_token(client)
    resp = client.post(
        LOGIN,
        data={"name": "agent", "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/console/login"},
    )
    assert resp.status_code == 303
    assert "Secure" in resp.headers.getlist("Set-Cookie")[-1]


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/console/", "//evil.example/console/", "/api/v1/requests", "/\\evil"],
)
def test_next_never_leaves_the_console(client, make_member, target):
    make_member("agent")
    resp = sign_in(client, "agent", next_path=target)
    assert resp.headers["Location"] == "/console/"


def test_a_page_without_a_session_redirects_to_sign_in(client):
    resp = client.get(STAFF_PAGE + "?x=1")
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("/console/login?next=")
    assert unquote(resp.headers["Location"]) == "/console/login?next=/console/staff?x=1"


def test_wrong_password_is_refused_and_never_recorded(app, client, make_member):
    make_member("agent")
    resp = sign_in(client, "agent", "not the password")
    assert resp.status_code == 401
    doc = page_of(resp)
    assert doc.find("div", data_sign_in_error=True).text()
    assert doc.find("input", id="name").get("value") == "agent"
    assert doc.find("input", id="password").get("value") is None
    (event,) = _events(app, "auth.denied")
    assert _data(event)["reason"] == "password"
    assert "not the password" not in event.data
    assert _member(app, "agent").failed_sign_ins == 1


def test_unknown_name_reads_like_a_wrong_password(app, client):
    resp = sign_in(client, "nobody@example.cn", "whatever-it-is")
    assert resp.status_code == 401
    (event,) = _events(app, "auth.denied")
    assert _data(event)["reason"] == "unknown_name"
    assert "nobody" not in event.data


def test_five_failures_lock_the_name_for_fifteen_minutes(app, client, make_member, clock):
    make_member("agent")
    for _ in range(4):
        assert sign_in(client, "agent", "wrong password!").status_code == 401
    resp = sign_in(client, "agent", "wrong password!")
    assert resp.status_code == 423
    assert "15" in page_of(resp).find("div", data_sign_in_error=True).text()
    locks = [e for e in _events(app, "auth.denied") if _data(e)["reason"] == "locked_out"]
    assert len(locks) == 1 and _data(locks[0])["staff"] == "agent"
    assert "wrong password!" not in locks[0].data
    # Locked: even the right password is refused, until the 15 minutes are over.
    clock.set(clock.moment + timedelta(minutes=14, seconds=59))
    assert sign_in(client, "agent").status_code == 423
    clock.set(clock.moment + timedelta(seconds=2))
    assert sign_in(client, "agent").status_code == 303


def test_a_success_resets_the_count(app, client, make_member):
    make_member("agent")
    for _ in range(4):
        sign_in(client, "agent", "wrong password!")
    assert sign_in(client, "agent").status_code == 303
    assert _member(app, "agent").failed_sign_ins == 0
    for _ in range(4):
        assert sign_in(client, "agent", "wrong password!").status_code == 401


def test_a_revoked_member_cannot_sign_in_and_loses_the_session(app, make_member, console_client):
    from pirights.staff.service import revoke_staff

    client = console_client("admin")
    assert client.get(STAFF_PAGE).status_code == 200
    with app.app_context():
        revoke_staff("admin")
    assert client.get(STAFF_PAGE).status_code == 303
    fresh = app.test_client()
    assert sign_in(fresh, "admin").status_code == 401


def test_a_member_without_a_password_cannot_sign_in(app, client, make_staff):
    make_staff("tokenonly", "agent")
    assert sign_in(client, "tokenonly", "anything at all").status_code == 401


def test_thirty_idle_minutes_end_the_session(console_client, clock):
    client = console_client("admin")
    clock.set(clock.moment + timedelta(minutes=29))
    assert client.get(STAFF_PAGE).status_code == 200  # use keeps it alive
    clock.set(clock.moment + timedelta(minutes=29))
    assert client.get(STAFF_PAGE).status_code == 200
    clock.set(clock.moment + timedelta(minutes=30, seconds=1))
    resp = client.get(STAFF_PAGE)
    assert resp.status_code == 303 and resp.headers["Location"].startswith(LOGIN)


def test_sign_out_ends_the_session_on_the_server(app, console_client):
    client = console_client("admin")
    with client.session_transaction() as sess:
        saved = dict(sess)
    resp = post(client, "/console/logout", {}, base_url="http://localhost")
    assert resp.status_code == 303
    assert client.get(STAFF_PAGE).status_code == 303
    # The cookie from before sign-out no longer works either: the server ended it.
    replay = app.test_client()
    with replay.session_transaction() as sess:
        sess.update(saved)
    assert replay.get(STAFF_PAGE).status_code == 303
    assert len(_events(app, "auth.signed_out")) == 1


def test_a_new_password_ends_old_sessions(app, console_client):
    from pirights.staff.service import set_password

    client = console_client("admin")
    with app.app_context():
        set_password("admin", "another long password")
    assert client.get(STAFF_PAGE).status_code == 303


def test_signed_in_login_page_says_who(console_client):
    client = console_client("agent", "li.lei")
    doc = page_of(client.get(LOGIN + "?lang=en"))
    assert doc.find("p", data_signed_in="li.lei")
    assert doc.find("span", data_member="li.lei")


def test_the_public_rate_limit_does_not_count_console_pages(app_overrides, tmp_path):
    from pirights import create_app

    overrides = {**app_overrides, "public": {"rate_limit": "2/hour"}}
    limited = create_app(overrides, instance_path=str(tmp_path / "limited")).test_client()
    assert all(limited.get(LOGIN).status_code == 200 for _ in range(5))
    assert [limited.get("/").status_code for _ in range(3)][-1] == 429  # the form is counted


def test_a_name_nobody_has_locks_like_a_members(app, client):
    """Five wrong passwords must not tell whether a name exists."""
    for _ in range(4):
        assert sign_in(client, "ghost", "wrong password!").status_code == 401
    resp = sign_in(client, "ghost", "wrong password!")
    assert resp.status_code == 423
    assert "15" in page_of(resp).find("div", data_sign_in_error=True).text()
    assert sign_in(client, "GHOST", "wrong password!").status_code == 423  # same name
    assert sign_in(client, "other", "wrong password!").status_code == 401
    locks = [e for e in _events(app, "auth.denied") if _data(e)["reason"] == "locked_out"]
    assert len(locks) == 1 and "ghost" not in locks[0].data.lower()


@pytest.mark.parametrize(
    "method, path, status",
    [("get", "/console/no-such-page", 404), ("get", "/console/logout", 405)],
)
def test_unrouted_console_addresses_are_pages(client, method, path, status):
    resp = getattr(client, method)(path + "?lang=en")
    assert resp.status_code == status
    assert resp.mimetype == "text/html"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert page_of(resp).find("p", data_status_code=str(status))
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


@pytest.mark.parametrize("proxies, secure", [(1, True), (0, False)])
def test_secure_cookie_behind_a_trusted_tls_proxy(
    app_overrides, tmp_path, make_member, proxies, secure
):
    from pirights import create_app

    overrides = {**app_overrides, "server": {"trusted_proxies": proxies}}
    proxied = create_app(overrides, instance_path=str(tmp_path / "proxied")).test_client()
    make_member("agent")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    token = csrf_token(proxied)
    resp = proxied.post(
        LOGIN,
        data={"name": "agent", "password": PASSWORD, "csrf_token": token},
        headers={**forwarded, "Referer": "https://localhost/console/login"},
    )
    assert resp.status_code == 303
    assert ("Secure" in resp.headers.getlist("Set-Cookie")[-1]) is secure


def test_revoked_and_passwordless_names_lock_like_a_members(app, client, make_member, make_staff):
    """A name that never locked would tell that it is a revoked or token-only member's."""
    from pirights.staff.service import revoke_staff

    make_member("agent", "gone")
    with app.app_context():
        revoke_staff("gone")
    make_staff("tokenonly", "agent")
    for name in ("gone", "tokenonly"):
        for _ in range(4):
            assert sign_in(client, name, "wrong password!").status_code == 401
        assert sign_in(client, name, "wrong password!").status_code == 423
    locks = [e for e in _events(app, "auth.denied") if _data(e)["reason"] == "locked_out"]
    assert len(locks) == 2 and all("name" in _data(e) for e in locks)
