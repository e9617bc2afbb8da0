"""Opening result files for review: kinds, requirements, statistics at every detail."""

import numpy as np
import pytest
import xarray as xr

from sim.results import reading as results
from sim.results.reading import ResultsFileError


def _members(n=101):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2, 3))
    return xr.Dataset(
        {"co2": (("member", "province", "year"), x)},
        coords={"member": np.arange(n), "province": ["Anhui", "Hebei"], "year": [2019, 2020, 2021],
                "province_iso": ("province", ["CN-AH", "CN-HE"]),
                "province_zh": ("province", ["安徽", "河北"])})


def test_quantiles_from_members_equal_numpy():
    ds = _members()
    got = results.quantiles(ds["co2"], [0.05, 0.5, 0.95])
    np.testing.assert_allclose(got.values, np.quantile(ds["co2"].values, [0.05, 0.5, 0.95], axis=0))
    np.testing.assert_allclose(results.median(ds["co2"]).values, np.median(ds["co2"].values, axis=0))


def test_quantiles_from_stored_quantiles_select_and_reject_absent():
    q = xr.DataArray(np.arange(10.0).reshape(5, 2), dims=("quantile", "year"),
                     coords={"quantile": [0.05, 0.25, 0.5, 0.75, 0.95]}, name="x")
    np.testing.assert_array_equal(results.median(q).values, [4.0, 5.0])
    assert results.quantiles(q, [0.95, 0.05]).values.tolist() == [[8.0, 9.0], [0.0, 1.0]]
    with pytest.raises(ResultsFileError, match="0.1 not stored"):
        results.quantiles(q, [0.1])


def test_require_names_missing_variables_and_dimensions():
    ds = _members()
    ds.encoding["source"] = "f.nc"
    with pytest.raises(ResultsFileError, match=r"f.nc: cannot be used for plotting: missing variable\(s\) eaf_share"):
        results.require(ds, ["co2", "eaf_share"], "plotting")
    with pytest.raises(ResultsFileError, match="co2 has dimensions .*needs sector"):
        results.require(ds, ["co2"], "plotting", dims={"co2": ["province", "sector"]})
    results.require(ds, ["co2"], "plotting", dims={"co2": ["province"]})


def test_provinces_by_english_iso_or_chinese_name():
    ds = _members()
    assert results.provinces(ds, ["anhui", "CN-HE", "安徽"]) == ["Anhui", "Hebei", "Anhui"]
    assert results.provinces(ds, None) == ["Anhui", "Hebei"]
    with pytest.raises(ResultsFileError, match="no province 'Atlantis'"):
        results.provinces(ds, ["Atlantis"])


def test_open_results_rejects_missing_and_non_netcdf(tmp_path):
    with pytest.raises(ResultsFileError, match="no such file"):
        results.open_results(tmp_path / "absent.nc")
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    with pytest.raises(ResultsFileError, match="bad.nc: not a readable NetCDF file"):
        results.open_results(bad)
    good = tmp_path / "good.nc"
    _members().to_netcdf(good)
    with results.open_results(good) as ds:
        assert results.kind(ds) == "ensemble" and results.detail(ds) == "full"
        assert results.name_of(ds) == str(good)


def test_atomic_path_renames_on_success_and_leaves_nothing_on_failure(tmp_path):
    from sim.core import files

    target = tmp_path / "sub" / "out.csv"
    with files.atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.suffix == ".csv" and tmp.name.startswith(".")
        tmp.write_text("a,b\n")
    assert target.read_text() == "a,b\n"
    with pytest.raises(RuntimeError):
        with files.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "a,b\n"  # the finished file is untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.csv"]
