"""`GET /api/v1/reports/sla` (SPEC §5): counts, on-time rate, median days to close, overdue."""

from __future__ import annotations

import pytest

from tests.deadlines.conftest import at

URL = "/api/v1/reports/sla"


@pytest.fixture
def history(clock, intake, start, act):
    """Five requests received in September 2026 and one in August, at 2026-10-20."""
    a = intake(received_at="2026-09-01T10:00:00+08:00")["reference"]  # due 22 Sep
    b = intake(received_at="2026-09-02T10:00:00+08:00", type="access")["reference"]
    c = intake(received_at="2026-09-03T10:00:00+08:00", type="access")["reference"]
    d = intake(received_at="2026-09-04T10:00:00+08:00")["reference"]  # open, due 25 Sep
    e = intake(received_at="2026-09-25T10:00:00+08:00")["reference"]  # open, due 23 Oct
    intake(received_at="2026-08-20T10:00:00+08:00")  # outside the window
    for ref in (a, b):
        start(ref)
    clock.set(at("2026-09-08T10:00:00+08:00"))  # Tue: 5 working days after 1 Sep
    act(a, "complete", resolution="Deleted.")
    clock.set(at("2026-09-30T10:00:00+08:00"))  # late for b (due 23 Sep)
    act(b, "complete", resolution="Sent.")
    clock.set(at("2026-09-10T10:00:00+08:00"))  # 5 working days after 3 Sep
    act(c, "refuse", legal_basis="abuse", reason="Repeated.")
    clock.set(at("2026-10-20T10:00:00+08:00"))
    return a, b, c, d, e


def test_report_figures(client, history, staff_headers):
    resp = client.get(
        f"{URL}?since=2026-09-01&until=2026-09-30", headers=staff_headers["supervisor"]
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["total"] == 5
    assert body["by_type"] == {"access": 2, "delete": 3}
    assert body["by_status"] == {"completed": 2, "refused": 1, "received": 2}
    assert {"type": "access", "status": "refused", "count": 1} in body["by_type_status"]
    assert body["closed"] == 3 and body["on_time"] == 2
    assert body["on_time_rate"] == pytest.approx(0.6667)
    # Working days to close: a 5, c 5, b 19 (1 Oct holidays not reached) -> median 5.
    assert body["median_working_days_to_close"] == 5.0
    assert body["open_overdue"] == 1  # d; e is not yet due
    assert body["since"].startswith("2026-09-01T00:00:00+08:00")
    assert body["until"].startswith("2026-10-01T00:00:00+08:00")


def test_empty_window_and_datetimes(client, history, staff_headers):
    resp = client.get(
        f"{URL}?since=2025-01-01T00:00:00Z&until=2025-02-01T00:00:00Z",
        headers=staff_headers["auditor"],
    )
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["total"] == 0 and body["on_time_rate"] is None
    assert body["median_working_days_to_close"] is None


def test_default_window_is_last_30_days(client, history, staff_headers):
    body = client.get(URL, headers=staff_headers["admin"]).get_json()
    assert body["total"] == 1  # only e (25 Sep) is within 30 days of 20 Oct


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        "until=2026-13-01",
        "since=2026-09-01T00:00:00",
        "since=2026-10-02&until=2026-10-01",
    ],
)
def test_bad_windows_are_422(client, staff_headers, query):
    resp = client.get(f"{URL}?{query}", headers=staff_headers["supervisor"])
    assert resp.status_code == 422


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("until=9999-12-31", "until"),
        ("since=0001-01-01", "since"),
        ("until=0001-01-10T00:00:00%2B00:00", "until"),
        ("since=9999-12-31T23:59:59-12:00", "since"),
        ("since=0001-01-01T00:00:00%2B14:00&until=2026-01-01", "since"),
    ],
)
def test_windows_out_of_range_are_422_naming_the_field(client, staff_headers, query, field):
    resp = client.get(f"{URL}?{query}", headers=staff_headers["supervisor"])
    assert resp.status_code == 422, resp.get_data()[:300]
    assert resp.mimetype == "application/problem+json"
    assert list(resp.get_json()["errors"]) == [field]


def test_window_bounds_themselves_are_accepted(client, staff_headers):
    resp = client.get(f"{URL}?since=1900-01-02&until=9998-12-30", headers=staff_headers["admin"])
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["total"] == 0


@pytest.mark.parametrize("role", ["agent", "service"])
def test_roles(client, auth, role):
    assert client.get(URL, headers=auth(role, name=f"r-{role}")).status_code == 403
