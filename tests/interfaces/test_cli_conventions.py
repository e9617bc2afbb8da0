"""Command-line conventions (issue #14 §4): progress that behaves on a pipe and on a terminal,
--quiet, -h, python -m sim, one error style, shell completion of the shipped scenario names."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner

from sim.core import progress as progress_mod
from sim.core.progress import Progress
from sim.interfaces.cli import main

REPO = Path(__file__).resolve().parents[2]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_progress_off_a_terminal_is_plain_lines():
    out, clock = io.StringIO(), Clock()
    p = Progress("sim run x", "members", stream=out, after=2.0, every=30.0, clock=clock)
    for done, t in ((256, 1.0), (512, 3.0), (768, 10.0), (1024, 40.0), (1280, 41.0)):
        clock.t = t
        p(done, 1280)
    text = out.getvalue()
    assert "\r" not in text
    # nothing before 2 s, one line at 3 s, none within 30 s of it, then 40 s, then the final one;
    # the time left from the rate since the first report (256 members in 2 s, then 768 in 39 s)
    assert text.splitlines() == [
        "sim run x: 512/1280 members (3 s, 6 s left)",
        "sim run x: 1024/1280 members (40 s, 13 s left)",
        "sim run x: 1280/1280 members (41 s, 0 s left)"]


def test_progress_of_short_work_shows_nothing():
    out, clock = io.StringIO(), Clock()
    p = Progress("sim run x", "members", stream=out, clock=clock)
    clock.t = 0.5
    p(16, 16)
    assert out.getvalue() == ""


def test_progress_on_a_terminal_is_a_tqdm_bar_and_quiet_is_silent():
    out = Tty()
    p = Progress("sweep s", "cases", stream=out, after=0.0)
    for done in range(1, 5):
        p(done, 4, failed=1)
    text = out.getvalue()
    assert "\r" in text and "sweep s" in text and "4/4" in text and "1 failed" in text
    quiet = Tty()
    q = Progress("sweep s", "cases", quiet=True, stream=quiet, after=0.0)
    for done in range(1, 5):
        q(done, 4)
    assert quiet.getvalue() == ""


def test_run_progress_piped_and_quiet(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_mod, "AFTER", 0.0)  # show progress even for a short run
    runner = CliRunner()
    args = ["run", "anhui", "--members", "8", "--chunk-size", "4"]
    res = runner.invoke(main, [*args, "--out", str(tmp_path / "a.nc")])
    assert res.exit_code == 0, res.output
    assert "sim run anhui: 8/8 members" in res.stderr  # CliRunner's stderr is not a terminal
    assert "\r" not in res.stderr and "\r" not in res.stdout
    res = runner.invoke(main, [*args, "--out", str(tmp_path / "b.nc"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert res.stderr == ""
    assert "wrote" in res.stdout


@pytest.mark.parametrize("args", [[], ["run"], ["sweep"], ["plot"], ["report"]])
def test_dash_h_is_help(args):
    short = CliRunner().invoke(main, [*args, "-h"])
    long = CliRunner().invoke(main, [*args, "--help"])
    assert short.exit_code == 0 and short.output == long.output
    assert "Usage:" in short.output


def test_python_dash_m_sim(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    res = subprocess.run([sys.executable, "-m", "sim", "validate", "anhui"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "anhui.toml: valid (1 provinces" in res.stdout
    res = subprocess.run([sys.executable, "-m", "sim", "--version"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "version" in res.stdout


def test_errors_have_one_style(tmp_path):
    """Our own errors and click's usage errors: 'Error: ...' on stderr, exit code 2."""
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    toml = tmp_path / "x.toml"
    toml.write_text("[scenario]\nname = 'x'\nbogus = 1\n")
    cases = [["run", "nosuch"], ["validate", str(toml)], ["report", str(bad)],
             ["plot", str(bad)], ["export", str(bad)], ["run", "anhui", "--members", "x"],
             ["run"], ["nosuchcommand"]]
    for args in cases:
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2, (args, res.output)
        lines = res.stderr.strip().splitlines()
        # click's usage errors put the usage first; the error itself is one "Error: " paragraph
        assert [ln for ln in lines if ln.startswith("Error: ")], (args, res.stderr)
        assert lines[0].startswith(("Error: ", "Usage: ")), (args, res.stderr)
        assert not any(ln.lower().startswith("error:") and not ln.startswith("Error: ")
                       for ln in lines), (args, res.stderr)
        assert "Traceback" not in res.stderr and res.stdout == "", (args, res.output)


def _complete(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    comp = ShellComplete(main, {}, "sim", "_SIM_COMPLETE")
    return [(c.value, c.type) for c in comp.get_completions(args, incomplete)]


def test_completion_offers_the_shipped_scenarios(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the checkout: the shipped names still come
    assert ("anhui", "plain") in _complete(["run"], "an")
    assert {v for v, t in _complete(["run"], "") if t == "plain"} >= {"anhui", "national",
                                                                      "baseline"}
    assert _complete(["validate"], "nat") == [("national", "plain")]
    assert _complete(["sweep"], "") == [("anhui_steel", "plain")]
    # a path: the shell completes file names
    assert ("./my", "file") in _complete(["run"], "./my")
    # the bash script click generates is what the README tells users to eval
    res = CliRunner().invoke(main, [], prog_name="sim", env={"_SIM_COMPLETE": "bash_source"})
    assert "_sim_completion" in res.output and "complete " in res.output
    res = CliRunner().invoke(main, [], prog_name="sim", env={
        "_SIM_COMPLETE": "bash_complete", "COMP_WORDS": "sim run an", "COMP_CWORD": "2"})
    assert "plain,anhui" in res.output
