"""Running the app under waitress, a production WSGI server that also runs on any OS.

The embedded store is owned by one process, so this serves with threads in one process;
several processes need the PostgreSQL store. The background work (stale scans, outbox
deliveries) runs in a thread of the same process on the embedded store; with PostgreSQL it is
left to ``goldsieve worker`` processes.
"""
from __future__ import annotations

import click
import waitress

from .worker import Worker
from .workspace import Workspace


def serve(workspace: Workspace, host: str, port: int, threads: int = 8) -> None:
    from .app import create_app

    app = create_app(workspace)
    runtime = app.extensions["goldsieve"]
    worker = Worker(runtime).start() if runtime.store.url.startswith("tinydb:") else None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"goldsieve is serving {workspace.path} at http://{shown}:{port}/  (Ctrl+C stops it)")
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="goldsieve")
    finally:
        if worker is not None:
            worker.stop()
        runtime.close()
