"""The audit page (SPEC §13, §6): export the trail and verify it, with the API's roles.

Export goes through the same service as `GET /api/v1/audit/export` and the CLI (the
window fixed and `audit.exported` recorded in one unit of work, then the rows streamed),
with the API's filters parsed by the API's own schema. Without a signing key the file
streams as JSONL or CSV; with one (and "sign" ticked) it streams as a ZIP holding the
export, its signed manifest and the public key (console.audit_files). Verification runs
the code of `pirights audit verify`: on the live chain, or on an uploaded export.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from pirights.audit import export, service, signing
from pirights.audit_api import ExportArgsSchema
from pirights.console import audit_files
from pirights.console.blueprint import bp, error_page, http_error
from pirights.console.session import console_view
from pirights.staff import roles

EXPORT_FIELDS = ("format", "since", "until", "from_seq", "to_seq")
# An uploaded export may be this large (the JSON API's body limit is far smaller).
UPLOAD_LIMIT = 512 * 1024**2

FIELD_MESSAGES = {
    "format": _l("Choose JSONL or CSV."),
    "since": _l("Give a date (YYYY-MM-DD) or a time with its offset, e.g. 2026-09-30T10:00+08:00."),
    "until": _l(
        "Give a date (YYYY-MM-DD) or a time with its offset, not before the start of the window."
    ),
    "from_seq": _l("Give a whole number of 1 or more."),
    "to_seq": _l("Give a whole number of 1 or more, not below the first seq."),
    "sign": _l("Signing is not available: this server has no audit signing key."),
}


# The verifier's reasons (pirights.audit.verify, standalone), said in the page language; a
# reason not listed here (a malformed line's) is shown as the verifier wrote it.
REASONS = {
    "hash chain broken": _l(
        "a hash does not match: this event, or one before it, was changed, removed or inserted"
    ),
    "the chain does not start at seq 1": _l("the chain does not start at seq 1"),
    "events missing before the head": _l("events are missing before the newest one"),
    "the head does not match the last event": _l(
        "the newest event does not match the head the database recorded"
    ),
    "the manifest's signature is not valid for this key": _l(
        "the manifest's signature is not valid for this key"
    ),
    "the file's SHA-256 differs from the manifest": _l(
        "the file's SHA-256 differs from the manifest"
    ),
    "the seq range differs from the manifest": _l("the seq range differs from the manifest"),
    "the last hash differs from the manifest": _l("the last hash differs from the manifest"),
    "the file's format differs from the manifest": _l(
        "the file's format differs from the manifest"
    ),
    "the first prev_hash differs from the manifest": _l(
        "the first prev_hash differs from the manifest"
    ),
}


def _reasons(why: str) -> list[tuple[str, bool]]:
    """The verifier's `why` (parts joined by "; ") as (text, translated) pairs."""
    return [(str(REASONS[p]), True) if p in REASONS else (p, False) for p in why.split("; ") if p]


def _has_key() -> bool:
    """True when this deployment has a signing key configured (it may still be unusable)."""
    return bool(current_app.config["PIRIGHTS"].audit_signing_key.strip())


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    """The audit page with its forms (and a result or errors when given)."""
    context.setdefault("values", {"format": "jsonl", "sign": _has_key()})
    context.setdefault("errors", {})
    return render_template("console/audit.html", can_sign=_has_key(), **context), status


@bp.get("/audit")
@console_view(*roles.AUDITORS)
def audit():
    """Export and verify forms."""
    return _page()


@bp.post("/audit/export")
@console_view(*roles.AUDITORS)
def audit_export():
    """Download an export of the trail (streamed), signed as a ZIP when asked."""
    values = {k: request.form.get(k, "").strip() for k in EXPORT_FIELDS}
    values["sign"] = request.form.get("sign") == "on"
    raw = {k: v for k, v in values.items() if k != "sign" and v}
    try:
        args = ExportArgsSchema().load(raw)
    except ValidationError as exc:
        errors = {k: [str(FIELD_MESSAGES.get(k, _("Check this field.")))] for k in exc.messages}
        return _page(422, values=values, errors=errors)
    fmt = args["format"]
    key = None
    if values["sign"]:
        try:
            key = service.signing_key()
        except signing.SigningUnavailable as exc:
            message = FIELD_MESSAGES["sign"] if exc.status == 409 else exc.detail
            return _page(exc.status, values=values, errors={"sign": [str(message)]})
    window = service.begin_export(
        actor=g.member.actor,
        fmt=fmt,
        since=args.get("since"),
        until=args.get("until"),
        from_seq=args.get("from_seq"),
        to_seq=args.get("to_seq"),
        signed=key is not None,
    )
    name = audit_files.export_name(window, fmt)
    if key is None:
        body, mimetype = export.stream(service.engine(), window, fmt), export.MEDIA_TYPES[fmt]
    else:
        body = audit_files.signed_zip(service.engine(), window, fmt, key)
        name, mimetype = f"{name}.zip", "application/zip"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _verdict(outcome_or_verdict, **extra: Any) -> dict[str, Any]:
    """A verification result as the page shows it."""
    verdict = getattr(outcome_or_verdict, "verdict", outcome_or_verdict)
    return {
        "ok": verdict.ok,
        "events": verdict.events,
        "first_bad_seq": verdict.first_bad_seq,
        "why": _reasons(verdict.why),
        "pending": verdict.pending,
        **extra,
    }


@bp.before_app_request
def allow_large_uploads() -> None:
    """Raise the body limit for an upload to verify, before anything reads the form (the
    blueprint's CSRF check does; app hooks run before blueprint hooks)."""
    if request.endpoint == "console.audit_verify":
        request.max_content_length = UPLOAD_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """An upload over the limit: say how large may be and what to use instead."""
    if request.endpoint != "console.audit_verify":
        return http_error(error)
    message = _(
        "The file is larger than %(mb)d MB; verify it with the command line instead "
        "(pirights audit verify FILE).",
        mb=UPLOAD_LIMIT // 1024**2,
    )
    return error_page(413, message, _("The file is too large"))


@bp.post("/audit/verify")
@console_view(*roles.AUDITORS)
def audit_verify():
    """Verify the live chain, or an uploaded export (and its manifest, if any)."""
    if request.form.get("what") == "chain":
        return _page(result=_verdict(service.verify_stored_chain(), subject="chain"))
    upload = request.files.get("export")
    manifest = request.files.get("manifest")
    key_file = request.files.get("public_key")
    if upload is None or not upload.filename:
        return _page(422, errors={"export": [_("Choose an export file to verify.")]})
    public_key = key_file.read() if key_file and key_file.filename else None
    server_key = public_key is None and _has_key()
    if server_key:
        try:
            public_key = signing.public_pem(service.signing_key())
        except signing.SigningUnavailable:
            server_key, public_key = False, None
    try:
        outcome = audit_files.verify_upload(
            upload.stream,
            upload.filename,
            manifest=manifest.stream if manifest and manifest.filename else None,
            public_key=public_key,
        )
    except audit_files.UploadRefused as exc:
        return _page(422, errors={"export": [str(exc)]})
    return _page(
        result=_verdict(
            outcome,
            subject="file",
            file_name=outcome.file_name,
            signature_checked=outcome.signature_checked,
            key_source=(
                "archive" if outcome.key_from_archive else "server" if server_key else "upload"
            ),
        )
    )
