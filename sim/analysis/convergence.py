"""How many members are enough: the Monte-Carlo error of the ensemble's probabilities, and
whether its statistics still move between the first half of the members and all of them.

**Standard error of a probability.** A probability P of the report (attaining a target, the
industrial-CO2 peak by the year of the peak target) is the share of n members with the event, a binomial proportion; its
Monte-Carlo standard error is the plug-in binomial estimate sqrt(P (1 - P) / n) (:func:`standard_error`),
with n the members of the file. It treats the members as independent draws; for outcomes monotone
in each parameter a Latin hypercube's variance is at most that of independent draws (McKay,
Beckman and Conover 1979, doi:10.1080/00401706.1979.10489755), so it is the conservative reading. At
P = 0 or 1 the plug-in estimate is 0, which would claim certainty: there the report gives instead
the *rule of three* (Hanley and Lippman-Hand 1983, doi:10.1001/jama.1983.03330370053031): with no
event among n independent draws, the true probability is below 3/n with 95 % confidence
(:func:`rule_of_three`; shown as ``<x %``: the true probability is within x of the reported 0 or
100 %). ``sim report`` and ``sim run`` print it per target and for P(peak <= year), the year of the peak target
(``sim.analysis.peak``).

**Convergence** (``--converge``, :func:`compare`): every probability and quantile is computed from
the first n/2 members (in draw order: the ``member`` coordinate) and from all n, and compared:

* probabilities (P(attain) of each target; per region P(peak <= year) and the cumulative
  peak-year distribution P(peak <= y) of every year y, i.e. its largest difference): moves if the
  absolute change exceeds ``tolerance`` (default 0.02);
* quantiles (5 %, median, 95 %) of each target's value: moves if the change exceeds
  ``quantile_tolerance`` (default 1 %) of max(|quantile of all n|, width of the 5-95 % range of
  all n) (relative to the value, but not blown up for values near zero). Targets whose value is a
  year (peak_by) are compared by their cumulative distribution like the peak year instead: a
  quantile of years jumps by whole years.

The member count is called *enough* when nothing moves. What the comparison means: the first n/2
members are not a Latin hypercube of n/2 (scipy's design shuffles the n strata of each parameter
independently, so the first half is a random half of the n strata: about as informative as n/2
independent draws), and they are part of the n. For independent draws the change P(n/2) - P(n) has
standard deviation sqrt(P (1 - P) / n), the standard error of P(n) itself: a change within the
tolerance says the estimate of n is stable to about that much, conservatively (the full design's
stratification is better than the half's). A change that scales like 1/sqrt(n) gives a rough
member count for a tolerance: n * (change / tolerance)^2, reported when something moves.

Needs members per target and peak year: files at ``full`` and ``province`` detail; ``summary``
files keep only the parameter values and the attainment per member (no target values or peak
years) and are refused with a message.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import xarray as xr

from sim.analysis.peak import peak_by_year
from sim.core.files import json_ready
from sim.results import reading as results
from sim.results.reading import REPORTED, ResultsFileError

DEFAULT_TOLERANCE = 0.02
"""Largest change of a probability [1] between n/2 and n members for n to count as enough."""
DEFAULT_QUANTILE_TOLERANCE = 0.01
"""Largest relative change [1] of a quantile (module docstring) for n to count as enough."""
MIN_MEMBERS = 20
"""Fewest members a convergence check is made on (10 in the first half)."""
PEAK_STATISTIC = "P(peak<="
"""How the statistic of a region's peak by the peak target's year begins (then the year and ")")."""


def standard_error(p: float, n: int) -> float:
    """Plug-in binomial Monte-Carlo standard error sqrt(p (1 - p) / n) [1] of a share p of n
    members (NaN where p is undefined or n < 1)."""
    if not np.isfinite(p) or n < 1:
        return float("nan")
    p = _edge(p)
    return float(np.sqrt(p * (1.0 - p) / n))


def _edge(p: float) -> float:
    """p, with sums of per-year shares that miss 0 or 1 by rounding (1e-9) put on it."""
    return 0.0 if p < 1e-9 else 1.0 if p > 1.0 - 1e-9 else float(p)


def rule_of_three(p: float, n: int) -> float | None:
    """3/n [1] where p is 0 or 1 (the 95 % bound on the true probability of the event never,
    or always, seen among n members), else None."""
    if not np.isfinite(p) or n < 1 or 0.0 < _edge(p) < 1.0:
        return None
    return min(1.0, 3.0 / n)


def error_text(p: float, n: int) -> str:
    """The standard error as the report prints it: ``1.6%``, ``<1.0%`` (rule of three) or n/a."""
    bound = rule_of_three(p, n)
    if bound is not None:
        return f"<{bound:.1%}"
    se = standard_error(p, n)
    return f"{se:.1%}" if np.isfinite(se) else "n/a"


ERROR_NOTE = ("s.e.: Monte-Carlo standard error of the probability, binomial sqrt(P(1-P)/n) with "
              "n = {n} members; '<x': P is 0 or 100 % and the true probability is within x of it "
              "(rule of three, 3/n, 95 % confidence)")
"""The footnote of the report's s.e. columns (``{n}``: the members)."""


# --- convergence -----------------------------------------------------------------------------------
@dataclass
class Row:
    """One compared statistic: a target's probability, quantile or year distribution, or a
    region's peak-year statistic."""

    item: str  # target id or region
    statistic: str  # "P(attain)", "p05", "median", "p95", "P(peak<=<year>)", "peak-year CDF", ...
    half: float
    full: float
    change: float  # absolute (probabilities) or relative (quantiles) change, compared with limit
    limit: float
    moves: bool
    kind: str  # "probability" or "quantile"
    standard_error: float | None = None  # of the full-ensemble probability


@dataclass
class Convergence:
    """The convergence check of one file: the first ``half`` members against all ``members``,
    with the tolerances used and every compared statistic (:class:`Row`)."""

    file: str
    members: int
    half: int
    tolerance: float
    quantile_tolerance: float
    rows: list[Row] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        """True when no statistic moves by more than its limit."""
        return not any(r.moves for r in self.rows)

    def suggested_members(self) -> int | None:
        """Rough member count at which the largest moving change would fall to its limit, if the
        change shrinks like 1/sqrt(n) (None when nothing moves)."""
        worst = [(r.change / r.limit) ** 2 for r in self.rows if r.moves and r.limit > 0]
        return int(np.ceil(self.members * max(worst) / 100.0) * 100) if worst else None

    def to_dict(self) -> dict:
        """Plain data for JSON: every field, ``enough`` and ``suggested_members``."""
        d = asdict(self)
        d.update(enough=self.enough, suggested_members=self.suggested_members())
        return json_ready(d)




def _cdf_change(a: np.ndarray, b: np.ndarray, years: np.ndarray) -> float:
    """Largest |F_a(y) - F_b(y)| over the years y: the two empirical cumulative distributions."""
    fa = np.searchsorted(np.sort(a), years, side="right") / max(len(a), 1)
    fb = np.searchsorted(np.sort(b), years, side="right") / max(len(b), 1)
    return float(np.max(np.abs(fa - fb)))


def _in_draw_order(ds: xr.Dataset) -> xr.Dataset:
    m = np.asarray(ds["member"].values)
    return ds if np.all(np.diff(m) > 0) else ds.sortby("member")


def check_file(ds: xr.Dataset) -> None:
    """Raise ResultsFileError unless the file has what :func:`compare` needs."""
    name = results.name_of(ds)
    if results.kind(ds) == "sweep":
        raise ResultsFileError(f"{name}: a sweep file: --converge compares the members of one "
                               "ensemble; use a case's part file (parts/case-NNNNN.nc)")
    needed = ("target_value", "target_attained", "peak_year")
    if results.detail(ds) == "summary" or any(v in ds and "member" not in ds[v].dims
                                              for v in needed):
        raise ResultsFileError(
            f"{name}: output detail {results.detail(ds)} keeps no target values or peak years "
            "per member, so the first n/2 members cannot be compared with all n: run "
            "with --detail province or full")
    results.require(ds, needed, "a convergence check",
                    dims={v: ("member",) for v in needed})
    n = ds.sizes["member"]
    if n < MIN_MEMBERS:
        raise ResultsFileError(f"{name}: too few members for a convergence check: {n} (at least "
                               f"{MIN_MEMBERS})")


def compare(ds: xr.Dataset, tolerance: float = DEFAULT_TOLERANCE,
            quantile_tolerance: float = DEFAULT_QUANTILE_TOLERANCE) -> Convergence:
    """Compare every probability and quantile of the first n/2 members with all n (module
    docstring)."""
    check_file(ds)
    ds = _in_draw_order(ds)
    n = ds.sizes["member"]
    h = n // 2
    out = Convergence(results.name_of(ds), n, h, tolerance, quantile_tolerance)
    years = np.asarray(ds["year"].values)
    attained = ds["target_attained"].transpose("member", "target").values
    value = ds["target_value"].transpose("member", "target").values
    units = [str(u) for u in ds["target_units"].values] if "target_units" in ds else [""] * len(
        ds["target"])

    def prob(item, statistic, a_half, a_full):
        p_half, p_full = _share(a_half), _share(a_full)
        change = abs(p_half - p_full) if np.isfinite(p_half) and np.isfinite(p_full) else 0.0
        out.rows.append(Row(item, statistic, p_half, p_full, change, tolerance,
                            change > tolerance, "probability",
                            standard_error(p_full, int(np.isfinite(a_full).sum()))))

    for j, tid in enumerate(map(str, ds["target"].values)):
        prob(tid, "P(attain)", attained[:h, j], attained[:, j])
        v_half, v_full = value[:h, j], value[:, j]
        v_half, v_full = v_half[np.isfinite(v_half)], v_full[np.isfinite(v_full)]
        if not v_half.size:
            continue
        if units[j] == "year":
            change = _cdf_change(v_half, v_full, years)
            out.rows.append(Row(tid, "value CDF", float(np.median(v_half)),
                                float(np.median(v_full)), change, tolerance, change > tolerance,
                                "probability"))
            continue
        q_half, q_full = np.quantile(v_half, REPORTED), np.quantile(v_full, REPORTED)
        scale = max(abs(float(q_full[1])), float(q_full[2] - q_full[0]))
        for label, a, b in zip(("p05", "median", "p95"), q_half, q_full):
            d = abs(float(a - b))
            change = d / scale if scale > 0 else (0.0 if d == 0 else float("inf"))
            out.rows.append(Row(tid, label, float(a), float(b), change, quantile_tolerance,
                                change > quantile_tolerance, "quantile"))

    peak = ds["peak_year"].transpose("member", "region").values
    by = peak_by_year(ds)
    for g, region in enumerate(map(str, ds["region"].values)):
        p_half, p_full = peak[:h, g], peak[:, g]
        prob(region, f"{PEAK_STATISTIC}{by})", (p_half <= by).astype(float),
             (p_full <= by).astype(float))
        change = _cdf_change(p_half, p_full, years)
        out.rows.append(Row(region, "peak-year CDF", float(np.median(p_half)),
                            float(np.median(p_full)), change, tolerance, change > tolerance,
                            "probability"))
    return out


def _share(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else float("nan")


def format_table(c: Convergence, regions_shown: int = 8) -> str:
    """The comparison as text: per target and region the statistics of n/2 and n members, their
    change against the tolerance, and a plain verdict."""
    lines = [f"Convergence: the first {c.half} members (in draw order) against all {c.members}; "
             f"tolerance {c.tolerance:g} for probabilities (absolute), {c.quantile_tolerance:.1%} "
             "for quantiles (of max(|value|, 5-95 % width))"]
    items = list(dict.fromkeys(r.item for r in c.rows))
    regions = list(dict.fromkeys(r.item for r in c.rows if r.statistic.startswith(PEAK_STATISTIC)))
    hidden = [g for g in regions if g != "national"] if len(regions) > regions_shown else []
    w = max([len("target / region")] + [len(i) for i in items if i not in hidden])
    hdr = (f"{'target / region':<{w}} {'statistic':<14} {'n/2':>10} {'n':>10} {'change':>8} "
           f"{'limit':>7} {'s.e.(n)':>7}  moves")
    lines += ["", hdr, "-" * len(hdr)]
    for r in c.rows:
        if r.item in hidden and not r.moves:
            continue
        if r.kind == "probability" and r.statistic.startswith("P("):
            a, b, ch, lim = f"{r.half:.1%}", f"{r.full:.1%}", f"{r.change:.4f}", f"{r.limit:g}"
        elif r.kind == "probability":  # a distribution of years: medians shown, CDF compared
            a, b = f"med {r.half:.0f}", f"med {r.full:.0f}"
            ch, lim = f"{r.change:.4f}", f"{r.limit:g}"
        else:
            a, b, ch, lim = f"{r.half:.4g}", f"{r.full:.4g}", f"{r.change:.2%}", f"{r.limit:.1%}"
        se = "" if r.standard_error is None or not np.isfinite(r.standard_error) else \
            f"{r.standard_error:.3f}"
        lines.append(f"{r.item:<{w}} {r.statistic:<14} {a:>10} {b:>10} {ch:>8} {lim:>7} "
                     f"{se:>7}  {'MOVES' if r.moves else 'ok'}")
    if hidden:
        lines.append(f"  ({len(hidden)} provinces' peak-year rows shown only where they move)")
    moving = [r for r in c.rows if r.moves]
    lines.append("")
    if not moving:
        lines.append(f"Verdict: {c.members} members are enough at these tolerances: no probability "
                     f"moves by more than {c.tolerance:g} and no quantile by more than "
                     f"{c.quantile_tolerance:.1%} between the first {c.half} and all {c.members}.")
    else:
        listed = ", ".join(f"{r.item} {r.statistic}" for r in moving[:6])
        more = f" and {len(moving) - 6} more" if len(moving) > 6 else ""
        lines.append(f"Verdict: {c.members} members are NOT enough at these tolerances: "
                     f"{len(moving)} of {len(c.rows)} statistics move more than allowed ({listed}"
                     f"{more}); roughly {c.suggested_members()} members would be needed if the "
                     "change shrinks like 1/sqrt(n) (rerun with more members and check again).")
    lines.append("The first n/2 members are a random half of the Latin-hypercube strata, not a "
                 "Latin hypercube of n/2: the check is conservative. For independent draws the "
                 "change of a probability has standard deviation s.e.(n).")
    return "\n".join(lines)


def format_json(c: Convergence) -> str:
    """The check as a JSON text (:meth:`Convergence.to_dict`; NaN as null)."""
    return json.dumps(c.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
