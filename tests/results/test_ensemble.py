"""Streaming ensemble files: equal to the in-memory run, every detail level consistent, bounded
memory, and nothing left behind by an interrupted run."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from sim.analysis import report
from sim.model import run as model
from sim.results import ensemble, netcdf
from sim.results.reading import open_results
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
MEMBERS, SEED = 24, 11


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(REPO / "scenarios" / "anhui.toml")


@pytest.fixture(scope="module")
def in_memory(scenario):
    return model.run(model.prepare(scenario, members=MEMBERS, seed=SEED), chunk_size=MEMBERS)


@pytest.fixture(scope="module")
def streamed(anhui_results):
    """The three detail levels of the same run (MEMBERS, SEED), streamed in chunks of 5, which do
    not divide the members (tests/conftest.py, through the ensemble writer as `sim run` calls it)."""
    return anhui_results


def _assert_stored_equal(stored: np.ndarray, exact: np.ndarray, name: str) -> None:
    """Exact variables must be identical; the others are float32 roundings of the same values."""
    if name in ensemble.EXACT or not np.issubdtype(np.asarray(exact).dtype, np.floating):
        np.testing.assert_array_equal(stored, exact, err_msg=name)
    else:
        np.testing.assert_array_equal(stored, np.asarray(exact).astype(np.float32), err_msg=name)


def test_full_detail_stream_equals_the_in_memory_run(streamed, in_memory):
    with open_results(streamed["full"]) as ds:
        assert ds.sizes["member"] == MEMBERS
        np.testing.assert_array_equal(ds["member"].values, np.arange(MEMBERS))
        for name in in_memory.data_vars:
            _assert_stored_equal(ds[name].values, in_memory[name].values, name)
        assert ds["value_added"].encoding["dtype"] == np.float32
        assert ds["target_value"].encoding["dtype"] == np.float64


def test_streamed_file_has_the_attributes_of_a_written_dataset(streamed, in_memory, scenario,
                                                               tmp_path):
    plain = in_memory.assign_attrs(netcdf.global_attributes(scenario, SEED, MEMBERS, "sim run anhui"))
    netcdf.write_atomic(plain, tmp_path / "plain.nc")
    with open_results(streamed["full"]) as s, open_results(tmp_path / "plain.nc") as p:
        for key in ("Conventions", "title", "source", "scenario_toml", "seed", "data_sources"):
            assert str(s.attrs[key]) == str(p.attrs[key]), key
        assert s.attrs["output_detail"] == "full"
        for name in p.data_vars:
            for key in ("units", "long_name"):
                assert s[name].attrs[key] == p[name].attrs[key], (name, key)
        for name in p.coords:
            np.testing.assert_array_equal(s[name].values, p[name].values, err_msg=name)


def test_province_detail_totals_and_sector_quantiles(streamed, in_memory):
    with open_results(streamed["province"]) as ds:
        assert ds.attrs["output_detail"] == "province"
        assert "sector" not in ds["co2_direct_total"].dims
        for name in ensemble.PROVINCE_TOTAL_VARIABLES:
            total = in_memory[name].sum("sector").transpose(*ds[f"{name}_total"].dims)
            _assert_stored_equal(ds[f"{name}_total"].values, total.values, name)
        for name in ensemble.SECTOR_QUANTILE_VARIABLES:
            assert ds[name].dims[0] == "quantile" and "member" not in ds[name].dims
            # quantiles of the float32-stored members (the scratch keeps float32)
            members = in_memory[name].values.astype(np.float32)
            expected = np.quantile(members, ensemble.QUANTILES, axis=0)
            np.testing.assert_allclose(ds[name].values, expected, rtol=1e-6, err_msg=name)
        by_carrier = in_memory["final_energy"].sum("sector").values.astype(np.float32)
        expected = np.quantile(by_carrier, ensemble.QUANTILES, axis=0)
        np.testing.assert_allclose(ds[ensemble.CARRIER_TOTAL].values, expected, rtol=1e-5)
        for name in ("industrial_co2", "target_value", "peak_year", "eaf_share"):
            _assert_stored_equal(ds[name].values, in_memory[name].values, name)


def test_summary_detail_has_no_members_and_exact_statistics(streamed, in_memory):
    with open_results(streamed["summary"]) as ds:
        # only the design rows (DESIGN §10) and the attainment keep the member axis
        assert sorted(n for n in ds.data_vars if "member" in ds[n].dims) == [
            "parameter_value", "target_attained"]
        np.testing.assert_array_equal(ds["target_attained"].values,
                                      in_memory["target_attained"].values)
        assert int(ds.attrs["members"]) == MEMBERS
        np.testing.assert_array_equal(ds["target_probability"].values,
                                      in_memory["target_probability"].values)
        expected = np.nanquantile(in_memory["target_value"].values, ensemble.QUANTILES, axis=0)
        np.testing.assert_allclose(ds["target_value"].values, expected, rtol=1e-12)
        peaks = in_memory["peak_year"].values  # (member, region)
        years = in_memory["year"].values
        hist = np.stack([(peaks == y).mean(axis=0) for y in years], axis=1)  # (region, year)
        np.testing.assert_array_equal(ds["peak_year_probability"].values, hist)


def test_report_is_the_same_at_every_detail(streamed):
    tables = []
    for detail in ensemble.DETAILS:
        with open_results(streamed[detail]) as ds:
            tables.append(report.format_table(ds).split("\n", 1)[1])  # after the header line
    assert tables[0] == tables[1] == tables[2]


def test_chunks_are_processed_one_at_a_time(scenario, tmp_path, monkeypatch):
    """What is appended to the file is one chunk of members at a time, never the ensemble."""
    seen = []
    original = ensemble._append

    def spy(nc, part, start, stop):
        for da in part.data_vars.values():
            if "member" in da.dims:
                seen.append(da.sizes["member"])
        return original(nc, part, start, stop)

    monkeypatch.setattr(ensemble, "_append", spy)
    prep = model.prepare(scenario, members=30, seed=1)
    ensemble.write_ensemble(prep, tmp_path / "x.nc", detail="province", chunk_size=4)
    assert seen and max(seen) == 4


def _peak_traced_memory(scenario, folder: Path, members: int) -> int:
    prep = model.prepare(scenario, members=members, seed=2)
    tracemalloc.start()
    try:
        ensemble.write_ensemble(prep, folder / f"m{members}.nc", detail="province", chunk_size=8)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow  # three national runs under tracemalloc
def test_peak_memory_does_not_grow_with_members(scenario, tmp_path):
    national = load_scenario(REPO / "scenarios" / "national.toml")
    _peak_traced_memory(national, tmp_path, 8)  # warm caches and imports
    small = _peak_traced_memory(national, tmp_path, 32)
    large = _peak_traced_memory(national, tmp_path, 128)
    # 4x the members: the ensemble-sized parts (running counts) are tiny, so the peak is that
    # of one chunk (a run holding every member would need about 4x)
    assert large < 1.5 * small, (small, large)


def test_interrupted_run_leaves_no_file(scenario, tmp_path, monkeypatch):
    calls = {"n": 0}
    original = model.run_chunk

    def failing(prep, start, stop, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(prep, start, stop, *args, **kw)

    monkeypatch.setattr(model, "run_chunk", failing)
    prep = model.prepare(scenario, members=20, seed=1)
    with pytest.raises(KeyboardInterrupt):
        ensemble.write_ensemble(prep, tmp_path / "out" / "x.nc", detail="province", chunk_size=4)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")  # numpy's own, members = 1
@pytest.mark.parametrize("members", [1, 2, 7, 500])
def test_sorted_quantiles_equal_numpy(members):
    rng = np.random.default_rng(members)
    q = np.array(ensemble.QUANTILES)
    x = rng.lognormal(size=(members, 3, 4))
    np.testing.assert_allclose(ensemble._quantiles(x, q), np.quantile(x, q, axis=0),
                               rtol=1e-15, atol=0)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(ensemble._quantiles(x32, q), np.quantile(x32, q, axis=0), rtol=1e-6)
    x[0, 0, 0] = np.nan
    np.testing.assert_array_equal(ensemble._quantiles(x, q), np.nanquantile(x, q, axis=0))
    years = rng.integers(2019, 2036, size=(members, 2))
    got = ensemble._quantiles(years, q)
    np.testing.assert_array_equal(got, np.quantile(years, q, axis=0, method="inverted_cdf"))
    assert np.isin(got, years).all()  # a quantile of years is one of the years


@pytest.mark.parametrize("detail", ensemble.DETAILS)
def test_every_detail_stores_the_sampled_parameters_per_member(scenario, tmp_path, detail):
    """parameter_value(member, parameter) is prep.samples, exactly and in member order, whatever
    the chunking (3 members a chunk or all 8 in one)."""
    members = 8
    prep = model.prepare(scenario, members=members, seed=SEED)
    expected = np.stack([prep.samples[k] for k in prep.samples], axis=1)
    assert np.ptp(expected, axis=0).max() > 0  # some parameters vary, so the order is tested
    for chunk in (3, members):
        path = ensemble.write_ensemble(prep, tmp_path / f"{detail}_{chunk}.nc", detail=detail,
                                       chunk_size=chunk)
        with open_results(path) as ds:
            da = ds["parameter_value"]
            assert da.dims == ("member", "parameter")
            assert da.encoding["dtype"] == np.float64
            assert list(ds["parameter"].values) == list(prep.samples)
            np.testing.assert_array_equal(ds["member"].values, np.arange(members))
            np.testing.assert_array_equal(da.values, expected)
            assert da.attrs["long_name"] and da.attrs["units"] == "1"
            assert len(ds["parameter_units"]) == len(prep.samples)
