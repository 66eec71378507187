"""What every command shares: the top-level group that turns the kernel's errors into one line,
the ``--workspace`` option, and opening a workspace's runtime."""
from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, ContextManager, NoReturn

import click

from .. import locales
from ..errors import GoldsieveError, ValidationFailed, Violation
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..store.base import StoreError, StoreLocked
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..runtime import Runtime


class Cli(click.Group):
    """The top-level group; it turns the kernel's errors into ``Error: …`` lines and exit 1.

    A file the system refuses (a folder that cannot be made, a full disk) is the kernel's error
    too as far as a person is concerned: one line naming the file and the system's reason, where
    Python would print a traceback. Each message is kept to its line (a database driver's
    message may run over several).

    Messages for people are in the reader's language (:data:`goldsieve.locales.reader`):
    ``--lang`` (or ``GOLDSIEVE_LANG``), else the shell's (``LC_ALL``, ``LC_MESSAGES``, ``LANG``),
    else English. A command a running server carries out is told the same language
    (:mod:`.remote`). Every error, the kernel's and click's usage errors alike, is said by
    :func:`error_lines`.
    """

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # the group's own options (``--lang fr``) are refused before ``--lang`` is known: in the shell's
        token = locales.reader.set(locales.normalize(os.environ.get("GOLDSIEVE_LANG"))
                                   or locales.from_environment(os.environ) or "en")
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            raise OneLineUsage.of(error) from None
        finally:
            locales.reader.reset(token)

    def invoke(self, ctx: click.Context):
        chosen = ctx.params.get("lang") or locales.from_environment(os.environ)
        token = locales.reader.set(chosen or "en")
        try:
            return self._invoke(ctx)
        finally:
            locales.reader.reset(token)

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # a command's options, or one its code refuses
            raise OneLineUsage.of(error) from None
        except (GoldsieveError, StoreError, OSError) as error:
            for line in error_lines(error):
                say_error(line)
        ctx.exit(1)


class OneLineUsage(click.UsageError):
    """A usage error said on one line, in the reader's language, where click prints the usage,
    a hint and the error on four; the exit status stays click's 2."""

    @classmethod
    def of(cls, error: click.UsageError) -> click.UsageError:
        if isinstance(error, (cls, click.exceptions.NoArgsIsHelpError)):  # the latter prints help
            return error
        return cls(error_line(error_lines(error)[0]), error.ctx)

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)  # said when raised, in the reader's language


def error_lines(error: BaseException) -> list[str]:
    """What a person reads of an error, one line each, in the reader's language: a refused
    field by its title and what it allows (:func:`goldsieve.funnels.wording.line`), a usage
    error with the way to the command's help, a file the system refuses by its name."""
    from ..funnels import wording

    if isinstance(error, ValidationFailed):
        return [wording.line(v) for v in error.violations]
    if isinstance(error, click.UsageError):
        command = error.ctx.command_path if error.ctx is not None else "goldsieve"
        return [_("%(problem)s (see %(command)s --help)", problem=_usage_problem(error), command=command)]
    if isinstance(error, OSError) and not isinstance(error, StoreError):
        reason = error.strerror or str(error)
        return [f"{error.filename}: {reason}" if error.filename else reason]
    if isinstance(error, GoldsieveError):
        return [error.said()]
    return [_(str(error))]


def _range(allowed: click.IntRange | click.FloatRange) -> str:
    """What a number option allows, in words (click says ``0<=x<=65535``)."""
    low, high = allowed.min, allowed.max
    if low is not None and high is not None:
        return _("enter a number from %(low)s to %(high)s", low=low, high=high)
    if low is not None:
        return _("enter a number of at least %(low)s", low=low)
    return _("enter a number of at most %(high)s", high=high)


def _usage_problem(error: click.UsageError) -> str:
    from ..funnels import wording

    param = getattr(error, "param", None)
    hint = getattr(error, "param_hint", None) or (
        param.get_error_hint(error.ctx) if param is not None and error.ctx is not None else None)
    name = " / ".join(hint) if isinstance(hint, (list, tuple)) else (hint or "").replace("'", "")
    if isinstance(error, click.MissingParameter) and name:
        return _("%(name)s is required", name=name)
    if isinstance(error, click.NoSuchOption):
        if error.possibilities:
            return _("there is no option %(name)s; did you mean %(choices)s?", name=error.option_name,
                     choices=", ".join(sorted(error.possibilities)))
        return _("there is no option %(name)s", name=error.option_name)
    if isinstance(error, click.BadParameter) and name:
        if param is not None and isinstance(param.type, click.Choice):
            choices = Violation("", "enum", "", [str(c) for c in param.type.choices])
            return f"{name}: {wording.said(choices)}"
        if param is not None and isinstance(param.type, (click.IntRange, click.FloatRange)):
            return f"{name}: {_range(param.type)}"
        return f"{name}: {_(error.message)}"
    return _(error.format_message())


def say_error(message: str) -> None:
    """:func:`error_line` on standard error."""
    click.echo(error_line(message), err=True)


def error_line(message: str) -> str:
    """``Error: message`` in the reader's language, on one line whatever the message holds."""
    return _("Error: %(message)s", message=" ".join(message.split()))


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    chosen = locales.normalize(value)
    if chosen is None:
        raise click.BadParameter(_("“%(value)s” is not a language goldsieve speaks; choose one of "
                                   "en, zh-Hans, zh-Hant", value=value))
    return chosen


cli = Cli("goldsieve", help="goldsieve: sales funnels declared in JSON, extended by plugins.",
          params=[click.Option(["--lang"], metavar="LANGUAGE", callback=_language, envvar="GOLDSIEVE_LANG",
                               help="The language of messages: en, zh-Hans or zh-Hant (also "
                                    "GOLDSIEVE_LANG; default: the shell's LANG, else English).")])

workspace_option = click.option(
    "--workspace", "-w", "workspace", type=click.Path(file_okay=False, path_type=Path),
    envvar="GOLDSIEVE_WORKSPACE", default=".", show_default=True,
    help="The workspace folder (also GOLDSIEVE_WORKSPACE).",
)


def _encoding(ctx: click.Context, param: click.Parameter, value: str) -> str:
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(_("“%(name)s” is not an encoding (try utf-8 or gb18030)", name=value)) from None
    return value


#: ``--encoding`` of every import: a name Python knows, checked before the workspace opens.
encoding_option = click.option(
    "--encoding", default="utf-8", show_default=True, callback=_encoding,
    help="The file's encoding, e.g. gb18030 for Excel's CSV on a Chinese Windows.")


def fail_on_problems(problems: list[str], csv_file: Path) -> None:
    """An import's problems, one line each on standard error, then exit 1 when there are any."""
    for line in problems:
        click.echo(line, err=True)
    if problems:
        fail(_("%(count)s problem(s) in %(file)s; nothing was imported", count=len(problems), file=csv_file))


def fail(message: str) -> NoReturn:
    """Print ``Error: message`` and exit 1."""
    say_error(message)
    sys.exit(1)


def no_such_user(name: str) -> NoReturn:
    """Fail: ``--as`` (or another option) names a user the workspace does not have."""
    fail(_("there is no user “%(name)s”", name=name))


def workspace_runtime(workspace: Path) -> "ContextManager[Runtime]":
    """The runtime of the workspace in ``workspace`` (use it as a context manager).

    Where ``goldsieve serve`` holds the embedded store, a command marked
    :func:`goldsieve.cli.remote.forwarded` is carried out by that server instead
    (:func:`goldsieve.cli.remote.forward` exits with its status); run by the server, the
    command gets the server's own runtime, which it leaves open, with the record files loaded
    again if they changed, as before a request.
    """
    from ..runtime import open_runtime
    from . import remote

    served = remote.served_runtime()
    if served is not None:
        served.records.refresh()
        return nullcontext(served)
    try:
        return open_runtime(Workspace.load(workspace))
    except StoreLocked as error:
        if error.folder is not None:
            remote.forward(click.get_current_context(), error.folder)
        raise
