"""Signed export manifests (SPEC §6): keygen, --sign, sign=true, verify --key."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.audit.helpers import EXPORT, cli


@pytest.fixture
def keys(monkeypatch, database_url, tmp_path) -> tuple[Path, Path]:
    """A key pair made by `pirights audit keygen`."""
    prefix = tmp_path / "keys" / "audit"
    prefix.parent.mkdir()
    result = cli(monkeypatch, database_url, "audit", "keygen", "--out", str(prefix))
    assert result.exit_code == 0, result.output
    return prefix.with_suffix(".key"), prefix.with_suffix(".pub")


@pytest.fixture
def signed(keys, monkeypatch, database_url, submit, tmp_path) -> Path:
    """A signed JSONL export made by the CLI."""
    for _ in range(3):
        submit()
    out = tmp_path / "audit.jsonl"
    result = cli(
        monkeypatch,
        database_url,
        "audit",
        "export",
        "-o",
        str(out),
        "--sign",
        PIRIGHTS_AUDIT_SIGNING_KEY=str(keys[0]),
    )
    assert result.exit_code == 0, result.output
    return out


def verify(monkeypatch, database_url, keys, path: Path):
    """`pirights audit verify --key PUB FILE`."""
    return cli(monkeypatch, database_url, "audit", "verify", "--key", str(keys[1]), str(path))


def test_keygen_writes_a_private_key_only_its_owner_can_read(keys, monkeypatch, database_url):
    private, public = keys
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    again = cli(monkeypatch, database_url, "audit", "keygen", "--out", str(private.with_suffix("")))
    assert again.exit_code == 1 and "exists" in again.output


def test_cli_sign_writes_a_manifest_beside_the_file(signed):
    document = json.loads(signed.with_name("audit.jsonl.manifest.json").read_text())
    manifest = document["manifest"]
    assert manifest["algorithm"] == "Ed25519"
    assert manifest["count"] == 3 and manifest["first_seq"] == 1 and manifest["last_seq"] == 3
    last = json.loads(signed.read_text().splitlines()[-1])
    assert manifest["last_hash"] == last["hash"]
    assert manifest["file"] == "audit.jsonl" and manifest["bytes"] == signed.stat().st_size
    assert document["signature"]


def test_verify_with_the_key_checks_signature_hash_and_chain(
    signed, keys, monkeypatch, database_url
):
    result = verify(monkeypatch, database_url, keys, signed)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "OK 3 events"
    assert "signature valid" in result.output


def test_a_changed_file_fails_the_signed_check(signed, keys, monkeypatch, database_url):
    # A trailing blank line leaves the chain intact but not the file's hash.
    signed.write_bytes(signed.read_bytes() + b"\n")
    plain = cli(monkeypatch, database_url, "audit", "verify", str(signed))
    assert plain.exit_code == 0
    result = verify(monkeypatch, database_url, keys, signed)
    assert result.exit_code == 1 and "SHA-256" in result.output


def test_a_truncated_file_fails_even_though_its_chain_holds(
    signed, keys, monkeypatch, database_url
):
    lines = signed.read_text().splitlines()
    signed.write_text("\n".join(lines[:-1]) + "\n")
    result = verify(monkeypatch, database_url, keys, signed)
    assert result.exit_code == 1
    assert "manifest counts 3 events, the file 2" in result.output


def test_a_forged_manifest_fails(signed, keys, monkeypatch, database_url):
    manifest_path = signed.with_name("audit.jsonl.manifest.json")
    document = json.loads(manifest_path.read_text())
    document["manifest"]["count"] = 2
    manifest_path.write_text(json.dumps(document))
    result = verify(monkeypatch, database_url, keys, signed)
    assert result.exit_code == 1 and "signature is not valid" in result.output


def test_another_key_fails(signed, monkeypatch, database_url, tmp_path):
    other = tmp_path / "other"
    cli(monkeypatch, database_url, "audit", "keygen", "--out", str(other))
    result = verify(monkeypatch, database_url, (None, other.with_suffix(".pub")), signed)
    assert result.exit_code == 1 and "signature is not valid" in result.output


def test_sign_without_a_key_says_how_to_make_one(monkeypatch, database_url, tmp_path):
    out = tmp_path / "a.jsonl"
    result = cli(monkeypatch, database_url, "audit", "export", "-o", str(out), "--sign")
    assert result.exit_code == 1
    assert "No audit signing key is configured" in result.output
    assert "pirights audit keygen" in result.output
    assert not out.exists()


def test_sign_needs_an_output_file(monkeypatch, database_url):
    result = cli(monkeypatch, database_url, "audit", "export", "--sign")
    assert result.exit_code == 2 and "-o FILE" in result.output


def test_the_key_may_be_given_as_pem_text(keys, monkeypatch, database_url, tmp_path):
    out = tmp_path / "b.csv"
    result = cli(
        monkeypatch,
        database_url,
        "audit",
        "export",
        "--format",
        "csv",
        "-o",
        str(out),
        "--sign",
        PIRIGHTS_AUDIT_SIGNING_KEY=keys[0].read_text(),
    )
    assert result.exit_code == 0, result.output
    assert verify(monkeypatch, database_url, keys, out).exit_code == 0


def test_api_sign_returns_a_manifest_whose_events_url_gives_the_signed_bytes(
    keys, app_overrides, tmp_path, monkeypatch, database_url
):
    from pirights import create_app
    from tests.audit.conftest import PHONE_ONLY
    from tests.conftest import valid_request

    app_overrides["audit"] = {"signing_key": str(keys[0])}
    app = create_app(app_overrides, instance_path=str(tmp_path / "inst"))
    client = app.test_client()
    for _ in range(2):
        body = valid_request(requester=PHONE_ONLY)  # one event each (tests/audit/conftest.py)
        assert client.post("/api/v1/public/requests", json=body).status_code == 201
    from pirights.staff.service import add_staff

    with app.app_context():
        _, token = add_staff("ada", "auditor")
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.get(f"{EXPORT}?format=csv&sign=true", headers=headers)
    assert resp.status_code == 200 and resp.is_json
    document = resp.get_json()
    assert document["manifest"]["count"] == 3 and document["manifest"]["format"] == "csv"
    assert document["public_key"] == keys[1].read_text()
    assert document["events_url"].startswith("/api/v1/audit/export?")
    body = client.get(document["events_url"], headers=headers).get_data()
    path = tmp_path / "signed.csv"
    path.write_bytes(body)
    path.with_name("signed.csv.manifest.json").write_text(json.dumps(document))
    assert verify(monkeypatch, database_url, keys, path).exit_code == 0
    app.extensions["pirights_db"].engine.dispose()


def test_api_sign_without_a_key_is_a_409_naming_sign_and_records_nothing(app, client, auth):
    headers = auth("admin")
    events = client.get(f"{EXPORT}", headers=headers).get_data().count(b"\n")
    resp = client.get(f"{EXPORT}?sign=true", headers=headers)
    assert resp.status_code == 409
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"].endswith("signing-not-configured") and list(body["errors"]) == ["sign"]
    assert "PIRIGHTS_AUDIT_SIGNING_KEY" in body["detail"] and "sign=true" in body["detail"]
    # The refusal is not an export: only the first (unsigned) export was recorded.
    after = client.get(f"{EXPORT}", headers=headers).get_data().count(b"\n")
    assert after == events + 1


def test_api_sign_with_an_unreadable_key_is_a_503(app_overrides, tmp_path, request):
    app_overrides["audit"] = {"signing_key": str(tmp_path / "missing.pem")}
    client, auth = request.getfixturevalue("client"), request.getfixturevalue("auth")
    resp = client.get(f"{EXPORT}?sign=true", headers=auth("admin"))
    assert resp.status_code == 503
    assert "cannot be read" in resp.get_json()["detail"]
