"""The report's air-pollutant section (issue #27): the industrial SO2, NOx and PM quantiles and
the pollutant-intensity target computed by hand from a small national run's members, the same
at every output detail, and the list of simulated and trend targets."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analysis import report
from sim.core.indicators import POLLUTANT_KEY_SECTORS
from sim.interfaces.cli import main
from sim.results.reading import open_results
from sim.scenario import load_scenario
from tests.helpers.result_files import REPO, write_scenario_results
from tests.helpers.scenarios import shipped_variant

TARGET = "pollutant_intensity_2025"
ULE = "".join(f"\n[levers.ultra_low_emission.sector.{s}]\n2024 = 0.0\n2025 = 0.25\n2028 = 0.8\n"
              for s in ("nonmetallic_minerals", "petroleum_coking"))
"""Cement and coking ultra-low-emission retrofits, at the national scenario's pace."""


@pytest.fixture(scope="module")
def national(national_results):
    return national_results  # tests/conftest.py: 7 members, seed 3, 31 provinces


def test_pollutant_rows_are_the_quantiles_of_the_members(national):
    with open_results(national["full"]) as ds:
        rows = report.pollutant_rows(ds)
        by_sector = ds["pollutant_emissions"].load()  # member, province, sector, pollutant, year
    assert [(r["region"], r["pollutant"]) for r in rows] == [("national", p) for p in ("SO2", "NOx", "PM")]
    for r in rows:
        assert r["years"] == [2020, 2025, 2030] and r["units"] == "t yr-1"
        # by hand: the national total of every member = its sum over provinces and sectors
        members = by_sector.sel(pollutant=r["pollutant"], year=r["years"]).sum(["province", "sector"])
        want = np.quantile(members.values.astype(float), [0.05, 0.5, 0.95], axis=0)
        np.testing.assert_allclose([r["p05"], r["median"], r["p95"]], want, rtol=1e-5)
        assert r["text"]["median"] == [f"{x / 1e4:.3g}" for x in r["median"]]  # 10^4 t
    # the other details give the same numbers (stored quantiles or members of the total)
    for detail in ("province", "summary"):
        with open_results(national[detail]) as ds:
            other = report.pollutant_rows(ds)
        for a, b in zip(rows, other):
            np.testing.assert_allclose(b["median"], a["median"], rtol=1e-6)
            np.testing.assert_allclose(b["p95"], a["p95"], rtol=1e-6)


def test_pollutant_target_by_hand(national):
    """Key-sector intensity, mean over the pollutants of (emission / value added) in 2025 over
    2020, minus 1, per member; P(attain) is the share of members at or below -10 %."""
    with open_results(national["full"]) as ds:
        (row,) = report.pollutant_targets(ds)
        key = list(POLLUTANT_KEY_SECTORS)
        e = ds["pollutant_emissions"].sel(sector=key).sum(["province", "sector"]).astype(float)
        va = ds["value_added"].sel(sector=key).sum(["province", "sector"]).astype(float)
        intensity = e / va
        change = ((intensity.sel(year=2025) / intensity.sel(year=2020)).mean("pollutant") - 1).values
        text = report.format_table(ds)
    assert row["id"] == TARGET and row["status"] == "simulated"
    np.testing.assert_allclose([row["p05"], row["median"], row["p95"]],
                               np.quantile(change, [0.05, 0.5, 0.95]), rtol=1e-4)
    p = float(np.mean(change <= -0.10))
    assert row["probability"] == p
    if 0 < p < 1:
        assert row["standard_error"] == pytest.approx(np.sqrt(p * (1 - p) / 7))
    else:  # every member attains (or none): the rule of three bounds the error
        assert row["rule_of_three"] == pytest.approx(3 / 7)
    assert (f"{TARGET} (simulated): change <= -10.0%, median {row['text']['median']}"
            in text)
    assert f"P(attain) {row['text']['probability']} (s.e. {row['text']['standard_error']})" in text


def test_the_report_says_which_targets_are_simulated_and_which_are_trends(national):
    with open_results(national["full"]) as ds:
        status = dict(zip(map(str, ds["target"].values), map(str, ds["target_status"].values)))
        text = report.format_table(ds)
        markdown = report.format_markdown(ds)
        data = json.loads(report.format_json(ds))
        table = list(csv.DictReader(io.StringIO(report.format_csv(ds))))
    trend = [t for t, s in status.items() if s == "trend"]
    assert trend and TARGET not in trend  # solid waste, green factories, water stay trends
    line = ("Still trends (exogenous trajectories with uncertain rates, not model output): "
            + ", ".join(trend) + ".")
    assert line in text and line in markdown
    n_sim = sum(s == "simulated" for s in status.values())
    assert f"Simulated from the model's physics: {n_sim} of {len(status)} targets" in text
    assert data["trend"] == trend and TARGET in data["simulated"]
    assert len(data["simulated"]) == n_sim
    # the pollutant rows in every format
    assert "Air pollutants of the modelled sectors, 10^4 t/yr" in text
    assert "### Air pollutants (10^4 t/yr" in markdown
    assert [r["pollutant"] for r in data["pollutants"]] == ["SO2", "NOx", "PM"]
    rows = [r for r in table if r["section"] == "pollutant"]
    assert len(rows) == 9  # 3 pollutants x 3 years
    so2 = next(r for r in rows if r["id"] == "SO2" and r["year"] == "2025")
    assert float(so2["median"]) == pytest.approx(data["pollutants"][0]["median"][1], rel=1e-12)


def test_files_without_pollutants_report_as_before(national, tmp_path):
    with open_results(national["summary"]) as ds:
        old = ds.drop_vars(["industrial_pollutants", "pollutant_emissions"]).load()
    path = tmp_path / "old.nc"
    old.to_netcdf(path)
    res = CliRunner().invoke(main, ["report", str(path)])
    assert res.exit_code == 0, res.output
    assert "Air pollutants" not in res.output and "Still trends" in res.output


@pytest.fixture(scope="module")
def retrofits(tmp_path_factory):
    """Anhui as shipped and with cement and coking ULE retrofits: 8 members of one design."""
    folder = tmp_path_factory.mktemp("ule")
    base = write_scenario_results(folder, load_scenario(REPO / "scenarios" / "anhui.toml"), 8, 4,
                                  ("full",))
    ule = write_scenario_results(folder, shipped_variant(folder, "ule", ULE), 8, 4, ("full",))
    return base["full"], ule["full"]


def test_the_report_shows_the_effect_of_retrofits_against_a_baseline(retrofits):
    """sim report FILE --baseline BASE: the pollutants the baseline emits more, member by member
    (common random numbers), by hand; cement and coking ULE cut NOx in every member."""
    base_path, ule_path = retrofits
    with open_results(ule_path) as ds, open_results(base_path) as base:
        rows = report.pollutants_avoided(ds, base)
        diff = (base["industrial_pollutants"] - ds["industrial_pollutants"]).sel(region="Anhui")
        diff = diff.transpose("member", "pollutant", "year").load()
        text = report.format_table(ds, baseline=base)
        data = report.report_data(ds, base)
    assert [r["pollutant"] for r in rows] == ["SO2", "NOx", "PM"]
    for r in rows:
        assert r["years"] == [2025, 2030]
        per_member = diff.sel(pollutant=r["pollutant"], year=[2025, 2030]).values.astype(float)
        want = np.quantile(per_member, [0.05, 0.5, 0.95], axis=0)
        np.testing.assert_allclose([r["p05"], r["median"], r["p95"]], want, rtol=1e-5, atol=1e-3)
        assert f"    {r['pollutant']:<4} " + "; ".join(r["text"]) in text
    nox = diff.sel(pollutant="NOx", year=2030).values
    assert (nox > 0).all()  # cement kilns' NOx: the retrofits' largest effect
    assert "against the baseline" in text and "avoided (baseline minus scenario per member" in text
    assert data["pollutants_avoided"][1]["median"] == pytest.approx(rows[1]["median"])
