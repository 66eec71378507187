"""The history cache's file: every funnel's deal histories as they stood at one event of the
log, written beside the embedded store's snapshot so that a start reads one file instead of
folding a million events again.

Why a file of its own: the histories are derived from the event log and can always be built
again, so the file is never the truth — a file that is damaged (its SHA-256 does not match), of
another format, or stale (the event it says it has seen last is not that event of this store:
the store was restored or replaced) is ignored, and the histories are built from the log. A
funnel whose version or stage renames changed since is built again on its own.

The format is ``MAGIC``, the SHA-256 of the payload, then the payload in :mod:`marshal` (plain
tuples, text and numbers only: nothing in it runs code, and it loads at the speed of reading
it). A stay is ``(stage, entered, left_to, lost_reason, bypassed)`` with its instant as ISO 8601
text; a stay's leaving instant is the next stay's entry (the fold writes both from one event),
so it is not stored twice.
"""
from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .stays import DealHistory, Stay

#: the file's name, in the store's folder
NAME = "analytics-histories"
MAGIC = b"goldsieve histories 1\n"
DIGEST = 32


class Unusable(Exception):
    """The file cannot be used: damaged, of another format, or not about this store."""


@dataclass
class SavedFunnel:
    """One funnel's histories as saved: what they were built with, and the histories."""

    signature: tuple
    histories: dict[int, DealHistory]
    bypassing: set[int]


def event_mark(event: dict[str, Any] | None) -> tuple:
    """What identifies an event of a store: the file is about the store whose event of the saved
    id still has these values."""
    if event is None:
        return ()
    return (event["id"], event.get("deal_id"), event.get("funnel"), event.get("type"), event.get("at"))


def _stay_rows(history: DealHistory) -> tuple:
    return tuple((s.stage, s.entered_at.isoformat(), s.left_to, s.lost_reason, s.bypassed) for s in history.stays)


def _changes(kept: Iterable[tuple[datetime, Any]]) -> tuple:
    return tuple((at.isoformat(), value) for at, value in kept)


def encode(mark: tuple, funnels: dict[str, SavedFunnel]) -> bytes:
    """The file's bytes for histories current as of the event ``mark`` names."""
    payload = marshal.dumps((mark, {
        funnel_id: (saved.signature, tuple(sorted(saved.bypassing)), tuple(
            (h.deal_id, _stay_rows(h), _changes(h.amounts), _changes(h.close_dates))
            for h in saved.histories.values()))
        for funnel_id, saved in funnels.items()}))
    return MAGIC + hashlib.sha256(payload).digest() + payload


def decode(data: bytes) -> tuple[tuple, dict[str, SavedFunnel]]:
    """The mark and the funnels of a file's bytes; :class:`Unusable` when they are not a whole
    file of this format."""
    if not data.startswith(MAGIC):
        raise Unusable("not a histories file of this format")
    digest, payload = data[len(MAGIC):len(MAGIC) + DIGEST], data[len(MAGIC) + DIGEST:]
    if hashlib.sha256(payload).digest() != digest:
        raise Unusable("damaged: its checksum does not match")
    try:
        mark, funnels = marshal.loads(payload)
        return tuple(mark), {funnel_id: SavedFunnel(tuple(signature), _histories(rows), set(bypassing))
                             for funnel_id, (signature, bypassing, rows) in funnels.items()}
    except (ValueError, TypeError, EOFError, KeyError, IndexError) as error:
        raise Unusable(f"malformed: {error}") from None


def _histories(rows: tuple) -> dict[int, DealHistory]:
    parse = datetime.fromisoformat
    histories: dict[int, DealHistory] = {}
    for deal_id, stays, amounts, close_dates in rows:
        made: list[Stay] = []
        for stage, entered, left_to, lost_reason, bypassed in stays:
            stay = Stay(deal_id, stage, parse(entered), None, left_to, lost_reason, bypassed)
            if made:
                made[-1].left_at = stay.entered_at
            made.append(stay)
        created, first = made[0].entered_at, stays[0][1]  # most first amounts come with ``created``
        histories[deal_id] = DealHistory(
            deal_id, created, made,
            [(created if at == first else parse(at), value) for at, value in amounts] if amounts else (),
            [(created if at == first else parse(at), value) for at, value in close_dates] if close_dates else ())
    return histories


def read(path: Path) -> tuple[tuple, dict[str, SavedFunnel]]:
    """The file at ``path`` decoded; :class:`Unusable` when it cannot be read or used."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise Unusable(f"unreadable: {error}") from None
    return decode(data)


def write(path: Path, data: bytes) -> None:
    """Replace the file atomically: a crash leaves the old file or the new one, never a part."""
    partial = path.with_name(path.name + ".tmp")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
