"""Key rotation (SPEC §8.2): `pirights keys rotate` moves every ciphertext to the new key."""

from __future__ import annotations

import base64

import pytest
from click.testing import CliRunner
from sqlalchemy import LargeBinary, select, type_coerce

from pirights import create_app
from pirights.cli import main
from pirights.crypto import Cipher, decode_key
from pirights.security.rotate import encrypted_tables
from tests.security.helpers import SECRETS, full_lifecycle

KEY_A = base64.urlsafe_b64encode(b"k" * 32).decode()  # the suite's TEST_KEY
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode()
KEY_C = base64.urlsafe_b64encode(b"C" * 32).decode()
STAFF = "/api/v1/requests"


def key_ids(app) -> set[bytes]:
    """The key ids found in every encrypted column, read as raw bytes."""
    from pirights.extensions import db

    found: set[bytes] = set()
    with app.app_context():
        for table, cols in encrypted_tables().items():
            for col in cols:
                raw = type_coerce(table.c[col], LargeBinary)
                for (blob,) in db.session.execute(select(raw).where(raw.is_not(None))):
                    found.add(bytes(blob[1:5]))
    return found


def run(monkeypatch, url: str, key: str, old: str | None, *args: str):
    """Run the CLI in-process with the given keys."""
    monkeypatch.setenv("PIRIGHTS_DATABASE_URL", url)
    monkeypatch.setenv("PIRIGHTS_ENCRYPTION_KEY", key)
    monkeypatch.setenv("PIRIGHTS_PUBLIC_RATE_LIMIT", "off")
    if old is None:
        monkeypatch.delenv("PIRIGHTS_ENCRYPTION_OLD_KEYS", raising=False)
    else:
        monkeypatch.setenv("PIRIGHTS_ENCRYPTION_OLD_KEYS", old)
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def b_only(app_overrides, tmp_path):
    """Build an app that holds only key B (after the rotation)."""
    made = []

    def build():
        overrides = {**app_overrides, "security": {**app_overrides["security"]}}
        overrides["security"]["encryption_key"] = KEY_B
        application = create_app(overrides, instance_path=str(tmp_path / "b"))
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["pirights_db"].engine.dispose()


def test_rotate_to_b_then_an_app_with_only_b_reads_everything(
    app, client, auth, monkeypatch, app_overrides, b_only
):
    admin = auth("admin")
    secrets = full_lifecycle(client, admin)
    ref = secrets["reference"]
    before = client.get(f"{STAFF}/{ref}", headers=admin)
    a_id, b_id = Cipher.key_id(decode_key(KEY_A)), Cipher.key_id(decode_key(KEY_B))
    assert key_ids(app) == {a_id}

    result = run(
        monkeypatch,
        app_overrides["database"]["url"],
        KEY_B,
        KEY_A,
        "keys",
        "rotate",
        "--batch",
        "2",
    )
    assert result.exit_code == 0, result.output
    assert "requests: 1 row(s) re-encrypted" in result.output
    assert "request_messages: 3 row(s) re-encrypted" in result.output
    assert key_ids(app) == {b_id}

    new = b_only()
    c = new.test_client()
    after = c.get(f"{STAFF}/{ref}", headers=admin)
    assert after.status_code == 200
    body, old_body = after.get_json(), before.get_json()
    assert body["requester"] == old_body["requester"]
    assert body["requester"]["name"] == SECRETS["name"]
    assert body["description"] == SECRETS["description"]
    assert body["content_refs"] == [SECRETS["content_ref"]]
    assert body["outcome"] == old_body["outcome"]
    # Rotation is not an edit: the version (ETag) stays.
    assert after.headers["ETag"] == before.headers["ETag"]
    # Blind indexes follow the key: search by email and phone still finds it.
    for query in ({"email": SECRETS["email"]}, {"phone": SECRETS["phone"]}):
        items = c.get(STAFF, query_string=query, headers=admin).get_json()["items"]
        assert [i["reference"] for i in items] == [ref]
    # The requester's view, messages included, and the idempotent replay still work.
    public = c.get(
        f"/api/v1/public/requests/{ref}", headers={"X-Tracking-Token": secrets["tracking_token"]}
    ).get_json()
    assert SECRETS["requester_message"] in [m["body"] for m in public["messages"]]
    with new.app_context():
        from pirights.extensions import db
        from pirights.models import Note

        assert [n.body for n in db.session.scalars(select(Note))] == [SECRETS["note"]]

    # Audited, naming the new key's id and never a value.
    events = c.get(f"{STAFF}/{ref}/events", headers=admin)
    from pirights.audit.recorder import as_dict
    from pirights.models import AuditEvent

    with new.app_context():
        rotated = [
            as_dict(e)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "keys.rotated")
            )
        ]
    assert rotated and {e["data"]["key_id"] for e in rotated} == {b_id.hex()}
    assert sum(e["data"]["rows"] for e in rotated if e["data"]["table"] == "requests") == 1
    assert events.status_code == 200

    # A second run finds nothing left under the old key.
    again = run(monkeypatch, app_overrides["database"]["url"], KEY_B, KEY_A, "keys", "rotate")
    assert again.exit_code == 0 and "rotated 0 row(s)" in again.output


def test_without_rotation_an_app_with_only_b_cannot_read(app, client, auth, b_only):
    admin = auth("admin")
    secrets = full_lifecycle(client, admin)
    new = b_only()
    resp = new.test_client().get(f"{STAFF}/{secrets['reference']}", headers=admin)
    assert resp.status_code == 500  # the data is really under key A


def test_rotate_refuses_ciphertext_of_an_unknown_key(app, client, auth, monkeypatch, app_overrides):
    full_lifecycle(client, auth("admin"))
    result = run(monkeypatch, app_overrides["database"]["url"], KEY_B, KEY_C, "keys", "rotate")
    assert result.exit_code != 0
    assert "PIRIGHTS_ENCRYPTION_OLD_KEYS" in result.output


def test_a_malformed_old_key_stops_start_up(app_overrides, tmp_path):
    from pirights.config import ConfigError

    overrides = {
        **app_overrides,
        "security": {**app_overrides["security"], "encryption_old_keys": "short"},
    }
    with pytest.raises(ConfigError, match="encryption_old_keys"):
        create_app(overrides, instance_path=str(tmp_path / "x"))
