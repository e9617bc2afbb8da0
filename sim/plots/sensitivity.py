"""The figure of a sensitivity file: total and first-order indices with their intervals per
output, and a heatmap over the targets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np
import xarray as xr

from sim.analysis import sensitivity as sens
from sim.core.axes import UnknownProvince, resolve_province
from sim.plots.common import footnote, new_figure, place
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

def _sensitivity_only(ds: xr.Dataset) -> None:
    if results.kind(ds) != "sensitivity":
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for the sensitivity figure: "
                               "no factor and output dimensions (not a file of sim sensitivity)")


def plot_sensitivity(ds: xr.Dataset, provinces: Iterable[str] | None = None,
                     baseline=None) -> Figure:
    """Sensitivity indices with their confidence intervals (``sim.analysis.sensitivity``).

    One panel per analysed regional output (peak year, industrial CO2 in 2030 and 2035) of the
    selected regions (default: national, or the file's only province): Sobol S1 and ST [1], or
    Morris mu* [output units] with sigma as a marker, per factor, ranked, with the bootstrap
    interval as error bars; the dummy factor's bar in grey is the noise floor, a sector's
    model-discrepancy group (all its provinces' z together) in purple. Below, a heatmap of
    ST (Morris: mu* as a share of the output's largest) of every analysed target output.
    """
    _sensitivity_only(ds)
    method = str(ds.attrs.get("sensitivity_method", "sobol"))
    key = "ST" if method == "sobol" else "mu_star"
    results.require(ds, (key, f"{key}_conf", "output_note"), "the sensitivity figure",
                    dims={key: ("output", "factor")})
    quantity = [str(q) for q in ds["output_quantity"].values]
    region = [str(r) for r in ds["output_region"].values]
    analysed = [not str(n) for n in ds["output_note"].values]
    simulated = list(dict.fromkeys(r for r, q in zip(region, quantity)
                                   if q in sens.REGIONAL and r != "national"))
    if provinces:

        regions = []
        for p in provinces:
            try:
                regions.append(resolve_province(p, simulated))
            except UnknownProvince:
                raise ResultsFileError(f"{results.name_of(ds)}: no province {p!r}; the file has "
                                       f"{', '.join(simulated)}") from None
    else:
        regions = sens.default_regions(ds)
    panels = [k for k in range(ds.sizes["output"])
              if quantity[k] in sens.REGIONAL and region[k] in regions and analysed[k]]
    targets = [k for k in range(ds.sizes["output"])
               if quantity[k] == "target_value" and analysed[k]]
    if not panels and not targets:
        raise ResultsFileError(f"{results.name_of(ds)}: nothing to draw in the sensitivity "
                               "figure: no analysed output of " + ", ".join(regions)
                               + " (see output_note)")
    names = [str(f) for f in ds["factor"].values]
    kinds = ([str(k) for k in ds["factor_kind"].values] if "factor_kind" in ds.coords
             else [""] * len(names))
    D = len(names)
    ncols = min(3, max(1, len(panels)))
    nrows = -(-len(panels) // ncols) if panels else 0
    panel_h = 1.6 + 0.3 * D
    heat_h = (2.2 + 0.22 * len(targets)) if targets else 0
    fig = new_figure(max(4.6 * ncols, 7.0), panel_h * nrows + heat_h + 1.2)
    grid = fig.add_gridspec(nrows + (1 if targets else 0), ncols,
                            height_ratios=[panel_h] * nrows + ([heat_h] if targets else []))
    pos = np.arange(D)
    for i, k in enumerate(panels):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        order = np.argsort(ds[key].values[k], kind="stable")  # largest on top
        colours = ["0.6" if names[j] == sens.DUMMY else
                   "#762a83" if kinds[j] == "discrepancy" else "#2166ac" for j in order]
        if method == "sobol":
            ax.barh(pos + 0.2, ds["ST"].values[k, order], 0.4, xerr=ds["ST_conf"].values[k, order],
                    color=colours, ecolor="0.2", capsize=2, label="ST (total) ± interval")
            ax.barh(pos - 0.2, ds["S1"].values[k, order], 0.4, xerr=ds["S1_conf"].values[k, order],
                    color="#92c5de", ecolor="0.2", capsize=2, label="S1 (first order) ± interval")
            ax.set_xlabel("Sobol index [1]")
        else:
            ax.barh(pos, ds["mu_star"].values[k, order], 0.6,
                    xerr=ds["mu_star_conf"].values[k, order], color=colours, ecolor="0.2",
                    capsize=2, label="mu* ± interval")
            ax.plot(ds["sigma"].values[k, order], pos, "D", color="#b2182b", ms=4,
                    label="sigma", ls="none")
            ax.set_xlabel(f"elementary effect [{ds['output_units'].values[k]}]")
        ax.set_yticks(pos, [names[j] for j in order], fontsize=7)
        ax.set_ylabel("factor [grey: dummy" + ("; purple: model discrepancy of a sector]"
                                               if "discrepancy" in kinds else "]"))
        ax.set_title(f"{quantity[k]}, {region[k]} [{ds['output_units'].values[k]}]", fontsize=9)
        ax.legend(fontsize=6, loc="lower right")
    if targets:
        from matplotlib import colormaps
        from matplotlib.patches import Patch

        ax = fig.add_subplot(grid[nrows, :])
        values = ds[key].values[targets]
        if method == "morris":
            with np.errstate(invalid="ignore", divide="ignore"):
                values = values / np.nanmax(values, axis=1, keepdims=True)
        image = ax.imshow(np.clip(values, 0, 1), cmap=colormaps["viridis"], vmin=0, vmax=1,
                          aspect="auto")
        ax.set_xticks(range(D), names, rotation=90, fontsize=7)  # upright: no box overlaps
        ax.set_yticks(range(len(targets)), [str(ds["output_target"].values[k]) for k in targets],
                      fontsize=6)
        ax.set_xlabel("factor")
        ax.set_ylabel("target (value)")
        what = "ST" if method == "sobol" else "mu* / largest mu* of the target"
        ax.set_title(f"{what} of every analysed target value", fontsize=9)
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(f"{what} [1]")
        # below the colour bar, right of the factor names
        ax.legend(handles=[Patch(facecolor=colormaps["viridis"](0.0), label="0: no influence")],
                  fontsize=6, loc="upper left", bbox_to_anchor=(1.0, -0.02))
    a = ds.attrs
    where = place(ds.assign_coords(province=("province", simulated)))
    fig.suptitle(f"{method.capitalize()} sensitivity, {where}: {D} factors, "
                 f"{ds.sizes['evaluation']} evaluations, "
                 f"{float(a.get('conf_level', 0.95)):.0%} bootstrap intervals")
    footnote(fig, ds)
    return fig

