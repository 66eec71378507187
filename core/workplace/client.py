"""What every platform's client shares: one JSON request over HTTPS, the app token, the errors.

DingTalk, WeCom and Feishu answer most errors with HTTP 200 and a code in the body; each
platform's client says which codes mean "the access token is invalid or expired" (the token is
dropped and the request made once more with a new one) and which mean "too many requests" or
"busy" (worth a retry later). Requests go through the channels' own exchange
(:mod:`goldsieve.automation.channels`): redirects are not followed, answers are bounded, and no
error message holds the secret or a token.
"""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import __version__
from ..automation.channels import DeliveryError, exchange
from ..clock import Clock, utc_now
from ..errors import GoldsieveError
from ..limits import storable_text
from ..store import Store
from .config import PlatformSettings
from .tokens import cached_token, forget_token

MAX_REPLY_BYTES = 4 * 1024 * 1024  # a page of a member list, with room
MAX_QUOTE = 200
TIMEOUT = 10.0


class PlatformError(GoldsieveError):
    """A platform refused a request or could not be reached; ``retryable``: later may help."""

    def __init__(self, message: str, *, code: Any = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.code, self.retryable = code, retryable


@dataclass(frozen=True)
class Identity:
    """Who signed in, as the platform says: its user id (what goldsieve stores), and a name."""

    external_id: str
    name: str | None = None


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    parent: str | None
    #: the user ids of the department's leaders, where the department list names them
    leaders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    title: str | None
    #: the person's departments, the main one first
    departments: tuple[str, ...]
    #: the departments the person leads
    leads: tuple[str, ...] = ()
    active: bool = True


class PlatformClient:
    """The calls goldsieve makes to one platform; subclasses fill in the platform's own."""

    platform: ClassVar[str]
    label: ClassVar[str]
    #: the department at the top of the org chart (the company itself)
    root: ClassVar[str]
    #: codes meaning the access token is invalid or expired, and codes meaning "later"
    token_codes: ClassVar[frozenset]
    later_codes: ClassVar[frozenset]

    def __init__(self, settings: PlatformSettings, store: Store, clock: Clock = utc_now) -> None:
        self.settings, self.store, self.clock = settings, store, clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # --- what each platform implements --------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, in_app: bool = False) -> str:
        """Where the browser goes to sign in (``in_app``: inside the platform's own browser)."""
        raise NotImplementedError

    def identify(self, code: str) -> Identity:
        """The person the sign-in ``code`` of the callback belongs to."""
        raise NotImplementedError

    def bridge(self) -> dict[str, str] | None:
        """What the login page hands the platform's JS API inside its own browser to get a
        sign-in code there without a click, or ``None``: the platform has no such step that the
        redirect does not do as well (or it is not configured for it)."""
        return None

    def identify_in_app(self, code: str) -> Identity:
        """The person a sign-in code from the platform's JS API belongs to (see :meth:`bridge`)."""
        raise NotImplementedError

    def departments(self) -> list[Department]:
        """Every department below the top one, parents before children."""
        raise NotImplementedError

    def members(self, department: str) -> list[Member]:
        """The people directly in ``department`` (all pages)."""
        raise NotImplementedError

    def send_notice(self, external_id: str, title: str, text: str, url: str | None, key: str) -> None:
        """Send a personal message to the platform's user ``external_id``; ``key`` is the same
        on every attempt (where the platform drops repeats, it does)."""
        raise NotImplementedError

    def fetch_token(self) -> tuple[str, int]:
        """A new app access token and how many seconds it lasts."""
        raise NotImplementedError

    def code_of(self, reply: dict[str, Any]) -> Any:
        """The platform's verdict in an answer (0: accepted)."""
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------------

    @property
    def token_key(self) -> str:
        return f"token:{self.platform}:{next(iter(self.settings.ids.values()))}"

    def token(self) -> str:
        return cached_token(self.store, self.token_key, self.fetch_token, self.clock)

    def with_token(self, call):
        """``call(token)``; when the platform says the token is invalid or expired, drop it and
        call once more with a new one (a second refusal is an error)."""
        token = self.token()
        try:
            return call(token)
        except PlatformError as error:
            if error.code not in self.token_codes:
                raise
            forget_token(self.store, self.token_key, token)
        return call(self.token())

    def request(self, method: str, url: str, *, query: dict[str, Any] | None = None,
                body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """One request; the JSON object answered, when its code is 0. Anything else raises
        :class:`PlatformError` with the platform's code."""
        if query:
            url = f"{url}?{urllib.parse.urlencode(query)}"
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        sent = {"User-Agent": f"goldsieve/{__version__}", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json; charset=utf-8"
        status, raw = self._send(urllib.request.Request(url, data=data, headers=sent, method=method))
        try:
            reply = json.loads(raw)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise PlatformError(f"{self.label}: HTTP {status}, not a JSON answer",
                                retryable=status in (429,) or status >= 500)
        code = self.code_of(reply)
        if code in (0, None) and 200 <= status < 300:
            return reply
        said = next((str(reply[k]) for k in ("errmsg", "msg", "message") if k in reply), "")
        said = " ".join(said.replace(self.settings.secret, "***").split())[:MAX_QUOTE]
        raise PlatformError(f"{self.label}: error {code if code not in (0, None) else status}: {said}",
                            code=code, retryable=code in self.later_codes or status == 429 or status >= 500)

    def _send(self, req: urllib.request.Request) -> tuple[int, bytes]:
        try:
            return exchange(req, TIMEOUT, self.label, limit=MAX_REPLY_BYTES)
        except DeliveryError as error:  # unreachable: worth another try later
            raise PlatformError(str(error), retryable=True) from None


def ident(value: Any) -> str | None:
    """A platform's id of a person or a department as goldsieve stores it: printable text both
    stores keep, at most 128 characters; ``None`` (the item is skipped) for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    value = str(value)
    return value if 0 < len(value) <= 128 and value.isprintable() and storable_text(value) else None


def text(value: Any, limit: int = 100) -> str | None:
    """A name or title from a platform as text both stores keep (no NUL, no lone surrogate),
    trimmed and at most ``limit`` characters; ``None`` for anything else."""
    if not isinstance(value, str) or not storable_text(value) or not value.strip():
        return None
    return " ".join(value.split())[:limit]


def parents_first(departments: list[Department], root: str) -> list[Department]:
    """``departments`` below ``root``, each after its parent (the top ones name no parent);
    one whose parent is not in the list hangs at the top, one in a loop is left out."""
    known = {d.id: d for d in departments if d.id != root}
    children: dict[str | None, list[Department]] = {}
    for d in known.values():
        parent = d.parent if d.parent in known else None
        children.setdefault(parent, []).append(Department(d.id, d.name, parent, d.leaders))
    out: list[Department] = []
    todo = sorted(children.get(None, []), key=lambda d: d.id, reverse=True)
    while todo:
        d = todo.pop()
        out.append(d)
        todo.extend(sorted(children.get(d.id, []), key=lambda c: c.id, reverse=True))
    return out
