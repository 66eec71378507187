"""The funnels a workspace runs, checked on load, by id and version."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from ..errors import DefinitionError, NotFound
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from .check import Finding, load_file
from .model import Funnel

Lint = Callable[[dict], list[Finding]]


def read_drafts(paths: Iterable[Path], lint: Lint | None = None) -> tuple[list[tuple[Path, dict]],
                                                                         list[DefinitionError]]:
    """Read and check funnel files: the valid drafts, and a :class:`DefinitionError` for each
    file with a definition error (warnings pass).

    The files are drafts (see :mod:`goldsieve.funnels.versions`): this checks them, the store
    decides which versions run, and the caller whether a broken draft may stop it (only when
    nothing has run yet).
    """
    drafts, broken = [], []
    for path in paths:
        definition, found = load_file(path)
        if definition is not None and not any(f.severity == "error" for f in found):
            found += lint(definition) if lint else []
        errors = [f for f in found if f.severity == "error"]
        if errors:
            broken.append(DefinitionError(str(path), errors))
        else:
            drafts.append((path, definition))
    return drafts, broken


class FunnelRegistry:
    """Every loaded version of every funnel; ``get(id)`` is the newest."""

    def __init__(self, definitions: Iterable[dict] = ()):
        self._versions: dict[tuple[str, int], Funnel] = {}
        self._latest: dict[str, Funnel] = {}
        for definition in definitions:
            self.add(definition)

    def add(self, definition: dict) -> Funnel:
        funnel = Funnel(definition)
        self._versions[(funnel.id, funnel.version)] = funnel
        latest = self._latest.get(funnel.id)
        if latest is None or funnel.version >= latest.version:
            self._latest[funnel.id] = funnel
        return funnel

    def get(self, funnel_id: str, version: int | None = None) -> Funnel:
        """The funnel at a version (the newest when ``None``); :class:`NotFound` if unknown.

        Every version a deal can be on is stored (:mod:`goldsieve.funnels.versions`); a version
        this process has not loaded yet, which another process just applied, falls back to the
        newest until the next refresh.
        """
        if version is not None and (funnel_id, version) in self._versions:
            return self._versions[(funnel_id, version)]
        try:
            return self._latest[funnel_id]
        except KeyError:
            raise NotFound(_("funnel %(id)s not found", id=funnel_id)) from None

    def versions(self, funnel_id: str) -> list[Funnel]:
        """Every loaded version of a funnel, oldest first."""
        return sorted((f for (i, _), f in self._versions.items() if i == funnel_id),
                      key=lambda f: f.version)

    def __iter__(self):
        return iter(sorted(self._latest.values(), key=lambda f: f.id))

    def __len__(self) -> int:
        return len(self._latest)
