"""``[workplace.*]``: checked at start-up, one line naming the table and key; the secret never
in goldsieve.toml and never in a message."""
from __future__ import annotations

import pytest

from goldsieve.workplace.config import WorkplaceConfigError, load_workplace

SECRET = "the-real-secret-value-1234"


def table(**keys):
    return {"workplace": {"wecom": {"corp_id": "ww1", "agent_id": 1000002, "secret_env": "WECOM_SECRET", **keys}}}


def test_a_complete_table_reads_the_secret_from_the_environment(tmp_path):
    [wecom] = load_workplace(table(), tmp_path, {"WECOM_SECRET": SECRET}).values()
    assert wecom.ids == {"corp_id": "ww1", "agent_id": "1000002"}
    assert wecom.secret == SECRET and SECRET not in repr(wecom)
    assert wecom.host() == "https://qyapi.weixin.qq.com" and wecom.default_role == "rep"


def test_the_secret_may_come_from_a_file_of_the_workspace(tmp_path):
    (tmp_path / "wecom.secret").write_text(SECRET + "\n", encoding="utf-8")
    config = table()
    del config["workplace"]["wecom"]["secret_env"]
    config["workplace"]["wecom"]["secret_file"] = "wecom.secret"
    assert load_workplace(config, tmp_path, {})["wecom"].secret == SECRET


@pytest.mark.parametrize("keys, environ, said", [
    ({"secret": SECRET}, {"WECOM_SECRET": SECRET}, "[workplace.wecom] secret: never write the secret"),
    ({}, {}, "[workplace.wecom] secret_env: the environment variable 'WECOM_SECRET' is not set"),
    ({}, {"WECOM_SECRET": "   "}, "secret_env: the environment variable 'WECOM_SECRET' is not set"),
    ({}, {"WECOM_SECRET": "two words"}, "the app secret must be one word"),
    ({"secret_file": "missing.txt"}, {"WECOM_SECRET": SECRET}, "give either secret_env"),
    ({"corp_id": None}, {"WECOM_SECRET": SECRET}, "[workplace.wecom] corp_id: missing"),
    ({"corp_id": "a b"}, {"WECOM_SECRET": SECRET}, "[workplace.wecom] corp_id: must be the console's id"),
    ({"base_url": "ftp://x"}, {"WECOM_SECRET": SECRET}, "[workplace.wecom] base_url: must be an http"),
    ({"base_url": "https://x/?token=1"}, {"WECOM_SECRET": SECRET}, "base_url: must be an http"),
    ({"default_role": "admin"}, {"WECOM_SECRET": SECRET}, "default_role: 'admin' is not a role the org sync gives"),
    ({"roles": {"CEO": "admin"}}, {"WECOM_SECRET": SECRET}, "roles.CEO: 'admin' is not a role"),
    ({"departments": "rep"}, {"WECOM_SECRET": SECRET}, "departments: must be a table"),
    ({"sync_hours": 0}, {"WECOM_SECRET": SECRET}, "sync_hours: a whole number of hours, 1 to 720"),
    ({"sync_hours": float("nan")}, {"WECOM_SECRET": SECRET}, "sync_hours: a whole number"),
    ({"colour": "red"}, {"WECOM_SECRET": SECRET}, "[workplace.wecom] colour: unknown key"),
])
def test_a_bad_table_is_one_line_naming_the_key_and_never_the_secret(tmp_path, keys, environ, said):
    config = table(**keys)
    config["workplace"]["wecom"] = {k: v for k, v in config["workplace"]["wecom"].items() if v is not None}
    with pytest.raises(WorkplaceConfigError) as caught:
        load_workplace(config, tmp_path, environ)
    message = str(caught.value)
    assert said in message and "\n" not in message and SECRET not in message


def test_an_unknown_platform_or_a_missing_secret_file_is_named(tmp_path):
    with pytest.raises(WorkplaceConfigError, match=r"\[workplace.slack\]: no such platform"):
        load_workplace({"workplace": {"slack": {}}}, tmp_path, {})
    with pytest.raises(WorkplaceConfigError, match="secret_file: cannot read 'nope'"):
        load_workplace({"workplace": {"feishu": {"app_id": "cli_1", "secret_file": "nope"}}}, tmp_path, {})


def test_a_bad_table_stops_the_start_before_the_store_is_opened(goldsieve_workspace, capsys):
    from click.testing import CliRunner

    from goldsieve.cli import cli

    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[workplace.dingtalk]\napp_key = "k"\n'
                      'secret_env = "NOT_SET_ANYWHERE"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["users", "list", "-w", str(goldsieve_workspace.path)])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: goldsieve.toml: [workplace.dingtalk] secret_env: the environment "
                                     "variable 'NOT_SET_ANYWHERE' is not set")
