"""The in-process memory of tokens that authenticated (staff/token_cache.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from pirights.staff import token_cache
from pirights.staff.identity import Identity

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_a_lookup_that_began_before_a_revocation_does_not_put_the_token_back():
    """Revocation in this process takes effect at once, even against a lookup in flight:
    it read the token before the revoke committed, and must not cache it after."""
    who = Identity(id=1, name="dora", role="agent", active=True, created_at=NOW, system_id=None)
    seen = token_cache.generation()  # a lookup starts and reads the token...
    token_cache.clear()  # ...a revocation commits in this process...
    token_cache.put("db", "hash", who, None, NOW, seen)  # ...then the lookup finishes
    assert token_cache.get("db", "hash", NOW) is None
    token_cache.put("db", "hash", who, None, NOW, token_cache.generation())
    assert token_cache.get("db", "hash", NOW) == who
    token_cache.clear()
