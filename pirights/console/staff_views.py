"""The Staff page (SPEC §13, admin): members, adding, revoking, setting passwords.

Every change calls the staff service the CLI and the API call (add_staff, revoke_staff,
set_password, reset_password) with `actor = staff:NAME`, so the trail reads the same
whichever door was used. Secrets (a new API token, a generated password) are shown once,
in the answer to the post that made them, and kept nowhere.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from pirights import clock
from pirights.console.blueprint import bp
from pirights.console.session import console_view
from pirights.errors import Conflict, Invalid, NotFound
from pirights.extensions import db
from pirights.staff import passwords, service
from pirights.staff.models import Staff
from pirights.staff.roles import ADMIN, ALL_STAFF, ROLES

NAME_MAX = 64


def _members() -> list[Staff]:
    """Every member, people first by name, revoked ones last."""
    rows = db.session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.name)).all()
    return list(rows)


def _page(status: int = 200, **context: Any):
    """The Staff page with whatever a post left to show."""
    context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("shown_once", None)
    return (
        render_template(
            "console/staff.html", members=_members(), roles=ROLES, now=clock.now(), **context
        ),
        status,
    )


def _member_or_404(name: str) -> Staff:
    """The member named in the URL, or a 404 page."""
    member = None
    if service.NAME_RE.match(name):  # nothing else can be a name (nor reach the database)
        member = db.session.scalar(select(Staff).where(Staff.name == name))
    if member is None:
        raise NotFound(_("There is no staff member named %(name)s.", name=name))
    return member


@bp.get("/staff")
@console_view(ADMIN)
def staff():
    """The list of members and the form to add one."""
    return _page()


@bp.post("/staff")
@console_view(ADMIN)
def staff_add():
    """Add a member; shows their API token, and a person's new password, once."""
    name = request.form.get("name", "").strip()[: NAME_MAX + 1]
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    values = {"name": name, "role": role}
    person = role in ALL_STAFF
    if person and password and passwords.rule_broken(password):
        errors = {"password": [_password_message(password)]}
        return _page(422, values=values, errors=errors)
    actor = g.member.actor
    try:
        _added, token = service.add_staff(name, role, actor)
    except Invalid as exc:
        errors = {field: [_field_message(field)] for field in (exc.errors or {"name": []})}
        return _page(422, values=values, errors=errors)
    except Conflict:
        errors = {"name": [_("A member with this name already exists.")]}
        return _page(409, values=values, errors=errors)
    shown: dict[str, Any] = {"name": name, "token": token}
    if person and password:
        service.set_password(name, password, actor)
    elif person:
        shown["password"] = service.reset_password(name, actor)
    return _page(201, shown_once=shown)


def _field_message(field: str) -> str:
    """The add form's message for a field the service refused."""
    if field == "role":
        return _("Choose a role.")
    return _("Use 1 to 64 letters, digits, '.', '@', '_' or '-'.")


def _password_message(password: str) -> str:
    """The password rule `password` breaks, in the page's language."""
    broken = passwords.rule_broken(password)
    if broken == passwords.TOO_SHORT:
        return _("A password needs at least %(n)d characters.", n=passwords.MIN_LENGTH)
    if broken == passwords.TOO_LONG:
        return _("A password has at most %(n)d characters.", n=passwords.MAX_LENGTH)
    return _("A password cannot be only spaces.")


@bp.post("/staff/<name>/password")
@console_view(ADMIN)
def staff_password(name: str):
    """Set the password typed in, or make one and show it once; their sessions end."""
    member = _member_or_404(name)
    password = request.form.get("password", "")
    if member.role not in ALL_STAFF:
        message = _("A service identity uses its API token and never signs in.")
        return _page(422, errors={f"password-{member.name}": [message]})
    try:
        if password:
            service.set_password(member.name, password, g.member.actor)
            flash(_("New password set for %(name)s.", name=member.name), "success")
            return redirect(url_for("console.staff"), 303)
        generated = service.reset_password(member.name, g.member.actor)
    except Invalid:
        errors = {f"password-{member.name}": [_password_message(password)]}
        return _page(422, errors=errors)
    except Conflict:
        errors = {f"password-{member.name}": [_("A revoked member cannot get a password.")]}
        return _page(409, errors=errors)
    return _page(200, shown_once={"name": member.name, "password": generated})


@bp.get("/staff/<name>/revoke")
@console_view(ADMIN)
def staff_revoke_confirm(name: str):
    """Ask before revoking: it cannot be undone."""
    member = _member_or_404(name)
    return render_template("console/staff_revoke.html", target=member)


@bp.post("/staff/<name>/revoke")
@console_view(ADMIN)
def staff_revoke(name: str):
    """Revoke a member: no sign-in, no token, no assignment; their sessions end."""
    member = _member_or_404(name)
    tokens = service.revoke_staff(member.name, g.member.actor)
    message = _("%(name)s is revoked; API tokens revoked: %(n)d.", name=member.name, n=tokens)
    flash(message, "success")
    return redirect(url_for("console.staff"), 303)
