"""Settings of the console (SPEC §13): optional OpenID Connect single sign-on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pirights.config import ConfigError

CLAIMS = ("email", "preferred_username", "sub")


@dataclass(frozen=True)
class ConsoleSettings:
    """`[console]`: the OpenID provider (empty issuer: single sign-on is off)."""

    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_claim: str = "email"

    @property
    def oidc_enabled(self) -> bool:
        """Whether the sign-in page offers single sign-on."""
        return bool(self.oidc_issuer)


def load(raw: dict[str, Any]) -> ConsoleSettings:
    """Read `[console]`; an issuer without a client id, or an unknown claim, stops start-up."""
    section = raw.get("console", {}) or {}
    values = {}
    for key in ("oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_claim"):
        value = section.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"console.{key}: must be a string, got {value!r}")
        values[key] = value.strip()
    values["oidc_claim"] = values["oidc_claim"] or "email"
    if values["oidc_claim"] not in CLAIMS:
        raise ConfigError(f"console.oidc_claim: must be one of {', '.join(CLAIMS)}")
    issuer = values["oidc_issuer"].rstrip("/")
    if issuer and not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigError("console.oidc_issuer: must be an https:// URL (or a local http one)")
    for key in ("oidc_client_id", "oidc_client_secret"):
        # The console is a confidential client: the server keeps the secret, and the code
        # exchange is authenticated with it besides PKCE.
        if issuer and not values[key]:
            raise ConfigError(f"console.{key}: needed when console.oidc_issuer is set")
    values["oidc_issuer"] = issuer
    return ConsoleSettings(**values)
