"""The engine on a real embedded store, driven by Hypothesis against an independent model.

Each step creates, updates, moves, loses, reopens or annotates deals of the hand-written
example funnel (``handmade``), or closes and reopens the store from disk. The plain model in
``tests/deals/model_funnel.py`` says, from the funnel's rules alone, whether the engine must accept
each request and which violations it must report when it refuses; after every step the deals,
their histories, the store's counts and its list queries must match the model exactly.

The same machine runs on PostgreSQL (``TestFunnelMachineOnPostgres``) when
``GOLDSIEVE_TEST_POSTGRES`` names a server: one schema for the whole run, emptied of everything
but the users before each example, and fewer examples (each costs a few round trips more).
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from goldsieve.errors import Forbidden, NotFound, ValidationFailed
from goldsieve.people.users import add_user, find_user
from goldsieve.runtime import open_runtime
from goldsieve.store import TABLES, Conflict, Eq, StoreLocked
from goldsieve.store.postgres.store import engine_for
from goldsieve.testing import TEST_PASSWORD, FrozenClock
from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url
from goldsieve.workspace import Workspace, init_workspace, set_store_url

from tests.deals import model_funnel as M

FUNNEL_FILE = Path(__file__).parents[1] / "funnels" / "design_example.json"
USERS = {"admin": "admin", "rita": "rep"}
MAX_DEALS = 5  # few deals, so that each gets far along its path
MAX_CYCLES = 10  # reopening the runtime costs ~50 ms: enough restarts, not a run of them

# --- a workspace with users, made once and copied for every example --------------------------
# (add_user hashes with scrypt, ~0.1 s a user: too slow to repeat for each example)

_template: dict[str, Path] = {}


def template_workspace(store_url: str = "tinydb:data") -> Path:
    if store_url not in _template:
        root = Path(tempfile.mkdtemp(prefix="goldsieve-sm-template-"))
        atexit.register(shutil.rmtree, root, True)
        workspace = init_workspace(root / "ws", json.loads(FUNNEL_FILE.read_text(encoding="utf-8")))
        workspace = set_store_url(workspace, store_url)
        with open_runtime(workspace, entry_points=False) as runtime:
            for name, role in USERS.items():
                add_user(runtime.store, name, role, TEST_PASSWORD)
        _template[store_url] = workspace.path
    return _template[store_url]


_schema: list[str] = []


def postgres_schema() -> str:
    """The run's one PostgreSQL schema (dropped at exit)."""
    if not _schema:
        cleanup = ExitStack()
        atexit.register(cleanup.close)
        _schema.append(cleanup.enter_context(scratch_schema(server_url())))
    return _schema[0]


# --- what requests are made of -----------------------------------------------------------------

MISSING = object()


def pool(valid: list, invalid: list) -> st.SearchStrategy:
    """Mostly valid values, sometimes invalid ones, sometimes None (= remove the field)."""
    return st.one_of(
        st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(invalid), st.none()
    )


VALUES = {
    "company": pool(["Acme", "Globex"], ["", 42]),
    "amount": pool([10_000, 1_000_000, 0, 999_999, 2_500_000.5], [-1, "lots", True]),
    "needs_survey": pool(["40 users", ""], [7]),
    "demo_date": pool(["2026-02-01"], ["2026-02-30", "soon", 20260201]),
    "discount": pool([0.25, 0, 1], [1.5, -0.1]),
    "approval_note": pool(["ok"], [False]),
    "region": pool(["north"], [["not", "declared"]]),  # not declared: any value is fine
}

random_changes = st.lists(st.sampled_from(sorted(VALUES)), unique=True, max_size=3).flatmap(
    lambda keys: st.fixed_dictionaries({k: VALUES[k] for k in keys})
)
# what a rep types in to get through the gates (amount decides on the executive visit)
amounts = st.sampled_from([10_000, 2_000_000, 999_999, 1_000_000])
gate_changes = st.fixed_dictionaries({"needs_survey": st.just("40 users"), "amount": amounts})
changes = st.one_of(
    st.just({}), random_changes, gate_changes,
    st.builds(lambda a, b: {**a, **b}, random_changes, gate_changes),
)
create_data = st.builds(
    lambda company, rest: {**rest, **({} if company is MISSING else {"company": company})},
    st.sampled_from(["Acme", "Globex", "", 42, MISSING]),
    st.one_of(st.just({}), random_changes, gate_changes),
)
valid_create_data = st.fixed_dictionaries(
    {"company": st.sampled_from(["Acme", "Globex"])},
    optional={"amount": amounts, "needs_survey": st.just("40 users"),
              "region": st.just("north")},
)
titles = st.sampled_from(["Acme ERP", "Renewal", "", "   ", "x" * 201, 7])
update_titles = st.sampled_from([None, None, None, "Acme ERP", "Renewal 2", "", "x" * 201])
users = st.sampled_from(sorted(USERS))
owners = st.sampled_from([None, "rita", "admin", "ghost"])
versions = st.sampled_from(["none"] * 3 + ["current"] * 3 + ["stale", "future"])
move_targets = st.sampled_from([*M.STAGES, "nowhere"])
lost_reasons = st.sampled_from(["price", "competitor", None, "", "weather"])
move_notes = st.sampled_from([None, None, "budget frozen", ""])
notes = st.sampled_from(["called the CTO", "  padded  ", "", "   ", None])
reopen_targets = st.sampled_from(["default", "default", "closed_from", "won", "lost", "nowhere",
                                 "lead", "qualified", "exec_visit", "quote", "negotiation"])
ticks = st.one_of(
    st.integers(1, 999).map(lambda ms: timedelta(milliseconds=ms)),
    st.integers(1, 72).map(lambda h: timedelta(hours=h)),
)


def attempt(call):
    """Run an engine call: ("ok", result), ("refused", sorted (path, code)), ("conflict", error),
    ("notfound", error) or ("forbidden", error)."""
    try:
        return "ok", call()
    except ValidationFailed as error:
        return "refused", sorted((v.path, v.code) for v in error.violations)
    except Conflict as error:
        return "conflict", error
    except NotFound as error:
        return "notfound", error
    except Forbidden as error:
        return "forbidden", error


class FunnelMachine(RuleBasedStateMachine):
    deals = Bundle("deals")

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="goldsieve-sm-"))
        shutil.copytree(self.template(), self.folder / "ws")
        self.workspace = Workspace.load(self.folder / "ws")
        self.clock = FrozenClock()
        self.runtime = None
        self.open()
        self.user = {name: find_user(self.runtime.store, name) for name in USERS}
        self.model: dict[int, M.ModelDeal] = {}
        self.cycles = 0

    def template(self) -> Path:
        return template_workspace()

    def open(self):
        self.runtime = open_runtime(self.workspace, clock=self.clock, entry_points=False)

    @property
    def engine(self):
        return self.runtime.engine

    def teardown(self):
        event(f"deals: {len(self.model)}")
        try:
            if self.runtime is not None:
                self.runtime.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers --------------------------------------------------------------------------

    def now(self) -> str:
        return M.utc_text(self.clock())

    def version_arg(self, deal: M.ModelDeal, mode: str) -> int | None:
        return {"none": None, "current": deal.version, "stale": deal.version - 1,
                "future": deal.version + 1}[mode]

    def expect(self, outcome, problems: M.Problems | None, conflict: bool = False,
               denied: str | None = None):
        kind, value = outcome
        event(f"outcome: {kind}")
        for path, code in value if kind == "refused" else []:
            event(f"violation: {path} {code}")
        if denied:
            assert kind == denied, f"expected {denied}, engine said {kind}: {value}"
        elif conflict:
            assert kind == "conflict", f"expected a version conflict, got {kind}: {value}"
        elif problems:
            assert kind == "refused", f"expected refusal {problems}, engine said {kind}: {value}"
            assert value == problems, f"expected violations {problems}, engine reported {value}"
        else:
            assert kind == "ok", f"expected success, engine said {kind}: {value}"
        return value

    @staticmethod
    def same(returned: dict, deal: M.ModelDeal) -> None:
        """The deal an engine call returned is the one the model expects."""
        expected = deal.expected_fields()
        assert {k: returned.get(k) for k in expected} == expected

    def write(self, deal: M.ModelDeal, *events: dict, stage_moved: bool = False) -> None:
        """Record an accepted write in the model: one version, these events."""
        now = self.now()
        deal.version += 1
        deal.updated_at = now
        if stage_moved:
            deal.stage_entered_at = now
        deal.events.extend(events)

    # --- rules ----------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < MAX_DEALS)
    @rule(target=deals, by=users, title=titles, data=create_data, owner=owners)
    def create(self, by, title, data, owner):
        """A create that may be invalid in any way: title, fields, unknown owner."""
        return self.do_create(by, title, data, owner)

    @precondition(lambda self: len(self.model) < MAX_DEALS)
    @rule(target=deals, by=users, title=st.sampled_from(["Acme ERP", "Renewal"]),
          data=valid_create_data, owner=st.sampled_from([None, "rita", "admin"]))
    def create_valid(self, by, title, data, owner):
        return self.do_create(by, title, data, owner)

    def do_create(self, by, title, data, owner):
        problems = M.create_problems(set(USERS), by, title, data, owner)
        denied = M.denial(USERS[by], by, "create", owner=owner)
        outcome = attempt(lambda: self.engine.create(self.user[by], M.FUNNEL_ID, title, data, owner))
        deal = self.expect(outcome, problems, denied=denied)
        if problems or denied:
            return multiple()
        assert deal["id"] not in self.model and deal["id"] > max(self.model, default=0)
        now = self.now()
        stored = M.merged({}, data)
        self.model[deal["id"]] = M.ModelDeal(
            id=deal["id"], title=title, owner=owner or by, created_by=by, data=stored,
            created_at=now, updated_at=now, stage_entered_at=now,
            events=[M.event("created", by, now, to_stage="lead",
                            changes=M.changes_between({}, stored))],
        )
        self.same(deal, self.model[deal["id"]])
        return deal["id"]

    @rule(deal_id=deals, by=users, change=changes, title=update_titles, mode=versions)
    def update(self, deal_id, by, change, title, mode):
        deal = self.model[deal_id]
        version = self.version_arg(deal, mode)
        conflict = version not in (None, deal.version)
        problems = M.update_problems(deal, change, title)
        denied = M.denial(USERS[by], by, "edit", deal)
        outcome = attempt(lambda: self.engine.update(self.user[by], deal_id, change, version, title))
        returned = self.expect(outcome, problems, conflict, denied)
        if denied or conflict or problems:
            return
        data = M.merged(deal.data, change)
        changed = M.changes_between(deal.data, data)
        if title is not None and title != deal.title:
            changed["title"] = [deal.title, title]
        if changed:  # a no-op update writes nothing
            deal.data = data
            deal.title = title if title is not None else deal.title
            self.write(deal, M.event("updated", by, self.now(), changes=changed))
        self.same(returned, deal)

    @rule(deal_id=deals, by=users, name=st.sampled_from(["needs_survey", "amount"]))
    def clear_a_gate_field(self, deal_id, by, name):
        """Fields are not gates: clearing one is fine, but the next stage entered checks it again."""
        self.update(deal_id, by, {name: None}, None, "current")

    def neighbour(self, deal: M.ModelDeal, direction: str, change: dict) -> str:
        """The next or previous stage on the deal's path after ``change``; "lead" when closed."""
        if deal.status != "open":
            return "lead"
        path = [s for s in M.STAGES if M.on_path(s, M.merged(deal.data, change))]
        here = M.STAGES.index(deal.stage)
        if direction == "next":
            return next(s for s in path if M.STAGES.index(s) > here)
        earlier = [s for s in path if M.STAGES.index(s) < here]
        return earlier[-1] if earlier else "lead"

    def do_move(self, deal_id, by, to, change, mode, reason, note, call):
        deal = self.model[deal_id]
        version = self.version_arg(deal, mode)
        conflict = version not in (None, deal.version)
        problems = M.move_problems(deal, to, change, reason)
        denied = M.denial(USERS[by], by, "move", deal)
        outcome = attempt(lambda: call(version))
        returned = self.expect(outcome, problems, conflict, denied)
        if denied or conflict or problems:
            return
        now = self.now()
        data = M.merged(deal.data, change)
        changed = M.changes_between(deal.data, data)
        events = [M.event("updated", by, now, changes=changed)] if changed else []
        closing = M.KIND[to] != "open"
        events.append(M.event("stage_changed", by, now, from_stage=deal.stage, to_stage=to,
                              lost_reason=reason if M.KIND[to] == "lost" else None,
                              note=note or None))
        event(f"moved: {deal.stage} -> {to}")
        deal.closed_from = deal.stage if closing else None
        deal.data, deal.stage, deal.status = data, to, M.KIND[to]
        deal.lost_reason = reason if M.KIND[to] == "lost" else None
        self.write(deal, *events, stage_moved=True)
        self.same(returned, deal)

    @rule(deal_id=deals, by=users, to=move_targets, change=changes, mode=versions,
          reason=lost_reasons, note=move_notes)
    def move(self, deal_id, by, to, change, mode, reason, note):
        """Any stage: skips, back moves, same stage, conditional stages, lost, unknown."""
        self.do_move(deal_id, by, to, change, mode, reason, note, lambda version: self.engine.move(
            self.user[by], deal_id, to, changes=change, version=version, lost_reason=reason,
            note=note))

    @rule(deal_id=deals, by=users, direction=st.sampled_from(["next", "next", "back"]),
          change=st.one_of(gate_changes, changes), mode=versions)
    def step(self, deal_id, by, direction, change, mode):
        """One stage forward or back along the deal's path (as the model sees it)."""
        to = self.neighbour(self.model[deal_id], direction, change)
        self.do_move(deal_id, by, to, change, mode, None, None, lambda version: self.engine.move(
            self.user[by], deal_id, to, changes=change, version=version))

    @rule(deal_id=deals, by=users, amount=amounts,
          stop=st.sampled_from(["quote", "negotiation", "won"]))
    def walk(self, deal_id, by, amount, stop):
        """Step forward with the gate fields filled in until ``stop`` (or closed): deep paths."""
        deal = self.model[deal_id]
        change = {"needs_survey": "40 users", "amount": amount}
        while deal.status == "open" and deal.stage != stop:
            to, version = self.neighbour(deal, "next", change), deal.version
            self.do_move(deal_id, by, to, change, "current", None, None,
                         lambda v, to=to, change=change: self.engine.move(
                             self.user[by], deal_id, to, changes=change, version=v))
            if deal.version == version:
                break  # refused (and the engine agreed): stop walking
            change = {}

    @rule(deal_id=deals, by=users, reason=lost_reasons, mode=versions, note=move_notes)
    def lose(self, deal_id, by, reason, mode, note):
        self.do_move(deal_id, by, "lost", {}, mode, reason, note, lambda version: self.engine.lose(
            self.user[by], deal_id, reason, version=version, note=note))

    @rule(deal_id=deals, by=users, where=reopen_targets, mode=versions)
    def reopen(self, deal_id, by, where, mode):
        deal = self.model[deal_id]
        to = {"default": None, "closed_from": deal.closed_from}.get(where, where)
        version = self.version_arg(deal, mode)
        conflict = version not in (None, deal.version)
        problems = M.reopen_problems(deal, to)
        denied = M.denial(USERS[by], by, "reopen", deal)
        outcome = attempt(lambda: self.engine.reopen(self.user[by], deal_id, to=to, version=version))
        returned = self.expect(outcome, problems, conflict, denied)
        if denied or conflict or problems:
            return
        back_to = to or deal.closed_from
        event(f"reopened: {deal.stage} -> {back_to}")
        reopened = M.event("reopened", by, self.now(), from_stage=deal.stage, to_stage=back_to)
        deal.stage, deal.status, deal.lost_reason, deal.closed_from = back_to, "open", None, None
        self.write(deal, reopened, stage_moved=True)
        self.same(returned, deal)

    @rule(deal_id=deals, by=users, text=notes)
    def add_note(self, deal_id, by, text):
        deal = self.model[deal_id]
        problems = M.note_problems(text)
        denied = M.denial(USERS[by], by, "edit", deal)
        outcome = attempt(lambda: self.engine.add_note(self.user[by], deal_id, text))
        returned = self.expect(outcome, problems, denied=denied)
        if not problems and not denied:
            self.write(deal, M.event("note_added", by, self.now(), note=text.strip()))
            assert {k: returned.get(k) for k in deal.events[-1]} == deal.events[-1]

    @rule(by=users, action=st.sampled_from(["get", "update", "move", "note", "history", "funnel"]))
    def ask_for_the_unknown(self, by, action):
        """A deal or funnel that does not exist is NotFound, and nothing is written."""
        missing = max(self.model, default=0) + 1000
        user = self.user[by]
        call = {
            "get": lambda: self.engine.get(user, missing),
            "update": lambda: self.engine.update(user, missing, {"amount": 1}),
            "move": lambda: self.engine.move(user, missing, "qualified"),
            "note": lambda: self.engine.add_note(user, missing, "hello"),
            "history": lambda: self.engine.history(user, missing),
            "funnel": lambda: self.engine.create(user, "no-such-funnel", "Acme ERP", {"company": "Acme"}),
        }[action]
        with pytest.raises(NotFound):
            call()

    @rule(delta=ticks)
    def advance_clock(self, delta):
        self.clock.advance(seconds=delta.total_seconds())

    @precondition(lambda self: self.cycles < MAX_CYCLES)
    @rule(how=st.sampled_from(["restart", "restart", "compact", "torn_write", "second_opener"]))
    def cycle_the_store(self, how):
        """Close and reopen from disk, compact, survive a torn journal write, refuse a 2nd owner."""
        event(f"store: {how}")
        self.cycles += 1
        self.cycle(how)

    def cycle(self, how: str) -> None:
        if how == "compact":
            self.runtime.store.compact()
            return
        if how == "second_opener":
            with pytest.raises(StoreLocked):
                open_runtime(self.workspace, clock=self.clock, entry_points=False).close()
            return
        self.runtime.close()
        self.runtime = None
        if how == "torn_write":
            # a crash in the middle of appending a record: that write was never acknowledged
            with open(self.workspace.path / "data" / "journal", "ab") as f:
                f.write(b'120 0badf00d {"seq":99999,"ops":[["deals",1,{"id":1,"ti')
        self.open()

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def deals_and_histories_match_the_model(self):
        admin = self.user["admin"]
        for deal_id, deal in self.model.items():
            stored = self.engine.get(admin, deal_id)
            expected = deal.expected_fields()
            assert {k: stored.get(k) for k in expected} == expected, f"deal {deal_id}"
            history = self.engine.history(admin, deal_id)
            assert [e["type"] for e in history] == [e["type"] for e in deal.events], f"deal {deal_id}"
            for got, want in zip(history, deal.events):
                assert got["deal_id"] == deal_id
                assert {k: got.get(k) for k in want} == want, f"deal {deal_id}"
        store = self.runtime.store
        assert store.count("deals") == len(self.model)
        assert store.count("events") == sum(len(d.events) for d in self.model.values())

    @invariant()
    def list_queries_match_the_model(self):
        """Filtered, paginated queries and counts (answered from the store's indexes or a scan)."""
        admin, store = self.user["admin"], self.runtime.store
        newest_first = sorted(self.model, reverse=True)

        def ids(**where):
            return [d["id"] for d in self.engine.list(admin, limit=10_000, **where)]

        def expected(test):
            return [i for i in newest_first if test(self.model[i])]

        assert ids() == newest_first
        for status in ("open", "won", "lost"):
            want = expected(lambda d, status=status: d.status == status)
            assert ids(status=status) == want, status
            assert store.count("deals", Eq("status", status)) == len(want), status
        for stage in M.STAGES:
            assert ids(stage=stage) == expected(lambda d, stage=stage: d.stage == stage), stage
        for owner in USERS:
            assert ids(owner=owner, status="open") == expected(
                lambda d, owner=owner: d.owner == owner and d.status == "open"), owner
        assert ids(text="RENEWAL") == expected(lambda d: "renewal" in d.title.casefold())
        pages, cursor = [], None  # keyset pagination, two at a time
        while True:
            page = self.engine.list(admin, after=cursor, limit=2)
            pages += [d["id"] for d in page]
            if len(page) < 2:
                break
            cursor = page[-1]["id"]
        assert pages == newest_first
        for deal_id, deal in self.model.items():
            assert store.count("events", Eq("deal_id", deal_id)) == len(deal.events)
        for name, role in USERS.items():  # each user's list is their visibility scope
            seen = [d["id"] for d in self.engine.list(self.user[name], limit=10_000)]
            assert seen == expected(lambda d, name=name, role=role: M.visible(role, name, d)), name


FunnelMachine.TestCase.settings = settings(
    # GOLDSIEVE_STATEFUL_EXAMPLES=2000 for a long hunt; the default keeps `make test` quick
    max_examples=int(os.environ.get("GOLDSIEVE_STATEFUL_EXAMPLES", 150)),
    stateful_step_count=50,
    deadline=None,
    report_multiple_bugs=False,  # one minimal failure, found sooner, is enough to act on
    suppress_health_check=[HealthCheck.too_slow],
)
TestFunnelMachine = FunnelMachine.TestCase


class PostgresFunnelMachine(FunnelMachine):
    """The machine on PostgreSQL: several processes may open the store, restarts reconnect."""

    def template(self) -> Path:
        url = postgres_schema()
        engine = engine_for(url)
        try:
            with engine.begin() as conn:  # a fresh start for every example; users stay
                names = [t for t in TABLES if t not in ("users", "teams")]
                conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY")
        except Exception:
            pass  # the first example: the template below creates the tables
        finally:
            engine.dispose()
        return template_workspace(url)

    def cycle(self, how: str) -> None:
        if how == "second_opener":  # another process sees the same deals
            with open_runtime(self.workspace, clock=self.clock, entry_points=False) as other:
                assert other.store.count("deals") == len(self.model)
            return
        self.runtime.close()  # the embedded store's compaction and torn journal have no
        self.runtime = None   # counterpart here: each is a reconnect
        self.open()


PostgresFunnelMachine.TestCase.settings = settings(
    FunnelMachine.TestCase.settings,
    max_examples=int(os.environ.get("GOLDSIEVE_STATEFUL_EXAMPLES", 8)),
)
TestFunnelMachineOnPostgres = pytest.mark.skipif(
    not server_url(), reason=f"set {ENVIRONMENT}=postgresql://… to run it on PostgreSQL"
)(PostgresFunnelMachine.TestCase)
