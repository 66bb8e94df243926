"""What the files' HTTP endpoints share: reading an upload's body, and the response that
streams a file back (SPEC §12.3)."""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from flask import Response, request

from pirights.files import multipart
from pirights.files.service import Download, OnFile

ASCII_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+() ")
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "video/mp4": ".mp4",
}


def read_body(on_file: OnFile) -> tuple[dict[str, str], list]:
    """Parse this request's multipart body as it streams in."""
    return multipart.read(request.stream, request.headers.get("Content-Type"), on_file)


def read_form_files(on_file: OnFile) -> tuple[dict[str, str], list]:
    """The `file` inputs of an HTML form werkzeug has already parsed (the form pages)."""
    results = []
    for upload in request.files.getlist("file"):
        if upload.filename:  # a file input left empty sends a part with no name
            results.append(on_file("file", upload.filename, chunks_of(upload.stream)))
    return request.form.to_dict(), [r for r in results if r is not None]


def chunks_of(stream) -> Iterator[bytes]:
    """A file object's bytes in 64 KiB chunks."""
    while chunk := stream.read(multipart.READ):
        yield chunk


def content_disposition(name: str | None, file_id: int, content_type: str) -> str:
    """`attachment` with the name made safe (RFC 6266): an ASCII `filename` for old
    clients and the exact name in `filename*` (RFC 8187 UTF-8 percent-encoding). No
    quote, backslash, slash or control character reaches the header."""
    name = name or f"file-{file_id}{EXTENSIONS.get(content_type, '')}"
    stem, dot, ext = name.rpartition(".")
    if not dot or not (ext.isascii() and ext.isalnum() and len(ext) <= 8):
        stem, ext = name, EXTENSIONS.get(content_type, ".bin").lstrip(".")
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = "".join(c if c in ASCII_SAFE else "_" for c in folded).strip(" ._")[:120]
    fallback = f"{stem or f'file-{file_id}'}.{ext}"
    return f"attachment; filename=\"{fallback[:150]}\"; filename*=UTF-8''{quote(name, safe='')}"


def send(download: Download) -> Response:
    """Stream a file's original bytes as an attachment, with its SHA-256 (RFC 9530)."""
    row = download.file
    digest = base64.b64encode(bytes.fromhex(row.sha256)).decode()
    response = Response(download.chunks, mimetype=row.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(row.size)
    response.headers["Content-Disposition"] = content_disposition(
        row.name, row.id, row.content_type
    )
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Never rendered in our origin, even if opened directly.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
