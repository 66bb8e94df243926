"""Files on the form and the status page (SPEC §7, §12.3): evidence with the request, more
from the status page, results downloaded from it; all without the token in a URL."""

from __future__ import annotations

import hashlib
import io
import re

import pytest

from tests.files.conftest import PDF, PNG, stored_keys, upload
from tests.form.conftest import page_of

FIELDS = {
    "type": "portrait_complaint",
    "name": "李雷",
    "email": "lilei@example.cn",
    "description": "生成的图片用了我的照片。",
    "content_refs": "out-8",
    "relationship": "self",
}


def post_form(client, csrf: str, files: list[tuple[bytes, str]], **changes):
    """POST the request form as a browser does: multipart/form-data, files in `file`."""
    data = {**FIELDS, **changes, "csrf_token": csrf}
    data["file"] = [(io.BytesIO(content), name) for content, name in files] or [
        (io.BytesIO(b""), "")  # an empty file input still sends its part
    ]
    return client.post("/", data=data, content_type="multipart/form-data")


@pytest.fixture
def store(app):
    """The app's file store."""
    from pirights.files.service import EXTENSION

    return app.extensions[EXTENSION]


@pytest.fixture
def staff_detail(client, auth):
    """The request as staff see it."""
    headers = auth("supervisor", "sup")

    def get(reference: str) -> dict:
        return client.get(f"/api/v1/requests/{reference}", headers=headers).get_json()

    return get


def receipt_reference(client) -> str:
    """The reference on the receipt page."""
    doc = page_of(client.get("/submitted"))
    return doc.find(**{"data-reference": True}).get("data-reference")


def test_form_is_multipart_with_a_labelled_file_input(form_page):
    doc, _ = form_page("/?lang=en")
    form = doc.find("form", method="post")
    assert form.get("enctype") == "multipart/form-data"
    field = doc.find("input", type="file")
    assert field.get("name") == "file" and "multiple" in field.attrs
    assert "image/png" in field.get("accept")
    assert doc.find("label", **{"for": field.get("id")}).text() == "Evidence files"


def test_form_submits_with_files_and_staff_see_them(
    app, client, form_page, auth, store, staff_detail
):
    _, csrf = form_page("/?lang=en")
    resp = post_form(client, csrf, [(PNG, "截图1.png"), (PDF, "id.pdf")])
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    reference = receipt_reference(client)
    files = staff_detail(reference)["files"]
    assert [(f["name"], f["content_type"], f["added_by"], f["audience"]) for f in files] == [
        ("截图1.png", "image/png", "requester", "requester"),
        ("id.pdf", "application/pdf", "requester", "requester"),
    ]
    assert files[0]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert len(stored_keys(app, store)) == 2
    assert all(k.startswith("blobs/") for k in stored_keys(app, store))
    events = client.get(f"/api/v1/requests/{reference}/events", headers=auth("agent", "a2"))
    added = [e for e in events.get_json()["items"] if e["action"] == "file.added"]
    assert [e["actor"] for e in added] == ["requester", "requester"]


def test_form_without_files_still_submits(client, form_page, staff_detail):
    _, csrf = form_page()
    assert post_form(client, csrf, []).status_code == 303
    assert staff_detail(receipt_reference(client))["files"] == []


@pytest.mark.parametrize(
    ("content", "status", "words"),
    [
        (b"PK\x03\x04" + b"\x00" * 100, 422, "kind we do not accept"),
        (b"", 422, "empty"),
    ],
    ids=["zip", "empty"],
)
def test_a_refused_file_is_shown_beside_its_field(
    app, client, form_page, store, content, status, words
):
    _, csrf = form_page("/?lang=en")
    resp = post_form(client, csrf, [(content, "evil.png")])
    assert resp.status_code == status
    doc = page_of(resp)
    assert words in doc.find(id="file-error").text()
    assert doc.find("input", type="file").get("aria-invalid") == "true"
    assert doc.find("input", name="name").get("value") == "李雷"  # the rest is kept
    assert stored_keys(app, store) == []


def test_form_errors_ask_for_the_files_again(client, form_page):
    _, csrf = form_page("/?lang=en")
    resp = post_form(client, csrf, [(PNG, "a.png")], name="")
    assert resp.status_code == 422
    assert "Choose your files again" in page_of(resp).find(id="file-error").text()


def test_status_page_adds_and_offers_files_without_the_token_in_urls(
    app, client, form_page, auth, store, staff_detail
):
    _, csrf = form_page("/?lang=en")
    post_form(client, csrf, [(PNG, "first.png")])
    reference = receipt_reference(client)
    agent = auth("agent")
    result = upload(client, f"/api/v1/requests/{reference}/files", PDF, "您的数据.pdf", agent,
                    audience="requester").get_json()  # fmt: skip
    internal = upload(client, f"/api/v1/requests/{reference}/files", PDF, "memo.pdf", agent,
                      audience="internal").get_json()  # fmt: skip

    resp = client.get("/status/request")
    html = resp.get_data(as_text=True)
    doc = page_of(resp)
    items = doc.find_all("li", **{"data-file-id": True})
    assert [i.find("a").text() for i in items] == ["first.png", "您的数据.pdf"]
    links = [i.find("a").get("href") for i in items]
    assert links[1] == f"/status/files/{result['id']}"
    assert "memo.pdf" not in html
    form = doc.find("form", **{"class": "add-file"})
    assert form.get("enctype") == "multipart/form-data"

    got = client.get(links[1])
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"/status/files/{internal['id']}").status_code == 404

    csrf = form.find("input", name="csrf_token").get("value")
    sent = client.post(
        "/status/files",
        data={"csrf_token": csrf, "file": (io.BytesIO(PNG * 2), "second.png")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    refused = client.post(
        "/status/files",
        data={"csrf_token": csrf, "file": (io.BytesIO(b"MZ" + b"\x00" * 64), "x.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 415
    assert "kind we do not accept" in page_of(refused).find(id="file-error").text()
    names = [f["name"] for f in staff_detail(reference)["files"]]
    assert names == ["first.png", "您的数据.pdf", "memo.pdf", "second.png"]


@pytest.mark.browser
def test_chromium_attach_screenshot_then_download_the_result(
    browser, live_server, client, auth, shots, tmp_path
):
    from tests.form.test_browser import new_page

    context, page = new_page(browser, "zh-CN")
    page.goto(live_server + "/")
    # The evidence is a real screenshot: of this very form.
    screenshot = tmp_path / "截图.png"
    page.screenshot(path=str(screenshot))
    page.check("#type-portrait_complaint")
    page.fill("#name", "韩梅梅")
    page.fill("#email", "hmm@example.cn")
    page.fill("#description", "生成的图片里有我的脸。")
    page.fill("#content_refs", "out-42")
    page.set_input_files("#file", str(screenshot))
    shots(page, "files-1-form-with-screenshot")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/submitted$"))
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    token = page.locator("[data-tracking-token]").get_attribute("data-tracking-token")

    agent = auth("agent")
    (evidence,) = client.get(f"/api/v1/requests/{reference}", headers=agent).get_json()["files"]
    assert evidence["name"] == "截图.png" and evidence["content_type"] == "image/png"
    assert evidence["sha256"] == hashlib.sha256(screenshot.read_bytes()).hexdigest()
    got = client.get(f"/api/v1/requests/{reference}/files/{evidence['id']}", headers=agent)
    assert got.data == screenshot.read_bytes()

    result = upload(client, f"/api/v1/requests/{reference}/files", PDF, "您的个人信息副本.pdf",
                    agent, audience="requester").get_json()  # fmt: skip
    page.goto(live_server + "/status/request")
    link = page.get_by_role("link", name="您的个人信息副本.pdf")
    assert link.is_visible()
    shots(page, "files-2-status-with-files")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "您的个人信息副本.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read() == PDF
    assert result["sha256"] in page.content()

    # One more screenshot from the status page.
    page.set_input_files("#file", str(screenshot))
    page.get_by_role("button", name="发送文件").click()
    page.wait_for_url(re.compile(r"/status/request$"))
    assert page.locator("p.notice").inner_text() == "我们已收到您的文件。"
    assert page.locator("li[data-file-id]").count() == 3
    shots(page, "files-3-status-after-upload")
    assert not [u for u in page.urls if token in u]
    context.close()
