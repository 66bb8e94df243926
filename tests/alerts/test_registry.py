"""The one registry of alert kinds feeds the sweep, the API schema, the mail and the report."""

from __future__ import annotations

from datetime import UTC, datetime

from pirights.alerts import kinds
from pirights.alerts.sweep import SweepResult

EVERY_KIND = [
    "deadline.due_soon",
    "deadline.overdue",
    "complaint.measure_overdue",
    "complaint.remediation_overdue",
]


def test_every_kind_is_registered_in_sweep_order(app):
    assert [k.name for k in kinds.registered()] == EVERY_KIND
    assert kinds.NAMES == EVERY_KIND
    assert all(k.action == k.name for k in kinds.registered())


def test_notification_schema_names_every_kind(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["Notification"]
    assert schema["properties"]["kind"]["enum"] == EVERY_KIND


def test_sweep_result_counts_every_kind(app):
    result = SweepResult()
    assert result.counts == dict.fromkeys(EVERY_KIND, 0)
    line = result.line(datetime(2026, 10, 8, 2, tzinfo=UTC))
    assert line == (
        "sweep 2026-10-08T02:00:00+00:00: due_soon=0 overdue=0 measure_overdue=0 "
        "remediation_overdue=0 notifications=0 emails=0"
    )


def test_mail_subject_comes_from_the_kind(app):
    from pirights.alerts.mail import payload

    for kind in kinds.registered():
        msg = payload(kind.name, "PIR-4NS4W-5E8Z9", "sue@example.cn", 1)
        assert msg["subject"] == f"[pirights] PIR-4NS4W-5E8Z9 {kind.subject}"
        assert kind.name not in msg["subject"]


def test_report_figures_come_from_the_registered_kinds(client, auth):
    body = client.get("/api/v1/reports/sla", headers=auth("supervisor")).get_json()
    assert body["open_overdue"] == 0
    assert body["complaints"] == {
        "measure_overdue": 0,
        "remediation_open": 0,
        "remediation_overdue": 0,
    }
