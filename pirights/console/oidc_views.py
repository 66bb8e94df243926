"""Single sign-on to the console with OpenID Connect (SPEC §13), through Authlib.

Optional: on when `console.oidc_issuer` is set. The browser goes to the provider with
state, nonce and PKCE (S256), comes back to /console/login/oidc/callback with a code, and
Authlib exchanges it and checks the ID token (signature from the provider's JWKS, issuer,
audience, expiry, nonce). The identity then has to be an existing active staff member
(staff.signin.sign_in_external); nobody is created by signing in.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _

from pirights.alerts.mail import staff_domain
from pirights.console import session as console_session
from pirights.console.auth_views import login_page
from pirights.console.blueprint import FORM_ACTION_SOURCES, bp
from pirights.console.settings import ConsoleSettings
from pirights.errors import TooManyRequests
from pirights.staff import signin

EXTENSION = "pirights_console_oauth"
CLIENT = "staff_sso"
NEXT = "pirights_console_sso_next"
TIMEOUT = 10  # seconds for each call to the provider

log = logging.getLogger(__name__)


def register(app: Flask, settings: ConsoleSettings) -> None:
    """Make this app's OpenID client (one per app: tests build several)."""
    if not settings.oidc_enabled:
        return
    # Imported only when sign-on is configured: Authlib and requests add some 15 MB to
    # every process (the CLI's exports among them) that most deployments never use.
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    client_kwargs = {
        "scope": "openid email profile",
        "code_challenge_method": "S256",
        "default_timeout": TIMEOUT,
    }
    oauth.register(
        CLIENT,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    app.extensions[EXTENSION] = oauth
    app.extensions[FORM_ACTION_SOURCES] = lambda: provider_origins(settings.oidc_issuer)


def _provider_errors() -> tuple[type[BaseException], ...]:
    """What a failed round trip with the provider raises (network, protocol, bad data)."""
    import requests
    from authlib.common.errors import AuthlibBaseError

    return (requests.RequestException, AuthlibBaseError, ValueError, KeyError, TypeError)


def _origin(url: str) -> str | None:
    """scheme://host[:port] of a URL, or None."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def provider_origins(issuer: str) -> list[str]:
    """Where starting single sign-on redirects: the issuer's origin, and its authorization
    endpoint's once the provider's metadata has been read (it may be elsewhere)."""
    origins = [_origin(issuer)]
    oauth = current_app.extensions.get(EXTENSION)
    if oauth is not None:
        endpoint = oauth.create_client(CLIENT).server_metadata.get("authorization_endpoint")
        if isinstance(endpoint, str):
            origins.append(_origin(endpoint))
    return sorted({o for o in origins if o})


def _client():
    """This app's OpenID client, or a 404 when single sign-on is off."""
    oauth = current_app.extensions.get(EXTENSION)
    if oauth is None:
        abort(404)
    return oauth.create_client(CLIENT)


def candidates(claims: dict, settings: ConsoleSettings, staff_domain: str) -> list[str]:
    """The member names a provider's claims may stand for, per `console.oidc_claim`.

    An email counts only when the provider says it is verified; it names the member whose
    name is the address, or NAME when the address is NAME@notifications.staff_email_domain.
    """
    value = claims.get(settings.oidc_claim)
    if not isinstance(value, str) or not value:
        return []
    if settings.oidc_claim != "email":
        return [value]
    if claims.get("email_verified") is not True:
        return []
    names = [value]
    local, _, domain = value.rpartition("@")
    if local and staff_domain and domain.lower() == staff_domain.lower():
        names.append(local)
    return names


@bp.post("/login/oidc")
def oidc_start():
    """Send the browser to the identity provider."""
    client = _client()
    session[NEXT] = console_session.safe_next(request.form.get("next"))
    try:
        return client.authorize_redirect(url_for("console.oidc_callback", _external=True))
    except _provider_errors():
        log.warning("the OpenID provider's metadata could not be read", exc_info=True)
        return login_page(502, error=_("Single sign-on is not answering; sign in with a password."))


@bp.get("/login/oidc/callback")
def oidc_callback():
    """Finish the provider's round trip and sign the member in, or say why not."""
    client = _client()
    try:
        token = client.authorize_access_token()
    except _provider_errors():
        log.info("single sign-on refused", exc_info=True)
        return login_page(401, error=_("Single sign-on did not complete. Try again."))
    claims = token.get("userinfo") or {}
    settings = current_app.extensions["pirights_console"]
    names = candidates(dict(claims), settings, staff_domain())
    target = session.pop(NEXT, None)
    try:
        member = signin.sign_in_external(names, "oidc", request.remote_addr or "unknown")
    except signin.SignInRefused:
        return login_page(
            403,
            error=_(
                "Your single sign-on identity is not an active staff member here. "
                "Ask an administrator."
            ),
        )
    except TooManyRequests as busy:
        page = login_page(429, error=_("Too many failed sign-ins from here. Wait a minute."))
        return (*page, busy.headers)
    console_session.begin(member)
    return redirect(console_session.safe_next(target), 303)
