"""The request form and status pages (SPEC §7). Views parse, call one service, present.

The tracking token never travels in a URL: pages that need it read it from the signed
session cookie, where it is kept encrypted with the application's key.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from pirights.crypto import cipher
from pirights.deadlines.runtime import book
from pirights.errors import Conflict, DomainError, Gone, NotFound
from pirights.files import service as files
from pirights.files import sniff
from pirights.files import web as file_web
from pirights.intake_form import forms, texts
from pirights.intake_form.locale import html_lang, page_language, remember_choice
from pirights.requests import intake, present, service
from pirights.requests.lifecycle import AWAITING, TERMINAL, WITHDRAWN
from pirights.uploads import accepts_upload
from pirights.verification import service as verification

bp = Blueprint(
    "intake_form",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

RECEIPT, TRACK = "pirights_receipt", "pirights_track"
# The request form takes up to 20 MiB of evidence in one submission (each file up to the
# requester's 10 MiB); the status page takes one more file at a time.
FORM_FILES_BYTES = 20 * 1024 * 1024
FORM_BODY = FORM_FILES_BYTES + 256 * 1024
STATUS_FILE_BODY = files.REQUESTER_MAX_BYTES + files.BODY_SLACK

# No inline script or style anywhere: every asset is a file served from this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.before_request
def check_csrf() -> None:
    """Refuse a form post without this session's CSRF token (the JSON API is not ours)."""
    if request.method == "POST":
        from pirights.intake_form import csrf

        csrf.protect()


@bp.after_request
def security_headers(response: Response) -> Response:
    """Strict headers on every page and asset of the form (§8.3)."""
    return page_headers(response, CSP)


def page_headers(response: Response, csp: str) -> Response:
    """The headers of every HTML page we serve, the form's and the console's: `csp`, no
    sniffing, framing or caching, the page's language, and the ?lang= choice remembered."""
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: over HTTPS Flask-WTF's CSRF check also requires a Referer
    # of this origin (WTF_CSRF_SSL_STRICT); other sites still get none.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if response.mimetype == "text/html":
        # Pages can show a tracking token or personal data: never store them in caches.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = html_lang()
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return remember_choice(response)


@bp.context_processor
def page_helpers() -> dict[str, Any]:
    """What every page needs: its language and the links of the language switch."""
    return {
        "html_lang": html_lang(),
        "page_language": page_language(),
        "languages": [("zh", "中文"), ("en", "English")],
        "switch_url": lambda code: url_for(
            request.endpoint or "intake_form.index", lang=code, **(request.view_args or {})
        ),
        "texts": texts,
        "file_types": ",".join(sniff.ACCEPTED),
    }


def _seal(token: str) -> str:
    """The tracking token encrypted for the session cookie (signed is not secret)."""
    return base64.urlsafe_b64encode(cipher().encrypt(token)).decode()


def _unseal(sealed: str) -> str | None:
    """The token back from the session, or None if the key changed or it was altered."""
    try:
        return cipher().decrypt(base64.urlsafe_b64decode(sealed.encode()))
    except (ValueError, TypeError):
        return None


def format_size(size: int, locale: Any) -> str:
    """A file size as people read it (B, KB, MB), with the page's number format."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{format_decimal(round(size / scale, 1), locale=locale)} {unit}"
    return f"{size} B"


def local_time(iso: str | None, jurisdiction: str, style: str = "full") -> str:
    """An instant as a person reads it, in the jurisdiction's time zone and page language."""
    if not iso:
        return ""
    tz = book().timezone(jurisdiction)
    moment = datetime.fromisoformat(iso).astimezone(tz)
    return format_datetime(moment, style, tzinfo=tz, locale=get_locale())


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render one of the form's templates."""
    return render_template(f"intake_form/{template}", **context), status


# --- the request form ----------------------------------------------------------------


@bp.get("/")
def index():
    """The empty request form."""
    return _render("index.html", values={"relationship": "self"}, errors={})


def _chosen_files() -> list:
    """The files picked in the form's file input (an empty input sends a nameless part)."""
    return [f for f in request.files.getlist("file") if f.filename]


def file_error(exc: DomainError) -> str:
    """What went wrong with an attached file, in the page's language."""
    if exc.status == 413:
        return _("A file is larger than 10 MB. Attach smaller files (or fewer at once).")
    if exc.status == 415:
        return _(
            "A file is of a kind we do not accept. Attach PNG, JPEG, WebP or GIF images, PDF "
            "documents, plain text or MP4 videos."
        )
    if exc.status == 409:
        return _("You can send at most 20 files with a request.")
    return _("A file is empty. Choose the file again.")


@bp.post("/")
@accepts_upload(FORM_BODY)
def submit():
    """Validate with the API's schema; 303 to the receipt, or 422 with the errors beside fields.

    422 (not 200) so tools and tests can tell a refused submission from a page view;
    browsers render the page either way. Attached files are checked and sealed first and
    recorded with the request in its unit of work; a browser cannot keep a chosen file
    across a re-rendered page, so a refused submission asks for them again.
    """
    data, errors = forms.parse_request(request.form, html_lang())
    chosen = _chosen_files()
    staging = None
    if not errors and chosen:
        try:
            staging = files.stage_requester_files(
                [(f.filename or "", file_web.chunks_of(f.stream)) for f in chosen]
            )
        except DomainError as exc:
            if exc.status not in (409, 413, 415, 422):
                raise
            errors = {"file": [file_error(exc)]}
    if errors:
        if chosen and "file" not in errors:
            errors["file"] = [_("Choose your files again: a browser does not keep them.")]
        return _render("index.html", 422, values=forms.form_values(request.form), errors=errors)
    if staging is not None:
        data["attachments"] = staging
    try:
        req, answer = intake.submit(
            data,
            channel="web",
            actor="requester",
            default_jurisdiction=current_app.config["PIRIGHTS"].default_jurisdiction,
        )
    except BaseException:
        if staging is not None:
            staging.discard()
        raise
    if staging is not None:
        staging.publish()
    sealed = _seal(answer["tracking_token"])
    session[RECEIPT] = {
        "reference": answer["reference"],
        "token": sealed,
        "due_at": answer["due_at"],
        "jurisdiction": req.jurisdiction if req else data.get("jurisdiction", "CN"),
    }
    session[TRACK] = {"reference": answer["reference"], "token": sealed}
    return redirect(url_for("intake_form.submitted"), 303)


@bp.get("/submitted")
def submitted():
    """The receipt: reference, the tracking token (this once) and the due date."""
    receipt = session.pop(RECEIPT, None)
    token = _unseal(receipt["token"]) if receipt else None
    if not receipt or not token:
        return redirect(url_for("intake_form.status_lookup"), 303)
    return _render(
        "submitted.html",
        reference=receipt["reference"],
        token=token,
        due=local_time(receipt["due_at"], receipt["jurisdiction"]),
    )


# --- the status pages ----------------------------------------------------------------


@bp.get("/status")
def status_lookup():
    """The form asking for a reference and tracking token."""
    return _render("status_lookup.html", values={}, errors={})


@bp.post("/status")
def status_check():
    """Check the pair; on success keep it in the session and 303 to the status page."""
    reference = request.form.get("reference", "").strip()
    token = request.form.get("tracking_token", "").strip()
    errors: dict[str, list[str]] = {}
    if not reference:
        errors["reference"] = [_("Fill in this field.")]
    if not token:
        errors["tracking_token"] = [_("Fill in this field.")]
    if not errors:
        try:
            req = service.requester_view(reference, token)
        except NotFound:
            message = _("No request matches this reference and tracking token. Check both.")
            return _render(
                "status_lookup.html",
                404,
                values={"reference": reference},
                errors={"reference": [message], "tracking_token": [message]},
            )
        session[TRACK] = {"reference": req.reference, "token": _seal(token)}
        return redirect(url_for("intake_form.status_page"), 303)
    return _render("status_lookup.html", 422, values={"reference": reference}, errors=errors)


def _tracked() -> tuple[str, str] | None:
    """The (reference, token) this browser checked last, if any."""
    track = session.get(TRACK)
    token = _unseal(track["token"]) if isinstance(track, dict) else None
    return (track["reference"], token) if token else None


def _status_context(req) -> dict[str, Any]:
    """What the status template shows about a request."""
    view = present.for_requester(req)
    where = req.jurisdiction
    outcome = view["outcome"]
    return {
        "view": view,
        "type_text": texts.TYPE_TEXTS.get(view["type"]),
        "status_text": texts.STATUS_TEXTS.get(view["status"], view["status"]),
        "received": local_time(view["received_at"], where),
        "due": local_time(view["due_at"], where),
        "messages": [
            {"sender": m["sender"], "body": m["body"], "at": local_time(m["at"], where, "medium")}
            for m in view["messages"]
        ],
        "outcome": outcome,
        "outcome_at": local_time(outcome["at"], where) if outcome else "",
        "awaiting": view["status"] == AWAITING,
        "open": view["status"] not in TERMINAL,
        "notices": get_flashed_messages(),
        "verification": verification.state(req),
        "files": [
            {
                **f,
                "at": local_time(f["created_at"], where, "medium"),
                "size_text": format_size(f["size"], locale=get_locale()),
            }
            for f in (
                files.present(req, row, staff=False)
                for row in req.files  # type: ignore[attr-defined]
                if row.audience == files.REQUESTER
            )
        ],
    }


def _show_status(status: int = 200, errors: dict | None = None, values: dict | None = None):
    """The status page for the tracked request, or back to the lookup form."""
    tracked = _tracked()
    if tracked is None:
        return redirect(url_for("intake_form.status_lookup"), 303)
    try:
        req = service.requester_view(*tracked)
    except NotFound:
        session.pop(TRACK, None)
        return redirect(url_for("intake_form.status_lookup"), 303)
    return _render(
        "status.html", status, errors=errors or {}, values=values or {}, **_status_context(req)
    )


@bp.get("/status/request")
def status_page():
    """Status, due date, messages and outcome of the tracked request."""
    return _show_status()


@bp.post("/status/reply")
def status_reply():
    """The requester writes to the privacy team (answering a request for information)."""
    tracked = _tracked()
    if tracked is None:
        return redirect(url_for("intake_form.status_lookup"), 303)
    body, errors = forms.parse_message(request.form)
    if errors:
        return _show_status(422, errors, {"message": request.form.get("message", "")})
    try:
        service.requester_message(*tracked, body)
    except Conflict:
        return _show_status(409, {"message": [_("This request is closed; it takes no replies.")]})
    except NotFound:
        return redirect(url_for("intake_form.status_lookup"), 303)
    flash("sent")
    return redirect(url_for("intake_form.status_page"), 303)


@bp.post("/status/files")
@accepts_upload(STATUS_FILE_BODY)
def status_file():
    """The requester attaches one more file (evidence) from the status page."""
    tracked = _tracked()
    if tracked is None:
        return redirect(url_for("intake_form.status_lookup"), 303)
    try:
        files.add_requester_file(*tracked, file_web.read_form_files)
    except NotFound:
        return redirect(url_for("intake_form.status_lookup"), 303)
    except Conflict as exc:
        if exc.slug == "request-closed":
            return _show_status(409, {"file": [_("This request is closed; it takes no files.")]})
        return _show_status(409, {"file": [file_error(exc)]})
    except DomainError as exc:
        if exc.status not in (413, 415, 422):
            raise
        message = (
            _("Choose a file to send.")
            if exc.errors and "file" in exc.errors and "required" in str(exc.errors["file"])
            else file_error(exc)
        )
        return _show_status(exc.status, {"file": [message]})
    flash("file_added")
    return redirect(url_for("intake_form.status_page"), 303)


@bp.get("/status/files/<int:file_id>")
def status_download(file_id: int):
    """Download a file meant for the requester; the token comes from the session, never
    from the URL."""
    tracked = _tracked()
    if tracked is None:
        return redirect(url_for("intake_form.status_lookup"), 303)
    try:
        return file_web.send(files.requester_download(*tracked, file_id))
    except (NotFound, Gone):
        return _render("error.html", 404, message=_("This file is not available."))


@bp.post("/status/withdraw")
def status_withdraw():
    """Withdraw the tracked request, once the requester has ticked the confirmation."""
    tracked = _tracked()
    if tracked is None:
        return redirect(url_for("intake_form.status_lookup"), 303)
    reason, errors = forms.parse_withdrawal(request.form)
    if errors:
        return _show_status(422, errors, {"reason": request.form.get("reason", "")})
    try:
        service.requester_withdraw(*tracked, reason)
    except Conflict:
        if _current_status(tracked) == WITHDRAWN:
            # A double click, or a second tab: what the requester asked for is done.
            flash("already_withdrawn")
            return redirect(url_for("intake_form.status_page"), 303)
        return _show_status(409, {"confirm": [_("This request is already closed.")]})
    except NotFound:
        return redirect(url_for("intake_form.status_lookup"), 303)
    flash("withdrawn")
    return redirect(url_for("intake_form.status_page"), 303)


@bp.post("/status/verify")
def status_verify():
    """The requester enters the one-time code we sent them (§12.1)."""
    tracked = _tracked()
    if tracked is None:
        return redirect(url_for("intake_form.status_lookup"), 303)
    code, errors = forms.parse_code(request.form)
    if errors:
        return _show_status(422, errors, {"code": request.form.get("code", "")})
    try:
        verification.verify(*tracked, code)
    except verification.WrongCode as exc:
        if exc.tries_left:
            message = _("This code is wrong. You can try %(n)s more times.", n=exc.tries_left)
        else:
            message = _("This code is wrong and no longer works. Ask for a new code.")
        return _show_status(422, {"code": [message]})
    except Conflict:
        return _show_status(409, {"code": [_("This code no longer works. Ask for a new code.")]})
    except NotFound:
        return redirect(url_for("intake_form.status_lookup"), 303)
    flash("verified")
    return redirect(url_for("intake_form.status_page"), 303)


@bp.post("/status/code")
def status_new_code():
    """Send the requester a new one-time code (at most one a minute, five a day)."""
    tracked = _tracked()
    if tracked is None:
        return redirect(url_for("intake_form.status_lookup"), 303)
    try:
        verification.resend(*tracked)
    except verification.TooManyCodes as exc:
        wait = int(exc.headers.get("Retry-After", "60"))
        message = _("You can ask for a new code in %(n)s seconds.", n=wait)
        if wait > 120:
            message = _(
                "You have asked for many codes today. Try again in %(n)s minutes.",
                n=(wait + 59) // 60,
            )
        response = make_response(_show_status(429, {"code": [message]}))
        response.headers["Retry-After"] = str(wait)
        return response
    except Conflict:
        return _show_status(409, {"code": [_("No new code can be sent for this request.")]})
    except NotFound:
        return redirect(url_for("intake_form.status_lookup"), 303)
    flash("code_sent")
    return redirect(url_for("intake_form.status_page"), 303)


def _current_status(tracked: tuple[str, str]) -> str | None:
    """The tracked request's status now, or None if it can no longer be read."""
    try:
        return service.requester_view(*tracked).status
    except NotFound:
        return None


@bp.post("/status/forget")
def status_forget():
    """Forget the tracked request in this browser (for shared computers)."""
    session.pop(TRACK, None)
    return redirect(url_for("intake_form.status_lookup"), 303)


@bp.errorhandler(StaleDataError)
def changed_meanwhile(_error: StaleDataError):
    """The safety net of errors.handle_stale_data for pages: a page to retry from, 409.

    Writers lock their row first, so this should not happen; if it does, nothing was
    applied and the requester is told so in their language, never shown problem+json.
    """
    return _render(
        "error.html",
        409,
        message=_(
            "Your request changed at the same moment, so this was not applied. Reload the "
            "page and try again."
        ),
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge):
    """A form post over its body limit (files too large): a page saying so, 413."""
    return _render(
        "error.html",
        413,
        message=_(
            "The files you attached are too large together. Go back and attach smaller files "
            "(up to 10 MB each, 20 MB in all); you can add more on your status page later."
        ),
    )


@bp.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError):
    """A post without a valid token: an HTML page saying what to do, not problem+json."""
    return _render(
        "error.html",
        400,
        message=_(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and send it again."
        ),
    )
