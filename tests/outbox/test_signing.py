"""Standard Webhooks signing (pirights.outbox.signing), checked against the reference
`standardwebhooks` package and against an HMAC computed here."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from pirights.outbox import signing


def test_new_secrets_have_the_whsec_form_and_differ():
    one, two = signing.new_secret(), signing.new_secret()
    assert one.startswith("whsec_") and one != two
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 32


def test_the_reference_implementation_accepts_our_signature():
    secret = signing.new_secret()
    body = b'{"type":"privacy_request.task","task_id":1}'
    now = datetime.now(UTC)
    sent = signing.headers(secret, "msg_abc", now, body)
    assert Webhook(secret).verify(body, sent) == {"type": "privacy_request.task", "task_id": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", sent)


def test_signature_is_hmac_sha256_of_id_timestamp_body():
    key = b"s" * 32
    secret = "whsec_" + base64.b64encode(key).decode()
    body = "主体".encode()
    mac = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert signing.signature(secret, "msg_1", 1700000000, body) == (
        "v1," + base64.b64encode(mac).decode()
    )


def test_verify_checks_signature_and_timestamp():
    secret = signing.new_secret()
    at = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    sent = signing.headers(secret, "msg_x", at, b"{}")
    assert signing.verify(secret, sent, b"{}", at + timedelta(seconds=299))
    assert not signing.verify(secret, sent, b"{}", at + timedelta(seconds=301))
    assert not signing.verify(secret, sent, b"{ }", at)
    assert not signing.verify(signing.new_secret(), sent, b"{}", at)


@pytest.mark.parametrize("bad", ["whsec_not base64!", "whsec_" + base64.b64encode(b"x").decode()])
def test_malformed_secrets_are_refused(bad):
    with pytest.raises(signing.SecretError):
        signing.signature(bad, "msg", 1, b"")
