"""Shared fixtures: goldsieve's own suite runs on the hand-written example funnel by default."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from goldsieve.people import users

# Passwords hashed by this suite's own processes cost scrypt's N=2^10 instead of 2^15: the suite
# hashes and checks about a thousand of them, which at the real cost was most of its time. The
# hashes keep werkzeug's format, so every check still goes through the real code path.
users.PASSWORD_METHOD = "scrypt:1024:8:1"

FUNNELS = Path(__file__).parent / "funnels"


def load_funnel(name: str) -> dict:
    return json.loads((FUNNELS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def goldsieve_funnel() -> dict:
    return load_funnel("design_example")
