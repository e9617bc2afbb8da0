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

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import dask
import dask.array  # noqa: F401  (xarray's lazy import of it raced between a worker's threads)
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
    """A finished, intact part of this very case: same inputs and code version (its hash), and
    every variable reads through (each chunk's Fletcher-32 checksum holds,
    ``sim.results.netcdf.CHECKSUM``). A part that fails is not done: it is computed again."""
    if not path.is_file():
        return False
    try:
        with netCDF4.Dataset(path) as nc:
            if getattr(nc, "case_hash", None) != case.hash:
                return False
            for var in nc.variables.values():
                var.set_auto_maskandscale(False)
                step = max(1, 2**24 // max(1, var.size // max(1, var.shape[0] if var.ndim else 1)))
                for i in range(0, var.shape[0] if var.ndim else 1, step):  # at most ~16 M values
                    var[i:i + step] if var.ndim else var[...]
    except (OSError, RuntimeError, ValueError, IndexError):  # HDF5 errors, a truncated file
        return False
    return True


def run_case(sweep_path: str, index: int, out_dir: str, numba_threads: int = 1) -> dict:
    """Run one case and write its part (executed on a Dask worker; ``sim.results.run.run_scenario``,
    the one run path, then :func:`as_part`). Returns a small record."""
    t0 = time.perf_counter()
    numba.set_num_threads(max(1, min(numba_threads, numba.config.NUMBA_NUM_THREADS)))
    sweep = load_sweep_cached(sweep_path)
    case = sweep.cases[index]
    path = part_path(Path(out_dir), case)
    ensemble = work_path(Path(out_dir), case)
    run_scenario(sweep.case_scenario(case), ensemble, members=sweep.members, seed=sweep.seed,
                 detail=sweep.detail, command=f"sim sweep {sweep.path} (case {index})",
                 attrs=dict(case_hash=case.hash, case_index=np.int64(index),
                            case_levers=json.dumps(case.levers), sweep_name=sweep.name),
                 success_targets=sweep.success or None)
    try:
        as_part(ensemble, path, sweep, [case])
    finally:
        ensemble.unlink(missing_ok=True)
    return dict(index=index, seconds=time.perf_counter() - t0, path=str(path))


def work_path(out_dir: Path, case: Case) -> Path:
    """Where a worker writes a case's ensemble before :func:`as_part` makes it a part (a hidden
    folder beside the parts; its temporaries are cleaned like the parts')."""
    return out_dir / "parts" / ".work" / f"case-{case.index:05d}.nc"


CHUNKS = {"case": 1, "member": 256, "province": 1, "region": 1}
"""On-disk chunks of parts and combined sweep files: one case and one province (or region) per
chunk, members in blocks, everything else whole; so reading one case, or one province of every
case, reads only its chunks. Parts are rewritten and combined with Dask's synchronous scheduler
(streamed chunk by chunk in this process: HDF5 files must not be written from several processes,
and a sweep's client would otherwise ship the work to its workers)."""


def lever_coordinates(sweep: Sweep, cases: list[Case]) -> dict[str, xr.DataArray]:
    """``lever_<axis>(case)``: each axis's lever value in each of ``cases``, with the lever's units,
    name and year."""
    out = {}
    for ax in sweep.axes:
        where = " ".join(w for w in (ax.sector, ax.province) if w)
        out[f"lever_{ax.label}"] = xr.DataArray(
            np.array([c.levers[ax.label] for c in cases], dtype=float), dims=("case",),
            attrs=dict(long_name=f"lever {ax.lever} in {ax.year}" + (f" ({where})" if where else ""),
                       units=LEVERS[ax.lever].unit, lever=ax.lever, year=np.int64(ax.year)))
    return out


def as_part(ensemble: Path, path: Path, sweep: Sweep, cases: list[Case]) -> Path:
    """The ensemble file of a case rewritten as a sweep part at ``path`` (atomically): every data
    variable gains the ``case`` dimension (length 1), with the case number and its lever values
    as coordinates, so the parts combine by themselves (``xr.open_mfdataset(parts)`` gives the
    combined dataset)."""
    with dask.config.set(scheduler="synchronous"), xr.open_dataset(ensemble, chunks={}) as ds:
        ds = _coordinates_in_memory(ds)
        part = ds.expand_dims(case=[c.index for c in cases])
        part = part.assign_coords(lever_coordinates(sweep, cases))
        part["case"].attrs.update(COORDINATES["case"])
        for name, var in ds.data_vars.items():  # keep each variable's stored dtype
            part[name].encoding = dict(var.encoding)
        netcdf.write_atomic(part, path, CHUNKS)
    return path


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
    paths = ([part_path(out_dir, c) for c in sweep.cases] + [work_path(out_dir, c) for c in sweep.cases]
             + [out_dir / f"{sweep.name}.nc"])
    removed = [p for path in paths for p in files.remove_stale(path)]
    # a case's ensemble is made a part and removed at once; one left behind belongs to a worker
    # that was stopped (the command calls this before the workers start and after they end)
    for work in (work_path(out_dir, c) for c in sweep.cases):
        if work.is_file():
            work.unlink(missing_ok=True)
            removed.append(work)
    with contextlib.suppress(OSError):  # only if empty
        (out_dir / "parts" / ".work").rmdir()
    return removed


def _coordinates_in_memory(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` (opened with Dask chunks, so its data is streamed) with its coordinates loaded:
    they are small, and text coordinates must be in memory to be written as characters."""
    return ds.assign_coords({name: var.load() for name, var in ds.coords.items()
                             if name not in ds.indexes})


def combine(sweep: Sweep, out_dir: Path) -> Path:
    """Combine the parts along ``case`` (they carry their case and lever values,
    :func:`as_part`) into ``<out>/<sweep>.nc``, chunked by case and province (:data:`CHUNKS`)."""
    paths = [part_path(out_dir, case) for case in sweep.cases]
    with dask.config.set(scheduler="synchronous"), \
            xr.open_mfdataset(paths, combine="by_coords", data_vars="all", coords="minimal",
                              compat="override", join="override", combine_attrs="drop_conflicts",
                              chunks={}) as combined:
        combined = _coordinates_in_memory(combined)
        first = xr.open_dataset(paths[0])
        first.close()
        for name, var in first.data_vars.items():
            combined[name].attrs = dict(var.attrs)
            combined[name].encoding = dict(var.encoding)
        combined.attrs = {k: first.attrs[k] for k in ("Conventions", "institution", "source",
                                                      "references", "data_sources",
                                                      "output_detail") if k in first.attrs}
        combined.attrs.update(
            title=f"Policy sweep {sweep.name}: {len(sweep.cases)} lever sets x {sweep.members} members",
            history=first.attrs.get("history", ""), sweep_name=sweep.name, sweep_toml=sweep.text,
            scenario_toml=sweep.scenario_text, scenario_name=first.attrs.get("scenario_name", ""),
            seed=np.int64(sweep.seed), members=np.int64(sweep.members),
            success_targets=" ".join(sweep.success), robust_probability=sweep.robust_probability,
            case_levers=json.dumps([c.levers for c in sweep.cases]),
            administrative_targets=first.attrs.get("administrative_targets", "[]"),
            creation_time=first.attrs.get("creation_time", ""))
        path = out_dir / f"{sweep.name}.nc"
        netcdf.write_atomic(combined, path, CHUNKS)
    return path

