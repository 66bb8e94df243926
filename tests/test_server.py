"""`pirights serve`'s worker set-up (pirights/server.py)."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture
def collector():
    """Give the test process its collector back as it was."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_worker_builds_its_app_then_tunes_the_collector(collector, monkeypatch):
    import pirights
    from pirights import server

    built = object()
    monkeypatch.setattr(pirights, "create_app", lambda: built)
    gc.set_threshold(700, 10, 10)  # CPython's default
    app = server._Gunicorn({"bind": "127.0.0.1:0", "workers": 1}).load()
    assert app is built
    assert gc.get_threshold() == server.GC_THRESHOLDS
    # what the app holds is out of every later collection's walk
    assert gc.get_freeze_count() > 0
