"""Speed of ``sim plan`` (issues #24 and #25): one package's evaluation before and after the light
evaluation (``sim.model.run.run_outcome``), interleaved in one run; the Anhui example
(``sim plan --plan anhui``: 10 lever points, 500 members, 300 packages; goal: within 1 minute on
2 cores); the national benchmark (``sim plan --plan national``: 30 lever points, 500 members,
screening on 100; goal: within 30 minutes on 2 cores; ``SIM_BENCH_NATIONAL=1``, it is long).

    python -m pytest tests/bench/test_plan_bench.py -p no:cacheprovider -s

The machine is shared with other sessions, so every figure is printed with the load average and
with the CPU time (user + system, which the load inflates much less than the wall time); the
ratio of one run's interleaved before/after timings is the figure to compare. Nothing about time
is asserted; the before and after evaluations must give the same numbers.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.analysis import plan
from sim.model import run as model
from sim.scenario.plan import load_plan

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "scenarios" / "plans"


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + \
        f", {os.cpu_count()} cpus"


def _before(p: plan.Problem, x) -> plan.Outcome:
    """A package as the search evaluated it before run_outcome: the whole run_chunk Dataset."""
    sc = plan.lever_scenario(p.document, p.scenario, list(zip(p.points, map(float, x))))
    prep = model.prepare(sc, members=p.members, seed=p.seed, samples=p.samples)
    return plan.outcome(model.run_chunk(prep, 0, prep.members, variables=frozenset()), p.targets)


@pytest.mark.parametrize("name, packages", [("anhui", 12), ("national", 4)])
def test_one_package_before_and_after(name, packages):
    pf = load_plan(PLANS / f"{name}.toml")
    p = plan.problem(pf.scenario, pf.points, pf.targets, pf.confidence, pf.members, pf.seed,
                     pf.margin)
    rng = np.random.default_rng(0)
    xs = [p.lows + rng.random(len(p.lows)) * (p.highs - p.lows) for _ in range(packages)]
    p(xs[0]), _before(p, xs[0])  # compile, fill caches
    times = {"before": [0.0, 0.0], "after": [0.0, 0.0]}
    start = _load()
    for x in xs:  # interleaved: the load hits both alike
        results = {}
        for label, run in (("before", lambda: _before(p, x)), ("after", lambda: p(x))):
            w, c = time.perf_counter(), time.process_time()
            results[label] = run()
            times[label][0] += time.perf_counter() - w
            times[label][1] += time.process_time() - c
        assert results["before"] == results["after"]
    (wb, cb), (wa, ca) = (np.array(times[k]) / packages for k in ("before", "after"))
    screening = ""
    if pf.screen_members:  # a package of the screening stage (the first members only)
        sub = p.subset(pf.screen_members)
        w, c = time.perf_counter(), time.process_time()
        for x in xs:
            sub(x)
        ws, cs = (time.perf_counter() - w) / packages, (time.process_time() - c) / packages
        screening = (f"; a screening package ({pf.screen_members} members) {ws:.3f} s wall "
                     f"{cs:.3f} s CPU")
    print(f"\nBENCH plan package {name} ({len(p.points)} lever points, {p.members} members, "
          f"{len(p.targets)} targets; {packages} packages interleaved): before {wb:.3f} s wall "
          f"{cb:.3f} s CPU, after {wa:.3f} s wall {ca:.3f} s CPU; ratio before/after {wb / wa:.2f} "
          f"wall, {cb / ca:.2f} CPU{screening}; {start} at the start, {_load()} at the end")


def _command(tmp: Path, plan_name: str, *extra: str) -> tuple[float, float, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    # compile or load the kernel once, outside the timing
    subprocess.run([sys.executable, "-m", "sim", "run", "anhui", "--members", "2", "--out",
                    str(tmp / "warm.nc"), "-q"], check=True, env=env, cwd=REPO,
                   capture_output=True)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = _load()
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "sim", "plan", "--plan", plan_name, *extra,
                          "--out", str(tmp / f"{plan_name}.nc"), "-q", "--no-plot"],
                         env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    assert res.returncode == 0, res.stderr
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (now.ru_utime - used.ru_utime) + (now.ru_stime - used.ru_stime)
    return seconds, cpu, (res.stdout.strip().splitlines()[-1]
                          + f"; {start} at the start, {_load()} at the end")


def test_anhui_plan_within_a_minute(tmp_path):
    seconds, cpu, line = _command(tmp_path, "anhui")
    print(f"\nBENCH plan anhui (sim plan --plan anhui): {seconds:.1f} s wall (goal <= 60 s: "
          f"{'met' if seconds <= 60 else 'MISSED'}), {cpu:.1f} s CPU; {line}")


@pytest.mark.skipif(not os.environ.get("SIM_BENCH_NATIONAL"),
                    reason="SIM_BENCH_NATIONAL=1 for the national plan (up to 30 minutes)")
def test_national_plan_within_30_minutes(tmp_path):
    seconds, cpu, line = _command(tmp_path, "national")
    print(f"\nBENCH plan national (sim plan --plan national): {seconds:.1f} s wall (goal <= "
          f"1800 s: {'met' if seconds <= 1800 else 'MISSED'}), {cpu:.1f} s CPU; {line}")
