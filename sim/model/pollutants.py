"""Air pollutants (issue #27): SO2, NOx and particulate matter (PM, total, 颗粒物) of every member,
province, sector and year, computed after the kernel from its physical outputs, as the costs are
(``sim.model.costs``): no kernel change, so the kernel keeps its throughput.

Emission [t yr-1] = activity x net factor x (1 − u x ULE removal), summed over sources:

* process sources, per unit of production of a route [kg t-1]: iron & steel by route (the whole
  plant: sinter, coke, iron and steel making, their fuel included), cement kilns (kiln head and
  tail stacks, their fuel included), primary aluminium (anode sulphur) and the other non-ferrous
  metals (sulphide smelting less the acid plant's capture);
* combustion sources, per PJ of final energy by carrier [t PJ-1], in the sectors whose fuel is
  not inside a process factor (every sector but iron & steel and non-metallic minerals, whose
  process factors already hold the fuel burnt in sinter strands, furnaces and kilns).
  Electricity and heat emit nothing at the user (power and heat supply are outside the model),
  so fuel switching, electrification and phase-out cut pollutants through the same energy flows
  as CO2.

The net factor is the emission per unit of a plant without ultra-low-emission (ULE) control at the
controls in place in 2019 (``net_2019``: uncontrolled factor x (1 − removal of the controls in
place), the derivation in each row), and ``u`` the share of the sector's capacity with ULE
control: the lever ``ultra_low_emission`` (sim.core.levers), and for iron & steel at least the
history of completed steel retrofits (:data:`STEEL_ULE_HISTORY`). The ULE removal of steel is the
whole-plant effect of ULE measured from CEMS (Bo et al. 2021); that of cement kilns follows from
the concentration limits of the cement ULE opinion (环大气〔2024〕5号) at the stated flue-gas
volume; that of coking from the coke-oven chimney limits (coking ULE vs GB 16171-2012).

Every factor is a row of ``calibration/pollutants/model_factors.csv`` with its derivation, source
and verification status (calibration/pollutants/README.md, docs/pollutants.md). Its uncertainty:
where the scenario samples any uncertain parameter, each member draws a multiplier of each row from
a triangular distribution (low, net, high) / net, from its own generator
``numpy.random.default_rng((seed, POLLUTANT_STREAM, member))``, so member i's factors depend only
on (seed, i) and two scenarios of one seed compare under common random numbers.

ULE cost (steel only; cement and coking ULE costs were not found): capital per t of BF-BOF
capacity newly at ULE, annualised like the other investments, and an operating cost per t of
BF-BOF output at ULE, both added to the cost items ``capital`` and ``variable_om``.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

import numpy as np

from sim.core import axes
from sim.data.base_state import CALIBRATION_DIR

POLLUTANTS: tuple[str, ...] = ("SO2", "NOx", "PM")
"""The ``pollutant`` axis of result files: sulphur dioxide, nitrogen oxides as NO2, and total
particulate matter (颗粒物; fugitive dust is not covered)."""
POLLUTANT_LONG_NAMES = {"SO2": "sulphur dioxide", "NOx": "nitrogen oxides (as NO2)",
                        "PM": "particulate matter (total, stacks)"}
ULE_SECTORS: tuple[str, ...] = ("iron_steel", "nonmetallic_minerals", "petroleum_coking")
"""Sectors with an ultra-low-emission programme (seed 002: 深入推进钢铁行业超低排放改造, 稳步实施水泥、
焦化等行业超低排放改造; cement is non-metallic minerals, coking is in petroleum_coking)."""
PROCESS_SECTORS: tuple[str, ...] = ("iron_steel", "nonmetallic_minerals")
"""Sectors whose process factors hold their fuel (no combustion factors on their final energy)."""
FACTORS_FILE = CALIBRATION_DIR / "pollutants" / "model_factors.csv"
POLLUTANT_STREAM = 0x706F  # "po": keeps the factor draws apart from the design's and the discrepancy's
KG_PER_T = 1e3
T_PER_MT = 1e6

STEEL_CAPACITY_2021_MT = 1066.0
"""Crude-steel capacity [Mt yr-1] that the ULE shares below divide: 650 Mt completed or under way
were 61 % of capacity in July 2021 (Reuters 2021-07-17 citing CISA; calibration/pollutants/history.csv)."""
STEEL_ULE_HISTORY: tuple[tuple[int, float], ...] = (
    (2019, 0.0),
    (2020, 50.0 / STEEL_CAPACITY_2021_MT),
    (2021, 225.0 / STEEL_CAPACITY_2021_MT),
    (2023, 414.0 / STEEL_CAPACITY_2021_MT),
    (2025, 600.0 / STEEL_CAPACITY_2021_MT),
)
"""(year, share of crude-steel capacity with completed full-process ULE at the year's end) [1]:
2020: below 100 Mt, taken as 50 Mt (an assumption: end-2020 completions were not published;
seed 002's 620 Mt had *begun* retrofits); 2021: 225 Mt with full-process public notice (CISA);
2023: 414 Mt (CISA, 2023-12-16); 2025: 600 Mt by July 2025 (CISA via People's Daily 2025-08-11).
History in every run (calibration/pollutants/history.csv); held after its last year, where the
scenario's ``ultra_low_emission`` lever may raise it."""

STEEL_ULE_CAPITAL = 450.0
"""[CNY per t yr-1 of BF-BOF capacity] ULE retrofit investment (CISA 2023, calibration/pollutants/
controls.csv; CISA 2021: 260 bn CNY for the industry, CISA 2025: over 300 bn CNY for 600 Mt)."""
STEEL_ULE_OPERATING = 50.0
"""[CNY per t of BF-BOF output] extra operating cost of ULE (CISA 2021: more than 50 bn CNY yr-1
for about 1,000 Mt, controls.csv)."""


class PollutantDataError(ValueError):
    """calibration/pollutants/model_factors.csv is malformed."""


@dataclass(frozen=True)
class Factors:
    """The factor table as arrays (X = pollutants, S sectors, R routes, C carriers)."""

    process: np.ndarray  # (S,R,X) kg t-1 of product, net of the 2019 controls
    process_2015: np.ndarray  # (S,R,X) kg t-1, net of the 2015 controls
    process_ule: np.ndarray  # (S,R,X) fraction of the net factor ULE removes
    process_range: np.ndarray  # (S,R,X,2) low, high [kg t-1]
    combustion: np.ndarray  # (S,C,X) t PJ-1 of final energy
    combustion_2015: np.ndarray  # (S,C,X)
    combustion_ule: np.ndarray  # (S,C,X)
    combustion_range: np.ndarray  # (S,C,X,2)
    process_row: np.ndarray  # (S,R,X) int: the table row of each factor, -1 none
    combustion_row: np.ndarray  # (S,C,X) int
    rows: tuple[dict, ...]  # the rows of the table, for provenance


def _number(row: dict, key: str) -> float:
    try:
        return float(row[key])
    except (TypeError, ValueError):
        raise PollutantDataError(f"{FACTORS_FILE.name}: {row['pollutant']} {row['sector']} "
                                 f"{row['route'] or row['carrier']}: {key} {row[key]!r} is not a "
                                 "number") from None


@functools.lru_cache(maxsize=1)
def load_factors() -> Factors:
    """Read ``calibration/pollutants/model_factors.csv`` (module docstring). Rows of sector
    ``combustion`` apply to every sector not in :data:`PROCESS_SECTORS`; a row of a named sector
    and carrier replaces them for that sector."""
    with open(FACTORS_FILE, newline="", encoding="utf-8") as f:
        rows = tuple(csv.DictReader(f))
    S, R, C, X = len(axes.SECTORS), 3, len(axes.CARRIERS), len(POLLUTANTS)
    arrays = {k: np.zeros(shape) for k, shape in (
        ("process", (S, R, X)), ("process_2015", (S, R, X)), ("process_ule", (S, R, X)),
        ("process_range", (S, R, X, 2)), ("combustion", (S, C, X)),
        ("combustion_2015", (S, C, X)), ("combustion_ule", (S, C, X)),
        ("combustion_range", (S, C, X, 2)))}
    arrays["process_row"] = np.full((S, R, X), -1)
    arrays["combustion_row"] = np.full((S, C, X), -1)
    # named sectors override the generic combustion rows
    ordered = sorted(range(len(rows)), key=lambda i: rows[i]["sector"] != "combustion")
    for n in ordered:
        row = rows[n]
        if row["pollutant"] not in POLLUTANTS:
            raise PollutantDataError(f"{FACTORS_FILE.name}: unknown pollutant {row['pollutant']!r}")
        x = POLLUTANTS.index(row["pollutant"])
        values = [_number(row, k) for k in ("net_2019", "net_2015", "ule_removal", "low", "high")]
        if row["route"]:
            if row["unit"] != "kg t-1":
                raise PollutantDataError(f"{FACTORS_FILE.name}: a route's factor is in kg t-1, "
                                         f"not {row['unit']!r}")
            s = axes.index(axes.SECTORS, row["sector"])
            places = [("process", (s, axes.route_index(row["sector"], row["route"]), x))]
        else:
            if row["unit"] != "t PJ-1":
                raise PollutantDataError(f"{FACTORS_FILE.name}: a carrier's factor is in t PJ-1, "
                                         f"not {row['unit']!r}")
            c = axes.index(axes.CARRIERS, row["carrier"])
            sectors = ([s for s in axes.SECTORS if s not in PROCESS_SECTORS]
                       if row["sector"] == "combustion" else [row["sector"]])
            places = [("combustion", (axes.SECTORS.index(s), c, x)) for s in sectors]
        for kind, idx in places:
            net, net15, ule, low, high = values
            if not (0.0 <= low <= net <= high and 0.0 <= ule <= 1.0):
                raise PollutantDataError(f"{FACTORS_FILE.name}: {row['pollutant']} {row['sector']}: "
                                         "needs 0 <= low <= net_2019 <= high and 0 <= ule_removal <= 1")
            arrays[kind][idx] = net
            arrays[kind + "_2015"][idx] = net15
            arrays[kind + "_ule"][idx] = ule
            arrays[kind + "_range"][idx] = (low, high)
            arrays[kind + "_row"][idx] = n
    return Factors(rows=rows, **arrays)


def steel_ule_history(years) -> np.ndarray:
    """(T,) share of crude-steel capacity with completed ULE [1] (:data:`STEEL_ULE_HISTORY`,
    linear between its years, 0 before and held after)."""
    yrs, share = zip(*STEEL_ULE_HISTORY)
    return np.interp(np.asarray(years, dtype=float), yrs, share, left=0.0)


def ule_share(lever: np.ndarray, years) -> np.ndarray:
    """(P,S,T) share of each sector's capacity with ULE control [1]: the ``ultra_low_emission``
    lever (P,S,T), for iron & steel at least the retrofit history."""
    u = np.array(lever, dtype=float, copy=True)
    s = axes.SECTORS.index("iron_steel")
    u[:, s] = np.maximum(u[:, s], steel_ule_history(years)[None])
    return u


def multipliers(factors: Factors, seed: int, members, sampled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-member multipliers of the process (M,S,R,X) and combustion (M,S,C,X) factors [1]:
    1 unless ``sampled``; else one draw per row of the table, triangular (low, net, high) / net,
    from each member's own generator (module docstring), shared by every sector a row applies to
    (the generic combustion rows: one coal sulphur content, not one per sector). Factors of zero
    and cells without a row keep 1."""
    members = np.asarray(members)
    cells = (factors.process_row, factors.combustion_row)
    if not sampled:
        return tuple(np.ones((len(members),) + c.shape) for c in cells)
    net = np.array([float(r["net_2019"]) for r in factors.rows])
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(net > 0, np.array([float(r["low"]) for r in factors.rows]) / net, 1.0)
        hi = np.where(net > 0, np.array([float(r["high"]) for r in factors.rows]) / net, 1.0)
    u = np.stack([np.random.default_rng((int(seed), POLLUTANT_STREAM, int(i))).random(len(net))
                  for i in members])  # (M, rows)
    per_row = np.concatenate([_triangular(u, lo[None], hi[None]), np.ones((len(members), 1))],
                             axis=1)  # index -1: no row
    return per_row[:, cells[0]], per_row[:, cells[1]]


def _triangular(u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (lo, 1, hi) at ``u`` (mode 1: the net factor)."""
    width = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(width > 0, (1.0 - lo) / width, 0.0)
        below = lo + np.sqrt(u * width * (1.0 - lo))
        above = hi - np.sqrt((1.0 - u) * width * (hi - 1.0))
    return np.where(width > 0, np.where(u < left, below, above), 1.0)


def emissions(factors: Factors, production: np.ndarray, final_energy: np.ndarray, ule: np.ndarray,
              process_mult: np.ndarray | None = None, combustion_mult: np.ndarray | None = None,
              year: int | None = None) -> np.ndarray:
    """(M,P,S,X,T) emissions [t yr-1] (module docstring) of ``production`` (M,P,S,R,T) [Mt yr-1
    for the material sectors; the other sectors' routes have no process factor] and
    ``final_energy`` (M,P,S,C,T) [PJ yr-1] with ULE shares ``ule`` (P,S,T) [1].

    ``process_mult`` (M,S,R,X) and ``combustion_mult`` (M,S,C,X): factor multipliers
    (:func:`multipliers`; default 1). ``year`` 2015 uses the factors net of the 2015 controls
    (the historical check), any other value or None those of 2019."""
    old = year == 2015
    M = production.shape[0]
    parts = ((production, factors.process_2015 if old else factors.process,
              factors.process_ule, process_mult, T_PER_MT / KG_PER_T),  # Mt x kg t-1 -> t
             (final_energy, factors.combustion_2015 if old else factors.combustion,
              factors.combustion_ule, combustion_mult, 1.0))  # PJ x t PJ-1 -> t
    X = len(POLLUTANTS)
    u = ule[None, :, :, None, :]  # (1,P,S,1,T)
    out = None
    for activity, net, removal, mult, scale in parts:
        f = np.broadcast_to(net[None] * (1.0 if mult is None else mult), (M,) + net.shape)
        # activity x f x (1 − u removal) = activity x f − u x activity x f x removal, summed over
        # routes or carriers (u does not depend on them): one batched matrix product of views,
        # (M,1,S,2X,K) @ (M,P,S,K,T) -> (M,P,S,2X,T), already in the result's layout (no
        # transposed copy), then the rest in place
        both = np.concatenate([f, f * removal[None]], axis=-1)  # (M,S,K,2X)
        r = np.matmul(both.transpose(0, 1, 3, 2)[:, None], activity)
        part = u * r[:, :, :, X:]
        np.subtract(r[:, :, :, :X], part, out=part)
        part *= scale
        if out is None:
            out = np.add(0.0, part, out=part)  # 0 + x, as the sum began: -0 becomes +0
        else:
            out += part
    return out  # (M,P,S,X,T)


def ule_cost(capacity: np.ndarray, production: np.ndarray, ule: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steel ULE spending [CNY yr-1], each (M,P,T): the investment of the year (capacity newly at
    ULE: the rise of the ULE share x BF-BOF capacity, x :data:`STEEL_ULE_CAPITAL`) and the
    operating cost (ULE share x BF-BOF output x :data:`STEEL_ULE_OPERATING`). ``capacity`` and
    ``production`` (M,P,S,R,T) [Mt yr-1], ``ule`` (P,S,T) [1]. Cement and coking ULE have no
    cited cost and add none."""
    s = axes.SECTORS.index("iron_steel")
    r = axes.route_index("iron_steel", "bf_bof")
    share = ule[None, :, s]  # (1,P,T)
    rise = np.zeros_like(share)
    rise[..., 1:] = np.maximum(0.0, np.diff(share, axis=-1))
    invest = rise * capacity[:, :, s, r] * T_PER_MT * STEEL_ULE_CAPITAL
    operate = share * production[:, :, s, r] * T_PER_MT * STEEL_ULE_OPERATING
    return invest, operate
