"""Codes by SMS for requesters who gave only a phone number (SPEC §12.1, §12.2): a signed
HTTP POST to the configured gateway, delivered by the worker."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from pirights import create_app
from pirights.config import ConfigError
from tests.conftest import valid_request
from tests.notify.conftest import SMS_SECRET, texts_of
from tests.outbox.conftest import later
from tests.verification.conftest import BASE, CODE, audit, queued

PHONE_ONLY = {"name": "王五", "phone": "+8613900139000"}


def expected_signature(headers: dict, body: bytes) -> str:
    """Standard Webhooks, computed here from the specification's formula alone."""
    key = base64.b64decode(SMS_SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_a_phone_only_requester_gets_the_code_by_signed_sms(gateway, app, client, clock, work):
    resp = client.post(BASE, json=valid_request(requester=PHONE_ONLY))
    answer = resp.get_json()
    assert answer["verification_channel"] == "sms"
    assert [(k, c) for k, c, _ in queued(app, answer["reference"])] == [("requester.code", "sms")]
    assert work().sent == 1
    ((headers, body),) = gateway.received
    assert headers["content-type"].startswith("application/json")
    assert headers["webhook-signature"] == expected_signature(headers, body)
    assert headers["webhook-timestamp"] == str(int(clock().timestamp()))
    assert headers["webhook-id"].startswith("msg_")
    (sms,) = texts_of(gateway)
    assert sms["type"] == "sms" and sms["to"] == "+8613900139000"
    assert answer["reference"] in sms["text"] and "验证码" in sms["text"]
    assert answer["tracking_token"] not in body.decode()
    code = CODE.search(sms["text"]).group(1)

    resp = client.post(
        f"{BASE}/{answer['reference']}/verification",
        json={"code": code},
        headers={"X-Tracking-Token": answer["tracking_token"]},
    )
    assert resp.status_code == 200
    assert ("identity.verified", {"method": "sms_code"}) in audit(app, answer["reference"])
    assert ("identity.code_sent", {"channel": "sms"}) in audit(app, answer["reference"])


def test_a_failing_gateway_is_retried_with_the_same_message_id(
    gateway, app, client, clock, work, auth
):
    gateway.status = 503
    answer = client.post(BASE, json=valid_request(requester=PHONE_ONLY, locale="en")).get_json()
    totals = work()
    assert (totals.sent, totals.retrying) == (0, 1)
    detail = client.get(f"/api/v1/requests/{answer['reference']}", headers=auth()).get_json()
    ((kind, status, error),) = [
        (d["kind"], d["status"], d["last_error"]) for d in detail["deliveries"]
    ]
    assert (kind, status, error) == ("code", "pending", "HTTP 503")
    gateway.status = 204
    later(clock, minutes=5)
    assert work().sent == 1
    first, second = gateway.received
    assert first[0]["webhook-id"] == second[0]["webhook-id"]
    assert second[0]["webhook-timestamp"] != first[0]["webhook-timestamp"]
    assert second[0]["webhook-signature"] == expected_signature(second[0], second[1])
    assert "Your verification code for request" in texts_of(gateway)[1]["text"]


@pytest.mark.parametrize(
    ("sms", "message"),
    [
        ({"webhook_url": "http://127.0.0.1:9/sms"}, "PIRIGHTS_SMS_WEBHOOK_SECRET"),
        ({"webhook_url": "ftp://x/sms", "webhook_secret": SMS_SECRET}, "http(s)"),
        ({"webhook_url": "http://127.0.0.1:9/sms", "webhook_secret": "whsec_!!"}, "base64"),
    ],
)
def test_a_gateway_without_a_usable_secret_stops_start_up(app_overrides, sms, message):
    app_overrides["sms"] = sms
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_app(app_overrides)
