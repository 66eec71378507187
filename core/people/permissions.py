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

from ..errors import Deny, Forbidden
from ..locales import N_, Words
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


#: What each action is called in a refusal ("ann may not *move* deal 7"); an action a plugin
#: asks about that is not listed is said by its name.
ACTION_WORDS = {"create": N_("create"), "edit": N_("edit"), "move": N_("move"),
                "reassign": N_("reassign"), "reopen": N_("reopen"), "bypass_gate": N_("bypass the gates of"),
                "change_funnel": N_("change the funnel of"), "manage_users": N_("manage users for"),
                "intake": N_("take in"), "edit_customer": N_("change"), "merge_customer": N_("merge")}


def refusal(user: dict[str, Any], action: str, what: Words, verdict: bool | Deny = False) -> Forbidden:
    """The :class:`Forbidden` of a no: "ann may not edit deal 7" in words every reader's language
    has (the API's English, the command line's), with the plugin's :class:`Deny` when it gave one."""
    named = Words(ACTION_WORDS[action]) if action in ACTION_WORDS else action.replace("_", " ")
    return denied(Words(N_("%(user)s may not %(action)s %(what)s"), user=user.get("username"), action=named,
                        what=what), verdict)


def denied(words: Words, *verdicts: bool | Deny) -> Forbidden:
    """A :class:`Forbidden` said in ``words``, carrying the first plugin :class:`Deny` among the
    ``verdicts`` that refused, so its reason reaches the API's 403 and the 403 page."""
    return Forbidden.worded(words, next((v for v in verdicts if isinstance(v, Deny)), None))
