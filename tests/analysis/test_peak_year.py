"""The year of "P(peak by <year>)" is the peak target's: a catalogue whose peak target is 2028
shows 2028 in the report (every format), the convergence check, the fan chart and the page; the
probability is that of the target's year; a file without a peak target falls back to the shipped
catalogue's."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analysis import convergence, peak, report
from sim.core import shipped
from sim.interfaces.cli import main
from sim.results.reading import open_results

MEMBERS = 24
YEAR = 2028


@pytest.fixture(scope="module")
def scenario_2028(tmp_path_factory) -> Path:
    """The shipped Anhui scenario beside a copy of the shipped catalogues whose peak targets
    (``condition = "peak_by"``) ask for the peak by 2028."""
    folder = tmp_path_factory.mktemp("peak2028")
    shutil.copytree(shipped.SHIPPED_DIR / "targets", folder / "targets")
    national = folder / "targets" / "national.toml"
    text = national.read_text(encoding="utf-8")
    assert text.count('year = 2030\ncondition = "peak_by"') == 2
    national.write_text(text.replace('year = 2030\ncondition = "peak_by"',
                                     f'year = {YEAR}\ncondition = "peak_by"'), encoding="utf-8")
    shutil.copy(shipped.SHIPPED_DIR / "anhui.toml", folder / "anhui.toml")
    return folder / "anhui.toml"


@pytest.fixture(scope="module")
def run_2028(scenario_2028) -> Path:
    out = scenario_2028.with_name("anhui.nc")
    res = CliRunner().invoke(main, ["run", str(scenario_2028), "--members", str(MEMBERS),
                                    "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def _peak_section(table: str) -> str:
    """The peak-year rows of the text report, up to the next section (costs, air pollutants,
    whose table has a 2030 column, or the administrative targets)."""
    start = table.index("Industrial CO2 peak year")
    ends = [table.find(s, start) for s in ("Costs,", "Air pollutants", "Administrative")]
    return table[start:min(e for e in ends if e > 0)]


def test_report_states_the_targets_year_in_every_format(run_2028):
    runner = CliRunner()
    table = runner.invoke(main, ["report", str(run_2028)]).output
    section = _peak_section(table)
    assert f"P(<={YEAR})" in section and "2030" not in section
    assert f"peak year <= {YEAR}" in table
    data = json.loads(runner.invoke(main, ["report", "--format", "json", str(run_2028)]).output)
    with open_results(run_2028) as ds:
        dist = ds["peak_year_probability"].sel(region="Anhui").values
        years = ds["year"].values
    for row in data["peak_years"]:
        assert row["year"] == YEAR and row["condition"] == f"peak year <= {YEAR}"
        assert row["condition_zh"] == f"达峰年份 ≤ {YEAR}"
    anhui = next(r for r in data["peak_years"] if r["region"] == "Anhui")
    assert anhui["probability"] == pytest.approx(dist[years <= YEAR].sum(), abs=1e-12)
    md = runner.invoke(main, ["report", "--format", "markdown", str(run_2028)]).output
    assert f"| P(<={YEAR}) |" in md
    csv = runner.invoke(main, ["report", "--format", "csv", str(run_2028)]).output
    assert all(f",{YEAR},peak year <= {YEAR}," in line for line in csv.splitlines()
               if line.startswith("peak_year,"))


def test_the_probability_is_that_of_the_targets_year(run_2028):
    """Moved to a year inside the peak-year distribution, the target's year changes the number."""
    with open_results(run_2028) as ds:
        ds = ds.load()
    dist = ds["peak_year_probability"].sel(region="Anhui").values
    years = ds["year"].values
    cdf = np.cumsum(dist)
    inside = int(years[np.argmax(cdf > 0.2)])  # a year by which some, not all, members peaked
    assert 0 < cdf[years == inside][0] < 1
    j = [str(c) for c in ds["target_condition"].values].index("peak_by")
    target_year = ds["target_year"].values.copy()
    target_year[j] = inside
    moved = ds.assign_coords(target_year=("target", target_year))
    row = report.peak_rows(moved, ["Anhui"])[0]
    assert row["year"] == inside
    assert row["probability"] == pytest.approx(cdf[years == inside][0], abs=1e-12)
    assert row["text"]["probability"] == f"{cdf[years == inside][0]:.0%}"


def test_convergence_and_the_fan_chart_state_the_targets_year(run_2028):
    pytest.importorskip("matplotlib")
    from sim.plots import ensemble as ensemble_plots

    with open_results(run_2028) as ds:
        c = convergence.compare(ds)
        fig = ensemble_plots.plot_fan(ds)
        row = report.peak_rows(ds, ["Anhui"])[0]
    stats = {r.statistic for r in c.rows if r.item == "Anhui"}
    assert f"P(peak<={YEAR})" in stats and "P(peak<=2030)" not in stats
    assert f"P(peak<={YEAR})" in convergence.format_table(c)
    side = fig.axes[1]
    marks = [ln for ln in side.lines if ln.get_label().startswith("P(peak <=")]
    assert len(marks) == 1
    assert marks[0].get_label() == f"P(peak <= {YEAR}) = {row['text']['probability']}"
    assert marks[0].get_xdata()[0] == YEAR + 0.5


def test_the_page_states_the_targets_year(scenario_2028):
    pytest.importorskip("starlette")
    from sim.interfaces.web import session

    s = session.Session("0" * 32, session.load_source(scenario_2028), Path("unused"), 20)
    result = s.change(s.next_generation(), reset=True)["result"]
    assert result["peak_by"] == YEAR
    for which in ("scenario", "reference"):  # the page compares with a reference run
        assert result["peak"][which]["year"] == YEAR
        assert result["peak"][which]["condition"] == f"peak year <= {YEAR}"
    assert result["co2"]["year"] == YEAR
    target = next(r for r in result["targets"] if r["id"].startswith("industry_peak"))
    assert target["condition"] == f"peak year <= {YEAR}" and target["year"] == YEAR


def test_a_file_without_a_peak_target_takes_the_shipped_catalogues_year(run_2028):
    with open(shipped.SHIPPED_DIR / "targets" / "national.toml", "rb") as f:
        first = next(t for t in tomllib.load(f)["target"]
                     if t["condition"] == "peak_by" and t["indicator"] == "industrial_co2")
    with open_results(run_2028) as ds:
        keep = [j for j, c in enumerate(ds["target_condition"].values) if str(c) != "peak_by"]
        without = ds.isel(target=keep)
        assert peak.peak_by_year(ds) == YEAR
        assert peak.peak_by_year(without) == first["year"] == peak.catalogue_peak_year()
        assert report.peak_rows(without, ["Anhui"])[0]["year"] == first["year"]
