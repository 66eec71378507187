"""Combining the permissions hooks into the two answers the engine asks for.

``visibility`` turns every plugin's ``goldsieve_visibility`` filter into one store filter (AND,
and :class:`~goldsieve.store.filters.Nothing` when no plugin grants anything); ``allowed`` turns
the ``goldsieve_permission`` votes into yes or no (any deny wins, default deny). The runtime
hands both to the engine, which applies them to every query and every write.
"""
from __future__ import annotations

import typing
from typing import Any

import pluggy

from ..store import Store
from ..store.filters import Filter, Nothing, all_of

_FILTER_TYPES = typing.get_args(Filter)

#: The user automation acts as (the deal engine's rules, the pool's reclaiming): never a row of
#: ``users``, nobody logs in as it; it sees and may do everything, and only carries out what the
#: workspace declares.
SYSTEM: dict[str, Any] = {"username": "goldsieve", "role": "system"}


def is_system(user: dict[str, Any]) -> bool:
    """Whether ``user`` is automation's own user."""
    return user.get("role") == "system" and user.get("username") == "goldsieve"


def visibility(hook: pluggy.HookRelay, user: dict[str, Any], config: dict[str, Any],
               store: Store) -> Filter:
    """The filter of the deals ``user`` may see: every plugin's filter AND-ed; none: nothing."""
    results = hook.goldsieve_visibility(user=user, config=config, store=store)
    for result in results:
        if not isinstance(result, _FILTER_TYPES):
            raise TypeError(f"goldsieve_visibility returned {result!r}, not a store filter")
    return all_of(*results) if results else Nothing()


def allowed(hook: pluggy.HookRelay, user: dict[str, Any], action: str, deal: dict[str, Any] | None,
            config: dict[str, Any], store: Store) -> bool:
    """Whether ``user`` may do ``action`` (to ``deal``): some plugin allows, none objects."""
    votes = hook.goldsieve_permission(user=user, action=action, deal=deal, config=config,
                                      store=store)
    # pluggy drops None (no opinion); anything but True counts as a deny, so a buggy plugin
    # returning "yes" or 1 fails closed
    return bool(votes) and all(vote is True for vote in votes)
