"""Verification (SPEC §6): the database chain, export files, and tampering of each kind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pirights.audit.verify import verify_database, verify_file
from tests.audit.helpers import EXPORT, VERIFY, cli, csv_rows, write_lines


@pytest.fixture
def history(client, auth, submit) -> dict:
    """Some events (staff, requests, views) and an auditor's headers."""
    headers = auth("auditor")
    for _ in range(3):
        ref = submit()["reference"]
        client.get(f"/api/v1/requests/{ref}", headers=headers)
    return headers


@pytest.fixture
def exported(client, history, tmp_path):
    """A full JSONL export on disk and its lines."""
    body = client.get(EXPORT, headers=history).get_data(as_text=True)
    lines = body.splitlines()
    assert len(lines) >= 7
    path = tmp_path / "audit.jsonl"
    write_lines(path, lines)
    return path, lines


def test_cli_verifies_the_database_chain(history, monkeypatch, database_url):
    result = cli(monkeypatch, database_url, "audit", "verify")
    assert result.exit_code == 0
    assert result.output.strip() == "OK 7 events"


def test_api_verify_says_ok_with_the_count(client, history):
    resp = client.get(VERIFY, headers=history)
    assert resp.status_code == 200
    assert resp.get_json() == {"ok": True, "events": 7}


def test_api_verify_roles(client, auth):
    assert client.get(VERIFY, headers=auth("agent")).status_code == 403
    for role in ("supervisor", "admin"):
        assert client.get(VERIFY, headers=auth(role)).status_code == 200


def test_cli_verifies_an_intact_export(exported, monkeypatch, database_url):
    path, lines = exported
    result = cli(monkeypatch, database_url, "audit", "verify", str(path))
    assert result.exit_code == 0
    assert result.output.strip() == f"OK {len(lines)} events"


def test_a_changed_line_is_found(exported, monkeypatch, database_url):
    path, lines = exported
    event = json.loads(lines[3])
    event["data"]["masked"] = not event["data"].get("masked", False)
    lines[3] = json.dumps(event)
    write_lines(path, lines)
    result = cli(monkeypatch, database_url, "audit", "verify", str(path))
    assert result.exit_code == 1
    assert "first bad seq 4" in result.output


def test_a_deleted_line_is_found(exported, monkeypatch, database_url):
    path, lines = exported
    del lines[4]
    write_lines(path, lines)
    result = cli(monkeypatch, database_url, "audit", "verify", str(path))
    assert result.exit_code == 1
    assert "first bad seq 6" in result.output


def test_a_reordered_line_is_found(exported, monkeypatch, database_url):
    path, lines = exported
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(path, lines)
    result = cli(monkeypatch, database_url, "audit", "verify", str(path))
    assert result.exit_code == 1
    assert "first bad seq 4" in result.output


def test_a_garbled_line_names_the_seq_it_replaces(exported):
    path, lines = exported
    lines[5] = "{not json"
    write_lines(path, lines)
    verdict = verify_file(path)
    assert verdict.first_bad_seq == 6 and "line 6" in verdict.why


def test_a_changed_csv_row_is_found(client, history, tmp_path):
    body = client.get(f"{EXPORT}?format=csv", headers=history).get_data(as_text=True)
    path = tmp_path / "audit.csv"
    path.write_text(body, encoding="utf-8")
    assert verify_file(path).ok
    rows = csv_rows(body)
    assert rows[3][2] == "staff:auditor"  # seq 3 is the first view
    path.write_text(body.replace(",staff:auditor,", ",staff:mallory,", 1), encoding="utf-8")
    verdict = verify_file(path)
    assert verdict.first_bad_seq == 3


def test_a_file_that_is_no_export_is_refused(tmp_path, monkeypatch, database_url):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    result = cli(monkeypatch, database_url, "audit", "verify", str(path))
    assert result.exit_code == 1 and "neither a JSONL nor a CSV" in result.output


def _edit_row(engine, seq: int) -> None:
    """Change one stored event as an attacker with database access would."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET actor = 'staff:nobody' WHERE seq = :s"), {"s": seq}
        )


def test_a_row_edited_in_the_database_is_found(app, client, history, monkeypatch, database_url):
    engine = app.extensions["pirights_db"].engine
    if engine.dialect.name == "postgresql":
        # The append-only trigger refuses the edit...
        with pytest.raises(DBAPIError, match="append-only"):
            _edit_row(engine, 4)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events WHERE seq = 4"))
        assert verify_database(engine).ok
        # ...so the test switches it off, as an attacker with owner rights could.
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            conn.execute(text("UPDATE audit_events SET actor = 'staff:nobody' WHERE seq = 4"))
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    else:
        _edit_row(engine, 4)
    verdict = verify_database(engine)
    assert not verdict.ok and verdict.first_bad_seq == 4
    assert client.get(VERIFY, headers=history).get_json() == {"ok": False, "first_bad_seq": 4}
    result = cli(monkeypatch, database_url, "audit", "verify")
    assert result.exit_code == 1 and "first bad seq 4" in result.output


def _delete_row(engine, seq: int) -> None:
    """Remove one stored event, bypassing the trigger where there is one."""
    with engine.begin() as conn:
        pg = engine.dialect.name == "postgresql"
        if pg:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seq})
        if pg:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


@pytest.mark.parametrize(("seq", "bad"), [(1, 1), (4, 5), (7, 7)])
def test_deleted_rows_are_found_at_the_start_middle_and_end(app, history, seq, bad):
    engine = app.extensions["pirights_db"].engine
    _delete_row(engine, seq)
    verdict = verify_database(engine)
    assert verdict.first_bad_seq == bad, verdict


def test_the_trigger_stays_on_after_the_tests(app):
    engine = app.extensions["pirights_db"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    with engine.connect() as conn:
        state = conn.execute(
            text("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_events_append_only'")
        ).scalar_one()
    assert state == "O"


def _auditor(app) -> dict:
    """Headers of an auditor created directly (the chain then holds one event)."""
    from pirights.staff.service import add_staff

    with app.app_context():
        _, token = add_staff("quiet", "auditor")
    return {"Authorization": f"Bearer {token}"}


def test_an_empty_chain_verifies(app, client, monkeypatch, database_url):
    result = cli(monkeypatch, database_url, "audit", "verify")
    assert result.exit_code == 0 and result.output.strip() == "OK 0 events"
    body = client.get(EXPORT, headers=_auditor(app)).get_data(as_text=True)
    assert [json.loads(line)["action"] for line in body.splitlines()] == ["staff.added"]
