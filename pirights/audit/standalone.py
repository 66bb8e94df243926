"""Verify an exported audit trail with nothing but Python's standard library (SPEC §6).

    python pirights/audit/standalone.py EXPORT.jsonl      (or EXPORT.csv)

Exit 0 printing `OK <n> events`, exit 1 naming the first bad seq, exit 2 when the file
cannot be read. The hash formula lives in chain.py beside this file, which is stdlib-only
too; a regulator needs these two files and a Python >= 3.11, not pirights. When this module
is imported as part of pirights it uses the package's chain module; run as a script it
loads chain.py by path, because `python -I` puts no script directory on sys.path.

If EXPORT.manifest.json lies beside the file, its sha256, count, seq range and last hash
are compared too (its Ed25519 signature needs `pirights audit verify --key`).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

if __package__:
    from . import chain
else:  # run as a script, possibly with `python -I -S`: load the formula beside us

    def _load_chain():
        """Import chain.py from this file's folder without touching sys.path."""
        path = Path(__file__).resolve().with_name("chain.py")
        spec = importlib.util.spec_from_file_location("pirights_audit_chain", path)
        if spec is None or spec.loader is None:
            raise SystemExit(f"cannot find {path}; keep chain.py beside this script")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    chain = _load_chain()

CSV_HEADER = list(chain.STORED_COLUMNS)
KEYS = frozenset(CSV_HEADER)


class Malformed(Exception):
    """A line that is not an event (reported as the seq that should have stood there)."""

    def __init__(self, line: int, why: str) -> None:
        super().__init__(f"line {line}: {why}")
        self.line = line


def detect_format(path: Path) -> str:
    """'jsonl' or 'csv', from the first non-blank line; ValueError for anything else."""
    with path.open("r", encoding="utf-8", newline="") as fh:
        for line in fh:
            text = line.strip().lstrip("\ufeff")
            if not text:
                continue
            if text.startswith("{"):
                return "jsonl"
            if next(csv.reader([text])) == CSV_HEADER:
                return "csv"
            break
    raise ValueError(f"{path} is neither a JSONL nor a CSV audit export")


def _event(raw: dict[str, Any], line: int) -> dict[str, Any]:
    """Check the shape of one parsed event, so a wrong line is a bad seq, not a crash."""
    if not isinstance(raw, dict) or set(raw) != KEYS:
        raise Malformed(line, "not an event object with the eight fields")
    if not isinstance(raw["seq"], int) or isinstance(raw["seq"], bool):
        raise Malformed(line, "seq is not an integer")
    if not isinstance(raw["data"], dict):
        raise Malformed(line, "data is not an object")
    if not all(isinstance(raw[k], str) for k in ("at", "actor", "action", "prev_hash", "hash")):
        raise Malformed(line, "a text field is not text")
    if raw["request_ref"] is not None and not isinstance(raw["request_ref"], str):
        raise Malformed(line, "request_ref is neither text nor null")
    return raw


def read_jsonl(fh: io.TextIOBase) -> Iterator[dict[str, Any]]:
    """Events of a JSONL export, one a line; blank lines are skipped."""
    for number, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            raise Malformed(number, "not valid JSON") from None
        yield _event(raw, number)


def parse_jsonl_line(line: str, number: int) -> dict[str, Any] | None:
    """One JSONL line as a checked event, None when blank; Malformed when it is no event."""
    if not line.strip():
        return None
    try:
        raw = json.loads(line)
    except ValueError:
        raise Malformed(number, "not valid JSON") from None
    return _event(raw, number)


BLOCK = 1 << 22


def jsonl_line_blocks(fh: io.BufferedIOBase, size: int = BLOCK) -> Iterator[list[str]]:
    """The lines of a binary JSONL file without their ends, a block of lines at a time.

    Lines are split as text mode with newline="" splits them (at LF, CR LF and CR),
    not as str.splitlines, which would also split at U+2028 and the like inside strings.
    """
    while True:
        block = fh.read(size)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += fh.readline()
        text = block.decode("utf-8")
        if "\r" in text:
            yield [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]
            continue
        lines = text.split("\n")
        if not lines[-1]:
            lines.pop()
        yield lines


def verify_jsonl(
    fh: io.BufferedIOBase, tick: Callable[[int], None] | None = None
) -> tuple[int, int | None, Ends, str]:
    """Verify a binary JSONL stream with chain.walk_jsonl (see verify_events for the result)."""
    walk = chain.ChainWalk()
    number = 0
    try:
        for lines in jsonl_line_blocks(fh):
            chain.walk_jsonl(lines, parse_jsonl_line, walk, number)
            number += len(lines)
            if walk.bad is not None:
                break
            if tick is not None:
                tick(walk.count)
    except Malformed as exc:
        expected = walk.last_seq + 1 if walk.last_seq is not None else 1
        return 0, expected, Ends(walk), str(exc)
    return walk.count, walk.bad, Ends(walk), "" if walk.bad is None else "hash chain broken"


PIECE = 1 << 25  # 32 MB of a file per task when verifying in parallel


def _pieces(path: Path, size: int) -> list[tuple[int, int]]:
    """(start, end) byte ranges of about `size` covering the file, cut after a newline."""
    total = path.stat().st_size
    cuts = [0]
    with path.open("rb") as fh:
        while cuts[-1] + size < total:
            fh.seek(cuts[-1] + size)
            fh.readline()
            if fh.tell() >= total:
                break
            cuts.append(fh.tell())
    cuts.append(total)
    return list(itertools.pairwise(cuts))


def _check_piece(task: tuple[str, int, int]) -> tuple[bool, int, Any, Any, Any, Any]:
    """Verify one byte range alone: (clean, count, first seq, first prev, last seq, last hash).

    Clean means every line after the piece's first took the fast path and linked; then
    only the links between pieces remain to be checked. Anything else (a blank, odd or
    bad line) makes the piece unclean, and the caller verifies the file sequentially.
    """
    name, start, end = task
    slow = [0]

    def parse(line: str, number: int) -> dict[str, Any] | None:
        """The reference parse, counted: only the piece's first line should need it."""
        slow[0] += 1
        return parse_jsonl_line(line, number) if slow[0] == 1 else None

    walk = chain.ChainWalk()
    with open(name, "rb") as fh:
        fh.seek(start)
        reader = io.BufferedReader(_Window(fh, end - start), BLOCK)
        try:
            for lines in jsonl_line_blocks(reader):
                chain.walk_jsonl(lines, parse, walk)
                if walk.bad is not None or slow[0] > 1:
                    break
        except (Malformed, ValueError):
            slow[0] = 2
    clean = walk.bad is None and slow[0] == 1
    return clean, walk.count, walk.first_seq, walk.first_prev_hash, walk.last_seq, walk.last_hash


class _Window(io.RawIOBase):
    """At most `left` bytes of a file, from where it stands."""

    def __init__(self, fh: Any, left: int) -> None:
        self.fh, self.left = fh, left

    def readable(self) -> bool:
        """Yes: this is a reader."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into `buffer`, stopping at the window's end."""
        view = memoryview(buffer)[: self.left]
        n = self.fh.readinto(view)
        self.left -= n
        return n


def verify_jsonl_parallel(
    path: Path,
    tick: Callable[[int], None] | None = None,
    workers: int | None = None,
    piece: int = PIECE,
) -> tuple[int, int | None, Ends, str] | None:
    """Verify a large JSONL file in pieces on several processes; None if that cannot decide.

    Each piece is checked alone (hashes and the links inside it); the links between pieces
    are checked here. A file with anything unusual (None) is left to the sequential walk,
    which gives the exact first bad seq.
    """
    import multiprocessing

    workers = workers or min(os.cpu_count() or 1, 4)
    ranges = _pieces(path, piece)
    if workers < 2 or len(ranges) < 2:
        return None
    tasks = [(str(path), start, end) for start, end in ranges]
    count = 0
    first: tuple[Any, Any] | None = None
    last_seq = last_hash = None
    with multiprocessing.get_context().Pool(workers) as pool:
        for clean, n, first_seq, first_prev, piece_last_seq, piece_last_hash in pool.imap(
            _check_piece, tasks
        ):
            if not clean:
                return None
            if first is None:
                first = (first_seq, first_prev)
            elif first_seq != last_seq + 1 or first_prev != last_hash:
                return None
            count += n
            last_seq, last_hash = piece_last_seq, piece_last_hash
            if tick is not None:
                tick(count)
    walk = chain.ChainWalk()
    walk.count, walk.last_seq, walk.last_hash = count, last_seq, last_hash
    if first is not None:
        walk.first_seq, walk.first_prev_hash = first
    return count, None, Ends(walk), ""


def read_csv(fh: io.TextIOBase) -> Iterator[dict[str, Any]]:
    """Events of a CSV export; `data` is JSON text, an empty request_ref is null."""
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is not None and header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if header != CSV_HEADER:
        raise Malformed(1, "the header is not " + ",".join(CSV_HEADER))
    for row in reader:
        number = reader.line_num
        if not row:
            continue
        if len(row) != len(CSV_HEADER):
            raise Malformed(number, f"{len(row)} fields instead of {len(CSV_HEADER)}")
        raw: dict[str, Any] = dict(zip(CSV_HEADER, row, strict=True))
        try:
            raw["seq"] = int(raw["seq"])
            raw["data"] = json.loads(raw["data"])
        except ValueError:
            raise Malformed(number, "seq or data cannot be read") from None
        raw["request_ref"] = raw["request_ref"] or None
        yield _event(raw, number)


class Walk:
    """Feeds events to chain.first_bad_seq while remembering the first and last one."""

    def __init__(
        self, events: Iterator[dict[str, Any]], tick: Callable[[int], None] | None = None
    ) -> None:
        self.events = events
        self.tick = tick
        self.first: dict[str, Any] | None = None
        self.last: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Yield the events, keeping the endpoints; call `tick(n)` every 10 000 events."""
        for n, event in enumerate(self.events, 1):
            if self.first is None:
                self.first = event
            self.last = event
            if self.tick is not None and n % 10_000 == 0:
                self.tick(n)
            yield event


class Ends:
    """The first event met and the last one accepted by a chain.ChainWalk, shaped as Walk's."""

    def __init__(self, walk: Any) -> None:
        self.first: dict[str, Any] | None = None
        self.last: dict[str, Any] | None = None
        if walk.first_seq is not None:
            self.first = {"seq": walk.first_seq, "prev_hash": walk.first_prev_hash}
        if walk.last_seq is not None:
            self.last = {"seq": walk.last_seq, "hash": walk.last_hash}


def verify_events(
    events: Iterator[dict[str, Any]], tick: Callable[[int], None] | None = None
) -> tuple[int, int | None, Walk, str]:
    """(count, first bad seq or None, the walk, why) for a stream of events.

    A malformed line is reported as the seq that should have stood there.
    """
    walk = Walk(events, tick)
    try:
        count, bad = chain.first_bad_seq(walk)
    except Malformed as exc:
        expected = walk.last["seq"] + 1 if walk.last is not None else None
        return 0, expected if expected is not None else 1, walk, str(exc)
    return count, bad, walk, "" if bad is None else "hash chain broken"


def verify_file(
    path: Path, tick: Callable[[int], None] | None = None
) -> tuple[int, int | None, Walk | Ends, str]:
    """Verify an export file of either format (see verify_events)."""
    fmt = detect_format(path)
    if fmt == "jsonl":
        verdict = verify_jsonl_parallel(path, tick)
        if verdict is not None:
            return verdict
        with path.open("rb", buffering=BLOCK) as fh:
            return verify_jsonl(fh, tick)
    with path.open("r", encoding="utf-8", newline="") as fh:
        return verify_events(read_csv(fh), tick)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_mismatches(
    manifest: dict[str, Any], path: Path, count: int, walk: Walk | Ends
) -> list[str]:
    """What in an (already trusted or not) manifest disagrees with the file; [] if all agree."""
    problems = []
    if manifest.get("sha256") != sha256_file(path):
        problems.append("the file's SHA-256 differs from the manifest")
    if manifest.get("count") != count:
        problems.append(f"the manifest counts {manifest.get('count')} events, the file {count}")
    first = walk.first["seq"] if walk.first else None
    last = walk.last["seq"] if walk.last else None
    last_hash = walk.last["hash"] if walk.last else None
    if manifest.get("first_seq") != first or manifest.get("last_seq") != last:
        problems.append("the seq range differs from the manifest")
    if manifest.get("last_hash") != last_hash:
        problems.append("the last hash differs from the manifest")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: verify one export file; the exit code is the verdict."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: python standalone.py EXPORT_FILE", file=sys.stderr)
        return 2
    path = Path(args[0])
    try:
        count, bad, walk, why = verify_file(path)
    except (OSError, ValueError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    if bad is not None:
        print(f"FAILED first bad seq {bad} ({why})")
        return 1
    manifest_path = path.with_name(path.name + ".manifest.json")
    if manifest_path.exists():
        document = json.loads(manifest_path.read_text(encoding="utf-8"))
        problems = manifest_mismatches(document.get("manifest", {}), path, count, walk)
        if problems:
            print("FAILED manifest: " + "; ".join(problems))
            return 1
        print("manifest agrees (signature not checked: use `pirights audit verify --key`)")
    print(f"OK {count} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
