"""Fixtures for the HTML form: parsed pages, CSRF tokens, screenshots (tests/browser.py:
a live server and Chromium)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser import browser, live_https_server, live_server  # noqa: F401  (fixtures)
from tests.form.html import Element, parse

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
