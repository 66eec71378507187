"""``goldsieve pool``: the customer pool (公海) from the command line."""
from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from .base import cli, fail, workspace_option, workspace_runtime
from .remote import forwarded


@cli.group("pool")
def pool() -> None:
    """The customer pool: customers nobody owns."""


@forwarded
@pool.command("reclaim")
@workspace_option
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Count idle days up to this day (UTC midnight) instead of now.")
@click.option("--dry-run", is_flag=True, help="Only print what would go back to the pool.")
def reclaim_command(workspace: Path, as_of: datetime | None, dry_run: bool) -> None:
    """Send owned customers idle for [pool] reclaim_days back to the pool and tell their owners."""
    from ..records.pool import reclaim

    with workspace_runtime(workspace) as runtime:
        customers = runtime.customers
        if customers.pool.reclaim_days is None:
            fail(_("[pool] reclaim_days is not set in goldsieve.toml: nothing is ever reclaimed"))
        now = (datetime.combine(as_of.date(), time(), timezone.utc) if as_of
               else runtime.engine.clock())
        done = reclaim(customers, now, dry_run=dry_run)
        for customer in done:
            said = {"id": customer["id"], "name": customer["name"], "owner": customer["owner"],
                    "at": customer["last_activity_at"]}
            click.echo(_("would reclaim customer %(id)s %(name)s from %(owner)s (last activity %(at)s)", **said)
                       if dry_run else
                       _("reclaimed customer %(id)s %(name)s from %(owner)s (last activity %(at)s)", **said))
        click.echo(_("%(count)s customer(s) would be reclaimed", count=len(done)) if dry_run
                   else _("%(count)s customer(s) reclaimed", count=len(done)))
