"""The figure of the result of ``sim discover`` (``sim.analysis.discovery``): the trade-off curve of the
peeling trajectory and the limits of each box."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from sim.analysis.discovery import Discovery, number_text, qp_text
from sim.plots.common import footnote, place

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_discovery(d: Discovery, ds: xr.Dataset | None = None) -> Figure:
    """The trade-off curve (coverage against density of every box on the peeling trajectory,
    coloured by the number of restricted dimensions, the reported box marked) and the limits of
    each reported box (per restricted dimension: the file's range as a grey bar, the box as a
    coloured bar, both scaled to the range, the limits written beside it)."""
    from matplotlib.colors import BoundaryNorm
    from matplotlib.figure import Figure

    n = max(1, len(d.boxes))
    height = max([2.8] + [1.2 + 0.42 * max(1, len(b.limits)) for b in d.boxes])
    fig = Figure(figsize=(10.5, 0.6 + height * n), layout="constrained")
    grid = fig.subplots(n, 2, squeeze=False, gridspec_kw=dict(width_ratios=[1, 1.3]))
    where = (place(ds) if ds is not None and "province" in ds.coords else "") or \
        (f"scenario {d.scenario}" if d.scenario else "")
    fig.suptitle(f"{where + ': ' if where else ''}where the targets are missed (PRIM)",
                 fontsize=11)
    for b_i, (b, (ax_t, ax_l)) in enumerate(zip(d.boxes, grid), 1):
        cov = [s["coverage"] for s in b.trajectory]
        den = [s["density"] for s in b.trajectory]
        res = [s["restricted"] for s in b.trajectory]
        top = max(res) + 1
        norm = BoundaryNorm(np.arange(-0.5, top + 0.5), 256)  # one colour per count of dims
        sc = ax_t.scatter(cov, den, c=res, cmap="viridis", norm=norm, s=14, zorder=2)
        ax_t.plot(cov, den, color="0.7", lw=0.8, zorder=1)
        ax_t.scatter([b.coverage], [b.density], s=90, facecolors="none", edgecolors="C3",
                     linewidths=1.6, zorder=3, label=f"reported box (step {b.index})")
        ax_t.axhline(d.threshold, color="C3", lw=0.8, ls=":", label=f"density {d.threshold:.0%}")
        ax_t.set(xlabel="coverage [share of rows of interest]",
                 ylabel="density [share of box rows]", xlim=(0, 1.02), ylim=(0, 1.02),
                 title=f"box {b_i}: peeling trajectory")
        ax_t.title.set_fontsize(9)
        ax_t.legend(fontsize=7, loc="lower left")
        cb = fig.colorbar(sc, ax=ax_t, pad=0.01, fraction=0.04, aspect=30, ticks=range(0, top, max(1, top // 6)))
        cb.set_label("restricted dims", fontsize=7)
        cb.ax.tick_params(labelsize=7)
        names = [lim["dimension"] for lim in b.limits]
        for k, lim in enumerate(b.limits):
            span = lim["maximum"] - lim["minimum"] or 1.0
            lo = 0.0 if lim["lower"] is None else (lim["lower"] - lim["minimum"]) / span
            hi = 1.0 if lim["upper"] is None else (lim["upper"] - lim["minimum"]) / span
            ax_l.barh(k, 1.0, color="0.88", height=0.6)
            ax_l.barh(k, hi - lo, left=lo, color="C0", height=0.6)
            qps = [q for q in (lim["qp_lower"], lim["qp_upper"]) if q is not None]
            ax_l.text(1.02, k, f"{number_text(lim['minimum'] if lim['lower'] is None else lim['lower'])}"
                      f" .. {number_text(lim['maximum'] if lim['upper'] is None else lim['upper'])}"
                      f"{'' if lim['units'] in ('1', '') else ' ' + lim['units']}"
                      f" (qp {qp_text(min(qps)) if qps else '-'})", va="center", fontsize=7)
        ax_l.set_yticks(range(len(names)), names, fontsize=8)
        ax_l.invert_yaxis()
        ax_l.set(xlim=(0, 1.6), xlabel="position in the file's range [0 = min, 1 = max]",
                 title=f"box {b_i}: coverage {b.coverage:.0%}, density {b.density:.0%}, "
                       f"mass {b.mass:.0%}")
        ax_l.set_xticks([0, 0.5, 1])
        ax_l.title.set_fontsize(9)
        for s in ("top", "right"):
            ax_l.spines[s].set_visible(False)
    if ds is not None:
        footnote(fig, ds, f"Outcome: a row is of interest when it {d.rule}.")
    return fig

