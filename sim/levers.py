"""The policy-lever catalogue (DESIGN §5, TARGETS.md §3) and lever trajectories.

A lever is a named trajectory given in a scenario as year -> value points (see ``sim.scenario``
for the TOML schema). This module owns the list of levers, their unit, default (no policy),
valid range, the sectors they may apply to and the kernel array they feed
(``kernels/SPEC.md``), and resolves a scenario's lever into an array.

Public API
----------
``LEVERS: dict[str, Lever]``
    The catalogue, in a fixed order.
``ROUTE_FLOOR_GROUPS: dict[str, tuple[str, ...]]``
    sector -> the route-floor levers of that sector; they must sum to <= 1 in every year.
``lever_array(name, scenario, provinces, sectors, years) -> np.ndarray``
    The resolved trajectory, shape (P, S, T), or (T,) for ``scrap_market``. Sectors a lever does
    not apply to hold its default. ``scenario`` may be ``None`` (all defaults) or anything with a
    ``levers`` mapping name -> :class:`LeverSpec`.
``Trajectory``, ``LeverSpec``
    Frozen dataclasses holding the year points of one trajectory and a lever's overrides.
``interpolate(points, years, interpolation, before) -> np.ndarray``
    The interpolation rule shared by levers and growth.

Trajectory rules (the same for levers and for growth in ``sim.scenario``):

* between two points: ``linear`` interpolation (default) or ``step`` (a value holds until the
  next point). If either neighbour is infinite (``capacity_replacement_ratio = inf``) the left
  value holds (step), since a line through infinity is meaningless;
* after the last point the last value holds;
* before the first point the next less specific level applies, and at the bottom the lever's
  default (no policy). A policy therefore starts in the year of its first point; to ramp it in,
  write a point at the default value in the start year (e.g. ``2020 = 0``). This keeps a 2030
  policy from rewriting 2019–2024 history;
* precedence, most specific first: ``province.<P>.sector.<s>`` > ``province.<P>`` >
  ``sector.<s>`` > the lever's own points > the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from sim import axes

INTERPOLATIONS = ("linear", "step")

_VA_SECTORS: tuple[str, ...] = tuple(s for s in axes.SECTORS if s not in axes.MATERIAL_SECTORS)
_ALL = axes.SECTORS


@dataclass(frozen=True)
class Lever:
    """One catalogue entry."""

    name: str
    unit: str
    default: float
    low: float
    high: float
    sectors: tuple[str, ...]  # sectors the lever may apply to (others hold the default)
    kernel_array: str  # kernel input it feeds (kernels/SPEC.md), or where else it acts
    description: str
    sources: tuple[str, ...]  # seed documents naming it (TARGETS.md §3)
    per_province_sector: bool = True  # False: one value per year (scrap_market)
    sector_overrides: bool = True  # False: only province overrides make sense

    @property
    def range_text(self) -> str:
        return f"[{_fmt(self.low)}, {_fmt(self.high)}]"


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004 = (
    "000 (MIIT et al. 2024 guiding opinions)",
    "001 (S1 pollution-prevention opinion / S2 peaking action plan)",
    "002 (14th FYP industrial green development plan)",
    "003 (Anhui implementing opinions)",
    "004 (industrial green development plan 2016-2020)",
)

_LEVER_LIST: tuple[Lever, ...] = (
    Lever("eaf_share", "1", 0.0, 0.0, 1.0, ("iron_steel",), "share_floor[route scrap_eaf]",
          "Floor on the scrap-EAF (short-process) share of iron_steel capacity, reached through "
          "new build only; the EAF output itself is also limited by scrap supply. 短流程炼钢比例.",
          (_SEED_000, _SEED_001, _SEED_003, _SEED_004)),
    Lever("h2_dri_share", "1", 0.0, 0.0, 1.0, ("iron_steel",), "share_floor[route h2_dri_eaf]",
          "Floor on the hydrogen-DRI-EAF share of iron_steel capacity (氢冶金).",
          (_SEED_000, _SEED_002, _SEED_003)),
    Lever("secondary_al_share", "1", 0.0, 0.0, 1.0, ("nonferrous",), "share_floor[route secondary_al]",
          "Floor on the secondary-aluminium share of aluminium capacity (再生铝); limited by "
          "aluminium scrap supply.", (_SEED_000, _SEED_001, _SEED_002)),
    Lever("kiln_efficient_share", "1", 0.0, 0.0, 1.0, ("nonmetallic_minerals",),
          "share_floor[route kiln_efficient]",
          "Floor on the share of efficient kilns (benchmark intensity, clinker substitution, "
          "non-carbonate raw materials) in nonmetallic_minerals capacity.",
          (_SEED_000, _SEED_002, _SEED_004)),
    Lever("kiln_ccus_share", "1", 0.0, 0.0, 1.0, ("nonmetallic_minerals",), "share_floor[route kiln_ccus]",
          "Floor on the share of kilns with CCUS in nonmetallic_minerals capacity.",
          (_SEED_000, _SEED_002, _SEED_003, _SEED_004)),
    Lever("efficient_share", "1", 0.0, 0.0, 1.0, _VA_SECTORS, "share_floor[route efficient]",
          "Floor on the 'efficient' (benchmark-intensity) route share of a value-added sector.",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004)),
    Lever("electrified_share", "1", 0.0, 0.0, 1.0, _VA_SECTORS, "share_floor[route electrified]",
          "Floor on the 'electrified' route share of a value-added sector (electric kilns, "
          "boilers, heat pumps).", (_SEED_000, _SEED_001, _SEED_002)),
    Lever("phase_out", "yr-1", 0.0, 0.0, 1.0, _ALL, "phase_out",
          "Extra fraction of the oldest capacity stage retired each year (淘汰落后产能).",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004)),
    Lever("capacity_replacement_ratio", "1", math.inf, 0.0, math.inf, _ALL, "replacement_ratio",
          "New capacity <= ratio x capacity retired that year: inf = no cap, 1 = equal "
          "replacement (等量置换), < 1 reduced replacement (减量置换), 0 = no new capacity "
          "(重点区域严禁新增产能; usually set per province).",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004)),
    Lever("efficiency_retrofit", "yr-1", 0.0, 0.0, 1.0, _ALL, "retrofit",
          "Fraction of the gap between average and best-available intensity closed per year "
          "(节能改造, 能效标杆).", (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004)),
    Lever("coal_to_gas", "1", 0.0, 0.0, 1.0, _ALL, "coal_to_gas",
          "Share of coal energy replaced by natural gas, PJ for PJ (煤改气, 煤炭减量替代).",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004)),
    Lever("hydrogen_substitution", "1", 0.0, 0.0, 1.0, _ALL, "hydrogen",
          "Share of the remaining fossil energy replaced by hydrogen, PJ for PJ (氢能替代).",
          (_SEED_000, _SEED_002, _SEED_003)),
    Lever("electrification", "1", 0.0, 0.0, 1.0, _ALL, "electrification",
          "Share of the remaining fossil energy electrified; the electricity needed is set by "
          "the uncertain elec_ratio (电能替代, 电窑炉, 电锅炉).", (_SEED_000, _SEED_001, _SEED_002)),
    Lever("green_power", "1", 0.0, 0.0, 1.0, _ALL, "green_power",
          "Share of electricity (and of hydrogen's electricity) from contracted renewables "
          "(绿电交易, 屋顶光伏, 绿色微电网). Its nonferrous value is the electrolytic-aluminium "
          "renewable lever (电解铝使用可再生能源比例).", (_SEED_000, _SEED_001, _SEED_003)),
    Lever("ccus_capture", "1", 0.0, 0.0, 1.0, _ALL, "capture",
          "Share of direct + process CO2 captured on routes other than kiln_ccus (whose capture "
          "rate is calibrated).", (_SEED_000, _SEED_002, _SEED_003, _SEED_004)),
    Lever("scrap_collection", "1", 1.0, 0.0, 2.0, ("iron_steel", "nonferrous"),
          "collection (x calibrated base rate)",
          "Multiplier on the calibrated collection rate of obsolete scrap (废钢回收, 再生资源回收体系); "
          "the iron_steel value acts on steel scrap, the nonferrous one on aluminium scrap. The "
          "collection rate itself is capped at 1 by the model.",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_004)),
    Lever("scrap_market", "1", 1.0, 0.0, 1.0, (), "scrap_market",
          "Inter-provincial scrap mobility: 0 = scrap used in its own province, 1 = one national "
          "pool. Default 1: the 2019 base year is only feasible with a national pool (Hubei, "
          "Anhui, Hebei and others made more EAF steel in 2019 than their own calibrated scrap "
          "supply, so scrap did cross provincial borders; calibration/README.md). Lower values are "
          "sensitivities for a market that fragments (seed 004: 推进再生资源跨区域协同利用 aims the "
          "other way); with them EAF output may fall below its 2019 level in scrap-short provinces.",
          (_SEED_000, _SEED_004), per_province_sector=False, sector_overrides=False),
    Lever("structural_shift", "yr-1", 0.0, -0.1, 0.1, _ALL, "growth (via sim.scenario)",
          "Growth moved each year from the energy-intensive sectors (axes.ENERGY_INTENSIVE_SECTORS) "
          "to the others: their growth rate falls by the value, the others' rises by the value x "
          "(base-year value added of the energy-intensive sectors / of the others) of the province, "
          "so total value added is unchanged to first order (调整产业结构, 高技术制造业).",
          (_SEED_000, _SEED_002, _SEED_003), sector_overrides=False),
)

LEVERS: dict[str, Lever] = {lv.name: lv for lv in _LEVER_LIST}

ROUTE_FLOOR_GROUPS: dict[str, tuple[str, ...]] = {
    "iron_steel": ("eaf_share", "h2_dri_share"),
    "nonferrous": ("secondary_al_share",),
    "nonmetallic_minerals": ("kiln_efficient_share", "kiln_ccus_share"),
    **{s: ("efficient_share", "electrified_share") for s in _VA_SECTORS},
}
"""Route-floor levers of one sector: at every year and province they must sum to <= 1."""


@dataclass(frozen=True)
class Trajectory:
    """Year points of one trajectory. ``interpolation`` None = inherit from the parent level."""

    points: tuple[tuple[int, float], ...] = ()
    interpolation: str | None = None

    @property
    def empty(self) -> bool:
        return not self.points


@dataclass(frozen=True)
class LeverSpec:
    """A scenario's setting of one lever: its own points and the overrides."""

    name: str
    base: Trajectory = field(default_factory=Trajectory)
    province: Mapping[str, Trajectory] = field(default_factory=dict)
    sector: Mapping[str, Trajectory] = field(default_factory=dict)
    province_sector: Mapping[tuple[str, str], Trajectory] = field(default_factory=dict)


def interpolate(points: Sequence[tuple[int, float]], years: np.ndarray, interpolation: str,
                before: np.ndarray) -> np.ndarray:
    """Trajectory over ``years`` from ``points``; ``before`` (T,) holds where a year precedes the
    first point. See the module docstring for the rules."""
    years = np.asarray(years)
    out = np.array(before, dtype=float, copy=True)
    if not points:
        return out
    pts = sorted(points)
    py = np.array([p[0] for p in pts], dtype=float)
    pv = np.array([p[1] for p in pts], dtype=float)
    for i, y in enumerate(years):
        if y < py[0]:
            continue
        j = int(np.searchsorted(py, y, side="right")) - 1  # last point <= y
        if j == len(py) - 1 or py[j] == y or interpolation == "step":
            out[i] = pv[j]
        else:
            a, b = pv[j], pv[j + 1]
            if math.isinf(a) or math.isinf(b):
                out[i] = a
            else:
                out[i] = a + (b - a) * (y - py[j]) / (py[j + 1] - py[j])
    return out


def resolve(spec: LeverSpec | None, default: float, province: str, sector: str,
            years: np.ndarray, default_interpolation: str = "linear") -> np.ndarray:
    """Trajectory of one (province, sector) from the layers of ``spec`` (see module docstring)."""
    traj = np.full(len(years), float(default))
    if spec is None:
        return traj
    interp = spec.base.interpolation or default_interpolation
    layers = [(spec.base, interp)]
    for t in (spec.sector.get(sector), spec.province.get(province),
              spec.province_sector.get((province, sector))):
        if t is not None:
            layers.append((t, t.interpolation or interp))
    for t, ip in layers:
        traj = interpolate(t.points, years, ip, traj)
    return traj


def lever_array(name: str, scenario, provinces: Sequence[str] | None = None,
                sectors: Sequence[str] | None = None, years: Sequence[int] | None = None) -> np.ndarray:
    """Resolved trajectory of lever ``name``: (P, S, T), or (T,) for ``scrap_market``.

    ``provinces``, ``sectors`` and ``years`` default to the scenario's (or the axes' full lists and
    BASE_YEAR..END_YEAR). Sectors the lever does not apply to hold its default.
    """
    if name not in LEVERS:
        raise KeyError(f"unknown lever {name!r}; allowed: {', '.join(LEVERS)}")
    lv = LEVERS[name]
    if provinces is None:
        provinces = getattr(scenario, "provinces", None) or axes.PROVINCES
    if sectors is None:
        sectors = axes.SECTORS
    if years is None:
        years = getattr(scenario, "years", None) or range(axes.BASE_YEAR, axes.END_YEAR + 1)
    years = np.asarray(list(years), dtype=np.int64)
    specs = getattr(scenario, "levers", None) or {}
    spec = specs.get(name)
    if not lv.per_province_sector:
        return resolve(spec, lv.default, "", "", years)
    out = np.empty((len(provinces), len(sectors), len(years)))
    for i, p in enumerate(provinces):
        for j, s in enumerate(sectors):
            if lv.sectors and s not in lv.sectors:
                out[i, j] = lv.default
            else:
                out[i, j] = resolve(spec, lv.default, p, s, years)
    return out
