"""``goldsieve workplace``: the org chart from DingTalk, WeCom or Feishu, and linking accounts."""
from __future__ import annotations

from pathlib import Path

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from .base import cli, fail, workspace_option, workspace_runtime
from .remote import forwarded

PLATFORM = click.Choice(["dingtalk", "wecom", "feishu"])


@cli.group("workplace")
def workplace() -> None:
    """DingTalk, WeCom and Feishu: sync the org chart, link accounts to users."""


def _client(runtime, platform: str):
    client = runtime.workplace.get(platform)
    if client is None:
        fail(_("goldsieve.toml has no [workplace.%(platform)s] table (docs/workplace.md says what to put there)",
               platform=platform))
    return client


@forwarded
@workplace.command("sync")
@workspace_option
@click.argument("platform", type=PLATFORM)
@click.option("--dry-run", is_flag=True, help="Only print what would change.")
def sync_command(workspace: Path, platform: str, dry_run: bool) -> None:
    """Bring teams, team managers and users in line with the platform's departments and members:
    new people are created, people who left are deactivated, nothing is deleted."""
    from ..workplace.sync import apply, plan

    with workspace_runtime(workspace) as runtime:
        client = _client(runtime, platform)
        planned = plan(runtime.store, client)
        for line in planned.lines():
            click.echo(line)
        if dry_run:
            click.echo(_("Dry run: %(count)s change(s), nothing written.", count=len(planned.lines())))
            return
        problems = apply(runtime.store, client, planned)
        for problem in problems:
            click.echo(_("not done: %(problem)s", problem=problem), err=True)
        click.echo(_("%(count)s change(s) made.", count=len(planned.lines()) - len(problems)))
        if problems:
            raise SystemExit(1)


@forwarded
@workplace.command("link")
@workspace_option
@click.argument("username")
@click.argument("platform", type=PLATFORM)
@click.argument("account", required=False)
@click.option("--unlink", is_flag=True, help="Remove the user's link to the platform instead.")
def link_command(workspace: Path, username: str, platform: str, account: str | None, unlink: bool) -> None:
    """Link USERNAME to the platform's ACCOUNT (its user id), so that they sign in with it and
    the org sync keeps them up to date rather than creating them again."""
    from ..workplace.signin import link_account

    if unlink == (account is not None):
        fail(_("give the platform's user id (ACCOUNT) to link, or --unlink without one"))
    with workspace_runtime(workspace) as runtime:
        _client(runtime, platform)
        link_account(runtime.store, username, platform, None if unlink else account)
    click.echo(_("%(user)s unlinked from %(platform)s.", user=username, platform=platform) if unlink
               else _("%(user)s is %(platform)s account %(account)s.", user=username, platform=platform,
                      account=account))
