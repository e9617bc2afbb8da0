"""Hostile input and faults (issue #13): one test per class, parametrised over the commands that
share the cause. Every refusal is exit code 2, one line on stderr, no traceback, and nothing is
written; nothing a user owns is ever replaced."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.core import files, sizes
from sim.interfaces.cli import main
from sim.results.reading import open_results

REPO = Path(__file__).resolve().parents[2]
ANHUI = (REPO / "scenarios" / "anhui.toml").read_text(encoding="utf-8")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture()
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def result_file(anhui_results) -> Path:
    """A small full-detail Anhui ensemble (24 members, tests/conftest.py); read-only."""
    return anhui_results["full"]


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""
    def expired(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def scenario_folder(tmp_path: Path, text: str = ANHUI, name: str = "anhui.toml") -> Path:
    """``text`` as a scenario file in ``tmp_path`` beside the shipped target catalogues."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if not (tmp_path / "targets").exists():
        (tmp_path / "targets").symlink_to(REPO / "scenarios" / "targets")
    return path


def sweep_file(tmp_path: Path, name: str = "tiny", members: int = 4, seed: int = 5) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    scenario_folder(tmp_path)
    path = tmp_path / "sweep.toml"
    path.write_text(f'[sweep]\nname = "{name}"\nscenario = "anhui.toml"\nmembers = {members}\n'
                    f'seed = {seed}\n\n[axes.eaf]\nlever = "eaf_share"\nyear = 2030\n'
                    'values = [0.2, 0.3]\n', encoding="utf-8")
    return path


def listing(folder: Path) -> set[str]:
    """Every path below ``folder`` (hidden files included)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def refused(res, *texts: str) -> str:
    """Assert the one-line refusal (exit 2, one 'error:' line, no traceback); the message."""
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    for text in texts:
        assert text in lines[0], (text, lines[0])
    return lines[0]


@pytest.fixture()
def no_work(monkeypatch):
    """Any simulation, drawing or table building fails the test: refusals come before work."""
    from sim.analysis import cluster, hindcast
    from sim.model import run as model
    from sim.plots import figures as plots
    from sim.results import export

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the output was checked")

    from calibration import fit

    for module, name in ((model, "prepare"), (plots, "figures"), (export, "iamc_table"),
                         (hindcast, "run"), (cluster, "dask_client"), (fit, "run")):
        monkeypatch.setattr(module, name, forbidden)


# --- 1. names used as paths ----------------------------------------------------------------------
BAD_NAMES = ["../../../elsewhere/evil", "", ".hidden", "a/b", "x\ny", "/abs", "_" * 101]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("command", ["validate", "run", "sweep"])
def test_a_name_that_is_not_a_plain_file_name_is_refused(runner, tmp_path, monkeypatch, command,
                                                         name, no_work):
    monkeypatch.chdir(tmp_path)
    quoted = name.replace("\n", "\\n")  # as written in the TOML file
    if command == "sweep":  # the base scenario is fine, the sweep's name is not
        path = sweep_file(tmp_path, name=quoted)
    else:
        path = scenario_folder(tmp_path, ANHUI.replace('name = "anhui"', f'name = "{quoted}"'))
    before = listing(tmp_path)
    res = runner.invoke(main, [command, str(path)] + (["--members", "2"] if command == "run" else []))
    key = "sweep.name" if command == "sweep" else "scenario.name"
    refused(res, key, "cannot be used as a file name")
    assert listing(tmp_path) == before
    assert not (tmp_path.parent / "elsewhere").exists()


@pytest.mark.parametrize("catalogue", ["../targets/anhui.toml", "/etc/passwd", "targets/../../x.toml",
                                       ""])
def test_a_catalogue_path_outside_the_scenario_folder_is_refused(runner, tmp_path, catalogue):
    inner = tmp_path / "inner"
    inner.mkdir()
    path = scenario_folder(inner, ANHUI.replace('"targets/anhui.toml"', f'"{catalogue}"'))
    refused(runner.invoke(main, ["validate", str(path)]), "scenario.targets[1]",
            "leaves the scenario's folder")


# --- 2. --out never replaces what is not a result -----------------------------------------------
def _out_cases():
    # (command args builder, output option, suffix that the command writes)
    return {
        "run": (lambda sc, res: ["run", str(sc), "--members", "2"], "--out", ".nc"),
        "export": (lambda sc, res: ["export", str(res)], "--out", ".csv"),
        "hindcast": (lambda sc, res: ["hindcast"], "--plot", ".png"),
        "calibrate": (lambda sc, res: ["calibrate", "--fit"], "--out", ".toml"),
    }


@pytest.mark.parametrize("command, target", [
    (c, t) for c in _out_cases() for t in ("device", "fifo", "folder", "wrong_suffix", "dash", "input")
    if t != "input" or c in ("run", "export")])  # hindcast and calibrate read no file named by the user
def test_out_is_refused_unless_a_new_name_or_a_regular_file_with_the_suffix(
        runner, tmp_path, result_file, command, target, no_work):
    build, option, suffix = _out_cases()[command]
    sc = scenario_folder(tmp_path)
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    (tmp_path / f"folder{suffix}").mkdir()
    device = "/dev/null"  # a user cannot replace it; root could, so root gets a device of its own
    if IS_ROOT:
        device = str(tmp_path / f"null{suffix}")
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    out = {"device": device, "fifo": str(fifo), "folder": str(tmp_path / f"folder{suffix}"),
           "wrong_suffix": str(tmp_path / "result.txt"), "dash": "-"}.get(target)
    source = result_file
    if target == "input":  # the command's own input, under a name with the output's suffix
        out = str(tmp_path / f"input{suffix}")
        os.link(sc if command == "run" else result_file, out)
        if command == "run":
            sc = Path(out)  # sim run input.nc --out input.nc (a TOML file named .nc)
    before = {p: (os.lstat(p).st_mode, os.lstat(p).st_size, Path(p).is_file() and
                  Path(p).read_bytes()) for p in (device, fifo, sc, source)}
    res = runner.invoke(main, build(sc, source) + [option, out])
    refused(res, option, "is an input of this command" if target == "input" else "")
    after = {p: (os.lstat(p).st_mode, os.lstat(p).st_size, Path(p).is_file() and
                 Path(p).read_bytes()) for p in before}
    assert after == before  # the device is still a device, the FIFO a FIFO, the input unchanged
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_out_replaces_an_earlier_result(runner, tmp_path):
    out = tmp_path / "old.nc"
    out.write_bytes(b"an earlier result")
    res = runner.invoke(main, ["run", str(scenario_folder(tmp_path)), "--members", "2",
                               "--out", str(out)])
    assert res.exit_code == 0, res.output
    with open_results(out) as ds:
        assert ds.sizes["member"] == 2


def test_check_output_refuses_an_input_under_another_name(tmp_path):
    source = tmp_path / "a.nc"
    source.write_bytes(b"x")
    os.link(source, tmp_path / "b.nc")
    with pytest.raises(files.OutputPathError, match="is an input"):
        files.check_output(tmp_path / "b.nc", (".nc",), [source])
    assert files.check_output(tmp_path / "c.nc", (".nc",), [source]) == tmp_path / "c.nc"


# --- 3. bad output locations fail before any work ------------------------------------------------
def _location_args(command: str, where: Path, sc: Path, res: Path, sweep: Path) -> list[str]:
    return {
        "run": ["run", str(sc), "--members", "2", "--out", str(where / "x.nc")],
        "export": ["export", str(res), "--out", str(where / "x.csv")],
        "plot": ["plot", str(res), "--out", str(where / "figures")],
        "hindcast": ["hindcast", "--plot", str(where / "x.png")],
        "sweep": ["sweep", str(sweep), "--out", str(where / "sweep")],
    }[command]


@pytest.mark.parametrize("location", ["under_a_file", "unwritable"])
@pytest.mark.parametrize("command", ["run", "export", "plot", "hindcast", "sweep"])
def test_a_bad_output_location_fails_before_any_work(runner, tmp_path, monkeypatch, result_file,
                                                     command, location, no_work):
    sweep = sweep_file(tmp_path / "in")
    sc = tmp_path / "in" / "anhui.toml"
    where = tmp_path / "out"
    if location == "under_a_file":
        where.write_text("a file, not a folder")
        expected = "which is a file, not a folder"
    else:
        where.mkdir()
        real_access = os.access
        monkeypatch.setattr(files.os, "access", lambda p, mode, **kw: False if Path(p) == where
                            else real_access(p, mode, **kw))
        expected = "is not writable"
    before = listing(tmp_path)
    refused(runner.invoke(main, _location_args(command, where, sc, result_file, sweep)), expected)
    assert listing(tmp_path) == before


@pytest.mark.skipif(IS_ROOT, reason="root may write into a read-only folder")
def test_a_read_only_folder_is_refused_for_real(runner, tmp_path, result_file):
    where = tmp_path / "ro"
    where.mkdir()
    where.chmod(0o500)
    try:
        refused(runner.invoke(main, ["export", str(result_file), "--out", str(where / "x.csv")]),
                "not writable")
    finally:
        where.chmod(0o700)


@pytest.mark.parametrize("command", ["run", "export", "plot", "hindcast", "sweep"])
def test_an_empty_output_path_is_refused_before_any_work(runner, tmp_path, result_file, command,
                                                         no_work):
    """click would read `--out ""` as the current folder."""
    sweep = sweep_file(tmp_path / "in")
    args = _location_args(command, tmp_path, tmp_path / "in" / "anhui.toml", result_file, sweep)
    args[-1] = ""
    before = listing(tmp_path)
    refused(runner.invoke(main, args), '= "" is not a path')
    assert listing(tmp_path) == before


# --- 4. disk full -------------------------------------------------------------------------------
def _fill_disk(monkeypatch, command: str):
    """Make the command's writer fail as on a full disk (HDF5 says only "HDF error"; pandas and
    matplotlib raise ENOSPC), with the file system reporting no free space."""
    import shutil

    from sim.results import ensemble

    usage = shutil.disk_usage("/")
    monkeypatch.setattr(files.shutil, "disk_usage",
                        lambda p: type(usage)(usage.total, usage.total, 0))

    def hdf_error(*args, **kwargs):
        raise RuntimeError("NetCDF: HDF error")

    def enospc(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if command == "run":
        monkeypatch.setattr(ensemble, "_append", hdf_error)
    elif command == "export":
        import pandas as pd

        monkeypatch.setattr(pd.DataFrame, "to_csv", enospc)
    else:
        from matplotlib.figure import Figure

        monkeypatch.setattr(Figure, "savefig", enospc)


@pytest.mark.parametrize("command", ["run", "export", "plot"])
def test_a_full_disk_is_one_line_and_leaves_nothing(runner, tmp_path, monkeypatch, result_file,
                                                     command):
    (tmp_path / "in").mkdir()
    sc = scenario_folder(tmp_path / "in")
    out = tmp_path / "out"
    args = {"run": ["run", str(sc), "--members", "6", "--chunk-size", "2", "--out",
                    str(out / "x.nc")],
            "export": ["export", str(result_file), "--out", str(out / "x.csv")],
            "plot": ["plot", str(result_file), "--kind", "fan", "--out", str(out)]}[command]
    _fill_disk(monkeypatch, command)
    refused(runner.invoke(main, args), "no space left on device", "nothing was written")
    assert not out.exists() or listing(out) == set()


def _small_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


@pytest.mark.skipif(not IS_ROOT or not sys.platform.startswith("linux"),
                    reason="needs root to mount a small tmpfs")
@pytest.mark.parametrize("size", ["200k", "1m"])
def test_a_really_full_disk_is_one_line_and_leaves_nothing(tmp_path, size):
    """On a real (tiny) file system: the first write or the close fails, depending on the size."""
    disk = tmp_path / "disk"
    if not _small_tmpfs(disk, size):
        pytest.skip("cannot mount a tmpfs here")
    try:
        sc = scenario_folder(tmp_path)
        done = subprocess.run([sys.executable, "-c", "from sim.interfaces.cli import main; main()", "run",
                               str(sc), "--members", "300", "--chunk-size", "50", "--out",
                               str(disk / "x.nc")], capture_output=True, text=True, timeout=300,
                              cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
        assert done.returncode == 2, done.stderr[-2000:]
        lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr[-2000:]
        assert "no space left on device" in lines[0]
        assert os.listdir(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --- 5. inputs that are not regular readable files ------------------------------------------------
def _special(tmp_path: Path, kind: str, suffix: str) -> Path:
    path = tmp_path / f"input{suffix}"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        with open(path, "wb") as f:
            f.truncate(11 << 20)  # sparse: 11 MB of NUL
    return path


@pytest.mark.parametrize("kind", ["folder", "fifo", "huge"])
@pytest.mark.parametrize("command", ["validate", "run", "sweep", "report", "plot", "export",
                                     "catalogue"])
def test_an_input_that_is_not_a_regular_file_is_refused_without_blocking(runner, tmp_path,
                                                                         monkeypatch, command, kind):
    monkeypatch.chdir(tmp_path)
    suffix = ".nc" if command in ("report", "plot", "export") else ".toml"
    path = _special(tmp_path, kind, suffix)
    if kind == "huge" and suffix == ".nc":
        expected = "not a readable NetCDF file"
    elif kind == "huge":
        expected = "allowed: at most"
    else:
        expected = "folder" if kind == "folder" else "not a regular file"
    args = [command, str(path)]
    if command == "catalogue":
        sc = scenario_folder(tmp_path, ANHUI.replace('"targets/anhui.toml"', f'"{path.name}"'))
        args = ["validate", str(sc)]
    with deadline(60):
        res = runner.invoke(main, args)
    refused(res, expected)


@pytest.mark.skipif(IS_ROOT, reason="root reads files without read permission")
@pytest.mark.parametrize("command", ["validate", "report"])
def test_an_unreadable_input_is_refused(runner, tmp_path, result_file, command):
    path = scenario_folder(tmp_path) if command == "validate" else tmp_path / "r.nc"
    if command == "report":
        path.write_bytes(result_file.read_bytes())
    path.chmod(0)
    refused(runner.invoke(main, [command, str(path)]), "permission denied")


# --- 6. sizes ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["scenario", "option", "sweep"])
def test_a_member_count_beyond_memory_is_refused_with_the_limit(runner, tmp_path, where, no_work):
    huge = 10**12
    if where == "scenario":
        args = ["validate", str(scenario_folder(tmp_path, ANHUI.replace("members = 1000 ",
                                                                         f"members = {huge} ")))]
        key = "scenario.members"
    elif where == "option":
        args = ["run", str(scenario_folder(tmp_path)), "--members", str(huge)]
        key = "--members"
    else:
        args = ["sweep", str(sweep_file(tmp_path, members=huge))]
        key = "sweep.members"
    line = refused(runner.invoke(main, args), key, "is outside [1, ", "this machine has")
    limit = int(line.split("is outside [1, ")[1].split("]")[0])
    assert sizes.memory_estimate(limit, 1, 17, "province") <= sizes.physical_memory()


@pytest.mark.parametrize("where", ["scenario", "option", "sweep"])
def test_a_seed_beyond_64_bits_is_refused(runner, tmp_path, where, no_work):
    big = 2**63
    if where == "scenario":
        args = ["validate", str(scenario_folder(tmp_path, ANHUI.replace("seed = 20240205",
                                                                         f"seed = {big}")))]
    elif where == "option":
        args = ["run", str(scenario_folder(tmp_path)), "--seed", str(big)]
    else:
        args = ["sweep", str(sweep_file(tmp_path, seed=big))]
    res = runner.invoke(main, args)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "9223372036854775807" in res.output


def test_a_chunk_beyond_memory_is_refused(runner, tmp_path, no_work):
    refused(runner.invoke(main, ["run", str(scenario_folder(tmp_path)), "--members", "10000000",
                                 "--chunk-size", "10000000", "--detail", "full"]),
            "--chunk-size", "this machine has")


def test_the_largest_seed_runs(runner, tmp_path):
    res = runner.invoke(main, ["run", str(scenario_folder(tmp_path)), "--members", "2",
                               "--seed", str(2**63 - 1), "--out", str(tmp_path / "s.nc")])
    assert res.exit_code == 0, res.output


# --- 7. leftovers: stale temporaries (the signal tests are in test_signals.py) ----------------------
def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_rerun_removes_only_dead_owners_temporaries(tmp_path):
    target = tmp_path / "anhui.nc"
    host = files._HOST
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            "dead": f".anhui.{host}-{_dead_pid()}.tmp.nc",
            "dead_scratch": f".anhui.{host}-{_dead_pid()}.scratch.nc",
            "live": f".anhui.{host}-{live.pid}.tmp.nc",
            "other_host": f".anhui.otherhost-{_dead_pid()}.tmp.nc",
            "other_output": f".anhui2.{host}-{_dead_pid()}.tmp.nc",
            "not_ours": ".anhui.backup.tmp.nc",
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"x")
        with files.atomic_path(target) as tmp:
            tmp.write_bytes(b"result")
        left = {p.name for p in tmp_path.iterdir()}
        assert names["dead"] not in left and names["dead_scratch"] not in left
        assert {names[k] for k in ("live", "other_host", "other_output", "not_ours")} <= left
        assert target.read_bytes() == b"result"
    finally:
        live.kill()
        live.wait()


def test_a_sweep_resume_removes_the_parts_temporaries_of_dead_workers(tmp_path):
    from sim.analysis import sweep
    from sim.scenario.sweep import load_sweep

    sw = load_sweep(sweep_file(tmp_path))
    out = tmp_path / "outputs"
    stale = [files._temporary_name(sweep.part_path(out, c)) for c in sw.cases]
    stale = [p.with_name(p.name.replace(f"-{os.getpid()}.", f"-{_dead_pid()}.")) for p in stale]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half a part")
    removed = sweep.remove_leftovers(sw, out)
    assert sorted(removed) == sorted(stale) and not any(p.exists() for p in stale)


# --- 8. consumers of result files ------------------------------------------------------------------
@pytest.fixture(scope="module")
def zero_members(result_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("zero") / "zero.nc"
    with open_results(result_file) as ds:
        ds.isel(member=slice(0, 0)).load().to_netcdf(path)
    return path


@pytest.mark.parametrize("command", ["report", "plot", "export"])
def test_a_file_without_members_is_refused(runner, tmp_path, monkeypatch, zero_members, command):
    monkeypatch.chdir(tmp_path)
    args = [command, str(zero_members)] + (["--out", str(tmp_path / "o")] if command == "plot"
                                            else ["--out", str(tmp_path / "o.csv")]
                                            if command == "export" else [])
    refused(runner.invoke(main, args), "has no members")
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("kinds", [[], ["--kind", "fan"], ["--kind", "energy"]])
def test_plot_of_an_unknown_province_fails_and_makes_no_folder(runner, tmp_path, result_file,
                                                                kinds):
    out = tmp_path / "figures"
    refused(runner.invoke(main, ["plot", str(result_file), "--province", "Atlantis", "--out",
                                 str(out)] + kinds), "no province 'Atlantis'")
    assert not out.exists()


@pytest.mark.parametrize("command", ["report", "plot", "export"])
def test_a_file_that_is_not_netcdf_gives_one_line(runner, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.nc"
    bad.write_text("not\nnetcdf\nat all\n")
    refused(runner.invoke(main, [command, str(bad)]), "not a readable NetCDF file")


# --- 9. Ctrl-C on sim sweep: see test_signals.py --------------------------------------------------
# --- 10. empty lever tables, n/a instead of nan% -----------------------------------------------------
@pytest.mark.parametrize("table, key", [
    ("[levers.eaf_share]\n", "levers.eaf_share"),
    ('[levers.eaf_share]\ninterpolation = "step"\n', "levers.eaf_share"),
    ("[levers.phase_out.sector.iron_steel]\n", "levers.phase_out.sector.iron_steel"),
    ("[levers.eaf_share.province.Anhui]\n", "levers.eaf_share.province.Anhui"),
])
def test_an_empty_lever_table_is_refused_saying_what_it_would_mean(runner, tmp_path, table, key):
    sc = scenario_folder(tmp_path, _without_lever(ANHUI, "eaf_share" if "eaf" in key else "phase_out")
                         + "\n" + table)
    refused(runner.invoke(main, ["validate", str(sc)]), key, "empty table", "stay at its default")


def _without_lever(text: str, lever: str) -> str:
    """The scenario text without its [levers.<lever>...] tables."""
    out, skip = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skip = line.startswith(f"[levers.{lever}]") or line.startswith(f"[levers.{lever}.")
        if not skip:
            out.append(line)
    return "\n".join(out)


def test_undefined_probabilities_and_changes_print_na_not_nan(runner, tmp_path, result_file):
    path = tmp_path / "undefined.nc"
    with open_results(result_file) as ds:
        ds = ds.load()
    ds["target_probability"][:] = np.nan
    ds["target_value"][:] = np.nan
    ds.to_netcdf(path)
    for fmt in ("table", "markdown", "csv"):
        res = runner.invoke(main, ["report", str(path), "--format", fmt])
        assert res.exit_code == 0, res.output
        assert "nan" not in res.output.lower().replace("nanjing", ""), res.output
    assert "n/a" in runner.invoke(main, ["report", str(path)]).output
