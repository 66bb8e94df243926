"""Checking, sealing and writing one upload to a temporary key (SPEC §12.3).

The bytes go through one pass: count (413 past the limit, as soon as it is passed),
hash (SHA-256 of the original bytes), sniff (415 for a type the uploader may not send),
seal (pirights.files.sealing) and store under `tmp/<random>`. Only after the file's row
is committed does `publish` move it to `blobs/<same>`; `discard` removes what a failed
upload wrote. What neither reaches (a crash in between) the orphan sweep removes.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pirights.crypto import cipher
from pirights.errors import Invalid, TooLarge, UnsupportedType
from pirights.files import sealing, sniff
from pirights.files.storage import BLOBS, TMP, Store

log = logging.getLogger(__name__)
MIB = 1024 * 1024
MAX_NAME = 255


@dataclass
class Staged:
    """One file written, sealed, to its temporary key."""

    tmp: str
    name: str | None
    size: int
    sha256: str
    content_type: str
    key_id: str

    @property
    def blob(self) -> str:
        """The key it will have once published."""
        return BLOBS + self.tmp.removeprefix(TMP)


def clean_name(filename: str) -> str | None:
    """The client's name for the file, as shown to people: its last path segment, without
    control characters or what no database can store; None when nothing is left."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        c
        for c in name
        if unicodedata.category(c) not in ("Cc", "Cs", "Cf") or c in "\u200d"  # keep ZWJ
    ).strip()
    return name[:MAX_NAME] or None


class Inspector:
    """The checks of one upload, applied to its chunks as they pass."""

    def __init__(self, max_bytes: int, accepted: tuple[str, ...] | None) -> None:
        self.max_bytes = max_bytes
        self.accepted = accepted
        self.size = 0
        self.digest = hashlib.sha256()
        self.content_type: str | None = None
        self._text: sniff.TextCheck | None = None

    def _count(self, chunk: bytes) -> None:
        """Size and hash; 413 as soon as the limit is passed."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(
                f"The file is larger than {self.max_bytes // MIB} MiB, the limit for this "
                "upload; send a smaller file (or split it).",
                slug="file-too-large",
            )
        self.digest.update(chunk)

    def _decide(self, head: bytes) -> None:
        """The type, from the first bytes; 415 if the uploader may not send it."""
        kind = sniff.guess(head)
        if self.accepted is not None and kind not in self.accepted:
            raise UnsupportedType(
                "This kind of file is not accepted. Send a PNG, JPEG, WebP or GIF image, a "
                "PDF, plain text (UTF-8) or an MP4 video; the type is read from the file's "
                "content, not its name.",
                slug="file-type",
            )
        self.content_type = kind
        if kind == sniff.TEXT:
            self._text = sniff.TextCheck()

    def _check_text(self, chunk: bytes, final: bool = False) -> None:
        """A text file must stay text to its last byte."""
        if self._text is None:
            return
        try:
            self._text.feed(chunk, final)
        except sniff.NotText:
            if self.accepted is None:  # staff may send anything: it is just not text
                self._text, self.content_type = None, sniff.UNKNOWN
                return
            raise UnsupportedType(
                "This file starts as plain text but is not UTF-8 text throughout; send it "
                "as UTF-8 text, or as a PDF or image.",
                slug="file-type",
            ) from None

    def run(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Pass the chunks through, checking them; raise at the first broken rule."""
        head = bytearray()
        for chunk in chunks:
            self._count(chunk)
            if self.content_type is None:
                head += chunk
                if len(head) < sniff.HEAD:
                    continue
                self._decide(bytes(head))
                chunk, head = bytes(head), bytearray()
            self._check_text(chunk)
            yield chunk
        if self.size == 0:
            raise Invalid("The file is empty.", errors={"file": ["is empty (0 bytes)"]})
        if self.content_type is None:
            self._decide(bytes(head))
            self._check_text(bytes(head))
            yield bytes(head)
        self._check_text(b"", final=True)


@dataclass
class Staging:
    """The files one upload wrote; published after the commit, discarded otherwise."""

    store: Store
    max_bytes: int
    accepted: tuple[str, ...] | None
    items: list[Staged] = field(default_factory=list)

    def stage(self, filename: str, chunks: Iterable[bytes]) -> Staged:
        """Check, seal and write one file to a new temporary key."""
        inspector = Inspector(self.max_bytes, self.accepted)
        tmp = TMP + uuid.uuid4().hex
        c = cipher()
        self.store.put(tmp, sealing.seal(c, inspector.run(chunks)))
        staged = Staged(
            tmp=tmp,
            name=clean_name(filename),
            size=inspector.size,
            sha256=inspector.digest.hexdigest(),
            content_type=inspector.content_type or sniff.UNKNOWN,
            key_id=c.current_key_id.hex(),
        )
        self.items.append(staged)
        return staged

    def discard(self) -> None:
        """Remove every temporary object (the upload failed; its rows did not commit)."""
        for item in self.items:
            try:
                self.store.delete(item.tmp)
            except Exception:  # the sweep removes it a day later
                log.warning("could not remove an unused upload %s", item.tmp, exc_info=True)
        self.items.clear()

    def publish(self) -> None:
        """Move each file to its final key (its row is committed).

        A failure here loses nothing: the row names the final key, and a download or the
        sweep finishes the move from the temporary one.
        """
        for item in self.items:
            try:
                self.store.move(item.tmp, item.blob)
            except Exception:
                log.warning("could not publish %s; left for the sweep", item.tmp, exc_info=True)
        self.items.clear()
