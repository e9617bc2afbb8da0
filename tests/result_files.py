"""Small result files for the reviewer tools (report formats, IAMC export): one scenario written
at every output detail, as `sim run` writes it (the ensemble writer adds the administrative targets)."""

from __future__ import annotations

from pathlib import Path

from sim import ensemble, io, model
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent


def write_results(folder: Path, scenario: str, members: int, seed: int,
                  details=ensemble.DETAILS) -> dict[str, Path]:
    """{detail: path} of ``scenarios/<scenario>.toml`` run with ``members`` and ``seed``."""
    sc = load_scenario(REPO / "scenarios" / f"{scenario}.toml")
    files = {}
    for detail in details:
        prep = model.prepare(sc, members=members, seed=seed)
        attrs = io.global_attributes(sc, seed, members, command=f"sim run {scenario}")
        files[detail] = ensemble.write_ensemble(prep, folder / f"{scenario}_{detail}.nc",
                                                detail=detail, chunk_size=5, attrs=attrs)
    return files
