"""Only the configured organisation signs in: DingTalk's corp_id, Feishu's tenant_key, and WeCom's
corp (someone outside it gets an openid, not a userid)."""
from __future__ import annotations

import urllib.parse

import pytest

from goldsieve.workplace.signin import link_account


@pytest.fixture
def workplace_settings(platform):
    return {"dingtalk": {"corp_id": '"another-corp"'}, "feishu": {"tenant_key": '"another-tenant"'},
            "wecom": {}}[platform]


def test_an_account_of_another_organisation_is_refused(goldsieve_app, goldsieve_runtime, goldsieve_make_user,
                                                       fake, platform):
    person = "o-outsider" if platform == "wecom" else "lin-1"  # WeCom: an openid, outside the corp
    goldsieve_make_user("lin", "rep")
    link_account(goldsieve_runtime.store, "lin", platform, person)
    fake.add_person(person, "林", ["1"])
    web = goldsieve_app.test_client()
    location = urllib.parse.urlsplit(web.get(f"/login/{platform}").headers["Location"])
    state = dict(urllib.parse.parse_qsl(location.query))["state"]
    response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for(person), "state": state})
    assert response.status_code == 403 and "did not confirm who you are" in response.get_data(as_text=True)
    [row] = [r for r in goldsieve_runtime.store.find("audit") if r["action"] == "workplace_login_refused"]
    assert row["reason"] == "not_confirmed"
    assert any(word in row["detail"] for word in ("another organisation", "not a member of the corp", "another tenant"))
    assert goldsieve_runtime.store.count("sessions") == 0
