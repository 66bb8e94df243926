"""Shared checks for the security tests."""

from __future__ import annotations

from sqlalchemy import func, select

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def row_counts(app) -> dict[str, int]:
    """How many rows each table holds, to prove a refused request wrote nothing."""
    from pirights.models import AuditEvent, IdempotencyRecord, Message, Note, Request

    with app.app_context():
        from pirights.extensions import db

        s = db.session
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model))
            for model in (Request, Message, Note, IdempotencyRecord, AuditEvent)
        }


def assert_problem(resp, *statuses: int) -> dict:
    """The response is a 4xx problem+json with one of `statuses`; returns its body."""
    assert resp.status_code in statuses, (resp.status_code, resp.get_data()[:300])
    assert 400 <= resp.status_code < 500
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == resp.status_code
    return body
