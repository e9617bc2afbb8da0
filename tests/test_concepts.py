"""One home per concept (#11 §3): the owners agree with what is derived from them."""

from __future__ import annotations

import kernels.arrays as arrays
from sim.core import axes


def test_carrier_positions_name_the_carriers_of_sim_axes():
    positions = {"COAL": "coal", "OIL": "oil", "GAS": "gas", "ELECTRICITY": "electricity",
                 "HEAT": "heat", "HYDROGEN": "hydrogen", "BIOMASS": "biomass"}
    assert len(axes.CARRIERS) == arrays.N_CARRIERS == len(positions)
    for constant, name in positions.items():
        assert axes.CARRIERS[getattr(arrays, constant)] == name, constant
    assert tuple(axes.CARRIERS[c] for c in arrays.FOSSIL) == axes.FOSSIL_CARRIERS


def test_value_added_sectors_are_the_non_material_sectors():
    assert set(axes.VA_SECTORS).isdisjoint(axes.MATERIAL_SECTORS)
    assert set(axes.VA_SECTORS) | set(axes.MATERIAL_SECTORS) == set(axes.SECTORS)
    assert list(axes.VA_SECTORS) == [s for s in axes.SECTORS if s in axes.VA_SECTORS]


def test_intensity_units_tell_co2_from_coal_equivalent_and_parse_as_udunits():
    from sim.core.indicators_registry import INDICATORS
    from tests.model.test_model import _udunits_parsable

    co2, energy = INDICATORS["co2_intensity"][0], INDICATORS["energy_intensity"][0]
    assert co2 != energy  # both were "kg/CNY"
    assert _udunits_parsable(co2) and _udunits_parsable(energy)
    assert "kgce" in INDICATORS["energy_intensity"][1] and "CO2" in INDICATORS["co2_intensity"][1]


def test_one_eaf_share_for_arrays_and_dataarrays():
    import numpy as np
    import xarray as xr

    from sim.core.indicators import eaf_share

    rng = np.random.default_rng(3)
    steel = rng.random((4, 5, 3, 6))  # (member, province, route, year)
    steel[0, 0, :, 0] = 0.0  # no steel: NaN, not 0 or an error
    eaf = axes.route_index("iron_steel", "scrap_eaf")
    per_province = eaf_share(steel, route_axis=2)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(per_province, steel[:, :, eaf] / steel.sum(axis=2))
    grouped = eaf_share(steel, route_axis=2, province_axis=1)
    np.testing.assert_allclose(grouped, steel[:, :, eaf].sum(1) / steel.sum(axis=(1, 2)), rtol=1e-15)
    da = xr.DataArray(steel, dims=("member", "province", "route", "year"),
                      coords={"route": list(axes.ROUTE_NAMES["iron_steel"])})
    np.testing.assert_array_equal(eaf_share(da).values, per_province)
    np.testing.assert_allclose(eaf_share(da, province_axis=True).values, grouped, rtol=1e-12)


def test_one_province_resolver_for_pinyin_iso_codes_and_chinese():
    import pytest

    for given in ("Anhui", "anhui", "CN-AH", "cn-ah", "安徽"):
        assert axes.resolve_province(given) == "Anhui"
    assert axes.resolve_province("内蒙古") == "Inner Mongolia"
    with pytest.raises(axes.UnknownProvince) as e:
        axes.resolve_province("Anhwei")
    assert e.value.suggestion == "Anhui" and "did you mean 'Anhui'" in str(e.value)
    with pytest.raises(axes.UnknownProvince):  # known, but not among the allowed
        axes.resolve_province("Hebei", among=("Anhui",))


def test_scenario_files_resolve_provinces_like_the_reviewer_tools(tmp_path):
    import numpy as np
    import pytest

    from sim.scenario import ScenarioError, load_scenario

    def load(provinces: str, override: str):
        path = tmp_path / "s.toml"
        path.write_text(f'[scenario]\nname = "t"\nprovinces = {provinces}\nmembers = 2\n'
                        f'[levers.eaf_share]\n2030 = 0.2\n'
                        f'[levers.eaf_share.province.{override}]\n2030 = 0.4\n', encoding="utf-8")
        return load_scenario(path)

    pinyin = load('["Anhui", "Hebei"]', "Anhui")
    other = load('["CN-AH", "河北"]', '"安徽"')
    assert other.provinces == pinyin.provinces == ("Anhui", "Hebei")
    np.testing.assert_array_equal(other.lever_array("eaf_share"), pinyin.lever_array("eaf_share"))
    with pytest.raises(ScenarioError, match=r'provinces = \["Anhui", "CN-AH"\] lists Anhui twice'):
        load('["Anhui", "CN-AH"]', "Anhui")
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "t"\nprovinces = ["Anhui"]\n[levers.eaf_share.province.Anhui]\n'
                    '2030 = 0.2\n[levers.eaf_share.province."CN-AH"]\n2030 = 0.3\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r'levers.eaf_share.province.CN-AH: names Anhui again \(also as Anhui\)'):
        load_scenario(path)


def test_sweep_lhs_is_the_uncertainty_design_and_unchanged():
    import numpy as np

    from sim.scenario.sweep import Axis
    from sim.scenario.sweep import lhs as _lhs
    from sim.scenario.uncertainty import design

    ax = (Axis("a", "eaf_share", 2030, low=0.1, high=0.3), Axis("b", "phase_out", 2030, low=0.0, high=1.0))
    cases = np.array(_lhs(ax, 9, 7))
    low, high = np.array([0.1, 0.0]), np.array([0.3, 1.0])
    np.testing.assert_array_equal(cases, low + design(2, 9, 7) * (high - low))
    # the values the sweep's own LatinHypercube gave before it used sim.scenario.uncertainty.design
    np.testing.assert_allclose(cases[:2], [[0.126714240292, 0.549656235194],
                                           [0.109081086279, 0.236797206294]], rtol=0, atol=1e-12)


def test_scratch_path_is_removed_however_the_block_ends(tmp_path):
    import pytest

    from sim.core import files


    with files.scratch_path(tmp_path / "x.nc") as scratch:
        scratch.write_text("working")
        assert scratch.parent == tmp_path and scratch.name.startswith(".")
    assert not scratch.exists()
    with pytest.raises(RuntimeError), files.scratch_path(tmp_path / "x.nc") as scratch:
        scratch.write_text("working")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_provenance_names_the_base_state_of_the_run_not_the_default():
    # defect (#11 §3): sim.core.io reloaded the default base state to write the provenance
    from dataclasses import replace
    from pathlib import Path

    from sim.data.base_state import load_base_state
    from sim.model import run as model
    from sim.results import netcdf
    from sim.scenario import load_scenario

    sc = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "anhui.toml")
    custom = replace(load_base_state(), parameter_source="my_parameters.toml")
    prep = model.prepare(sc, members=2, seed=1, base=custom)
    attrs = netcdf.global_attributes(sc, 1, 2, command="test", base=prep.base)
    assert "my_parameters.toml" in attrs["calibration"]
    default = netcdf.global_attributes(sc, 1, 2, command="test")["calibration"]
    assert default.endswith(load_base_state().parameter_source)


def test_structural_shift_without_base_value_added_is_an_error_not_a_ratio_of_one(tmp_path,
                                                                                  base_state):
    # defect (#11 §3): a blanket except substituted 1 for the heavy/light value-added ratio
    import numpy as np
    import pytest

    from sim.scenario import load_scenario

    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "t"\nprovinces = ["Anhui", "Hebei"]\nmembers = 2\n'
                    '[levers.structural_shift]\n2025 = 0.0\n2030 = 0.01\n', encoding="utf-8")
    sc = load_scenario(path)
    with pytest.raises(ValueError, match="structural_shift needs the base-year value added"):
        sc.growth_array()
    base = base_state
    shifted = sc.growth_array(base=base)
    path.write_text('[scenario]\nname = "t"\nprovinces = ["Anhui", "Hebei"]\nmembers = 2\n',
                    encoding="utf-8")
    plain = load_scenario(path).growth_array(base=base)
    t = sc.years.index(2030)
    heavy = np.array([s in axes.ENERGY_INTENSIVE_SECTORS for s in axes.SECTORS])
    np.testing.assert_allclose(shifted[:, heavy, t], plain[:, heavy, t] - 0.01)
    gain = shifted[:, ~heavy, t] - plain[:, ~heavy, t]  # (province, light sector)
    ratio = gain[:, 0] / 0.01
    np.testing.assert_allclose(gain, np.broadcast_to(0.01 * ratio[:, None], gain.shape))
    assert np.all(ratio > 0) and not np.allclose(ratio, 1.0) and ratio[0] != ratio[1]


def test_sweep_dask_client_without_jobqueue_says_how_to_install(monkeypatch):
    import sys
    from pathlib import Path

    import pytest

    from sim.analysis.cluster import dask_client
    from sim.scenario.sweep import load_sweep

    sw = load_sweep(Path(__file__).resolve().parent.parent / "scenarios" / "sweeps" / "anhui_steel.toml")
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)  # import fails
    with pytest.raises(ImportError, match=r"--cluster needs dask-jobqueue: pip install -e '.\[cluster\]'"):
        dask_client(sw, cluster="slurm")


def test_scenario_and_historical_runs_assemble_kernel_inputs_in_one_place():
    from dataclasses import fields
    from pathlib import Path

    import numpy as np
    import pytest

    from kernels.arrays import KernelInputs
    from sim.data.base_state import load_base_state
    from sim.model import inputs as kernel_inputs
    from sim.model import run as model
    from sim.model.historical import historical_inputs
    from sim.scenario import load_scenario

    names = {f.name for f in fields(KernelInputs)}
    base_names = set(kernel_inputs.base_inputs(load_base_state(), np.arange(2)))
    assert base_names | set(kernel_inputs.LEVER_FIELDS) | set(kernel_inputs.MEMBER_FIELDS) == names
    sc = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "anhui.toml")
    prep = model.prepare(sc, members=2, seed=1)
    run = model.kernel_inputs(prep, 0, 2)
    base = prep.base
    P, S, T = len(base.cap0), len(axes.SECTORS), 3
    hist = historical_inputs(base, [2019, 2020, 2021], np.zeros((1, P, S, T)), base.lifetime[None],
                             base.aeei[None], base.stock_lifetime[None], floor_int=base.floor_int)
    for name in base_names:  # the same base-state arrays, Anhui's row of the national ones
        a, b = getattr(run, name), getattr(hist, name)
        if isinstance(a, float):
            assert a == b, name
        else:
            per_province = name in ("cap0", "util", "base_share", "int0", "new_int0", "floor_int",
                                    "va_per_unit", "ef", "process_ef", "stock0", "cost_scale",
                                    "entry_premium")
            np.testing.assert_array_equal(a, b[prep.prov_idx] if per_province else b, err_msg=name)
            assert a.flags.writeable and b.flags.writeable, name
    with pytest.raises(KeyError, match="missing \\['scrap_market'\\]"):
        kernel_inputs.assemble(base, np.arange(1), {k: prep.shared[k] for k in kernel_inputs.LEVER_FIELDS
                                                    if k != "scrap_market"}, {})


def test_committed_fitted_file_is_in_the_tomli_w_writers_format(tmp_path):
    from calibration.fit import write_document
    from sim.data.base_state import FITTED_FILE, read_fitted

    write_document(read_fitted(), tmp_path / "fitted.toml")
    assert (tmp_path / "fitted.toml").read_text(encoding="utf-8") == FITTED_FILE.read_text(encoding="utf-8")
