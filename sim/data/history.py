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
from sim.data.observed_activity import (
    cement_energy_share,
    fibre_share,
    small_base,
    structure_factor,
)

HISTORY_DIR = CALIBRATION_DIR / "history"


CO2_CARRIERS: tuple[str, ...] = ("coal", "oil", "gas", "process")
"""Carriers of the CEADs observations: the three fossil carriers and cement process CO2."""


ACTIVITY_SERIES: dict[str, str] = {
    "iron_steel": "crude_steel_mt",
    "nonferrous": "nonferrous_ten_kinds_mt",
    "nonmetallic_minerals": "cement_mt",
}
"""Observed activity series of the material sectors; the others follow ``va_index``, except those of
:data:`NATIONAL_ACTIVITY`."""
NATIONAL_ACTIVITY: dict[str, str] = {"petroleum_coking": "petroleum_coking_output_index"}
"""Sectors that follow a national product index in 2010-2019 (calibration/history/national.csv):
petroleum and coking, the summed output of coke, gasoline, diesel and kerosene (NBS national; no
provincial series, and the value-added index rose about 30 % over 2015-2019 while these outputs rose
about 5 %). In 2020-2024 the data have no such series and the sector follows ``va_index``."""


@dataclass(frozen=True, eq=False)
class History:
    """Observed series, arrays in sim.core.axes order; NaN where there is no observation."""

    years: tuple[int, ...]     # 2010 .. 2019
    co2: np.ndarray            # (Y,P,S,4) Mt CO2 by CO2_CARRIERS (CEADs; Tibet NaN)
    activity: np.ndarray       # (Y,P,S) observed activity: Mt (material sectors) or real VA index
    electricity: np.ndarray    # (Y,S) TWh, CEC national
    national: dict             # indicator -> {year: value}
    glass: np.ndarray | None = None  # (Y,P) NBS plain glass [million weighted cases], NaN = missing
    fibres: np.ndarray | None = None  # (Y,P) NBS chemical fibres [Mt], NaN = missing
    va_index: np.ndarray | None = None  # (Y,P) real value-added index of the province [1]

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
        if sector in NATIONAL_ACTIVITY:
            act[:, :, s] = np.array([nat[NATIONAL_ACTIVITY[sector]][y] for y in years])[:, None]
    glass = np.array([[series.get(("plain_glass_mcases", p, y), np.nan) for p in axes.PROVINCES]
                      for y in years])
    fibres = np.array([[series.get(("chemical_fibres_mt", p, y), np.nan) for p in axes.PROVINCES]
                       for y in years])
    va = np.array([[series.get(("va_index", p, y), np.nan) for p in axes.PROVINCES] for y in years])
    elec = np.zeros((Y, S))
    for r in _rows("electricity.csv"):
        elec[yi[int(r["year"])], si[r["sector"]]] = float(r["twh"])
    for a in (co2, act, elec, glass, fibres, va):
        a.setflags(write=False)
    return History(years=years, co2=co2, activity=act, electricity=elec, national=nat, glass=glass,
                   fibres=fibres, va_index=va)


NONMETALLIC = axes.SECTORS.index("nonmetallic_minerals")


PROGRAMME_RATES = CALIBRATION_DIR / "programme_rates.csv"


def structure_history(history: History, years, clinker_fuel_intensity=None) -> np.ndarray:
    """(P,S,T) energy structure factor of a historical run over ``years`` relative to years[0]: 1
    except non-metallic minerals, whose final energy is a cement part following cement and the other
    building materials following plain glass, the cement part's share derived for the base year
    years[0] (sim.data.observed_activity.structure_factor and cement_energy_share, the same formula as
    the projections' 2020-2024 factor). Applied to the sector's final energy, not to its production,
    so process CO2 follows cement (clinker). ``clinker_fuel_intensity`` (M,) [GJ t-1] gives (M,P,S,T)."""
    idx = [history.index(y) for y in years]
    cement = history.activity[:, :, NONMETALLIC].T  # (P,Y)
    glass = history.glass.T
    share = cement_energy_share(axes.PROVINCES, int(years[0]), clinker_fuel_intensity)
    f = structure_factor(cement[:, idx], glass[:, idx], share)
    out = np.ones(f.shape[:-2] + (len(axes.PROVINCES), len(axes.SECTORS), len(idx)))
    out[..., NONMETALLIC, :] = f
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


def activity_drivers(history: History, years) -> np.ndarray:
    """(T,P,S) observed activity over ``years`` with the rules of the projections'
    (sim.data.observed_activity.activity_index), applied to the base year years[0]: a material
    sector whose base-year output is below the small-base threshold follows the province's real
    value-added index; chemicals is its value-added index except the chemical-fibre part (the
    base year's CEADs fibre share), which follows NBS chemical fibres."""
    idx = [history.index(y) for y in years]
    a = np.array(history.activity[idx])  # (T,P,S)
    va = np.asarray(history.va_index)[idx]  # (T,P)
    y0 = int(years[0])
    i0 = history.index(y0)
    for sector, series in ACTIVITY_SERIES.items():
        s = axes.SECTORS.index(sector)
        small = small_base(series, axes.PROVINCES, y0,
                           lambda p, _s, _y, k=s: history.activity[i0, axes.PROVINCES.index(p), k])
        # scaled to the base year's output so that the growth is the value-added index's
        a[:, small, s] = va[:, small] / va[:1, small] * a[:1, small, s]
    k = axes.SECTORS.index("chemicals")
    fib = np.asarray(history.fibres)[idx]
    w = fibre_share(axes.PROVINCES, y0, fib[0])
    rel_fib = np.where(fib[:1] > 0, fib / np.where(fib[:1] > 0, fib[:1], 1.0), 1.0)
    rel_va = a[:, :, k] / a[:1, :, k]
    a[:, :, k] = a[:1, :, k] * (w[None] * np.where(np.isfinite(rel_fib), rel_fib, rel_va) + (1.0 - w[None]) * rel_va)
    return a


def observed_growth(history: History, years) -> tuple[np.ndarray, np.ndarray]:
    """Observed demand growth (P,S,T) over ``years`` (entry t: from year t-1 to t, t = 0 unused;
    drivers :func:`activity_drivers`) and a (P,S,T) mask of the entries that fall back to the
    national growth of the series (the province's value is missing or zero in one of the two years)."""
    a = activity_drivers(history, years)  # (T,P,S)
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

