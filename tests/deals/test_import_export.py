"""CSV import (check everything, then write all or nothing) and CSV/JSON export, also via the CLI."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.deals.exporting import DEAL_COLUMNS, EVENT_COLUMNS, export
from goldsieve.deals.importing import ImportFailed, import_csv, parse_mappings
from goldsieve.errors import NotFound
from goldsieve.funnels.validation import compile_schema, violations
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD

FUNNEL = "handmade"


@pytest.fixture
def goldsieve_funnel() -> dict:
    """The hand-written example funnel with a field of every type the importer converts."""
    definition = json.loads((Path(__file__).parents[1] / "funnels" / "design_example.json").read_text("utf-8"))
    definition["fields"]["properties"].update({
        "seats": {"type": "integer", "title": "Seats", "minimum": 1},
        "renewal": {"type": "boolean", "title": "Renewal"},
        "modules": {"type": "array", "title": "Modules",
                    "items": {"type": "string", "enum": ["crm", "erp", "bi"]}},
        "margin": {"type": "number", "title": "Margin"},
        "channel": {"type": "string", "title": "Channel", "oneOf": [
            {"const": "web", "title": {"en": "Website", "zh-Hans": "官网"}},
            {"const": "fair", "title": {"en": "Trade fair", "zh-Hans": "展会"}}]},
    })
    return definition


@pytest.fixture
def runtime(goldsieve_runtime, goldsieve_user, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    return goldsieve_runtime


def write_csv(tmp_path: Path, text: str, name: str = "deals.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
title,company,amount,seats,renewal,modules,demo_date,owner
Acme ERP,Acme,1200,25,yes,crm;erp,2026-02-01,rita
Beta BI,Beta Ltd,99.5,,false,bi,,
Gamma,Gamma,,3,TRUE,,,
"""


def counts(rt) -> tuple[int, int]:
    return rt.store.count("deals"), rt.store.count("events")


def test_good_csv_imports_typed_data_with_a_created_event_each(runtime, tmp_path):
    result = import_csv(runtime, write_csv(tmp_path, GOOD), FUNNEL, {})
    assert (result.count, result.problems) == (3, [])
    acme, beta, gamma = runtime.store.find("deals")
    assert acme["data"] == {"company": "Acme", "amount": 1200, "seats": 25, "renewal": True,
                            "modules": ["crm", "erp"], "demo_date": "2026-02-01"}
    assert (acme["owner"], acme["created_by"], acme["stage"], acme["version"]) == ("rita", "admin", "lead", 1)
    assert beta["data"] == {"company": "Beta Ltd", "amount": 99.5, "renewal": False, "modules": ["bi"]}
    assert beta["owner"] == "admin"
    assert gamma["data"] == {"company": "Gamma", "seats": 3, "renewal": True}
    events = runtime.store.find("events")
    assert [(e["type"], e["deal_id"], e["by"]) for e in events] == [
        ("created", d["id"], "admin") for d in (acme, beta, gamma)]
    assert events[0]["changes"]["seats"] == [None, 25]


def test_a_choice_is_read_from_its_label_in_any_language_or_from_its_value(runtime, tmp_path):
    """What a refusal lists is what may be typed: the labels, as a spreadsheet says them."""
    path = write_csv(tmp_path, "title,company,channel\nA,A,官网\nB,B, trade FAIR \nC,C,web\n")
    assert import_csv(runtime, path, FUNNEL, {}).count == 3
    assert [d["data"]["channel"] for d in runtime.store.find("deals")] == ["web", "fair", "web"]
    refused = import_csv(runtime, write_csv(tmp_path, "title,company,channel\nD,D,网站\n", "bad.csv"), FUNNEL, {})
    assert refused.count == 0 and refused.problems and runtime.store.count("deals") == 3


def test_bad_rows_are_all_reported_with_line_and_field_and_nothing_is_written(runtime, tmp_path):
    path = write_csv(tmp_path, """\
title,company,amount,approval_note
Fine,Fine Co,10,"a note
over two lines"
Bad amount,Bad Co,lots,
Fine too,Fine Too,5,
No company,,7,
""")
    before = counts(runtime)
    result = import_csv(runtime, path, FUNNEL, {})
    assert result.count == 0
    assert result.problems == [
        f"{path}:4: Expected amount: “lots” is not a number",
        f"{path}:6: Company: This field is required.",
    ]
    assert counts(runtime) == before


def test_engine_checks_apply_per_row(runtime, tmp_path):
    path = write_csv(tmp_path, "title,company,amount,owner,discount\n"
                               ",Acme,-5,nobody,2\n")
    problems = import_csv(runtime, path, FUNNEL, {}).problems
    where = {tuple(p.removeprefix(f"{path}:").split(": ")[:2]) for p in problems}
    assert where == {("2", "title"), ("2", "Expected amount"), ("2", "owner"), ("2", "Discount")}


def test_dry_run_checks_but_writes_nothing(runtime, tmp_path):
    before = counts(runtime)
    result = import_csv(runtime, write_csv(tmp_path, GOOD), FUNNEL, {}, dry_run=True)
    assert (result.count, result.problems) == (3, [])
    assert counts(runtime) == before


def test_unknown_column_is_reported_once(runtime, tmp_path):
    path = write_csv(tmp_path, "title,company,colour\nA,A,red\nB,B,blue\n")
    result = import_csv(runtime, path, FUNNEL, {})
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"{path}:1: colour: not a field of funnel {FUNNEL}")
    assert counts(runtime) == (0, 0)


def test_missing_title_column_and_mapping_to_absent_column(runtime, tmp_path):
    path = write_csv(tmp_path, "company\nA\n")
    problems = import_csv(runtime, path, FUNNEL, {"Firma": "company"}).problems
    assert any(":1: title:" in p for p in problems) and any(":1: Firma:" in p for p in problems)


def test_map_reads_columns_into_fields_and_title(runtime, tmp_path):
    path = write_csv(tmp_path, "Name,Firma,Betrag\nAcme ERP,Acme,5000\n")
    result = import_csv(runtime, path, FUNNEL, parse_mappings(("Name=title", "Firma=company", "Betrag=amount")))
    assert result.problems == []
    [deal] = runtime.store.find("deals")
    assert (deal["title"], deal["data"]) == ("Acme ERP", {"company": "Acme", "amount": 5000})


def test_parse_mappings():
    assert parse_mappings(("A=b", " Col = field ")) == {"A": "b", "Col": "field"}
    for bad in (("nofield",), ("=x",), ("x=",), ("A=b", "A=c")):
        with pytest.raises(click.BadParameter):
            parse_mappings(bad)


def test_acting_user(goldsieve_runtime, tmp_path):
    path = write_csv(tmp_path, GOOD)
    with pytest.raises(ImportFailed, match="no admin"):
        import_csv(goldsieve_runtime, path, FUNNEL, {})
    add_user(goldsieve_runtime.store, "rita", "rep", TEST_PASSWORD)
    with pytest.raises(ImportFailed, match="nobody"):
        import_csv(goldsieve_runtime, path, FUNNEL, {}, as_user="nobody")
    assert import_csv(goldsieve_runtime, path, FUNNEL, {}, as_user="rita").count == 3
    assert {d["created_by"] for d in goldsieve_runtime.store.find("deals")} == {"rita"}


# --- export ---------------------------------------------------------------------------------


@pytest.fixture
def filled(runtime, goldsieve_user, tmp_path):
    assert import_csv(runtime, write_csv(tmp_path, GOOD), FUNNEL, {}).problems == []
    user = goldsieve_user
    deal = runtime.store.find("deals")[0]
    runtime.engine.move(user, deal["id"], "qualified", changes={"needs_survey": "20 users, Q3"})
    runtime.engine.move(user, deal["id"], "lost", lost_reason="price")
    return runtime


def export_text(rt, **kwargs) -> tuple[int, str]:
    out = io.StringIO()
    count = export(rt, out, **kwargs)
    return count, out.getvalue()


def test_export_deals_csv(filled):
    count, text = export_text(filled)
    rows = list(csv.DictReader(io.StringIO(text)))
    deals = filled.store.find("deals")
    assert count == len(rows) == len(deals) == 3
    header = text.splitlines()[0].split(",")
    assert header[: len(DEAL_COLUMNS)] == list(DEAL_COLUMNS)
    assert header[len(DEAL_COLUMNS):][:2] == ["company", "amount"]  # the form order first
    assert {"needs_survey", "seats", "renewal", "modules"} <= set(header)
    lost = rows[0]
    assert (lost["id"], lost["stage"], lost["status"], lost["lost_reason"], lost["version"]) == (
        str(deals[0]["id"]), "lost", "lost", "price", "3")
    assert (lost["company"], lost["amount"], lost["seats"], lost["renewal"]) == ("Acme", "1200", "25", "true")
    assert json.loads(lost["modules"]) == ["crm", "erp"]
    assert rows[1]["seats"] == "" and rows[1]["lost_reason"] == ""


def test_export_deals_json_lines_is_the_stored_document(filled):
    count, text = export_text(filled, fmt="jsonl")
    assert [json.loads(line) for line in text.splitlines()] == filled.store.find("deals")
    assert count == 3 and "closed_from" in json.loads(text.splitlines()[0])


def test_export_json_is_one_array_of_the_same_documents(filled):
    count, text = export_text(filled, fmt="json")
    assert json.loads(text) == filled.store.find("deals") and count == 3
    empty = export_text(filled, fmt="json", funnel_id=FUNNEL, user={"username": "nobody", "role": "rep"})
    assert empty == (0, "[]\n")


def test_export_events_csv_and_json(filled):
    events = filled.store.find("events")
    count, text = export_text(filled, what="events")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == len(events) == 6
    assert text.splitlines()[0] == ",".join(EVENT_COLUMNS)
    for row, event in zip(rows, events):
        assert json.loads(row["changes"]) == event["changes"]
        assert (row["type"], row["to_stage"] or None, row["lost_reason"] or None, row["by"]) == (
            event["type"], event["to_stage"], event["lost_reason"], event["by"])
    count, text = export_text(filled, what="events", fmt="jsonl")
    assert count == 6 and [json.loads(line) for line in text.splitlines()] == events


def test_export_by_funnel(filled):
    assert export_text(filled, funnel_id=FUNNEL)[0] == 3
    assert export_text(filled, what="events", funnel_id=FUNNEL)[0] == 6
    with pytest.raises(NotFound):
        export_text(filled, funnel_id="nope")


def test_exported_csv_fields_import_again(filled, tmp_path):
    """The cell conventions are shared: an export's field columns read back to the same data."""
    _, text = export_text(filled)
    rows = list(csv.DictReader(io.StringIO(text)))
    fields = [c for c in rows[0] if c not in DEAL_COLUMNS or c == "title"]
    path = tmp_path / "again.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    before = filled.store.find("deals")
    assert import_csv(filled, path, FUNNEL, {}).problems == []
    after = filled.store.find("deals")[len(before):]
    assert [d["data"] for d in after] == [d["data"] for d in before]


#: Text a spreadsheet would run as a formula (OWASP's starts), or that looks protected already.
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd",
            "'=quoted", "''=twice"]
#: Text no spreadsheet runs, left exactly as it is.
HARMLESS = ["'90s", "a=b", " =spaced", "＝full width", "plain"]


def test_csv_cells_a_spreadsheet_would_run_get_a_quote_and_numbers_stay_numbers(runtime, goldsieve_user):
    for n, text in enumerate(FORMULAS + HARMLESS):
        deal = runtime.engine.create(goldsieve_user, FUNNEL, text, {"company": text, "margin": -5 - n / 2})
        if text == text.strip():  # a note is stored trimmed
            runtime.engine.add_note(goldsieve_user, deal["id"], text)
    _, text = export_text(runtime)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(FORMULAS + HARMLESS)
    for row, written in zip(rows, FORMULAS + HARMLESS):
        expected = "'" + written if written in FORMULAS else written
        assert (row["title"], row["company"]) == (expected, expected)
    assert [row["margin"] for row in rows] == [str(-5 - n / 2) for n in range(len(rows))]
    _, text = export_text(runtime, what="events")
    notes = [row["note"] for row in csv.DictReader(io.StringIO(text)) if row["type"] == "note_added"]
    assert notes == ["'" + t if t in FORMULAS else t for t in FORMULAS + HARMLESS if t == t.strip()]


def test_the_json_export_stays_exact_and_the_csv_reads_back_to_the_same_data(runtime, goldsieve_user, tmp_path):
    for text in FORMULAS + HARMLESS:
        if text.startswith(" "):  # the importer trims a cell: only a protected start survives
            continue
        runtime.engine.create(goldsieve_user, FUNNEL, text, {"company": text, "margin": -1.5})
    before = runtime.store.find("deals")
    _, lines = export_text(runtime, fmt="jsonl")
    assert [json.loads(line) for line in lines.splitlines()] == before
    _, text = export_text(runtime)
    path = tmp_path / "again.csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["title", "company", "margin"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    assert import_csv(runtime, path, FUNNEL, {}).problems == []
    again = runtime.store.find("deals")[len(before):]
    assert sorted((d["title"], d["data"]["company"], d["data"]["margin"]) for d in again) == sorted(
        (d["title"], d["data"]["company"], d["data"]["margin"]) for d in before)


def test_import_problems_say_the_rule_in_words_with_the_value(runtime, tmp_path):
    path = write_csv(tmp_path, "title,company,demo_date,modules,seats\n"
                               "A,A,3/12/2026,\"[\"\"crm\"\",\"\"hr\"\"]\",0\n")
    problems = import_csv(runtime, path, FUNNEL, {}).problems
    assert problems == [
        f"{path}:2: demo_date: “3/12/2026” is not a date (YYYY-MM-DD)",
        f"{path}:2: Modules, item 2: “hr” is not a choice: choose one of crm, erp, bi",
        f"{path}:2: Seats: Enter a number of at least 1."]
    assert counts(runtime) == (0, 0)


def test_data_violations_are_plain_words_not_validator_text():
    validator = compile_schema({"type": "object", "properties": {
        "email": {"type": "string", "format": "email"}, "day": {"type": "string", "format": "date"},
        "kind": {"oneOf": [{"const": "web", "title": {"en": "Website", "zh-Hans": "网站"}},
                           {"const": "ref", "title": "Referral"}]},
        "code": {"type": "string", "pattern": "^[A-Z]+$"}, "n": {"type": "integer"}}})
    found = violations(validator, {"email": "not-an-email", "day": "3/12", "kind": "tv", "code": "x1",
                                   "n": "many"})
    assert {v.path: (v.code, v.message) for v in found} == {
        "/data/email": ("format", "“not-an-email” is not an e-mail address"),
        "/data/day": ("format", "“3/12” is not a date (YYYY-MM-DD)"),
        "/data/kind": ("enum", "“tv” is not a choice: choose one of Website, Referral"),
        "/data/code": ("pattern", "“x1” is not in the expected form"),
        "/data/n": ("type", "“many” is not a whole number")}


def test_an_imported_number_past_the_limit_or_not_in_ascii_digits_is_refused(runtime, tmp_path):
    path = write_csv(tmp_path, "title,company,amount,seats\nA,A,1e16,1\nB,B,٣,1\nC,C,1,1_000\n"
                               f"D,D,{'9' * 5000},1\nE,E,1e400,1\n")
    assert import_csv(runtime, path, FUNNEL, {}).problems == [
        f"{path}:2: Expected amount: Enter a number of at most 1,000,000,000,000,000.",
        f"{path}:3: Expected amount: “٣” is not a number",
        f"{path}:4: Seats: “1_000” is not a whole number",
        f"{path}:5: Expected amount: Enter a number of at most 1,000,000,000,000,000.",
        f"{path}:6: Expected amount: Enter a number of at most 1,000,000,000,000,000."]
    assert counts(runtime) == (0, 0)


# --- through the CLI --------------------------------------------------------------------------


@pytest.fixture
def workspace(goldsieve_workspace):
    """A workspace with an admin and a rep, not held open (the CLI opens it itself)."""
    with open_runtime(goldsieve_workspace, entry_points=False) as rt:
        add_user(rt.store, "admin", "admin", TEST_PASSWORD)
        add_user(rt.store, "rita", "rep", TEST_PASSWORD)
    return goldsieve_workspace.path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_cli_import_export(workspace, tmp_path):
    path = write_csv(tmp_path, "Name,Firma,amount\nAcme ERP,Acme,12\nBeta,Beta,7\n")
    ws = ["--workspace", str(workspace)]
    dry = run("import", str(path), "--funnel", FUNNEL, "--map", "Name=title", "--map", "Firma=company",
              "--dry-run", *ws)
    assert dry.exit_code == 0, dry.output
    assert "would import 2 deals" in dry.output
    done = run("import", str(path), "--funnel", FUNNEL, "--map", "Name=title", "--map", "Firma=company", *ws)
    assert done.exit_code == 0 and "imported 2 deals" in done.output
    deals = run("export", *ws)
    assert deals.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(deals.stdout)))
    assert [(r["title"], r["company"], r["amount"]) for r in rows] == [("Acme ERP", "Acme", "12"), ("Beta", "Beta", "7")]
    events = run("export", "--what", "events", "--format", "jsonl", "--funnel", FUNNEL, *ws)
    assert [json.loads(line)["type"] for line in events.stdout.splitlines()] == ["created", "created"]
    out = tmp_path / "deals.jsonl"
    assert run("export", "--format", "jsonl", "--output", str(out), *ws).exit_code == 0
    assert len(out.read_text("utf-8").splitlines()) == 2


def test_cli_import_reports_problems_and_fails(workspace, tmp_path):
    path = write_csv(tmp_path, "title,company,amount\nA,A,x\nB,,1\n")
    result = run("import", str(path), "--funnel", FUNNEL, "--workspace", str(workspace))
    assert result.exit_code == 1
    assert f"{path}:2: Expected amount:" in result.stderr and f"{path}:3: Company:" in result.stderr
    assert "nothing was imported" in result.stderr
    assert run("export", "--workspace", str(workspace)).stdout.count("\n") == 1  # the header only


def test_cli_bad_map_is_a_usage_error(workspace, tmp_path):
    path = write_csv(tmp_path, GOOD)
    result = run("import", str(path), "--funnel", FUNNEL, "--map", "oops", "--workspace", str(workspace))
    assert result.exit_code == 2 and "COLUMN=FIELD" in result.output


def test_a_file_that_is_not_utf8_is_reported_with_its_line(runtime, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("title,company\nA,A\n北京,北京\n".encode("gbk"))
    assert import_csv(runtime, path, FUNNEL, {}).problems == [
        f"{path}:3: file: not UTF-8 text; save the file as “CSV UTF-8” and import it again, "
        "or give its encoding (--encoding gb18030 for Excel's CSV on Chinese Windows)"]
    assert counts(runtime) == (0, 0)
    assert import_csv(runtime, path, FUNNEL, {}, encoding="GB18030").count == 2
    assert [d["title"] for d in runtime.store.find("deals")] == ["A", "北京"]


def test_cli_import_names_a_wrong_encoding_in_one_line(workspace, tmp_path):
    path = write_csv(tmp_path, GOOD)
    result = run("import", str(path), "--funnel", FUNNEL, "--encoding", "klingon", "--workspace", str(workspace))
    assert result.exit_code == 2 and result.stderr == ("Error: --encoding: “klingon” is not an encoding (try utf-8 or gb18030) "
                                            "(see goldsieve import --help)\n")
    assert "Traceback" not in result.output
    path.write_bytes("title,company\nA,A\n".encode("utf-16"))
    result = run("import", str(path), "--funnel", FUNNEL, "--encoding", "ascii", "--workspace", str(workspace))
    assert result.exit_code == 1 and "file: not ascii text; give the file's encoding" in result.stderr


def test_blank_lines_are_skipped_and_line_numbers_stay_true(runtime, tmp_path):
    path = write_csv(tmp_path, "\ufefftitle,company,amount\n\nA,A,1\n\nB,B,x\n")
    assert import_csv(runtime, path, FUNNEL, {}).problems == [f"{path}:5: Expected amount: “x” is not a number"]


def test_cli_import_without_an_admin_says_so(goldsieve_workspace, tmp_path):
    path = write_csv(tmp_path, GOOD)
    result = run("import", str(path), "--funnel", FUNNEL, "--workspace", str(goldsieve_workspace.path))
    assert result.exit_code == 1 and "no admin user" in result.stderr


def test_an_imported_cell_with_nul_or_nested_too_deep_is_refused(runtime, tmp_path):
    """Issue 14, part 2: the same text and nesting rules as every other write, on every row."""
    deep = "[" * 5000 + "]" * 5000
    just_past = "[" * 32 + "]" * 32
    path = write_csv(tmp_path, f"title,company,modules\nA,Ac\x00me,crm\nB,B,{deep}\nC,C,{just_past}\n")
    problems = import_csv(runtime, path, FUNNEL, {}).problems
    assert problems[0] == f"{path}:2: Company: Text cannot hold NUL characters or broken Unicode."
    assert problems[1].startswith(f"{path}:3: Modules: “[[[[") and problems[1].endswith("is not valid JSON")
    assert problems[2] == f"{path}:4: Modules: This nests deeper than 32 levels."
    assert len(problems) == 3 and counts(runtime) == (0, 0)


def test_a_column_may_name_its_field_by_title_in_any_language(runtime, tmp_path):
    """Issue 21, part 3: a column headed as the form labels the field needs no --map."""
    funnel = runtime.funnels.get(FUNNEL)
    funnel.fields_schema["properties"]["company"]["title"] = {"en": "Company", "zh-Hans": "客户公司"}
    path = write_csv(tmp_path, "title,客户公司,EXPECTED AMOUNT,Seats\nA,Acme,5000,3\n")
    assert import_csv(runtime, path, FUNNEL, {}).problems == []
    deal = runtime.store.find("deals")[0]
    assert deal["data"] == {"company": "Acme", "amount": 5000, "seats": 3}
    again = write_csv(tmp_path, "title,Firma\nB,Beta\n")
    assert import_csv(runtime, again, FUNNEL, {"Firma": "Company"}).problems == []
    assert runtime.store.find("deals")[1]["data"] == {"company": "Beta"}
