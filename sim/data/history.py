"""The observed history 2010-2019: CEADs CO2 by province, sector and carrier, observed activity,
CEC electricity, the closure programmes and the structure of non-metallic minerals.

Read from the committed tables in calibration/history/ (written by ``python -m calibration.history``
from ../shared/data, which is never read at run time). Historical runs of the model on this
history are ``sim.model.historical``'s.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

import numpy as np

from sim.core import axes
from sim.data.base_state import CALIBRATION_DIR
from sim.data.observed_activity import structure_factor

HISTORY_DIR = CALIBRATION_DIR / "history"


CO2_CARRIERS: tuple[str, ...] = ("coal", "oil", "gas", "process")
"""Carriers of the CEADs observations: the three fossil carriers and cement process CO2."""


ACTIVITY_SERIES: dict[str, str] = {
    "iron_steel": "crude_steel_mt",
    "nonferrous": "nonferrous_ten_kinds_mt",
    "nonmetallic_minerals": "cement_mt",
}
"""Observed activity series of the material sectors; the others follow ``va_index``."""


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
        """Position of ``year`` on the history's year axis."""
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

