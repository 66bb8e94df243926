"""Exports (SPEC §6): formats, roles, windows, auditing, streaming in constant memory."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from pirights.audit import export
from pirights.audit.standalone import CSV_HEADER
from pirights.extensions import db
from tests.audit.helpers import EXPORT, bulk_chain, cli, csv_rows, jsonl_events

KEYS = {"seq", "at", "actor", "action", "request_ref", "data", "prev_hash", "hash"}


def exported_events(app) -> list[dict]:
    """audit.exported events in the database, via a full export."""
    with app.app_context():
        window = export.Window(1, 10**9, 0)
        rows = export.iter_rows(db.engine, window.first_seq, window.last_seq)
        return [export.row_event(r) for r in rows if r.action == "audit.exported"]


def test_jsonl_export_streams_every_event_in_seq_order(client, auth, submit):
    headers = auth("auditor")
    submit()
    submit()
    resp = client.get(f"{EXPORT}?format=jsonl", headers=headers)
    assert resp.status_code == 200
    assert resp.mimetype == "application/x-ndjson"
    events = jsonl_events(resp.get_data(as_text=True))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(set(e) == KEYS and isinstance(e["data"], dict) for e in events)
    assert events[0]["prev_hash"] == "0" * 64
    assert {e["action"] for e in events} >= {"staff.added", "request.created"}


def test_csv_export_has_the_exact_header_and_data_as_json(client, auth, submit):
    headers = auth("supervisor")
    submit()
    resp = client.get(f"{EXPORT}?format=csv", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    assert text.splitlines()[0] == "seq,at,actor,action,request_ref,data,prev_hash,hash"
    rows = csv_rows(text)
    assert rows[0] == CSV_HEADER
    for row in rows[1:]:
        assert isinstance(json.loads(row[5]), dict)
    jsonl = jsonl_events(client.get(EXPORT, headers=headers).get_data(as_text=True))
    # Same events in both formats (the JSONL one also holds the CSV export's own event).
    assert [int(r[0]) for r in rows[1:]] == [e["seq"] for e in jsonl[: len(rows) - 1]]
    assert [json.loads(r[5]) for r in rows[1:]] == [e["data"] for e in jsonl[: len(rows) - 1]]


@pytest.mark.parametrize("role", ["auditor", "supervisor", "admin"])
def test_export_roles_allowed(client, auth, role):
    assert client.get(EXPORT, headers=auth(role)).status_code == 200


def test_export_forbidden_for_agents_and_needs_a_token(client, auth):
    assert client.get(EXPORT, headers=auth("agent")).status_code == 403
    assert client.get(EXPORT).status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "format=xml",
        "since=yesterday",
        "since=2026-09-30T10:00:00",
        "from_seq=0",
        "since=2026-10-02&until=2026-10-01",
        "from_seq=5&to_seq=2",
        "since=0001-01-01T00:00:00%2B14:00",
        "until=9999-12-31T23:59:59-14:00",
        "to_seq=99999999999999999999999",
    ],
)
def test_bad_export_arguments_get_422(client, auth, query):
    resp = client.get(f"{EXPORT}?{query}", headers=auth("auditor"))
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"


def test_each_export_is_audited_with_filter_format_and_count(app, client, auth, submit):
    headers = auth("auditor")
    submit()
    first = jsonl_events(client.get(f"{EXPORT}?format=jsonl", headers=headers).get_data(True))
    client.get(f"{EXPORT}?format=csv&since=2020-01-01T00:00:00Z", headers=headers)
    audited = exported_events(app)
    assert len(audited) == 2
    assert audited[0]["actor"] == "staff:auditor"
    assert audited[0]["data"] == {
        "filter": {"since": None, "until": None},
        "format": "jsonl",
        "count": len(first),
    }
    assert audited[1]["data"]["format"] == "csv"
    assert audited[1]["data"]["filter"]["since"] == "2020-01-01T00:00:00.000000Z"
    # An export does not contain its own event: the window was fixed before it.
    assert first[-1]["seq"] == audited[0]["seq"] - 1


def test_a_time_window_is_a_seq_range_that_verifies_alone(client, auth, submit, clock, tmp_path):
    from pirights.audit.verify import verify_file

    start = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    headers = auth("auditor")
    for day in range(4):
        clock.set(start + timedelta(days=day))
        submit()
    clock.set(start + timedelta(days=5))
    resp = client.get(
        f"{EXPORT}?since=2026-10-01T02:00:00Z&until=2026-10-03T00:00:00%2B00:00", headers=headers
    )
    events = jsonl_events(resp.get_data(as_text=True))
    assert len(events) == 2
    assert all("2026-10-01" <= e["at"] < "2026-10-03" for e in events)
    assert events[0]["prev_hash"] != "0" * 64
    path = tmp_path / "window.jsonl"
    path.write_bytes(resp.get_data())
    verdict = verify_file(path)
    assert verdict.ok and verdict.events == 2


def test_an_empty_window_exports_nothing(client, auth):
    resp = client.get(f"{EXPORT}?since=2100-01-01", headers=auth("auditor"))
    assert resp.status_code == 200 and resp.get_data() == b""
    resp = client.get(f"{EXPORT}?format=csv&until=2000-01-01", headers=auth("admin"))
    assert resp.get_data(as_text=True) == ",".join(CSV_HEADER) + "\n"


def test_cli_export_to_file_and_stdout(app, monkeypatch, database_url, submit, tmp_path):
    submit()
    out = tmp_path / "audit.csv"
    result = cli(monkeypatch, database_url, "audit", "export", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = csv_rows(out.read_text(encoding="utf-8"))
    assert rows[0] == CSV_HEADER and len(rows) == 2
    result = cli(monkeypatch, database_url, "audit", "export", "--since", "2000-01-01")
    assert result.exit_code == 0
    events = jsonl_events(result.stdout)
    assert [e["action"] for e in events] == ["request.created", "audit.exported"]
    assert events[1]["data"]["format"] == "csv" and events[1]["data"]["count"] == 1
    assert events[1]["actor"] == "system"


def test_jsonl_lines_are_the_compact_json_of_the_event(app, submit):
    submit()
    with app.app_context():
        for row in export.iter_rows(db.engine, 1, 10):
            expected = json.dumps(export.row_event(row), ensure_ascii=False, separators=(",", ":"))
            assert export.jsonl_line(row) == expected


def test_cli_export_refuses_a_bad_time(monkeypatch, database_url):
    result = cli(monkeypatch, database_url, "audit", "export", "--since", "noon")
    assert result.exit_code == 2 and "noon" in result.output


def test_export_of_a_large_log_runs_in_constant_memory(app, tmp_path, monkeypatch):
    """100 000 events (~44 MB as JSONL) stream through a few MB of Python memory.

    Memory is set by the batch size, not the log: bench/audit_export.py shows the same
    peak for 1 000 000 events. Measured with batches of 1000 rows (the default is bigger,
    for speed, and the peak grows with it).
    """
    monkeypatch.setattr(export, "BATCH", 1000)
    count = 100_000
    with app.app_context():
        bulk_chain(db.engine, count)
        with db.unit_of_work() as s:
            window = export.start_export(s, actor="system", fmt="jsonl")
        assert window.count == count
        out = tmp_path / "big.jsonl"
        tracemalloc.start()
        try:
            with out.open("wb") as fh:
                for chunk in export.stream(db.engine, window, "jsonl"):
                    fh.write(chunk)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    size = out.stat().st_size
    assert size > 40_000_000
    assert peak < 8_000_000, f"peak {peak} bytes for a {size}-byte export"
    with out.open("rb") as fh:
        lines = sum(1 for _ in fh)
    assert lines == count
