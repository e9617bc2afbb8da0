"""The calibrated 2019 base state, read from the committed files in calibration/ (never ../shared).

`load_base_state()` returns a frozen, cached `BaseState` whose arrays follow the order of sim.axes.
The files are written by `python -m calibration.build`; methods are in calibration/README.md and
every number's source is in calibration/base_2019/provenance.csv.
"""

from __future__ import annotations

import csv
import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import axes

CALIBRATION_DIR = Path(__file__).resolve().parent.parent / "calibration"
BASE_DIR = CALIBRATION_DIR / "base_2019"
GDP_YEARS = tuple(range(axes.BASE_YEAR + 1, axes.END_YEAR + 1))


@dataclass(frozen=True, eq=False)
class BaseState:
    """Base-year (2019) state. Shapes: P provinces, S sectors, R routes, K age stages, C carriers, N metals."""

    cap0: np.ndarray                 # (P,S,R,K) Mt/yr (material sectors) or 1e9 CNY(2019)/yr
    util: np.ndarray                 # (P,S) 1
    production0: np.ndarray          # (P,S,R) activity/yr
    base_share: np.ndarray           # (P,S,R) 1
    int0: np.ndarray                 # (P,S,R,C) PJ per activity unit
    new_int0: np.ndarray             # (P,S,R,C) PJ per activity unit
    va_per_unit: np.ndarray          # (P,S) 1e9 CNY per activity unit
    value_added0: np.ndarray         # (P,S) 1e9 CNY
    ef: np.ndarray                   # (P,S,C) Mt CO2/PJ
    process_ef: np.ndarray           # (P,S,R) Mt CO2 per activity unit
    route_capture: np.ndarray        # (S,R) 1
    heat_ef: float                   # Mt CO2/PJ
    h2_power: float                  # PJ electricity / PJ hydrogen
    stock0: np.ndarray               # (P,N,K) Mt
    scrap_per_unit: np.ndarray       # (N,R) t/t
    prompt_scrap: np.ndarray         # (N,) t/t sector output
    inflow_ratio: np.ndarray         # (N,) t/t sector output
    collection: np.ndarray           # (N,) 1
    stock_lifetime: np.ndarray       # (N,) yr
    metal_sector: np.ndarray         # (N,) int
    metal_route: np.ndarray          # (N,) int
    lifetime: np.ndarray             # (S,) yr
    aeei: np.ndarray                 # (S,) yr-1
    grid_ef0: np.ndarray             # (P,) t CO2/MWh
    grid_renewable_share0: np.ndarray  # (P,) 1
    gdp_growth: np.ndarray           # (P,Y) yr-1
    gdp_growth_years: tuple[int, ...]
    gdp_growth_national: np.ndarray  # (Y,) yr-1
    final_energy0: np.ndarray        # (P,S,C) PJ
    co2_direct0: np.ndarray          # (P,S) Mt CO2 (CEADs 2019, Tibet estimated)
    co2_process0: np.ndarray         # (P,S) Mt CO2
    crude_steel0: np.ndarray         # (P,) Mt (NBS provincial, scaled to the NBS national total)
    provenance: tuple[dict, ...] = field(repr=False)


def _rows(name: str) -> list[dict]:
    with open(BASE_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _idx():
    pi = {p: i for i, p in enumerate(axes.PROVINCES)}
    si = {s: i for i, s in enumerate(axes.SECTORS)}
    ci = {c: i for i, c in enumerate(axes.CARRIERS)}
    return pi, si, ci


@functools.lru_cache(maxsize=1)
def load_base_state() -> BaseState:
    P, S, R, K, C, N = (len(axes.PROVINCES), len(axes.SECTORS), 3, axes.N_AGE_STAGES,
                        len(axes.CARRIERS), len(axes.METALS))
    pi, si, ci = _idx()
    A = tomllib.loads((CALIBRATION_DIR / "assumptions.toml").read_text(encoding="utf-8"))

    cap0 = np.zeros((P, S, R, K))
    for r in _rows("capacity.csv"):
        cap0[pi[r["province"]], si[r["sector"]], int(r["route_index"]), int(r["age_stage"])] = float(r["capacity"])
    util = np.zeros((P, S))
    for r in _rows("utilisation.csv"):
        util[pi[r["province"]], si[r["sector"]]] = float(r["utilisation"])
    prod = np.zeros((P, S, R))
    for r in _rows("production.csv"):
        prod[pi[r["province"]], si[r["sector"]], int(r["route_index"])] = float(r["production"])
    int0 = np.zeros((P, S, R, C))
    new_int0 = np.zeros((P, S, R, C))
    for r in _rows("intensity.csv"):
        key = (pi[r["province"]], si[r["sector"]], int(r["route_index"]), ci[r["carrier"]])
        int0[key] = float(r["int0_pj_per_unit"])
        new_int0[key] = float(r["new_int0_pj_per_unit"])
    va = np.zeros((P, S))
    vpu = np.zeros((P, S))
    for r in _rows("value_added.csv"):
        va[pi[r["province"]], si[r["sector"]]] = float(r["value_added_1e9cny"])
        vpu[pi[r["province"]], si[r["sector"]]] = float(r["va_per_unit_1e9cny_per_unit"])
    ef = np.zeros((P, S, C))
    for r in _rows("emission_factors.csv"):
        ef[pi[r["province"]], si[r["sector"]], ci[r["carrier"]]] = float(r["ef_mtco2_per_pj"])
    pef = np.zeros((P, S, R))
    for r in _rows("process_emission_factors.csv"):
        pef[pi[r["province"]], si[r["sector"]], int(r["route_index"])] = float(r["process_ef_mtco2_per_unit"])
    fe = np.zeros((P, S, C))
    for r in _rows("final_energy.csv"):
        fe[pi[r["province"]], si[r["sector"]], ci[r["carrier"]]] = float(r["final_energy_pj"])
    co2d = np.zeros((P, S))
    co2p = np.zeros((P, S))
    for r in _rows("ceads_2019_sector_totals.csv"):
        co2d[pi[r["province"]], si[r["sector"]]] = float(r["co2_direct_mt"])
        co2p[pi[r["province"]], si[r["sector"]]] = float(r["co2_process_mt"])
    mi = {m: i for i, m in enumerate(axes.METALS)}
    stock0 = np.zeros((P, N, K))
    for r in _rows("in_use_stock.csv"):
        stock0[pi[r["province"]], mi[r["metal"]], int(r["age_stage"])] = float(r["stock_mt"])
    mp = {(r["metal"], r["parameter"]): float(r["value"]) for r in _rows("metal_parameters.csv")}
    spu = np.array([[mp[(m, f"scrap_per_unit_route{j}")] for j in range(R)] for m in axes.METALS])
    grid_ef0 = np.zeros(P)
    ren0 = np.zeros(P)
    for r in _rows("grid.csv"):
        grid_ef0[pi[r["province"]]] = float(r["grid_ef_tco2_per_mwh"])
        ren0[pi[r["province"]]] = float(r["renewable_share"])
    yi = {y: i for i, y in enumerate(GDP_YEARS)}
    gg = np.zeros((P, len(GDP_YEARS)))
    for r in _rows("gdp_growth.csv"):
        gg[pi[r["province"]], yi[int(r["year"])]] = float(r["gdp_growth"])
    gn = np.zeros(len(GDP_YEARS))
    for r in _rows("gdp_growth_national.csv"):
        gn[yi[int(r["year"])]] = float(r["gdp_growth"])
    crude = np.zeros(P)
    for r in _rows("province_activity.csv"):
        crude[pi[r["province"]]] = float(r["crude_steel_nbs_mt"])

    # base_share: production shares; sectors with zero output use the national share, else [1,0,0]
    tot = prod.sum(-1, keepdims=True)
    nat = prod.sum(0)
    nat_share = np.where(nat.sum(-1, keepdims=True) > 0, nat / np.maximum(nat.sum(-1, keepdims=True), 1e-300),
                         np.array([1.0, 0.0, 0.0]))
    share = np.where(tot > 0, prod / np.maximum(tot, 1e-300), nat_share[None])

    route_capture = np.zeros((S, R))
    cm = si["nonmetallic_minerals"]
    route_capture[cm, axes.route_index("nonmetallic_minerals", "kiln_ccus")] = \
        A["routes"]["nonmetallic_minerals"]["capture_rate"]["value"]
    lifetime = np.array([float(A["sectors"]["lifetime"][s]) for s in axes.SECTORS])
    aeei = np.array([float(A["sectors"]["aeei"][s]) for s in axes.SECTORS])
    metal_sector = np.array([si[axes.METAL_FEEDSTOCK[m][0]] for m in axes.METALS], dtype=np.int64)
    metal_route = np.array([axes.route_index(*axes.METAL_FEEDSTOCK[m]) for m in axes.METALS], dtype=np.int64)

    arrays = dict(
        cap0=cap0, util=util, production0=prod, base_share=share, int0=int0, new_int0=new_int0,
        va_per_unit=vpu, value_added0=va, ef=ef, process_ef=pef, route_capture=route_capture,
        stock0=stock0, scrap_per_unit=spu,
        prompt_scrap=np.array([mp[(m, "prompt_scrap")] for m in axes.METALS]),
        inflow_ratio=np.array([mp[(m, "inflow_ratio")] for m in axes.METALS]),
        collection=np.array([mp[(m, "collection")] for m in axes.METALS]),
        stock_lifetime=np.array([mp[(m, "stock_lifetime")] for m in axes.METALS]),
        metal_sector=metal_sector, metal_route=metal_route, lifetime=lifetime, aeei=aeei,
        grid_ef0=grid_ef0, grid_renewable_share0=ren0, gdp_growth=gg, gdp_growth_national=gn,
        final_energy0=fe, co2_direct0=co2d, co2_process0=co2p, crude_steel0=crude,
    )
    for a in arrays.values():
        a.setflags(write=False)
    return BaseState(
        **arrays,
        heat_ef=float(A["heat"]["heat_ef"]["value"]),
        h2_power=float(A["hydrogen"]["h2_power"]["value"]),
        gdp_growth_years=GDP_YEARS,
        provenance=tuple(_rows("provenance.csv")),
    )
