"""The blocklist page (/console/blocklist): list, add, remove, as the blocklist API."""

from __future__ import annotations

import json

import pytest

from tests.console.conftest import page_of, post

URL = "/console/blocklist"


@pytest.fixture
def console_client(en_console_client):
    """Signed-in clients reading the pages in English."""
    return en_console_client


@pytest.fixture
def block_ref(submit) -> str:
    """A block request (it may add entries)."""
    return submit(type="block")["reference"]


@pytest.fixture
def events(client, auth):
    """A request's audit events, read through the API by an auditor."""
    headers = auth("auditor", name="api-auditor")

    def read(ref: str) -> list[dict]:
        return client.get(f"/api/v1/requests/{ref}/events", headers=headers).get_json()["items"]

    return read


def entries(client, service) -> list[dict]:
    """The active entries, through the API the generation service polls."""
    return client.get("/api/v1/blocklist", headers=service).get_json()["items"]


@pytest.mark.parametrize(
    ("role", "status"), [("agent", 403), ("auditor", 403), ("supervisor", 200), ("admin", 200)]
)
def test_roles_as_the_blocklist_api(console_client, role, status, block_ref):
    client = console_client(role)
    assert client.get(URL).status_code == status
    form = {"terms": "张三", "request_ref": block_ref, "reason": "Upheld."}
    assert post(client, URL, form).status_code == (303 if status == 200 else 403)
    assert client.get(URL + "/1/remove").status_code == status
    assert post(client, URL + "/1/remove").status_code == (303 if status == 200 else 403)


def test_add_and_remove_write_the_apis_events(client, auth, events, console_client, block_ref):
    service = auth("service", name="generator")
    console = console_client("supervisor", "sue")
    resp = post(
        console,
        URL,
        {"terms": "张三\n\n Zhang San \n", "request_ref": block_ref, "reason": "Upheld."},
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith(URL)
    page = page_of(console.get(URL))
    assert "Entry 1 added" in page.find("div", role="status").text()
    row = page.find("table", data_table="blocklist").find("tr", data_entry="1")
    assert [li.text() for li in row.find_all("li")] == ["张三", "Zhang San"]
    assert row.find("a").text() == block_ref
    assert [e["terms"] for e in entries(client, service)] == [["张三", "Zhang San"]]
    added = [e for e in events(block_ref) if e["action"] == "blocklist.added"]
    assert added[0]["actor"] == "staff:sue"
    assert added[0]["data"] == {"entry_id": 1, "terms": 2, "version": 1}
    assert "张三" not in json.dumps(added, ensure_ascii=False)

    # "Remove" asks first, naming what goes.
    link = row.find("a", class_="button secondary small")
    assert link.get("href") == URL + "/1/remove" and link.get("aria-label") == "Remove entry 1"
    confirm = page_of(console.get(URL + "/1/remove"))
    assert [li.text() for li in confirm.find("dl", data_entry="1").find_all("li")] == [
        "张三",
        "Zhang San",
    ]
    assert confirm.find("form", data_form="remove-entry").get("action") == URL + "/1/remove"
    assert entries(client, service) != []  # asking removed nothing
    resp = post(console, URL + "/1/remove")
    assert resp.status_code == 303
    page = page_of(console.get(URL))
    assert "Entry 1 removed" in page.find("div", role="status").text()
    assert not page.find_all("table", data_table="blocklist")
    assert entries(client, service) == []
    removed = [e for e in events(block_ref) if e["action"] == "blocklist.removed"]
    assert removed[0]["actor"] == "staff:sue" and removed[0]["data"]["entry_id"] == 1


def test_removing_twice_says_so(console_client, block_ref):
    console = console_client("admin")
    post(console, URL, {"terms": "李四", "request_ref": block_ref, "reason": "Upheld."})
    assert post(console, URL + "/1/remove").status_code == 303
    again = post(console, URL + "/1/remove")
    assert again.status_code == 404
    assert "Entry 1 is not on the blocklist" in page_of(again).find("div", data_notice=True).text()
    asked = console.get(URL + "/1/remove")
    assert asked.status_code == 404
    assert "Entry 1 is not on the blocklist" in page_of(asked).find("div", data_notice=True).text()


def test_unknown_ids_are_plain_404(console_client):
    console = console_client("admin")
    assert post(console, URL + "/99999999999999999999/remove").status_code == 404
    assert post(console, URL + "/0/remove").status_code == 404


@pytest.mark.parametrize(
    ("form", "field", "status", "says"),
    [
        ({"terms": " \n \n", "reason": "r"}, "terms", 422, "at least one term"),
        ({"terms": "x" * 201, "reason": "r"}, "terms", 422, "200 characters"),
        ({"terms": "张三"}, "reason", 422, "reason"),
        ({"terms": "张三", "reason": "r", "request_ref": ""}, "request_ref", 422, "reference"),
        (
            {"terms": "张三", "reason": "r", "request_ref": "PIR-NOPE0-NOPE0"},
            "request_ref",
            404,
            "No request has the reference PIR-NOPE0-NOPE0",
        ),
        ({"terms": "张三", "reason": "bad\x00"}, "reason", 422, "reason"),
        (
            {"terms": "张三", "reason": "r", "request_ref": "PIR\x00"},
            "request_ref",
            422,
            "reference",
        ),
    ],
)
def test_refusals_are_shown_on_the_page(console_client, block_ref, form, field, status, says):
    form = {"request_ref": block_ref} | form
    resp = post(console_client("supervisor"), URL, form)
    assert resp.status_code == status
    page = page_of(resp)
    assert says in page.find("p", id=f"{field}-error").text()
    assert page.by_id("terms").text() == form["terms"].strip() or field == "terms"
    assert page.by_id(field).get("aria-invalid") == "true"


def test_a_type_that_cannot_block_is_a_readable_409(console_client, submit):
    ref = submit(type="access")["reference"]
    resp = post(
        console_client("supervisor"), URL, {"terms": "张三", "request_ref": ref, "reason": "r"}
    )
    assert resp.status_code == 409
    text = page_of(resp).find("p", id="request_ref-error").text()
    assert "Only a block request" in text and ref in text


def test_a_closed_request_cannot_block(client, auth, console_client, block_ref):
    sup = auth("supervisor", name="api-sup")
    client.post(
        f"/api/v1/requests/{block_ref}/transitions",
        json={"action": "refuse", "legal_basis": "abuse", "reason": "Repeated."},
        headers=sup,
    )
    resp = post(
        console_client("supervisor"),
        URL,
        {"terms": "张三", "request_ref": block_ref, "reason": "r"},
    )
    assert resp.status_code == 409
    assert "refused or withdrawn" in page_of(resp).find("p", id="request_ref-error").text()


def test_posts_need_the_csrf_token(console_client, block_ref):
    console = console_client("supervisor")
    resp = console.post(URL, data={"terms": "张三", "request_ref": block_ref, "reason": "r"})
    assert resp.status_code == 400
    assert console.post(URL + "/1/remove").status_code == 400


def test_chinese_page(console_client, block_ref):
    console = console_client("supervisor")
    page = page_of(console.get(URL + "?lang=zh"))
    assert page.find("h1").text() == "屏蔽词表"
    assert page.find("label", for_="terms").text() == "屏蔽词"
    resp = post(console, URL, {"terms": "张三", "request_ref": "PIR-NOPE0-NOPE0", "reason": "r"})
    assert (
        "没有编号为 PIR-NOPE0-NOPE0 的申请"
        in page_of(resp).find("p", id="request_ref-error").text()
    )
