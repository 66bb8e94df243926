"""The outbox's SMTP sink and worker fixtures, and a local SMS gateway."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.outbox.conftest import smtp, smtp_down, work  # noqa: F401  (fixtures)

SMS_SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM="


class Gateway(ThreadingHTTPServer):
    """An SMS gateway on 127.0.0.1 that records what it is sent and answers `status`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[dict, bytes]] = []
        self.status = 200

    @property
    def url(self) -> str:
        """Where to post."""
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *_args):  # keep test output quiet
        pass


@pytest.fixture
def gateway(app_overrides):
    """A live SMS gateway the app is configured to use."""
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app_overrides["sms"] = {"webhook_url": server.url, "webhook_secret": SMS_SECRET}
    yield server
    server.shutdown()
    server.server_close()


def texts_of(gateway) -> list[dict]:
    """The JSON bodies the gateway received."""
    return [json.loads(body) for _, body in gateway.received]
