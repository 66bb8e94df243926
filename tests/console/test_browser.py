"""The console's sign-in and Staff page in headless Chromium, in both languages."""

from __future__ import annotations

import pytest

from tests.console.conftest import LOGIN, PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sign_in_reaches_the_staff_page(console_page, console_shots, lang):
    page = console_page("admin", name="wang.fang", lang=lang, path="/console/staff")
    assert page.url.endswith("/console/staff")
    assert page.locator("[data-member]").inner_text() == "wang.fang"
    assert page.locator("tr[data-staff='wang.fang']").count() == 1
    console_shots(page, f"staff-{lang}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wrong_password_then_lockout_message(
    browser, live_server, make_member, console_shots, lang
):
    make_member("agent", "zhao.lei")
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}{LOGIN}?lang={lang}")
    console_shots(page, f"sign-in-{lang}")
    for attempt in range(5):
        page.fill("#name", "zhao.lei")
        page.fill("#password", f"not it {attempt}")
        page.locator("form.sign-in button[type=submit]").click()
        page.wait_for_load_state()
        if attempt == 0:
            error = page.locator("[data-sign-in-error]").inner_text()
            assert error == ("Wrong name or password." if lang == "en" else "姓名或密码错误。")
            assert page.input_value("#name") == "zhao.lei"
            console_shots(page, f"sign-in-wrong-{lang}")
    locked = page.locator("[data-sign-in-error]").inner_text()
    assert "15" in locked
    console_shots(page, f"sign-in-locked-{lang}")
    page.fill("#name", "zhao.lei")
    page.fill("#password", PASSWORD)
    page.locator("form.sign-in button[type=submit]").click()
    page.wait_for_load_state()
    assert "/console/login" in page.url  # still locked
    context.close()


def test_sign_out_ends_the_session(console_page, live_server):
    page = console_page("admin", path="/console/staff")
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_load_state()
    assert "/console/login" in page.url
    assert page.get_by_role("status").inner_text() == "You have signed out."
    page.goto(f"{live_server}/console/staff")
    assert "/console/login" in page.url


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_admin_adds_resets_and_revokes_a_member(console_page, console_shots, lang):
    page = console_page("admin", name="wang.fang", lang=lang, path="/console/staff")
    page.fill("#name", "li.na")
    page.select_option("#role", "supervisor")
    page.locator("form.add-member button[type=submit]").click()
    page.wait_for_load_state()
    once = page.locator("[data-shown-once='li.na']")
    assert once.locator("[data-api-token]").inner_text().startswith("pir_")
    assert len(once.locator("[data-password]").inner_text()) >= 20
    console_shots(page, f"staff-added-{lang}")

    row = page.locator("tr[data-staff='li.na']")
    row.locator("input[type=password]").fill("short")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "10" in page.locator("#password-li\\.na-error").inner_text()
    console_shots(page, f"staff-password-refused-{lang}")

    page.locator("tr[data-staff='li.na'] a.danger").click()
    page.wait_for_load_state()
    assert page.url.endswith("/console/staff/li.na/revoke")
    console_shots(page, f"staff-revoke-{lang}")
    page.locator("main button.danger").click()
    page.wait_for_load_state()
    assert page.locator("tr[data-staff='li.na']").get_attribute("data-active") == "false"
    assert page.get_by_role("status").count() == 1
    console_shots(page, f"staff-revoked-{lang}")


def test_a_non_admin_sees_the_forbidden_page(console_page, console_shots, live_server):
    page = console_page("agent", name="zhao.lei", lang="zh", path="/console/staff")
    assert page.locator("[data-status-code='403']").count() == 1
    assert page.locator("nav.pages a[href='/console/staff']").count() == 0
    console_shots(page, "forbidden-zh")


def test_the_console_is_keyboard_reachable(console_page):
    page = console_page("admin", name="wang.fang", path="/console/staff")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    focused = set()
    for _ in range(20):
        page.keyboard.press("Tab")
        focused.add(
            page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")
        )
    assert {"name", "role", "password", "Sign out", "Staff"} <= focused


def test_sign_in_and_out_over_https(browser, live_https_server, make_member):
    """Over HTTPS the session cookie is Secure and CSRF also checks the Referer, which the
    pages' referrer policy must therefore send to their own origin."""
    make_member("admin", "wang.fang")
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{live_https_server}{LOGIN}?lang=en&next=/console/staff")
    page.fill("#name", "wang.fang")
    page.fill("#password", PASSWORD)
    page.locator("form.sign-in button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/console/staff"), page.content()[:500]
    (cookie,) = [c for c in context.cookies() if c["name"] == "session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_load_state()
    assert "signed_out=1" in page.url
    context.close()
