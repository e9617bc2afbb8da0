"""Costs and prices (DESIGN §11), read from the curated tables of ``calibration/costs/`` (every
row cites its source; calibration/costs/README.md), in constant 2019 CNY.

:func:`load_costs` returns a frozen :class:`Costs` for a base state:

* per route: capital cost of new capacity, fixed and variable (non-energy) O&M, economic
  lifetime (``routes.csv``). The material sectors' routes are priced per tonne; the value-added
  sectors' routes per unit of activity (1e9 CNY of value added) from the measures they stand
  for: ``conventional`` carries no extra capital (its capital is the sector's own, not a
  decarbonisation cost), ``efficient`` the retrofit capital for the energy it saves against
  ``conventional``, ``electrified`` the electric heat capacity for the electricity it uses;
* prices by province, sector, carrier and year (``prices.csv``): the 2019 level (ex-VAT)
  times the real price index of the year (linear between 2019 = 1, 2025, 2030 and 2035, held
  after);
* the cost per tonne of CO2 captured, of an efficiency retrofit per PJ yr-1 saved, of
  electrification equipment per PJ yr-1 of electricity (``measures.csv``), the green-power
  premium, the differentiated electricity surcharges' benchmarks and the discount rate
  (``policy.csv``);
* the cost scale of the route choice under a carbon price (kernels/SPEC.md step 4): the
  levelised cost of production of each sector's incumbent route (material sectors) or gross
  output per value added (the others, ``output_per_value_added.csv``).

Choices a reader should know (each with its reasoning in calibration/costs/README.md and here):
iron & steel's coal is priced as coking coal (CEADs counts coke and coal gases in it; coking coal
is what a BF-BOF mill buys), non-ferrous electricity at the aluminium smelters' price (primary
aluminium dominates the sector's electricity), oil as fuel oil, hydrogen as coal-based (grey)
hydrogen; VAT (13 %, 9 % for gas and heat) is taken out of every price quoted with it, as
published production costs are ex-VAT. Captured CO2 is costed per tonne (levelised capture,
including its capital, plus transport and storage), so the kiln_ccus route's capital is that of
an efficient kiln.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.core import axes
from sim.core.units import KWH_PER_PJ
from sim.data.base_state import CALIBRATION_DIR, BaseState, load_base_state
from sim.data.observed_activity import CEMENT_ENERGY_SHARE

COSTS_DIR = CALIBRATION_DIR / "costs"
COST_YEAR = 2025
"""Year of the reference levelised costs (the route choice's cost scale, the LCOP validation)."""
GJ_PER_PJ = 1e6
T_PER_MT = 1e6
H2_GJ_PER_KG = 0.120  # LHV (calibration/costs/README.md)
HOURS_ELECTRIC_HEAT = 6000.0
"""[h yr-1] Full-load hours of industrial electric heat equipment (the basis of the
measures' capital per GJ yr-1 of heat, calibration/costs/measures.csv)."""
VAT = {"coal": 0.13, "oil": 0.13, "gas": 0.09, "electricity": 0.13, "heat": 0.09,
       "hydrogen": 0.13, "biomass": 0.13}
"""VAT rates of 2019 onward (PRC VAT reform of April 2019: 13 % standard, 9 % for natural gas
and heat), taken out of prices quoted with VAT."""
CCUS_TRANSPORT_KM = 100.0
"""[km] Pipeline distance assumed from capture to storage (no site data; calibration/costs)."""

# the price rows each carrier takes (prices.csv ``carrier``), with sector exceptions
PRICE_ROWS = {"coal": "coal_thermal", "oil": "oil_fuel_oil", "gas": "natural_gas_industrial",
              "electricity": "electricity_large_industry_1_10kV", "heat": "heat_steam_purchased",
              "hydrogen": "hydrogen_grey_coal", "biomass": "biomass_pellets"}
PRICE_EXCEPTIONS = {("iron_steel", "coal"): "coking_coal",
                    ("nonferrous", "electricity"): "electricity_aluminium_smelters"}
INDEX_ROWS = {"coal": "coal_thermal", "oil": "oil_diesel", "gas": "natural_gas_industrial",
              "electricity": "electricity_large_industry_1_10kV", "heat": "heat_steam_purchased",
              "hydrogen": "hydrogen_grey_coal", "biomass": "biomass_pellets"}
INDEX_YEARS = (2019, 2025, 2030, 2035)


BROWNFIELD = {("iron_steel", "bf_bof"): "bf_bof->bf_bof"}
"""Routes whose new capacity is costed as the renewal of an existing plant: China admits no
greenfield BF-BOF capacity (产能置换: new blast furnaces replace retired ones at equal or reduced
ratio, on existing sites; seeds 000-004), so a BF-BOF investment is a relining / rebuild
(MPP renewal capex, routes.csv ``bf_bof->bf_bof``), not MPP's greenfield plant."""
ROUTE_COST_COLUMN = {("bf_bof", "fixed_om"): "low", ("kiln", "var_om_nonenergy"): "low",
                     ("kiln_efficient", "var_om_nonenergy"): "low",
                     ("kiln_ccus", "var_om_nonenergy"): "low"}
"""(route, item) -> the column of routes.csv used instead of the central value: BF-BOF fixed O&M
at the low end of MPP's global figure (-30 %): Chinese labour and maintenance cost per tonne is
below the global average (routes.csv note), and with it raw materials and energy make 69 % of
the levelised cost, as CSDRI reports for Chinese mills (iron ore, scrap, coal and coke over 70 %
of production cost: China Steel Development Research Institute via SEAISI/Mysteel Global,
2022-02-28). Kilns' non-energy variable O&M (raw meal, gypsum, additives, consumables) at the low
end of JRC-EU-TIMES's European figure (45 instead of 64 CNY/t cement) for the same reason:
Chinese limestone, gypsum and refractory prices are below the EU's, and Anhui Conch's clinker
cost, 192-214 CNY/t in 2022-23 (lcop_published.csv), leaves about 60 CNY/t for everything but
fuel and power."""


class CostDataError(ValueError):
    """A cost table lacks a row the model reads (the message names file and row)."""


@dataclass(frozen=True, eq=False)
class Costs:
    """Costs and prices of the model's routes and carriers, constant 2019 CNY; arrays in
    sim.core.axes order (S sectors, R routes, C carriers, P provinces of the base state)."""

    capex: np.ndarray          # (S,R) CNY per activity unit yr-1 of new capacity
    fixed_om: np.ndarray       # (S,R) CNY per activity unit yr-1 of capacity, per year
    var_om: np.ndarray         # (S,R) CNY per activity unit produced (non-energy materials)
    lifetime: np.ndarray       # (S,R) yr, economic lifetime of new capacity
    price_2019: np.ndarray     # (P,S,C) CNY per PJ, ex-VAT
    price_index: np.ndarray    # (C, len(INDEX_YEARS)) real price index, 2019 = 1
    ccus_per_t: float          # CNY per t CO2 captured (capture, transport, storage)
    retrofit_per_pj: float     # CNY per PJ yr-1 of energy saved by efficiency retrofits
    electric_per_pj: float     # CNY per PJ yr-1 of electricity of electrification equipment
    green_premium_per_pj: float  # CNY per PJ of contracted green power, above grid power
    surcharge_benchmark: np.ndarray  # (S,) PJ electricity per activity unit: above it the
    # differentiated / tiered surcharge is paid
    discount_rate: float       # yr-1, social discount rate (real)
    output_per_va: np.ndarray  # (S,) gross output per value added [1]
    benchmark_co2: np.ndarray  # (S,) Mt CO2 per activity unit: the sector's 2019 national direct
    # + process CO2 per unit of output, the benchmark of free allocation
    retrofit_lifetime: float   # yr, economic lifetime of an efficiency retrofit
    electric_lifetime: float   # yr, of electrification equipment
    sources: dict               # item -> source text

    def prices(self, prov_idx: np.ndarray, years) -> np.ndarray:
        """(P,S,C,T) prices [CNY per PJ] of the provinces ``prov_idx`` in ``years``."""
        years = np.asarray(list(years), dtype=float)
        index = np.stack([np.interp(years, INDEX_YEARS, self.price_index[c])
                          for c in range(len(axes.CARRIERS))])  # (C,T), held after 2035
        return self.price_2019[np.asarray(prov_idx)][..., None] * index[None, None]

    def annuity(self) -> np.ndarray:
        """(S,R) capital recovery factor [yr-1] at :attr:`discount_rate` over each route's
        economic lifetime: r / (1 − (1 + r)^−L)."""
        r = self.discount_rate
        return r / (1.0 - (1.0 + r) ** (-self.lifetime))


def _rows(name: str) -> list[dict]:
    with open(COSTS_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _one(rows: list[dict], file: str, **where) -> dict:
    found = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
    if len(found) != 1:
        raise CostDataError(f"calibration/costs/{file}: expected one row with "
                            f"{where}, found {len(found)}")
    return found[0]


def _value(row: dict, key: str = "value") -> float:
    return float(row[key])


def _route_costs(base: BaseState, measures: list[dict], retrofit: float,
                 electric: float) -> tuple[np.ndarray, ...]:
    """(capex, fixed_om, var_om, lifetime) (S,R) of every route [CNY per activity unit];
    ``retrofit`` and ``electric`` [CNY per PJ yr-1]: the measures that price the value-added
    sectors' efficient and electrified routes."""
    rows = _rows("routes.csv")
    S, R = len(axes.SECTORS), len(axes.ROUTES)
    capex, fixed, var, life = (np.zeros((S, R)) for _ in range(4))
    life[:] = _value(_one(measures, "measures.csv", measure="energy_efficiency_retrofit",
                          item="lifetime"))
    for s, sector in enumerate(axes.SECTORS):
        for r, route in enumerate(axes.ROUTE_NAMES[sector]):
            if sector not in axes.MATERIAL_SECTORS:
                continue
            costed = "kiln_efficient" if route == "kiln_ccus" else route  # capture per tonne
            for item, array, scale in (("capex_new", capex, T_PER_MT), ("fixed_om", fixed, T_PER_MT),
                                       ("var_om_nonenergy", var, T_PER_MT)):
                row = [x for x in rows if x["sector"] == sector and x["route"] == costed
                       and x["item"] == item]
                if row and row[0]["value"]:
                    array[s, r] = float(row[0][ROUTE_COST_COLUMN.get((route, item), "value")]) * scale
            if (sector, route) in BROWNFIELD:  # new capacity replaces retired capacity on site
                row = [x for x in rows if x["sector"] == sector
                       and x["route"] == BROWNFIELD[(sector, route)]]
                capex[s, r] = float(row[0]["value"]) * T_PER_MT
            row = [x for x in rows if x["sector"] == sector and x["route"] == route
                   and x["item"] == "economic_lifetime"]
            life[s, r] = float(row[0]["value"]) if row else 20.0
    # value-added sectors: the efficient route's extra capital for the energy it saves, the
    # electrified route's electric heat capacity (national average intensities of the base year)
    weight = base.production0  # (P,S,R) activity
    for s, sector in enumerate(axes.SECTORS):
        if sector in axes.MATERIAL_SECTORS:
            continue
        w = weight[:, s, :].sum(axis=0)
        mean = (base.int0[:, s] * weight[:, s, :, None]).sum(axis=0) / np.maximum(w[:, None], 1e-300)
        conv, eff, ele = (axes.route_index(sector, n) for n in ("conventional", "efficient", "electrified"))
        saved = max(0.0, float(mean[conv].sum() - mean[eff].sum()))  # PJ per activity unit
        capex[s, eff] = saved * retrofit
        capex[s, ele] = float(mean[ele, axes.CARRIERS.index("electricity")]) * electric
        life[s, ele] = _value(_one(measures, "measures.csv", measure="electric_boiler_steam",
                                   item="lifetime"))
    return capex, fixed, var, life


def _electric_per_pj(measures: list[dict]) -> float:
    """[CNY per PJ yr-1 of electricity] Electric heat equipment: the mean of electric boilers and
    high-temperature electric kilns or furnaces, per GJ yr-1 of heat at 6,000 h (boilers ~0.99
    efficient; kilns priced per kW)."""
    boiler = _value(_one(measures, "measures.csv", measure="electric_boiler_steam",
                         item="capex per GJ/yr of heat at 6,000 h"))
    kiln_kw = _value(_one(measures, "measures.csv", measure="electric_kiln_or_furnace (>400 C)",
                          item="capex"))
    kiln = kiln_kw / (HOURS_ELECTRIC_HEAT * 3.6e-3)  # CNY/kW over GJ/yr per kW at 6,000 h
    return 0.5 * (boiler + kiln) * GJ_PER_PJ


def _prices(base: BaseState) -> tuple[np.ndarray, np.ndarray]:
    """(price_2019 (P,S,C) [CNY per PJ, ex-VAT], price_index (C, years))."""
    rows = _rows("prices.csv")
    P, S, C = len(axes.PROVINCES), len(axes.SECTORS), len(axes.CARRIERS)
    price = np.zeros((P, S, C))
    for c, carrier in enumerate(axes.CARRIERS):
        for s, sector in enumerate(axes.SECTORS):
            name = PRICE_EXCEPTIONS.get((sector, carrier), PRICE_ROWS[carrier])
            for p, province in enumerate(axes.PROVINCES):
                price[p, s, c] = _price_row(rows, name, province, carrier)
    index = np.ones((C, len(INDEX_YEARS)))
    for c, carrier in enumerate(axes.CARRIERS):
        for j, year in enumerate(INDEX_YEARS[1:], 1):
            index[c, j] = _value(_one(rows, "prices.csv", carrier=INDEX_ROWS[carrier],
                                      region="all (index)", year=str(year)))
    return price, index


def _price_row(rows: list[dict], name: str, province: str, carrier: str) -> float:
    """The price [CNY per PJ, ex-VAT] of row ``name`` for ``province`` (its own row, else the
    national one, else the only one), converted from its unit."""
    own = [r for r in rows if r["carrier"] == name and r["region"] == province]
    other = [r for r in rows if r["carrier"] == name and r["region"] != "all (index)"]
    national = [r for r in other if r["region"].startswith("national")]
    row = (own or national or other)[0]
    value = float(row["value"])
    unit = row["unit"]
    if unit == "CNY/GJ":
        value *= GJ_PER_PJ
    elif unit == "CNY/kWh":
        value *= KWH_PER_PJ
    elif unit == "CNY/kg":
        value *= GJ_PER_PJ / H2_GJ_PER_KG
    else:
        raise CostDataError(f"calibration/costs/prices.csv: {name} {row['region']}: unit {unit!r} "
                            "is not CNY/GJ, CNY/kWh or CNY/kg")
    if row.get("vat_included") == "yes":
        value /= 1.0 + VAT[carrier]
    return value


_CACHE: dict[int, tuple[BaseState, "Costs"]] = {}


def _load(base: BaseState) -> Costs:
    measures, policy = _rows("measures.csv"), _rows("policy.csv")
    retrofit = _value(_one(measures, "measures.csv",
                           measure="energy_efficiency_retrofit (industry average)",
                           item="capex per energy saved (per GJ)")) * GJ_PER_PJ
    electric = _electric_per_pj(measures)
    capex, fixed, var, life = _route_costs(base, measures, retrofit, electric)
    price, index = _prices(base)
    capture = _value(_one(measures, "measures.csv",
                          measure="ccus_capture_china (levelised, by technology, 2025)",
                          item="post-combustion capture cost"))
    transport = _value(_one(measures, "measures.csv", measure="ccus_transport_pipeline",
                            item="cost per t CO2 per km"))
    storage = _value(_one(measures, "measures.csv", measure="ccus_storage_saline",
                          item="cost per t CO2 stored"))
    premium = _value(_one(policy, "policy.csv", instrument="green_power_trading_premium",
                          item="premium over ordinary medium/long-term price"))
    discount = _value(_one(policy, "policy.csv", instrument="discount_rate_social",
                           item="social discount rate"))
    ratio = {r["sector"]: float(r["gross_output_per_value_added"])
             for r in _rows("output_per_value_added.csv")}
    # the surcharge's benchmark: the best-available electricity intensity of the base year
    # (the differentiated prices charge capacity less efficient than the benchmark)
    e = axes.CARRIERS.index("electricity")
    w = base.production0.sum(axis=0)  # (S,R)
    bat = (base.new_int0[:, :, :, e] * base.production0).sum(axis=0)
    bench = np.array([float(bat[s, 0] / w[s, 0]) if w[s, 0] > 0 else 0.0
                      for s in range(len(axes.SECTORS))])
    return Costs(
        capex=capex, fixed_om=fixed, var_om=var, lifetime=life, price_2019=price,
        price_index=index, ccus_per_t=capture + transport * CCUS_TRANSPORT_KM + storage,
        retrofit_per_pj=retrofit, electric_per_pj=electric,
        green_premium_per_pj=premium / 1e3 * KWH_PER_PJ,  # CNY/MWh -> CNY/PJ
        surcharge_benchmark=bench, discount_rate=discount,
        output_per_va=np.array([ratio[s] for s in axes.SECTORS]),
        benchmark_co2=_benchmark_co2(base),
        retrofit_lifetime=_value(_one(measures, "measures.csv", measure="energy_efficiency_retrofit",
                                      item="lifetime")),
        electric_lifetime=_value(_one(measures, "measures.csv", measure="electric_boiler_steam",
                                      item="lifetime")),
        sources={"routes": "calibration/costs/routes.csv", "prices": "calibration/costs/prices.csv",
                 "measures": "calibration/costs/measures.csv",
                 "policy": "calibration/costs/policy.csv",
                 "output_per_value_added": "calibration/costs/output_per_value_added.csv"},
    )


def _benchmark_co2(base: BaseState) -> np.ndarray:
    """(S,) [Mt CO2 per activity unit] Each sector's national direct + process CO2 per unit of
    output in the base year (installed intensities, base emission factors, calibrated capture)."""
    co2 = ((base.int0[..., :3] * base.ef[:, :, None, :3]).sum(axis=3) + base.process_ef) \
        * (1.0 - base.route_capture[None])  # (P,S,R)
    w = base.production0
    return (co2 * w).sum(axis=(0, 2)) / np.maximum(w.sum(axis=(0, 2)), 1e-300)


def load_costs(base: BaseState) -> Costs:
    """The costs of ``base``'s provinces (cached per base state object)."""
    hit = _CACHE.get(id(base))
    if hit is None or hit[0] is not base:
        _CACHE.clear()
        hit = _CACHE[id(base)] = (base, _load(base))
    return hit[1]


def lcop(costs: Costs, base: BaseState, year: int = COST_YEAR, utilisation: float | None = None,
         carbon_price: float = 0.0, energy_only: bool = False) -> np.ndarray:
    """(S,R) levelised cost of production of new capacity [CNY per activity unit] in ``year`` at
    base prices, national: capital annuity and fixed O&M per unit of output (at the sector's
    national target utilisation, or ``utilisation``), non-energy O&M, the energy of the route's
    best-available intensity of the base year at the national (production-weighted) prices, the
    cost of the CO2 it captures (calibrated capture rate x :attr:`Costs.ccus_per_t`) and the
    carbon cost of the direct and process CO2 it emits at ``carbon_price`` [CNY per t CO2].
    ``energy_only``: the energy part alone."""
    P = len(axes.PROVINCES)
    weight = base.production0  # (P,S,R)
    w = weight.sum(axis=0)
    util = (base.util * weight.sum(axis=2)).sum(axis=0) / np.maximum(weight.sum(axis=(0, 2)), 1e-300)
    if utilisation is not None:
        util = np.full_like(util, utilisation)
    price = costs.prices(np.arange(P), [year])[..., 0]  # (P,S,C)
    wp = weight.sum(axis=2)  # (P,S) activity weights of the prices
    national_price = (price * wp[:, :, None]).sum(axis=0) / np.maximum(wp.sum(axis=0)[:, None], 1e-300)
    intensity = np.where(w[..., None] > 0,  # a route with no output in 2019: the plain mean
                         (base.new_int0 * weight[..., None]).sum(axis=0)
                         / np.maximum(w[..., None], 1e-300), base.new_int0.mean(axis=0))
    energy = (intensity * national_price[:, None, :]).sum(axis=2)  # (S,R)
    if energy_only:
        return energy
    ef = (base.ef * wp[:, :, None]).sum(axis=0) / np.maximum(wp.sum(axis=0)[:, None], 1e-300)
    process = np.where(w > 0, (base.process_ef * weight).sum(axis=0) / np.maximum(w, 1e-300),
                       base.process_ef.mean(axis=0))
    co2 = (intensity[:, :, :3] * ef[:, None, :3]).sum(axis=2) + process  # Mt per activity unit
    capital = (costs.capex * costs.annuity() + costs.fixed_om) / np.maximum(util, 1e-300)[:, None]
    captured = T_PER_MT * co2 * base.route_capture  # t CO2 per activity unit
    return (capital + costs.var_om + energy + costs.ccus_per_t * captured
            + carbon_price * T_PER_MT * co2 * (1.0 - base.route_capture))


@functools.lru_cache(maxsize=1)
def reference_cost_scale() -> np.ndarray:
    """(S,) the route choice's cost scale [CNY per activity unit] (kernels/SPEC.md step 4): the
    national levelised cost of production of each material sector's incumbent route in
    :data:`COST_YEAR` at base prices (the 2019 base state), or gross output per value added x 1e9
    CNY (value-added sectors). One national scale: the logit weighs a route's carbon cost against
    what the product costs, the same product in every province (and in the historical base
    states, which never see a price)."""
    base = load_base_state()
    costs = load_costs(base)
    ref = lcop(costs, base)
    return np.array([ref[s, 0] if sector in axes.MATERIAL_SECTORS else costs.output_per_va[s] * 1e9
                     for s, sector in enumerate(axes.SECTORS)])


ENTRANTS = (("iron_steel", "scrap_eaf"), ("nonferrous", "secondary_al"),
            ("nonmetallic_minerals", "kiln_efficient"),
            *((sector, "efficient") for sector in axes.VA_SECTORS))
"""(sector, route): routes mature and built at scale today that a carbon price can bring into a
province where they have no calibrated share (kernels/SPEC.md step 4, entrants). H2-DRI, kilns
with CCUS and the electrified routes are at demonstration scale in the seeds (示范) and enter
only through their floor levers; and hydrogen's and electricity's own CO2 is outside the direct
CO2 a carbon price is paid on, which would make them look free of carbon."""


@functools.lru_cache(maxsize=1)
def reference_entry_premium() -> np.ndarray:
    """(S,R) [CNY per activity unit] The :data:`ENTRANTS`' levelised-cost premium over the
    sector's incumbent route 0 at base prices in :data:`COST_YEAR` (0 where the entrant is
    cheaper: what keeps it out is not in the cost tables), inf for every other route."""
    base = load_base_state()
    ref = lcop(load_costs(base), base)
    out = np.full(ref.shape, np.inf)
    for sector, route in ENTRANTS:
        s, r = axes.SECTORS.index(sector), axes.route_index(sector, route)
        out[s, r] = max(0.0, float(ref[s, r] - ref[s, 0]))
    return out


def entry_premium(n_provinces: int) -> np.ndarray:
    """(P,S,R) :func:`reference_entry_premium` for ``n_provinces`` provinces (writable)."""
    return np.tile(reference_entry_premium(), (n_provinces, 1, 1))


def cost_scale(n_provinces: int) -> np.ndarray:
    """(P,S) :func:`reference_cost_scale` for ``n_provinces`` provinces (a writable array)."""
    return np.tile(reference_cost_scale(), (n_provinces, 1))


def provenance(path: Path = COSTS_DIR) -> str:
    """Where the costs come from (for a result file's attributes)."""
    return f"{path.relative_to(CALIBRATION_DIR.parent)}/ (README.md: every row's source)"


PRODUCTS: dict[str, tuple[str, str, float]] = {
    "steel_bf_bof": ("iron_steel", "bf_bof", 1.0),
    "steel_scrap_eaf": ("iron_steel", "scrap_eaf", 1.0),
    "steel_h2_dri_eaf": ("iron_steel", "h2_dri_eaf", 1.0),
    "primary_aluminium": ("nonferrous", "primary_al", 1.0),
    "cement": ("nonmetallic_minerals", "kiln", CEMENT_ENERGY_SHARE),
}
"""Products with a published cost (calibration/costs/lcop_published.csv) -> (sector, route, share
of the route's energy that is the product's). Cement: the non-metallic minerals sector's energy
per tonne of cement includes glass, ceramics and the other building materials (the base state
divides the whole sector's energy by cement output), of which cement takes
``sim.data.observed_activity.CEMENT_ENERGY_SHARE``."""


def product_lcop(costs: Costs, base: BaseState, product: str, year: int = COST_YEAR) -> float:
    """[CNY per t] Levelised cost of production of a published ``product`` (:data:`PRODUCTS`) in
    ``year`` at base prices: :func:`lcop` of its route with the route's energy cost scaled to the
    product's share."""
    sector, route, share = PRODUCTS[product]
    s, r = axes.SECTORS.index(sector), axes.route_index(sector, route)
    total = lcop(costs, base, year)[s, r]
    energy = lcop(costs, base, year, energy_only=True)[s, r]
    return float(total - (1.0 - share) * energy) / T_PER_MT
