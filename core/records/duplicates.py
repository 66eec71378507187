"""Match keys: what makes two customers the same customer, and finding one by lookup.

Each customer has one key per declared match key (``match`` of records/customer.json) that it
has a value for, as ``"<key>:<normalised value>"``, in the ``customer_keys`` table (indexed on
``key`` in both stores), written in the customer's own transaction. A duplicate check is then one
indexed query for the new record's keys, not a scan of the customers.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..errors import ValidationFailed, Violation
from ..store import Store, Transaction
from ..store.filters import Eq, Filter, In, Not, Range
from ..store.search import fold
from .check import NAME_KEY
from .model import RecordType

KEYS = "customer_keys"
#: The customers that are not merged into another (:mod:`.merging`): lists, the pool and the
#: reclaim read only these.
NOT_MERGED: Filter = Not(Range("merged_into"))

#: Legal-form suffixes a company name may carry; the longer Chinese forms come first so that
#: 股份有限公司 is removed whole rather than leaving 股份.
_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限責任公司", "有限公司")
#: Latin ones count only as whole words: "Costco" keeps its "co".
_LATIN_SUFFIX = re.compile(
    r"[\s,.(]+(?:co\.?,?\s*ltd|ltd|limited|inc|incorporated|llc|l\.l\.c|gmbh|corp|corporation|co)\.?\)?\s*$")


def _without(text: str, keep: str = "") -> str:
    """``text`` without spaces, punctuation and symbols (except the characters in ``keep``)."""
    return "".join(c for c in text
                   if c in keep or unicodedata.category(c)[0] not in ("Z", "P", "S", "C"))


def normalise_name(name: str) -> str:
    """A company name as a match key: half-width, case folded, legal-form suffixes removed, then
    spaces and punctuation removed ("ＡＣＭＥ (Shanghai) Co., Ltd." and "acme shanghai" agree)."""
    text = fold(name)
    while True:
        before = text
        for suffix in _CJK_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].rstrip()
        found = _LATIN_SUFFIX.search(text)
        if found and found.start() > 0:
            text = text[: found.start()]
        if text == before:
            return _without(text)


def normalise_value(value: Any) -> str | None:
    """A declared field's value as a match key: half-width, case folded, without spaces and
    punctuation other than ``@``, ``.`` and ``+`` (so e-mail addresses stay apart); ``None`` when
    nothing is left, or the value is not text or a whole number."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return _without(fold(str(value)), keep="@.+") or None


def match_keys(kind: RecordType, name: str, data: dict[str, Any]) -> dict[str, str]:
    """Declared match key → ``"<key>:<normalised value>"``, for the keys the record has a value for."""
    keys = {}
    for key in kind.match:
        value = normalise_name(name) if key == NAME_KEY else normalise_value(data.get(key))
        if value:
            keys[key] = f"{key}:{value}"
    return keys


def find_match(store: Store, keys: dict[str, str], exclude: int | None = None
               ) -> tuple[str, int] | None:
    """The first declared key (in declaration order) that another customer already holds, and
    that customer's id; ``None`` when no customer has any of the keys."""
    if not keys:
        return None
    holders: dict[str, int] = {}
    for row in store.find(KEYS, In("key", tuple(keys.values()))):
        if row["customer_id"] != exclude:
            holders.setdefault(row["key"], row["customer_id"])
    for key, value in keys.items():
        if value in holders:
            return key, holders[value]
    return None


def write_keys(txn: Transaction, store: Store, customer_id: int, keys: dict[str, str],
               new: bool = False) -> None:
    """Make the customer's own stored keys exactly ``keys`` (in the caller's transaction); the
    keys it took over from customers merged into it (``merged_from``) stay. A ``new`` customer
    has none yet, so none is read."""
    wanted = set(keys.values())
    for row in [] if new else store.find(KEYS, Eq("customer_id", customer_id)):
        if row["key"] in wanted or row.get("merged_from") is not None:
            wanted.discard(row["key"])
        else:
            txn.delete(KEYS, row["id"])
    for key in sorted(wanted):
        txn.insert(KEYS, {"key": key, "customer_id": customer_id})


def refuse_merged(customer: dict[str, Any], path: str = "/merged_into") -> None:
    """:class:`ValidationFailed` for a customer merged into another: it only redirects to the
    survivor, and nothing changes it any more."""
    if customer.get("merged_into") is not None:
        raise ValidationFailed([Violation(path, "merged", f"Customer {customer['id']} was merged into "
                                          f"customer {customer['merged_into']}; use that one.")])
