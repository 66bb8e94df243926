"""Files on the console's request page (SPEC §12.3, §13): attach and download through the
files service, with the API's limits, roles and audit events."""

from __future__ import annotations

import hashlib
import io

from tests.console.conftest import page_of, post
from tests.files.conftest import PNG


def attach(client, ref: str, content: bytes, name: str = "结果.png", audience: str = "requester"):
    """Post the page's file form as a browser would (multipart, with the CSRF token)."""
    return post(
        client,
        f"/console/requests/{ref}/files",
        {"file": (io.BytesIO(content), name), "audience": audience},
        content_type="multipart/form-data",
    )


def file_events(client, auth, ref: str) -> list[tuple[str, str, dict]]:
    """(action, actor, data) of the request's file events, through the audit API."""
    resp = client.get(f"/api/v1/requests/{ref}/events", headers=auth("auditor", "api-aud"))
    return [
        (e["action"], e["actor"], e["data"])
        for e in resp.get_json()["items"]
        if e["action"].startswith("file.")
    ]


def test_an_agent_attaches_a_result_and_downloads_it(console_client, submit, client, auth):
    made = submit()
    ref = made["reference"]
    agent = console_client("agent", "amy")
    agent.set_cookie("lang", "en")
    resp = attach(agent, ref, PNG)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    page = page_of(agent.get(f"/console/requests/{ref}"))
    item = page.find("li", data_file=True)
    assert "结果.png" in item.text() and "For the requester" in item.text()
    link = item.find("a", data_download=True).get("href")
    download = agent.get(link)
    assert download.status_code == 200 and download.data == PNG
    assert "filename*=UTF-8''%E7%BB%93%E6%9E%9C.png" in download.headers["Content-Disposition"]
    file_id = int(item.get("data-file"))
    timeline = agent.get(f"/console/requests/{ref}").get_data(as_text=True)
    assert "File attached" in timeline and "File downloaded" in timeline
    assert file_events(client, auth, ref) == [
        (
            "file.added",
            "staff:amy",
            {"file_id": file_id, "size": len(PNG), "audience": "requester"},
        ),
        (
            "file.downloaded",
            "staff:amy",
            {"file_id": file_id, "size": len(PNG), "audience": "requester"},
        ),
    ]
    # The requester receives it byte for byte, with the digest staff can quote.
    mine = client.get(
        f"/api/v1/public/requests/{ref}/files/{file_id}",
        headers={"X-Tracking-Token": made["tracking_token"]},
    )
    assert mine.status_code == 200 and mine.data == PNG
    assert item.find(None, data_sha256=True).text() == hashlib.sha256(PNG).hexdigest()


def test_refusals_come_back_on_the_page(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    agent.set_cookie("lang", "en")
    empty = attach(agent, ref, b"")
    assert empty.status_code == 422
    assert "Choose a file to attach" in empty.get_data(as_text=True)
    nobody = attach(agent, ref, PNG, audience="everyone")
    assert nobody.status_code == 422
    assert "Say who the file is for" in nobody.get_data(as_text=True)
    assert page_of(agent.get(f"/console/requests/{ref}")).find_all("li", data_file=True) == []


def test_auditors_see_the_list_but_neither_form_nor_download(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    assert attach(agent, ref, PNG).status_code == 303
    auditor = console_client("auditor")
    page = page_of(auditor.get(f"/console/requests/{ref}"))
    item = page.find("li", data_file=True)
    assert item.find_all("a") == []
    assert page.find_all("form", data_form="file") == []
    file_id = item.get("data-file")
    assert auditor.get(f"/console/requests/{ref}/files/{file_id}").status_code == 403
    assert attach(auditor, ref, PNG).status_code == 403


def test_unknown_files_and_requests_are_404_pages(console_client, submit):
    ref = submit()["reference"]
    agent = console_client("agent")
    assert agent.get(f"/console/requests/{ref}/files/999").status_code == 404
    assert attach(agent, "PIR-NOPE0-NOPE0", PNG).status_code == 404
