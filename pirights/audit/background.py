"""The process's sequencer thread: writers hand their accepted events to it and return.

A writer's transaction commits its events into `audit_pending` (recorder.py) and then only
nudges this thread, so a request pays for one transaction, not two. The thread sequences
whatever has queued since its last pass in one short transaction (sequencer.py), so under
load one pass serves many writers: the batching of a transparency log's sequencer, and
the commits of the two steps share PostgreSQL's WAL flushes.

Nothing is lost if the process dies between the two steps: the accepted events are
committed rows, sequenced by the next pass of any process (a nudge, `pirights worker`'s
loop, or a reader's `catch_up`). One thread per engine and process; it starts at the first
nudge (so after gunicorn forks) and ends after a quiet minute.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref

from sqlalchemy.engine import Engine

from pirights.audit import sequencer

log = logging.getLogger(__name__)
IDLE_EXIT_SECONDS = 60.0
RETRY_SECONDS = 1.0
GATHER_SECONDS = 0.05


class SequencerThread:
    """Sequences the queue whenever nudged, one pass at a time, in a daemon thread."""

    def __init__(self, engine: Engine) -> None:
        """Bound to `engine`; nothing starts until the first nudge."""
        self._engine = weakref.ref(engine)
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    def _running(self) -> bool:
        """Whether this process has the thread alive (a forked child inherits a dead one)."""
        thread = self._thread
        return thread is not None and thread.is_alive() and self._pid == os.getpid()

    def nudge(self) -> None:
        """Ask for a pass soon; starts the thread if this process has none running."""
        self._wake.set()
        if self._running():
            return
        with self._lock:
            if not self._running():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="pirights-audit-sequencer", daemon=True
                )
                self._thread.start()

    def stop(self, seconds: float = 5) -> None:
        """End the thread after its current pass (tests; a disposed engine)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(seconds)
        self._stopping = False

    def started_here(self) -> bool:
        """Whether this process nudged the thread (a forked child inherits the object)."""
        return self._pid == os.getpid()

    def _run(self) -> None:
        """Pass after pass while nudges come; return after a quiet spell."""
        while True:
            if not self._wake.wait(IDLE_EXIT_SECONDS):
                with self._lock:
                    if not self._wake.is_set():  # a nudge racing the exit restarts us
                        self._thread = None
                        return
            # Let the commits of the next few milliseconds join this pass: under load one
            # pass then serves many writers (its CPU and WAL flush are shared), and nobody
            # waits for it (a reader sequences what is queued itself).
            time.sleep(GATHER_SECONDS)
            self._wake.clear()
            engine = self._engine()
            if engine is None or self._stopping:
                return
            try:
                sequencer.sequence_pending(engine, pause=GATHER_SECONDS)
            except Exception as exc:  # the events stay queued; the next pass takes them
                log.warning("audit sequencing failed, retrying: %s", type(exc).__name__)
                self._wake.set()
                time.sleep(RETRY_SECONDS)


_threads: weakref.WeakKeyDictionary[Engine, SequencerThread] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def for_engine(engine: Engine) -> SequencerThread:
    """The sequencer thread of this engine in this process."""
    found = _threads.get(engine)
    if found is None:
        with _registry_lock:
            found = _threads.setdefault(engine, SequencerThread(engine))
    return found


@atexit.register
def _last_pass() -> None:
    """At a clean exit (a gunicorn worker stopping), sequence what this process's
    writers left, rather than leave it for the next pass elsewhere."""
    for engine, thread in list(_threads.items()):
        if thread.started_here():
            try:
                sequencer.sequence_pending(engine)
            except Exception as exc:  # queued events wait for another sequencer
                log.warning("audit events left queued at exit: %s", type(exc).__name__)
