"""The HTML form and status pages through the Flask test client (SPEC §7)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pirights.intake_form import TRANSLATIONS, texts
from pirights.requests import present
from pirights.requests.lifecycle import COMPLAINT_TYPES, LEGAL_BASES, TYPES
from tests.form.conftest import csrf_of, page_of

EN_LABELS = {
    "name": "Full name",
    "email": "Email",
    "phone": "Phone",
    "account_id": "Account ID",
    "description": "Description",
    "content_refs": "Content references",
}
ZH_LABELS = {
    "name": "姓名",
    "email": "电子邮箱",
    "phone": "电话号码",
    "account_id": "账号 ID",
    "description": "申请说明",
    "content_refs": "内容编号或链接",
}


def form_data(csrf: str, **changes) -> dict:
    """A valid form post, with changes."""
    data = {
        "csrf_token": csrf,
        "type": "delete",
        "name": "张三",
        "email": "zs@example.cn",
        "phone": "",
        "account_id": "",
        "relationship": "self",
        "on_behalf_of": "",
        "description": "Delete my chat history.",
        "content_refs": "",
    }
    data.update(changes)
    return data


def label_text(doc, for_id: str) -> str:
    """The text of the label for a control."""
    return doc.find("label", for_=for_id).text()


def submit_form(client, form_page, lang: str = "en", **changes):
    """Post the request form; returns the response (not followed)."""
    _, csrf = form_page(f"/?lang={lang}")
    return client.post("/", data=form_data(csrf, **changes))


def submit_ok(client, form_page, lang: str = "en", **changes) -> tuple[str, str]:
    """Submit a valid form and read (reference, token) from the receipt page."""
    resp = submit_form(client, form_page, lang, **changes)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    doc = page_of(client.get(resp.headers["Location"]))
    ref = doc.find(None, data_reference=True).get("data-reference")
    token = doc.find(None, data_tracking_token=True).get("data-tracking-token")
    return ref, token


def staff_step(client, headers, ref: str, **body) -> None:
    """A staff transition through the ticket API."""
    resp = client.post(f"/api/v1/requests/{ref}/transitions", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_json()


# --- language -------------------------------------------------------------------------


def test_form_is_in_simplified_chinese_by_default(client):
    doc = page_of(client.get("/"))
    assert doc.find("html").get("lang") == "zh-CN"
    assert doc.find("legend").text() == "申请类型"
    for field, text in ZH_LABELS.items():
        assert label_text(doc, field) == text
    assert doc.find("button", type="submit").text() == "提交申请"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"query_string": {"lang": "en"}},
        {"headers": {"Accept-Language": "en-GB,en;q=0.9"}},
        {"headers": {"Accept-Language": "fr-FR, en;q=0.5"}},
    ],
)
def test_english_labels_are_exact(client, kwargs):
    doc = page_of(client.get("/", **kwargs))
    assert doc.find("html").get("lang") == "en"
    assert doc.find("legend").text() == "Request type"
    for field, text in EN_LABELS.items():
        assert label_text(doc, field) == text
    assert doc.find("button", type="submit").text() == "Submit request"


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "lang"),
    [
        (None, None, None, "zh-CN"),
        (None, None, "de-DE", "zh-CN"),
        (None, None, "zh-TW,en;q=0.8", "zh-CN"),
        (None, None, "en-US,zh-CN;q=0.5", "en"),
        (None, "en", "zh-CN", "en"),
        ("zh", "en", "en", "zh-CN"),
        ("en", "zh", "zh-CN", "en"),
        ("xx", None, None, "zh-CN"),
    ],
)
def test_locale_selection_order(app, query, cookie, accept, lang):
    client = app.test_client()
    if cookie:
        client.set_cookie("lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    resp = client.get("/status", query_string={"lang": query} if query else {}, headers=headers)
    assert page_of(resp).find("html").get("lang") == lang
    assert resp.headers["Content-Language"] == lang


def test_language_switch_links_and_cookie(client):
    doc = page_of(client.get("/"))
    switch = doc.find("nav", class_="lang")
    hrefs = {a.get("hreflang"): a.get("href") for a in switch.find_all("a") if a.get("hreflang")}
    assert hrefs == {"en": "/?lang=en"}
    assert switch.find("a", aria_current="true").text() == "中文"
    client.get("/?lang=en")
    # The choice sticks for the next page, whatever the browser asks for.
    later = page_of(client.get("/status", headers={"Accept-Language": "zh-CN"}))
    assert later.find("html").get("lang") == "en"


def test_status_lookup_labels(client):
    doc = page_of(client.get("/status?lang=en"))
    assert label_text(doc, "reference") == "Reference"
    assert label_text(doc, "tracking_token") == "Tracking token"
    assert doc.find("button", type="submit").text() == "Check status"
    zh = page_of(client.get("/status?lang=zh"))
    assert zh.find("button", type="submit").text() == "查询状态"


# --- the form's content and accessibility ---------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_type_with_explanation_and_law(client, lang):
    doc = page_of(client.get(f"/?lang={lang}"))
    radios = doc.find_all("input", type="radio", name="type")
    assert [r.get("value") for r in radios] == list(TYPES)
    for code in TYPES:
        assert label_text(doc, f"type-{code}")
        desc = doc.by_id(f"type-{code}-desc")
        law = desc.find("span", class_="law").text()
        assert ("PIPL Art" in law) if lang == "en" else ("《个人信息保护法》" in law)
        assert len(desc.text()) > len(law) + 5
        radio = doc.by_id(f"type-{code}")
        assert f"type-{code}-desc" in radio.get("aria-describedby")
        assert ("data-complaint" in radio.attrs) == (code in COMPLAINT_TYPES)


def test_every_control_has_a_label_and_no_inline_code(client):
    doc = page_of(client.get("/?lang=en"))
    controls = [
        el
        for el in doc.iter()
        if el.tag in ("input", "select", "textarea") and el.get("type") != "hidden"
    ]
    assert {c.get("name") for c in controls} >= {
        "type",
        "name",
        "email",
        "phone",
        "account_id",
        "relationship",
        "on_behalf_of",
        "description",
        "content_refs",
    }
    for control in controls:
        assert doc.find_all("label", for_=control.get("id")), control.attrs
    assert all(s.get("src", "").startswith("/assets/") for s in doc.find_all("script"))
    assert not doc.find_all("style")
    for el in doc.iter():
        assert "style" not in el.attrs
        assert not any(a.startswith("on") for a in el.attrs)
    for link in doc.find_all("link"):
        assert link.get("href").startswith("/assets/")
    # Content references is in the page without JavaScript, marked for the script to hide.
    assert "data-complaint-only" in doc.by_id("content_refs").parent.attrs


def test_relationship_and_on_behalf_of_fields(client, form_page):
    doc = page_of(client.get("/?lang=en"))
    options = [o.get("value") for o in doc.by_id("relationship").find_all("option")]
    assert options == ["self", "guardian", "next_of_kin", "agent"]
    assert doc.by_id("on_behalf_of").get("name") == "on_behalf_of"
    resp = submit_form(client, form_page, "en", relationship="next_of_kin")
    assert resp.status_code == 422
    assert "person you are acting for" in assert_error_tied(page_of(resp), "on_behalf_of")


@pytest.mark.parametrize("path", ["/", "/status", "/?lang=en", "/assets/form.css"])
def test_security_headers(client, path):
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] in ("no-referrer", "same-origin")


def test_headers_on_error_pages_and_no_store(client):
    resp = client.post("/", data={})
    assert resp.status_code == 400
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    ok = client.get("/")
    assert ok.headers["Cache-Control"] == "no-store"


# --- CSRF -----------------------------------------------------------------------------


def open_requests(client, headers) -> int:
    """How many requests the ticket API lists."""
    return len(client.get("/api/v1/requests", headers=headers).get_json()["items"])


@pytest.mark.parametrize(
    "path", ["/", "/status", "/status/reply", "/status/withdraw", "/status/forget"]
)
def test_posts_without_csrf_token_are_refused(client, auth, path):
    client.get("/")  # a session exists, but the post carries no token
    resp = client.post(path + "?lang=en", data=form_data("") | {"confirm": "yes"})
    assert resp.status_code == 400
    assert resp.mimetype == "text/html"
    assert "expired or did not come from this site" in resp.get_data(as_text=True)
    assert open_requests(client, auth("agent")) == 0


def test_token_from_another_session_is_refused(app, client, form_page):
    _, csrf = form_page("/")
    other = app.test_client()
    other.get("/")
    assert other.post("/", data=form_data(csrf)).status_code == 400


def test_json_api_needs_no_csrf_token(client, form_page):
    form_page("/")  # the browser session and its CSRF token are there; the API ignores them
    resp = client.post(
        "/api/v1/public/requests",
        json={
            "type": "access",
            "requester": {"name": "A", "email": "a@example.cn"},
            "description": "What do you hold?",
        },
    )
    assert resp.status_code == 201


# --- submission -----------------------------------------------------------------------


def test_valid_submission_redirects_to_a_receipt_shown_once(client, form_page, clock):
    resp = submit_form(client, form_page, "zh")
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert location.endswith("/submitted")
    doc = page_of(client.get(location))
    ref = doc.find(None, data_reference=True)
    token = doc.find(None, data_tracking_token=True)
    reference, secret = ref.get("data-reference"), token.get("data-tracking-token")
    assert ref.text() == reference and reference.startswith("PIR-")
    assert token.text() == secret and len(secret) >= 32
    assert secret not in location
    assert doc.find("button", data_copy_target="tracking-token")
    assert "只显示这一次" in doc.find("div", class_="warning").text()
    # The due date in Beijing time, in words (SPEC example: 2026-10-27 23:59:59 +08:00).
    due = doc.find("dd", data_due=True).text()
    assert "2026年10月27日" in due and "23:59:59" in due and "中国标准时间" in due
    api = client.get(f"/api/v1/public/requests/{reference}", headers={"X-Tracking-Token": secret})
    assert api.status_code == 200 and api.get_json()["type"] == "delete"
    again = client.get(location)
    assert again.status_code == 303 and secret not in again.get_data(as_text=True)


def test_receipt_in_english_and_stored_locale(client, form_page, auth, clock):
    resp = submit_form(client, form_page, "en", type="explain")
    doc = page_of(client.get(resp.headers["Location"]))
    assert "October 27, 2026" in doc.find("dd", data_due=True).text()
    assert "China Standard Time" in doc.find("dd", data_due=True).text()
    ref = doc.find(None, data_reference=True).get("data-reference")
    staff = client.get(f"/api/v1/requests/{ref}", headers=auth("agent")).get_json()
    assert staff["locale"] == "en" and staff["channel"] == "web" and staff["type"] == "explain"


def test_complaint_with_content_refs_and_proxy(client, form_page, auth):
    ref, _ = submit_ok(
        client,
        form_page,
        type="privacy_complaint",
        content_refs="conv-1\n\n  https://example.cn/out/2  \n",
        relationship="guardian",
        on_behalf_of="小明",
        phone="+8613800138000",
        account_id="u-9",
    )
    staff = client.get(f"/api/v1/requests/{ref}", headers=auth("agent")).get_json()
    assert staff["content_refs"] == ["conv-1", "https://example.cn/out/2"]
    assert staff["requester"]["relationship"] == "guardian"
    assert staff["requester"]["on_behalf_of"] == "小明"
    assert staff["requester"]["account_id"] == "u-9"


def assert_error_tied(doc, field: str, control_id: str | None = None) -> str:
    """The field's error sits beside it and the control points at it; returns the text."""
    error = doc.by_id(f"{field}-error")
    control = doc.by_id(control_id or field)
    assert control.get("aria-invalid") == "true"
    assert f"{field}-error" in control.get("aria-describedby").split()
    summary = doc.find("div", class_="error-summary")
    assert summary.find_all("a", href=f"#{control_id or field}")
    return error.text()


def test_invalid_submission_keeps_input_and_ties_errors(client, form_page, auth):
    resp = submit_form(
        client,
        form_page,
        "en",
        type="reputation_complaint",
        name="   ",
        email="not-an-email",
        phone="call me",
        description="They said I cheat <b>at cards</b>.",
        relationship="agent",
        account_id="u-" + "x" * 200,
    )
    assert resp.status_code == 422
    doc = page_of(resp)
    assert "Fill in this field" in assert_error_tied(doc, "name")
    assert "email address like" in assert_error_tied(doc, "email")
    assert "+8613800138000" in assert_error_tied(doc, "phone")
    assert "at most 128 characters" in assert_error_tied(doc, "account_id")
    # The schema checks cross-field rules (complaint content) once the fields are valid.
    assert not doc.find_all(None, id="content_refs-error")
    # The input is kept, escaped, and the complaint type still chosen.
    assert doc.by_id("email").get("value") == "not-an-email"
    assert doc.by_id("description").text() == "They said I cheat <b>at cards</b>."
    assert "checked" in doc.by_id("type-reputation_complaint").attrs
    assert "selected" in doc.by_id("relationship").find("option", value="agent").attrs
    # Fields without errors are not marked.
    assert "aria-invalid" not in doc.by_id("description").attrs
    assert open_requests(client, auth("agent")) == 0


def test_complaint_without_content_refs(client, form_page):
    resp = submit_form(client, form_page, "en", type="portrait_complaint")
    assert resp.status_code == 422
    assert "at least one conversation" in assert_error_tied(page_of(resp), "content_refs")


def test_missing_type_and_contact_errors_in_chinese(client, form_page):
    resp = submit_form(client, form_page, "zh", type="", email="", description="")
    assert resp.status_code == 422
    doc = page_of(resp)
    assert assert_error_tied(doc, "type", "type-access").endswith("请选择申请类型。")
    assert "电子邮箱或电话号码" in assert_error_tied(doc, "email")
    assert "请填写此项" in assert_error_tied(doc, "description")
    fieldset = doc.find("fieldset", class_="types has-error")
    assert "type-error" in fieldset.get("aria-describedby")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": "nope"}, "type"),
        ({"description": "x" * 10001}, "description"),
        ({"name": "x" * 201}, "name"),
        ({"email": "a@b"}, "email"),
        ({"relationship": "cousin"}, "relationship"),
        ({"type": "portrait_complaint"}, "content_refs"),
        ({"content_refs": "\n".join(f"c{i}" for i in range(51))}, "content_refs"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_form_and_api_refuse_the_same_input(client, form_page, changes, field):
    """The form validates with the API's schema: whatever one refuses, so does the other."""
    resp = submit_form(client, form_page, "en", **changes)
    assert resp.status_code == 422
    doc = page_of(resp)
    assert doc.by_id(f"{field}-error").text()
    values = form_data("", **changes)
    body = {
        "type": values["type"],
        "requester": {"name": values["name"], "email": values["email"]}
        | ({"relationship": values["relationship"]}),
        "description": values["description"],
        "content_refs": [r for r in values["content_refs"].splitlines() if r],
    }
    api = client.post("/api/v1/public/requests", json=body)
    assert api.status_code == 422
    assert field in api.get_json()["errors"] or field in api.get_json()["errors"].get(
        "requester", {}
    )


# --- status ---------------------------------------------------------------------------


def check_status(client, ref: str, token: str, lang: str = "en"):
    """Post the lookup form; returns the response (not followed)."""
    doc = page_of(client.get(f"/status?lang={lang}"))
    return client.post(
        "/status",
        data={"csrf_token": csrf_of(doc), "reference": ref, "tracking_token": token},
    )


def test_status_lookup_refuses_wrong_pairs_alike(client, form_page):
    ref, token = submit_ok(client, form_page)
    other = client.application.test_client()
    for pair in ((ref, "wrong-token"), ("PIR-00000-00000", token)):
        resp = check_status(other, *pair)
        assert resp.status_code == 404
        doc = page_of(resp)
        assert "No request matches" in doc.by_id("reference-error").text()
        assert doc.by_id("tracking_token").get("value") == ""  # never echoed back
    resp = check_status(other, "", "")
    assert resp.status_code == 422
    assert page_of(resp).by_id("tracking_token").get("aria-invalid") == "true"


def test_status_check_keeps_token_out_of_urls(client, form_page, clock):
    ref, token = submit_ok(client, form_page)
    other = client.application.test_client()
    resp = check_status(other, ref.lower(), token)
    assert resp.status_code == 303 and token not in resp.headers["Location"]
    page = other.get(resp.headers["Location"])
    doc = page_of(page)
    assert doc.find(None, data_reference=ref)
    assert doc.find("span", data_status="received").text() == "Received"
    assert "October 27, 2026" in doc.find("dd", data_due=True).text()
    assert token not in page.get_data(as_text=True)
    assert doc.find("button", type="submit", class_="danger").text() == "Withdraw request"
    # Forgetting the request ends access from this browser.
    forget = other.post("/status/forget", data={"csrf_token": csrf_of(doc)})
    assert forget.status_code == 303
    assert other.get("/status/request").status_code == 303


def test_answering_a_request_for_information(client, form_page, auth):
    ref, _ = submit_ok(client, form_page)
    staff = auth("agent")
    staff_step(client, staff, ref, action="verify_identity", method="email_code")
    staff_step(client, staff, ref, action="accept")
    staff_step(client, staff, ref, action="request_info", message="Which account do you mean?")
    doc = page_of(client.get("/status/request?lang=en"))
    assert doc.find("span", data_status="awaiting_requester").text() == "Waiting for your reply"
    assert "Which account do you mean?" in doc.find("ol", class_="timeline").text()
    empty = client.post("/status/reply", data={"csrf_token": csrf_of(doc), "message": "  "})
    assert empty.status_code == 422
    assert "Write your message first" in assert_error_tied(page_of(empty), "message")
    resp = client.post(
        "/status/reply", data={"csrf_token": csrf_of(doc), "message": "Account u-1, please."}
    )
    assert resp.status_code == 303
    after = page_of(client.get(resp.headers["Location"]))
    assert after.find("span", data_status="in_progress")
    assert "Your message was sent." in after.find("p", class_="notice").text()
    timeline = after.find("ol", class_="timeline").text()
    assert "Account u-1, please." in timeline and "You" in timeline
    assert client.get(f"/api/v1/requests/{ref}", headers=staff).get_json()["status"] == (
        "in_progress"
    )


def test_withdraw_needs_confirmation(client, form_page, auth):
    ref, _ = submit_ok(client, form_page)
    doc = page_of(client.get("/status/request?lang=en"))
    unconfirmed = client.post(
        "/status/withdraw", data={"csrf_token": csrf_of(doc), "reason": "Changed my mind"}
    )
    assert unconfirmed.status_code == 422
    page = page_of(unconfirmed)
    assert "Tick the box" in assert_error_tied(page, "confirm")
    assert page.by_id("reason").text() == "Changed my mind"
    status = client.get(f"/api/v1/requests/{ref}", headers=auth("agent")).get_json()["status"]
    assert status == "received"
    done = client.post(
        "/status/withdraw",
        data={"csrf_token": csrf_of(doc), "confirm": "yes", "reason": "Changed my mind"},
    )
    assert done.status_code == 303
    after = page_of(client.get(done.headers["Location"]))
    assert after.find("span", data_status="withdrawn").text() == "Withdrawn"
    assert (
        "You withdrew this request."
        in after.find("section", class_="outcome outcome-withdrawn").text()
    )
    assert not after.find_all("textarea", name="message")  # closed: no reply box
    # A second withdrawal (a double click, another tab) is done already: the page says so.
    again = client.post("/status/withdraw", data={"csrf_token": csrf_of(doc), "confirm": "yes"})
    assert again.status_code == 303
    notice = page_of(client.get(again.headers["Location"])).find("p", class_="notice")
    assert notice.text() == "This request was already withdrawn; there is nothing more to do."


@pytest.mark.parametrize(
    ("lang", "basis_words", "notice"),
    [
        ("en", "the requester's identity could not be verified", "(PIPL Art 65)"),
        ("zh", "无法核实申请人身份", "《个人信息保护法》第65条"),
    ],
)
def test_refusal_shows_reason_basis_and_rights(client, form_page, auth, lang, basis_words, notice):
    ref, _ = submit_ok(client, form_page, lang)
    staff_step(
        client,
        auth("agent"),
        ref,
        action="refuse",
        legal_basis="identity_unverified",
        reason="We could not match the email to an account.",
    )
    doc = page_of(client.get(f"/status/request?lang={lang}"))
    outcome = doc.find("section", class_="outcome outcome-refused")
    assert outcome.find("dd", data_refusal_reason=True).text() == (
        "We could not match the email to an account."
    )
    assert outcome.find("dd", data_legal_basis="identity_unverified").text() == basis_words
    rights = outcome.find("p", data_rights_notice=True).text()
    assert notice in rights and ("50" in rights)
    assert not doc.find_all("button", class_="danger")  # a closed request cannot be withdrawn


# --- translations ---------------------------------------------------------------------


def test_legal_basis_texts_match_the_api():
    assert set(texts.LEGAL_BASIS_TEXTS) == set(LEGAL_BASES) == set(present.LEGAL_BASIS_TEXT)
    for code, lazy in texts.LEGAL_BASIS_TEXTS.items():
        assert lazy._args[0] == present.LEGAL_BASIS_TEXT[code]
    assert texts.RIGHTS_NOTICE._args[0] == present.RIGHTS_NOTICE


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_catalogs_are_complete_and_compiled(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    ids = {m.id for m in template if m.id}
    assert ids == {m.id for m in catalog if m.id}, "run pybabel update (see the form README)"
    compiled = Translations.load(str(TRANSLATIONS), [locale])
    for message in catalog:
        if message.id:
            assert message.string and not message.fuzzy, message.id
            assert compiled.gettext(message.id) == message.string, "run pybabel compile"
    if locale == "zh":
        assert all(
            re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", m.string)
            for m in catalog
            if m.id
        )


# --- robustness -----------------------------------------------------------------------

FIELD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.fixed_dictionaries(
        {},
        optional={
            name: FIELD_TEXT
            for name in (
                "type",
                "name",
                "email",
                "phone",
                "account_id",
                "relationship",
                "on_behalf_of",
                "description",
                "content_refs",
            )
        },
    )
)
def test_any_form_input_gets_a_page_never_a_500(client, form_page, values):
    _, csrf = form_page("/?lang=en")
    resp = client.post("/", data={"csrf_token": csrf, **values})
    assert resp.status_code in (303, 422), resp.get_data(as_text=True)[:500]
    if resp.status_code == 422:
        doc = page_of(resp)
        for error in doc.find_all("p", class_="error"):
            field = error.get("id").removesuffix("-error")
            control = doc.find_all(None, id=field) or doc.find_all(None, id=f"{field}-access")
            assert field == "_form" or control or field == "type"
