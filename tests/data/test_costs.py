"""The cost tables (calibration/costs/, sim.data.costs): levelised costs against the published
costs they are checked on, the benchmark of free allocation against the base state's own
emissions, and every number's source."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from sim.core import axes
from sim.data import costs as C
from sim.data.base_state import load_base_state

TABLES = ("routes.csv", "prices.csv", "measures.csv", "policy.csv", "conversion.csv",
          "lcop_published.csv", "carbon_price_response.csv", "output_per_value_added.csv")


@pytest.fixture(scope="module")
def loaded():
    base = load_base_state()
    return base, C.load_costs(base)


def published() -> dict[str, float]:
    """product -> the central value [CNY2019 per t, ex-VAT] lcop_published.csv recommends for the
    test ("YES (central X ...)" or "YES ..." with the row's own value)."""
    out: dict[str, list[float]] = {}
    with open(C.COSTS_DIR / "lcop_published.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row["recommended_for_test"].startswith("YES") or row["product"] not in C.PRODUCTS:
                continue
            central = re.search(r"central ([\d,]+)", row["recommended_for_test"])
            value = float(central.group(1).replace(",", "")) if central else float(row["value_cny2019"])
            out.setdefault(row["product"], []).append(value)
    return {k: v[0] for k, v in out.items()}


def test_every_published_product_is_checked():
    assert set(published()) == set(C.PRODUCTS)
    assert published()["cement"] == 184.0  # the row the test reads (central of Conch's band)


CEMENT_GAP = (
    "cement: the only published Chinese figure is Anhui Conch's clinker cost (the lowest-cost "
    "producer, plants largely written down) x clinker ratio + grinding, 184 CNY/t; the model's "
    "levelised cost of NEW capacity is 240 (+30 %) with cement's derived share of the "
    "sector's energy (0.85, issue #22; +19 % with the assumed 0.7 before): 57 CNY/t of it is the "
    "annuity of new capital that Conch's written-down plants do not carry. No published levelised "
    "cost of a new Chinese plant was found (searched again 2026-12-07, lcop_published.csv); a "
    "2019 Chinese 4000 t/d line cost 605 CNY/(t cement/yr), more than the model's 417 (next "
    "tests). Not tuned; the industry's average full cost (341, an upper bound) brackets it. "
    "docs/costs.md")


@pytest.mark.parametrize("product", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=CEMENT_GAP)) if p == "cement" else p
    for p in C.PRODUCTS])
def test_levelised_cost_2025_within_25_percent_of_the_published_cost(loaded, product):
    """Issue #23: BF-BOF, scrap-EAF and H2-DRI steel, cement and primary aluminium at base prices
    in 2025 within ±25 % of the cited published costs (lcop_published.csv)."""
    base, costs = loaded
    model, cited = C.product_lcop(costs, base, product), published()[product]
    assert abs(model / cited - 1.0) <= 0.25, (product, model, cited)


def test_cement_lies_between_the_lowest_cost_producer_and_the_industry_average():
    """Cement's levelised cost of new capacity lies above the lowest-cost producer's accounting
    cost and below the industry's average full cost and national average unit cost
    (lcop_published.csv, all cited)."""
    base = load_base_state()
    model = C.product_lcop(C.load_costs(base), base, "cement")
    with open(C.COSTS_DIR / "lcop_published.csv", newline="", encoding="utf-8") as fh:
        rows = {r["product"]: float(r["value_cny2019"]) for r in csv.DictReader(fh)
                if r["product"] in ("cement", "cement (industry average full cost)",
                                    "cement (national average unit cost)")}
    assert rows["cement"] < model < min(rows["cement (industry average full cost)"],
                                        rows["cement (national average unit cost)"])


def _new_line_capex() -> dict[str, float]:
    """Description -> capital cost [CNY2019 per t cement/yr] of the new Chinese cement lines
    recorded as cross-checks in routes.csv (rows the model does not read)."""
    with open(C.COSTS_DIR / "routes.csv", newline="", encoding="utf-8") as fh:
        return {r["item"]: float(r["value"]) for r in csv.DictReader(fh)
                if r["sector"] == "nonmetallic_minerals" and r["item"].startswith("capex_new cross-check")}


def test_cement_capital_cost_is_not_above_a_new_chinese_line(loaded):
    """The kilns' capital cost per t of cement capacity [CNY2019] lies below what a Chinese
    4000 t/d line built in 2018-2020 cost (605, routes.csv cross-check; a 2011 second line on an
    existing site, 457-506, is also above the conventional kiln's 417): cement's gap to Conch's
    cost is not an inflated capital cost."""
    _, costs = loaded
    line_2019 = next(v for k, v in _new_line_capex().items() if "2018-2020" in k)
    s = axes.SECTORS.index("nonmetallic_minerals")
    for route in ("kiln", "kiln_efficient"):
        model = costs.capex[s, axes.route_index("nonmetallic_minerals", route)] / 1e6  # per t/yr
        assert 0.0 < model <= line_2019, (route, model, line_2019)


def test_levelised_cost_parts_add_up_by_hand(loaded):
    """BF-BOF's levelised cost is capital annuity + fixed O&M over utilisation + non-energy O&M +
    energy at the national prices (recomputed here from the tables' own entries)."""
    base, costs = loaded
    s, r = axes.SECTORS.index("iron_steel"), 0
    w = base.production0[:, s].sum(axis=1)  # (P,) activity weights
    util = float((base.util[:, s] * w).sum() / w.sum())
    price = costs.prices(np.arange(len(axes.PROVINCES)), [2025])[:, s, :, 0]  # (P,C)
    national = (price * w[:, None]).sum(axis=0) / w.sum()
    wr = base.production0[:, s, r]
    intensity = (base.new_int0[:, s, r] * wr[:, None]).sum(axis=0) / wr.sum()
    crf = costs.discount_rate / (1 - (1 + costs.discount_rate) ** -costs.lifetime[s, r])
    by_hand = ((costs.capex[s, r] * crf + costs.fixed_om[s, r]) / util + costs.var_om[s, r]
               + (intensity * national).sum())
    assert C.lcop(costs, base)[s, r] == pytest.approx(by_hand, rel=1e-12)


def test_a_carbon_price_adds_its_cost_per_tonne_of_emitted_co2(loaded):
    base, costs = loaded
    zero, priced = C.lcop(costs, base), C.lcop(costs, base, carbon_price=100.0)
    steel = axes.SECTORS.index("iron_steel")
    added = (priced - zero)[steel] / 1e6  # CNY per t of steel
    # 100 CNY/t x new BF-BOF capacity's 1.3-2.2 t CO2 per t (best-available intensity, below the
    # installed average), x scrap-EAF's 0.1-0.2 t/t (carbon_price_response.csv's cited ranges)
    assert 130 < added[0] < 220 and 10 <= added[1] <= 20


def test_free_allocation_benchmark_is_the_national_average_of_the_base_year(loaded):
    """At the benchmark, a sector's national free allowances equal its 2019 direct + process CO2
    net of capture: the allocation of the whole market is then exactly its emissions."""
    base, costs = loaded
    co2 = (((base.int0[..., :3] * base.ef[:, :, None, :3]).sum(axis=3) + base.process_ef)
           * (1 - base.route_capture[None]) * base.production0).sum(axis=(0, 2))
    np.testing.assert_allclose(costs.benchmark_co2 * base.production0.sum(axis=(0, 2)), co2,
                               rtol=1e-12)
    steel = axes.SECTORS.index("iron_steel")
    assert 1.4 < costs.benchmark_co2[steel] < 2.2  # t CO2 per t crude steel (worldsteel ~1.9)


def test_entrants_and_their_premium(loaded):
    base, costs = loaded
    premium = C.reference_entry_premium()
    for sector, route in C.ENTRANTS:
        s, r = axes.SECTORS.index(sector), axes.route_index(sector, route)
        assert np.isfinite(premium[s, r]) and premium[s, r] >= 0, (sector, route)
    assert np.isinf(premium[axes.SECTORS.index("iron_steel"),
                            axes.route_index("iron_steel", "h2_dri_eaf")])
    assert np.isfinite(premium).sum() == len(C.ENTRANTS)


@pytest.mark.parametrize("name", TABLES)
def test_every_row_of_the_cost_tables_names_its_source(name):
    with open(C.COSTS_DIR / name, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, name
    key = next(k for k in ("source", "sources", "provenance") if k in rows[0])
    for i, row in enumerate(rows, 2):
        assert (row[key] or "").strip(), f"{name} line {i}: no {key}"
