"""The embedded store's files: an append-only journal and a snapshot that compacts it.

Both files are sequences of *frames*, one per line::

    <payload length> <crc32 of payload, 8 hex digits> <JSON payload>\\n

JSON escapes newlines inside strings, so a payload never contains a raw newline and a frame is
exactly one line. The length and checksum let a reader tell a complete frame from one that a
crash tore or the disk damaged.

The journal holds one frame per committed transaction, ``{"seq": N, "ops": [...]}``, appended
and fsync'd before the commit returns. Only its *last* frame may legitimately be damaged (the
write in progress when the process died); :func:`scan` drops it and reports where the good part
ends. A damaged frame *followed by a good one* is real corruption of acknowledged data, so it is
an error, not something to repair silently.

The snapshot is written whole to a temporary file in the same folder, fsync'd, renamed over the
old one and the folder fsync'd, so it is either the old or the new one, never a mix. It starts
with a header frame ``{"snapshot": 1, "seq": S, ...}`` (S = last journal sequence it contains),
then one frame per document ``[table, id, doc]``, then ``{"end": count}``. The events are not among
the documents: they are in a file of their own (:mod:`.events`).
"""
from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..base import StoreError
from .codec import loads

JOURNAL = "journal"
SNAPSHOT = "snapshot"
SNAPSHOT_TMP = "snapshot.tmp"
#: Format 2 keeps the events out of the snapshot (in :mod:`.events`' file, whose durable length
#: the header's ``events_end`` gives); format 1 held them as documents and is still read.
SNAPSHOT_FORMAT = 2
READ_FORMATS = (1, 2)
#: ``read_snapshot``'s progress is told after every this many documents.
PROGRESS_ROWS = 512


def frame(payload: bytes) -> bytes:
    """One line of a journal or snapshot file carrying ``payload`` (JSON without raw newlines)."""
    return b"%d %08x %s\n" % (len(payload), zlib.crc32(payload), payload)


def checked(line: bytes) -> bytes | None:
    """The payload of one complete line (newline included), undecoded; ``None`` if damaged."""
    if not line.endswith(b"\n"):
        return None
    parts = line[:-1].split(b" ", 2)
    if len(parts) != 3:
        return None
    size, crc, payload = parts
    if len(crc) != 8 or not size.isdigit():
        return None
    try:
        if int(size) != len(payload) or int(crc, 16) != zlib.crc32(payload):
            return None
    except ValueError:
        return None
    return payload


def unframe(line: bytes) -> Any | None:
    """The decoded payload of one complete line (newline included), or ``None`` if damaged."""
    payload = checked(line)
    if payload is None:
        return None
    try:
        return loads(payload)
    except ValueError:
        return None


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def scan(path: Path) -> tuple[list[Any], int, int]:
    """Read a journal: ``(records, end of the last good frame, file size)``.

    A damaged tail (torn or corrupt last frame, trailing garbage) is left out of ``records``;
    the caller truncates the file to the returned offset. Raises :class:`StoreError` when a
    damaged frame is followed by a good one.
    """
    records: list[Any] = []
    good_end = offset = 0
    damaged_at: int | None = None
    with open(path, "rb") as f:
        for line in f:
            record = unframe(line)
            if record is None or not isinstance(record, dict):
                if damaged_at is None:
                    damaged_at = offset
            elif damaged_at is not None:
                raise StoreError(
                    f"{path} is damaged at byte {damaged_at} but has intact records after it; "
                    "refusing to drop acknowledged writes (restore the folder from a backup)"
                )
            else:
                records.append(record)
                good_end = offset + len(line)
            offset += len(line)
    return records, good_end, offset


class Journal:
    """The append side of the journal file: each :meth:`append` is durable when it returns."""

    def __init__(self, path: Path):
        self.path = path
        self.uncertain = False
        existed = path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if not existed:
            os.fsync(self._fd)
            fsync_dir(path.parent)
        self.size = os.fstat(self._fd).st_size

    def append(self, payload: bytes) -> None:
        """Write one frame and fsync it.

        On failure, cut the partial frame off and re-raise; ``uncertain`` is then set when even
        that failed (the frame may reappear on the next open).
        """
        data = frame(payload)
        start = self.size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError:
            try:
                os.ftruncate(self._fd, start)
            except OSError:
                self.uncertain = True
            raise
        self.size = start + len(data)

    def truncate(self, size: int = 0) -> None:
        """Cut the journal to ``size`` bytes, durably (a dropped torn tail, or a compaction reset)."""
        os.ftruncate(self._fd, size)
        os.fsync(self._fd)
        self.size = size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def write_snapshot(
    folder: Path, seq: int, meta: dict, rows: Iterable[tuple[str, int, bytes]]
) -> int:
    """Atomically replace the folder's snapshot; returns its size in bytes.

    ``rows`` yields ``(table, id, document as JSON bytes)``; ``meta`` is stored in the header.
    """
    tmp, final = folder / SNAPSHOT_TMP, folder / SNAPSHOT
    count = 0
    try:
        with open(tmp, "wb") as f:
            header = {"snapshot": SNAPSHOT_FORMAT, "seq": seq, **meta}
            f.write(frame(json.dumps(header).encode()))
            for table, id, doc_json in rows:
                f.write(frame(b"[%s,%d,%s]" % (json.dumps(table).encode(), id, doc_json)))
                count += 1
            f.write(frame(json.dumps({"end": count}).encode()))
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    return size


def read_snapshot(
    folder: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[dict, Iterator[tuple[str, int, dict]], int] | None:
    """``(header, rows, size)`` of the folder's snapshot, or ``None`` when there is none;
    ``progress(bytes read, size)`` is told as the rows are read.

    ``rows`` is lazy (the file is opened again only if they are read) and raises
    :class:`StoreError` on any damage: a snapshot is written atomically, so damage means the
    disk, not a crash.
    """
    path = folder / SNAPSHOT
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            first = f.readline()
    except FileNotFoundError:
        return None
    header = unframe(first)
    if not isinstance(header, dict) or header.get("snapshot") not in READ_FORMATS:
        raise StoreError(f"{path} is not a goldsieve snapshot (format {SNAPSHOT_FORMAT}) or is damaged")

    def rows() -> Iterator[tuple[str, int, dict]]:
        with open(path, "rb") as f:
            f.seek(len(first))
            count = 0
            for line in f:
                payload = checked(line)
                if payload is None or not payload.startswith(b"["):
                    end = unframe(line)
                    if isinstance(end, dict) and end.get("end") == count:
                        if progress is not None:
                            progress(f.tell(), size)
                        return
                    break
                try:
                    row = loads(payload)
                except ValueError:
                    row = None
                if not (isinstance(row, list) and len(row) == 3):
                    raise StoreError(f"{path} holds a damaged document")
                yield row[0], row[1], row[2]
                count += 1
                if progress is not None and not count % PROGRESS_ROWS:
                    progress(f.tell(), size)
            raise StoreError(f"{path} is damaged or incomplete after {count} documents")

    return header, rows(), size
