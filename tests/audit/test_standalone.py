"""The standalone verifier (SPEC §6): Python's standard library and two files, nothing else."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pirights.audit
from tests.audit.helpers import EXPORT, write_lines

AUDIT_DIR = Path(pirights.audit.__file__).resolve().parent


@pytest.fixture
def verifier(tmp_path) -> Path:
    """standalone.py and chain.py copied away from the package, as a regulator gets them."""
    folder = tmp_path / "verifier"
    folder.mkdir()
    for name in ("standalone.py", "chain.py"):
        shutil.copy(AUDIT_DIR / name, folder / name)
    return folder / "standalone.py"


def run(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -I -S script ARGS`: isolated, no site-packages, so pirights cannot be found."""
    return subprocess.run(
        [sys.executable, "-I", "-S", str(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


@pytest.fixture
def exports(client, auth, submit, tmp_path) -> dict[str, Path]:
    """A JSONL and a CSV export of a small history."""
    headers = auth("auditor")
    for _ in range(3):
        client.get(f"/api/v1/requests/{submit()['reference']}", headers=headers)
    files = {}
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"audit.{fmt}"
        path.write_bytes(client.get(f"{EXPORT}?format={fmt}", headers=headers).get_data())
        files[fmt] = path
    return files


def test_the_isolated_interpreter_cannot_import_pirights(verifier, tmp_path):
    probe = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import pirights"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_standalone_verifies_an_export(verifier, exports, fmt, tmp_path):
    result = run(verifier, str(exports[fmt]), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # The CSV export also holds the audit.exported event of the JSONL one.
    assert result.stdout.strip() == f"OK {7 if fmt == 'jsonl' else 8} events"


def test_standalone_in_the_package_runs_too(exports, tmp_path):
    result = run(AUDIT_DIR / "standalone.py", str(exports["jsonl"]), cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "OK 7 events", result.stderr


def test_standalone_finds_a_changed_event(verifier, exports, tmp_path):
    lines = exports["jsonl"].read_text(encoding="utf-8").splitlines()
    event = json.loads(lines[4])
    event["at"] = event["at"].replace("T", "T0", 1)[: len(event["at"])]
    lines[4] = json.dumps(event, ensure_ascii=False)
    write_lines(exports["jsonl"], lines)
    result = run(verifier, str(exports["jsonl"]), cwd=tmp_path)
    assert result.returncode == 1
    assert "first bad seq 5" in result.stdout


def test_standalone_refuses_unreadable_input(verifier, tmp_path):
    result = run(verifier, str(tmp_path / "missing.jsonl"), cwd=tmp_path)
    assert result.returncode == 2
    assert run(verifier, cwd=tmp_path).returncode == 2


def test_standalone_source_imports_nothing_from_pirights():
    source = (AUDIT_DIR / "standalone.py").read_text(encoding="utf-8")
    chain_source = (AUDIT_DIR / "chain.py").read_text(encoding="utf-8")
    assert "import pirights" not in source and "from pirights" not in source
    assert "pirights." not in chain_source.split('"""', 2)[2]
