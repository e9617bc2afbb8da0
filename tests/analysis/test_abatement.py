"""Wedges per policy (sim.analysis.abatement): a two-lever scenario's rows against differences of
its runs computed by hand from runs made independently (each variant written as its own scenario
file), a lever that does nothing abates nothing and costs nothing, the variants, the printed
forms and the wedges file against the IOOS CF checker."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import numpy as np
import pytest

from sim.analysis import abatement
from sim.results import netcdf
from sim.results.reading import open_results
from sim.results.run import run_scenario
from sim.scenario import load_scenario
from tests.helpers.result_files import REPO

HEADER = (REPO / "scenarios" / "anhui.toml").read_text(encoding="utf-8").split("[levers.")[0]
RETROFIT = "\n[levers.efficiency_retrofit]\n2024 = 0.05\n"
PRICE = "".join(f"\n[levers.carbon_price.sector.{s}]\n2024 = 0\n2025 = 200\n"
                for s in ("iron_steel", "nonferrous", "nonmetallic_minerals"))
NO_PRICE = "\n[levers.carbon_price]\n2024 = 0\n"  # the registry default: no effect at all
ULE = ("\n[levers.ultra_low_emission.sector.nonmetallic_minerals]\n2024 = 0.0\n2028 = 0.8\n"
       "\n[levers.ultra_low_emission.sector.iron_steel]\n2021 = 0.0\n2025 = 0.8\n")
MEMBERS, SEED = 8, 7


def _scenario(folder, name: str, levers: str):
    path = folder / f"{name}.toml"
    path.write_text(HEADER.replace('name = "anhui"', f'name = "{name}"') + levers, encoding="utf-8")
    return load_scenario(path)


def _open_all(paths):
    return {k: open_results(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The two-lever scenario through run_abatement, and its variants run by hand from their own
    files: {"wedges", "scenario", "without_retrofit", "without_price", "none"}."""
    folder = tmp_path_factory.mktemp("abatement")
    (folder / "targets").symlink_to(REPO / "scenarios" / "targets")
    sc = _scenario(folder, "pair", RETROFIT + PRICE)
    paths = abatement.run_abatement(sc, folder / "runs", MEMBERS, SEED)
    opened = _open_all(paths)
    ds = opened.pop(abatement.SCENARIO)
    wedges = abatement.wedges(ds, opened).load()
    hand = {}
    for name, levers in (("without_retrofit", PRICE), ("without_price", RETROFIT), ("none", "")):
        variant = _scenario(folder, name, levers)
        hand[name] = run_scenario(variant, folder / f"{name}.nc", members=MEMBERS, seed=SEED,
                                  detail="full").path
    hand = _open_all(hand)
    yield dict(wedges=wedges, scenario=ds, **hand)
    for d in (ds, *opened.values(), *hand.values()):
        d.close()


@contextlib.contextmanager
def _wedges_of(folder, name: str, levers: str, members: int = 6):
    """The wedges of the scenario ``name`` with ``levers`` run into ``folder`` (its runs open
    while in use)."""
    (folder / "targets").symlink_to(REPO / "scenarios" / "targets")
    opened = _open_all(abatement.run_abatement(_scenario(folder, name, levers), folder / "runs",
                                               members, SEED))
    try:
        ds = opened.pop(abatement.SCENARIO)
        yield abatement.wedges(ds, opened).load()
    finally:
        for d in (ds, *opened.values()):
            d.close()


def _by_hand(ds, base, accounting_variable: str):
    """(extra present cost per member [CNY], the same without the carbon payments, CO2 avoided
    2025-2035 per member [Mt], levelised cost [CNY/t] as paid and without the carbon payments)
    of ``ds`` against ``base`` in Anhui, from the arrays."""
    extra = (ds["discounted_cost"].sel(region="Anhui").values
             - base["discounted_cost"].sel(region="Anhui").values)
    avoided = (base[accounting_variable].sel(region="Anhui").values
               - ds[accounting_variable].sel(region="Anhui").values)  # (member, year)
    years = ds["year"].values
    inside = (years >= 2025) & (years <= 2035)
    factor = np.where(inside, 1.08 ** -(years - 2025.0), 0.0)
    items = [i for i in ds["cost_item"].values if i != "carbon"]
    by_item = [d["cost_by_item"].sel(region="Anhui", cost_item=items).sum("cost_item")
               .transpose("member", "year").values for d in (ds, base)]
    resource = ((by_item[0] - by_item[1]) * factor).sum(axis=1)
    discounted = (avoided * factor).sum(axis=1).mean() * 1e6
    return (extra, resource, avoided[:, inside].sum(axis=1), extra.mean() / discounted,
            resource.mean() / discounted)


@pytest.mark.parametrize("lever, without", [("efficiency_retrofit", "without_retrofit"),
                                            ("carbon_price", "without_price"),
                                            (abatement.ALL, "none")])
def test_each_row_is_the_difference_of_two_runs_by_hand(pair, lever, without):
    w, ds, base = pair["wedges"], pair["scenario"], pair[without]
    assert w.attrs["region"] == "Anhui" and w.attrs["window"] == "2025-2035"
    for accounting, variable in (("scope1", "industrial_co2"),
                                 ("scope1+2", "industrial_co2_with_indirect")):
        extra, resource, avoided, per_t, per_t_resource = _by_hand(ds, base, variable)
        np.testing.assert_allclose(w["extra_cost"].sel(lever=lever).values,
                                   np.quantile(extra, [0.05, 0.5, 0.95]), rtol=1e-9)
        np.testing.assert_allclose(w["extra_resource_cost"].sel(lever=lever).values,
                                   np.quantile(resource, [0.05, 0.5, 0.95]), rtol=1e-6)
        np.testing.assert_allclose(
            w["co2_avoided"].sel(lever=lever, accounting=accounting).values,
            np.quantile(avoided, [0.05, 0.5, 0.95]), rtol=1e-6)
        assert float(w["abatement_cost"].sel(lever=lever, accounting=accounting)) == \
            pytest.approx(per_t, rel=1e-6)
        assert float(w["resource_abatement_cost"].sel(lever=lever, accounting=accounting)) == \
            pytest.approx(per_t_resource, rel=1e-6)
        # co-benefits: the pollutants the other run emits more, member by member, and per t CO2
        pollutants = (base["industrial_pollutants"] - ds["industrial_pollutants"]).sel(
            region="Anhui", year=slice(2025, 2035)).sum("year").transpose("member", "pollutant")
        np.testing.assert_allclose(w["pollutant_avoided"].sel(lever=lever).values,
                                   np.quantile(pollutants.values.astype(float), [0.05, 0.5, 0.95],
                                               axis=0).T, rtol=1e-5)
        co2_mean = avoided.astype(float).mean() * 1e6  # t
        np.testing.assert_allclose(w["pollutant_per_co2"].sel(lever=lever, accounting=accounting).values,
                                   pollutants.values.astype(float).mean(axis=0) * 1e3 / co2_mean,
                                   rtol=1e-5)
    assert list(w["pollutant"].values) == ["SO2", "NOx", "PM"]
    # saving coal saves its SO2, NOx and PM: every member avoids all three
    assert (pollutants.values > 0).all()
    # both levers cut direct CO2 in every member: the retrofit saves fuel, the price moves the
    # fuel mix and the new build
    extra, resource, avoided, _, _ = _by_hand(ds, base, "industrial_co2")
    assert (avoided > 0).all()
    if lever != "efficiency_retrofit":  # the price's payments make it dearer as paid
        assert (extra > resource).all()


def test_the_package_is_not_the_sum_of_its_levers_and_the_file_says_so(pair):
    w = pair["wedges"]
    assert list(w["lever"].values) == ["efficiency_retrofit", "carbon_price", abatement.ALL]
    assert "do not add up" in w.attrs["comment"]
    assert "do not add up" in abatement.format_table(w)


def test_a_lever_without_effect_avoids_nothing_and_costs_nothing(tmp_path):
    with _wedges_of(tmp_path, "idle", RETROFIT + NO_PRICE) as w:
        idle = w.sel(lever="carbon_price")
        np.testing.assert_array_equal(idle["co2_avoided"].values, 0.0)
        np.testing.assert_array_equal(idle["extra_cost"].values, 0.0)
        np.testing.assert_array_equal(idle["extra_resource_cost"].values, 0.0)
        assert np.isnan(idle["abatement_cost"].values).all()
        assert np.isnan(idle["resource_abatement_cost"].values).all()  # no CO2 avoided: no cost per tonne
        # the retrofit alone does the whole package's work
        np.testing.assert_allclose(w["co2_avoided"].sel(lever="efficiency_retrofit").values,
                                   w["co2_avoided"].sel(lever=abatement.ALL).values)
        row = next(r for r in abatement.rows(w) if r["lever"] == "carbon_price")
        assert row["co2_avoided_scope1_median"] == 0.0 and row["cost_per_t_scope1"] is None
        assert row["extra_resource_cost_median"] == 0.0
        assert row["resource_cost_per_t_scope1+2"] is None
        assert abatement.rows(w)[-2]["lever"] == "carbon_price"  # no cost per tonne: last lever
        assert "none" in abatement.format_table(w)


def test_ultra_low_emission_cuts_pollutants_without_co2(tmp_path):
    """The ULE lever beside the retrofit: its CO2 wedge is zero in every member, so its pollutant
    per t CO2 is undefined while the pollutants it avoids are positive."""
    with _wedges_of(tmp_path, "ule", RETROFIT + ULE) as w:
        ule = w.sel(lever="ultra_low_emission")
        np.testing.assert_array_equal(ule["co2_avoided"].values, 0.0)
        assert np.isnan(ule["pollutant_per_co2"].values).all()
        assert (ule["pollutant_avoided"].sel(quantile=0.05).values > 0).all()
        row = next(r for r in abatement.rows(w) if r["lever"] == "ultra_low_emission")
        assert row["NOx_per_t_co2_scope1"] is None and row["NOx_avoided_median"] > 0
        text = abatement.format_table(w)
        assert "Co-benefits: air pollutants avoided over 2025-2035 [kt]" in text
        block = text.split("Co-benefits")[1].splitlines()
        line = next(t for t in block if t.startswith("ultra_low_emission"))
        assert f"{row['NOx_avoided_median'] / 1e3:,.1f}" in line and "none" in line


def test_variants_drop_one_lever_each_and_all_at_the_end(tmp_path):
    (tmp_path / "targets").symlink_to(REPO / "scenarios" / "targets")
    sc = _scenario(tmp_path, "pair", RETROFIT + PRICE)
    v = abatement.variants(sc)
    assert list(v) == ["efficiency_retrofit", "carbon_price", abatement.ALL]
    assert list(v["efficiency_retrofit"].levers) == ["carbon_price"]
    assert v["efficiency_retrofit"].levers["carbon_price"] is sc.levers["carbon_price"]
    assert dict(v[abatement.ALL].levers) == {}
    assert v["carbon_price"].uncertainty is sc.uncertainty and v["carbon_price"].seed == sc.seed
    with pytest.raises(abatement.AbatementError, match="sets no levers"):
        abatement.variants(_scenario(tmp_path, "bare", ""))


def test_one_lever_is_run_once(tmp_path):
    (tmp_path / "targets").symlink_to(REPO / "scenarios" / "targets")
    sc = _scenario(tmp_path, "single", RETROFIT)
    seen = []
    paths = abatement.run_abatement(sc, tmp_path / "runs", 4, SEED,
                                    progress=lambda done, total, name: seen.append((done, total, name)))
    assert seen == [(0, 2, abatement.SCENARIO), (1, 2, "efficiency_retrofit"), (2, 2, "")]
    assert paths[abatement.ALL] == paths["efficiency_retrofit"]


def test_csv_and_json_carry_the_same_rows(pair):
    w = pair["wedges"]
    rows = abatement.rows(w)
    table = list(csv.DictReader(io.StringIO(abatement.format_csv(w))))
    assert [r["lever"] for r in table] == [r["lever"] for r in rows]
    assert float(table[0]["cost_per_t_scope1"]) == pytest.approx(rows[0]["cost_per_t_scope1"])
    data = json.loads(abatement.format_json(w))
    assert data["rows"] == rows and data["region"] == "Anhui"
    assert float(table[0]["SO2_per_t_co2_scope1"]) == pytest.approx(rows[0]["SO2_per_t_co2_scope1"])
    assert data["units"]["pollutant_per_t_co2"] == "kg of the pollutant per t CO2 avoided"
    assert data["accountings"]["scope1+2"] == "with electricity, heat and hydrogen"
    # cheapest first in scope1, the package last
    costs = [r["resource_cost_per_t_scope1"] for r in rows[:-1]]
    assert costs == sorted(costs) and rows[-1]["lever"] == abatement.ALL


@pytest.mark.slow  # the IOOS checker takes seconds a file
def test_the_wedges_file_is_cf_1_10_clean(pair, tmp_path):
    suite_module = pytest.importorskip("compliance_checker.suite")
    from compliance_checker.base import BaseCheck

    def failed(results):
        for r in results:
            if r.value is False or (isinstance(r.value, tuple) and r.value[0] < r.value[1]):
                yield r
            yield from failed(r.children)

    path = netcdf.write_atomic(pair["wedges"], tmp_path / "wedges.nc")
    suite_module.CheckSuite.load_all_available_checkers()
    suite = suite_module.CheckSuite()
    results, exceptions = suite.run_all(suite.load_dataset(str(path)), ["cf:1.10"],
                                        skip_checks=[])["cf:1.10"]
    assert not exceptions and len(results) > 20
    bad = [(r.name, r.msgs) for r in failed(results) if r.weight >= BaseCheck.MEDIUM]
    assert bad == []
    with open_results(path) as back:
        assert abatement.is_wedges(back)
        np.testing.assert_allclose(back["abatement_cost"].values, pair["wedges"]["abatement_cost"].values)
