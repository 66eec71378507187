"""The funnels a workspace runs, checked on load, by id and version."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from .errors import DefinitionError, NotFound
from .funnel import Funnel
from .funnel_check import Finding, load_file

Lint = Callable[[dict], list[Finding]]


class FunnelRegistry:
    """Every loaded version of every funnel; ``get(id)`` is the newest."""

    def __init__(self, definitions: Iterable[dict] = ()):
        self._versions: dict[tuple[str, int], Funnel] = {}
        self._latest: dict[str, Funnel] = {}
        for definition in definitions:
            self.add(definition)

    @classmethod
    def from_files(cls, paths: Iterable[Path], lint: Lint | None = None) -> "FunnelRegistry":
        """Load funnel files, refusing to start on any definition error (warnings pass)."""
        registry = cls()
        for path in paths:
            definition, found = load_file(path)
            if definition is not None and not any(f.severity == "error" for f in found):
                found += lint(definition) if lint else []
            errors = [f for f in found if f.severity == "error"]
            if errors:
                raise DefinitionError(str(path), errors)
            registry.add(definition)
        return registry

    def add(self, definition: dict) -> Funnel:
        funnel = Funnel(definition)
        self._versions[(funnel.id, funnel.version)] = funnel
        latest = self._latest.get(funnel.id)
        if latest is None or funnel.version >= latest.version:
            self._latest[funnel.id] = funnel
        return funnel

    def get(self, funnel_id: str, version: int | None = None) -> Funnel:
        """The funnel at a version (the newest when ``None``); :class:`NotFound` if unknown.

        A deal on a version this process has not loaded runs on the newest version: versioned
        archives and migrations are the funnel-versions feature's job.
        """
        if version is not None and (funnel_id, version) in self._versions:
            return self._versions[(funnel_id, version)]
        try:
            return self._latest[funnel_id]
        except KeyError:
            raise NotFound(f"funnel {funnel_id} not found") from None

    def __iter__(self):
        return iter(sorted(self._latest.values(), key=lambda f: f.id))

    def __len__(self) -> int:
        return len(self._latest)
