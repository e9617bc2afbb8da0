"""Shared fixtures and helpers of the benchmarks of this folder: the kernel's inputs and timing
(tests/bench/test_kernel_bench.py), and an older commit's tree to run beside today's (the run path
and serve benchmarks).

Nothing here is autouse: the other benchmark files of this folder are unaffected.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import fields, replace
from pathlib import Path

import numba
import numpy as np
import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS.parent) not in sys.path:  # tests.helpers and tests.kernels are imported from the repository
    sys.path.insert(0, str(TESTS.parent))

from kernels.arrays import KernelInputs, KernelOutputs  # noqa: E402

NATIONAL_MEMBERS = 1000
REPO = TESTS.parent


def tree_at(commit: str, folder: Path, today: Iterable[str] = ()) -> Path:
    """The tree of ``commit`` (``git archive``) unpacked into ``folder``, with today's copies of
    the paths ``today`` (folders or files, relative to the repository) in place of its own, so
    that both sides of a before/after run share them. Skips the test when the commit is not in
    this checkout's history."""
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True)
    if archive.returncode != 0:
        pytest.skip(f"commit {commit} is not in this checkout's history")
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    for part in today:
        if (REPO / part).is_dir():
            shutil.rmtree(folder / part)
            shutil.copytree(REPO / part, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / part, folder / part)
    return folder


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as printed beside every benchmark figure."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def median(values) -> float:
    """The median of ``values`` (the mean of the two middle ones for an even count)."""
    return float(np.median(values))

@pytest.fixture(scope="session")
def national_inputs() -> KernelInputs:
    """Kernel inputs of ``scenarios/national.toml`` for 1000 members: 31 provinces x 9 sectors x
    3 routes x 4 age stages x 7 carriers x 2 metals x 17 years."""
    from sim.model import run as model
    from sim.scenario import load_scenario

    prep = model.prepare(load_scenario(str(TESTS.parent / "scenarios" / "national.toml")),
                         members=NATIONAL_MEMBERS)
    return model.kernel_inputs(prep, 0, NATIONAL_MEMBERS)


@pytest.fixture
def all_threads():
    """The number of Numba threads available; the thread count is restored after the test."""
    n = numba.config.NUMBA_NUM_THREADS
    yield n
    numba.set_num_threads(n)


def province_slice(inp: KernelInputs, P: int) -> KernelInputs:
    """The same inputs for the first ``P`` provinces only, as contiguous copies (a strided view
    would be copied by the kernel wrapper at every call, inside the timing)."""
    kw = {}
    for f in fields(inp):
        axis = f.metadata["dims"].find("P")  # the field's axes as SPEC declares them
        if axis >= 0:
            v = getattr(inp, f.name)
            kw[f.name] = np.ascontiguousarray(v[:P] if axis == 0 else v[:, :P])
    return replace(inp, **kw)


def province_sector_years(inp: KernelInputs) -> int:
    """Work of one run in province-sector-years (members x provinces x sectors x years)."""
    sh = inp.shape
    return sh["M"] * sh["P"] * sh["S"] * sh["T"]


def allocate_outputs(inp: KernelInputs) -> KernelOutputs:
    """Outputs for ``inp``, touched once so that page faults are not timed later."""
    sh = inp.shape
    out = KernelOutputs.allocate(sh["M"], sh["P"], sh["S"], sh["R"], sh["C"], sh["N"], sh["T"])
    for a in out.as_dict().values():
        a.fill(0.0)
    return out


class Interleaved:
    """Several variants timed in alternation, round by round.

    The benchmark machines are shared virtual machines whose speed drifts by tens of percent
    over seconds. Each round times every variant back to back, so :meth:`ratio` (the median of
    the per-round ratios) compares variants under the same conditions; :meth:`best` is each
    variant's fastest round, for absolute throughput. Use :meth:`round` as the target of
    ``benchmark.pedantic`` (warm-up rounds then exclude the JIT compilation)."""

    def __init__(self, variants: dict):
        self.variants = variants  # name -> callable taking no argument
        self.times = {name: [] for name in variants}

    def round(self) -> None:
        for name, fn in self.variants.items():
            t0 = time.perf_counter()
            fn()
            self.times[name].append(time.perf_counter() - t0)

    def best(self, name: str) -> float:
        return min(self.times[name])

    def median(self, name: str) -> float:
        t = sorted(self.times[name])
        return t[len(t) // 2]

    def ratio(self, a: str, b: str) -> float:
        """Median over rounds of time(a) / time(b)."""
        r = sorted(x / y for x, y in zip(self.times[a], self.times[b]))
        return r[len(r) // 2]
