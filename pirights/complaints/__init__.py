"""Complaints about generated content (SPEC §9): measures, remediation, the subject blocklist."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug complaints into the request lifecycle (pirights.requests.hooks), the alert
    registry and the SLA report.

    Imported here, not at module level, because `pirights.models` imports
    `complaints.models` while the mappers are still being declared.
    """
    from pirights.complaints import alerts, blocklist, queries, service
    from pirights.requests import hooks

    alerts.register()
    hooks.register(hooks.on_created, service.open_track)
    hooks.register(hooks.before_transition, service.before_transition)
    hooks.register(hooks.after_transition, service.after_transition)
    hooks.register(hooks.after_transition, blocklist.lock_for_completion)
    hooks.register(hooks.on_transitioned, blocklist.block_on_completion)
    hooks.register(hooks.action_fields, ("complete", "blocklist_terms"))
    hooks.register(hooks.present, service.present)
    for name_and_build in queries.LIST_FILTERS:
        hooks.register(hooks.list_filters, name_and_build)
    for option in queries.LIST_LOADERS:
        hooks.register(hooks.list_loaders, option)
