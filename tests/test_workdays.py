"""Business days by a declared holiday calendar: China's Spring Festival 2026 and its make-up
workdays (调休), counted by the stale rule, the pool's reclamation and the due dates of tasks."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from goldsieve.automation.scanner import scan_stale
from goldsieve.deals.stale import is_stale
from goldsieve.deals.tasks import due_in
from goldsieve.funnels.model import Stage
from goldsieve.people.users import add_user
from goldsieve.records.pool import PoolSettings
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workdays import WEEKDAYS, CalendarError, Workdays
from goldsieve.workspace import WorkspaceError

from tests.conftest import load_funnel

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = {"calendar": {"holidays": "CN", "timezone": "Asia/Shanghai"}}


def cst(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def china() -> Workdays:
    return Workdays.from_config(CHINA)


def test_the_spring_festival_rests_and_its_saturday_works(china):
    # 2026: off from Sunday 15 to Monday 23 February; Saturday 14 and Saturday 28 are workdays
    assert china.is_workday(cst(2, 14).date()) and china.is_workday(cst(2, 28).date())
    assert not any(china.is_workday((cst(2, 15) + timedelta(days=n)).date()) for n in range(9))
    assert china.is_workday(cst(2, 24).date()) and not china.is_workday(cst(2, 22).date())
    assert not WEEKDAYS.is_workday(cst(2, 14).date()) and WEEKDAYS.is_workday(cst(2, 16).date())


def test_counting_back_and_forth_skips_the_holiday_and_counts_the_make_up_day(china):
    # 9 hours on the 24th, then back over the holiday to the Saturday that is worked
    assert china.before(cst(2, 24, 9), 1) == cst(2, 14, 9)
    # Friday 17:00 plus one business day: the Saturday after, not the Monday
    assert china.after(cst(2, 13, 17), 1) == cst(2, 14, 17)
    assert china.after(cst(2, 13, 17), 2) == cst(2, 24, 17)
    assert WEEKDAYS.after(cst(2, 13, 17), 1) == cst(2, 16, 17)
    assert china.before(cst(2, 24, 9), 0) == cst(2, 24, 9)


def test_the_walk_is_monotonic_across_the_holiday(china):
    moments = [cst(2, 10) + timedelta(minutes=53 * i) for i in range(20 * 24 * 60 // 53)]
    bounds = [china.before(now, 2) for now in moments]
    assert bounds == sorted(bounds)
    ahead = [china.after(now, 2) for now in moments]
    assert ahead == sorted(ahead)
    # counting back from the end undoes counting forward, up to the rest time counting skipped
    for now, later in zip(moments, ahead):
        back = china.before(later, 2)
        assert back == now if china.is_workday(now.date()) else back > now


def test_a_stage_counted_in_business_days_goes_stale_after_the_holiday_not_during_it(china):
    stage = Stage("quote", "open", "Quote", 0.5, 0, rot_days=1, rot_days_business=True)
    touched = cst(2, 14, 17)  # the make-up Saturday, 7 hours before its end
    assert not is_stale(stage, touched, cst(2, 23, 12), china)
    assert is_stale(stage, touched, cst(2, 23, 12), WEEKDAYS)  # by weekdays alone: Monday 16th
    assert not is_stale(stage, touched, cst(2, 24, 16, ), china)
    assert is_stale(stage, touched, cst(2, 24, 17), china)


@pytest.mark.parametrize("table, message", [
    ({"calendar": {"holidays": "XX"}}, "[calendar] holidays = 'XX': not a country code"),
    ({"calendar": {"holidays": 86}}, "[calendar] holidays = 86: not a country code"),
    ({"calendar": {"holidays": "CN", "subdivision": "Atlantis"}}, "not a region of CN"),
    ({"calendar": {"subdivision": "HK"}}, "subdivision needs holidays"),
    ({"calendar": {"timezone": "Mars/Olympus"}}, 'timezone = "Mars/Olympus": no such time zone'),
    ({"calendar": {"timezone": "../../etc/passwd"}}, "no such time zone"),
    ({"calendar": {"country": "CN"}}, "[calendar] country: unknown setting"),
    ({"calendar": "CN"}, "calendar must be a table"),
])
def test_a_wrong_calendar_is_one_line_naming_the_setting(table, message):
    with pytest.raises(CalendarError) as error:
        Workdays.from_config(table)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_counting_refuses_what_no_rule_may_ask():
    for days in (-1, float("inf"), float("nan"), 10 ** 6):
        with pytest.raises(ValueError):
            WEEKDAYS.before(cst(2, 1), days)


def test_the_pool_reclaims_after_business_days_when_told_to(china):
    calendar_days = PoolSettings.from_config({"pool": {"reclaim_days": 2}}, china)
    business = PoolSettings.from_config({"pool": {"reclaim_days": 2, "reclaim_business_days": True}}, china)
    now = cst(2, 24, 9)
    assert calendar_days.idle_since(now) == now - timedelta(days=2)
    assert business.idle_since(now) == cst(2, 13, 9)  # 9 h + the Saturday's 24 h + 15 h of Friday 13th
    assert PoolSettings.from_config({}).idle_since(now) is None


@pytest.mark.parametrize("table, message", [
    ({"pool": {"reclaim_days": 30, "reclaim_business_days": "yes"}}, "reclaim_business_days = 'yes': true or false"),
    ({"pool": {"reclaim_days": float("inf")}}, "reclaim_days = inf: a number of days above 0, at most 3650"),
    ({"pool": {"cooldown_days": float("inf")}}, "cooldown_days = inf"),
])
def test_pool_days_beyond_what_can_be_counted_are_refused(table, message):
    with pytest.raises(WorkspaceError) as error:
        PoolSettings.from_config(table)
    assert message in str(error.value)


def test_a_task_due_in_business_days_skips_the_holiday(china):
    assert due_in(cst(2, 13, 17), 2, china) == cst(2, 24, 17)
    assert due_in(cst(2, 13, 17), 2) == cst(2, 15, 17)
    assert due_in(cst(2, 13, 17), None, china) is None


# --- the workspace's calendar, end to end ------------------------------------------------

DUE_RULE = {"id": "follow-up", "on": "stage_entered", "stage": "quote",
            "do": [{"action": "create_task", "title": "Chase {title}", "due_days": 2, "business_days": True}]}


@pytest.fixture
def goldsieve_funnel():
    funnel = load_funnel("design_example")
    for stage in funnel["stages"]:
        if stage["id"] == "quote":
            stage.update(rot_days=1, rot_days_business=True)
    funnel["automations"].append(copy.deepcopy(DUE_RULE))
    return funnel


@pytest.fixture
def goldsieve_workspace(goldsieve_workspace):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + '\n[calendar]\nholidays = "CN"\ntimezone = "Asia/Shanghai"\n', encoding="utf-8")
    return type(goldsieve_workspace).load(goldsieve_workspace.path)


def test_the_workspace_calendar_drives_the_stale_scan_and_the_task_due_date(goldsieve_runtime, goldsieve_clock):
    rt = goldsieve_runtime
    goldsieve_clock.now = cst(2, 14, 17).astimezone(timezone.utc)
    add_user(rt.store, "rita", "rep", TEST_PASSWORD)
    [rita] = rt.store.find("users", Eq("username", "rita"))
    deal = rt.engine.create(rita, "handmade", "Acme ERP", {"company": "Acme"})
    rt.engine.move(rita, deal["id"], "qualified", {"needs_survey": "40 users", "amount": 1000})
    rt.engine.move(rita, deal["id"], "quote")
    while rt.dispatcher.deliver_due("test"):
        pass
    [task] = rt.store.find("tasks", Eq("deal_id", deal["id"]))
    assert task["title"] == "Chase Acme ERP"
    assert task["due"] == "2026-02-25T09:00:00.000Z"  # two business days: 7 h, the 24th, 17 h of the 25th

    goldsieve_clock.now = cst(2, 23, 23).astimezone(timezone.utc)
    assert scan_stale(rt.engine, rt.engine.clock()) == 0  # the holiday does not count
    goldsieve_clock.now = cst(2, 24, 17).astimezone(timezone.utc)
    assert scan_stale(rt.engine, rt.engine.clock()) == 1


def test_a_wrong_calendar_stops_the_start_with_its_line(goldsieve_workspace, goldsieve_clock):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"CN"', '"XX"'), encoding="utf-8")
    with pytest.raises(CalendarError, match=r"holidays = 'XX'"):
        open_runtime(type(goldsieve_workspace).load(goldsieve_workspace.path), clock=goldsieve_clock,
                     entry_points=False)


def test_a_handoff_task_counts_business_days_when_told_to(china):
    from types import SimpleNamespace

    from goldsieve.plugins.actions import _due

    def context(params):
        return SimpleNamespace(params=params, now=cst(2, 13, 17), engine=SimpleNamespace(workdays=china))

    assert _due(context({"business_days": True}), 2) == cst(2, 24, 17)  # handoff's default of 2 days
    assert _due(context({}), 2) == cst(2, 15, 17)
    assert _due(context({"due_days": 1, "business_days": True}), 2) == cst(2, 14, 17)
