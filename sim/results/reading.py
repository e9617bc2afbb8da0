"""Reading result files (ensembles of ``sim run``, combined sweeps of ``sim sweep``) for review.

The reviewer tools (``sim report``, ``sim plot``, ``sim export``) read only the NetCDF file. This
module opens it, says what kind of file it is, checks that what a tool needs is there (naming
what is missing), and gives ensemble statistics the same way at every output detail:

* ``full`` and ``province`` files hold members (``member`` dimension): statistics are computed
  over the members;
* ``summary`` files, and the per-sector variables of ``province`` files, hold stored quantiles
  (``quantile`` dimension, the values of :data:`QUANTILES`).

This module owns the quantiles: which are stored (:data:`QUANTILES`), their names in exported
tables (:data:`QUANTILE_LABELS`), the median and range the report prints (:data:`REPORTED`), and
how they are computed (:func:`quantiles` on a DataArray, :func:`member_quantiles` on the
member-first blocks of the streaming writer).

Every function raises :class:`ResultsFileError` with the file name for a file that cannot serve;
the command line turns it into exit code 2 without a traceback.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np
import xarray as xr

from sim.core.axes import UnknownProvince, resolve_province
from sim.core.files import input_problem

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles over members stored in ``province`` and ``summary`` files, exported as IAMC
scenarios and drawn as fan-chart bands (5-95 % and 25-75 % around the median) [1]."""
QUANTILE_LABELS = {0.05: "p05", 0.25: "p25", 0.5: "median", 0.75: "p75", 0.95: "p95"}
"""Name of each quantile of :data:`QUANTILES` in exported tables (``<scenario>|<label>``)."""
REPORTED = (0.05, 0.5, 0.95)
"""What the report prints of a distribution: the 5 % quantile, the median, the 95 % quantile."""


class ResultsFileError(Exception):
    """A result file that cannot be read or lacks what a tool needs (message names both)."""


def open_results(path: Path | str) -> xr.Dataset:
    """Open a result file lazily; a clear error if it is missing or not NetCDF."""
    path = Path(path)
    problem = input_problem(path)
    if problem:
        raise ResultsFileError(f"{path}: {problem}")
    try:
        ds = xr.open_dataset(path)
        if "time" in ds.dims and "year" in ds.coords and ds["year"].dims == ("time",):
            ds = ds.swap_dims(time="year")  # the file layout (sim.results.netcdf.file_layout)
    except Exception as e:  # netCDF4/h5netcdf raise many types for "not a NetCDF file"
        reason = " ".join(f"{type(e).__name__}: {e}".split())  # their messages span lines
        raise ResultsFileError(f"{path}: not a readable NetCDF file ({reason[:200]})") from None
    ds.encoding["source"] = str(path)
    empty = [d for d in ("member", "case", "year", "province", "region", "evaluation", "factor",
                         "output") if ds.sizes.get(d) == 0]
    if empty:
        ds.close()
        raise ResultsFileError(f"{path}: has no {empty[0]}s (dimension {empty[0]} of length 0); "
                               "a result file of sim run or sim sweep has at least one")
    try:
        with read_errors(path):
            check_values(ds)
    except ResultsFileError:
        ds.close()
        raise
    return ds


_HDF_ERROR = ("NetCDF:", "HDF")


@contextlib.contextmanager
def read_errors(path: Path | str):
    """Turn an error of the NetCDF library while reading ``path`` (a corrupted or truncated data
    chunk: ``NetCDF: HDF error``, a checksum that does not hold) into :class:`ResultsFileError`;
    other errors pass."""
    try:
        yield
    except (RuntimeError, OSError) as e:
        text = " ".join(str(e).split())
        if not any(k in text for k in _HDF_ERROR):
            raise
        raise ResultsFileError(f"{path}: corrupted data: a chunk cannot be read ({text[:120]}); "
                               "the file must be written again") from None


PROBABILITIES = ("target_probability", "peak_year_probability", "success_probability",
                 "peak_year_with_indirect_probability")
"""Variables whose values are probabilities [1]: in [0, 1] or undefined (NaN)."""
YEAR_RANGE = (1900, 2200)
"""Calendar years a result file's ``year`` coordinate may hold."""


def check_values(ds: xr.Dataset) -> None:
    """Refuse a file whose small variables and coordinates are not what this model writes (a
    file read back is never trusted blindly): text where numbers belong, probabilities outside
    [0, 1], attainment flags other than 0, 1 or NaN, peak years outside the simulated years,
    years that are not increasing calendar years, duplicate members, provinces missing from the
    ``region`` axis. Raises :class:`ResultsFileError` naming the variable and a bad value."""
    name = name_of(ds)

    def bad(var: str, value, allowed: str) -> ResultsFileError:
        return ResultsFileError(f"{name}: {var} = {value!r} is not what sim writes (allowed: "
                                f"{allowed})")

    years = None
    if "year" in ds.coords:
        years = ds["year"].values
        if (years.dtype.kind not in "iu" or years.ndim != 1 or (np.diff(years) <= 0).any()
                or years.min() < YEAR_RANGE[0] or years.max() > YEAR_RANGE[1]):
            raise bad("year", years[:5].tolist(), f"increasing integer calendar years in "
                      f"{YEAR_RANGE[0]}..{YEAR_RANGE[1]}")
    if "member" in ds.coords:
        members = ds["member"].values
        if members.dtype.kind not in "iu" or len(np.unique(members)) != len(members):
            raise bad("member", members[:5].tolist(), "distinct integers")
    if "province" in ds.coords and "region" in ds.coords:
        missing = sorted(set(map(str, ds["province"].values)) - set(map(str, ds["region"].values)))
        if missing:
            raise bad("region", missing[0], "every province of the file, and national: the "
                      f"region axis lacks {missing[0]}")
    for var in ("target_value", "target_attained", *PEAK_YEARS, *PROBABILITIES):
        if var not in ds.data_vars:
            continue
        values = ds[var].values
        if values.dtype.kind not in "fiub":
            raise bad(var, values.flat[0] if values.size else values.dtype.name, "numbers")
        values = values.astype(float)
        defined = values[np.isfinite(values)]
        if var in PROBABILITIES and ((defined < 0) | (defined > 1)).any():
            raise bad(var, float(defined[(defined < 0) | (defined > 1)][0]), "a probability in "
                      "[0, 1] or NaN")
        if (var == "target_attained" and "member" in ds[var].dims
                and not np.isin(defined, (0.0, 1.0)).all()):
            raise bad(var, float(defined[~np.isin(defined, (0.0, 1.0))][0]), "0, 1 or NaN")
        if var in PEAK_YEARS and years is not None and defined.size and (
                (defined < years[0]) | (defined > years[-1])).any():
            raise bad(var, float(defined[(defined < years[0]) | (defined > years[-1])][0]),
                      f"a year in {years[0]}..{years[-1]} or NaN")
        if np.isinf(values).any() and var != "target_value":
            raise bad(var, "inf", "finite numbers or NaN")


PEAK_YEARS = ("peak_year", "plateau_start_year", "peak_year_with_indirect")
"""Per-member calendar years of a result file (checked to lie in its years or be NaN)."""


def name_of(ds: xr.Dataset) -> str:
    """The file the Dataset was read from (for messages), or '<dataset>'."""
    return str(ds.encoding.get("source", "<dataset>"))


def kind(ds: xr.Dataset) -> str:
    """'sweep' for a combined sweep file (a ``case`` dimension), 'sensitivity' for a file of
    ``sim sensitivity`` (``factor`` and ``output`` dimensions), 'plan' for a file of ``sim plan``
    (``evaluation`` and ``lever``), else 'ensemble'."""
    if "factor" in ds.dims and "output" in ds.dims:
        return "sensitivity"
    if "evaluation" in ds.dims and "lever" in ds.dims:
        return "plan"
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
    if "member" in da.dims and np.issubdtype(da.dtype, np.floating):
        # member_quantiles: the same statistic with the block sorted once; xarray's skipna path
        # runs np.nanquantile along each column in Python (~10x slower on (member, sector, year))
        x = da.transpose("member", ...)
        coords = {k: v for k, v in x.coords.items() if v.dims and "member" not in v.dims}
        return xr.DataArray(member_quantiles(x.values, np.array(q)), dims=("quantile",) + x.dims[1:],
                            coords=dict(coords, quantile=q), attrs=da.attrs, name=da.name)
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


def member_quantiles(x, q: np.ndarray) -> np.ndarray:
    """Quantiles over axis 0 of a member-first NumPy block (linear interpolation, NumPy's default;
    inverted CDF for integers such as years, so a quantile of years is a year), ignoring NaN.

    The same statistics as :func:`quantiles`, for the streaming writer (``sim.results.ensemble``). Without
    NaN the block is sorted once along the member axis and every quantile interpolated from it
    (about 5x faster than ``np.quantile``'s multi-pivot partition on these shapes).
    """
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.integer):
        return np.quantile(x, q, axis=0, method="inverted_cdf")
    if np.isnan(x).any():
        with warnings.catch_warnings():  # a target undefined in every member stays NaN, silently
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanquantile(x, q, axis=0)
    xs = np.sort(x, axis=0)
    pos = q * (x.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, x.shape[0] - 1)
    frac = (pos - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    return xs[lo] + (xs[hi] - xs[lo]) * frac


def median(da: xr.DataArray) -> xr.DataArray:
    """Median over members (or the stored median) without a quantile dimension."""
    return quantiles(da, [0.5]).isel(quantile=0, drop=True)


def provinces(ds: xr.Dataset, selected: Iterable[str] | None) -> list[str]:
    """Validate province names (pinyin, ISO code, or Chinese: ``sim.core.axes.resolve_province``)
    against the file; return the pinyin names."""
    names = [str(p) for p in ds["province"].values]
    if selected is None:
        return names
    out = []
    for p in selected:
        try:
            out.append(resolve_province(p, names))
        except UnknownProvince as e:
            hint = f" (did you mean {e.suggestion!r}?)" if e.suggestion else ""
            raise ResultsFileError(f"{name_of(ds)}: no province {p!r}; the file has "
                                   f"{', '.join(names)}{hint}") from None
    return out
