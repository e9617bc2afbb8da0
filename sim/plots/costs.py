"""Figures of what a scenario costs: ``costs`` (annual cost by sector or item over time, from an
ensemble file) and ``abatement`` (the abatement-cost curve of a wedges file of ``sim abatement``).

``costs`` stacks the median of each part (a sector's cost summed over its items per member at
full detail; an item's cost from ``cost_by_item`` at province and summary detail, where the file
has no cost by sector), so the top is the sum of the medians; the median of the total and its
5-95 % band (``total_cost``) are drawn over it. A net carbon payment can be negative (allowances
sold): its area then lies below the others' top.

``abatement`` draws each lever as a bar: width = its median CO2 avoided over the planning period
[Mt CO2], height = its levelised cost of abatement [CNY/t CO2], by default without the carbon
payments (the resource cost: the payments are a transfer), cheapest first (a marginal
abatement-cost curve, as the Energy Policy Simulator draws its policy wedges), one panel per CO2
accounting. Each lever is removed on its own from the full scenario, so the bars are what each
adds given the others and their widths need not add up to the package (the dashed line: the
package against no policy). Levers that avoid no CO2 in an accounting have no bar there and are
named in the panel's title.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Iterable

import numpy as np
import xarray as xr

from sim.analysis import abatement
from sim.analysis.costs import ACCOUNTING_TEXT, BN
from sim.core import labels
from sim.plots.common import (
    approx_note,
    footnote,
    mark_milestones,
    new_figure,
    place,
    region_title,
    regional,
    stack,
    years_of,
)
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MONEY = "bn CNY/yr, 2019 prices"
"""The money axis of the costs figure (values divided by ``sim.analysis.costs.BN``)."""


def cost_parts(ds: xr.Dataset, region: str) -> tuple[xr.DataArray, str, bool]:
    """The stacked parts of the costs figure: medians (part, year) [CNY yr-1], the part's kind
    ("sector" at full detail, else "cost_item"), and whether national values are sums of
    provincial medians (never: ``cost`` has members, ``cost_by_item`` a national region)."""
    if "cost" in ds and "member" in ds["cost"].dims:
        per_sector, approx = regional(ds, ds["cost"].sum("cost_item", skipna=False), region)
        return results.median(per_sector).transpose("sector", "year"), "sector", approx
    results.require(ds, ("cost_by_item",), "the costs figure (cost by sector or item)",
                    dims={"cost_by_item": ("region", "cost_item", "year")})
    if region not in ds["region"].values:
        raise ResultsFileError(f"{results.name_of(ds)}: has no region {region!r} in cost_by_item")
    by_item = results.median(ds["cost_by_item"].sel(region=region))
    return by_item.transpose("cost_item", "year"), "cost_item", False


def plot_costs(ds: xr.Dataset, region: str, baseline: xr.Dataset | None = None) -> Figure:
    """Annual cost of the modelled sectors of ``region`` [bn CNY yr-1, 2019 prices]: stacked
    medians by sector (full detail) or by item (province and summary detail), the median of the
    total dashed and its 5-95 % band (``total_cost``). ``baseline`` is not used."""
    results.require(ds, ("total_cost",), "the costs figure", dims={"total_cost": ("region", "year")})
    if region not in ds["total_cost"]["region"].values:
        raise ResultsFileError(f"{results.name_of(ds)}: has no region {region!r} in total_cost")
    parts, kind, approx = cost_parts(ds, region)
    years = years_of(ds)
    fig = new_figure(11, 5.0)
    ax = fig.subplots()
    stack(ax, years, parts / BN, kind)
    total = results.quantiles(ds["total_cost"].sel(region=region), results.REPORTED) / BN
    ax.fill_between(years, total.sel(quantile=0.05).values, total.sel(quantile=0.95).values,
                    facecolor="none", edgecolor="black", hatch="///", lw=0.6,
                    label="total, 5-95 % of members")
    ax.plot(years, total.sel(quantile=0.5).values, color="black", ls="--", lw=1.2,
            label="median of the total (total_cost)")
    mark_milestones(ax, years)
    ax.axhline(0, color="0.3", lw=0.6)
    ax.set_xlabel("year")
    ax.set_ylabel(f"annualised cost [{MONEY}]")
    what = "sector" if kind == "sector" else "item (no cost by sector at this output detail)"
    ax.set_title(f"{region_title(ds, region)}: annualised cost by {what}, stacked medians"
                 f"{approx_note(approx)}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"What it costs: capital annuities, O&M, energy, carbon and CCUS, {place(ds)}")
    footnote(fig, ds, "Capital of the base year's stock is sunk and not counted: the costs "
                      "compare scenarios, not industries (sim.model.costs).")
    return fig


def _require_wedges(ds: xr.Dataset) -> None:
    if not abatement.is_wedges(ds):
        raise ResultsFileError(f"{results.name_of(ds)}: is not a wedges file of sim abatement (no "
                               "lever dimension with abatement_cost); make one with `sim abatement "
                               "SCENARIO` and draw it with --kind abatement")
    results.require(ds, ("co2_avoided", *abatement.BASES.values()), "the abatement-cost curve",
                    dims={"co2_avoided": ("lever", "accounting", "quantile"),
                          **{v: ("lever", "accounting") for v in abatement.BASES.values()}})


def curve(ds: xr.Dataset, accounting: str, basis: str = "resource") -> list[dict]:
    """The bars of the abatement-cost curve in ``accounting``, left to right: ``lever``,
    ``left`` and ``width`` [Mt CO2] (median CO2 avoided), ``height`` [CNY/t CO2] on ``basis``
    (``sim.analysis.abatement.BASES``); levers whose cost per tonne is undefined or whose median
    avoided CO2 is not positive are left out."""
    bars, left = [], 0.0
    for lever in abatement.order(ds, accounting, basis):
        width = float(ds["co2_avoided"].sel(lever=lever, accounting=accounting, quantile=0.5))
        height = float(ds[abatement.BASES[basis]].sel(lever=lever, accounting=accounting))
        if not (np.isfinite(height) and np.isfinite(width) and width > 0):
            continue
        bars.append(dict(lever=lever, left=left, width=width, height=height))
        left += width
    return bars


def plot_abatement(ds: xr.Dataset, provinces: Iterable[str] | None = None,
                   baseline: xr.Dataset | None = None, lang: str = "en",
                   basis: str = "resource") -> Figure:
    """The abatement-cost curve of a wedges file (module docstring), one panel per accounting,
    the cost per tonne on ``basis`` ("resource": without carbon payments; "paid"); lever names in
    ``lang`` (``sim.core.labels``; "zh" needs a font with CJK glyphs). ``provinces`` and ``baseline`` are not used:
    the file holds one region."""
    _require_wedges(ds)
    from matplotlib import colormaps

    levers = [str(x) for x in ds["lever"].values if str(x) != abatement.ALL]
    colour = {lv: colormaps["tab20"](i % 20) for i, lv in enumerate(levers)}
    accountings = [str(a) for a in ds["accounting"].values]
    fig = new_figure(12, 4.6 * len(accountings) + 0.6)
    axes = fig.subplots(len(accountings), 1, squeeze=False)[:, 0]
    window = ds.attrs.get("window", "2025-2035")
    for ax, accounting in zip(axes, accountings):
        bars = curve(ds, accounting, basis)
        for bar in bars:
            ax.bar(bar["left"], bar["height"], width=bar["width"], align="edge",
                   color=colour[bar["lever"]], edgecolor="white", lw=0.5,
                   label=f"{labels.label('lever', bar['lever'], lang)}: "
                         f"{bar['width']:,.1f} Mt, {bar['height']:,.0f} CNY/t")
        if abatement.ALL in ds["lever"].values:
            package = float(ds[abatement.BASES[basis]].sel(lever=abatement.ALL,
                                                           accounting=accounting))
            if np.isfinite(package):
                ax.axhline(package, color="black", ls="--", lw=1.0,
                           label=f"whole package against no policy: {package:,.0f} CNY/t")
        ax.axhline(0, color="0.3", lw=0.6)
        ax.set_xlim(0, max([b["left"] + b["width"] for b in bars], default=1.0) * 1.02)
        ax.set_xlabel(f"CO2 avoided {window}, {ACCOUNTING_TEXT[accounting]} ({accounting}), "
                      "median over members [Mt CO2]")
        ax.set_ylabel(f"levelised cost of abatement [CNY/t CO2, 2019 prices]\n"
                      f"{abatement.BASIS_TEXT[basis]}", fontsize=9)
        missing = [labels.label("lever", lv, lang) for lv in levers
                   if lv not in {b["lever"] for b in bars}]
        # many levers without a bar would run past the panel: wrapped like the source note
        ax.set_title(f"{accounting}: {ACCOUNTING_TEXT[accounting]}; each lever removed in turn, "
                     "cheapest first" + ("\n" + textwrap.fill(
                         f"not drawn, no CO2 avoided (median or mean): {', '.join(missing)}", 130)
                         if missing else ""), fontsize=9)
        if bars or ax.lines:
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"Abatement-cost curve of the levers, {ds.attrs.get('region', '')}, "
                 f"scenario {ds.attrs.get('scenario_name', '')}")
    footnote(fig, ds, "Each lever is removed on its own from the full scenario under common "
                      "random numbers: interactions mean the widths do not add up to the package.")
    return fig
