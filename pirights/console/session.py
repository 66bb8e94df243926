"""Console sessions (SPEC §13) and the decorator every console page wears.

The session lives in Flask's signed cookie (HttpOnly, SameSite=Lax, Secure over HTTPS:
intake_form.SessionInterface) as {member id, the member's session epoch, last seen}. It is
valid while the member is active, the epoch is still theirs (sign-out and a new password
bump it, so the server can end a session the browser still holds) and it was used in the
last IDLE minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for
from flask_babel import gettext as _

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.console.blueprint import error_page
from pirights.extensions import db
from pirights.staff.models import Staff
from pirights.staff.signin import session_member

KEY = "pirights_console"
IDLE_SECONDS = 30 * 60
# `seen` is rewritten at most this often, so not every page view re-sends the cookie.
TOUCH_SECONDS = 60


def begin(member: Staff) -> None:
    """Start a session for `member`, dropping whatever the browser's session held."""
    session.clear()  # a fresh CSRF token too
    session[KEY] = {
        "id": member.id,
        "epoch": member.session_epoch,
        "seen": int(clock.now().timestamp()),
    }


def end() -> None:
    """Forget the console session in this browser."""
    session.pop(KEY, None)


def current_member() -> Staff | None:
    """The signed-in member of this request, or None (and the stale session dropped)."""
    if "member" in g:
        return g.member
    data = session.get(KEY)
    if not isinstance(data, dict):
        return None
    now = int(clock.now().timestamp())
    seen = data.get("seen")
    member = None
    if isinstance(seen, int) and 0 <= now - seen < IDLE_SECONDS:
        member = session_member(data.get("id"), data.get("epoch"))
    if member is None:
        end()
        return None
    if now - seen >= TOUCH_SECONDS:
        session[KEY] = {**data, "seen": now}
    g.member = member
    return member


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path of this site, else the queue."""
    default = "/console/"
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/"):
        return default
    return target


def _login_redirect():
    """To the sign-in page, coming back here afterwards (for a page, not a post)."""
    if request.method in ("GET", "HEAD"):
        target = request.full_path.rstrip("?")
        return redirect(url_for("console.login", next=target), 303)
    return redirect(url_for("console.login"), 303)


def console_view(*roles: str) -> Callable:
    """Require a signed-in, active member (else the sign-in page) with one of `roles`.

    No roles: any signed-in member. A role not listed gets a 403 page and an audited
    `auth.denied`. The member is `flask.g.member` while the view runs.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            member = current_member()
            if member is None:
                return _login_redirect()
            if roles and member.role not in roles:
                rule = request.url_rule.rule if request.url_rule else request.path
                with db.unit_of_work() as s:
                    record(
                        s,
                        actor=member.actor,
                        action=actions.AUTH_DENIED,
                        data={"reason": "role", "role": member.role, "route": rule},
                    )
                return error_page(
                    403,
                    _("Your role may not open this page. Ask an administrator if you need it."),
                    _("Not allowed"),
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate
