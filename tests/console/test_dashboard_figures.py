"""The dashboard's aggregate figures (pirights.requests.figures), on both databases.

Each figure is checked twice: against numbers worked out by hand for a small history,
and against a plain Python count over the staff list of the same requests, so the
aggregate SQL and the per-request flags the API shows cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pirights.requests import figures
from tests.conftest import valid_request

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """An aware datetime from ISO text."""
    return datetime.fromisoformat(text)


@pytest.fixture
def staff(auth):
    """Headers of an agent (ann), a second agent (bob) and a supervisor."""
    return {
        "ann": auth("agent", name="ann"),
        "bob": auth("agent", name="bob"),
        "sup": auth("supervisor", name="sup"),
    }


@pytest.fixture
def api(client, staff):
    """Small helpers over the ticket API."""

    class Api:
        def intake(self, received_at: str, **changes) -> str:
            """Record a request received by letter; returns its reference."""
            body = valid_request(**changes) | {"channel": "letter", "received_at": received_at}
            resp = client.post("/api/v1/requests", json=body, headers=staff["sup"])
            assert resp.status_code == 201, resp.get_json()
            return resp.get_json()["reference"]

        def act(self, ref: str, action: str, **fields) -> dict:
            """Apply an action as the supervisor."""
            resp = client.post(
                f"/api/v1/requests/{ref}/transitions",
                json={"action": action, **fields},
                headers=staff["sup"],
            )
            assert resp.status_code == 200, resp.get_json()
            return resp.get_json()

        def start(self, ref: str) -> None:
            """Verify identity and accept."""
            self.act(ref, "verify_identity", method="email_code")
            self.act(ref, "accept")

        def assign(self, ref: str, name: str) -> None:
            """Assign to a member."""
            resp = client.post(
                f"/api/v1/requests/{ref}/assign", json={"assignee": name}, headers=staff["sup"]
            )
            assert resp.status_code == 200, resp.get_json()

        def all(self) -> list[dict]:
            """Every request as the staff list shows it."""
            items, cursor = [], None
            while True:
                url = "/api/v1/requests?limit=200" + (f"&cursor={cursor}" if cursor else "")
                body = client.get(url, headers=staff["sup"]).get_json()
                items += body["items"]
                if not (cursor := body["next_cursor"]):
                    return items

    return Api()


def test_week_starts_are_local_mondays():
    now = at("2026-09-30T10:00:00+08:00")  # a Wednesday in Shanghai
    starts = figures.week_starts(now, SHANGHAI, weeks=3)
    assert [s.astimezone(SHANGHAI).isoformat() for s in starts] == [
        "2026-09-14T00:00:00+08:00",
        "2026-09-21T00:00:00+08:00",
        "2026-09-28T00:00:00+08:00",
    ]
    assert all(s.tzinfo == UTC for s in starts)
    # Sunday 23:30 local is still the week of the Monday before; Monday 00:00 starts one.
    assert figures.week_end(at("2026-10-04T23:30:00+08:00"), SHANGHAI) == at(
        "2026-10-05T00:00:00+08:00"
    )
    assert figures.week_end(at("2026-10-05T00:00:00+08:00"), SHANGHAI) == at(
        "2026-10-12T00:00:00+08:00"
    )


def test_week_starts_across_a_dst_change():
    berlin = ZoneInfo("Europe/Berlin")
    starts = figures.week_starts(at("2026-10-28T12:00:00+01:00"), berlin, weeks=2)
    # The clocks went back on 25 Oct: the two Mondays are 7 days and 1 hour apart in UTC.
    assert [s.astimezone(berlin).hour for s in starts] == [0, 0]
    assert starts[1] - starts[0] == timedelta(days=7, hours=1)


@pytest.fixture
def history(clock, api):
    """Open and closed requests at 2026-09-30 10:00 +08:00 (Wednesday)."""
    late = api.intake("2026-09-01T10:00:00+08:00")  # due 22 Sep: overdue
    api.start(late)
    api.assign(late, "ann")
    soon = api.intake("2026-09-09T10:00:00+08:00", type="access")  # due 30 Sep: this week
    api.assign(soon, "ann")
    waiting = api.intake("2026-09-20T10:00:00+08:00", type="copy")
    api.start(waiting)
    api.act(waiting, "request_info", message="Which account?")
    fresh = api.intake(
        "2026-09-29T10:00:00+08:00", type="portrait_complaint", content_refs=["out-1"]
    )
    api.assign(fresh, "bob")
    closed = api.intake("2026-09-02T10:00:00+08:00")
    api.start(closed)
    api.act(closed, "refuse", legal_basis="abuse", reason="Repeated.")
    return {"late": late, "soon": soon, "waiting": waiting, "fresh": fresh, "closed": closed}


def test_open_queue_by_hand(app, clock, history, api):
    with app.app_context():
        queue = figures.open_queue(clock.moment)
    assert queue.total == 4
    assert queue.by_status == {"in_progress": 1, "received": 2, "awaiting_requester": 1}
    assert queue.by_type == {"delete": 1, "access": 1, "copy": 1, "portrait_complaint": 1}
    assert queue.overdue == 1
    assert queue.due_this_week == 1
    load = {x.assignee: x for x in queue.load}
    assert set(load) == {"ann", "bob", None}
    assert (load["ann"].open, load["ann"].overdue, load["ann"].due_this_week) == (2, 1, 1)
    assert (load["bob"].open, load["bob"].overdue) == (1, 0)
    assert load[None].open == 1  # the one awaiting the requester
    assert queue.load[-1].assignee is None  # unassigned last
    assert queue.load[0].assignee == "ann"  # most overdue first


def test_open_queue_matches_the_list_flags(app, clock, history, api):
    items = api.all()
    open_items = [
        i for i in items if i["status"] in ("received", "in_progress", "awaiting_requester")
    ]
    end = figures.week_end(clock.moment, SHANGHAI)
    with app.app_context():
        queue = figures.open_queue(clock.moment)
    assert queue.total == len(open_items)
    assert queue.overdue == sum(i["overdue"] for i in open_items)
    this_week = [
        i
        for i in open_items
        if i["status"] in ("received", "in_progress") and clock.moment <= at(i["due_at"]) < end
    ]
    assert queue.due_this_week == len(this_week)
    for load in queue.load:
        mine = [i for i in open_items if i["assignee"] == load.assignee]
        assert load.open == len(mine)
        assert load.overdue == sum(i["overdue"] for i in mine)


def test_due_this_week_ends_with_the_local_week(app, clock, api):
    # 15 working days: received 9 Sep, due Wed 30 Sep (this week); received 10 Sep, the
    # National Day holidays (1-7 Oct) push it to 8 Oct, out of this week.
    refs = [api.intake(f"2026-09-{d:02d}T10:00:00+08:00") for d in (7, 8, 9, 10)]
    items = {i["reference"]: i for i in api.all()}
    end = figures.week_end(clock.moment, SHANGHAI)
    expected = sum(clock.moment <= at(items[r]["due_at"]) < end for r in refs)
    assert expected == 1  # received 9 Sep: due 30 Sep 23:59; 7 and 8 Sep are overdue
    with app.app_context():
        assert figures.open_queue(clock.moment).due_this_week == expected
    # A week later every one of them is overdue, none due this week.
    later = clock.moment + timedelta(days=40)
    with app.app_context():
        queue = figures.open_queue(later)
    assert queue.due_this_week == 0 and queue.overdue == 4


def test_on_time_by_week(app, clock, api):
    a = api.intake("2026-09-01T10:00:00+08:00")
    b = api.intake("2026-09-02T10:00:00+08:00")
    c = api.intake("2026-09-03T10:00:00+08:00")
    d = api.intake("2026-09-04T10:00:00+08:00")
    for ref in (a, b, c, d):
        api.start(ref)
    clock.set(at("2026-09-13T23:59:00+08:00"))  # Sunday night: week of 7 Sep
    api.act(a, "complete", resolution="Deleted.")
    clock.set(at("2026-09-14T00:00:00+08:00"))  # Monday 00:00: week of 14 Sep
    api.act(b, "complete", resolution="Deleted.")
    clock.set(at("2026-09-30T10:00:00+08:00"))  # week of 28 Sep, late for c (due ~24 Sep)
    api.act(c, "complete", resolution="Deleted.")
    api.act(d, "withdraw", reason="No longer needed.")
    with app.app_context():
        weeks = figures.on_time_by_week(clock.moment, SHANGHAI)
    assert len(weeks) == 26
    assert weeks[-1].start == at("2026-09-28T00:00:00+08:00")
    by_start = {w.start.astimezone(SHANGHAI).date().isoformat(): w for w in weeks}
    assert (by_start["2026-09-07"].closed, by_start["2026-09-07"].on_time) == (1, 1)
    assert (by_start["2026-09-14"].closed, by_start["2026-09-14"].on_time) == (1, 1)
    last = by_start["2026-09-28"]
    items = {i["reference"]: i for i in api.all()}
    assert last.closed == 2 and last.on_time == sum(items[r]["on_time"] is True for r in (c, d))
    assert by_start["2026-09-21"].closed == 0 and by_start["2026-09-21"].rate is None
    assert sum(w.closed for w in weeks) == 4


def test_on_time_ignores_closings_before_the_window(app, clock, api):
    ref = api.intake("2026-01-05T10:00:00+08:00")
    api.start(ref)
    clock.set(at("2026-01-06T10:00:00+08:00"))
    api.act(ref, "complete", resolution="Done.")
    clock.set(at("2026-09-30T10:00:00+08:00"))  # 38 weeks later
    with app.app_context():
        weeks = figures.on_time_by_week(clock.moment, SHANGHAI)
    assert sum(w.closed for w in weeks) == 0


def test_complaint_deadlines(app, client, clock, api, staff):
    def complaint(received: str) -> str:
        return api.intake(received, type="portrait_complaint", content_refs=["out-1"])

    def measure(ref: str) -> None:
        resp = client.post(
            f"/api/v1/requests/{ref}/measures",
            json={"kind": "filter", "detail": "Filtered."},
            headers=staff["sup"],
        )
        assert resp.status_code == 201, resp.get_json()

    late = complaint("2026-09-28T10:00:00+08:00")  # measure due 29 Sep: overdue
    api.assign(late, "ann")
    due = complaint("2026-09-30T09:00:00+08:00")  # measure due 1 Oct 09:00
    dropped = complaint("2026-09-27T10:00:00+08:00")  # refused: no longer owes a measure
    api.act(dropped, "refuse", legal_basis="abuse", reason="Repeated.")
    upheld = complaint("2026-09-29T10:00:00+08:00")
    fixed = complaint("2026-09-29T11:00:00+08:00")
    for ref in (upheld, fixed):
        measure(ref)
        api.start(ref)
        api.act(ref, "complete", resolution="Filtered and retrained.")
    resp = client.post(
        f"/api/v1/requests/{fixed}/remediation",
        json={"detail": "Retrained.", "model_version": "m-2"},
        headers=staff["sup"],
    )
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        from pirights.complaints.queries import open_deadlines

        measures = open_deadlines("measure", clock.moment)
        remediations = open_deadlines("remediation", clock.moment)
        later = open_deadlines("remediation", clock.moment + timedelta(days=100), nearest=1)
    assert (measures.open, measures.overdue) == (2, 1)
    assert [(d.reference, d.overdue, d.assignee) for d in measures.nearest] == [
        (late, True, "ann"),
        (due, False, None),
    ]
    assert (remediations.open, remediations.overdue) == (1, 0)
    assert [d.reference for d in remediations.nearest] == [upheld]
    assert remediations.nearest[0].due_at == at("2026-12-30T23:59:59+08:00")
    assert (later.open, later.overdue, len(later.nearest)) == (1, 1, 1)
