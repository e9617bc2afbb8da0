"""The figure of a combined sweep file: P(attain) of the success targets against each lever axis,
or a heatmap of P(all) over two lever axes of a full grid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np
import xarray as xr

from sim.analysis import report
from sim.plots.common import footnote, new_figure, place, units
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

def lever_axes(ds: xr.Dataset) -> list[str]:
    """Names of the ``lever_<axis>(case)`` coordinates of a combined sweep file."""
    return [str(c) for c in ds.coords if str(c).startswith("lever_") and ds[c].dims == ("case",)]


def plot_sweep(ds: xr.Dataset, provinces: Iterable[str] | None = None, baseline=None) -> Figure:
    """Sweep: P(attain) of each success target and P(all success targets) [%] against each lever
    axis (one point per case), the robust threshold drawn; for two axes on a full grid, a heatmap
    of P(all) over the grid as well."""
    if results.kind(ds) != "sweep":
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for the sweep figure: no "
                               "case dimension (not a combined sweep file)")
    results.require(ds, ("target_probability",), "the sweep figure",
                    dims={"target_probability": ("case", "target")})
    levers = lever_axes(ds)
    if not levers:
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for the sweep figure: no "
                               "lever_<axis>(case) coordinates")
    success = [t for t in str(ds.attrs.get("success_targets", "")).split() if t]
    threshold = float(ds.attrs.get("robust_probability", 0.9))
    series = [(f"P({t})", ds["target_probability"].sel(target=t).values) for t in success]
    if "success_probability" in ds:
        series.append(("P(all success targets)", ds["success_probability"].values))
    if not series:
        series = [(f"P({t})", ds["target_probability"].sel(target=t).values)
                  for t in ds["target"].values]
    grid = _grid(ds, levers) if len(levers) == 2 and "success_probability" in ds else None
    ncols = len(levers) + (grid is not None)
    fig = new_figure(4.2 * ncols + 1, 4.6 + 0.15 * (len(series) + 1))  # legends below the panels
    axs = fig.subplots(1, ncols, squeeze=False)[0]
    markers = "osD^v<>"
    for ax, lever in zip(axs, levers):
        x = ds[lever].values
        for i, (label, p) in enumerate(series):
            ax.scatter(x, 100 * p, marker=markers[i % len(markers)], s=28, alpha=0.75,
                       label=label, zorder=3)
        ax.axhline(100 * threshold, color="#d73027", ls="--", lw=1,
                   label=f"robust threshold {threshold:.0%}")
        ax.set_xlabel(f"{ds[lever].attrs.get('long_name', lever)} {units(ds[lever])}")
        ax.set_ylabel("probability [% of members]")
        ax.set_ylim(-3, 103)
        ax.set_title(lever[len("lever_"):], fontsize=9)
        # below the panel, clear of the points (they span the whole 0-100 % range)
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)
    if grid is not None:
        from matplotlib import colormaps
        from matplotlib.patches import Patch

        ax = axs[-1]
        xs, ys, values = grid
        image = ax.imshow(values, origin="lower", cmap=colormaps["RdYlGn"], vmin=0, vmax=1,
                          aspect="auto")
        for (r, c), p in np.ndenumerate(values):
            ax.text(c, r, report.percent(p), ha="center", va="center", fontsize=8,
                    fontweight="bold" if p >= threshold else "normal")
        ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
        ax.set_xlabel(f"{ds[levers[0]].attrs.get('long_name', levers[0])} {units(ds[levers[0]])}")
        ax.set_ylabel(f"{ds[levers[1]].attrs.get('long_name', levers[1])} {units(ds[levers[1]])}")
        ax.set_title("P(all success targets) over the grid", fontsize=9)
        bar = fig.colorbar(image, ax=ax, ticks=sorted({0, 0.5, threshold, 1.0}),
                           format=lambda v, _: f"{v:.0%}")
        bar.set_label("P(all success targets) [% of members]")
        bar.ax.axhline(threshold, color="black", lw=1.5)
        ax.legend(handles=[Patch(facecolor="white", label=f"bold: robust (>= {threshold:.0%})")],
                  fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    where = place(ds.assign_attrs(scenario_name=""))  # the sweep's provinces
    fig.suptitle(f"Policy sweep {ds.attrs.get('sweep_name', '')} ({where}): {ds.sizes['case']} lever sets "
                 f"x {ds.attrs.get('members', '?')} members")
    footnote(fig, ds)
    return fig


def _grid(ds: xr.Dataset, levers: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(x values, y values, P(all) as (y, x)) when the cases form the full grid of two levers."""
    x, y = ds[levers[0]].values, ds[levers[1]].values
    xs, ys = np.unique(x), np.unique(y)
    if len(xs) * len(ys) != ds.sizes["case"]:
        return None
    values = np.full((len(ys), len(xs)), np.nan)
    values[np.searchsorted(ys, y), np.searchsorted(xs, x)] = ds["success_probability"].values
    return (xs, ys, values) if np.isfinite(values).all() else None

