"""Layout of every figure kind at every output detail (issue #14 §6): nothing clipped at the edge
of the canvas, and no legend, title, axis label, tick label or the source note overlapping
another; titles name the province ("Anhui"), not the scenario's file name ("anhui").

The figures are drawn with Agg at their saved size and the bounding boxes of their text are
compared; test_plots.py checks what they show, this file how it is laid out.
"""

from __future__ import annotations

import itertools

import pytest

from sim.plots import common as plot_common
from sim.plots import ensemble as ensemble_plots
from sim.plots import figures as plots
from sim.plots import sweep as sweep_plots
from tests.plots.test_plots import ENSEMBLE_KINDS

DPI = 100


def _boxes(fig):
    """(name, bbox) of every text-like artist that must stay clear of the others, in pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    canvas.draw()
    renderer = canvas.get_renderer()
    out = []

    def add(name, artist):
        if artist is None or not artist.get_visible():
            return
        if hasattr(artist, "get_text") and not artist.get_text().strip():
            return
        out.append((name, artist.get_window_extent(renderer)))

    add("suptitle", fig._suptitle)
    add("source note", fig._supxlabel)
    for legend in fig.legends:
        add("figure legend", legend)
    for i, ax in enumerate(fig.axes):
        tag = f"axes {i} ({ax.get_title()[:30]!r})"
        add(f"{tag} title", ax.title)
        add(f"{tag} x label", ax.xaxis.label)
        add(f"{tag} y label", ax.yaxis.label)
        add(f"{tag} legend", ax.get_legend())
        for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * max(1.0, abs(hi - lo))
            for j, (loc, label) in enumerate(zip(axis.get_majorticklocs(),
                                                 axis.get_majorticklabels())):
                if lo - eps <= loc <= hi + eps:  # ticks outside the view are not drawn
                    add(f"{tag} {name} tick {j} {label.get_text()!r}", label)
    return out, fig.bbox


def _overlaps(a, b, tol: float = 1.0) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tol) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tol)


def check_layout(fig) -> None:
    boxes, canvas = _boxes(fig)
    for name, box in boxes:
        assert (box.x0 >= -1 and box.y0 >= -1 and box.x1 <= canvas.x1 + 1
                and box.y1 <= canvas.y1 + 1), f"{name} is clipped: {box} outside {canvas}"
    for (n1, b1), (n2, b2) in itertools.combinations(boxes, 2):
        assert not _overlaps(b1, b2), f"{n1} overlaps {n2}"


@pytest.mark.parametrize("detail", ["full", "province", "summary"])
@pytest.mark.parametrize("kind", ENSEMBLE_KINDS)
def test_ensemble_figures_are_laid_out_cleanly(opened, kind, detail):
    ds = opened[detail]
    fig = next(f for _, f in plots.figures(ds, [kind]))
    check_layout(fig)
    # the province's proper name, and not the scenario's file name, titles the figure
    titles = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
    assert any("Anhui" in t for t in titles)
    assert not any("anhui" in t.replace("anhui_", "") for t in titles), titles


@pytest.mark.parametrize("detail", ["full", "summary"])
def test_wedge_figure_is_laid_out_cleanly(opened, detail):
    fig = ensemble_plots.plot_sectors(opened[detail], "Anhui", baseline=opened[f"base_{detail}"])
    check_layout(fig)


def test_sweep_figure_is_laid_out_cleanly(opened):
    fig = sweep_plots.plot_sweep(opened["sweep"])
    check_layout(fig)


def test_layout_check_can_fail(opened):
    """A legend moved onto the source note is caught."""
    fig = ensemble_plots.plot_attainment(opened["full"])
    check_layout(fig)  # laid out cleanly; now freeze that layout and move the legend
    fig.set_layout_engine("none")
    legend = fig.legends[0]
    legend.set_bbox_to_anchor((0.0, 0.0), transform=fig.transFigure)
    legend.set_loc("lower left")
    with pytest.raises(AssertionError, match="overlaps"):
        check_layout(fig)


def test_place_names_the_province():
    import xarray as xr

    from sim.core import axes

    one = xr.Dataset(coords={"province": ["Anhui"]}, attrs={"scenario_name": "anhui"})
    assert plot_common.place(one) == "Anhui"
    assert plot_common.place(one.assign_attrs(scenario_name="anhui_steel")) == \
        "Anhui, scenario anhui_steel"
    every = xr.Dataset(coords={"province": list(axes.PROVINCES)},
                       attrs={"scenario_name": "national"})
    assert plot_common.place(every) == "China, scenario national"
    two = xr.Dataset(coords={"province": ["Anhui", "Hebei"]}, attrs={"scenario_name": "pair"})
    assert plot_common.place(two) == "2 provinces, scenario pair"
