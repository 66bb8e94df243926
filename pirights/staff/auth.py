"""The route decorator that enforces staff roles (SPEC §5, §8.1)."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any

from flask import g, request

from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.errors import Forbidden
from pirights.extensions import db
from pirights.staff.models import Staff
from pirights.staff.roles import ALL_STAFF, WRITERS  # noqa: F401  (their old home)
from pirights.staff.service import identify, member_of


def requires(*roles: str) -> Callable:
    """Authenticate the bearer token (401) and check its role (403) before the view runs.

    Applied above the schema decorators so a caller without rights learns nothing
    from validation errors.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            rule = request.url_rule.rule if request.url_rule else request.path
            member = identify(
                request.headers.get("Authorization"), rule, request.remote_addr or "unknown"
            )
            if member.role not in roles:
                with db.unit_of_work() as s:
                    record(
                        s,
                        actor=member.actor,
                        action=actions.AUTH_DENIED,
                        data={"reason": "role", "role": member.role, "route": rule},
                    )
                raise Forbidden(
                    f"The role {member.role!r} may not do this; it needs one of {', '.join(roles)}."
                )
            g.staff_identity = member
            return view(*args, **kwargs)

        doc = deepcopy(getattr(wrapper, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["security"] = [{"bearerAuth": []}]
        manual.setdefault("description", f"Roles: {', '.join(roles)}.")
        wrapper._apidoc = doc  # type: ignore[attr-defined]
        return wrapper

    return decorate


def current_staff() -> Staff:
    """The authenticated member of this request, as an object of the request's session
    (made on first use: a view that needs none costs no session)."""
    member = g.get("staff")
    if member is None:
        member = g.staff = member_of(g.staff_identity)
    return member
