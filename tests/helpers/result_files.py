"""Small result files as the commands write them: one scenario at every output detail, as `sim run`
writes it (the ensemble writer adds the administrative targets), and a small grid sweep, as `sim
sweep` writes it. tests/conftest.py makes each once per test session and shares it read-only
(``read_only``)."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from sim.analysis.sweep import combine, part_path, run_case
from sim.model import run as model
from sim.results import ensemble, netcdf
from sim.scenario import Scenario, load_scenario
from sim.scenario.sweep import load_sweep

REPO = Path(__file__).resolve().parents[2]


def write_results(folder: Path, scenario: str, members: int, seed: int,
                  details=ensemble.DETAILS) -> dict[str, Path]:
    """{detail: path} of ``scenarios/<scenario>.toml`` run with ``members`` and ``seed``."""
    return write_scenario_results(folder, load_scenario(REPO / "scenarios" / f"{scenario}.toml"),
                                  members, seed, details)


def write_scenario_results(folder: Path, sc: Scenario, members: int, seed: int,
                           details=ensemble.DETAILS) -> dict[str, Path]:
    """{detail: path} of the scenario ``sc`` run with ``members`` and ``seed``, in chunks of 5
    members, to ``<folder>/<name>_<detail>.nc``."""
    files = {}
    for detail in details:
        prep = model.prepare(sc, members=members, seed=seed)
        attrs = netcdf.global_attributes(sc, seed, members, command=f"sim run {sc.name}")
        files[detail] = ensemble.write_ensemble(prep, folder / f"{sc.name}_{detail}.nc",
                                                detail=detail, chunk_size=5, attrs=attrs)
    return files


SWEEP = """
[sweep]
name = "tiny"
scenario = "{scenario}"
members = {members}
seed = 5
detail = "{detail}"
success = ["anhui_eaf_share_2030", "industry_peak_2030_province:Anhui"]
robust_probability = 0.5

[axes.eaf]
lever = "eaf_share"
year = 2030
values = [0.2, 0.35]
"""
PHASE_OUT_AXIS = """
[axes.phase_out]
lever = "phase_out"
sector = "iron_steel"
year = 2024
values = [0.0, 0.1, 0.2]
"""


def write_sweep(folder: Path, members: int = 8, detail: str = "summary",
                grid: bool = True) -> dict:
    """A sweep of the Anhui scenario, as `sim sweep` writes it: each case through
    ``sim.analysis.sweep.run_case``, one after the other in this process (no Dask), then
    ``sim.analysis.sweep.combine``. Two EAF floors, times three phase-outs with ``grid`` (2 x 3:
    rows and columns of the grid differ, so a figure cannot swap them unseen).
    ``{"toml": path, "combined": path, "parts": [path of each case]}``."""
    path = folder / "tiny.toml"
    text = SWEEP.format(scenario=REPO / "scenarios" / "anhui.toml", members=members, detail=detail)
    path.write_text(text + (PHASE_OUT_AXIS if grid else ""), encoding="utf-8")
    sweep = load_sweep(path)
    out = folder / "out"
    for case in sweep.cases:
        run_case(str(path), case.index, str(out))
    return dict(toml=path, combined=combine(sweep, out),
                parts=[part_path(out, case) for case in sweep.cases])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_only(request, files: Mapping) -> Mapping:
    """``files`` (name -> path, or name -> list of paths) as a read-only mapping; the files are
    made read-only and must be unchanged at the end of the session."""
    paths = [p for v in files.values() for p in (v if isinstance(v, list) else [v])]
    digests = {p: _digest(p) for p in paths}
    for p in paths:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))

    def unchanged():
        changed = [str(p) for p, d in digests.items() if not p.is_file() or _digest(p) != d]
        assert not changed, f"a test changed the shared result files {changed}; copy them first"

    request.addfinalizer(unchanged)
    return MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in files.items()})
