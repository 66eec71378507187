"""Local stand-ins for DingTalk, WeCom and Feishu: a small threaded HTTP server per platform.

Each implements the documented requests goldsieve makes — the app token (with its expiry, on
the clock the test shares with goldsieve), turning a sign-in code into the person, the
department list, the member list (in pages) and a message to a person — with the platform's
own answer shapes and error codes, and records every request it gets (``requests``), so a test
can check what goldsieve sent. ``fail_next(path, …)`` makes the next request to a path fail the
way the platform would (a quota error, say).
"""
from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

TOKEN_SECONDS = 7200


@dataclass
class Seen:
    """One request the fake got."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class Person:
    id: str
    name: str
    departments: list[str]
    title: str | None = None
    leads: list[str] = field(default_factory=list)
    active: bool = True


@dataclass
class Dept:
    id: str
    name: str
    parent: str


class FakePlatform:
    """The server, the org chart it answers with, the tokens it handed out and what it got."""

    key: str = "app-key"
    secret: str = "s3cret-" + "x" * 20
    page: int = 2  # small pages, so every list a test reads comes in several

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.departments: list[Dept] = []
        self.people: list[Person] = []
        self.codes: dict[str, str] = {}  # sign-in code → person id
        self.tokens: dict[str, datetime] = {}
        self.requests: list[Seen] = []
        self.sent: list[dict[str, Any]] = []
        self.failures: dict[str, list[tuple[int, dict]]] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakePlatform":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- set-up by the test -------------------------------------------------------------------

    def add_department(self, id: str, name: str, parent: str) -> None:
        self.departments.append(Dept(id, name, parent))

    def add_person(self, id: str, name: str, departments: list[str], **more: Any) -> Person:
        person = Person(id, name, departments, **more)
        self.people.append(person)
        return person

    def code_for(self, person_id: str) -> str:
        code = secrets.token_hex(8)
        self.codes[code] = person_id
        return code

    def fail_next(self, path: str, status: int, body: dict) -> None:
        self.failures.setdefault(path, []).append((status, body))

    def expire_tokens(self) -> None:
        """Every token handed out dies now (the platform revoked it, or the clock ran past it)."""
        self.tokens = {token: self.clock() - timedelta(seconds=1) for token in self.tokens}

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    # --- what each platform answers -----------------------------------------------------------

    routes: dict[tuple[str, str], str] = {}

    def new_token(self) -> str:
        token = secrets.token_hex(12)
        self.tokens[token] = self.clock() + timedelta(seconds=TOKEN_SECONDS)
        return token

    def token_state(self, token: str | None) -> str:
        """``ok``, ``unknown`` or ``expired``."""
        if token not in self.tokens:
            return "unknown"
        return "ok" if self.clock() < self.tokens[token] else "expired"

    def person(self, id: str) -> Person | None:
        return next((p for p in self.people if p.id == id), None)

    def paged(self, items: list, start: int) -> tuple[list, int | None]:
        chunk = items[start:start + self.page]
        return chunk, (start + self.page if start + self.page < len(items) else None)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, method: str) -> None:
                parts = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                seen = Seen(method, parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                            json.loads(raw) if raw else None, {k.lower(): v for k, v in self.headers.items()})
                with fake._lock:
                    fake.requests.append(seen)
                    queued = fake.failures.get(parts.path)
                    if queued:
                        status, body = queued.pop(0)
                    else:
                        route = fake.routes.get((method, parts.path)) or fake.route(method, parts.path)
                        status, body = getattr(fake, route)(seen) if route else (404, {"error": "no route"})
                data = json.dumps(body).encode("utf-8")  # \u escapes: a lone surrogate can be sent too
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", body["location"])
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        return Handler

    def route(self, method: str, path: str) -> str | None:
        return None

    #: who "consents" on the platform's sign-in page (``authorize``), and the name the platform
    #: gives the code in the callback
    consenting: str | None = None
    code_name = "code"

    def authorize(self, seen: Seen):
        """The platform's sign-in page, as if ``consenting`` had signed in there: back to the
        app's callback with a fresh code and the app's own state."""
        code = self.code_for(self.consenting or "")
        query = urllib.parse.urlencode({self.code_name: code, "state": seen.query.get("state", "")})
        return 302, {"location": f"{seen.query['redirect_uri']}?{query}"}


class QueryTokenPlatform(FakePlatform):
    """DingTalk's old API and WeCom: the token in the query, ``errcode`` 40014 / 42001 when bad."""

    def _checked(self, seen: Seen) -> tuple[int, dict] | None:
        state = self.token_state(seen.query.get("access_token"))
        if state == "ok":
            return None
        return 200, {"errcode": 42001 if state == "expired" else 40014,
                     "errmsg": "access_token expired" if state == "expired" else "invalid access_token"}


class FakeDingTalk(QueryTokenPlatform):
    corp = "ding-corp-1"
    code_name = "authCode"  # DingTalk's callback names the code so
    routes = {
        ("GET", "/gettoken"): "gettoken",
        ("GET", "/oauth2/auth"): "authorize",
        ("POST", "/v1.0/oauth2/userAccessToken"): "user_access_token",
        ("GET", "/v1.0/contact/users/me"): "users_me",
        ("POST", "/topapi/user/getbyunionid"): "getbyunionid",
        ("POST", "/topapi/v2/user/getuserinfo"): "getuserinfo",
        ("POST", "/topapi/v2/department/listsub"): "listsub",
        ("POST", "/topapi/v2/user/list"): "user_list",
        ("POST", "/topapi/message/corpconversation/asyncsend_v2"): "asyncsend",
    }

    def __init__(self, clock):
        super().__init__(clock)
        self.user_tokens: dict[str, str] = {}
        self.app_codes: dict[str, str] = {}  # codes of the JS API (免登) → person id

    def in_app_code_for(self, person_id: str) -> str:
        """A code as DingTalk's JS API gives the page inside DingTalk: not one of the redirect's."""
        code = "jsapi-" + secrets.token_hex(8)
        self.app_codes[code] = person_id
        return code

    def gettoken(self, seen: Seen):
        if seen.query.get("appkey") != self.key or seen.query.get("appsecret") != self.secret:
            return 200, {"errcode": 40089, "errmsg": "invalid appkey or appsecret"}
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.new_token(), "expires_in": TOKEN_SECONDS}

    def user_access_token(self, seen: Seen):
        body = seen.body or {}
        if body.get("clientId") != self.key or body.get("clientSecret") != self.secret:
            return 400, {"code": "invalidClientIdOrSecret", "message": "bad client"}
        person = self.codes.pop(body.get("code"), None)
        if person is None or body.get("grantType") != "authorization_code":
            return 400, {"code": "invalidAuthCode", "message": "the code is invalid or used"}
        token = secrets.token_hex(8)
        self.user_tokens[token] = person
        return 200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200, "corpId": self.corp}

    def users_me(self, seen: Seen):
        person = self.user_tokens.get(seen.headers.get("x-acs-dingtalk-access-token"))
        if person is None:
            return 401, {"code": "InvalidAuthentication", "message": "token invalid"}
        found = self.person(person)
        return 200, {"nick": found.name if found else person, "unionId": "u-" + person}

    def getbyunionid(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        union = (seen.body or {}).get("unionid", "")
        found = self.person(union[2:]) if union.startswith("u-") else None
        if found is None:
            return 200, {"errcode": 60121, "errmsg": "user not found"}
        return 200, {"errcode": 0, "errmsg": "ok", "result": {"contact_type": 0, "userid": found.id}}

    def getuserinfo(self, seen: Seen):
        """The person behind a JS API code, asked with the app's token; a code is good once."""
        if (refused := self._checked(seen)):
            return refused
        person = self.app_codes.pop((seen.body or {}).get("code"), None)
        if person is None:
            return 200, {"errcode": 40078, "errmsg": "不存在的临时授权码", "request_id": "r"}
        found = self.person(person)
        return 200, {"errcode": 0, "errmsg": "ok", "request_id": "r", "result": {
            "userid": person, "unionid": "u-" + person, "name": found.name if found else person,
            "device_id": "d-1", "sys": False, "sys_level": 0, "associated_unionid": ""}}

    def listsub(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        parent = str((seen.body or {}).get("dept_id"))
        return 200, {"errcode": 0, "errmsg": "ok", "result": [
            {"dept_id": int(d.id), "name": d.name, "parent_id": int(d.parent)}
            for d in self.departments if d.parent == parent]}

    def user_list(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        body = seen.body or {}
        dept = str(body.get("dept_id"))
        members = [p for p in self.people if dept in p.departments and p.active]
        chunk, following = self.paged(members, int(body.get("cursor") or 0))
        return 200, {"errcode": 0, "errmsg": "ok", "result": {
            "has_more": following is not None, "next_cursor": following,
            "list": [{"userid": p.id, "unionid": "u-" + p.id, "name": p.name, "title": p.title or "",
                      "dept_id_list": [int(d) for d in p.departments], "leader": dept in p.leads,
                      "active": True} for p in chunk]}}

    def asyncsend(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        self.sent.append(seen.body)
        return 200, {"errcode": 0, "errmsg": "ok", "task_id": len(self.sent)}


class FakeWeCom(QueryTokenPlatform):
    key = "ww-corp-1"
    agent = "1000002"
    routes = {
        ("GET", "/cgi-bin/gettoken"): "gettoken",
        ("GET", "/wwlogin/sso/login"): "authorize",
        ("GET", "/connect/oauth2/authorize"): "authorize",
        ("GET", "/cgi-bin/auth/getuserinfo"): "getuserinfo",
        ("GET", "/cgi-bin/department/list"): "department_list",
        ("GET", "/cgi-bin/user/list"): "user_list",
        ("POST", "/cgi-bin/message/send"): "message_send",
    }

    def gettoken(self, seen: Seen):
        if seen.query.get("corpid") != self.key or seen.query.get("corpsecret") != self.secret:
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.new_token(), "expires_in": TOKEN_SECONDS}

    def getuserinfo(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        person = self.codes.pop(seen.query.get("code", ""), None)
        if person is None:
            return 200, {"errcode": 40029, "errmsg": "invalid code"}
        if person.startswith("o-"):  # someone outside the corp
            return 200, {"errcode": 0, "errmsg": "ok", "openid": person}
        return 200, {"errcode": 0, "errmsg": "ok", "userid": person, "user_ticket": "t"}

    def department_list(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        leaders = {d.id: [p.id for p in self.people if d.id in p.leads] for d in self.departments}
        return 200, {"errcode": 0, "errmsg": "ok", "department": [
            {"id": 1, "name": "Company", "parentid": 0, "order": 1, "department_leader": []},
            *({"id": int(d.id), "name": d.name, "parentid": int(d.parent), "order": 1,
               "department_leader": leaders[d.id]} for d in self.departments)]}

    def user_list(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        dept = seen.query.get("department_id")
        return 200, {"errcode": 0, "errmsg": "ok", "userlist": [
            {"userid": p.id, "name": p.name, "position": p.title or "", "department": [int(d) for d in p.departments],
             "main_department": int(p.departments[0]), "is_leader_in_dept": [int(d in p.leads) for d in p.departments],
             "status": 1 if p.active else 5} for p in self.people if dept in p.departments]}

    def message_send(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        self.sent.append(seen.body)
        return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": f"m{len(self.sent)}"}


class FakeFeishu(FakePlatform):
    key = "cli_a1b2c3"
    tenant = "tenant-1"

    def __init__(self, clock):
        super().__init__(clock)
        self.app_tokens: dict[str, datetime] = {}
        self.user_tokens: dict[str, str] = {}

    routes = {
        ("GET", "/open-apis/authen/v1/authorize"): "authorize",
        ("POST", "/open-apis/auth/v3/tenant_access_token/internal"): "tenant_token",
        ("POST", "/open-apis/auth/v3/app_access_token/internal"): "app_token",
        ("POST", "/open-apis/authen/v1/oidc/access_token"): "oidc_token",
        ("GET", "/open-apis/authen/v1/user_info"): "user_info",
        ("GET", "/open-apis/contact/v3/departments/0/children"): "children",
        ("GET", "/open-apis/contact/v3/users/find_by_department"): "find_by_department",
        ("POST", "/open-apis/im/v1/messages"): "messages",
    }

    def _checked(self, seen: Seen) -> tuple[int, dict] | None:
        header = seen.headers.get("authorization", "")
        state = self.token_state(header[7:] if header.startswith("Bearer ") else None)
        if state == "ok":
            return None
        return 400, {"code": 99991677 if state == "expired" else 99991663,
                     "msg": "token expired" if state == "expired" else "invalid tenant access token"}

    def _credentials_ok(self, seen: Seen) -> bool:
        body = seen.body or {}
        return body.get("app_id") == self.key and body.get("app_secret") == self.secret

    def tenant_token(self, seen: Seen):
        if not self._credentials_ok(seen):
            return 400, {"code": 10014, "msg": "app secret invalid"}
        return 200, {"code": 0, "msg": "ok", "tenant_access_token": self.new_token(), "expire": TOKEN_SECONDS}

    def app_token(self, seen: Seen):
        if not self._credentials_ok(seen):
            return 400, {"code": 10014, "msg": "app secret invalid"}
        token = secrets.token_hex(12)
        self.app_tokens[token] = self.clock() + timedelta(seconds=TOKEN_SECONDS)
        return 200, {"code": 0, "msg": "ok", "app_access_token": token, "expire": TOKEN_SECONDS}

    def oidc_token(self, seen: Seen):
        header = seen.headers.get("authorization", "")
        if self.app_tokens.get(header[7:], self.clock()) <= self.clock():
            return 400, {"code": 99991664, "msg": "invalid app access token"}
        person = self.codes.pop((seen.body or {}).get("code"), None)
        if person is None:
            return 400, {"code": 20003, "msg": "invalid code"}
        token = secrets.token_hex(8)
        self.user_tokens[token] = person
        return 200, {"code": 0, "msg": "success", "data": {"access_token": token, "token_type": "Bearer",
                                                           "expires_in": 6900}}

    def user_info(self, seen: Seen):
        header = seen.headers.get("authorization", "")
        person = self.user_tokens.get(header[7:])
        if person is None:
            return 400, {"code": 99991668, "msg": "invalid user access token"}
        found = self.person(person)
        return 200, {"code": 0, "msg": "success", "data": {
            "user_id": person, "open_id": "ou_" + person, "name": found.name if found else person,
            "tenant_key": self.tenant}}

    def children(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        leaders = {d.id: next((p.id for p in self.people if d.id in p.leads), None) for d in self.departments}
        items = [{"name": d.name, "open_department_id": d.id, "department_id": d.id,
                  "parent_department_id": d.parent, "leader_user_id": leaders[d.id]} for d in self.departments]
        return self._page(seen, items)

    def _page(self, seen: Seen, items: list) -> tuple[int, dict]:
        start = int(seen.query.get("page_token") or 0)
        chunk, following = self.paged(items, start)
        return 200, {"code": 0, "msg": "success", "data": {
            "has_more": following is not None, "page_token": str(following) if following else "", "items": chunk}}

    def find_by_department(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        dept = seen.query.get("department_id")
        items = [{"user_id": p.id, "open_id": "ou_" + p.id, "name": p.name, "job_title": p.title or "",
                  "department_ids": p.departments,
                  "status": {"is_resigned": not p.active, "is_frozen": False, "is_activated": True}}
                 for p in self.people if dept in p.departments]
        return self._page(seen, items)

    def messages(self, seen: Seen):
        if (refused := self._checked(seen)):
            return refused
        self.sent.append({**(seen.body or {}), "receive_id_type": seen.query.get("receive_id_type")})
        return 200, {"code": 0, "msg": "success", "data": {"message_id": f"om_{len(self.sent)}"}}


FAKES = {"dingtalk": FakeDingTalk, "wecom": FakeWeCom, "feishu": FakeFeishu}


def toml_table(platform: str, fake: FakePlatform, secret_env: str, **more: str) -> str:
    """The ``[workplace.PLATFORM]`` table that points goldsieve at ``fake``."""
    ids = {"dingtalk": {"app_key": fake.key, "agent_id": "42"},
           "wecom": {"corp_id": fake.key, "agent_id": FakeWeCom.agent},
           "feishu": {"app_id": fake.key}}[platform]
    hosts = {"dingtalk": ("base_url", "api_url", "login_url"), "wecom": ("base_url", "oauth_url", "login_url"),
             "feishu": ("base_url",)}[platform]
    lines = [f"[workplace.{platform}]", *(f'{k} = "{v}"' for k, v in ids.items()),
             *(f'{h} = "{fake.url}"' for h in hosts), f'secret_env = "{secret_env}"',
             *(f"{k} = {v}" for k, v in more.items())]
    return "\n".join(lines) + "\n"
