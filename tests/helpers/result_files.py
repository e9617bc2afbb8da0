"""Small result files for the reviewer tools (report formats, IAMC export): one scenario written
at every output detail, as `sim run` writes it (the ensemble writer adds the administrative targets)."""

from __future__ import annotations

from pathlib import Path

from sim.model import run as model
from sim.results import ensemble, netcdf
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


def write_results(folder: Path, scenario: str, members: int, seed: int,
                  details=ensemble.DETAILS) -> dict[str, Path]:
    """{detail: path} of ``scenarios/<scenario>.toml`` run with ``members`` and ``seed``."""
    sc = load_scenario(REPO / "scenarios" / f"{scenario}.toml")
    files = {}
    for detail in details:
        prep = model.prepare(sc, members=members, seed=seed)
        attrs = netcdf.global_attributes(sc, seed, members, command=f"sim run {scenario}")
        files[detail] = ensemble.write_ensemble(prep, folder / f"{scenario}_{detail}.nc",
                                                detail=detail, chunk_size=5, attrs=attrs)
    return files


SWEEP = """
[sweep]
name = "tiny_cf"
scenario = "{scenario}"
members = {members}
seed = 5
detail = "{detail}"
success = ["anhui_eaf_share_2030"]
robust_probability = 0.5

[axes.eaf]
lever = "eaf_share"
year = 2030
values = [0.2, 0.35]
"""


def write_sweep(folder: Path, members: int = 6, detail: str = "summary") -> Path:
    """The combined file of a two-case sweep of the Anhui scenario, as `sim sweep` writes it
    (each case through ``sim.analysis.sweep.run_case``, then ``sim.analysis.sweep.combine``), without a cluster."""
    from sim.analysis.sweep import combine, run_case
    from sim.scenario.sweep import load_sweep

    path = folder / "tiny_cf.toml"
    path.write_text(SWEEP.format(scenario=REPO / "scenarios" / "anhui.toml", members=members,
                                 detail=detail), encoding="utf-8")
    sweep = load_sweep(path)
    for case in sweep.cases:
        run_case(str(path), case.index, str(folder / "out"))
    return combine(sweep, folder / "out")
