"""The policy-lever catalogue (DESIGN §5, TARGETS.md §3) and lever trajectories.

A lever is a named trajectory given in a scenario as year -> value points (see ``sim.scenario.load``
for the TOML schema). This module owns the list of levers, their unit, default (no policy),
valid range, the sectors they may apply to and the kernel array they feed
(``kernels/SPEC.md``), and resolves a scenario's lever into an array.

A lever is data: the kernel array it feeds (``kernel_array``), for ``share_floor`` its route by
name, whether province overrides are meaningful (``province_overrides``) and its documented first
effect (``effect``). :func:`kernel_lever_arrays` places it, the scenario check reads its range and
overrides, sweeps read its range, ``ROUTE_FLOOR_GROUPS`` is derived from it, and
tests/core/test_registries.py tests it; a new lever on an existing kernel array is one entry in
``_LEVER_LIST``.

Public API
----------
``LEVERS: dict[str, Lever]``
    The catalogue, in a fixed order.
``ROUTE_FLOOR_GROUPS: dict[str, tuple[str, ...]]``
    sector -> the route-floor levers of that sector; they must sum to <= 1 in every year.
``KERNEL_LEVER_ARRAYS: dict[str, str]``
    The kernel arrays levers feed and their layout (index letters of ``kernels/SPEC.md``).
``kernel_lever_arrays(scenario, provinces, years, base) -> dict[str, np.ndarray]``
    Every kernel lever array of a scenario, placed by each lever's ``kernel_array`` and ``route``.
``lever_array(name, scenario, provinces, sectors, years) -> np.ndarray``
    The resolved trajectory, shape (P, S, T), or (T,) for ``scrap_market``. Sectors a lever does
    not apply to hold its default. ``scenario`` may be ``None`` (all defaults) or anything with a
    ``levers`` mapping name -> :class:`LeverSpec`.
``Trajectory``, ``LeverSpec``
    Frozen dataclasses holding the year points of one trajectory and a lever's overrides.
``interpolate(points, years, interpolation, before) -> np.ndarray``
    The interpolation rule shared by levers and growth.

Trajectory rules (the same for levers and for growth in ``sim.scenario.load``):

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

from sim.core import axes

INTERPOLATIONS = ("linear", "step")

_VA_SECTORS = axes.VA_SECTORS
_ALL = axes.SECTORS
ETS_SECTORS = ("iron_steel", "nonferrous", "nonmetallic_minerals", "chemicals",
               "petroleum_coking", "paper")
"""Sectors the national carbon market covers or plans to cover (the eight-sector plan: power,
petrochemicals, chemicals, building materials, steel, non-ferrous metals, paper, aviation; steel,
cement and aluminium enter with the 2024 reporting year), among the model's sectors."""
ADOPTION_YEARS = 5.0
"""[yr] Time constant of the carbon price as fuel switching adopts it (``switch_price``, a
first-order lag of ``carbon_price``): burners, boilers and furnaces change at refurbishment, so
a price moves the fuel mix over years, not at once (an assumption, tested as a range; the
elasticities it scales are uncertain parameters)."""


@dataclass(frozen=True)
class Effect:
    """A lever's documented first effect on the results (checked for every lever by
    tests/core/test_registries.py): moving the lever from its default toward the other end of its range
    (toward ``high`` where ``high`` > default, else toward ``low``) moves ``variable`` (a result
    variable of ``sim.core.variables``), summed over the selection ``where`` and every dimension but
    ``member``, in the direction ``sign``; ``given`` names other levers (and their values, from
    the policy year on) that both runs set, for a lever that acts only together with them (free
    allocation needs a carbon price)."""

    variable: str
    sign: int  # +1 rises, -1 falls
    where: tuple[tuple[str, str | tuple[str, ...]], ...] = ()  # (dimension, label(s))
    given: tuple[tuple[str, float], ...] = ()  # (lever, value) set in both runs compared


@dataclass(frozen=True)
class Lever:
    """One catalogue entry.

    ``kernel_array`` and ``route`` say, as data, where the lever acts: the ``KernelInputs`` field
    it feeds (``kernels/SPEC.md``), and for a route-indexed array (``share_floor``) the route, by
    name, it sets in each of its sectors. :func:`kernel_lever_arrays` places every lever by these
    two fields alone. ``kernel_array`` None: the lever acts outside the kernel (``acts_on`` says
    where).
    """

    name: str
    unit: str
    default: float
    low: float
    high: float
    sectors: tuple[str, ...]  # sectors the lever may apply to (others hold the default)
    kernel_array: str | None  # KernelInputs field it feeds, None = not a kernel input
    description: str
    sources: tuple[str, ...]  # seed documents naming it (TARGETS.md §3)
    per_province_sector: bool = True  # False: one value per year (scrap_market)
    sector_overrides: bool = True  # False: only province overrides make sense
    route: str | None = None  # route-indexed kernel array: the route it sets (None = every route)
    province_overrides: bool = True  # False: the kernel array has no province axis
    calibrated: str | None = None  # BaseState field (S,R) whose non-zero rates hold instead
    acts_on: str = ""  # where a lever with kernel_array None acts
    effect: Effect | None = None  # documented first effect on the results

    @property
    def range_text(self) -> str:
        """The lever's allowed range as text, e.g. ``[0, 1]``."""
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
    Lever("eaf_share", "1", 0.0, 0.0, 1.0, ("iron_steel",), "share_floor",
          "Floor on the scrap-EAF (short-process) share of iron_steel capacity, reached through "
          "new build only; the EAF output itself is also limited by scrap supply. 短流程炼钢比例.",
          (_SEED_000, _SEED_001, _SEED_003, _SEED_004),
          route="scrap_eaf",
          effect=Effect("eaf_share", +1)),
    Lever("h2_dri_share", "1", 0.0, 0.0, 1.0, ("iron_steel",), "share_floor",
          "Floor on the hydrogen-DRI-EAF share of iron_steel capacity (氢冶金).",
          (_SEED_000, _SEED_002, _SEED_003),
          route="h2_dri_eaf",
          effect=Effect("industrial_co2", -1)),
    Lever("secondary_al_share", "1", 0.0, 0.0, 1.0, ("nonferrous",), "share_floor",
          "Floor on the secondary-aluminium share of aluminium capacity (再生铝); limited by "
          "aluminium scrap supply.", (_SEED_000, _SEED_001, _SEED_002),
          route="secondary_al",
          effect=Effect("scrap_use", +1, (("metal", "aluminium"),))),
    Lever("kiln_efficient_share", "1", 0.0, 0.0, 1.0, ("nonmetallic_minerals",),
          "share_floor",
          "Floor on the share of efficient kilns (benchmark intensity, clinker substitution, "
          "non-carbonate raw materials) in nonmetallic_minerals capacity.",
          (_SEED_000, _SEED_002, _SEED_004),
          route="kiln_efficient",
          effect=Effect("industrial_co2", -1)),
    Lever("kiln_ccus_share", "1", 0.0, 0.0, 1.0, ("nonmetallic_minerals",), "share_floor",
          "Floor on the share of kilns with CCUS in nonmetallic_minerals capacity.",
          (_SEED_000, _SEED_002, _SEED_003, _SEED_004),
          route="kiln_ccus",
          effect=Effect("co2_captured", +1)),
    Lever("efficient_share", "1", 0.0, 0.0, 1.0, _VA_SECTORS, "share_floor",
          "Floor on the 'efficient' (benchmark-intensity) route share of a value-added sector.",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004),
          route="efficient",
          effect=Effect("final_energy", -1)),
    Lever("electrified_share", "1", 0.0, 0.0, 1.0, _VA_SECTORS, "share_floor",
          "Floor on the 'electrified' route share of a value-added sector (electric kilns, "
          "boilers, heat pumps).", (_SEED_000, _SEED_001, _SEED_002),
          route="electrified",
          effect=Effect("final_energy", +1, (("carrier", "electricity"),))),
    Lever("phase_out", "yr-1", 0.0, 0.0, 1.0, _ALL, "phase_out",
          "Extra fraction of the oldest capacity stage retired each year (淘汰落后产能).",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004),
          effect=Effect("retirement", +1)),
    Lever("capacity_replacement_ratio", "1", math.inf, 0.0, math.inf, _ALL, "replacement_ratio",
          "New capacity <= ratio x capacity retired that year: inf = no cap, 1 = equal "
          "replacement (等量置换), < 1 reduced replacement (减量置换), 0 = no new capacity "
          "(重点区域严禁新增产能; usually set per province).",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004),
          effect=Effect("investment", -1)),
    Lever("efficiency_retrofit", "yr-1", 0.0, 0.0, 1.0, _ALL, "retrofit",
          "Fraction of the gap between average and best-available intensity closed per year "
          "(节能改造, 能效标杆).", (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004),
          effect=Effect("final_energy", -1)),
    Lever("coal_to_gas", "1", 0.0, 0.0, 1.0, _ALL, "coal_to_gas",
          "Share of coal energy replaced by natural gas, PJ for PJ (煤改气, 煤炭减量替代).",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_003, _SEED_004),
          effect=Effect("final_energy", -1, (("carrier", "coal"),))),
    Lever("hydrogen_substitution", "1", 0.0, 0.0, 1.0, _ALL, "hydrogen",
          "Share of the remaining fossil energy replaced by hydrogen, PJ for PJ (氢能替代).",
          (_SEED_000, _SEED_002, _SEED_003),
          effect=Effect("final_energy", +1, (("carrier", "hydrogen"),))),
    Lever("electrification", "1", 0.0, 0.0, 1.0, _ALL, "electrification",
          "Share of the remaining fossil energy electrified; the electricity needed is set by "
          "the uncertain elec_ratio (电能替代, 电窑炉, 电锅炉).", (_SEED_000, _SEED_001, _SEED_002),
          effect=Effect("final_energy", +1, (("carrier", "electricity"),))),
    Lever("green_power", "1", 0.0, 0.0, 1.0, _ALL, "green_power",
          "Share of electricity (and of hydrogen's electricity) from contracted renewables "
          "(绿电交易, 屋顶光伏, 绿色微电网). Its nonferrous value is the electrolytic-aluminium "
          "renewable lever (电解铝使用可再生能源比例).", (_SEED_000, _SEED_001, _SEED_003),
          effect=Effect("co2_indirect", -1)),
    Lever("ccus_capture", "1", 0.0, 0.0, 1.0, _ALL, "capture",
          "Share of direct + process CO2 captured on routes other than kiln_ccus (whose capture "
          "rate is calibrated).", (_SEED_000, _SEED_002, _SEED_003, _SEED_004),
          calibrated="route_capture",
          effect=Effect("co2_captured", +1)),
    Lever("scrap_collection", "1", 1.0, 0.0, 2.0, ("iron_steel", "nonferrous"),
          "collection",
          "Multiplier on the calibrated collection rate of obsolete scrap (废钢回收, 再生资源回收体系); "
          "the iron_steel value acts on steel scrap, the nonferrous one on aluminium scrap. The "
          "collection rate itself is capped at 1 by the model. One value per metal for all "
          "provinces: the kernel's collection rate has no province axis, so a province override "
          "is rejected.",
          (_SEED_000, _SEED_001, _SEED_002, _SEED_004), province_overrides=False,
          effect=Effect("scrap_supply", +1)),
    Lever("scrap_market", "1", 1.0, 0.0, 1.0, (), "scrap_market",
          "Inter-provincial scrap mobility: 0 = scrap used in its own province, 1 = one national "
          "pool. Default 1: the 2019 base year is only feasible with a national pool (Hubei, "
          "Anhui, Hebei and others made more EAF steel in 2019 than their own calibrated scrap "
          "supply, so scrap did cross provincial borders; calibration/README.md). Lower values are "
          "sensitivities for a market that fragments (seed 004: 推进再生资源跨区域协同利用 aims the "
          "other way); with them EAF output may fall below its 2019 level in scrap-short provinces.",
          (_SEED_000, _SEED_004), per_province_sector=False, sector_overrides=False,
          effect=Effect("eaf_share", -1)),
    Lever("carbon_price", "CNY t-1", 0.0, 0.0, 5000.0, ETS_SECTORS, "carbon_price",
          "Carbon price paid on direct + process CO2 net of capture (碳排放权交易): the national "
          "market covers power and, from the 2024 reporting year, steel, cement and aluminium, with "
          "petrochemicals, chemicals, paper and the other building materials and non-ferrous metals "
          "planned; set it per sector. New build chooses among substitutable routes by a logit on "
          "their carbon cost, retrofits speed up and fuel switching follows the price as adopted "
          "(a first-order lag of ADOPTION_YEARS; kernels/SPEC.md steps 4, 5, 8); the carbon cost "
          "is in the cost outputs (sim.model.costs).",
          (_SEED_000, _SEED_002, _SEED_003),
          effect=Effect("industrial_co2", -1)),
    Lever("carbon_free_allocation", "1", 0.0, 0.0, 1.5, ETS_SECTORS, None,
          "Free allowances per unit of output as a fraction of the sector's 2019 national direct + "
          "process CO2 per unit (the benchmark, sim.data.costs.Costs.benchmark_co2): China's market "
          "allocates by output x benchmark intensity, so only emissions above the benchmark pay "
          "and a plant below it sells allowances (net carbon cost may be negative). Allocation is "
          "per unit of output, the same for every route, so it changes the carbon cost paid, not "
          "the margin of choice (kernels/SPEC.md step 4).",
          (_SEED_000, _SEED_002), acts_on="carbon cost (sim.model.costs)",
          effect=Effect("cost", -1, (("cost_item", "carbon"),), given=(("carbon_price", 200.0),))),
    Lever("electricity_surcharge", "CNY kWh-1", 0.0, 0.0, 1.0, axes.ENERGY_INTENSIVE_SECTORS, None,
          "Differentiated and tiered electricity price (差别电价, 阶梯电价): a surcharge on the "
          "sector's electricity above its benchmark use (the best-available electricity intensity "
          "of 2019 x output; the rules charge capacity less efficient than a benchmark, e.g. 0.1-0.5 "
          "CNY/kWh for restricted and eliminated steel capacity, calibration/costs/policy.csv). A "
          "cost only: the kernel has no surcharge response (no cited elasticity).",
          (_SEED_000, _SEED_002, _SEED_004), acts_on="electricity cost (sim.model.costs)",
          effect=Effect("cost", +1, (("cost_item", "power_surcharges"),))),
    Lever("green_power_premium", "CNY MWh-1", 30.0, 0.0, 500.0, _ALL, None,
          "Premium paid for contracted green power (the green_power lever's share of electricity) "
          "over grid power (绿电交易). Default 30 CNY/MWh: first trades of the 2021 pilot "
          "(calibration/costs/policy.csv green_power_trading_premium, an assumption).",
          (_SEED_000, _SEED_001), acts_on="electricity cost (sim.model.costs)",
          effect=Effect("cost", +1, (("cost_item", "power_surcharges"),),
                        given=(("green_power", 0.3),))),
    Lever("grid_decarbonisation", "1", 0.0, 0.0, 1.0, _ALL, None,
          "Fraction by which each province's grid emission factor lies below its baseline path "
          "(the calibrated 2019 factor declining at the uncertain grid_decline_rate): member "
          "factor = baseline x (1 - value), so the uncertainty of the baseline path stays around "
          "the lever's path (能源结构调整, 非化石能源). Set per province.",
          (_SEED_000, _SEED_001, _SEED_002), sector_overrides=False,
          acts_on="grid emission factor (sim.model.run.kernel_inputs)",
          effect=Effect("co2_indirect", -1)),
    Lever("ultra_low_emission", "1", 0.0, 0.0, 1.0,
          ("iron_steel", "nonmetallic_minerals", "petroleum_coking"), None,
          "Share of the sector's capacity with ultra-low-emission control (超低排放改造): steel "
          "(环大气〔2019〕35号: 80 % of national capacity by end-2025), cement kilns (环大气〔2024〕5号: "
          "80 % of clinker capacity by end-2028) and coking. ULE plants emit less SO2, NOx and PM "
          "by each factor's ULE removal (sim.model.pollutants, calibration/pollutants/"
          "model_factors.csv); steel has at least its completed retrofits (history, "
          "sim.model.pollutants.STEEL_ULE_HISTORY), and its ULE costs capital and operating cost "
          "(cement and coking ULE costs were not found and add none).",
          (_SEED_001, _SEED_002), acts_on="air pollutants and their control cost (sim.model.pollutants)",
          effect=Effect("pollutant_emissions", -1)),
    Lever("structural_shift", "yr-1", 0.0, -0.1, 0.1, _ALL, None,
          "Growth moved each year from the energy-intensive sectors (axes.ENERGY_INTENSIVE_SECTORS) "
          "to the others: their growth rate falls by the value, the others' rises by the value x "
          "(value added of the energy-intensive sectors / of the others) of the province in the last "
          "observed year (2024: base year x observed growth), "
          "so total value added is unchanged to first order (调整产业结构, 高技术制造业). Acts on "
          "projected years only (after the last observed year, 2024): observed activity already "
          "contains the structural change of 2020-2024.",
          (_SEED_000, _SEED_002, _SEED_003), sector_overrides=False,
          acts_on="demand growth (Scenario.growth_array)",
          effect=Effect("value_added", -1, (("sector", axes.ENERGY_INTENSIVE_SECTORS),))),
)

LEVERS: dict[str, Lever] = {lv.name: lv for lv in _LEVER_LIST}

KERNEL_LEVER_ARRAYS: dict[str, str] = {
    # KernelInputs field -> index letters (kernels/SPEC.md) of the array the levers make of it
    "share_floor": "PSRT",
    "phase_out": "PST",
    "replacement_ratio": "PST",
    "retrofit": "PST",
    "coal_to_gas": "PST",
    "hydrogen": "PST",
    "electrification": "PST",
    "green_power": "PST",
    "capture": "PSRT",
    "scrap_market": "T",
    "collection": "NT",  # a multiplier on the calibrated rate; sim.model.run adds the member axis
    "carbon_price": "PST",
}

DERIVED_ARRAYS: dict[str, str] = {
    "switch_price": "carbon_price",
}
"""Kernel lever arrays computed from another (derived -> source): ``switch_price`` is the
carbon price as fuel switching adopted it, :func:`adopted` of ``carbon_price``."""
"""The kernel arrays levers feed, with their layout: how :func:`kernel_lever_arrays` places a
lever's (P,S,T) trajectory. A layout describes the kernel, not a lever, so a new lever on an
existing array needs no entry here."""

GROWTH_LEVERS = frozenset({"structural_shift"})
"""Levers without a kernel array that act on demand growth (``Scenario.growth_array``); the other
levers without one act on the costs (:func:`outside_lever_arrays`)."""

ROUTE_FLOOR_GROUPS: dict[str, tuple[str, ...]] = {
    s: group for s in axes.SECTORS
    if (group := tuple(lv.name for lv in _LEVER_LIST
                       if lv.kernel_array == "share_floor" and s in lv.sectors))
}
"""Route-floor levers of one sector (the levers feeding ``share_floor`` that apply to it, in
catalogue order): at every year and province they must sum to <= 1."""


@dataclass(frozen=True)
class Trajectory:
    """Year points of one trajectory. ``interpolation`` None = inherit from the parent level."""

    points: tuple[tuple[int, float], ...] = ()
    interpolation: str | None = None

    @property
    def empty(self) -> bool:
        """True when the trajectory has no points."""
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
    # vectorised over the years (sim serve resolves every lever at every change); the same
    # arithmetic per year as the rule in the module docstring
    y = years.astype(float)
    j = np.searchsorted(py, y, side="right") - 1  # last point <= y; -1 before the first point
    jc = np.clip(j, 0, len(py) - 1)
    jn = np.minimum(jc + 1, len(py) - 1)
    a, b = pv[jc], pv[jn]
    hold = (jc == len(py) - 1) | (py[jc] == y) | np.isinf(a) | np.isinf(b)
    if interpolation == "step":
        hold[:] = True
    with np.errstate(invalid="ignore", divide="ignore"):
        line = a + (b - a) * (y - py[jc]) / (py[jn] - py[jc])
    inside = j >= 0
    out[inside] = np.where(hold, a, line)[inside]
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
    for j, s in enumerate(sectors):
        if lv.sectors and s not in lv.sectors:
            out[:, j] = lv.default
            continue
        shared = None  # the trajectory of every province without an override of its own
        for i, p in enumerate(provinces):
            if spec is not None and (p in spec.province or (p, s) in spec.province_sector):
                out[i, j] = resolve(spec, lv.default, p, s, years)
            else:
                if shared is None:
                    shared = resolve(spec, lv.default, p, s, years)
                out[i, j] = shared
    return out


def kernel_lever_arrays(scenario, provinces: Sequence[str], years: Sequence[int],
                        base) -> dict[str, np.ndarray]:
    """The kernel's lever arrays of ``scenario``, built by looping over :data:`LEVERS`.

    Every lever with a ``kernel_array`` is resolved (:func:`lever_array`) and placed by its
    array's layout (:data:`KERNEL_LEVER_ARRAYS`) and its ``route``:

    * ``PST`` (P,S,T): the trajectory as is;
    * ``PSRT`` (P,S,R,T) with a ``route``: the trajectory at that route's position in each of the
      lever's sectors (other cells 0), so several floor levers share ``share_floor``;
    * ``PSRT`` without a route: every route; where the ``calibrated`` base-state rate (S,R) is
      non-zero it holds instead (the calibrated capture of kiln_ccus);
    * ``NT`` (N,T): per metal, the value in the metal's sector (``base.metal_sector``). The kernel
      has one rate per metal for all provinces; province overrides of such a lever are rejected
      by the scenario check, so every province holds the same value and their mean is it;
    * ``T`` (T,): one value per year.

    ``base`` needs ``metal_sector`` and the ``calibrated`` fields (a ``sim.data.base_state.BaseState``).
    Returns {KernelInputs field: array [lever units]}; ``collection`` is the (N,T) multiplier on
    the calibrated collection rate; the :data:`DERIVED_ARRAYS` are added from their sources.
    """
    sectors = axes.SECTORS
    years = np.asarray(list(years), dtype=np.int64)
    P, S, R, T = len(provinces), len(sectors), len(axes.ROUTES), len(years)
    N = len(base.metal_sector)
    shapes = {"PST": (P, S, T), "PSRT": (P, S, R, T), "NT": (N, T), "T": (T,)}
    arrays: dict[str, np.ndarray] = {}
    for lv in LEVERS.values():
        if lv.kernel_array is None:
            continue
        x = np.asarray(lever_array(lv.name, scenario, provinces, sectors, years), dtype=float)
        layout = KERNEL_LEVER_ARRAYS[lv.kernel_array]
        out = arrays.setdefault(lv.kernel_array, np.zeros(shapes[layout]))
        if layout in ("PST", "T"):
            out[...] = x.reshape(out.shape)
        elif layout == "NT":
            for n, si in enumerate(base.metal_sector):
                out[n] = x[:, si].mean(axis=0)
        elif lv.route is not None:
            for s in lv.sectors:
                si = sectors.index(s)
                out[:, si, axes.route_index(s, lv.route)] = x[:, si]
        else:
            calibrated = np.asarray(getattr(base, lv.calibrated)) if lv.calibrated else np.zeros((S, R))
            for r in range(R):
                rate = calibrated[None, :, r, None]
                out[:, :, r] = np.where(rate > 0, rate, x)
    for derived, source in DERIVED_ARRAYS.items():
        arrays[derived] = adopted(arrays[source], years)
    return arrays


def adopted(price: np.ndarray, years: Sequence[int], tau: float = ADOPTION_YEARS) -> np.ndarray:
    """A price (..., T) as adopted with a first-order lag of time constant ``tau`` [yr]:
    a[0] = price[0], a[t] = a[t-1] + (price[t] - a[t-1]) · (1 - exp(-Δt / tau)), Δt the years
    between t-1 and t (exact for a price held over the step)."""
    years = np.asarray(list(years), dtype=float)
    out = np.array(price, dtype=float, copy=True)
    for t in range(1, out.shape[-1]):
        k = 1.0 - math.exp(-(years[t] - years[t - 1]) / tau)
        out[..., t] = out[..., t - 1] + (price[..., t] - out[..., t - 1]) * k
    return out


def outside_lever_arrays(scenario, provinces: Sequence[str], years: Sequence[int]) -> dict[str, np.ndarray]:
    """{lever name: (P,S,T) trajectory} of the levers that act outside the kernel and have no
    other home (every lever with ``kernel_array`` None except those acting on demand growth,
    which ``Scenario.growth_array`` resolves)."""
    return {lv.name: np.asarray(lever_array(lv.name, scenario, provinces, axes.SECTORS, years),
                                dtype=float)
            for lv in LEVERS.values() if lv.kernel_array is None and lv.name not in GROWTH_LEVERS}
