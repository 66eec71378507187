"""The customer pool: claiming within limits and the cool-down, releasing, reclaiming idle
customers with a notification, the settings, and ``goldsieve pool reclaim``."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from goldsieve.automation.worker import Worker
from goldsieve.cli import cli
from goldsieve.errors import Forbidden, NotFound, ValidationFailed
from goldsieve.people.users import set_locale
from goldsieve.records.pool import PoolSettings, claim, due_for_reclaim, reclaim, release
from goldsieve.workspace import WorkspaceError

from tests.records.conftest import BOTH_STORES, counts


def pooled(customers, people, name: str) -> dict:
    made = customers.create(people.admin, name)
    return customers.change_owner(people.admin, made, None, "released")


def codes(error) -> list[str]:
    return [v.code for v in error.value.violations]


@BOTH_STORES
def test_claim_takes_a_pool_customer_and_release_gives_it_back(customers, people, goldsieve_clock):
    free = pooled(customers, people, "Free hospital")
    goldsieve_clock.advance(days=1)
    mine = claim(customers, people.rita, free["id"])
    assert mine["owner"] == "rita" and mine["team"] == "north"
    assert mine["last_activity_at"] > free["last_activity_at"]
    with pytest.raises(NotFound):
        claim(customers, people.sam, free["id"])  # rita's now: hidden from another team's rep
    with pytest.raises(ValidationFailed) as error:
        claim(customers, people.mia, free["id"])  # her team's: seen, but not in the pool
    assert codes(error) == ["not_in_pool"]
    back = release(customers, people.rita, free["id"])
    assert back["owner"] is None and back["released_by"] == "rita"
    types = [e["type"] for e in customers.history(people.admin, free["id"])]
    assert types == ["created", "released", "claimed", "released"]
    with pytest.raises(ValidationFailed) as error:
        release(customers, people.rob, free["id"])
    assert codes(error) == ["in_pool"]


@BOTH_STORES
def test_claims_beyond_max_owned_and_within_the_cool_down_are_refused(customers, people, goldsieve_runtime,
                                                                      goldsieve_clock):
    for i in range(3):
        customers.create(people.rita, f"Owned {i}")
    free = pooled(customers, people, "One too many")
    before = counts(goldsieve_runtime.store)
    with pytest.raises(ValidationFailed, match="You already own 3 customers") as error:
        claim(customers, people.rita, free["id"])
    assert codes(error) == ["max_owned"]
    assert counts(goldsieve_runtime.store) == before
    claim(customers, people.rob, free["id"])
    release(customers, people.rob, free["id"])
    goldsieve_clock.advance(days=6)
    with pytest.raises(ValidationFailed, match="less than 7 days ago") as error:
        claim(customers, people.rob, free["id"])
    assert codes(error) == ["cooldown"]
    assert claim(customers, people.sam, free["id"])["owner"] == "sam"  # the cool-down is rob's only
    release(customers, people.admin, free["id"])
    goldsieve_clock.advance(days=8)
    assert claim(customers, people.rob, free["id"])["owner"] == "rob"


def test_who_may_release_and_claim(customers, people):
    robs = customers.create(people.rob, "Rob's")
    sams = customers.create(people.sam, "Sam's")
    with pytest.raises(Forbidden):
        release(customers, people.eve, robs["id"])  # sees it, changes nothing
    assert release(customers, people.mia, robs["id"])["owner"] is None  # rob's manager
    with pytest.raises(NotFound):
        release(customers, people.mia, sams["id"])  # not her team: she cannot even see it
    with pytest.raises(Forbidden):
        claim(customers, people.eve, robs["id"])
    assert release(customers, people.admin, sams["id"])["owner"] is None


@BOTH_STORES
def test_reclaim_sends_idle_customers_back_and_tells_the_owner(customers, people, goldsieve_runtime,
                                                               goldsieve_clock):
    store = goldsieve_runtime.store
    set_locale(store, people.rita, "zh_Hans")
    idle = customers.create(people.rita, "瑞金医院")
    busy = customers.create(people.rob, "Busy clinic")
    goldsieve_clock.advance(days=29)
    customers.update(people.rob, busy["id"], {"grade": "3A"}, version=1)
    goldsieve_clock.advance(days=2)
    assert [c["id"] for c in due_for_reclaim(customers, goldsieve_clock())] == [idle["id"]]
    before = counts(store)
    assert [c["id"] for c in reclaim(customers, goldsieve_clock(), dry_run=True)] == [idle["id"]]
    assert counts(store) == before
    [done] = reclaim(customers, goldsieve_clock())
    assert done["id"] == idle["id"]
    now = store.get("customers", idle["id"])
    assert now["owner"] is None and now["released_by"] == "rita"
    assert customers.history(people.admin, idle["id"])[-1]["type"] == "reclaimed"
    [note] = store.find("notifications")
    assert note["user"] == "rita" and note["customer_id"] == idle["id"]
    assert note["text"] == "瑞金医院 已退回公海：30 天内没有任何跟进。"
    assert reclaim(customers, goldsieve_clock()) == []
    assert store.get("customers", busy["id"])["owner"] == "rob"


def test_the_worker_reclaims_in_its_scans(goldsieve_runtime, customers, people, goldsieve_clock):
    customers.create(people.rita, "Idle")
    goldsieve_clock.advance(days=31)
    assert Worker(goldsieve_runtime).run_once()["reclaimed"] == 1
    assert Worker(goldsieve_runtime).run_once()["reclaimed"] == 0


def test_goldsieve_pool_reclaim_prints_what_it_reclaims(goldsieve_runtime, customers, people):
    customers.create(people.rita, "Idle hospital")  # at the frozen clock's 2026-01-05
    folder = str(goldsieve_runtime.workspace.path)
    goldsieve_runtime.close()
    run = CliRunner().invoke
    result = run(cli, ["pool", "reclaim", "-w", folder, "--as-of", "2026-02-03", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["0 customer(s) would be reclaimed"]
    result = run(cli, ["pool", "reclaim", "-w", folder, "--as-of", "2026-02-05", "--dry-run"])
    assert "would reclaim customer 1 Idle hospital from rita" in result.output
    result = run(cli, ["--lang", "zh-Hans", "pool", "reclaim", "-w", folder, "--as-of", "2026-02-05", "--dry-run"])
    assert result.output.splitlines() == ["将从 rita 回收客户 1 Idle hospital（最近活动 2026-01-05T09:00:00.000Z）",
                                          "将回收 1 个客户"]
    result = run(cli, ["pool", "reclaim", "-w", folder, "--as-of", "2026-02-05"])
    assert result.exit_code == 0 and result.output.endswith("1 customer(s) reclaimed\n")
    result = run(cli, ["pool", "reclaim", "-w", folder, "--as-of", "2026-02-05"])
    assert result.output == "0 customer(s) reclaimed\n"
    assert run(cli, ["pool", "reclaim", "-w", folder, "--as-of", "tomorrow"]).exit_code == 2


@pytest.mark.parametrize("table, message", [
    ({"pool": {"reclaim_days": 0}}, "reclaim_days = 0: a number of days above 0"),
    ({"pool": {"reclaim": 30}}, "[pool] reclaim: unknown setting"),
    ({"pool": {"max_owned": {"boss": 3}}}, "'boss' is no role"),
    ({"pool": {"max_owned": {"rep": -1}}}, "[pool.max_owned] rep = -1"),
    ({"pool": {"claim": "rep"}}, "claim is a list of roles"),
    ({"pool": {"visible_to": ["reps"]}}, "'reps' is no role"),
])
def test_bad_pool_settings_are_refused_at_start_up(table, message):
    with pytest.raises(WorkspaceError) as error:
        PoolSettings.from_config(table)
    assert message in str(error.value)


def test_pool_defaults():
    settings = PoolSettings.from_config({})
    assert settings.reclaim_days is None and settings.cooldown_days == 0 and settings.max_owned == {}
    assert settings.claim == settings.visible_to == {"rep", "manager", "admin"}


@BOTH_STORES
def test_a_deal_moved_or_noted_keeps_its_customer_out_of_the_reclaim(customers, people, goldsieve_runtime,
                                                                      goldsieve_clock):
    engine = goldsieve_runtime.engine
    busy = customers.create(people.rita, "Busy hospital")
    idle = customers.create(people.rita, "Idle hospital")
    deal = engine.create(people.rita, "handmade", "Scanner", {"company": "Busy"}, customer_id=busy["id"])
    engine.create(people.rita, "handmade", "Old", {"company": "Idle"}, customer_id=idle["id"])
    goldsieve_clock.advance(days=20)
    moved = engine.move(people.mia, deal["id"], "qualified", {"needs_survey": "Two rooms"})  # anyone who may, not only the owner
    assert customers.get(people.rita, busy["id"])["last_activity_at"] == moved["updated_at"]
    goldsieve_clock.advance(days=15)
    assert [c["id"] for c in due_for_reclaim(customers, goldsieve_clock())] == [idle["id"]]
    engine.add_note(people.rita, deal["id"], "Called them")
    goldsieve_clock.advance(days=20)
    assert [c["id"] for c in reclaim(customers, goldsieve_clock())] == [idle["id"]]
    assert customers.get(people.rita, busy["id"])["owner"] == "rita"


@BOTH_STORES
def test_automation_on_a_deal_is_no_activity_of_its_customer(customers, people, goldsieve_runtime,
                                                             goldsieve_clock):
    from goldsieve.people.permissions import SYSTEM

    customer = customers.create(people.rita, "Quiet hospital")
    deal = goldsieve_runtime.engine.create(people.rita, "handmade", "Deal", {"company": "Q"},
                                           customer_id=customer["id"])
    goldsieve_clock.advance(days=5)
    goldsieve_runtime.engine.add_note(SYSTEM, deal["id"], "Automatic reminder")
    assert customers.get(people.rita, customer["id"]) == customer
