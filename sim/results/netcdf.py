"""NetCDF files: CF-1.10 global attributes and provenance, encodings, atomic writing of a Dataset."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xarray as xr

from sim import __version__
from sim.core.files import atomic_path, uninterrupted
from sim.core.variables import TIME_CALENDAR, TIME_UNITS
from sim.data.base_state import load_base_state

DATA_SOURCES = (
    "CEADs provincial CO2 inventories 1997-2019 (Shan et al. 2018, Sci Data 5:170201; Shan et al. 2020, "
    "Sci Data 7:54; Guan et al. 2021, Earth's Future); NBS provincial and national industrial output, "
    "power and GDP statistics (via energyandcleanair/china_co2, Wind export); CEC national electricity "
    "consumption by sector; Global Energy Monitor, Global Iron and Steel Tracker, September 2025 (V1), "
    "CC BY 4.0; MEE/NBS grid emission factors 2021; NBS input-output tables 2018; provincial SSP GDP "
    "projections (PyPSA-China-PIK). Details and licences: calibration/README.md and "
    "calibration/base_2019/provenance.csv."
)


COMPRESSION = {"zlib": True, "complevel": 1}
"""zlib level 1: within a few per cent of level 4 in size for these files, at about half the time."""
CHECKSUM = {"fletcher32": True}
"""HDF5's Fletcher-32 checksum on every chunk of every data variable with a dimension (scalars
cannot be chunked): a corrupted chunk is an error when it is read, never silent numbers; a sweep
reads its parts through before counting them done (``sim.analysis.sweep.is_done``)."""


def data_encoding(var: xr.DataArray, compress: bool = True) -> dict:
    """The encoding of a data variable: checksums (if it has a dimension) and zlib (unless
    ``compress`` is off)."""
    enc = dict(CHECKSUM) if var.ndim else {}
    if compress and np.issubdtype(var.dtype, np.number):
        enc.update(COMPRESSION, shuffle=True)
    return enc


def global_attributes(scenario, seed: int, members: int, command: str | None = None,
                      base=None) -> dict:
    """CF global attributes and the run's provenance; ``base`` is the run's
    ``sim.data.base_state.BaseState`` (default: the default base state, as ``sim.model.run.prepare``)."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    command = command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    return {
        "Conventions": "CF-1.10",
        "title": f"Industrial decarbonisation scenario ensemble: {scenario.name}",
        "institution": "china-industry-sim (open-source)",
        "source": f"china-industry-sim {__version__} (sim + Numba stock-and-flow kernel)",
        "history": f"{now} {command} (user {_user()})",
        "references": "README.md (methods); kernels/SPEC.md (model equations)",
        "scenario_name": scenario.name,
        "scenario_file": str(scenario.path),
        "scenario_toml": scenario.text,
        "seed": np.int64(seed),
        "members": np.int64(members),
        "creation_time": now,
        "data_sources": DATA_SOURCES,
        "calibration": _calibration_source(base),
        "uncertainty_distributions": json.dumps(
            {n: {"dist": d.kind, **d.params} for n, d in scenario.uncertainty.distributions.items()}),
    }


def _calibration_source(base=None) -> str:
    """Which base state the run starts from and where its dynamic parameters come from (the fit,
    or the nominal assumptions): those of ``base``, never reloaded, so a custom base state is
    described as it is."""
    if base is None:
        base = load_base_state()
    return (f"base state {base.year} (calibration/base_{base.year}); dynamic parameters from "
            f"{base.parameter_source}")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return "unknown"


def encoding_for(ds: xr.Dataset, chunks: dict[str, int] | None = None) -> dict:
    """Checksums and zlib compression for every data variable (:func:`data_encoding`; stored in
    the dtype it was read with, float32 for the physical variables of a result file, else as
    computed), and the CF encoding of the coordinates (:func:`coordinate_encoding`). ``chunks``
    (dimension -> size): on-disk chunks of the data variables along those dimensions, the others
    whole (a combined sweep: one case and one region per chunk)."""
    enc = coordinate_encoding(ds)
    for name, var in ds.data_vars.items():
        enc[name] = data_encoding(var)
        if "dtype" in var.encoding and np.dtype(var.encoding["dtype"]).kind == "f":
            enc[name]["dtype"] = var.encoding["dtype"]
        if chunks and var.ndim:
            enc[name]["chunksizes"] = tuple(max(1, min(int(var.sizes[d]), chunks.get(d, var.sizes[d])))
                                            for d in var.dims)
    return enc


def coordinate_encoding(ds: xr.Dataset) -> dict:
    """How coordinates are stored: text as character arrays (UTF-8; CF's classic text type,
    which every CF tool reads: the NCAS cfchecker rejects variable-length strings), and no
    ``_FillValue`` on coordinates that have no missing values (CF 2.5.1 forbids it on
    coordinate variables; xarray adds one to every float by default)."""
    enc = {name: dict(CHECKSUM) for name, var in ds.coords.items() if var.ndim}
    for name, var in ds.coords.items():
        if var.dtype.kind in "OUS":
            enc.setdefault(name, {}).update(dtype="S1")
        elif var.dtype.kind == "f" and not np.isnan(var.values).any():
            enc.setdefault(name, {}).update(_FillValue=None)
        elif var.dtype.kind == "M":  # time read back from a file (decoded), written as it was
            enc.setdefault(name, {}).update(
                units=var.encoding.get("units", TIME_UNITS), dtype="float64",
                calendar=var.encoding.get("calendar", TIME_CALENDAR), _FillValue=None)
    return enc


def file_layout(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` as result files store it: the CF time coordinate ``time`` is the dimension (so CF
    tools, cf_xarray's ``T`` axis among them, use it as the time axis), and the calendar year is
    the coordinate ``year(time)``. In memory the model and the tools index by ``year``
    (:func:`sim.results.reading.open_results` swaps back)."""
    if "year" in ds.dims and "time" in ds.coords and ds["time"].dims == ("year",):
        return ds.swap_dims(year="time")
    return ds


def write_atomic(ds: xr.Dataset, path: Path, chunks: dict[str, int] | None = None) -> Path:
    """Write ``ds`` to ``path`` in the file layout (:func:`file_layout`) via a temporary file in
    the same folder (encodings: :func:`encoding_for`, with ``chunks``); returns ``path``."""
    ds = file_layout(ds)
    with atomic_path(path) as tmp, uninterrupted():
        ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding_for(ds, chunks))
    return Path(path)

