"""A live server and headless Chromium for page tests (the form's and the console's).

Import the fixtures into a conftest: `from tests.browser import browser, live_server`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _serve(app, ssl_context=None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 and a free port in a thread until the generator closes."""
    import logging

    from werkzeug.serving import make_server

    # One access line per asset would drown a failure's report.
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if ssl_context else "http"
    yield f"{scheme}://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    werkzeug_log.setLevel(level)


@pytest.fixture
def live_server(app, clock) -> Iterator[str]:
    """The app served over HTTP on 127.0.0.1 and a free port, in a thread."""
    yield from _serve(app)


@pytest.fixture
def live_https_server(app, clock) -> Iterator[str]:
    """The app over HTTPS with a throw-away self-signed certificate (open pages in a
    context with ignore_https_errors=True): request.is_secure is true, as behind TLS."""
    yield from _serve(app, ssl_context="adhoc")


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
