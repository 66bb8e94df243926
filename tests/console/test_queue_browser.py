"""The queue, the request page and bulk actions in headless Chromium (SPEC §13), with a
screenshot of each page in both languages under test-artifacts/console/."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def press(page, locator) -> None:
    """Click something that loads a new page, and wait for that page."""
    with page.expect_navigation():
        locator.click()


def status_of(page) -> str:
    """The request page's status."""
    return page.locator("[data-status]").first.get_attribute("data-status")


def test_process_requests_and_bulk_assign_in_english(console_page, console_shots, submit):
    done, refused, *rest = [submit()["reference"] for _ in range(4)]
    page = console_page("supervisor", name="sue", lang="en")
    assert page.locator(f'tr[data-ref="{done}"]').count() == 1
    console_shots(page, "queue-en")

    # Received → completed, by the buttons §13 names.
    press(page, page.locator(f'a[data-ref-link="{done}"]'))
    assert status_of(page) == "received"
    console_shots(page, "request-received-en")
    page.select_option("#verify_identity-method", "email_code")
    press(page, page.get_by_role("button", name="Verify identity"))
    press(page, page.get_by_role("button", name="Accept", exact=True))
    assert status_of(page) == "in_progress"
    # The result for the requester, attached from the page, then downloaded back.
    page.set_input_files(
        "#file-file",
        files=[{"name": "chat-history.txt", "mimeType": "text/plain", "buffer": b"Your chats."}],
    )
    page.select_option("#file-audience", "requester")
    press(page, page.get_by_role("button", name="Attach file"))
    link = page.locator("a[data-download]")
    assert link.inner_text() == "chat-history.txt"
    with page.expect_download() as fetched:
        link.click()
    assert Path(fetched.value.path()).read_bytes() == b"Your chats."
    page.fill("#complete-resolution", "Chat history deleted from every store.")
    press(page, page.get_by_role("button", name="Complete", exact=True))
    assert status_of(page) == "completed"
    console_shots(page, "request-completed-en")

    # Received → refused: a legal basis and a reason are required.
    page.goto(page.url.replace(done, refused))
    page.fill("#refuse-reason", "The account named does not exist.")
    page.select_option("#refuse-legal_basis", "not_personal_information")
    press(page, page.get_by_role("button", name="Refuse", exact=True))
    assert status_of(page) == "refused"
    console_shots(page, "request-refused-en")

    # Bulk: assign two requests to oneself.
    press(page, page.locator("a.brand"))
    for ref in rest:
        page.check(f'input[name="ref"][value="{ref}"]')
    page.select_option("#b-assignee", "sue")
    press(page, page.get_by_role("button", name="Assign selected"))
    assert sorted(page.locator("[data-result=done] a").all_inner_texts()) == sorted(rest)
    console_shots(page, "bulk-assign-en")


def test_pages_in_chinese_and_bulk_refuse(console_page, console_shots, submit):
    refs = [submit()["reference"] for _ in range(3)]
    page = console_page("supervisor", name="zhou", lang="zh")
    console_shots(page, "queue-zh")
    press(page, page.locator(f'a[data-ref-link="{refs[0]}"]'))
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    console_shots(page, "request-received-zh")
    page.select_option("#verify_identity-method", "id_document")
    press(page, page.locator('button[data-action="verify_identity"]'))
    press(page, page.locator('button[data-action="accept"]'))
    page.fill("#request_info-message", "请提供注册手机号。")
    press(page, page.locator('button[data-action="request_info"]'))
    assert status_of(page) == "awaiting_requester"
    console_shots(page, "request-awaiting-zh")

    press(page, page.locator("a.brand"))
    for ref in refs[1:]:
        page.check(f'input[name="ref"][value="{ref}"]')
    page.select_option("#b-basis", "abuse")
    page.fill("#b-reason", "重复提交的相同请求。")
    press(page, page.locator('button[data-action="bulk-refuse"]'))
    assert sorted(page.locator("[data-result=done] a").all_inner_texts()) == sorted(refs[1:])
    console_shots(page, "bulk-refuse-zh")


def test_actions_are_keyboard_reachable(console_page, submit):
    ref = submit()["reference"]
    page = console_page("agent", name="kim", lang="en", path=f"/console/requests/{ref}")
    reached = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        action = page.evaluate("document.activeElement.getAttribute('data-action')")
        if action:
            reached.add(action)
    assert {"verify_identity", "refuse", "withdraw", "assign", "note", "message"} <= reached
    # Choosing a method and pressing Enter on the button verifies the identity.
    page.focus("#verify_identity-method")
    page.keyboard.press("ArrowDown")
    page.focus('button[data-action="verify_identity"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("[data-identity]").get_attribute("data-identity") == "verified"


def test_readable_at_1024_px(console_page, submit):
    ref = submit(type="privacy_complaint", content_refs=["conversation 42"])["reference"]
    page = console_page("supervisor", lang="en", path=f"/console/requests/{ref}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024
    page.goto(page.url.split("/console/")[0] + "/console/?open=")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024


def test_auditor_and_a_refusal_on_screen(console_page, console_shots, submit):
    ref = submit()["reference"]
    page = console_page("auditor", lang="en", path=f"/console/requests/{ref}")
    assert page.locator("[data-field=email]").inner_text() == "z*@example.cn"
    assert page.locator("button[data-action]").count() == 0
    console_shots(page, "request-auditor-en")
    agent = console_page("agent", name="ann", lang="zh", path=f"/console/requests/{ref}")
    agent.fill("#refuse-reason", "缺少法律依据的拒绝")
    agent.evaluate("document.getElementById('refuse-legal_basis').removeAttribute('required')")
    press(agent, agent.locator('button[data-action="refuse"]'))
    assert agent.locator("[data-problem]").count() == 1
    assert agent.locator("#refuse-legal_basis-error").inner_text() == "此项必填，或所填的值无效。"
    assert agent.locator("[data-status]").first.get_attribute("data-status") == "received"
    console_shots(agent, "request-refusal-needs-basis-zh")
