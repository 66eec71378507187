"""goldsieve: a plugin-based, low-code CRM framework for sales funnels."""
import pluggy

__version__ = "0.1.0"

#: Decorate a plugin's functions with this to implement a goldsieve hook.
hookimpl = pluggy.HookimplMarker("goldsieve")

__all__ = ["hookimpl", "__version__"]
