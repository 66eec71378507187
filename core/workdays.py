"""Business days: which days a team works, so that rules counted in business days skip the rest.

Three rules count business days when they are told to: the stale rule (a stage's
``rot_days_business``), the due date of a task an automation creates (the action's
``business_days``) and the pool's reclamation (``[pool] reclaim_business_days``). They all ask
one :class:`Workdays`, declared in ``goldsieve.toml``::

    [calendar]
    holidays = "CN"              # the country whose public holidays (and make-up workdays) count
    subdivision = "HK"           # optional: a region of that country
    timezone = "Asia/Shanghai"   # where the days begin and end (default: UTC)

Without ``holidays`` the business days are Monday to Friday. With it, the country's calendar
comes from the maintained ``holidays`` package, which knows, for example, that China works on
the Saturday before the Spring Festival (调休) and rests on the weekdays it makes up for; its data
is updated with each release, so upgrading the package updates the calendar.

Time is counted, not days: "two business days before now" walks back from now through each
day, adding the hours of the days that are business days until two days' worth are gathered.
So a moment never moves backwards as ``now`` moves on, and a weekend or a holiday neither makes
nor unmakes a stale deal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import GoldsieveError

#: Monday to Friday (``date.weekday()`` numbers them 0 to 4).
_MONDAY_TO_FRIDAY = frozenset(range(5))
#: The most business days any rule may count: far beyond any rule's need, and a bound on the walk.
MAX_DAYS = 3650


class CalendarError(GoldsieveError):
    """``[calendar]`` in goldsieve.toml names what no calendar knows."""


@dataclass(frozen=True)
class Workdays:
    """The days a workspace works on, and time counted over them only."""

    country: str | None = None
    subdivision: str | None = None
    zone: Any = timezone.utc
    #: ``date -> bool``; built from ``country`` (default: Monday to Friday)
    is_workday: Callable[[date], bool] = field(default=lambda day: day.weekday() in _MONDAY_TO_FRIDAY,
                                               compare=False, repr=False)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Workdays":
        """The calendar of ``[calendar]``; :class:`CalendarError` names the first wrong setting."""
        table = config.get("calendar", {})
        if not isinstance(table, dict):
            raise CalendarError('goldsieve.toml: calendar must be a table: [calendar] holidays = "CN"')
        unknown = set(table) - {"holidays", "subdivision", "timezone"}
        if unknown:
            raise CalendarError(f"goldsieve.toml: [calendar] {sorted(unknown)[0]}: unknown setting; "
                                "the settings are holidays, subdivision, timezone")
        zone = _zone(table.get("timezone", "UTC"))
        country, subdivision = table.get("holidays"), table.get("subdivision")
        if country is None:
            if subdivision is not None:
                raise CalendarError("goldsieve.toml: [calendar] subdivision needs holidays, the country "
                                    'it belongs to: holidays = "CN"')
            return cls(zone=zone)
        return cls(country, subdivision, zone, _country_calendar(country, subdivision))

    def before(self, moment: datetime, days: float) -> datetime:
        """The moment ``days`` business days of time before ``moment``."""
        left, day = _span(days), moment.astimezone(self.zone).date()
        while True:
            start = self._midnight(day)
            if self.is_workday(day):
                if moment - start >= left:
                    return moment - left
                left -= moment - start
            moment, day = start, day - timedelta(days=1)

    def after(self, moment: datetime, days: float) -> datetime:
        """The moment ``days`` business days of time after ``moment``."""
        left, day = _span(days), moment.astimezone(self.zone).date()
        while True:
            end = self._midnight(day + timedelta(days=1))
            if self.is_workday(day):
                if end - moment >= left:
                    return moment + left
                left -= end - moment
            moment, day = end, day + timedelta(days=1)

    def _midnight(self, day: date) -> datetime:
        """Where ``day`` begins, in UTC (so that a day of 23 or 25 hours counts as long as it is)."""
        return datetime.combine(day, time(0), self.zone).astimezone(timezone.utc)


#: The business days of a workspace that declares no ``[calendar]``: Monday to Friday in UTC.
WEEKDAYS = Workdays()


def _span(days: float) -> timedelta:
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"business days are counted from 0 to {MAX_DAYS}, not {days}")
    return timedelta(days=days)


def _zone(name: object) -> Any:
    if not isinstance(name, str):
        raise CalendarError(f'goldsieve.toml: [calendar] timezone = {name!r}: a zone name such as "Asia/Shanghai"')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f'goldsieve.toml: [calendar] timezone = "{name}": no such time zone; '
                            'write one such as "Asia/Shanghai" or "UTC"') from None


def _country_calendar(country: object, subdivision: object) -> Callable[[date], bool]:
    """The country's working days from the ``holidays`` package, imported only when declared."""
    import holidays

    if not isinstance(country, str) or country.upper() not in holidays.list_supported_countries():
        raise CalendarError(f"goldsieve.toml: [calendar] holidays = {country!r}: not a country code the "
                            'holidays calendar knows; write an ISO code such as "CN", "US" or "DE"')
    if subdivision is not None and not isinstance(subdivision, str):
        raise CalendarError(f"goldsieve.toml: [calendar] subdivision = {subdivision!r}: a region code")
    try:
        calendar = holidays.country_holidays(country.upper(), subdiv=subdivision)
    except NotImplementedError:
        raise CalendarError(f"goldsieve.toml: [calendar] subdivision = {subdivision!r}: not a region of "
                            f"{country.upper()} the holidays calendar knows") from None
    return calendar.is_working_day
