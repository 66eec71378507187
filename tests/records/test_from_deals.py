"""``goldsieve customers from-deals`` and ``customers merge``: customers made from the deals'
company text, grouped by the duplicate normalisation, and a dry run that writes nothing."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.records.from_deals import customers_from_deals
from goldsieve.store import open_store

from tests.records.conftest import BOTH_STORES, counts


def deal(engine, user, company: str) -> dict:
    return engine.create(user, "handmade", f"Deal of {company}", {"company": company})


def everything(store) -> dict[str, int]:
    return {**counts(store), "deals": store.count("deals"), "events": store.count("events")}


@BOTH_STORES
def test_one_customer_per_company_owned_by_the_deals_owner_or_the_pool(customers, people, goldsieve_runtime,
                                                                        goldsieve_clock):
    engine, store = goldsieve_runtime.engine, goldsieve_runtime.store
    known = customers.create(people.sam, "Known Lab")
    acme = [deal(engine, people.rita, "ACME Co., Ltd."), deal(engine, people.rita, "acme")]
    goldsieve_clock.advance(hours=1)
    latest = deal(engine, people.rita, "Acme ")
    shared = [deal(engine, people.rita, "Ruijin"), deal(engine, people.rob, "RUIJIN")]
    lab = deal(engine, people.rob, "known lab ltd")
    linked_already = engine.create(people.sam, "handmade", "Linked", {"company": "Acme"},
                                   customer_id=known["id"])
    before = everything(store)
    planned = customers_from_deals(customers, "company", dry_run=True)
    assert everything(store) == before
    assert [(g.name, g.owner, len(g.deals), g.existing) for g in planned] == [
        ("Acme", "rita", 3, None), ("RUIJIN", None, 2, None), ("known lab ltd", "rob", 1, known["id"])]

    done = customers_from_deals(customers, "company")
    by_name = {c["name"]: c for c in customers.list(people.admin)}
    assert by_name["Acme"]["owner"] == "rita" and by_name["Acme"]["team"] == "north"
    assert by_name["RUIJIN"]["owner"] is None  # two reps' deals: the pool
    assert {d["id"] for d in store.find("deals") if d.get("customer_id") == by_name["Acme"]["id"]} == {
        acme[0]["id"], acme[1]["id"], latest["id"]}
    assert {store.get("deals", d["id"])["customer_id"] for d in shared} == {by_name["RUIJIN"]["id"]}
    assert store.get("deals", lab["id"])["customer_id"] == known["id"]
    assert store.get("deals", linked_already["id"]) == linked_already
    assert store.get("deals", lab["id"])["version"] == lab["version"] + 1
    assert [g.customer_id for g in done] == [by_name["Acme"]["id"], by_name["RUIJIN"]["id"], known["id"]]
    assert [e["type"] for e in customers.history(people.admin, known["id"])] == ["created", "deals_linked"]
    assert store.count("events") == before["events"]  # the deals' log is the analytics': untouched
    assert customers_from_deals(customers, "company") == []  # nothing is left to link


def test_the_cli_prints_each_customer_writes_nothing_in_a_dry_run_and_refuses_an_unknown_field(
        goldsieve_runtime, customers, people):
    engine = goldsieve_runtime.engine
    deal(engine, people.rita, "Acme")
    deal(engine, people.rob, "ACME Inc.")
    folder = str(goldsieve_runtime.workspace.path)
    goldsieve_runtime.close()
    run = CliRunner().invoke

    def stored() -> dict[str, int]:
        with open_store("tinydb:data", Path(folder)) as store:
            return everything(store)

    before = stored()
    unknown = run(cli, ["customers", "from-deals", "-w", folder, "--field", "nope"])
    assert unknown.exit_code == 2 and "no funnel has a field “nope”" in unknown.output
    dry = run(cli, ["customers", "from-deals", "-w", folder, "--field", "company", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines() == ["would create customer ACME Inc. (owner the pool) with 2 deal(s)",
                                       "1 customer(s) new, 0 existing; 2 deal(s) would be linked"]
    chinese = run(cli, ["--lang", "zh-Hans", "customers", "from-deals", "-w", folder, "--field", "company", "--dry-run"])
    assert chinese.output.splitlines() == ["将创建客户 ACME Inc.（负责人 公海），含 2 个商机",
                                           "新客户 1 个，已有客户 0 个；将关联 2 个商机"]
    assert stored() == before
    done = run(cli, ["customers", "from-deals", "-w", folder, "--field", "company"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0] == "created customer 1 ACME Inc. (owner the pool) with 2 deal(s)"
    assert stored()["customers"] == 1


def test_the_cli_merges_and_says_why_it_will_not(goldsieve_runtime, customers, people):
    first = customers.create(people.rita, "First")
    second = customers.create(people.rita, "Second")
    folder = str(goldsieve_runtime.workspace.path)
    goldsieve_runtime.close()
    run = CliRunner().invoke
    itself = run(cli, ["customers", "merge", str(second["id"]), "--into", str(second["id"]), "-w", folder])
    assert itself.exit_code == 1
    assert itself.output.strip() == "Error: into: A customer cannot be merged into itself."
    as_rep = run(cli, ["customers", "merge", str(second["id"]), "--into", str(first["id"]), "-w", folder,
                       "--as", "rita"])
    assert as_rep.exit_code == 1 and "rita may not merge customers" in as_rep.output
    done = run(cli, ["customers", "merge", str(second["id"]), "--into", str(first["id"]), "-w", folder])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == f"merged customer {second['id']} into customer {first['id']} First"
