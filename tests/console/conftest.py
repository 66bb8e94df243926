"""Fixtures for console tests: signed-in test clients, CSRF-carrying posts, Chromium.

- `console_client(role, name=None)`: a new Flask test client signed in (through the real
  sign-in form) as a new member of `role` (pirights.staff.roles: agent, supervisor,
  auditor, admin); the member's name is `name` or the role.
- `post(client, url, data)`: a form post with the session's CSRF token added.
- `csrf_token(client)`, `page_of(resp)`: the token of a session, a parsed page.
- `console_page(role, lang="en", path=...)`: a Playwright page on a live server, signed in
  through the form as a new member of `role`; `console_shots(page, name)` saves a screenshot
  under test-artifacts/console/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser import browser, live_https_server, live_server  # noqa: F401  (fixtures)
from tests.form.html import Element, parse

PASSWORD = "correct horse battery staple"
LOGIN = "/console/login"
_SHOT_DIRS: set[Path] = set()


def page_of(resp) -> Element:
    """The parsed HTML of a console response."""
    assert resp.mimetype == "text/html", resp.get_data(as_text=True)[:300]
    return parse(resp.get_data(as_text=True))


def csrf_token(client, path: str = LOGIN) -> str:
    """The CSRF token of the client's session, read from a console page's form."""
    resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    return page_of(resp).find("input", name="csrf_token").get("value") or ""


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a console form with the session's CSRF token added."""
    body = dict(data or {})
    body.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=body, **kwargs)


def sign_in(client, name: str, password: str = PASSWORD, next_path: str | None = None):
    """Post the sign-in form; returns the response (303 on success)."""
    data = {"name": name, "password": password}
    if next_path:
        data["next"] = next_path
    return post(client, LOGIN, data)


@pytest.fixture
def make_member(app) -> Callable[..., str]:
    """Create an active member with a console password; returns the name."""
    from pirights.staff.service import add_staff, set_password

    def make(role: str = "agent", name: str | None = None, password: str = PASSWORD) -> str:
        name = name or role
        with app.app_context():
            add_staff(name, role)
            set_password(name, password)
        return name

    return make


@pytest.fixture
def console_client(app, make_member) -> Callable[..., object]:
    """A new test client signed in as a new member of `role` (named `name` or the role)."""

    def make(role: str = "agent", name: str | None = None):
        member = make_member(role, name)
        client = app.test_client()
        resp = sign_in(client, member)
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
        return client

    return make


@pytest.fixture
def en_console_client(console_client) -> Callable[..., object]:
    """`console_client`, reading the pages in English (the console's default is Chinese);
    a test of a Chinese page asks for it with ?lang=zh."""

    def make(role: str = "agent", name: str | None = None):
        client = console_client(role, name)
        client.set_cookie("lang", "en")
        return client

    return make


@pytest.fixture
def console_shots(artifacts_dir, record_property) -> Callable[..., Path]:
    """Save a full-page screenshot under artifacts_dir/console; returns its path."""
    folder = artifacts_dir / "console"
    folder.mkdir(parents=True, exist_ok=True)
    record_property("screenshots", str(folder))
    _SHOT_DIRS.add(folder)

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def console_page(browser, live_server, make_member) -> Iterator[Callable[..., object]]:  # noqa: F811
    """Open a Chromium page (1024 px wide) signed in as a new member of `role`.

    `path` is where the sign-in continues to (the `next` of the form); `lang` the page
    language. Each call opens its own browser context (its own cookies).
    """
    contexts = []

    def open_page(
        role: str = "agent",
        *,
        name: str | None = None,
        lang: str = "en",
        path: str = "/console/",
    ):
        member = make_member(role, name)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server}{LOGIN}?lang={lang}&next={quote(path)}")
        page.fill("#name", member)
        page.fill("#password", PASSWORD)
        page.locator("form.sign-in button[type=submit]").click()
        page.wait_for_load_state()
        return page

    yield open_page
    for context in contexts:
        context.close()


def pytest_terminal_summary(terminalreporter) -> None:
    """Say where the console's screenshots are."""
    for folder in sorted(_SHOT_DIRS):
        terminalreporter.write_line(f"console screenshots saved in {folder}")
