"""The console's queue and bulk actions (SPEC §13), through the Flask test client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.console.conftest import page_of, post


@pytest.fixture
def console_client(en_console_client):
    """Signed-in clients reading the pages in English."""
    return en_console_client


def refs_on(resp) -> list[str]:
    """The references of the queue's rows, in order."""
    page = page_of(resp)
    return [row.get("data-ref") for row in page.find_all("tr", data_ref=True)]


def api_refuse(client, auth_headers, ref: str) -> None:
    """Close a request through the API."""
    body = {"action": "refuse", "legal_basis": "other", "reason": "closed for the test"}
    resp = client.post(f"/api/v1/requests/{ref}/transitions", json=body, headers=auth_headers)
    assert resp.status_code == 200, resp.get_json()


def events(client, auth_headers, ref: str) -> list[dict]:
    """The request's audit events through the API."""
    resp = client.get(f"/api/v1/requests/{ref}/events", headers=auth_headers)
    return resp.get_json()["items"]


def test_queue_shows_open_requests_by_due_date_with_links(console_client, submit, client, auth):
    refs = [submit()["reference"] for _ in range(3)]
    api_refuse(client, auth("supervisor", "api-sup"), refs[0])
    agent = console_client("agent")
    resp = agent.get("/console/")
    assert resp.status_code == 200
    assert refs_on(resp) == sorted(refs[1:])  # open only; one due date, so by reference
    page = page_of(resp)
    for ref in refs[1:]:
        link = page.find("a", data_ref_link=ref)
        assert link.get("href") == f"/console/requests/{ref}"
        assert link.text() == ref
    statuses = [s.get("data-status") for s in page.find_all("span", data_status=True)]
    assert statuses == ["received", "received"]
    # Agents have no bulk actions.
    assert not page.find_all("input", name="ref")


def test_filters_are_the_api_query_parameters(console_client, submit, client, auth):
    first = submit()["reference"]
    complaint = submit(type="privacy_complaint", content_refs=["conv-1"])["reference"]
    api_refuse(client, auth("supervisor", "api-sup"), first)
    agent = console_client("agent")
    assert refs_on(agent.get("/console/?status=refused")) == [first]
    assert refs_on(agent.get("/console/?open=false")) == [first]
    assert set(refs_on(agent.get("/console/?open="))) == {first, complaint}
    assert refs_on(agent.get("/console/?type=privacy_complaint&open=")) == [complaint]
    assert refs_on(agent.get("/console/?email=zs@example.cn&open=")) != []
    assert refs_on(agent.get("/console/?email=nobody@example.cn&open=")) == []
    # The form keeps what was chosen.
    page = page_of(agent.get("/console/?status=refused"))
    assert "selected" in page.by_id("f-status").find("option", value="refused").attrs


def test_bad_filters_are_a_readable_422_page(console_client):
    agent = console_client("agent")
    for query in ("status=lost", "limit=9999", "overdue=perhaps", "cursor=bm90LWEtY3Vyc29y"):
        resp = agent.get(f"/console/?{query}")
        assert resp.status_code == 422, query
        assert page_of(resp).find(None, data_problem=True).text()


def test_pages_with_a_cursor(console_client, submit):
    refs = [submit()["reference"] for _ in range(3)]
    agent = console_client("agent")
    refs = refs_on(agent.get("/console/?limit=25"))  # one due date: by reference
    assert len(refs) == 3
    # The API's limit is 1..200; the console offers 25 to 200 but takes any valid one.
    first = agent.get("/console/?limit=2")
    assert refs_on(first) == refs[:2]
    nxt = page_of(first).find("a", data_page="next").get("href")
    second = agent.get(nxt)
    assert refs_on(second) == refs[2:]
    assert page_of(second).find("a", data_page="first")
    assert not page_of(second).find_all("a", data_page="next")


def test_mine_is_the_members_own_assignments(console_client, submit):
    refs = [submit()["reference"] for _ in range(2)]
    agent = console_client("agent", "alice")
    resp = post(agent, f"/console/requests/{refs[1]}", {"action": "assign", "assignee": "alice"})
    assert resp.status_code == 303
    assert refs_on(agent.get("/console/?mine=1")) == [refs[1]]
    page = page_of(agent.get("/console/?mine=1"))
    assert "checked" in page.find("input", name="mine").attrs


def test_due_markers(console_client, submit, clock):
    ref = submit()["reference"]  # received 2026-09-30, due 2026-10-27

    def markers(member):
        # A jump of the clock ends idle sessions: sign in afresh at each instant.
        page = page_of(console_client("agent", member).get("/console/"))
        row = page.find("tr", data_ref=ref)
        return {m.get("data-marker") for m in row.find_all("span", data_marker=True)}

    assert markers("a1") == set()
    clock.set(datetime(2026, 10, 26, 2, 0, tzinfo=UTC))
    assert markers("a2") == {"due-soon"}
    clock.set(datetime(2026, 10, 28, 2, 0, tzinfo=UTC))
    assert markers("a3") == {"overdue"}
    agent = console_client("agent", "a4")
    assert refs_on(agent.get("/console/?overdue=true")) == [ref]
    assert refs_on(agent.get("/console/?overdue=false")) == []


def test_provisional_marker(console_client, submit, clock):
    clock.set(datetime(2027, 9, 28, 2, 0, tzinfo=UTC))  # 2027's schedule is not published
    ref = submit()["reference"]
    clock.set(datetime(2027, 9, 28, 3, 0, tzinfo=UTC))
    agent = console_client("agent")
    row = page_of(agent.get("/console/")).find("tr", data_ref=ref)
    assert row.find("span", data_marker="provisional")


def test_auditors_see_no_pii_filters_and_no_bulk(console_client, submit):
    submit()
    auditor = console_client("auditor")
    resp = auditor.get("/console/")
    assert resp.status_code == 200
    page = page_of(resp)
    assert not page.find_all("input", name="email") and not page.find_all("input", name="ref")
    resp = auditor.get("/console/?email=zs@example.cn")
    assert resp.status_code == 403
    assert "Auditors may not filter" in page_of(resp).find(None, data_problem=True).text()
    assert not page_of(resp).find_all("tr", data_ref=True)


def test_every_input_has_a_label(console_client, submit):
    submit()
    page = page_of(console_client("supervisor").get("/console/"))
    labelled = {label.get("for") for label in page.find_all("label") if label.get("for")}
    for field in page.find_all("input") + page.find_all("select") + page.find_all("textarea"):
        if field.get("type") in ("hidden", "submit"):
            continue
        inside_label = False
        parent = field.parent
        while parent is not None:
            inside_label = inside_label or parent.tag == "label"
            parent = parent.parent
        by = field.get("aria-labelledby")
        named_by = bool(by) and bool(page.by_id(by).text())
        assert field.get("id") in labelled or named_by or inside_label, field.attrs


def test_the_queue_needs_a_signed_in_member(client):
    resp = client.get("/console/?status=received")
    assert resp.status_code in (302, 303)
    assert "/console/login" in resp.headers["Location"]


# --- bulk actions -------------------------------------------------------------------------


def test_bulk_assign(console_client, submit, client, auth):
    refs = [submit()["reference"] for _ in range(2)]
    sup = console_client("supervisor", "sue")
    console_client("agent", "bob")
    resp = post(sup, "/console/bulk", {"op": "assign", "assignee": "bob", "ref": refs})
    assert resp.status_code == 200
    page = page_of(resp)
    done = page.find("ul", data_result="done")
    assert sorted(a.get("data-ref") for a in done.find_all("a")) == sorted(refs)
    headers = auth("auditor", "api-aud")
    for ref in refs:
        assigned = [e for e in events(client, headers, ref) if e["action"] == "request.assigned"]
        assert len(assigned) == 1 and assigned[0]["actor"] == "staff:sue"
        assert assigned[0]["data"] == {"from": None, "to": "bob"}


def test_bulk_refuse_reports_each_request(console_client, submit, client, auth):
    refs = [submit()["reference"] for _ in range(3)]
    api_refuse(client, auth("supervisor", "api-sup"), refs[1])
    sup = console_client("supervisor", "sue")
    form = {
        "op": "refuse",
        "legal_basis": "abuse",
        "reason": "Repeated identical requests.",
        "ref": [*refs, "PIR-NOSUCH1"],
    }
    resp = post(sup, "/console/bulk", form)
    assert resp.status_code == 200
    page = page_of(resp)
    done = [a.get("data-ref") for a in page.find("ul", data_result="done").find_all("a")]
    assert done == [refs[0], refs[2]]
    refused = page.find("table", data_result="refused")
    rows = {
        row.find("a").get("data-ref"): row.find("td").text() for row in refused.find_all("tr")[1:]
    }
    assert set(rows) == {refs[1], "PIR-NOSUCH1"}
    assert "refused" in rows[refs[1]] and "No request" in rows["PIR-NOSUCH1"]
    headers = auth("auditor", "api-aud")
    for ref in (refs[0], refs[2]):
        moved = [e for e in events(client, headers, ref) if e["action"] == "request.transitioned"]
        assert len(moved) == 1
        assert moved[0]["actor"] == "staff:sue" and moved[0]["data"]["legal_basis"] == "abuse"


def test_bulk_needs_its_fields_and_a_supervisor(console_client, submit):
    ref = submit()["reference"]
    sup = console_client("supervisor")
    resp = post(sup, "/console/bulk", {"op": "refuse", "ref": [ref]})
    assert resp.status_code == 422
    problems = page_of(resp).find(None, data_problem=True).text()
    assert "legal basis" in problems and "reason" in problems
    assert post(sup, "/console/bulk", {"op": "assign", "ref": []}).status_code == 422
    assert post(sup, "/console/bulk", {"op": "explode", "ref": [ref]}).status_code == 422
    agent = console_client("agent")
    resp = post(agent, "/console/bulk", {"op": "assign", "assignee": "agent", "ref": [ref]})
    assert resp.status_code == 403


def test_bulk_with_nul_characters_is_refused_readably(console_client, submit, client, auth):
    """Form bodies pass no input guard: a NUL must still never reach the database (a 500
    on PostgreSQL), whichever field carries it."""
    ref = submit()["reference"]
    sup = console_client("supervisor")
    refuse = {"op": "refuse", "ref": [ref], "legal_basis": "rights_of_others"}
    resp = post(sup, "/console/bulk", {**refuse, "reason": "bad\x00reason"})
    assert resp.status_code == 422
    assert "reason" in page_of(resp).find(None, data_problem=True).text()
    resp = post(sup, "/console/bulk", {"op": "assign", "assignee": "sup\x00", "ref": [ref]})
    assert resp.status_code == 422
    resp = post(sup, "/console/bulk", {**refuse, "reason": "r", "ref": ["PIR\x00X"]})
    assert resp.status_code == 200
    assert "PIR\x00X" in [r.get("data-ref") for r in page_of(resp).find_all(None, data_ref=True)]
    detail = client.get(f"/api/v1/requests/{ref}", headers=auth("auditor", "api-aud"))
    assert detail.get_json()["status"] == "received"


def test_bulk_without_csrf_is_refused(console_client, submit):
    ref = submit()["reference"]
    sup = console_client("supervisor")
    resp = sup.post("/console/bulk", data={"op": "assign", "assignee": "supervisor", "ref": ref})
    assert resp.status_code == 400


def test_queue_in_chinese(console_client, submit):
    submit()
    resp = console_client("supervisor").get("/console/?lang=zh")
    assert resp.status_code == 200
    page = page_of(resp)
    assert page.find("html").get("lang") == "zh-CN"
    assert page.find("button", data_action="bulk-refuse").text() != "Refuse selected"
