"""Time windows the reports speak of: [start, end) in UTC, quarters like ``2026Q4``, weeks, months."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says

QUARTER = re.compile(r"^([0-9]{4})-?Q([1-4])$", re.IGNORECASE)
DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: The years a window may lie in. The reports reach back two years from a quarter (the
#: backtest's own forecasts look at the four quarters before theirs) and a quarter ahead, and a
#: date ends with the year 9999; no sales history reaches before 1900 or past 8999.
FIRST_YEAR, LAST_YEAR = 1900, 8999
#: Those years as a regular expression, for the OpenAPI document (a test holds the two together).
YEAR_PATTERN = "(19[0-9]{2}|[2-8][0-9]{3})"
#: The buckets a trend comes in.
INTERVALS = ("week", "month")


class BadWindow(ValueError):
    """A window parameter that cannot be read: ``param`` names it, the message says why."""

    def __init__(self, param: str, message: str):
        self.param = param
        super().__init__(f"{param}: {message}")


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def quarter_of(moment: datetime) -> tuple[int, int]:
    return moment.year, (moment.month - 1) // 3 + 1


def quarter_window(year: int, quarter: int) -> tuple[datetime, datetime]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return midnight(start), midnight(end)


def parse_quarter(text: str) -> tuple[int, int]:
    """``2026Q4`` (or ``2026-q4``) → ``(2026, 4)``; :class:`BadWindow` otherwise."""
    found = QUARTER.match(text.strip()) if isinstance(text, str) else None
    if not found:
        raise BadWindow("quarter", _("“%(text)s” is not a quarter like 2026Q4", text=text))
    return _year(int(found.group(1)), "quarter"), int(found.group(2))


def _year(year: int, name: str) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadWindow(name, _("%(year)s is not a year from %(first)s to %(last)s", year=year, first=FIRST_YEAR,
                                    last=LAST_YEAR))
    return year


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def parse_day(text: str, name: str) -> datetime:
    """A ``YYYY-MM-DD`` parameter (ASCII digits, a year from :data:`FIRST_YEAR` to
    :data:`LAST_YEAR`) as UTC midnight."""
    written = text.strip() if isinstance(text, str) else ""
    try:
        day = date.fromisoformat(written) if DAY.match(written) else None
    except ValueError:  # 2026-02-30
        day = None
    if day is None:
        raise BadWindow(name, _("“%(text)s” is not a date like 2026-10-01", text=text))
    _year(day.year, name)
    return midnight(day)


def window(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The window from ``from``/``to`` parameters; the current quarter when both are absent.

    ``to`` is exclusive. Only one of them given: the other is the quarter's bound around it.
    """
    default_start, default_end = quarter_window(*quarter_of(now))
    first = parse_day(start, "from") if start else None
    last = parse_day(end, "to") if end else None
    if first is None and last is None:
        return default_start, default_end
    if first is None:
        first = quarter_window(*quarter_of(last - timedelta(days=1)))[0]
    if last is None:
        last = quarter_window(*quarter_of(first))[1]
    if last <= first:
        raise BadWindow("to", _("%(last)s is not after from (%(first)s)", last=last.date(), first=first.date()))
    return first, last


def check_interval(interval: str) -> None:
    if interval not in INTERVALS:
        raise BadWindow("interval", _("“%(interval)s” is neither week nor month", interval=interval))


def buckets(start: datetime, end: datetime, interval: str) -> list[tuple[datetime, datetime]]:
    """Consecutive weeks (Monday to Monday) or calendar months covering [start, end)."""
    check_interval(interval)
    if interval == "week":
        cursor = midnight((start - timedelta(days=start.weekday())).date())
    else:
        cursor = midnight(start.date().replace(day=1))
    found = []
    while cursor < end:
        if interval == "week":
            following = cursor + timedelta(days=7)
        else:
            following = midnight(date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1))
        found.append((cursor, following))
        cursor = following
    return found
