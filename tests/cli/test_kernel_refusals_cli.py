"""Issue 21: the kernel's own refusals — an unknown user or team, a hand-over to oneself, a
permission hook's no with its reason — are one line in the reader's language on the command line
(en, zh-Hans, zh-Hant), exit non-zero and write nothing; the API's words stay English."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace

#: a workspace plugin that lets lea create nothing, and says why in each language
FROZEN = '''
from goldsieve import hookimpl
from goldsieve.errors import Deny


@hookimpl
def goldsieve_permission(user, action):
    if action == "create" and user.get("username") == "lea":
        return Deny({"en": "Lea imports nothing.", "zh-Hans": "Lea 不能导入。", "zh-Hant": "Lea 不能匯入。"})
    return None
'''

#: (command, the lines on standard error in en, zh-Hans, zh-Hant)
CASES = {
    "unknown owner": (("import", "bad.csv", "--funnel", "software"), (
        "bad.csv:2: owner: There is no user “ghost”.", "bad.csv:2: owner: 没有用户 “ghost”。",
        "bad.csv:2: owner: 沒有使用者 “ghost”。")),
    "permission denied with a reason": (("import", "ok.csv", "--funnel", "software", "--as", "lea"), (
        "ok.csv:2: row: lea may not create deals: Lea imports nothing.",
        "ok.csv:2: 行: lea 无权创建商机：Lea 不能导入。", "ok.csv:2: 列: lea 無權建立商機：Lea 不能匯入。")),
    "unknown parent team": (("teams", "add", "east", "--parent", "nowhere"), (
        "Error: parent: There is no team “nowhere”.", "错误：parent: 没有团队“nowhere”。",
        "錯誤：parent: 沒有團隊「nowhere」。")),
    "hand-over to oneself": (("users", "hand-over", "lea", "--to", "lea"), (
        "Error: to: Hand over to another user.", "错误：to: 请移交给另一位用户。", "錯誤：to: 請移交給另一位使用者。")),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("refusals") / "ws"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    with open_runtime(Workspace.load(folder)) as rt:
        add_user(rt.store, "boss", "admin", TEST_PASSWORD)
        add_user(rt.store, "lea", "rep", TEST_PASSWORD)
    (folder / "plugins").mkdir(exist_ok=True)
    (folder / "plugins" / "frozen.py").write_text(FROZEN, encoding="utf-8")
    (folder / "bad.csv").write_text("title,company,owner\nA,Acme,ghost\n", encoding="utf-8")
    (folder / "ok.csv").write_text("title,company\nA,Acme\n", encoding="utf-8")
    return folder


def written(folder: Path) -> tuple[int, ...]:
    with open_runtime(Workspace.load(folder)) as rt:
        return tuple(rt.store.count(table) for table in ("deals", "teams", "users", "audit", "events"))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("language", [0, 1, 2], ids=["en", "zh-Hans", "zh-Hant"])
def test_a_kernel_refusal_is_one_line_in_the_readers_language(workspace, monkeypatch, case, language):
    monkeypatch.chdir(workspace)
    args, lines = CASES[case]
    before = written(workspace)
    result = CliRunner(env={"GOLDSIEVE_WORKSPACE": str(workspace)}).invoke(
        cli, ["--lang", ("en", "zh-Hans", "zh-Hant")[language], *args])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == lines[language]
    assert "Traceback" not in result.output and written(workspace) == before


def test_the_words_of_a_refusal_are_english_for_the_api_and_the_reader_elsewhere():
    from goldsieve.errors import Deny
    from goldsieve.funnels import wording
    from goldsieve.locales import N_, Words
    from goldsieve.people.permissions import refusal
    from goldsieve.people.users import unknown_user

    missing = unknown_user("/owner", "ghost")
    assert missing.message == "There is no user “ghost”." and missing.as_dict()["message"] == missing.message
    assert wording.line(missing, "zh_Hant") == "owner: 沒有使用者 “ghost”。"
    denial = Deny({"en": "No.", "zh-Hans": "不行。"})
    forbidden = refusal({"username": "ann"}, "move", Words(N_("deal %(id)s"), id=7), denial)
    assert str(forbidden) == "ann may not move deal 7" and forbidden.denial.text("en") == "No."
    assert forbidden.said("zh_Hans") == "ann 无权移动商机 7：不行。"
    assert forbidden.said("zh_Hant") == "ann 無權移動商機 7：不行。"  # the zh-Hans reason, not the English one
