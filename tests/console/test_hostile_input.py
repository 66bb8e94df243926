"""No input to the console's forms, however malformed, gets a 500 or a half-written member."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pirights.errors import PROBLEM
from pirights.extensions import db
from pirights.staff.models import Staff
from tests.console.conftest import LOGIN, csrf_token

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def admin(console_client):
    """An admin's signed-in client, shared by a test's examples."""
    return console_client("admin", "root")


@SETTINGS
@given(name=TEXT, password=st.one_of(TEXT, st.text(min_size=1025, max_size=1100)), nxt=TEXT)
def test_sign_in_never_fails_badly(app, name, password, nxt):
    client = app.test_client()
    token = csrf_token(client)
    resp = client.post(
        LOGIN, data={"name": name, "password": password, "next": nxt, "csrf_token": token}
    )
    assert resp.status_code in (401, 422, 423, 429)
    assert resp.mimetype == "text/html"


@SETTINGS
@given(name=TEXT, role=st.one_of(TEXT, st.sampled_from(["agent", "service"])), password=TEXT)
def test_adding_a_member_never_fails_badly(app, admin, name, role, password):
    token = csrf_token(admin)
    resp = admin.post(
        "/console/staff",
        data={"name": name, "role": role, "password": password, "csrf_token": token},
    )
    assert resp.status_code in (201, 409, 422), resp.status_code
    assert resp.mimetype == "text/html"
    if resp.status_code == 201 and role != "service":
        with app.app_context():
            added = db.session.scalar(select(Staff).where(Staff.name == name.strip()))
        assert added.password_hash  # added with its password, never half


@SETTINGS
@given(name=TEXT, password=TEXT)
def test_member_addresses_never_fail_badly(admin, name, password):
    token = csrf_token(admin)
    for resp in (
        admin.get(f"/console/staff/{name}/revoke"),
        admin.post(f"/console/staff/{name}/password", data={"csrf_token": token}),
    ):
        assert resp.status_code < 500
        # A NUL in a path is refused app-wide before routing (security.input_guard).
        assert resp.mimetype == ("text/html" if "\x00" not in name else PROBLEM)
