"""The console's signed ZIP export and upload verification (pirights.console.audit_files)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pirights.audit import service, signing
from pirights.console.audit_files import (
    PUBLIC_KEY_NAME,
    UploadRefused,
    signed_zip,
    verify_upload,
)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    """A fresh signing key."""
    return Ed25519PrivateKey.generate()


@pytest.fixture
def events(submit, client, auth):
    """A few audited changes, the chain sequenced; returns the API's JSONL export."""
    for _ in range(3):
        submit()
    resp = client.get("/api/v1/audit/export?format=jsonl", headers=auth("auditor"))
    assert resp.status_code == 200
    return resp.data


def zip_of(app, key, fmt="jsonl") -> bytes:
    """The signed ZIP of every event so far."""
    with app.app_context():
        window = service.begin_export(actor="staff:test", fmt=fmt, signed=True)
        return b"".join(signed_zip(service.engine(), window, fmt, key))


def members(data: bytes) -> dict[str, bytes]:
    """A ZIP's members by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def test_signed_zip_holds_the_same_bytes_as_the_api(app, events, key):
    data = zip_of(app, key)
    files = members(data)
    names = sorted(files)
    export_name = next(n for n in names if n.endswith(".jsonl"))
    assert names == sorted([export_name, export_name + ".manifest.json", PUBLIC_KEY_NAME])
    # The API's export was the events before it; the ZIP's window adds the API's own
    # audit.exported event, so the API's bytes are its prefix.
    assert files[export_name].startswith(events)
    document = json.loads(files[export_name + ".manifest.json"])
    assert signing.signature_valid(document, key.public_key())
    assert document["manifest"]["file"] == export_name
    assert document["manifest"]["count"] == files[export_name].count(b"\n")
    assert files[PUBLIC_KEY_NAME] == signing.public_pem(key)


def test_signed_zip_verifies_as_uploaded(app, events, key):
    data = zip_of(app, key, fmt="csv")
    outcome = verify_upload(io.BytesIO(data), "export.zip")
    assert outcome.verdict.ok and outcome.signature_checked and outcome.key_from_archive
    assert outcome.file_name.endswith(".csv")
    mine = verify_upload(io.BytesIO(data), "export.zip", public_key=signing.public_pem(key))
    assert mine.verdict.ok and not mine.key_from_archive
    other = signing.public_pem(Ed25519PrivateKey.generate())
    stranger = verify_upload(io.BytesIO(data), "export.zip", public_key=other)
    assert not stranger.verdict.ok and "signature" in stranger.verdict.why


def test_a_changed_event_in_the_zip_is_found(app, events, key):
    files = members(zip_of(app, key))
    name = next(n for n in files if n.endswith(".jsonl"))
    lines = files[name].decode().splitlines(keepends=True)
    event = json.loads(lines[1])
    event["actor"] = "staff:mallory"
    lines[1] = json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
    files[name] = "".join(lines).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, body in files.items():
            archive.writestr(member, body)
    outcome = verify_upload(io.BytesIO(buffer.getvalue()), "tampered.zip")
    assert not outcome.verdict.ok and outcome.verdict.first_bad_seq == 2


def test_plain_exports_verify_without_a_signature(events):
    outcome = verify_upload(io.BytesIO(events), "audit.jsonl")
    assert outcome.verdict.ok and outcome.verdict.events == events.count(b"\n")
    assert not outcome.signature_checked
    first, second, *rest = events.splitlines(keepends=True)
    broken = b"".join([first, second.replace(b'"requester"', b'"system"'), *rest])
    assert verify_upload(io.BytesIO(broken), "audit.jsonl").verdict.first_bad_seq == 2


def test_a_separate_manifest_needs_a_key(app, events, key):
    files = members(zip_of(app, key))
    name = next(n for n in files if n.endswith(".jsonl"))
    manifest = io.BytesIO(files[name + ".manifest.json"])
    with pytest.raises(UploadRefused, match="public key"):
        verify_upload(io.BytesIO(files[name]), name, manifest=manifest)
    manifest.seek(0)
    outcome = verify_upload(
        io.BytesIO(files[name]), name, manifest=manifest, public_key=signing.public_pem(key)
    )
    assert outcome.verdict.ok and outcome.signature_checked


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello, world\n",
        b"\xff\xfe\x00garbage",
        b"PK\x03\x04 not really a zip",
    ],
)
def test_what_is_not_an_export_is_refused_readably(body):
    with pytest.raises(UploadRefused) as caught:
        verify_upload(io.BytesIO(body), "thing.txt")
    assert "/tmp" not in str(caught.value)


def test_a_zip_without_one_export_is_refused(events):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.jsonl", events)
        archive.writestr("b.jsonl", events)
    with pytest.raises(UploadRefused, match="exactly one"):
        verify_upload(io.BytesIO(buffer.getvalue()), "two.zip")


def test_a_bad_public_key_is_refused(app, events, key):
    data = zip_of(app, key)
    with pytest.raises(UploadRefused):
        verify_upload(io.BytesIO(data), "x.zip", public_key=b"-----BEGIN PUBLIC KEY-----\nxx\n")
