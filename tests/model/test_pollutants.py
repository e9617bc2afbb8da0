"""Air pollutants (sim.model.pollutants, issue #27): the factor table and its provenance, emissions
by hand, the ultra-low-emission (ULE) control and its history, the member draws, the ULE cost, and
the model against the published statistics that could be read (calibration/pollutants/)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sim.core import axes
from sim.data.base_state import load_base_state
from sim.model import costs as cost_model
from sim.model import pollutants as pl
from sim.model import run as model
from sim.results.reading import open_results
from tests.helpers.scenarios import tiny_scenario, uniform

REPO = Path(__file__).resolve().parents[2]
X = {x: i for i, x in enumerate(pl.POLLUTANTS)}
S = {s: i for i, s in enumerate(axes.SECTORS)}
C = {c: i for i, c in enumerate(axes.CARRIERS)}


def _scenario(body: str, name: str, uncertain: bool = True):
    return tiny_scenario(name, body, seed=5,
                         uncertainty=uniform("capital_cost_multiplier", 0.7, 1.4) if uncertain else "")


ULE = """
[levers.ultra_low_emission.sector.iron_steel]
2024 = 0
2026 = 1
[levers.ultra_low_emission.sector.nonmetallic_minerals]
2024 = 0
2026 = 1
[levers.ultra_low_emission.sector.petroleum_coking]
2024 = 0
2026 = 1
"""


@pytest.fixture(scope="module")
def runs():
    """Two runs of one design: no ULE lever (steel history only) and full ULE from 2026."""
    off = model.run(model.prepare(_scenario("", "off")))
    on = model.run(model.prepare(_scenario(ULE, "on")))
    return off, on


# --- the factor table -----------------------------------------------------------------------------
def test_every_factor_row_cites_its_source_and_status():
    with open(REPO / "calibration/pollutants/model_factors.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for r in rows:
        assert r["source"].strip() and r["derivation"].strip(), r
        assert r["verified"] in ("yes", "derived", "partly", "recalled", "assumption"), r
        assert float(r["low"]) <= float(r["net_2019"]) <= float(r["high"]), r
    f = pl.load_factors()
    # the process factors hold the steel and kiln fuel: no combustion factor on their energy
    for s in pl.PROCESS_SECTORS:
        assert not f.combustion[S[s]].any()
    # electricity and heat emit nothing at the user
    assert not f.combustion[:, [C["electricity"], C["heat"]]].any()
    # ULE removes only in the sectors of the programme
    other = [S[s] for s in axes.SECTORS if s not in pl.ULE_SECTORS]
    assert not f.process_ule[other].any() and not f.combustion_ule[other].any()


def test_cement_ule_removal_follows_the_concentration_limits():
    """The kiln's ULE factor is the cement opinion's limit x flue gas x clinker ratio x the share
    of its limit a plant runs at (model_factors.csv derivation)."""
    f = pl.load_factors()
    kiln = (S["nonmetallic_minerals"], axes.route_index("nonmetallic_minerals", "kiln"))
    for x, limit in (("NOx", 50.0), ("PM", 10.0), ("SO2", 35.0)):
        ule_factor = limit * 2500 * 0.66 * 0.6 / 1e6  # mg/Nm3 x Nm3/t clinker x t/t -> kg/t cement
        got = f.process[kiln][X[x]] * (1 - f.process_ule[kiln][X[x]])
        assert got == pytest.approx(ule_factor, rel=0.02), x


# --- emissions by hand ---------------------------------------------------------------------------
def test_emissions_by_hand():
    f = pl.load_factors()
    rng = np.random.default_rng(1)
    M, P, T = 2, 3, 4
    prod = rng.uniform(0, 50, (M, P, len(axes.SECTORS), 3, T))
    fe = rng.uniform(0, 500, (M, P, len(axes.SECTORS), len(axes.CARRIERS), T))
    ule = rng.uniform(0, 1, (P, len(axes.SECTORS), T))
    pm = rng.uniform(0.5, 1.5, (M,) + f.process.shape)
    cm = rng.uniform(0.5, 1.5, (M,) + f.combustion.shape)
    got = pl.emissions(f, prod, fe, ule, pm, cm)
    want = np.zeros_like(got)
    for m in range(M):
        for p in range(P):
            for s in range(len(axes.SECTORS)):
                for t in range(T):
                    u = ule[p, s, t]
                    for r in range(3):  # Mt x kg/t = 1e3 t
                        want[m, p, s, :, t] += (prod[m, p, s, r, t] * 1e3 * f.process[s, r] * pm[m, s, r]
                                                * (1 - u * f.process_ule[s, r]))
                    for c in range(len(axes.CARRIERS)):
                        want[m, p, s, :, t] += (fe[m, p, s, c, t] * f.combustion[s, c] * cm[m, s, c]
                                                * (1 - u * f.combustion_ule[s, c]))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_electrification_cuts_pollutants_through_the_energy_flows():
    """Moving chemicals' coal to electricity removes exactly the coal's emissions."""
    f = pl.load_factors()
    fe = np.zeros((1, 1, len(axes.SECTORS), len(axes.CARRIERS), 1))
    fe[..., S["chemicals"], C["coal"], :] = 100.0
    prod = np.zeros((1, 1, len(axes.SECTORS), 3, 1))
    ule = np.zeros((1, len(axes.SECTORS), 1))
    before = pl.emissions(f, prod, fe, ule)[0, 0, S["chemicals"], :, 0]
    np.testing.assert_allclose(before, 100.0 * f.combustion[S["chemicals"], C["coal"]])
    fe[..., S["chemicals"], C["coal"], :] = 0.0
    fe[..., S["chemicals"], C["electricity"], :] = 100.0
    assert not pl.emissions(f, prod, fe, ule).any()


# --- ULE: history, lever, cost ------------------------------------------------------------------
def test_steel_ule_history_is_the_reported_completions():
    years = np.array([2019, 2020, 2021, 2023, 2025, 2030])
    h = pl.steel_ule_history(years)
    np.testing.assert_allclose(h * pl.STEEL_CAPACITY_2021_MT, [0, 50, 225, 414, 600, 600])
    # the lever raises it, never lowers it
    lever = np.zeros((1, len(axes.SECTORS), len(years)))
    lever[:, S["iron_steel"], -1] = 0.9
    u = pl.ule_share(lever, years)
    np.testing.assert_allclose(u[0, S["iron_steel"]], np.r_[h[:-1], 0.9])
    assert not u[0, [S["nonmetallic_minerals"], S["petroleum_coking"]]].any()


def test_full_ule_cuts_each_sector_by_its_removal(runs):
    off, on = runs
    y = 2030  # full ULE in the three sectors from 2026; steel history 600/1066 in the run without
    f = pl.load_factors()
    h = pl.steel_ule_history([y])[0]
    e_off = off["pollutant_emissions"].sel(year=y)
    e_on = on["pollutant_emissions"].sel(year=y)
    # the physical results are the same: only the factors change
    np.testing.assert_array_equal(off["production"].values, on["production"].values)
    kiln = f.process_ule[S["nonmetallic_minerals"], 0]
    np.testing.assert_allclose(e_on.sel(sector="nonmetallic_minerals").values,
                               e_off.sel(sector="nonmetallic_minerals").values * (1 - kiln), rtol=1e-12)
    # steel (BF-BOF, EAF share the removal): (1 − removal) / (1 − h x removal) of the run with history
    rem = f.process_ule[S["iron_steel"], 0]
    np.testing.assert_allclose(e_on.sel(sector="iron_steel").values,
                               e_off.sel(sector="iron_steel").values * (1 - rem) / (1 - h * rem),
                               rtol=1e-12)
    # before the lever's first year both runs are the same
    np.testing.assert_array_equal(off["pollutant_emissions"].sel(year=2023).values,
                                  on["pollutant_emissions"].sel(year=2023).values)
    # other sectors are untouched
    for s in ("chemicals", "paper", "nonferrous"):
        np.testing.assert_array_equal(e_on.sel(sector=s).values, e_off.sel(sector=s).values)


def test_industrial_pollutants_sum_the_sectors(runs):
    off, _ = runs
    ip = off["industrial_pollutants"]
    by_sector = off["pollutant_emissions"].sum("sector")
    np.testing.assert_allclose(ip.sel(region=["Anhui", "Hebei"]).values, by_sector.values, rtol=1e-12)
    np.testing.assert_allclose(ip.sel(region="national").values, by_sector.sum("province").values,
                               rtol=1e-12)
    assert off["industrial_pollutants"].attrs["units"] == "t yr-1"
    assert list(off["pollutant"].values) == list(pl.POLLUTANTS)


def test_steel_ule_costs_capital_and_operation(runs):
    off, on = runs
    d = (on["cost"] - off["cost"]).sel(sector="iron_steel")
    assert (d.sel(cost_item="capital", year=2027) > 0).all()
    assert (d.sel(cost_item="variable_om", year=2027) > 0).all()
    # operating cost by hand: the extra ULE share x BF-BOF output x 50 CNY/t
    h = pl.steel_ule_history([2030])[0]
    bf = off["production"].sel(route="bf_bof", year=2030)  # same in both runs
    np.testing.assert_allclose(d.sel(cost_item="variable_om", year=2030).values,
                               ((1 - h) * bf * 1e6 * pl.STEEL_ULE_OPERATING).values, rtol=1e-9)
    # cement and coking ULE have no cited cost
    for s in ("nonmetallic_minerals", "petroleum_coking"):
        assert not (on["cost"] - off["cost"]).sel(sector=s).any()
    assert set(cost_model.COST_ITEMS) == set(on["cost_item"].values)


def test_member_draws_depend_on_seed_and_member_only():
    prep = model.prepare(_scenario("", "draws"))
    whole = model.run_chunk(prep, 0, 4)["pollutant_emissions"]
    part = model.run_chunk(prep, 2, 4)["pollutant_emissions"]
    np.testing.assert_array_equal(whole.isel(member=slice(2, 4)).values, part.values)
    # members differ (sampled factors), and a scenario without uncertainty uses the net factors
    assert not np.allclose(whole.isel(member=0), whole.isel(member=1))
    f = pl.load_factors()
    a, b = pl.multipliers(f, 5, [0, 1], sampled=False)
    assert (a == 1).all() and (b == 1).all()
    a, c = pl.multipliers(f, 5, range(400), sampled=True)
    # one draw per table row: the generic coal row is one sulphur content for every sector
    np.testing.assert_array_equal(c[:, S["chemicals"], C["coal"]], c[:, S["paper"], C["coal"]])
    assert not np.array_equal(c[:, S["chemicals"], C["coal"]], c[:, S["petroleum_coking"], C["coal"]])
    kiln_nox = a[:, S["nonmetallic_minerals"], 0, X["NOx"]]
    lo, hi = (f.process_range[S["nonmetallic_minerals"], 0, X["NOx"]]
              / f.process[S["nonmetallic_minerals"], 0, X["NOx"]])
    assert lo <= kiln_nox.min() and kiln_nox.max() <= hi
    assert np.mean(kiln_nox) == pytest.approx((lo + 1 + hi) / 3, abs=0.02)  # triangular mean


# --- against the published statistics -------------------------------------------------------------
def _base_emissions(year: int) -> np.ndarray:
    base = load_base_state(year) if year != 2019 else load_base_state()
    prod = base.production0[None, ..., None]
    fe = base.final_energy0[None, ..., None]
    ule = pl.ule_share(np.zeros(prod.shape[1:3] + (1,)), [year])
    return pl.emissions(pl.load_factors(), prod, fe, ule, year=year)[0, ..., 0]  # (P,S,X) t


def test_model_scope_lies_below_the_all_source_totals_of_the_census():
    """2017 census (第二次全国污染源普查公报, verified): all sources emitted 696.32 (SO2), 1785.22
    (NOx), 1684.05 (PM) 10^4 t; the model's industry (no power, households or vehicles) in 2015 and
    2019 on either side of it must emit less."""
    census = np.array([696.32, 1785.22, 1684.05]) * 1e4
    for year in (2015, 2019):
        total = _base_emissions(year).sum(axis=(0, 1))
        assert (total < census).all(), (year, total / 1e4)


NATIONAL_TOTALS = REPO / "calibration/pollutants/national_totals.csv"
STATISTIC_NAMES = {"SO2": "SO2", "NOx": "NOx", "颗粒物": "PM", "烟(粉)尘": "PM"}


def _statistics(year: int, scope: str, statuses: tuple[str, ...]) -> dict[str, float]:
    """pollutant -> national total [t yr-1] of ``year`` and ``scope`` in national_totals.csv
    whose ``verified`` status is one of ``statuses``."""
    with open(NATIONAL_TOTALS, encoding="utf-8", newline="") as f:
        return {STATISTIC_NAMES[r["pollutant"]]: float(r["value"]) * 1e4 for r in csv.DictReader(f)
                if r["year"] == str(year) and r["scope"] == scope and r["verified"] in statuses
                and r["pollutant"] in STATISTIC_NAMES}


def test_model_scope_2019_lies_below_the_all_source_totals_of_2019():
    """2019 national totals of all sources (environmental statistics, 457.29 / 1233.85 / 1088.48
    10^4 t; a secondary copy whose 2020 values match the verified 2020 press conference:
    national_totals.csv, status partly): the model's 2019 industry without power, households and
    vehicles must emit less. SO2's bound is the tightest the statistics give for 2019."""
    totals = _statistics(2019, "national, all sources", ("yes", "partly"))
    assert set(totals) == set(pl.POLLUTANTS)
    model = _base_emissions(2019).sum(axis=(0, 1))
    for x, name in enumerate(pl.POLLUTANTS):
        assert model[x] < totals[name], (name, model[x] / 1e4, totals[name] / 1e4)


MODEL_SCOPE = "industrial excl. power and heat (model scope)"
NOT_VERIFIED = (
    "issue #27's criterion cannot be tested yet: no stored copy of the 2015 环境统计年报 or the "
    "2019 生态环境统计年报 / 2016-2019 统计公报 was found (searched again 2026-12-07; the recalled "
    "工业源 values stay 'not verified' in national_totals.csv), and 工业源 includes power and heat "
    "supply, which must be subtracted (and fugitive dust set apart for PM) to match the model's "
    "scope; remove this mark when verified rows of scope '" + MODEL_SCOPE + "' exist")


@pytest.mark.xfail(strict=True, reason=NOT_VERIFIED)
@pytest.mark.parametrize("year", [2015, 2019])
@pytest.mark.parametrize("pollutant", pl.POLLUTANTS)
def test_national_industry_lies_within_20_percent_of_the_statistics(year, pollutant):
    cited = _statistics(year, MODEL_SCOPE, ("yes", "derived"))
    assert pollutant in cited, f"no verified {year} {pollutant} statistic of the model's scope"
    model = _base_emissions(year).sum(axis=(0, 1))[pl.POLLUTANTS.index(pollutant)]
    assert abs(model / cited[pollutant] - 1.0) <= 0.20, (model / 1e4, cited[pollutant] / 1e4)


# 2020 national totals of all sources (2020年中国生态环境统计年报, MEE press conference 2022-02-23,
# verified; calibration/pollutants/national_totals.csv) [t yr-1]: the model's industry without
# power, households and vehicles must lie below them
ALL_SOURCES_2020 = {"SO2": 318.2e4, "NOx": 1019.7e4, "PM": 611.4e4}


def _national_2020(national_results, pollutant):
    with open_results(national_results["province"]) as ds:
        return float(ds["industrial_pollutants"].sel(region="national", year=2020,
                                                     pollutant=pollutant).mean())


@pytest.mark.parametrize("pollutant", ["NOx", "PM"])
def test_national_2020_lies_below_the_all_source_total(national_results, pollutant):
    assert _national_2020(national_results, pollutant) < ALL_SOURCES_2020[pollutant]


@pytest.mark.xfail(strict=True, reason="SO2 is biased high: the model's 2020 industrial SO2 "
                   "(about 430 10^4 t) exceeds the all-source national total (318.2); "
                   "docs/pollutants.md lists the likely causes (2000s oil factor, no FGD on "
                   "aluminium pot lines, 2017 steel factors held for non-ULE plants)")
def test_national_2020_so2_lies_below_the_all_source_total(national_results):
    assert _national_2020(national_results, "SO2") < ALL_SOURCES_2020["SO2"]
