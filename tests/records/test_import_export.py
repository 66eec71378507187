"""Customers and contacts from CSV and back: every row checked first, all written or none,
duplicates reported and not created, fields by id or title, encodings, and exports that keep to
what the user may see and never hand a spreadsheet a formula."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.errors import NotFound
from goldsieve.people.users import update_user
from goldsieve.records.exporting import export_contacts, export_customers
from goldsieve.records.importing import ImportFailed, find_customer, import_contacts, import_customers
from goldsieve.records.pool import release

from tests.records.conftest import BOTH_STORES, counts


def write(tmp_path: Path, text: str, name: str = "customers.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


GOOD = """\
name,Grade,统一社会信用代码,beds,owner
Ruijin Hospital,3A,91310000AAA,1200,
Huashan Clinic,2A,,,rob
"""


@BOTH_STORES
def test_customers_are_imported_with_fields_named_by_id_or_title(goldsieve_runtime, people, tmp_path):
    path = write(tmp_path, GOOD)
    before = counts(goldsieve_runtime.store)
    dry = import_customers(goldsieve_runtime, path, as_user="mia", dry_run=True)
    assert (dry.count, dry.problems, dry.duplicates) == (2, [], [])
    assert counts(goldsieve_runtime.store) == before
    result = import_customers(goldsieve_runtime, path, as_user="mia")
    assert (result.count, result.problems) == (2, [])
    made = {c["name"]: c for c in goldsieve_runtime.store.find("customers")}
    assert made["Ruijin Hospital"]["data"] == {"grade": "3A", "credit_code": "91310000AAA", "beds": 1200}
    assert (made["Ruijin Hospital"]["owner"], made["Huashan Clinic"]["owner"]) == ("mia", "rob")
    assert made["Huashan Clinic"]["team"] == "north" and made["Huashan Clinic"]["created_by"] == "mia"
    actions = [a["action"] for a in goldsieve_runtime.store.find("audit")]
    assert actions.count("customer_created") == 2
    assert goldsieve_runtime.store.count("customer_keys") == 3  # two names, one credit code


@BOTH_STORES
def test_a_row_duplicating_a_customer_is_reported_and_the_others_imported(goldsieve_runtime, people,
                                                                         tmp_path):
    update_user(goldsieve_runtime.store, "sam", display_name="Sam Wu")
    secret = goldsieve_runtime.customers.create(people.sam, "上海瑞金医疗器械有限公司", {"credit_code": "9131X"})
    path = write(tmp_path, "name,credit_code\n上海瑞金医疗器械 股份有限公司,\nNew one,9131x\nFresh,\n"
                           "ＦＲＥＳＨ Co., Ltd.,\n")
    result = import_customers(goldsieve_runtime, path, as_user="rita")
    assert result.problems == [] and result.count == 1
    assert result.duplicates == [
        f"{path}:2: name: duplicates customer {secret['id']} (owner Sam Wu); not imported",
        f"{path}:3: credit_code: duplicates customer {secret['id']} (owner Sam Wu); not imported",
        f"{path}:5: name: duplicates line 4 of this file; not imported"]
    assert "瑞金" not in "".join(result.duplicates)
    assert sorted(c["name"] for c in goldsieve_runtime.store.find("customers")) == ["Fresh", "上海瑞金医疗器械有限公司"]


@BOTH_STORES
def test_bad_rows_are_each_reported_and_nothing_is_written(goldsieve_runtime, people, tmp_path):
    path = write(tmp_path, "name,grade,beds,owner\n"
                           ",9Z,1,\n"
                           "Ok,3A,many,\n"
                           "Big,3A,1e16,\n"
                           "Other's,,,nobody\n"
                           "Given,,,rob\n"
                           "Tail,,,,extra\n"
                           "a\u0000b,,,\n")
    before = counts(goldsieve_runtime.store)
    result = import_customers(goldsieve_runtime, path, as_user="rita")
    assert result.count == 0
    assert result.problems == [
        f"{path}:2: name: A name is required.",
        result.problems[1],
        f"{path}:3: beds: “many” is not a whole number",
        result.problems[3],
        f"{path}:5: owner: there is no user “nobody”",
        f"{path}:6: owner: rita may not give customers to other users",
        f"{path}:7: row: has 5 cells, the header names 4 columns",
        f"{path}:8: name: A name cannot hold NUL characters or broken Unicode."]
    assert result.problems[1].startswith(f"{path}:2: grade: ")
    assert result.problems[3].startswith(f"{path}:4: beds: ")
    assert counts(goldsieve_runtime.store) == before


@pytest.mark.parametrize("header, message", [
    ("name,colour\n", "colour: not a column of a customer (the columns: name, owner, beds, credit_code, grade)"),
    ("grade\n", "name: the file needs a name column"),
    ("name,grade,Grade\n", "Grade: feeds the same field as column “grade”"),
    ("name,,grade\n", "column 2: has no name in the header"),
    ("", "header: the file is empty"),
])
def test_a_wrong_header_is_reported_at_line_1(goldsieve_runtime, people, tmp_path, header, message):
    result = import_customers(goldsieve_runtime, write(tmp_path, header + "A,3A\n" if header else ""))
    assert any(message in line for line in result.problems), result.problems
    assert goldsieve_runtime.store.count("customers") == 0


def test_encodings_a_byte_order_mark_and_gb18030(goldsieve_runtime, people, tmp_path):
    text = "name,等级\n北京协和医院,3A\n"
    assert import_customers(goldsieve_runtime, write(tmp_path, "\ufeff" + text, "bom.csv")).count == 1
    path = write(tmp_path, text.replace("北京协和", "广州中山"), "gbk.csv", "gb18030")
    refused = import_customers(goldsieve_runtime, path)
    assert refused.count == 0 and "not UTF-8 text" in refused.problems[0]
    assert import_customers(goldsieve_runtime, path, encoding="gb18030").count == 1
    assert sorted(c["name"] for c in goldsieve_runtime.store.find("customers")) == ["北京协和医院", "广州中山医院"]


def test_an_import_needs_someone_to_record(goldsieve_runtime, tmp_path):
    with pytest.raises(ImportFailed, match="no admin user"):
        import_customers(goldsieve_runtime, write(tmp_path, GOOD))
    with pytest.raises(ImportFailed, match="no user “ghost”"):
        import_customers(goldsieve_runtime, write(tmp_path, GOOD), as_user="ghost")


@BOTH_STORES
def test_contacts_are_imported_to_customers_named_by_id_or_name(goldsieve_runtime, people, tmp_path):
    customers = goldsieve_runtime.customers
    ruijin = customers.create(people.rita, "Ruijin Hospital Co., Ltd.")
    huashan = customers.create(people.rita, "Huashan")
    old = goldsieve_runtime.contacts.create(people.rita, ruijin["id"], "Old primary", primary=True)
    path = write(tmp_path, "customer,name,role,primary,email\n"
                           f"ruijin hospital,Dr Wang,决策人,yes,wang@ruijin.cn\n"
                           f"{huashan['id']},Nurse Li,user,,\n"
                           "Huashan,Dr Zhao,,true,\n", "contacts.csv")
    assert import_contacts(goldsieve_runtime, path, as_user="rita", dry_run=True).count == 3
    result = import_contacts(goldsieve_runtime, path, as_user="rita")
    assert (result.count, result.problems) == (3, [])
    listed = goldsieve_runtime.contacts.list(people.rita, ruijin["id"])
    assert [(c["name"], c["role"], c["primary"], c["data"]) for c in listed] == [
        ("Dr Wang", "decision_maker", True, {"email": "wang@ruijin.cn"}), ("Old primary", None, False, {})]
    assert goldsieve_runtime.store.get("contacts", old["id"])["version"] == 2
    assert [c["name"] for c in goldsieve_runtime.contacts.list(people.rita, huashan["id"])] == ["Dr Zhao", "Nurse Li"]


@BOTH_STORES
def test_contact_rows_naming_a_hidden_or_unknown_customer_write_nothing(goldsieve_runtime, people, tmp_path):
    sams = goldsieve_runtime.customers.create(people.sam, "Sam's hospital")
    mine = goldsieve_runtime.customers.create(people.rita, "Mine")
    path = write(tmp_path, "customer,name,role,email\n"
                           f"{sams['id']},Spy,,\n"
                           "Sam's hospital,Spy,,\n"
                           "Nowhere,X,,\n"
                           "Mine,Dr Wang,boss,\n"
                           "Mine,,,not-an-address\n"
                           f"{mine['id']},Good,,\n", "contacts.csv")
    before = counts(goldsieve_runtime.store)
    result = import_contacts(goldsieve_runtime, path, as_user="rita")
    assert result.count == 0
    assert result.problems == [
        f"{path}:2: customer: there is no customer “{sams['id']}” you can see",
        f"{path}:3: customer: there is no customer “Sam's hospital” you can see",
        f"{path}:4: customer: there is no customer “Nowhere” you can see",
        f"{path}:5: role: “boss” is not a role; the roles are decision_maker, user",
        f"{path}:6: name: A name is required.",
        result.problems[5]]
    assert result.problems[5].startswith(f"{path}:6: email: ")
    assert counts(goldsieve_runtime.store) == before


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@BOTH_STORES
def test_the_export_keeps_to_what_the_user_sees_and_reads_back(goldsieve_runtime, people, tmp_path):
    customers, contacts = goldsieve_runtime.customers, goldsieve_runtime.contacts
    rita = customers.create(people.rita, "=HYPERLINK(\"http://x\")", {"grade": "3A", "beds": 5, "credit_code": "-91310000"})
    contacts.create(people.rita, rita["id"], "@SUM(A1)", "user", {"email": "a@b.cn"})
    sams = customers.create(people.sam, "Sam's secret")
    contacts.create(people.sam, sams["id"], "Dr Secret")
    out = io.StringIO()
    assert export_customers(goldsieve_runtime, out, user=people.rita) == 1
    [row] = read_csv(out.getvalue())
    assert row["name"] == "'=HYPERLINK(\"http://x\")" and row["credit_code"] == "'-91310000"
    assert (row["beds"], row["grade"]) == ("5", "3A")
    assert "secret" not in out.getvalue().lower()
    out = io.StringIO()
    assert export_contacts(goldsieve_runtime, out, user=people.rita) == 1
    [contact] = read_csv(out.getvalue())
    assert (contact["name"], contact["customer"], contact["email"]) == ("'@SUM(A1)", str(rita["id"]), "a@b.cn")
    assert "Secret" not in out.getvalue()
    everything = io.StringIO()
    assert export_customers(goldsieve_runtime, everything) == 2
    lines = io.StringIO()
    export_customers(goldsieve_runtime, lines, "jsonl", user=people.rita)
    assert [json.loads(line)["data"] for line in lines.getvalue().splitlines()] == [{"grade": "3A", "beds": 5, "credit_code": "-91310000"}]
    # an export reads back: into this workspace as duplicates, and its contacts by customer id
    path = write(tmp_path, everything.getvalue())
    again = import_customers(goldsieve_runtime, path, as_user="admin")
    assert again.problems == [] and again.count == 0 and len(again.duplicates) == 2
    out = io.StringIO()
    export_contacts(goldsieve_runtime, out, customer=find_customer(customers, people.admin, "Sam's secret"))
    assert [c["name"] for c in read_csv(out.getvalue())] == ["Dr Secret"]
    reread = import_contacts(goldsieve_runtime, write(tmp_path, out.getvalue(), "c.csv"), as_user="admin")
    assert (reread.problems, reread.count) == ([], 1)


def test_the_export_hides_a_pool_customers_contact_details_as_the_page_does(goldsieve_runtime, people):
    from dataclasses import replace

    customers = goldsieve_runtime.customers
    customers.pool = replace(customers.pool, see_pool_contacts=frozenset({"manager"}))
    made = customers.create(people.rita, "Ruijin")
    goldsieve_runtime.contacts.create(people.rita, made["id"], "Dr Wang", data={"email": "w@r.cn"})
    release(customers, people.rita, made["id"])
    for fmt in ("csv", "jsonl"):
        out = io.StringIO()
        export_contacts(goldsieve_runtime, out, fmt, user=people.rob)
        assert "Dr Wang" in out.getvalue() and "w@r.cn" not in out.getvalue()
        out = io.StringIO()
        export_contacts(goldsieve_runtime, out, fmt, user=people.mia)
        assert "w@r.cn" in out.getvalue()


def test_find_customer_by_id_or_name_within_what_the_user_sees(goldsieve_runtime, people):
    customers = goldsieve_runtime.customers
    made = customers.create(people.rita, "ACME Co., Ltd.")
    assert find_customer(customers, people.rita, "acme")["id"] == made["id"]
    assert find_customer(customers, people.rita, f" {made['id']} ")["id"] == made["id"]
    for text in ("acme", str(made["id"]), "", "nobody"):
        with pytest.raises(NotFound):
            find_customer(customers, people.sam if text else people.rita, text)


def test_the_commands_report_and_exit_like_the_deals_import(goldsieve_runtime, people, tmp_path):
    goldsieve_runtime.customers.create(people.rita, "Ruijin")
    folder = str(goldsieve_runtime.workspace.path)
    goldsieve_runtime.close()
    run = CliRunner().invoke
    good = write(tmp_path, "name,grade\nRuijin,3A\nHuashan,2A\n")
    result = run(cli, ["customers", "import", str(good), "-w", folder, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "would import 1 customers; 1 duplicate(s) not imported\n"
    chinese = run(cli, ["--lang", "zh-Hans", "customers", "import", str(good), "-w", folder, "--dry-run"])
    assert chinese.stdout == "将导入 1 个客户；1 条重复记录未导入\n"  # the reader's language, as every line
    assert "duplicates customer 1 (owner rita); not imported" in result.stderr
    assert run(cli, ["customers", "import", str(good), "-w", folder]).stdout.startswith("imported 1 customers")
    bad = write(tmp_path, "name,grade\nX,9Z\n", "bad.csv")
    result = run(cli, ["customers", "import", str(bad), "-w", folder])
    assert result.exit_code == 1 and result.stderr.endswith(f"1 problem(s) in {bad}; nothing was imported\n")
    assert run(cli, ["customers", "import", str(bad), "-w", folder, "--encoding", "klingon"]).exit_code == 2
    contacts = write(tmp_path, "customer,name\nHuashan,Dr Li\n", "contacts.csv")
    assert run(cli, ["contacts", "import", str(contacts), "-w", folder]).stdout == "imported 1 contacts\n"
    result = run(cli, ["contacts", "export", "-w", folder, "--customer", "huashan"])
    assert result.exit_code == 0 and "Dr Li" in result.stdout
    result = run(cli, ["contacts", "export", "-w", folder, "--customer", "nowhere"])
    assert result.exit_code == 1 and "there is no customer “nowhere” you can see" in result.stderr
    result = run(cli, ["customers", "export", "-w", folder, "--as", "sam"])
    assert result.exit_code == 0 and result.stdout.startswith("id,name,owner") and "Ruijin" not in result.stdout
    assert run(cli, ["customers", "export", "-w", folder, "--as", "ghost"]).exit_code == 1


@pytest.fixture
def chinese():
    from goldsieve import locales

    token = locales.reader.set("zh_Hans")
    yield
    locales.reader.reset(token)


@BOTH_STORES
def test_an_imports_duplicates_and_missing_customers_are_said_in_the_readers_language(
        goldsieve_runtime, people, tmp_path, chinese):
    update_user(goldsieve_runtime.store, "sam", display_name="Sam Wu")
    secret = goldsieve_runtime.customers.create(people.sam, "上海瑞金医疗器械有限公司")
    path = write(tmp_path, "name,owner\n上海瑞金医疗器械,\nFresh,\nＦＲＥＳＨ,\nOther,nobody\n")
    result = import_customers(goldsieve_runtime, path, as_user="rita")
    assert result.problems == [f"{path}:5: owner: 没有用户 “nobody”"]
    assert result.duplicates == [f"{path}:2: name: 与客户 {secret['id']} 重复（负责人 Sam Wu）；未导入",
                                 f"{path}:4: name: 与本文件第 3 行重复；未导入"]
    contacts = write(tmp_path, "customer,name\nNowhere,X\n", "contacts.csv")
    assert import_contacts(goldsieve_runtime, contacts, as_user="rita").problems == [
        f"{contacts}:2: customer: 没有您可见的客户“Nowhere”"]


@BOTH_STORES
def test_an_import_looks_up_each_owner_and_customer_once(goldsieve_runtime, people, tmp_path, monkeypatch):
    from goldsieve.records import customers as customers_module
    from goldsieve.records import importing

    hospital = goldsieve_runtime.customers.create(people.rita, "Ruijin Hospital")
    looked: list[str] = []

    def counting(lookup):
        def wrapped(store, name, *args, **kwargs):
            looked.append(name)
            return lookup(store, name, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(importing, "find_user", counting(importing.find_user))
    monkeypatch.setattr(customers_module, "find_user", counting(customers_module.find_user))
    rows = "".join(f"Customer {n},{'rob' if n % 2 else 'rita'}\n" for n in range(20))
    result = import_customers(goldsieve_runtime, write(tmp_path, "name,owner\n" + rows), as_user="admin")
    assert result.problems == [] and result.count == 20
    assert sorted(looked) == ["admin", "rita", "rob"]  # the importer, then each owner once

    found: list[str] = []
    monkeypatch.setattr(importing, "find_customer",
                        lambda customers, user, text, real=importing.find_customer: found.append(text)
                        or real(customers, user, text))
    reads: list[int] = []
    get = goldsieve_runtime.customers.get
    monkeypatch.setattr(goldsieve_runtime.customers, "get", lambda user, id: reads.append(id) or get(user, id))
    path = write(tmp_path, "customer,name\n" + "".join(f"Ruijin Hospital,Dr {n}\n" for n in range(10))
                 + "Nowhere,X\nNowhere,Y\n", "contacts.csv")
    result = import_contacts(goldsieve_runtime, path, as_user="rita")
    assert found == ["Ruijin Hospital", "Nowhere"] and reads == [hospital["id"]]
    assert len(result.problems) == 2 and result.count == 0
