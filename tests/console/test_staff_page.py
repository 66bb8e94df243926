"""The Staff page (/console/staff, admin) through the Flask test client."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pirights.audit.models import AuditEvent
from pirights.extensions import db
from pirights.staff.models import Staff
from tests.console.conftest import page_of, post, sign_in

PAGE = "/console/staff"


def _events(app, action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first."""
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(db.session.scalars(query))


def _member(app, name: str) -> Staff | None:
    """A member's row."""
    with app.app_context():
        return db.session.scalar(select(Staff).where(Staff.name == name))


@pytest.mark.parametrize("role", ["agent", "supervisor", "auditor"])
def test_only_admins_open_the_staff_page(app, console_client, role):
    client = console_client(role)
    resp = client.get(PAGE)
    assert resp.status_code == 403 and resp.mimetype == "text/html"
    assert not page_of(resp).find_all("a", href=PAGE)  # not in their navigation either
    (denied,) = _events(app, "auth.denied")
    assert json.loads(denied.data) == {"reason": "role", "role": role, "route": PAGE}
    assert denied.actor == f"staff:{role}"


@pytest.mark.parametrize("role", ["agent", "supervisor", "auditor"])
def test_non_admins_cannot_post_either(app, console_client, role):
    client = console_client(role)
    assert post(client, PAGE, {"name": "mallory", "role": "admin"}).status_code == 403
    assert post(client, f"{PAGE}/{role}/password", {}).status_code == 403
    assert post(client, f"{PAGE}/{role}/revoke", {}).status_code == 403
    assert _member(app, "mallory") is None and _member(app, role).active


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_list_shows_every_member(console_client, make_staff, lang):
    client = console_client("admin", "root")
    make_staff("bot", "service")
    doc = page_of(client.get(f"{PAGE}?lang={lang}"))
    rows = {r.get("data-staff"): r for r in doc.find_all("tr", data_staff=True)}
    assert set(rows) == {"root", "bot"}
    assert doc.find("a", href=PAGE).get("aria-current") == "page"
    assert not rows["bot"].find_all("input", type="password")  # a token, no password


def test_adding_a_person_shows_token_and_password_once(app, console_client):
    client = console_client("admin", "root")
    resp = post(client, PAGE, {"name": "li.na", "role": "supervisor"})
    assert resp.status_code == 201
    doc = page_of(resp)
    token = doc.find("code", data_api_token=True).text()
    password = doc.find("code", data_password=True).text()
    assert token.startswith("pir_") and len(password) >= 20
    assert resp.headers["Cache-Control"] == "no-store"
    # Shown once: the next view of the page does not have them.
    again = client.get(PAGE).get_data(as_text=True)
    assert token not in again and password not in again
    # Both work: the token on the API, the password at the sign-in.
    api = app.test_client().get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert sign_in(app.test_client(), "li.na", password).status_code == 303
    added = _events(app, "staff.added")[-1]
    assert json.loads(added.data)["staff"] == "li.na"
    assert added.actor == "staff:root" and json.loads(added.data)["role"] == "supervisor"
    (password_set,) = [e for e in _events(app, "staff.password_set") if "li.na" in e.data]
    assert password_set.actor == "staff:root" and password not in password_set.data


def test_adding_with_a_chosen_password(app, console_client):
    client = console_client("admin", "root")
    resp = post(client, PAGE, {"name": "wu", "role": "agent", "password": "chosen by the admin"})
    assert resp.status_code == 201
    assert not page_of(resp).find_all("code", data_password=True)
    assert sign_in(app.test_client(), "wu", "chosen by the admin").status_code == 303


def test_adding_a_service_identity_gives_a_token_only(app, console_client):
    client = console_client("admin", "root")
    doc = page_of(post(client, PAGE, {"name": "gen-svc", "role": "service"}))
    assert doc.find("code", data_api_token=True).text().startswith("pir_")
    assert not doc.find_all("code", data_password=True)
    assert _member(app, "gen-svc").password_hash is None


@pytest.mark.parametrize(
    "form, field, status",
    [
        ({"name": "", "role": "agent"}, "name", 422),
        ({"name": "has space", "role": "agent"}, "name", 422),
        ({"name": "x" * 65, "role": "agent"}, "name", 422),
        ({"name": "ok", "role": "king"}, "role", 422),
        ({"name": "ok", "role": "agent", "password": "short"}, "password", 422),
        ({"name": "root", "role": "agent"}, "name", 409),
    ],
)
def test_a_refused_addition_explains_beside_the_field(app, console_client, form, field, status):
    client = console_client("admin", "root")
    resp = post(client, PAGE, form)
    assert resp.status_code == status
    doc = page_of(resp)
    assert doc.by_id(f"{field}-error").text()
    assert doc.by_id(field).get("aria-invalid") == "true"
    assert len(_events(app, "staff.added")) == 1  # only root's


def test_reset_password_shows_a_new_one_once_and_ends_sessions(app, console_client):
    admin = console_client("admin", "root")
    agent = console_client("agent", "wu")
    resp = post(admin, f"{PAGE}/wu/password", {})
    assert resp.status_code == 200
    new = page_of(resp).find("section", data_shown_once="wu").find("code", data_password=True)
    assert agent.get("/console/login").status_code == 200
    assert agent.get(PAGE).status_code == 303  # wu's session ended
    assert sign_in(app.test_client(), "wu", new.text()).status_code == 303
    assert [e.actor for e in _events(app, "staff.password_set")][-1] == "staff:root"


def test_set_a_chosen_password(app, console_client):
    admin = console_client("admin", "root")
    console_client("agent", "wu")
    resp = post(admin, f"{PAGE}/wu/password", {"password": "the new password"})
    assert resp.status_code == 303
    assert "the new password" not in admin.get(PAGE).get_data(as_text=True)
    assert sign_in(app.test_client(), "wu", "the new password").status_code == 303


def test_a_short_password_is_refused_beside_its_row(console_client):
    admin = console_client("admin", "root")
    console_client("agent", "wu")
    resp = post(admin, f"{PAGE}/wu/password", {"password": "short"})
    assert resp.status_code == 422
    assert "10" in page_of(resp).by_id("password-wu-error").text()


def test_reset_clears_a_lock_out(app, console_client, make_member):
    admin = console_client("admin", "root")
    make_member("agent", "wu")
    stranger = app.test_client()
    for _ in range(5):
        sign_in(stranger, "wu", "guessing wrong")
    assert sign_in(stranger, "wu").status_code == 423
    doc = page_of(admin.get(PAGE))
    assert doc.find("tr", data_staff="wu").find_all("span", data_locked=True)
    post(admin, f"{PAGE}/wu/password", {"password": "a fresh password"})
    assert sign_in(stranger, "wu", "a fresh password").status_code == 303


def test_revoke_asks_first_then_revokes(app, console_client):
    admin = console_client("admin", "root")
    agent = console_client("agent", "wu")
    confirm = admin.get(f"{PAGE}/wu/revoke?lang=en")
    assert confirm.status_code == 200
    assert page_of(confirm).find("button", type="submit", class_="danger").text() == "Revoke"
    assert _member(app, "wu").active  # asking changed nothing
    resp = post(admin, f"{PAGE}/wu/revoke", {})
    assert resp.status_code == 303
    assert not _member(app, "wu").active
    assert agent.get("/console/login").status_code == 200
    assert agent.get(PAGE).status_code == 303
    (revoked,) = _events(app, "staff.revoked")
    assert revoked.actor == "staff:root"
    row = page_of(admin.get(PAGE)).find("tr", data_staff="wu")
    assert row.get("data-active") == "false" and not row.find_all("form")


def test_unknown_members_are_404_pages(console_client):
    admin = console_client("admin", "root")
    for resp in (
        admin.get(f"{PAGE}/nobody/revoke"),
        post(admin, f"{PAGE}/nobody/revoke", {}),
        post(admin, f"{PAGE}/nobody/password", {}),
    ):
        assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_a_revoked_member_gets_no_password(console_client, app):
    from pirights.staff.service import revoke_staff

    admin = console_client("admin", "root")
    console_client("agent", "wu")
    with app.app_context():
        revoke_staff("wu")
    assert post(admin, f"{PAGE}/wu/password", {}).status_code == 409


def test_staff_posts_need_the_csrf_token(app, console_client):
    admin = console_client("admin", "root")
    assert admin.post(PAGE, data={"name": "x", "role": "agent"}).status_code == 400
    assert _member(app, "x") is None
