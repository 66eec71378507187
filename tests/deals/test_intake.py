"""Lead intake from a CSV file: ``goldsieve import --assign`` gives each lead its owner by rule."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.deals.importing import import_csv
from goldsieve.errors import Forbidden
from goldsieve.people.users import find_user

from tests.conftest import load_funnel

CSV = "title,company,region\nFair lead 1,Acme,north\nFair lead 2,Bcme,south\nFair lead 3,Ccme,south\n"


@pytest.fixture
def goldsieve_funnel():
    funnel = load_funnel("design_example")
    for name in ("region", "email", "phone"):
        funnel["fields"]["properties"][name] = {"type": "string", "title": name.title()}
    funnel["assignment"] = {"rule": "by_field", "field": "region",
                            "map": {"north": "user:li"}, "default": "team:south"}
    return funnel


@pytest.fixture
def leads(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.fixture
def org(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team):
    goldsieve_make_user("mark", "marketing")
    goldsieve_make_user("li", "rep")
    goldsieve_make_team("south")
    for name in ("sam", "sue"):
        goldsieve_make_user(name, "rep", team="south")
    return goldsieve_runtime


def test_import_assign_gives_each_lead_an_owner_by_the_rule(org, leads):
    result = import_csv(org, leads, "handmade", as_user="mark", assign=True)
    assert result.problems == [] and result.count == 3
    owners = {d["title"]: d["owner"] for d in org.store.find("deals")}
    assert owners["Fair lead 1"] == "li"
    assert {owners["Fair lead 2"], owners["Fair lead 3"]} == {"sam", "sue"}  # round robin in the team
    assert {d["created_by"] for d in org.store.find("deals")} == {"mark"}
    li = find_user(org.store, "li")
    assert [d["title"] for d in org.engine.list(li)] == ["Fair lead 1"]
    assert len(org.engine.list(find_user(org.store, "mark"))) == 3


def test_import_assign_needs_intake_and_refuses_an_owner_column(org, leads, tmp_path):
    with pytest.raises(Forbidden):
        import_csv(org, leads, "handmade", as_user="li", assign=True)
    owned = tmp_path / "owned.csv"
    owned.write_text("title,company,owner\nX,Acme,li\n", encoding="utf-8")
    result = import_csv(org, owned, "handmade", as_user="mark", assign=True)
    assert "drop the owner column" in result.problems[0]
    assert org.store.count("deals") == 0


def test_goldsieve_import_assign(goldsieve_workspace, leads):
    from goldsieve.people.teams import add_team
    from goldsieve.people.users import add_user
    from goldsieve.runtime import open_runtime
    from goldsieve.testing import TEST_PASSWORD

    with open_runtime(goldsieve_workspace, entry_points=False) as runtime:
        add_user(runtime.store, "mark", "marketing", TEST_PASSWORD)
        add_user(runtime.store, "li", "rep", TEST_PASSWORD)
        add_team(runtime.store, "south")
        add_user(runtime.store, "sam", "rep", TEST_PASSWORD, team="south")
    result = CliRunner().invoke(cli, ["import", str(leads), "--funnel", "handmade", "--as", "mark",
                                      "--assign", "--workspace", str(goldsieve_workspace.path)])
    assert result.exit_code == 0, result.output
    with open_runtime(goldsieve_workspace, entry_points=False) as runtime:
        assert sorted(d["owner"] for d in runtime.store.find("deals")) == ["li", "sam", "sam"]


@pytest.mark.parametrize("assign", [True, False])
def test_imported_rows_naming_a_known_company_are_linked_to_its_customer(org, leads, assign):
    known = org.customers.create(find_user(org.store, "sam"), "BCME Inc.")
    result = import_csv(org, leads, "handmade", as_user="mark", assign=assign)
    assert result.problems == [] and result.count == 3
    linked = {d["title"]: d.get("customer_id") for d in org.store.find("deals")}
    assert linked == {"Fair lead 1": None, "Fair lead 2": known["id"], "Fair lead 3": None}
    assert org.store.count("customers") == 1


def test_a_row_whose_email_or_phone_is_a_contacts_goes_to_the_contacts_customer(org, tmp_path):
    sam = find_user(org.store, "sam")
    clinic = org.customers.create(sam, "Clinic")
    lab = org.customers.create(sam, "Lab")
    org.contacts.create(sam, clinic["id"], "Dr Wang", data={"email": "wang@clinic.cn"})
    org.contacts.create(sam, lab["id"], "Ms Li", data={"phone": "+86 138 0000 1111"})
    rows = tmp_path / "rows.csv"
    rows.write_text("title,company,email,phone\nBy mail,Somebody,WANG@clinic.cn,\n"
                    "By phone,Somebody else,, +86 138 0000 1111\nNo one,Nobody,x@y.cn,1\n", encoding="utf-8")
    result = import_csv(org, rows, "handmade", as_user="mark", assign=True)
    assert result.problems == [], result.problems
    linked = {d["title"]: d.get("customer_id") for d in org.store.find("deals")}
    assert linked == {"By mail": clinic["id"], "By phone": lab["id"], "No one": None}


@pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)
def test_matching_a_lead_is_the_same_on_both_stores(org):
    from goldsieve.deals.intake import link_customer

    sam = find_user(org.store, "sam")
    known = org.customers.create(sam, "Ruijin Co., Ltd.", {})
    org.contacts.create(sam, known["id"], "Dr Wang", data={"email": "wang@ruijin.cn", "phone": "021 1234"})
    for data, expected in (({"company": "RUIJIN"}, known["id"]), ({"email": "Wang@Ruijin.cn"}, known["id"]),
                           ({"company": "Other", "phone": " 021 1234 "}, known["id"]),
                           ({"company": "Other", "email": "li@other.cn"}, None), ({"company": 7}, None)):
        deal = {"data": data}
        link_customer(org.engine, deal)
        assert deal.get("customer_id") == expected, data
