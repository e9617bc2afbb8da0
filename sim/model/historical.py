"""The observed history 2010-2019 and historical runs of the kernel (used by the fit and the hindcast).

The history is read from the committed tables in calibration/history/ (written by
``python -m calibration.history`` from ../shared/data, which is never read at run time).

A historical run starts from an earlier base state (``sim.data.base_state.load_base_state(2010)`` or
``(2015)``) and steps the kernel with no policy levers: capacity replaced like for like, a national
scrap pool, and the autonomous fuel-switching trends of the calibration. Growth is either observed
(:func:`observed_growth`, the hindcast) or fitted (calibration/fit.py).

Because the fuel-switch levers act downstream of every stock (SPEC steps 8-9 use the year's
production and intensity and feed nothing back), a run without them followed by
:func:`switch_fuels` gives exactly the kernel's result with them; the fit uses this to vary the
trends per member.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

import numpy as np

from kernels.arrays import COAL, ELECTRICITY, FOSSIL, GAS, KernelInputs
from sim.core import axes
from sim.data.base_state import CALIBRATION_DIR, BaseState, autonomous_share
from sim.model.inputs import assemble
from sim.scenario.uncertainty import PARAMETERS
from sim.core.units import PJ_PER_TWH

HISTORY_DIR = CALIBRATION_DIR / "history"
CO2_CARRIERS: tuple[str, ...] = ("coal", "oil", "gas", "process")
"""Carriers of the CEADs observations: the three fossil carriers and cement process CO2."""
ACTIVITY_SERIES: dict[str, str] = {
    "iron_steel": "crude_steel_mt",
    "nonferrous": "nonferrous_ten_kinds_mt",
    "nonmetallic_minerals": "cement_mt",
}
"""Observed activity series of the material sectors; the others follow ``va_index``."""
ELEC_RATIO = PARAMETERS["elec_ratio"].nominal
"""PJ electricity per PJ fossil electrified in historical runs [PJ PJ-1]: the nominal of
``sim.scenario.uncertainty.PARAMETERS['elec_ratio']``."""


@dataclass(frozen=True, eq=False)
class History:
    """Observed series, arrays in sim.core.axes order; NaN where there is no observation."""

    years: tuple[int, ...]     # 2010 .. 2019
    co2: np.ndarray            # (Y,P,S,4) Mt CO2 by CO2_CARRIERS (CEADs; Tibet NaN)
    activity: np.ndarray       # (Y,P,S) observed activity: Mt (material sectors) or real VA index
    electricity: np.ndarray    # (Y,S) TWh, CEC national
    national: dict             # indicator -> {year: value}
    glass: np.ndarray | None = None  # (Y,P) NBS plain glass [million weighted cases], NaN = missing

    def index(self, year: int) -> int:
        return self.years.index(year)


def _rows(name: str) -> list[dict]:
    with open(HISTORY_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@functools.lru_cache(maxsize=1)
def load_history() -> History:
    """The observed history (cached, read-only arrays)."""
    nat: dict[str, dict[int, float]] = {}
    for r in _rows("national.csv"):
        nat.setdefault(r["indicator"], {})[int(r["year"])] = float(r["value"])
    co2_rows = _rows("ceads_co2.csv")
    years = tuple(sorted({int(r["year"]) for r in co2_rows}))
    yi = {y: i for i, y in enumerate(years)}
    pi = {p: i for i, p in enumerate(axes.PROVINCES)}
    si = {s: i for i, s in enumerate(axes.SECTORS)}
    ci = {c: i for i, c in enumerate(CO2_CARRIERS)}
    Y, P, S = len(years), len(axes.PROVINCES), len(axes.SECTORS)
    co2 = np.full((Y, P, S, len(CO2_CARRIERS)), np.nan)
    observed = sorted({r["province"] for r in co2_rows})
    co2[:, [pi[p] for p in observed]] = 0.0
    for r in co2_rows:
        co2[yi[int(r["year"])], pi[r["province"]], si[r["sector"]], ci[r["carrier"]]] = float(r["co2_mt"])
    series = {}
    for r in _rows("activity.csv"):
        v = float(r["value"]) if r["value"] not in ("", "nan") else np.nan
        series[(r["series"], r["province"], int(r["year"]))] = v
    act = np.full((Y, P, S), np.nan)
    for s, sector in enumerate(axes.SECTORS):
        name = ACTIVITY_SERIES.get(sector, "va_index")
        for p, prov in enumerate(axes.PROVINCES):
            for y in years:
                act[yi[y], p, s] = series.get((name, prov, y), np.nan)
    glass = np.array([[series.get(("plain_glass_mcases", p, y), np.nan) for p in axes.PROVINCES]
                      for y in years])
    elec = np.zeros((Y, S))
    for r in _rows("electricity.csv"):
        elec[yi[int(r["year"])], si[r["sector"]]] = float(r["twh"])
    for a in (co2, act, elec, glass):
        a.setflags(write=False)
    return History(years=years, co2=co2, activity=act, electricity=elec, national=nat, glass=glass)


NONMETALLIC = axes.SECTORS.index("nonmetallic_minerals")
PROGRAMME_RATES = CALIBRATION_DIR / "programme_rates.csv"


def structure_history(history: History, years) -> np.ndarray:
    """(P,S,T) energy structure factor of a historical run over ``years`` relative to years[0]: 1
    except non-metallic minerals, whose final energy follows the composite of cement and plain
    glass (sim.data.observed_activity.structure_factor, the same formula and national 2019 references
    as the projections' 2020-2024 factor). Applied to the sector's final energy, not to its
    production, so process CO2 follows cement (clinker)."""
    from sim.data.observed_activity import structure_factor

    idx = [history.index(y) for y in years]
    cement = history.activity[:, :, NONMETALLIC].T  # (P,Y)
    glass = history.glass.T
    i19 = history.index(axes.BASE_YEAR)
    f = structure_factor(cement[:, idx], glass[:, idx], np.nansum(cement[:, i19]), np.nansum(glass[:, i19]))
    out = np.ones((len(axes.PROVINCES), len(axes.SECTORS), len(idx)))
    out[:, NONMETALLIC] = f
    return out


@functools.lru_cache(maxsize=1)
def _programme_rates() -> dict[tuple[str, str, int], float]:
    with open(PROGRAMME_RATES, newline="", encoding="utf-8") as fh:
        return {(r["sector"], r["province"], int(r["year"])): float(r["phase_out_lever"])
                for r in csv.DictReader(fh)}


def phase_out_history(years, provinces=axes.PROVINCES) -> np.ndarray:
    """(P,S,T) historical values of the ``phase_out`` lever [yr-1] (calibration/programme_rates.csv:
    closures of backward capacity 2010-2015 and the steel de-capacity 2016-2018 as closed capacity
    over the capacity of the oldest age stage, which is what the lever retires, SPEC step 5).

    National rows apply to every province; a provincial row (Hebei) replaces the national value of
    its province. Sector-years without a documented figure are 0 (no cement, glass, aluminium or
    paper figures after 2015 were found; calibration/README.md). Entry t acts in the step into
    years[t]."""
    rates = _programme_rates()
    years = [int(y) for y in years]
    out = np.zeros((len(provinces), len(axes.SECTORS), len(years)))
    for s, sector in enumerate(axes.SECTORS):
        for t, y in enumerate(years):
            nat = rates.get((sector, "China", y), 0.0)
            for p, prov in enumerate(provinces):
                out[p, s, t] = rates.get((sector, prov, y), nat)
    out[:, :, 0] = 0.0
    return out


def observed_growth(history: History, years) -> tuple[np.ndarray, np.ndarray]:
    """Observed demand growth (P,S,T) over ``years`` (entry t: from year t-1 to t, t = 0 unused)
    and a (P,S,T) mask of the entries that fall back to the national growth of the series (the
    province's value is missing or zero in one of the two years)."""
    idx = [history.index(y) for y in years]
    a = history.activity[idx]  # (T,P,S)
    T, P, S = a.shape
    g = np.zeros((P, S, T))
    fallback = np.zeros((P, S, T), dtype=bool)
    for t in range(1, T):
        prev, cur = a[t - 1], a[t]
        ok = np.isfinite(prev) & np.isfinite(cur) & (prev > 0) & (cur > 0)
        both = np.where(ok, 1.0, 0.0)
        nat = (np.nan_to_num(cur) * both).sum(0) / np.maximum((np.nan_to_num(prev) * both).sum(0), 1e-300) - 1.0
        g[:, :, t] = np.where(ok, np.nan_to_num(cur) / np.where(ok, prev, 1.0) - 1.0, nat[None, :])
        fallback[:, :, t] = ~ok
    return g, fallback


def historical_inputs(base: BaseState, years, growth: np.ndarray, lifetime: np.ndarray,
                      aeei: np.ndarray, stock_lifetime: np.ndarray,
                      with_trends: bool = False, aeei_elec: np.ndarray | None = None,
                      discrepancy: np.ndarray | None = None,
                      floor_int: np.ndarray | None = None,
                      phase_out: np.ndarray | None = None) -> KernelInputs:
    """Kernel inputs of a historical run of all provinces from ``base`` over ``years``.

    growth (M,P,S,T), lifetime (M,S), aeei (M,S), stock_lifetime (M,N) are per member; no policy
    levers, a national scrap pool, the base grid factor. ``floor_int`` (P,S,R,C) [PJ per activity
    unit] is the efficiency floor (default 0, no floor: the committed 2010-2015 fit was made
    without floors; pass ``base.floor_int`` for the base state's). ``aeei_elec`` (M,S) [yr-1] is the electricity rate (default: ``aeei``, one
    rate for every carrier as before issue #12; pass ``base.aeei_elec`` rows for the base
    state's own); ``discrepancy`` (M,P,S,T) [1] the model-discrepancy
    factor (default 1: none). ``with_trends`` puts the base state's autonomous fuel-switching
    trends into the coal_to_gas and electrification arrays (else they are zero and
    :func:`switch_fuels` can apply them afterwards). ``phase_out`` (P,S,T): the historical closure
    programmes (:func:`phase_out_history`), else none.
    """
    years = np.asarray(years)
    M, P, S, T = growth.shape
    R, N = base.cap0.shape[2], base.stock0.shape[1]
    zero = np.zeros((P, S, T))
    if with_trends:
        gas = np.broadcast_to(autonomous_share(base.coal_to_gas_trend, years)[None], (P, S, T)).copy()
        elec = np.broadcast_to(autonomous_share(base.electrification_trend, years)[None], (P, S, T)).copy()
    else:
        gas, elec = zero, zero
    capture = np.broadcast_to(base.route_capture[None, :, :, None], (P, S, R, T)).copy()
    levers = dict(
        share_floor=np.zeros((P, S, R, T)),
        phase_out=zero if phase_out is None else np.ascontiguousarray(phase_out, dtype=float),
        replacement_ratio=np.full((P, S, T), np.inf),
        retrofit=zero, coal_to_gas=gas, hydrogen=zero, electrification=elec, green_power=zero,
        capture=capture, scrap_market=np.ones(T),
    )
    members = dict(
        growth=np.ascontiguousarray(growth, dtype=float),
        lifetime=np.ascontiguousarray(lifetime, dtype=float),
        aeei=np.ascontiguousarray(aeei, dtype=float),
        grid_ef=np.broadcast_to(base.grid_ef0[None, :, None] / PJ_PER_TWH, (M, P, T)).copy(),
        collection=np.broadcast_to(base.collection[None, :, None], (M, N, T)).copy(),
        stock_lifetime=np.ascontiguousarray(stock_lifetime, dtype=float),
        elec_ratio=np.full(M, ELEC_RATIO),
        aeei_elec=np.ascontiguousarray(aeei if aeei_elec is None else aeei_elec, dtype=float),
        discrepancy=(np.ones((M, P, S, T)) if discrepancy is None
                     else np.ascontiguousarray(discrepancy, dtype=float)),
    )
    inp = assemble(base, np.arange(P), levers, members)
    inp.floor_int = (np.zeros_like(inp.floor_int) if floor_int is None
                     else np.array(floor_int, dtype=float))  # a writable copy
    return inp


def switch_fuels(final_energy: np.ndarray, gas_rate: np.ndarray, elec_rate: np.ndarray,
                 years, elec_ratio: float = ELEC_RATIO) -> np.ndarray:
    """Final energy (M,P,S,C,T) after autonomous coal-to-gas and electrification trends of rates
    (M,S) [yr-1], applied as SPEC step 8 applies the levers (coal to gas 1:1, then a share of the
    remaining fossil energy to electricity x ``elec_ratio``); hydrogen is not used."""
    x = autonomous_share(gas_rate, years)[:, None]   # (M,1,S,T)
    e = autonomous_share(elec_rate, years)[:, None]
    out = final_energy.copy()
    moved = x * out[:, :, :, COAL]
    out[:, :, :, COAL] -= moved
    out[:, :, :, GAS] += moved
    z = e[:, :, :, None] * out[:, :, :, list(FOSSIL)]
    out[:, :, :, list(FOSSIL)] -= z
    out[:, :, :, ELECTRICITY] += elec_ratio * z.sum(axis=3)
    return out


def co2_by_carrier(final_energy: np.ndarray, ef: np.ndarray, co2_process: np.ndarray) -> np.ndarray:
    """(M,P,S,4,T) CO2 by CO2_CARRIERS from final energy (M,P,S,C,T), factors ef (P,S,C) and
    process CO2 (M,P,S,T) (SPEC step 9 summed over routes; no capture in historical runs)."""
    M, P, S, C, T = final_energy.shape
    out = np.empty((M, P, S, len(CO2_CARRIERS), T))
    for j, c in enumerate(FOSSIL):
        out[:, :, :, j] = final_energy[:, :, :, c] * ef[None, :, :, c, None]
    out[:, :, :, 3] = co2_process
    return out
