"""Small scenarios written for a test: two provinces, a few members, the test's levers; or a
shipped scenario with the test's levers added."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
PROVINCES = ("Anhui", "Hebei")


def shipped_variant(folder: Path, name: str, levers: str, shipped: str = "anhui"):
    """``scenarios/<shipped>.toml`` renamed ``name`` with the TOML ``levers`` appended, written to
    ``folder`` (its target catalogues linked) and loaded: the shipped scenario and the variant
    run with one seed and member count share their design (common random numbers)."""
    text = (REPO / "scenarios" / f"{shipped}.toml").read_text(encoding="utf-8")
    if not (folder / "targets").exists():
        (folder / "targets").symlink_to(REPO / "scenarios" / "targets")
    path = folder / f"{name}.toml"
    path.write_text(text.replace(f'name = "{shipped}"', f'name = "{name}"') + levers,
                    encoding="utf-8")
    return load_scenario(path)


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
