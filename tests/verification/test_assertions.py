"""Account assertions at intake (SPEC §12.1): a valid HS256 JWT for the account creates the
request verified; anything else is a 422 naming identity_assertion and creates nothing."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import func, select

from tests.conftest import valid_request
from tests.verification.conftest import BASE, audit, queued

SECRET = "shared-secret-between-the-app-and-pirights-" + "s" * 24
ACCOUNT = {"name": "张三", "email": "zs@example.cn", "account_id": "u-1"}


@pytest.fixture
def app_overrides(app_overrides):
    """The deployment accepts assertions signed with SECRET."""
    app_overrides["verification"] = {"identity_assertion_secret": SECRET}
    return app_overrides


def mint(clock, secret: str = SECRET, algorithm: str = "HS256", **changes) -> str:
    """An assertion as the provider's app makes one (README), issued now."""
    now = int(clock().timestamp())
    claims = {"sub": "u-1", "aud": "pirights", "iat": now, "exp": now + 300}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm=algorithm)


def counts(app) -> tuple[int, int, int]:
    """Requests, audit events and outbox rows in the database."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage
    from pirights.requests.models import Request

    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Request, AuditEvent, OutboxMessage)
        )


def test_a_valid_assertion_creates_the_request_verified(app, client, clock, auth):
    body = valid_request(requester=ACCOUNT, identity_assertion=mint(clock))
    resp = client.post(BASE, json=body)
    assert resp.status_code == 201, resp.get_json()
    answer = resp.get_json()
    assert answer["identity_verified"] is True and answer["verification_channel"] is None
    ref = answer["reference"]
    detail = client.get(f"/api/v1/requests/{ref}", headers=auth("agent")).get_json()
    assert detail["identity_verified"] is True and detail["identity_method"] == "account_login"
    actions = audit(app, ref)
    assert actions[:2] == [
        ("request.created", actions[0][1]),
        ("identity.verified", {"method": "account_login"}),
    ]
    assert "identity.code_sent" not in [a for a, _ in actions]
    # The receipt still goes out, without a code.
    ((kind, _, payload),) = queued(app, ref)
    assert kind == "requester.receipt" and "verification code" not in payload["text"].lower()
    assert "验证码" not in payload["text"]


def test_clock_leeway_of_thirty_seconds(client, clock):
    now = int(clock().timestamp())
    for claims in (
        {"iat": now - 320, "exp": now - 20},  # expired 20 s ago
        {"iat": now + 25, "exp": now + 325},  # issued 25 s ahead of our clock
    ):
        body = valid_request(requester=ACCOUNT, identity_assertion=mint(clock, **claims))
        assert client.post(BASE, json=body).status_code == 201


def _refused(clock):
    now = int(clock().timestamp())
    return {
        "wrong secret": mint(clock, secret="another-secret-" + "x" * 60),
        "wrong audience": mint(clock, aud="someone-else"),
        "no audience": mint(clock, aud=None),
        "no iat": mint(clock, iat=None),
        "no exp": mint(clock, exp=None),
        "no sub": mint(clock, sub=None),
        "longer than 10 minutes": mint(clock, iat=now, exp=now + 601),
        "expired": mint(clock, iat=now - 400, exp=now - 31),
        "issued in the future": mint(clock, iat=now + 31, exp=now + 331),
        "another account": mint(clock, sub="u-2"),
        "HS512": mint(clock, algorithm="HS512"),
        "unsigned": jwt.encode({"sub": "u-1", "aud": "pirights", "iat": now, "exp": now + 60},
                               None, algorithm="none"),
        "iat as text": mint(clock, iat=str(now)),
        "not a JWT": "definitely-not-a-jwt",
    }  # fmt: skip


@pytest.mark.parametrize(
    "case",
    [
        "wrong secret",
        "wrong audience",
        "no audience",
        "no iat",
        "no exp",
        "no sub",
        "longer than 10 minutes",
        "expired",
        "issued in the future",
        "another account",
        "HS512",
        "unsigned",
        "iat as text",
        "not a JWT",
    ],
)
def test_anything_else_is_422_and_creates_nothing(app, client, clock, case):
    body = valid_request(requester=ACCOUNT, identity_assertion=_refused(clock)[case])
    resp = client.post(BASE, json=body, headers={"Idempotency-Key": f"k-{case}"})
    assert resp.status_code == 422, (case, resp.get_json())
    problem = resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert list(problem["errors"]) == ["identity_assertion"]
    assert counts(app) == (0, 0, 0)


def test_an_assertion_needs_the_account_id(app, client, clock):
    who = {k: v for k, v in ACCOUNT.items() if k != "account_id"}
    resp = client.post(BASE, json=valid_request(requester=who, identity_assertion=mint(clock)))
    assert resp.status_code == 422
    assert "account_id" in resp.get_json()["errors"]["identity_assertion"][0]
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize("value", ["", 12, None, ["a"]])
def test_an_assertion_of_the_wrong_type_is_422(app, client, value):
    resp = client.post(BASE, json=valid_request(requester=ACCOUNT, identity_assertion=value))
    assert resp.status_code == 422 and "identity_assertion" in resp.get_json()["errors"]
    assert counts(app) == (0, 0, 0)
