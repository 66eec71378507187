"""Issue 21, part 3: every refusal the command line prints is one line in the reader's terms —
the field's title and what it allows, in the reader's language — with a non-zero exit, no
traceback, and nothing written. The family of bad inputs goes through ``goldsieve import``, the
command that takes a person's data in bulk; usage errors through click's parsing."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url
from goldsieve.workspace import Workspace, set_store_url

ENGLISH = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "GOLDSIEVE_LANG": ""}
CHINESE = {**ENGLISH, "LANG": "zh_CN.UTF-8"}
LIMIT = "1,000,000,000,000,000"

#: (column, cell, the line in English, the line in Chinese); every row is "A,B,<cell>" below
#: "title,company,<column>" (the company column itself for the NUL)
BAD = {
    "unknown field": ("colour", "red", "colour: not a field of funnel software (its fields: amount, company,",
                      "colour: 不是漏斗 software 的字段（其字段：amount, company,"),
    "bad e-mail": ("email", "not-an-email", "Email: “not-an-email” is not an e-mail address",
                   "邮箱: “not-an-email” 不是电子邮件地址"),
    "enum value out of choices": (
        "source", "billboard",
        "Lead source: “billboard” is not a choice: choose one of Website, Referral, Event, Cold call, Partner, Other",
        "线索来源: “billboard” 不是可选项：请从 官网, 转介绍, 会议活动, 电话陌拜, 合作伙伴, 其他 中选择"),
    "number below its minimum": ("seats", "0", "Users (seats): Enter a number of at least 1.",
                                 "用户数（席位）: 请输入不小于 1 的数字。"),
    "number past the limit": ("amount", "1e16", f"Expected amount: Enter a number of at most {LIMIT}.",
                              f"预计金额: 请输入不大于 {LIMIT} 的数字。"),
    "infinite number": ("amount", "1e400", f"Expected amount: Enter a number of at most {LIMIT}.",
                        f"预计金额: 请输入不大于 {LIMIT} 的数字。"),
    "not a number": ("amount", "NaN", "Expected amount: “NaN” is not a number", "预计金额: “NaN” 不是数字"),
    "date out of range": ("demo_date", "2026-13-45", "Demo date: “2026-13-45” is not a date (YYYY-MM-DD)",
                          "演示日期: “2026-13-45” 不是日期（YYYY-MM-DD）"),
    "non-ASCII digits": ("amount", "１２００", "Expected amount: “１２００” is not a number",
                         "预计金额: “１２００” 不是数字"),
    "Arabic-Indic digit": ("seats", "٣", "Users (seats): “٣” is not a whole number",
                           "用户数（席位）: “٣” 不是整数"),
    "NUL": ("company", "Ac\x00me", "Company: Text cannot hold NUL characters or broken Unicode.",
            "客户公司: 文本不能包含 NUL 字符或损坏的 Unicode。"),
}
SUMMARY = {"en": "Error: 1 problem(s) in bad.csv; nothing was imported",
           "zh": "错误：bad.csv 中有 1 个问题；未导入任何内容"}


@pytest.fixture(scope="module", params=["tinydb", "postgresql"])
def workspace(request, tmp_path_factory) -> Iterator[Path]:
    """One workspace for the module (the commands are refused: nothing is written to share), on
    each store."""
    folder = tmp_path_factory.mktemp("messages") / "ws"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    with contextlib.ExitStack() as stack:
        if request.param == "postgresql":
            if not server_url():
                pytest.skip(f"set {ENVIRONMENT}=postgresql://… to run it on PostgreSQL")
            set_store_url(Workspace.load(folder), stack.enter_context(scratch_schema(server_url())))
        added = CliRunner().invoke(cli, ["users", "add", "ann", "--role", "admin", "-w", str(folder)],
                                   input=TEST_PASSWORD + "\n")
        assert added.exit_code == 0, added.output
        yield folder


def refused(folder: Path, env: dict[str, str], *args: str, code: int = 1) -> list[str]:
    """The lines a refused command printed on stderr, after checking it exited ``code`` without
    a traceback and wrote nothing."""
    result = CliRunner(env=env).invoke(cli, list(args))
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and result.stdout == ""
    with open_runtime(Workspace.load(folder)) as runtime:
        assert runtime.store.count("deals") == 0 and runtime.store.count("events") == 0
    return result.stderr.splitlines()


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_cell_is_one_line_naming_the_field_by_its_title(workspace, tmp_path, monkeypatch, case,
                                                                 language):
    column, cell, english, chinese = BAD[case]
    monkeypatch.chdir(tmp_path)
    header = "title,company" if column == "company" else f"title,company,{column}"
    row = f"A,{cell}" if column == "company" else f"A,B,{cell}"
    Path("bad.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    lines = refused(workspace, ENGLISH if language == "en" else CHINESE,
                    "import", "bad.csv", "--funnel", "software", "-w", str(workspace))
    expected = english if language == "en" else chinese
    assert len(lines) == 2 and lines[1] == SUMMARY[language], lines  # one line per problem, then the sum
    if case == "unknown field":  # the header's problem
        assert lines[0].startswith(f"bad.csv:1: {expected}"), lines
    else:
        assert lines[0] == f"bad.csv:2: {expected}", lines
    assert "/data" not in lines[0] and "'" not in lines[0], "no pointer, no Python repr"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_bad_cell_of_a_file_is_its_own_line(workspace, tmp_path, monkeypatch, language):
    monkeypatch.chdir(tmp_path)
    Path("bad.csv").write_text("title,company,email,source,amount,demo_date\n"
                               "A,B,not-an-email,billboard,１２００,2026-13-45\n"
                               "B,C\x00,a@b.co,website,1e400,2026-01-01\n", encoding="utf-8")
    env = ENGLISH if language == "en" else CHINESE
    lines = refused(workspace, env, "import", "bad.csv", "--funnel", "software", "-w", str(workspace))
    assert len(lines) == 7 and sum(line.startswith("bad.csv:2: ") for line in lines) == 4, lines
    assert sum(line.startswith("bad.csv:3: ") for line in lines) == 2, lines
    titles = ["Email", "Lead source", "Expected amount", "Demo date", "Company"] if language == "en" else \
        ["邮箱", "线索来源", "预计金额", "演示日期", "客户公司"]
    assert all(any(f": {title}: " in line for line in lines) for title in titles), lines


USAGE = [
    (("import", "bad.csv"), "Error: --funnel is required (see goldsieve import --help)",
     "错误：必须提供 --funnel（参见 goldsieve import --help）"),
    (("import", "bad.csv", "--funnel", "software", "--bogus"),
     "Error: there is no option --bogus (see goldsieve import --help)",
     "错误：没有选项 --bogus（参见 goldsieve import --help）"),
    (("import", "bad.csv", "--funnel", "software", "--encoding", "klingon"),
     "Error: --encoding: “klingon” is not an encoding (try utf-8 or gb18030) (see goldsieve import --help)",
     "错误：--encoding: “klingon” 不是编码名称（可试 utf-8 或 gb18030）（参见 goldsieve import --help）"),
    (("users", "add", "bob", "--role", "king"),
     "Error: --role: Choose one of admin, executive, manager, rep, marketing, after_sales. "
     "(see goldsieve users add --help)",
     "错误：--role: 请从 admin, executive, manager, rep, marketing, after_sales 中选择。（参见 goldsieve users add --help）"),
    (("users", "token", "ann", "--days", "0"),
     "Error: --days: enter a number from 1 to 3650 (see goldsieve users token --help)",
     "错误：--days: 请输入 1 到 3650 之间的数字（参见 goldsieve users token --help）"),
    (("--lang", "fr", "templates"),
     "Error: --lang: “fr” is not a language goldsieve speaks; choose one of en, zh-Hans, zh-Hant "
     "(see goldsieve --help)",
     "错误：--lang: goldsieve 不支持语言 “fr”；请从 en、zh-Hans、zh-Hant 中选择（参见 goldsieve --help）"),
]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("args, english, chinese", USAGE, ids=[" ".join(u[0][:3]) for u in USAGE])
def test_a_usage_error_is_one_line_with_the_way_to_help(workspace, tmp_path, monkeypatch, args, english,
                                                        chinese, language):
    monkeypatch.chdir(tmp_path)
    Path("bad.csv").write_text("title\nA\n", encoding="utf-8")
    extra = ("-w", str(workspace)) if args[0] != "--lang" else ()
    lines = refused(workspace, ENGLISH if language == "en" else CHINESE, *args, *extra, code=2)
    assert lines == [english if language == "en" else chinese]


def test_goldsieve_lang_speaks_before_the_shell_even_for_the_groups_own_options(workspace):
    lines = refused(workspace, {**ENGLISH, "GOLDSIEVE_LANG": "zh-Hans"}, "templates", "--bogus", code=2)
    assert lines == ["错误：没有选项 --bogus（参见 goldsieve templates --help）"]


def blocks(text: str) -> list[str]:
    """The fenced blocks of a Markdown text, in order."""
    return [block.split("\n", 1)[1] for block in text.split("```")[1::2]]


def test_the_problems_docs_import_md_shows_are_what_a_person_sees(workspace, tmp_path, monkeypatch):
    """docs/import.md's example file and the lines it says come of it, in English and Chinese."""
    docs = (Path(__file__).parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    section = docs.split("## Problems", 1)[1]
    sample, english, chinese = blocks(section)[:3]
    monkeypatch.chdir(tmp_path)
    Path("deals.csv").write_text(sample, encoding="utf-8")
    for env, expected in ((ENGLISH, english), (CHINESE, chinese)):
        lines = refused(workspace, env, "import", "deals.csv", "--funnel", "software", "-w", str(workspace))
        assert lines == expected.splitlines()


@pytest.mark.parametrize("args, chinese", [
    (("teams", "add", "east", "--manager", "bob"), "错误：manager: 没有用户 “bob”。"),
    (("users", "set", "carol", "--role", "rep"), "错误：username: 没有用户 “carol”。"),
    (("import", "bad.csv", "--funnel", "nope"), "错误：找不到漏斗 nope"),
    (("report", "--funnel", "software", "--from", "2026-13-01"), "错误：from: “2026-13-01” 不是 2026-10-01 这样的日期"),
    (("export", "--as", "ghost"), "错误：没有用户 “ghost”"),
], ids=["unknown manager", "unknown user", "unknown funnel", "bad day", "unknown --as"])
def test_the_kernels_first_refusals_are_one_line_in_the_readers_language(workspace, tmp_path, monkeypatch,
                                                                          args, chinese):
    """What the README's walk-through meets when a name is mistyped, said in Chinese."""
    monkeypatch.chdir(tmp_path)
    Path("bad.csv").write_text("title\nA\n", encoding="utf-8")
    assert refused(workspace, CHINESE, *args, "-w", str(workspace)) == [chinese]


def test_a_folder_that_is_no_workspace_is_one_line_in_the_readers_language(workspace, tmp_path):
    lines = refused(workspace, CHINESE, "users", "list", "-w", str(tmp_path / "nowhere"))
    assert lines == [f"错误：{tmp_path / 'nowhere'} 不是 goldsieve 工作区（没有 goldsieve.toml）；"
                     "请用 `goldsieve init DIR` 创建一个"]
