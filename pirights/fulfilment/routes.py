"""Systems and tasks endpoints (SPEC §14): views parse, call one service function, present."""

from __future__ import annotations

from flask_smorest import Blueprint

from pirights.fulfilment import service
from pirights.fulfilment.schemas import (
    SystemInSchema,
    SystemListSchema,
    SystemSchema,
    TaskResultInSchema,
    TaskSchema,
)
from pirights.staff import roles
from pirights.staff.auth import current_staff, requires

blp = Blueprint(
    "fulfilment",
    __name__,
    url_prefix="/api/v1",
    description="Data systems that act on requests, and their tasks",
)

ADMINS = (roles.ADMIN,)
READERS = roles.AUDITORS  # auditor, supervisor, admin
# A system's own service token, or a supervisor answering for it.
ANSWERERS = (roles.SERVICE, *roles.SUPERVISORS)
SUPERVISORS = roles.SUPERVISORS


@blp.route("/systems", methods=["POST"])
@requires(*ADMINS)
@blp.arguments(SystemInSchema())
@blp.response(201, SystemSchema)
def post_system(data):
    """Register a system; the answer carries its signing secret, shown only this once."""
    system, secret = service.register_system(
        data["name"], data["webhook_url"], data["handles"], current_staff()
    )
    return service.present_system(system, secret)


@blp.route("/systems", methods=["GET"])
@requires(*READERS)
@blp.response(200, SystemListSchema)
def get_systems():
    """Every registered system (never their secrets)."""
    return {"items": [service.present_system(s) for s in service.systems()]}


@blp.route("/systems/<string:name>", methods=["DELETE"])
@requires(*ADMINS)
@blp.response(200, SystemSchema)
def delete_system(name):
    """Deactivate a system: no new tasks; its open tasks wait until answered or waived."""
    return service.present_system(service.deactivate_system(name, current_staff()))


@blp.route("/tasks/<int:task_id>/result", methods=["POST"])
@requires(*ANSWERERS)
@blp.arguments(TaskResultInSchema())
@blp.response(200, TaskSchema)
def post_result(data, task_id):
    """A system reports its result (its own service token), or a supervisor records or
    waives it with a reason."""
    task = service.post_result(
        task_id, data["result"], data.get("detail"), data.get("reason"), current_staff()
    )
    return service.present_task(task)


@blp.route("/tasks/<int:task_id>/retry", methods=["POST"])
@requires(*SUPERVISORS)
@blp.response(200, TaskSchema)
def post_retry(task_id):
    """Send a failed task's webhook again."""
    return service.present_task(service.retry_task(task_id, current_staff()))
