"""A workspace: ``goldsieve.toml``, ``funnels/*.json``, ``plugins/*.py`` and ``data/``."""
from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import GoldsieveError

CONFIG_NAME = "goldsieve.toml"
DEFAULT_CONFIG = """\
# goldsieve workspace settings
store = "tinydb:data"   # or "postgresql://user@host/db" to scale out
locale = "en"           # en, zh-Hans or zh-Hant
plugins = []            # extra plugin modules to load, by import name
"""


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
                f"{folder} is not a goldsieve workspace (no {CONFIG_NAME}); "
                "create one with `goldsieve init DIR`"
            )
        try:
            config = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise WorkspaceError(f"{config_file}: {error}") from None
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

    def funnel_files(self) -> list[Path]:
        return sorted((self.path / "funnels").glob("*.json"))

    def plugin_files(self) -> list[Path]:
        return sorted((self.path / "plugins").glob("*.py"))


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
