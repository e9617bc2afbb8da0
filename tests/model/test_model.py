"""The assembled model on the calibrated base state: hand cases, determinism, the NetCDF contract."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sim.core import axes
from sim.core.variables import VARIABLES
from sim.model import run as model
from sim.results import netcdf
from sim.results.reading import open_results
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"

ZERO_GROWTH = "\n".join(
    ["[scenario]", 'name = "zero"', 'provinces = "all"', "members = 3", "seed = 1", ""]
    + [f"[growth.sector.{s}]\n2019 = 0.0" for s in axes.SECTORS])


@pytest.fixture(scope="module")
def zero_growth(tmp_path_factory):
    path = tmp_path_factory.mktemp("zero") / "zero.toml"
    path.write_text(ZERO_GROWTH, encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="module")
def anhui_small():
    sc = load_scenario(SCENARIOS / "anhui.toml")
    return sc, model.run(model.prepare(sc, members=12, seed=7), chunk_size=5)


def _constant_in_time(da: xr.DataArray, rtol: float) -> None:
    x = da.values
    np.testing.assert_allclose(x, np.broadcast_to(x[..., :1], x.shape), rtol=rtol, atol=1e-9,
                               err_msg=da.name)


def test_zero_growth_no_levers_keeps_every_capacity_stock(zero_growth):
    """No growth, no levers, no uncertainty: demand, capacity by route, production and value added
    of every province and sector stay at their 2019 values to rounding."""
    ds = model.run(model.prepare(zero_growth))
    for name in ("demand", "capacity", "production", "value_added"):
        _constant_in_time(ds[name].fillna(0.0), rtol=1e-12)
    # and the base year is the calibrated one: national crude steel (NBS 2019: 996.3 Mt)
    steel = ds["production"].isel(member=0, year=0).sel(route=["bf_bof", "scrap_eaf", "h2_dri_eaf"]).sum()
    np.testing.assert_allclose(float(steel), 996.3, rtol=0.01)


def test_zero_growth_without_intensity_change_keeps_energy_and_co2(zero_growth, base_state):
    """With best-available intensity equal to the installed one, no AEEI and no autonomous fuel
    switching, replacement changes nothing either: final energy and every CO2 flow stay at their
    base values."""
    base = base_state
    still = replace(base, new_int0=base.int0, aeei=np.zeros_like(base.aeei),
                    aeei_elec=np.zeros_like(base.aeei_elec),
                    floor_int=np.minimum(base.floor_int, base.int0),
                    coal_to_gas_trend=np.zeros_like(base.coal_to_gas_trend),
                    electrification_trend=np.zeros_like(base.electrification_trend))
    ds = model.run(model.prepare(zero_growth, base=still))
    for name in ("final_energy", "co2_direct", "co2_process", "industrial_co2"):
        _constant_in_time(ds[name], rtol=1e-12)
    # year-0 direct + process CO2 equals the calibrated CEADs 2019 values, to the rounding of the
    # calibration files (intensities and factors are stored with 6-7 significant digits)
    np.testing.assert_allclose(ds["co2_direct"].isel(member=0, year=0).values,
                               base.co2_direct0, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ds["co2_process"].isel(member=0, year=0).values,
                               base.co2_process0, rtol=1e-6, atol=1e-9)


def test_same_seed_same_values_and_chunking_does_not_matter():
    sc = load_scenario(SCENARIOS / "anhui.toml")
    a = model.run(model.prepare(sc, members=10, seed=3), chunk_size=10)
    b = model.run(model.prepare(sc, members=10, seed=3), chunk_size=3)
    c = model.run(model.prepare(sc, members=10, seed=3), chunk_size=4)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
        np.testing.assert_array_equal(a[name].values, c[name].values, err_msg=name)
    d = model.run(model.prepare(sc, members=10, seed=4), chunk_size=10)
    assert not np.array_equal(a["industrial_co2"].values, d["industrial_co2"].values)


def test_output_contract(anhui_small):
    sc, ds = anhui_small
    for dim in ("member", "province", "sector", "route", "carrier", "year", "target", "region"):
        assert dim in ds.dims, dim
    for name in ("value_added", "production", "capacity", "final_energy", "co2_direct",
                 "co2_process", "co2_indirect", "co2_captured", "eaf_share", "scrap_supply",
                 "scrap_use", "grid_emission_factor", "target_value", "target_attained",
                 "target_probability", "peak_year"):
        assert name in ds, name
    assert ds["target_value"].dims == ("member", "target")
    assert ds["target_probability"].dims == ("target",)
    assert ds["peak_year"].dims == ("member", "region")
    assert list(ds["region"].values) == ["Anhui", "national"]
    assert list(ds["province_iso"].values) == ["CN-AH"]
    np.testing.assert_allclose(ds["target_probability"].values,
                               ds["target_attained"].mean("member").values)


_UDUNITS_SYMBOL = re.compile(r"^([kMGTP]?(t|J|W|g)|h|yr)$")


def _udunits_parsable(units: str) -> bool:
    """A conservative check of the UDUNITS grammar used here: space-separated factors, each a
    (prefixed) symbol with an optional integer exponent."""
    for factor in units.split():
        if re.fullmatch(r"\d+(\.\d*)?(e\d+)?", factor):  # a number: 1, 1e9
            continue
        m = re.fullmatch(r"([A-Za-z]+)(-?\d+)?", factor)
        if not m or not _UDUNITS_SYMBOL.match(m.group(1)):
            return False
    return True


def test_udunits_check_rejects_what_udunits_rejects():
    assert _udunits_parsable("Mt yr-1") and _udunits_parsable("t MW-1 h-1")
    assert not _udunits_parsable("t/MWh") and not _udunits_parsable("1e9 CNY yr-1")
    assert not _udunits_parsable("MWh")


def test_netcdf_round_trip_keeps_values_and_cf_attributes(anhui_small, tmp_path):
    sc, ds = anhui_small
    ds = ds.assign_attrs(netcdf.global_attributes(sc, 7, 12, command="sim run anhui"))
    path = netcdf.write_atomic(ds, tmp_path / "out" / "anhui.nc")
    assert sorted(p.name for p in path.parent.iterdir()) == ["anhui.nc"]  # no temporary left
    with open_results(path) as back:
        for name in ds.data_vars:
            np.testing.assert_array_equal(back[name].values, ds[name].values, err_msg=name)
            assert back[name].attrs["units"] == VARIABLES[name].units
            assert _udunits_parsable(back[name].attrs["units"]), name
            assert back[name].attrs["long_name"]
        for key in ("Conventions", "title", "history", "source", "scenario_toml", "seed",
                    "creation_time", "data_sources"):
            assert key in back.attrs, key
        assert back.attrs["Conventions"] == "CF-1.10"
        assert back.attrs["scenario_toml"] == sc.text
        assert int(back.attrs["seed"]) == 7
        assert list(back["target"].values) == list(ds["target"].values)
        assert back["province_zh"].values[0] == "安徽"


def test_write_atomic_leaves_nothing_when_writing_fails(anhui_small, tmp_path):
    _, ds = anhui_small
    bad = ds.assign(broken=("member", [object()] * ds.sizes["member"]))
    with pytest.raises(Exception):
        netcdf.write_atomic(bad, tmp_path / "x.nc")
    assert list(tmp_path.iterdir()) == []
