"""The command line speaks the reader's language: ``--lang``, else the shell's (``LC_ALL``,
``LC_MESSAGES``, ``LANG``), else English. What a data check refuses is said in it; nothing is
written either way. (Forwarded to a running server, the caller's language goes along:
tests/cli/test_cli_serving.py.)"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.locales import from_environment
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace

BAD = "title,company,email,source,seats\nA,B,not-an-email,billboard,0\n"
ENGLISH = ["bad.csv:2: Email: “not-an-email” is not an e-mail address",
           "bad.csv:2: Lead source: “billboard” is not a choice: choose one of Website, Referral, Event, "
           "Cold call, Partner, Other"]
SIMPLIFIED = ["bad.csv:2: 邮箱: “not-an-email” 不是电子邮件地址",
              "bad.csv:2: 线索来源: “billboard” 不是可选项：请从 官网, 转介绍, 会议活动, 电话陌拜, 合作伙伴, "
              "其他 中选择"]
TRADITIONAL = ["bad.csv:2: 邮箱: “not-an-email” 不是電子郵件地址"]  # the funnel has no zh-Hant titles
NO_LANGUAGE = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(folder)]).exit_code == 0
    assert runner.invoke(cli, ["users", "add", "ann", "--role", "admin", "-w", str(folder)],
                         input=TEST_PASSWORD + "\n").exit_code == 0
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")
    return folder


def imported(folder: Path, *options: str, env: dict[str, str]) -> list[str]:
    """The problem lines of importing bad.csv, after checking it was refused and wrote nothing."""
    result = CliRunner(env=env).invoke(cli, [*options, "import", "bad.csv", "--funnel", "software",
                                             "-w", str(folder)])
    assert result.exit_code == 1, result.output
    with open_runtime(Workspace.load(folder)) as runtime:
        assert runtime.store.count("deals") == 0
    return result.stderr.splitlines()


def test_english_without_a_language(workspace):
    lines = imported(workspace, env=NO_LANGUAGE)
    assert all(line in lines for line in ENGLISH), lines


def test_lang_names_the_language(workspace):
    lines = imported(workspace, "--lang", "zh-Hans", env=NO_LANGUAGE)
    assert all(line in lines for line in SIMPLIFIED), lines
    assert "bad.csv:2: 用户数（席位）: 请输入不小于 1 的数字。" in lines  # the bound, as the pages word it


def test_the_shells_language_when_lang_is_not_given_and_lang_wins(workspace):
    lines = imported(workspace, env={**NO_LANGUAGE, "LANG": "zh_TW.UTF-8"})
    assert all(line in lines for line in TRADITIONAL), lines
    lines = imported(workspace, "--lang", "en", env={**NO_LANGUAGE, "LC_ALL": "zh_CN.UTF-8"})
    assert all(line in lines for line in ENGLISH), lines


def test_an_unknown_language_is_one_usage_line():
    result = CliRunner(env=NO_LANGUAGE).invoke(cli, ["--lang", "fr", "templates"])
    assert result.exit_code == 2
    assert result.stderr == "Error: --lang: “fr” is not a language goldsieve speaks; choose one of " \
                            "en, zh-Hans, zh-Hant (see goldsieve --help)\n"


def test_goldsieve_lang_names_the_language_before_the_shells(workspace):
    lines = imported(workspace, env={**NO_LANGUAGE, "GOLDSIEVE_LANG": "zh-Hans", "LANG": "en_US.UTF-8"})
    assert all(line in lines for line in SIMPLIFIED), lines


@pytest.mark.parametrize("environ, expected", [
    ({"LANG": "zh_CN.UTF-8"}, "zh_Hans"), ({"LANG": "zh_HK.UTF-8"}, "zh_Hant"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_TW", "LANG": "en_US.UTF-8"}, "zh_Hant"),
    ({"LANG": "C.UTF-8"}, None), ({"LANG": "POSIX"}, None), ({"LANG": "fr_FR.UTF-8"}, None), ({}, None)])
def test_the_shells_language_the_posix_way(environ, expected):
    assert from_environment(environ) == expected


def test_check_and_lint_speak_the_readers_language_and_name_stages_by_title(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    funnel = ('{"id": "x", "title": "X", "version": 1, "fields": {"type": "object", "properties": {}},'
              ' "stages": [{"id": "lead", "title": {"en": "Lead", "zh-Hans": "线索"}, "kind": "open",'
              ' "probability": 0.1}, {"id": "won", "title": "Won", "kind": "won", "rot_days": 3},'
              ' {"id": "lost", "title": "Lost", "kind": "lost"}], "lost_reasons": [{"id": "p", "title": "P"}]}')
    (tmp_path / "x.json").write_text(funnel, encoding="utf-8")
    chinese = CliRunner().invoke(cli, ["--lang", "zh-Hans", "check", "x.json"], env=NO_LANGUAGE)
    assert "进行中阶段“线索”永远不会停滞" in chinese.output  # lint, with the stage's Chinese title
    assert "已关闭的商机不会停滞" in chinese.output  # the check's own warning
    english = CliRunner().invoke(cli, ["check", "x.json"], env=NO_LANGUAGE)
    assert "the open stage “Lead” never goes stale" in english.output


def test_check_says_the_automations_and_record_types_findings_in_the_readers_language(tmp_path):
    """An automation's unknown role and a record type's unknown match key, as `goldsieve check`
    says them: in the language the command line chose (``--lang``, else the shell's), as a
    funnel's own findings are."""
    import json

    folder = tmp_path / "ws"
    assert CliRunner(env=NO_LANGUAGE).invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    [path] = (folder / "funnels").glob("*.json")
    funnel = json.loads(path.read_text(encoding="utf-8"))
    funnel["automations"] = [{"id": "tell", "on": "won", "do": [{"action": "notify", "to": "role:boss"}]}]
    path.write_text(json.dumps(funnel), encoding="utf-8")
    (folder / "records").mkdir(exist_ok=True)
    (folder / "records" / "customer.json").write_text(
        '{"fields": {"type": "object", "properties": {}}, "match": ["name", "vat"]}', encoding="utf-8")
    chinese = CliRunner(env={**NO_LANGUAGE, "LANG": "zh_CN.UTF-8"}).invoke(cli, ["check", str(folder)])
    assert chinese.exit_code == 1
    assert "/automations/0/do/0/to: 错误: `boss` 不是角色 (现有角色：`admin`, `executive`" in chinese.output
    assert "/match/1: 错误: `vat` 不是此客户记录的字段 (请在 `fields.properties` 中声明它)" in chinese.output
    assert "已检查 2 个文件：2 个错误，" in chinese.stderr and "error" not in chinese.stderr
    english = CliRunner(env=NO_LANGUAGE).invoke(cli, ["check", str(folder)])
    assert "`boss` is not a role (the roles are: `admin`, `executive`" in english.output
    assert "`vat` is not a field of this customer record" in english.output
    assert "/match/1: error: " in english.output and "checked 2 files: 2 errors, " in english.stderr
    (tmp_path / "empty").mkdir()
    nothing = CliRunner(env={**NO_LANGUAGE, "LANG": "zh_CN.UTF-8"}).invoke(cli, ["check", str(tmp_path / "empty")])
    assert nothing.exit_code == 2 and nothing.stderr == "错误：没有找到漏斗文件\n"
    assert "不是" not in english.output
