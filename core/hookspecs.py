"""Every hook goldsieve calls, grouped by family.

Each specification is an empty function: its docstring says what a plugin receives, what it
returns, and how the results of several plugins combine. Every hook also receives ``context``,
the workspace's :class:`~goldsieve.plugin_context.PluginContext` (read-only store, configuration
with the plugin's ``[plugin.NAME]`` table, clock, translator): an implementation names it only
if it uses it, as any argument. ``docs/plugins.md`` documents each one
for plugin authors, and a test fails when a hook is missing there or has no test.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:
    from .automation.actions import Action
    from .automation.channels import Channel
    from .errors import Deny, Violation
    from .funnels.check import Finding
    from .funnels.model import Funnel, Stage
    from .plugin_context import PluginContext
    from .store import Store
    from .store.filters import Filter

hookspec = pluggy.HookspecMarker("goldsieve")


# --- start-up ------------------------------------------------------------------------------


@hookspec
def goldsieve_startup(context: PluginContext) -> None:
    """The runtime of a workspace has opened (its store, funnels and engine are ready).

    :param context: the workspace's context; read the plugin's settings
        (``context.plugin_config("NAME")``) and check them here, so a mistake stops start-up.
    Combine: every plugin's is called once per runtime (``serve``, the worker, every command
    that opens the workspace, the test fixtures); one that raises stops start-up with an error
    naming the plugin.
    """


# --- funnel ---------------------------------------------------------------------------------


@hookspec
def goldsieve_funnel_templates(context: PluginContext) -> list[dict[str, Any]]:
    """Industry templates this plugin provides, as complete funnel definitions.

    :returns: a list of funnel definitions (each with a unique ``id``).
    Combine: collected; all plugins' templates are offered, and two templates with the same id
    are an error reported at start-up.
    """


@hookspec
def goldsieve_lint_funnel(definition: dict[str, Any], context: PluginContext) -> list[Finding]:
    """Extra findings about a funnel definition that already passed validation.

    :param definition: the funnel definition as loaded from JSON.
    :returns: findings (JSON pointer, message, hint, severity ``error`` or ``warning``).
    Combine: collected; ``goldsieve check`` prints every finding and fails on any error.
    """


# --- gates ----------------------------------------------------------------------------------


@hookspec
def goldsieve_gate_check(
    funnel: Funnel, deal: dict[str, Any], target: Stage, user: dict[str, Any], context: PluginContext
) -> list[Violation]:
    """Reasons a deal may not enter a stage.

    :param funnel: the funnel version the deal is on.
    :param deal: the deal as it would be after the move, with the requested data changes applied
        (``deal["stage"]`` is still the stage it leaves); on creation the new deal, without an
        ``id`` and with ``"stage": None``.
    :param target: the stage the deal asks to enter.
    :param user: the user making the move.
    :returns: violations, each with a JSON pointer into the move request (``/data/amount``).
    Combine: collected; any violation blocks the move, and all of them are reported together.
    """


# --- events ---------------------------------------------------------------------------------


@hookspec
def goldsieve_deal_event(event: dict[str, Any], deal: dict[str, Any], funnel: Funnel,
                         context: PluginContext) -> None:
    """Observe a change after it was committed.

    :param event: the appended event (``type``, ``by``, ``at``, ``from_stage``, ``to_stage``, …).
    :param deal: the deal after the change.
    :param funnel: the funnel version the deal is on.
    Combine: every observer is called, each plugin's on its own; one that raises is logged with
    its plugin's name, and neither undoes the write nor stops the other observers.
    """


# --- automation -----------------------------------------------------------------------------


@hookspec
def goldsieve_channels(context: PluginContext) -> list[type[Channel]]:
    """Notification channel types this plugin provides, for ``[channels.NAME]`` tables.

    :returns: a list of :class:`goldsieve.automation.channels.Channel` subclasses, each with a unique
        ``type`` (what a table's ``type = "…"`` names); the class checks its table in
        ``__init__`` and builds the service's request in ``request``.
    Combine: collected; every plugin's types are offered, and two classes with the same
    ``type`` are an error at start-up.
    """


@hookspec
def goldsieve_actions(context: PluginContext) -> list[Action]:
    """Actions a funnel's automations may name in ``do``.

    :returns: a list of :class:`goldsieve.automation.actions.Action`: a ``name``, the JSON Schema of its
        parameters (the keys of the rule's action object besides ``action``, which
        ``goldsieve check`` validates), and ``run(context)``, called from the outbox after the
        triggering change was committed. Store writes go inside ``context.transaction()``, which
        marks the delivery done in the same transaction; raising retries it with backoff.
    Combine: collected into one registry; two plugins registering the same name is an error.
    """


# --- assignment -----------------------------------------------------------------------------


@hookspec(firstresult=True)
def goldsieve_assign_owner(deal: dict[str, Any], funnel: Funnel, rule: dict[str, Any],
                           store: Store, context: PluginContext) -> str | None:
    """Who should own a deal, by an assignment rule (a lead coming in, the ``assign`` action).

    :param deal: the deal (for a new lead: not yet saved, without an ``id``).
    :param funnel: the funnel version the deal is on.
    :param rule: the rule: the funnel's ``assignment`` or the ``assign`` action's parameters,
        e.g. ``{"rule": "round_robin", "team": "east"}``.
    :param store: the workspace's store, read only.
    :returns: a username, or ``None`` when this plugin does not handle the rule.
    Combine: ``firstresult``: the first plugin that answers decides (plugins registered later
    are asked first, so a workspace plugin can override the built-in rules); the kernel asks
    through :func:`goldsieve.plugin_manager.assign_owner`, so any other answer is a
    :class:`~goldsieve.errors.PluginResultError` naming the plugin.
    """


# --- permissions ----------------------------------------------------------------------------


@hookspec
def goldsieve_visibility(user: dict[str, Any], config: dict[str, Any], store: Store,
                         context: PluginContext) -> Filter | None:
    """The deals a user may see, as a filter the store runs inside its query.

    :param user: the user asking (``username``, ``role``, ``team``, …).
    :param config: the workspace configuration (``goldsieve.toml`` as a dict; ``[visibility]``
        is its ``"visibility"`` table).
    :param store: the workspace's store, to read what the rule depends on (teams, users);
        read only — never write from this hook.
    :returns: a :mod:`goldsieve.store.filters` filter over deal documents (``Eq("owner", …)``,
        ``In("owner", (…))``, ``Everything()``, …), or ``None`` for no opinion.
    Combine: every non-``None`` result is AND-ed, so a plugin can only narrow what another
    grants; when no plugin returns a filter the user sees nothing (default deny). A deal
    outside the result answers 404, exactly like one that does not exist.
    """


@hookspec
def goldsieve_permission(
    user: dict[str, Any], action: str, deal: dict[str, Any] | None, config: dict[str, Any],
    store: Store, context: PluginContext,
) -> bool | Deny | None:
    """Whether a user may do something.

    :param user: the user asking.
    :param action: one of ``create``, ``edit`` (fields, title, notes), ``move``, ``reassign``
        (give a deal an owner other than oneself), ``reopen`` (a won or lost deal),
        ``bypass_gate``, ``change_funnel``, ``manage_users``, ``intake`` (create leads that the funnel's
        assignment rule gives an owner).
    :param deal: the deal concerned, as stored (for ``create``: the new deal, not yet saved,
        without an ``id``); ``None`` for actions that concern no deal. A deal is only ever
        asked about after the user's visibility filter let them see it.
    :param config: the workspace configuration (``goldsieve.toml`` as a dict).
    :param store: the workspace's store, read only.
    :returns: ``True`` to allow, ``False`` or ``Deny(reason)`` to deny, ``None`` for no opinion.
    Combine: any ``False`` (or :class:`~goldsieve.errors.Deny`, a no with a reason the API and
    the 403 page show) wins, and at least one ``True`` is needed: with no opinion at all the
    action is denied (default deny). Any other value is a
    :class:`~goldsieve.errors.PluginResultError` naming the plugin.
    """


# --- ui -------------------------------------------------------------------------------------


@hookspec
def goldsieve_field_widgets(context: PluginContext) -> dict[str, Callable[..., str]]:
    """Form widgets this plugin adds, by name, for the funnel's ``ui.widgets`` hints.

    :returns: a mapping of widget name to a callable
        ``widget(name, value, schema, attrs) -> str | markupsafe.Markup`` that renders the
        control of one field: ``name`` is the form name to post under; ``value`` the field's JSON
        value (``None`` when absent; when a refused form is shown again, what was submitted);
        ``schema`` the field's JSON Schema; ``attrs`` the HTML attributes goldsieve would give
        the control (``id``, which the field's ``<label for>`` names, ``aria-describedby``,
        ``aria-invalid``, constraints such as ``min`` or ``maxlength``, all strings, and
        ``required`` as a bool). The result is inserted as trusted HTML, unescaped: escape
        ``value`` yourself (``markupsafe.Markup.format`` does). The control posts strings under
        ``name`` as the built-in widget of the field's type would; goldsieve parses and
        validates them. A widget that raises is logged and the built-in widget is used.
    Combine: collected into one registry; two plugins registering the same name is an error.
    """


@hookspec
def goldsieve_blueprints(context: PluginContext) -> list[Any]:
    """Flask blueprints this plugin adds to the web app.

    :returns: a list of :class:`flask.Blueprint` objects; ``create_app`` registers them after the
        built-in ones. Every view is behind the login (pages) unless marked
        :func:`goldsieve.ui.access.public`; a view taking a ``deal_id`` must read the deal with
        ``engine.get(g.user, deal_id)`` so visibility applies (a hidden deal answers 404).
    Combine: collected; every plugin's blueprints are registered, and two blueprints with the
    same name are an error at start-up.
    """
