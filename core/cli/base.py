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
from ..errors import GoldsieveError, ValidationFailed
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
    ``--lang``, else the shell's (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English. A
    command a running server carries out is told the same language (:mod:`.remote`).
    """

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
        except ValidationFailed as error:
            for v in error.violations:
                say_error(f"{v.path or '/'}: {v.message}")
        except (GoldsieveError, StoreError) as error:
            say_error(str(error))
        except OSError as error:
            reason = error.strerror or str(error)
            say_error(f"{error.filename}: {reason}" if error.filename else reason)
        ctx.exit(1)


def say_error(message: str) -> None:
    """``Error: message`` on standard error, on one line whatever the message holds."""
    click.echo(f"Error: {' '.join(message.split())}", err=True)


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    chosen = locales.normalize(value)
    if chosen is None:
        raise click.BadParameter(f"{value!r} is not a language goldsieve speaks; choose one of "
                                 "en, zh-Hans, zh-Hant")
    return chosen


cli = Cli("goldsieve", help="goldsieve: sales funnels declared in JSON, extended by plugins.",
          params=[click.Option(["--lang"], metavar="LANGUAGE", callback=_language,
                               help="The language of messages: en, zh-Hans or zh-Hant "
                                    "(default: the shell's LANG, else English).")])

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
        raise click.BadParameter(f"{value!r} is not an encoding (try utf-8 or gb18030)") from None
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
        fail(f"{len(problems)} problem(s) in {csv_file}; nothing was imported")


def fail(message: str) -> NoReturn:
    """Print ``Error: message`` and exit 1."""
    say_error(message)
    sys.exit(1)


def workspace_runtime(workspace: Path) -> "ContextManager[Runtime]":
    """The runtime of the workspace in ``workspace`` (use it as a context manager).

    Where ``goldsieve serve`` holds the embedded store, a command marked
    :func:`goldsieve.cli.remote.forwarded` is carried out by that server instead
    (:func:`goldsieve.cli.remote.forward` exits with its status); run by the server, the
    command gets the server's own runtime, which it leaves open.
    """
    from ..runtime import open_runtime
    from . import remote

    served = remote.served_runtime()
    if served is not None:
        return nullcontext(served)
    try:
        return open_runtime(Workspace.load(workspace))
    except StoreLocked as error:
        if error.folder is not None:
            remote.forward(click.get_current_context(), error.folder)
        raise
