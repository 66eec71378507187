"""``goldsieve customers`` and ``goldsieve contacts``: importing and exporting them, making
customers from the deals, merging a duplicate.

Like every command module, it imports the kernel inside its commands: the records load
jsonschema and its format checkers, which ``goldsieve --help`` and the other commands do not need.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..locales import N_
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..spreadsheets import EXPORT_FORMATS
from .base import cli, encoding_option, fail_on_problems, no_such_user, workspace_option, workspace_runtime
from .remote import forwarded


@cli.group("customers")
def customers() -> None:
    """Customers: imported and exported, made from the deals' company text, merged when two are one."""


@cli.group("contacts")
def contacts() -> None:
    """Contacts of customers: imported and exported."""


def _import(workspace: Path, csv_file: Path, as_user: str | None, dry_run: bool, encoding: str,
            what: str) -> None:
    """``customers import`` and ``contacts import``: the problems, or the duplicates and a summary."""
    from ..records.importing import import_contacts, import_customers

    reader = import_customers if what == "customers" else import_contacts
    with workspace_runtime(workspace) as runtime:
        result = reader(runtime, csv_file, as_user=as_user, dry_run=dry_run, encoding=encoding)
    fail_on_problems(result.problems, csv_file)
    for line in result.duplicates:
        click.echo(line, err=True)
    summary = _(_IMPORTED[what, dry_run], count=result.count)
    if result.duplicates:
        summary = _("%(summary)s; %(count)s duplicate(s) not imported", summary=summary,
                    count=len(result.duplicates))
    click.echo(summary)


#: an import's summary, by what it imports and whether it was a dry run: each a sentence to translate
_IMPORTED = {("customers", False): N_("imported %(count)s customers"),
             ("customers", True): N_("would import %(count)s customers"),
             ("contacts", False): N_("imported %(count)s contacts"),
             ("contacts", True): N_("would import %(count)s contacts")}


def _export(workspace: Path, what: str, fmt: str, as_user: str | None, output, customer: str | None = None
            ) -> None:
    """``customers export`` and ``contacts export``: what ``--as`` may see, or everything."""
    from ..people.permissions import SYSTEM
    from ..people.users import find_user
    from ..records.exporting import export_contacts, export_customers
    from ..records.importing import find_customer

    with workspace_runtime(workspace) as runtime:
        user = None
        if as_user is not None:
            user = find_user(runtime.store, as_user) or no_such_user(as_user)
        if what == "customers":
            export_customers(runtime, output, fmt, user)
            return
        of = find_customer(runtime.customers, user or SYSTEM, customer) if customer is not None else None
        export_contacts(runtime, output, fmt, user, of)


_FILE = click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_AS_IMPORTER = click.option("--as", "as_user", default=None,
                            help="The user recorded as creator (default: first admin).")
_DRY_RUN = click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
_FORMAT = click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv",
                       show_default=True, help="csv; jsonl: one JSON document per line; json: one array.")
_AS_READER = click.option("--as", "as_user", default=None,
                          help="Export only what this user may see (default: everything).")
_OUTPUT = click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")


@forwarded
@customers.command("import")
@workspace_option
@_FILE
@_AS_IMPORTER
@_DRY_RUN
@encoding_option
def import_customers_command(workspace: Path, csv_file: Path, as_user: str | None, dry_run: bool,
                             encoding: str) -> None:
    """Import customers from CSV: every row is checked first, then all are written, or none;
    a row duplicating a customer is reported and not created (docs/import.md)."""
    _import(workspace, csv_file, as_user, dry_run, encoding, "customers")


@forwarded
@customers.command("export")
@workspace_option
@_FORMAT
@_AS_READER
@_OUTPUT
def export_customers_command(workspace: Path, fmt: str, as_user: str | None, output) -> None:
    """Export customers as CSV, JSON Lines or a JSON array."""
    _export(workspace, "customers", fmt, as_user, output)


@forwarded
@contacts.command("import")
@workspace_option
@_FILE
@_AS_IMPORTER
@_DRY_RUN
@encoding_option
def import_contacts_command(workspace: Path, csv_file: Path, as_user: str | None, dry_run: bool,
                            encoding: str) -> None:
    """Import contacts from CSV, each naming its customer by id or name in a `customer` column:
    every row is checked first, then all are written, or none (docs/import.md)."""
    _import(workspace, csv_file, as_user, dry_run, encoding, "contacts")


@forwarded
@contacts.command("export")
@workspace_option
@click.option("--customer", default=None, help="Only this customer's contacts: its id or its name.")
@_FORMAT
@_AS_READER
@_OUTPUT
def export_contacts_command(workspace: Path, customer: str | None, fmt: str, as_user: str | None,
                            output) -> None:
    """Export contacts as CSV, JSON Lines or a JSON array; a pool customer's lose their details
    for a role that may not see them."""
    _export(workspace, "contacts", fmt, as_user, output, customer)


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
        said = {"deals": len(group.deals), "name": group.name}
        if group.existing is not None:
            click.echo(_("would link %(deals)s deal(s) to customer %(id)s %(name)s", id=group.existing, **said)
                       if dry_run else _("linked %(deals)s deal(s) to customer %(id)s %(name)s",
                                         id=group.existing, **said))
        else:
            owner = group.owner or _("the pool")
            click.echo(_("would create customer %(name)s (owner %(owner)s) with %(deals)s deal(s)", owner=owner, **said)
                       if dry_run else _("created customer %(id)s %(name)s (owner %(owner)s) with %(deals)s deal(s)",
                                         id=group.customer_id, owner=owner, **said))
    counts = {"new": len(made), "existing": len(groups) - len(made), "linked": sum(len(g.deals) for g in groups)}
    click.echo(_("%(new)s customer(s) new, %(existing)s existing; %(linked)s deal(s) would be linked", **counts)
               if dry_run else _("%(new)s customer(s) new, %(existing)s existing; %(linked)s deal(s) were linked",
                                 **counts))


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
    click.echo(_("merged customer %(merged)s into customer %(id)s %(name)s", merged=merged_id,
                 id=survivor["id"], name=survivor["name"]))
