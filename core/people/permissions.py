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

from ..errors import Deny
from ..plugin_manager import collect
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


def visibility(pm: pluggy.PluginManager, user: dict[str, Any], config: dict[str, Any],
               store: Store) -> Filter:
    """The filter of the deals ``user`` may see: every plugin's filter AND-ed; none: nothing."""
    results = collect(pm, "goldsieve_visibility", "a store filter (goldsieve.store.filters) or None",
                      lambda answer: isinstance(answer, _FILTER_TYPES), user=user, config=config, store=store)
    return all_of(*results) if results else Nothing()


def allowed(pm: pluggy.PluginManager, user: dict[str, Any], action: str, deal: dict[str, Any] | None,
            config: dict[str, Any], store: Store) -> bool | Deny:
    """Whether ``user`` may do ``action`` (to ``deal``): some plugin allows, none objects.

    A plugin's :class:`~goldsieve.errors.Deny` is the answer when there is one (it is false, and
    says why). A vote other than ``True``, ``False``, ``None`` or a ``Deny`` (``"yes"``, ``1``)
    is a plugin's mistake: a :class:`~goldsieve.errors.PluginResultError` naming it, so nothing
    is done on a guess.
    """
    votes = collect(pm, "goldsieve_permission", "True, False, None or Deny(reason)",
                    lambda answer: isinstance(answer, (bool, Deny)), user=user, action=action, deal=deal,
                    config=config, store=store)
    denial = next((vote for vote in votes if isinstance(vote, Deny)), None)
    return denial if denial is not None else bool(votes) and all(votes)
