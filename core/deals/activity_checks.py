"""What refuses an activity's own values (docs/activities.md), apart from who may log it.

Each function only reads and lists :class:`~goldsieve.errors.Violation` objects at the request's
JSON pointer, so that :mod:`.activities` refuses a request with every problem at once and writes
nothing, and the pages show each beside its field.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from ..errors import Violation
from ..funnels.validation import pointer, violations
from ..limits import is_number, storable_text
from ..records.model import ActivityType, ActivityTypes
from .task_changes import parse_due

#: The longest activity one logs: a week, in minutes (a trade fair, a site installation).
MAX_DURATION = 7 * 24 * 60
MAX_OUTCOME = 2000
#: The longest title of an activity (a task's title has the same limit).
MAX_TITLE = 200
#: How far a clock may run ahead of the server's before a done time counts as the future.
CLOCK_SLACK = timedelta(minutes=5)


def type_problems(types: ActivityTypes, type_id: object) -> tuple[ActivityType | None, list[Violation]]:
    """The declared type named ``type_id``, or the violation at ``/type`` naming the choices."""
    kind = types.get(type_id)
    if kind is not None:
        return kind, []
    choices = ", ".join(types.ids)
    return None, [Violation("/type", "unknown_type", f"Choose one of the declared activity types: {choices}.")]


def parse_time(value: object, path: str) -> tuple[datetime | None, list[Violation]]:
    """A time as a client sends it: ``None``, or ISO 8601 with a time zone."""
    return parse_due(value, path, "time")


def done_problems(done_at: datetime | None, now: datetime) -> list[Violation]:
    """A done activity happened already: a done time ahead of now is a typing slip."""
    if done_at is not None and done_at > now + CLOCK_SLACK:
        return [Violation("/done_at", "future", "An activity cannot be done in the future; plan it with due_at.")]
    return []


def duration_problems(minutes: object) -> list[Violation]:
    if minutes is None:
        return []
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= MAX_DURATION:
        return [Violation("/duration_minutes", "range",
                          f"Give the duration as whole minutes from 0 to {MAX_DURATION}.", limit=MAX_DURATION)]
    return []


def outcome_problems(outcome: object) -> list[Violation]:
    return _text_problems("outcome", outcome, MAX_OUTCOME)


def title_problems(title: object) -> list[Violation]:
    """A planned (or done) activity's own title: what the agenda, the timeline and a calendar
    app show for it instead of its type alone."""
    return _text_problems("title", title, MAX_TITLE)


def _text_problems(key: str, value: object, limit: int) -> list[Violation]:
    """Free text of an activity at ``/key``: text, at most ``limit`` characters, storable."""
    if value is None:
        return []
    if not isinstance(value, str):
        return [Violation(f"/{key}", "type", f"The {key} is text.")]
    if len(value) > limit:
        return [Violation(f"/{key}", "maxLength", f"The {key} has at most {limit} characters.", limit=limit)]
    if not storable_text(value):
        return [Violation(f"/{key}", "invalid", f"The {key} cannot hold NUL characters or broken Unicode.")]
    return []


def location_problems(location: object) -> list[Violation]:
    """A position ``{lat, lon}``: finite degrees, latitude within ±90, longitude within ±180."""
    if location is None:
        return []
    if not isinstance(location, dict) or set(location) != {"lat", "lon"}:
        return [Violation("/location", "type", "A location is {\"lat\": degrees, \"lon\": degrees}.")]
    found = []
    for key, bound in (("lat", 90), ("lon", 180)):
        value = location[key]
        if not is_number(value) or not math.isfinite(value) or not -bound <= value <= bound:
            found.append(Violation(f"/location/{key}", "range", f"Give {key} in degrees from -{bound} to {bound}.",
                                   limit=bound))
    return found


def data_problems(kind: ActivityType, data: dict[str, Any]) -> list[Violation]:
    """The type's declared fields: its schema, and no key it does not declare."""
    declared = kind.fields_schema.get("properties") or {}
    undeclared = [Violation(pointer("/data", [key]), "unknown_field", "The activity type has no such field.")
                  for key in data if key not in declared]
    return violations(kind.validator, data) + undeclared
