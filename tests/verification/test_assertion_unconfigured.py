"""Without PIRIGHTS_IDENTITY_ASSERTION_SECRET no assertion is accepted (and the 422 says
what to configure)."""

from __future__ import annotations

import jwt

from tests.conftest import valid_request
from tests.verification.conftest import BASE


def test_an_assertion_without_a_configured_secret_is_422_naming_the_setting(client, clock):
    now = int(clock().timestamp())
    token = jwt.encode(
        {"sub": "u-1", "aud": "pirights", "iat": now, "exp": now + 60}, "x" * 32, "HS256"
    )
    who = {"name": "张三", "email": "zs@example.cn", "account_id": "u-1"}
    resp = client.post(BASE, json=valid_request(requester=who, identity_assertion=token))
    assert resp.status_code == 422
    (message,) = resp.get_json()["errors"]["identity_assertion"]
    assert "PIRIGHTS_IDENTITY_ASSERTION_SECRET" in message
