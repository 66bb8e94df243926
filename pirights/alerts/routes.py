"""The notification endpoint of the ticket API: the caller's alerts."""

from __future__ import annotations

from flask_smorest import Blueprint

from pirights.alerts import queue
from pirights.alerts.schemas import NotificationArgsSchema, NotificationPageSchema
from pirights.staff.auth import current_staff, requires
from pirights.staff.roles import ALL_STAFF

blp = Blueprint("alerts", __name__, url_prefix="/api/v1", description="Deadline alerts")


@blp.route("/notifications")
@requires(*ALL_STAFF)
@blp.arguments(NotificationArgsSchema(), location="query", as_kwargs=False)
@blp.response(200, NotificationPageSchema)
def get_notifications(args):
    """The caller's alert notifications, newest first."""
    items = queue.for_staff(current_staff(), args["limit"], args["unsent"])
    return {"items": [queue.present(n) for n in items]}
