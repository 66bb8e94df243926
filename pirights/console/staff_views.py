"""The Staff page (SPEC §13, admin): members, adding, revoking, resetting passwords."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from pirights.console.blueprint import bp
from pirights.console.session import console_view
from pirights.extensions import db
from pirights.staff.models import Staff
from pirights.staff.roles import ADMIN


@bp.get("/staff")
@console_view(ADMIN)
def staff():
    """The list of members."""
    members = db.session.scalars(select(Staff).order_by(Staff.name)).all()
    return render_template("console/staff.html", members=members)
