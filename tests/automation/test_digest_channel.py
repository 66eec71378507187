"""The weekly digest through a notification channel: the outbox row written with the week's mark
(once, or not at all), in the manager's language; the delivery settings of ``[digest]`` checked
at start-up; the dispatcher sending a message about no deal; the request every channel type
makes of a digest."""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.automation.channels import load_channels, message_of
from goldsieve.automation.digest import DigestConfigError, build_digest, deliver, scan_digests, week_label
from goldsieve.automation.digest_channel import DigestDelivery
from goldsieve.cli import cli
from goldsieve.deals.outbox import DEAD, DONE, MESSAGE, PENDING
from goldsieve.people.users import add_user, set_locale
from goldsieve.plugin_manager import make_plugin_manager
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace

from tests.automation.receiver import receiver  # noqa: F401  (the fixture)
from tests.automation.test_digest import read_before_that_commit
from tests.ui.test_board import BOTH_STORES
from tests.ui.test_inbox import browser_for

MONDAY = datetime(2026, 1, 12, tzinfo=timezone.utc)  # ISO week 2026-W03
SECRET = "a-digest-webhook-secret"


@pytest.fixture
def goldsieve_workspace(goldsieve_workspace, receiver):  # noqa: F811
    """The test workspace with two signed webhook channels on the local receiver."""
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text('base_url = "https://crm.example.test/"\n' + config.read_text() + "".join(
        f'\n[channels.{name}]\ntype = "webhook"\nurl = "{receiver.url("/" + name)}"\nsecret = "{SECRET}"\n'
        for name in ("managers", "east_chat")))
    return Workspace.load(goldsieve_workspace.path)


@pytest.fixture
def org(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team):
    """Team east (manager mona) with sub-team north (manager nils), manager pia without a team."""
    for name in ("mona", "nils", "pia"):
        goldsieve_make_user(name, "manager")
    goldsieve_make_team("east", manager="mona")
    goldsieve_make_team("north", parent="east", manager="nils")
    goldsieve_make_user("rita", "rep", team="east")
    engine = goldsieve_runtime.engine
    rita = goldsieve_runtime.store.find("users", Eq("username", "rita"))[0]
    engine.create(rita, next(iter(engine.funnels)).id, "East deal", {"company": "Acme"})
    return goldsieve_runtime


def outbox(rt):
    return rt.store.find("outbox")


def delivery(rt, **section):
    return DigestDelivery.from_config({**rt.workspace.config, "digest": section}, rt.channels)


def test_without_a_channel_the_digest_writes_no_outbox_row(org, goldsieve_clock):
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    assert org.digest_delivery == DigestDelivery(link="https://crm.example.test/digest")  # none configured
    assert scan_digests(org.engine, goldsieve_clock(), org.digest_schedule, org.digest_delivery) == 3
    assert outbox(org) == []
    assert len(org.store.find("notifications")) == 3  # the inboxes still get theirs


@BOTH_STORES
def test_the_outbox_row_is_written_with_the_weeks_mark_and_only_once(org, goldsieve_clock):
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    to_managers = delivery(org, channel="managers")
    assert scan_digests(org.engine, goldsieve_clock(), org.digest_schedule, to_managers) == 3
    rows = {row["key"]: row for row in outbox(org)}
    assert set(rows) == {"digest:mona:2026-W03", "digest:nils:2026-W03", "digest:pia:2026-W03"}
    row = rows["digest:mona:2026-W03"]
    [note] = org.store.find("notifications", Eq("key", "digest:mona:2026-W03"))
    assert (row["action"], row["status"], row["trigger"], row["attempts"]) == (MESSAGE, PENDING, "digest", 0)
    assert (row["deal_id"], row["funnel"], row["funnel_version"], row["rule"]) == (None, None, None, None)
    assert row["due"] == row["at"] == "2026-01-12T08:00:00.000Z"
    assert row["params"] == {"channel": "managers", "subject": "Weekly digest 2026-W03", "text": note["text"],
                             "url": "https://crm.example.test/digest", "mentions": ["mona"]}
    assert scan_digests(org.engine, goldsieve_clock(), org.digest_schedule, to_managers) == 0
    goldsieve_clock.advance(days=2)
    assert scan_digests(org.engine, goldsieve_clock(), org.digest_schedule, to_managers) == 0
    assert len(outbox(org)) == 3  # later scans of the same week: nothing more
    goldsieve_clock.now = MONDAY + timedelta(days=7, hours=8)
    assert scan_digests(org.engine, goldsieve_clock(), org.digest_schedule, to_managers) == 3
    assert sorted(r["key"] for r in outbox(org) if r["key"].startswith("digest:mona")) == [
        "digest:mona:2026-W03", "digest:mona:2026-W04"]


def test_the_digest_is_written_in_the_managers_language(org, goldsieve_clock):
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    set_locale(org.store, org.store.find("users", Eq("username", "mona"))[0], "zh_Hans")
    set_locale(org.store, org.store.find("users", Eq("username", "pia"))[0], "en")
    in_taiwan = DigestDelivery.from_config({**org.workspace.config, "locale": "zh-Hant",
                                            "digest": {"channel": "managers"}}, org.channels)
    assert scan_digests(org.engine, goldsieve_clock(), org.digest_schedule, in_taiwan) == 3
    text = {r["key"].split(":")[1]: r["params"]["text"] for r in outbox(org)}
    subject = {r["key"].split(":")[1]: r["params"]["subject"] for r in outbox(org)}
    for user in text:  # the inbox says what the channel says
        assert org.store.find("notifications", Eq("key", f"digest:{user}:2026-W03"))[0]["text"] == text[user]
    assert subject == {"mona": "每周摘要 2026-W03", "nils": "每週摘要 2026-W03", "pia": "Weekly digest 2026-W03"}
    assert text["mona"].splitlines()[:4] == [
        "每周摘要 2026-W03（2026-01-05 至 2026-01-11）", "漏斗 软件行业：",  # the funnel's zh-Hans title
        "  进行中的商机：1 · 进行中的商机金额（加权）：¥0.00 · 赢单商机：0 · 输单商机：0 · 赢单率：–",
        "  Potential customer：1 个商机（+1），转化率 0%（无），停留时间中位数 无（无）"]
    assert text["mona"].endswith("停滞商机：0")
    assert text["nils"].startswith("每週摘要 2026-W03（") and "停滯商機：0" in text["nils"]  # the workspace's
    # pia leads no team and sees no deal: her digest leaves the empty funnel out
    assert text["pia"] == "Weekly digest 2026-W03 (2026-01-05 to 2026-01-11)\nStale deals: 0"


def test_the_kernel_reads_the_catalogs_without_importing_flask():
    script = ("import sys; from goldsieve.locales import translations; "
              "print(translations('zh_Hant').gettext('Weekly digest %(week)s'), 'flask' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["每週摘要", "%(week)s", "False"]


def test_a_team_channel_takes_its_manager_and_its_sub_teams(org, goldsieve_clock):
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    by_team = delivery(org, channel="managers", teams={"east": "east_chat"})
    channel = {u: by_team.channel_for(org.store, org.store.find("users", Eq("username", u))[0])
               for u in ("mona", "nils", "pia", "rita")}
    assert channel == {"mona": "east_chat", "nils": "east_chat",  # north has none: east's
                       "pia": "managers", "rita": "east_chat"}  # rita is in east (reps get no digest)
    only_teams = delivery(org, teams={"east": "east_chat"})
    assert scan_digests(org.engine, goldsieve_clock(), org.digest_schedule, only_teams) == 3
    assert {r["key"]: r["params"]["channel"] for r in outbox(org)} == {
        "digest:mona:2026-W03": "east_chat", "digest:nils:2026-W03": "east_chat"}  # pia: inbox only


@BOTH_STORES
def test_a_worker_that_lost_the_race_writes_no_outbox_row_either(org, goldsieve_clock, monkeypatch):
    goldsieve_clock.now = MONDAY + timedelta(hours=8)  # the managers' first digests
    to_managers = delivery(org, channel="managers")
    mona = org.store.find("users", Eq("username", "mona"))[0]
    digest = build_digest(org.engine, mona, goldsieve_clock())
    stale_row = org.store.get("users", mona["id"])
    assert deliver(org.engine, mona, digest, goldsieve_clock(), to_managers)  # the other worker, first
    read_before_that_commit(monkeypatch, org.store, stale_row)
    assert not deliver(org.engine, mona, digest, goldsieve_clock(), to_managers)
    monkeypatch.undo()
    assert [r["key"] for r in outbox(org)] == ["digest:mona:2026-W03"]


@pytest.mark.parametrize("section, message", [
    ({"channel": "nope"}, r"\[digest\] channel: 'nope' is not a channel; name a \[channels.NAME\] "
                          r"table \(east_chat, managers\)"),
    ({"channel": 3}, r"\[digest\] channel: 3 is not a channel"),
    ({"teams": {"east": "nope"}}, r"\[digest.teams\] east: 'nope' is not a channel"),
    ({"teams": "east"}, r"\[digest\] teams: must be a table"),
    ({"chanel": "managers"}, r"\[digest\] chanel: unknown key; \[digest\] takes channel, hour, teams, weekday"),
])
def test_bad_delivery_settings_are_refused_naming_the_key(section, message):
    with pytest.raises(DigestConfigError, match=message):
        DigestDelivery.from_config({"digest": section}, ["managers", "east_chat"])


def test_a_bad_digest_channel_stops_start_up_before_the_store_opens(goldsieve_workspace):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text() + '\n[digest]\nchannel = "sales"\n')
    data = goldsieve_workspace.path / "data"
    before = sorted(p.name for p in data.iterdir())
    with pytest.raises(DigestConfigError, match=r"\[digest\] channel: 'sales' is not a channel"):
        open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False)
    result = CliRunner().invoke(cli, ["worker", "--once", "--workspace", str(goldsieve_workspace.path)])
    assert result.exit_code == 1 and "[digest] channel: 'sales' is not a channel" in result.output
    assert sorted(p.name for p in data.iterdir()) == before  # no store, no lock written


def test_the_configured_delivery_reaches_the_worker(goldsieve_workspace, receiver):  # noqa: F811
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text() + '\n[digest]\nchannel = "managers"\nhour = 0\n\n'
                                           '[digest.teams]\neast = "east_chat"\n')
    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as rt:
        assert rt.digest_delivery == DigestDelivery("managers", {"east": "east_chat"},
                                                "https://crm.example.test/digest")
        assert rt.digest_schedule.hour == 0


def test_the_cli_says_where_the_digest_goes(goldsieve_workspace):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text() + '\n[digest]\nchannel = "managers"\n')
    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as rt:
        add_user(rt.store, "mona", "manager", TEST_PASSWORD, locale="zh-Hans")
    week = week_label(datetime.now(timezone.utc))
    run = functools.partial(CliRunner().invoke, cli, catch_exceptions=False)
    path = ["--workspace", str(goldsieve_workspace.path)]
    dry = run(["digest", "--dry-run", *path])
    assert dry.output.startswith(f"每周摘要 {week}（")  # mona's language
    assert dry.output.endswith("停滞商机：0\n(also to the channel managers)\n\n")
    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as rt:
        assert outbox(rt) == [] and rt.store.find("notifications") == []  # a dry run writes nothing
    assert run(["digest", "--once", *path]).output == f"mona: sent {week}, also to the channel managers\n"
    assert run(["digest", "--once", *path]).output == f"mona: already sent {week}\n"
    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as rt:
        [row] = outbox(rt)
    assert (row["key"], row["params"]["channel"]) == (f"digest:mona:{week}", "managers")


# --- the dispatcher sends a message about no deal ------------------------------------------------


@pytest.fixture
def written(org, goldsieve_clock):
    """Mona's digest row, due now, for the channel ``managers``."""
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    mona = org.store.find("users", Eq("username", "mona"))[0]
    deliver(org.engine, mona, build_digest(org.engine, mona, goldsieve_clock()), goldsieve_clock(),
            delivery(org, channel="managers"))
    [row] = outbox(org)
    return row


@BOTH_STORES
def test_the_dispatcher_sends_the_stored_message_signed(org, written, receiver):  # noqa: F811
    assert org.dispatcher.deliver_due("test") == 1
    got = receiver.last
    assert got.path == "/managers"
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Goldsieve-Signature"] == f"sha256={expected}"
    assert got.headers["X-Goldsieve-Delivery"] == "digest:mona:2026-W03"
    assert got.headers["X-Goldsieve-Event"] == "digest"
    assert got.json == {"event": "digest", "deal": None, "funnel": None, "at": written["at"],
                        "key": "digest:mona:2026-W03", "title": "Weekly digest 2026-W03",
                        "text": written["params"]["text"], "url": "https://crm.example.test/digest",
                        "mentions": ["mona"]}
    row = org.store.get("outbox", written["id"])
    assert (row["status"], row["attempts"], row["last_error"]) == (DONE, 1, None)
    assert org.dispatcher.deliver_due("test") == 0 and len(receiver.captured) == 1


@BOTH_STORES
def test_a_failing_receiver_is_retried_with_backoff_then_dead(org, written, receiver,  # noqa: F811
                                                               goldsieve_clock):
    receiver.default = (503, b"busy", {})
    dispatcher = org.dispatcher
    dispatcher.jitter, dispatcher.max_attempts, dispatcher.base_delay = (lambda: 1.0), 3, 60.0
    waits = []
    for attempt in (1, 2):
        assert dispatcher.deliver_due("test") == 1
        row = org.store.get("outbox", written["id"])
        assert (row["status"], row["attempts"]) == (PENDING, attempt)
        assert "HTTP 503: busy" in row["last_error"]
        due = datetime.fromisoformat(row["due"].replace("Z", "+00:00"))
        waits.append(due - goldsieve_clock())
        assert dispatcher.deliver_due("test") == 0  # not due yet: no attempt before the backoff
        goldsieve_clock.now = due
    assert waits == [timedelta(seconds=60), timedelta(seconds=120)]  # doubling
    assert dispatcher.deliver_due("test") == 1
    row = org.store.get("outbox", written["id"])
    assert (row["status"], row["attempts"]) == (DEAD, 3)
    goldsieve_clock.advance(days=1)
    assert dispatcher.deliver_due("test") == 0  # dead stays dead
    assert len(receiver.captured) == 3
    assert {r.headers["X-Goldsieve-Delivery"] for r in receiver.captured} == {"digest:mona:2026-W03"}


def test_a_channel_removed_from_the_configuration_dead_letters_at_once(org, written, receiver):  # noqa: F811
    del org.dispatcher.channels["managers"]
    org.dispatcher.deliver_due("test")
    row = org.store.get("outbox", written["id"])
    assert (row["status"], row["attempts"]) == (DEAD, 1)
    assert row["last_error"] == "no channel named 'managers' is configured"
    assert receiver.captured == []


def test_the_admin_page_lists_a_dead_digest_and_retries_it(goldsieve_app, org, written, receiver,  # noqa: F811
                                                           goldsieve_make_user):
    goldsieve_make_user("admin", "admin")
    with org.store.transaction() as txn:
        txn.replace("outbox", {**written, "status": DEAD, "attempts": 8, "last_error": "HTTP 503: busy",
                               "version": written["version"] + 1}, expect_version=written["version"])
    admin = browser_for(goldsieve_app, "admin")
    page = admin.get("/admin/outbox?status=dead").get_data(as_text=True)
    row = page.split(f'data-delivery-id="{written["id"]}"')[1].split("</tr>")[0]
    assert "message <small>→ managers</small>" in row and "— <small>(digest)</small>" in row
    assert "<td hx-disable>mona</td>" in row and "/deals/" not in row  # the reader, no deal link
    assert admin.post(f"/admin/outbox/{written['id']}/retry").status_code == 303
    assert org.dispatcher.deliver_due("test") == 1
    assert org.store.get("outbox", written["id"])["status"] == DONE and len(receiver.captured) == 1


# --- every channel type's request for a digest ----------------------------------------------------


@pytest.fixture
def digest_message(written):
    return message_of(written)


def send(table, message, receiver):  # noqa: F811
    channel = load_channels(make_plugin_manager(entry_points=False), {"channels": {"room": table}})["room"]
    channel.send(message)
    return receiver.last.json


def test_dingtalk_gets_the_subject_as_title_and_mentions_the_manager(digest_message, receiver):  # noqa: F811
    body = send({"type": "dingtalk", "url": receiver.url("/robot/send?access_token=t"), "mention": "mobiles",
                 "people": {"mona": "13800000000"}}, digest_message, receiver)
    assert body["markdown"]["title"] == "Weekly digest 2026-W03"
    lines = digest_message.text.split("\n")
    assert len(lines) > 3 and body["markdown"]["text"] == ("  \n".join(lines) + "\n\n[Weekly digest 2026-W03]"
                                                           "(https://crm.example.test/digest)\n\n @13800000000")
    assert body["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}


def test_wecom_puts_the_manager_in_the_markdown(digest_message, receiver):  # noqa: F811
    body = send({"type": "wecom", "url": receiver.url("/send?key=k"), "mention": "ids",
                 "people": {"mona": "zhangsan"}}, digest_message, receiver)
    assert body == {"msgtype": "markdown", "markdown": {"content": digest_message.text + (
        "\n[Weekly digest 2026-W03](https://crm.example.test/digest)\n<@zhangsan>")}}


def test_feishu_posts_the_digest_under_its_subject(digest_message, receiver):  # noqa: F811
    body = send({"type": "feishu", "url": receiver.url("/hook/x"), "lang": "en_us", "mention": "ids",
                 "people": {"mona": "ou_mona"}}, digest_message, receiver)
    assert body == {"msg_type": "post", "content": {"post": {"en_us": {
        "title": "Weekly digest 2026-W03",
        "content": [*([{"tag": "text", "text": line}] for line in digest_message.text.split("\n")),
                    [{"tag": "a", "text": "Weekly digest 2026-W03", "href": "https://crm.example.test/digest"}],
                    [{"tag": "at", "user_id": "ou_mona"}]]}}}}


def test_slack_escapes_the_digest_and_mentions_the_manager(digest_message, receiver):  # noqa: F811
    body = send({"type": "slack", "url": receiver.url("/services/x"), "mention": "ids",
                 "people": {"mona": "U024BE7LH"}}, digest_message, receiver)
    assert body == {"text": digest_message.text + "\n<https://crm.example.test/digest|Weekly digest 2026-W03>"
                    "\n<@U024BE7LH>"}


# --- docs/analytics.md stays true -----------------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"


def doc_blocks(language: str) -> list[str]:
    section = DOC.read_text(encoding="utf-8").split("### The digest in a group chat")[1]
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.M | re.S)


def test_the_documented_delivery_loads_and_the_documented_error_is_the_real_one():
    [block] = doc_blocks("toml")
    documented = DigestDelivery.from_config(tomllib.loads(block), ["east_sales", "managers"])
    assert (documented.channel, documented.teams) == ("managers", {"east": "east_sales"})
    [shown] = doc_blocks("text")
    with pytest.raises(DigestConfigError) as caught:
        DigestDelivery.from_config({"digest": {"teams": {"east": "east_sale"}}}, ["east_sales", "managers"])
    assert shown.strip() == f"Error: {caught.value}"
