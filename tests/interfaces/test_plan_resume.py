"""`sim plan` resumes after a kill (issue #24): a real process is killed with SIGKILL while it
searches; the same command then reads the journal back, evaluates only what is missing, and
ends with the very packages and choice of a run that was never interrupted."""

from __future__ import annotations

import subprocess
import time

import numpy as np
import pytest
from click.testing import CliRunner

from sim.interfaces.cli import main
from sim.results.reading import open_results
from tests.interfaces.test_signals import ENV, SIM, kill, scenario, start

pytestmark = pytest.mark.slow  # real processes

ARGS = ["--levers", "eaf_share:2030=0.1..0.5", "--levers", "scrap_collection:2030=1..1.6",
        "--target", "anhui_eaf_share_2030", "--confidence", "0.7", "--members", "40",
        "--verify-members", "40", "--max-evaluations", "40", "--no-plot", "-q"]


def test_sigkill_mid_search_then_rerun_gives_the_uninterrupted_result(tmp_path):
    path = scenario(tmp_path)
    out = tmp_path / "out" / "p.nc"
    journal = out.with_name("p.journal.jsonl")
    proc = start(["plan", str(path), *ARGS, "--out", str(out)], tmp_path)
    t0 = time.monotonic()
    while not (journal.is_file() and len(journal.read_text().splitlines()) > 12):
        if proc.poll() is not None:
            pytest.fail(f"ended before the kill: {proc.communicate()[1][-2000:]}")
        if time.monotonic() - t0 > 180:
            kill(proc)
            pytest.fail("no journal within 180 s")
        time.sleep(0.05)
    kill(proc)  # SIGKILL to the process group
    kept = len(journal.read_text().splitlines()) - 1
    assert kept >= 12 and not out.exists()
    rerun = subprocess.run(SIM + ["plan", str(path), *ARGS, "--out", str(out)], cwd=tmp_path,
                           env=ENV, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    whole = tmp_path / "whole" / "p.nc"
    res = CliRunner().invoke(main, ["plan", str(path), *ARGS, "--out", str(whole)])
    assert res.exit_code == 0, res.output
    with open_results(out) as a, open_results(whole) as b:
        # the journal may end in a line cut by the kill: at least all but that one are reused
        assert int(a.attrs["resumed_evaluations"]) >= kept - 1
        assert int(b.attrs["resumed_evaluations"]) == 0
        np.testing.assert_array_equal(a["lever_value"].values, b["lever_value"].values)
        np.testing.assert_array_equal(a["probability"].values, b["probability"].values)
        assert a.attrs["chosen_evaluation"] == b.attrs["chosen_evaluation"]
        assert a.attrs["verify_probability"] == b.attrs["verify_probability"]
