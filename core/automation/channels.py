"""Notification channels: where automation delivers messages (DingTalk, WeCom, Feishu, Slack, …).

A channel is one ``[channels.NAME]`` table of ``goldsieve.toml``. Its type comes from a plugin
through the ``goldsieve_channels`` hook (the five built-in types live in
``goldsieve.plugins.channels``), so a third-party plugin adds a service by subclassing
:class:`Channel`. The contract the automation outbox relies on is :class:`Message`,
:class:`DeliveryError`, :meth:`Channel.send` and :func:`load_channels`.

HTTP goes through the standard library's ``urllib.request``: a delivery is one short POST of a
small JSON document, so connection pooling, async I/O or sessions would buy nothing, and the
standard library keeps HTTPS certificate checks, proxies from the environment and socket
timeouts without adding a dependency to every installation. Redirects are not followed: a
webhook URL that redirects is misconfigured, and following it could carry a signed request, or
a URL holding a token, to another host.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, ClassVar

import pluggy

from .. import __version__
from ..clock import stamp, utc_now
from ..deals.outbox import MESSAGE, new_row
from ..errors import GoldsieveError
from ..plugin_manager import collect, collect_registry, list_of
from ..workspace import CONFIG_NAME

#: How much of a reply is read: enough for any service's error document, bounded for a hostile one.
MAX_REPLY_BYTES = 64 * 1024
#: How much of a service's own error text is quoted in a DeliveryError.
MAX_QUOTE = 200
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Message:
    """One notification to deliver, the same for every channel type.

    Most messages are about one deal (an automation's); some are about none — the weekly digest
    of a manager — and then ``deal`` and ``funnel`` are ``None`` and ``subject`` names the
    message, so no channel has to invent a deal to have something to title it with.
    """

    event: str  #: trigger name: "stage_entered", "stale", "won", …, "digest" or "test"
    text: str  #: the rendered, human-readable notification text (already localized)
    deal: dict | None  #: the deal document (id, title, funnel, stage, owner, data, …), if any
    funnel: str | None  #: funnel id, if the message is about a deal
    at: str  #: UTC ISO 8601 timestamp of the triggering change
    key: str  #: idempotency key of this delivery (stable across retries)
    url: str | None = None  #: link to the deal's (or the digest's) page, when the base URL is known
    mentions: tuple[str, ...] = ()  #: usernames to mention, where the service supports it
    subject: str | None = None  #: the headline of a message not about a deal

    @property
    def title(self) -> str:
        """A short headline (chat services show it in notification lists): the subject, else
        the deal's title, else the event."""
        return str(self.subject or (self.deal or {}).get("title") or self.event)


def message_row(message: Message, channel: str) -> dict[str, Any]:
    """A pending delivery of ``message`` (about no deal) to the channel named ``channel``.

    The message is stored whole, as the channel will get it: what was true when the row was
    written is what every attempt sends, however long the retries take.
    """
    params = {"channel": channel, "subject": message.subject, "text": message.text, "url": message.url,
              "mentions": list(message.mentions)}
    return new_row(key=message.key, action=MESSAGE, params=params, deal=None, at=message.at,
                   trigger=message.event)


def message_of(row: dict[str, Any]) -> Message:
    """The message a :func:`message_row` holds."""
    params = row["params"]
    return Message(event=row["trigger"], text=params["text"], deal=None, funnel=None, at=row["at"],
                   key=row["key"], url=params.get("url"), mentions=tuple(params.get("mentions", ())),
                   subject=params.get("subject"))


class DeliveryError(Exception):
    """A delivery failed; ``retryable`` says whether trying the same request later can help.

    Permanent failures (``retryable=False``) are those only a change of configuration fixes: a
    4xx answer, a refused signature or keyword, an unknown webhook. Timeouts, connection errors,
    5xx answers and rate limits are retryable. The message never holds a secret or the URL.
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class ChannelConfigError(GoldsieveError):
    """A ``[channels.NAME]`` table is unusable; the message names the table and the key."""


class Channel:
    """One configured ``[channels.NAME]``: builds the service's request and sends it.

    Subclasses set :attr:`type`, declare their extra keys in :attr:`options` (key → JSON Schema,
    with an optional ``default``) and whether they sign (:attr:`signing`), implement
    :meth:`request`, and override :meth:`check_reply` when the service reports errors inside a
    successful HTTP answer.
    """

    type: ClassVar[str]
    #: extra keys of the table besides ``type``, ``url`` and the secret, as JSON Schemas
    options: ClassVar[dict[str, dict[str, Any]]] = {}
    #: "none" (no secret accepted), "optional" (signs when a secret is set) or "required"
    signing: ClassVar[str] = "none"

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.where = f"{CONFIG_NAME}: [channels.{name}]"
        secret_keys = {"secret", "secret_env"} if self.signing != "none" else set()
        allowed = {"type", "url", *secret_keys, *self.options}
        for key in config:
            if key not in allowed:
                raise ChannelConfigError(
                    f"{self.where} {key}: unknown key; a {self.type} channel takes "
                    f"{', '.join(sorted(allowed))}")
        self.url = self._check_url(config.get("url"))
        self.secret = self._read_secret(config) if secret_keys else None
        self.settings = {key: self._check_option(key, schema, config)
                         for key, schema in self.options.items()}

    def __repr__(self) -> str:  # never the URL or the secret: both are credentials
        return f"<{type(self).__name__} {self.name!r}>"

    @property
    def label(self) -> str:
        return f"channel {self.name} ({self.type})"

    # --- building and sending ----------------------------------------------------------------

    def request(self, message: Message, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        """The HTTP POST that delivers ``message`` at ``now``: (url, body, headers). Pure."""
        raise NotImplementedError

    def send(self, message: Message, *, timeout: float = 10.0) -> None:
        """POST ``message`` to the service; raise :class:`DeliveryError` unless it accepted it.

        ``timeout`` bounds each wait on the network — connecting, and each read of the answer —
        as the standard library's socket timeouts do; a receiver that stalls fails after it.
        """
        url, body, headers = self.request(message, utc_now())
        status, reply = self._post(url, body, headers, timeout)
        self.check_reply(status, reply)

    def check_reply(self, status: int, reply: bytes) -> None:
        """Judge the answer by its HTTP status: 2xx accepted; 408, 429 and 5xx worth a retry.

        Every other status (a redirect, a 4xx) is permanent: the same request will fail again.
        """
        if 200 <= status < 300:
            return
        quoted = self.quote(reply.decode("utf-8", "replace"))
        raise DeliveryError(f"{self.label}: HTTP {status}" + (f": {quoted}" if quoted else ""),
                            retryable=status in (408, 429) or status >= 500)

    def quote(self, text: str) -> str:
        """A service's own words, shortened, with the secret and the URL's credentials removed."""
        text = " ".join(text.split())
        parsed = urllib.parse.urlsplit(self.url)
        hidden = [self.secret, self.url, parsed.path, parsed.query,
                  *(v for _, v in urllib.parse.parse_qsl(parsed.query))]
        for value in sorted(filter(None, hidden), key=len, reverse=True):
            if len(value) >= 4:
                text = text.replace(value, "***")
        return text[:MAX_QUOTE]

    def json_reply(self, reply: bytes) -> dict[str, Any] | None:
        """The answer as a JSON object, or ``None`` when it is something else."""
        try:
            data = json.loads(reply)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        headers = {"User-Agent": f"goldsieve/{__version__}", **headers}
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        return exchange(req, timeout, self.label, self.quote)

    # --- configuration -----------------------------------------------------------------------

    def _check_url(self, url: Any) -> str:
        if url is None:
            raise ChannelConfigError(f"{self.where} url: missing; the service's webhook address")
        parsed = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ChannelConfigError(f"{self.where} url: must be an http:// or https:// address")
        return url

    def _read_secret(self, config: dict[str, Any]) -> str | None:
        """The signing secret, written in the table (``secret``) or read from the environment
        (``secret_env`` names the variable), so it need not be kept in ``goldsieve.toml``."""
        if "secret" in config and "secret_env" in config:
            raise ChannelConfigError(f"{self.where} secret_env: give either secret or secret_env, not both")
        if "secret_env" in config:
            variable = config["secret_env"]
            if not isinstance(variable, str) or not os.environ.get(variable):
                raise ChannelConfigError(
                    f"{self.where} secret_env: the environment variable {variable!r} is not set")
            return os.environ[variable]
        secret = config.get("secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise ChannelConfigError(f"{self.where} secret: must be a non-empty string")
        if secret is None and self.signing == "required":
            raise ChannelConfigError(f"{self.where} secret: missing; a {self.type} channel signs "
                                     "every delivery (set secret or secret_env)")
        return secret

    def _check_option(self, key: str, schema: dict[str, Any], config: dict[str, Any]) -> Any:
        if key not in config:
            return schema.get("default")
        from jsonschema import Draft202012Validator  # when a channel is configured, not at import

        error = next(Draft202012Validator(schema).iter_errors(config[key]), None)
        if error is not None:
            where = "".join(f".{part}" for part in error.absolute_path)
            raise ChannelConfigError(f"{self.where} {key}{where}: {error.message}")
        return config[key]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Answer a redirect as the HTTP error it is here (see the module docstring)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def exchange(req: urllib.request.Request, timeout: float, label: str,
             quote: Callable[[str], str] = lambda text: text, limit: int = MAX_REPLY_BYTES) -> tuple[int, bytes]:
    """Send ``req`` without following redirects; the HTTP status and at most ``limit`` bytes
    of the answer, whatever the status. A timeout or a connection that fails is a retryable
    :class:`DeliveryError` named by ``label`` (``quote`` hides credentials in the reason); the
    one way goldsieve calls another service (the channels, the workplace platforms)."""
    try:
        with _OPENER.open(req, timeout=timeout) as response:
            return response.status, response.read(limit)
    except urllib.error.HTTPError as error:
        try:
            reply = error.read(limit) if error.fp else b""
        except OSError:  # the error page itself stalled or broke off: the status says enough
            reply = b""
        finally:
            error.close()
        return error.code, reply
    except (TimeoutError, socket.timeout):
        raise DeliveryError(f"{label}: no answer within {timeout:g} s", retryable=True) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise DeliveryError(f"{label}: no answer within {timeout:g} s", retryable=True) from None
        raise DeliveryError(f"{label}: cannot connect: {quote(str(error.reason))}", retryable=True) from None
    except (http.client.HTTPException, OSError) as error:
        raise DeliveryError(f"{label}: connection failed: {type(error).__name__}", retryable=True) from None


def page_url(config: dict[str, Any], path: str) -> str | None:
    """The address of the workspace's page ``path`` (``/deals/7``) for a message to link to, when
    ``base_url`` says where people reach the workspace; ``None`` when it does not."""
    base = str(config.get("base_url", "")).rstrip("/")
    return f"{base}{path}" if base else None


def json_body(document: Any) -> bytes:
    """Compact UTF-8 JSON, the bytes every channel sends (and the webhook signs)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def channel_types(pm: pluggy.PluginManager) -> dict[str, type[Channel]]:
    """Every channel class the plugins provide, by type; the same type twice is an error."""
    batches = collect(pm, "goldsieve_channels", "a list of Channel subclasses, each with a type",
                      list_of(type, each=lambda cls: issubclass(cls, Channel)
                              and isinstance(getattr(cls, "type", None), str)))
    return collect_registry(({cls.type: cls for cls in batch or []} for batch in batches),
                            "channel type")


def load_channels(pm: pluggy.PluginManager, config: dict[str, Any]) -> dict[str, Channel]:
    """The workspace's channels by name, from its ``[channels.*]`` tables, checked at start-up.

    :raises ChannelConfigError: naming the table and key of the first problem.
    """
    types = channel_types(pm)
    tables = config.get("channels", {})
    if not isinstance(tables, dict):
        raise ChannelConfigError(f"{CONFIG_NAME}: channels must be tables: [channels.NAME]")
    channels: dict[str, Channel] = {}
    for name, table in tables.items():
        where = f"{CONFIG_NAME}: [channels.{name}]"
        if not _NAME.match(name):
            raise ChannelConfigError(f"{where}: a channel name uses only letters, digits, - and _")
        if not isinstance(table, dict):
            raise ChannelConfigError(f"{where}: must be a table with type and url")
        kind = table.get("type")
        if kind not in types:
            said = "missing" if kind is None else f"{kind!r} is not a channel type"
            raise ChannelConfigError(f"{where} type: {said}; choose one of {', '.join(sorted(types))}")
        channels[name] = types[kind](name, table)
    return channels


def trial_message(channel: str, now: datetime) -> Message:
    """What ``goldsieve channels test`` sends: names goldsieve (for keyword-guarded robots)."""
    return Message(
        event="test",
        text=f"goldsieve: a test message for the channel {channel}. If you can read it, it works.",
        deal=None, funnel=None, at=stamp(now), key=f"test-{uuid.uuid4().hex}", subject="goldsieve test",
    )


def named(channels: dict[str, Channel], name: str) -> Channel:
    """The configured channel ``name``; a delivery naming a channel the configuration no longer
    has fails for good (only a change of configuration can fix it)."""
    if name not in channels:
        raise DeliveryError(f"no channel named {name!r} is configured", retryable=False)
    return channels[name]
