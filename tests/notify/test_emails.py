"""Emails to the requester (SPEC §12.2), delivered by the worker to a real SMTP server, in
the request's language, never carrying the tracking token."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import valid_request
from tests.verification.conftest import BASE, CODE, audit, latest_code

STAFF = "/api/v1/requests"


def mails(smtp) -> list:
    """(recipients, message) pairs received, in order."""
    return list(smtp.messages)


def plain(msg) -> str:
    """The text/plain part."""
    return msg.get_body(("plain",)).get_content()


def html(msg) -> str:
    """The text/html part."""
    return msg.get_body(("html",)).get_content()


def step(client, headers, ref, path, **body):
    """A staff call that must succeed."""
    resp = client.post(f"{STAFF}/{ref}/{path}", json=body, headers=headers)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp


LANGS = {
    "zh-CN": {
        "receipt": "我们已收到您的申请",
        "due": "2026年10月27日",
        "extended_due": "2026年10月30日",
        "code": "您的验证码：",
        "message": "关于您的申请",
        "extension": "答复期限已延长",
        "info_requested": "我们需要更多信息",
        "completed": "已办结",
        "refused": "未获办理",
        "new_code": "的验证码",
        "basis": "为履行法律法规规定的义务所必需",
        "rights": ("第65条", "第50条"),
        "type": "删除",
    },
    "en": {
        "receipt": "We have received your request",
        "due": "October 27, 2026",
        "extended_due": "October 30, 2026",
        "code": "Your verification code:",
        "message": "A message about your request",
        "extension": "We have extended the time limit",
        "info_requested": "We need more information",
        "completed": "is complete",
        "refused": "was refused",
        "new_code": "Your verification code for request",
        "basis": "needed to fulfil a legal obligation",
        "rights": ("PIPL Art 65", "PIPL Art 50"),
        "type": "Delete",
    },
}


@pytest.mark.parametrize("locale", list(LANGS))
def test_the_receipt_in_the_requests_language(smtp, app, submit, work, locale):
    words = LANGS[locale]
    answer = submit(locale=locale)
    assert work().sent == 1
    ((rcpt, msg),) = mails(smtp)
    assert rcpt == ["zs@example.cn"]
    assert msg["Subject"] == f"{words['receipt']} {answer['reference']}"
    text = plain(msg)
    assert answer["reference"] in text and words["due"] in text and words["type"] in text
    assert words["code"] in text and CODE.search(text)
    code = CODE.search(text).group(1)
    assert f"data-code>{code}</strong>" in html(msg)
    assert 'lang="en"' in html(msg) if locale == "en" else 'lang="zh-CN"' in html(msg)
    raw = msg.as_string()
    assert answer["tracking_token"] not in raw
    assert code not in msg["Subject"]
    # The worker audited the delivery with kind and channel, never the address.
    sent = [d for a, d in audit(app) if a == "notification.sent"]
    assert [(d["kind"], d["channel"]) for d in sent] == [("requester.receipt", "email")]
    assert "zs@example.cn" not in json.dumps(audit(app))


@pytest.mark.parametrize("locale", list(LANGS))
def test_every_kind_of_mail_in_both_languages(smtp, app, client, clock, auth, work, locale):
    words = LANGS[locale]
    agent, sup = auth("agent", "ann"), auth("supervisor", "sam")
    answer = client.post(BASE, json=valid_request(locale=locale)).get_json()
    ref, token = answer["reference"], answer["tracking_token"]
    step(client, agent, ref, "messages", body="Hello <b>there</b>, we are on it.")
    step(client, sup, ref, "extensions", days=3, reason="Three systems hold your data.")
    verified = client.post(
        f"{BASE}/{ref}/verification",
        json={"code": latest_code(app, ref)},
        headers={"X-Tracking-Token": token},
    )
    assert verified.status_code == 200  # accept needs a verified identity (§3.2)
    step(client, agent, ref, "transitions", action="accept")
    step(client, agent, ref, "transitions", action="request_info", message="Which account?")
    reply = client.post(
        f"{BASE}/{ref}/messages", json={"body": "u-1"}, headers={"X-Tracking-Token": token}
    )
    assert reply.status_code == 201
    step(client, agent, ref, "transitions", action="complete", resolution="All deleted.")
    other = client.post(BASE, json=valid_request(locale=locale)).get_json()
    clock.set(clock() + timedelta(minutes=2))
    resend = client.post(
        f"{BASE}/{other['reference']}/verification-code",
        headers={"X-Tracking-Token": other["tracking_token"]},
    )
    assert resend.status_code == 200
    step(
        client,
        agent,
        other["reference"],
        "transitions",
        action="refuse",
        legal_basis="legal_obligation",
        reason="A court order keeps this data.",
    )
    totals = work()
    assert (totals.sent, totals.failed) == (8, 0)

    by_subject = {msg["Subject"]: msg for _, msg in mails(smtp)}
    subject = {
        kind: next(s for s in by_subject if words[kind] in s)
        for kind in ("message", "extension", "info_requested", "completed", "refused")
    }
    message = plain(by_subject[subject["message"]])
    assert "Hello <b>there</b>, we are on it." in message
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in html(by_subject[subject["message"]])
    extension = plain(by_subject[subject["extension"]])
    assert "Three systems hold your data." in extension
    # 3 working days after 2026-10-27 (§3.5), written as the locale writes dates.
    assert words["extended_due"] in extension
    assert "Which account?" in plain(by_subject[subject["info_requested"]])
    assert "All deleted." in plain(by_subject[subject["completed"]])
    refusal = plain(by_subject[subject["refused"]])
    assert "A court order keeps this data." in refusal and words["basis"] in refusal
    assert all(r in refusal for r in words["rights"])
    assert other["reference"] in subject["refused"]
    new_code = [s for s in by_subject if words["new_code"] in s and other["reference"] in s]
    assert len(new_code) == 1 and CODE.search(plain(by_subject[new_code[0]]))
    for _, msg in mails(smtp):
        assert token not in msg.as_string() and other["tracking_token"] not in msg.as_string()
    kinds = sorted(d["kind"] for a, d in audit(app) if a == "notification.sent")
    expected = ["receipt", "message", "extension", "info_requested", "completed"]
    expected += ["receipt", "code", "refused"]
    assert kinds == sorted("requester." + k for k in expected)


def test_an_unreachable_smtp_server_never_fails_the_request(smtp_down, app, client, auth, work):
    answer = client.post(BASE, json=valid_request())
    assert answer.status_code == 201
    ref = answer.get_json()["reference"]
    step(client, auth("agent"), ref, "messages", body="We are on it.")
    totals = work()
    assert (totals.sent, totals.retrying) == (0, 2)
    detail = client.get(f"{STAFF}/{ref}", headers=auth("supervisor", "sue")).get_json()
    assert [(d["kind"], d["status"], d["attempts"]) for d in detail["deliveries"]] == [
        ("receipt", "pending", 1),
        ("message", "pending", 1),
    ]
    assert all(d["last_error"] == "ConnectionRefusedError" for d in detail["deliveries"])


def test_the_staff_detail_lists_deliveries(smtp, app, client, submit, auth, work):
    ref = submit()["reference"]
    work()
    for role in ("supervisor", "auditor"):
        detail = client.get(f"{STAFF}/{ref}", headers=auth(role)).get_json()
        (delivery,) = detail["deliveries"]
        assert delivery == {
            "kind": "receipt",
            "channel": "email",
            "status": "sent",
            "attempts": 1,
            "last_error": None,
            "at": "2026-09-30T10:00:00+08:00",
        }


def test_a_requester_without_email_gets_no_email(app, client, work):
    who = {"name": "王五", "phone": "+8613900139000"}
    resp = client.post(BASE, json=valid_request(requester=who))
    assert resp.status_code == 201
    assert work().sent == 0
