"""Reading a multipart/form-data body as it arrives (SPEC §12.3).

werkzeug's sans-IO decoder turns the byte stream into events; file parts are handed to a
callback as a stream of chunks, so a file goes from the socket through the checks and the
encryption into the store without ever being held whole in memory or written anywhere in
clear. A body that ends before its closing boundary (a dropped connection, a cut-off
upload) is a 400; nothing it carried is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    NEED_DATA,
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
)

from pirights.errors import DomainError, TooLarge, UnsupportedType

READ = 64 * 1024
MAX_FIELD = 4096  # bytes of a plain (non-file) field
MAX_PARTS = 32

# on_file(field name, client's file name, chunks) -> what it made of the file (or None)
OnFile = Callable[[str, str, Iterator[bytes]], Any]


class Truncated(DomainError):
    """The body ended before the multipart message did."""

    status, title, slug = 400, "Bad request", "truncated-upload"


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a multipart/form-data Content-Type, or 415/400."""
    mimetype, options = parse_options_header(content_type or "")
    if mimetype != "multipart/form-data":
        raise UnsupportedType("Send the file as multipart/form-data, in a part named `file`.")
    boundary = options.get("boundary", "")
    if not boundary or len(boundary) > 200 or not boundary.isascii():
        raise Truncated(
            "The multipart/form-data body has no usable boundary in its Content-Type.",
            slug="bad-multipart",
        )
    return boundary.encode("ascii")


def _events(stream: IO[bytes], decoder: MultipartDecoder) -> Iterator[Any]:
    """The decoder's events, reading the stream only when it needs more."""
    while True:
        try:
            event = decoder.next_event()
        except (ValueError, AttributeError, TypeError):
            # ValueError: cut off or malformed; the other two come from werkzeug's own
            # parsing of a part that breaks the grammar in ways it does not expect.
            raise Truncated(
                "The upload ended before the multipart body did (or is not valid "
                "multipart/form-data); send it again.",
            ) from None
        if event is NEED_DATA:
            try:
                chunk = stream.read(READ)
            except ClientDisconnected:
                raise Truncated("The connection closed before the upload ended.") from None
            except RequestEntityTooLarge:
                raise TooLarge("The upload is larger than this endpoint accepts.") from None
            try:
                decoder.receive_data(chunk or None)
            except RequestEntityTooLarge:
                raise Truncated("A multipart part header is too long.") from None
            continue
        yield event
        if isinstance(event, Epilogue):
            return


def _data(events: Iterator[Any]) -> Iterator[bytes]:
    """The data of the current part, up to its end."""
    for event in events:
        if not isinstance(event, Data):
            raise Truncated("The multipart body is not well formed.", slug="bad-multipart")
        if event.data:
            yield event.data
        if not event.more_data:
            return
    raise Truncated("The upload ended in the middle of a part.")


def read(stream: IO[bytes], content_type: str | None, on_file: OnFile) -> tuple[dict, list]:
    """Parse the whole body: (plain fields, what `on_file` returned for each file part).

    `on_file` must read the chunks it is given (what it leaves is skipped). If anything
    raises, the caller gets the exception and the results made so far are lost to it, so
    `on_file` should register what it stores for clean-up before returning.
    """
    decoder = MultipartDecoder(boundary_of(content_type), 4 * READ, max_parts=MAX_PARTS)
    events = _events(stream, decoder)
    fields: dict[str, str] = {}
    results: list[Any] = []
    for event in events:
        if isinstance(event, Field):
            value = b""
            for piece in _data(events):
                value += piece
                if len(value) > MAX_FIELD:
                    raise TooLarge(f"The form field {event.name!r} is too long.")
            fields[event.name] = value.decode("utf-8", "replace")
        elif isinstance(event, File):
            chunks = _data(events)
            result = on_file(event.name, event.filename or "", chunks)
            for _rest in chunks:  # whatever on_file did not read
                pass
            if result is not None:
                results.append(result)
        elif isinstance(event, Epilogue):
            break
    return fields, results
