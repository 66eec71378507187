"""Reminders of tasks due soon (issue 16, part 4): the assignee hears once, a declared time
before the due time, in their inbox and on the declared channel; on both stores."""
from __future__ import annotations

import pytest

from goldsieve.automation.reminders import ReminderSettings
from goldsieve.automation.worker import Worker
from goldsieve.deals.task_changes import change_task, create_task
from goldsieve.people.users import find_user, set_locale
from goldsieve.store.filters import Eq
from goldsieve.workspace import WorkspaceError

from tests.records.conftest import BOTH_STORES

TASKS = '\n[channels.sales]\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\nsecret = "a-test-signing-secret"\n\n' \
        '[tasks]\nremind_before_minutes = 60\nremind_channel = "sales"\n'


@pytest.fixture
def goldsieve_workspace(goldsieve_workspace):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8") + TASKS, encoding="utf-8")
    return type(goldsieve_workspace).load(goldsieve_workspace.path)


@BOTH_STORES
def test_the_assignee_is_reminded_once_before_the_due_time(goldsieve_runtime, goldsieve_make_user,
                                                          goldsieve_clock):
    rt, store = goldsieve_runtime, goldsieve_runtime.store
    rita = goldsieve_make_user("rita", "rep")
    set_locale(store, find_user(store, "rita"), "zh_Hans")
    deal = rt.engine.create(rita, "handmade", "Acme ERP", {"company": "Acme"})
    task = create_task(rt.engine, rita, deal["id"], "Call back", due="2026-01-05T12:00:00Z")  # now: 09:00
    worker = Worker(rt)
    assert worker.run_once()["reminded"] == 0  # three hours before: not yet
    goldsieve_clock.advance(hours=2, minutes=1)
    assert worker.run_once()["reminded"] == 1
    assert worker.run_once()["reminded"] == 0  # once
    told = [n["text"] for n in store.find("notifications", Eq("user", "rita"))]
    assert told == ["提醒：Acme ERP 的任务 Call back 将于 2026-01-05 12:00 UTC 到期。"]
    [row] = store.find("outbox", Eq("trigger", "task_reminder"))
    assert (row["params"]["channel"], row["params"]["mentions"], row["params"]["text"]) == (
        "sales", ["rita"], told[0])
    # a new due time is a new reminder
    task = store.get("tasks", task["id"])
    change_task(rt.engine, rita, task["id"], task["version"], due="2026-01-05T11:30:00Z")
    assert worker.run_once()["reminded"] == 1
    goldsieve_clock.advance(hours=3)
    assert worker.run_once()["reminded"] == 0  # past due: overdue, not reminded


@pytest.mark.parametrize(("section", "message"), [
    ({"remind_before_minutes": 0}, "[tasks] remind_before_minutes = 0: a number of minutes above 0"),
    ({"remind_before_minutes": "soon"}, "[tasks] remind_before_minutes = 'soon': a number of minutes"),
    ({"remind_before_minutes": 5, "remind_channel": "nowhere"},
     "[tasks] remind_channel = 'nowhere': not one of the [channels.*] tables"),
    ({"remind_before": 5}, "[tasks] remind_before: unknown setting"),
    ("often", "tasks must be a table"),
])
def test_a_wrong_tasks_section_says_which_key(section, message):
    with pytest.raises(WorkspaceError) as raised:
        ReminderSettings.from_config({"tasks": section}, {"sales": object()})
    assert str(raised.value).startswith("goldsieve.toml: ") and message in str(raised.value)
