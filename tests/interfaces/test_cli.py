"""The command line: a planner's run end to end, and bad input → exit code 2, one line, no file."""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr
from click.testing import CliRunner

from sim.interfaces.cli import main
from sim.results.reading import open_results

REPO = Path(__file__).resolve().parents[2]
ANHUI = (REPO / "scenarios" / "anhui.toml").read_text(encoding="utf-8")


@pytest.fixture()
def runner():
    return CliRunner()


def test_run_prints_targets_and_peak_and_writes_the_file(runner, tmp_path):
    out = tmp_path / "a" / "anhui.nc"
    res = runner.invoke(main, ["run", str(REPO / "scenarios" / "anhui.toml"), "--members", "16",
                               "--seed", "5", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for text in ("anhui_eaf_share_2030", "industry_peak_2030_province:Anhui", "P(attain)",
                 "Industrial CO2 peak year", "Administrative targets (not simulated)",
                 "anhui_zero_carbon_parks_2027", f"wrote {out}"):
        assert text in res.output, text
    with open_results(out) as ds:
        assert ds.sizes["member"] == 16 and int(ds.attrs["seed"]) == 5
        # `sim report` reproduces the table from the file alone
        rep = runner.invoke(main, ["report", str(out)])
    assert rep.exit_code == 0
    assert rep.output.strip() in res.output


def test_bare_name_resolves_against_scenarios(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main, ["validate", "anhui"])
    assert res.exit_code == 0, res.output
    assert "valid" in res.output


def _bad(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "anhui.toml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "targets").symlink_to(REPO / "scenarios" / "targets")
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("2030 = 0.20\n2035 = 0.25", "2030 = 1.4\n2035 = 0.25"),
     "anhui.toml: levers.eaf_share.2030 = 1.4 is outside [0, 1]"),
    (lambda t: t.replace("[levers.coal_to_gas]", "[levers.coal_to_gass]"),
     "did you mean 'coal_to_gas'"),
    (lambda t: t.replace('provinces = ["Anhui"]', 'provinces = ["Anhwei"]'),
     "did you mean 'Anhui'"),
    (lambda t: t.replace("members = 1000", 'members = "many"'), "scenario.members"),
    (lambda t: t.replace("[levers.coal_to_gas]\n", "[levers.coal_to_gas]\n2050 = 0.1\n"),
     "levers.coal_to_gas.2050"),
])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_scenario_exits_2_with_one_line_and_writes_nothing(runner, tmp_path, edit, message,
                                                              command):
    path = _bad(tmp_path, edit(ANHUI))
    out = tmp_path / "out" / "x.nc"
    args = [command, str(path)] + (["--members", "2", "--out", str(out)] if command == "run" else [])
    res = runner.invoke(main, args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_missing_scenario_exits_2(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main, ["run", "no_such_scenario"])
    assert res.exit_code == 2
    assert "no_such_scenario: no such scenario file" in res.output
    assert not (tmp_path / "outputs").exists()


def test_report_rejects_a_file_that_is_not_an_ensemble(runner, tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"x": ("a", [1.0, 2.0])}).to_netcdf(path)
    res = runner.invoke(main, ["report", str(path)])
    assert res.exit_code == 2
    assert "cannot be used for a report: missing variable(s) target_value" in res.output
    assert "Traceback" not in res.output
    text = tmp_path / "text.nc"
    text.write_text("hello")
    res = runner.invoke(main, ["report", str(text)])
    assert res.exit_code == 2 and "not a readable NetCDF file" in res.output
    res = runner.invoke(main, ["report", str(tmp_path / "absent.nc")])
    assert res.exit_code == 2 and "no such file" in res.output


# --- sim abatement (issue #23) -------------------------------------------------------------------
def _two_levers(tmp_path: Path) -> Path:
    """Anhui with two of its levers only: the efficiency retrofit and a carbon price on steel."""
    head = ANHUI.split("[levers.")[0]
    levers = ("\n[levers.efficiency_retrofit]\n2024 = 0.05\n"
              "\n[levers.carbon_price.sector.iron_steel]\n2024 = 0\n2025 = 200\n")
    return _bad(tmp_path, head.replace('name = "anhui"', 'name = "two"') + levers)


def test_abatement_prints_the_wedges_and_writes_the_file(runner, tmp_path):
    import json

    from sim.analysis import abatement

    path = _two_levers(tmp_path)
    out = tmp_path / "w" / "two_abatement.nc"
    res = runner.invoke(main, ["abatement", str(path), "--members", "6", "--seed", "2", "--out",
                               str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["lever"] for r in data["rows"]][-1] == abatement.ALL
    assert {r["lever"] for r in data["rows"]} == {"efficiency_retrofit", "carbon_price",
                                                  abatement.ALL}
    assert "run 4/4, without any lever" in res.stderr and f"wrote {out}" in res.stderr
    with open_results(out) as ds:
        assert abatement.is_wedges(ds) and int(ds.attrs["members"]) == 6
        assert int(ds.attrs["seed"]) == 2 and ds.attrs["region"] == "Anhui"
        assert data["rows"] == abatement.rows(ds)
    table = runner.invoke(main, ["abatement", str(path), "--members", "4", "--out",
                                 str(tmp_path / "t.nc"), "-q"])
    assert table.exit_code == 0 and "do not add up to the package" in table.output
    assert "CO2 avoided scope1+2" in table.output and table.stderr == ""


@pytest.mark.parametrize("args, message", [
    (["no_such_scenario.toml"], "no such scenario file"),
    ([str(REPO / "scenarios" / "baseline.toml")], "sets no levers"),
    ([str(REPO / "scenarios" / "anhui.toml"), "--out", "wedges.csv"], "needs the suffix .nc"),
])
def test_abatement_bad_input_exits_2_with_one_line(runner, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main, ["abatement", *args, "--members", "2"])
    assert res.exit_code == 2, res.output
    assert message in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "wedges.csv").exists()
