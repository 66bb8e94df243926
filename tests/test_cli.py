"""The `pirights` command line (§2), run as a real process where it matters."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pirights.staff import token_cache
from tests.conftest import TEST_KEY


def run_cli(*args: str, env: dict, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m pirights ARGS` with the given environment."""
    return subprocess.run(
        [sys.executable, "-m", "pirights", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli_env(database_url) -> dict:
    """Environment pointing the CLI at this test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    env.update(
        PIRIGHTS_DATABASE_URL=database_url,
        PIRIGHTS_ENCRYPTION_KEY=TEST_KEY,
        PIRIGHTS_PUBLIC_RATE_LIMIT="off",
    )
    return env


def test_db_upgrade_creates_the_sqlite_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    db = tmp_path / "fresh.sqlite3"
    env.update(PIRIGHTS_DATABASE_URL=f"sqlite:///{db}", PIRIGHTS_ENCRYPTION_KEY=TEST_KEY)
    result = run_cli("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_staff_add_prints_token_last_and_revoke(cli_env, app, client, submit, auth, clock):
    result = run_cli("staff", "add", "dora", "--role", "supervisor", env=cli_env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("pir_") and len(token) >= 40
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/requests", headers=headers).status_code == 200
    again = run_cli("staff", "add", "dora", "--role", "agent", env=cli_env)
    assert again.returncode != 0 and "already exists" in again.stderr
    bad = run_cli("staff", "add", "eve", "--role", "king", env=cli_env)
    assert bad.returncode != 0
    ref, admin = submit()["reference"], auth("admin")
    assign = f"/api/v1/requests/{ref}/assign"
    assert client.post(assign, json={"assignee": "dora"}, headers=admin).status_code == 200
    revoked = run_cli("staff", "revoke", "dora", env=cli_env)
    assert revoked.returncode == 0 and "1 token" in revoked.stdout
    # Revoked by another process: this one remembers the token for token_cache.TTL after
    # it last looked it up (at the first GET, on the frozen clock), then refuses it.
    assert client.get("/api/v1/requests", headers=headers).status_code == 200
    clock.set(clock() + token_cache.TTL)
    assert client.get("/api/v1/requests", headers=headers).status_code == 401
    # Revoked means deactivated: no longer someone requests can be given to.
    refused = client.post(assign, json={"assignee": "dora"}, headers=admin)
    assert refused.status_code == 422 and "assignee" in refused.get_json()["errors"]
    with app.app_context():
        from pirights.extensions import db
        from pirights.staff.models import Staff

        assert db.session.query(Staff).filter_by(name="dora").one().active is False
    missing = run_cli("staff", "revoke", "nobody", env=cli_env)
    assert missing.returncode != 0 and "nobody" in missing.stderr


def test_keys_generate_prints_a_usable_key():
    result = subprocess.run(
        [sys.executable, "-m", "pirights", "keys", "generate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert len(base64.urlsafe_b64decode(result.stdout.strip())) == 32


def test_bad_configuration_exits_cleanly(cli_env):
    result = run_cli("staff", "revoke", "x", env={**cli_env, "PIRIGHTS_PORT": "eighty"})
    assert result.returncode == 1
    assert "server.port" in result.stderr and "Traceback" not in result.stderr


def _free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_gunicorn_with_workers(cli_env):
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pirights",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200 and b'"ok"' in r.read()
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert "gunicorn" in output.lower() or "Booting worker" in output


def test_every_command_of_spec_section_2_is_there():
    """Each package owns its group; the root gathers them all (SPEC §2, README table)."""
    import click

    from pirights.cli import main

    def tree(group: click.Group, prefix: str = "") -> set[str]:
        names = set()
        for name, command in group.commands.items():
            names.add(prefix + name)
            if isinstance(command, click.Group):
                names |= tree(command, f"{prefix}{name} ")
        return names

    assert tree(main) >= {
        "db upgrade",
        "db downgrade",
        "serve",
        "staff add",
        "staff revoke",
        "staff tokens",
        "staff revoke-token",
        "sweep",
        "deadlines recompute",
        "audit export",
        "audit verify",
        "audit keygen",
        "keys generate",
        "keys rotate",
        "purge",
        "worker",
    }


def test_domain_modules_import_no_command_line_code():
    """Only `cli.py` modules import the CLI leaf, and no domain module imports the root."""
    import ast

    root = Path(__file__).resolve().parents[1] / "pirights"
    offenders = []
    for path in root.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
        cli_imports = {n for n in names if n == "pirights.cli" or n.endswith(".cli")}
        cli_imports |= {n for n in names if n.startswith("pirights.cli_app")}
        allowed = path.name in ("cli.py", "__main__.py")
        if cli_imports and not allowed:
            offenders.append((str(path.relative_to(root)), sorted(cli_imports)))
        if path.name == "cli.py" and path.parent != root and "pirights.cli" in names:
            offenders.append((str(path.relative_to(root)), ["pirights.cli"]))
    assert offenders == []
