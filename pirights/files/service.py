"""Files of requests (SPEC §12.3): add, list, download. Each public function is one unit of
work that writes its audit event (`file.added`, `file.downloaded`: id, size, audience;
never the name or the content) in the transaction of its change.

An upload is checked before its body is read (the request exists, the caller may add to
it, the requester has room for another file), streamed to a temporary key, committed,
then published (pirights.files.staging).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.crypto import cipher
from pirights.database import MAX_ROW_ID
from pirights.errors import Conflict, Gone, Invalid, NotFound
from pirights.extensions import db
from pirights.files import sealing, sniff
from pirights.files.models import AUDIENCES, REQUESTER, File
from pirights.files.staging import MIB, Staged, Staging
from pirights.files.storage import BLOBS, TMP, Missing, Store
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.requests.present import iso_local, text
from pirights.requests.queries import load
from pirights.requests.service import load_for_requester
from pirights.staff.models import Staff

log = logging.getLogger(__name__)
ERASED = "pirights.files.erased"  # session.info: object keys to delete after commit

REQUESTER_MAX_BYTES = 10 * MIB
STAFF_MAX_BYTES = 100 * MIB
REQUESTER_MAX_FILES = 20
# Room for the multipart framing and the small fields around the file (audience, a CSRF
# token): the body limit is the file limit plus this.
BODY_SLACK = 64 * 1024
EXTENSION = "pirights_files"

# read_body(on_file) -> (fields, results): the web layer's parser of the upload's body.
OnFile = Callable[[str, str, Iterator[bytes]], Any]
ReadBody = Callable[[OnFile], tuple[dict[str, str], list[Any]]]


def store() -> Store:
    """The configured store (pirights.files.init_app)."""
    return current_app.extensions[EXTENSION]


@dataclass
class Download:
    """A file's row and its original bytes, ready to stream."""

    file: File
    chunks: Iterator[bytes]


# --- checks --------------------------------------------------------------------------


def _purged(req: Request) -> bool:
    """True once retention erased the request's PII (its token hash goes with it)."""
    return req.tracking_token_hash is None


def _refuse_purged(req: Request) -> None:
    """No new files on a request whose personal information was erased."""
    if _purged(req):
        raise Conflict(
            "This request's personal information was erased under the retention policy; "
            "files can no longer be added to it.",
            slug="request-purged",
        )


def _requester_files(s: Session, req: Request) -> int:
    """How many files the requester has sent for this request."""
    return (
        s.scalar(
            select(func.count())
            .select_from(File)
            .where(File.request_id == req.id, File.added_by == "requester")
        )
        or 0
    )


def _refuse_requester(s: Session, req: Request, adding: int = 1) -> None:
    """409 when the request is closed or the requester's files are at the limit."""
    if req.status in lc.TERMINAL:
        raise Conflict(
            f"This request is {req.status}; it takes no more files. Submit a new request.",
            slug="request-closed",
        )
    if _requester_files(s, req) + adding > REQUESTER_MAX_FILES:
        raise Conflict(
            f"A request takes at most {REQUESTER_MAX_FILES} files from the requester, and "
            "this one has reached that. Write to the privacy team instead.",
            slug="too-many-files",
        )


def _one_file(staging: Staging) -> Staged:
    """The upload's single file, or 422 naming the `file` part."""
    if not staging.items:
        raise Invalid(
            "Send the file in a multipart/form-data part named `file`.",
            errors={"file": ["required: a multipart part named `file` with a filename"]},
        )
    return staging.items[0]


def _on_file(staging: Staging) -> OnFile:
    """The parser's callback: stage the part named `file`, once; skip other file parts."""

    def on_file(name: str, filename: str, chunks: Iterator[bytes]) -> Staged | None:
        """Stage one `file` part."""
        if name != "file":
            return None
        if staging.items:
            raise Invalid(
                "Send one file per upload.", errors={"file": ["only one file per upload"]}
            )
        return staging.stage(filename, chunks)

    return on_file


def _audience(fields: dict[str, str]) -> str:
    """The staff upload's audience, or 422."""
    audience = fields.get("audience", "").strip()
    if audience not in AUDIENCES:
        raise Invalid(
            "Say who the file is for: audience=requester (the requester may download it) "
            "or audience=internal (staff only).",
            errors={"audience": [f"must be one of: {', '.join(AUDIENCES)}"]},
        )
    return audience


def _add(
    s: Session, req: Request, staged: Staged, audience: str, actor: str, now: datetime
) -> File:
    """The file's row and its `file.added` event."""
    row = File(
        request_id=req.id,
        audience=audience,
        added_by=actor,
        name=staged.name,
        content_type=staged.content_type,
        size=staged.size,
        sha256=staged.sha256,
        blob=staged.blob,
        key_id=staged.key_id,
        created_at=now,
    )
    s.add(row)
    req.updated_at = now  # the detail lists files: its version (ETag) moves
    s.flush()
    record(
        s,
        actor=actor,
        action=actions.FILE_ADDED,
        request_ref=req.reference,
        data={"file_id": row.id, "size": row.size, "audience": audience},
    )
    return row


def _committed(staging: Staging, commit: Callable[[], File]) -> File:
    """Run the commit; discard the staged files if anything fails, publish them if not."""
    try:
        row = commit()
    except BaseException:
        staging.discard()
        raise
    staging.publish()
    return row


# --- adding --------------------------------------------------------------------------


def add_staff_file(reference: str, staff: Staff, read_body: ReadBody) -> File:
    """A staff member attaches a file (any type, up to 100 MiB) for the requester or staff."""
    with db.unit_of_work() as s:
        _refuse_purged(load(s, reference))
    staging = Staging(store(), STAFF_MAX_BYTES, None)

    def commit() -> File:
        """Parse the body, then record the file."""
        fields, _ = read_body(_on_file(staging))
        audience = _audience(fields)
        staged = _one_file(staging)
        now = clock.now()
        with db.unit_of_work() as s:
            req = load(s, reference, for_update=True)
            _refuse_purged(req)
            return _add(s, req, staged, audience, staff.actor, now)

    return _committed(staging, commit)


def add_requester_file(reference: str, token: str | None, read_body: ReadBody) -> File:
    """The requester sends evidence (accepted types only, up to 10 MiB, 20 per request)."""
    with db.unit_of_work() as s:
        _refuse_requester(s, load_for_requester(s, reference, token))
    staging = Staging(store(), REQUESTER_MAX_BYTES, sniff.ACCEPTED)

    def commit() -> File:
        """Parse the body, then record the file (the checks again, under the row lock)."""
        read_body(_on_file(staging))
        staged = _one_file(staging)
        now = clock.now()
        with db.unit_of_work() as s:
            req = load_for_requester(s, reference, token, for_update=True)
            _refuse_requester(s, req)
            return _add(s, req, staged, REQUESTER, "requester", now)

    return _committed(staging, commit)


def stage_requester_files(uploads: list[tuple[str, Iterator[bytes]]]) -> Staging:
    """Evidence sent with the request form: checked and staged before the request exists.

    The files' rows are added by `on_submitted` in the intake's own unit of work (the
    staging travels in the submission as `attachments`); the caller publishes the staging
    after the intake, or discards it if the intake fails.
    """
    if len(uploads) > REQUESTER_MAX_FILES:
        raise Conflict(
            f"A request takes at most {REQUESTER_MAX_FILES} files from the requester.",
            slug="too-many-files",
        )
    staging = Staging(store(), REQUESTER_MAX_BYTES, sniff.ACCEPTED)
    try:
        for filename, chunks in uploads:
            staging.stage(filename, chunks)
    except BaseException:
        staging.discard()
        raise
    return staging


def on_submitted(
    s: Session, req: Request, data: dict[str, Any], actor: str, now: datetime
) -> dict[str, Any]:
    """The intake hook: rows for the files staged with the form (see stage_requester_files)."""
    staging = data.get("attachments")
    if not isinstance(staging, Staging):
        return {}
    for staged in staging.items:
        _add(s, req, staged, REQUESTER, actor, now)
    return {}


# --- reading -------------------------------------------------------------------------


def _file(s: Session, req: Request, file_id: int, *, requester: bool = False) -> File:
    """One file of the request; internal files do not exist for the requester."""
    # An id beyond the column's range is simply unknown (PostgreSQL would refuse the query).
    row = s.get(File, file_id) if 1 <= file_id <= MAX_ROW_ID else None
    if row is None or row.request_id != req.id or (requester and row.audience != REQUESTER):
        raise NotFound(f"Request {req.reference} has no file {file_id}.")
    return row


def open_blob(st: Store, row: File) -> Iterator[bytes]:
    """The sealed bytes of a file, finishing a move that a crash interrupted."""
    if row.blob is None:
        raise Gone("This file's content was erased under the retention policy.")
    try:
        return st.get(row.blob)
    except Missing:
        tmp = TMP + row.blob.removeprefix(BLOBS)
        st.move(tmp, row.blob)  # the row is committed, so the upload is complete
        return st.get(row.blob)


def _download(s: Session, req: Request, row: File, actor: str) -> Download:
    """Open the content, then record the download (in the caller's unit of work).

    The first segment is decrypted before anything is recorded or sent: a file that does
    not decrypt (an unknown key, altered bytes) fails here, as an error, not as a 200
    cut short after its headers with a `file.downloaded` in the trail."""
    plain = sealing.unseal(cipher(), open_blob(store(), row))
    first = next(plain)
    record(
        s,
        actor=actor,
        action=actions.FILE_DOWNLOADED,
        request_ref=req.reference,
        data={"file_id": row.id, "size": row.size, "audience": row.audience},
    )
    return Download(row, itertools.chain([first], plain))


def staff_files(reference: str) -> tuple[Request, list[File]]:
    """A request's files, for any staff role."""
    with db.unit_of_work() as s:
        req = load(s, reference)
        return req, list(req.files)  # type: ignore[attr-defined]


def staff_download(reference: str, file_id: int, staff: Staff) -> Download:
    """A staff member downloads one file (auditors are refused by the route)."""
    with db.unit_of_work() as s:
        req = load(s, reference)
        return _download(s, req, _file(s, req, file_id), staff.actor)


def requester_files(reference: str, token: str | None) -> tuple[Request, list[File]]:
    """The files meant for the requester: results from staff and their own evidence."""
    with db.unit_of_work() as s:
        req = load_for_requester(s, reference, token)
        rows = s.scalars(
            select(File)
            .where(File.request_id == req.id, File.audience == REQUESTER)
            .order_by(File.id)
        ).all()
        return req, list(rows)


def requester_download(reference: str, token: str | None, file_id: int) -> Download:
    """The requester downloads one of the files meant for them."""
    with db.unit_of_work() as s:
        req = load_for_requester(s, reference, token)
        return _download(s, req, _file(s, req, file_id, requester=True), "requester")


# --- presenting ----------------------------------------------------------------------


def present(req: Request, row: File, *, masked: bool = False, staff: bool = True) -> dict:
    """The §12.3 representation of a file (`added_by` for staff; names masked for auditors)."""
    body = {
        "id": row.id,
        "name": text(row.name, masked),
        "size": row.size,
        "sha256": row.sha256,
        "content_type": row.content_type,
        "audience": row.audience,
        "created_at": iso_local(req, row.created_at),
    }
    if staff:
        body["added_by"] = row.added_by
        body["erased"] = row.blob is None
    else:
        body["from"] = "requester" if row.added_by == "requester" else "staff"
    return body


def present_detail(req: Request, now: datetime, masked: bool) -> dict[str, Any]:
    """The `files[]` of the staff detail (a requests hook)."""
    return {"files": [present(req, f, masked=masked) for f in req.files]}  # type: ignore[attr-defined]


# --- retention -----------------------------------------------------------------------


def erase_files(s: Session, req: Request) -> None:
    """Purge's hook: erase the request's file contents (the PII registry erases the
    names). Size, hash, type and dates stay, so the trail can still say what was sent.

    The rows are cleared in the purge's unit of work; the objects go once it commits
    (`_delete_erased`), so a purge that rolls back leaves every file readable. An object
    whose deletion fails then is an orphan the files sweep removes."""
    now = clock.now()
    erased = s.info.setdefault(ERASED, [])
    for row in s.scalars(select(File).where(File.request_id == req.id, File.blob.is_not(None))):
        blob = row.blob or ""
        erased += [blob, TMP + blob.removeprefix(BLOBS)]  # the second: an interrupted publish
        row.blob = row.key_id = None
        row.erased_at = now


@event.listens_for(Session, "after_commit")
def _delete_erased(session: Session) -> None:
    """Delete the objects of files a committed purge erased."""
    keys = session.info.pop(ERASED, None)
    if not keys:
        return
    st = store()
    for key in keys:
        try:
            st.delete(key)
        except Exception:  # the row no longer names it: the sweep removes it later
            log.warning("an erased file's object could not be deleted now", exc_info=True)


@event.listens_for(Session, "after_rollback")
def _keep_erased(session: Session) -> None:
    """A purge rolled back erased nothing."""
    session.info.pop(ERASED, None)
