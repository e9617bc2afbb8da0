"""`sim discover`: PRIM (EMA Workbench) recovers a known failure box from a file's parameter values;
reduction rules; sweep files; a real run end to end; one-line errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from sim.analysis import discovery
from sim.interfaces.cli import main
from sim.results.reading import open_results

PARAMS = ["a", "b", "c", "d", "fixed"]
BOX = dict(a=(0.6, None), b=(None, 0.35))  # failure: a > 0.6 and b < 0.35 (lower, upper)


def _design(n: int, seed: int = 1) -> np.ndarray:
    """Uniform parameters on [0, 1) (one left at a nominal value, as the file keeps it)."""
    pv = np.random.default_rng(seed).uniform(size=(n, len(PARAMS)))
    pv[:, -1] = 1.0
    return pv


def _in_box(pv: np.ndarray) -> np.ndarray:
    return (pv[:, 0] > BOX["a"][0]) & (pv[:, 1] < BOX["b"][1])


def ensemble(n: int = 1000, attained=None, scopes=("national", "Anhui"),
             ids=("t_box", "t_never")) -> xr.Dataset:
    """An ensemble file's contract as far as discovery reads it: parameter_value(member,
    parameter) with units and descriptions, target_attained(member, target), target_scope."""
    pv = _design(n)
    if attained is None:
        attained = np.stack([np.where(_in_box(pv), 0.0, 1.0), np.ones(n)], axis=1)
    ds = xr.Dataset(
        dict(parameter_value=(("member", "parameter"), pv),
             target_attained=(("member", "target"), attained),
             target_scope=("target", list(scopes))),
        coords=dict(member=np.arange(n), parameter=PARAMS, target=list(ids),
                    parameter_units=("parameter", ["1"] * len(PARAMS)),
                    parameter_description=("parameter", [f"test {p}" for p in PARAMS])))
    ds.attrs.update(scenario_name="synthetic", output_detail="province", members=n, seed=1)
    return ds


def _limit(box, dim):
    return next(lim for lim in box.limits if lim["dimension"] == dim)


def test_prim_recovers_a_known_failure_box():
    d = discovery.discover(ensemble(), ["t_box"], resample=5)
    box = d.boxes[0]
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert {lim["dimension"] for lim in box.limits} == {"a", "b"}
    a, b = _limit(box, "a"), _limit(box, "b")
    assert a["lower"] == pytest.approx(0.6, abs=0.03) and a["upper"] is None
    assert b["upper"] == pytest.approx(0.35, abs=0.03) and b["lower"] is None
    assert a["qp_lower"] < 1e-10 and b["qp_upper"] < 1e-10  # restrictions that matter
    assert 0 <= a["reproduce_coverage"] <= 1 and 0 <= b["reproduce_density"] <= 1
    assert d.constant == ["fixed"] and "fixed" not in d.dimensions
    assert d.of_interest == int(_in_box(_design(1000)).sum())
    traj = box.trajectory
    assert traj[0]["coverage"] == 1.0 and traj[0]["restricted"] == 0 and len(traj) > 10
    assert traj[box.index]["density"] == box.density


def test_a_threshold_below_the_base_rate_is_raised_above_it():
    """Most members miss (all but the box a < 0.2, b > 0.8): with --threshold 0.8 the whole space
    would qualify and restrict nothing; the threshold goes halfway from the base rate to 1 and
    the box found excludes the corner that attains."""
    pv = _design(1000)
    ok = (pv[:, 0] < 0.2) & (pv[:, 1] > 0.8)
    att = np.stack([np.where(ok, 1.0, 0.0), np.ones(1000)], axis=1)
    d = discovery.discover(ensemble(1000, att), ["t_box"], threshold=0.8, resample=0)
    base = 1 - ok.mean()
    assert base > 0.9 and d.requested_threshold == 0.8
    assert d.threshold == pytest.approx(base + (1 - base) / 2)
    box = d.boxes[0]
    assert box.density >= d.threshold and box.limits and box.meets_threshold
    assert "raised to halfway" in discovery.format_table(d)
    # below the base rate nothing is raised
    assert discovery.discover(ensemble(), ["t_box"], resample=0).requested_threshold is None


def test_noise_in_the_outcome_still_bounds_the_box():
    """10 % of the labels flipped at random: the box is found, less dense, same dimensions."""
    n = 1000
    pv = _design(n)
    fail = _in_box(pv) ^ (np.random.default_rng(7).uniform(size=n) < 0.1)
    att = np.stack([np.where(fail, 0.0, 1.0), np.ones(n)], axis=1)
    box = discovery.discover(ensemble(n, att), ["t_box"], threshold=0.6, resample=0).boxes[0]
    assert box.density >= 0.6 and box.coverage >= 0.5
    assert {"a", "b"} <= {lim["dimension"] for lim in box.limits if min(
        q for q in (lim["qp_lower"], lim["qp_upper"]) if q is not None) < 1e-3}


def test_reduction_rules():
    n = 400
    pv = _design(n)
    t1, t2 = pv[:, 0] > 0.5, pv[:, 1] > 0.5  # misses of a national and an Anhui target
    att = np.stack([np.where(t1, 0.0, 1.0), np.where(t2, 0.0, 1.0)], axis=1)
    ds = ensemble(n, att, ids=("t_nat", "t_ah:Anhui"))
    y = {r: discovery.inputs(ds, ["t_nat", "t_ah"], r).y for r in ("any", "all", "national",
                                                                    "Anhui", "CN-AH")}
    np.testing.assert_array_equal(y["any"], t1 | t2)
    np.testing.assert_array_equal(y["all"], t1 & t2)
    np.testing.assert_array_equal(y["national"], t1)
    np.testing.assert_array_equal(y["Anhui"], t2)
    np.testing.assert_array_equal(y["CN-AH"], t2)
    # the base id of an each_province target selects its instances
    assert discovery.select_targets(ds, ["t_ah"]) == ["t_ah:Anhui"]
    # undefined attainment: left out and counted
    att[:3, 0] = np.nan
    inp = discovery.inputs(ensemble(n, att, ids=("t_nat", "t_ah:Anhui")), ["t_nat"])
    assert inp.undefined == 3 and len(inp.y) == n - 3
    with pytest.raises(discovery.DiscoveryError, match="none of the selected targets is scoped"):
        discovery.inputs(ds, ["t_nat"], "Hebei")
    with pytest.raises(discovery.DiscoveryError, match="neither a rule"):
        discovery.inputs(ds, ["t_nat"], "Atlantis")


def test_sweep_boxes_range_over_parameters_and_levers():
    """Cases x members rows; the lever values of each case are a dimension beside the parameters
    (common random numbers: every case has the same parameter values)."""
    n, levers = 250, np.array([0.2, 0.25, 0.35, 0.4])
    pv = _design(n)
    fail = (levers[:, None] < 0.3) & (pv[None, :, 0] > 0.5)  # (case, member)
    att = np.stack([np.where(fail, 0.0, 1.0), np.ones_like(fail, dtype=float)], axis=-1)
    ds = xr.Dataset(
        dict(parameter_value=(("case", "member", "parameter"), np.broadcast_to(pv, (4,) + pv.shape)),
             target_attained=(("case", "member", "target"), att),
             target_scope=("target", ["national", "national"])),
        coords=dict(case=np.arange(4), member=np.arange(n), parameter=PARAMS,
                    target=["t_box", "t_never"], parameter_units=("parameter", ["1"] * 5),
                    lever_eaf=("case", levers, dict(units="1", long_name="lever eaf_share"))))
    d = discovery.discover(ds, ["t_box"], resample=0)
    assert d.rows == 4 * n and d.row_label == "cases x members" and "lever_eaf" in d.dimensions
    box = d.boxes[0]
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert {lim["dimension"] for lim in box.limits} == {"a", "lever_eaf"}
    assert 0.25 <= _limit(box, "lever_eaf")["upper"] < 0.35
    assert _limit(box, "a")["lower"] == pytest.approx(0.5, abs=0.03)


def test_cli_writes_json_csv_and_plot(tmp_path):
    path = tmp_path / "synthetic.nc"
    ensemble().to_netcdf(path)
    png = tmp_path / "fig" / "discover.png"
    res = CliRunner().invoke(main, ["discover", str(path), "--target", "t_box", "--plot",
                                    str(png), "--resample", "3", "--boxes", "2"])
    assert res.exit_code == 0, res.output
    assert "Box 1: coverage" in res.output and "qp lower" in res.output
    data = json.loads(png.with_suffix(".json").read_text())
    assert png.stat().st_size > 10_000
    assert data["targets"] == ["t_box"] and data["reduce"] == "any" and data["rows"] == 1000
    box = data["boxes"][0]
    assert box["coverage"] >= 0.9 and {lim["dimension"] for lim in box["limits"]} == {"a", "b"}
    assert [p.name for p in png.parent.iterdir()] and not [
        p for p in png.parent.iterdir() if p.name.startswith(".")]  # no temporaries left
    out = tmp_path / "boxes.csv"
    res = CliRunner().invoke(main, ["discover", str(path), "--target", "t_box", "--out", str(out),
                                    "--resample", "0"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    assert {r["section"] for r in rows} == {"box", "limit", "trajectory"}
    assert {r["dimension"] for r in rows if r["section"] == "limit"} == {"a", "b"}


@pytest.fixture(scope="module")
def anhui(tmp_path_factory):
    """A real run through the CLI: 200 Anhui members at province detail, and 60 at summary."""
    folder = tmp_path_factory.mktemp("discover")
    files = {}
    for detail, members in (("province", 200), ("summary", 60)):
        files[detail] = folder / f"anhui_{detail}.nc"
        res = CliRunner().invoke(main, ["run", "anhui", "--members", str(members), "--detail",
                                        detail, "--out", str(files[detail]), "-q"])
        assert res.exit_code == 0, res.output
    return files


def test_real_run_end_to_end(anhui, tmp_path):
    png = tmp_path / "anhui.png"
    res = CliRunner().invoke(main, ["discover", str(anhui["province"]), "--target",
                                    "anhui_eaf_share_2030", "--plot", str(png), "--resample", "3"])
    assert res.exit_code == 0, res.output
    data = json.loads(png.with_suffix(".json").read_text())
    with open_results(anhui["province"]) as ds:
        att = ds["target_attained"].sel(target=["anhui_eaf_share_2030"]).values
        params = [str(p) for p in ds["parameter"].values]
    assert data["of_interest"] == int((att == 0).any(axis=1).sum()) and data["rows"] == 200
    assert set(data["dimensions"]) <= set(params) and "model_discrepancy" in data["constant"]
    box = data["boxes"][0]
    assert box["density"] >= 0.8 and box["limits"] and png.exists()


def test_summary_files_keep_what_discovery_needs(anhui, tmp_path):
    out = tmp_path / "summary.json"
    res = CliRunner().invoke(main, ["discover", str(anhui["summary"]), "--target",
                                    "anhui_green_factory_2030", "--out", str(out)])
    assert res.exit_code == 0, res.output
    with open_results(anhui["summary"]) as ds:
        att = ds["target_attained"].sel(target="anhui_green_factory_2030").values
    data = json.loads(out.read_text())
    assert data["rows"] == 60 and data["of_interest"] == int((att == 0).sum())


def _one_line_error(res, *needles):
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in res.output
    for n in needles:
        assert n in lines[0], lines[0]


def test_errors_are_one_line(anhui, tmp_path):
    run = CliRunner().invoke
    out = ["--out", str(tmp_path / "x.json")]
    no_params = tmp_path / "old.nc"
    ensemble().drop_vars("parameter_value").to_netcdf(no_params)
    _one_line_error(run(main, ["discover", str(no_params), "--target", "t_box", *out]),
                    "has no parameter values")
    _one_line_error(run(main, ["discover", str(anhui["province"]), "--target", "nope", *out]),
                    "no target 'nope'", "anhui_eaf_share_2030",
                    "industry_peak_2030_province[:<province>]")
    _one_line_error(run(main, ["discover", str(anhui["province"]), "--target",
                               "anhui_post_peak_decline_2035", *out]),
                    "nothing to discover: none of the 200 members")
    all_miss = tmp_path / "all.nc"
    ensemble(attained=np.zeros((1000, 2))).to_netcdf(all_miss)
    _one_line_error(run(main, ["discover", str(all_miss), "--target", "t_box", *out]),
                    "nothing to discover: every one of the 1000 members")
    few = tmp_path / "few.nc"
    ensemble(30, np.stack([np.arange(30) % 2, np.ones(30)], axis=1).astype(float)).to_netcdf(few)
    _one_line_error(run(main, ["discover", str(few), "--target", "t_box", *out]),
                    "too few members", "30", f"at least {discovery.MIN_ROWS}")
    old_summary = tmp_path / "old_summary.nc"
    ds = ensemble()
    ds["target_attained"] = ds["target_attained"].mean("member")
    ds.to_netcdf(old_summary)
    _one_line_error(run(main, ["discover", str(old_summary), "--target", "t_box", *out]),
                    "keeps no attainment per member")
    _one_line_error(run(main, ["discover", str(tmp_path / "missing.nc"), "--target", "t", *out]))
    assert not (tmp_path / "x.json").exists()
    # output paths are checked like every command's (sim.core.files.check_output), before any work
    for bad in (["--out", "/dev/null"], ["--out", str(tmp_path / "boxes.txt")],
                ["--out", str(anhui["province"])], ["--plot", str(tmp_path / "fig.gif")]):
        res = run(main, ["discover", str(anhui["province"]), "--target", "anhui_eaf_share_2030",
                         *bad])
        assert res.exit_code == 2 and res.output.startswith("Error: "), (bad, res.output)
