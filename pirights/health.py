"""GET /healthz: 200 when the database answers, 503 otherwise."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from pirights.errors import problem
from pirights.extensions import db


def healthz():
    """Liveness and database reachability for load balancers."""
    try:
        with db.engine.connect() as conn:  # type: ignore[union-attr]
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return problem(503, "Service unavailable", "The database does not answer.")
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    """Register the health route."""
    app.add_url_rule("/healthz", "healthz", healthz)
