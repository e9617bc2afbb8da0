"""Hostile input, round three (issue #21): one parametrised test per class, over every command
the class applies to. Every refusal is exit code 2, one line, no traceback, nothing written; the
earlier rounds are tests/interfaces/test_hostile.py and test_signals.py."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import netCDF4
import numpy as np
import pytest
import xarray as xr

from sim.analysis import sweep as sweeps
from sim.core import sizes
from sim.interfaces.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.sweep import load_sweep
from sim.scenario.uncertainty import U_EDGE, make_distribution, sample
from tests.interfaces import test_hostile as round_one
from tests.interfaces.test_hostile import ANHUI, listing, refused, scenario_folder, sweep_file

runner = round_one.runner  # the fixtures of the first round
no_work = round_one.no_work

REPO = Path(__file__).resolve().parents[2]
MINIMAL = """[scenario]
name = "minimal"
provinces = {provinces}
members = 4
targets = {targets}
"""


def minimal(tmp_path: Path, provinces='["Anhui"]', targets='["targets/anhui.toml"]',
            extra: str = "") -> Path:
    """A short scenario (no levers, no uncertainty) beside the shipped target catalogues."""
    return scenario_folder(tmp_path, MINIMAL.format(provinces=provinces, targets=targets) + extra)


@pytest.fixture(scope="module")
def files(anhui_results) -> dict[str, Path]:
    """Small Anhui ensembles at every detail (24 members, tests/conftest.py); read-only."""
    return anhui_results


def _copy(path: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(path, folder / (name or path.name)))


# --- 1. validation lets bad input through -----------------------------------------------------------
@pytest.mark.parametrize("year", ["٢٠٣٠", "２０３０", "2_030", " 2030"])
@pytest.mark.parametrize("where", ["lever", "growth"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_year_key_in_other_digits_is_refused(runner, tmp_path, no_work, year, where, command):
    """int() reads "٢٠٣٠" and "２０３０" as 2030: a second point for the same year under another key
    (the last one won). Only four ASCII digits are a year."""
    table = ("[levers.h2_dri_share]\n" if where == "lever" else "[growth.sector.machinery]\n")
    text = ANHUI + f"\n{table}2030 = 0.02\n\"{year}\" = 0.03\n"
    path = scenario_folder(tmp_path, text)
    before = listing(tmp_path)
    line = refused(runner.invoke(main, [command, str(path)]), "unknown key", "ASCII digits")
    assert year.strip() in line or "2_030" in line or "\\u" in line
    assert listing(tmp_path) == before


@pytest.mark.parametrize("year", ["٢٠٣٠", "２０３０"])
def test_a_sensitivity_lever_year_in_other_digits_is_refused(runner, tmp_path, no_work, year):
    res = runner.invoke(main, ["sensitivity", "anhui", "--levers", f"eaf_share:{year}=0.1..0.3",
                               "--out", str(tmp_path / "s.nc")])
    refused(res, "is not a year", "ASCII digits")
    assert not (tmp_path / "s.nc").exists()


CATALOGUE = """[catalogue]
name = "shadow"

[groups.{key}]
provinces = ["Hebei"]

[[target]]
id = "shadowed"
indicator = "industrial_co2"
scope = "Anhui"
year = 2030
condition = "peak_by"
accounting = "scope1"
source = "test"
scope_note = "test"
"""


@pytest.mark.parametrize("key", ["Anhui", "anhui", "CN-AH", "安徽", "national", "each_province"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_group_named_like_a_province_or_scope_is_refused(runner, tmp_path, no_work, key, command):
    """[groups.Anhui] provinces = ["Hebei"] silently shadowed Anhui: the report said Anhui and
    showed Hebei."""
    (tmp_path / "shadow.toml").write_text(CATALOGUE.format(key=f'"{key}"'), encoding="utf-8")
    path = minimal(tmp_path, targets='["shadow.toml"]')
    refused(runner.invoke(main, [command, str(path)]), "shadow.toml", "groups.", "shadow")


def test_a_group_with_its_own_name_still_works(tmp_path):
    (tmp_path / "ok.toml").write_text(CATALOGUE.format(key="north").replace('scope = "Anhui"',
                                                                               'scope = "north"'),
                                      encoding="utf-8")
    sc = load_scenario(minimal(tmp_path, '["Anhui", "Hebei"]', '["ok.toml"]'))
    assert [t.provinces for t in sc.targets] == [("Hebei",)]


@pytest.mark.parametrize("second", [
    'lever = "eaf_share"\nyear = 2030\nvalues = [0.3]',
    'lever = "eaf_share"\nyear = 2030\nvalues = [0.25, 0.3]\n',
])
@pytest.mark.parametrize("command", ["sweep"])
def test_two_sweep_axes_on_one_lever_point_are_refused(runner, tmp_path, no_work, second, command):
    path = sweep_file(tmp_path)
    path.write_text(path.read_text() + f"\n[axes.again]\n{second}\n", encoding="utf-8")
    refused(runner.invoke(main, [command, str(path), "--out", str(tmp_path / "o")]),
            "axes.again", "sets the same lever point as axes.eaf")
    assert not (tmp_path / "o").exists()


def test_two_sweep_axes_on_different_points_of_one_lever_are_fine(tmp_path):
    path = sweep_file(tmp_path)
    path.write_text(path.read_text() + '\n[axes.later]\nlever = "eaf_share"\nyear = 2035\n'
                    'values = [0.3]\n', encoding="utf-8")
    assert len(load_sweep(path).cases) == 2


# --- 2. a validated scenario must not crash at run time ------------------------------------------------
EXTREME = [
    ("stock_lifetime_multiplier", 'dist = "lognormal"\nmedian = 1\nsigma = 1e300', "sigma"),
    ("lifetime_multiplier", 'dist = "lognormal"\nmedian = 1e300\nsigma = 0.1', "sigma"),
    ("collection_multiplier", 'dist = "uniform"\nlow = 1e-3\nhigh = 1e300', "high"),
    ("aeei_multiplier", 'dist = "triangular"\nlow = 1e-300\nmode = 1\nhigh = 1e5', "high"),
]


@pytest.mark.parametrize("parameter, table, key", EXTREME)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_distribution_whose_draws_leave_the_kernels_range_is_refused(
        runner, tmp_path, no_work, parameter, table, key, command):
    """lognormal(median 1, sigma 1e300) passed `sim validate`, then the kernel's boundary check
    raised a traceback (the page answered HTTP 500)."""
    path = minimal(tmp_path, extra=f"\n[uncertainty.{parameter}]\n{table}\n")
    refused(runner.invoke(main, [command, str(path)]), f"uncertainty.{parameter}")


@pytest.mark.parametrize("kind, params", [
    ("lognormal", {"median": 1.0, "sigma": 1.2}), ("uniform", {"low": 1e-6, "high": 9e3}),
    ("triangular", {"low": 1e-9, "mode": 1.0, "high": 5.0}),
    ("truncnormal", {"mean": 1.0, "sd": 50.0, "low": 1e-9, "high": 1e4})])
def test_every_accepted_distribution_samples_inside_the_range_even_at_the_design_edges(kind, params):
    """What validation accepts, sampling keeps: the design is held inside [U_EDGE, 1 - U_EDGE],
    where the accepted distribution's quantiles are finite and inside the range."""
    dist = make_distribution("stock_lifetime_multiplier", kind, params)
    unit = np.array([[0.0], [U_EDGE / 2], [0.5], [1 - U_EDGE / 2], [1.0]])
    drawn = sample({"stock_lifetime_multiplier": dist}, 5, 1, unit=unit)["stock_lifetime_multiplier"]
    assert np.isfinite(drawn).all() and (drawn > 0).all() and (drawn <= 1e4).all(), drawn


def test_an_extreme_but_valid_distribution_runs(runner, tmp_path):
    path = minimal(tmp_path, extra='\n[uncertainty.stock_lifetime_multiplier]\n'
                   'dist = "lognormal"\nmedian = 1\nsigma = 1.2\n')
    res = runner.invoke(main, ["run", str(path), "--members", "8", "--out", str(tmp_path / "o.nc"),
                               "-q"])
    assert res.exit_code == 0, res.output


# --- 3. sizes without bounds -----------------------------------------------------------------------------
def test_an_lhs_sweep_beyond_the_case_limit_is_refused(runner, tmp_path, no_work):
    path = sweep_file(tmp_path)
    path.write_text(path.read_text().replace('seed = 5\n', 'seed = 5\nmethod = "lhs"\ncases = '
                                             '1000000000000\n').replace(
        'values = [0.2, 0.3]', 'low = 0.2\nhigh = 0.3'), encoding="utf-8")
    refused(runner.invoke(main, ["sweep", str(path), "--out", str(tmp_path / "o")]),
            "sweep.cases", f"[1, {sizes.MAX_CASES:,}]")


def test_a_grid_sweep_beyond_the_case_limit_is_refused_before_building_the_cases(
        runner, tmp_path, no_work, monkeypatch):
    path = sweep_file(tmp_path)
    values = ", ".join(f"{0.2 + i * 1e-4:.4f}" for i in range(1000))
    path.write_text(path.read_text().replace("values = [0.2, 0.3]", f"values = [{values}]")
                    + f'\n[axes.phase]\nlever = "phase_out"\nyear = 2025\nvalues = [{values}]\n',
                    encoding="utf-8")
    monkeypatch.setattr("sim.scenario.sweep.Sweep.case_scenario",
                        lambda *a: (_ for _ in ()).throw(AssertionError("cases were validated")))
    refused(runner.invoke(main, ["sweep", str(path), "--out", str(tmp_path / "o")]),
            "1000 x 1000", "1,000,000 lever sets")


def test_a_hindcast_beyond_memory_is_refused(runner, tmp_path, monkeypatch):
    monkeypatch.setattr("sim.analysis.hindcast.run", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the hindcast started")))
    refused(runner.invoke(main, ["hindcast", "--members", str(10**11)]), "--members",
            "hindcast member")


def test_the_address_space_limit_is_what_bounds_the_members():
    """Under `ulimit -v`, sim/core/sizes.py compared with the physical memory: `sim run national
    --members 4000` ended in a traceback. The limit, less what the process maps, now bounds it."""
    code = ("import resource; from sim.core import sizes; "
            "resource.setrlimit(resource.RLIMIT_AS, (sizes._virtual_size() + 600_000_000, "
            "resource.RLIM_INFINITY)); m, what = sizes.available_memory(); "
            "print(m, '|', what, '|', sizes.members_problem(4000, 31, 17, 'province'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    memory, what, problem = out.stdout.strip().split(" | ")
    assert 0 < int(memory) <= 600_000_000
    assert "ulimit -v" in what and "ulimit -v" in problem, out.stdout


def test_a_run_under_an_address_space_limit_stops_in_one_line(tmp_path):
    """The whole command under a tight ulimit -v: one line and exit 2 (refused by the estimate, or
    the MemoryError net), never a traceback, and no file."""
    # 1.8 GB: with 128-member chunks (sim.core.sizes.CHUNK_SIZE, issue #25) a 4000-member national
    # run completes within 2.1 GB of address space, so the 2.5 GB of the 256-member chunks is no
    # longer tight
    limit = 1_800_000_000

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))

    out = subprocess.run([sys.executable, "-c", "from sim.interfaces.cli import main; main()", "run",
                          "national", "--members", "4000", "--out", str(tmp_path / "n.nc"), "-q"],
                         capture_output=True, text=True, timeout=600, preexec_fn=limited,
                         cwd=tmp_path)
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in out.stderr, lines
    assert not list(tmp_path.glob("*.nc"))


# --- 4. readers do not trust the file --------------------------------------------------------------------
def _rewrite(src: Path, dst: Path, change) -> Path:
    with xr.open_dataset(src) as ds:
        ds = change(ds.load())
    ds.to_netcdf(dst)
    return dst


BROKEN = {
    "text target_value": lambda ds: ds.assign(target_value=ds["target_value"].astype(str)),
    "probability 1.5": lambda ds: ds.assign(target_probability=ds["target_probability"] * 0 + 1.5),
    "attainment 7": lambda ds: ds.assign(target_attained=ds["target_attained"] * 0 + 7),
    "province missing from region": lambda ds: ds.isel(region=[-1]),
    "years backwards": lambda ds: ds.assign_coords(year=ds["year"].values[::-1].copy()),
    "peak year 1066": lambda ds: ds.assign(peak_year=ds["peak_year"] * 0 + 1066),
}


@pytest.mark.parametrize("broken", list(BROKEN))
@pytest.mark.parametrize("command", ["report", "plot", "export", "discover"])
def test_a_file_with_values_sim_does_not_write_is_refused(runner, tmp_path, files, broken, command):
    path = _rewrite(files["full"], tmp_path / "bad.nc", BROKEN[broken])
    args = {"report": [], "plot": ["--out", str(tmp_path / "fig")],
            "export": ["--out", str(tmp_path / "x.csv")],
            "discover": ["--target", "anhui_eaf_share_2030", "--out", str(tmp_path / "d.json")]}
    before = listing(tmp_path)
    refused(runner.invoke(main, [command, str(path), *args[command]]), "bad.nc",
            "is not what sim writes")
    assert listing(tmp_path) == before


def test_discovery_of_a_target_undefined_in_every_member_is_one_line(runner, tmp_path, files):
    path = _rewrite(files["full"], tmp_path / "nan.nc",
                    lambda ds: ds.assign(target_attained=ds["target_attained"] * np.nan))
    refused(runner.invoke(main, ["discover", str(path), "--target", "anhui_eaf_share_2030",
                                 "--out", str(tmp_path / "d.json")]), "undefined (NaN)")


def _corrupt_a_chunk(path: Path, variable: str) -> None:
    """Zero 8 bytes inside the first stored chunk of ``variable`` (its offset from HDF5, read
    with h5py), leaving the header and every other chunk intact."""
    with h5py.File(path) as h5:
        info = h5[variable].id.get_chunk_info(0)
        assert h5[variable].fletcher32, "written without checksums"
    data = bytearray(path.read_bytes())
    at = info.byte_offset + info.size // 2
    data[at:at + 8] = bytes(x ^ 0xFF for x in data[at:at + 8])
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def uncompressed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    from click.testing import CliRunner

    res = CliRunner().invoke(main, ["run", "anhui", "--members", "6", "--no-compress", "--out",
                                    str(folder / "raw.nc"), "-q"])
    assert res.exit_code == 0, res.output
    return folder / "raw.nc"


@pytest.mark.parametrize("command", ["report", "plot", "export"])
def test_a_corrupted_data_chunk_is_one_line(runner, tmp_path, uncompressed, command):
    path = _copy(uncompressed, tmp_path, "corrupt.nc")
    for variable in ("industrial_co2", "target_value", "peak_year"):  # what each command reads
        _corrupt_a_chunk(path, variable)
    args = {"report": [], "plot": ["--out", str(tmp_path / "fig")],
            "export": ["--out", str(tmp_path / "x.csv")]}
    res = runner.invoke(main, [command, str(path), *args[command]])
    refused(res, "corrupt.nc")
    assert not (tmp_path / "fig").exists() and not (tmp_path / "x.csv").exists()


def test_every_variable_of_every_file_kind_has_checksums(files, tmp_path):
    for detail, path in files.items():
        with netCDF4.Dataset(path) as nc:
            for name, var in nc.variables.items():
                if var.ndim:
                    assert var.filters()["fletcher32"], (detail, name)


@pytest.mark.slow  # a sweep on a Dask cluster, run twice: ~10 s
def test_a_sweep_part_with_a_corrupted_chunk_is_computed_again(tmp_path):
    """A part with a good header and a corrupted chunk was counted as done (only case_hash was
    read), and every resume then failed in the combine step."""
    from distributed import Client, LocalCluster

    sw = load_sweep(sweep_file(tmp_path))
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster, \
            Client(cluster) as client:
        first = sweeps.run_sweep(sw, client, out)
        assert first.combined is not None and len(first.computed) == 2
        part = sweeps.part_path(out, sw.cases[0])
        assert sweeps.is_done(part, sw.cases[0])
        _corrupt_a_chunk(part, "target_value")
        with netCDF4.Dataset(part) as nc:  # the header is intact: the hash alone says "done"
            assert nc.case_hash == sw.cases[0].hash
        assert not sweeps.is_done(part, sw.cases[0])
        again = sweeps.run_sweep(sw, client, out)
    assert again.computed == [0] and again.skipped == [1] and not again.failed
    assert sweeps.is_done(part, sw.cases[0])
    with xr.open_dataset(again.combined) as ds:
        assert ds.sizes["case"] == 2


# --- 5. default output paths stay in outputs/ -------------------------------------------------------
@pytest.mark.parametrize("name", ["...nc", "..nc", ".hidden.nc", "a b;c.nc"])
@pytest.mark.parametrize("command", ["export", "plot", "discover"])
def test_a_default_output_path_stays_inside_outputs(runner, tmp_path, files, monkeypatch, name,
                                                    command):
    work = tmp_path / "work"
    work.mkdir()
    _copy(files["full"], work, name)
    monkeypatch.chdir(work)
    args = {"export": [], "plot": ["--kind", "fan"],
            "discover": ["--target", "anhui_eaf_share_2030", "--resample", "0"]}
    res = runner.invoke(main, [command, name, *args[command]])
    assert res.exit_code in (0, 2), res.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != name]
    assert all((work / "outputs") in p.parents for p in written), written


# --- 7. tracebacks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["[meta]\nwindow = [2010, 2019]\n", "not = [toml", "x = 1\n",
                                  "[statistics]\nn_residuals = 'a'\n"])
def test_calibrate_on_a_malformed_parameter_file_is_one_line(runner, tmp_path, text):
    path = tmp_path / "fitted.toml"
    path.write_text(text, encoding="utf-8")
    refused(runner.invoke(main, ["calibrate", "--out", str(path)]), "fitted.toml")


@pytest.mark.parametrize("model", ["a\x01b", "a\nb", "", "x" * 300])
def test_export_with_a_bad_model_name_is_one_line(runner, tmp_path, files, model):
    out = tmp_path / "m.xlsx"
    refused(runner.invoke(main, ["export", str(files["full"]), "--out", str(out),
                                 "--model", model]), "--model")
    assert not out.exists()


# --- 8. minor ---------------------------------------------------------------------------------------------
def test_converge_with_too_few_members_is_refused_before_running(runner, tmp_path, no_work):
    out = tmp_path / "r.nc"
    refused(runner.invoke(main, ["run", "anhui", "--members", "10", "--converge", "--out",
                                 str(out)]), "--converge", "at least 20 members")
    assert not out.exists()


def test_a_file_without_targets_draws_no_empty_heatmap(runner, tmp_path):
    path = minimal(tmp_path, targets="[]")
    res = runner.invoke(main, ["run", str(path), "--members", "4", "--out", str(tmp_path / "r.nc"),
                               "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["plot", str(tmp_path / "r.nc"), "--out", str(tmp_path / "fig")])
    assert res.exit_code == 0, res.output
    assert "skipped attainment" in res.output and "has no targets" in res.output
    assert not (tmp_path / "fig" / "attainment.png").exists()
    refused(runner.invoke(main, ["plot", str(tmp_path / "r.nc"), "--kind", "attainment",
                                 "--out", str(tmp_path / "fig2")]), "has no targets")


def test_scenario_error_names_the_file_for_every_class():
    with pytest.raises(ScenarioError):
        load_scenario(REPO / "scenarios" / "nosuch.toml")
