"""The one run path: a scenario's Monte-Carlo ensemble, end to end, into a result file.

:func:`run_scenario` prepares the scenario (``sim.model.run.prepare``: levers, base state, the
Latin-hypercube design), streams its members chunk by chunk through the kernel, the indicators and
the target checks into a NetCDF file (``sim.results.ensemble.write_ensemble``, written atomically)
with its provenance (``sim.results.netcdf.global_attributes``), and says what it did. ``sim run``,
the workers of ``sim sweep`` and the web page's NetCDF download call it; the command line only
parses and prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sim.core.sizes import CHUNK_SIZE, default_detail
from sim.model import run as model
from sim.results import netcdf
from sim.results.ensemble import write_ensemble


@dataclass(frozen=True)
class RunResult:
    """What :func:`run_scenario` wrote: the file, the ensemble's size and seed, its output detail,
    and the seconds per stage (``sampling``, ``inputs``, ``kernel``, ``targets``, ``writing``,
    ``quantiles``; ``writer_busy`` overlaps the others)."""

    path: Path
    members: int
    seed: int
    detail: str
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)


def run_scenario(scenario, out: Path | str, *, members: int | None = None,
                 seed: int | None = None, detail: str | None = None, chunk_size: int = CHUNK_SIZE,
                 compress: bool = True, progress: Callable[[int, int], None] | None = None,
                 command: str | None = None, attrs: dict | None = None,
                 success_targets: tuple[str, ...] | None = None,
                 prepared: model.Prepared | None = None) -> RunResult:
    """Run ``scenario``'s ensemble and write it to ``out`` (NetCDF4, atomically).

    ``members``, ``seed``: default the scenario's. ``detail``: the output detail
    (``sim.core.sizes.DETAILS``; default by member count). ``progress(done, total)`` is called
    after each chunk. ``command`` goes into the file's history (default: this process's command
    line); ``attrs`` are added to the global attributes (a sweep case's hash and levers).
    ``success_targets`` adds ``success_probability``. ``prepared``: an earlier
    ``sim.model.run.prepare`` of this very scenario (the web page keeps one per session), used
    instead of preparing it again.
    """
    t0 = time.perf_counter()
    stages: dict[str, float] = {}
    prep = prepared or model.prepare(scenario, members=members, seed=seed)
    stages["sampling"] = time.perf_counter() - t0
    detail = detail or default_detail(prep.members)
    attributes = netcdf.global_attributes(scenario, prep.seed, prep.members, command=command,
                                          base=prep.base)
    attributes.update(attrs or {})
    path = write_ensemble(prep, Path(out), detail=detail, chunk_size=chunk_size, attrs=attributes,
                          progress=progress, timer=stages, compress=compress,
                          success_targets=success_targets)
    return RunResult(path=path, members=prep.members, seed=prep.seed, detail=detail,
                     seconds=time.perf_counter() - t0, stages=stages)
