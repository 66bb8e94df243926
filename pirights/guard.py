"""The generation service's in-process guard (SPEC §15).

A Python generation service embeds this to check every output against the subject
blocklist (§9) without a network round trip per check:

    from pirights.guard import Guard
    guard = Guard("https://pirights.internal", token)   # a `service` staff token
    if guard.check(output_text):
        ...  # withhold or regenerate the output

The guard fetches `GET /api/v1/blocklist` once when it is built (and fails loudly if it
cannot: a service should not start unguarded), then a daemon thread polls with
`If-None-Match` every `poll_seconds`; the server answers 304 while the list is unchanged,
so polling costs one small request. Matching uses the server's own `Matcher` (NFKC,
`str.casefold`, whitespace removed), so a text matches here exactly when it matches on the
server. When a poll fails, the last list stays in force and `last_error` says why; the
service decides, from `age_seconds`, when a list is too old to trust.

Only the standard library is used for HTTP, so embedding the guard adds no dependency
beyond this package.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from pirights.complaints.matching import Matcher

log = logging.getLogger(__name__)

BLOCKLIST_PATH = "/api/v1/blocklist"


class GuardError(Exception):
    """The blocklist could not be fetched (status and reason, never the token)."""


class Guard:
    """A local copy of the blocklist that keeps itself current; `check` is thread-safe."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        poll_seconds: float = 30.0,
        timeout: float = 5.0,
    ) -> None:
        """Fetch the list now; then poll every `poll_seconds` (0: never, call `refresh`)."""
        self._url = base_url.rstrip("/") + BLOCKLIST_PATH
        self._token = token
        self._timeout = timeout
        self._etag: str | None = None
        # Replaced whole, never mutated: a reader sees the old or the new matcher.
        self._matcher = Matcher(())
        self.version: int | None = None
        self.last_error: str | None = None
        self._refreshed_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refresh()
        if poll_seconds > 0:
            self._thread = threading.Thread(
                target=self._poll, args=(poll_seconds,), name="pirights-guard", daemon=True
            )
            self._thread.start()

    def check(self, text: str) -> list[dict[str, Any]]:
        """The blocklisted terms in `text`: `[{id, term}]` as the check endpoint answers."""
        return self._matcher.matches(text)

    def refresh(self) -> bool:
        """Ask the server whether the list changed; True when a new list was loaded."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if self._etag:
            headers["If-None-Match"] = self._etag
        req = urllib.request.Request(self._url, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                body = json.loads(resp.read())
                etag = resp.headers.get("ETag")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                self._refreshed_at = time.monotonic()
                self.last_error = None
                return False
            raise GuardError(f"GET {BLOCKLIST_PATH} answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GuardError(f"GET {BLOCKLIST_PATH} failed: {exc}") from None
        self._matcher = Matcher((item["id"], item["terms"]) for item in body["items"])
        self.version, self._etag = body["version"], etag
        self._refreshed_at = time.monotonic()
        self.last_error = None
        return True

    @property
    def age_seconds(self) -> float:
        """Seconds since the server last confirmed the list (fetched or 304)."""
        return time.monotonic() - self._refreshed_at

    def close(self) -> None:
        """Stop polling (the last list stays usable)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 1)

    def __enter__(self) -> Guard:
        """Use as a context manager to stop polling on exit."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop polling."""
        self.close()

    def _poll(self, every: float) -> None:
        """Refresh until closed; a failure keeps the last list and is retried next time."""
        while not self._stop.wait(every):
            try:
                self.refresh()
            except GuardError as exc:
                self.last_error = str(exc)
                log.warning("blocklist refresh failed; keeping version %s: %s", self.version, exc)
