"""The sealed file format (pirights.files.sealing): round trips at every size around the
segment boundary, and every alteration is refused."""

from __future__ import annotations

import os

import pytest

from pirights.crypto import Cipher
from pirights.files.sealing import HEADER, SEGMENT, TAG, Tampered, seal, unseal

A = Cipher(b"a" * 32)
B_WITH_A = Cipher(b"b" * 32, old_keys=[b"a" * 32])


def sealed(cipher: Cipher, data: bytes, chunk: int = 1000) -> bytes:
    """`data` sealed, fed in chunks of `chunk` bytes."""
    return b"".join(seal(cipher, (data[i : i + chunk] for i in range(0, len(data), chunk))))


def opened(cipher: Cipher, blob: bytes, chunk: int = 777) -> bytes:
    """`blob` unsealed, read in chunks of `chunk` bytes."""
    return b"".join(unseal(cipher, (blob[i : i + chunk] for i in range(0, len(blob), chunk))))


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 5])
def test_round_trip(size):
    data = os.urandom(size)
    blob = sealed(A, data, chunk=4096)
    segments = max(1, -(-size // SEGMENT))
    assert len(blob) == HEADER + size + segments * TAG
    assert opened(A, blob) == data
    assert opened(B_WITH_A, blob) == data  # an old key still opens it


def test_each_file_has_its_own_key():
    data = b"same content" * 100
    assert sealed(A, data) != sealed(A, data)


@pytest.mark.parametrize(
    "alter",
    [
        lambda b: b[:-1],  # cut at the end
        lambda b: b[: HEADER + SEGMENT + TAG],  # the last segments dropped
        lambda b: b[:HEADER] + b[HEADER + SEGMENT + TAG :],  # the first segment dropped
        lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:],  # a flipped bit
        lambda b: b[:8] + bytes(32) + b[40:],  # another salt in the header
        lambda b: b[: HEADER - 1],  # not even a header
    ],
    ids=["truncated", "dropped-tail", "dropped-head", "bit-flip", "salt", "short-header"],
)
def test_alterations_are_refused(alter):
    blob = sealed(A, os.urandom(2 * SEGMENT + 10))
    with pytest.raises(Tampered):
        opened(A, alter(blob))


def test_unknown_key_is_refused():
    with pytest.raises(Tampered, match="key"):
        opened(Cipher(b"c" * 32), sealed(A, b"secret"))
