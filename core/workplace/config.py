"""``[workplace.dingtalk]``, ``[workplace.wecom]`` and ``[workplace.feishu]`` in goldsieve.toml.

Each table names the app goldsieve is registered as on that platform (an app key, a corp id, an
agent id), where its API answers (``base_url`` and the platform's other hosts, overridable so
tests and private deployments can point elsewhere), and how the org sync gives roles to new
people. The app's secret is never written in the table: ``secret_env`` names an environment
variable, ``secret_file`` a file (relative to the workspace) that holds it. A table that is wrong
stops the start with one line naming the table and the key; the secret's value is never in it.
"""
from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import GoldsieveError

#: The platforms and, for each, its identifying keys (required ones first) and its hosts.
PLATFORMS: dict[str, dict[str, Any]] = {
    "dingtalk": {"required": ("app_key",), "optional": ("agent_id", "corp_id"),
                 "hosts": {"base_url": "https://oapi.dingtalk.com", "api_url": "https://api.dingtalk.com",
                           "login_url": "https://login.dingtalk.com"}},
    "wecom": {"required": ("corp_id", "agent_id"), "optional": (),
              "hosts": {"base_url": "https://qyapi.weixin.qq.com", "oauth_url": "https://open.weixin.qq.com",
                        "login_url": "https://login.work.weixin.qq.com"}},
    "feishu": {"required": ("app_id",), "optional": ("tenant_key",),
               "hosts": {"base_url": "https://open.feishu.cn"}},
}
#: Roles the org chart may give: never ``admin``, which only an admin hands out.
SYNC_ROLES = ("executive", "manager", "rep", "marketing", "after_sales")
MAX_SECRET = 4096
MAX_SYNC_HOURS = 24 * 30
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class WorkplaceConfigError(GoldsieveError):
    """A ``[workplace.NAME]`` table is unusable; the message names the table and the key."""


@dataclass(frozen=True)
class PlatformSettings:
    """One configured platform, checked. ``secret`` is kept out of ``repr``: it is a credential."""

    platform: str
    ids: dict[str, str]
    secret: str = field(repr=False)
    hosts: dict[str, str]
    default_role: str = "rep"
    #: job title → role, and department name → role, for people the sync creates
    title_roles: dict[str, str] = field(default_factory=dict)
    department_roles: dict[str, str] = field(default_factory=dict)
    #: how often the worker syncs the org chart (``None``: only on the command line)
    sync_hours: int | None = None

    def host(self, key: str = "base_url") -> str:
        return self.hosts[key]


def load_workplace(config: Mapping[str, Any], folder: Path,
                   environ: Mapping[str, str] = os.environ) -> dict[str, PlatformSettings]:
    """The configured platforms by name, checked at start-up.

    :raises WorkplaceConfigError: naming the table and key of the first problem.
    """
    tables = config.get("workplace", {})
    if not isinstance(tables, dict):
        raise WorkplaceConfigError("goldsieve.toml: workplace must be tables: [workplace.dingtalk]")
    return {name: _platform(name, table, folder, environ) for name, table in tables.items()}


def _platform(name: str, table: Any, folder: Path, environ: Mapping[str, str]) -> PlatformSettings:
    where = f"goldsieve.toml: [workplace.{name}]"
    if name not in PLATFORMS:
        raise WorkplaceConfigError(f"{where}: no such platform; choose one of {', '.join(PLATFORMS)}")
    if not isinstance(table, dict):
        raise WorkplaceConfigError(f"{where}: must be a table")
    spec = PLATFORMS[name]
    keys = (*spec["required"], *spec["optional"])
    allowed = {*keys, *spec["hosts"], "secret_env", "secret_file", "default_role", "roles",
               "departments", "sync_hours"}
    for key in table:
        if key == "secret":
            raise WorkplaceConfigError(f"{where} secret: never write the secret in goldsieve.toml; "
                                       "name an environment variable (secret_env) or a file (secret_file)")
        if key not in allowed:
            raise WorkplaceConfigError(f"{where} {key}: unknown key; the table takes {', '.join(sorted(allowed))}")
    ids = {}
    for key in keys:
        value = table.get(key)
        if value is None and key in spec["optional"]:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _ID.match(value):
            said = "missing" if value is None else "must be the console's id (letters, digits, . _ : -)"
            raise WorkplaceConfigError(f"{where} {key}: {said}")
        ids[key] = value
    hosts = {key: _host(where, key, table.get(key, default)) for key, default in spec["hosts"].items()}
    return PlatformSettings(
        platform=name, ids=ids, secret=_secret(where, table, folder, environ), hosts=hosts,
        default_role=_role(where, "default_role", table.get("default_role", "rep")),
        title_roles=_roles(where, "roles", table.get("roles", {})),
        department_roles=_roles(where, "departments", table.get("departments", {})),
        sync_hours=_sync_hours(where, table.get("sync_hours")))


def _host(where: str, key: str, url: Any) -> str:
    parsed = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname \
            or parsed.query or parsed.fragment:
        raise WorkplaceConfigError(f"{where} {key}: must be an http:// or https:// address without a query")
    return url.rstrip("/")


def _secret(where: str, table: dict[str, Any], folder: Path, environ: Mapping[str, str]) -> str:
    """The app secret from the environment or a file: present, one line, not too long."""
    if ("secret_env" in table) == ("secret_file" in table):
        raise WorkplaceConfigError(f"{where} secret_env: give either secret_env (an environment "
                                   "variable) or secret_file (a file) holding the app secret")
    if "secret_env" in table:
        variable = table["secret_env"]
        if not isinstance(variable, str) or not environ.get(variable, "").strip():
            raise WorkplaceConfigError(f"{where} secret_env: the environment variable {variable!r} is not set")
        value = environ[variable].strip()
    else:
        name = table["secret_file"]
        if not isinstance(name, str) or not name:
            raise WorkplaceConfigError(f"{where} secret_file: must name a file")
        path = folder / name
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise WorkplaceConfigError(f"{where} secret_file: cannot read {name!r}: {reason}") from None
        if not value:
            raise WorkplaceConfigError(f"{where} secret_file: {name!r} is empty")
    if len(value) > MAX_SECRET or any(c.isspace() or not c.isprintable() for c in value):
        raise WorkplaceConfigError(f"{where}: the app secret must be one word of printable characters")
    return value


def _role(where: str, key: str, role: Any) -> str:
    if role not in SYNC_ROLES:
        raise WorkplaceConfigError(f"{where} {key}: {role!r} is not a role the org sync gives; "
                                   f"choose one of {', '.join(SYNC_ROLES)}")
    return role


def _roles(where: str, key: str, table: Any) -> dict[str, str]:
    if not isinstance(table, dict):
        raise WorkplaceConfigError(f'{where} {key}: must be a table of name = "role"')
    return {str(name): _role(where, f"{key}.{name}", role) for name, role in table.items()}


def _sync_hours(where: str, hours: Any) -> int | None:
    if hours is None:
        return None
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_SYNC_HOURS:
        raise WorkplaceConfigError(f"{where} sync_hours: a whole number of hours, 1 to {MAX_SYNC_HOURS}")
    return hours
