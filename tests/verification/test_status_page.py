"""The status page's Verification code field and Verify button (SPEC §12.1, §7), in
headless Chromium in both languages, and without a browser for the edge cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.form.conftest import (  # noqa: F401 (browser, form_page, live_server, shots: fixtures)
    browser,
    csrf_of,
    form_page,
    live_server,
    page_of,
    shots,
)
from tests.form.test_browser import fill_request, new_page, no_horizontal_scroll
from tests.form.test_pages import form_data
from tests.verification.conftest import latest_code

WORDS = {
    "zh": {
        "submit": "提交申请",
        "label": "验证码",
        "verify": "验证",
        "wrong": "您还可以再试 4 次",
        "confirmed": "已确认",
        "new_code": "重新发送验证码",
        "too_soon": "秒后再重新获取验证码",
        "sent": "之前的验证码已失效",
    },
    "en": {
        "submit": "Submit request",
        "label": "Verification code",
        "verify": "Verify",
        "wrong": "You can try 4 more times",
        "confirmed": "Confirmed",
        "new_code": "Send me a new code",
        "too_soon": "You can ask for a new code in",
        "sent": "The code before no longer works",
    },
}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_requester_verifies_on_the_status_page(
    browser,  # noqa: F811
    live_server,  # noqa: F811
    shots,  # noqa: F811
    app,
    clock,
    lang,
):
    words = WORDS[lang]
    context, page = new_page(browser, "zh-CN" if lang == "zh" else "en-US")
    page.goto(f"{live_server}/?lang={lang}")
    fill_request(page, "delete")
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_url(re.compile(r"/submitted$"))
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    page.goto(live_server + "/status/request")
    field = page.get_by_label(words["label"])
    assert field.is_visible() and field.get_attribute("autocomplete") == "one-time-code"
    assert page.locator("[data-identity-verified]").get_attribute("data-identity-verified") == (
        "false"
    )
    no_horizontal_scroll(page)
    shots(page, f"verify-{lang}-1-unverified")

    code = latest_code(app, reference)
    field.fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name=words["verify"], exact=True).click()
    page.wait_for_selector("#code-error")
    assert words["wrong"] in page.locator("#code-error").inner_text()
    assert page.get_by_label(words["label"]).get_attribute("aria-invalid") == "true"
    shots(page, f"verify-{lang}-2-wrong-code")

    page.get_by_role("button", name=words["new_code"]).click()
    page.wait_for_selector("#code-error")
    assert words["too_soon"] in page.locator("#code-error").inner_text()
    clock.set(clock() + timedelta(seconds=61))
    page.get_by_role("button", name=words["new_code"]).click()
    page.wait_for_selector("p.notice")
    assert words["sent"] in page.locator("p.notice").inner_text()
    shots(page, f"verify-{lang}-3-new-code")

    # Pasted with a space, as people copy codes from emails.
    fresh = latest_code(app, reference)
    page.get_by_label(words["label"]).fill(f"{fresh[:3]} {fresh[3:]}")
    page.get_by_role("button", name=words["verify"], exact=True).click()
    page.wait_for_selector("[data-identity-verified=true]")
    assert page.locator("[data-identity-verified]").inner_text() == words["confirmed"]
    assert page.get_by_label(words["label"]).count() == 0
    no_horizontal_scroll(page)
    shots(page, f"verify-{lang}-4-verified")
    context.close()


def test_a_phone_only_requester_is_told_no_code_can_be_sent(client, form_page):  # noqa: F811
    _, csrf = form_page("/?lang=en")
    data = form_data(csrf) | {"email": "", "phone": "+8613900139000"}
    assert client.post("/?lang=en", data=data).status_code == 303
    client.get("/submitted")
    doc = page_of(client.get("/status/request?lang=en"))
    assert doc.find_all("input", id="code") == []
    (note,) = doc.find_all("p", data_no_code=True)
    assert "no email address" in note.text()


def test_a_malformed_code_is_shown_beside_the_field(client, form_page):  # noqa: F811

    _, csrf = form_page("/?lang=en")
    assert client.post("/?lang=en", data=form_data(csrf)).status_code == 303
    client.get("/submitted")
    doc = page_of(client.get("/status/request"))
    resp = client.post("/status/verify", data={"csrf_token": csrf_of(doc), "code": "12a"})
    assert resp.status_code == 422
    error = page_of(resp).find("p", id="code-error")
    assert "6 digits" in error.text()
