"""The files of the console's audit page: a signed export as one streamed ZIP, and the
verification of an uploaded export (SPEC §6), both through the audit package's own code.

A signed export must carry a signature over bytes that are still being streamed, so the
API answers a manifest plus a URL of the bytes. A browser wants one download instead: a
ZIP whose first member is the export (JSONL or CSV, exactly the bytes the API and CLI
write), streamed as the rows are read, followed by the manifest signed over those bytes
and the public key, named as `pirights audit verify FILE --key KEY` expects them. The
ZIP is written to a non-seekable sink (sizes go into data descriptors), so nothing but
one batch of rows is held in memory.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from flask_babel import gettext as _
from sqlalchemy.engine import Engine

from pirights.audit import export, service, signing, standalone, verify
from pirights.audit.signing import Ed25519PrivateKey

PUBLIC_KEY_NAME = "audit-signing.pub"
MANIFEST_SUFFIX = ".manifest.json"
# An uploaded ZIP may hold at most this much once unpacked (a ZIP bomb stops here).
UNPACKED_LIMIT = 4 * 1024**3
COPY_CHUNK = 1024 * 1024


def export_name(window: export.Window, fmt: str) -> str:
    """The export's file name, as the API names it: audit-FIRST-LAST.FORMAT."""
    return f"audit-{window.first_seq}-{window.last_seq}.{fmt}"


class _Sink:
    """A write-only file for ZipFile that hands over what was written since last asked."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        """Keep a copy of `data` until the next take()."""
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: take() hands the bytes over."""

    def take(self) -> bytes:
        """Everything written since the last call."""
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def signed_zip(
    engine: Engine, window: export.Window, fmt: str, key: Ed25519PrivateKey
) -> Iterator[bytes]:
    """The ZIP of the window's export, its signed manifest and the public key, streamed."""
    name = export_name(window, fmt)
    summary = export.Summary()
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        with archive.open(name, "w", force_zip64=True) as member:
            rows = summary.batches(export.iter_batches(engine, window.first_seq, window.last_seq))
            for chunk in summary.chunks(export.encode(rows, fmt)):
                member.write(chunk)
                if out := sink.take():
                    yield out
        document = service.sign_summary(summary, fmt=fmt, window=window, key=key, file=name)
        archive.writestr(name + MANIFEST_SUFFIX, json.dumps(document, indent=2) + "\n")
        archive.writestr(PUBLIC_KEY_NAME, signing.public_pem(key))
    yield sink.take()


class UploadRefused(ValueError):
    """An upload that cannot be verified at all (not an export, a broken ZIP, ...)."""


@dataclass(frozen=True)
class Outcome:
    """What the verification of an upload found, and what it checked."""

    verdict: verify.Verdict
    file_name: str
    signature_checked: bool = False
    key_from_archive: bool = False  # checked with the key shipped inside the upload itself


def _save(stream: IO[bytes], path: Path) -> None:
    """Copy an uploaded stream to `path` a chunk at a time."""
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, COPY_CHUNK)


def _unpack(archive_path: Path, into: Path) -> dict[str, Path]:
    """Extract the ZIP's regular members by base name, refusing oversized contents."""
    found: dict[str, Path] = {}
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in members) > UNPACKED_LIMIT:
                raise UploadRefused(_("The ZIP unpacks to more than 4 GiB."))
            for info in members:
                base = PurePosixPath(info.filename).name
                if not base or base in found:
                    continue
                target = into / f"m{len(found)}-{base}"
                with archive.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, COPY_CHUNK)
                found[base] = target
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise UploadRefused(_("The ZIP cannot be read: %(why)s", why=exc)) from None
    return found


def _pick_export(members: dict[str, Path]) -> tuple[str, Path]:
    """The one export (.jsonl or .csv) in an unpacked ZIP."""
    exports = [n for n in members if n.endswith((".jsonl", ".csv"))]
    if len(exports) != 1:
        raise UploadRefused(_("The ZIP must hold exactly one export file (.jsonl or .csv)."))
    return exports[0], members[exports[0]]


def verify_upload(
    upload: IO[bytes],
    file_name: str,
    *,
    manifest: IO[bytes] | None = None,
    public_key: bytes | None = None,
) -> Outcome:
    """Verify an uploaded export with the same code as `pirights audit verify`.

    The upload is a JSONL or CSV export, or a ZIP as signed_zip() makes. A manifest (in
    the ZIP or given) is checked with `public_key` when one is given (this server's key),
    else with the key in the ZIP. Raises UploadRefused for what cannot be verified at all.
    """
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pirights-verify-")))
        saved = folder / "upload"
        _save(upload, saved)
        manifest_path: Path | None = None
        key, key_from_archive = public_key, False
        if zipfile.is_zipfile(saved):
            members = _unpack(saved, folder)
            file_name, path = _pick_export(members)
            manifest_path = members.get(file_name + MANIFEST_SUFFIX)
            if key is None and PUBLIC_KEY_NAME in members:
                key, key_from_archive = members[PUBLIC_KEY_NAME].read_bytes(), True
        else:
            path = saved
        if manifest is not None:
            manifest_path = folder / "manifest.json"
            _save(manifest, manifest_path)
        try:
            standalone.detect_format(path)
        except (ValueError, UnicodeDecodeError):
            raise UploadRefused(
                _("%(name)s is neither a JSONL nor a CSV audit export.", name=file_name)
            ) from None
        try:
            if manifest_path is None:
                return Outcome(verify.verify_file(path), file_name)
            if key is None:
                raise UploadRefused(
                    _(
                        "A manifest needs a public key to check its signature: give one, "
                        "or configure this server's signing key."
                    )
                )
            verdict = verify.verify_signed_file(path, manifest_path, key)
            return Outcome(verdict, file_name, True, key_from_archive)
        except UnicodeDecodeError:
            raise UploadRefused(_("The file is not UTF-8 text.")) from None
        except ValueError as exc:
            if isinstance(exc, UploadRefused):
                raise
            raise UploadRefused(str(exc).replace(str(path), file_name)) from None
