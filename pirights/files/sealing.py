"""Streaming authenticated encryption of file contents (SPEC §8.2, §12.3).

A stored file is `header | segment | segment | ...`:
- header (40 bytes): MAGIC (4) | key id of the §8.2 key (4) | random salt (32);
- each segment is AES-256-GCM of up to SEGMENT plaintext bytes (+16 bytes of tag) under the
  file's own key, HKDF-SHA256(§8.2 key, salt, INFO). Its nonce is the segment's number
  (11 bytes, big-endian) and a last-segment flag (1 byte); the header is the associated data.

This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015), as Tink's
AES-GCM-HKDF streaming AEAD does it: each segment is checked before it is released,
reordering or dropping segments fails, and cutting the file short fails at its end because
the last segment carries the flag. A key per file (a fresh salt) means nonces never repeat
under one key, however many files there are. Memory use is one segment, whatever the size.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pirights.crypto import Cipher

MAGIC = b"PRF\x01"
SALT = 32
HEADER = len(MAGIC) + 4 + SALT
SEGMENT = 64 * 1024
TAG = 16
INFO = b"pirights file v1"


class Tampered(ValueError):
    """A stored file does not decrypt: altered, cut short, or made with an unknown key."""


def _nonce(counter: int, last: bool) -> bytes:
    """The nonce of segment `counter`."""
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def key_id_of(blob_head: bytes) -> bytes:
    """The id of the §8.2 key a stored file was sealed with, read from its header."""
    if len(blob_head) < HEADER or blob_head[:4] != MAGIC:
        raise Tampered("not a pirights file")
    return bytes(blob_head[4:8])


def seal(cipher: Cipher, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Encrypt a stream of plaintext chunks; yields the header, then each sealed segment."""
    key_id = cipher.current_key_id
    salt = secrets.token_bytes(SALT)
    header = MAGIC + key_id + salt
    aead = AESGCM(cipher.derive(key_id, salt, INFO))
    yield header
    counter = 0
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        # Hold back at least one byte: only the end of the stream knows the last segment.
        while len(buffer) > SEGMENT:
            yield aead.encrypt(_nonce(counter, False), bytes(buffer[:SEGMENT]), header)
            del buffer[:SEGMENT]
            counter += 1
    yield aead.encrypt(_nonce(counter, True), bytes(buffer), header)


def unseal(cipher: Cipher, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Decrypt a stored file chunk by chunk; raises Tampered as soon as anything is wrong."""
    buffer = bytearray()
    source = iter(chunks)
    aead = header = None
    counter = 0
    size = SEGMENT + TAG
    for chunk in source:
        buffer += chunk
        if aead is None:
            if len(buffer) < HEADER:
                continue
            header = bytes(buffer[:HEADER])
            try:
                aead = AESGCM(cipher.derive(key_id_of(header), header[8:], INFO))
            except ValueError as exc:
                raise Tampered(str(exc)) from None
            del buffer[:HEADER]
        while len(buffer) > size:
            yield _open(aead, counter, False, bytes(buffer[:size]), header)
            del buffer[:size]
            counter += 1
    if aead is None:
        raise Tampered("the stored file is shorter than its header")
    yield _open(aead, counter, True, bytes(buffer), header)


def _open(aead: AESGCM, counter: int, last: bool, sealed: bytes, header: bytes | None) -> bytes:
    """One segment's plaintext, or Tampered."""
    try:
        return aead.decrypt(_nonce(counter, last), sealed, header)
    except InvalidTag:
        raise Tampered("the stored file was altered or cut short") from None
