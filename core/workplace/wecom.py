"""WeCom (企业微信): a self-built app of a corp, known by the corp id, the agent id and its secret.

Every answer is ``{errcode, errmsg, …}``; the token goes in the query. Inside WeCom's own
browser the OAuth page signs in without a click (``snsapi_base``); elsewhere the person scans a
QR code on WeCom's login page.
"""
from __future__ import annotations

import urllib.parse
from typing import Any

from .client import Department, Identity, Member, PlatformClient, PlatformError, parents_first, text

#: a member's ``status``: 1 active; 2 disabled, 4 not yet activated, 5 left
ACTIVE = 1


class WeCom(PlatformClient):
    platform = "wecom"
    label = "WeCom"
    root = "1"
    token_codes = frozenset({40014, 42001})
    later_codes = frozenset({-1, 45009, 45033})

    def code_of(self, reply: dict[str, Any]) -> Any:
        return reply.get("errcode")

    def fetch_token(self) -> tuple[str, int]:
        reply = self.request("GET", f"{self.settings.host()}/cgi-bin/gettoken",
                             query={"corpid": self.settings.ids["corp_id"], "corpsecret": self.settings.secret})
        return str(reply["access_token"]), int(reply.get("expires_in", 7200))

    def authorize_url(self, redirect_uri: str, state: str, in_app: bool = False) -> str:
        ids = self.settings.ids
        if in_app:
            query = {"appid": ids["corp_id"], "redirect_uri": redirect_uri, "response_type": "code",
                     "scope": "snsapi_base", "state": state, "agentid": ids["agent_id"]}
            return (f"{self.settings.host('oauth_url')}/connect/oauth2/authorize?"
                    f"{urllib.parse.urlencode(query)}#wechat_redirect")
        query = {"login_type": "CorpApp", "appid": ids["corp_id"], "agentid": ids["agent_id"],
                 "redirect_uri": redirect_uri, "state": state}
        return f"{self.settings.host('login_url')}/wwlogin/sso/login?{urllib.parse.urlencode(query)}"

    def identify(self, code: str) -> Identity:
        reply = self.with_token(lambda token: self.request(
            "GET", f"{self.settings.host()}/cgi-bin/auth/getuserinfo", query={"access_token": token, "code": code}))
        if not reply.get("userid"):  # an ``openid``: someone outside the corp
            raise PlatformError(f"{self.label}: the account is not a member of the corp", code="corp")
        return Identity(str(reply["userid"]))

    def departments(self) -> list[Department]:
        reply = self.with_token(lambda token: self.request(
            "GET", f"{self.settings.host()}/cgi-bin/department/list", query={"access_token": token}))
        return parents_first([
            Department(str(item["id"]), text(item.get("name")) or str(item["id"]),
                       None if item.get("parentid") in (None, 0) else str(item["parentid"]),
                       tuple(str(u) for u in item.get("department_leader") or []))
            for item in reply.get("department") or []], self.root)

    def members(self, department: str) -> list[Member]:
        reply = self.with_token(lambda token: self.request(
            "GET", f"{self.settings.host()}/cgi-bin/user/list",
            query={"access_token": token, "department_id": department}))
        people = []
        for item in reply.get("userlist") or []:
            depts = [str(d) for d in item.get("department") or [department]]
            main = str(item.get("main_department") or depts[0])
            flags = item.get("is_leader_in_dept") or []
            people.append(Member(
                str(item["userid"]), text(item.get("name")) or str(item["userid"]), text(item.get("position")),
                tuple([main, *(d for d in depts if d != main)]),
                tuple(d for d, flag in zip(depts, flags) if flag), item.get("status", ACTIVE) == ACTIVE))
        return people

    def send_notice(self, external_id: str, title: str, text: str, url: str | None, key: str) -> None:
        """An application message: a text card when there is a link (WeCom opens it in its own
        browser), else text; WeCom drops the same message sent again within half an hour."""
        agent = int(self.settings.ids["agent_id"])
        if url:
            body = {"msgtype": "textcard", "textcard": {"title": title[:128], "description": text[:512], "url": url}}
        else:
            body = {"msgtype": "text", "text": {"content": f"{title}\n{text}"[:2048]}}
        self.with_token(lambda token: self.request(
            "POST", f"{self.settings.host()}/cgi-bin/message/send", query={"access_token": token},
            body={"touser": external_id, "agentid": agent, **body, "enable_duplicate_check": 1,
                  "duplicate_check_interval": 1800}))
