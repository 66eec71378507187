"""Personal notices through each platform's fake: the preferences page, the outbox row written
once per notification, the message in the user's language with a link to the deal, a refused
token renewed once, a quota error waiting its turn."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from goldsieve.automation.worker import Worker
from goldsieve.people.users import set_locale
from goldsieve.workplace.notices import queue_notices
from goldsieve.workplace.signin import link_account

from tests.ui.conftest import Browser

SEND = {"dingtalk": "/topapi/message/corpconversation/asyncsend_v2", "wecom": "/cgi-bin/message/send",
        "feishu": "/open-apis/im/v1/messages"}
TOKEN = {"dingtalk": "/gettoken", "wecom": "/cgi-bin/gettoken", "feishu": "/open-apis/auth/v3/tenant_access_token/internal"}
QUOTA = {"dingtalk": (200, {"errcode": 90018, "errmsg": "flow control"}),
         "wecom": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
         "feishu": (429, {"code": 99991400, "msg": "request trigger frequency limit"})}


@pytest.fixture
def lin(goldsieve_runtime, goldsieve_make_user, fake, platform):
    goldsieve_make_user("lin", "rep")
    fake.add_person("lin-1", "林", ["1"])
    return link_account(goldsieve_runtime.store, "lin", platform, "lin-1")


@pytest.fixture
def page(goldsieve_app, goldsieve_runtime, lin):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("lin").status_code == 302
    Worker(goldsieve_runtime).run_once(scan=False)  # the worker's first look starts the cursor
    return browser


def notify(runtime, key="reminder:7:1", deal_id=42, text="Reminder: call back on Acme is due at 10:00 UTC."):
    with runtime.store.transaction() as txn:
        txn.insert("notifications", {"user": "lin", "deal_id": deal_id, "funnel": "software", "text": text,
                                     "at": "2026-01-05T09:00:00.000Z", "read_at": None, "key": key})


def delivered(fake, platform):
    """What the fake got to send: (receiver, title, text, link)."""
    [body] = fake.sent
    if platform == "dingtalk":
        oa = body["msg"]["oa"]
        link = urllib.parse.parse_qs(urllib.parse.urlsplit(oa.get("message_url", "")).query).get("url", [None])[0]
        return body["userid_list"], oa["body"]["title"], oa["body"]["content"], link
    if platform == "wecom":
        card = body["textcard"]
        return body["touser"], card["title"], card["description"], card["url"]
    post = json.loads(body["content"])["zh_cn"]
    href = post["content"][1][0]["href"]
    link = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)["url"][0]
    return body["receive_id"], post["title"], post["content"][0][0]["text"], link


def test_the_page_offers_the_linked_platform_per_kind_and_saves_the_choice(page, platform, goldsieve_runtime):
    html = page.get("/account/notices").get_data(as_text=True)
    assert 'name="reminders"' in html and f'value="{platform}"' in html
    response = page.post("/account/notices", {"reminders": platform, "tasks": ""})
    assert response.status_code == 302
    user = next(u for u in goldsieve_runtime.store.find("users") if u["username"] == "lin")
    assert user["notices"] == {"reminders": platform}
    assert any(r["action"] == "notices_changed" for r in goldsieve_runtime.store.find("audit"))


@pytest.mark.parametrize("form", [{"reminders": "slack"}, {"reminders": "wecom-or-other"}, {"colour": "red"}])
def test_a_choice_that_is_not_offered_is_refused_beside_it_and_nothing_is_written(page, form, goldsieve_runtime):
    before = goldsieve_runtime.store.count("audit")
    response = page.post("/account/notices", form)
    assert response.status_code == 400
    field = next(iter(form))
    assert f'id="{field}-error"' in response.get_data(as_text=True) or field == "colour"
    assert goldsieve_runtime.store.count("audit") == before


def test_the_page_without_its_csrf_token_writes_nothing(page, platform, goldsieve_runtime):
    page.token = "forged"
    assert page.post("/account/notices", {"reminders": platform}).status_code == 400
    user = next(u for u in goldsieve_runtime.store.find("users") if u["username"] == "lin")
    assert "notices" not in user


def test_an_unlinked_user_is_told_why_their_notices_stay_in_the_inbox(page, platform, goldsieve_runtime):
    link_account(goldsieve_runtime.store, "lin", platform, None)
    html = page.get("/account/notices").get_data(as_text=True)
    assert "is not linked to a DingTalk, WeCom or Feishu account" in html and 'name="reminders"' not in html


def test_a_notification_goes_out_once_in_the_users_language_with_a_link_to_the_deal(
        page, platform, fake, goldsieve_runtime):
    page.post("/account/notices", {"reminders": platform})
    set_locale(goldsieve_runtime.store, next(u for u in goldsieve_runtime.store.find("users")
                                             if u["username"] == "lin"), "zh_Hans")
    notify(goldsieve_runtime)
    notify(goldsieve_runtime, key="task:3:1")  # a kind Lin keeps in the inbox
    worker = Worker(goldsieve_runtime)
    assert worker.run_once(scan=False)["noticed"] == 1
    receiver, title, text, link = delivered(fake, platform)
    assert (receiver, title, link) == ("lin-1", "任务提醒", "https://crm.example.com/deals/42")
    assert text.startswith("Reminder: call back on Acme")  # the inbox's own words
    assert worker.run_once(scan=False)["noticed"] == 0
    assert len(fake.sent) == 1  # exactly once
    [row] = goldsieve_runtime.store.find("outbox")
    assert row["status"] == "done" and row["key"].startswith(f"notice:{platform}:")


def test_two_workers_queue_a_notification_once(page, platform, fake, goldsieve_runtime):
    page.post("/account/notices", {"reminders": platform})
    notify(goldsieve_runtime)
    store, clients, config = goldsieve_runtime.store, goldsieve_runtime.workplace, goldsieve_runtime.workspace.config
    now = goldsieve_runtime.engine.clock()
    assert queue_notices(store, clients, config, now) + queue_notices(store, clients, config, now) == 1


def test_an_expired_token_is_renewed_once_and_the_message_sent(page, platform, fake, goldsieve_runtime):
    page.post("/account/notices", {"reminders": platform})
    Worker(goldsieve_runtime).run_once(scan=False)  # fetches a token (nothing to send yet)
    goldsieve_runtime.workplace[platform].token()
    fake.expire_tokens()
    notify(goldsieve_runtime)
    Worker(goldsieve_runtime).run_once(scan=False)
    assert len(fake.sent) == 1 and len(fake.seen(TOKEN[platform])) == 2
    assert len(fake.seen(SEND[platform])) == 2  # refused once, then sent
    [row] = goldsieve_runtime.store.find("outbox")
    assert row["status"] == "done" and row["attempts"] == 1


def test_a_quota_error_waits_and_the_retry_sends_it(page, platform, fake, goldsieve_runtime, goldsieve_clock):
    page.post("/account/notices", {"reminders": platform})
    fake.fail_next(SEND[platform], *QUOTA[platform])
    notify(goldsieve_runtime)
    worker = Worker(goldsieve_runtime)
    worker.run_once(scan=False)
    [row] = goldsieve_runtime.store.find("outbox")
    assert row["status"] == "pending" and row["attempts"] == 1 and row["due"] > row["at"]
    assert not fake.sent
    goldsieve_clock.advance(hours=1)
    worker.run_once(scan=False)
    assert len(fake.sent) == 1
    assert goldsieve_runtime.store.find("outbox")[0]["status"] == "done"


def test_the_inbox_from_before_the_first_look_is_not_sent(goldsieve_runtime, lin, platform, fake):
    from goldsieve.workplace.notices import set_preferences

    notify(goldsieve_runtime)  # written before the worker ever looked
    set_preferences(goldsieve_runtime.store, lin, {"reminders": platform}, goldsieve_runtime.workplace)
    worker = Worker(goldsieve_runtime)
    assert worker.run_once(scan=False)["noticed"] == 0
    notify(goldsieve_runtime, key="reminder:8:1")
    assert worker.run_once(scan=False)["noticed"] == 1 and len(fake.sent) == 1


def test_a_deactivated_user_gets_no_notices(page, platform, fake, goldsieve_runtime, goldsieve_user):
    from goldsieve.people.users import set_active

    page.post("/account/notices", {"reminders": platform})
    set_active(goldsieve_runtime.store, "lin", False)
    notify(goldsieve_runtime)
    assert Worker(goldsieve_runtime).run_once(scan=False)["noticed"] == 0 and not fake.sent


@pytest.mark.parametrize("goldsieve_store_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_notice_goes_out_once(page, platform, fake, goldsieve_runtime):
    page.post("/account/notices", {"reminders": platform})
    notify(goldsieve_runtime)
    worker = Worker(goldsieve_runtime)
    assert worker.run_once(scan=False)["noticed"] == 1
    worker.run_once(scan=False)
    assert len(fake.sent) == 1
