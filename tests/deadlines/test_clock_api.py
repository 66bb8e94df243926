"""Due dates through the API (SPEC §3.4, §3.5, §5): examples, received_at, thresholds,
list filters, pauses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.deadlines.conftest import at


@pytest.mark.parametrize(
    ("jurisdiction", "received", "due"),
    [
        ("CN", "2026-09-30T10:00:00+08:00", "2026-10-27T23:59:59+08:00"),
        ("EU", "2026-01-31T10:00:00+01:00", "2026-03-02T23:59:59+01:00"),
        ("US-CA", "2026-09-05T10:00:00-07:00", "2026-10-20T23:59:59-07:00"),
    ],
)
def test_spec_examples_by_staff_intake(clock, intake, jurisdiction, received, due):
    body = intake(received_at=received, jurisdiction=jurisdiction)
    assert body["due_at"] == due
    assert body["received_at"] == at(received).isoformat()
    assert body["due_at_provisional"] is False


def test_past_received_at_starts_the_clock_then(clock, intake):
    # Received by letter a week before it was entered: the clock started on receipt.
    clock.set(at("2026-10-09T10:00:00+08:00"))
    body = intake(received_at="2026-09-30T10:00:00+08:00")
    assert body["channel"] == "letter"
    assert body["due_at"] == "2026-10-27T23:59:59+08:00"
    assert body["overdue"] is False


def test_future_received_at_is_422(client, clock, staff_headers):
    from tests.conftest import valid_request

    body = valid_request(channel="letter", received_at="2026-10-01T10:00:00+08:00")
    resp = client.post("/api/v1/requests", json=body, headers=staff_headers["agent"])
    assert resp.status_code == 422 and "received_at" in resp.get_json()["errors"]


def get(client, headers, ref):
    """The staff representation."""
    return client.get(f"/api/v1/requests/{ref}", headers=headers).get_json()


@pytest.mark.parametrize(
    ("now", "overdue", "due_soon"),
    [
        ("2026-10-21T10:00:00+08:00", False, False),  # 4 working days left
        ("2026-10-22T10:00:00+08:00", False, True),  # 3 working days left
        ("2026-10-27T23:59:59+08:00", False, True),  # the last second
        ("2026-10-28T00:00:00+08:00", True, False),  # one second late
    ],
)
def test_overdue_and_due_soon_thresholds(
    client, clock, intake, staff_headers, now, overdue, due_soon
):
    ref = intake()["reference"]  # received 2026-09-30 10:00 +08:00, due 2026-10-27 23:59:59
    clock.set(at(now))
    body = get(client, staff_headers["agent"], ref)
    assert (body["overdue"], body["due_soon"]) == (overdue, due_soon)
    assert body["on_time"] is None and body["closed_at"] is None


def test_paused_request_is_neither_overdue_nor_due_soon(client, clock, intake, start, act):
    ref = intake()["reference"]
    start(ref)
    act(ref, "request_info", message="Please send your account id.")
    clock.set(at("2026-10-28T10:00:00+08:00"))
    body = act(ref, "verify_identity", method="email_code")
    assert body["clock"]["paused"] is True
    assert (body["overdue"], body["due_soon"]) == (False, False)


@pytest.mark.parametrize(
    ("closed", "on_time"),
    [("2026-10-27T23:59:59+08:00", True), ("2026-10-28T00:00:01+08:00", False)],
)
def test_closed_at_and_on_time(clock, intake, start, act, closed, on_time):
    ref = intake()["reference"]
    start(ref)
    clock.set(at(closed))
    body = act(ref, "complete", resolution="Deleted.")
    assert body["closed_at"] == closed and body["on_time"] is on_time
    assert (body["overdue"], body["due_soon"]) == (False, False)


def test_list_filters_overdue_and_due_soon(client, clock, intake, start, act, staff_headers):
    late = intake(received_at="2026-09-01T10:00:00+08:00")["reference"]  # due 2026-09-22
    soon = intake(received_at="2026-09-10T10:00:00+08:00")["reference"]  # due 2026-10-09
    later = intake(received_at="2026-09-30T10:00:00+08:00")["reference"]  # due 2026-10-27
    done = intake(received_at="2026-09-02T10:00:00+08:00")["reference"]  # overdue but closed
    start(done)
    act(done, "complete", resolution="Done.")
    paused = intake(received_at="2026-09-03T10:00:00+08:00")["reference"]
    start(paused)
    act(paused, "request_info", message="More please.")
    clock.set(at("2026-10-08T10:00:00+08:00"))  # 9 Oct is the next working day
    h = staff_headers["auditor"]

    def refs(query):
        resp = client.get(f"/api/v1/requests?{query}", headers=h)
        assert resp.status_code == 200
        return {item["reference"] for item in resp.get_json()["items"]}

    assert refs("overdue=true") == {late}
    assert refs("overdue=false") == {soon, later, done, paused}
    assert refs("due_soon=true") == {soon}
    assert refs("overdue=true&due_soon=true") == set()


def test_pause_and_resume_move_due_date(clock, intake, start, act):
    ref = intake()["reference"]  # due 2026-10-27
    start(ref)
    clock.set(at("2026-10-09T10:00:00+08:00"))
    act(ref, "request_info", message="Which account?")
    clock.set(at("2026-10-13T10:00:00+08:00"))
    body = act(ref, "resume")
    # Paused days after 9 Oct up to 13 Oct: Sat 10 Oct (a make-up working day), 12, 13.
    assert body["clock"] == {"paused": False, "paused_days": 3}
    assert body["due_at"] == "2026-10-30T23:59:59+08:00"


def test_requester_reply_resumes_and_moves_due_date(client, clock, submit, start, act):
    answer = submit(jurisdiction="US-CA")  # received 2026-09-29 19:00 -07:00, 45 days
    ref = answer["reference"]
    start(ref)
    before = act(ref, "request_info", message="Which account?")["due_at"]
    clock.set(clock.moment + timedelta(days=4))
    resp = client.post(
        f"/api/v1/public/requests/{ref}/messages",
        json={"body": "u-1"},
        headers={"X-Tracking-Token": answer["tracking_token"]},
    )
    assert resp.status_code == 201
    assert resp.get_json()["due_at"] > before


def test_resume_refreshes_provisional_flag(clock, intake, start, act):
    clock.set(at("2026-12-01T12:00:00+08:00"))
    ref = intake(received_at="2026-12-01T10:00:00+08:00")["reference"]  # due 2026-12-22
    start(ref)
    act(ref, "request_info", message="?")
    clock.set(at("2026-12-04T12:00:00+08:00"))
    body = act(ref, "resume")
    # Moved 3 working days to 25 Dec, which 2027's (unpublished) schedule may still change.
    assert body["due_at"] == "2026-12-25T23:59:59+08:00"
    assert body["due_at_provisional"] is True


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    jurisdiction=st.sampled_from(["CN", "EU", "US-CA"]),
    pause_after=st.integers(min_value=0, max_value=40 * 24),
    pause_hours=st.integers(min_value=0, max_value=60 * 24),
)
def test_a_pause_never_moves_the_due_date_earlier(
    clock, intake, start, act, jurisdiction, pause_after, pause_hours
):
    clock.set(at("2026-09-01T00:00:00+00:00"))
    ref = intake(jurisdiction=jurisdiction)["reference"]
    start(ref)
    clock.set(clock.moment + timedelta(hours=pause_after))
    before = at(act(ref, "request_info", message="?")["due_at"])
    clock.set(clock.moment + timedelta(hours=pause_hours))
    body = act(ref, "resume")
    after = at(body["due_at"])
    assert after >= before
    assert (after > before) == (body["clock"]["paused_days"] > 0)
