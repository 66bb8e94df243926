"""The audit page (/console/audit): export and verify, with the audit API's roles."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pirights.audit import signing
from pirights.console import audit_views
from tests.console.conftest import page_of, post

URL = "/console/audit"


@pytest.fixture
def console_client(en_console_client):
    """Signed-in clients reading the pages in English."""
    return en_console_client


@pytest.fixture
def history(submit):
    """A few audited changes."""
    return [submit()["reference"] for _ in range(3)]


def events_of(client, auth) -> list[dict]:
    """Every event of the chain, through the API."""
    body = client.get("/api/v1/audit/export", headers=auth("auditor", name="api-auditor")).data
    return [json.loads(line) for line in body.splitlines()]


@pytest.mark.parametrize(
    ("role", "status"), [("agent", 403), ("auditor", 200), ("supervisor", 200), ("admin", 200)]
)
def test_roles_as_the_audit_api(console_client, role, status):
    client = console_client(role)
    assert client.get(URL).status_code == status
    assert post(client, URL + "/verify", {"what": "chain"}).status_code == status
    assert post(client, URL + "/export", {"format": "jsonl"}).status_code == status


def test_page_offers_export_and_both_verifications(console_client):
    page = page_of(console_client("auditor").get(URL))
    export = page.find("form", data_form="export")
    assert "checked" in export.find("input", name="format", value="jsonl").attrs
    assert page.find("label", for_="since").text() == "From"
    assert not page.find_all("input", name="sign")  # no key configured
    assert page.find("form", data_form="verify-file").get("enctype") == "multipart/form-data"
    assert page.find("form", data_form="verify-chain").find("button").text() == (
        "Verify the stored trail"
    )


def test_export_streams_jsonl_and_is_audited(client, auth, console_client, history):
    console = console_client("auditor", "olga")
    resp = post(console, URL + "/export", {"format": "jsonl"})
    assert resp.status_code == 200
    assert resp.mimetype == "application/x-ndjson"
    assert resp.is_streamed
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="audit-1-')
    lines = resp.data.splitlines()
    assert [json.loads(x)["seq"] for x in lines] == list(range(1, len(lines) + 1))
    exported = [e for e in events_of(client, auth) if e["action"] == "audit.exported"]
    assert exported[0]["actor"] == "staff:olga"
    assert exported[0]["data"]["count"] == len(lines)
    # The bytes verify as the CLI verifies them.
    upload = {"what": "file", "export": (io.BytesIO(resp.data), "mine.jsonl")}
    page = page_of(post(console, URL + "/verify", upload))
    verdict = page.find("section", data_verdict=True)
    assert verdict.get("data-verdict") == "ok"
    assert f"Events checked: {len(lines)};" in verdict.text()


def test_export_filters_as_the_api(console_client, history):
    console = console_client("supervisor")
    resp = post(console, URL + "/export", {"format": "csv", "from_seq": "2", "to_seq": "3"})
    assert resp.mimetype == "text/csv"
    rows = resp.data.decode().splitlines()
    assert rows[0].startswith("seq,at,actor") and [r.split(",")[0] for r in rows[1:]] == ["2", "3"]
    until = post(console, URL + "/export", {"until": "2000-01-01"})
    assert until.status_code == 200 and until.data == b""


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-10-02", "until": "2026-10-01"}, "until"),
        ({"from_seq": "0"}, "from_seq"),
        ({"from_seq": "5", "to_seq": "2"}, "to_seq"),
        ({"from_seq": "9" * 30}, "from_seq"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_filters_come_back_on_the_page(console_client, form, field):
    resp = post(console_client("auditor"), URL + "/export", form)
    assert resp.status_code == 422
    page = page_of(resp)
    assert page.find("p", id=f"{field}-error").text()
    if field in ("since", "until"):
        assert page.by_id(field).get("value") == form[field]


def test_signing_without_a_key_is_explained(console_client):
    resp = post(console_client("auditor"), URL + "/export", {"sign": "on"})
    assert resp.status_code == 409
    assert "no audit signing key" in page_of(resp).find("p", id="sign-error").text()


@pytest.fixture
def signing_key(app_overrides, tmp_path) -> Ed25519PrivateKey:
    """Configure a signing key for the app."""
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "audit.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    app_overrides["audit"] = {"signing_key": str(path)}
    return key


def test_signed_export_is_a_zip_that_verifies(signing_key, console_client, history):
    console = console_client("auditor")
    page = page_of(console.get(URL))
    assert "checked" in page.find("input", name="sign").attrs
    resp = post(console, URL + "/export", {"format": "jsonl", "sign": "on"})
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    name = resp.headers["Content-Disposition"].split('"')[1]
    assert name.startswith("audit-1-") and name.endswith(".jsonl.zip")
    with zipfile.ZipFile(io.BytesIO(resp.data)) as archive:
        names = archive.namelist()
        assert names[0] == name.removesuffix(".zip")
        document = json.loads(archive.read(names[1]))
    assert signing.signature_valid(document, signing_key.public_key())
    upload = {"what": "file", "export": (io.BytesIO(resp.data), name)}
    verdict = page_of(post(console, URL + "/verify", upload)).find("section", data_verdict=True)
    assert verdict.get("data-verdict") == "ok"
    assert "this server's signing key" in verdict.text()


def test_verify_the_live_chain(console_client, history):
    page = page_of(post(console_client("admin"), URL + "/verify", {"what": "chain"}))
    verdict = page.find("section", data_verdict=True)
    assert verdict.get("data-verdict") == "ok" and verdict.get("role") == "status"
    assert "stored in this server's database" in verdict.text()


def test_a_tampered_upload_names_the_first_bad_event(client, auth, console_client, history):
    lines = [
        json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in events_of(client, auth)
    ]
    changed = json.loads(lines[1])
    changed["actor"] = "staff:mallory"
    lines[1] = json.dumps(changed, separators=(",", ":"), ensure_ascii=False)
    upload = {"what": "file", "export": (io.BytesIO("\n".join(lines).encode()), "x.jsonl")}
    resp = post(console_client("auditor"), URL + "/verify", upload)
    verdict = page_of(resp).find("section", data_verdict=True)
    assert verdict.get("data-verdict") == "broken"
    assert "seq 2" in verdict.text()
    assert "was changed, removed or inserted" in verdict.text()


@pytest.mark.parametrize(
    "upload",
    [
        {"what": "file"},
        {"what": "file", "export": (io.BytesIO(b"not an export"), "x.txt")},
        {"what": "file", "export": (io.BytesIO(b"PK\x03\x04junk"), "x.zip")},
        {"what": "file", "export": (io.BytesIO(b"\xff\xfe\x00"), "x.jsonl")},
        {
            "what": "file",
            "export": (io.BytesIO(b"{}\n"), "x.jsonl"),
            "manifest": (io.BytesIO(b"{}"), "m.json"),
            "public_key": (io.BytesIO(b"not a key"), "k.pub"),
        },
    ],
)
def test_unverifiable_uploads_are_explained_never_500(console_client, upload):
    resp = post(console_client("auditor"), URL + "/verify", upload)
    assert resp.status_code == 422
    assert page_of(resp).find("p", id="export-error").text()


def test_an_upload_over_the_limit_is_413_with_a_page(console_client, monkeypatch):
    monkeypatch.setattr(audit_views, "UPLOAD_LIMIT", 4096)
    upload = {"what": "file", "export": (io.BytesIO(b"x" * 10_000), "big.jsonl")}
    resp = post(console_client("auditor"), URL + "/verify", upload)
    assert resp.status_code == 413
    assert "pirights audit verify" in page_of(resp).find("p", class_="error-page").text()


def test_posts_need_the_csrf_token(console_client):
    client = console_client("auditor")
    assert client.post(URL + "/export", data={"format": "jsonl"}).status_code == 400
    assert client.post(URL + "/verify", data={"what": "chain"}).status_code == 400


def test_chinese_page(console_client):
    page = page_of(console_client("auditor").get(URL + "?lang=zh"))
    assert page.find("h1").text() == "审计日志"
    assert page.find("form", data_form="verify-chain").find("button").text() == "验证已存储的日志"
