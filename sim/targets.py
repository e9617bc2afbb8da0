"""Target checks (DESIGN §6): per member, the value of each target's indicator and whether it is met.

Conditions (``Target.condition``):

- ``<=``, ``<``, ``>=``, ``>``: the indicator in ``year`` against ``value``;
- ``change<=``, ``change>=``: the relative change ``x(year) / x(base_year) − 1`` against ``value``
  (e.g. −0.18 for "falls 18 %");
- ``peak_by``: the peak year of the indicator (first maximum over the simulated years) ≤ ``year``;
  a series still at its maximum in the last simulated year has not peaked;
- ``below_peak``: ``x(year) / max(x) − 1 ≤ −tolerance`` ("stable with a decline after the peak").

The reported ``target_value`` is the compared quantity: the level, the relative change, the peak
year or the relative distance below the peak.
"""

from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

from sim.indicators import Indicators, peak_years

_COMPARE = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}

CONDITIONS = ("<=", "<", ">=", ">", "change<=", "change>=", "peak_by", "below_peak")


def target_units(target, indicator_units: str) -> str:
    """Units of the compared quantity of ``target``."""
    if target.condition.startswith("change") or target.condition == "below_peak":
        return "1"
    if target.condition == "peak_by":
        return "year"
    return indicator_units


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
        x = ind.series(tg.indicator, prov, getattr(tg, "accounting", None) or "scope1")
        v, ok = _check(tg, x, years)
        value[:, j] = v
        attained[:, j] = np.where(np.isnan(v), np.nan, ok.astype(float))
    return value, attained


def _check(tg, x: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cond = tg.condition
    if cond == "peak_by":
        peak, _ = peak_years(x, years, 0.0)
        peaked = peak < years[-1]
        return peak.astype(float), (peak <= tg.year) & peaked
    t = _pos(years, tg.year)
    if cond == "below_peak":
        with np.errstate(divide="ignore", invalid="ignore"):
            v = x[:, t] / x.max(axis=1) - 1.0
        return v, v <= -(tg.tolerance or 0.0)
    if cond in ("change<=", "change>="):
        b = _pos(years, tg.base_year)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = x[:, t] / x[:, b] - 1.0
        return v, _COMPARE[cond[len("change"):]](v, tg.value)
    if cond in _COMPARE:
        v = x[:, t]
        return v, _COMPARE[cond](v, tg.value)
    raise ValueError(f"target {tg.id}: unknown condition {cond!r}; allowed: {', '.join(CONDITIONS)}")


def _pos(years: np.ndarray, year: int) -> int:
    i = int(np.searchsorted(years, year))
    if i >= len(years) or years[i] != year:
        raise ValueError(f"year {year} is outside the simulated years {years[0]}–{years[-1]}")
    return i
