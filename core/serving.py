"""Running the app under waitress, a production WSGI server that also runs on any OS.

The embedded store is owned by one process, so this serves with threads in one process;
several processes need the PostgreSQL store.
"""
from __future__ import annotations

import click
import waitress

from .workspace import Workspace


def serve(workspace: Workspace, host: str, port: int, threads: int = 8) -> None:
    from .app import create_app

    app = create_app(workspace)
    runtime = app.extensions["goldsieve"]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"goldsieve is serving {workspace.path} at http://{shown}:{port}/  (Ctrl+C stops it)")
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="goldsieve")
    finally:
        runtime.close()
