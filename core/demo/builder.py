"""A demo workspace: users of every role and deals with nine months of believable history.

The history is simulated, not pushed through :meth:`Engine.move` step by step: a 30,000-deal demo
would cost 300,000 fsync'd transactions. Each deal's life is computed in memory — created, fields
filled as a rep would before each gate, moved stage by stage, sometimes back one stage, won, lost
with a reason, or left to go stale — and written with its events, in exactly the shapes the engine
writes, ``BATCH`` deals per store transaction. No observer hooks run: this is past history, and
automations firing for it would flood the notification outbox.

What a deal needs to enter a stage is read from the funnel model (``gates_to_enter`` and each
gate's ``required``; ``applies_when`` for the conditional stages), and values are made up by
field name where the name is familiar (company, phone, amount, …) and by JSON Schema type and
format otherwise, so the simulation follows the template rather than hard-coding it.

Determinism: all randomness comes from ``random.Random(seed)``, and time is drawn on a clock of
working days — the ``WORKDAYS`` working days (nine months) that end with the last working day
before today, 9:00–18:00 China time. So what happens — stages, outcomes, amounts, values, event
types, their order and their spacing in working days — is the same for a seed on any day; only
the calendar those working days fall on moves with today's date (and so do date fields).
"""
from __future__ import annotations

import contextlib
import json
import math
import random
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..clock import utc_now
from ..deals.engine import diff_data
from ..deals.importing import gc_paused
from ..funnels.model import LOST, OPEN, WON, Funnel, Stage
from ..funnels.transitions import transition_violations
from ..funnels.validation import violations
from ..workspace import CONFIG_NAME
from .activities import write_activities
from .customers import write_customers, write_records
from .values import WORKDAYS, Filler, WorkCalendar

DEMO_FILE = "demo.json"
TEMPLATE = "software"
MIN_GAP = 0.002  # working days between two writes of one deal (about a minute)
BATCH = 2000
CHECKED = 200  # deals whose every move is checked against the real transition rules and gates

#: username, role, team — every role, two managers, four reps in two teams
USERS = (
    ("admin", "admin", None),
    ("ceo.chen", "executive", None),
    ("mgr.zhao", "manager", "east"),
    ("mgr.qian", "manager", "west"),
    ("rep.li", "rep", "east"),
    ("rep.wang", "rep", "east"),
    ("rep.zhang", "rep", "west"),
    ("rep.liu", "rep", "west"),
    ("mkt.zhou", "marketing", None),
    ("care.sun", "after_sales", None),
)
#: team, manager: each manager sees their team's deals
TEAMS = (("east", "mgr.zhao"), ("west", "mgr.qian"))
#: share of the deals each rep owns and how well they convert
REPS = {"rep.li": (0.3, 1.1), "rep.wang": (0.25, 0.95), "rep.zhang": (0.25, 1.0), "rep.liu": (0.2, 0.85)}
#: median working days in a stage before the next step (lognormal around it)
DWELL = {"lead": 4, "qualified": 6, "demo": 6, "exec_visit": 8, "quote": 4, "negotiation": 7}
#: the funnel's conversion targets, bent so that analytics have a weak spot to find
BEND = {"qualified": 1.4, "demo": 1.1, "quote": 1.05, "negotiation": 0.85, "won": 1.1}
#: where deals are lost and why; the same reason clusters at the same stages
LOST_WEIGHTS = {
    "lead": {"no_budget": 4, "timing": 3, "requirements": 2, "no_decision": 1},
    "qualified": {"requirements": 4, "no_budget": 3, "timing": 2, "competitor": 1},
    "demo": {"requirements": 3, "competitor": 4, "no_decision": 1},
    "exec_visit": {"no_decision": 4, "competitor": 2, "price": 1},
    "quote": {"price": 6, "competitor": 3, "no_budget": 1},
    "negotiation": {"price": 4, "competitor": 3, "no_decision": 3},
    "_stalled": {"no_decision": 5, "timing": 4},
}
COMPETITOR_SINCE = WORKDAYS - 65  # a new competitor appears: more losses to it in the last quarter
LOST_NOTES = {
    "price": "Customer's budget is well below our quote.",
    "competitor": "They went with a competitor's offer.",
    "no_budget": "Budget frozen for this year.",
    "no_decision": "No answer after several follow-ups.",
    "requirements": "Our product does not cover their core process.",
    "timing": "Customer postponed the project.",
}
NOTES = (
    "Called, they are comparing offers.", "Sent the product brochure.", "Meeting with IT next week.",
    "Follow-up call done.", "Customer asked for references.", "Discussed the rollout plan.",
    "Waiting for budget approval.", "Sent answers to their questions by email.",
)
#: Every demo user's password: a demo is for trying things out, and one phrase is easy to share;
#: it passes the password policy (long, no user name in it, not a common password).
DEMO_PASSWORD = "panning-for-gold"


def password_for(username: str) -> str:
    return DEMO_PASSWORD


# --- one deal's life ------------------------------------------------------------------------


class Life:
    """One deal being lived: its document, its events, and the moves that build them."""

    def __init__(self, sim: "Simulation", index: int, t0: float):
        self.sim, self.f = sim, sim.funnel
        r = sim.rng
        self.owner = r.choices(list(REPS), [w for w, _ in REPS.values()])[0]
        self.skill = REPS[self.owner][1]
        creator = "mkt.zhou" if r.random() < 0.2 else self.owner
        self.ctx = sim.filler.context(index)
        self.profile = {n: sim.filler.value(n, self.ctx, t0) for n in sim.filler.props}
        data = {n: v for n, v in self.profile.items()
                if r.random() < sim.filler.at_start[n] and not _is_date(sim.filler.props[n])}
        self.t = t0
        self._path: list[Stage] | None = None
        at = sim.calendar.stamp(t0)
        self.deal = {
            "funnel": self.f.id, "funnel_version": self.f.version, "title": sim.filler.title(self.ctx),
            "stage": self.f.path(data)[0].id, "status": OPEN, "owner": self.owner, "data": data,
            "version": 1, "created_at": at, "updated_at": at, "stage_entered_at": at,
            "lost_reason": None, "created_by": creator, "stale_since": None, "customer_id": None,
        }
        self.events = [self._event("created", at, creator, to_stage=self.deal["stage"],
                                   changes=diff_data({}, data))]

    # the shapes Engine._event / Engine.move write
    def _event(self, type_: str, at: str, by: str, **fields: Any) -> dict:
        event = {"deal_id": None, "funnel": self.f.id, "funnel_version": self.f.version,
                 "type": type_, "at": at, "by": by, "from_stage": None, "to_stage": None,
                 "lost_reason": None, "changes": {}, "note": None}
        event.update(fields)
        return event

    def _write(self, t: float, events: list[dict]) -> None:
        self.t = t
        self.deal["version"] += 1
        self.deal["updated_at"] = events[0]["at"]
        self.events.extend(events)

    @property
    def stage(self) -> Stage:
        return self.f.stage(self.deal["stage"])

    def path(self) -> list[Stage]:
        """The stages the deal's whole profile goes through: asked at every step, evaluated
        again only after the profile changed (each conditional stage is a JSON Schema check)."""
        if self._path is None:
            self._path = self.f.path(self.profile)
        return self._path

    def revise(self, changes: dict) -> None:
        self.profile.update(changes)
        self._path = None

    def update(self, t: float, changes: dict, by: str | None = None) -> None:
        data = _merged(self.deal["data"], changes)
        changed = diff_data(self.deal["data"], data)
        if changed:
            self.deal["data"] = data
            self._write(t, [self._event("updated", self.sim.calendar.stamp(t), by or self.owner,
                                        changes=changed)])

    def note(self, t: float, text: str, by: str | None = None) -> None:
        self._write(t, [self._event("note_added", self.sim.calendar.stamp(t), by or self.owner, note=text)])

    def move(self, t: float, target: Stage, changes: dict | None = None, lost_reason: str | None = None,
             note: str | None = None, by: str | None = None) -> None:
        deal, before = self.deal, self.deal["data"]
        data = _merged(before, changes)
        if self.sim.checking:
            self.sim.check_move(deal, target, data, lost_reason)
        at, by = self.sim.calendar.stamp(t), by or self.owner
        events = []
        changed = diff_data(before, data)
        if changed:
            events.append(self._event("updated", at, by, changes=changed))
        reason = lost_reason if target.kind == LOST else None
        events.append(self._event("stage_changed", at, by, from_stage=deal["stage"],
                                  to_stage=target.id, lost_reason=reason, note=note))
        if target.kind in (WON, LOST):
            deal["closed_from"] = deal["stage"]
        deal.update(data=data, stage=target.id, status=target.kind, stage_entered_at=at,
                    lost_reason=reason)
        self._write(t, events)

    def needs(self, target: Stage, t: float) -> dict:
        """What a rep fills in before moving to ``target``: the condition that puts it on the
        deal's path, then every gate up to it; each value as the gate wants it."""
        filler, data = self.sim.filler, self.deal["data"]
        changes: dict[str, Any] = {}
        if target.applies_when:
            for name in target.applies_when.get("required", []):
                if name not in data:
                    changes[name] = self.profile[name]
        merged = {**data, **changes}
        for stage in self.f.gates_to_enter(target, merged):
            rules = stage.gate.get("properties", {})
            for name in stage.gate.get("required", []):
                if name not in merged:
                    value = self.profile.get(name)
                    if value is None or _is_date(filler.props.get(name, {})):
                        value = filler.value(name, self.ctx, t)
                    changes[name] = merged[name] = filler.satisfy(value, rules.get(name, {}))
        return changes


def _is_date(schema: dict) -> bool:
    return schema.get("format") in ("date", "date-time")


def _merged(data: dict, changes: dict | None) -> dict:
    """:func:`~goldsieve.funnels.validation.merge_data` without its deep copies: the simulation
    makes every value itself and never changes one in place, so sharing them is safe, and the
    copies were a tenth of a large demo's time."""
    merged = dict(data)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# --- many deals -----------------------------------------------------------------------------


class Simulation:
    def __init__(self, funnel: Funnel, seed: int, now: datetime):
        self.funnel = funnel
        self.rng = random.Random(seed)
        self.calendar = WorkCalendar(now)
        self.filler = Filler(funnel, self.rng, self.calendar)
        self.checking = False
        targets = funnel.definition.get("targets", {})
        self.convert = {s.id: min(0.95, targets.get(s.id, 0.6) * BEND.get(s.id, 1.0))
                        for s in funnel.stages}
        reasons = list(funnel.lost_reasons)
        self.lost_weights = {}
        for key in [s.id for s in funnel.open_stages()] + ["_stalled"]:
            known = {k: w for k, w in LOST_WEIGHTS.get(key, {}).items() if k in reasons}
            # an unfamiliar funnel still gets reasons that cluster by stage
            self.lost_weights[key] = known or {k: self.rng.random() ** 3 for k in reasons}

    def creation_times(self, count: int) -> list[float]:
        """Spread over the window, the business growing: density rises from 0.7 to 1.3."""
        a, b = 0.7, 0.6
        out = []
        for _ in range(count):
            u = self.rng.random()
            x = (-a + math.sqrt(a * a + 2 * b * u * (a + b / 2))) / b
            out.append(min(x * WORKDAYS, WORKDAYS - 0.05))
        return sorted(out)

    def dwell(self, stage: Stage, factor: float = 1.0) -> float:
        median = DWELL.get(stage.id, 5) * factor
        return max(MIN_GAP * 5, math.exp(self.rng.gauss(math.log(median), 0.8)))

    def reason(self, key: str, t: float) -> str:
        weights = dict(self.lost_weights[key])
        if t >= COMPETITOR_SINCE and "competitor" in weights:
            weights["competitor"] *= 2.5
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def live(self, index: int, t0: float) -> tuple[dict, list[dict]]:
        life, r, f = Life(self, index, t0), self.rng, self.funnel
        backs = 0
        while life.stage.kind == OPEN:
            stage = life.stage
            path = life.path()
            upcoming = [s for s in path if s.position > stage.position]
            if not upcoming:
                break
            target = upcoming[0]
            p_advance = min(0.95, self.convert[target.id] * life.skill)
            u = r.random()
            action = "advance" if u < p_advance else "lose" if u < p_advance + (1 - p_advance) * 0.8 else "stall"
            if action == "stall":  # goes silent; some get cleaned up much later, the rest rot
                t_act = life.t + self.dwell(stage, 8)
                if r.random() < 0.3 or t_act >= WORKDAYS:
                    break
                manager = "mgr.zhao" if self.owner_team(life.owner) == "east" else "mgr.qian"
                life.move(t_act, f.lost_stage, lost_reason=self.reason("_stalled", t_act),
                          note="Closed in the pipeline review: no activity.", by=manager)
                break
            t_act = life.t + self.dwell(stage, 1.4 if action == "lose" else 1.0)
            self._between(life, target if action == "advance" else None, min(t_act, WORKDAYS))
            t_act = max(t_act, life.t + MIN_GAP)
            if t_act >= WORKDAYS:
                break
            if action == "lose":
                reason = self.reason(stage.id, t_act)
                life.move(t_act, f.lost_stage, lost_reason=reason,
                          note=LOST_NOTES.get(reason) if r.random() < 0.4 else None)
                break
            before = [s for s in path if s.position < stage.position]
            if before and stage.position > path[1].position and backs < 2 and r.random() < 0.07:
                # the customer wants to see the previous step again, then carries on
                backs += 1
                life.move(t_act, before[-1], note="Customer asked to revisit this step.")
                t_back = t_act + self.dwell(before[-1], 0.4)
                if t_back >= WORKDAYS:
                    break
                life.move(t_back, stage)
                continue
            life.move(t_act, target, life.needs(target, t_act))
            if target.kind == WON and r.random() < 0.5:
                t_after = t_act + r.uniform(1, 8)
                if t_after < WORKDAYS:
                    life.note(t_after, "Kick-off meeting scheduled with the customer.", by="care.sun")
        return life.deal, life.events

    def _between(self, life: Life, target: Stage | None, until: float) -> None:
        """Activity while a deal sits in a stage: notes, details added, the gate's fields
        filled ahead of the move, a discount while negotiating."""
        r = self.rng
        start = life.t
        span = until - start
        plans: list[tuple[float, str]] = []
        if r.random() < min(0.6, span / 8):
            plans.append((r.random(), "note"))
        if r.random() < 0.25:
            plans.append((r.random(), "detail"))
        if target is not None and r.random() < 0.5:
            plans.append((r.uniform(0.3, 0.95), "prepare"))
        if life.stage.id == "negotiation" and r.random() < 0.3:
            plans.append((r.uniform(0.2, 0.9), "discount"))
        for share, kind in sorted(plans):
            t = max(start + share * span, life.t + MIN_GAP)
            if t >= until:
                break
            if kind == "note":
                life.note(t, r.choice(NOTES))
            elif kind == "detail":
                missing = [n for n in self.filler.props if n not in life.deal["data"]
                           and self.filler.at_start[n] > 0.5 and not _is_date(self.filler.props[n])]
                if missing:
                    name = r.choice(missing)
                    life.update(t, {name: life.profile[name]})
            elif kind == "prepare":
                needed = life.needs(target, t)
                if needed:
                    keys = sorted(needed)
                    some = r.sample(keys, r.randint(1, len(keys)))
                    life.update(t, {k: needed[k] for k in some})
            elif kind == "discount" and isinstance(life.deal["data"].get("amount"), (int, float)):
                data = life.deal["data"]
                cut = {"amount": round(data["amount"] * r.uniform(0.85, 0.97), -3)}
                if cut["amount"] > 0 and self.funnel.path({**data, **cut}) == self.funnel.path(data):
                    life.revise(cut)
                    life.update(t, cut)

    @staticmethod
    def owner_team(username: str) -> str | None:
        return next((team for name, _, team in USERS if name == username), None)

    def check_move(self, deal: dict, target: Stage, data: dict, lost_reason: str | None) -> None:
        """The engine's own checks, for the deals simulated in checking mode."""
        problems = violations(self.funnel.fields_validator, data)
        problems += transition_violations(self.funnel, deal, target, data)
        for stage in self.funnel.gates_to_enter(target, data):
            problems += violations(stage.gate_validator, data)
        if target.kind == LOST and lost_reason not in self.funnel.lost_reasons:
            problems.append(f"lost reason {lost_reason!r}")
        if problems:
            raise RuntimeError(f"the demo made an invalid move of {deal['title']!r} to {target.id}: {problems}")


# --- the workspace --------------------------------------------------------------------------


def ensure_demo(folder: Path, deals: int = 300, seed: int = 7, progress: str | None = None,
                template: str = TEMPLATE) -> bool:
    """Create a demo workspace in ``folder`` unless it holds one; True when it created it.

    An existing workspace is left exactly as it is. If building fails halfway, what was created
    is removed again, so a retry starts clean instead of finding a half-filled "existing" demo.
    """
    from ..people.teams import add_team, update_team
    from ..people.users import add_user
    from ..plugin_manager import make_plugin_manager, templates
    from ..runtime import open_runtime
    from ..workspace import init_workspace

    folder = Path(folder)
    if (folder / CONFIG_NAME).exists():
        return False
    definition = templates(make_plugin_manager())[template]
    existed = folder.exists()
    workspace = init_workspace(folder, definition)
    try:
        write_records(folder)
        with open_runtime(workspace) as runtime, runtime.store.bulk():
            for team, _manager in TEAMS:
                add_team(runtime.store, team)
            for username, role, team in USERS:
                add_user(runtime.store, username, role, password_for(username), team=team)
            for team, manager in TEAMS:
                update_team(runtime.store, team, manager=manager)
            until = write_deals(runtime.store, runtime.funnels.get(definition["id"]), deals, seed,
                                progress)
            made = write_customers(runtime, seed)
            made.update(write_activities(runtime, seed))
        note = {
            "template": template, "seed": seed, "deals": deals, "history_until": until, **made,
            "logins": [{"username": u, "role": r, "team": t, "password": password_for(u)}
                       for u, r, t in USERS],
        }
        (folder / DEMO_FILE).write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
    except BaseException:
        _remove_workspace(folder, existed)
        raise
    return True


def write_deals(store, funnel: Funnel, count: int, seed: int, progress: str | None = None,
                now: datetime | None = None) -> str:
    """Simulate ``count`` deals and write them with their events; returns the last history day.

    ``progress``: the label of a progress bar on stderr (the caller's words, in its reader's
    language), so that what the command prints stays apart; click draws the bar only on a
    terminal and says the label once elsewhere.
    """
    sim = Simulation(funnel, seed, now or utc_now())
    bar = (click.progressbar(length=count, label=progress, file=sys.stderr)
           if progress else contextlib.nullcontext())
    with bar, gc_paused():
        times = sim.creation_times(count)
        for start in range(0, count, BATCH):
            batch = []
            for index in range(start, min(start + BATCH, count)):
                sim.checking = index < CHECKED
                batch.append(sim.live(index + 1, times[index]))
            events = []
            with store.transaction() as txn:
                for deal, deal_events in batch:
                    txn.insert("deals", sim.funnel.with_search(deal))
                    for event in deal_events:
                        event["deal_id"] = deal["id"]
                    events.extend(deal_events)
                # one batch's log in time order, as the engine would have appended it
                events.sort(key=lambda e: e["at"])
                for event in events:
                    txn.insert("events", event)
            if progress:
                bar.update(len(batch))
    return sim.calendar.days[-1].isoformat()


def _remove_workspace(folder: Path, existed: bool) -> None:
    import shutil

    for name in (CONFIG_NAME, DEMO_FILE, "funnels", "plugins", "records", "data"):
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if not existed:
        with contextlib.suppress(OSError):
            folder.rmdir()


def print_logins(folder: Path, url: str = "http://127.0.0.1:8000") -> None:
    """Where to sign in, and the demo users with their passwords."""
    note_file = Path(folder) / DEMO_FILE
    if not note_file.is_file():
        click.echo(f"{folder} has no demo logins ({DEMO_FILE}); add users with `goldsieve users add`.")
        return
    note = json.loads(note_file.read_text(encoding="utf-8"))
    click.echo(f"Demo workspace {Path(folder).resolve()}: {note.get('deals')} deals "
               f"from the {note.get('template')} template, history until {note.get('history_until')}.")
    click.echo(f"Open {url}/ and sign in as one of these (API tokens: "
               f"`goldsieve users token NAME --workspace {folder}`):")
    rows = [("username", "role", "team", "password")]
    rows += [(x["username"], x["role"], x.get("team") or "", x["password"]) for x in note["logins"]]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
