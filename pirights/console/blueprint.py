"""The console's one blueprint and what every console page shares.

CSRF on every post, the form's strict headers, the page language, an HTML page for every
error raised in a console view (never problem+json: a person reads these), and the
context every template gets (`member`, `nav`, `switch_url`, `role_label`...).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from pirights.errors import DomainError
from pirights.intake_form.locale import html_lang, page_language
from pirights.intake_form.routes import CSP, page_headers
from pirights.staff import roles

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ROOT = "/console/"

# (path under /console/, label, roles that see the link; empty: every role)
NAV = (
    ("", _l("Queue"), ()),
    ("dashboard", _l("Dashboard"), ()),
    ("audit", _l("Audit"), roles.AUDITORS),
    ("blocklist", _l("Blocklist"), roles.SUPERVISORS),
    ("staff", _l("Staff"), (roles.ADMIN,)),
)

ROLE_LABELS = {
    roles.AGENT: _l("Agent"),
    roles.SUPERVISOR: _l("Supervisor"),
    roles.AUDITOR: _l("Auditor"),
    roles.ADMIN: _l("Admin"),
    roles.SERVICE: _l("Service"),
}


@bp.before_request
def check_csrf() -> None:
    """Refuse any post to the console without this session's CSRF token."""
    if request.method not in SAFE_METHODS:
        from pirights.intake_form import csrf

        csrf.protect()


# app.extensions key: a callable giving origins that console forms may also post (or be
# redirected) to, e.g. the single sign-on provider's (oidc_views.register).
FORM_ACTION_SOURCES = "pirights_console_form_action"


def content_security_policy() -> str:
    """The form's strict policy, with the single sign-on provider as a form target if on.

    `form-action` also governs where a form's post may be redirected, and starting single
    sign-on is a post answered by a redirect to the provider.
    """
    sources = current_app.extensions.get(FORM_ACTION_SOURCES)
    if sources is None:
        return CSP
    return CSP.replace("form-action 'self'", " ".join(["form-action 'self'", *sources()]))


def in_console() -> bool:
    """Whether this request's path is the console's (matched by a route or not)."""
    return request.path == ROOT.rstrip("/") or request.path.startswith(ROOT)


def security_headers(response: Response) -> Response:
    """The public pages' strict CSP and headers on every console answer (§8.3).

    Registered on the app (init_app), not the blueprint, so a console address that
    matches no route gets them too.
    """
    if not in_console():
        return response
    return page_headers(response, content_security_policy())


def _switch_url(code: str) -> str:
    """This page in another language, keeping its query (filters) but not a post's form."""
    args = {k: v for k, v in request.args.items(multi=True) if k != "lang"}
    if request.method in SAFE_METHODS and request.endpoint:
        return url_for(request.endpoint, **(request.view_args or {}), **args, lang=code)
    return url_for("console.login", lang=code)


def _nav() -> list[dict[str, Any]]:
    """The links of the console's navigation that the signed-in member may open."""
    member = g.get("member")
    if member is None:
        return []
    items = []
    for path, label, allowed in NAV:
        if allowed and member.role not in allowed:
            continue
        href = ROOT + path
        current = request.path == href if not path else request.path.startswith(href)
        items.append({"href": href, "label": label, "current": current})
    return items


@bp.context_processor
def page_helpers() -> dict[str, Any]:
    """What every console page needs."""
    return {
        "html_lang": html_lang(),
        "page_language": page_language(),
        "languages": [("zh", "中文"), ("en", "English")],
        "switch_url": _switch_url,
        "member": g.get("member"),
        "nav": _nav(),
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "console_root": ROOT,
    }


def error_page(status: int, message: str, title: str | None = None) -> tuple[str, int]:
    """An error as a console page in the page's language."""
    return (
        render_template(
            "console/error.html",
            status=status,
            title=title or _("Something went wrong"),
            message=message,
        ),
        status,
    )


@bp.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError):
    """A post without a valid token: a page saying what to do."""
    return error_page(
        400,
        _(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and send it again."
        ),
        _("The form has expired"),
    )


@bp.errorhandler(StaleDataError)
def changed_meanwhile(_error: StaleDataError):
    """The safety net of errors.handle_stale_data, as a page."""
    return error_page(
        409,
        _("Someone else changed this at the same moment; nothing was applied. Reload and retry."),
    )


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """A service's refusal (not found, conflict, invalid...) as a page with its detail.

    The detail is the service's English sentence; views that can say it better (a form
    with errors beside its fields) catch the error themselves.
    """
    page = error_page(error.status, error.detail)
    return (*page, error.headers) if error.headers else page


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Werkzeug's errors inside the console (405, 413, an abort) as pages."""
    return error_page(error.code or 500, error.description or error.name, error.name)


def unrouted(error: HTTPException):
    """A console address no route matched (404, 405): a page, elsewhere problem+json.

    Routing fails before any blueprint is chosen, so neither the blueprint's handlers nor
    its context processor apply; this app-wide handler for those codes gives the page
    the same context.
    """
    from pirights.errors import handle_http_exception

    if not in_console():
        return handle_http_exception(error)
    page = render_template(
        "console/error.html",
        **page_helpers(),
        status=error.code,
        title=_("Not found") if error.code == 404 else _("Not allowed"),
        message=_("There is nothing at this address.")
        if error.code == 404
        else _("This address does not accept that method."),
    )
    return page, error.code
