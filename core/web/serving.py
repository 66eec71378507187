"""Running the app: waitress (threads in one process, any OS) or gunicorn (several processes).

The embedded store is owned by one process, so it is served with threads in one process, and
the background work (stale scans, outbox deliveries) runs in a thread of that process; several
processes need the PostgreSQL store (``--workers N`` with N > 1 is refused on the embedded store
before anything starts), and their background work is left to ``goldsieve worker`` processes.
"""
from __future__ import annotations

from typing import Any

import click
import waitress

from ..automation.worker import Worker
from ..errors import GoldsieveError
from ..workspace import Workspace


class ServeError(GoldsieveError):
    """The workspace cannot be served the way asked."""


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


def serve(workspace: Workspace, host: str, port: int, threads: int = 8, workers: int = 1) -> None:
    """Serve until stopped: one waitress process, or ``workers`` gunicorn processes."""
    check_workers(workspace, workers)
    shown = f"[{host}]" if ":" in host else host
    processes = f", {workers} processes" if workers > 1 else ""
    click.echo(f"goldsieve is serving {workspace.path} at http://{shown}:{port}/{processes}  "
               "(Ctrl+C stops it)")
    if workers > 1:
        _serve_processes(workspace, host, port, threads, workers)
        return
    from .app import create_app

    app = create_app(workspace)
    runtime = app.extensions["goldsieve"]
    worker = Worker(runtime).start() if runtime.store.url.startswith("tinydb:") else None
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="goldsieve")
    finally:
        if worker is not None:
            worker.stop()
        runtime.close()


def _serve_processes(workspace: Workspace, host: str, port: int, threads: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from .app import create_app, secret_key

    secret_key(workspace.path)  # made once here, before the workers race to create it

    class Processes(BaseApplication):
        """gunicorn with goldsieve's settings; each worker builds its own app (its own
        connection pool) after the fork."""

        def load_config(self) -> None:
            settings: dict[str, Any] = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "proc_name": "goldsieve",
                "graceful_timeout": 10,
            }
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self):
            return create_app(workspace)

    Processes().run()
