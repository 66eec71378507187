"""A workspace: ``goldsieve.toml``, ``funnels/*.json``, ``plugins/*.py`` and ``data/``."""
from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .clock import Clock, utc_now
from .errors import GoldsieveError
from .locales import say as _  # the catalogs' keyword: `make messages` extracts what it says

if TYPE_CHECKING:
    from .plugin_manager import PluginManager

CONFIG_NAME = "goldsieve.toml"
DEFAULT_CONFIG = """\
# goldsieve workspace settings
store = "tinydb:data"   # or "postgresql://user@host/db" to scale out
locale = "en"           # en, zh-Hans or zh-Hant
plugins = []            # extra plugin modules to load, by import name
disable_plugins = []    # plugins to turn off, by the names `goldsieve plugins` lists
proxies = 0             # reverse proxies in front of the app whose X-Forwarded-* are trusted

# Which deals each role sees: "own" (deals they own), "created" (deals they own or created),
# "handed" (deals they own or that were handed over to them),
# "team" (their team's and its sub-teams'), "all". Unlisted roles keep their default:
# admin and executive all, manager team, rep own, marketing created, after_sales handed
# (the deals handed over to them, and their own).
# [visibility]
# rep = "own"
# manager = "team"

# Where automation rules send notifications: one table per channel, named in the rules.
# Types: dingtalk, wecom, feishu, slack, webhook (docs/channels.md has an example of each).
# [channels.sales]
# type = "dingtalk"
# url = "https://…/robot/send?access_token=…"
# secret_env = "SALES_ROBOT_SECRET"   # the signing secret, read from the environment

# The managers' weekly digest: when (UTC), and which channel gets it besides the inbox.
# [digest]
# weekday = 1                         # 1 = Monday … 7 = Sunday
# hour = 8
# channel = "sales"                   # every manager whose team has no channel of its own
# [digest.teams]
# east = "sales"                      # team = channel: the team's manager, sub-teams included

# How long sign-ins last: a browser session ends after max_days, or after idle_hours without a
# request; an API token lasts [tokens] days (leave it out: until revoked).
# [sessions]
# max_days = 14
# idle_hours = 168
# [tokens]
# days = 90

# Business days, for the rules that count them (a stage's rot_days_business, a task action's
# business_days, [pool] reclaim_business_days): Monday to Friday in UTC unless a country's public
# holidays and make-up workdays are named.
# [calendar]
# holidays = "CN"                     # an ISO country code; subdivision = "…" for a region
# timezone = "Asia/Shanghai"          # where a day begins and ends (default UTC)

# The address people reach this workspace at: automation's messages link to the deal.
# base_url = "https://crm.example.com"

# Signing in with DingTalk, WeCom or Feishu, the org sync and personal notices (docs/workplace.md):
# the app's ids from the platform's console; its secret from the environment or a file, never here.
# [workplace.dingtalk]
# app_key = "dingxxxxxxxx"
# agent_id = "3000000001"            # for work notices
# secret_env = "DINGTALK_APP_SECRET" # or secret_file = "secrets/dingtalk"
# roles = { "销售经理" = "manager" }  # job title = role, for people the sync creates
# sync_hours = 24                    # the worker syncs the org chart this often

# A public lead form at /f/<token>: leads enter the funnel's first stage, created by `as`
# (a marketing user) and owned by whom the funnel's `assignment` rule picks.
# [forms.fair]
# funnel = "software"
# token = "a-long-random-secret"   # at least 16 characters
# as = "mark"
# fields = ["amount"]             # optional fields to ask besides the required ones
# title = "Fair: {company}"
"""

#: The values a role may have in ``[visibility]`` (read by the default permissions plugin).
VISIBILITY_SCOPES = ("own", "created", "handed", "team", "all")


class WorkspaceError(GoldsieveError):
    """The folder is not a usable workspace."""


@dataclass
class Workspace:
    path: Path
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "Workspace":
        """Open a workspace: the given folder, else ``$GOLDSIEVE_WORKSPACE``, else the cwd."""
        folder = Path(path or os.environ.get("GOLDSIEVE_WORKSPACE") or ".").resolve()
        config_file = folder / CONFIG_NAME
        if not config_file.is_file():
            raise WorkspaceError(
                _("%(folder)s is not a goldsieve workspace (no %(config)s); create one with "
                  "`goldsieve init DIR`", folder=folder, config=CONFIG_NAME)
            )
        try:
            config = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise WorkspaceError(f"{config_file}: {error}") from None
        except UnicodeDecodeError as error:
            raise WorkspaceError(f"{config_file}: not UTF-8 text ({error.reason} at byte "
                                 f"{error.start}); save it as UTF-8") from None
        check_visibility(config, config_file)
        check_disable_plugins(config, config_file)
        return cls(folder, config)

    @property
    def store_url(self) -> str:
        return str(self.config.get("store", "tinydb:data"))

    @property
    def locale(self) -> str:
        return str(self.config.get("locale", "en"))

    @property
    def plugin_modules(self) -> list[str]:
        return list(self.config.get("plugins", []))

    @property
    def disabled_plugins(self) -> list[str]:
        return list(self.config.get("disable_plugins", []))

    def plugin_manager(self, extra: Iterable[Any] = (), entry_points: bool = True,
                       clock: Clock = utc_now) -> "PluginManager":
        """The workspace's plugins: the defaults, entry points, ``plugins = […]`` modules and
        ``plugins/*.py``, less ``disable_plugins``; the one way every command, the runtime and
        ``goldsieve check`` build it, so the workspace's settings apply everywhere alike. Its
        hooks get the workspace's :class:`~goldsieve.plugin_context.PluginContext` (the runtime
        gives it the store). (Imported here: opening a workspace, as every command does, needs
        no plugins.)"""
        from .plugin_context import PluginContext
        from .plugin_manager import make_plugin_manager

        return make_plugin_manager(modules=self.plugin_modules, files=self.plugin_files(), extra=extra,
                                   entry_points=entry_points, disabled=self.disabled_plugins,
                                   context=PluginContext(self.config, clock))

    def funnel_files(self) -> list[Path]:
        return sorted((self.path / "funnels").glob("*.json"))

    def plugin_files(self) -> list[Path]:
        return sorted((self.path / "plugins").glob("*.py"))


def check_visibility(config: dict[str, Any], source: object = CONFIG_NAME) -> None:
    """Refuse a ``[visibility]`` table naming an unknown role or scope, at start-up."""
    from .people.users import ROLES

    table = config.get("visibility", {})
    if not isinstance(table, dict):
        raise WorkspaceError(f"{source}: visibility must be a table: [visibility] rep = \"own\"")
    for role, scope in table.items():
        if role not in ROLES:
            raise WorkspaceError(f"{source}: [visibility] {role}: no such role; "
                                 f"the roles are {', '.join(ROLES)}")
        if scope not in VISIBILITY_SCOPES:
            raise WorkspaceError(f"{source}: [visibility] {role} = {scope!r}: "
                                 f"choose one of {', '.join(VISIBILITY_SCOPES)}")


def check_disable_plugins(config: dict[str, Any], source: object = CONFIG_NAME) -> None:
    """Refuse a ``disable_plugins`` that is not a list of names, at start-up (which names exist
    is only known once the plugins are listed: :func:`goldsieve.plugin_manager.make_plugin_manager`)."""
    names = config.get("disable_plugins", [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise WorkspaceError(f"{source}: disable_plugins must be a list of plugin names: "
                             'disable_plugins = ["goldsieve.plugins.lint"]')


def set_store_url(workspace: Workspace, url: str) -> Workspace:
    """Point the workspace at another store (rewrites ``store = …`` in its goldsieve.toml)."""
    config = workspace.path / CONFIG_NAME
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    setting = f"store = {json.dumps(url)}\n"
    kept = [line for line in lines if not line.startswith("store = ")]
    config.write_text(setting + "".join(kept), encoding="utf-8")
    return Workspace.load(workspace.path)


def init_workspace(folder: Path, template: dict[str, Any]) -> Workspace:
    """Create a workspace with one funnel from a template; refuses a folder already in use."""
    folder = Path(folder)
    if (folder / CONFIG_NAME).exists():
        raise WorkspaceError(f"{folder} already holds a workspace")
    if folder.exists() and any(folder.iterdir()):
        raise WorkspaceError(f"{folder} is not empty")
    for sub in ("funnels", "plugins", "data"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_NAME).write_text(DEFAULT_CONFIG, encoding="utf-8")
    (folder / "funnels" / f"{template['id']}.json").write_text(
        json.dumps(template, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return Workspace.load(folder)
