"""The web interface: Flask blueprints, Jinja templates and static assets."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def start():
    runtime = current_app.extensions["goldsieve"]
    return render_template("start.html", funnels=list(runtime.funnels))
