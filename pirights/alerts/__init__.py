"""Alerts (SPEC §3.6, §9): the sweep that records each crossed deadline once, and the staff
notifications it queues and emails.

`kinds` is the one registry of alert kinds. This package registers the request deadline
kinds (`deadline.due_soon`, `deadline.overdue`); a feature registers its own from its
`init_app` (complaints: `complaint.measure_overdue`, `complaint.remediation_overdue`), so
alerts never imports a feature. Counting deadlines stays in `pirights.deadlines`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the request deadline kinds (once per process; apps are made many times)
    and follow the delivery of alert emails."""
    from pirights.alerts import deadline, kinds, mail
    from pirights.outbox.service import on_settled

    for kind in deadline.KINDS:
        kinds.register(kind)
    on_settled(mail.KIND, mail.on_settled)
