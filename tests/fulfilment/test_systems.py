"""Registering data systems (§14): admins only, a whsec_ secret shown once and encrypted,
HTTPS webhook URLs except on loopback hosts, deactivation, service tokens tied to one."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from pirights.fulfilment.urls import url_problem


def test_register_shows_the_secret_once_and_stores_it_encrypted(app, client, admin, register):
    body = register("crm", handles=["delete", "deregister", "delete"])
    assert body["secret"].startswith("whsec_")
    assert body["handles"] == ["delete", "deregister"] and body["active"] is True
    listed = client.get("/api/v1/systems", headers=admin).get_json()["items"]
    assert [s["name"] for s in listed] == ["crm"] and "secret" not in listed[0]
    from pirights.extensions import db

    with app.app_context():
        raw = db.session.execute(text("SELECT secret FROM systems")).scalar_one()
    assert body["secret"].encode() not in bytes(raw)
    events = client.get("/api/v1/audit/export?format=jsonl", headers=admin).get_data(True)
    assert "system.registered" in events and body["secret"] not in events


@pytest.mark.parametrize("role", ["agent", "supervisor", "auditor", "service"])
def test_only_admins_register(client, auth, role):
    resp = client.post(
        "/api/v1/systems",
        json={"name": "crm", "webhook_url": "https://crm.example.cn/h", "handles": ["delete"]},
        headers=auth(role),
    )
    assert resp.status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.cn/hooks",
        "http://localhost:9000/h",
        "http://127.0.0.1/h",
        "http://127.8.9.10:81/h",
        "http://[::1]:8080/h",
    ],
)
def test_https_or_loopback_urls_are_accepted(url):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://crm.example.cn/hooks",
        "http://10.0.0.1/h",
        "http://128.0.0.1/h",
        "ftp://crm.example.cn/",
        "https://user:pw@crm.example.cn/",
        "crm.example.cn/hooks",
        "https:///nohost",
        "https://crm.example.cn:99999/",
    ],
)
def test_other_urls_are_refused_with_a_reason(url):
    assert url_problem(url)


@pytest.fixture
def allow_http(app_overrides):
    """The deployment allows plain HTTP webhooks (set before the app is built)."""
    app_overrides["webhooks"] = {"allow_http": True}


def test_plain_http_allowed_by_setting(allow_http, client, auth):
    resp = client.post(
        "/api/v1/systems",
        json={"name": "wh", "webhook_url": "http://wh.internal/h", "handles": ["delete"]},
        headers=auth("admin"),
    )
    assert resp.status_code == 201


def test_bad_registrations_are_422_or_409(client, admin, register):
    register("crm")
    cases = [
        ({"name": "Bad Name", "webhook_url": "https://a.cn/", "handles": ["delete"]}, "name"),
        ({"name": "x", "webhook_url": "http://a.cn/", "handles": ["delete"]}, "webhook_url"),
        ({"name": "x", "webhook_url": "https://a.cn/", "handles": ["sell"]}, "handles"),
        ({"name": "x", "webhook_url": "https://a.cn/", "handles": []}, "handles"),
    ]
    for body, field in cases:
        resp = client.post("/api/v1/systems", json=body, headers=admin)
        assert resp.status_code == 422 and field in resp.get_json()["errors"], body
    again = {"name": "crm", "webhook_url": "https://a.cn/", "handles": ["delete"]}
    dup = client.post("/api/v1/systems", json=again, headers=admin)
    assert dup.get_json()["type"] == "urn:pirights:problem:system-exists"


def test_delete_deactivates(client, admin, register):
    register("crm")
    resp = client.delete("/api/v1/systems/crm", headers=admin)
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    listed = client.get("/api/v1/systems", headers=admin).get_json()["items"]
    assert listed[0]["active"] is False
    assert client.delete("/api/v1/systems/nope", headers=admin).status_code == 404


def test_a_service_token_is_tied_to_a_system_only_with_role_service(app, register):
    from pirights.errors import Invalid, NotFound
    from pirights.extensions import db
    from pirights.fulfilment.models import System
    from pirights.staff.service import add_staff

    register("crm")
    with app.app_context():
        member, _ = add_staff("crm-bot", "service", system="crm")
        crm = db.session.scalars(select(System)).one()
        assert member.system_id == crm.id
        with pytest.raises(Invalid):
            add_staff("crm-agent", "agent", system="crm")
        with pytest.raises(NotFound):
            add_staff("x-bot", "service", system="nope")


def test_bad_webhook_settings_stop_start_up(app_overrides):
    from pirights import ConfigError, create_app

    app_overrides["webhooks"] = {"read_timeout_seconds": "soon"}
    with pytest.raises(ConfigError, match=r"webhooks\.read_timeout_seconds"):
        create_app(app_overrides)


def test_cli_ties_a_service_token_to_a_system(database_url, app, register):
    import os

    from tests.conftest import TEST_KEY
    from tests.test_cli import run_cli

    register("crm")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    env.update(PIRIGHTS_DATABASE_URL=database_url, PIRIGHTS_ENCRYPTION_KEY=TEST_KEY)
    ok = run_cli("staff", "add", "crm-bot", "--role", "service", "--system", "crm", env=env)
    assert ok.returncode == 0, ok.stderr
    missing = run_cli("staff", "add", "x-bot", "--role", "service", "--system", "nope", env=env)
    assert missing.returncode != 0 and "nope" in missing.stderr
    with app.app_context():
        from sqlalchemy import select

        from pirights.audit.models import AuditEvent
        from pirights.extensions import db

        added = [
            json.loads(e.data)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "staff.added")
            )
        ]
    assert {"staff": "crm-bot", "role": "service", "system_id": 1} in added
