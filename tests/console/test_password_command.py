"""`pirights staff password NAME`: the password comes from standard input, never argv."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

from tests.console.conftest import sign_in
from tests.test_cli import cli_env, run_cli  # noqa: F401  (cli_env: a fixture)


def _password(env: dict, name: str, stdin: str) -> subprocess.CompletedProcess:
    """Run the command with `stdin` piped in."""
    return subprocess.run(
        [sys.executable, "-m", "pirights", "staff", "password", name],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_password_from_a_pipe_lets_the_member_sign_in(cli_env, app, client):  # noqa: F811
    assert run_cli("staff", "add", "mei", "--role", "agent", env=cli_env).returncode == 0
    result = _password(cli_env, "mei", "a long enough password\n")
    assert result.returncode == 0, result.stderr
    assert "a long enough password" not in result.stdout + result.stderr
    assert sign_in(client, "mei", "a long enough password").status_code == 303


def test_short_empty_or_unknown_is_refused(cli_env):  # noqa: F811
    run_cli("staff", "add", "mei", "--role", "agent", env=cli_env)
    short = _password(cli_env, "mei", "short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    empty = _password(cli_env, "mei", "")
    assert empty.returncode != 0 and "standard input" in empty.stderr
    unknown = _password(cli_env, "nobody", "a long enough password\n")
    assert unknown.returncode == 1 and "No staff member" in unknown.stderr


def _read_until(fd: int, text: str, timeout: float = 60) -> str:
    """Read a terminal's output until `text` appears."""
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, seen
        seen += os.read(fd, 1024).decode(errors="replace")
    return seen


def test_on_a_terminal_it_asks_twice_without_echo(cli_env, app, client):  # noqa: F811
    run_cli("staff", "add", "mei", "--role", "agent", env=cli_env)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pirights", "staff", "password", "mei"],
        env=cli_env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    try:
        _read_until(master, "New password for mei")
        os.write(master, b"typed on a terminal\n")
        _read_until(master, "Repeat for confirmation")
        os.write(master, b"typed on a terminal\n")
        out = _read_until(master, "password set for mei")
        assert "typed on a terminal" not in out  # never echoed
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        os.close(master)
    assert sign_in(client, "mei", "typed on a terminal").status_code == 303
