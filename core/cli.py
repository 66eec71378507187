"""The ``goldsieve`` command line, built with click (the toolkit Flask's own CLI uses).

Every command turns the kernel's errors into one clear line and exit status 1; usage errors
exit 2 (click's convention, which ``goldsieve check`` shares); nothing prints a traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click


from .errors import GoldsieveError, ValidationFailed
from .store import StoreError
from .workspace import Workspace

class Cli(click.Group):
    """The top-level group; it turns the kernel's errors into ``Error: …`` lines and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ValidationFailed as error:
            for v in error.violations:
                click.echo(f"Error: {v.path or '/'}: {v.message}", err=True)
        except (GoldsieveError, StoreError) as error:
            click.echo(f"Error: {error}", err=True)
        ctx.exit(1)


cli = Cli("goldsieve", help="goldsieve: sales funnels declared in JSON, extended by plugins.")

workspace_option = click.option(
    "--workspace", "-w", "workspace", type=click.Path(file_okay=False, path_type=Path),
    envvar="GOLDSIEVE_WORKSPACE", default=".", show_default=True,
    help="The workspace folder (also GOLDSIEVE_WORKSPACE).",
)


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _runtime(workspace: Path):
    from .runtime import open_runtime

    return open_runtime(Workspace.load(workspace))


# --- funnels --------------------------------------------------------------------------------


@cli.command("templates")
@click.option("--ids", is_flag=True, help="Print only the template ids, one per line.")
def templates_command(ids: bool) -> None:
    """List the industry templates that plugins provide."""
    from .funnel import Funnel
    from .plugin_manager import make_plugin_manager, templates

    for template_id, definition in sorted(templates(make_plugin_manager()).items()):
        if ids:
            click.echo(template_id)
            continue
        funnel = Funnel(definition)
        counted = f"{len(funnel.stages)} stages ({len(funnel.open_stages())} open)"
        click.echo(f"{template_id:<12} {counted:<20} {funnel.label('en')} / {funnel.label('zh-Hans')}")
        click.echo(f"{'':<12} {' → '.join(s.id for s in funnel.stages)}")


def _template(template_id: str) -> dict:
    """The template a ``--template`` option names; a usage error listing the others if none."""
    from .plugin_manager import make_plugin_manager, templates

    available = templates(make_plugin_manager())
    if template_id not in available:
        raise click.BadParameter(
            f"unknown template {template_id!r}; choose one of: {', '.join(sorted(available))}",
            param_hint="--template",
        )
    return available[template_id]


@cli.command("init")
@click.option("--template", "-t", "template_id", default="software", show_default=True,
              help="The industry template to start from (see `goldsieve templates`).")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init_command(template_id: str, directory: Path) -> None:
    """Create a workspace in DIRECTORY from a template."""
    from .workspace import init_workspace

    init_workspace(directory, _template(template_id))
    click.echo(f"Created workspace {directory} with the {template_id} funnel.")
    click.echo(f"Next: goldsieve users add NAME --role admin --workspace {directory}")


@cli.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def check_command(paths: tuple[Path, ...], strict: bool) -> None:
    """Check funnel files (or workspace folders); none given: the current workspace.

    Prints FILE: POINTER: message for every finding. Exit 0 without errors, 1 with errors.
    """
    from .checking import check_paths

    findings, files = check_paths(list(paths) or [Path(".")])
    if not files:
        click.echo("Error: no funnel files found", err=True)
        sys.exit(2)
    errors = 0
    for path, finding in findings:
        severity = "error" if strict else finding.severity
        errors += severity == "error"
        hint = f" ({finding.hint})" if finding.hint else ""
        click.echo(f"{path}: {finding.pointer or '/'}: {severity}: {finding.message}{hint}")
    click.echo(f"checked {len(files)} funnel file{'s' if len(files) != 1 else ''}: "
               f"{errors} error{'s' if errors != 1 else ''}, {len(findings) - errors} warning"
               f"{'s' if len(findings) - errors != 1 else ''}", err=True)
    sys.exit(1 if errors else 0)


funnel = click.Group("funnel", help="Change a funnel: plan a new version, then apply it.")
cli.add_command(funnel)
funnel_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))


@funnel.command("plan")
@workspace_option
@funnel_file
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def funnel_plan(workspace: Path, file: Path, as_json: bool) -> None:
    """Show what applying FILE would change and which in-flight deals it affects.

    Exit 0 when `apply` would go ahead, 1 when it would refuse (errors, stranded deals).
    """
    import json

    from . import migration
    from .funnel_plan import render

    with _runtime(workspace) as rt:
        definition, _ = migration.read_definition(file)
        result = migration.plan(rt, definition, str(file))
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in render(result):
            click.echo(line, err=line.startswith("Error"))
    sys.exit(0 if result.ok else 1)


@funnel.command("apply")
@workspace_option
@funnel_file
@click.option("--as", "as_user", default="cli", show_default=True,
              help="The name recorded as who applied the version.")
def funnel_apply(workspace: Path, file: Path, as_user: str) -> None:
    """Record FILE as a new version, migrate in-flight deals, update funnels/.

    All in one transaction, or nothing: a plan with errors or stranded deals is refused.
    With the embedded store, stop `goldsieve serve` first (it holds the store); a server on
    PostgreSQL runs the new version from its next request on.
    """
    from . import migration
    from .funnel_plan import render

    with _runtime(workspace) as rt:
        definition, text = migration.read_definition(file)
        result = migration.apply(rt, definition, as_user, text, str(file))
    for line in render(result):
        click.echo(line)
    click.echo(f"applied version {result.to_version} of {result.funnel}; "
               f"migrated {result.in_flight if result.migrates else 0} deals")


# --- serving --------------------------------------------------------------------------------


@cli.command("serve")
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads per process.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="App processes (gunicorn); more than one needs the PostgreSQL store.")
def serve_command(workspace: Path, host: str, port: int, threads: int, workers: int) -> None:
    """Serve the workspace: one waitress process, or several gunicorn processes."""
    from .serving import serve

    serve(Workspace.load(workspace), host, port, threads, workers)


@cli.command("worker")
@workspace_option
@click.option("--once", is_flag=True, help="Run one round (scans, then due deliveries) and exit.")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds between delivery rounds.")
@click.option("--scan-interval", default=300.0, show_default=True, type=click.FloatRange(1, 86400),
              help="Seconds between scans for stale deals and overdue tasks.")
@click.option("--lease", default=300.0, show_default=True, type=click.FloatRange(1, 86400),
              help="Seconds a claimed delivery stays with this worker: if the worker dies, another "
                   "takes the delivery over after this. Keep it above the channels' timeouts.")
def worker_command(workspace: Path, once: bool, interval: float, scan_interval: float,
                   lease: float) -> None:
    """Mark stale deals and overdue tasks, and deliver the outbox (retries included)."""
    from .worker import Worker

    with _runtime(workspace) as rt:
        rt.dispatcher.lease_seconds = lease
        worker = Worker(rt, interval=interval, scan_interval=scan_interval)
        if once:
            done = worker.run_once()
            click.echo(f"{done['stale']} stale, {done['overdue']} overdue, {done['digests']} digests, "
                       f"{done['delivered']} delivered")
            return
        click.echo(f"goldsieve worker {worker.name} is running (Ctrl+C stops it)")
        try:
            worker.run_forever()
        except KeyboardInterrupt:
            pass


@cli.command("digest")
@workspace_option
@click.option("--once", is_flag=True, help="Send this week's digest now to the managers who have not had it.")
@click.option("--as", "as_user", default=None, help="Only this manager.")
@click.option("--dry-run", is_flag=True, help="Print the digests instead of sending them; write nothing.")
def digest_command(workspace: Path, once: bool, as_user: str | None, dry_run: bool) -> None:
    """The weekly digest of the managers: sent once per ISO week (the worker sends it on schedule)."""
    from .digest import build_digest, deliver, managers, reader_locale

    if once == dry_run:
        fail("say --once (send) or --dry-run (print)")
    with _runtime(workspace) as rt:
        readers = managers(rt.engine)
        if as_user is not None:
            readers = [u for u in readers if u["username"] == as_user]
            if not readers:
                fail(f"there is no active manager “{as_user}”")
        now = rt.engine.clock()
        for manager in readers:
            digest = build_digest(rt.engine, manager, now)
            channel = rt.digest_delivery.channel_for(rt.store, manager)
            also = f"also to the channel {channel}" if channel else ""
            if dry_run:
                click.echo(digest.text(reader_locale(manager, rt.digest_delivery.locale)) + "\n"
                           + (f"({also})\n" if also else ""))
            else:
                sent = deliver(rt.engine, manager, digest, now, rt.digest_delivery)
                click.echo(f"{digest.user}: {'sent' if sent else 'already sent'} {digest.week}"
                           + (f", {also}" if sent and also else ""))


@cli.command("demo")
@workspace_option
@click.option("--deals", default=300, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--template", "-t", "template_id", default="software", show_default=True,
              help="The industry template whose funnel the demo sells through (see `goldsieve templates`).")
@click.option("--no-serve", is_flag=True, help="Create the workspace, print the logins, exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo_command(workspace: Path, deals: int, seed: int, template_id: str, no_serve: bool, host: str,
                 port: int) -> None:
    """A demo workspace: users of every role and deals with nine months of history."""
    from .demo import ensure_demo, print_logins
    from .serving import serve

    _template(template_id)
    created = ensure_demo(workspace, deals=deals, seed=seed, progress=True, template=template_id)
    if not created:
        click.echo(f"Using the existing demo workspace {workspace}.")
    print_logins(workspace, url=f"http://{host}:{port}")
    if not no_serve:
        serve(Workspace.load(workspace), host, port)


# --- store ----------------------------------------------------------------------------------

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
    from .store import TABLES, open_store
    from .store.copy import copy_store
    from .store.postgres_store import PostgresStore

    ws = Workspace.load(workspace)
    if not target_url.startswith(("postgresql://", "postgres://")):
        fail(f"--to {target_url!r}: copy into a PostgreSQL store (postgresql://user@host/db)")
    if target_url == ws.store_url:
        fail("--to names the store the workspace already uses")
    with open_store(ws.store_url, ws.path) as source:
        with PostgresStore(target_url) as target:
            total = sum(source.count(table) for table in TABLES)
            with click.progressbar(length=total, label="Copying", file=sys.stderr) as bar:
                copied = copy_store(source, target, progress=bar.update)
    for table in copied:
        click.echo(f"{table.table:<16} {table.rows:>9} rows  sha256 {table.checksum}")
    click.echo(f"Copied and verified {sum(t.rows for t in copied)} rows. Now set "
               f"store = \"{target_url}\" in {ws.path / 'goldsieve.toml'}.")


# --- users ----------------------------------------------------------------------------------

users = click.Group("users", help="Manage users: roles, teams, passwords, deactivation, API tokens.")
cli.add_command(users)


def _read_password() -> str:
    """Prompt twice on a terminal; read one line (or two that must match) from a pipe."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    lines = sys.stdin.read().splitlines()
    if not lines:
        fail("no password on standard input")
    if len(lines) > 1 and lines[1] != lines[0]:
        fail("the two passwords on standard input differ")
    return lines[0]


@users.command("add")
@workspace_option
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(
    ["admin", "executive", "manager", "rep", "marketing", "after_sales"]))
@click.option("--team", default=None, help="The user's team.")
@click.option("--display-name", default=None, help="The name pages show beside the user name.")
def users_add(workspace: Path, name: str, role: str, team: str | None,
              display_name: str | None) -> None:
    """Add a user; the password is asked twice (or read from standard input).

    A password has at least 10 characters, does not contain the user name and is not a
    commonly used or easily guessed one.
    """
    from .users import add_user

    password = _read_password()
    with _runtime(workspace) as rt:
        add_user(rt.store, name, role, password, team=team, display_name=display_name)
    click.echo(f"Added {name} ({role}).")


@users.command("list")
@workspace_option
def users_list(workspace: Path) -> None:
    """List users: name, role, team, and whether they are deactivated."""
    from .users import is_active

    with _runtime(workspace) as rt:
        for user in rt.store.find("users"):
            state = "" if is_active(user) else "(deactivated)"
            click.echo(f"{user['username']:<20} {user['role']:<12} {user.get('team') or '':<16} "
                       f"{state}".rstrip())


@users.command("set")
@workspace_option
@click.argument("name")
@click.option("--role", default=None, type=click.Choice(
    ["admin", "executive", "manager", "rep", "marketing", "after_sales"]))
@click.option("--team", default=None, help="The user's team (an empty string: no team).")
@click.option("--display-name", default=None, help="The name pages show (an empty string: none).")
@click.option("--active/--inactive", default=None,
              help="Reactivate, or deactivate: no login, and their sessions and tokens end.")
def users_set(workspace: Path, name: str, role: str | None, team: str | None,
              display_name: str | None, active: bool | None) -> None:
    """Change a user's role, team, display name and/or whether they may log in.

    The last active admin can be neither demoted nor deactivated.
    """
    from .teams import UNCHANGED
    from .users import set_active, update_user

    if role is None and team is None and display_name is None and active is None:
        raise click.UsageError("say what to change: --role ROLE, --team TEAM, --display-name "
                               "NAME and/or --active/--inactive")
    with _runtime(workspace) as rt:
        user = update_user(rt.store, name, role=role,
                           team=UNCHANGED if team is None else (team or None),
                           display_name=UNCHANGED if display_name is None else display_name)
        if active is not None:
            user = set_active(rt.store, name, active)
    click.echo(f"{name}: {user['role']}, " + (f"team {user['team']}" if user.get("team") else "no team")
               + ("." if user.get("active", True) else ", deactivated."))


@users.command("password")
@workspace_option
@click.argument("name")
def users_password(workspace: Path, name: str) -> None:
    """Reset a user's password (asked twice, or read from standard input); the user's
    sessions end. The same policy as for `users add` applies."""
    from .users import set_password

    password = _read_password()
    with _runtime(workspace) as rt:
        set_password(rt.store, name, password)
    click.echo(f"New password set for {name}; their sessions have ended.")


@users.command("token")
@workspace_option
@click.argument("name")
def users_token(workspace: Path, name: str) -> None:
    """Issue a new API token for a user (printed once, as the last word)."""
    from .users import issue_token

    with _runtime(workspace) as rt:
        token = issue_token(rt.store, name)
    click.echo(f"API token for {name}: {token}")


# --- teams ----------------------------------------------------------------------------------

teams = click.Group("teams", help="Manage teams: a hierarchy, each team with a manager.")
cli.add_command(teams)


@teams.command("add")
@workspace_option
@click.argument("name")
@click.option("--parent", default=None, help="The team this one belongs to.")
@click.option("--manager", default=None, help="The user who manages the team.")
def teams_add(workspace: Path, name: str, parent: str | None, manager: str | None) -> None:
    """Add a team, optionally below a parent team and with a manager."""
    from .teams import add_team

    with _runtime(workspace) as rt:
        add_team(rt.store, name, parent=parent, manager=manager)
    click.echo(f"Added team {name}" + (f" in {parent}" if parent else "")
               + (f", managed by {manager}" if manager else "") + ".")


@teams.command("set")
@workspace_option
@click.argument("name")
@click.option("--parent", default=None, help="Move below this team (an empty string: to the top).")
@click.option("--manager", default=None, help="The new manager (an empty string: none).")
def teams_set(workspace: Path, name: str, parent: str | None, manager: str | None) -> None:
    """Change a team's parent and/or manager; a team cannot end up below itself."""
    from .teams import UNCHANGED, update_team

    if parent is None and manager is None:
        raise click.UsageError("say what to change: --parent TEAM and/or --manager USER")
    with _runtime(workspace) as rt:
        team = update_team(rt.store, name,
                           parent=UNCHANGED if parent is None else (parent or None),
                           manager=UNCHANGED if manager is None else (manager or None))
    click.echo(f"{name}: " + (f"in {team['parent']}" if team.get("parent") else "top level")
               + (f", managed by {team['manager']}." if team.get("manager") else ", no manager."))


@teams.command("list")
@workspace_option
def teams_list(workspace: Path) -> None:
    """List teams as a tree: sub-teams indented below their parent, with managers."""
    from .teams import tree

    with _runtime(workspace) as rt:
        for depth, team in tree(rt.store):
            name = "  " * depth + team["name"]
            manager = f"manager: {team['manager']}" if team.get("manager") else ""
            click.echo(f"{name:<24} {manager}".rstrip())


# --- channels -------------------------------------------------------------------------------

channels = click.Group("channels", help="The notification channels of goldsieve.toml.")
cli.add_command(channels)


def _channels(workspace: Path) -> dict:
    """The workspace's checked channels, without opening the store (a server may hold it)."""
    from .channels import load_channels
    from .plugin_manager import make_plugin_manager

    ws = Workspace.load(workspace)
    return load_channels(make_plugin_manager(modules=ws.plugin_modules, files=ws.plugin_files()),
                         ws.config)


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
    from .channels import DeliveryError, trial_message
    from .clock import utc_now

    found = _channels(workspace)
    if name not in found:
        known = ", ".join(sorted(found)) or "none are configured"
        fail(f"there is no channel {name!r} in goldsieve.toml ({known})")
    try:
        found[name].send(trial_message(name, utc_now()), timeout=timeout)
    except DeliveryError as error:
        kind = "temporary; try again later" if error.retryable else "permanent; check the configuration"
        fail(f"{error} ({kind})")
    click.echo(f"Sent a test message to {name} ({found[name].type}): accepted.")


# --- data in and out ------------------------------------------------------------------------


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
def import_command(workspace: Path, csv_file: Path, funnel_id: str, mappings: tuple[str, ...],
                   as_user: str | None, dry_run: bool, assign: bool) -> None:
    """Import deals from CSV: every row is checked first, then all are written, or none."""
    from .importer import import_csv, parse_mappings

    with _runtime(workspace) as rt:
        result = import_csv(rt, csv_file, funnel_id, parse_mappings(mappings), as_user=as_user,
                            dry_run=dry_run, progress=True, assign=assign)
    for line in result.problems:
        click.echo(line, err=True)
    if result.problems:
        fail(f"{len(result.problems)} problem(s) in {csv_file}; nothing was imported")
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {result.count} deals into {funnel_id}")


@cli.command("export")
@workspace_option
@click.option("--what", type=click.Choice(["deals", "events"]), default="deals", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--funnel", "funnel_id", default=None)
@click.option("--as", "as_user", default=None,
              help="Export only what this user may see (default: everything).")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def export_command(workspace: Path, what: str, fmt: str, funnel_id: str | None,
                   as_user: str | None, output) -> None:
    """Export deals or events as CSV or JSON lines."""
    from .exporter import export
    from .users import find_user

    with _runtime(workspace) as rt:
        user = None
        if as_user is not None:
            user = find_user(rt.store, as_user)
            if user is None:
                fail(f"there is no user {as_user!r}")
        export(rt, output, what=what, fmt=fmt, funnel_id=funnel_id, user=user)


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

    from .analytics import funnel_report
    from .analytics.windows import BadWindow, window
    from .store.filters import Everything
    from .users import find_user

    with _runtime(workspace) as rt:
        try:
            first, last = window(start, end, rt.engine.clock())
        except BadWindow as error:
            fail(str(error))
        scope = Everything()
        if as_user is not None:
            user = find_user(rt.store, as_user)
            if user is None:
                fail(f"there is no user {as_user!r}")
            scope = rt.engine.scope(user)
        found = funnel_report(rt.store, rt.funnels, funnel_id, scope, first, last, rt.engine.clock())
        click.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))


def main() -> None:
    cli.main(prog_name="goldsieve")


if __name__ == "__main__":
    main()
