"""NetCDF output: CF-1.10 global attributes, provenance, atomic writes.

A file is complete or absent: it is written under a temporary name in the destination folder and
renamed at the end, so an interrupted run never leaves a file that looks finished.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import numpy as np
import xarray as xr

from sim import __version__

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


def global_attributes(scenario, seed: int, members: int, command: str | None = None,
                      base=None) -> dict:
    """CF global attributes and the run's provenance; ``base`` is the run's
    ``sim.base_state.BaseState`` (default: the default base state, as ``sim.model.prepare``)."""
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
        from sim.base_state import load_base_state

        base = load_base_state()
    return (f"base state {base.year} (calibration/base_{base.year}); dynamic parameters from "
            f"{base.parameter_source}")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return "unknown"


def encoding_for(ds: xr.Dataset) -> dict:
    """zlib compression for every numeric data variable (values stored as computed, float64),
    and the CF encoding of the coordinates (:func:`coordinate_encoding`)."""
    enc = coordinate_encoding(ds)
    for name, var in ds.data_vars.items():
        if np.issubdtype(var.dtype, np.number):
            enc[name] = dict(COMPRESSION)
    return enc


def coordinate_encoding(ds: xr.Dataset) -> dict:
    """How coordinates are stored: text as character arrays (UTF-8; CF's classic text type,
    which every CF tool reads: the NCAS cfchecker rejects variable-length strings), and no
    ``_FillValue`` on coordinates that have no missing values (CF 2.5.1 forbids it on
    coordinate variables; xarray adds one to every float by default)."""
    from sim.variables import TIME_CALENDAR, TIME_UNITS

    enc = {}
    for name, var in ds.coords.items():
        if var.dtype.kind in "OUS":
            enc[name] = {"dtype": "S1"}
        elif var.dtype.kind == "f" and not np.isnan(var.values).any():
            enc[name] = {"_FillValue": None}
        elif var.dtype.kind == "M":  # time read back from a file (decoded), written as it was
            enc[name] = {"units": var.encoding.get("units", TIME_UNITS), "dtype": "float64",
                         "calendar": var.encoding.get("calendar", TIME_CALENDAR),
                         "_FillValue": None}
    return enc


def _temporary_name(path: Path, kind: str = "tmp") -> Path:
    """A hidden name beside ``path`` (same folder, same suffix), unique to this process."""
    return path.with_name(f".{path.stem}.{os.getpid()}.{kind}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary name in ``path``'s folder (same suffix) to write to; renamed to ``path`` when
    the block completes, removed if it raises, so no half-written file ever carries the name.

    The name lives for the whole block, so a file may be opened, appended to chunk by chunk and
    closed inside it (``sim.ensemble``); it must be closed before the block ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def scratch_path(path: Path | str) -> Iterator[Path]:
    """A hidden temporary name beside ``path`` for a working file that is removed when the block
    ends, however it ends (e.g. the per-member scratch the ensemble quantiles are read from)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = _temporary_name(path, "scratch")
    try:
        yield scratch
    finally:
        if scratch.exists():
            scratch.unlink()


def write_atomic(ds: xr.Dataset, path: Path) -> Path:
    """Write ``ds`` to ``path`` via a temporary file in the same folder; returns ``path``."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding_for(ds))
    return Path(path)
