"""The dashboard page (/console/dashboard) for every role, in both languages."""

from __future__ import annotations

import re

import pytest

from tests.conftest import valid_request
from tests.console.conftest import page_of

URL = "/console/dashboard"


@pytest.fixture
def console_client(en_console_client):
    """Signed-in clients reading the pages in English."""
    return en_console_client


@pytest.fixture
def seeded(client, auth, clock):
    """Open requests for ann (one overdue) and bob, one unassigned, at 2026-09-30 10:00."""
    sup = auth("supervisor", name="api-sup")

    def intake(received: str, **changes) -> str:
        body = valid_request(**changes) | {"channel": "letter", "received_at": received}
        resp = client.post("/api/v1/requests", json=body, headers=sup)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["reference"]

    refs = {
        "late": intake("2026-09-01T10:00:00+08:00"),
        "soon": intake("2026-09-09T10:00:00+08:00", type="access"),
        "other": intake("2026-09-25T10:00:00+08:00", type="copy"),
        "complaint": intake(
            "2026-09-28T10:00:00+08:00", type="portrait_complaint", content_refs=["o-1"]
        ),
    }
    return refs, sup


def assign(client, sup, ref, name):
    """Assign through the API."""
    resp = client.post(f"/api/v1/requests/{ref}/assign", json={"assignee": name}, headers=sup)
    assert resp.status_code == 200, resp.get_json()


def figure(page, name: str) -> int:
    """A tile's number."""
    return int(page.find("span", data_figure=name).text())


@pytest.mark.parametrize("role", ["agent", "supervisor", "auditor", "admin"])
def test_every_staff_role_sees_the_dashboard(console_client, role):
    resp = console_client(role).get(URL)
    assert resp.status_code == 200
    page = page_of(resp)
    assert page.find("h1").text() == "Dashboard"
    svg = page.find("svg", role="img")
    assert svg.get("aria-labelledby") == "on-time-chart-title on-time-chart-desc"
    rows = page.find("table", data_table="on-time").find("tbody").find_all("tr")
    assert len(rows) == 26
    assert "Content-Security-Policy" in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"


def test_signed_out_goes_to_sign_in(client):
    resp = client.get(URL)
    assert resp.status_code == 303 and "/console/login" in resp.headers["Location"]


def test_no_script_and_no_inline_style(console_client):
    body = console_client("supervisor").get(URL).get_data(as_text=True)
    assert "<script" not in body
    assert not re.search(r"\sstyle=", body) and "<style" not in body


def test_figures_and_everyones_load_for_a_supervisor(app, client, console_client, seeded):
    refs, sup = seeded
    ann, bob = console_client("agent", "ann"), console_client("agent", "bob")
    assign(client, sup, refs["late"], "ann")
    assign(client, sup, refs["soon"], "ann")
    assign(client, sup, refs["complaint"], "bob")
    page = page_of(console_client("supervisor").get(URL))
    assert figure(page, "open") == 4
    assert figure(page, "overdue") == 1
    assert figure(page, "due-this-week") == 1
    assert figure(page, "measures-overdue") == 1  # the complaint's 24 hours have passed
    status_rows = page.find("table", data_table="by-status")
    assert status_rows.find("tr", data_status="received").find("td").text() == "4"
    type_row = page.find("table", data_table="by-type").find("tr", data_type="access")
    assert type_row.find("a").get("href") == "/console/?type=access"
    load = page.find("table", data_table="load")
    ann_row = load.find("tr", data_assignee="ann")
    assert [td.text() for td in ann_row.find_all("td")] == ["2", "1", "1"]
    assert load.find("tr", data_assignee="bob").find("td").text() == "1"
    assert load.find("tr", data_assignee="").find("td").text() == "1"  # not assigned
    measures = page.find("section", data_deadlines="measures")
    assert measures.find("tr", data_reference=refs["complaint"]).find("a").get("href") == (
        f"/console/requests/{refs['complaint']}"
    )
    # The agents see only their own row.
    own = page_of(ann.get(URL)).find("table", data_table="load")
    assert [tr.get("data-assignee") for tr in own.find("tbody").find_all("tr")] == ["ann"]
    assert page_of(bob.get(URL)).find("h2", id="load-heading").text() == "My load"


def test_an_agent_without_requests_sees_an_empty_own_row(console_client, seeded):
    page = page_of(console_client("agent", "carol").get(URL))
    row = page.find("table", data_table="load").find("tr", data_assignee="carol")
    assert [td.text() for td in row.find_all("td")] == ["0", "0", "0"]


def test_auditors_see_no_load_and_no_action(console_client, seeded):
    page = page_of(console_client("auditor").get(URL))
    assert not page.find_all("table", data_table="load")
    forms = page.find_all("form")
    assert [f.get("action") for f in forms] == ["/console/logout"]  # only "Sign out"


def test_on_time_chart_and_table_agree(client, console_client, seeded, clock):
    refs, sup = seeded
    for action in ({"action": "verify_identity", "method": "email_code"}, {"action": "accept"}):
        client.post(f"/api/v1/requests/{refs['other']}/transitions", json=action, headers=sup)
    done = client.post(
        f"/api/v1/requests/{refs['other']}/transitions",
        json={"action": "complete", "resolution": "Sent."},
        headers=sup,
    )
    assert done.status_code == 200
    page = page_of(console_client("supervisor").get(URL))
    last = page.find("table", data_table="on-time").find("tbody").find_all("tr")[-1]
    assert [td.text() for td in last.find_all("td")] == ["1", "1", "100%"]
    svg = page.find("svg", role="img")
    assert len(svg.find_all("rect", class_="bar")) == 1
    assert len(svg.find_all("rect", class_="empty")) == 25
    assert "1 of 1 closed on time" in svg.find_all("g")[-1].find("title").text()


def test_chinese_page(console_client, seeded):
    client = console_client("supervisor")
    resp = client.get(URL + "?lang=zh")
    page = page_of(resp)
    assert page.find("html").get("lang") == "zh-CN"
    assert page.find("h1").text() == "概览"
    assert page.find("svg", role="img").find("title").text().startswith("每周按时办结率")
    assert "Open requests" not in resp.get_data(as_text=True)
