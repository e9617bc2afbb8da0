"""The cost layer (``sim.model.costs.chunk_costs``) compiled against the NumPy formulation it
replaced (tests/model/costs_reference.py), issue #25.

    python -m pytest tests/bench/test_costs_bench.py -p no:cacheprovider --benchmark-enable -s

* ``costs_cpu_<scenario>``: thread CPU seconds of one chunk_costs call, 500 members (as a ``sim
  serve`` lever change prices them), national and Anhui, reference and compiled called
  alternately ``SIM_BENCH_ROUNDS`` times (default 7) on the same kernel outputs, with ULE and
  the by-sector array (the full-detail run): medians, the median of per-round ratios compiled /
  reference, and the load average. The two are checked equal bit for bit once.
* ``costs_cold_compile``: the first call in a fresh interpreter with an empty
  ``NUMBA_CACHE_DIR`` less the second call (compilation), and the first call in another fresh
  interpreter with that cache filled (loading), on small zero-filled outputs, so the kernel's own
  compilation is not counted.

Figures are printed on lines starting with ``BENCH``; nothing is asserted about time (the
machine is shared).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from sim.model import costs as cost_model
from sim.model import pollutants
from sim.model import run as model
from sim.model.kernel import simulate
from sim.scenario import load_scenario
from tests.model import costs_reference

REPO = Path(__file__).resolve().parents[2]
MEMBERS = 500
ROUNDS = int(os.environ.get("SIM_BENCH_ROUNDS", "7"))


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _chunk(name: str):
    """(arguments of chunk_costs, by_sector=True) for MEMBERS members of ``name``."""
    prep = model.prepare(load_scenario(REPO / "scenarios" / f"{name}.toml"), members=MEMBERS)
    out = simulate(model.kernel_inputs(prep, 0, MEMBERS))
    levers = dict(prep.outside, carbon_price=prep.shared["carbon_price"],
                  green_power=prep.shared["green_power"])
    smp = {k: v[:MEMBERS] for k, v in prep.samples.items()}
    rng = np.random.default_rng(0)
    for k in ("capital_cost_multiplier", "energy_price_multiplier"):
        smp.setdefault(k, rng.uniform(0.7, 1.4, MEMBERS))
    ule = pollutants.ule_share(prep.outside["ultra_low_emission"], prep.years)
    return (prep.costs, out, prep.prices, levers, smp, ule)


@pytest.mark.parametrize("name", ["national", "anhui"])
def test_costs_cpu(benchmark, name):
    args = _chunk(name)
    got = cost_model.chunk_costs(*args)  # compiled (or loaded) outside the timing
    want = costs_reference.chunk_costs(*args)
    for key in want:
        assert np.array_equal(got[key].view(np.uint64), want[key].view(np.uint64)), key
    del got, want
    times = {"reference": [], "compiled": []}

    def one_round():
        for variant, fn in (("reference", costs_reference.chunk_costs),
                            ("compiled", cost_model.chunk_costs)):
            t0 = time.thread_time()
            fn(*args)
            times[variant].append(time.thread_time() - t0)

    benchmark.pedantic(one_round, rounds=ROUNDS, warmup_rounds=0)
    ref, new = (np.median(times[v]) for v in ("reference", "compiled"))
    ratio = np.median(np.array(times["compiled"]) / np.array(times["reference"]))
    print(f"\nBENCH costs_cpu_{name} {MEMBERS} members: reference {ref * 1e3:.0f} ms, compiled "
          f"{new * 1e3:.0f} ms thread CPU (medians of {len(times['compiled'])}); compiled / "
          f"reference {ratio:.3f} (median of per-round ratios; {1 / ratio:.1f}x faster); "
          f"load {_load()}")


CHILD = """
import sys, time
import numpy as np
t0 = time.perf_counter()
from sim.core import axes
from sim.data.base_state import load_base_state
from sim.data.costs import load_costs
from sim.model import costs as cost_model
from sim.model.kernel import KernelOutputs
t_import = time.perf_counter() - t0
base = load_base_state()
costs = load_costs(base)
P, S, R, C, T = 2, len(axes.SECTORS), costs.capex.shape[1], len(axes.CARRIERS), 17
out = KernelOutputs.allocate(2, P, S, R, C, 2, T)
prices = costs.prices(np.arange(P), range(2019, 2019 + T))
levers = {k: np.zeros((P, S, T)) for k in ("carbon_price", "carbon_free_allocation",
          "electricity_surcharge", "green_power_premium", "green_power")}
smp = {"capital_cost_multiplier": np.ones(2), "energy_price_multiplier": np.ones(2)}
calls = []
for _ in range(2):
    t0 = time.perf_counter()
    cost_model.chunk_costs(costs, out, prices, levers, smp, np.zeros((P, S, T)))
    calls.append(time.perf_counter() - t0)
print(t_import, calls[0], calls[1])
"""


def test_costs_cold_compile(benchmark):
    def child(cache: str) -> list[float]:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(REPO))
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=REPO, check=True,
                              capture_output=True, text=True)
        return [float(x) for x in done.stdout.split()]

    with tempfile.TemporaryDirectory() as cache:
        cold = benchmark.pedantic(child, args=(cache,), rounds=1, iterations=1)
        warm = child(cache)
    print(f"\nBENCH costs_cold_compile {cold[1] - cold[2]:.2f} s (first call {cold[1]:.2f} s, "
          f"second {cold[2] * 1e3:.1f} ms; empty NUMBA_CACHE_DIR); with the cache filled the "
          f"first call takes {warm[1]:.3f} s; load {_load()}")
