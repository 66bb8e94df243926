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
