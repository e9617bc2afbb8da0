"""The 2015 -> 2019 hindcast against CEADs 2019, with the goals of issue #6 as bounds."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analysis import hindcast
from sim.core import axes
from sim.interfaces.cli import main


@pytest.fixture(scope="module")
def fitted():
    return hindcast.run(fitted=True)


@pytest.fixture(scope="module")
def nominal():
    return hindcast.run(fitted=False)


def _sector(h, name):
    return next(r for r in h.sector_table() if r["sector"] == name)


@pytest.mark.xfail(strict=True, reason=(
    "issues #12 and #22: national CO2 2019 +6.2 % (+204 Mt). Term by term (docs/calibration.md): "
    "iron and steel +178 Mt (NBS crude steel +27 %, CEADs CO2 per t -15 %, the model's energy per "
    "t -6 %), petroleum and coking +74 Mt (output +6 %, CEADs CO2 -24 %, a change of allocation in "
    "Chongqing and Sichuan), the rest -48 Mt. Not tuned: that would fit 2016-2019."))
def test_national_industrial_co2_2019_within_5_percent(fitted):
    assert abs(fitted.national_error) <= 0.05, fitted.national_error


@pytest.mark.parametrize("sector", ["iron_steel", "nonmetallic_minerals"])
def test_median_province_error_within_15_percent(fitted, sector):
    assert _sector(fitted, sector)["median_ape"] <= 0.15


@pytest.mark.xfail(strict=True, reason=(
    "CEADs provincial chemicals CO2 jumps between 2015 and 2019 (Anhui 13.5 -> 0.8 Mt, Inner "
    "Mongolia 3.2 -> 8.3 Mt): even 2015 x the observed national ratio misses by 28 % (median); "
    "no model driven by provincial value added reaches 15 %. See README, hindcast."))
def test_chemicals_median_province_error_within_15_percent(fitted):
    assert _sector(fitted, "chemicals")["median_ape"] <= 0.15


@pytest.mark.parametrize("sector", ["iron_steel", "nonmetallic_minerals", "chemicals"])
def test_model_beats_persistence_where_it_has_activity_data(fitted, sector):
    """The dynamics add information: better than forecasting 2019 = 2015 for the goal sectors."""
    row = _sector(fitted, sector)
    assert row["median_ape"] < row["persistence"]


def test_the_fit_improves_the_national_hindcast_over_the_nominal_parameters(fitted, nominal):
    assert abs(fitted.national_error) < abs(nominal.national_error)


@pytest.mark.parametrize("sector", [
    "iron_steel", "chemicals",
    pytest.param("nonmetallic_minerals", marks=pytest.mark.xfail(strict=True, reason=(
        "issue #22: with cement's share of the sector's energy derived from the data (1 in most "
        "provinces in 2010 and 2015: the clinker's fuel exceeds CEADs' sector energy) the sector's "
        "energy follows cement, flat 2015-2019, instead of 0.7 cement + 0.3 rising glass; the fitted "
        "efficiency gain then under-predicts more provinces: median APE 9.3 % fitted against 6.3 % "
        "nominal (5.4 % and 6.2 % with the assumed 0.7). Still inside the 15 % goal. "
        "docs/calibration.md")))])
def test_the_fit_improves_the_hindcast_over_the_nominal_parameters(fitted, nominal, sector):
    assert _sector(fitted, sector)["median_ape"] < _sector(nominal, sector)["median_ape"]


def test_statistics_follow_their_definitions(fitted):
    """APE, medians and the national error recomputed by hand from the arrays."""
    inc = fitted.included
    assert inc.sum() > 200 and not inc[axes.PROVINCES.index("Tibet")].any()
    s = axes.SECTORS.index("iron_steel")
    k = inc[:, s]
    ape = np.abs(fitted.model[k, s] / fitted.observed[k, s] - 1)
    assert _sector(fitted, "iron_steel")["median_ape"] == pytest.approx(np.median(ape))
    cover = np.isfinite(fitted.observed)
    assert fitted.national_error == pytest.approx(
        fitted.model[cover].sum() / fitted.observed[cover].sum() - 1)
    # CEADs 2019 in-scope total of the calibration (calibration/base_2019): 3281.5 Mt
    assert np.nansum(fitted.observed) == pytest.approx(3281.5, abs=0.1)
    assert -0.3 < fitted.intensity_change < 0.0
    rows = {r["province"]: r for r in fitted.province_table()}
    assert len(rows) == 30 and "Tibet" not in rows
    p = axes.PROVINCES.index("Hebei")
    assert rows["Hebei"]["model"] == pytest.approx(np.nansum(np.where(cover[p], fitted.model[p], 0)))
    assert rows["Hebei"]["median_ape"] == pytest.approx(np.median(fitted.ape[p][inc[p]]))
    assert sum(r["model"] for r in rows.values()) == pytest.approx(fitted.model[cover].sum())


@pytest.mark.slow  # `sim hindcast` twice, with its figure: ~6 s
def test_cli_prints_the_report_and_writes_the_plot(tmp_path):
    out = tmp_path / "hindcast.png"
    res = CliRunner().invoke(main, ["hindcast", "--plot", str(out)])
    assert res.exit_code == 0, res.output
    assert "national industrial CO2 2019" in res.output and "median APE" in res.output
    assert "-16% for 2016-2020" in res.output
    assert out.stat().st_size > 10_000
    res = CliRunner().invoke(main, ["hindcast", "--check"])
    assert res.exit_code == 1 and "goals missed:" in res.output and "chemicals" in res.output
    assert "the band contains CEC" in res.output and "province x sector cells above 1 Mt" in res.output
    res = CliRunner().invoke(main, ["hindcast", "--plot", str(tmp_path / "x.gif")])
    assert res.exit_code == 2 and "x.gif" in res.output


# --- the ensemble: uncertainty calibrated on coverage (issue #12 §5) ---------------------------------
@pytest.fixture(scope="module")
def coverage():
    return hindcast.ensemble(members=300)


def test_the_hindcast_uses_only_the_2010_2015_fit():
    """Out of sample: the parameters and the discrepancy sigmas come from a fit that ended in 2015."""
    from sim.data.base_state import read_fitted

    doc = read_fitted(hindcast.PARAMETER_FILE)
    assert doc["meta"]["window"] == [2010, 2015]
    assert all(not d.endswith(("2019", "2016-2019")) for d in doc["meta"]["data"])
    assert set(doc["discrepancy"]["sigma"]) == set(axes.SECTORS)
    assert "fitted_2010_2015.toml" in hindcast.base_state().parameter_source


def test_co2_band_covers_80_to_95_percent_of_cells_above_1_mt(coverage):
    assert coverage.co2_cells.sum() > 150
    assert 0.80 <= coverage.co2_coverage <= 0.95, coverage.co2_coverage


def test_electricity_band_covers_70_to_95_percent_of_sector_years(coverage):
    assert coverage.elec_cells.sum() == 4 * (len(axes.SECTORS) - 1)  # non-ferrous: series break
    assert 0.70 <= coverage.elec_coverage <= 0.95, coverage.elec_coverage


def test_coverage_follows_its_definition(coverage):
    o = coverage.observed
    k = np.isfinite(o) & (np.nan_to_num(o) > 1.0)
    inside = (o[k] >= coverage.co2_band[0][k]) & (o[k] <= coverage.co2_band[1][k])
    assert coverage.co2_coverage == pytest.approx(inside.mean())
    assert np.all(coverage.co2_band[0] <= coverage.co2_median + 1e-9)
    assert np.all(coverage.co2_median <= coverage.co2_band[1] + 1e-9)


def test_discrepancy_is_keyed_on_member_and_one_at_the_start():
    sigma = np.full(len(axes.SECTORS), 0.05)
    a = hindcast.discrepancy_factor(sigma, range(2015, 2020), 6, 7, 3)
    b = hindcast.discrepancy_factor(sigma, range(2015, 2020), 4, 7, 3)
    np.testing.assert_array_equal(a[:4], b)  # member i's draw does not depend on the count
    assert np.all(a[..., 0] == 1.0) and np.all(a[0] == 1.0)
    assert np.all(a[1:, :, :, 1:] != 1.0)
    # log factor grows as sqrt(t)
    np.testing.assert_allclose(np.log(a[1:, :, :, 4]), 2 * np.log(a[1:, :, :, 1]))


# --- the shipped baseline: efficiency that plants can reach (issue #12 "Done when") -----------------
@pytest.fixture(scope="module")
def baseline_300():
    from pathlib import Path

    from sim.model import run as model
    from sim.scenario import load_scenario

    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml")
    return model.run(model.prepare(sc, members=300))


def _energy_per_unit_ratio(ds, sector):
    fe = ds["final_energy"].sel(sector=sector).sum(["carrier", "province"])
    prod = ds["production"].sel(route=list(axes.ROUTE_NAMES[sector])).sum(["route", "province"])
    i = fe / prod
    return (i.sel(year=2035) / i.sel(year=2019)).values


@pytest.mark.parametrize("sector", ["nonferrous", "nonmetallic_minerals"])
def test_baseline_energy_per_unit_2035_p5_at_least_60_percent_of_2019(baseline_300, sector):
    assert np.percentile(_energy_per_unit_ratio(baseline_300, sector), 5) >= 0.60


def test_baseline_steel_energy_per_unit_2035_p5_at_least_60_percent_of_2019(baseline_300):
    assert np.percentile(_energy_per_unit_ratio(baseline_300, "iron_steel"), 5) >= 0.60


# --- skill against naive forecasts (issue #22) --------------------------------------------------------
@pytest.fixture(scope="module")
def skills(coverage):
    return hindcast.skill(coverage)


@pytest.mark.parametrize("scope", ["cells", "provinces"])
def test_crps_skill_positive_against_persistence_and_trend(skills, scope):
    """The out-of-sample ensemble beats both naive forecasts in CRPS, for province x sector cells
    above 1 Mt and for province totals."""
    k = getattr(skills, scope)
    assert k.skill_persistence > 0, k
    assert k.skill_trend > 0, k


@pytest.mark.xfail(strict=True, reason=(
    "issue #22: 0.5996 with the refit on real growth (0.614 with these drivers and the fit of the "
    "former ones). The largest rank misses are CEADs breaks, not growth: Yunnan's non-metallic CO2 "
    "34.6 -> 13.7 Mt while its cement grew 38 %, Chongqing's and Sichuan's petroleum and coking "
    "5.4 -> 0.1 and 18.6 -> 5.4 Mt on a national output index of +6 %; Jiangsu's steel +31 % on "
    "crude steel +9 %. Not tuned: that would fit 2016-2019 (docs/calibration.md)"))
def test_provinces_co2_growth_rank_correlation_at_least_0_6(skills):
    assert len(skills.province_growth) == 30
    assert skills.spearman >= 0.6, skills.spearman


def test_skill_follows_its_definitions(coverage, skills):
    """CRPS recomputed by hand (the energy form E|X - y| - E|X - X'|/2 over the members) for a few
    cells; a one-value forecast's CRPS is its absolute error; the trend is the least-squares line."""
    from sim.data.history import load_history

    history = load_history()
    persistence, trend = hindcast.naive_forecasts(history)
    cells = coverage.co2_cells
    obs = coverage.observed[cells]
    x = coverage.co2_members[:, cells]
    for j in (0, 17, 90):
        m = x[:, j]
        want = np.abs(m - obs[j]).mean() - 0.5 * np.abs(m[:, None] - m[None]).mean()
        assert hindcast.crps(obs[j:j + 1], m[:, None])[0] == pytest.approx(want, rel=1e-9)
    assert skills.cells.crps_persistence == pytest.approx(np.abs(persistence[cells] - obs).mean())
    assert skills.cells.crps_trend == pytest.approx(np.abs(trend[cells] - obs).mean())
    p, s = axes.PROVINCES.index("Hebei"), axes.SECTORS.index("iron_steel")
    y = [np.nansum(history.co2[history.index(t), p, s]) for t in range(2010, 2016)]
    line = np.polyfit(np.arange(2010, 2016), y, 1)
    assert trend[p, s] == pytest.approx(max(np.polyval(line, 2019), 0.0))
    assert persistence[p, s] == pytest.approx(np.nansum(history.co2[history.index(2015), p, s]))
    assert skills.cells.n == cells.sum() and skills.provinces.n == 30


def test_cli_writes_the_skill_file(tmp_path):
    import json

    out = tmp_path / "skill.json"
    res = CliRunner().invoke(main, ["hindcast", "--members", "40", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "CRPS" in res.output and "Spearman" in res.output
    doc = json.loads(out.read_text())
    stats = {(r["scope"], r["statistic"]) for r in doc["rows"]}
    assert {("cells", "skill_persistence"), ("provinces", "skill_trend"),
            ("provinces", "spearman_co2_growth"), ("cells", "co2_coverage_5_95")} <= stats
    res = CliRunner().invoke(main, ["hindcast", "--members", "40", "--out", str(tmp_path / "skill.csv")])
    assert res.exit_code == 0 and (tmp_path / "skill.csv").read_text().startswith("scope,statistic,value,n")
    for bad in (["--out", str(tmp_path / "skill.txt")], ["--out", str(tmp_path)],
                ["--members", "0", "--out", str(tmp_path / "s.csv")]):
        res = CliRunner().invoke(main, ["hindcast", *bad])
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
