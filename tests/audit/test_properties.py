"""Properties of the chain checks, and of the export endpoint's input handling."""

from __future__ import annotations

import io
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pirights.audit.chain import GENESIS, event_hash
from pirights.audit.cli import Progress
from pirights.audit.standalone import read_jsonl, verify_events
from tests.audit.helpers import EXPORT


def make_chain(size: int, prev: str = GENESIS, start: int = 1) -> list[dict]:
    """A valid list of events."""
    events = []
    for seq in range(start, start + size):
        event = {
            "seq": seq,
            "at": f"2026-10-01T00:00:{seq % 60:02d}.000000Z",
            "actor": "staff:alice" if seq % 2 else "requester",
            "action": "request.transitioned",
            "request_ref": None if seq % 3 == 0 else f"PIR-{seq:04d}",
            "data": {"n": seq, "to": "in_progress", "note": "处理中"},
        }
        event["prev_hash"] = prev
        event["hash"] = prev = event_hash(prev, event)
        events.append(event)
    return events


def lines_of(events: list[dict]) -> str:
    """Events as a JSONL text."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)


FIELD_CHANGES = {
    "seq": lambda v: v + 100,
    "at": lambda v: v.replace("2026", "2025"),
    "actor": lambda v: v + "x",
    "action": lambda v: "request.viewed",
    "request_ref": lambda v: "PIR-9999" if v is None else None,
    "data": lambda v: {**v, "n": v["n"] + 1},
    "prev_hash": lambda v: "f" * 64,
    "hash": lambda v: "0" + v[1:] if v[0] != "0" else "1" + v[1:],
}


@given(
    size=st.integers(min_value=1, max_value=30),
    data=st.data(),
)
def test_any_single_field_change_is_found_at_that_event(size, data):
    events = make_chain(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    field = data.draw(st.sampled_from(sorted(FIELD_CHANGES)))
    events[index][field] = FIELD_CHANGES[field](events[index][field])
    count, bad, _walk, _why = verify_events(read_jsonl(io.StringIO(lines_of(events))))
    assert bad is not None
    assert bad in (events[index]["seq"], index + 1)
    assert count == index


@given(
    before=st.integers(min_value=0, max_value=20),
    size=st.integers(min_value=0, max_value=20),
)
def test_any_window_of_a_valid_chain_verifies_alone(before, size):
    events = make_chain(before + size)[before:]
    count, bad, _walk, _why = verify_events(read_jsonl(io.StringIO(lines_of(events))))
    assert bad is None and count == size


@pytest.fixture
def auditor(auth) -> dict:
    """One auditor for every example of a property (fixtures run once per test)."""
    return auth("auditor")


INSTANTS = st.one_of(
    st.text(max_size=40),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.dates().map(str),
)


# Each example is an HTTP round trip through the app and the database: on a busy machine one
# can outlast Hypothesis's 200 ms default deadline, which is not what this property is about.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(since=INSTANTS, until=INSTANTS, fmt=st.sampled_from(["jsonl", "csv", "", "x"]))
def test_export_arguments_never_cause_a_500(client, auditor, since, until, fmt):
    headers = auditor
    resp = client.get(
        EXPORT, query_string={"since": since, "until": until, "format": fmt}, headers=headers
    )
    assert resp.status_code in (200, 422)


def test_progress_shows_on_a_terminal_only(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    screen = Tty()
    monkeypatch.setattr(sys, "stderr", screen)
    progress = Progress(200)
    progress.advance(50)
    progress.finish()
    assert screen.getvalue() == "\rexported 50/200 events (25%)\n"
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    progress = Progress(200)
    progress.advance(50)
    progress.finish()
    assert pipe.getvalue() == ""


def test_the_openapi_document_describes_the_audit_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    export_op = spec["paths"]["/api/v1/audit/export"]["get"]
    names = {p["name"] for p in export_op["parameters"]}
    assert {"format", "since", "until", "from_seq", "to_seq", "sign"} <= names
    assert "/api/v1/audit/verify" in spec["paths"]
