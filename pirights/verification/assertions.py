"""Account assertions (SPEC §12.1): an app that embeds the channel vouches for its user.

The app signs a short-lived HS256 JWT whose `sub` is the account id; a valid one whose
`sub` equals the submission's `requester.account_id` makes the request verified at
creation, method `account_login`. Pure: the caller passes the secret and the time.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import jwt

AUDIENCE = "pirights"
ALGORITHM = "HS256"
MAX_LIFETIME = timedelta(minutes=10)
LEEWAY = timedelta(seconds=30)
FIELD = "identity_assertion"


class AssertionRefused(ValueError):
    """The assertion does not prove the account; the message says why (no claim values)."""


def check(token: str, account_id: str | None, secret: str, now: datetime) -> None:
    """Raise AssertionRefused unless `token` proves `account_id` at `now`.

    Checks, in order: a secret is configured, the submission names an account, the
    signature (HS256 only, so `alg: none` or RS/HS confusion cannot pass), `aud`, `iat`
    and `exp` present and valid with 30 s leeway, a lifetime of at most 10 minutes, and
    `sub` equal to the account id (compared in constant time).
    """
    if not secret:
        raise AssertionRefused(
            "identity assertions are not accepted: the deployment has not configured "
            "PIRIGHTS_IDENTITY_ASSERTION_SECRET"
        )
    if not account_id:
        raise AssertionRefused("an identity assertion needs requester.account_id")
    try:
        # PyJWT would read the wall clock for exp/iat; the time claims are checked below
        # against `now` instead, so the rule is testable and uses the request's instant.
        claims = jwt.decode(
            token,
            secret.encode("utf-8"),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={
                "require": ["sub", "aud", "iat", "exp"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidAudienceError:
        raise AssertionRefused('the identity assertion is not for audience "pirights"') from None
    except jwt.MissingRequiredClaimError as exc:
        raise AssertionRefused(f"the identity assertion has no {exc.claim!r} claim") from None
    except jwt.InvalidTokenError:
        raise AssertionRefused(
            "the identity assertion is not a valid HS256 JWT signed with the shared secret"
        ) from None
    _check_times(claims, now)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _same(sub, account_id):
        raise AssertionRefused("the identity assertion is for another account")


def _check_times(claims: dict, now: datetime) -> None:
    """iat not in the future, exp not past, exp at most 10 minutes after iat (30 s leeway)."""
    iat, exp = claims.get("iat"), claims.get("exp")
    if not _number(iat) or not _number(exp):
        raise AssertionRefused("the identity assertion's iat and exp must be numbers")
    stamp, leeway = now.timestamp(), LEEWAY.total_seconds()
    if iat > stamp + leeway:
        raise AssertionRefused("the identity assertion was issued in the future")
    if exp < stamp - leeway:
        raise AssertionRefused("the identity assertion has expired")
    if exp - iat > MAX_LIFETIME.total_seconds():
        raise AssertionRefused("the identity assertion lives longer than 10 minutes")
    nbf = claims.get("nbf")
    if nbf is not None and (not _number(nbf) or nbf > stamp + leeway):
        raise AssertionRefused("the identity assertion is not valid yet")


def _number(value: object) -> bool:
    """An int or float claim (bool is an int in Python, and not a time)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: str, b: str) -> bool:
    """Constant-time string equality."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )
