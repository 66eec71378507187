"""Commands for the notification channels of ``goldsieve.toml``: list them, send a test message."""
from __future__ import annotations

from pathlib import Path

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..workspace import Workspace
from .base import cli, fail, workspace_option

channels = click.Group("channels", help="The notification channels of goldsieve.toml.")
cli.add_command(channels)


def _channels(workspace: Path) -> dict:
    """The workspace's checked channels, without opening the store (a server may hold it)."""
    from ..automation.channels import load_channels

    ws = Workspace.load(workspace)
    return load_channels(ws.plugin_manager(), ws.config)


@channels.command("list")
@workspace_option
def channels_list(workspace: Path) -> None:
    """List the configured channels and their types (never their addresses: they are secret)."""
    for name, channel in sorted(_channels(workspace).items()):
        click.echo(f"{name:<20} {channel.type}")


@channels.command("test")
@workspace_option
@click.argument("name")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 120),
              help="Seconds to wait for the service's answer.")
def channels_test(workspace: Path, name: str, timeout: float) -> None:
    """Send a test message to the channel NAME and say whether the service accepted it."""
    from ..automation.channels import DeliveryError, trial_message
    from ..clock import utc_now

    found = _channels(workspace)
    if name not in found:
        known = ", ".join(sorted(found)) or _("none are configured")
        fail(_("there is no channel “%(name)s” in goldsieve.toml (%(known)s)", name=name, known=known))
    try:
        found[name].send(trial_message(name, utc_now()), timeout=timeout)
    except DeliveryError as error:
        kind = _("temporary; try again later") if error.retryable else _("permanent; check the configuration")
        fail(f"{error} ({kind})")
    click.echo(f"Sent a test message to {name} ({found[name].type}): accepted.")
