"""Small scenarios written for a test: two provinces, a few members, the test's levers."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from sim.scenario import load_scenario

PROVINCES = ("Anhui", "Hebei")


def uniform(parameter: str, low: float, high: float) -> str:
    """The TOML table of a uniform distribution of uncertain ``parameter``."""
    return f'[uncertainty.{parameter}]\ndist = "uniform"\nlow = {low!r}\nhigh = {high!r}\n'


def tiny_scenario(name: str, body: str, seed: int, uncertainty: str = "", members: int = 4):
    """The scenario ``name`` of :data:`PROVINCES` with ``members`` members and ``seed``, the
    ``uncertainty`` tables and ``body`` (levers), written to a fresh temporary folder and loaded."""
    folder = Path(tempfile.mkdtemp(prefix=f"sim-{name}-"))
    head = (f'[scenario]\nname = "{name}"\nprovinces = {json.dumps(list(PROVINCES))}\n'
            f"members = {members}\nseed = {seed}\n")
    path = folder / f"{name}.toml"
    path.write_text(head + uncertainty + body, encoding="utf-8")
    return load_scenario(path)
