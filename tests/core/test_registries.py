"""Every registered lever, indicator and target condition on a tiny run (two provinces, three
members, 2019-2035), so a new registry entry is tested without a new test; and the checks the
review found missing: historical fuel switching equals the kernel's step 8, and the structural
shift, regional GDP adjustment, scrap collection, LHS sweeps and the electricity-share indicator
each change the output as their docs say.

Guangxi is scrap-short and Guangdong has spare scrap (2019), so the scrap market matters even
between these two provinces.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from kernels.arrays import KernelInputs
from kernels.stock_flow import simulate
from sim.core import axes, indicators
from sim.core.indicators_registry import INDICATORS
from sim.core.levers import DERIVED_ARRAYS, GROWTH_LEVERS, KERNEL_LEVER_ARRAYS, LEVERS
from sim.core.targets import CONDITIONS
from sim.core.variables import VARIABLES
from sim.data.base_state import autonomous_share
from sim.data.growth import OBSERVED_GROWTH_UNTIL
from sim.model import run as model
from sim.model.historical import co2_by_carrier, historical_inputs, run_history
from sim.results import ensemble
from sim.results.reading import open_results
from sim.scenario import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]
PROVINCES = ("Guangdong", "Guangxi")
HEAD = f"""[scenario]
name = "tiny"
provinces = {json.dumps(list(PROVINCES))}
end_year = 2035
members = 3
seed = 1
"""
POLICY_YEAR = 2020  # levers are set from here (2019 is the calibrated base year)

_DIR = Path(tempfile.mkdtemp(prefix="sim-registries-"))


def scenario(body: str = "", name: str = "tiny.toml"):
    path = _DIR / name
    path.write_text(HEAD + body, encoding="utf-8")
    return load_scenario(path)


def probe(lever) -> float:
    """A value off the lever's default: halfway toward ``high`` where ``high`` > default, else
    toward ``low`` (the direction :class:`sim.core.levers.Effect` refers to)."""
    if lever.high > lever.default and math.isfinite(lever.high):
        return lever.default + (lever.high - lever.default) / 2
    if not math.isfinite(lever.default):
        return lever.low
    return lever.default - (lever.default - lever.low) / 2


def lever_body(name: str, value: float, year: int = POLICY_YEAR) -> str:
    return f"\n[levers.{name}]\n{year} = {value!r}\n"


@functools.lru_cache(maxsize=None)
def prepared(name: str | None, given: tuple[tuple[str, float], ...] = ()):
    """(Prepared, Dataset) of the tiny scenario with lever ``name`` at its probe value (None: all
    defaults) and the ``given`` (lever, value) pairs set."""
    body = "".join(lever_body(n, v) for n, v in given)
    if name is not None:
        body += lever_body(name, probe(LEVERS[name]))
    tag = "-".join(n for n, _ in given)
    prep = model.prepare(scenario(body, f"{name or 'default'}{tag}.toml"))
    return prep, model.run(prep)


def lever_arrays(prep) -> dict[str, np.ndarray]:
    """The prepared arrays levers act on: the kernel lever arrays, the collection multiplier and
    the demand growth (where levers without a kernel array act)."""
    out = {k: prep.shared[k] for k in KERNEL_LEVER_ARRAYS if k in prep.shared}
    out["collection"] = prep.collection_lever
    out["growth"] = prep.base_growth
    out.update(prep.outside)  # the levers acting on costs and the grid, by lever name
    out.update({k: prep.shared[k] for k in DERIVED_ARRAYS})
    return out


def expected_arrays(lv) -> set[str]:
    """The prepared arrays lever ``lv`` moves: its kernel array and the arrays derived from it,
    else the demand growth (levers acting on growth), else its own trajectory."""
    if lv.kernel_array is not None:
        return {lv.kernel_array} | {d for d, src in DERIVED_ARRAYS.items() if src == lv.kernel_array}
    return {"growth"} if lv.name in GROWTH_LEVERS else {lv.name}


# --- levers --------------------------------------------------------------------------------------
def test_lever_registry_names_kernel_arrays_and_routes_by_name():
    fields = {f.name for f in dataclasses.fields(KernelInputs)}
    assert set(KERNEL_LEVER_ARRAYS) <= fields
    used = {lv.kernel_array for lv in LEVERS.values()}
    assert set(KERNEL_LEVER_ARRAYS) <= used, "a declared lever array that no lever feeds"
    for lv in LEVERS.values():
        if lv.kernel_array is None:
            assert lv.acts_on, lv.name
            continue
        assert lv.kernel_array in KERNEL_LEVER_ARRAYS, lv.name
        if lv.route is not None:
            assert KERNEL_LEVER_ARRAYS[lv.kernel_array] == "PSRT", lv.name
            for s in lv.sectors:
                assert lv.route in axes.ROUTE_NAMES[s], (lv.name, s)
        assert lv.effect is not None, f"{lv.name}: document its effect (sim.core.levers.Effect)"
        assert lv.effect.variable in VARIABLES and lv.effect.sign in (-1, 1), lv.name
        for dim, _ in lv.effect.where:
            assert dim in VARIABLES[lv.effect.variable].dims, (lv.name, dim)


@pytest.mark.parametrize("name", list(LEVERS))
def test_each_lever_changes_only_the_kernel_array_it_names(name):
    lv = LEVERS[name]
    base, _ = prepared(None)
    moved, _ = prepared(name)
    before, after = lever_arrays(base), lever_arrays(moved)
    changed = {k for k in before if not np.array_equal(before[k], after[k])}
    assert changed == expected_arrays(lv)
    if lv.route is not None:
        # only the named route of the lever's own sectors moves
        diff = after[lv.kernel_array] != before[lv.kernel_array]  # (P,S,R,T)
        expected = np.zeros_like(diff)
        for s in lv.sectors:
            expected[:, axes.SECTORS.index(s), axes.route_index(s, lv.route), 1:] = True
        np.testing.assert_array_equal(diff, expected)


@pytest.mark.parametrize("name", list(LEVERS))
def test_each_lever_moves_the_output_its_docs_name(name):
    effect = LEVERS[name].effect

    def total(ds: xr.Dataset) -> np.ndarray:
        da = ds[effect.variable]
        for dim, labels in effect.where:
            da = da.sel({dim: list(labels) if isinstance(labels, tuple) else labels})
        return da.sum([d for d in da.dims if d != "member"]).values  # (member,)

    _, base = prepared(None, effect.given)
    _, moved = prepared(name, effect.given)
    change = total(moved) - total(base)
    assert np.all(np.sign(change) == effect.sign), (effect, total(base), total(moved))
    # and the base year, before the policy, is untouched
    np.testing.assert_array_equal(moved["industrial_co2"].sel(year=2019).values,
                                  base["industrial_co2"].sel(year=2019).values)


def test_a_province_override_of_scrap_collection_is_rejected(tmp_path):
    """Regression: the kernel has one collection rate per metal for all provinces, so a province
    value used to be averaged away silently; now it is an error naming file, key and reason."""
    for body in ("\n[levers.scrap_collection.province.Guangxi]\n2030 = 1.5\n",
                 "\n[levers.scrap_collection.province.Guangxi.sector.iron_steel]\n2030 = 1.5\n"):
        path = tmp_path / "collection.toml"
        path.write_text(HEAD + body, encoding="utf-8")
        with pytest.raises(ScenarioError) as e:
            load_scenario(path)
        msg = str(e.value)
        assert msg.startswith(f"{path}: levers.scrap_collection.province")
        assert "no province axis" in msg and "averaged away" in msg
    # a sweep axis on a province of that lever is caught the same way
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f"""[sweep]
name = "s"
scenario = "{REPO / 'scenarios' / 'anhui.toml'}"
[axes.c]
lever = "scrap_collection"
province = "Anhui"
year = 2030
values = [1.2]
""", encoding="utf-8")
    from sim.scenario.sweep import load_sweep

    with pytest.raises(ScenarioError, match="no province axis"):
        load_sweep(sweep)


def test_scrap_collection_multiplies_the_collection_rate_of_its_sector_metal():
    """levers docs: a multiplier on the calibrated collection rate, the iron_steel value on steel
    scrap, the nonferrous one on aluminium scrap, the rate capped at 1."""
    base_prep, base = prepared(None)
    prep = model.prepare(scenario("\n[levers.scrap_collection.sector.nonferrous]\n2019 = 1.5\n",
                                  "collection.toml"))
    steel, alu = axes.METALS.index("steel"), axes.METALS.index("aluminium")
    np.testing.assert_array_equal(prep.collection_lever[steel], 1.0)
    np.testing.assert_array_equal(prep.collection_lever[alu], 1.5)
    inp0, inp = model.kernel_inputs(base_prep, 0, 3), model.kernel_inputs(prep, 0, 3)
    np.testing.assert_array_equal(inp.collection[:, steel], inp0.collection[:, steel])
    np.testing.assert_allclose(inp.collection[:, alu], np.minimum(1.5 * inp0.collection[:, alu], 1.0),
                               rtol=1e-15)
    ds = model.run(prep)
    supply0, supply = base["scrap_supply"], ds["scrap_supply"]
    np.testing.assert_array_equal(supply.sel(metal="steel").values, supply0.sel(metal="steel").values)
    assert (supply.sel(metal="aluminium") > supply0.sel(metal="aluminium")).all()


def test_structural_shift_moves_growth_from_energy_intensive_sectors_to_the_others():
    """levers docs: energy-intensive growth falls by the value, the others' rises by the value x
    2024 (last observed year) VA(energy-intensive) / VA(others) of the province, so total value added is
    unchanged to first order."""
    base_prep, base = prepared(None)
    shift = probe(LEVERS["structural_shift"])
    prep, ds = prepared("structural_shift")
    heavy = np.array([s in axes.ENERGY_INTENSIVE_SECTORS for s in axes.SECTORS])
    # from the policy year, but never in the observed years 2020-2024 (history is data)
    t = np.asarray(prep.years) >= max(POLICY_YEAR, OBSERVED_GROWTH_UNTIL + 1)
    # value added of 2024, the last observed year: base year x the observed growth 2020-2024
    va0 = (prep.base.cap0.sum(axis=(2, 3)) * prep.base.util * prep.base.va_per_unit)[prep.prov_idx]
    observed = (np.asarray(prep.years) > axes.BASE_YEAR) & ~t
    va0 = va0 * np.prod(1.0 + base_prep.base_growth[:, :, observed], axis=2)
    ratio = va0[:, heavy].sum(axis=1) / va0[:, ~heavy].sum(axis=1)  # (P,)
    d = prep.base_growth - base_prep.base_growth
    np.testing.assert_allclose(d[:, heavy][..., t], -shift, rtol=1e-12)
    np.testing.assert_allclose(d[:, ~heavy][..., t], (shift * ratio)[:, None, None]
                               * np.ones_like(d[:, ~heavy][..., t]), rtol=1e-12)
    np.testing.assert_array_equal(d[..., ~t], 0.0)
    # value added of the first policy year: energy-intensive down, the others up, the total
    # unchanged to first order
    y = list(prep.years).index(max(POLICY_YEAR, OBSERVED_GROWTH_UNTIL + 1))
    va0 = base["value_added"].isel(year=y).values  # (M,P,S)
    va = ds["value_added"].isel(year=y).values
    d_heavy = va[..., heavy].sum(axis=2) - va0[..., heavy].sum(axis=2)
    d_other = va[..., ~heavy].sum(axis=2) - va0[..., ~heavy].sum(axis=2)
    assert (d_heavy < 0).all() and (d_other > 0).all()
    assert (np.abs(d_heavy + d_other) < 0.05 * np.abs(d_heavy)).all(), (d_heavy, d_other)


def test_regional_gdp_adjustment_adds_province_minus_national_gdp_growth(base_state):
    """scenario docs: growth += province − national SSP2 GDP growth (calibration), every sector."""
    base = base_state
    off = scenario("\n[growth]\nregional_gdp_adjustment = false\n", "no_gdp.toml")
    on = scenario("\n[growth]\nregional_gdp_adjustment = true\n", "gdp.toml")
    years = np.asarray(on.years)
    g_off = off.growth_array(PROVINCES, axes.SECTORS, years, base)
    g_on = on.growth_array(PROVINCES, axes.SECTORS, years, base)
    gy = np.asarray(base.gdp_growth_years, dtype=float)
    for i, p in enumerate(PROVINCES):
        k = axes.PROVINCES.index(p)
        expected = np.interp(years, gy, np.asarray(base.gdp_growth)[k]
                             - np.asarray(base.gdp_growth_national))
        expected[years <= OBSERVED_GROWTH_UNTIL] = 0.0  # observed years are the province's own
        assert np.abs(expected).max() > 1e-4  # the test case has a real offset
        np.testing.assert_allclose(g_on[i] - g_off[i], np.broadcast_to(expected, g_on[i].shape),
                                   rtol=0, atol=1e-15)
    # and the demand follows: a province growing faster than the nation has more demand
    ds_off = model.run(model.prepare(off, members=2))
    ds_on = model.run(model.prepare(on, members=2))
    for i, p in enumerate(PROVINCES):
        cum = np.sum(g_on[i, 0, 1:] - g_off[i, 0, 1:])
        dem = (ds_on["demand"] - ds_off["demand"]).sel(province=p).isel(year=-1).sum("sector")
        assert np.all(np.sign(dem.values) == np.sign(cum)), p


# --- indicators ------------------------------------------------------------------------------------
_PJ = 1e15  # J
_KGCE = 29.3076e6  # J per kg of standard coal (GB/T 2589)
_KWH = 3.6e6  # J


def _fe(o, prov):
    return o.final_energy[:, prov].sum(axis=(1, 2))  # (M,C,T) PJ


_C = {c: i for i, c in enumerate(axes.CARRIERS)}
_S = {s: i for i, s in enumerate(axes.SECTORS)}

HAND = {
    # name -> (units, hand computation from the raw kernel outputs o, the context c, provinces p)
    "industrial_co2": ("Mt yr-1", lambda o, c, p:
                       (o.co2_direct + o.co2_process - o.co2_captured)[:, p].sum(axis=(1, 2))),
    "co2_intensity": ("kg", lambda o, c, p:
                      (o.co2_direct + o.co2_process - o.co2_captured)[:, p].sum(axis=(1, 2)) * 1e9
                      / (o.value_added[:, p].sum(axis=(1, 2)) * 1e9)),
    "energy_intensity": ("29.3076 MJ", lambda o, c, p:
                         ((_fe(o, p).sum(axis=1) - _fe(o, p)[:, _C["electricity"]]) * _PJ / _KGCE
                          + _fe(o, p)[:, _C["electricity"]] * _PJ / _KWH * c.electricity_kgce_per_kwh)
                         / (o.value_added[:, p].sum(axis=(1, 2)) * 1e9)),
    "eaf_share": ("1", lambda o, c, p:
                  o.production[:, p, _S["iron_steel"], axes.route_index("iron_steel", "scrap_eaf")]
                  .sum(axis=1) / o.production[:, p, _S["iron_steel"]].sum(axis=(1, 2))),
    "electricity_share": ("1", lambda o, c, p:
                          _fe(o, p)[:, _C["electricity"]] / _fe(o, p).sum(axis=1)),
    "coal_consumption": ("PJ yr-1", lambda o, c, p: _fe(o, p)[:, _C["coal"]]),
    "al_renewable_share": ("1", lambda o, c, p: (
        o.final_energy[:, p, _S["nonferrous"], _C["electricity"]]
        * (c.green_power[p, _S["nonferrous"]][None]
           + (1 - c.green_power[p, _S["nonferrous"]][None]) * c.grid_renewable_share[:, p])
    ).sum(axis=1) / o.final_energy[:, p, _S["nonferrous"], _C["electricity"]].sum(axis=1)),
    "refining_capacity": ("Mt yr-1", lambda o, c, p:
                          860.0 * o.capacity[:, p, _S["petroleum_coking"]].sum(axis=(1, 2))
                          / o.capacity[:, p, _S["petroleum_coking"], :, :1].sum(axis=(1, 2))),
    "recycled_resources": ("Mt yr-1", lambda o, c, p:
                           o.scrap_use[:, p].sum(axis=(1, 2))
                           + np.maximum(380.0 - o.scrap_use[:, p, :, 1:2].sum(axis=(1, 2)), 0.0)
                           * (1 + c.samples["other_recycling_growth"][:, None])
                           ** (c.years[None] - 2020.0)),
    "solid_waste_utilisation": ("1", lambda o, c, p: np.clip(
        0.55 + c.samples["solid_waste_gain"][:, None] * (c.years[None] - 2019.0), 0, 1)),
    "green_factory_share": ("1", lambda o, c, p: np.clip(
        0.17 + c.samples["green_factory_gain"][:, None] * (c.years[None] - 2023.0), 0, 1)),
    "water_intensity": ("1", lambda o, c, p:
                        (1 - c.samples["water_intensity_rate"][:, None]) ** (c.years[None] - 2020.0)),
    # SO2, NOx, PM of steel, non-ferrous, building materials, chemicals, petroleum/coking (the
    # first five sectors) per their value added, each relative to 2020, averaged over the three
    "pollutant_intensity": ("1", lambda o, c, p: np.mean([
        (c.pollutants[:, p][:, :, :5, x].sum(axis=(1, 2)) / o.value_added[:, p, :5].sum(axis=(1, 2)))
        / (c.pollutants[:, p][:, :, :5, x].sum(axis=(1, 2)) / o.value_added[:, p, :5].sum(axis=(1, 2)))[
            :, list(c.years).index(2020)][:, None] for x in range(3)], axis=0)),
}


@pytest.fixture(scope="module")
def chunk():
    """The Indicators object of a real run_chunk (green power set, so the aluminium renewable
    share is not just the grid's)."""
    prep = model.prepare(scenario(lever_body("green_power", 0.4), "indicators.toml"))
    seen = []

    class Recording(indicators.Indicators):
        def __init__(self, out, ctx):
            super().__init__(out, ctx)
            seen.append(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(indicators, "Indicators", Recording)
        model.run_chunk(prep, 0, prep.members)
    return seen[0]


def test_every_indicator_has_a_hand_computation():
    assert set(HAND) == set(INDICATORS)


@pytest.mark.parametrize("name", list(INDICATORS))
@pytest.mark.parametrize("prov", [[0], [0, 1]], ids=["one", "both"])
def test_each_indicator_is_finite_in_its_units_and_equals_a_hand_computation(chunk, name, prov):
    entry = INDICATORS[name]
    units, hand = HAND[name]
    assert entry.units == units and entry.long_name and entry.status in ("simulated", "trend")
    p = np.array(prov)
    x = entry.compute(chunk, p, "scope1")
    assert x.shape == (3, len(chunk.ctx.years))
    assert np.isfinite(x).all()
    if units == "1" and "index" not in entry.long_name:
        assert ((x >= 0) & (x <= 1)).all()
    np.testing.assert_allclose(x, hand(chunk.out, chunk.ctx, p), rtol=1e-12, atol=0)


def test_scope1_plus_2_adds_indirect_co2(chunk):
    p = np.array([0, 1])
    direct = INDICATORS["industrial_co2"].compute(chunk, p, "scope1")
    both = INDICATORS["industrial_co2"].compute(chunk, p, "scope1+2")
    np.testing.assert_allclose(both - direct, chunk.out.co2_indirect[:, p].sum(axis=(1, 2)),
                               rtol=1e-12)


def test_electricity_share_rises_with_electrification():
    """indicator docs: electricity share of industrial final energy; the electrification lever
    moves fossil energy to electricity, so the share rises from the first policy year on."""
    prep0, ds0 = prepared(None)
    prep1, ds1 = prepared("electrification")

    def share(ds):
        fe = ds["final_energy"].sum(("province", "sector"))
        return (fe.sel(carrier="electricity") / fe.sum("carrier")).values  # (M,T)

    s0, s1 = share(ds0), share(ds1)
    t = np.asarray(prep0.years) >= POLICY_YEAR
    assert (s1[:, t] > s0[:, t] + 0.01).all()
    np.testing.assert_array_equal(s1[:, ~t], s0[:, ~t])


# --- target conditions: every indicator and every condition from a catalogue -----------------------
def _catalogue() -> str:
    rows = []

    def target(tid, indicator, condition, **keys):
        extra = "".join(f"{k} = {v!r}\n" if not isinstance(v, str) else f'{k} = "{v}"\n'
                        for k, v in keys.items())
        if indicator in ("industrial_co2", "co2_intensity"):
            extra += 'accounting = "scope1"\n'
        rows.append(f'[[target]]\nid = "{tid}"\nindicator = "{indicator}"\nscope = "Guangdong"\n'
                    f'year = 2030\ncondition = "{condition}"\n{extra}source = "test"\n'
                    f'scope_note = "test"\n')

    for name in INDICATORS:
        target(f"i_{name}", name, ">=", value=0.0)
    for i, (name, cond) in enumerate(CONDITIONS.items()):
        keys = {}
        if cond.value == "required":
            keys["value"] = 0.0
        if cond.base_year:
            keys["base_year"] = 2020
        if cond.tolerance:
            keys["tolerance"] = 0.01
        target(f"c_{i}", "industrial_co2", name, **keys)
    return '[catalogue]\nname = "every"\n\n' + "\n".join(rows)


def test_every_indicator_and_condition_runs_from_a_catalogue():
    (_DIR / "every.toml").write_text(_catalogue(), encoding="utf-8")
    sc = scenario('targets = ["every.toml"]\n', "every_scenario.toml")
    assert len(sc.targets) == len(INDICATORS) + len(CONDITIONS)
    ds = model.run(model.prepare(sc))
    units = dict(zip(ds["target"].values, ds["target_units"].values))
    for name, entry in INDICATORS.items():
        assert units[f"i_{name}"] == entry.units
    for i, cond in enumerate(CONDITIONS.values()):
        assert units[f"c_{i}"] == (cond.units or INDICATORS["industrial_co2"].units)
    assert np.isfinite(ds["target_value"].values).all()
    assert set(np.unique(ds["target_attained"].values)) <= {0.0, 1.0}


# --- historical runs: per-member trends through the kernel's own fuel switches ----------------------
def test_run_history_runs_each_members_trends_through_the_kernel(base_state):
    """sim.model.historical.run_history groups members by their fuel-switching trends: every member
    equals a kernel run of that member alone with its trends as the coal_to_gas and
    electrification levers (bitwise), and the CO2 split by carrier adds up to the kernel's
    direct CO2."""
    base = base_state
    years = np.arange(2019, 2027)
    M, P, S, T = 3, len(axes.PROVINCES), len(axes.SECTORS), len(years)
    rng = np.random.default_rng(3)
    growth = rng.uniform(-0.02, 0.06, (M, P, S, T))
    lifetime = np.tile(base.lifetime, (M, 1))
    aeei = np.tile(base.aeei, (M, 1))
    stock_lifetime = np.tile(base.stock_lifetime, (M, 1))
    gas_rate = rng.uniform(0.0, 0.08, (M, S))
    elec_rate = rng.uniform(0.0, 0.05, (M, S))
    gas_rate[2], elec_rate[2] = gas_rate[0], elec_rate[0]  # members 0 and 2 share one kernel call
    out = run_history(base, years, growth, lifetime, aeei, stock_lifetime, gas_rate, elec_rate)
    for m in range(M):
        one = historical_inputs(base, years, growth[m:m + 1], lifetime[m:m + 1], aeei[m:m + 1],
                                stock_lifetime[m:m + 1])
        one.coal_to_gas = np.broadcast_to(autonomous_share(gas_rate[m], years)[None], (P, S, T)).copy()
        one.electrification = np.broadcast_to(autonomous_share(elec_rate[m], years)[None],
                                              (P, S, T)).copy()
        alone = simulate(one)
        np.testing.assert_array_equal(out.final_energy[m], alone.final_energy[0])
        np.testing.assert_array_equal(out.co2_direct[m], alone.co2_direct[0])
    split = co2_by_carrier(out, base.ef)
    np.testing.assert_allclose(split[:, :, :, :3].sum(axis=3), out.co2_direct, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(split[:, :, :, 3], out.co2_process)
    plain = run_history(base, years, growth, lifetime, aeei, stock_lifetime, 0 * gas_rate, 0 * elec_rate)
    assert not np.allclose(plain.final_energy, out.final_energy)  # the trends did something


# --- sweeps: LHS design and administrative targets in every result file -----------------------------
LHS_SWEEP = f"""
[sweep]
name = "lhs"
scenario = "{REPO / 'scenarios' / 'anhui.toml'}"
method = "lhs"
cases = 4
members = 3
seed = 11
success = ["anhui_eaf_share_2030"]

[axes.eaf]
lever = "eaf_share"
year = 2030
low = 0.1
high = 0.5

[axes.retrofit]
lever = "efficiency_retrofit"
sector = "iron_steel"
year = 2030
low = 0.0
high = 0.2
"""


def test_lhs_sweep_cases_stratify_the_ranges_and_set_the_levers(tmp_path):
    from sim.scenario.sweep import load_sweep

    path = tmp_path / "lhs.toml"
    path.write_text(LHS_SWEEP, encoding="utf-8")
    sweep = load_sweep(path)
    assert len(sweep.cases) == 4
    for ax in sweep.axes:
        v = np.array([c.levers[ax.label] for c in sweep.cases])
        assert ((v >= ax.low) & (v <= ax.high)).all()
        strata = np.floor((v - ax.low) / (ax.high - ax.low) * 4).astype(int)
        assert sorted(strata) == [0, 1, 2, 3], (ax.label, v)  # one case in each quarter
    again = load_sweep(path)
    assert [c.levers for c in again.cases] == [c.levers for c in sweep.cases]
    path.write_text(LHS_SWEEP.replace("seed = 11", "seed = 12"), encoding="utf-8")
    assert [c.levers for c in load_sweep(path).cases] != [c.levers for c in sweep.cases]
    # each case's scenario has its lever points (2030 values) set to the case's values
    t = sweep.case_scenario(sweep.cases[0]).years.index(2030)
    for case in sweep.cases:
        sc = sweep.case_scenario(case)
        steel = axes.SECTORS.index("iron_steel")
        assert sc.lever_array("eaf_share")[0, steel, t] == case.levers["eaf"]
        assert sc.lever_array("efficiency_retrofit")[0, steel, t] == case.levers["retrofit"]


def test_every_result_file_carries_the_administrative_targets(tmp_path):
    """Regression: administrative targets were added by `sim run` only, so sweep parts and the
    combined sweep file had none; now the ensemble writer adds them to every file."""
    from sim.analysis.sweep import combine, part_path, run_case
    from sim.scenario.sweep import load_sweep

    sc = load_scenario(REPO / "scenarios" / "anhui.toml")
    expected = [dict(id=a.id, description=a.description, reason=a.reason, source=a.source)
                for a in sc.administrative]
    assert expected
    run_file = ensemble.write_ensemble(model.prepare(sc, members=3), tmp_path / "run.nc",
                                       detail="summary")
    path = tmp_path / "lhs.toml"
    path.write_text(LHS_SWEEP.replace("cases = 4", "cases = 2"), encoding="utf-8")
    sweep = load_sweep(path)
    out = tmp_path / "out"
    for case in sweep.cases:
        run_case(str(path), case.index, str(out))
    combined = combine(sweep, out)
    files = [run_file, combined] + [part_path(out, c) for c in sweep.cases]
    for f in files:
        with open_results(f) as ds:
            assert json.loads(ds.attrs["administrative_targets"]) == expected, f
    with open_results(combined) as ds:  # and the LHS values are the case coordinates
        np.testing.assert_array_equal(ds["lever_eaf"].values, [c.levers["eaf"] for c in sweep.cases])
