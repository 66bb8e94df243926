"""Bad uploads (SPEC §12.3, issue 14 §6): each gets its problem, and none leaves anything
in the store or the database."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.files.conftest import PNG, stored_keys, upload

MIB = 1024 * 1024
BOUNDARY = "pirightsboundary"


def part(name: str, content: bytes, filename: str | None = None) -> bytes:
    """One multipart part."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return (
        (
            f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )


def raw_post(client, url, body: bytes, headers: dict):
    """POST a hand-made multipart body."""
    return client.post(
        url,
        data=body,
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


class CountingStream(io.RawIOBase):
    """A body of `size` bytes that remembers how much of it was read."""

    def __init__(self, head: bytes, size: int) -> None:
        self.head, self.size, self.read_bytes = head, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        if n <= 0:
            return 0
        start = self.read_bytes
        chunk = (self.head[start : start + n] if start < len(self.head) else b"").ljust(n, b"a")
        buffer[:n] = chunk[:n]
        self.read_bytes += n
        return n


def streamed_post(client, url, stream, headers: dict, content_length: int | None = None):
    """The status of a POST whose body is read from `stream`: chunked (no Content-Length)
    unless a length is given."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        path=url,
        method="POST",
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    ).get_environ()
    environ["wsgi.input"] = stream
    environ["CONTENT_TYPE"] = f"multipart/form-data; boundary={BOUNDARY}"  # not the builder's
    if content_length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    from werkzeug.test import run_wsgi_app

    _body, status, _headers = run_wsgi_app(client.application, environ, buffered=True)
    return int(status.split()[0])


def nothing_kept(app, store) -> None:
    """No object in the store and no file row."""
    from pirights.extensions import db
    from pirights.files.models import File

    assert stored_keys(app, store) == []
    if hasattr(store, "client"):  # S3: no multipart upload left open either
        assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(File)) == 0


@pytest.fixture(params=["public", "staff"])
def target(request, requester, auth):
    """(URL, headers, extra fields) of the requester's and of staff's upload."""
    ref, token = requester
    if request.param == "public":
        return f"/api/v1/public/requests/{ref}/files", token, {}
    return f"/api/v1/requests/{ref}/files", auth("agent"), {"audience": "internal"}


def test_missing_file_part_is_422(app, client, target, store):
    url, headers, fields = target
    body = b"".join(part(k, v.encode()) for k, v in {"note": "x", **fields}.items())
    resp = raw_post(client, url, body + f"--{BOUNDARY}--\r\n".encode(), headers)
    assert resp.status_code == 422
    assert "file" in resp.get_json()["errors"]
    nothing_kept(app, store)


def test_truncated_multipart_is_400(app, client, target, store):
    url, headers, fields = target
    head = b"".join(part(k, v.encode()) for k, v in fields.items())
    body = head + part("file", PNG * 100, "a.png")[:-60]  # cut inside the file, no end
    resp = raw_post(client, url, body, headers)
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    nothing_kept(app, store)


def test_not_multipart_is_415(client, target):
    url, headers, _ = target
    resp = client.post(url, json={"file": "aGVsbG8="}, headers=headers)
    assert resp.status_code == 415


def test_zero_byte_file_is_422(app, client, target, store):
    url, headers, fields = target
    resp = upload(client, url, b"", "empty.png", headers, **fields)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"file": ["is empty (0 bytes)"]}
    nothing_kept(app, store)


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + b"\x00" * 200,  # a ZIP
        b"MZ\x90\x00" + b"\x00" * 200,  # a Windows program
        "文本".encode() * 5000 + b"\x00\x01binary after 20 000 bytes of text",
        b"text then a bad byte" * 1000 + b"\xff",
    ],
    ids=["zip", "exe", "text-then-binary", "text-then-invalid-utf8"],
)
def test_requester_files_of_other_types_are_415(app, client, requester, store, content):
    ref, token = requester
    resp = upload(client, f"/api/v1/public/requests/{ref}/files", content, "photo.png", token)
    assert resp.status_code == 415
    assert resp.get_json()["type"] == "urn:pirights:problem:file-type"
    nothing_kept(app, store)


def test_too_large_is_413_while_streaming(backend, app, client, requester, auth, store):
    ref, token = requester
    url = f"/api/v1/public/requests/{ref}/files"
    big = PNG + b"\x00" * (10 * MIB)
    assert upload(client, url, big, "big.png", token).status_code == 413
    nothing_kept(app, store)

    # Chunked (no Content-Length): refused as soon as the limit is passed, not at the end.
    head = part("file", b"", "big.png")[:-2] + PNG
    stream = CountingStream(head, 60 * MIB)
    assert streamed_post(client, url, stream, token) == 413
    assert stream.read_bytes < 11 * MIB
    nothing_kept(app, store)

    # A declared length over the limit: refused before a byte of the body is read.
    stream = CountingStream(head, 60 * MIB)
    assert streamed_post(client, url, stream, token, content_length=60 * MIB) == 413
    assert stream.read_bytes == 0

    # Staff may send up to 100 MiB: the same 10 MiB file goes through.
    staff = upload(client, f"/api/v1/requests/{ref}/files", big, "big.bin", auth("agent"),
                   audience="internal")  # fmt: skip
    assert staff.status_code == 201


def test_file_names_never_become_paths(app, client, requester, store):
    ref, token = requester
    resp = upload(client, f"/api/v1/public/requests/{ref}/files", PNG, "../../etc/passwd", token)
    assert resp.status_code == 201
    assert resp.get_json()["name"] == "passwd"
    (key,) = stored_keys(app, store)
    assert key.startswith("blobs/") and "passwd" not in key
    got = client.get(f"/api/v1/public/requests/{ref}/files/{resp.get_json()['id']}", headers=token)
    assert got.headers["Content-Disposition"] == (
        "attachment; filename=\"passwd.png\"; filename*=UTF-8''passwd"
    )


def test_content_disposition_is_safe_for_any_name():
    from pirights.files.web import content_disposition

    header = content_disposition('a"b\\c\r\nSet-Cookie: x=1;.png', 7, "image/png")
    assert "\r" not in header and "\n" not in header
    fallback = header.split("filename=", 1)[1].split(";", 1)[0]
    assert fallback.count('"') == 2 and "\\" not in fallback
    assert content_disposition(None, 7, "image/png") == (
        "attachment; filename=\"file-7.png\"; filename*=UTF-8''file-7.png"
    )
    assert content_disposition("张三.pdf", 1, "application/pdf") == (
        "attachment; filename=\"file-1.pdf\"; filename*=UTF-8''%E5%BC%A0%E4%B8%89.pdf"
    )
