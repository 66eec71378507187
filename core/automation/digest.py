"""The weekly digest: each manager's three numbers, their change since the week before, stale deals.

Managers check, every week, deals per stage, stage-to-stage conversion and dwell time. The digest
computes them with :mod:`goldsieve.analytics` for last week ([Monday 00:00, next Monday) UTC,
the ISO week before the current one) and for the week before it, over the deals the manager may
see (``engine.scope(manager)``, a store filter), and lists their open deals marked stale.

It is delivered to the manager's inbox once per ISO week, at or after ``[digest] weekday``
(ISO, 1 = Monday) and ``hour`` (UTC), by the background worker's scan. "Once" holds across scans,
restarts and several workers: the user row carries ``digest_week`` (``2026-W02``), and the
notification is written in the same transaction as that mark, with a version check on the user
row — a second writer of the same week loses with :class:`Conflict` and writes nothing.
The text is in the manager's language (their ``locale``, else the workspace's), written once
with the UI's catalogs (:mod:`goldsieve.locales`), so the inbox and the channel say the same.
When the manager's team has a channel (:mod:`goldsieve.automation.digest_channel`), the same transaction
writes an outbox row (:func:`goldsieve.automation.channels.message_row`) that sends the digest there, with the
retries, backoff and dead-lettering of every delivery, under the key ``digest:<user>:<week>``.
Times are UTC.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..analytics import funnel_report
from ..analytics.cache import HistoryCache
from ..analytics.figures import figure, written
from ..analytics.metrics import FunnelMetrics, StageMetrics
from ..clock import stamp
from ..errors import GoldsieveError
from ..funnels.model import OPEN
from ..locales import bcp47, normalize, translations
from ..people.users import is_active
from ..store import Conflict
from ..store.filters import Eq, Range, all_of
from ..workspace import CONFIG_NAME
from .channels import Message, message_row

if TYPE_CHECKING:
    from ..deals.engine import Engine
    from ..funnels.model import Funnel
    from .digest_channel import DigestDelivery

log = logging.getLogger(__name__)

#: When the digest is due unless ``[digest]`` says otherwise: Monday 08:00 UTC.
DEFAULT_WEEKDAY, DEFAULT_HOUR = 1, 8
#: How many stale deals the digest names (the count is always complete).
MAX_STALE = 20
#: The funnel's figures the digest gives for last week, before its stages' lines: the same
#: numbers, under the same names, as the analytics page of that week (:mod:`goldsieve.analytics.figures`).
HEADLINE = tuple(figure(name) for name in ("open_deals", "open_pipeline_weighted", "won", "lost", "win_rate"))


class DigestConfigError(GoldsieveError):
    """``[digest]`` of goldsieve.toml is unusable; the message names the key."""


def digest_section(config: dict[str, Any]) -> dict[str, Any]:
    """The ``[digest]`` table of ``goldsieve.toml`` (empty when absent), refusing anything else."""
    section = config.get("digest", {})
    if not isinstance(section, dict):
        raise DigestConfigError(f"{CONFIG_NAME}: [digest] must be a table")
    return section


@dataclass(frozen=True)
class Schedule:
    weekday: int = DEFAULT_WEEKDAY
    hour: int = DEFAULT_HOUR

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Schedule":
        """Read ``[digest] weekday`` (1-7) and ``hour`` (0-23), refusing anything else."""
        section = digest_section(config)
        weekday, hour = section.get("weekday", DEFAULT_WEEKDAY), section.get("hour", DEFAULT_HOUR)
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 1 <= weekday <= 7:
            raise DigestConfigError(f"[digest] weekday must be 1 (Monday) to 7, not {weekday!r}")
        if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
            raise DigestConfigError(f"[digest] hour must be 0 to 23, not {hour!r}")
        return cls(weekday, hour)

    def due_at(self, now: datetime) -> datetime:
        """The moment this ISO week's digest becomes due."""
        return week_start(now) + timedelta(days=self.weekday - 1, hours=self.hour)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week holding ``moment``."""
    utc = moment.astimezone(timezone.utc)
    return datetime(utc.year, utc.month, utc.day, tzinfo=timezone.utc) - timedelta(days=utc.weekday())


def week_label(moment: datetime) -> str:
    year, week, _ = moment.astimezone(timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class StageLine:
    """One stage's three numbers last week, and the change since the week before."""

    stage: str
    deals: int
    deals_change: int
    conversion: float | None
    conversion_change: float | None
    dwell_median: float | None
    dwell_change: float | None


@dataclass
class Digest:
    user: str
    week: str
    start: datetime
    end: datetime
    funnels: dict[str, list[StageLine]] = field(default_factory=dict)
    #: last week's :data:`HEADLINE` figures of each funnel listed, by figure id
    headlines: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    stale: list[dict[str, Any]] = field(default_factory=list)
    stale_count: int = 0
    #: the funnels by id, for their titles and their stages' in the reader's language
    definitions: dict[str, "Funnel"] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The idempotency key of this week's digest of this manager, inbox and channel alike."""
        return f"digest:{self.user}:{self.week}"

    def subject(self, locale: str = "en") -> str:
        """The headline chat services show in their notification lists."""
        return translations(locale).gettext("Weekly digest %(week)s") % {"week": self.week}

    def text(self, locale: str = "en") -> str:
        """The digest as plain lines in ``locale`` (a catalog's name): one per stage, changes signed."""
        _ = translations(locale).gettext
        tag, na = bcp47(locale), _("n/a")

        def days(value: float | None, spec: str) -> str:
            return na if value is None else _("%(days)s d") % {"days": format(value, spec)}

        lines = [_("Weekly digest %(week)s (%(start)s to %(end)s)") % {
            "week": self.week, "start": f"{self.start:%Y-%m-%d}",
            "end": f"{self.end - timedelta(days=1):%Y-%m-%d}"}]
        for funnel_id, stages in self.funnels.items():
            funnel = self.definitions.get(funnel_id)
            lines.append(_("Funnel %(funnel)s:") % {"funnel": funnel.label(tag) if funnel else funnel_id})
            lines.append("  " + " · ".join(self.headline(funnel_id, locale)))
            for s in stages:
                points = None if s.conversion_change is None else f"{s.conversion_change * 100:+.0f}"
                lines.append("  " + _("%(stage)s: %(deals)d deals (%(deals_change)+d), conversion "
                                      "%(conversion)s (%(conversion_change)s), median dwell %(dwell)s "
                                      "(%(dwell_change)s)") % {
                    "stage": _stage_label(funnel, s.stage, tag), "deals": s.deals, "deals_change": s.deals_change,
                    "conversion": na if s.conversion is None else f"{s.conversion:.0%}",
                    "conversion_change": na if points is None else _("%(points)s pts") % {"points": points},
                    "dwell": days(s.dwell_median, ".1f"), "dwell_change": days(s.dwell_change, "+.1f")})
        lines.append(_("Stale deals: %(count)d") % {"count": self.stale_count})
        for deal in self.stale:
            stage = _stage_label(self.definitions.get(deal["funnel"]), deal["stage"], tag)
            lines.append(f"  #{deal['id']} {deal['title']} ({stage}, {deal['owner']})")
        return "\n".join(lines)

    def headline(self, funnel_id: str, locale: str = "en") -> list[str]:
        """``Label: value`` of each :data:`HEADLINE` figure of the funnel, in ``locale``."""
        _ = translations(locale).gettext
        funnel = self.definitions.get(funnel_id)
        currency = funnel.currency if funnel is not None else "CNY"
        values = self.headlines.get(funnel_id, {})
        return [_("%(label)s: %(value)s") % {
            "label": _(f.label), "value": written(f.kind, values.get(f.id), locale, currency)}
            for f in HEADLINE]


def _stage_label(funnel: "Funnel | None", stage_id: str, tag: str) -> str:
    stage = funnel.stage(stage_id) if funnel is not None else None
    return stage.label(tag) if stage is not None else stage_id


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def _line(now: StageMetrics, before: StageMetrics) -> StageLine:
    """A stage's line from its figures of last week and the week before."""
    deals, conversion, dwell = (figure(name)
                                for name in ("stage_open_deals", "stage_conversion", "dwell_median"))
    count = deals.read(now)
    return StageLine(now.stage, count, count - deals.read(before), conversion.read(now),
                     _change(conversion.read(now), conversion.read(before)), dwell.read(now),
                     _change(dwell.read(now), dwell.read(before)))


def _headline(report: FunnelMetrics) -> dict[str, float | int | None]:
    return {f.id: f.read(report) for f in HEADLINE}


def build_digest(engine: "Engine", manager: dict[str, Any], now: datetime,
                 cache: "HistoryCache | None" = None) -> Digest:
    """The digest ``manager`` gets this ISO week: last week against the week before, in their
    scope; from ``cache``'s histories when one is given (every manager's digest reads the same)."""
    end = week_start(now)
    start, previous = end - timedelta(days=7), end - timedelta(days=14)
    scope = engine.scope(manager)
    digest = Digest(manager["username"], week_label(now), start, end,
                    definitions={funnel.id: funnel for funnel in engine.funnels})
    for funnel in engine.funnels:
        last = funnel_report(engine.store, engine.funnels, funnel.id, scope, start, end, cache=cache)
        before = funnel_report(engine.store, engine.funnels, funnel.id, scope, previous, start, cache=cache)
        if last.empty and before.empty:
            continue  # nothing happened in either week: a table of zeros says nothing
        digest.funnels[funnel.id] = [_line(s, before.stage(s.stage)) for s in last.stages if s.kind == OPEN]
        digest.headlines[funnel.id] = _headline(last)
    stale = all_of(scope, Eq("status", OPEN), Range("stale_since", "", None))
    digest.stale_count = engine.store.count("deals", stale)
    digest.stale = engine.store.find("deals", stale, limit=MAX_STALE)
    return digest


def managers(engine: "Engine") -> list[dict[str, Any]]:
    """The active users with the manager role: the digest's readers."""
    return [u for u in engine.store.find("users", Eq("role", "manager")) if is_active(u)]


def reader_locale(manager: dict[str, Any], default: str = "en") -> str:
    """The language of the texts a manager reads: their own setting, else ``default`` (the
    workspace's), as a catalog names it (``zh_Hans``)."""
    return normalize(manager.get("locale")) or normalize(default) or "en"


def deliver(engine: "Engine", manager: dict[str, Any], digest: Digest, now: datetime,
            delivery: "DigestDelivery | None" = None) -> bool:
    """Write the digest to the manager's inbox unless this week's went already; True if written.

    The mark on the user row and the notification are one transaction, and the row is replaced
    with a version check, so of two workers delivering the same week one writes and one does not.
    When ``delivery`` gives the manager a channel, the transaction also writes the outbox row that
    sends the digest there, mentioning the manager: the channel gets it once too, or not at all.
    """
    channel = delivery.channel_for(engine.store, manager) if delivery is not None else None
    link = delivery.link if delivery is not None else None
    locale = reader_locale(manager, delivery.locale if delivery is not None else "en")
    text, at = digest.text(locale), stamp(now)
    try:
        with engine.store.transaction() as txn:
            stored = txn.get("users", manager["id"])  # as stored now: keeps a concurrent edit
            if stored is None or stored.get("digest_week") == digest.week:
                return False
            # Users carry a version from add_user; a row written before they did gets its first
            # one here, unchecked (the only write that can race another worker's unseen).
            version = stored.get("version", 0)
            txn.replace("users", {**stored, "digest_week": digest.week, "version": version + 1},
                        expect_version=version if "version" in stored else None)
            # A write from a stale read of the user (a login stamping last_login_at as this
            # commits) can undo the mark; the week's notification still says it was sent, and
            # the mark is put back instead of sending it again.
            if engine.store.count("notifications", all_of(Eq("user", digest.user), Eq("key", digest.key))):
                return False
            txn.insert("notifications", {"user": digest.user, "deal_id": None, "funnel": None,
                                         "text": text, "at": at, "read_at": None, "key": digest.key})
            if channel is not None:
                message = Message(event="digest", text=text, deal=None, funnel=None, at=at, key=digest.key,
                                  url=link, mentions=(digest.user,), subject=digest.subject(locale))
                txn.insert("outbox", message_row(message, channel))
    except Conflict:
        log.debug("the digest of %s for %s was written by another worker", digest.user, digest.week)
        return False
    if channel is not None:
        engine.on_outbox()  # wake the delivery thread
    return True


def scan_digests(engine: "Engine", now: datetime, schedule: Schedule,
                 delivery: "DigestDelivery | None" = None, cache: "HistoryCache | None" = None) -> int:
    """Deliver this week's digest to every manager who has not had it, once it is due; from
    ``cache``'s histories (the runtime's), else from histories read once for all of them."""
    if now < schedule.due_at(now):
        return 0
    week = week_label(now)
    sent = 0
    for manager in managers(engine):
        if manager.get("digest_week") == week:
            continue
        if cache is None and not engine.store.keeps_stays:  # read the log once for all of them
            cache = HistoryCache(engine.store, engine.funnels)
        sent += deliver(engine, manager, build_digest(engine, manager, now, cache), now, delivery)
    return sent
