"""The figure of a plan file (``sim plan``, ``sim.analysis.plan``): cost against probability of
every evaluated package with the chosen one, and the lever values along the non-dominated
packages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from sim.plots.common import footnote, new_figure
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BN = 1e9


def plot_plan(ds: xr.Dataset, provinces=None, baseline=None) -> Figure:
    """Left: present cost [bn CNY] against P(all selected targets) [1] of every evaluated package
    (grey: below the level searched, blue: meeting it, ringed: non-dominated on cost, probability and
    cumulative CO2), the confidence as a dashed line (the level searched, confidence + margin, dotted) and the chosen package as a red star, its
    fresh-ensemble probability ± 2 s.e. as a red bar at the same cost. Right: the value of each lever point
    (as a share of its range [low, high]) along the non-dominated packages that meet the
    confidence, by cost, the chosen one marked."""
    if "lever_value" not in ds or "probability" not in ds:
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for the plan figure: no "
                               "lever_value and probability (not a file of sim plan)")
    cost = ds["cost"].values / BN
    prob = ds["probability"].values
    feasible = ds["feasible"].values.astype(bool)
    front = ds["non_dominated"].values.astype(bool)
    best = int(ds.attrs["chosen_evaluation"])
    conf = float(ds.attrs["plan_confidence"])
    fig = new_figure(11, 4.6)
    ax, bx = fig.subplots(1, 2)
    ax.scatter(prob[~feasible], cost[~feasible], s=10, color="0.6", label="below the level searched")
    ax.scatter(prob[feasible], cost[feasible], s=10, color="#2166ac", label="meets it (plan ensemble)")
    ax.scatter(prob[front], cost[front], s=40, facecolors="none", edgecolors="k", linewidths=0.7,
               label="non-dominated (cost, P, CO2)")
    ax.axvline(conf, color="k", ls="--", lw=0.8, label=f"confidence {conf:g}")
    level = float(ds.attrs.get("plan_level", conf))
    if level > conf:
        ax.axvline(level, color="k", ls=":", lw=0.8, label=f"level searched {level:.3g} "
                                                            "(confidence + margin)")
    ax.plot(prob[best], cost[best], "*", color="#b2182b", ms=14, label="chosen")
    vp, se = float(ds.attrs["verify_probability"]), float(ds.attrs["verify_standard_error"])
    # drawn at the chosen package's plan-ensemble cost: the fresh ensemble's cost is of other
    # members (the report's table gives it beside the scenario's own on the same members)
    ax.errorbar([vp], [cost[best]], xerr=[2 * se], fmt="o", color="#b2182b", mfc="white",
                capsize=3, label=f"its P on the fresh ensemble ({ds.attrs['verify_members']} "
                                 "members) ± 2 s.e.")
    ax.set_xlabel("P(all selected targets attained) [1]")
    ax.set_ylabel("present cost 2025-2035 [bn CNY 2019]")
    ax.set_title(f"{ds.attrs.get('scenario_name', '')}: packages evaluated")
    ax.legend(fontsize=7, loc="best")
    levers = [str(v) for v in ds["lever"].values]
    low, high = ds["lever_low"].values, ds["lever_high"].values
    share = (ds["lever_value"].values - low) / np.where(high > low, high - low, 1.0)
    shown = np.flatnonzero(front & feasible)
    if best not in shown:
        shown = np.append(shown, best)
    shown = shown[np.argsort(cost[shown], kind="stable")]
    for j, name in enumerate(levers):
        bx.plot(cost[shown], share[shown, j], "o-", ms=3, lw=1, label=name)
        bx.plot(cost[best], share[best, j], "*", color="#b2182b", ms=10)
    bx.set_xlabel("present cost 2025-2035 [bn CNY 2019]")
    bx.set_ylabel("lever value, share of its range [low, high] [1]")
    bx.set_ylim(-0.05, 1.05)
    bx.set_title("lever values, non-dominated packages meeting it")
    for a in (ax, bx):
        a.ticklabel_format(axis="both", useOffset=False, style="plain")
    bx.legend(fontsize=6, loc="best", framealpha=0.6)
    footnote(fig, ds, f"Chosen package: {', '.join(f'{n} = {v:.4g}' for n, v in zip(levers, ds['chosen_value'].values))}.")
    return fig
