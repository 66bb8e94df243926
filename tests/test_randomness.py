"""`pirights.randomness`: the system's random bytes read a block at a time, never handed
out twice, not across threads, not across a fork."""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest

from pirights import randomness


def test_values_have_the_asked_size_and_range():
    assert len(randomness.token_bytes(12)) == 12
    assert len(randomness.token_bytes(randomness.BLOCK)) == randomness.BLOCK  # read directly
    assert all(0 <= randomness.randbits(50) < 2**50 for _ in range(200))
    assert all(0 <= randomness.randbelow(10**6) < 10**6 for _ in range(200))
    assert len(randomness.token_urlsafe(24)) == 32
    with pytest.raises(ValueError):
        randomness.randbelow(0)


def test_draws_do_not_repeat_and_cover_the_range():
    nonces = [randomness.token_bytes(12) for _ in range(5000)]  # crosses several blocks
    assert len(set(nonces)) == len(nonces)
    digits = Counter(randomness.randbelow(10) for _ in range(20000))
    assert set(digits) == set(range(10))
    assert max(digits.values()) < 2600  # about 2000 each; rejection sampling has no bias


def test_threads_get_different_bytes():
    got: dict[int, bytes] = {}

    def draw(n):
        got[n] = randomness.token_bytes(32)

    threads = [threading.Thread(target=draw, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got.values())) == 4


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_gets_the_parents_next_bytes():
    # gunicorn forks its workers: a child that kept the parent's block would hand out the
    # same nonces as the parent (fatal for AES-GCM).
    randomness.token_bytes(12)  # the parent holds a started block
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write, randomness.token_bytes(12))
        finally:
            os._exit(0)
    os.close(write)
    child = os.read(read, 12)
    os.close(read)
    os.waitpid(pid, 0)
    parent = randomness.token_bytes(12)
    assert len(child) == 12 and child != parent
