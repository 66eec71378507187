"""``goldsieve plugins``: which plugins a workspace runs, where each came from, what it hooks."""
from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from .base import cli, workspace_option


@cli.command("plugins")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the plugins as JSON.")
@click.pass_context
def plugins_command(ctx: click.Context, workspace: Path, as_json: bool) -> None:
    """List every plugin: its name, where it came from and the hooks it implements.

    Outside a workspace (no goldsieve.toml in the current folder, and neither --workspace nor
    GOLDSIEVE_WORKSPACE given) it lists the installed plugins: the defaults and entry points.
    The store is not opened, so this works while a server runs.
    """
    import json
    from dataclasses import asdict

    from ..plugin_manager import describe_plugins, make_plugin_manager
    from ..workspace import CONFIG_NAME, Workspace

    # Only the default folder may be no workspace: a folder asked for by name must be one.
    implicit = ctx.get_parameter_source("workspace") == ParameterSource.DEFAULT
    if implicit and not (workspace / CONFIG_NAME).is_file():
        pm = make_plugin_manager()
    else:
        pm = Workspace.load(workspace).plugin_manager()
    described = describe_plugins(pm)
    if as_json:
        click.echo(json.dumps([asdict(info) for info in described], indent=2))
        return
    for number, info in enumerate(described):
        if number:
            click.echo()
        click.echo(info.name)
        click.echo(f"  from:  {info.origin.describe()}")
        if info.disabled:
            click.echo("  disabled in goldsieve.toml (disable_plugins)")
        else:
            click.echo(f"  hooks: {', '.join(info.hooks) or '(none)'}")
