"""CF-1.10 checked by tools nobody here wrote: the IOOS compliance-checker (``cf:1.10``) finds
no error and no warning in files of `sim run` at every detail level and of `sim sweep`; the NCAS
cfchecker (CF-1.8, its newest) finds only what it does not know of CF-1.10; cf_xarray finds the
time axis, the realization axis and the standard names (CF's region list has
no Chinese provinces, so no region standard name), while ``sel(year=...)``
keeps working."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

TABLES = Path(__file__).resolve().parents[1] / "fixtures" / "cf_tables"


@pytest.fixture(scope="module")
def files(anhui_results, sweep_results) -> dict[str, Path]:
    """The files of `sim run` at every detail and of `sim sweep` (tests/conftest.py)."""
    return {**{f"anhui {d}": p for d, p in anhui_results.items()},
            "sweep": sweep_results["combined"], "sweep part": sweep_results["parts"][0]}


def _failed(results):
    for r in results:
        if r.value is False or (isinstance(r.value, tuple) and r.value[0] < r.value[1]):
            yield r
        yield from _failed(r.children)


COSTS = ("total_cost", "cost_by_item", "discounted_cost", "energy_cost")
"""Cost variables of every detail (issue #23); full detail adds ``cost`` and ``investment_cost``."""


def _has_costs(files) -> None:
    """The checked files carry the cost variables (so the checkers see them)."""
    for label, path in files.items():
        with xr.open_dataset(path) as ds:
            need = COSTS + (("cost", "investment_cost") if label == "anhui full" else ())
            assert set(need) <= set(ds.data_vars), (label, set(need) - set(ds.data_vars))
            assert all(ds[n].attrs["currency"] == "CNY (2019 prices)" for n in need), label


@pytest.mark.slow  # the IOOS checker takes seconds a file
def test_compliance_checker_cf_1_10_finds_nothing(files):
    suite_module = pytest.importorskip("compliance_checker.suite")
    from compliance_checker.base import BaseCheck

    suite_module.CheckSuite.load_all_available_checkers()
    suite = suite_module.CheckSuite()
    _has_costs(files)
    for label, path in files.items():
        ds = suite.load_dataset(str(path))
        results, exceptions = suite.run_all(ds, ["cf:1.10"], skip_checks=[])["cf:1.10"]
        assert not exceptions, (label, {k: str(v[0]) for k, v in exceptions.items()})
        assert len(results) > 20, label  # the checks did run
        # HIGH = the checker's "errors", MEDIUM = its "warnings"
        bad = [(r.name, r.msgs) for r in _failed(results) if r.weight >= BaseCheck.MEDIUM]
        assert bad == [], (label, bad)


# What cfchecker 4.1 (CF-1.8 at most) reports that CF-1.10 allows: it does not know the
# Conventions value "CF-1.10"; and CF-1.10 (6.1) lets a label have several axis dimensions
# (route_name(sector, route)) where the checker's CF-1.8 rule allows one.
KNOWN_CFCHECKER_LIMITS = {
    "(2.6.1): This netCDF file does not appear to contain CF Convention data.",
    "(6.1): Label variable must have 1 or 2 dimensions",
}


def test_cfchecker_finds_only_what_it_does_not_know_of_cf_1_10(files):
    try:
        from cfchecker import cfchecks
    except Exception as e:  # not installed, or no udunits2 C library (an OSError from cfunits)
        pytest.skip(f"cfchecker unusable ({type(e).__name__}: {e}); it needs the udunits2 C "
                    "library: apt-get install libudunits2-0")
    import compliance_checker

    names = Path(compliance_checker.__file__).parent / "data" / "cf-standard-name-table.xml"
    _has_costs(files)
    for label, path in files.items():
        checker = cfchecks.CFChecker(cfStandardNamesXML=str(names),
                                     cfAreaTypesXML=str(TABLES / "area-type-table.xml"),
                                     cfRegionNamesXML=str(TABLES / "standardized-region-list.xml"),
                                     version=cfchecks.CFVersion((1, 8)), silent=True)
        res = checker.checker(str(path))
        errors = {m for m in res["global"]["ERROR"] + res["global"]["FATAL"]}
        warnings = list(res["global"]["WARN"])
        for var, found in res["variables"].items():
            errors |= {m for m in found["ERROR"] + found["FATAL"]}
            warnings += [(var, m) for m in found["WARN"]]
        assert errors <= KNOWN_CFCHECKER_LIMITS, (label, errors - KNOWN_CFCHECKER_LIMITS)
        # its one warning: a text axis (xarray's layout: a character variable named like its
        # dimension) may be a misdeclared coordinate
        other = [(v, m) for v, m in warnings if not m.startswith("(5): Possible incorrect")]
        assert other == [], (label, other)


def test_cf_xarray_finds_time_realization_region_and_standard_names(files):
    pytest.importorskip("cf_xarray")
    for label, path in files.items():
        with xr.open_dataset(path) as ds:
            assert ds.cf.axes["T"] == ["time"], label
            assert ds.cf.coordinates["time"] == ["time"], label
            assert ds.cf.bounds["time"] == ["time_bnds"], label
            names = ds.cf.standard_names
            assert names["time"] == ["time"], label
            if "member" in ds.dims:
                assert names["realization"] == ["member"], label
                assert ds.cf["realization"].dims == ("member",)
            # time is the middle of each calendar year, bounded by its first days
            years = ds["year"].values
            np.testing.assert_array_equal(ds["time"].dt.year.values, years)
            start = ds["time_bnds"].values[:, 0].astype("datetime64[D]")
            end = ds["time_bnds"].values[:, 1].astype("datetime64[D]")
            np.testing.assert_array_equal(start, [np.datetime64(f"{y}-01-01") for y in years])
            np.testing.assert_array_equal(end, [np.datetime64(f"{y + 1}-01-01") for y in years])
            assert (ds["time"].values > ds["time_bnds"].values[:, 0]).all()
            # the year axis stays the easy way in
            co2 = ds["industrial_co2"].sel(year=2030)
            assert "year" not in co2.dims and co2.notnull().all()
            assert ds["year"].dtype.kind == "i"


def test_time_survives_a_sweep_combine_unchanged(files):
    with xr.open_dataset(files["sweep"]) as sweep, xr.open_dataset(files["sweep part"]) as part:
        for name in ("time", "time_bnds"):
            assert sweep[name].dims == part[name].dims  # no case axis on the time coordinate
            np.testing.assert_array_equal(sweep[name].values, part[name].values)
            assert sweep[name].encoding["units"] == part[name].encoding["units"] \
                == "days since 2000-01-01"
