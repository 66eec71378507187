"""The embedded store's documents as bytes and back: what the journal, the snapshot and the
events file hold, and the shape the store keeps them in once decoded.

Decoding is most of what opening a large store costs (100,000 deals: a 90 MB snapshot), so
:func:`loads` reads JSON with orjson, three to four times faster than the standard library's
decoder, which stays for what orjson would read differently: an integer beyond 64 bits (orjson
turns it into a float) and text orjson refuses (a lone surrogate, which Python's ``json`` writes
and reads). Both read the same files: nothing about the format changes.

Documents a transaction brings are encoded with the standard library's encoder still: it refuses
NaN and infinities (``allow_nan=False``), which orjson would write as ``null`` without a word.
Only events, written to their file once the journal holds them, are encoded again with orjson.
"""
from __future__ import annotations

import json
from sys import intern
from typing import Any

import orjson

from ..base import Doc

#: A number with this many digits may be an integer orjson cannot hold (2**63 has 19), found as
#: a run of zeros once every digit is a zero and every other byte a space (ten times faster than
#: a regular expression).
_LONG_NUMBER = b"0" * 19
_DIGITS = bytes(b"0"[0] if b"0"[0] <= byte <= b"9"[0] else b" "[0] for byte in range(256))

#: Text values up to this long are interned in the documents held: stages, owners, statuses,
#: time stamps and the like repeat across documents (a third of a deal's memory).
SHARED_CHARS = 32


def loads(payload: bytes) -> Any:
    """The JSON value in ``payload``, exactly as :func:`json.loads` reads it; raises
    ``ValueError`` when it is not JSON."""
    if _LONG_NUMBER not in payload.translate(_DIGITS):
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass  # perhaps text orjson refuses and json reads (a lone surrogate): json decides
    return json.loads(payload)


def encode(doc: Doc) -> bytes:
    """A document as journal JSON; raises TypeError/ValueError for what JSON cannot carry."""
    if not isinstance(doc, dict):
        raise TypeError(f"a document is a dict, not {type(doc).__name__}")
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def dumps(doc: Doc) -> bytes:
    """A document that was read from the journal as compact JSON again, for the events file:
    with orjson (its checks are behind it: no NaN gets this far), or the standard library for
    an integer beyond 64 bits, which orjson refuses."""
    try:
        return orjson.dumps(doc)
    except TypeError:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def shared(doc: Doc) -> Doc:
    """``doc``, freshly decoded, with its short texts interned in place, so that the documents
    held share one copy of each (a deal: 2.1 KB with only its keys shared, 1.3 KB so). orjson
    shares the keys itself (it keeps one copy of each short key it decodes); changing the values
    in place rather than building new dicts halves what sharing costs at an open."""
    for key, value in doc.items():
        kind = type(value)
        if kind is str:
            if len(value) <= SHARED_CHARS:
                doc[key] = intern(value)
        elif kind is dict or kind is list:
            doc[key] = _shared_value(value)
    return doc


def _shared_value(value: Any) -> Any:
    """A nested value, shared (lists are rare in documents: taken item by item)."""
    kind = type(value)
    if kind is str:
        return intern(value) if len(value) <= SHARED_CHARS else value
    if kind is dict:
        return shared(value)
    if kind is list:
        value[:] = map(_shared_value, value)
    return value


def held(table: str, doc: Doc) -> Doc:
    """``doc`` as the store holds it in memory (events are not held: they go to their file)."""
    return doc if table == "events" else shared(doc)
