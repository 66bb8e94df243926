"""Random bytes from the operating system's CSPRNG, read a block at a time.

The hot path needs a dozen small random values per public submission (the reference, the
tracking token, the code, a nonce per encrypted field). `secrets` reads the system's source
once per value, and every read lets go of the interpreter lock: in a threaded server each
release is a wait to get it back behind the other threads. Measured through `pirights
serve` with 8 threads, ten such reads cost 0.45 ms of a 3.2 ms submission (issue 17,
README). Here each thread reads BLOCK bytes at once and hands them out in order, never
twice: a block is private to its thread, and a forked child (gunicorn's workers) starts
with none, so no two processes share bytes (which for AES-GCM nonces would be fatal).
The bytes are the operating system's, unchanged; only the number of reads differs.
"""

from __future__ import annotations

import base64
import os
import threading

BLOCK = 4096

_local = threading.local()
# Bumped in a forked child, where the forking thread's block is the parent's too.
_generation = 0


def _forked() -> None:
    """Forget every block taken before the fork."""
    global _generation
    _generation += 1


os.register_at_fork(after_in_child=_forked)


def token_bytes(n: int) -> bytes:
    """n random bytes, as secrets.token_bytes(n)."""
    if n > BLOCK // 4:
        return os.urandom(n)
    block = getattr(_local, "block", None)
    pos = getattr(_local, "pos", 0)
    if block is None or _local.generation != _generation or pos + n > len(block):
        block, pos = os.urandom(BLOCK), 0
        _local.block, _local.generation = block, _generation
    _local.pos = pos + n
    return block[pos : pos + n]


def randbits(k: int) -> int:
    """A non-negative int of k random bits, as secrets.randbits(k)."""
    return int.from_bytes(token_bytes((k + 7) // 8), "big") >> (-k % 8)


def randbelow(n: int) -> int:
    """A random int in [0, n), uniform (rejection sampling), as secrets.randbelow(n)."""
    if n <= 0:
        raise ValueError("randbelow needs a positive bound")
    k = n.bit_length()
    while True:
        value = randbits(k)
        if value < n:
            return value


def token_urlsafe(n: int) -> str:
    """n random bytes as URL-safe base64 without padding, as secrets.token_urlsafe(n)."""
    return base64.urlsafe_b64encode(token_bytes(n)).rstrip(b"=").decode("ascii")
