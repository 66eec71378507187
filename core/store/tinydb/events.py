"""The embedded store's ``events`` table, kept on disk: an append-only file of framed events
and, in memory, only where each event is and the indexes over them.

Events are ten or so per deal and are never changed once written, yet held as Python dicts
they took four fifths of the store's memory. Here each event costs about 20 bytes in three
arrays (its id, the offset and the length of its frame) plus a few bytes in each index's
buckets (``array`` too); a read decodes the frames it needs.

The file ``events`` holds the frames of :mod:`.journal` (length, CRC, JSON): an event as it was
written, or a bare id when an event was deleted (the store's interface allows it, the engine
never does it). It is *not* what makes a commit durable: every commit's events are in its
journal record first, fsync'd; only then is the file appended to (unsynced). A compaction
fsyncs the file before the snapshot that records its length (``events_end``), so everything up
to that length is durable and never changes again; on open the file is cut back to it and the
journal's replay appends the rest anew, torn tail or not.

Beside it, ``events.index`` keeps the arrays and indexes as they were at a compaction, with the
file length they cover and a checksum, so that an open reads them instead of every event. One
that is missing, damaged or built for other index paths is rebuilt by reading the file; one
that covers less than the snapshot is completed by reading only what it lacks.
"""
from __future__ import annotations

import json
import os
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..base import Doc, StoreError
from .codec import dumps
from .indexes import Index, OrderedIndex
from .journal import frame, unframe

EVENTS = "events"
EVENTS_INDEX = "events.index"
EVENTS_INDEX_TMP = "events.index.tmp"
INDEX_FORMAT = 1

#: Frames read in one ``pread`` when reading through the file or through adjacent events.
READ_BYTES = 1 << 20

#: ``progress(done, total)``: bytes of the file read so far while rebuilding its index.
Progress = Callable[[int, int], None]


def _ids() -> array:
    return array("q")


class EventFile:
    """The ``events`` table: the few methods of a TinyDB table that the store calls on it.

    All of it is read and changed under the store's locks, like the TinyDB tables.
    """

    def __init__(self, folder: Path, hashed: tuple[str, ...], ordered: tuple[str, ...]):
        self.path = folder / EVENTS
        self.folder = folder
        self.ids, self.offsets, self.lengths = _ids(), array("q"), array("I")
        self.indexes = {path: Index(path, compact=True) for path in hashed}
        self.ordered = {path: OrderedIndex(path) for path in ordered}
        existed = self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        if not existed:
            os.fsync(self._fd)
        self.size = self._written = os.fstat(self._fd).st_size
        self._pending = bytearray()  # frames appended since the last flush, past ``_written``
        self._docs = Docs(self)

    # -- the table's side ----------------------------------------------------------------------

    def raw(self) -> Docs:
        return self._docs

    def get(self, doc_id: int) -> Doc | None:
        at = self._position(doc_id)
        return None if at is None else self.read(at)

    def insert(self, document: Mapping) -> None:
        self._write(document.doc_id, dict(document))

    def put(self, doc_id: int, doc: Doc) -> None:
        self._write(doc_id, doc)

    def remove(self, doc_ids: list[int]) -> None:
        for doc_id in doc_ids:
            self._append(frame(b"%d" % doc_id))
            self._forget(doc_id)

    # -- the file ------------------------------------------------------------------------------

    def _append(self, data: bytes) -> int:
        """Add a frame at the end; it reaches the file at :meth:`flush` (a commit's events
        in one write, not one each: a demo's 600,000 events cost seconds of system calls)."""
        start = self.size
        self._pending += data
        self.size = start + len(data)
        return start

    def flush(self) -> None:
        """Write the frames appended since the last flush (the store does after each commit)."""
        view = memoryview(bytes(self._pending))
        self._pending.clear()  # a failed write leaves the store broken: the journal holds them
        while view:
            view = view[os.write(self._fd, view):]
        self._written = self.size

    def _write(self, doc_id: int, doc: Doc) -> None:
        data = frame(dumps(doc))
        self._place(doc_id, self._append(data), len(data))

    def _place(self, doc_id: int, offset: int, length: int) -> None:
        """Record that the newest frame of ``doc_id`` is at ``offset``."""
        ids = self.ids
        if not ids or ids[-1] < doc_id:  # the usual case: a new event, the highest id
            ids.append(doc_id)
            self.offsets.append(offset)
            self.lengths.append(length)
            return
        at = bisect_left(ids, doc_id)
        if at < len(ids) and ids[at] == doc_id:
            self.offsets[at], self.lengths[at] = offset, length
        else:
            ids.insert(at, doc_id)
            self.offsets.insert(at, offset)
            self.lengths.insert(at, length)

    def _forget(self, doc_id: int) -> None:
        at = self._position(doc_id)
        if at is not None:
            del self.ids[at], self.offsets[at], self.lengths[at]

    def _position(self, doc_id: int) -> int | None:
        ids = self.ids
        if not ids or doc_id > ids[-1]:
            return None
        at = bisect_left(ids, doc_id)
        return at if at < len(ids) and ids[at] == doc_id else None

    def read(self, at: int) -> Doc:
        """The event at position ``at`` of the arrays."""
        if self._pending:
            self.flush()  # a replayed journal can read an event it wrote just before
        return self._decode(os.pread(self._fd, self.lengths[at], self.offsets[at]), self.offsets[at])

    def read_many(self, positions: range) -> Iterator[Doc]:
        """The events at ``positions`` (ascending or descending), adjacent frames read together."""
        if self._pending:
            self.flush()
        offsets, lengths = self.offsets, self.lengths
        step = positions.step
        i, stop = positions.start, positions.stop
        while (i < stop) if step > 0 else (i > stop):
            # Extend the run while the next position's frame follows the last one in the file.
            run = [i]
            start, end = offsets[i], offsets[i] + lengths[i]
            j = i + step
            while ((j < stop) if step > 0 else (j > stop)) and end - start < READ_BYTES:
                if step > 0 and offsets[j] == end:
                    end += lengths[j]
                elif step < 0 and offsets[j] + lengths[j] == start:
                    start = offsets[j]
                else:
                    break
                run.append(j)
                j += step
            if len(run) == 1:
                yield self.read(i)
            else:
                chunk = os.pread(self._fd, end - start, start)
                for k in run:
                    at = offsets[k] - start
                    yield self._decode(chunk[at:at + lengths[k]], offsets[k])
            i = j

    def _decode(self, line: bytes, offset: int) -> Doc:
        doc = unframe(line)
        if not isinstance(doc, dict):
            raise StoreError(f"{self.path} is damaged at byte {offset}")
        return doc

    def sync(self) -> int:
        """Make the file durable; its length, for the snapshot to record."""
        self.flush()
        os.fsync(self._fd)
        return self.size

    def close(self) -> None:
        """Close the file, writing what a replay or a commit appended first: an open that only
        reads leaves the file as it found it (the open cut it back to the snapshot's length and
        the replay appended the rest anew)."""
        if self._fd >= 0:
            try:
                if self._pending:
                    self.flush()
            finally:
                os.close(self._fd)
                self._fd = -1

    # -- opening -------------------------------------------------------------------------------

    def open(self, end: int, progress: Progress | None = None) -> None:
        """Take the file as it was at the snapshot, ``end`` bytes long: cut off what a crash
        left after it (the journal still holds it) and read the index beside it."""
        if self.size < end:
            raise StoreError(
                f"{self.path} is {self.size} bytes, the snapshot says {end}: it is damaged or "
                "from another copy (restore the folder from a backup)")
        if self.size > end:
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
            self.size = self._written = end
        covered = self._load_index(end)
        if covered < end:
            self._scan(covered, end, progress)

    def _scan(self, start: int, end: int, progress: Progress | None) -> None:
        """Apply the frames of ``[start, end)`` to the arrays and indexes, as their writes did."""
        offset = start
        tail = b""
        while offset < end:
            chunk = tail + os.pread(self._fd, min(READ_BYTES, end - offset - len(tail)), offset + len(tail))
            if len(chunk) == len(tail):
                raise StoreError(f"{self.path} ends early, at byte {offset + len(tail)}")
            lines = chunk.split(b"\n")
            tail = lines.pop()
            for line in lines:
                length = len(line) + 1
                payload = unframe(line + b"\n")
                if isinstance(payload, dict) and isinstance(payload.get("id"), int):
                    self._index(payload["id"], payload)
                    self._place(payload["id"], offset, length)
                elif isinstance(payload, int) and not isinstance(payload, bool):
                    self._index(payload, None)
                    self._forget(payload)
                else:
                    raise StoreError(f"{self.path} is damaged at byte {offset}")
                offset += length
            if progress is not None:
                progress(offset - start, end - start)
        if tail:
            raise StoreError(f"{self.path} is damaged at byte {offset}")

    def _index(self, doc_id: int, doc: Doc | None) -> None:
        """Keep the indexes current for ``doc_id`` becoming ``doc`` (``None``: deleted)."""
        at = self._position(doc_id)
        old = None if at is None else self.read(at)
        for index in self.indexes.values():
            index.change(doc_id, old, doc)
        for ordered in self.ordered.values():
            ordered.change(doc_id, old, doc)

    # -- the index file ------------------------------------------------------------------------

    def save_index(self) -> None:
        """Write ``events.index`` for the file as it is now (atomically; a torn one is rebuilt)."""
        hashed = {path: list(index.buckets) for path, index in self.indexes.items()}
        arrays = [self.ids, self.offsets, self.lengths]
        for path, keys in hashed.items():
            arrays += [self.indexes[path].buckets[key] for key in keys]
        for index in self.ordered.values():
            arrays.append(array("q", index.ids))
        body = b"".join(a.tobytes() for a in arrays)
        header = {
            "format": INDEX_FORMAT, "end": self.size, "count": len(self.ids), "crc": zlib.crc32(body),
            "hashed": {path: [keys, [len(index.buckets[k]) for k in keys]]
                       for (path, keys), index in zip(hashed.items(), self.indexes.values())},
            "ordered": {path: index.values for path, index in self.ordered.items()},
        }
        tmp = self.folder / EVENTS_INDEX_TMP
        with open(tmp, "wb") as f:
            f.write(frame(json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()))
            f.write(body)
        os.replace(tmp, self.folder / EVENTS_INDEX)

    def _load_index(self, end: int) -> int:
        """Read ``events.index`` when it fits the file up to ``end``: the bytes it covers (0
        when it is unusable, and then the arrays stay empty)."""
        try:
            with open(self.folder / EVENTS_INDEX, "rb") as f:
                header = unframe(f.readline())
                body = f.read()
        except FileNotFoundError:
            return 0
        if not (isinstance(header, dict) and header.get("format") == INDEX_FORMAT
                and isinstance(header.get("end"), int) and 0 < header["end"] <= end
                and header.get("crc") == zlib.crc32(body)
                and list(header.get("hashed", ())) == list(self.indexes)
                and list(header.get("ordered", ())) == list(self.ordered)):
            return 0
        count = header["count"]
        view = memoryview(body)
        at = 0

        def take(kind: str, n: int) -> array:
            nonlocal at
            part = array(kind)
            part.frombytes(view[at:at + n * part.itemsize])
            at += n * part.itemsize
            return part

        self.ids, self.offsets, self.lengths = take("q", count), take("q", count), take("I", count)
        for path, (keys, sizes) in header["hashed"].items():
            self.indexes[path].buckets = {key: take("q", n) for key, n in zip(keys, sizes)}
        for path, values in header["ordered"].items():
            self.ordered[path].values, self.ordered[path].ids = values, take("q", len(values)).tolist()
        return header["end"]


class Docs(Mapping):
    """The events as TinyDB's raw table shows documents (str id -> document, in id order),
    which is what the query engine reads; each document is read from the file when asked for."""

    def __init__(self, events: EventFile):
        self._events = events

    def __getitem__(self, key: str) -> Doc:
        at = self._events._position(int(key))
        if at is None:
            raise KeyError(key)
        return self._events.read(at)

    def get(self, key: str, default: Any = None) -> Any:
        at = self._events._position(int(key))
        return default if at is None else self._events.read(at)

    def __contains__(self, key: object) -> bool:
        try:
            return self._events._position(int(key)) is not None  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False

    def __iter__(self) -> Iterator[str]:
        return map(str, self._events.ids)

    def __len__(self) -> int:
        return len(self._events.ids)

    def values(self) -> Values:  # type: ignore[override]
        return Values(self._events)


class Values:
    """Every event in id order, read through the file in large reads; reversible."""

    def __init__(self, events: EventFile):
        self._events = events

    def __iter__(self) -> Iterator[Doc]:
        return self._events.read_many(range(len(self._events.ids)))

    def __reversed__(self) -> Iterator[Doc]:
        return self._events.read_many(range(len(self._events.ids) - 1, -1, -1))

