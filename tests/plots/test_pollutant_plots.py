"""The pollutants figure (sim.plots.pollutants, issue #27): from an ensemble file, the medians and
bands of industrial CO2 and each air pollutant as the file holds them at every detail, with the
baseline's median; from a wedges file, each lever's CO2 avoided and its pollutants avoided per t
CO2, as the file holds them, levers without CO2 avoided labelled instead of drawn; `sim plot`
draws both kinds of file."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analysis import abatement
from sim.interfaces.cli import main
from sim.plots import figures as plots
from sim.plots import pollutants as pollutant_plots
from sim.results import netcdf
from sim.results.reading import ResultsFileError
from tests.plots.test_cost_plots import synthetic_wedges
from tests.plots.test_plot_layout import check_layout
from tests.plots.test_plots import _stat, assert_band, band, check_figure, line


@pytest.mark.parametrize("detail", ["full", "province", "summary"])
def test_trajectories_are_the_file_quantiles(opened, detail):
    ds, base = opened[detail], opened["base_full"]
    fig = pollutant_plots.plot_pollutants(ds, baseline=base)
    check_figure(fig)
    check_layout(fig)
    co2_ax, *axes = fig.axes
    assert len(axes) == 3
    years = ds["year"].values
    co2 = ds["industrial_co2"].sel(region="Anhui")
    np.testing.assert_allclose(line(co2_ax, "median").get_ydata(), _stat(ds, co2, 0.5), rtol=1e-6)
    for ax, p in zip(axes, ("SO2", "NOx", "PM")):
        da = ds["industrial_pollutants"].sel(region="Anhui", pollutant=p)
        np.testing.assert_allclose(line(ax, "median").get_ydata(), _stat(ds, da, 0.5) / 1e3, rtol=1e-6)
        assert_band(band(ax, "5-95 %"), years, _stat(ds, da, 0.05) / 1e3, _stat(ds, da, 0.95) / 1e3)
        baseline = base["industrial_pollutants"].sel(region="Anhui", pollutant=p).values
        (dashed,) = [ln for ln in ax.lines if ln.get_label().startswith("baseline median")]
        np.testing.assert_allclose(dashed.get_ydata(), np.median(baseline, axis=0) / 1e3, rtol=1e-6)
        assert "[kt/yr]" in ax.get_ylabel() and "Anhui" in ax.get_title()
    assert "[Mt CO2/yr]" in co2_ax.get_ylabel()


def _with_pollutants(ds):
    """The synthetic wedges with pollutants by hand: ``idle`` avoids nothing (no ratio),
    ``cheap`` avoids CO2 and pollutants."""
    levers = list(ds["lever"].values)
    avoided = np.zeros((len(levers), 3, 3))
    per_t = np.full((len(levers), 3, 2), np.nan)
    for i, lever in enumerate(levers):
        if lever != "idle":
            avoided[i] = [[1e3 * (i + 1), 2e3 * (i + 1), 3e3 * (i + 1)]] * 3
            per_t[i, :, 0] = [0.5 * (i + 1), 0.7 * (i + 1), 0.2 * (i + 1)]
    return ds.assign(
        pollutant_avoided=(("lever", "pollutant", "quantile"), avoided, {"units": "t"}),
        pollutant_per_co2=(("lever", "pollutant", "accounting"), per_t, {"units": "kg t-1"}),
    ).assign_coords(pollutant=["SO2", "NOx", "PM"])


def test_co_benefits_draw_the_wedges_file():
    ds = _with_pollutants(synthetic_wedges())
    rows = pollutant_plots.co_benefits(ds)
    assert [r["lever"] for r in rows] == ["demand", "dearer", "cheap", "idle", abatement.ALL]
    fig = pollutant_plots.plot_pollutants(ds)
    check_figure(fig)
    check_layout(fig)
    co2_ax, so2, nox, pm = fig.axes
    # top to bottom in the order of the rows; the CO2 bars are the medians (scope1)
    widths = [p.get_width() for p in sorted(co2_ax.patches, key=lambda p: -p.get_y())]
    assert widths == [10.0, 2.0, 5.0, 0.0, 16.0]
    for ax, j in ((so2, 0), (nox, 1), (pm, 2)):
        bars = sorted(ax.patches, key=lambda p: -p.get_y())
        want = [float(ds["pollutant_per_co2"].sel(lever=r["lever"], accounting="scope1")[j])
                for r in rows if r["lever"] != "idle"]
        assert [b.get_width() for b in bars] == pytest.approx(want)  # idle has no bar
        texts = [t.get_text() for t in ax.texts]
        assert "0.0 kt, no CO2 avoided" in texts
        i = list(ds["lever"].values).index("demand")
        assert f"{2e3 * (i + 1) / 1e3:,.1f} kt" in texts  # the median avoided
        assert "[kg/t]" in ax.get_xlabel()


def test_wedges_without_pollutants_are_refused_and_skipped(tmp_path):
    with pytest.raises(ResultsFileError, match="missing variable pollutant_avoided"):
        pollutant_plots.plot_pollutants(synthetic_wedges())
    path = netcdf.write_atomic(_with_pollutants(synthetic_wedges()), tmp_path / "hand.nc")
    out = tmp_path / "figures"
    res = CliRunner().invoke(main, ["plot", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["abatement.png", "pollutants.png"]


def test_co_benefits_of_real_runs(opened):
    ds = opened["full"]
    w = abatement.wedges(ds, {"eaf_share": opened["base_full"], abatement.ALL: opened["base_full"]})
    fig = plots.figures(w, ["pollutants"])[0][1]
    check_figure(fig)
    so2 = fig.axes[1]
    bars = sorted(so2.patches, key=lambda p: -p.get_y())
    want = w["pollutant_per_co2"].sel(pollutant="SO2", accounting="scope1").values
    assert [b.get_width() for b in bars] == pytest.approx([float(x) for x in want if np.isfinite(x)])
