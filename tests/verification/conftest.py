"""Helpers for the verification tests: read what was queued, call the endpoints."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
BASE = "/api/v1/public/requests"


def queued(app, ref: str) -> list[tuple[str, str, dict]]:
    """(kind, channel, payload) of every outbox row of a request, oldest first; the
    payload as the worker sends it (composed, for emails)."""
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage
    from pirights.outbox.service import COMPOSERS

    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.request_ref == ref).order_by(OutboxMessage.id)
        ).all()
        return [
            (r.kind, r.channel, COMPOSERS.get(r.kind, dict)(json.loads(r.payload))) for r in rows
        ]


def latest_code(app, ref: str) -> str:
    """The code in the newest message that carries one."""
    for _kind, _channel, payload in reversed(queued(app, ref)):
        match = CODE.search(payload["text"])
        if match:
            return match.group(1)
    raise AssertionError(f"no code was queued for {ref}")


def audit(app, ref: str | None = None) -> list[tuple[str, dict]]:
    """(action, data) of the audit events, of one request when `ref` is given."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if ref is not None:
            query = query.where(AuditEvent.request_ref == ref)
        return [(e.action, json.loads(e.data)) for e in db.session.scalars(query)]


@pytest.fixture
def enter(client):
    """POST a code for a request; returns the response."""

    def do(answer: dict, code, token: str | None = None):
        return client.post(
            f"{BASE}/{answer['reference']}/verification",
            json={"code": code},
            headers={"X-Tracking-Token": token or answer["tracking_token"]},
        )

    return do


@pytest.fixture
def new_code(client):
    """Ask for a new code; returns the response."""

    def do(answer: dict, token: str | None = None):
        return client.post(
            f"{BASE}/{answer['reference']}/verification-code",
            headers={"X-Tracking-Token": token or answer["tracking_token"]},
        )

    return do
