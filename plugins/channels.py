"""The built-in notification channels: DingTalk, WeCom, Feishu, Slack and a signed JSON webhook.

Each class turns a :class:`goldsieve.automation.channels.Message` into the one POST its service documents
for incoming messages, and judges the answer: the Chinese chat services answer HTTP 200 and put
their verdict in the JSON body, so a non-zero code there is a failure (worth a retry only for
rate limits and "system busy"; signature, keyword, IP-list and address errors are permanent).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import datetime
from typing import Any, ClassVar

from goldsieve import hookimpl
from goldsieve.automation.channels import Channel, ChannelConfigError, DeliveryError, Message, json_body

#: ``[channels.NAME.people]``: goldsieve username → the service's user id (or mobile number)
PEOPLE = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}
JSON = {"Content-Type": "application/json"}  # JSON is UTF-8 by definition (RFC 8259)


def hmac_sha256(key: str, message: str) -> bytes:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` appended to its query, keeping the query it already has as is."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(params)]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


class MentioningChannel(Channel):
    """A channel that can mention people: ``mention`` says how, ``people`` maps usernames."""

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name, config)
        if self.settings.get("mention") == "mobiles" and not self.settings.get("people"):
            raise ChannelConfigError(f"{self.where} people: mention = \"mobiles\" needs a "
                                     "[channels.NAME.people] table of username = \"mobile number\"")

    def mentioned(self, message: Message) -> list[str]:
        """The service ids (or mobiles) of the message's mentions, in order.

        With a ``people`` table only the people listed there are mentioned; without one,
        goldsieve usernames are taken to be the service's user ids.
        """
        if not self.settings.get("mention"):
            return []
        people = self.settings.get("people")
        if people:
            return [people[user] for user in message.mentions if user in people]
        return list(message.mentions)


class CodedReplyChannel(MentioningChannel):
    """A service that answers HTTP 200 with ``{code, message}`` in the body (0 means accepted)."""

    code_keys: ClassVar[tuple[str, ...]]
    message_keys: ClassVar[tuple[str, ...]]
    #: the codes that mean "later": rate limits and "system busy"
    retry_codes: ClassVar[frozenset[int]]

    def check_reply(self, status: int, reply: bytes) -> None:
        data = self.json_reply(reply) or {}
        code = next((data[key] for key in self.code_keys if key in data), 0)
        if code == 0:
            return super().check_reply(status, reply)
        said = next((str(data[key]) for key in self.message_keys if key in data), "")
        raise DeliveryError(f"{self.label}: error {code}: {self.quote(said)}",
                            retryable=code in self.retry_codes or status == 429 or status >= 500)


MENTION = {"enum": ["ids", "mobiles"]}


#: What turns text into a link, an image, a tag or a mention in a chat service's markdown, and a
#: full-width look-alike for each: backslash escapes are not honoured by every dialect.
_DEFUSED = str.maketrans({"[": "［", "]": "］", "<": "‹", ">": "›"})


def defused(text: str) -> str:
    """Text for a markdown message that stays text: a deal's title or a field (a lead from the
    public form, say) cannot become a phishing link, a mention of everyone or a tag."""
    return text.translate(_DEFUSED)


class DingTalkChannel(CodedReplyChannel):
    """DingTalk's custom group robot (自定义机器人).

    DingTalk's documentation of the robot's "加签" security setting: take the current time in
    milliseconds, join it and the secret with a newline, compute HMAC-SHA256 of that string
    keyed with the secret, base64 the digest, URL-encode it, and add it to the webhook address
    as ``&timestamp=…&sign=…``; the server refuses a timestamp more than an hour off. Messages
    are ``markdown`` (``title`` for the notification list, ``text``, whose line breaks must be
    Markdown hard breaks, two spaces before the newline) or ``text``; ``at`` lists
    ``atUserIds`` or ``atMobiles``, and the people to mention also appear as ``@id`` in the text.
    The reply is ``{"errcode": 0, "errmsg": "ok"}``; 310000 (keyword, signature or IP list
    refused) and 300001 (unknown token) are permanent, 130101 and 410100 (sending too fast)
    and -1 (system busy) mean try later.
    """

    type = "dingtalk"
    signing = "optional"
    options = {"msgtype": {"enum": ["markdown", "text"], "default": "markdown"},
               "mention": MENTION, "people": PEOPLE}
    code_keys = ("errcode",)
    message_keys = ("errmsg",)
    retry_codes = frozenset({-1, 130101, 410100})

    def request(self, message: Message, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        url = self.url
        if self.secret:
            timestamp = str(int(now.timestamp() * 1000))
            url = with_query(url, timestamp=timestamp, sign=dingtalk_sign(self.secret, timestamp))
        ids = self.mentioned(message)
        tail = "".join(f" @{who}" for who in ids)
        if self.settings["msgtype"] == "markdown":
            link = f"\n\n[{defused(message.title)}]({message.url})" if message.url else ""
            text = defused(message.text).replace("\n", "  \n")  # a hard break: DingTalk joins plain newlines
            body: dict[str, Any] = {"msgtype": "markdown", "markdown": {
                "title": defused(message.title), "text": text + link + ("\n\n" + tail if tail else "")}}
        else:
            link = f"\n{message.url}" if message.url else ""
            body = {"msgtype": "text", "text": {"content": message.text + link + tail}}
        if ids:
            field = "atMobiles" if self.settings["mention"] == "mobiles" else "atUserIds"
            body["at"] = {field: ids, "isAtAll": False}
        return url, json_body(body), dict(JSON)


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")); URL-encoding is the query's job."""
    return base64.b64encode(hmac_sha256(secret, f"{timestamp}\n{secret}")).decode("ascii")


class WeComChannel(CodedReplyChannel):
    """WeCom's (企业微信) group robot.

    WeCom's documentation: the robot's address carries its ``key`` as a query parameter and
    there is no signature, so the address itself is the secret. A message is ``markdown``
    (``content``, where ``<@userid>`` mentions someone) or ``text`` (``content`` with
    ``mentioned_list`` of user ids or ``mentioned_mobile_list`` of mobile numbers). The reply is
    ``{"errcode": 0, "errmsg": "ok"}``; 45009 (over the rate limit of 20 messages a minute) and
    -1 (system busy) mean try later; 93000 (bad webhook address) and the rest are permanent.
    """

    type = "wecom"
    options = {"msgtype": {"enum": ["markdown", "text"], "default": "markdown"},
               "mention": MENTION, "people": PEOPLE}
    code_keys = ("errcode",)
    message_keys = ("errmsg",)
    retry_codes = frozenset({-1, 45009})

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name, config)
        if "key" not in urllib.parse.parse_qs(urllib.parse.urlsplit(self.url).query):
            raise ChannelConfigError(f"{self.where} url: a WeCom robot address ends in ?key=…; "
                                     "copy it from the robot's settings")
        if self.settings["mention"] == "mobiles" and self.settings["msgtype"] == "markdown":
            raise ChannelConfigError(f"{self.where} mention: WeCom markdown mentions by user id "
                                     "only; use msgtype = \"text\" to mention by mobile")

    def request(self, message: Message, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        ids = self.mentioned(message)
        if self.settings["msgtype"] == "markdown":
            link = f"\n[{defused(message.title)}]({message.url})" if message.url else ""
            tail = "\n" + "".join(f"<@{who}>" for who in ids) if ids else ""
            body: dict[str, Any] = {"msgtype": "markdown",
                                    "markdown": {"content": defused(message.text) + link + tail}}
        else:
            link = f"\n{message.url}" if message.url else ""
            text: dict[str, Any] = {"content": message.text + link}
            if ids:
                field = "mentioned_mobile_list" if self.settings["mention"] == "mobiles" else "mentioned_list"
                text[field] = ids
            body = {"msgtype": "text", "text": text}
        return self.url, json_body(body), dict(JSON)


class FeishuChannel(CodedReplyChannel):
    """Feishu's (飞书, Lark) custom bot (自定义机器人).

    Feishu's documentation of signature verification: the string ``timestamp + "\\n" + secret``
    (timestamp in seconds, at most an hour old) is the HMAC-SHA256 *key*, the message signed is
    empty, and the base64 of the digest is ``sign``; ``timestamp`` and ``sign`` go into the JSON
    body next to ``msg_type``. A message is ``text`` (``content.text``, where
    ``<at user_id="…"></at>`` mentions) or ``post`` (rich text: a title and lines of ``text``,
    ``a`` and ``at`` elements under a language key; each line of the text is a line of the post). The reply is ``{"code": 0, "msg":
    "success"}`` (older bots: ``StatusCode``); 19021 (signature or timestamp refused), 19022
    (IP not allowed) and 19024 (keyword missing) are permanent, 11232 (frequency limited) means
    try later.
    """

    type = "feishu"
    signing = "optional"
    options = {"msg_type": {"enum": ["post", "text"], "default": "post"},
               "lang": {"enum": ["zh_cn", "en_us", "ja_jp"], "default": "zh_cn"},
               "mention": {"enum": ["ids"]}, "people": PEOPLE}
    code_keys = ("code", "StatusCode")
    message_keys = ("msg", "StatusMessage")
    retry_codes = frozenset({11232})

    def request(self, message: Message, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        body: dict[str, Any] = {}
        if self.secret:
            timestamp = str(int(now.timestamp()))
            body.update(timestamp=timestamp, sign=feishu_sign(self.secret, timestamp))
        ids = self.mentioned(message)
        if self.settings["msg_type"] == "text":
            link = f"\n{message.url}" if message.url else ""
            ats = "".join(f'<at user_id="{who}"></at>' for who in ids)
            body.update(msg_type="text", content={"text": message.text + link + (f"\n{ats}" if ats else "")})
        else:
            # a post is a list of lines, each a list of elements: one line per line of the text
            lines: list[list[dict[str, str]]] = [[{"tag": "text", "text": line}]
                                                 for line in message.text.split("\n")]
            if message.url:
                lines.append([{"tag": "a", "text": message.title, "href": message.url}])
            if ids:
                lines.append([{"tag": "at", "user_id": who} for who in ids])
            body.update(msg_type="post", content={"post": {self.settings["lang"]: {
                "title": message.title, "content": lines}}})
        return self.url, json_body(body), dict(JSON)


def feishu_sign(secret: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(key="timestamp\\nsecret", message=empty))."""
    return base64.b64encode(hmac_sha256(f"{timestamp}\n{secret}", "")).decode("ascii")


class SlackChannel(MentioningChannel):
    """Slack's incoming webhook.

    Slack's documentation: POST ``{"text": …}`` to the webhook address (the address is the
    credential; nothing is signed). The text is mrkdwn, so ``&``, ``<`` and ``>`` are escaped,
    ``<url|label>`` is a link and ``<@U123>`` a mention. Slack answers 200 ``ok``, and errors
    with a status and a word: 400 ``invalid_payload``, 403 ``action_prohibited``, 404
    ``no_service``, 410 ``channel_is_archived`` (permanent), 429 and 5xx (try later).
    """

    type = "slack"
    options = {"mention": {"enum": ["ids"]}, "people": PEOPLE}

    def request(self, message: Message, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        text = slack_escape(message.text)
        if message.url:
            text += f"\n<{message.url}|{slack_escape(message.title)}>"
        ids = self.mentioned(message)
        if ids:
            text += "\n" + " ".join(f"<@{who}>" for who in ids)
        return self.url, json_body({"text": text}), dict(JSON)


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WebhookChannel(Channel):
    """A generic JSON webhook for your own systems.

    The body is ``{event, deal, funnel, at, key, title, text, url, mentions}`` as compact UTF-8
    JSON (``deal`` and ``funnel`` are null for a message about no deal, the weekly digest). Headers:
    ``X-Goldsieve-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the
    secret>`` (verify it before parsing, with a constant-time comparison),
    ``X-Goldsieve-Delivery: <key>`` (the same on every retry of one delivery: a receiver that
    has seen it already should answer 2xx and do nothing), and ``X-Goldsieve-Event``. Any 2xx
    answer is success.
    """

    type = "webhook"
    signing = "required"

    def request(self, message: Message, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        body = json_body({"event": message.event, "deal": message.deal, "funnel": message.funnel,
                          "at": message.at, "key": message.key, "title": message.title,
                          "text": message.text, "url": message.url, "mentions": list(message.mentions)})
        signature = hmac.new(str(self.secret).encode("utf-8"), body, hashlib.sha256).hexdigest()
        return self.url, body, {**JSON, "X-Goldsieve-Signature": f"sha256={signature}",
                                "X-Goldsieve-Delivery": message.key,
                                "X-Goldsieve-Event": message.event}


@hookimpl
def goldsieve_channels() -> list[type[Channel]]:
    return [DingTalkChannel, WeComChannel, FeishuChannel, SlackChannel, WebhookChannel]
