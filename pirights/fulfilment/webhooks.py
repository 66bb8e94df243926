"""The `webhook` channel of the outbox: signed POSTs to the systems' endpoints (SPEC §14).

The outbox row holds the task's body (encrypted) and its `webhook-id`; the URL and the
secret are read from the system when sending, so fixing a system's URL fixes its retries.
Sends of one batch run in parallel, each over a kept-alive connection of its thread, so
one slow system does not hold the others up and a batch stays well inside the outbox lease.
Nothing here logs: the bodies name people.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from pirights import clock
from pirights.extensions import db
from pirights.fulfilment.models import System
from pirights.fulfilment.settings import WebhookSettings
from pirights.fulfilment.settings import load as load_settings
from pirights.outbox.service import Claimed, Result
from pirights.outbox.signing import headers as signed_headers

USER_AGENT = "pirights-webhooks/1"


@dataclass(frozen=True)
class Target:
    """Where and with what secret one system's webhooks go."""

    url: str
    secret: str


def targets(system_ids: set[int]) -> dict[int, Target]:
    """The systems' current URLs and secrets, read in one short transaction."""
    with db.unit_of_work() as s:
        rows = s.scalars(select(System).where(System.id.in_(system_ids)))
        return {r.id: Target(r.webhook_url, r.secret) for r in rows}


class Connections(threading.local):
    """Each sending thread's open connections, by (scheme, host, port)."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, str, int], http.client.HTTPConnection] = {}


class WebhookTransport:
    """Sends a batch of `webhook` messages; one Result (error, HTTP status, ms) each."""

    def __init__(self, settings: WebhookSettings, now: Callable[[], datetime] | None = None):
        """Remember the timeouts; the pool of sending threads is made once."""
        self.settings = settings
        self.now = now or (lambda: clock.now())
        self.pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="webhook")
        self.connections = Connections()
        self.tls = ssl.create_default_context()

    def __call__(self, batch: Sequence[Claimed]) -> list[Result]:
        """Send every message of the batch; a transport never raises for one message."""
        found = targets({int(item.payload["system_id"]) for item in batch})
        jobs = [(item, found.get(int(item.payload["system_id"]))) for item in batch]
        return list(self.pool.map(lambda job: self.send(*job), jobs))

    def send(self, item: Claimed, target: Target | None) -> Result:
        """One signed POST; any non-2xx answer or network failure is an error to retry."""
        if target is None:
            return Result("SystemMissing")
        body = item.payload["body"].encode("utf-8")
        sent = signed_headers(target.secret, item.payload["webhook_id"], self.now(), body)
        sent |= {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        started = time.perf_counter()
        try:
            status = self.post(target.url, body, sent)
        except TimeoutError:
            return Result("Timeout", self.timing(started))
        except (OSError, http.client.HTTPException) as exc:
            return Result(type(exc).__name__, self.timing(started))
        info = self.timing(started) | {"http_status": status}
        return Result(None if 200 <= status < 300 else f"HTTP {status}", info)

    @staticmethod
    def timing(started: float) -> dict[str, int]:
        """The attempt's duration in milliseconds."""
        return {"duration_ms": round((time.perf_counter() - started) * 1000)}

    def post(self, url: str, body: bytes, sent: dict[str, str]) -> int:
        """POST over this thread's kept-alive connection; reconnect once if it went stale."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, parts.hostname or "", port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        reused = key in self.connections.open
        try:
            return self.exchange(self.connection(key), path, body, sent)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.drop(key)
            if not reused:
                raise
            # The server closed an idle kept-alive connection; the receiver dedups by
            # webhook-id anyway, so one fresh attempt is safe.
            return self.exchange(self.connection(key), path, body, sent)
        except BaseException:
            self.drop(key)
            raise

    def exchange(
        self, conn: http.client.HTTPConnection, path: str, body: bytes, sent: dict[str, str]
    ) -> int:
        """Send and read the whole answer (its content is not kept)."""
        conn.request("POST", path, body=body, headers=sent)
        resp = conn.getresponse()
        resp.read()
        if resp.will_close:
            conn.close()
        return resp.status

    def connection(self, key: tuple[str, str, int]) -> http.client.HTTPConnection:
        """This thread's open connection to `key`, connecting with the connect timeout and
        then waiting for answers with the read timeout."""
        conn = self.connections.open.get(key)
        if conn is not None and conn.sock is not None:
            return conn
        scheme, host, port = key
        timeout = self.settings.connect_timeout_seconds
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self.tls)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.connect()
        except BaseException:
            conn.close()
            raise
        conn.sock.settimeout(self.settings.read_timeout_seconds)
        self.connections.open[key] = conn
        return conn

    def drop(self, key: tuple[str, str, int]) -> None:
        """Close and forget this thread's connection to `key`."""
        conn = self.connections.open.pop(key, None)
        if conn is not None:
            conn.close()


def factory(app: Flask) -> WebhookTransport:
    """The transport the worker uses for the `webhook` channel (outbox.register_transport)."""
    return WebhookTransport(load_settings(app.config["PIRIGHTS"].raw))
