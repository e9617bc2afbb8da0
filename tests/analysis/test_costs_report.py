"""The cost section of the report (sim.analysis.costs) and `sim report --baseline`: the same rows
at every output detail, the comparison under common random numbers checked by hand, and a
baseline of another design refused in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sim.analysis import costs, report
from sim.results.reading import open_results
from sim.scenario import load_scenario
from tests.helpers.result_files import REPO, write_scenario_results
from tests.helpers.scenarios import shipped_variant

PRICE = "".join(f"\n[levers.carbon_price.sector.{s}]\n2024 = 0\n2025 = 200\n"
                for s in ("iron_steel", "nonferrous", "nonmetallic_minerals"))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Anhui as shipped and with 200 CNY/t on three sectors: 12 members of one design."""
    folder = tmp_path_factory.mktemp("costs")
    base = write_scenario_results(folder, load_scenario(REPO / "scenarios" / "anhui.toml"), 12, 4,
                                  ("full", "summary"))
    priced = write_scenario_results(folder, shipped_variant(folder, "priced", PRICE), 12, 4,
                                    ("full", "summary"))
    other = write_scenario_results(folder / "..", load_scenario(REPO / "scenarios" / "anhui.toml"),
                                   12, 5, ("full",))
    return base, priced, other


def test_the_cost_rows_are_the_same_at_every_detail(pair):
    _, priced, _ = pair
    with open_results(priced["full"]) as full, open_results(priced["summary"]) as summary:
        assert costs.cost_rows(full) == costs.cost_rows(summary)
        assert costs.item_rows(full) == costs.item_rows(summary)
        a = report.peak_rows(full, accounting="scope1+2")
        b = report.peak_rows(summary, accounting="scope1+2")
        assert a and a == b


def test_the_report_names_the_accounting_beside_every_co2_figure(pair):
    _, priced, _ = pair
    with open_results(priced["full"]) as ds:
        table = report.format_table(ds)
    assert "peak year, direct + process - captured (scope1" in table
    assert "peak year, with electricity, heat and hydrogen (scope1+2" in table
    assert "present value of 2025-2035 at 8% a year" in table
    assert "carbon" in table and "capital" in table


def test_against_the_baseline_by_hand(pair):
    base, priced, _ = pair
    with open_results(priced["full"]) as ds, open_results(base["full"]) as b:
        v = costs.versus_baseline(ds, b, "Anhui")
        extra = (ds["discounted_cost"] - b["discounted_cost"]).sel(region="Anhui").values
        assert v["median"] == pytest.approx(float(np.median(extra)))
        avoided = (b["industrial_co2"] - ds["industrial_co2"]).sel(region="Anhui")
        years = ds["year"].values
        factor = np.where((years >= 2025) & (years <= 2035), 1.08 ** -(years - 2025.0), 0.0)
        per_t = extra.mean() / ((avoided.values * factor).sum(axis=1).mean() * 1e6)
        assert v["accountings"]["scope1"]["cost_per_t"] == pytest.approx(per_t, rel=1e-9)
        items = [i for i in ds["cost_item"].values if i != "carbon"]
        resource = ((ds["cost_by_item"] - b["cost_by_item"]).sel(region="Anhui", cost_item=items)
                    .sum("cost_item").values * factor).sum(axis=1)
        per_t_resource = resource.mean() / ((avoided.values * factor).sum(axis=1).mean() * 1e6)
        assert v["accountings"]["scope1"]["resource_cost_per_t"] == pytest.approx(per_t_resource,
                                                                                rel=1e-9)
        assert v["accountings"]["scope1"]["resource_cost_per_t"] < per_t  # payments excluded
        # a carbon price that cuts CO2 in every member: the extra cost includes the carbon
        # payments, so the cost per tonne lies above zero
        assert (avoided.sel(year=2035).values > 0).all() and per_t > 0


def _sim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True,
                          text=True, cwd=REPO)


def test_sim_report_baseline(pair):
    base, priced, other = pair
    out = _sim("report", priced["full"], "--baseline", base["full"])
    assert out.returncode == 0, out.stderr
    assert "extra present cost 2025-2035" in out.stdout and "CNY/t" in out.stdout
    data = json.loads(_sim("report", priced["full"], "--baseline", base["full"], "--format",
                           "json").stdout)
    assert data["versus_baseline"]["accountings"]["scope1"]["cost_per_t"] > 0
    bad = _sim("report", priced["full"], "--baseline", other["full"])
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "common random numbers: seed 5 != 4" in bad.stderr and bad.stderr.count("\n") == 1
    summary = _sim("report", priced["summary"], "--baseline", base["summary"])
    assert summary.returncode == 2 and "per-member costs" in summary.stderr
