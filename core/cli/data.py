"""Commands that move data: between stores, in from CSV, out as CSV or JSON, and the funnel report."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..spreadsheets import EXPORT_FORMATS
from ..workspace import Workspace
from .base import cli, encoding_option, fail, fail_on_problems, no_such_user, workspace_option, workspace_runtime
from .remote import forwarded

store_group = click.Group("store", help="Move the workspace's data between stores.")
cli.add_command(store_group)


@store_group.command("copy")
@workspace_option
@click.option("--to", "target_url", required=True, metavar="postgresql://…",
              help="The empty PostgreSQL database (or schema) to copy into.")
def store_copy(workspace: Path, target_url: str) -> None:
    """Copy every table, keeping ids, into an empty PostgreSQL store and verify it.

    Counts and a SHA-256 per table are compared after the copy. Stop the app first: the
    embedded store is owned by one process. Then set store = "<the URL>" in goldsieve.toml.
    """
    from ..store import TABLES, open_store
    from ..store.copy import copy_store
    from ..store.postgres.store import PostgresStore

    ws = Workspace.load(workspace)
    if not target_url.startswith(("postgresql://", "postgres://")):
        fail(_("--to “%(url)s”: copy into a PostgreSQL store (postgresql://user@host/db)", url=target_url))
    if target_url == ws.store_url:
        fail(_("--to names the store the workspace already uses"))
    with open_store(ws.store_url, ws.path) as source:
        with PostgresStore(target_url) as target:
            total = sum(source.count(table) for table in TABLES)
            with click.progressbar(length=total, label="Copying", file=sys.stderr) as bar:
                copied = copy_store(source, target, progress=bar.update)
    for table in copied:
        click.echo(f"{table.table:<16} {table.rows:>9} rows  sha256 {table.checksum}")
    click.echo(f"Copied and verified {sum(t.rows for t in copied)} rows. Now set "
               f"store = \"{target_url}\" in {ws.path / 'goldsieve.toml'}.")





@forwarded
@cli.command("import")
@workspace_option
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--funnel", "funnel_id", required=True)
@click.option("--map", "mappings", multiple=True, metavar="COLUMN=FIELD",
              help="Read a column into a differently named field (repeatable).")
@click.option("--as", "as_user", default=None, help="The user recorded as creator (default: first admin).")
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--assign", is_flag=True,
              help="The rows are leads: each gets its owner from the funnel's assignment rule.")
@encoding_option
def import_command(workspace: Path, csv_file: Path, funnel_id: str, mappings: tuple[str, ...],
                   as_user: str | None, dry_run: bool, assign: bool, encoding: str) -> None:
    """Import deals from CSV: every row is checked first, then all are written, or none.

    The columns are `title`, optionally `owner`, and the funnel's fields (docs/import.md)."""
    from ..deals.importing import import_csv, parse_mappings

    with workspace_runtime(workspace) as rt:
        result = import_csv(rt, csv_file, funnel_id, parse_mappings(mappings), as_user=as_user,
                            dry_run=dry_run, progress=sys.stderr.isatty(), assign=assign,
                            encoding=encoding)
    fail_on_problems(result.problems, csv_file)
    if dry_run:
        click.echo(_("would import %(count)s deals into %(funnel)s", count=result.count, funnel=funnel_id))
    else:
        click.echo(_("imported %(count)s deals into %(funnel)s", count=result.count, funnel=funnel_id))


@forwarded
@cli.command("export")
@workspace_option
@click.option("--what", type=click.Choice(["deals", "events"]), default="deals", show_default=True)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True,
              help="csv; jsonl: one JSON document per line, exactly as stored; json: the same as one array.")
@click.option("--funnel", "funnel_id", default=None)
@click.option("--as", "as_user", default=None,
              help="Export only what this user may see (default: everything).")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def export_command(workspace: Path, what: str, fmt: str, funnel_id: str | None,
                   as_user: str | None, output) -> None:
    """Export deals or events as CSV, JSON Lines or a JSON array."""
    from ..deals.exporting import export
    from ..people.users import find_user

    with workspace_runtime(workspace) as rt:
        user = None
        if as_user is not None:
            user = find_user(rt.store, as_user)
            if user is None:
                no_such_user(as_user)
        export(rt, output, what=what, fmt=fmt, funnel_id=funnel_id, user=user)


@forwarded
@cli.command("report")
@workspace_option
@click.option("--funnel", "funnel_id", required=True)
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (default: this quarter's).")
@click.option("--to", "end", default=None, help="Day after the last, YYYY-MM-DD (default: the quarter's end).")
@click.option("--as", "as_user", default=None,
              help="Count only what this user may see (default: everything).")
def report_command(workspace: Path, funnel_id: str, start: str | None, end: str | None,
                   as_user: str | None) -> None:
    """Print the funnel's numbers for a window as JSON (the same as the analytics API)."""
    import json

    from ..analytics import funnel_report
    from ..analytics.figures import funnel_report_dict
    from ..analytics.windows import BadWindow, window
    from ..people.users import find_user
    from ..store.filters import Everything

    with workspace_runtime(workspace) as rt:
        try:
            first, last = window(start, end, rt.engine.clock())
        except BadWindow as error:
            fail(str(error))
        scope = Everything()
        if as_user is not None:
            user = find_user(rt.store, as_user)
            if user is None:
                no_such_user(as_user)
            scope = rt.engine.scope(user)
        found = funnel_report(rt.store, rt.funnels, funnel_id, scope, first, last, rt.engine.clock(),
                              cache=rt.histories)
        click.echo(json.dumps(funnel_report_dict(found), ensure_ascii=False, indent=2))
