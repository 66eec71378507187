"""Commands for funnels: the industry templates, a new workspace, ``check``, and a new version's plan and apply."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from .base import cli, workspace_option, workspace_runtime
from .remote import forwarded


@cli.command("templates")
@click.option("--ids", is_flag=True, help="Print only the template ids, one per line.")
def templates_command(ids: bool) -> None:
    """List the industry templates that plugins provide."""
    from ..locales import localized
    from ..plugin_manager import make_plugin_manager, templates

    # read from the definitions as they are: a funnel's model compiles its schemas, which costs
    # this command more than all it prints
    for template_id, definition in sorted(templates(make_plugin_manager()).items()):
        if ids:
            click.echo(template_id)
            continue
        stages = definition["stages"]
        counted = f"{len(stages)} stages ({sum(s['kind'] == 'open' for s in stages)} open)"
        title = definition.get("title")
        click.echo(f"{template_id:<12} {counted:<20} {localized(title, 'en') or template_id} / "
                   f"{localized(title, 'zh-Hans') or template_id}")
        click.echo(f"{'':<12} {' → '.join(s['id'] for s in stages)}")


def template_named(template_id: str) -> dict:
    """The template a ``--template`` option names; a usage error listing the others if none."""
    from ..plugin_manager import make_plugin_manager, templates

    available = templates(make_plugin_manager())
    if template_id not in available:
        raise click.BadParameter(
            _("unknown template “%(name)s”; choose one of: %(choices)s", name=template_id,
              choices=", ".join(sorted(available))),
            param_hint="--template",
        )
    return available[template_id]


@cli.command("init")
@click.option("--template", "-t", "template_id", default="software", show_default=True,
              help="The industry template to start from (see `goldsieve templates`).")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init_command(template_id: str, directory: Path) -> None:
    """Create a workspace in DIRECTORY from a template."""
    from ..workspace import init_workspace

    init_workspace(directory, template_named(template_id))
    click.echo(f"Created workspace {directory} with the {template_id} funnel.")
    click.echo(f"Next: goldsieve users add NAME --role admin --workspace {directory}")


@cli.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def check_command(paths: tuple[Path, ...], strict: bool) -> None:
    """Check funnel files (or workspace folders); none given: the current workspace.

    Prints FILE: POINTER: message for every finding. Exit 0 without errors, 1 with errors.
    """
    from ..checking import check_paths
    from ..locales import N_

    findings, files = check_paths(list(paths) or [Path(".")])
    if not files:
        click.echo(_("Error: no funnel files found"), err=True)
        sys.exit(2)
    labels = {"error": _("error"), "warning": _("warning")}
    errors = 0
    for path, finding in findings:
        severity = "error" if strict else finding.severity
        errors += severity == "error"
        hint = f" ({finding.hint})" if finding.hint else ""
        click.echo(f"{path}: {finding.pointer or '/'}: {labels.get(severity, severity)}: {finding.message}{hint}")
    warnings = len(findings) - errors

    def counted(count: int, one: str, many: str) -> str:
        return _(one if count == 1 else many, count=count)

    click.echo(_("%(files)s: %(errors)s, %(warnings)s",
                 files=counted(len(files), N_("checked %(count)s file"), N_("checked %(count)s files")),
                 errors=counted(errors, N_("%(count)s error"), N_("%(count)s errors")),
                 warnings=counted(warnings, N_("%(count)s warning"), N_("%(count)s warnings"))), err=True)
    sys.exit(1 if errors else 0)


funnel = click.Group("funnel", help="Change a funnel: plan a new version, then apply it.")
cli.add_command(funnel)
funnel_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))


@forwarded
@funnel.command("plan")
@workspace_option
@funnel_file
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def funnel_plan(workspace: Path, file: Path, as_json: bool) -> None:
    """Show what applying FILE would change and which in-flight deals it affects.

    Exit 0 when `apply` would go ahead, 1 when it would refuse (errors, stranded deals).
    """
    import json

    from ..funnels import migration
    from ..funnels.plan import refusals, render

    with workspace_runtime(workspace) as rt:
        definition, _ = migration.read_definition(file)
        result = migration.plan(rt, definition, str(file))
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in render(result):
            click.echo(line)
        for line in refusals(result):
            click.echo(line, err=True)
    sys.exit(0 if result.ok else 1)


@forwarded
@funnel.command("apply")
@workspace_option
@funnel_file
@click.option("--as", "as_user", default="cli", show_default=True,
              help="The name recorded as who applied the version.")
def funnel_apply(workspace: Path, file: Path, as_user: str) -> None:
    """Record FILE as a new version, migrate in-flight deals, update funnels/.

    All in one transaction, or nothing: a plan with errors or stranded deals is refused.
    While `goldsieve serve` holds the embedded store, the server applies it and runs it at
    once; a server on PostgreSQL runs the new version from its next request on.
    """
    from ..funnels import migration
    from ..funnels.plan import render

    with workspace_runtime(workspace) as rt:
        definition, text = migration.read_definition(file)
        result = migration.apply(rt, definition, as_user, text, str(file))
    for line in render(result):
        click.echo(line)
    click.echo(f"applied version {result.to_version} of {result.funnel}; "
               f"migrated {result.in_flight if result.migrates else 0} deals")
