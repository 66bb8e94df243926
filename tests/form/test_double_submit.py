"""The status page's buttons pressed twice, or at once from two tabs (issue 11 §1).

A person who double-clicks sees a page in their language, never a problem+json body.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from tests.form.conftest import csrf_of, page_of
from tests.form.test_pages import staff_step, submit_ok


def twin(client):
    """A second client with the same browser session (another tab, a second click)."""
    other = client.application.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def at_once(client, path: str, data: dict, times: int = 4) -> list[tuple]:
    """POST the same form `times` times at once from the same browser session.

    Returns (tab, response) pairs; each tab keeps the session cookie its response set.
    """
    tabs = [twin(client) for _ in range(times)]
    with ThreadPoolExecutor(times) as pool:
        return list(zip(tabs, pool.map(lambda c: c.post(path, data=data), tabs), strict=True))


def events(app, action: str) -> int:
    """How many audit events of `action` exist."""
    with app.extensions["pirights_db"].engine.connect() as conn:
        sql = text("SELECT count(*) FROM audit_events WHERE action = :a")
        return conn.execute(sql, {"a": action}).scalar_one()


def test_withdraw_clicked_at_once_withdraws_once_and_shows_pages(app, client, form_page):
    submit_ok(client, form_page, "zh")
    doc = page_of(client.get("/status/request?lang=zh"))
    data = {"csrf_token": csrf_of(doc), "confirm": "yes", "reason": "不需要了"}
    answers = at_once(client, "/status/withdraw", data)
    assert [r.status_code for _, r in answers] == [303] * 4
    assert events(app, "request.transitioned") == 1
    notices = []
    for tab, resp in answers:
        page = page_of(tab.get(resp.headers["Location"]))
        assert page.find("span", data_status="withdrawn")
        notices += [p.text() for p in page.find_all("p", class_="notice")]
    # One tab withdrew it; every other one is told it was withdrawn already.
    assert sorted(notices) == ["您的申请已撤回。"] + ["此申请此前已撤回，无需再操作。"] * 3


def test_a_second_withdrawal_shows_the_page_with_a_message_in_its_language(client, form_page):
    submit_ok(client, form_page, "zh")
    doc = page_of(client.get("/status/request?lang=zh"))
    data = {"csrf_token": csrf_of(doc), "confirm": "yes"}
    first = client.post("/status/withdraw", data=data)
    assert first.status_code == 303
    client.get(first.headers["Location"])  # shows (and so consumes) the first notice
    again = client.post("/status/withdraw", data=data)
    assert again.status_code == 303
    page = page_of(client.get(again.headers["Location"]))
    assert page.find("p", class_="notice").text() == "此申请此前已撤回，无需再操作。"
    assert page.find("span", data_status="withdrawn")


def test_withdrawing_a_completed_request_explains_it_is_closed(client, form_page, auth):
    ref, _ = submit_ok(client, form_page)
    staff = auth("agent")
    staff_step(client, staff, ref, action="verify_identity", method="email_code")
    staff_step(client, staff, ref, action="accept")
    staff_step(client, staff, ref, action="complete", resolution="Deleted.")
    doc = page_of(client.get("/status/request?lang=en"))
    resp = client.post("/status/withdraw", data={"csrf_token": csrf_of(doc), "confirm": "yes"})
    assert resp.status_code == 409 and resp.mimetype == "text/html"
    assert "This request is already closed." in resp.get_data(as_text=True)


def test_reply_clicked_at_once_keeps_every_message(app, client, form_page, auth):
    ref, _ = submit_ok(client, form_page)
    staff = auth("agent")
    staff_step(client, staff, ref, action="verify_identity", method="email_code")
    staff_step(client, staff, ref, action="accept")
    staff_step(client, staff, ref, action="request_info", message="Which account?")
    doc = page_of(client.get("/status/request?lang=en"))
    data = {"csrf_token": csrf_of(doc), "message": "Account u-1."}
    answers = at_once(client, "/status/reply", data)
    assert [r.status_code for _, r in answers] == [303] * 4
    assert events(app, "request.message_received") == 4
    # The first reply resumed the request; the others found it in progress.
    resumed = "SELECT count(*) FROM audit_events WHERE data LIKE '%requester_reply%'"
    with app.extensions["pirights_db"].engine.connect() as conn:
        assert conn.execute(text(resumed)).scalar_one() == 1
    shown = client.get(f"/api/v1/requests/{ref}", headers=staff).get_json()
    assert shown["status"] == "in_progress"


def test_a_stale_write_on_a_page_is_a_page_to_retry_from(app):
    from sqlalchemy.orm.exc import StaleDataError

    def racing():
        raise StaleDataError("UPDATE statement on table 'requests' expected to update 1 row")

    # Registered under the form's blueprint, so the form's error handlers apply.
    app.add_url_rule("/status/racing", "intake_form.racing", racing)
    resp = app.test_client().get("/status/racing?lang=en")
    assert resp.status_code == 409 and resp.mimetype == "text/html"
    assert "Reload the page and try again." in resp.get_data(as_text=True)
    zh = app.test_client().get("/status/racing?lang=zh")
    assert "请重新加载页面后再试" in zh.get_data(as_text=True)
