"""Shared fixtures: goldsieve's own suite runs on the hand-written example funnel by default."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

FUNNELS = Path(__file__).parent / "funnels"


def load_funnel(name: str) -> dict:
    return json.loads((FUNNELS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def goldsieve_funnel() -> dict:
    return load_funnel("design_example")
