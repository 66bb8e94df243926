"""pirights: a tracker for personal-information rights requests and AI-content complaints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from pirights.config import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "create_app"]


def create_app(
    overrides: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    instance_path: str | None = None,
) -> Flask:
    """Build the WSGI application from the layered configuration (see config.py)."""
    from pirights.uploads import Request

    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.request_class = Request  # form files in memory, never spooled to disk in clear
    settings = settings or load_settings(overrides=overrides)
    app.config["PIRIGHTS"] = settings
    register_database(app, settings)
    register_features(app)
    register_api(app, settings)
    register_errors(app)
    register_security(app)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    return app


def register_features(app: Flask) -> None:
    """Alert kinds and features that plug into others' registries.

    Before the API, so the OpenAPI document (the notification kinds) sees every kind.
    """
    from pirights import alerts, complaints, files, fulfilment

    alerts.init_app(app)
    complaints.init_app(app)
    fulfilment.init_app(app)
    files.init_app(app)


def register_security(app: Flask) -> None:
    """Rate limits and access logs, after every blueprint exists."""
    from pirights import security

    security.init_app(app)


def database_url(app: Flask, settings: Settings) -> str:
    """The configured URL, or the embedded SQLite file in the instance folder."""
    if settings.database_url:
        return settings.database_url
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'pirights.sqlite3'}"


def register_database(app: Flask, settings: Settings) -> None:
    """Engine, encryption key and deadline policies: everything data needs."""
    import pirights.models  # noqa: F401  (every mapper known before the first query)
    from pirights import crypto
    from pirights.audit import recorder
    from pirights.deadlines import runtime
    from pirights.deadlines.policy import PolicyError
    from pirights.extensions import db
    from pirights.requests import lifecycle

    url = database_url(app, settings)
    key_text = settings.encryption_key
    if not key_text:
        if not url.startswith("sqlite"):
            raise ConfigError(
                "security.encryption_key (PIRIGHTS_ENCRYPTION_KEY) is required with "
                "PostgreSQL; create one with `pirights keys generate` and keep it safe"
            )
        key_text = crypto.instance_key(Path(app.instance_path))
    try:
        old_keys = crypto.decode_old_keys(
            settings.raw.get("security", {}).get("encryption_old_keys")
        )
        crypto.configure(crypto.Cipher(crypto.decode_key(key_text), old_keys=old_keys))
    except crypto.KeyError_ as exc:
        raise ConfigError(str(exc)) from None
    try:
        runtime.init_app(app, settings.policies, settings.due_soon_working_days, lifecycle.TYPES)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None
    app.config["SQLALCHEMY_URL"] = url
    db.init_app(app, url, pool_size=settings.threads)
    recorder.configure(db.engine, background_thread=settings.audit_sequencing == "background")


def register_api(app: Flask, settings: Settings) -> None:
    """flask-smorest with the OpenAPI document at /api/v1/openapi.json, and the blueprints."""
    from pirights import console, health, intake_form, metrics, notify, verification
    from pirights.alerts.routes import blp as alerts_blp
    from pirights.audit_api import blp as audit_blp
    from pirights.complaints.routes import blp as complaints_blp
    from pirights.extensions import api
    from pirights.files.routes import blp as files_blp
    from pirights.files.routes import public_blp as public_files_blp
    from pirights.fulfilment.routes import blp as fulfilment_blp
    from pirights.requests.public import blp as public_blp
    from pirights.requests.report_routes import blp as reports_blp
    from pirights.requests.routes import blp as requests_blp

    app.config.update(
        API_TITLE="pirights",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blp in (
        public_blp,
        requests_blp,
        audit_blp,
        reports_blp,
        alerts_blp,
        complaints_blp,
        fulfilment_blp,
        files_blp,
        public_files_blp,
    ):
        api.register_blueprint(blp)
    health.init_app(app)
    metrics.init_app(app)
    intake_form.init_app(app)
    console.init_app(app)  # on the form's Babel, CSRF and session
    # Requester notifications before verification: intake sends the receipt through them.
    notify.init_app(app)
    verification.init_app(app)


def register_errors(app: Flask) -> None:
    """One JSON error mapping for domain errors, HTTP errors and surprises."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout
    from sqlalchemy.orm.exc import StaleDataError
    from werkzeug.exceptions import HTTPException

    from pirights import errors

    app.register_error_handler(errors.DomainError, errors.handle_domain_error)
    app.register_error_handler(HTTPException, errors.handle_http_exception)
    app.register_error_handler(DBAPIError, errors.handle_database_error)
    app.register_error_handler(PoolTimeout, errors.handle_database_error)
    app.register_error_handler(StaleDataError, errors.handle_stale_data)
    app.register_error_handler(Exception, errors.handle_unexpected)
