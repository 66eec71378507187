"""Values for the demo: a calendar of working days, and plausible field values for any funnel.

Split from :mod:`goldsieve.demo.builder` so the simulation reads as the story of a deal's life, and
the made-up names, numbers and dates live in one place.
"""
from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ..clock import stamp
from ..funnels.choices import choice_values
from ..funnels.model import Funnel

WORKDAYS = 195  # 39 weeks of five working days: nine months
LOCAL = timezone(timedelta(hours=8))  # the demo company sells in CNY, from China
DAY_HOURS = 9  # 9:00–18:00

CITIES = ("Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Suzhou", "Chengdu", "Wuhan", "Nanjing",
          "Xiamen", "Qingdao", "Tianjin", "Guangzhou")
NAMES = ("Huaxin", "Hengda", "Jinhai", "Tianyu", "Ruifeng", "Zhongke", "Xinghe", "Longteng",
         "Baiyun", "Dongfang", "Minsheng", "Kaiyuan", "Yuanda", "Haitian")
KINDS = (("Logistics", "logistics"), ("Manufacturing", "manufacturing"), ("Retail", "retail"),
         ("Pharma", "healthcare"), ("Auto Parts", "automotive"), ("Foods", "food"),
         ("Electronics", "electronics"), ("Energy", "energy"), ("Bank", "finance"))
PRODUCTS = ("ERP rollout", "CRM licences", "Data platform", "HR cloud", "MES upgrade",
            "BI dashboards", "Supply chain suite", "Security audit", "E-commerce platform")
SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun")
GIVEN = ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Hui", "Tao", "Ling")
POSTS = ("CEO", "CFO", "CIO", "COO", "IT director", "Purchasing manager")


# --- time -----------------------------------------------------------------------------------


class WorkCalendar:
    """Working-day time: ``t = 3.5`` is noon of the fourth of ``WORKDAYS`` working days."""

    def __init__(self, now: datetime):
        day = now.astimezone(LOCAL).date() - timedelta(days=1)
        days: list[date] = []
        while len(days) < WORKDAYS:
            if day.weekday() < 5:
                days.append(day)
            day -= timedelta(days=1)
        self.days = days[::-1]
        self._starts = [datetime.combine(d, time(9), LOCAL).timestamp() for d in self.days]

    def stamp(self, t: float) -> str:
        i = min(int(t), WORKDAYS - 1)
        ms = round((self._starts[i] + (t - i) * DAY_HOURS * 3600) * 1000)
        return stamp(datetime.fromtimestamp(ms / 1000, timezone.utc))

    def date(self, t: float) -> str:
        """The calendar date of working-day time ``t``, also past the window (planned dates)."""
        i = int(t)
        if i < WORKDAYS:
            return self.days[max(i, 0)].isoformat()
        day = self.days[-1]
        for _ in range(i - WORKDAYS + 1):
            day += timedelta(days=3 if day.weekday() == 4 else 1)
        return day.isoformat()


# --- field values ---------------------------------------------------------------------------


class Filler:
    """Plausible values for a funnel's fields: by familiar name, else by type and format."""

    def __init__(self, funnel: Funnel, rng: random.Random, calendar: WorkCalendar):
        self.funnel, self.rng, self.calendar = funnel, rng, calendar
        self.props: dict[str, dict] = funnel.fields_schema.get("properties", {})
        gated = {n for s in funnel.stages if s.gate for n in s.gate.get("required", [])}
        self.conditional = {n for s in funnel.stages if s.applies_when
                            for n in s.applies_when.get("required", [])}
        required = set(funnel.fields_schema.get("required", []))
        first = funnel.first_stage
        required |= set(first.gate.get("required", [])) if first.gate else set()
        # who knows what when: required fields from the start, a deal's amount sometimes,
        # contact details mostly, what gates ask for only when a rep gets there
        self.at_start = {n: 1.0 if n in required else 0.35 if n in self.conditional
                         else 0.0 if n in gated else 0.65 for n in self.props}

    def context(self, index: int) -> dict[str, Any]:
        r = self.rng
        kind, industry = r.choice(KINDS)
        return {"index": index, "city": r.choice(CITIES), "name": r.choice(NAMES), "kind": kind,
                "industry": industry, "person": (r.choice(SURNAMES), r.choice(GIVEN)),
                "product": r.choice(PRODUCTS)}

    def title(self, ctx: dict) -> str:
        return f"{ctx['city']} {ctx['name']} – {ctx['product']}"

    def value(self, name: str, ctx: dict, t: float) -> Any:
        """A value for field ``name`` of the deal ``ctx``, decided at working-day time ``t``."""
        r, schema = self.rng, self.props.get(name, {})
        surname, given = ctx["person"]
        kind = schema.get("type")
        if "const" in schema:
            return schema["const"]
        choices = choice_values(schema)
        if choices:
            return r.choice(choices)
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date":
                ahead = r.uniform(10, 40) if "close" in name else r.uniform(0, 3)
                return self.calendar.date(t + ahead)
            if fmt == "email":
                return f"{given}.{surname}@{ctx['name']}-{ctx['industry']}.cn".lower()
            text = self._special(name, ctx)
            if text is None and name.endswith("_no"):
                text = f"{name[:2].upper()}-{self.calendar.date(t)[:4]}-{ctx['index']:05d}"
            elif text is None:
                text = f"{_words(name)} for {ctx['city']} {ctx['name']}"
            text = text.ljust(schema.get("minLength", 0), ".")[: schema.get("maxLength", 10_000)]
            return text
        if kind in ("number", "integer"):
            if name == "amount":
                # median 200k; about one deal in fourteen is worth a million or more
                return max(5000.0, round(math.exp(r.gauss(math.log(200_000), 1.1)), -3))
            low = max(schema.get("minimum", 0), schema.get("exclusiveMinimum", -1) + 1)
            high = schema.get("maximum", low + (20 if kind == "integer" else 50_000))
            return r.randint(int(low), int(high)) if kind == "integer" else round(r.uniform(low, high), 2)
        if kind == "boolean":
            return r.random() < 0.5
        if kind == "array":
            choices = choice_values(schema.get("items", {}))
            return r.sample(choices, min(len(choices), r.randint(1, 2))) if choices else []
        return {} if kind == "object" else f"{_words(name)} {ctx['index']}"

    def _special(self, name: str, ctx: dict) -> str | None:
        """The text of a field whose name is familiar, else ``None`` (asked for every text field
        of every deal: a chain of tests, not a table of functions built per call)."""
        r, (surname, given) = self.rng, ctx["person"]
        if name == "company":
            return f"{ctx['city']} {ctx['name']} {ctx['kind']} Co., Ltd."
        if name == "contact":
            return f"{surname} {given}"
        if name == "phone":
            return f"+86 1{r.choice('3578')}{r.randint(0, 9)} {r.randint(1000, 9999)} {r.randint(1000, 9999)}"
        if name == "industry":
            return ctx["industry"]
        if name == "region":
            return ctx["city"]
        if name == "needs_survey":
            return self._survey(ctx)
        if name == "decision_maker":
            return f"{r.choice(SURNAMES)} {r.choice(GIVEN)} ({r.choice(POSTS)})"
        if name == "scope":  # a services statement of work
            return (f"{ctx['product']} for {ctx['name']}: current-state review, target design and "
                    f"{r.choice((4, 6, 8, 12))} workshops with the key users; weekly status reports, "
                    f"acceptance by the steering committee. Out of scope: licences and hardware.")
        return None

    def _survey(self, ctx: dict) -> str:
        r = self.rng
        users = r.choice((12, 25, 40, 80, 150, 300))
        team = r.choice(("sales", "finance", "the plants", "the warehouses", "HR"))
        today = r.choice(("spreadsheets", "a legacy system", "paper forms"))
        return (f"{users} users in {team} need {ctx['product'].lower()}; today they use {today}. "
                f"Go-live wanted in {r.choice(('Q1', 'Q2', 'Q3', 'Q4'))}, decided by the board.")

    def satisfy(self, value: Any, rule: dict) -> Any:
        """Bend a value to a gate's own rule for the field (``const``, its choices, lower bounds)."""
        if "const" in rule:
            return rule["const"]
        allowed = choice_values(rule)
        if allowed and value not in allowed:
            return self.rng.choice(allowed)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "exclusiveMinimum" in rule and value <= rule["exclusiveMinimum"]:
                value = rule["exclusiveMinimum"] + 1
            if "minimum" in rule and value < rule["minimum"]:
                value = rule["minimum"]
        return value


def _words(name: str) -> str:
    return name.replace("_", " ").capitalize()
