"""Telling the requester (SPEC §12.2): emails at each step and one-time codes by SMS.

Messages are queued in the outbox by the unit of work that caused them; `pirights worker`
renders emails in the request's language and sends them.
"""

from __future__ import annotations

from flask import Blueprint, Flask

# Holds the email templates only; it has no routes.
templates = Blueprint("notify", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    """Read the SMS settings, register the sms channel and plug into the request lifecycle."""
    from pirights.notify import deliveries, render, service, settings, sms
    from pirights.outbox.service import on_compose
    from pirights.outbox.worker import register_transport
    from pirights.requests import hooks

    app.extensions["pirights_notify"] = settings.load(app.config["PIRIGHTS"].raw)
    app.register_blueprint(templates)

    register_transport("sms", sms.transport)
    for kind in render.KINDS:
        on_compose(service.PREFIX + kind, service.compose)
    hooks.register(hooks.after_transition, service.after_transition)
    hooks.register(hooks.on_extended, service.on_extended)
    hooks.register(hooks.on_message_sent, service.on_message_sent)
    hooks.register(hooks.present_detail, deliveries.present)
