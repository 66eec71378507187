"""The industry templates that ship with goldsieve, offered through the templates hook."""
from __future__ import annotations

import json

from goldsieve import hookimpl
from goldsieve.schemas import template_files


@hookimpl
def goldsieve_funnel_templates() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in template_files()]
