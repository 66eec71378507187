"""Feishu (飞书): a custom app of a tenant, known by its App ID and App Secret.

Answers are ``{code, msg, data}`` (with an HTTP 4xx for most errors); the tenant access token
goes in an ``Authorization: Bearer`` header. Signing in takes the app access token (to turn the
code into the person's own token) and then the person's token (to ask who they are). Lists page
with ``page_token`` / ``has_more``. Inside Feishu the authorize page passes without a click.
"""
from __future__ import annotations

import json
import urllib.parse
from typing import Any

from .client import Department, Identity, Member, PlatformClient, PlatformError, parents_first, text
from .tokens import cached_token

PAGE = 50
IDS = {"department_id_type": "open_department_id", "user_id_type": "user_id"}


class Feishu(PlatformClient):
    platform = "feishu"
    label = "Feishu"
    root = "0"
    token_codes = frozenset({99991661, 99991663, 99991668, 99991677})
    later_codes = frozenset({99991400, 99991401, 1254290})

    def code_of(self, reply: dict[str, Any]) -> Any:
        return reply.get("code")

    def _internal_token(self, kind: str) -> tuple[str, int]:
        reply = self.request("POST", f"{self.settings.host()}/open-apis/auth/v3/{kind}/internal",
                             body={"app_id": self.settings.ids["app_id"], "app_secret": self.settings.secret})
        return str(reply[kind]), int(reply.get("expire", 7200))

    def fetch_token(self) -> tuple[str, int]:
        return self._internal_token("tenant_access_token")

    def authorize_url(self, redirect_uri: str, state: str, in_app: bool = False) -> str:
        query = {"app_id": self.settings.ids["app_id"], "redirect_uri": redirect_uri, "state": state}
        return f"{self.settings.host()}/open-apis/authen/v1/authorize?{urllib.parse.urlencode(query)}"

    def identify(self, code: str) -> Identity:
        app_token = cached_token(self.store, f"{self.token_key}:app",
                                 lambda: self._internal_token("app_access_token"), self.clock)
        grant = self.request("POST", f"{self.settings.host()}/open-apis/authen/v1/oidc/access_token",
                             body={"grant_type": "authorization_code", "code": code},
                             headers={"Authorization": f"Bearer {app_token}"})
        user_token = (grant.get("data") or {}).get("access_token")
        me = (self.request("GET", f"{self.settings.host()}/open-apis/authen/v1/user_info",
                           headers={"Authorization": f"Bearer {user_token}"}).get("data") or {})
        tenant = self.settings.ids.get("tenant_key")
        if (tenant and me.get("tenant_key") != tenant) or not me.get("user_id"):
            raise PlatformError(f"{self.label}: the account belongs to another tenant", code="corp")
        return Identity(str(me["user_id"]), text(me.get("name")))

    def _pages(self, path: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page_token = ""
        while True:
            asked = {**IDS, **query, "page_size": PAGE, **({"page_token": page_token} if page_token else {})}
            reply = self.with_token(lambda token: self.request(
                "GET", f"{self.settings.host()}{path}", query=asked, headers={"Authorization": f"Bearer {token}"}))
            data = reply.get("data") or {}
            items.extend(data.get("items") or [])
            page_token = data.get("page_token") or ""
            if not data.get("has_more") or not page_token:
                return items

    def departments(self) -> list[Department]:
        items = self._pages(f"/open-apis/contact/v3/departments/{self.root}/children", {"fetch_child": "true"})
        return parents_first([
            Department(str(item["open_department_id"]), text(item.get("name")) or str(item["open_department_id"]),
                       str(item.get("parent_department_id") or self.root),
                       (str(item["leader_user_id"]),) if item.get("leader_user_id") else ())
            for item in items], self.root)

    def members(self, department: str) -> list[Member]:
        people = []
        for item in self._pages("/open-apis/contact/v3/users/find_by_department", {"department_id": department}):
            status = item.get("status") or {}
            people.append(Member(
                str(item["user_id"]), text(item.get("name")) or str(item["user_id"]), text(item.get("job_title")),
                tuple(str(d) for d in item.get("department_ids") or [department]), (),
                not (status.get("is_resigned") or status.get("is_frozen"))))
        return people

    def send_notice(self, external_id: str, title: str, text: str, url: str | None, key: str) -> None:
        """A message from the app's bot: a rich-text post with the link, which Feishu opens in
        its own browser (its applink); the ``uuid`` makes Feishu drop a repeat within the hour."""
        lines: list[list[dict[str, str]]] = [[{"tag": "text", "text": text[:4000]}]]
        if url:
            inside = "https://applink.feishu.cn/client/web_url/open?" + urllib.parse.urlencode(
                {"url": url, "mode": "window"})
            lines.append([{"tag": "a", "text": "goldsieve", "href": inside}])
        content = json.dumps({"zh_cn": {"title": title[:100], "content": lines}}, ensure_ascii=False)
        self.with_token(lambda token: self.request(
            "POST", f"{self.settings.host()}/open-apis/im/v1/messages", query={"receive_id_type": "user_id"},
            body={"receive_id": external_id, "msg_type": "post", "content": content, "uuid": key[-50:]},
            headers={"Authorization": f"Bearer {token}"}))
