"""Identity verification of requesters (SPEC §12.1): one-time codes and account assertions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Read the settings, add the public endpoints and check assertions at intake."""
    from pirights.extensions import api
    from pirights.requests import hooks
    from pirights.verification import service, settings
    from pirights.verification.routes import blp

    app.extensions["pirights_verification"] = settings.load(app.config["PIRIGHTS"].raw)
    api.register_blueprint(blp)
    hooks.register(hooks.on_submitted, service.on_submitted)
