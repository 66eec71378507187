"""``goldsieve customers``: making customers from the deals, merging a duplicate.

Like every command module, it imports the kernel inside its commands: the records load
jsonschema and its format checkers, which ``goldsieve --help`` and the other commands do not need.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from .base import cli, no_such_user, workspace_option, workspace_runtime
from .remote import forwarded


@cli.group("customers")
def customers() -> None:
    """Customers: made from the deals' company text, merged when two are one."""


@forwarded
@customers.command("from-deals")
@workspace_option
@click.option("--field", "field_name", required=True, help="The deal field naming the company, e.g. company.")
@click.option("--dry-run", is_flag=True, help="Only print what would be made and linked.")
def from_deals_command(workspace: Path, field_name: str, dry_run: bool) -> None:
    """Link the deals without a customer to one per company: an existing customer with the same
    name key, or a new one (the deals' owner when they share one, else the pool)."""
    from ..records.from_deals import customers_from_deals

    with workspace_runtime(workspace) as runtime:
        if not any(field_name in funnel.fields_schema.get("properties", {}) for funnel in runtime.funnels):
            raise click.BadParameter(_("no funnel has a field “%(name)s”", name=field_name),
                                     param_hint="--field")
        groups = customers_from_deals(runtime.customers, field_name, dry_run=dry_run)
    made = [g for g in groups if g.existing is None]
    for group in groups:
        deals = f"{len(group.deals)} deal(s)"
        if group.existing is not None:
            verb = "would link" if dry_run else "linked"
            click.echo(f"{verb} {deals} to customer {group.existing} {group.name}")
        else:
            owner = group.owner or "the pool"
            which = "would create customer" if dry_run else f"created customer {group.customer_id}"
            click.echo(f"{which} {group.name} (owner {owner}) with {deals}")
    linked = sum(len(g.deals) for g in groups)
    verb = "would be" if dry_run else "were"
    click.echo(f"{len(made)} customer(s) new, {len(groups) - len(made)} existing; "
               f"{linked} deal(s) {verb} linked")


@forwarded
@customers.command("merge")
@workspace_option
@click.argument("merged_id", type=click.IntRange(min=1))
@click.option("--into", "into", type=click.IntRange(min=1), required=True, help="The surviving customer's id.")
@click.option("--as", "as_user", default=None,
              help="Merge as this user (a manager or admin who sees both; default: goldsieve itself).")
def merge_command(workspace: Path, merged_id: int, into: int, as_user: str | None) -> None:
    """Merge customer MERGED_ID into another: its deals, contacts and keys move there."""
    from ..people.permissions import SYSTEM
    from ..people.users import find_user
    from ..records.merging import merge

    with workspace_runtime(workspace) as runtime:
        user = SYSTEM
        if as_user is not None:
            user = find_user(runtime.store, as_user) or no_such_user(as_user)
        survivor = merge(runtime.customers, user, merged_id, into)
    click.echo(f"merged customer {merged_id} into customer {survivor['id']} {survivor['name']}")
