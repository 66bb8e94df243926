"""The HTML request form and status page (SPEC §7)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from pirights.intake_form.locale import babel_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

SERIALIZER = "pirights_session_serializer"  # app.extensions key: (keys, serializer)

babel = Babel()
csrf = CSRFProtect()


def _secret_key(app: Flask) -> str:
    """The configured secret, else one derived from the encryption key.

    Deriving it (rather than a random one per process) keeps sessions and CSRF tokens valid
    across gunicorn workers and servers that share PIRIGHTS_ENCRYPTION_KEY.
    """
    from pirights.crypto import cipher

    configured = app.config["PIRIGHTS"].secret_key
    return configured or cipher().blind_index("pirights flask session secret v1")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the page came over HTTPS.

    Flask's SESSION_COOKIE_SECURE is one fixed value; a deployment reached over HTTPS
    (directly, or through the trusted proxies whose X-Forwarded-Proto ProxyFix applies)
    should not have to know to set it. `security.secure_cookies = "always"` sets it for a
    TLS proxy the app cannot see.
    """

    def get_signing_serializer(self, app: Flask):
        """Flask's serializer, made once per app and set of keys rather than per request
        (it was a measurable part of every API call, which never has a session cookie)."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get(SERIALIZER)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions[SERIALIZER] = cached
        return cached[1]

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request arrived over HTTPS."""
        configured = super().get_cookie_secure(app)
        return configured or (has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    """Translations, sessions, CSRF (HTML pages only) and the form's routes."""
    from pirights.intake_form.routes import bp

    if not app.secret_key:
        app.secret_key = _secret_key(app)
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionInterface()
    if app.config["PIRIGHTS"].secure_cookies == "always":
        app.config["SESSION_COOKIE_SECURE"] = True
    # CSRF is checked by the form blueprint itself (routes.check_csrf), never by default,
    # so the JSON API under /api keeps working for clients without a browser session.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # A token lives as long as the browser session: a slow writer must not lose a long form.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, default_locale="zh_CN", locale_selector=babel_locale)
    csrf.init_app(app)
    app.register_blueprint(bp)
