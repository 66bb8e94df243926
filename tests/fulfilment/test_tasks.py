"""Tasks (§14): created on accept, delivered as signed webhooks to a live receiver, retried
with growing delays and the same webhook-id, failed after 24 h, answered by the system or a
supervisor, and holding `complete` back until every system has answered."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.fulfilment.conftest import SUBJECT


def audit(app, action):
    """The data of every audit event with this action, oldest first."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        return [
            json.loads(e.data)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        ]


def all_audit_text(app) -> str:
    """Every event's data, as stored."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        return " ".join(e.data for e in db.session.scalars(select(AuditEvent)))


def test_accept_creates_one_task_per_active_handling_system(
    app, client, admin, register, accept, detail
):
    register("crm", handles=["delete"])
    register("warehouse", handles=["delete", "access"], bind=False)
    register("chat", handles=["access"], bind=False)
    register("old", handles=["delete"], bind=False)
    assert client.delete("/api/v1/systems/old", headers=admin).status_code == 200
    ref = accept("delete")
    tasks = detail(ref)["tasks"]
    assert [(t["system"], t["status"], t["attempts"]) for t in tasks] == [
        ("crm", "pending", 0),
        ("warehouse", "pending", 0),
    ]
    assert set(tasks[0]) == {
        "id",
        "system",
        "status",
        "attempts",
        "last_error",
        "updated_at",
        "result",
        "detail",
    }
    created = audit(app, "task.created")
    assert [(e["system"], e["task_id"]) for e in created] == [
        ("crm", tasks[0]["id"]),
        ("warehouse", tasks[1]["id"]),
    ]


def test_no_tasks_before_accept_and_none_for_types_nobody_handles(register, submit, accept, detail):
    register("crm", handles=["delete"])
    assert detail(submit("delete"))["tasks"] == []
    assert detail(accept("access"))["tasks"] == []


def test_webhook_is_signed_and_carries_the_subject(app, register, accept, detail, receiver, work):
    register("crm")
    ref = accept("deregister")
    assert work().sent == 1
    (got,) = receiver.received
    assert got.signature_ok
    task = detail(ref)["tasks"][0]
    assert got.json == {
        "type": "privacy_request.task",
        "task_id": task["id"],
        "request_ref": ref,
        "request_type": "deregister",
        "subject": {
            "account_id": SUBJECT["account_id"],
            "email": SUBJECT["email"],
            "phone": SUBJECT["phone"],
        },
        "due_at": detail(ref)["due_at"],
    }
    assert got.webhook_id.startswith("msg_")
    assert (task["status"], task["attempts"], task["last_error"]) == ("sent", 1, None)
    (delivered,) = audit(app, "task.delivered")
    assert delivered["task_id"] == task["id"] and delivered["attempt"] == 1
    assert delivered["http_status"] == 200 and delivered["duration_ms"] >= 0
    text = all_audit_text(app)
    for value in (SUBJECT["email"], SUBJECT["phone"], SUBJECT["account_id"], got.webhook_id):
        assert value not in text


def test_failures_are_retried_with_growing_delays_and_the_same_id(
    app, register, accept, detail, receiver, work, clock
):
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage

    register("crm")
    receiver.plan = [500, 503, 404]
    ref = accept()
    waits = []
    for expected_error in ("HTTP 500", "HTTP 503", "HTTP 404"):
        totals = work()
        assert totals.retrying == 1
        task = detail(ref)["tasks"][0]
        assert task["status"] == "pending" and task["last_error"] == expected_error
        with app.app_context():
            row = db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "webhook")
            ).one()
        waits.append((row.next_attempt_at - clock()).total_seconds())
        clock.set(row.next_attempt_at)
    assert work().sent == 1
    assert waits[0] < waits[1] < waits[2]
    assert len(receiver.received) == 4 and all(r.signature_ok for r in receiver.received)
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert len({r.headers["webhook-timestamp"] for r in receiver.received}) == 4
    task = detail(ref)["tasks"][0]
    assert (task["status"], task["attempts"], task["last_error"]) == ("sent", 4, None)
    assert [e["attempt"] for e in audit(app, "task.delivered")] == [4]


@pytest.fixture
def short_read_timeout(app_overrides):
    """Webhooks wait 0.3 s for an answer (set before the app is built)."""
    app_overrides["webhooks"] = {"read_timeout_seconds": 0.3}


def test_a_read_timeout_is_retried(short_read_timeout, receiver, register, accept, detail, work):
    receiver.plan, receiver.hang_seconds = ["hang"], 1.0
    register("crm")
    ref = accept()
    assert work().retrying == 1
    assert detail(ref)["tasks"][0]["last_error"] == "Timeout"


def test_a_system_that_keeps_failing_turns_failed_and_a_supervisor_retries(
    app, client, register, accept, detail, receiver, work, clock, supervisor, auth
):
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage

    register("crm")
    receiver.plan = [500] * 100
    ref = accept()
    for _ in range(40):
        work()
        task = detail(ref)["tasks"][0]
        if task["status"] == "failed":
            break
        with app.app_context():
            clock.set(
                db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
                .one()
                .next_attempt_at
            )
    assert task["status"] == "failed" and task["last_error"] == "HTTP 500"
    (failed,) = audit(app, "task.failed")
    assert failed["task_id"] == task["id"] and failed["attempt"] == task["attempts"]
    first_id = receiver.received[0].webhook_id
    # complete waits for it, naming the system
    resp = client.post(
        f"/api/v1/requests/{ref}/transitions",
        json={"action": "complete", "resolution": "Deleted."},
        headers=supervisor,
    )
    assert resp.status_code == 409
    problem = resp.get_json()
    assert problem["type"] == "urn:pirights:problem:tasks-outstanding"
    assert "crm" in problem["detail"] and problem["errors"]["systems"] == ["crm"]
    # agents may not retry; supervisors may
    url = f"/api/v1/tasks/{task['id']}/retry"
    assert client.post(url, headers=auth("agent")).status_code == 403
    receiver.plan = []
    again = client.post(url, headers=supervisor)
    assert again.status_code == 200 and again.get_json()["status"] == "pending"
    twice = client.post(url, headers=supervisor)  # not failed any more
    assert twice.get_json()["type"] == "urn:pirights:problem:task-not-failed"
    assert work().sent == 1
    assert receiver.received[-1].webhook_id == first_id  # same message, same id
    assert detail(ref)["tasks"][0]["status"] == "sent"
    assert audit(app, "task.retried")[0]["task_id"] == task["id"]


def test_results_from_the_system_and_a_supervisor_gate_completion(
    app, client, register, accept, detail, service_token, supervisor, auth, work
):
    register("crm")
    register("warehouse", bind=False)
    register("chat", bind=False)
    crm, warehouse = service_token("crm"), service_token("warehouse")
    ref = accept()
    work()
    ids = {t["system"]: t["id"] for t in detail(ref)["tasks"]}

    def post(task, headers, **body):
        return client.post(f"/api/v1/tasks/{ids[task]}/result", json=body, headers=headers)

    def complete():
        return client.post(
            f"/api/v1/requests/{ref}/transitions",
            json={"action": "complete", "resolution": "Deleted everywhere."},
            headers=supervisor,
        )

    assert post("crm", warehouse, result="done").status_code == 403  # another system's task
    assert post("crm", auth("service", "unbound"), result="done").status_code == 403
    assert post("crm", auth("agent"), result="done").status_code == 403
    assert post("crm", crm, result="waived").status_code == 422  # systems do not waive
    assert post("crm", supervisor, result="failed", reason="x").status_code == 422
    assert post("crm", supervisor, result="done").status_code == 422  # reason required
    assert (
        client.post("/api/v1/tasks/999999/result", json={"result": "done"}, headers=crm).status_code
        == 404
    )

    done = post("crm", crm, result="done", detail="Erased rows for u-4711.")
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    again = post("crm", crm, result="not_found")  # an answer is final
    assert again.status_code == 409
    assert again.get_json()["type"] == "urn:pirights:problem:task-answered"
    resp = complete()
    assert resp.status_code == 409 and resp.get_json()["errors"]["systems"] == ["chat", "warehouse"]

    assert post("warehouse", warehouse, result="failed", detail="Disk full").status_code == 200
    assert complete().get_json()["errors"]["systems"] == ["chat", "warehouse"]  # failed waits
    assert post("warehouse", warehouse, result="not_found").status_code == 200
    waived = post("chat", supervisor, result="waived", reason="Chat keeps no data on this user.")
    assert waived.status_code == 200 and waived.get_json()["status"] == "waived"
    assert complete().status_code == 200

    tasks = {t["system"]: t for t in detail(ref)["tasks"]}
    assert {k: t["status"] for k, t in tasks.items()} == {
        "chat": "waived",
        "crm": "done",
        "warehouse": "not_found",
    }
    assert tasks["crm"]["detail"] == "Erased rows for u-4711."
    masked = detail(ref, headers=auth("auditor"))["tasks"]
    assert {t["system"]: t["detail"] for t in masked}["crm"] == "***"
    results = audit(app, "task.result")
    assert [(e["system"], e["result"], e["by"]) for e in results] == [
        ("crm", "done", "service"),
        ("warehouse", "failed", "service"),
        ("warehouse", "not_found", "service"),
    ]
    (waive,) = audit(app, "task.waived")
    assert waive["system"] == "chat" and waive["by"] == "supervisor"
    assert "u-4711" not in all_audit_text(app) and "keeps no data" not in all_audit_text(app)


def test_an_answer_before_the_delivery_is_settled_is_kept(
    app, register, accept, detail, service_token, client, work
):
    register("crm")
    ref = accept()
    (task,) = detail(ref)["tasks"]
    # The system answers (e.g. it learnt of the request some other way) before delivery.
    resp = client.post(
        f"/api/v1/tasks/{task['id']}/result", json={"result": "done"}, headers=service_token("crm")
    )
    assert resp.status_code == 200
    assert work().sent == 1
    assert detail(ref)["tasks"][0]["status"] == "done"


def test_deactivated_systems_get_no_new_tasks_but_keep_their_open_ones(
    client, admin, register, accept, detail
):
    register("crm")
    first = accept()
    client.delete("/api/v1/systems/crm", headers=admin)
    assert detail(accept())["tasks"] == []
    assert [t["status"] for t in detail(first)["tasks"]] == ["pending"]


def test_the_list_shows_tasks_without_a_query_per_request(
    app, client, register, accept, supervisor
):
    from sqlalchemy import event

    from pirights.extensions import db

    register("crm")
    register("warehouse", bind=False)

    def count_list_queries() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            body = client.get("/api/v1/requests?limit=50", headers=supervisor).get_json()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert all(len(item["tasks"]) == 2 for item in body["items"])
        return len(seen)

    accept()
    accept()
    few = count_list_queries()
    for _ in range(3):
        accept()
    assert count_list_queries() == few
