"""Rate limits on everything the public can reach (SPEC §8.3).

Two limits, both kept in the configured storage (`limits.storage`: `redis://…` so that
every app server shares one count; in-process memory otherwise):

- per client address, one shared budget (`public.rate_limit`, e.g. `20/hour`) across the
  public JSON API and the HTML pages; staff endpoints (the API's and the console's),
  /healthz, the OpenAPI document and static assets are not counted;
- per client address and request reference, FOLLOW_UP_FAILURES failed follow-ups (404:
  unknown reference or wrong tracking token). Only failures count; once an address has
  spent its budget on a reference, its follow-ups of that reference wait (a correct token
  too, or the limit would still answer the guesser's question). Counting per address as
  well as per reference means a stranger's wrong guesses cannot lock the owner out of
  their own request; a guesser with many addresses still meets the per-address budget
  above, and a 192-bit token is not guessable anyway.

A breach is a 429 problem+json with Retry-After. `public.rate_limit = "off"` disables both.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse as parse_limit
from limits.strategies import RateLimiter

from pirights.errors import HTTP_DETAILS, problem
from pirights.requests.references import normalise_reference

FOLLOW_UP_FAILURES = "10/hour"
PUBLIC_API = "/api/v1/public/"
# The staff console is not public: its pages need a session, and its sign-in spends the
# failed-authentication budget of staff/throttle.py instead.
NOT_PUBLIC = ("/api/", "/healthz", "/console/")
EXTENSION = "pirights_limits"


def is_public(path: str, endpoint: str | None) -> bool:
    """True for the public JSON API and the HTML pages, but not their static files."""
    if endpoint is not None and (endpoint == "static" or endpoint.endswith(".static")):
        return False
    return path.startswith(PUBLIC_API) or not path.startswith(NOT_PUBLIC)


def _exempt() -> bool:
    """Flask-Limiter's exemption hook: only public requests are counted."""
    return not is_public(request.path, request.endpoint)


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


def too_many(seconds: float) -> Response:
    """The 429 problem with its Retry-After."""
    return problem(
        429,
        "Too many requests",
        HTTP_DETAILS[429],
        slug="rate-limited",
        headers={"Retry-After": retry_after(seconds)},
    )


def _on_breach(limit: RequestLimit) -> Response:
    """Flask-Limiter's breach callback: our own problem response, with Retry-After."""
    return too_many(limit.reset_at - time.time())


def handle_rate_limited(exc: RateLimitExceeded) -> Response:
    """Serve the response built on breach (Flask would otherwise map it generically)."""
    if exc.response is not None:
        return exc.response
    return too_many(60)


class FollowUpGuard:
    """Counts failed follow-ups per reference and refuses more once the budget is spent."""

    def __init__(self, limiter: Limiter, rate: str) -> None:
        self._limiter = limiter
        self._item = parse_limit(rate)

    @property
    def _strategy(self) -> RateLimiter:
        """The limits strategy behind Flask-Limiter, sharing its storage."""
        return self._limiter.limiter

    @staticmethod
    def reference() -> str | None:
        """The counter key of a public follow-up: the client address and the reference it
        names (in the URL, or in the status form)."""
        if not is_public(request.path, request.endpoint):
            return None
        ref = (request.view_args or {}).get("reference")
        if ref is None and request.method == "POST" and not request.path.startswith("/api/"):
            ref = request.form.get("reference")
        if not isinstance(ref, str) or not ref.strip():
            return None
        # Hash, so storage keys stay short and hold nothing a person typed.
        normal = normalise_reference(ref).encode("utf-8", "backslashreplace")
        return f"{get_remote_address()}/{hashlib.sha256(normal).hexdigest()[:32]}"

    def before(self) -> Response | None:
        """429 while this reference's failure budget is spent."""
        key = self.reference()
        if key is None:
            return None
        try:
            if self._strategy.test(self._item, "follow-up-failures", key):
                return None
            reset_at, _remaining = self._strategy.get_window_stats(
                self._item, "follow-up-failures", key
            )
        except Exception:  # storage down: serving beats refusing (Redis outage)
            current_app.logger.warning("rate-limit storage unavailable", exc_info=True)
            return None
        return too_many(reset_at - time.time())

    def after(self, response: Response) -> Response:
        """Count a failed follow-up (404) against its reference."""
        if response.status_code == 404:
            key = self.reference()
            if key is not None:
                try:
                    self._strategy.hit(self._item, "follow-up-failures", key)
                except Exception:
                    current_app.logger.warning("rate-limit storage unavailable", exc_info=True)
        return response


def init_app(app: Flask) -> None:
    """Install both limits unless `public.rate_limit` is "off"."""
    settings = app.config["PIRIGHTS"]
    rate = settings.public_rate_limit
    if rate.lower() == "off":
        return
    limiter = Limiter(
        get_remote_address,
        application_limits=[rate],
        application_limits_exempt_when=_exempt,
        storage_uri=settings.ratelimit_storage or "memory://",
        strategy="moving-window",
        headers_enabled=False,
        on_breach=_on_breach,
        swallow_errors=True,
        key_prefix="pirights",
    )
    limiter.init_app(app)
    guard = FollowUpGuard(limiter, FOLLOW_UP_FAILURES)
    app.before_request(guard.before)
    app.after_request(guard.after)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.extensions[EXTENSION] = limiter
