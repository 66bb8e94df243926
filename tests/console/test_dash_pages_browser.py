"""The dashboard, audit and blocklist pages in headless Chromium, in both languages, with
screenshots under test-artifacts/console/ (dashboard-en.png, audit-verify-zh.png...)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import valid_request

pytestmark = pytest.mark.browser

LANGS = ["en", "zh"]


@pytest.fixture
def history(client, auth, clock):
    """A month of requests: some open (one overdue), some closed in earlier weeks, a
    complaint waiting for its measure, and a block request."""
    sup = auth("supervisor", name="api-sup")
    for name in ("wang.fang", "li.lei"):
        auth("agent", name=name)
    start = clock.moment
    refs = []

    def act(ref, body):
        resp = client.post(f"/api/v1/requests/{ref}/transitions", json=body, headers=sup)
        assert resp.status_code == 200, resp.get_json()

    for n in range(14):
        received = (start - timedelta(days=70 - 5 * n)).isoformat()
        kind = ("access", "delete", "copy", "correct")[n % 4]
        body = valid_request(type=kind) | {"channel": "letter", "received_at": received}
        ref = client.post("/api/v1/requests", json=body, headers=sup).get_json()["reference"]
        refs.append(ref)
        who = ("wang.fang", "li.lei")[n % 2]
        client.post(f"/api/v1/requests/{ref}/assign", json={"assignee": who}, headers=sup)
    # Closed 10 to 34 days after receipt: the later ones miss their 15 working days.
    for n, ref in enumerate(refs[:9]):
        clock.set(start - timedelta(days=60 - 8 * n))
        act(ref, {"action": "verify_identity", "method": "email_code"})
        act(ref, {"action": "accept"})
        act(ref, {"action": "complete", "resolution": "Done."})
    clock.set(start)
    complaint = valid_request(type="portrait_complaint", content_refs=["out-7"])
    complaint |= {"channel": "web", "received_at": (start - timedelta(days=2)).isoformat()}
    client.post("/api/v1/requests", json=complaint, headers=sup)
    block = valid_request(type="block") | {"channel": "web"}
    refs.append(client.post("/api/v1/requests", json=block, headers=sup).get_json()["reference"])
    return refs


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard(console_page, console_shots, history, lang):
    page = console_page("supervisor", lang=lang, path="/console/dashboard")
    assert page.locator("svg[role=img]").is_visible()
    assert page.locator("[data-figure=open]").inner_text() == "7"
    assert page.locator("table[data-table=load] tbody tr").count() == 3
    # The table behind the chart opens from the keyboard.
    summary = page.locator("details summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("table[data-table=on-time]").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, "no horizontal scrolling at 1024 px"
    console_shots(page, f"dashboard-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_audit_export_and_verify(console_page, console_shots, history, lang, tmp_path: Path):
    page = console_page("auditor", lang=lang, path="/console/audit")
    console_shots(page, f"audit-{lang}")
    with page.expect_download() as caught:
        page.locator("form[data-form=export] button[type=submit]").click()
    download = caught.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    lines = saved.read_bytes().splitlines()
    assert lines and json.loads(lines[0])["seq"] == 1
    with page.expect_navigation():
        page.locator("form[data-form=verify-chain] button").click()
    assert page.locator("[data-verdict=ok]").is_visible()
    console_shots(page, f"audit-verify-chain-{lang}")
    page.set_input_files("#export", str(saved))
    with page.expect_navigation():
        page.locator("form[data-form=verify-file] button[type=submit]").click()
    verdict = page.locator("[data-verdict=ok]")
    assert verdict.is_visible() and saved.name in verdict.inner_text()
    console_shots(page, f"audit-verify-file-{lang}")
    broken = tmp_path / "broken.jsonl"
    event = json.loads(lines[1])
    event["actor"] = "staff:mallory"
    fields = [lines[0], json.dumps(event, separators=(",", ":")).encode(), *lines[2:]]
    broken.write_bytes(b"\n".join(fields) + b"\n")
    page.set_input_files("#export", str(broken))
    with page.expect_navigation():
        page.locator("form[data-form=verify-file] button[type=submit]").click()
    assert page.locator("[data-verdict=broken]").is_visible()
    console_shots(page, f"audit-verify-broken-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_blocklist_add_and_remove(console_page, console_shots, history, lang):
    block_ref = history[-1]
    page = console_page("supervisor", lang=lang, path="/console/blocklist")
    console_shots(page, f"blocklist-empty-{lang}")
    page.fill("#terms", "张三\nZhang San")
    page.fill("#request_ref", "PIR-NOPE0-NOPE0")
    page.fill("#reason", "Upheld portrait complaint.")
    with page.expect_navigation():
        page.locator("form[data-form=add-entry] button[type=submit]").click()
    assert page.locator("#request_ref-error").is_visible()
    assert page.locator("#terms").input_value() == "张三\nZhang San"
    console_shots(page, f"blocklist-error-{lang}")
    page.fill("#request_ref", block_ref)
    with page.expect_navigation():
        page.locator("form[data-form=add-entry] button[type=submit]").click()
    row = page.locator("tr[data-entry]")
    assert row.count() == 1 and "Zhang San" in row.inner_text()
    console_shots(page, f"blocklist-added-{lang}")
    # Remove with the keyboard: the link is reachable and labelled by its entry; the page
    # it opens asks before anything is removed.
    row.locator("a.button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("dl[data-entry]").is_visible()
    console_shots(page, f"blocklist-confirm-{lang}")
    with page.expect_navigation():
        page.locator("form[data-form=remove-entry] button").click()
    assert page.locator("tr[data-entry]").count() == 0
    assert page.locator(".flash-success").is_visible()
    console_shots(page, f"blocklist-removed-{lang}")
