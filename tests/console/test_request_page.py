"""The console's request page (SPEC §13), through the Flask test client."""

from __future__ import annotations

import pytest

from tests.console.conftest import page_of, post


@pytest.fixture
def console_client(en_console_client):
    """Signed-in clients reading the pages in English."""
    return en_console_client


def actions_on(resp) -> list[str]:
    """The actions the page offers, by their stable data-action."""
    return [b.get("data-action") for b in page_of(resp).find_all("button", data_action=True)]


def status_on(resp) -> str:
    """The page's status element's data-status."""
    return page_of(resp).find(None, data_status=True).get("data-status")


def version_on(resp) -> str:
    """The version the page's forms carry."""
    return page_of(resp).find("input", name="version").get("value")


def act(client, ref: str, action: str, **fields):
    """Post one action form of the page as a browser would (with the page's version)."""
    page = client.get(f"/console/requests/{ref}")
    data = {"action": action, "version": version_on(page), **fields}
    return post(client, f"/console/requests/{ref}", data)


def api_events(client, auth, ref: str) -> list[dict]:
    """The request's audit events through the API."""
    resp = client.get(f"/api/v1/requests/{ref}/events", headers=auth("auditor", "api-aud"))
    return resp.get_json()["items"]


def test_opening_the_page_records_a_view(console_client, submit, client, auth):
    ref = submit()["reference"]
    agent = console_client("agent", "amy")
    resp = agent.get(f"/console/requests/{ref}")
    assert resp.status_code == 200
    assert status_on(resp) == "received"
    viewed = [e for e in api_events(client, auth, ref) if e["action"] == "request.viewed"]
    assert [(e["actor"], e["data"]) for e in viewed] == [("staff:amy", {"masked": False})]
    page = page_of(resp)
    assert page.find(None, data_field="name").text() == "张三"
    assert page.find(None, data_field="email").text() == "zs@example.cn"
    assert "Delete my chat history" in page.find(None, data_field="description").text()


def test_the_due_date_is_explained(console_client, submit, clock):
    ref = submit()["reference"]  # 2026-09-30 10:00 +08:00: due 2026-10-27
    resp = console_client("agent").get(f"/console/requests/{ref}?lang=en")
    section = page_of(resp).find("section", data_explanation=True)
    text = section.text()
    assert "CN:15wd" in text and "15 working days" in text
    holidays = section.find("ul", data_days="holidays").find_all("time")
    assert [t.get("datetime") for t in holidays] == [
        "2026-10-01",
        "2026-10-02",
        "2026-10-03",
        "2026-10-05",
        "2026-10-06",
        "2026-10-07",
    ]
    assert "National Day" in section.find("ul", data_days="holidays").text()
    weekends = section.find("ul", data_days="working-weekends").find_all("time")
    assert [t.get("datetime") for t in weekends] == ["2026-10-10"]
    assert section.find("p", data_working_days="15")
    assert not section.find_all(None, data_explanation_differs=True)


def test_only_the_actions_allowed_now(console_client, submit):
    ref = submit()["reference"]
    agent, sup = console_client("agent"), console_client("supervisor")
    page = agent.get(f"/console/requests/{ref}")
    # Not accept before identity is verified; no extend for agents; no reopen while open.
    assert actions_on(page) == [
        "verify_identity",
        "refuse",
        "withdraw",
        "assign",
        "note",
        "message",
    ]
    assert actions_on(sup.get(f"/console/requests/{ref}")) == [
        "verify_identity",
        "refuse",
        "withdraw",
        "extend",
        "assign",
        "note",
        "message",
    ]
    labels = {
        b.get("data-action"): b.text() for b in page_of(page).find_all("button", data_action=True)
    }
    assert labels["verify_identity"] == "Verify identity" and labels["note"] == "Add note"


def test_received_to_completed_and_reopened(console_client, submit, client, auth):
    ref = submit()["reference"]
    agent = console_client("agent", "amy")
    resp = act(agent, ref, "verify_identity", method="email_code")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(ref)
    page = agent.get(f"/console/requests/{ref}")
    assert "accept" in actions_on(page)
    assert "Done: Verify identity." in page.get_data(as_text=True)
    assert act(agent, ref, "accept").status_code == 303
    assert act(agent, ref, "request_info", message="Which account?").status_code == 303
    page = agent.get(f"/console/requests/{ref}")
    assert status_on(page) == "awaiting_requester"
    assert "resume" in actions_on(page) and "request_info" not in actions_on(page)
    assert act(agent, ref, "resume").status_code == 303
    assert act(agent, ref, "note", body="Checked the chat store.").status_code == 303
    assert act(agent, ref, "message", body="Working on it.").status_code == 303
    assert act(agent, ref, "complete", resolution="Deleted.").status_code == 303
    page = agent.get(f"/console/requests/{ref}")
    assert status_on(page) == "completed"
    assert "reopen" not in actions_on(page)  # supervisors only
    sup = console_client("supervisor", "sue")
    assert "reopen" in actions_on(sup.get(f"/console/requests/{ref}"))
    assert act(sup, ref, "reopen", reason="Missed a backup.").status_code == 303
    moved = [
        (e["actor"], e["data"]["action"])
        for e in api_events(client, auth, ref)
        if e["action"] == "request.transitioned"
    ]
    assert moved == [
        ("staff:amy", "verify_identity"),
        ("staff:amy", "accept"),
        ("staff:amy", "request_info"),
        ("staff:amy", "resume"),
        ("staff:amy", "complete"),
        ("staff:sue", "reopen"),
    ]
    text = agent.get(f"/console/requests/{ref}").get_data(as_text=True)
    assert "Checked the chat store." in text and "Which account?" in text


def test_refusal_needs_a_legal_basis_and_a_reason(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    resp = act(agent, ref, "refuse", reason="No basis given.")
    assert resp.status_code == 422
    page = page_of(resp)
    assert page.find(None, data_problem=True)
    assert page.by_id("refuse-legal_basis-error").text()
    assert page.by_id("refuse-reason").text() == "No basis given."  # kept for the retry
    assert status_on(resp) == "received"
    resp = act(agent, ref, "refuse", legal_basis="not_personal_information", reason="Not PI.")
    assert resp.status_code == 303
    page = agent.get(f"/console/requests/{ref}")
    assert status_on(page) == "refused"
    assert page_of(page).find("dl", data_outcome="refused")


def test_a_stale_page_is_told_so_and_nothing_changes(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    old = version_on(agent.get(f"/console/requests/{ref}"))
    assert act(agent, ref, "note", body="first").status_code == 303
    data = {"action": "verify_identity", "method": "email_code", "version": old}
    resp = post(agent, f"/console/requests/{ref}", data)
    assert resp.status_code == 412
    assert "changed since you opened it" in page_of(resp).find(None, data_problem=True).text()
    assert page_of(resp).find(None, data_identity=True).get("data-identity") == "unverified"


def test_domain_refusals_are_readable_not_500(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    resp = act(agent, ref, "complete", resolution="Too early.")  # not allowed from received
    assert resp.status_code == 409
    assert "not possible while the request is received" in resp.get_data(as_text=True)
    resp = act(agent, ref, "accept")  # identity not verified
    assert resp.status_code == 409
    for bad in (
        {"action": "explode"},
        {"action": "extend", "days": "1", "reason": "x"},  # agents may not extend: 403
        {"action": "note", "version": "v1", "body": "x"},
        {"action": "assign", "assignee": "nobody"},
        {"action": "verify_identity", "method": "telepathy"},
        {},
    ):
        resp = post(agent, f"/console/requests/{ref}", bad)
        assert resp.status_code in (403, 409, 412, 422), (bad, resp.status_code)
        assert page_of(resp).find(None, data_problem=True).text(), bad
    assert agent.get("/console/requests/PIR-NOSUCH1").status_code == 404


def test_extension_moves_the_due_date_and_is_explained(console_client, submit, clock):
    ref = submit()["reference"]
    sup = console_client("supervisor")
    assert act(sup, ref, "extend", days="abc", reason="x").status_code == 422
    resp = act(sup, ref, "extend", days="20", reason="Big export.")  # beyond 15wd: 422
    assert resp.status_code == 422
    assert "extension" in page_of(resp).find(None, data_problem=True).text().lower()
    assert act(sup, ref, "extend", days="3", reason="Big export.").status_code == 303
    page = page_of(sup.get(f"/console/requests/{ref}?lang=en"))
    move = page.find("div", data_move="extension")
    assert "3 working days" in move.text()
    assert page.find("dd", data_due=True).get("data-due").startswith("2026-10-30")


def test_auditors_see_masked_pii_no_notes_no_actions(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    assert act(agent, ref, "note", body="Internal remark.").status_code == 303
    auditor = console_client("auditor")
    resp = auditor.get(f"/console/requests/{ref}")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "zs@example.cn" not in text and "张三" not in text
    assert "Delete my chat history" not in text and "Internal remark." not in text
    page = page_of(resp)
    assert page.find(None, data_field="email").text() == "z*@example.cn"
    assert actions_on(resp) == [] and not page.find_all("form", data_form=True)
    resp = post(auditor, f"/console/requests/{ref}", {"action": "note", "body": "x"})
    assert resp.status_code == 403


def test_complaint_measure_and_remediation(console_client, submit):
    ref = submit(type="portrait_complaint", content_refs=["output-7"])["reference"]
    agent = console_client("agent")
    page = agent.get(f"/console/requests/{ref}")
    assert "measure" in actions_on(page) and "remediation" not in actions_on(page)
    assert act(agent, ref, "verify_identity", method="account_login").status_code == 303
    assert act(agent, ref, "accept").status_code == 303
    # Complete is offered only once a measure is recorded (the complaints feature's rule).
    assert "complete" not in actions_on(agent.get(f"/console/requests/{ref}"))
    assert act(agent, ref, "measure", kind="takedown", detail="Output removed.").status_code == 303
    assert "complete" in actions_on(agent.get(f"/console/requests/{ref}"))
    assert act(agent, ref, "complete", resolution="Upheld.").status_code == 303
    page = agent.get(f"/console/requests/{ref}")
    assert "remediation" in actions_on(page)
    resp = act(agent, ref, "remediation", detail="Retrained.", model_version="m-2")
    assert resp.status_code == 303
    page = agent.get(f"/console/requests/{ref}")
    assert "remediation" not in actions_on(page)


def test_request_page_in_chinese_keeps_stable_action_names(console_client, submit, clock):
    ref = submit()["reference"]
    resp = console_client("supervisor").get(f"/console/requests/{ref}?lang=zh")
    page = page_of(resp)
    assert page.find("html").get("lang") == "zh-CN"
    button = page.find("button", data_action="verify_identity")
    assert button.text() and button.text() != "Verify identity"
    holidays = page.find("ul", data_days="holidays").text()
    assert "国庆节" in holidays


def test_every_action_field_has_a_label(console_client, submit):
    ref = submit(type="portrait_complaint", content_refs=["output-7"])["reference"]
    page = page_of(console_client("supervisor").get(f"/console/requests/{ref}"))
    labelled = {label.get("for") for label in page.find_all("label") if label.get("for")}
    for field in page.find_all("input") + page.find_all("select") + page.find_all("textarea"):
        if field.get("type") == "hidden":
            continue
        assert field.get("id") in labelled, field.attrs


def test_files_of_the_staff_detail_are_listed(console_client, submit, client, auth):
    from tests.files.conftest import PDF, upload

    ref = submit()["reference"]
    resp = upload(
        client,
        f"/api/v1/requests/{ref}/files",
        PDF,
        "export.pdf",
        auth("agent", "api-agent"),
        audience="internal",
    )
    assert resp.status_code == 201, resp.get_json()
    page = page_of(console_client("agent").get(f"/console/requests/{ref}"))
    files = page.find("ul", data_files=True).find_all("li")
    assert len(files) == 1 and "export.pdf" in files[0].text()
    masked = page_of(console_client("auditor").get(f"/console/requests/{ref}"))
    assert "export.pdf" not in masked.find("ul", data_files=True).text()


def test_refusals_read_in_chinese_on_chinese_pages(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    agent.set_cookie("lang", "zh")
    resp = act(agent, ref, "accept")  # identity not verified
    assert resp.status_code == 409
    assert page_of(resp).find(None, data_problem=True).text() == "受理前请先核验申请人身份。"


def test_completing_a_block_request_can_block_its_subject(console_client, submit, client, auth):
    ref = submit(type="block")["reference"]
    sup = console_client("supervisor")
    assert act(sup, ref, "verify_identity", method="account_login").status_code == 303
    assert act(sup, ref, "accept").status_code == 303
    page = page_of(sup.get(f"/console/requests/{ref}"))
    assert page.by_id("complete-blocklist_terms")
    resp = act(sup, ref, "complete", resolution="Blocked.", blocklist_terms="张三\n\n Zhang San \n")
    assert resp.status_code == 303
    entries = client.get("/api/v1/blocklist", headers=auth("supervisor", "api-sup")).get_json()
    assert [(e["terms"], e["request_ref"]) for e in entries["items"]] == [
        (["张三", "Zhang San"], ref)
    ]
    other = submit()["reference"]  # a delete request cannot block anyone: no such field
    agent = console_client("agent")
    assert not page_of(agent.get(f"/console/requests/{other}")).find_all(
        "textarea", name="blocklist_terms"
    )
