"""Policy sweeps: the lever sets of a sweep file (``sim.scenario.sweep``), each with its own
Monte-Carlo ensemble, run on Dask (``sim.analysis.cluster``), resumably.

Each case is written atomically to ``outputs/<sweep>/parts/case-NNNNN.nc`` with a hash of
everything that determines it (base scenario and catalogue texts, the case's lever points,
members, seed, detail, success targets, code version) in its attributes; a rerun skips the parts
whose stored hash matches, so an interrupted sweep loses only the cases in flight. The parts are
combined into ``outputs/<sweep>/<sweep>.nc`` with a ``case`` dimension and the lever values as
coordinates ``lever_<axis>(case)``. The report of a combined file is ``sim.analysis.report``'s.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import netCDF4
import numba
import numpy as np
import xarray as xr

from sim.core import files
from sim.core.levers import LEVERS
from sim.core.variables import COORDINATES
from sim.results import netcdf
from sim.results.run import run_scenario
from sim.scenario.sweep import Case, Sweep, load_sweep


def part_path(out_dir: Path, case: Case) -> Path:
    """Path of the part file of ``case``: ``<out_dir>/parts/case-NNNNN.nc``."""
    return out_dir / "parts" / f"case-{case.index:05d}.nc"


def is_done(path: Path, case: Case) -> bool:
    """A finished part of this very case (same inputs, same code version)."""
    if not path.is_file():
        return False
    try:
        with netCDF4.Dataset(path) as nc:
            return getattr(nc, "case_hash", None) == case.hash
    except OSError:
        return False


def run_case(sweep_path: str, index: int, out_dir: str, numba_threads: int = 1) -> dict:
    """Run one case and write its part (executed on a Dask worker; ``sim.results.run.run_scenario``,
    the one run path). Returns a small record."""
    t0 = time.perf_counter()
    numba.set_num_threads(max(1, min(numba_threads, numba.config.NUMBA_NUM_THREADS)))
    sweep = load_sweep_cached(sweep_path)
    case = sweep.cases[index]
    path = part_path(Path(out_dir), case)
    run_scenario(sweep.case_scenario(case), path, members=sweep.members, seed=sweep.seed,
                 detail=sweep.detail, command=f"sim sweep {sweep.path} (case {index})",
                 attrs=dict(case_hash=case.hash, case_index=np.int64(index),
                            case_levers=json.dumps(case.levers), sweep_name=sweep.name),
                 success_targets=sweep.success or None)
    return dict(index=index, seconds=time.perf_counter() - t0, path=str(path))


_CACHE: dict[str, tuple[float, Sweep]] = {}


def load_sweep_cached(path: str) -> Sweep:
    """Per-process cache (workers run many cases of one sweep), invalidated by the file's mtime."""
    mtime = os.path.getmtime(path)
    hit = _CACHE.get(path)
    if hit is None or hit[0] != mtime:
        _CACHE[path] = (mtime, load_sweep(path))
    return _CACHE[path][1]


@dataclass
class SweepResult:
    """What a sweep did: cases computed, skipped (already done) and failed (index -> message),
    and the combined file (None when a case failed)."""

    computed: list[int]
    skipped: list[int]
    failed: dict[int, str]  # case index -> error message
    combined: Path | None


def run_sweep(sweep: Sweep, client, out_dir: Path,
              progress: Callable[[int, int, int], None] | None = None,
              numba_threads: int = 1) -> SweepResult:
    """Submit the unfinished cases to ``client`` (a dask.distributed Client), collect, combine."""
    from distributed import as_completed

    out_dir = Path(out_dir)
    (out_dir / "parts").mkdir(parents=True, exist_ok=True)
    remove_leftovers(sweep, out_dir)
    todo = [c for c in sweep.cases if not is_done(part_path(out_dir, c), c)]
    skipped = sorted(set(range(len(sweep.cases))) - {c.index for c in todo})
    attempt = uuid.uuid4().hex[:8]  # a retried case must not find the failed task by its key
    futures = {client.submit(run_case, str(sweep.path.resolve()), c.index, str(out_dir.resolve()),
                             numba_threads, key=f"sim-case-{sweep.name}-{c.index}-{attempt}",
                             pure=False): c for c in todo}
    computed, failed = [], {}
    done = 0
    for fut in as_completed(futures):
        case = futures[fut]
        try:
            fut.result()
            computed.append(case.index)
        except Exception as e:  # a failing case is reported, the others go on
            failed[case.index] = f"{type(e).__name__}: {e}"
        done += 1
        if progress is not None:
            progress(done + len(skipped), len(sweep.cases), len(failed))
    combined = None
    if not failed:
        combined = combine(sweep, out_dir)
    return SweepResult(sorted(computed), skipped, failed, combined)


def remove_leftovers(sweep: Sweep, out_dir: Path) -> list[Path]:
    """Remove the temporary files of this sweep's parts and combined file that dead processes of
    this host left (a killed sweep or worker; ``sim.core.files.stale_temporaries``); a live run's files,
    and files of other hosts, are kept. Returns what was removed."""
    out_dir = Path(out_dir)
    paths = [part_path(out_dir, c) for c in sweep.cases] + [out_dir / f"{sweep.name}.nc"]
    return [p for path in paths for p in files.remove_stale(path)]


def combine(sweep: Sweep, out_dir: Path) -> Path:
    """Concatenate the parts along ``case`` with the lever values as coordinates."""
    parts = []
    for case in sweep.cases:
        with xr.open_dataset(part_path(out_dir, case)) as ds:
            parts.append(ds.load())
    combined = xr.concat(parts, dim="case", data_vars="all", coords="minimal", compat="override",
                         join="override", combine_attrs="drop")
    combined = combined.assign_coords(case=("case", np.arange(len(sweep.cases))))
    combined["case"].attrs.update(COORDINATES["case"])
    for ax in sweep.axes:
        values = np.array([c.levers[ax.label] for c in sweep.cases])
        where = f" ({ax.sector or ''}{' ' if ax.sector and ax.province else ''}{ax.province or ''})" \
            if (ax.sector or ax.province) else ""
        combined = combined.assign_coords({f"lever_{ax.label}": ("case", values)})
        combined[f"lever_{ax.label}"].attrs.update(
            long_name=f"lever {ax.lever} in {ax.year}{where}", units=LEVERS[ax.lever].unit,
            lever=ax.lever, year=np.int64(ax.year))
    for name, var in parts[0].data_vars.items():
        combined[name].attrs = dict(var.attrs)
    first = parts[0].attrs
    combined.attrs = {k: first[k] for k in ("Conventions", "institution", "source", "references",
                                            "data_sources", "output_detail") if k in first}
    combined.attrs.update(
        title=f"Policy sweep {sweep.name}: {len(sweep.cases)} lever sets x {sweep.members} members",
        history=first.get("history", ""), sweep_name=sweep.name, sweep_toml=sweep.text,
        scenario_toml=sweep.scenario_text, scenario_name=first.get("scenario_name", ""),
        seed=np.int64(sweep.seed), members=np.int64(sweep.members),
        success_targets=" ".join(sweep.success), robust_probability=sweep.robust_probability,
        case_levers=json.dumps([c.levers for c in sweep.cases]),
        administrative_targets=first.get("administrative_targets", "[]"),
        creation_time=first.get("creation_time", ""))
    path = out_dir / f"{sweep.name}.nc"
    netcdf.write_atomic(combined, path)
    return path

