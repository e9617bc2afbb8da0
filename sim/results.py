"""Reading result files (ensembles of ``sim run``, combined sweeps of ``sim sweep``) for review.

The reviewer tools (``sim report``, ``sim plot``, ``sim export``) read only the NetCDF file. This
module opens it, says what kind of file it is, checks that what a tool needs is there (naming
what is missing), and gives ensemble statistics the same way at every output detail:

* ``full`` and ``province`` files hold members (``member`` dimension): statistics are computed
  over the members;
* ``summary`` files, and the per-sector variables of ``province`` files, hold stored quantiles
  (``quantile`` dimension, the values of ``sim.ensemble.QUANTILES``).

Every function raises :class:`ResultsFileError` with the file name for a file that cannot serve;
the command line turns it into exit code 2 without a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import xarray as xr


class ResultsFileError(Exception):
    """A result file that cannot be read or lacks what a tool needs (message names both)."""


def open_results(path: Path | str) -> xr.Dataset:
    """Open a result file lazily; a clear error if it is missing or not NetCDF."""
    path = Path(path)
    if not path.is_file():
        raise ResultsFileError(f"{path}: no such file")
    try:
        ds = xr.open_dataset(path)
    except Exception as e:  # netCDF4/h5netcdf raise many types for "not a NetCDF file"
        raise ResultsFileError(f"{path}: not a readable NetCDF file ({type(e).__name__}: {e})") from None
    ds.encoding["source"] = str(path)
    return ds


def name_of(ds: xr.Dataset) -> str:
    """The file the Dataset was read from (for messages), or '<dataset>'."""
    return str(ds.encoding.get("source", "<dataset>"))


def kind(ds: xr.Dataset) -> str:
    """'sweep' for a combined sweep file (a ``case`` dimension), else 'ensemble'."""
    return "sweep" if "case" in ds.dims else "ensemble"


def detail(ds: xr.Dataset) -> str:
    """Output detail: 'full', 'province' or 'summary' (files without the attribute are 'full')."""
    return str(ds.attrs.get("output_detail", "full"))


def require(ds: xr.Dataset, variables: Iterable[str], purpose: str,
            dims: dict[str, Iterable[str]] | None = None) -> None:
    """Raise ResultsFileError unless every variable is present (and has the listed dimensions).

    ``purpose`` completes the sentence "<file> cannot be used for <purpose>".
    """
    missing = [v for v in variables if v not in ds.variables]
    if missing:
        raise ResultsFileError(
            f"{name_of(ds)}: cannot be used for {purpose}: missing variable(s) {', '.join(missing)} "
            f"(output detail {detail(ds)}; file has {', '.join(sorted(map(str, ds.data_vars))) or 'none'})")
    for name, needed in (dims or {}).items():
        lacking = [d for d in needed if d not in ds[name].dims]
        if lacking:
            raise ResultsFileError(
                f"{name_of(ds)}: cannot be used for {purpose}: variable {name} has dimensions "
                f"({', '.join(ds[name].dims)}), needs {', '.join(lacking)}")


def quantiles(da: xr.DataArray, q: Iterable[float]) -> xr.DataArray:
    """Quantiles ``q`` of a variable over members, as a DataArray with a ``quantile`` dimension.

    From the members when the variable has them (linear interpolation, NaN ignored); from the
    stored quantiles when it has a ``quantile`` dimension (each q must be one of them); the value
    itself (every quantile equal) when it has neither (a deterministic quantity).
    """
    q = [float(x) for x in q]
    if "member" in da.dims:
        return da.quantile(q, dim="member", skipna=True)
    if "quantile" in da.dims:
        stored = np.asarray(da["quantile"].values, dtype=float)
        absent = [x for x in q if not np.isclose(stored, x).any()]
        if absent:
            raise ResultsFileError(
                f"{da.name}: quantile(s) {', '.join(map(str, absent))} not stored "
                f"(file has {', '.join(f'{x:g}' for x in stored)})")
        idx = [int(np.argmin(np.abs(stored - x))) for x in q]
        return da.isel(quantile=idx).assign_coords(quantile=q)
    return da.expand_dims(quantile=q)


def median(da: xr.DataArray) -> xr.DataArray:
    """Median over members (or the stored median) without a quantile dimension."""
    return quantiles(da, [0.5]).isel(quantile=0, drop=True)


def provinces(ds: xr.Dataset, selected: Iterable[str] | None) -> list[str]:
    """Validate province names (English, ISO code, or Chinese) against the file; return English names."""
    names = [str(p) for p in ds["province"].values]
    if selected is None:
        return names
    lookup = {n.lower(): n for n in names}
    for coord in ("province_iso", "province_zh"):
        if coord in ds.coords:
            lookup.update({str(c).lower(): n for c, n in zip(ds[coord].values, names)})
    out = []
    for p in selected:
        if p.lower() not in lookup:
            raise ResultsFileError(f"{name_of(ds)}: no province {p!r}; the file has {', '.join(names)}")
        out.append(lookup[p.lower()])
    return out
