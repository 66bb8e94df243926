"""Files on the console's request page (SPEC §12.3, §13): staff attach a result or a note's
evidence and download what the requester sent, through the same files service as the API,
so the same limits apply and the same `file.added` / `file.downloaded` events are written."""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _

from pirights.console import words
from pirights.console.blueprint import bp, error_page
from pirights.console.request_views import render_page
from pirights.console.session import console_view
from pirights.errors import DomainError, Gone, NotFound
from pirights.files import service as files
from pirights.files import web as file_web
from pirights.staff import roles
from pirights.uploads import accepts_upload

# A staff file's limit plus room for the form's other fields (the API's own allowance).
BODY_LIMIT = files.STAFF_MAX_BYTES + files.BODY_SLACK


def _upload_problem(exc: DomainError) -> str:
    """What went wrong with the attached file, as the page says it."""
    if exc.status == 413:
        return _("The file is larger than 100 MB. Attach a smaller file.")
    if exc.status == 422:
        fields = exc.errors or {}
        if "audience" in fields:
            return _("Say who the file is for: the requester, or staff only.")
        return _("Choose a file to attach; an empty file cannot be attached.")
    return words.refusal(exc)


@bp.post("/requests/<string:reference>/files")
@accepts_upload(BODY_LIMIT)
@console_view(*roles.WRITERS)
def add_file(reference: str):
    """Attach one file to the request, for the requester or for staff only."""
    try:
        files.add_staff_file(reference, g.member, file_web.read_form_files)
    except NotFound:
        return error_page(404, _("No request has this reference."), _("Not found"))
    except DomainError as exc:
        return render_page(
            reference, status=exc.status, problem=_upload_problem(exc), failed_action="file"
        )
    flash(_("The file is attached."), "success")
    return redirect(url_for("console.request_page", reference=reference), 303)


@bp.get("/requests/<string:reference>/files/<int:file_id>")
@console_view(*roles.WRITERS)
def download_file(reference: str, file_id: int):
    """Download one file's original bytes (auditors see the list only, as in the API)."""
    try:
        return file_web.send(files.staff_download(reference, file_id, g.member))
    except (NotFound, Gone):
        return error_page(404, _("This file is not available."), _("Not found"))
