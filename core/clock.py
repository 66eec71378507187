"""Time, injectable: the engine and scanners ask a clock, so tests never sleep."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a ``Z``: sorts as text, so stores can range-query it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


#: A minute as a person types it: a page's ``datetime-local`` input (``2026-03-02T09:30``) or a
#: command line (a space for the ``T``); ASCII digits only.
TYPED_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")


def typed_minute(text: str) -> str:
    """A typed minute as the kernel's timestamp, read as UTC; any other text unchanged, so that
    the kernel's own rule says what is wrong with it (one rule for the pages and the commands)."""
    text = text.strip()
    return f"{text.replace(' ', 'T')}:00Z" if TYPED_MINUTE.fullmatch(text) else text
