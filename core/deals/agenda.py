"""A person's agenda: their open tasks with a due time and their planned activities, as a
calendar app shows them (the ``.ics`` feed of :mod:`goldsieve.people.calendar_keys`).

The agenda reads through the same visibility as the pages: a task on a deal the person may no
longer see, or an activity of a deal or customer they may not see, is not in it. What a line
says is the caller's (the web layer words it in the person's language); this module decides what
is on the agenda and writes the iCalendar document (RFC 5545, through the ``icalendar`` package).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..clock import parse_stamp
from ..store.filters import Eq, In, all_of
from .activities import PLANNED, Activities
from .tasks import my_tasks, visible_deals

if TYPE_CHECKING:
    from .engine import Engine

#: The most tasks and the most planned activities an agenda holds (the nearest due first).
MAX_ENTRIES = 500


@dataclass(frozen=True)
class Entry:
    """One appointment: a task (``kind="task"``) or a planned activity (``kind="activity"``)."""

    kind: str
    row: dict[str, Any]
    start: datetime
    minutes: int | None
    deal: dict[str, Any] | None
    customer: dict[str, Any] | None

    @property
    def uid(self) -> str:
        """Stable across fetches, so that a calendar app updates the event instead of adding one."""
        return f"{self.kind}-{self.row['id']}"


def agenda(engine: "Engine", user: dict[str, Any]) -> list[Entry]:
    """The user's open tasks with a due time and planned activities they own, soonest first."""
    tasks = [t for t in my_tasks(engine, user, limit=MAX_ENTRIES) if t["due"]]
    activities = engine.store.find("activities", all_of(Eq("owner", user["username"]), Eq("status", PLANNED)))
    activities = sorted(Activities(engine).visible(user, activities), key=lambda a: a["due_at"])
    activities = activities[:MAX_ENTRIES]
    deal_ids = {r["deal_id"] for r in tasks + activities if r.get("deal_id") is not None}
    deals = visible_deals(engine, user, deal_ids)
    customer_ids = {r["customer_id"] for r in activities if r.get("customer_id") is not None}
    customer_ids |= {d["customer_id"] for d in deals.values() if d.get("customer_id") is not None}
    seen: dict[int, dict[str, Any]] = {}
    if engine.customers is not None and customer_ids:
        where = all_of(engine.customers.scope(user), In("id", tuple(sorted(customer_ids))))
        seen = {c["id"]: c for c in engine.store.find("customers", where)}
    entries = [Entry("task", t, parse_stamp(t["due"]), None, deals.get(t["deal_id"]),
                     seen.get((deals.get(t["deal_id"]) or {}).get("customer_id"))) for t in tasks]
    for row in activities:
        deal = deals.get(row.get("deal_id"))
        customer = seen.get(row.get("customer_id") or (deal or {}).get("customer_id"))
        entries.append(Entry("activity", row, parse_stamp(row["due_at"]), row.get("duration_minutes"),
                             deal, customer))
    return sorted(entries, key=lambda e: (e.start, e.uid))


@dataclass(frozen=True)
class Appointment:
    """An :class:`Entry` as the reader sees it: its words and its link."""

    entry: Entry
    summary: str
    description: str
    url: str | None


def ics_document(appointments: list[Appointment], name: str, now: datetime) -> bytes:
    """The iCalendar document of these appointments, named ``name`` in the calendar app."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//goldsieve//agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for item in appointments:
        event = Event()
        event.add("uid", f"{item.entry.uid}@goldsieve")
        event.add("dtstamp", now)
        event.add("dtstart", item.entry.start)
        if item.entry.minutes:
            event.add("dtend", item.entry.start + timedelta(minutes=item.entry.minutes))
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        calendar.add_component(event)
    return calendar.to_ical()
