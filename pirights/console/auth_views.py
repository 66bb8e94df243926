"""Sign-in and sign-out of the console (SPEC §13)."""

from __future__ import annotations

import math

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from pirights import clock
from pirights.console import session as console_session
from pirights.console.blueprint import bp
from pirights.errors import TooManyRequests
from pirights.staff import signin

NAME_MAX = 64


def login_page(status: int = 200, **context):
    """The sign-in page."""
    from flask import current_app

    context.setdefault("values", {})
    context.setdefault("error", None)
    context["oidc"] = current_app.extensions["pirights_console"].oidc_enabled
    context["next"] = console_session.safe_next(request.values.get("next"))
    context["signed_in"] = console_session.current_member()
    return render_template("console/login.html", **context), status


@bp.get("/login")
def login():
    """The sign-in form (or, when signed in already, who is signed in)."""
    return login_page()


@bp.post("/login")
def login_submit():
    """Check name and password; 303 to the page asked for, or the form again with why not."""
    name = request.form.get("name", "").strip()[:NAME_MAX]
    password = request.form.get("password", "")
    values = {"name": name}
    if not name or not password:
        return login_page(422, values=values, error=_("Enter your name and your password."))
    try:
        member = signin.sign_in(name, password, request.remote_addr or "unknown")
    except signin.SignInRefused as refused:
        if refused.locked_until is not None:
            minutes = max(1, math.ceil((refused.locked_until - clock.now()).total_seconds() / 60))
            message = _(
                "Too many failed sign-ins: this name is locked for %(minutes)d more minutes. "
                "Ask an administrator to reset your password if you have forgotten it.",
                minutes=minutes,
            )
            return login_page(423, values=values, error=message, locked=True)
        return login_page(401, values=values, error=_("Wrong name or password."))
    except TooManyRequests as busy:
        page = login_page(
            429, values=values, error=_("Too many failed sign-ins from here. Wait a minute.")
        )
        return (*page, busy.headers)
    console_session.begin(member)
    return redirect(console_session.safe_next(request.form.get("next")), 303)


@bp.post("/logout")
def logout():
    """End this member's console sessions (server-side) and forget this browser's."""
    member = console_session.current_member()
    if member is not None:
        signin.sign_out(member.id)
    console_session.end()
    return redirect(url_for("console.login", signed_out=1), 303)
