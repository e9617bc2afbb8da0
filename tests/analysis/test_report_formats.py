"""`sim report --format markdown|csv|json`: the same numbers as the text table, from the file."""

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


@pytest.fixture(scope="module")
def files(anhui_results):
    return anhui_results  # tests/conftest.py: 24 members, seed 11


def _same(a, b):
    """Equal numbers, with None (JSON/CSV) for NaN."""
    if b is None or (isinstance(b, float) and np.isnan(b)):
        return a is None or a == "" or (isinstance(a, float) and np.isnan(a))
    return np.isclose(float(a), float(b), rtol=1e-12, atol=0)


@pytest.mark.parametrize("detail", ["full", "province", "summary"])
def test_json_report_equals_rows_and_file(files, detail):
    res = CliRunner().invoke(main, ["report", "--format", "json", str(files[detail])])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    with open_results(files[detail]) as ds:
        rows, peaks, adm = report.target_rows(ds), report.peak_rows(ds), report.administrative(ds)
        probability = ds["target_probability"].values
        assert (data["scenario"], data["members"], data["seed"], data["detail"]) == \
            ("anhui", 24, 11, detail)
    assert [t["id"] for t in data["targets"]] == [r["id"] for r in rows]
    for got, want, p in zip(data["targets"], rows, probability):
        for key in ("median", "p05", "p95", "probability"):
            assert _same(got[key], want[key]), (got["id"], key)
        assert _same(got["probability"], p)
        assert {k: got[k] for k in ("scope", "year", "condition", "units", "status", "source")} == \
            {k: want[k] for k in ("scope", "year", "condition", "units", "status", "source")}
    assert data["peak_years"] == peaks
    assert [a["id"] for a in data["administrative"]] == [a["id"] for a in adm] and adm
    assert {a["status"] for a in data["administrative"]} == {"not simulated"}


def test_csv_report_one_table_with_sections(files):
    with open_results(files["full"]) as ds:
        text = report.format_csv(ds)
        rows, peaks, adm = report.target_rows(ds), report.peak_rows(ds), report.administrative(ds)
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == list(report.CSV_COLUMNS)
    targets = [r for r in table if r["section"] == "target"]
    assert [r["id"] for r in targets] == [r["id"] for r in rows]
    for got, want in zip(targets, rows):
        for key in ("median", "p05", "p95", "probability"):
            assert _same(got[key], want[key]), (got["id"], key)
        assert int(got["year"]) == want["year"] and got["source"] == want["source"]
    peak = [r for r in table if r["section"] == "peak_year"]
    assert [r["region"] for r in peak] == [p["region"] for p in peaks]
    assert all(int(g["median"]) == p["median"] and _same(g["probability"], p["probability"])
               and int(g["year"]) == p["year"] and g["condition"] == p["condition"]
               for g, p in zip(peak, peaks))
    admin = [r for r in table if r["section"] == "administrative"]
    assert [r["id"] for r in admin] == [a["id"] for a in adm]
    assert {r["status"] for r in admin} == {"not simulated"}


def test_markdown_report_has_every_target_and_administrative_rows(files):
    res = CliRunner().invoke(main, ["report", "--format", "markdown", str(files["province"])])
    assert res.exit_code == 0, res.output
    with open_results(files["province"]) as ds:
        rows, adm = report.target_rows(ds), report.administrative(ds)
    lines = res.output.splitlines()
    for r in rows:
        line = next(x for x in lines if x.startswith(f"| {r['id']} |"))
        assert f"| {r['probability']:.0%} |" in line
    for a in adm:
        line = next(x for x in lines if x.startswith(f"| {a['id']} |"))
        assert "| not simulated |" in line
    assert "| --- | --- |" in res.output and "### Industrial CO2 peak year" in res.output


@pytest.mark.parametrize("detail", ["full", "summary"])
def test_the_rows_text_is_what_the_table_and_markdown_print(files, detail):
    """One formatting: the strings the rows carry (and the web page shows) are the printed ones."""
    with open_results(files[detail]) as ds:
        table, md = report.format_table(ds).splitlines(), report.format_markdown(ds).splitlines()
        rows, peaks = report.target_rows(ds), report.peak_rows(ds)
    for r in rows:
        line = next(x for x in table if x.startswith(r["id"] + " "))
        text = r["text"]
        for key in ("median", "range", "probability", "standard_error"):
            assert f" {text[key]}" in line, (r["id"], key, line)
        assert text["probability"] == f"{r['probability']:.0%}"
        assert text["standard_error"] == convergence.error_text(r["probability"], 24)
        cells = next(x for x in md if x.startswith(f"| {r['id']} |")).split(" | ")
        assert [text["median"], text["range"], text["probability"], text["standard_error"]] == \
            cells[4:8]
    for p in peaks:
        line = next(x for x in table if x.startswith(p["region"] + " "))
        assert line.split()[1:6] == [str(p["median"]), p["text"]["range"], p["text"]["probability"],
                                     p["text"]["standard_error"], p["text"]["not_peaked"]]


def test_table_stays_the_default(files):
    res = CliRunner().invoke(main, ["report", str(files["full"])])
    with open_results(files["full"]) as ds:
        assert res.output == report.format_table(ds) + "\n"


def test_sweep_file_reports_summary_and_case_rows(files, tmp_path):
    with open_results(files["summary"]) as ds:
        one = ds.load()
    cases = xr.concat([one, one], dim="case", data_vars="all", coords="minimal", compat="override")
    cases = cases.assign_coords(case=[0, 1], lever_eaf_2030=("case", [0.2, 0.3]))
    cases["success_probability"] = ("case", [0.5, 0.95])
    cases.attrs.update(success_targets="anhui_eaf_share_2030", robust_probability=0.9,
                       sweep_name="s")
    path = tmp_path / "sweep.nc"
    cases.to_netcdf(path)
    runner = CliRunner()
    table = runner.invoke(main, ["report", str(path)])
    assert table.exit_code == 0, table.output
    assert "robust lever sets (P(all success targets) >= 90%): 1 of 2" in table.output
    data = json.loads(runner.invoke(main, ["report", "--format", "json", str(path)]).output)
    assert [c["eaf_2030"] for c in data["cases"]] == [0.2, 0.3]
    assert [c["robust"] for c in data["cases"]] == [False, True]
    text = runner.invoke(main, ["report", "--format", "csv", str(path)]).output
    assert list(csv.DictReader(io.StringIO(text)))[1]["P(all)"] == "0.95"
    md = runner.invoke(main, ["report", "--format", "markdown", str(path)]).output
    assert md.startswith("| case | eaf_2030 |")
