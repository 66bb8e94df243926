"""Fixtures for the HTML form: parsed pages, CSRF tokens, a live server and Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.form.html import Element, parse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_SHOT_DIRS: set[Path] = set()


def page_of(resp) -> Element:
    """The parsed HTML of a response."""
    assert resp.mimetype == "text/html", resp.get_data(as_text=True)[:300]
    return parse(resp.get_data(as_text=True))


def csrf_of(doc: Element) -> str:
    """The CSRF token of the first form on a page."""
    return doc.find("input", name="csrf_token").get("value") or ""


@pytest.fixture
def form_page(client) -> Callable[..., tuple[Element, str]]:
    """GET a page; returns (its tree, its CSRF token)."""

    def get(path: str = "/", **kwargs) -> tuple[Element, str]:
        resp = client.get(path, **kwargs)
        assert resp.status_code == 200
        doc = page_of(resp)
        return doc, csrf_of(doc)

    return get


@pytest.fixture
def live_server(app, clock) -> Iterator[str]:
    """The app served over HTTP on 127.0.0.1 and a free port, in a thread."""
    import logging

    from werkzeug.serving import make_server

    # One access line per asset would drown a failure's report.
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    werkzeug_log.setLevel(level)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system one; `playwright install` is never needed)."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("PIRIGHTS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PIRIGHTS_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(artifacts_dir, record_property, request) -> Callable[..., Path]:
    """Save a full-page screenshot under artifacts_dir/form; returns its path."""
    folder = artifacts_dir / "form"
    folder.mkdir(parents=True, exist_ok=True)
    record_property("screenshots", str(folder))
    _SHOT_DIRS.add(folder)
    print(f"screenshots: {folder}")

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_terminal_summary(terminalreporter) -> None:
    """Say where the form's screenshots are."""
    for folder in sorted(_SHOT_DIRS):
        terminalreporter.write_line(f"form screenshots saved in {folder}")
