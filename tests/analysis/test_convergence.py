"""How many members are enough: Monte-Carlo standard errors in the report, and `--converge`
(first n/2 members against all n) with a verdict that follows the tolerance."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from sim.analysis import convergence, report
from sim.interfaces.cli import main
from sim.results.reading import open_results
from tests.helpers.result_files import write_results


def test_standard_error_by_hand():
    assert convergence.standard_error(0.45, 20) == pytest.approx(0.111243, abs=1e-6)  # sqrt(.2475/20)
    assert convergence.standard_error(0.5, 1000) == pytest.approx(0.0158114, abs=1e-7)
    assert convergence.rule_of_three(0.45, 20) is None
    assert convergence.rule_of_three(1.0, 300) == pytest.approx(0.01)
    assert convergence.rule_of_three(0.0, 300) == pytest.approx(0.01)
    assert convergence.rule_of_three(1.0 - 1e-12, 300) == pytest.approx(0.01)  # a sum of shares
    assert convergence.error_text(0.45, 20) == "11.1%"
    assert convergence.error_text(1.0, 300) == "<1.0%"
    assert convergence.error_text(float("nan"), 20) == "n/a"


def synthetic(n: int = 20) -> xr.Dataset:
    """n members: target t attained by 6 of the first 10 and 3 of the last 10 (P(n/2) = 0.6,
    P(n) = 0.45); its value rises with the member index; peak years 2021 (first half) and 2025
    (second half) in one region."""
    att = np.zeros(n)
    att[[0, 1, 2, 3, 4, 5, 10, 11, 12]] = 1.0
    years = np.arange(2019, 2036)
    peak = np.where(np.arange(n) < n // 2, 2021, 2025)
    return xr.Dataset(
        dict(target_attained=(("member", "target"), att[:, None]),
             target_value=(("member", "target"), np.linspace(1.0, 2.0, n)[:, None]),
             target_units=("target", ["1"]),
             peak_year=(("member", "region"), peak[:, None])),
        coords=dict(member=np.arange(n), target=["t"], region=["national"], year=years))


def _row(c, item, statistic):
    return next(r for r in c.rows if r.item == item and r.statistic == statistic)


def test_compare_by_hand():
    c = convergence.compare(synthetic(), tolerance=0.2, quantile_tolerance=0.5)
    p = _row(c, "t", "P(attain)")
    assert (p.half, p.full, p.change) == pytest.approx((0.6, 0.45, 0.15))
    assert p.standard_error == pytest.approx(np.sqrt(0.45 * 0.55 / 20))
    med = _row(c, "t", "median")  # values 1 .. 2 in 20 steps: median of the first 10 vs all 20
    v = np.linspace(1.0, 2.0, 20)
    q = np.quantile(v, [0.05, 0.5, 0.95])
    assert med.half == pytest.approx(np.median(v[:10])) and med.full == pytest.approx(1.5)
    assert med.change == pytest.approx(abs(np.median(v[:10]) - 1.5) / max(1.5, q[2] - q[0]))
    peak = _row(c, "national", "P(peak<=2030)")
    assert (peak.half, peak.full) == (1.0, 1.0)
    cdf = _row(c, "national", "peak-year CDF")  # F(2021..2024): 1 (half) vs 0.5 (all)
    assert cdf.change == pytest.approx(0.5) and cdf.moves
    assert not c.enough
    # the verdict flips with the tolerances
    assert convergence.compare(synthetic(), 0.1, 0.5).rows[0].moves  # 0.15 > 0.1
    assert not convergence.compare(synthetic(), 0.2, 0.5).rows[0].moves
    assert convergence.compare(synthetic(), 0.6, 0.5).enough
    assert not convergence.compare(synthetic(), 0.6, 0.1).enough  # the median moves 17.5 %


def test_members_are_compared_in_draw_order():
    ds = synthetic()
    shuffled = ds.isel(member=np.random.default_rng(0).permutation(20))
    a, b = convergence.compare(ds), convergence.compare(shuffled)
    assert [(r.half, r.full) for r in a.rows] == [(r.half, r.full) for r in b.rows]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_results(tmp_path_factory.mktemp("converge"), "anhui", members=40, seed=11,
                         details=("province", "summary"))


def test_report_states_the_standard_error_of_every_probability(files):
    with open_results(files["summary"]) as ds:
        n = int(ds.attrs["members"])
        rows, peaks = report.target_rows(ds), report.peak_rows(ds)
        table = report.format_table(ds)
        data = json.loads(report.format_json(ds))
        text = report.format_csv(ds)
        md = report.format_markdown(ds)
    assert n == 40
    for r in rows + peaks:
        p = r["probability"]
        assert r["standard_error"] == pytest.approx(np.sqrt(p * (1 - p) / 40), abs=1e-12)
        assert r["rule_of_three"] == (pytest.approx(3 / 40) if p in (0.0, 1.0) or abs(p - 1) < 1e-9
                                      else None)
    assert "s.e." in table and "sqrt(P(1-P)/n) with n = 40" in table and "rule of three" in table
    eaf = next(r for r in rows if r["id"] == "anhui_eaf_share_2030")
    line = next(x for x in table.splitlines() if x.startswith("anhui_eaf_share_2030"))
    assert convergence.error_text(eaf["probability"], 40) in line
    assert [t["standard_error"] for t in data["targets"]] == pytest.approx(
        [r["standard_error"] for r in rows])
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    assert "standard_error" in csv_rows[0] and "rule_of_three" in csv_rows[0]
    peak_csv = [r for r in csv_rows if r["section"] == "peak_year"]
    assert [float(r["standard_error"]) for r in peak_csv] == pytest.approx(
        [p["standard_error"] for p in peaks])
    assert "| P(attain) | s.e. |" in md and "| P(<=2030) | s.e. |" in md
    # the same report at every detail (the s.e. uses the member count, not the detail)
    with open_results(files["province"]) as ds:
        assert report.format_table(ds).split("\n", 1)[1] == table.split("\n", 1)[1]


def test_converge_verdict_follows_the_tolerance(files):
    with open_results(files["province"]) as ds:
        c = convergence.compare(ds)
    probs = [r.change for r in c.rows if r.kind == "probability"]
    quants = [r.change for r in c.rows if r.kind == "quantile"]
    worst_p, worst_q = max(probs), max(quants)
    assert worst_p > 0 and worst_q > 0  # 20 of 40 members: something moves
    run = CliRunner().invoke
    res = run(main, ["report", str(files["province"]), "--converge", "--tolerance",
                     f"{min(1.0, worst_p + 1e-3)}", "--quantile-tolerance", f"{worst_q + 1e-3}"])
    assert res.exit_code == 0, res.output
    assert "Convergence: the first 20 members" in res.output
    assert "Verdict: 40 members are enough" in res.output
    res = run(main, ["report", str(files["province"]), "--converge", "--tolerance",
                     f"{worst_p * 0.99}", "--quantile-tolerance", f"{worst_q + 1e-3}"])
    assert res.exit_code == 0 and "Verdict: 40 members are NOT enough" in res.output
    res = run(main, ["report", str(files["province"]), "--converge", "--format", "json",
                     "--tolerance", f"{worst_p * 0.99}"])
    data = json.loads(res.output)
    assert data["convergence"]["enough"] is False and data["convergence"]["half"] == 20
    assert data["targets"] and data["convergence"]["suggested_members"] > 40


def test_converge_needs_members(files, tmp_path):
    run = CliRunner().invoke
    res = run(main, ["report", str(files["summary"]), "--converge"])
    assert res.exit_code == 2 and "summary keeps no target values or peak years per member" in res.output
    assert "--detail province" in res.output and "Traceback" not in res.output
    res = run(main, ["run", "anhui", "--members", "30", "--detail", "summary", "--converge",
                     "--out", str(tmp_path / "x.nc")])
    assert res.exit_code == 2 and "--converge needs members" in res.output
    assert not (tmp_path / "x.nc").exists()
    res = run(main, ["report", str(files["province"]), "--converge", "--format", "csv"])
    assert res.exit_code == 2 and "--format table or json" in res.output


def test_run_converge_prints_the_verdict(tmp_path):
    res = CliRunner().invoke(main, ["run", "anhui", "--members", "40", "--converge", "-q",
                                    "--out", str(tmp_path / "a.nc")])
    assert res.exit_code == 0, res.output
    assert "P(attain)" in res.output and "Verdict: 40 members are" in res.output
