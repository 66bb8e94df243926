"""Emails queued as what they are made of and rendered by the worker (issue 17).

The cause's transaction stores the message's parts (encrypted); the worker renders them in
the request's language when it sends, so a public submission renders no template.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from pirights.outbox.models import PENDING, SENT, OutboxMessage


def stored(app, ref: str | None = None) -> list[OutboxMessage]:
    """The outbox rows (of one request), oldest first."""
    from pirights.extensions import db

    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if ref is not None:
        query = query.where(OutboxMessage.request_ref == ref)
    with app.app_context():
        return list(db.session.scalars(query))


def test_the_receipt_is_stored_as_parts_and_rendered_when_sent(smtp, app, submit, work):
    answer = submit(locale="en")
    (row,) = stored(app, answer["reference"])
    payload = json.loads(row.payload)
    # nothing rendered in the submission: no subject, no body, the due day as a date
    assert set(payload) == {"to", "compose"}
    parts = payload["compose"]
    assert parts["kind"] == "receipt" and parts["locale"] == "en"
    assert parts["values"]["due_date"] == answer["due_at"][:10]
    assert parts["dates"] == ["due_date"]
    assert work().sent == 1
    ((rcpt, msg),) = smtp.messages
    assert rcpt == ["zs@example.cn"]
    assert msg["Subject"] == f"We have received your request {answer['reference']}"
    plain = msg.get_body(("plain",)).get_content()
    day = answer["due_at"][:10]
    months = ["January", "February", "March", "April", "May", "June", "July", "August"]
    months += ["September", "October", "November", "December"]
    written = f"{months[int(day[5:7]) - 1]} {int(day[8:])}, {day[:4]}"
    assert written in plain and "张三" in plain


def test_a_message_that_cannot_be_rendered_is_retried_not_sent(smtp, app, clock, work):
    from pirights.extensions import db
    from pirights.outbox.service import enqueue

    with app.app_context(), db.unit_of_work() as s:
        broken = {"to": "zs@example.cn", "compose": {"kind": "receipt"}}  # parts missing
        enqueue(s, kind="requester.receipt", channel="email", payload=broken, now=clock())
        whole = {"to": "ls@example.cn", "subject": "s", "text": "t"}  # rendered earlier
        enqueue(s, kind="requester.receipt", channel="email", payload=whole, now=clock())
    totals = work()
    # the batch went on: the whole message was sent, the broken one waits for a retry
    assert (totals.sent, totals.retrying) == (1, 1)
    assert [rcpt for rcpt, _ in smtp.messages] == [["ls@example.cn"]]
    first, second = stored(app)
    assert first.status == PENDING and first.last_error == "ComposeKeyError"
    assert second.status == SENT
