"""Each platform's client against its fake: the token (cached in the store, shared, refreshed
before it expires and once when refused), the org chart in pages, the errors."""
from __future__ import annotations

import pytest

from goldsieve.workplace.client import PlatformError
from goldsieve.workplace.platforms import CLIENTS

TOKEN_PATHS = {"dingtalk": "/gettoken", "wecom": "/cgi-bin/gettoken",
               "feishu": "/open-apis/auth/v3/tenant_access_token/internal"}
MEMBER_PATHS = {"dingtalk": "/topapi/v2/user/list", "wecom": "/cgi-bin/user/list",
                "feishu": "/open-apis/contact/v3/users/find_by_department"}
QUOTA = {"dingtalk": (200, {"errcode": 90018, "errmsg": "flow control"}),
         "wecom": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
         "feishu": (429, {"code": 99991400, "msg": "request trigger frequency limit"})}


def org(fake, platform):
    """Sales (with East below it) and Support; five people, Sales led by Lin."""
    top = "0" if platform == "feishu" else "1"
    fake.add_department("2", "销售部", top)
    fake.add_department("3", "华东", "2")
    fake.add_department("4", "Support", top)
    fake.add_person("lin", "林经理", ["2"], title="销售经理", leads=["2"])
    for i in range(4):
        fake.add_person(f"rep{i}", f"销售{i}", ["3"], title="销售")


def test_the_token_is_fetched_once_and_kept_in_the_store_for_every_process(client, fake, platform,
                                                                          goldsieve_runtime):
    org(fake, platform)
    client.departments()
    client.members("3")
    assert len(fake.seen(TOKEN_PATHS[platform])) == 1
    other = CLIENTS[platform](client.settings, goldsieve_runtime.store, client.clock)  # another process
    other.members("2")
    assert len(fake.seen(TOKEN_PATHS[platform])) == 1
    [row] = goldsieve_runtime.store.find("workplace_state")
    assert row["key"].startswith(f"token:{platform}:") and row["token"] in fake.tokens


def test_a_token_close_to_its_expiry_is_replaced(client, fake, platform, goldsieve_clock):
    org(fake, platform)
    client.members("3")
    goldsieve_clock.advance(seconds=7200 - 4 * 60)  # four minutes left: inside the margin
    client.members("3")
    assert len(fake.seen(TOKEN_PATHS[platform])) == 2


def test_a_refused_token_is_dropped_and_the_request_made_once_more(client, fake, platform):
    org(fake, platform)
    client.members("3")
    fake.expire_tokens()
    assert [m.id for m in client.members("3")] == ["rep0", "rep1", "rep2", "rep3"]
    assert len(fake.seen(TOKEN_PATHS[platform])) == 2


def test_members_come_in_pages_with_their_titles_and_leads(client, fake, platform):
    org(fake, platform)
    people = client.members("3")
    assert [(m.id, m.name, m.title, m.departments[0]) for m in people] == [
        (f"rep{i}", f"销售{i}", "销售", "3") for i in range(4)]
    if platform != "wecom":  # WeCom's member list is one answer per department
        assert len(fake.seen(MEMBER_PATHS[platform])) >= 2
    [lin] = client.members("2")
    assert lin.title == "销售经理"
    if platform != "feishu":  # Feishu names a department's leader in the department
        assert lin.leads == ("2",)


def test_departments_come_parents_first_with_the_top_one_left_out(client, fake, platform):
    org(fake, platform)
    departments = client.departments()
    assert [(d.id, d.name, d.parent) for d in departments] == [
        ("2", "销售部", None), ("3", "华东", "2"), ("4", "Support", None)]
    if platform in ("wecom", "feishu"):
        assert departments[0].leaders == ("lin",)


def test_every_request_carries_the_token_the_platform_issued(client, fake, platform):
    org(fake, platform)
    client.members("3")
    for seen in fake.requests:
        if seen.path == TOKEN_PATHS[platform]:
            continue
        token = (seen.headers["authorization"][7:] if platform == "feishu" else seen.query["access_token"])
        assert token in fake.tokens


def test_a_quota_error_is_worth_a_retry_and_names_the_platform_code(client, fake, platform):
    org(fake, platform)
    fake.fail_next(MEMBER_PATHS[platform], *QUOTA[platform])
    with pytest.raises(PlatformError) as caught:
        client.members("3")
    assert caught.value.retryable and caught.value.code == QUOTA[platform][1].get("errcode",
                                                                               QUOTA[platform][1].get("code"))


def test_a_wrong_secret_is_a_permanent_error_without_the_secret(client, fake, platform):
    fake.secret = "another-secret-value"
    with pytest.raises(PlatformError) as caught:
        client.members("3")
    assert not caught.value.retryable and client.settings.secret not in str(caught.value)


@pytest.mark.parametrize("goldsieve_store_url", ["postgresql"], indirect=True)
def test_on_postgresql_the_token_is_shared_through_the_store_too(client, fake, platform, goldsieve_runtime):
    org(fake, platform)
    client.members("3")
    CLIENTS[platform](client.settings, goldsieve_runtime.store, client.clock).members("2")
    assert len(fake.seen(TOKEN_PATHS[platform])) == 1
