"""Commands for people: users (roles, teams, passwords, deactivation, API tokens) and teams."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from .base import cli, fail, no_such_user, workspace_option, workspace_runtime
from .remote import forwarded, remember_input

users = click.Group("users", help="Manage users: roles, teams, passwords, deactivation, API tokens.")
cli.add_command(users)


def _read_password() -> str:
    """Prompt twice on a terminal; without one (a script, CI), the first line of standard input
    is the password (a second line, if any, must repeat it), so that
    ``echo 'a long passphrase' | goldsieve users add …`` works and no password is ever an
    argument that other users could read in the process list."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        lines = sys.stdin.read().splitlines()
        if not lines:
            fail(_("no password on standard input: without a terminal, the first line of standard "
                   "input is the password (echo 'a long passphrase' | goldsieve users …)"))
        if len(lines) > 1 and lines[1] != lines[0]:
            fail(_("the two passwords on standard input differ"))
        password = lines[0]
    remember_input(password + "\n")  # what a server carrying out the command reads
    return password


@forwarded
@users.command("add")
@workspace_option
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(
    ["admin", "executive", "manager", "rep", "marketing", "after_sales"]))
@click.option("--team", default=None, help="The user's team.")
@click.option("--display-name", default=None, help="The name pages show beside the user name.")
def users_add(workspace: Path, name: str, role: str, team: str | None,
              display_name: str | None) -> None:
    """Add a user; the password is asked twice on a terminal, or else is the first line of
    standard input (echo 'a long passphrase' | goldsieve users add NAME --role ROLE).

    A password has at least 10 characters, does not contain the user name and is not a
    commonly used or easily guessed one.
    """
    from ..people.users import add_user

    password = _read_password()
    with workspace_runtime(workspace) as rt:
        add_user(rt.store, name, role, password, team=team, display_name=display_name)
    click.echo(f"Added {name} ({role}).")


@forwarded
@users.command("list")
@workspace_option
def users_list(workspace: Path) -> None:
    """List users: user name, role, team, state (active or deactivated), display name."""
    from ..people.users import is_active

    with workspace_runtime(workspace) as rt:
        click.echo(f"{'user':<20} {'role':<12} {'team':<16} {'state':<12} display name")
        for user in rt.store.find("users"):
            state = "active" if is_active(user) else "deactivated"
            click.echo(f"{user['username']:<20} {user['role']:<12} {user.get('team') or '':<16} "
                       f"{state:<12} {user.get('display_name') or ''}".rstrip())


@forwarded
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
    from ..people.teams import UNCHANGED
    from ..people.users import set_active, update_user

    if role is None and team is None and display_name is None and active is None:
        raise click.UsageError(_("say what to change: --role ROLE, --team TEAM, --display-name "
                                 "NAME and/or --active/--inactive"))
    with workspace_runtime(workspace) as rt:
        user = update_user(rt.store, name, role=role,
                           team=UNCHANGED if team is None else (team or None),
                           display_name=UNCHANGED if display_name is None else display_name)
        if active is not None:
            user = set_active(rt.store, name, active)
    click.echo(f"{name}: {user['role']}, " + (f"team {user['team']}" if user.get("team") else "no team")
               + ("." if user.get("active", True) else ", deactivated."))


@forwarded
@users.command("password")
@workspace_option
@click.argument("name")
def users_password(workspace: Path, name: str) -> None:
    """Reset a user's password (asked twice, or read from standard input); the user's
    sessions end and their API tokens are revoked. The same policy as for `users add` applies."""
    from ..people.users import set_password

    password = _read_password()
    with workspace_runtime(workspace) as rt:
        set_password(rt.store, name, password)
    click.echo(f"New password set for {name}; their sessions have ended and their API tokens are revoked.")


@forwarded
@users.command("token")
@workspace_option
@click.argument("name")
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="Days the token lasts (default: [tokens] days in goldsieve.toml, else until revoked).")
@click.option("--quiet", "-q", is_flag=True,
              help="Print the token alone (also what happens when the output is not a terminal).")
def users_token(workspace: Path, name: str, days: int | None, quiet: bool) -> None:
    """Issue a new API token for a user; it is printed once. Into a pipe or a variable
    (TOKEN=$(goldsieve users token alice)) it is printed alone."""
    from ..people.users import issue_token

    with workspace_runtime(workspace) as rt:
        days = days or rt.token_days
        token = issue_token(rt.store, name, days=days, clock=rt.engine.clock)
    lasting = f" (valid for {days} days)" if days else ""
    click.echo(token if quiet or not sys.stdout.isatty() else f"API token for {name}{lasting}: {token}")


@forwarded
@users.command("hand-over")
@workspace_option
@click.argument("name")
@click.option("--to", "target", required=True, help="The user who takes everything over.")
@click.option("--as", "as_user", default=None,
              help="The admin recorded as doing it (default: the first active admin).")
@click.option("--dry-run", is_flag=True, help="Say what would move; write nothing.")
def users_hand_over(workspace: Path, name: str, target: str, as_user: str | None,
                    dry_run: bool) -> None:
    """Hand over everything of a user who leaves: their open deals, their customers and their
    open tasks (on deals the new owner can see) go to --to, each deal with its own event; won
    and lost deals stay theirs. Deactivate them afterwards with `users set NAME --inactive`."""
    from ..deals.handover import hand_over
    from ..people.users import find_user, is_active

    with workspace_runtime(workspace) as rt:
        if as_user is not None:
            actor = find_user(rt.store, as_user)
            if actor is None:
                no_such_user(as_user)
        else:
            admins = [u for u in rt.store.find("users") if u["role"] == "admin" and is_active(u)]
            if not admins:
                fail(_("there is no active admin to record as doing it; pass --as ADMIN"))
            actor = min(admins, key=lambda u: u["username"])
        result = hand_over(rt.engine, actor, name, target, dry_run=dry_run)
    counts = {"name": name, "target": target, "deals": len(result.deals), "customers": len(result.customers),
              "tasks": len(result.tasks)}
    click.echo(_("%(name)s → %(target)s: would move %(deals)s open deals, %(customers)s customers, "
                 "%(tasks)s open tasks.", **counts) if dry_run else
               _("%(name)s → %(target)s: moved %(deals)s open deals, %(customers)s customers, "
                 "%(tasks)s open tasks.", **counts))
    if result.tasks_left:
        click.echo(_("%(count)s open tasks stay with %(name)s: %(target)s cannot see their deals (tasks %(tasks)s).",
                     count=len(result.tasks_left), name=name, target=target,
                     tasks=", ".join(map(str, result.tasks_left))))
    if result.skipped:
        click.echo(_("Changed meanwhile, not moved: %(items)s; run it again.", items=", ".join(result.skipped)),
                   err=True)


teams = click.Group("teams", help="Manage teams: a hierarchy, each team with a manager.")
cli.add_command(teams)


@forwarded
@teams.command("add")
@workspace_option
@click.argument("name")
@click.option("--parent", default=None, help="The team this one belongs to.")
@click.option("--manager", default=None, help="The user who manages the team.")
def teams_add(workspace: Path, name: str, parent: str | None, manager: str | None) -> None:
    """Add a team, optionally below a parent team and with a manager."""
    from ..people.teams import add_team

    with workspace_runtime(workspace) as rt:
        add_team(rt.store, name, parent=parent, manager=manager)
    click.echo(f"Added team {name}" + (f" in {parent}" if parent else "")
               + (f", managed by {manager}" if manager else "") + ".")


@forwarded
@teams.command("set")
@workspace_option
@click.argument("name")
@click.option("--parent", default=None, help="Move below this team (an empty string: to the top).")
@click.option("--manager", default=None, help="The new manager (an empty string: none).")
def teams_set(workspace: Path, name: str, parent: str | None, manager: str | None) -> None:
    """Change a team's parent and/or manager; a team cannot end up below itself."""
    from ..people.teams import UNCHANGED, update_team

    if parent is None and manager is None:
        raise click.UsageError(_("say what to change: --parent TEAM and/or --manager USER"))
    with workspace_runtime(workspace) as rt:
        team = update_team(rt.store, name,
                           parent=UNCHANGED if parent is None else (parent or None),
                           manager=UNCHANGED if manager is None else (manager or None))
    click.echo(f"{name}: " + (f"in {team['parent']}" if team.get("parent") else "top level")
               + (f", managed by {team['manager']}." if team.get("manager") else ", no manager."))


@forwarded
@teams.command("list")
@workspace_option
def teams_list(workspace: Path) -> None:
    """List teams as a tree: sub-teams indented below their parent, with managers."""
    from ..people.teams import tree

    with workspace_runtime(workspace) as rt:
        for depth, team in tree(rt.store):
            name = "  " * depth + team["name"]
            manager = f"manager: {team['manager']}" if team.get("manager") else ""
            click.echo(f"{name:<24} {manager}".rstrip())
