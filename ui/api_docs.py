"""``/api/docs``: the OpenAPI document as a browsable reference with "try it out".

Swagger UI comes from npm (``ui/package.json``, copied to ``static/vendor`` by ``make assets``)
and runs under the app's own Content-Security-Policy: no CDN, no inline script. The page is
public like the document it renders; trying an operation needs an API token (``goldsieve users
token NAME``), given through the page's Authorize button, as every API client gives it.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from .access import public

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
@public
def reference():
    return render_template("api/docs.html")
