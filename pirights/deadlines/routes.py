"""Deadline endpoints of the ticket API: extensions, notifications, the SLA report."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("deadlines", __name__, url_prefix="/api/v1", description="Deadlines and SLA")
