"""Running the app: waitress (threads in one process, any OS) or gunicorn (several processes).

The embedded store is owned by one process, so it is served with threads in one process, and
the background work (stale scans, outbox deliveries) runs in a thread of that process; several
processes need the PostgreSQL store (``--workers N`` with N > 1 is refused on the embedded store
before anything starts), and their background work is left to ``goldsieve worker`` processes.

Serving starts in an order a reader can trust: :func:`listen` binds the port first (a port in
use or a host that does not resolve is one clear error, before the store is touched), then the
store is opened, and only then does the line saying where goldsieve is serving appear, naming
the port that was really bound. SIGINT and SIGTERM stop it cleanly whatever the process
inherited (a shell that starts a job with ``&`` leaves SIGINT ignored).
"""
from __future__ import annotations

import errno
import signal
import socket
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

import click

from ..errors import GoldsieveError
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..runtime import Runtime

#: what runs beside the app while one process serves a runtime (the command line's socket)
Alongside = Callable[["Runtime"], AbstractContextManager[Any]]


class ServeError(GoldsieveError):
    """The workspace cannot be served the way asked."""


@dataclass
class Listener:
    """Sockets bound and listening on every address of one host, all on the same port."""

    host: str
    port: int
    sockets: list[socket.socket]

    @property
    def url(self) -> str:
        return address(self.host, self.port)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()

    def __enter__(self) -> "Listener":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def address(host: str, port: int) -> str:
    """The URL a browser opens for ``host`` and ``port`` (an IPv6 address in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def listen(host: str, port: int) -> Listener:
    """Bind ``port`` (0: any free port) on every address ``host`` resolves to, and listen.

    Done before anything else, so that a port in use or a wrong host is refused with the fix
    before the store is opened, and so that the port goldsieve then names is the one bound.
    ``port`` must be 0–65535 (the command line checks it).
    """
    try:
        # no port here: getaddrinfo would quietly wrap one above 65535; bind() refuses it
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ServeError(f"the host “{host}” does not resolve ({error.strerror}): pass --host "
                         "127.0.0.1 (this machine only), --host 0.0.0.0 (every interface) or a "
                         "name this machine resolves") from None
    listener = Listener(host, port, [])
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            listener.sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address[0], listener.port, *address[2:]))
            listener.port = sock.getsockname()[1]  # port 0: the one chosen, for every address
            sock.listen()
    except OSError as error:
        listener.close()
        raise ServeError(_bind_problem(host, listener.port, error)) from None
    return listener


def _bind_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        other = port + 1 if port < 65535 else 8000
        return (f"port {port} is in use: stop the other server or pass --port {other} "
                "(--port 0 picks a free one)")
    if error.errno == errno.EACCES:
        return (f"port {port} is reserved for the system's administrator: pass a port from 1024 "
                "up (--port 8000), or serve behind a reverse proxy (docs/deploy.md)")
    if error.errno == errno.EADDRNOTAVAIL:
        return (f"{host} is not an address of this machine: pass --host 127.0.0.1 (this "
                "machine only) or --host 0.0.0.0 (every interface)")
    return f"cannot listen on {host} port {port}: {error.strerror or error}"


def check_workers(workspace: Workspace, workers: int) -> None:
    """Refuse several processes on a store only one process can own."""
    if workers > 1 and not workspace.store_url.startswith(("postgresql:", "postgres:")):
        raise ServeError(
            f"--workers {workers} needs the PostgreSQL store: this workspace uses the embedded "
            f"store ({workspace.store_url}), which one process owns (a lock file), so a second "
            "process could not open it. Serve with --workers 1 (and --threads), or move to "
            "PostgreSQL: `goldsieve store copy --to postgresql://user@host/db`, then set "
            'store = "postgresql://user@host/db" in goldsieve.toml.'
        )


def serve(workspace: Workspace, listener: Listener, threads: int = 8, workers: int = 1,
          alongside: Alongside | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> None:
    """Serve on ``listener`` until SIGINT or SIGTERM: one waitress process, or ``workers``
    gunicorn processes (call :func:`check_workers` first). Returns once everything is stopped
    and the store closed.

    ``alongside(runtime)`` is entered once one process has opened the runtime, before it
    announces itself, and left after the app stopped and before the store closes: the
    command line (a layer above) takes its commands that way. ``progress`` is told how far the
    embedded store's open has got (:func:`goldsieve.store.open_store`), for the command line to
    show.
    """
    with _stopped_by_signals():
        try:
            if workers > 1:
                _serve_processes(workspace, listener, threads, workers)
            else:
                _serve_threads(workspace, listener, threads, alongside, progress)
        except KeyboardInterrupt:
            pass  # stopped while starting: what was opened is closed on the way out


def _announce(workspace: Workspace, listener: Listener, workers: int) -> None:
    processes = f", {workers} processes" if workers > 1 else ""
    click.echo(f"goldsieve is serving {workspace.path} at {listener.url}/{processes}  "
               "(Ctrl+C stops it)")


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``KeyboardInterrupt`` in the main thread, which waitress's loop
    answers by finishing its requests and returning; installed explicitly, because Python keeps
    an inherited "ignore" for SIGINT. A second signal during the shutdown acts as the default
    one (it ends the process at once). The previous handlers come back afterwards."""
    def stop(signum: int, frame: Any) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        raise KeyboardInterrupt

    before = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _serve_threads(workspace: Workspace, listener: Listener, threads: int,
                   alongside: Alongside | None,
                   progress: Callable[[str, int, int], None] | None) -> None:
    import waitress

    from ..automation.worker import Worker
    from ..runtime import open_runtime
    from .app import create_app

    with open_runtime(workspace, progress=progress) as runtime, (alongside or (lambda _: nullcontext()))(runtime):
        server = waitress.create_server(create_app(runtime=runtime), sockets=listener.sockets,
                                        threads=threads, ident="goldsieve")
        # The reports' histories load while the server already answers: started once the app is
        # made, which the loading thread would otherwise slow to a third (it holds the GIL).
        runtime.histories.warm()
        worker = Worker(runtime).start() if runtime.store.url.startswith("tinydb:") else None
        try:
            _announce(workspace, listener, 1)
            server.run()
        finally:
            if worker is not None:
                worker.stop()


def _serve_processes(workspace: Workspace, listener: Listener, threads: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from ..runtime import open_runtime
    from .app import create_app, secret_key

    secret_key(workspace.path)  # made once here, before the workers race to create it
    with open_runtime(workspace):
        pass  # the database answers and its schema is current before any worker starts
    # gunicorn takes the bound sockets over by descriptor (and closes them when it stops)
    binds = [f"fd://{sock.detach()}" for sock in listener.sockets]

    class Processes(BaseApplication):
        """gunicorn with goldsieve's settings; each worker builds its own app (its own
        connection pool) after the fork."""

        def load_config(self) -> None:
            settings: dict[str, Any] = {
                "bind": binds,
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "proc_name": "goldsieve",
                "graceful_timeout": 10,
                "when_ready": lambda arbiter: _announce(workspace, listener, workers),
            }
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self):
            return create_app(workspace)

    Processes().run()
