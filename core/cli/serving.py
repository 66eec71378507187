"""Commands that run goldsieve: the server, the worker, the weekly digest and the demo."""
from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..workspace import Workspace
from .base import cli, fail, workspace_option, workspace_runtime
from .funnels import template_named
from .remote import commands_served, forwarded


def _host(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A host name or address, not a URL or an empty string (which would listen everywhere);
    an IPv6 address may come in brackets, as in a URL."""
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if not value.strip() or "/" in value or any(c.isspace() for c in value):
        raise click.BadParameter(_("“%(value)s” is not a host name or address: say 127.0.0.1 "
                                   "(this machine only), 0.0.0.0 (every interface) or a name", value=value))
    return value


host_option = click.option("--host", default="127.0.0.1", show_default=True, callback=_host,
                           help="The address to listen on (0.0.0.0: every interface).")
port_option = click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
                           help="The port to listen on (0: any free port, named once bound).")


#: A store with less than this to read opens in a second or two: no bar for it.
SHOW_PROGRESS_BYTES = 32 * 1024 * 1024


class OpeningProgress:
    """The bars ``serve`` shows on stderr while a large embedded store opens: reading its
    documents, then, when their index must be rebuilt (the first start after an upgrade or a
    lost index file), indexing the events. Called as the store's ``progress``."""

    def __init__(self) -> None:
        self._phase: str | None = None
        self._bar: Any = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total < SHOW_PROGRESS_BYTES:
            return
        if phase != self._phase:
            self.close()
            self._phase = phase
            label = _("Reading the store") if phase == "snapshot" else _("Indexing the events")
            self._bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@cli.command("serve")
@workspace_option
@host_option
@port_option
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads per process.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="App processes (gunicorn); more than one needs the PostgreSQL store.")
def serve_command(workspace: Path, host: str, port: int, threads: int, workers: int) -> None:
    """Serve the workspace: one waitress process, or several gunicorn processes.

    The port is bound first, then the store is opened (a large embedded store shows how far its
    open has got); the line saying where goldsieve serves comes once both are done. SIGINT (Ctrl+C) and SIGTERM stop it. On the embedded store, the
    other commands that need the store are carried out by this server meanwhile (through the
    socket data/cli.sock).
    """
    from ..web.serving import check_workers, listen, serve

    ws = Workspace.load(workspace)
    check_workers(ws, workers)
    progress = OpeningProgress()
    with listen(host, port) as listener:
        try:
            serve(ws, listener, threads, workers, alongside=commands_served, progress=progress)
        finally:
            progress.close()


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
    from ..automation.worker import Worker

    with workspace_runtime(workspace) as rt:
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


@forwarded
@cli.command("digest")
@workspace_option
@click.option("--once", is_flag=True, help="Send this week's digest now to the managers who have not had it.")
@click.option("--as", "as_user", default=None, help="Only this manager.")
@click.option("--dry-run", is_flag=True, help="Print the digests instead of sending them; write nothing.")
def digest_command(workspace: Path, once: bool, as_user: str | None, dry_run: bool) -> None:
    """The weekly digest of the managers: sent once per ISO week (the worker sends it on schedule)."""
    from ..automation.digest import build_digest, deliver, managers, reader_locale

    if once == dry_run:
        fail(_("say --once (send) or --dry-run (print)"))
    with workspace_runtime(workspace) as rt:
        readers = managers(rt.engine)
        if as_user is not None:
            readers = [u for u in readers if u["username"] == as_user]
            if not readers:
                fail(_("there is no active manager “%(name)s”", name=as_user))
        now = rt.engine.clock()
        for manager in readers:
            digest = build_digest(rt.engine, manager, now, rt.histories)
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
@host_option
@port_option
def demo_command(workspace: Path, deals: int, seed: int, template_id: str, no_serve: bool, host: str,
                 port: int) -> None:
    """A demo workspace: users of every role and deals with nine months of history.

    Unless --no-serve, the port is bound before the workspace is built, so a port in use is
    said at once.
    """
    from ..demo.builder import ensure_demo, print_logins
    from ..web.serving import address, listen, serve

    template_named(template_id)
    listener = None if no_serve else listen(host, port)
    with listener or nullcontext():
        created = ensure_demo(workspace, deals=deals, seed=seed, template=template_id,
                              progress=_("Creating demo deals"))
        if not created:
            click.echo(f"Using the existing demo workspace {workspace}.")
        print_logins(workspace, url=address(host, listener.port if listener else port))
        if listener:
            serve(Workspace.load(workspace), listener, alongside=commands_served)
