"""What a file is, decided from its bytes, never from its name or the client's word.

Binary formats are recognised by their signatures with `filetype` (pure Python, no system
library). Plain text has no signature: a file that matches none and is valid UTF-8 without
NUL characters, from its first byte to its last, is text/plain (checked incrementally as
the file streams by, so a text file that turns binary at byte 9 000 000 is still refused).
"""

from __future__ import annotations

import codecs

import filetype

# Requesters may send these (SPEC §12.3); staff may send anything.
ACCEPTED = (
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/gif",
    "application/pdf",
    "text/plain",
    "video/mp4",
)
TEXT = "text/plain"
UNKNOWN = "application/octet-stream"
# filetype reads signatures from the first 8 KiB; MP4's `ftyp` box is near the start.
HEAD = 8192


class NotText(ValueError):
    """A file that began as text turned out not to be."""


def guess(head: bytes) -> str:
    """The media type of a file from its first bytes (up to HEAD), or UNKNOWN."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    return TEXT if _text_start(head) else UNKNOWN


def _text_start(head: bytes) -> bool:
    """True if `head` can begin a UTF-8 text (a character cut at the end is fine)."""
    if not head or b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


class TextCheck:
    """Follows a text file to its end: valid UTF-8 and no NUL, or NotText."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Check the next chunk (and, with `final`, that no character is cut off)."""
        if b"\x00" in chunk:
            raise NotText("NUL byte")
        try:
            self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            raise NotText("not UTF-8") from None
