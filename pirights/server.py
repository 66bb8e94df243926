"""Production serving with gunicorn (SPEC §2 `pirights serve`)."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    """Gunicorn with options from the command line; each worker builds its own app."""

    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Hand our options to gunicorn's settings."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Create the app in the worker (no state is shared between workers)."""
        from pirights import create_app

        app = create_app()
        tune_collector()
        return app


# The cyclic garbage collector's thresholds in a worker (CPython's default: 700, 10, 10).
# A request allocates thousands of objects (Flask, SQLAlchemy, marshmallow), so at 700 the
# youngest generation was collected several times per request, and the older ones, which
# walk the app's 100 000-odd long-lived objects, every few requests: 3-4 % of a public
# submission's CPU (issue 17). Cycles are still collected, a few requests later.
GC_THRESHOLDS = (20_000, 20, 20)


def tune_collector() -> None:
    """Set the worker's collector for serving: what exists once the app is built lives as
    long as the worker, so it is frozen out of every later collection (gc.freeze), and
    the youngest generation is collected every GC_THRESHOLDS[0] allocations."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def metrics_dir() -> str:
    """An empty PROMETHEUS_MULTIPROC_DIR, set before the workers fork (pirights.metrics):
    the operator's, wiped as prometheus_client requires, or a new temporary one."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, mode=0o700, exist_ok=True)
    else:
        path = tempfile.mkdtemp(prefix="pirights-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _worker_exit(_server, worker) -> None:
    """Drop a dead worker's live gauges (prometheus_client's multiprocess protocol)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run(host: str, port: int, workers: int, threads: int = 8) -> None:
    """Serve until stopped: `workers` processes of `threads` threads (gthread)."""
    metrics_dir()
    _Gunicorn(
        {
            "child_exit": _worker_exit,
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "accesslog": None,
            "timeout": 60,
        }
    ).run()
