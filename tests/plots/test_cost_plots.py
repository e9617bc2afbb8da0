"""The cost figures (sim.plots.costs): ``costs`` stacks the file's medians by sector (full detail)
or by item (province and summary) under the 5-95 % band of the total; ``abatement`` draws each
lever's wedge as a bar (width: median CO2 avoided, height: cost per tonne), cheapest first, one
panel per CO2 accounting named on its axis; both pass the layout and content checks of every
figure, and `sim plot` draws a wedges file and refuses an ensemble file for the curve."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from sim.analysis import abatement
from sim.analysis.costs import BN
from sim.core import labels
from sim.interfaces.cli import main
from sim.plots import costs as cost_plots
from sim.plots import figures as plots
from sim.results import netcdf
from sim.results.reading import ResultsFileError
from tests.plots.test_plot_layout import check_layout
from tests.plots.test_plots import assert_band, check_figure, line


@pytest.mark.parametrize("detail, kind", [("full", "sector"), ("province", "cost_item"),
                                          ("summary", "cost_item")])
def test_costs_stack_the_file_medians_under_the_band_of_the_total(opened, detail, kind):
    ds = opened[detail]
    fig = cost_plots.plot_costs(ds, "Anhui")
    check_figure(fig)
    ax = fig.axes[0]
    years = ds["year"].values
    if kind == "sector":  # per member: summed over the items, then the median of each sector
        parts = ds["cost"].sel(province="Anhui").sum("cost_item").transpose("member", "sector", "year")
        medians = np.median(parts.values, axis=0)
        names = ds["sector"].values
    else:
        by_item = ds["cost_by_item"].sel(region="Anhui")
        medians = (np.median(by_item.transpose("member", "cost_item", "year").values, axis=0)
                   if "member" in by_item.dims
                   else by_item.sel(quantile=0.5).transpose("cost_item", "year").values)
        names = ds["cost_item"].values
    assert [c.get_label() for c in ax.collections[:len(names)]] == [labels.label(kind, n) for n in names]
    top = np.cumsum(medians, axis=0) / BN  # each area spans from the one below to its top
    below = np.vstack([np.zeros(len(years)), top[:-1]])
    for i in range(len(names)):
        assert_band(ax.collections[i], years, below[i], top[i])
    total = ds["total_cost"].sel(region="Anhui")
    if "member" in total.dims:
        q = np.quantile(total.transpose("member", "year").values, [0.05, 0.5, 0.95], axis=0)
    else:
        q = total.sel(quantile=[0.05, 0.5, 0.95]).transpose("quantile", "year").values
    np.testing.assert_allclose(line(ax, "median of the total (total_cost)").get_ydata(), q[1] / BN,
                               rtol=1e-6)
    band = next(c for c in ax.collections if c.get_label() == "total, 5-95 % of members")
    assert_band(band, years, q[0] / BN, q[2] / BN)
    assert "bn CNY/yr, 2019 prices" in ax.get_ylabel()
    assert ("by sector" if kind == "sector" else "by item") in ax.get_title()


def test_costs_need_cost_variables(opened):
    with pytest.raises(ResultsFileError, match="missing variable.*total_cost"):
        cost_plots.plot_costs(opened["full"].drop_vars(["total_cost"]), "Anhui")
    with pytest.raises(ResultsFileError, match="cost_by_item"):
        cost_plots.plot_costs(opened["summary"].drop_vars(["cost_by_item"]), "Anhui")


def synthetic_wedges() -> xr.Dataset:
    """A wedges file by hand: four levers and the package; ``idle`` avoids nothing, ``demand``
    saves money, ``dearer`` costs more than ``cheap`` as paid but less without the carbon
    payments (``cheap`` is a carbon price); in scope1+2 ``cheap`` adds CO2."""
    levers = ["dearer", "idle", "cheap", "demand", abatement.ALL]
    avoided = np.array([[[1, 2, 3], [1, 2, 3]],
                        [[0, 0, 0], [0, 0, 0]],
                        [[3, 5, 9], [-4, -3, -1]],
                        [[8, 10, 12], [9, 11, 13]],
                        [[12, 16, 25], [6, 9, 15]]], dtype=float)
    per_t = np.array([[900, 800], [np.nan, np.nan], [120, np.nan], [-300, -250], [40, 90]])
    resource = np.array([[700, 800], [np.nan, np.nan], [1000, np.nan], [-300, -250], [30, 80]])
    extra = np.array([[1e9, 2e9, 3e9], [0, 0, 0], [0.5e9, 0.6e9, 1e9], [-4e9, -3e9, -2e9],
                      [-1e9, 0.5e9, 2e9]])
    ds = xr.Dataset({"co2_avoided": (("lever", "accounting", "quantile"), avoided, {"units": "Mt"}),
                     "extra_cost": (("lever", "quantile"), extra,
                                    {"units": "1", "discount_rate": 0.08}),
                     "extra_resource_cost": (("lever", "quantile"), extra * 0.9,
                                             {"units": "1", "discount_rate": 0.08}),
                     "abatement_cost": (("lever", "accounting"), per_t, {"units": "t-1"}),
                     "resource_abatement_cost": (("lever", "accounting"), resource,
                                                 {"units": "t-1"})},
                    coords={"lever": levers, "accounting": ["scope1", "scope1+2"],
                            "quantile": [0.05, 0.5, 0.95]},
                    attrs={"region": "Anhui", "window": "2025-2035", "scenario_name": "hand",
                           "members": 10, "seed": 1, "output_detail": "province",
                           "comment": abatement.INTERACTIONS})
    return ds


def test_the_curve_sorts_levers_by_cost_and_sizes_bars_by_co2_avoided():
    ds = synthetic_wedges()
    assert [b["lever"] for b in cost_plots.curve(ds, "scope1")] == ["demand", "dearer", "cheap"]
    assert [b["lever"] for b in cost_plots.curve(ds, "scope1", "paid")] == [
        "demand", "cheap", "dearer"]
    paid = cost_plots.plot_abatement(ds, basis="paid")
    assert [(p.get_x(), p.get_width(), p.get_height()) for p in paid.axes[0].patches] == [
        (0.0, 10.0, -300.0), (10.0, 5.0, 120.0), (15.0, 2.0, 900.0)]
    assert "as paid (with carbon payments)" in paid.axes[0].get_ylabel()
    fig = cost_plots.plot_abatement(ds)  # without the carbon payments (the resource cost)
    check_figure(fig)
    check_layout(fig)
    top, bottom = fig.axes
    assert "without carbon payments (resource cost)" in top.get_ylabel()
    assert [(p.get_x(), p.get_width(), p.get_height()) for p in top.patches] == [
        (0.0, 10.0, -300.0), (10.0, 2.0, 700.0), (12.0, 5.0, 1000.0)]
    assert [(p.get_x(), p.get_width(), p.get_height()) for p in bottom.patches] == [
        (0.0, 11.0, -250.0), (11.0, 2.0, 800.0)]
    # every CO2 axis names its accounting; the levers without a bar are named
    assert "direct + process - captured (scope1)" in top.get_xlabel()
    assert "with electricity, heat and hydrogen (scope1+2)" in bottom.get_xlabel()
    assert "not drawn, no CO2 avoided (median or mean): idle" in top.get_title()
    assert "cheap" in bottom.get_title() and "idle" in bottom.get_title()
    # the package's cost per tonne as a line
    assert line(top, "whole package against no policy: 30 CNY/t").get_ydata()[0] == 30.0
    assert "CNY/t CO2" in top.get_ylabel()


def test_the_curve_labels_levers_from_the_label_file(opened):
    ds = opened["full"]
    w = abatement.wedges(ds, {"eaf_share": opened["base_full"],
                              abatement.ALL: opened["base_full"]})
    fig = cost_plots.plot_abatement(w)
    check_figure(fig)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith(labels.label("lever", "eaf_share") + ":") for t in texts)
    zh = cost_plots.plot_abatement(w, lang="zh")
    assert any(t.get_text().startswith("短流程炼钢比例下限")
               for t in zh.axes[0].get_legend().get_texts())


def test_sim_plot_draws_a_wedges_file_and_refuses_an_ensemble_for_the_curve(files, tmp_path):
    path = netcdf.write_atomic(synthetic_wedges(), tmp_path / "hand_abatement.nc")
    out = tmp_path / "figures"
    res = CliRunner().invoke(main, ["plot", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["abatement.png"]
    res = CliRunner().invoke(main, ["plot", str(files["full"]), "--kind", "abatement", "--out",
                                    str(out)])
    assert res.exit_code == 2 and "is not a wedges file of sim abatement" in res.output
    assert len(res.output.strip().splitlines()) == 1
    with pytest.raises(ResultsFileError, match="missing variable"):
        plots.figures(synthetic_wedges(), ["fan"])
