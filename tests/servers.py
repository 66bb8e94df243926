"""`pirights serve` (gunicorn) as a real process for tests that need several workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import TEST_KEY


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Poll /healthz until the server answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise AssertionError("server did not come up in time")


@contextmanager
def serving(database_url: str, folder: Path, workers: int, **env: str) -> Iterator[int]:
    """Run `pirights serve --workers N` on a free port against `database_url`; yields the
    port. The server's output goes to folder/server.log; extra PIRIGHTS_* settings in env."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIRIGHTS_", "PROMETHEUS"))}
    environ.update(
        PIRIGHTS_DATABASE_URL=database_url,
        PIRIGHTS_ENCRYPTION_KEY=TEST_KEY,
        PIRIGHTS_SECRET_KEY="served-in-a-test",
        PIRIGHTS_PUBLIC_RATE_LIMIT="off",
    )
    environ.update(env)
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with (folder / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pirights", *command],
            env=environ,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}", proc)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
