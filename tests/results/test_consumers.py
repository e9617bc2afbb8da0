"""What xarray, pint, cf_xarray and pyam users do with the files the commands write (issue #21):
every example of the issue, run on files of every kind (run files at each detail, a sweep part,
a combined sweep, a sensitivity file), with the third-party packages themselves."""

from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from sim.core import axes
from sim.interfaces.cli import main
from sim.results import export
from tests.helpers.result_files import write_sweep

pyam = pytest.importorskip("pyam")


@pytest.fixture(scope="module")
def files(tmp_path_factory, anhui_results) -> dict[str, Path]:
    """The run files at every detail (tests/conftest.py), a two-case sweep at province detail
    (its parts and combined file) and a sensitivity file."""
    folder = tmp_path_factory.mktemp("consumers")
    out = {f"run {d}": p for d, p in anhui_results.items()}
    sweep = write_sweep(folder, members=6, detail="province", grid=False)
    out["combined sweep"] = sweep["combined"]
    out["sweep part"], out["sweep part 2"] = sweep["parts"]
    res = CliRunner().invoke(main, ["sensitivity", "anhui", "--method", "morris", "--samples", "2",
                                    "--no-discrepancy", "--parameters", "growth_offset",
                                    "--out", str(folder / "sens.nc"), "-q"])
    assert res.exit_code == 0, res.output
    out["sensitivity"] = folder / "sens.nc"
    return out


def test_pint_quantifies_every_variable_of_every_file_kind(files):
    """`ds.pint.quantify()` failed on every run file: '1e9 yr-1' has a scaling factor pint
    refuses. With cf_xarray's UDUNITS registry (the usual set-up), every units attribute parses."""
    pytest.importorskip("pint_xarray")
    import cf_xarray.units  # noqa: F401  (pint's registry for UDUNITS strings)
    import pint_xarray  # noqa: F401

    for kind, path in files.items():
        with xr.open_dataset(path) as ds:
            quantified = ds.pint.quantify()
            for name, var in ds.data_vars.items():
                if "units" in var.attrs:
                    assert hasattr(quantified[name].data, "units"), (kind, name)
        if kind.startswith("run"):
            va = quantified["value_added"].pint.to("1/year")  # CNY yr-1, the currency left out
            assert float(va.max()) > 1e9, kind  # CNY, not billions
            # money is dimensionless per year, like value added (issue #23): the costs quantify
            total = quantified["total_cost"].pint.to("1/year")
            assert float(total.max()) > 1e9, kind
            assert str(quantified["discounted_cost"].pint.units) == "dimensionless", kind
            assert quantified["cost_by_item"].pint.units == total.pint.units, kind
            assert ds["total_cost"].attrs["currency"] == "CNY (2019 prices)"


@pytest.mark.parametrize("kind", ["run full", "run province", "run summary", "combined sweep",
                                  "sweep part"])
def test_cf_xarray_uses_time_as_the_time_axis(files, kind):
    """`da.cf.mean("T")` and `da.cf.isel(T=0)` failed: the CF time coordinate hung off the year
    dimension. The file's dimension is now time, with year(time) as its label."""
    pytest.importorskip("cf_xarray")
    import cf_xarray  # noqa: F401

    with xr.open_dataset(files[kind]) as ds:
        da = ds["industrial_co2"] if "industrial_co2" in ds else ds["peak_year_probability"]
        if "total_cost" in ds:  # the costs have the same axes (issue #23)
            cost = ds["total_cost"]
            assert cost.cf.axes["T"] == ["time"] and "time" not in cost.cf.mean("T").dims
        assert da.cf.axes["T"] == ["time"]
        assert "time" not in da.cf.mean("T").dims
        assert da.cf.isel(T=0)["year"].item() == axes.BASE_YEAR
        assert ds["year"].dims == ("time",)
        assert ds.sel(time="2030")["year"].values.tolist() == [2030]  # xarray's own selection
        assert ds.swap_dims(time="year").sel(year=2030)["time"].dt.year.item() == 2030


def test_sweep_parts_combine_by_themselves(files):
    """`xr.open_mfdataset(parts)` failed: case number and lever values were global attributes.
    Each part has its case coordinate and lever values, and the parts rebuild the combined
    dataset."""
    parts = [files["sweep part"], files["sweep part 2"]]
    with xr.open_mfdataset(parts) as rebuilt, xr.open_dataset(files["combined sweep"]) as combined:
        assert rebuilt.sizes["case"] == 2
        np.testing.assert_array_equal(rebuilt["lever_eaf"].values, combined["lever_eaf"].values)
        np.testing.assert_array_equal(rebuilt["case"].values, [0, 1])
        for name in combined.data_vars:
            np.testing.assert_array_equal(rebuilt[name].values, combined[name].values,
                                          err_msg=name)


def test_the_combined_sweep_is_chunked_by_case_and_province(files):
    """Combined sweep files were chunked one member at a time with every case and region in each
    chunk: reading one case or one province read everything."""
    with xr.open_dataset(files["combined sweep"]) as ds:
        data = list(ds.data_vars)
    with netCDF4.Dataset(files["combined sweep"]) as nc:
        checked = 0
        for name in data:
            var = nc[name]
            dims = var.dimensions
            if "case" not in dims or not var.ndim or var.chunking() == "contiguous":
                continue
            chunks = dict(zip(dims, var.chunking()))
            assert chunks["case"] == 1, name
            for d in ("province", "region"):
                if d in chunks:
                    assert chunks[d] == 1, name
            checked += 1
        assert checked >= 5


def test_part_exports_concatenate_in_pyam_and_equal_the_combined_export(files, tmp_path):
    """Each part's IAMC export has a distinct scenario (<scenario>|case-NNNNN|<statistic>), so
    pyam.concat works; sim export takes the combined file (one scenario per case)."""
    runner = CliRunner()
    tables = []
    for i, key in enumerate(("sweep part", "sweep part 2", "combined sweep")):
        out = tmp_path / f"t{i}.csv"
        res = runner.invoke(main, ["export", str(files[key]), "--out", str(out)])
        assert res.exit_code == 0, res.output
        tables.append(pyam.IamDataFrame(out))
    joined = pyam.concat(tables[:2])
    assert {s.split("|")[1] for s in joined.scenario} == {"case-00000", "case-00001"}
    assert sorted(joined.scenario) == sorted(tables[2].scenario)
    a = joined.data.sort_values(["scenario", "region", "variable", "year"]).reset_index(drop=True)
    b = tables[2].data.sort_values(["scenario", "region", "variable", "year"]).reset_index(drop=True)
    np.testing.assert_allclose(a["value"], b["value"], rtol=1e-6)


def test_pyams_default_aggregate_check_passes_on_steel(files):
    """check_aggregate("Production|Iron and Steel|Steel") counted '...|Secondary [Share]' as a
    component and failed; the share is in a tree of its own."""
    with xr.open_dataset(files["run full"]) as ds:
        df = pyam.IamDataFrame(export.iamc_table(ds.swap_dims(time="year")))
    mean = df.filter(scenario="*|mean")
    assert "Production Share|Iron and Steel|Steel|Secondary" in mean.variable
    assert mean.check_aggregate("Production|Iron and Steel|Steel") is None
    assert mean.check_aggregate("Production|Non-Ferrous Metals|Aluminum") is None


def test_a_route_is_selected_by_its_name(files):
    """Routes were positions (route_0..2) with a 2-D label variable: ds.sel(route="scrap_eaf")
    failed."""
    with xr.open_dataset(files["run full"]) as ds:
        eaf = ds["production"].sel(route="scrap_eaf")
        assert eaf.dims == ("member", "province", "time")
        assert str(ds["route_sector"].sel(route="scrap_eaf").values) == "iron_steel"
        steel = ds["production"].sel(route=list(axes.ROUTE_NAMES["iron_steel"])).sum("route")
        share = (eaf / steel).isel(member=0).values
        np.testing.assert_allclose(share, ds["eaf_share"].isel(member=0).values, rtol=1e-6)
        assert np.isnan(ds["production"].sel(route="electrified")).all()  # value-added routes
        shares = ds["route_share"].sel(sector="chemicals").isel(member=0, time=0, province=0)
        np.testing.assert_allclose(shares.sum("route").item(), 1.0, rtol=1e-6)
        assert np.isnan(ds["route_share"].sel(sector="chemicals", route="bf_bof")).all()
