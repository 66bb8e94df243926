"""Where sealed files live (SPEC §12.3): a local folder or an S3 bucket.

Object keys are ours alone: `tmp/<32 hex>` while an upload is written and `blobs/<32 hex>`
once its row is committed. A client's file name never becomes a key or a path; keys are
checked against KEY before any file system or S3 call, so even a corrupted row cannot
point outside the store.

`PIRIGHTS_FILES_URL`:
- `file:///srv/pirights/files` (default: `files/` in the instance folder): the folder and
  its sub-folders are created 0700, files 0600, written then fsynced, moved with an
  atomic rename;
- `s3://bucket/prefix`: one bucket shared by several app servers, through boto3 (the
  endpoint from `PIRIGHTS_S3_ENDPOINT_URL` for S3-compatible servers, credentials from
  boto3's usual chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance role).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

TMP, BLOBS = "tmp/", "blobs/"
KEY = re.compile(r"^(tmp|blobs)/[0-9a-f]{32}$")
READ_CHUNK = 64 * 1024


class Missing(LookupError):
    """No object under this key."""


class StoreError(ValueError):
    """A storage URL that cannot work (raised at start-up)."""


def check_key(key: str) -> str:
    """`key` if it is one of ours, else ValueError (never a path a client chose)."""
    if not KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Store(Protocol):
    """What the files service needs from a backend."""

    url: str

    def put(self, key: str, chunks: Iterable[bytes]) -> None:
        """Write an object from a stream of chunks (nothing is left if it raises)."""

    def get(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks; Missing if there is none."""

    def move(self, src: str, dst: str) -> None:
        """Rename an object (replacing `dst`)."""

    def delete(self, key: str) -> None:
        """Remove an object; no error if it is already gone."""

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""

    def list(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """Every (key, last modified) under `prefix` (`tmp/` or `blobs/`)."""


class LocalStore:
    """Objects as files in one folder (one app server, or a shared file system)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()
        self._ready = False

    def _ensure(self) -> None:
        """Create the folders 0700 on first write (not at start-up: a command that never
        stores a file leaves no folder behind)."""
        if self._ready:
            return
        for folder in (self.root, self.root / "tmp", self.root / "blobs"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
        self._ready = True

    def _path(self, key: str) -> Path:
        """The file of an object."""
        return self.root / check_key(key)

    def put(self, key: str, chunks: Iterable[bytes]) -> None:
        """Write to a new 0600 file, fsync it; remove it if the stream fails."""
        self._ensure()
        path = self._path(key)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def get(self, key: str) -> Iterator[bytes]:
        """Open now (so a missing file is known before any byte is sent), read lazily."""
        try:
            fh = self._path(key).open("rb")
        except FileNotFoundError:
            raise Missing(key) from None
        return _read_file(fh)

    def move(self, src: str, dst: str) -> None:
        """Atomic rename within the folder."""
        try:
            os.replace(self._path(src), self._path(dst))
        except FileNotFoundError:
            raise Missing(src) from None

    def delete(self, key: str) -> None:
        """Unlink the file."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return self._path(key).exists()

    def list(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """Scan the sub-folder."""
        if not (self.root / prefix.rstrip("/")).is_dir():
            return
        with os.scandir(self.root / prefix.rstrip("/")) as entries:
            for entry in entries:
                key = prefix + entry.name
                if KEY.match(key):
                    at = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
                    yield key, at


def _read_file(fh: io.BufferedReader) -> Iterator[bytes]:
    """Chunks of an open file, closed at the end (or when the reader is dropped)."""
    with fh:
        while chunk := fh.read(READ_CHUNK):
            yield chunk


class _ChunkReader(io.RawIOBase):
    """A read-only file object over an iterator of chunks (boto3 uploads read files)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._rest = b""

    def readable(self) -> bool:
        """It is."""
        return True

    def readinto(self, buffer) -> int:
        """Fill `buffer` from the pending chunk, pulling the next one when it runs out."""
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


class S3Store:
    """Objects in an S3 bucket under a prefix, for several app servers."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        # Checksums only where S3 requires them: many S3-compatible servers do not keep
        # the newer per-object CRCs consistent across multipart uploads and copies, and
        # every sealed segment is authenticated by its own AES-GCM tag anyway.
        config = Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, config=config)
        # Uploads are read from a stream once, in 8 MiB parts, one at a time: the memory
        # of a 100 MiB upload stays a few parts, whatever the number of uploads.
        self._transfer = TransferConfig(use_threads=False)

    def _name(self, key: str) -> str:
        """The bucket key of an object."""
        return self.prefix + check_key(key)

    def put(self, key: str, chunks: Iterable[bytes]) -> None:
        """A (multipart, when large) upload; s3transfer aborts it if the stream fails."""
        reader = io.BufferedReader(_ChunkReader(chunks), buffer_size=READ_CHUNK)
        self.client.upload_fileobj(reader, self.bucket, self._name(key), Config=self._transfer)

    def get(self, key: str) -> Iterator[bytes]:
        """GET the object now; its body is read lazily."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise Missing(key) from None
        return _read_body(body)

    def move(self, src: str, dst: str) -> None:
        """Server-side copy, then delete the source (S3 has no rename)."""
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._name(dst),
                CopySource={"Bucket": self.bucket, "Key": self._name(src)},
            )
        except self.client.exceptions.NoSuchKey:
            raise Missing(src) from None
        except Exception as exc:  # botocore reports a missing source as a generic 404
            if _is_404(exc):
                raise Missing(src) from None
            raise
        self.client.delete_object(Bucket=self.bucket, Key=self._name(src))

    def delete(self, key: str) -> None:
        """DELETE the object (S3 answers the same whether it existed or not)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        """HEAD the object."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            if _is_404(exc):
                return False
            raise
        return True

    def list(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """List page by page (1000 keys a page), never the whole bucket at once."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if KEY.match(key):
                    yield key, item["LastModified"]


def _read_body(body) -> Iterator[bytes]:
    """Chunks of an S3 response body, closed at the end."""
    try:
        yield from body.iter_chunks(READ_CHUNK)
    finally:
        body.close()


def _is_404(exc: Exception) -> bool:
    """True for botocore's ClientError with a 404 status or a NoSuchKey code."""
    response = getattr(exc, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 404 or response.get("Error", {}).get("Code") in ("404", "NoSuchKey")


def open_store(url: str, instance_path: Path, endpoint_url: str = "") -> Store:
    """The store a `PIRIGHTS_FILES_URL` names (empty: `files/` in the instance folder)."""
    if not url:
        return LocalStore(instance_path / "files")
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StoreError(f"files.url: {url!r} must be file:///absolute/path")
        return LocalStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise StoreError(f"files.url: {url!r} must name a bucket: s3://bucket/prefix")
        return S3Store(parts.netloc, unquote(parts.path), endpoint_url or None)
    raise StoreError(f"files.url: {url!r} must be file:///path or s3://bucket/prefix")
