"""Target checks (DESIGN §6): per member, the value of each target's indicator and whether it is met.

Conditions (``Target.condition``) are the entries of :data:`CONDITIONS`, each carrying its
evaluation function, the units of the quantity it compares and the target keys it needs (the
scenario check reads these, so a new condition is one entry here):

- ``<=``, ``<``, ``>=``, ``>``: the indicator in ``year`` against ``value``;
- ``change<=``, ``change>=``: the relative change ``x(year) / x(base_year) − 1`` against ``value``
  (e.g. −0.18 for "falls 18 %");
- ``peak_by``: the peak year of the indicator (first maximum over the simulated years) ≤ ``year``;
  a series still at its maximum in the last simulated year has not peaked;
- ``below_peak``: ``x(year) / max(x) − 1 ≤ −tolerance`` ("stable with a decline after the peak").

Values within :data:`REL_TOL` of the threshold count as on it (``<=`` and ``>=`` are attained,
``<`` and ``>`` are not): a share the kernel holds exactly at a 20 % floor is 0.2 only up to
rounding (0.2 − 3e-17), and must not count as a miss.

The reported ``target_value`` is the compared quantity: the level, the relative change, the peak
year or the relative distance below the peak.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from sim.core.indicators import Indicators, peak_years
from sim.core.indicators_registry import INDICATORS

Check = Callable[[object, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""(target, series (member, year), years (T,)) -> (compared value, attained), both (member,)."""


@dataclass(frozen=True)
class Condition:
    """One target condition: how it is evaluated and which target keys it uses."""

    name: str
    check: Check
    units: str | None  # units of the compared quantity; None = the indicator's units
    value: str  # "required", "optional" or "unused"
    base_year: bool = False  # True: needs base_year (and only these conditions accept it)
    tolerance: bool = False  # True: needs tolerance (every condition accepts one)


REL_TOL = 1e-9
"""Relative tolerance [1] of a comparison with a threshold (floating-point rounding, not slack:
a thousand times below any threshold's stated precision)."""


def _compare(compare: Callable, v: np.ndarray, value: float) -> np.ndarray:
    """``compare(v, value)`` with values within REL_TOL of ``value`` counted as equal to it."""
    on = np.isclose(v, value, rtol=REL_TOL, atol=REL_TOL * 1e-3)
    if compare in (operator.ge, operator.le):
        return compare(v, value) | on
    return compare(v, value) & ~on


def _level(compare: Callable) -> Check:
    def check(tg, x, years):
        v = x[:, _pos(years, tg.year)]
        return v, _compare(compare, v, tg.value)
    return check


def _change(compare: Callable) -> Check:
    def check(tg, x, years):
        t, b = _pos(years, tg.year), _pos(years, tg.base_year)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = x[:, t] / x[:, b] - 1.0
        return v, _compare(compare, v, tg.value)
    return check


def _peak_by(tg, x, years):
    peak, _ = peak_years(x, years, 0.0)
    peaked = peak < years[-1]
    return peak.astype(float), (peak <= tg.year) & peaked


def _below_peak(tg, x, years):
    t = _pos(years, tg.year)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = x[:, t] / x.max(axis=1) - 1.0
    return v, v <= -(tg.tolerance or 0.0)


_CONDITION_LIST: tuple[Condition, ...] = (
    Condition("<=", _level(operator.le), None, "required"),
    Condition("<", _level(operator.lt), None, "required"),
    Condition(">=", _level(operator.ge), None, "required"),
    Condition(">", _level(operator.gt), None, "required"),
    Condition("change<=", _change(operator.le), "1", "required", base_year=True),
    Condition("change>=", _change(operator.ge), "1", "required", base_year=True),
    Condition("peak_by", _peak_by, "year", "unused"),
    Condition("below_peak", _below_peak, "1", "optional", tolerance=True),
)

CONDITIONS: dict[str, Condition] = {c.name: c for c in _CONDITION_LIST}
"""The target-condition registry, in a fixed order."""


def target_units(target, indicator_units: str) -> str:
    """Units of the compared quantity of ``target``."""
    return CONDITIONS[target.condition].units or indicator_units


def administrative_attribute(administrative: Sequence) -> str:
    """The ``administrative_targets`` attribute of a result file: a JSON list of the scenario's
    administrative (not simulated) targets with id, description, reason and source."""
    return json.dumps([dict(id=a.id, description=a.description, reason=a.reason, source=a.source)
                       for a in administrative], ensure_ascii=False)


def evaluate(
    targets: Sequence,
    ind: Indicators,
    province_position: dict[str, int],
    years: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate simulated targets on one chunk.

    Parameters
    ----------
    targets : sequence of Target (fields id, indicator, provinces, year, condition, value,
        base_year, tolerance, accounting)
    ind : indicator series of the chunk
    province_position : simulated province name -> position in the chunk's province axis
    years : calendar years of the simulation (T,)

    Returns
    -------
    value, attained : arrays (member, target); ``attained`` is 1.0 or 0.0 (NaN where the value
        is undefined, e.g. a share of zero output).
    """
    M = ind.out.demand.shape[0]
    value = np.full((M, len(targets)), np.nan)
    attained = np.full((M, len(targets)), np.nan)
    for j, tg in enumerate(targets):
        prov = np.array([province_position[p] for p in tg.provinces], dtype=np.int64)
        x = INDICATORS[tg.indicator].compute(ind, prov, getattr(tg, "accounting", None) or "scope1")
        v, ok = _check(tg, x, years)
        value[:, j] = v
        attained[:, j] = np.where(np.isnan(v), np.nan, ok.astype(float))
    return value, attained


def _check(tg, x: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(compared value, attained) of target ``tg`` on series ``x`` (member, year)."""
    cond = CONDITIONS.get(tg.condition)
    if cond is None:
        raise ValueError(f"target {tg.id}: unknown condition {tg.condition!r}; "
                         f"allowed: {', '.join(CONDITIONS)}")
    return cond.check(tg, x, years)


def _pos(years: np.ndarray, year: int) -> int:
    i = int(np.searchsorted(years, year))
    if i >= len(years) or years[i] != year:
        raise ValueError(f"year {year} is outside the simulated years {years[0]}–{years[-1]}")
    return i
