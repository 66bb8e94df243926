"""The pure rules of one-time codes: shape, keyed hash, resend pacing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pirights.verification import codes

NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
RULES = codes.CodeRules()


def keyed(text: str) -> str:
    """A stand-in key: any HMAC works for these properties."""
    import hashlib
    import hmac

    return hmac.new(b"k" * 32, text.encode(), hashlib.sha256).hexdigest()


def test_codes_are_six_digits_with_leading_zeros_kept():
    samples = {codes.new_code() for _ in range(3000)}
    assert all(codes.SHAPE.match(c) for c in samples)
    assert len(samples) > 2900  # random, not a counter
    assert any(c.startswith("0") for c in samples)


def test_the_stored_hash_is_keyed_and_bound_to_the_request():
    stored = codes.code_hash(keyed, 7, "123456")
    assert "123456" not in stored and len(stored) == 64
    assert codes.matches(keyed, 7, "123456", stored)
    assert not codes.matches(keyed, 8, "123456", stored)  # another request's code
    assert not codes.matches(keyed, 7, "123457", stored)


def test_one_code_a_minute():
    assert codes.resend_wait(None, [], NOW, RULES) is None
    assert codes.resend_wait(NOW - timedelta(seconds=20), [], NOW, RULES) == 40
    assert codes.resend_wait(NOW - timedelta(seconds=59.5), [], NOW, RULES) == 1
    assert codes.resend_wait(NOW - timedelta(seconds=60), [], NOW, RULES) is None


def test_five_resends_a_day_on_a_sliding_window():
    five = [NOW - timedelta(hours=h) for h in (23, 10, 5, 2, 1)]
    # The oldest leaves the window in one hour.
    assert codes.resend_wait(five[-1], five, NOW, RULES) == 3600
    assert codes.resend_wait(five[-1], five[1:], NOW, RULES) is None
    old = [NOW - timedelta(hours=25)] * 5
    assert codes.resend_wait(old[-1], old, NOW, RULES) is None
