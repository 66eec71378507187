"""The ``goldsieve`` command line, built with click (the toolkit Flask's own CLI uses).

Every command turns the kernel's errors into one clear line and exit status 1; usage errors
exit 2 (click's convention, which ``goldsieve check`` shares); nothing prints a traceback. The
commands live in one module per family; importing them registers them on :data:`cli`.
"""
from __future__ import annotations

from . import (  # noqa: F401  (they register)
    activities,
    channels,
    customers,
    data,
    funnels,
    people,
    plugin_new,
    plugins,
    pool,
    serving,
    workplace,
)
from .base import cli

__all__ = ["cli", "main"]


def main() -> None:
    """The ``goldsieve`` console script."""
    cli.main(prog_name="goldsieve")


if __name__ == "__main__":
    main()
