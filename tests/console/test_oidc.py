"""Single sign-on with OpenID Connect against a real provider on 127.0.0.1.

The provider is oidc-provider-mock's server (a real OpenID provider built on Authlib's
server side: discovery, JWKS, authorization code with PKCE, signed ID tokens), started in a
thread by the fixture; nothing of ours is replaced. A person "signs in at the provider" by
posting its authorization form, as the browser would.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oidc_provider_mock import User, run_server_in_thread
from sqlalchemy import select

from pirights.audit.models import AuditEvent
from pirights.extensions import db
from tests.console.conftest import LOGIN, page_of, post

USERS = [
    User(sub="u-li", claims={"email": "li.na@corp.example", "email_verified": True}),
    User(sub="u-wu", claims={"email": "wu@corp.example", "email_verified": False}),
    User(sub="u-stranger", claims={"email": "stranger@corp.example", "email_verified": True}),
    User(sub="u-full", claims={"email": "zhou@elsewhere.example", "email_verified": True}),
]


@pytest.fixture(scope="module")
def provider():
    """The OpenID provider's issuer URL."""
    with run_server_in_thread(user_claims=USERS, require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def app_overrides(app_overrides, provider):
    """The app configured for single sign-on with the provider."""
    return {
        **app_overrides,
        "console": {
            "oidc_issuer": provider,
            "oidc_client_id": "pirights-console",
            "oidc_client_secret": "console-secret",
        },
        "notifications": {"staff_email_domain": "corp.example"},
    }


def _provider_sign_in(client, sub: str, next_path: str = "/console/staff"):
    """Start single sign-on, sign in at the provider as `sub`, return the callback answer."""
    start = post(client, "/console/login/oidc", {"next": next_path})
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/console/login/oidc/callback"
    return client.get(f"{back.path}?{back.query}")


def test_the_sign_in_page_offers_single_sign_on(client):
    doc = page_of(client.get(LOGIN + "?lang=en"))
    assert doc.find("form", class_="sso").find("button").text() == "Sign in with single sign-on"


def test_a_verified_email_at_the_staff_domain_signs_the_member_in(app, client, make_member):
    make_member("admin", "li.na")
    resp = _provider_sign_in(client, "u-li")
    assert resp.status_code == 303 and resp.headers["Location"] == "/console/staff"
    assert client.get("/console/staff").status_code == 200
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.signed_in"))
    assert event.actor == "staff:li.na" and json.loads(event.data)["method"] == "oidc"


def test_an_email_equal_to_the_name_signs_in(client, make_member):
    make_member("agent", "zhou@elsewhere.example")
    resp = _provider_sign_in(client, "u-full", "/console/login")
    assert resp.status_code == 303


def test_an_unknown_identity_is_refused(app, client, make_member):
    make_member("admin", "li.na")
    resp = _provider_sign_in(client, "u-stranger")
    assert resp.status_code == 403
    assert page_of(resp).find("div", data_sign_in_error=True)
    assert client.get("/console/staff").status_code == 303
    with app.app_context():
        denied = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.denied"))
    assert json.loads(denied.data)["reason"] == "unknown_identity"
    assert "stranger" not in denied.data


def test_an_unverified_email_is_refused(client, make_member):
    make_member("admin", "wu")
    assert _provider_sign_in(client, "u-wu").status_code == 403


def test_a_revoked_member_is_refused(app, client, make_member):
    from pirights.staff.service import revoke_staff

    make_member("admin", "li.na")
    with app.app_context():
        revoke_staff("li.na")
    assert _provider_sign_in(client, "u-li").status_code == 403


def test_a_callback_without_its_state_is_refused(client, make_member):
    make_member("admin", "li.na")
    resp = client.get("/console/login/oidc/callback?code=forged&state=forged")
    assert resp.status_code == 401
    assert client.get("/console/staff").status_code == 303


def test_a_replayed_callback_is_refused(app, client, make_member):
    make_member("admin", "li.na")
    start = post(client, "/console/login/oidc", {"next": "/console/staff"})
    answer = requests.post(start.headers["Location"], data={"sub": "u-li"}, allow_redirects=False)
    back = urlsplit(answer.headers["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 303
    other = app.test_client()
    assert other.get(f"{back.path}?{back.query}").status_code == 401


def test_without_an_issuer_there_is_no_single_sign_on(app_overrides, tmp_path):
    from pirights import create_app

    overrides = {**app_overrides, "console": {"oidc_issuer": ""}}
    plain = create_app(overrides, instance_path=str(tmp_path / "plain")).test_client()
    assert not page_of(plain.get(LOGIN)).find_all("form", class_="sso")
    assert plain.get("/console/login/oidc/callback?code=x&state=y").status_code == 404


@pytest.mark.parametrize(
    "console, wrong",
    [
        ({"oidc_issuer": "https://id.example", "oidc_client_secret": "s"}, "oidc_client_id"),
        ({"oidc_issuer": "https://id.example", "oidc_client_id": "c"}, "oidc_client_secret"),
        (
            {"oidc_issuer": "http://id.example", "oidc_client_id": "c", "oidc_client_secret": "s"},
            "oidc_issuer",
        ),
        ({"oidc_claim": "phone_number"}, "oidc_claim"),
    ],
)
def test_bad_single_sign_on_settings_stop_start_up(console, wrong):
    from pirights.config import ConfigError
    from pirights.console.settings import load

    with pytest.raises(ConfigError, match=f"console.{wrong}"):
        load({"console": console})


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_single_sign_on_in_chromium(browser, live_server, make_member, console_shots, lang):
    """The whole round trip in a browser: our page, the provider's page, back, signed in
    (the SameSite=Lax session cookie comes back on the provider's top-level redirect)."""
    make_member("admin", "li.na")
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}{LOGIN}?lang={lang}&next=/console/staff")
    console_shots(page, f"sign-in-sso-{lang}")
    page.locator("form.sso button").click()
    page.wait_for_load_state()
    assert page.url.startswith("http://localhost:")  # at the provider
    page.fill("input[name=sub]", "u-li")
    page.locator("button[type=submit]", has_text="Authorize").click()
    page.wait_for_url("**/console/staff")
    assert page.locator("[data-member]").inner_text() == "li.na"
    page.goto(f"{live_server}{LOGIN}")
    page.get_by_role("button", name="Sign out" if lang == "en" else "退出登录").first.click()
    page.locator("form.sso button").click()
    page.fill("input[name=sub]", "u-stranger")
    page.locator("button[type=submit]", has_text="Authorize").click()
    page.wait_for_load_state()
    assert page.locator("[data-sign-in-error]").count() == 1
    console_shots(page, f"sign-in-sso-refused-{lang}")
    context.close()


def test_the_policy_lets_the_sign_in_form_reach_the_provider(client, provider):
    csp = client.get(LOGIN).headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider}" in csp
    assert "script-src 'self'" in csp and "unsafe" not in csp
