"""Which webhook URLs a system may register: pure checks, no network."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MAX_URL = 2048


def is_loopback(host: str) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1 (SPEC §14), where plain HTTP is allowed."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, allow_http: bool = False) -> str | None:
    """Why `url` cannot receive webhooks, or None when it can.

    HTTPS everywhere (the body names a person), except loopback hosts, where traffic never
    leaves the machine, or when the deployment's `webhooks.allow_http` setting says so.
    Credentials in the URL are refused: they would be stored and shown in clear.
    """
    if len(url) > MAX_URL:
        return f"a webhook URL has at most {MAX_URL} characters"
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute https:// URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password; the signature authenticates us"
    if parts.fragment:
        return "must not have a #fragment"
    if parts.scheme == "http" and not (allow_http or is_loopback(host)):
        return "must use https:// (plain http:// only on localhost, 127.0.0.0/8 or ::1)"
    return None
