"""Staff tokens expire (limits.staff_token_days) and can be listed and revoked one by one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from pirights.cli import main

STAFF = "/api/v1/requests"


@pytest.fixture
def cli(app_overrides, monkeypatch):
    """Invoke the CLI in-process against this test's database."""
    monkeypatch.setenv("PIRIGHTS_DATABASE_URL", app_overrides["database"]["url"])
    monkeypatch.setenv("PIRIGHTS_ENCRYPTION_KEY", app_overrides["security"]["encryption_key"])

    def run(*args: str):
        return CliRunner().invoke(main, list(args))

    return run


def test_tokens_expire_after_the_configured_days(app_overrides, clock, request):
    app_overrides["limits"] = {"staff_token_days": 30}
    app = request.getfixturevalue("app")
    client = app.test_client()
    token = request.getfixturevalue("make_staff")("erin", "agent")
    headers = {"Authorization": f"Bearer {token}"}
    start = clock()
    clock.set(start + timedelta(days=29, hours=23))
    assert client.get(STAFF, headers=headers).status_code == 200
    clock.set(start + timedelta(days=30))
    resp = client.get(STAFF, headers=headers)
    assert resp.status_code == 401
    from pirights.audit.recorder import as_dict
    from pirights.extensions import db
    from pirights.models import AuditEvent

    with app.app_context():
        last = as_dict(db.session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first())
    assert last["action"] == "auth.denied" and last["data"]["reason"] == "expired_token"


def test_zero_days_means_tokens_never_expire(app, client, make_staff, clock):
    token = make_staff("fay", "agent")
    clock.set(clock() + timedelta(days=3650))
    assert client.get(STAFF, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_tokens_are_listed_without_the_token_and_revoked_one_by_one(
    app, client, make_staff, cli, clock
):
    token = make_staff("gus", "agent")
    listing = cli("staff", "tokens", "gus")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.strip().splitlines()
    assert lines[0] == "id\tcreated\texpires\trevoked"
    token_id, created, expires, revoked = lines[1].split("\t")
    assert created == "2026-09-30T02:00:00Z" and expires == "-" and revoked == "-"
    assert token not in listing.output
    result = cli("staff", "revoke-token", "gus", token_id)
    assert result.exit_code == 0, result.output
    assert client.get(STAFF, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert cli("staff", "tokens", "gus").output.strip().splitlines()[1].split("\t")[3] != "-"
    assert cli("staff", "tokens", "nobody").exit_code != 0
    assert cli("staff", "revoke-token", "gus", "999").exit_code != 0
    for absurd in ("2147483648", "9223372036854775808", "0"):  # beyond INTEGER ids
        result = cli("staff", "revoke-token", "gus", absurd)
        assert result.exit_code == 1 and "no token with id" in result.output, result.output
