"""Channels deliver to a real HTTP receiver on 127.0.0.1; every signature is recomputed here.

The signing rules below are written from each service's documentation, independently of
``goldsieve.plugins.channels``, so a mistake in the plugin cannot hide behind a shared helper.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import socket
import time
import tomllib
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from goldsieve.automation.channels import (
    ChannelConfigError,
    DeliveryError,
    Message,
    channel_types,
    load_channels,
)
from goldsieve.cli import cli
from goldsieve.plugin_manager import make_plugin_manager
from goldsieve.runtime import open_runtime
from goldsieve.workspace import Workspace

from tests.automation.receiver import receiver  # noqa: F401  (a fixture)

SECRET = "SECabc123-not-a-real-secret"
TOKEN = "tok3n-in-the-url"


@pytest.fixture
def pm():
    return make_plugin_manager(entry_points=False)


def channel(pm, **table: Any):
    return load_channels(pm, {"channels": {"team": table}})["team"]


def message(**overrides: Any) -> Message:
    fields: dict[str, Any] = dict(
        event="stage_entered", text="Acme entered Negotiation (CNY 1,200,000).",
        deal={"id": 7, "title": "Acme <renewal> & more", "funnel": "software",
              "stage": "negotiation", "owner": "ann", "data": {"amount": 1200000}},
        funnel="software", at="2026-01-05T09:00:00.000Z", key="d-7-tell-manager-1",
        url="https://crm.example.test/deals/7", mentions=("ann", "mia"))
    fields.update(overrides)
    return Message(**fields)


def b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


# --- DingTalk -------------------------------------------------------------------------------


def test_dingtalk_signs_the_url_as_documented(pm, receiver):
    ding = channel(pm, type="dingtalk", url=receiver.url(f"/robot/send?access_token={TOKEN}"),
                   secret=SECRET, mention="ids", people={"ann": "user-ann", "mia": "user-mia"})
    before = int(time.time() * 1000)
    ding.send(message())
    after = int(time.time() * 1000)
    got = receiver.last
    assert got.path == "/robot/send"
    assert got.query["access_token"] == [TOKEN]
    timestamp = got.query["timestamp"][0]
    assert before <= int(timestamp) <= after  # milliseconds
    # DingTalk: HMAC-SHA256 keyed with the secret over "timestamp\nsecret", base64, URL-encoded
    expected = b64_hmac(SECRET.encode(), f"{timestamp}\n{SECRET}".encode())
    assert got.query["sign"] == [expected]
    assert f"sign={urllib.parse.quote(expected, safe='')}" in got.raw_query
    assert got.raw_query.startswith(f"access_token={TOKEN}&")
    assert got.headers["Content-Type"] == "application/json"
    body = got.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "Acme ‹renewal› & more"
    text = body["markdown"]["text"]
    assert text.startswith("Acme entered Negotiation (CNY 1,200,000).")
    assert "[Acme ‹renewal› & more](https://crm.example.test/deals/7)" in text
    assert "@user-ann" in text and "@user-mia" in text
    assert body["at"] == {"atUserIds": ["user-ann", "user-mia"], "isAtAll": False}


def test_dingtalk_text_without_secret_mentions_mobiles(pm, receiver):
    ding = channel(pm, type="dingtalk", url=receiver.url(f"/robot/send?access_token={TOKEN}"),
                   msgtype="text", mention="mobiles", people={"mia": "13800000000"})
    ding.send(message())
    got = receiver.last
    assert set(got.query) == {"access_token"}  # unsigned: no timestamp, no sign
    body = got.json
    assert body["msgtype"] == "text"
    assert body["text"]["content"] == ("Acme entered Negotiation (CNY 1,200,000).\n"
                                       "https://crm.example.test/deals/7 @13800000000")
    assert body["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}


def test_dingtalk_without_mention_setting_mentions_nobody(pm, receiver):
    channel(pm, type="dingtalk", url=receiver.url("/robot/send?access_token=t")).send(message())
    body = receiver.last.json
    assert "at" not in body and "@" not in body["markdown"]["text"]


def test_request_is_pure_and_signs_the_given_time(pm):
    ding = channel(pm, type="dingtalk", url="https://robot.example.test/send?access_token=t",
                   secret=SECRET)
    now = datetime(2026, 1, 5, 9, 0, 0, 123000, tzinfo=timezone.utc)
    first = ding.request(message(), now)
    assert first == ding.request(message(), now)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(first[0]).query)
    assert query["timestamp"] == [str(int(now.timestamp()) * 1000 + 123)]
    assert query["sign"] == [b64_hmac(SECRET.encode(), f"{query['timestamp'][0]}\n{SECRET}".encode())]


@pytest.mark.parametrize("code, retryable", [(310000, False), (300001, False), (130101, True),
                                             (410100, True), (-1, True)])
def test_dingtalk_error_codes_in_a_200_answer(pm, receiver, code, retryable):
    receiver.reply(200, {"errcode": code, "errmsg": "refused"})
    ding = channel(pm, type="dingtalk", url=receiver.url("/robot/send?access_token=t"))
    with pytest.raises(DeliveryError) as caught:
        ding.send(message())
    assert caught.value.retryable is retryable
    assert f"error {code}" in str(caught.value) and "channel team (dingtalk)" in str(caught.value)


# --- WeCom ----------------------------------------------------------------------------------


def test_wecom_markdown_mentions_in_the_content(pm, receiver):
    wecom = channel(pm, type="wecom", url=receiver.url("/cgi-bin/webhook/send?key=k-123"),
                    mention="ids")
    wecom.send(message(mentions=("ann",)))
    got = receiver.last
    assert got.path == "/cgi-bin/webhook/send" and got.query == {"key": ["k-123"]}
    assert got.json == {"msgtype": "markdown", "markdown": {"content": (
        "Acme entered Negotiation (CNY 1,200,000).\n"
        "[Acme ‹renewal› & more](https://crm.example.test/deals/7)\n<@ann>")}}


@pytest.mark.parametrize("table", [{"type": "wecom", "mention": "ids"}, {"type": "dingtalk"}])
def test_markdown_messages_keep_deal_text_from_making_links_or_mentions(pm, receiver, table):
    """A lead's title comes from the public form: in a team's chat it must stay text."""
    bait = "[Sign in again](https://phish.example.test/login) ![x](https://t.example.test/p.png) <@all>"
    chat = channel(pm, url=receiver.url("/send?key=k-1"), **table)
    chat.send(message(text=f"New lead: {bait}", deal={**message().deal, "title": bait}))
    sent = str(receiver.last.json)
    assert "phish.example.test" in sent  # the words arrive, as text
    assert "](" not in sent.replace("](https://crm.example.test/deals/7)", "")  # the only link: the deal's
    assert "<@all>" not in sent and "<" not in sent.split("<@ann>")[0]


@pytest.mark.parametrize("mention, field", [("ids", "mentioned_list"),
                                            ("mobiles", "mentioned_mobile_list")])
def test_wecom_text_mentions_through_mentioned_list(pm, receiver, mention, field):
    people = {"ann": "p-ann", "mia": "p-mia"}
    channel(pm, type="wecom", url=receiver.url("/send?key=k"), msgtype="text",
            mention=mention, people=people).send(message(url=None))
    assert receiver.last.json == {"msgtype": "text", "text": {
        "content": "Acme entered Negotiation (CNY 1,200,000).", field: ["p-ann", "p-mia"]}}


@pytest.mark.parametrize("code, retryable", [(93000, False), (40008, False), (45009, True),
                                             (-1, True)])
def test_wecom_error_codes(pm, receiver, code, retryable):
    receiver.reply(200, {"errcode": code, "errmsg": "no"})
    with pytest.raises(DeliveryError) as caught:
        channel(pm, type="wecom", url=receiver.url("/send?key=k")).send(message())
    assert caught.value.retryable is retryable


# --- Feishu ---------------------------------------------------------------------------------


def test_feishu_signs_in_the_body_as_documented(pm, receiver):
    receiver.default = (200, b'{"code":0,"msg":"success","data":{}}', {})
    feishu = channel(pm, type="feishu", url=receiver.url("/open-apis/bot/v2/hook/abc-def"),
                     secret=SECRET, mention="ids", people={"ann": "ou_ann"})
    before = int(time.time())
    feishu.send(message())
    got = receiver.last
    assert got.path == "/open-apis/bot/v2/hook/abc-def" and got.query == {}
    body = got.json
    timestamp = body["timestamp"]
    assert isinstance(timestamp, str) and before <= int(timestamp) <= int(time.time())  # seconds
    # Feishu: the key is "timestamp\nsecret", the signed message is empty, then base64
    assert body["sign"] == b64_hmac(f"{timestamp}\n{SECRET}".encode(), b"")
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "Acme <renewal> & more"
    assert post["content"] == [
        [{"tag": "text", "text": "Acme entered Negotiation (CNY 1,200,000)."}],
        [{"tag": "a", "text": "Acme <renewal> & more", "href": "https://crm.example.test/deals/7"}],
        [{"tag": "at", "user_id": "ou_ann"}],
    ]


def test_feishu_text_without_secret(pm, receiver):
    receiver.default = (200, b'{"StatusCode":0,"StatusMessage":"success"}', {})
    channel(pm, type="feishu", url=receiver.url("/hook/x"), msg_type="text", mention="ids",
            people={"mia": "ou_mia"}).send(message())
    body = receiver.last.json
    assert "sign" not in body and "timestamp" not in body
    assert body == {"msg_type": "text", "content": {"text": (
        "Acme entered Negotiation (CNY 1,200,000).\nhttps://crm.example.test/deals/7\n"
        '<at user_id="ou_mia"></at>')}}


@pytest.mark.parametrize("status, reply, retryable", [
    (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, False),
    (200, {"code": 19024, "msg": "Key Words Not Found"}, False),
    (400, {"code": 11232, "msg": "frequency limited"}, True),
    (200, {"StatusCode": 19022, "StatusMessage": "ip not allowed"}, False),
])
def test_feishu_error_codes(pm, receiver, status, reply, retryable):
    receiver.reply(status, reply)
    with pytest.raises(DeliveryError) as caught:
        channel(pm, type="feishu", url=receiver.url("/hook/x")).send(message())
    assert caught.value.retryable is retryable
    assert str(next(iter(reply.values()))) in str(caught.value)


# --- Slack ----------------------------------------------------------------------------------


def test_slack_posts_escaped_mrkdwn_text(pm, receiver):
    receiver.default = (200, b"ok", {})
    channel(pm, type="slack", url=receiver.url("/services/T0/B0/xyz"), mention="ids",
            people={"ann": "U0ANN"}).send(message(text="Tom & Jerry <big> deal"))
    assert receiver.last.json == {"text": (
        "Tom &amp; Jerry &lt;big&gt; deal\n"
        "<https://crm.example.test/deals/7|Acme &lt;renewal&gt; &amp; more>\n<@U0ANN>")}


@pytest.mark.parametrize("status, word, retryable", [
    (400, b"invalid_payload", False), (403, b"action_prohibited", False),
    (404, b"no_service", False), (410, b"channel_is_archived", False),
    (429, b"rate_limited", True), (500, b"rollup_error", True), (503, b"", True),
])
def test_slack_http_status_decides(pm, receiver, status, word, retryable):
    receiver.reply(status, word)
    with pytest.raises(DeliveryError) as caught:
        channel(pm, type="slack", url=receiver.url("/services/T0/B0/xyz")).send(message())
    assert caught.value.retryable is retryable
    assert f"HTTP {status}" in str(caught.value) and word.decode() in str(caught.value)


# --- the generic webhook --------------------------------------------------------------------


def test_webhook_signs_the_exact_body(pm, receiver):
    receiver.default = (204, b"", {})
    hook = channel(pm, type="webhook", url=receiver.url("/goldsieve/events"), secret=SECRET)
    sent = message(text="签约 Acme")
    hook.send(sent)
    got = receiver.last
    assert got.headers["Content-Type"] == "application/json"
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Goldsieve-Signature"] == f"sha256={expected}"
    assert got.headers["X-Goldsieve-Delivery"] == "d-7-tell-manager-1"
    assert got.headers["X-Goldsieve-Event"] == "stage_entered"
    assert got.json == {"event": "stage_entered", "deal": sent.deal, "funnel": "software",
                        "at": "2026-01-05T09:00:00.000Z", "key": "d-7-tell-manager-1",
                        "title": "Acme <renewal> & more", "text": "签约 Acme",
                        "url": "https://crm.example.test/deals/7", "mentions": ["ann", "mia"]}
    assert "签约".encode() in got.body  # UTF-8, not \\u escapes


def test_webhook_same_key_on_every_retry(pm, receiver):
    receiver.reply(503, b"busy")
    hook = channel(pm, type="webhook", url=receiver.url(), secret=SECRET)
    with pytest.raises(DeliveryError) as caught:
        hook.send(message())
    assert caught.value.retryable
    hook.send(message())
    keys = [c.headers["X-Goldsieve-Delivery"] for c in receiver.captured]
    assert keys == ["d-7-tell-manager-1"] * 2


# --- transport failures ---------------------------------------------------------------------


def test_a_stalled_receiver_times_out_retryably(pm, receiver):
    receiver.stall = 5.0
    hook = channel(pm, type="webhook", url=receiver.url(), secret=SECRET)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="no answer within 0.3 s") as caught:
        hook.send(message(), timeout=0.3)
    assert time.monotonic() - started < 3
    assert caught.value.retryable


def test_nothing_listening_is_retryable(pm):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = channel(pm, type="webhook", url=f"http://127.0.0.1:{port}/", secret=SECRET)
    with pytest.raises(DeliveryError, match="cannot connect") as caught:
        hook.send(message(), timeout=2)
    assert caught.value.retryable


def test_redirects_are_not_followed(pm, receiver):
    receiver.reply(302, b"", Location=receiver.url("/elsewhere"))
    hook = channel(pm, type="webhook", url=receiver.url("/hook"), secret=SECRET)
    with pytest.raises(DeliveryError, match="HTTP 302") as caught:
        hook.send(message())
    assert not caught.value.retryable
    assert [c.path for c in receiver.captured] == ["/hook"]


def test_errors_never_show_the_secret_or_the_url_credentials(pm, receiver):
    receiver.reply(200, {"errcode": 310000,
                         "errmsg": f"sign not match, secret {SECRET}, token {TOKEN}"})
    ding = channel(pm, type="dingtalk", url=receiver.url(f"/robot/send?access_token={TOKEN}"),
                   secret=SECRET)
    with pytest.raises(DeliveryError) as caught:
        ding.send(message())
    text = str(caught.value)
    assert "sign not match" in text
    assert SECRET not in text and TOKEN not in text and "***" in text
    assert SECRET not in repr(ding) and TOKEN not in repr(ding)


# --- configuration --------------------------------------------------------------------------

URL = "https://robot.example.test/send?key=k"


@pytest.mark.parametrize("table, fragment", [
    ({"url": URL}, "[channels.team] type: missing; choose one of dingtalk, feishu, slack, webhook, wecom"),
    ({"type": "telegram", "url": URL}, "[channels.team] type: 'telegram' is not a channel type"),
    ({"type": "slack"}, "[channels.team] url: missing"),
    ({"type": "slack", "url": "ftp://files.example.test/x"}, "[channels.team] url: must be an http"),
    ({"type": "slack", "url": "hooks/T0/B0"}, "[channels.team] url: must be an http"),
    ({"type": "slack", "url": 42}, "[channels.team] url: must be an http"),
    ({"type": "slack", "url": URL, "secret": SECRET}, "[channels.team] secret: unknown key"),
    ({"type": "dingtalk", "url": URL, "colour": "red"},
     "[channels.team] colour: unknown key; a dingtalk channel takes mention, msgtype, people, secret"),
    ({"type": "webhook", "url": URL}, "[channels.team] secret: missing; a webhook channel signs"),
    ({"type": "webhook", "url": URL, "secret": ""}, "[channels.team] secret: must be a non-empty"),
    ({"type": "webhook", "url": URL, "secret": SECRET, "secret_env": "X"},
     "[channels.team] secret_env: give either secret or secret_env"),
    ({"type": "webhook", "url": URL, "secret_env": "GOLDSIEVE_TEST_UNSET_SECRET"},
     "[channels.team] secret_env: the environment variable 'GOLDSIEVE_TEST_UNSET_SECRET' is not set"),
    ({"type": "dingtalk", "url": URL, "msgtype": "html"}, "[channels.team] msgtype: 'html' is not one of"),
    ({"type": "dingtalk", "url": URL, "mention": "mobiles"}, "[channels.team] people: mention = \"mobiles\""),
    ({"type": "dingtalk", "url": URL, "people": {"ann": 5}}, "[channels.team] people.ann: 5 is not of type"),
    ({"type": "feishu", "url": URL, "mention": "mobiles"}, "[channels.team] mention: 'mobiles' is not one of"),
    ({"type": "wecom", "url": "https://qyapi.example.test/send"}, "[channels.team] url: a WeCom robot address"),
    ({"type": "wecom", "url": URL, "mention": "mobiles", "people": {"a": "1"}},
     "[channels.team] mention: WeCom markdown mentions by user id only"),
])
def test_bad_tables_are_refused_naming_table_and_key(pm, table, fragment, monkeypatch):
    monkeypatch.delenv("GOLDSIEVE_TEST_UNSET_SECRET", raising=False)
    with pytest.raises(ChannelConfigError) as caught:
        load_channels(pm, {"channels": {"team": table}})
    assert str(caught.value).startswith("goldsieve.toml: ")
    assert fragment in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("config, fragment", [
    ({"channels": ["slack"]}, "channels must be tables"),
    ({"channels": {"team": "slack"}}, "[channels.team]: must be a table"),
    ({"channels": {"a b": {"type": "slack", "url": URL}}}, "[channels.a b]: a channel name uses only"),
])
def test_bad_channels_tables(pm, config, fragment):
    with pytest.raises(ChannelConfigError, match=None) as caught:
        load_channels(pm, config)
    assert fragment in str(caught.value)


def test_secret_from_the_environment(pm, receiver, monkeypatch):
    monkeypatch.setenv("GOLDSIEVE_TEST_HOOK_SECRET", SECRET)
    channel(pm, type="webhook", url=receiver.url(), secret_env="GOLDSIEVE_TEST_HOOK_SECRET").send(message())
    got = receiver.last
    assert got.headers["X-Goldsieve-Signature"] == (
        "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest())


def test_no_channels_table_means_no_channels(pm):
    assert load_channels(pm, {}) == {}
    assert set(channel_types(pm)) == {"dingtalk", "wecom", "feishu", "slack", "webhook"}


# --- start-up and the command line ----------------------------------------------------------


def write_channels(workspace: Workspace, toml: str) -> None:
    config = workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + toml, encoding="utf-8")


def test_runtime_carries_the_checked_channels(goldsieve_workspace, receiver):
    write_channels(goldsieve_workspace, f'[channels.sales]\ntype = "slack"\nurl = "{receiver.url()}"\n')
    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as runtime:
        assert list(runtime.channels) == ["sales"]
        assert runtime.channels["sales"].type == "slack"
    assert receiver.captured == []  # loading checks; it never sends


def test_a_bad_channel_stops_start_up_before_the_store_opens(goldsieve_workspace, receiver):
    write_channels(goldsieve_workspace, f'[channels.sales]\ntype = "slack"\nurl = "{receiver.url()}"\n'
                                        'colour = "red"\n')
    data = goldsieve_workspace.path / "data"
    before = sorted(p.name for p in data.iterdir())
    with pytest.raises(ChannelConfigError, match=r"\[channels.sales\] colour: unknown key"):
        open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False)
    assert sorted(p.name for p in data.iterdir()) == before  # no store, no lock written
    assert receiver.captured == []


def test_cli_channels_test_sends_a_test_message(goldsieve_workspace, receiver):
    write_channels(goldsieve_workspace, f'[channels.ops]\ntype = "webhook"\nurl = "{receiver.url()}"\n'
                                        f'secret = "{SECRET}"\n')
    result = CliRunner().invoke(cli, ["channels", "test", "ops", "--workspace",
                                      str(goldsieve_workspace.path)])
    assert result.exit_code == 0, result.output
    assert "Sent a test message to ops (webhook): accepted." in result.output
    body = receiver.last.json
    assert body["event"] == "test" and "goldsieve" in body["text"]
    assert receiver.last.headers["X-Goldsieve-Delivery"] == body["key"]
    listed = CliRunner().invoke(cli, ["channels", "list", "--workspace", str(goldsieve_workspace.path)])
    assert listed.output.split() == ["ops", "webhook"] and SECRET not in listed.output


def test_cli_channels_test_reports_a_refusal(goldsieve_workspace, receiver):
    write_channels(goldsieve_workspace, f'[channels.ding]\ntype = "dingtalk"\n'
                                        f'url = "{receiver.url("/robot/send?access_token=" + TOKEN)}"\n')
    receiver.reply(200, {"errcode": 310000, "errmsg": "keywords not in content"})
    result = CliRunner().invoke(cli, ["channels", "test", "ding", "--workspace",
                                      str(goldsieve_workspace.path)])
    assert result.exit_code == 1
    assert "error 310000: keywords not in content (permanent; check the configuration)" in result.output
    assert TOKEN not in result.output


def test_cli_channels_test_refuses_bad_config_and_unknown_names(goldsieve_workspace, receiver):
    path = str(goldsieve_workspace.path)
    unknown = CliRunner().invoke(cli, ["channels", "test", "nope", "--workspace", path])
    assert unknown.exit_code == 1 and "there is no channel “nope”" in unknown.output
    write_channels(goldsieve_workspace, f'[channels.ops]\ntype = "webhook"\nurl = "{receiver.url()}"\n')
    bad = CliRunner().invoke(cli, ["channels", "test", "ops", "--workspace", path])
    assert bad.exit_code == 1 and "[channels.ops] secret: missing" in bad.output
    assert receiver.captured == []


# --- docs/channels.md stays true ------------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "channels.md"


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_every_documented_table_loads(pm, monkeypatch):
    monkeypatch.setenv("GOLDSIEVE_OPS_SECRET", SECRET)
    blocks = doc_blocks("toml")
    loaded = {name: ch.type for block in blocks
              for name, ch in load_channels(pm, tomllib.loads(block)).items()}
    assert set(loaded.values()) == set(channel_types(pm))  # an example for every type
    assert len(loaded) == len(blocks) == 6


def test_the_documented_error_is_the_real_one(pm):
    shown = next(line for block in doc_blocks("text") for line in block.splitlines()
                 if line.startswith("Error: "))
    with pytest.raises(ChannelConfigError) as caught:
        load_channels(pm, {"channels": {"sales": {"type": "dingtalk", "url": URL, "colour": "red"}}})
    assert shown == f"Error: {caught.value}"
