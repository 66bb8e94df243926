"""Complaints about generated content (SPEC §9): measures, remediation, the subject blocklist."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug complaints into the alert registry and the SLA report.

    Imported here, not at module level, because `pirights.models` imports
    `complaints.models` while the mappers are still being declared.
    """
    from pirights.complaints import alerts

    alerts.register()
