"""Fulfilment in the systems that hold the data (SPEC §14): registered systems, one task per
system for each accepted request, signed webhooks through the outbox, results that gate
`complete`."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug fulfilment into the request lifecycle and the outbox.

    Imported here, not at module level, because `pirights.models` imports
    `fulfilment.models` while the mappers are still being declared.
    """
    from pirights.fulfilment import hooks, service, settings, webhooks
    from pirights.outbox import service as outbox
    from pirights.outbox.worker import register_transport
    from pirights.requests import hooks as request_hooks
    from pirights.staff import service as staff_service

    settings.load(app.config["PIRIGHTS"].raw)  # a bad [webhooks] value stops start-up
    register_transport(service.CHANNEL, webhooks.factory)
    outbox.on_settled(service.KIND, service.on_settled)
    if service.system_id not in staff_service.system_resolvers:
        staff_service.system_resolvers.append(service.system_id)
    request_hooks.register(request_hooks.before_transition, hooks.before_transition)
    request_hooks.register(request_hooks.on_transitioned, hooks.on_transitioned)
    request_hooks.register(request_hooks.present, hooks.present)
    request_hooks.register(request_hooks.list_loaders, hooks.LIST_LOADER)


__all__: list[Any] = ["init_app"]
