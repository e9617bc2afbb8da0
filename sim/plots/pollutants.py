"""Air pollutants beside CO2 (issue #27): ``sim plot FILE --kind pollutants``.

From a wedges file of ``sim abatement``: per lever, the CO2 it avoids over the planning period
(median and 5-95 % of the per-member differences [Mt CO2]) and, beside it, each air pollutant
it avoids per t CO2 avoided [kg/t] (ensemble means, scope-1 CO2: the pollutants and the direct
CO2 leave the same stacks), labelled with the pollutant avoided [kt]. A lever that avoids no CO2
on average has no ratio; its label gives what it avoids all the same (the ultra-low-emission
lever cuts pollutants alone).

From an ensemble file: the trajectories of industrial CO2 and of SO2, NOx and PM side by side
(median and bands, ``industrial_co2`` and ``industrial_pollutants``) for the national region
(or the file's one province, or the selected provinces), with the median of ``baseline`` dashed
where one is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
import xarray as xr

from sim.analysis import abatement
from sim.core import labels
from sim.plots.common import (
    ensemble_only,
    fan,
    footnote,
    mark_milestones,
    new_figure,
    place,
    region_title,
    selected_regions,
    units,
    years_of,
)
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ACCOUNTING = "scope1"
"""The CO2 the pollutants are set against: direct + process − captured, from the same stacks."""
POLLUTANT_COLOURS = {"SO2": "#e08214", "NOx": "#8073ac", "PM": "#7f6a4f"}
CO2_COLOUR = "#b2182b"
POLLUTANT_TEXT = {"SO2": "SO2", "NOx": "NOx (as NO2)", "PM": "PM (total, stacks)"}
KT = 1e3
"""[t] per kt: pollutants avoided are labelled in kt."""


def plot_pollutants(ds: xr.Dataset, provinces: Iterable[str] | None = None,
                    baseline: xr.Dataset | None = None, lang: str = "en") -> Figure:
    """The co-benefit figure of a wedges file, or the pollutant trajectories beside CO2 of an
    ensemble file (module docstring); lever names in ``lang`` (``sim.core.labels``)."""
    if abatement.is_wedges(ds):
        return plot_co_benefits(ds, lang)
    return plot_trajectories(ds, provinces, baseline)


def co_benefits(ds: xr.Dataset) -> list[dict]:
    """The rows of the co-benefit figure, top to bottom: ``lever``, ``co2`` (p05, median, p95)
    [Mt], and per pollutant ``per_t`` [kg per t CO2, NaN where no CO2 is avoided] and ``avoided``
    median [t]; the levers in the order of ``sim.analysis.abatement.order``, the package last."""
    if "pollutant_avoided" not in ds:
        raise ResultsFileError(f"{results.name_of(ds)}: the wedges file has no air pollutants "
                               "(missing variable pollutant_avoided; written before issue #27): "
                               "run sim abatement again")
    names = abatement.order(ds, ACCOUNTING) + ([abatement.ALL] if abatement.ALL in ds["lever"].values
                                               else [])
    out = []
    for lever in names:
        co2 = ds["co2_avoided"].sel(lever=lever, accounting=ACCOUNTING).values
        out.append(dict(
            lever=lever, co2=tuple(float(x) for x in co2),
            per_t={str(p): float(ds["pollutant_per_co2"].sel(lever=lever, pollutant=p,
                                                             accounting=ACCOUNTING))
                   for p in ds["pollutant"].values},
            avoided={str(p): float(ds["pollutant_avoided"].sel(lever=lever, pollutant=p,
                                                               quantile=0.5))
                     for p in ds["pollutant"].values}))
    return out


def plot_co_benefits(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Per lever: CO2 avoided (left) and each pollutant avoided per t CO2 avoided (right)."""
    rows = co_benefits(ds)
    pollutants = [str(p) for p in ds["pollutant"].values]
    window = ds.attrs.get("window", "2025-2035")
    names = [labels.label("lever", r["lever"], lang) if r["lever"] != abatement.ALL
             else "whole package" for r in rows]
    y = np.arange(len(rows))[::-1]
    fig = new_figure(4.0 + 3.2 * len(pollutants), 1.2 + 0.45 * len(rows) + 1.4)
    axes = fig.subplots(1, 1 + len(pollutants), sharey=True)
    ax = axes[0]
    co2 = np.array([r["co2"] for r in rows])
    ax.barh(y, co2[:, 1], color=CO2_COLOUR, label="median")
    ax.errorbar(co2[:, 1], y, xerr=[co2[:, 1] - co2[:, 0], co2[:, 2] - co2[:, 1]], fmt="none",
                ecolor="black", lw=0.8, capsize=2, label="5-95 % of members")
    ax.set_yticks(y, names, fontsize=7)
    ax.axvline(0, color="0.3", lw=0.6)
    ax.set_xlabel(f"CO2 avoided {window} [Mt CO2]")
    ax.set_ylabel("lever removed from the scenario [-]")
    ax.set_title(f"CO2 ({ACCOUNTING}: direct + process - captured)", fontsize=9)
    ax.legend(fontsize=6, loc="lower right")
    for ax, p in zip(axes[1:], pollutants):
        ratio = np.array([r["per_t"][p] for r in rows])
        drawn = np.isfinite(ratio)
        ax.barh(y[drawn], ratio[drawn], color=POLLUTANT_COLOURS.get(p, "0.5"),
                label=f"{p} per t CO2 avoided")
        for yi, r, ok in zip(y, rows, drawn):
            text = f"{r['avoided'][p] / KT:,.1f} kt" + ("" if ok else ", no CO2 avoided")
            ax.annotate(text, (0, yi), xytext=(3, 0), textcoords="offset points", va="center",
                        fontsize=6, color="0.2")
        ax.axvline(0, color="0.3", lw=0.6)
        ax.set_ylabel("lever, as on the left [-]")
        ax.set_xlabel(f"{p} avoided per t CO2 avoided [kg/t]")
        ax.set_title(f"{POLLUTANT_TEXT.get(p, p)}", fontsize=9)
        ax.legend(fontsize=6, loc="lower right")
    fig.suptitle(f"Air-pollution co-benefits of the levers, {ds.attrs.get('region', '')}, "
                 f"scenario {ds.attrs.get('scenario_name', '')}: bars per t CO2 avoided, "
                 f"labels the pollutant avoided {window}")
    footnote(fig, ds, "Each lever removed on its own under common random numbers; kg/t = "
                      "ensemble-mean pollutant avoided over ensemble-mean CO2 avoided "
                      "(sim.analysis.abatement).")
    return fig


def plot_trajectories(ds: xr.Dataset, provinces: Iterable[str] | None = None,
                      baseline: xr.Dataset | None = None) -> Figure:
    """Industrial CO2 and each air pollutant of the selected regions, median and bands per
    year, the baseline's median dashed."""
    ensemble_only(ds, "pollutants figure")
    results.require(ds, ("industrial_co2", "industrial_pollutants"), "the pollutants figure",
                    dims={"industrial_co2": ("region", "year"),
                          "industrial_pollutants": ("region", "pollutant", "year")})
    if baseline is not None:
        results.require(baseline, ("industrial_co2", "industrial_pollutants"),
                        "the baseline of the pollutants figure")
    regions = selected_regions(ds, provinces)
    pollutants = [str(p) for p in ds["pollutant"].values]
    years = years_of(ds)
    fig = new_figure(3.4 * (1 + len(pollutants)), 3.0 * len(regions) + 0.9)
    grid = fig.subplots(len(regions), 1 + len(pollutants), squeeze=False)
    for row, region in zip(grid, regions):
        series = [("CO2", ds["industrial_co2"], CO2_COLOUR, 1.0, "Mt CO2/yr")]
        series += [(p, ds["industrial_pollutants"].sel(pollutant=p, drop=True),
                    POLLUTANT_COLOURS.get(p, "0.5"), KT, "kt/yr") for p in pollutants]
        for ax, (name, da, colour, scale, unit) in zip(row, series):
            q = results.quantiles(da.sel(region=region), results.QUANTILES) / scale
            fan(ax, years, q, colour)
            if baseline is not None:
                base = baseline[da.name] if name == "CO2" else baseline[da.name].sel(pollutant=name)
                median = results.quantiles(base.sel(region=region), [0.5]).isel(quantile=0)
                ax.plot(years, median.values / scale, color="black", ls="--", lw=1.0,
                        label="baseline median")
            mark_milestones(ax, years)
            ax.set_ylim(bottom=0)
            ax.set_xlabel("year")
            ax.set_ylabel(f"{POLLUTANT_TEXT.get(name, name)} [{unit}]")
            ax.set_title(f"{region_title(ds, region)}: {POLLUTANT_TEXT.get(name, name)}", fontsize=9)
            ax.legend(fontsize=6, loc="lower left")
    fig.suptitle(f"Air pollutants beside industrial CO2, {place(ds)}")
    against = "" if baseline is None else f" Baseline: {Path(results.name_of(baseline)).name}."
    footnote(fig, ds, f"CO2 {units(ds['industrial_co2'], co2=True)}: direct + process - captured; "
                      f"pollutants of the modelled sectors (sim.model.pollutants).{against}")
    return fig
