"""goldsieve: a plugin-based, low-code CRM framework for sales funnels."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

import pluggy

__version__ = "0.1.0"

#: Decorate a plugin's functions with this to implement a goldsieve hook.
hookimpl = pluggy.HookimplMarker("goldsieve")

#: Modules that plugin authors were told to import before the kernel was split into
#: subpackages, and where they live now. The old names keep importing — as the very same module
#: objects, so ``isinstance`` and monkeypatching agree — with a DeprecationWarning naming the new
#: one (docs/architecture.md has the layout).
MOVED = {
    "goldsieve.actions": "goldsieve.automation.actions",
    "goldsieve.channels": "goldsieve.automation.channels",
    "goldsieve.funnel": "goldsieve.funnels.model",
    "goldsieve.funnel_check": "goldsieve.funnels.check",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers an import of an old name in :data:`MOVED` with the module at its new place."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(self, name: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        if name not in MOVED:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} moved to {MOVED[spec.name]}; import it from there",
                      DeprecationWarning, stacklevel=2)
        module = importlib.import_module(MOVED[spec.name])
        self._specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module was loaded under its new name); only its own spec to put
        back, since the import system has just set the old name's on it."""
        module.__spec__ = self._specs.pop(module.__name__)


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())

__all__ = ["hookimpl", "__version__"]
