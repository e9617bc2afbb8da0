"""The figure of the 2015 -> 2019 hindcast (``sim.analysis.hindcast``): modelled against CEADs CO2 by province
and sector."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.hindcast import END, START, Hindcast
from sim.core import axes

if TYPE_CHECKING:
    pass


def plot_hindcast(h: Hindcast):
    """Figure: modelled vs CEADs CO2 by province × sector (log-log, 1:1 line and ±15 %) and the
    median APE per sector with the naive forecasts. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 5), constrained_layout=True)
    ax, bx = fig.subplots(1, 2)
    inc = h.included
    for s, sector in enumerate(axes.SECTORS):
        k = inc[:, s]
        ax.scatter(h.observed[k, s], h.model[k, s], s=12, label=sector)
    lo, hi = 0.1, float(np.nanmax(h.observed)) * 1.5
    xs = np.array([lo, hi])
    ax.plot(xs, xs, color="k", lw=1, label="1:1")
    ax.fill_between(xs, xs * 0.85, xs * 1.15, color="grey", alpha=0.2, label="±15 %")
    ax.set(xscale="log", yscale="log", xlabel=f"CEADs {END} CO2 [Mt CO2/yr]",
           ylabel=f"modelled {END} CO2 [Mt CO2/yr]",
           title=f"Hindcast {START}->{END}: province x sector CO2 (national error {h.national_error:+.1%})")
    ax.legend(fontsize=7, ncol=2)
    rows = h.sector_table()
    x = np.arange(len(rows))
    w = 0.27
    bx.bar(x - w, [r["median_ape"] * 100 for r in rows], w, label="model")
    bx.bar(x, [r["persistence"] * 100 for r in rows], w, label="persistence (2015 value)")
    bx.bar(x + w, [r["scaled_persistence"] * 100 for r in rows], w,
           label="2015 x observed national ratio")
    bx.axhline(15, color="k", ls="--", lw=1, label="goal 15 % (steel, cement, chemicals)")
    bx.set_xticks(x, [r["sector"] for r in rows], rotation=45, ha="right")
    bx.set(ylabel="median absolute percentage error [%]", title="Median province APE by sector")
    bx.legend(fontsize=7)
    fig.text(0.01, 0.0, "Sources: CEADs provincial inventories 2015, 2019; NBS output; "
             "calibration/fitted.toml", fontsize=7)
    return fig

