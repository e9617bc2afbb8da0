"""Signals sent to a real `sim run` and `sim sweep` process (issue #13 §7, §9): SIGTERM and SIGINT
stop it with its cleanup done (exit 128 + signal, one line, no traceback, no Dask worker noise,
no temporary file); SIGKILL leaves the temporaries, which the next run of the same output
removes. Each test waits until the temporary file exists, so the signal lands mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real processes, run until a signal stops them

REPO = Path(__file__).resolve().parents[2]
SIM = [sys.executable, "-c", "import sys; from sim.interfaces.cli import main; sys.argv[0] = 'sim'; main()"]
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def scenario(folder: Path) -> Path:
    path = folder / "anhui.toml"
    path.write_text((REPO / "scenarios" / "anhui.toml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    (folder / "targets").symlink_to(REPO / "scenarios" / "targets")
    return path


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    # a session of its own: SIGINT can go to the whole process group, as Ctrl-C in a terminal
    return subprocess.Popen(SIM + args, cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(folder: Path, pattern: str, proc: subprocess.Popen, timeout: float = 180) -> Path:
    """The first file matching ``pattern`` in ``folder``, once it exists (the process must still
    be running)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        found = sorted(folder.glob(pattern)) if folder.is_dir() else []
        if found:
            return found[0]
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"ended (code {proc.returncode}) before writing {pattern}: {err[-2000:]}")
        time.sleep(0.05)
    kill(proc)
    pytest.fail(f"no {pattern} within {timeout} s")


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(proc)
        pytest.fail(f"still running {timeout} s after the signal")
    return proc.returncode, err


def send(proc: subprocess.Popen, signum: int) -> None:
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # Ctrl-C: every process of the group
    else:
        proc.send_signal(signum)  # kill PID / a batch system's SIGTERM: the main process only


def assert_one_line_stop(code: int, err: str, signum: int) -> None:
    assert code == 128 + signum, err[-3000:]
    assert "Traceback" not in err and " - WARNING - " not in err and " - ERROR - " not in err, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(
        ("sim run", "sweep ", "\rsim run", "\rsweep "))]
    assert len(lines) == 1 and lines[0].startswith(
        f"Error: interrupted by {signal.Signals(signum).name}"), err[-3000:]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sim_run_stops_on_a_signal_and_leaves_nothing(tmp_path, signum):
    out = tmp_path / "out"
    proc = start(["run", str(scenario(tmp_path)), "--members", "40000", "--chunk-size", "250",
                  "--detail", "summary", "--out", str(out / "a.nc")], tmp_path)
    wait_for(out, ".a.*.tmp.nc", proc)
    send(proc, signum)
    code, err = finish(proc)
    assert_one_line_stop(code, err, signum)
    assert os.listdir(out) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sim_sweep_stops_on_a_signal_quietly_and_leaves_no_temporary(tmp_path, signum):
    scenario(tmp_path)
    (tmp_path / "sweep.toml").write_text(
        '[sweep]\nname = "s"\nscenario = "anhui.toml"\nmembers = 20000\ndetail = "summary"\n\n'
        '[axes.eaf]\nlever = "eaf_share"\nyear = 2030\nvalues = [0.2, 0.3]\n', encoding="utf-8")
    parts = tmp_path / "outputs" / "s" / "parts"
    proc = start(["sweep", "sweep.toml", "--workers", "2"], tmp_path)
    wait_for(parts, ".case-*.tmp.nc", proc)
    send(proc, signum)
    code, err = finish(proc)
    assert_one_line_stop(code, err, signum)
    assert [p.name for p in parts.iterdir() if p.name.startswith(".")] == []
    assert not (tmp_path / "outputs" / "s" / "s.nc").exists()


def test_sigkill_leaves_temporaries_that_the_next_run_of_the_same_output_removes(tmp_path):
    out = tmp_path / "out"
    args = ["run", str(scenario(tmp_path)), "--chunk-size", "250", "--detail", "summary",
            "--out", str(out / "a.nc")]
    proc = start(args + ["--members", "40000"], tmp_path)
    wait_for(out, ".a.*.tmp.nc", proc)
    wait_for(out, ".a.*.scratch.nc", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    left = sorted(p.name for p in out.iterdir())
    assert [n.split(".")[-2] for n in left] == ["scratch", "tmp"], left  # what SIGKILL leaves
    assert all(f"-{proc.pid}." in n for n in left)
    rerun = subprocess.run(SIM + args + ["--members", "4"], cwd=tmp_path, env=ENV,
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert os.listdir(out) == ["a.nc"]
