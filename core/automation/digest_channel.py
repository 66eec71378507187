"""How a manager's weekly digest is delivered beyond the inbox: to a channel chosen by team,
linking to the digest page, in the workspace's language when the manager chose none.

A sales organisation talks in group chats, one per team, and a manager's weekly numbers belong in
the group of the team they lead, where the manager is mentioned and the team can see them. So
``[digest.teams]`` maps a team to a ``[channels.NAME]``, and ``[digest] channel`` is where every
other manager's digest goes (a managers' group, say). Without either, the digest goes to the
inbox only::

    [digest]
    channel = "managers"        # any manager whose team has no channel of its own

    [digest.teams]
    east = "east_sales"         # the manager of east (and of any team below east)

A manager's team is the team they lead (``teams.manager``; of several, the first by name that
has a channel), else the team they belong to; a team without an entry takes its nearest parent's.
Channel names are checked at start-up, against the configured channels, like every other key.
Team names are not: teams live in the store and may be created after the configuration.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..people.teams import ancestors
from ..store import Store
from ..workspace import CONFIG_NAME
from .channels import page_url
from .digest import DigestConfigError, digest_section

#: The keys ``[digest]`` takes: the schedule's and the delivery's.
KEYS = ("channel", "hour", "teams", "weekday")


@dataclass(frozen=True)
class DigestDelivery:
    channel: str | None = None  #: the channel of every manager whose team has none
    teams: dict[str, str] = field(default_factory=dict)  #: team name → channel name
    link: str | None = None  #: the digest page's address, when ``base_url`` gives the workspace's
    locale: str = "en"  #: the language of a manager who chose none: the workspace's ``locale``

    @classmethod
    def from_config(cls, config: dict[str, Any], channels: Iterable[str]) -> "DigestDelivery":
        """Read ``[digest] channel`` and ``[digest.teams]``; every channel named must be configured.

        :raises DigestConfigError: naming the key, for an unknown key, a name that is not a
            string or a channel that no ``[channels.NAME]`` table defines.
        """
        section = digest_section(config)
        for key in section:
            if key not in KEYS:
                raise DigestConfigError(f"{CONFIG_NAME}: [digest] {key}: unknown key; [digest] takes "
                                        f"{', '.join(KEYS)}")
        known = sorted(channels)
        default = section.get("channel")
        if default is not None:
            _check(known, default, "[digest] channel")
        teams = section.get("teams", {})
        if not isinstance(teams, dict):
            raise DigestConfigError(f"{CONFIG_NAME}: [digest] teams: must be a table "
                                    "[digest.teams] of team = \"channel\"")
        for team, name in teams.items():
            _check(known, name, f"[digest.teams] {team}")
        return cls(default, dict(teams), page_url(config, "/digest"), str(config.get("locale", "en")))

    def channel_for(self, store: Store, manager: dict[str, Any]) -> str | None:
        """The channel ``manager``'s digest goes to, or ``None`` (the inbox only)."""
        if self.teams:
            teams = store.find("teams")
            led = sorted(t["name"] for t in teams if t.get("manager") == manager["username"])
            parents = {t["name"]: t.get("parent") for t in teams}
            for team in led + ([manager["team"]] if manager.get("team") else []):
                for above in ancestors(parents, team):
                    if above in self.teams:
                        return self.teams[above]
        return self.channel


def _check(known: list[str], name: Any, where: str) -> None:
    if not isinstance(name, str) or name not in known:
        said = ", ".join(known) if known else "none is configured"
        raise DigestConfigError(f"{CONFIG_NAME}: {where}: {name!r} is not a channel; "
                                f"name a [channels.NAME] table ({said})")
