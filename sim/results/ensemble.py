"""Streaming ensemble runs: members in chunks → one NetCDF file, memory bounded by the chunk.

``write_ensemble`` runs the members of a prepared scenario chunk by chunk (``sim.model.run.run_chunk``),
reduces each chunk to the requested output detail and appends it to the file along an unlimited
``member`` dimension, so peak memory depends on the chunk size, not on the number of members.
Statistics that need every member are built without holding the ensemble:

* target probabilities and the peak-year distribution are exact running counts;
* quantiles (``quantile`` dimension, ``sim.results.reading.QUANTILES``) are computed at the end from a
  scratch HDF5 file holding the per-member values, read back one province at a time.

Output detail (``--detail``):

``full``
    every variable per member (the contract of ``sim.core.variables``); the default up to
    :data:`FULL_DETAIL_MAX_MEMBERS` members.
``province``
    per member: industrial CO2 by region, targets, peak years, sampled parameters, the
    province-level variables (EAF share, scrap, grid factor) and province totals over sectors
    (``<name>_total``); per sector: quantiles over members of value added and the CO2 flows (same
    names as in ``full``, with ``quantile`` in place of ``member``), and quantiles of final energy
    by carrier summed over sectors (``final_energy_by_carrier``).
``summary``
    quantiles of everything else ``province`` keeps, target probabilities and the peak-year
    distribution; per member only the sampled parameters (``parameter_value``, DESIGN §10).

Storage: physical variables are stored as float32 (7 significant digits; the inputs are known to
3-4, and the report never prints more than 4), zlib (``sim.results.netcdf.COMPRESSION``) with the shuffle filter,
in on-disk chunks of (members, one province) (:data:`CHUNK_LAYOUT`). Target values,
attainment flags, probabilities, peak years and sampled parameters are stored exactly (float64 /
int), and peak years are found from the float64 series before storage, so every figure of the
report is identical to an in-memory run.

The file is written under a temporary name in the destination folder and renamed when complete;
an interrupted run leaves no file that looks finished (and removes its scratch).
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import netCDF4
import numpy as np
import xarray as xr

from sim.core import files
from sim.core.sizes import CHUNK_SIZE, DETAILS, FULL_DETAIL_MAX_MEMBERS, default_detail  # noqa: F401
from sim.core.targets import administrative_attribute
from sim.core.variables import COORDINATES
from sim.model import run as model
from sim.results import netcdf
from sim.results.reading import QUANTILES
from sim.results.reading import member_quantiles as _quantiles

if TYPE_CHECKING:  # the model (and Numba) is imported when a run starts, not by `sim --help`
    from sim.model import run as model

SCRATCH_ZLIB = False
"""Scratch is deleted at the end: compressing it costs more time than the disk it saves."""

EXACT = ("target_value", "target_attained", "target_probability", "peak_year",
         "peak_year_with_indirect", "peak_year_with_indirect_probability", "total_cost",
         "discounted_cost", "cost_by_item",
         "plateau_start_year", "peak_year_probability", "success_probability", "parameter_value")
"""Variables stored exactly as computed (never rounded to float32)."""
SECTOR_QUANTILE_VARIABLES = ("value_added", "co2_direct", "co2_process", "co2_indirect",
                             "co2_captured", "pollutant_emissions")
"""Per-sector variables kept as quantiles in ``province`` and ``summary`` detail."""
CARRIER_TOTAL = "final_energy_by_carrier"
"""Final energy per carrier summed over sectors (province, carrier, year), kept as quantiles in
``province`` and ``summary`` detail so the energy mix can be read at every detail."""
PROVINCE_TOTAL_VARIABLES = ("value_added", "final_energy", "co2_direct", "co2_process",
                            "co2_indirect", "co2_captured")
"""Per-sector variables whose sum over sectors is kept per member in ``province`` detail."""
PROVINCE_VARIABLES = ("eaf_share", "scrap_supply", "scrap_use", "inuse_stock",
                      "grid_emission_factor", "grid_renewable_share", "industrial_co2",
                      "industrial_co2_with_indirect", "target_value", "target_attained",
                      "peak_year", "plateau_start_year", "parameter_value",
                      "peak_year_with_indirect", "total_cost", "discounted_cost", "cost_by_item",
                      "energy_cost", "industrial_pollutants")
"""Per-member variables without a sector dimension, kept as they are in ``province`` detail."""
PEAK_PROBABILITY = {"peak_year": "peak_year_probability",
                    "peak_year_with_indirect": "peak_year_with_indirect_probability"}
"""Per-member peak years (each CO2 accounting) -> the exact distribution written at every detail."""
QUANTILE_COMMENT = "quantiles over the ensemble members (quantile axis)"
"""``comment`` of the variables stored as quantiles."""


CHUNK_LAYOUT = "province"
"""On-disk chunks of the per-member variables: ``"province"`` = (chunk of members, one province
or region, everything else whole); ``"member"`` = (chunk of members, everything else whole), the
layout before #14 §5, kept for the benchmark (tests/bench/test_chunking_bench.py).

Files are read in two ways: one province (or region) across all members (its fan chart,
quantiles, the IAMC rows of a province), and one member's national totals (a sum over provinces,
or the ``national`` region). With one province per chunk the first reads 1/P of the data instead
of decompressing every province; the second reads the same amount as before, in P chunks of the
member's member chunk. A chunk of members is what the writer appends at a time, so every chunk is
written whole, once (no chunk cache needed: the streaming writer's memory stays one chunk)."""
MEMBER_CHUNK_MAX = 256
"""Members per on-disk chunk at most (the writer's chunk size when smaller)."""


def chunk_shape(dims: tuple[str, ...], sizes, members_per_chunk: int,
                layout: str | None = None) -> tuple[int, ...]:
    """On-disk chunk shape of a per-member variable with ``dims`` (see :data:`CHUNK_LAYOUT`)."""
    layout = layout or CHUNK_LAYOUT
    if layout not in ("province", "member"):
        raise ValueError(f"unknown chunk layout {layout!r}; allowed: province, member")
    per_province = layout == "province"
    return tuple(max(1, min(MEMBER_CHUNK_MAX, members_per_chunk)) if d == "member"
                 else 1 if per_province and d in ("province", "region") else int(sizes[d])
                 for d in dims)


def needed_variables(detail: str) -> frozenset[str] | None:
    """Kernel variables a detail level reads from a chunk (None: all)."""
    if detail == "full":
        return None
    return frozenset(PROVINCE_VARIABLES + PROVINCE_TOTAL_VARIABLES + SECTOR_QUANTILE_VARIABLES)




def reduce_chunk(ds: xr.Dataset, detail: str) -> tuple[xr.Dataset, xr.Dataset]:
    """Split a chunk into (variables appended per member, variables kept for quantiles)."""
    if detail == "full":
        return ds, xr.Dataset()
    # built from the chunk's variables (no coordinates of their own) and its coordinates in one
    # go: a Dataset of DataArrays aligns every one of them, which cost more than the sums
    variables = ds.variables
    kept = {name: variables[name] for name in PROVINCE_VARIABLES}
    for name in PROVINCE_TOTAL_VARIABLES:
        total = variables[name].sum("sector", skipna=False)
        # the sum is said in the long name: a CF cell_methods entry must name an axis the
        # variable still has (or a scalar coordinate), and the sector axis is gone
        total.attrs = dict(variables[name].attrs, long_name=variables[name].attrs.get(
            "long_name", name) + ", sum over the modelled sectors")
        kept[f"{name}_total"] = total
    quantiles = {name: variables[name] for name in SECTOR_QUANTILE_VARIABLES}
    by_carrier = variables["final_energy"].sum("sector", skipna=False)
    by_carrier.attrs = dict(variables["final_energy"].attrs, long_name="final energy by carrier, "
                            "sum over the modelled sectors")
    quantiles[CARRIER_TOTAL] = by_carrier
    per_member = xr.Dataset(kept, coords=_coords_of(ds, kept))
    for_quantiles = xr.Dataset(quantiles, coords=_coords_of(ds, quantiles))
    if detail == "province":
        return per_member, for_quantiles
    if detail == "summary":
        # only the design rows (DESIGN §10) and whether each member attains each target stay per
        # member: what scenario discovery (sim discover) needs, a few bytes per member
        quantiles_only = per_member.drop_vars(["target_attained", "parameter_value"])
        return (xr.Dataset({"parameter_value": ds["parameter_value"],
                            "target_attained": ds["target_attained"]}),
                xr.merge([for_quantiles, quantiles_only]))
    raise ValueError(f"unknown detail {detail!r}; allowed: {', '.join(DETAILS)}")


def _coords_of(ds: xr.Dataset, variables: dict) -> dict:
    """The coordinates of ``ds`` on the dimensions of ``variables`` (those a Dataset of their
    DataArrays would have)."""
    dims = {d for v in variables.values() for d in v.dims}
    return {k: v for k, v in ds.coords.items() if set(v.dims) <= dims}


class _Counts:
    """Exact running statistics: target attainment and the peak-year distribution."""

    def __init__(self, n_targets: int, n_regions: int, years: np.ndarray,
                 joint: np.ndarray | None = None):
        self.attained = np.zeros(n_targets)
        self.valid = np.zeros(n_targets)
        self.years = years
        self.peaks = {name: np.zeros((n_regions, len(years))) for name in PEAK_PROBABILITY}
        self.members = 0
        self.joint = joint  # target positions that must all be attained together
        self.joint_attained = 0

    def add(self, ds: xr.Dataset) -> None:
        a = ds["target_attained"].values  # (member, target), NaN where undefined
        self.attained += np.nansum(a, axis=0)
        self.valid += np.sum(np.isfinite(a), axis=0)
        if self.joint is not None:
            self.joint_attained += int(np.all(a[:, self.joint] == 1.0, axis=1).sum())
        for name, peaks in self.peaks.items():
            py = ds[name].values  # (member, region)
            idx = np.searchsorted(self.years, py)
            for g in range(py.shape[1]):
                peaks[g] += np.bincount(idx[:, g], minlength=len(self.years))
        self.members += ds.sizes["member"]

    def probability(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.valid > 0, self.attained / np.maximum(self.valid, 1), np.nan)


def write_ensemble(prep: model.Prepared, path: Path, detail: str | None = None,
                   chunk_size: int = CHUNK_SIZE, attrs: dict | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   timer: dict | None = None, compress: bool = True,
                   success_targets: tuple[str, ...] | None = None) -> Path:
    """Run every member of ``prep`` in chunks and stream the ensemble to ``path`` (NetCDF4).

    ``timer`` accumulates seconds per stage: 'inputs', 'kernel', 'targets' (from
    ``model.run_chunk``), 'writing' (time the run waits for the writer, plus reducing chunks to
    the detail level), 'quantiles', and 'writer_busy' (the writer thread's own time, overlapped
    with the simulation of the next chunk).
    ``compress=False`` stores without zlib (files ~1.6× larger, writing ~2× faster).
    ``success_targets`` adds ``success_probability``: the share of members attaining all of them.
    """
    detail = detail or default_detail(prep.members)
    if detail not in DETAILS:
        raise ValueError(f"unknown detail {detail!r}; allowed: {', '.join(DETAILS)}")
    path = Path(path)
    timer = timer if timer is not None else {}
    with files.atomic_path(path) as tmp, files.scratch_path(path) as scratch_path:
        _stream(prep, tmp, scratch_path, detail, chunk_size, attrs, progress, timer, compress,
                success_targets)
    return path


def _stream(prep: model.Prepared, tmp: Path, scratch_path: Path, detail: str, chunk_size: int,
            attrs: dict | None, progress: Callable[[int, int], None] | None, timer: dict,
            compress: bool, success_targets: tuple[str, ...] | None) -> None:
    """Write the ensemble to ``tmp`` (using ``scratch_path`` for the quantiles); every file
    handle is closed when this returns or raises, so the caller may rename or remove both."""
    main = scratch = None
    finished = False
    # One writer thread appends chunk i to the files while chunk i+1 is simulated (HDF5 and zlib
    # run without the GIL, the kernel is nogil); at most one chunk is in flight, so memory holds
    # at most two chunks. The files are only ever touched by one thread at a time.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-writer")
    pending = None
    try:
        counts = None
        for start in range(0, prep.members, chunk_size):
            stop = min(prep.members, start + chunk_size)
            ds = model.run_chunk(prep, start, stop, timer, needed_variables(detail))
            t0 = time.perf_counter()
            if counts is None:
                ds = model.annotate(ds, prep)
                joint = None
                if success_targets:
                    ids = list(ds["target"].values)
                    missing = [t for t in success_targets if t not in ids]
                    if missing:
                        raise ValueError(f"success targets not in the scenario: {', '.join(missing)}"
                                         f" (its targets: {', '.join(ids)})")
                    joint = np.array([ids.index(t) for t in success_targets])
                counts = _Counts(ds.sizes["target"], ds.sizes["region"], prep.years, joint)
            per_member, for_quantiles = reduce_chunk(ds, detail)
            counts.add(ds)
            if pending is not None:
                pending.result()
            if main is None:
                with files.uninterrupted():  # xarray holds a lock while it writes
                    _create(tmp, ds, per_member, for_quantiles, detail, prep, attrs or {},
                            compress, success_targets)
                main = netCDF4.Dataset(tmp, "a")
                if for_quantiles.data_vars:
                    scratch = _create_scratch(scratch_path, for_quantiles, prep.members, chunk_size)
                _no_chunk_cache(main, scratch)
            pending = writer.submit(_write_chunk, main, scratch, per_member, for_quantiles,
                                    start, stop, timer)
            # the writer keeps what it writes; the rest of the chunk (most of its kernel
            # outputs) is freed now, not after the next chunk has been simulated beside it
            del ds, per_member, for_quantiles
            timer["writing"] = timer.get("writing", 0.0) + time.perf_counter() - t0
            if progress is not None:
                progress(stop, prep.members)
        t0 = time.perf_counter()
        if pending is not None:
            pending.result()
        if scratch is not None:
            scratch.sync()  # compress what the chunk cache still holds (counted as writing)
        main.sync()
        t1 = time.perf_counter()
        timer["writing"] = timer.get("writing", 0.0) + t1 - t0
        if scratch is not None:
            _write_quantiles(main, scratch)
        main["target_probability"][:] = counts.probability()
        for name, probability in PEAK_PROBABILITY.items():
            main[probability][:] = counts.peaks[name] / counts.members
        if counts.joint is not None:
            main["success_probability"].assignValue(counts.joint_attained / counts.members)
        main.close()
        main = None
        timer["quantiles"] = timer.get("quantiles", 0.0) + time.perf_counter() - t1
        finished = True
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
        writer.shutdown(wait=True)
        # close both handles whatever happens (a full disk makes close raise too); a close error
        # is raised only when nothing else went wrong, so it never hides the first error
        errors = []
        for handle in (main, scratch):
            try:
                if handle is not None and handle.isopen():
                    handle.close()
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        if errors and finished:
            raise errors[0]


def _no_chunk_cache(*files) -> None:
    """Chunks are written whole, once: without an HDF5 chunk cache each is compressed and written
    as it is appended (in the writer thread), instead of piling up until the final sync."""
    for nc in files:
        if nc is None:
            continue
        for var in nc.variables.values():
            if "member" in var.dimensions and var.chunking() != "contiguous":
                var.set_var_chunk_cache(size=0, nelems=0, preemption=1.0)


def _write_chunk(main, scratch, per_member: xr.Dataset, for_quantiles: xr.Dataset, start: int,
                 stop: int, timer: dict) -> None:
    """Writer-thread job: append one chunk; its busy time goes to timer['writer_busy']
    (overlapped with the next chunk's simulation, so not part of the critical path)."""
    t0 = time.perf_counter()
    _append(main, per_member, start, stop)
    if scratch is not None:
        _append(scratch, for_quantiles, start, stop)
    timer["writer_busy"] = timer.get("writer_busy", 0.0) + time.perf_counter() - t0


def _quantile_template(da: xr.DataArray) -> xr.DataArray:
    dims = ("quantile",) + tuple(d for d in da.dims if d != "member")
    shape = (len(QUANTILES),) + tuple(da.sizes[d] for d in dims[1:])
    # CF has no quantile cell method (and the member axis is gone): the quantile coordinate
    # says what the values are
    return xr.DataArray(np.full(shape, np.nan), dims=dims,
                        attrs=dict(da.attrs, comment=QUANTILE_COMMENT))


def _create(tmp: Path, first: xr.Dataset, per_member: xr.Dataset, for_quantiles: xr.Dataset,
            detail: str, prep: model.Prepared, attrs: dict, compress: bool = True,
            success_targets: tuple[str, ...] | None = None) -> None:
    """Write the file's skeleton: coordinates, attributes, the first chunk's per-member
    variables along an unlimited ``member`` axis, and NaN placeholders for the statistics."""
    out = per_member.isel(member=slice(0, 0)) if per_member.data_vars else xr.Dataset()
    out = out.assign_coords({k: v for k, v in first.coords.items() if "member" not in v.dims})
    if per_member.data_vars:
        out = out.assign_coords(member=per_member["member"].isel(member=slice(0, 0)))
    for name, da in for_quantiles.data_vars.items():
        out[name] = _quantile_template(da)
    prob = xr.DataArray(np.full(first.sizes["target"], np.nan), dims=("target",))
    out["target_probability"] = prob
    for name, probability in PEAK_PROBABILITY.items():
        out[probability] = xr.DataArray(
            np.full((first.sizes["region"], len(prep.years)), np.nan), dims=("region", "year"),
            attrs=dict(units="1", long_name="share of members whose industrial CO2 "
                       + ("" if name == "peak_year" else "with indirect emissions ")
                       + "peaks in the year"))
    if success_targets:
        out["success_probability"] = xr.DataArray(np.nan, attrs=dict(
            units="1", long_name="share of members attaining every success target",
            success_targets=" ".join(success_targets)))
    out = model.annotate(out, prep) if "target_probability" in out else out
    if for_quantiles.data_vars:
        out = out.assign_coords(quantile=("quantile", np.array(QUANTILES)))
        out["quantile"].attrs.update(COORDINATES["quantile"])
    # every result file (a run, each sweep part, hence the combined sweep) lists the scenario's
    # administrative (not simulated) targets
    administrative = administrative_attribute(prep.scenario.administrative)
    out.attrs.update(attrs, administrative_targets=administrative, output_detail=detail,
                     members=np.int64(prep.members))
    encoding = netcdf.coordinate_encoding(out)
    for name, var in out.data_vars.items():
        enc = netcdf.data_encoding(var, compress)
        if np.issubdtype(var.dtype, np.floating) and name not in EXACT:
            enc["dtype"] = "float32"
        if "member" in var.dims:
            enc["chunksizes"] = chunk_shape(var.dims, out.sizes, first.sizes["member"])
        encoding[name] = enc
    unlimited = ["member"] if "member" in out.dims else []
    out = netcdf.file_layout(out)  # the CF time coordinate is the file's dimension
    out.to_netcdf(tmp, engine="netcdf4", encoding=encoding, unlimited_dims=unlimited)


def _create_scratch(path: Path, for_quantiles: xr.Dataset, members: int, chunk_size: int):
    """A scratch HDF5 file with one (member, ...) variable per quantile source (float32 unless
    in :data:`EXACT`), chunked by (chunk of members, one province) so a province can be read back
    for all members."""
    nc = netCDF4.Dataset(path, "w", format="NETCDF4")
    nc.createDimension("member", members)
    for name, da in for_quantiles.data_vars.items():
        dims = []
        for d in da.dims:
            dim = f"{name}__{d}" if d != "member" else "member"
            if dim not in nc.dimensions:
                nc.createDimension(dim, da.sizes[d])
            dims.append(dim)
        chunks = [min(chunk_size, members) if d == "member" else (1 if d == "province" else da.sizes[d])
                  for d in da.dims]
        dtype = "f8" if name in EXACT else "f4"
        nc.createVariable(name, dtype, dims, chunksizes=chunks, zlib=SCRATCH_ZLIB, complevel=1,
                          shuffle=True)
    return nc


def _append(nc, part: xr.Dataset, start: int, stop: int) -> None:
    """Write members ``start:stop`` of every variable of ``part`` (member is its first axis)."""
    if "member" in part.coords and "member" in nc.variables and nc["member"].dimensions == ("member",):
        nc["member"][start:stop] = part["member"].values
    for name, da in part.data_vars.items():
        if "member" not in da.dims:
            continue
        values = da.transpose("member", ...).values
        nc[name][start:stop] = values


SORTERS = 2
"""Threads sorting blocks for the quantiles at the end of a run (NumPy releases the GIL while it
sorts). National 10^4 members, province detail, quiet 2-vCPU machine, two alternating runs each:
the quantile stage 5.7 / 5.9 s with one, 3.6 / 3.5 s with two; files identical."""


def _write_quantiles(main, scratch) -> None:
    """Quantiles over members of every scratch variable, one province (or the whole variable,
    when it has no province axis) at a time. Reading and writing stay in this thread (the files
    are not thread-safe); the sorting runs in :data:`SORTERS` other threads, with at most
    SORTERS + 1 blocks in memory, and the blocks are stored in order."""
    q = np.array(QUANTILES)
    scratch.set_auto_mask(False)  # plain arrays (nothing in the scratch is ever missing)
    blocks = []
    for name, var in scratch.variables.items():
        dims = var.dimensions
        if len(dims) > 1 and dims[1].endswith("__province"):
            blocks += [(name, (slice(None), p)) for p in range(var.shape[1])]
        else:
            blocks.append((name, (slice(None),)))
    with ThreadPoolExecutor(max_workers=SORTERS, thread_name_prefix="sim-quantiles") as pool:
        pending: deque = deque()
        for name, index in blocks:
            data = scratch[name][index]
            if len(pending) == SORTERS:
                done = pending.popleft()
                _store(main, *done[:2], done[2].result())
            pending.append((name, index, pool.submit(_quantiles, data, q)))
        for done in pending:
            _store(main, *done[:2], done[2].result())


def _store(main, name: str, index: tuple, values: np.ndarray) -> None:
    """Write quantiles (quantile, ...) of member-first block ``index`` of variable ``name``."""
    main[name][(slice(None),) + index[1:]] = values
