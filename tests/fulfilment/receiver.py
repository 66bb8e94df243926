"""A real webhook receiver on 127.0.0.1 (http.server in a thread) that checks every
signature on its own, with the `standardwebhooks` reference package and with a plain HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    """One POST as the receiver saw it."""

    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict:
        """The parsed body."""
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks message id."""
        return self.headers["webhook-id"]


def hmac_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The signature recomputed from the specification's formula, nothing from pirights."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(want, s) for s in headers["webhook-signature"].split())


def reference_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The reference package's signature for the same id, timestamp and body."""
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
    want = Webhook(secret).sign(headers["webhook-id"], at, body.decode())
    return want in headers["webhook-signature"].split()


@dataclass
class Receiver:
    """Answers each POST with the next planned status (200 once the plan runs out); a plan
    entry "hang" waits `hang_seconds` before answering 200."""

    secret: str = ""
    plan: list = field(default_factory=list)
    hang_seconds: float = 5.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Where to send webhooks."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pirights"

    def record(self, headers: dict[str, str], body: bytes) -> int | str:
        """Keep what came and decide the answer."""
        ok = bool(self.secret) and hmac_ok(self.secret, headers, body)
        ok = ok and reference_ok(self.secret, headers, body)
        with self.lock:
            self.received.append(Received(headers, body, ok))
            return self.plan.pop(0) if self.plan else 200

    def start(self) -> Receiver:
        """Listen on a free port in a daemon thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as production receivers do

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = receiver.record({k.lower(): v for k, v in self.headers.items()}, body)
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 200
                self.send_response(int(answer))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
