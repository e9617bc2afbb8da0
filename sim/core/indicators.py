"""Indicators of DESIGN §4.8 computed from one chunk of kernel outputs.

Every indicator is a (member, year) series for a set of provinces (one province, a group, or
all simulated provinces), computed by one function of this module from an :class:`Indicators`
(the chunk's outputs and context); :data:`sim.core.indicators_registry.INDICATORS` names each with its
compute function, units and long name.

Scope: the model's industry is the nine sectors of ``sim.core.axes.SECTORS`` (no energy extraction,
power or heat supply), and CO2 is CEADs' combustion + cement-process CO2 (no non-energy use).
Official indicators cover more; every target carries a ``scope_note`` saying so, and the report
never presents a modelled-scope figure as the official statistic.

Air-pollutant intensity is simulated (issue #27): the pollutants of ``sim.model.pollutants``
(fuel use and production by route x emission factors, with the ultra-low-emission control) per
unit of value added of the key sectors. Trend indicators (solid-waste utilisation, green-factory
share, water intensity) are not physical outputs of the stock-and-flow model: they are exogenous trajectories from a
documented base value moved by an uncertain annual rate (``sim.scenario.uncertainty``), so their
attainment probability reflects the spread of that rate, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.core import axes
from sim.core.units import GJ_PER_TCE, KWH_PER_PJ

COAL = axes.CARRIERS.index("coal")
ELECTRICITY = axes.CARRIERS.index("electricity")
_S = {name: i for i, name in enumerate(axes.SECTORS)}
_STEEL = _S["iron_steel"]
_EAF = axes.route_index("iron_steel", "scrap_eaf")
_NONFERROUS = _S["nonferrous"]
_PETROLEUM = _S["petroleum_coking"]

# Trend-indicator base values: (year, value, source). Rates come from sim.scenario.uncertainty.
TREND_BASE: dict[str, tuple[int, float, str]] = {
    "solid_waste_utilisation": (
        2019, 0.55,
        "NDRC et al., 发改环资〔2021〕381号: 2019年大宗固废综合利用率达到55% (all bulk solid waste, "
        "used as the industrial rate: an approximation)",
    ),
    "green_factory_share": (
        2023, 0.17,
        "MIIT press statements (2024): output of green factories above 17 % of manufacturing output "
        "(not in the seeds; approximate)",
    ),
    "water_intensity": (2020, 1.0, "index, 2020 = 1 (targets are relative to 2020)"),
}
TREND_RATE_PARAMETER: dict[str, str] = {
    "solid_waste_utilisation": "solid_waste_gain",  # percentage points of utilisation per year
    "green_factory_share": "green_factory_gain",  # percentage points of share per year
    "water_intensity": "water_intensity_rate",  # relative decline per year
}

ACCOUNTINGS: tuple[str, ...] = ("scope1", "scope1+2")
"""CO2 accountings: ``scope1`` = direct + process − captured; ``scope1+2`` also counts the indirect
CO2 of purchased electricity, heat and hydrogen."""

POLLUTANT_KEY_SECTORS: tuple[str, ...] = ("iron_steel", "nonferrous", "nonmetallic_minerals",
                                          "chemicals", "petroleum_coking")
"""The key sectors (重点行业) of the pollutant-intensity target: seed 002 names 钢铁、石化化工、有色金属、
建材 as its key industries."""
POLLUTANT_BASE_YEAR = 2020
"""Year the pollutant-intensity index is 1 (seed 002's targets run 2020 -> 2025)."""

RECYCLED_2020_MT = 380.0
"""Ten main renewable resources recycled in 2020 [Mt] (seed 002: 十种主要品种再生资源回收利用量达到3.8亿吨)."""

REFINING_CAPACITY_2019_MT = 860.0
"""Crude-oil primary processing capacity of China in 2019 [Mt yr-1]: about 8.6 ×10^8 t/yr
(CNPC Economics & Technology Research Institute, annual report on the domestic and overseas oil
and gas industry 2019). Assumption used to scale the model's petroleum_coking capacity index."""


@dataclass
class ChunkContext:
    """What indicators need beyond the kernel outputs (all for the simulated provinces)."""

    years: np.ndarray  # (T,) calendar years
    grid_ef: np.ndarray  # (M,P,T) t CO2 / MWh
    grid_renewable_share: np.ndarray  # (M,P,T)
    green_power: np.ndarray  # (P,S,T)
    electricity_kgce_per_kwh: float
    samples: dict[str, np.ndarray]  # uncertain parameters, each (M,)
    pollutants: np.ndarray | None = None  # (M,P,S,X,T) t yr-1 (sim.model.pollutants)


class Indicators:
    """One chunk of members' outputs and context, with the per-province sums that several
    indicators share (computed once per chunk)."""

    def __init__(self, out, ctx: ChunkContext):
        """``out``: the chunk's kernel outputs (``kernels.arrays.KernelOutputs``; read by field name)."""
        self.out = out
        self.ctx = ctx
        self._by_province: dict[str, np.ndarray] = {}  # name -> (M, P, T), summed over sectors

    def province_series(self, name: str) -> np.ndarray:
        """Per-province series (M, P, T), computed once per chunk and reused by every target."""
        if name not in self._by_province:
            self._by_province[name] = _PROVINCE_SERIES[name](self)
        return self._by_province[name]

    def _year(self, year: int) -> int:
        return int(np.searchsorted(self.ctx.years, year))

    def co2(self, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
        """Industrial CO2 [Mt yr-1]: direct + process − captured (+ indirect for 'scope1+2')."""
        if accounting not in ACCOUNTINGS:
            raise ValueError(f"unknown CO2 accounting {accounting!r}; allowed: {', '.join(ACCOUNTINGS)}")
        return self.province_series(accounting)[:, prov].sum(axis=1)

    def energy_kgce(self, prov: np.ndarray) -> np.ndarray:
        """Final energy of the modelled sectors [kgce yr-1], electricity at the scenario's conversion."""
        fe = self.out.final_energy[:, prov].sum(axis=(1, 2))  # (M,C,T) PJ
        elec = fe[:, ELECTRICITY]
        other = fe.sum(axis=1) - elec
        return other * 1e15 / (GJ_PER_TCE * 1e9) * 1e3 + elec * KWH_PER_PJ * self.ctx.electricity_kgce_per_kwh

    def value_added(self, prov: np.ndarray) -> np.ndarray:
        """[1e9 CNY yr-1]."""
        return self.province_series("value_added")[:, prov].sum(axis=1)


_PROVINCE_SERIES: dict[str, Callable[[Indicators], np.ndarray]] = {
    # name -> (M, P, T) summed over sectors; the CO2 accountings of Indicators.co2
    "scope1": lambda i: (i.out.co2_direct + i.out.co2_process - i.out.co2_captured).sum(axis=2),
    "scope1+2": lambda i: i.province_series("scope1") + i.out.co2_indirect.sum(axis=2),
    "value_added": lambda i: i.out.value_added.sum(axis=2),
}


# --- compute functions: (Indicators, provinces (p,), accounting) -> (member, year) -------------------
# Each is the ``compute`` of one entry of sim.core.indicators_registry.INDICATORS.
def industrial_co2(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Industrial CO2 [Mt yr-1] (see :meth:`Indicators.co2`)."""
    return ind.co2(prov, accounting)


def co2_intensity(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """CO2 per value added [kg CNY-1] = Mt / 1e9 CNY."""
    return ratio(ind.co2(prov, accounting), ind.value_added(prov))


def energy_intensity(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Final energy per value added [kgce CNY-1]."""
    return ratio(ind.energy_kgce(prov), ind.value_added(prov) * 1e9)


def steel_eaf_share(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Scrap-EAF output / crude-steel output of the provinces together [1] (:func:`eaf_share`)."""
    return eaf_share(ind.out.production[:, prov, _STEEL], route_axis=2, province_axis=1)


def electricity_share(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Electricity / final energy of the modelled sectors, both in PJ [1]."""
    fe = ind.out.final_energy[:, prov].sum(axis=(1, 2))
    return ratio(fe[:, ELECTRICITY], fe.sum(axis=1))


def coal_consumption(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Coal final energy of the modelled sectors [PJ yr-1]."""
    # two steps: a slice between the advanced indices would move the province axis first
    return ind.out.final_energy[:, prov].sum(axis=(1, 2))[:, COAL]


def al_renewable_share(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Renewable share of the nonferrous sector's electricity [1]: contracted green power plus
    the grid's renewable share of the rest."""
    elec = ind.out.final_energy[:, prov, _NONFERROUS, ELECTRICITY]  # (M,p,T)
    green = ind.ctx.green_power[prov, _NONFERROUS][None]  # (1,p,T)
    rs = ind.ctx.grid_renewable_share[:, prov]
    renewable = green + (1.0 - green) * rs
    return ratio((elec * renewable).sum(axis=1), elec.sum(axis=1))


def refining_capacity(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Crude-oil processing capacity [Mt yr-1]: the petroleum_coking capacity index scaled to
    :data:`REFINING_CAPACITY_2019_MT` in the base year."""
    cap = ind.out.capacity[:, prov, _PETROLEUM].sum(axis=(1, 2))  # (M,T) activity units
    return REFINING_CAPACITY_2019_MT * ratio(cap, cap[:, :1])


def recycled_resources(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Main renewable resources recycled [Mt yr-1]: the model's scrap use plus the other
    resources of 2020 (:data:`RECYCLED_2020_MT` less the 2020 scrap use) growing at the uncertain
    ``other_recycling_growth``."""
    metals = ind.out.scrap_use[:, prov].sum(axis=(1, 2))  # (M,T) Mt
    t20 = ind._year(2020)
    g = ind.ctx.samples["other_recycling_growth"][:, None]
    other0 = np.maximum(RECYCLED_2020_MT - metals[:, t20:t20 + 1], 0.0)
    return metals + other0 * (1.0 + g) ** (ind.ctx.years[None, :] - 2020)


def pollutant_intensity(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
    """Main-pollutant emission intensity of the key sectors (:data:`POLLUTANT_KEY_SECTORS`),
    index :data:`POLLUTANT_BASE_YEAR` = 1 [1]: the mean over the pollutants (SO2, NOx, PM) of
    (emission of the key sectors / their value added) relative to its base-year value. The mean
    of indices, not of tonnes, so no pollutant outweighs the others by its mass."""
    key = [_S[s] for s in POLLUTANT_KEY_SECTORS]
    e = ind.ctx.pollutants[:, prov][:, :, key].sum(axis=(1, 2))  # (M,X,T)
    va = ind.out.value_added[:, prov][:, :, key].sum(axis=(1, 2))  # (M,T)
    intensity = ratio(e, va[:, None, :])
    t0 = ind._year(POLLUTANT_BASE_YEAR)
    return ratio(intensity, intensity[:, :, t0:t0 + 1]).mean(axis=1)


def trend(name: str, relative: bool) -> Callable[..., np.ndarray]:
    """Compute function of the exogenous trend indicator ``name`` (see the module docstring):
    from its base value (:data:`TREND_BASE`) either a relative decline ``v0 (1 − rate)^dt``
    (``relative``, index indicators) or a gain ``v0 + rate dt`` clipped to [0, 1] (shares); the
    rate is the uncertain parameter ``TREND_RATE_PARAMETER[name]``."""
    y0, v0, _ = TREND_BASE[name]
    parameter = TREND_RATE_PARAMETER[name]

    def compute(ind: Indicators, prov: np.ndarray, accounting: str = "scope1") -> np.ndarray:
        rate = ind.ctx.samples[parameter][:, None]
        dt = ind.ctx.years[None, :] - y0
        if relative:
            return v0 * (1.0 - rate) ** dt
        return np.clip(v0 + rate * dt, 0.0, 1.0)

    compute.__name__ = compute.__qualname__ = name
    return compute


def eaf_share(steel, route_axis: int = -2, province_axis: int | None = None):
    """Scrap-EAF share of crude-steel output [1]: output of the scrap_eaf route / output of every
    iron & steel route, NaN where there is none; the one definition of the EAF share.

    ``steel`` is iron & steel production by route [Mt yr-1]: a NumPy array with the route axis at
    ``route_axis``, or an xarray DataArray with a ``route`` dimension. ``province_axis`` (a
    position, or True for a DataArray's ``province`` dimension) sums numerator and denominator
    over the provinces first: the share of a group of provinces, not a mean of shares.
    """
    if hasattr(steel, "dims"):  # xarray.DataArray: routes by name (a result file's route axis)
        over = ["province"] if province_axis else []
        steel = steel.sel(route=list(axes.ROUTE_NAMES["iron_steel"]))
        eaf = steel.sel(route="scrap_eaf").sum(over) if over else steel.sel(route="scrap_eaf")
        total = steel.sum(over + ["route"])
        return eaf / total.where(total != 0)
    steel = np.asarray(steel)
    route_axis %= steel.ndim
    eaf = np.take(steel, _EAF, axis=route_axis)
    if province_axis is None:
        return ratio(eaf, steel.sum(axis=route_axis))
    province_axis %= steel.ndim
    eaf = eaf.sum(axis=province_axis if province_axis < route_axis else province_axis - 1)
    return ratio(eaf, steel.sum(axis=(province_axis, route_axis)))


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ratio a / b, NaN where b is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)


def peak_years(series: np.ndarray, years: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Peak year and plateau start of (member, year) series.

    The peak is the year of the maximum (the first one if tied). The plateau starts in the first
    year whose value is within ``tolerance`` (relative) of the maximum, so a flat top is visible
    instead of being hidden in an argmax. Returns two int arrays (member,).
    """
    peak = years[np.argmax(series, axis=1)]
    top = series.max(axis=1, keepdims=True)
    within = series >= top * (1.0 - tolerance)
    plateau = years[np.argmax(within, axis=1)]
    return peak.astype(np.int32), plateau.astype(np.int32)
