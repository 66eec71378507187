"""DingTalk: the app of an organisation (an internal app with its AppKey and AppSecret).

Its old API (``oapi``, ``?access_token=`` in the query, ``{errcode, errmsg}`` in the answer)
lists departments and members; its new one (``api``, the token in a header, HTTP errors with
``{code, message}``) turns a sign-in code into the person; the login page is on its own host.
Inside DingTalk's own browser the login page gets a code from DingTalk's JS API instead (no
click, no consent page), which the old API turns into the person with the app's token.
"""
from __future__ import annotations

import urllib.parse
from typing import Any

from .client import Department, Identity, Member, PlatformClient, PlatformError, parents_first, text

PAGE = 100


class DingTalk(PlatformClient):
    platform = "dingtalk"
    label = "DingTalk"
    root = "1"
    token_codes = frozenset({40014, 42001, "InvalidAuthentication"})
    later_codes = frozenset({-1, 90002, 90018, "Throttling"})

    def code_of(self, reply: dict[str, Any]) -> Any:
        return reply.get("errcode", reply.get("code"))

    def fetch_token(self) -> tuple[str, int]:
        reply = self.request("GET", f"{self.settings.host()}/gettoken",
                             query={"appkey": self.settings.ids["app_key"], "appsecret": self.settings.secret})
        return str(reply["access_token"]), int(reply.get("expires_in", 7200))

    def authorize_url(self, redirect_uri: str, state: str, in_app: bool = False) -> str:
        """DingTalk's own browser passes the same page through without asking once consented."""
        query = {"redirect_uri": redirect_uri, "response_type": "code", "client_id": self.settings.ids["app_key"],
                 "scope": "openid", "state": state, "prompt": "consent"}
        return f"{self.settings.host('login_url')}/oauth2/auth?{urllib.parse.urlencode(query)}"

    def identify(self, code: str) -> Identity:
        """The code → the person's access token → their unionId → their userid in the organisation."""
        api = self.settings.host("api_url")
        grant = self.request("POST", f"{api}/v1.0/oauth2/userAccessToken", body={
            "clientId": self.settings.ids["app_key"], "clientSecret": self.settings.secret,
            "code": code, "grantType": "authorization_code"})
        corp = self.settings.ids.get("corp_id")
        if corp and grant.get("corpId") != corp:
            raise PlatformError(f"{self.label}: the account belongs to another organisation", code="corp")
        me = self.request("GET", f"{api}/v1.0/contact/users/me",
                          headers={"x-acs-dingtalk-access-token": str(grant.get("accessToken"))})
        found = self.with_token(lambda token: self.request(
            "POST", f"{self.settings.host()}/topapi/user/getbyunionid", query={"access_token": token},
            body={"unionid": me.get("unionId")}))
        return Identity(str(found["result"]["userid"]), text(me.get("nick")))

    def bridge(self) -> dict[str, str] | None:
        """Inside DingTalk's own browser the page asks DingTalk's JS API for a code (免登授权码)
        of the organisation ``corp_id`` names; without it there is no asking."""
        corp = self.settings.ids.get("corp_id")
        return {"corpId": corp, "clientId": self.settings.ids["app_key"]} if corp else None

    def identify_in_app(self, code: str) -> Identity:
        """A code from the JS API → the person's userid, asked with the app's token (the code is
        only good for this app in this organisation, so no other organisation's account gets by)."""
        reply = self.with_token(lambda token: self.request(
            "POST", f"{self.settings.host()}/topapi/v2/user/getuserinfo", query={"access_token": token},
            body={"code": code}))
        result = reply.get("result") or {}
        if not result.get("userid"):
            raise PlatformError(f"{self.label}: the code names no member of the organisation", code="corp")
        return Identity(str(result["userid"]), text(result.get("name")))

    def departments(self) -> list[Department]:
        found: list[Department] = []
        todo = [self.root]
        while todo:
            parent = todo.pop()
            reply = self.with_token(lambda token: self.request(
                "POST", f"{self.settings.host()}/topapi/v2/department/listsub", query={"access_token": token},
                body={"dept_id": int(parent)}))
            for item in reply.get("result") or []:
                dept = Department(str(item["dept_id"]), text(item.get("name")) or str(item["dept_id"]),
                                  str(item.get("parent_id", parent)))
                found.append(dept)
                todo.append(dept.id)
        return parents_first(found, self.root)

    def members(self, department: str) -> list[Member]:
        people: list[Member] = []
        cursor = 0
        while True:
            reply = self.with_token(lambda token: self.request(
                "POST", f"{self.settings.host()}/topapi/v2/user/list", query={"access_token": token},
                body={"dept_id": int(department), "cursor": cursor, "size": PAGE}))
            result = reply.get("result") or {}
            for item in result.get("list") or []:
                people.append(Member(
                    str(item["userid"]), text(item.get("name")) or str(item["userid"]), text(item.get("title")),
                    tuple(str(d) for d in item.get("dept_id_list") or [department]),
                    (department,) if item.get("leader") else (), item.get("active", True) is not False))
            if not result.get("has_more"):
                return people
            cursor = result.get("next_cursor")

    def send_notice(self, external_id: str, title: str, text: str, url: str | None, key: str) -> None:
        """A work notice (工作通知) from the app: an OA message, whose text DingTalk shows as it
        is (no markdown to smuggle a link into), opening the link in DingTalk's own browser."""
        agent = self.settings.ids.get("agent_id")
        if not agent:
            raise PlatformError(f"{self.label}: [workplace.dingtalk] agent_id is needed to send work notices",
                                retryable=False)
        oa: dict[str, Any] = {"head": {"bgcolor": "FF1D6FD8", "text": "goldsieve"},
                              "body": {"title": title[:100], "content": text[:2000]}}
        if url:
            inside = "dingtalk://dingtalkclient/page/link?" + urllib.parse.urlencode({"url": url, "pc_slide": "false"})
            oa.update(message_url=inside, pc_message_url=inside)
        self.with_token(lambda token: self.request(
            "POST", f"{self.settings.host()}/topapi/message/corpconversation/asyncsend_v2",
            query={"access_token": token},
            body={"agent_id": int(agent), "userid_list": external_id, "msg": {"msgtype": "oa", "oa": oa}}))
