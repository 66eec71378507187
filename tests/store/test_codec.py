"""The embedded store's decoding (goldsieve.store.tinydb.codec): orjson where it reads JSON as
the standard library does, the standard library where it would not."""
from __future__ import annotations

import json

import pytest

from goldsieve.store import TinyStore
from goldsieve.store.tinydb.codec import loads, shared


@pytest.mark.parametrize("value", [
    2**63, -(2**63) - 1, 2**70, 10**30, 1234567890123456789012.5,  # beyond orjson's integers
    "\ud800 a lone surrogate", {"\udfff": ["x"]},  # text orjson refuses
    1e300, -0.0, 0.1, "Ünïcode\nnew line", {"a": [1, None, True, {"b": "c"}]},
])
def test_loads_reads_what_json_writes_as_json_reads_it(value):
    payload = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    assert loads(payload) == json.loads(payload) == value
    assert type(loads(payload)) is type(value)


@pytest.mark.parametrize("payload", [b"", b"{", b"[1,]", b"\xff"])
def test_loads_refuses_what_is_not_json(payload):
    with pytest.raises(ValueError):
        loads(payload)


def test_shared_interns_short_texts_in_nested_values_and_leaves_long_ones():
    long = "x" * 33
    first = shared(loads(json.dumps({"a": "won" + "", "l": long, "d": {"s": "lead"}, "t": [["rep"], "q"]}).encode()))
    second = shared(loads(json.dumps({"a": "won", "l": long, "d": {"s": "lead"}, "t": [["rep"], "q"]}).encode()))
    assert first == second
    assert first["a"] is second["a"] and first["d"]["s"] is second["d"]["s"]
    assert first["t"][0][0] is second["t"][0][0] and first["t"][1] is second["t"][1]
    assert first["l"] is not second["l"]


def test_a_document_beyond_orjson_survives_the_journal_and_the_snapshot(tmp_path):
    doc = {"big": 2**64 + 1, "float": 1e22, "small": 3}
    with TinyStore(tmp_path / "data") as store:
        with store.transaction() as txn:
            id = txn.insert("deals", dict(doc))
    with TinyStore(tmp_path / "data") as store:  # from the journal
        assert store.get("deals", id) == {**doc, "id": id}
        store.compact()
    with TinyStore(tmp_path / "data") as store:  # from the image
        assert store.get("deals", id) == {**doc, "id": id}
    (tmp_path / "data" / "snapshot.image").unlink()
    with TinyStore(tmp_path / "data") as store:  # from the snapshot
        assert store.get("deals", id) == {**doc, "id": id}
