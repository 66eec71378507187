"""A ready-made image of the embedded store's documents and indexes, kept beside the snapshot so
that an open need not decode the snapshot and build the indexes again.

At 100,000 deals decoding the snapshot's JSON and sharing its short texts was three quarters of
an open, building the deals' indexes most of the rest; reading the same documents and index
buckets back with :mod:`marshal` takes a fifth of that, and keeps the sharing (marshal writes an
object held twice once, and a text interned when written is interned when read).

The image is a cache, never the truth: the snapshot is (:mod:`.journal`). It is written at each
compaction, right after the snapshot, for exactly the state the snapshot holds, and it is used
only when everything checks out:

- its header names the snapshot's ``generation`` (a random token each snapshot gets when
  written) and size, so an image left from an older snapshot (a crash between the two writes, a
  snapshot restored alone from a backup) or beside a snapshot cut short is not used;
- the Python that wrote it is the one reading it (marshal's format may change between Python
  versions);
- each part of its body has the length and CRC the header gives, and nothing follows the last
  (torn or damaged: not used).

Otherwise the store decodes the snapshot as before and compacts once, which writes a fresh
image. A snapshot opened through its image is not read, so damage inside it is found only when
it must be decoded (as before, an error then); the next compaction replaces it meanwhile. marshal only builds data (dicts, lists, texts, numbers) and never runs code it reads;
the image lives in the folder the store owns and locks, like the journal it could as well alter.
"""
from __future__ import annotations

import json
import marshal
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from .codec import loads
from .indexes import Index, OrderedIndex
from .journal import checked, frame

IMAGE = "snapshot.image"
IMAGE_TMP = "snapshot.image.tmp"
IMAGE_FORMAT = 1
#: Documents marshalled in one part of the image (see ``_parts``).
PART_DOCS = 5000


def _python() -> list[Any]:
    """Which Python's marshal wrote an image: another one may not read it."""
    return [sys.implementation.name, *sys.version_info[:2], marshal.version]


@dataclass
class Image:
    """What an image holds: table → str id → document; table → path → an index's contents."""

    tables: dict[str, dict[str, Any]]
    hashed: dict[str, dict[str, dict[Any, list[int]]]]
    ordered: dict[str, dict[str, tuple[list[str], list[int]]]]

    def indexes(self, table: str, paths: tuple[str, ...]) -> dict[str, Index] | None:
        """The hash indexes of ``table`` at ``paths``, when the image holds exactly those."""
        held = self.hashed.get(table)
        if held is None or tuple(held) != paths:
            return None
        built = {}
        for path, buckets in held.items():
            built[path] = index = Index(path)
            index.buckets = buckets
        return built

    def ordered_indexes(self, table: str, paths: tuple[str, ...]) -> dict[str, OrderedIndex] | None:
        """The ordered indexes of ``table`` at ``paths``, when the image holds exactly those."""
        held = self.ordered.get(table)
        if held is None or tuple(held) != paths:
            return None
        return {path: OrderedIndex(path, values, ids) for path, (values, ids) in held.items()}


def _parts(tables: dict[str, dict[str, Any]], hashed: dict[str, dict[str, Index]],
           ordered: dict[str, dict[str, OrderedIndex]]) -> Iterator[tuple[str | None, bytes]]:
    """``(table, its next PART_DOCS documents)`` in marshal's format, then ``(None, indexes)``.

    In parts, because marshal keeps a table of every object it has written until it returns
    (for the objects held twice): 100,000 deals in one call took 150 MiB more at the peak."""
    for table, docs in tables.items():
        items = iter(docs.items())
        while part := dict(islice(items, PART_DOCS)):
            yield table, marshal.dumps(part)
    yield None, marshal.dumps({
        "hashed": {table: {path: index.buckets for path, index in held.items()}
                   for table, held in hashed.items() if table in tables},
        "ordered": {table: {path: (index.values, index.ids) for path, index in held.items()}
                    for table, held in ordered.items() if table in tables},
    })


def write_image(folder: Path, generation: str, snapshot_size: int, tables: dict[str, dict[str, Any]],
                hashed: dict[str, dict[str, Index]], ordered: dict[str, dict[str, OrderedIndex]]) -> None:
    """Write the image of ``tables`` and their indexes (those of other tables are left out) for
    the snapshot ``generation``; not fsync'd: one a crash tore fails its CRC and is not used."""
    parts = list(_parts(tables, hashed, ordered))
    header = {"image": IMAGE_FORMAT, "generation": generation, "snapshot_size": snapshot_size,
              "python": _python(), "parts": [[table, len(data), zlib.crc32(data)] for table, data in parts]}
    tmp = folder / IMAGE_TMP
    try:
        with open(tmp, "wb") as f:
            f.write(frame(json.dumps(header).encode()))
            f.writelines(data for _, data in parts)
        os.replace(tmp, folder / IMAGE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_image(folder: Path, generation: Any, snapshot_size: int) -> Image | None:
    """The image written for the snapshot ``generation`` of ``snapshot_size`` bytes, or ``None``
    when there is none or it does not check out (see the module's docstring)."""
    if not isinstance(generation, str):
        return None
    try:
        with open(folder / IMAGE, "rb") as f:
            payload = checked(f.readline())
            try:
                header = loads(payload) if payload is not None else None
            except ValueError:
                header = None
            if not (isinstance(header, dict) and header.get("image") == IMAGE_FORMAT
                    and header.get("generation") == generation and header.get("snapshot_size") == snapshot_size
                    and header.get("python") == _python() and isinstance(header.get("parts"), list)):
                return None
            return _read_parts(f, header["parts"])
    except FileNotFoundError:
        return None


def _read_parts(f: BinaryIO, parts: list) -> Image | None:
    """The image's parts read one at a time, each checked against its CRC before marshal reads
    it (so the whole body is never in memory at once: 64 MB at 100,000 deals)."""
    tables: dict[str, dict[str, Any]] = {}
    indexes: Any = None
    try:
        for table, length, crc in parts:
            data = f.read(length)
            if len(data) != length or zlib.crc32(data) != crc:
                return None
            part = marshal.loads(data)
            if table is None:
                indexes = part
            else:
                tables.setdefault(table, {}).update(part)
        if f.read(1) or indexes is None:
            return None
        return Image(tables, indexes["hashed"], indexes["ordered"])
    except (EOFError, ValueError, TypeError, KeyError):
        return None
