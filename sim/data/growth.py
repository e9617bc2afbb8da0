"""Demand growth of a scenario: the default trajectories (observed, then projected) with their
sources, and the (P, S, T) growth array built from a scenario's ``[growth]`` table, the regional
GDP adjustment and the structural_shift lever.

The schema of ``[growth]`` is validated in ``sim.scenario.load``; this module holds the data and the
logic. ``DEFAULT_GROWTH``: sector -> Trajectory of the default demand growth [yr-1], with
``GROWTH_SOURCES``; ``OBSERVED_GROWTH_UNTIL``: its last observed year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from sim.core import axes
from sim.core.levers import Trajectory, interpolate, lever_array
from sim.data.observed_activity import OBSERVED_YEARS, observed_growth


@dataclass(frozen=True)
class GrowthSpec:
    """A scenario's ``[growth]`` table, validated (``sim.scenario.load``)."""

    regional_gdp_adjustment: bool = False
    interpolation: str = "linear"
    sector: Mapping[str, Trajectory] = field(default_factory=dict)
    province_sector: Mapping[tuple[str, str], Trajectory] = field(default_factory=dict)


_OBSERVED_OUTPUT: dict[str, dict[int, float]] = {
    # NBS Statistical Communiqués on National Economic and Social Development (国民经济和社会发展
    # 统计公报) of 2019-2024, table of main industrial products, as first published [Mt].
    "crude_steel": {2019: 996.3, 2020: 1064.8, 2021: 1035.2, 2022: 1018.0, 2023: 1019.1, 2024: 1005.1},
    "cement": {2019: 2350.0, 2020: 2377.0, 2021: 2363.0, 2022: 2130.0, 2023: 2023.0, 2024: 1825.0},
    "primary_aluminium": {2019: 35.0, 2020: 37.1, 2021: 38.5, 2022: 40.2, 2023: 41.6, 2024: 43.0},
}
_OBSERVED_VA_GROWTH: dict[int, float] = {
    # real growth of all-industry value added (全部工业增加值), NBS communiqués 2020-2024.
    # 2023: 4.2 % for all industry (4.6 % is the above-designated-size figure).
    2020: 0.024, 2021: 0.096, 2022: 0.034, 2023: 0.042, 2024: 0.057,
}


OBSERVED_GROWTH_UNTIL = max(OBSERVED_YEARS)
"""Last year of observed activity (NBS, per province: ``sim.data.observed_activity``); the growth
uncertainty (``growth_offset``, ``heavy_growth_offset``), the regional GDP adjustment and the
structural shift apply to the years after it only. The national series above are the anchors of
the projections and document the national path; a run's 2020-2024 growth is the province's own."""


def _rates(levels: dict[int, float]) -> list[tuple[int, float]]:
    ys = sorted(levels)
    return [(y, round(levels[y] / levels[p] - 1.0, 5)) for p, y in zip(ys, ys[1:])]


_VA_PROJECTION = [(2025, 0.05), (2030, 0.045), (2035, 0.035)]
DEFAULT_GROWTH: dict[str, Trajectory] = {
    "iron_steel": Trajectory(tuple(_rates(_OBSERVED_OUTPUT["crude_steel"])
                                   + [(2025, -0.01), (2030, -0.015), (2035, -0.02)]), "linear"),
    "nonmetallic_minerals": Trajectory(tuple(_rates(_OBSERVED_OUTPUT["cement"])
                                             + [(2025, -0.04), (2030, -0.02), (2035, -0.02)]), "linear"),
    "nonferrous": Trajectory(tuple(_rates(_OBSERVED_OUTPUT["primary_aluminium"])
                                   + [(2025, 0.02), (2030, 0.01), (2035, 0.005)]), "linear"),
    "petroleum_coking": Trajectory(tuple(sorted(_OBSERVED_VA_GROWTH.items())
                                         + [(2025, 0.01), (2030, 0.0), (2035, -0.01)]), "linear"),
    **{s: Trajectory(tuple(sorted(_OBSERVED_VA_GROWTH.items()) + _VA_PROJECTION), "linear")
       for s in axes.VA_SECTORS if s != "petroleum_coking"},
}
GROWTH_SOURCES: dict[str, str] = {
    # 2020-2024 in a run: each province's observed growth (sim.data.observed_activity.SECTOR_SOURCES);
    # the national figures below are the projections' starting points
    "iron_steel": "2020-2024: crude-steel output, NBS communiqués (996.3 Mt 2019 -> 1005.1 Mt 2024). "
                  "After: -1 %/yr (2025) to -2 %/yr (2035): demand has plateaued since 2020 with the "
                  "property downturn, output control (粗钢产量调控) continues, and the in-use stock "
                  "approaches saturation.",
    "nonmetallic_minerals": "2020-2024: cement output, NBS communiqués (2.35 Gt 2019 -> 1.83 Gt 2024). "
                            "After: -4 %/yr in 2025 easing to -2 %/yr: housing starts keep falling, "
                            "infrastructure spending is flat.",
    "nonferrous": "2020-2024: primary-aluminium output, NBS communiqués (35.0 Mt -> 43.0 Mt). After: "
                  "+2 %/yr (2025) to +0.5 %/yr (2035) for total aluminium demand (transport "
                  "lightweighting, PV frames, grids); primary output is further bounded by the 45 Mt "
                  "capacity ceiling (capacity_replacement_ratio lever).",
    "petroleum_coking": "2020-2024: all-industry real VA growth (no sector series). After: +1 %/yr "
                        "(2025) to -1 %/yr (2035): refining capacity is capped at 1.0 Gt (001 S2), "
                        "transport fuel demand peaks with vehicle electrification, coking follows "
                        "BF-BOF steel.",
    "value_added": "2020-2024: all-industry real VA growth, NBS communiqués (2.4, 9.6, 3.4, 4.2, "
                   "5.7 %). After: 5 % (2025, the GDP target) easing to 4.5 % (2030) and 3.5 % "
                   "(2035) with the slowing potential growth of the economy.",
}


def growth_array(scenario, provinces: Sequence[str] | None = None,
                 sectors: Sequence[str] | None = None, years: Sequence[int] | None = None,
                 base: Any = None) -> np.ndarray:
    """Demand growth [yr-1] (P, S, T) of ``scenario`` (a ``sim.scenario.Scenario``); entry t is
    the growth from year t-1 to t (t = 0 unused).

    = scenario/default trajectory + (regional_gdp_adjustment: province − national SSP2 GDP
    growth from ``base.gdp_growth_offset``) ∓ structural_shift (energy-intensive sectors lose
    the lever value, the others gain it × base-year VA(energy-intensive)/VA(others) of the
    province, from ``base``'s ``cap0``, ``util`` and ``va_per_unit``; without them a non-zero
    shift is a ValueError).

    History is data (DESIGN §9): the default trajectory of the observed years 2020-2024 is each
    province's observed growth (``sim.data.observed_activity``), of the later years
    :data:`DEFAULT_GROWTH`; a scenario's own ``[growth]`` points replace either from their first
    year on (a counterfactual history is possible, and then explicit). The GDP adjustment and the
    structural shift act on projected years only (after :data:`OBSERVED_GROWTH_UNTIL`): the
    observations already contain them.
    """
    provinces = tuple(provinces or scenario.provinces)
    sectors = tuple(sectors or axes.SECTORS)
    yrs = np.asarray(list(years) if years is not None else scenario.years, dtype=np.int64)
    g = scenario.growth
    # History is data (DESIGN §9): the default of 2020-2024 is each province's observed growth
    g_obs, observed, _ = observed_growth(provinces, sectors, yrs)
    out = np.empty((len(provinces), len(sectors), len(yrs)))
    for j, s in enumerate(sectors):
        d = DEFAULT_GROWTH[s]
        projected = interpolate(d.points, yrs, d.interpolation or "linear", np.zeros(len(yrs)))
        st = g.sector.get(s)
        for i, p in enumerate(provinces):
            row = np.where(observed, g_obs[i, j], projected)
            if st is not None:
                row = interpolate(st.points, yrs, st.interpolation or g.interpolation, row)
            ps = g.province_sector.get((p, s))
            out[i, j] = row if ps is None else interpolate(
                ps.points, yrs, ps.interpolation or g.interpolation, row)
    # the observed years already carry each province's own growth and structure: the regional
    # GDP adjustment and the structural shift act on projected years only
    projected_years = ~observed & (yrs > OBSERVED_GROWTH_UNTIL)
    if g.regional_gdp_adjustment:
        out += np.where(projected_years, _gdp_offset(base, provinces, yrs), 0.0)[:, None, :]
    shift = lever_array("structural_shift", scenario, provinces, sectors, yrs)
    shift = np.where(projected_years, shift, 0.0)
    if np.any(shift != 0):
        heavy = np.array([s in axes.ENERGY_INTENSIVE_SECTORS for s in sectors])
        # value added as it stands when the shift starts (base year x the growth of the years
        # before the first projected one), so the first shifted year keeps total value added
        # unchanged to first order
        before = ~projected_years & (np.arange(len(yrs)) > 0)
        level = np.prod(1.0 + out[:, :, before], axis=2)
        ratio = _heavy_to_light_va(base, provinces, sectors, level)
        out[:, heavy] -= shift[:, heavy]
        out[:, ~heavy] += shift[:, ~heavy] * ratio[:, None, None]
    return out


def _gdp_offset(base: Any, provinces: Sequence[str], years: np.ndarray) -> np.ndarray:
    """(P, T) province − national SSP2 GDP growth from the calibration."""
    off = getattr(base, "gdp_growth_offset", None)
    if off is None and getattr(base, "gdp_growth", None) is not None:
        # sim.data.base_state.BaseState: gdp_growth (P_all, Y), gdp_growth_national (Y,), gdp_growth_years
        gy = np.asarray(base.gdp_growth_years, dtype=float)
        diff = np.asarray(base.gdp_growth, dtype=float) - np.asarray(base.gdp_growth_national, dtype=float)[None]
        idx = [axes.PROVINCES.index(p) for p in provinces]
        return np.stack([np.interp(years, gy, diff[i]) for i in idx])
    if off is None:
        raise ValueError(
            "growth.regional_gdp_adjustment = true needs the calibration's provincial GDP growth "
            "(BaseState.gdp_growth_offset: a callable (provinces, years) -> (P,T), or an array "
            "(len(axes.PROVINCES), n) over BaseState.gdp_years); set it to false to run without")
    if callable(off):
        return np.asarray(off(tuple(provinces), years), dtype=float)
    off = np.asarray(off, dtype=float)
    gy = np.asarray(getattr(base, "gdp_years"), dtype=float)
    idx = [axes.PROVINCES.index(p) for p in provinces]
    return np.stack([np.interp(years, gy, off[i]) for i in idx])


def _heavy_to_light_va(base: Any, provinces: Sequence[str], sectors: Sequence[str],
                       level: np.ndarray | None = None) -> np.ndarray:
    """(P,) value added of the energy-intensive sectors / value added of the others [1] per
    province: base-year value added from ``base`` (``cap0``, ``util``, ``va_per_unit`` of every
    province), times ``level`` (P,S), the activity relative to the base year (1 if omitted).

    A province whose other sectors have no value added gets 1: the gain then goes to sectors
    without activity and changes nothing. Without those base-state arrays there is no ratio, and
    the shift is refused (ValueError) instead of run with a made-up one.
    """
    missing = [name for name in ("cap0", "util", "va_per_unit") if getattr(base, name, None) is None]
    if missing:
        raise ValueError(
            "levers.structural_shift needs the base-year value added by sector to scale the other "
            f"sectors' gain (a base state with cap0, util and va_per_unit; missing: "
            f"{', '.join(missing)}): pass base= (sim.data.base_state.load_base_state()) to growth_array")
    heavy = np.array([s in axes.ENERGY_INTENSIVE_SECTORS for s in sectors])
    idx = [axes.PROVINCES.index(p) for p in provinces]
    sidx = [axes.SECTORS.index(s) for s in sectors]
    cap = np.asarray(base.cap0)[idx][:, sidx]
    va = cap.reshape(cap.shape[0], cap.shape[1], -1).sum(axis=2) \
        * np.asarray(base.util)[idx][:, sidx] * np.asarray(base.va_per_unit)[idx][:, sidx]
    if level is not None:
        va = va * level
    light = va[:, ~heavy].sum(axis=1)
    return np.where(light > 0, va[:, heavy].sum(axis=1) / np.where(light > 0, light, 1.0), 1.0)
