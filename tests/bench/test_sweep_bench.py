"""Sweep throughput: cases per second for 64 lever sets x 1000 members of the Anhui scenario,
with 1 and with 2 Dask workers (local cluster, one process per worker, one Numba thread each).

    python -m pytest tests/bench/test_sweep_bench.py -p no:cacheprovider --benchmark-enable -s
"""

from __future__ import annotations

import time
from pathlib import Path

from sim.analysis.sweep import run_sweep
from sim.scenario.sweep import load_sweep

REPO = Path(__file__).resolve().parents[2]
SWEEP = f"""
[sweep]
name = "bench64"
scenario = "{REPO / 'scenarios' / 'anhui.toml'}"
members = 1000
detail = "summary"
success = ["anhui_eaf_share_2030", "industry_peak_2030_province:Anhui"]

[axes.eaf]
lever = "eaf_share"
year = 2030
values = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55]

[axes.phase_out]
lever = "phase_out"
sector = "iron_steel"
year = 2024
values = [0.0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15]
"""


def _sweep_seconds(tmp: Path, workers: int) -> float:
    from distributed import Client, LocalCluster

    path = tmp / "bench64.toml"
    path.write_text(SWEEP, encoding="utf-8")
    sweep = load_sweep(path)
    assert len(sweep.cases) == 64
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("kernels.stock_flow"))  # import and JIT-cache load
        t0 = time.perf_counter()
        res = run_sweep(sweep, client, tmp / f"out{workers}")
        seconds = time.perf_counter() - t0
    assert not res.failed and len(res.computed) == 64
    return seconds


def test_sweep_cases_per_second(benchmark, tmp_path):
    def both():
        return _sweep_seconds(tmp_path, 1), _sweep_seconds(tmp_path, 2)

    one, two = benchmark.pedantic(both, rounds=1, iterations=1)
    print(f"\nBENCH sweep 64 cases x 1000 members (anhui): 1 worker {64 / one:.2f} cases/s "
          f"({one:.1f} s), 2 workers {64 / two:.2f} cases/s ({two:.1f} s), "
          f"speed-up {one / two:.2f} (ideal 2)")
    assert one / two > 1.2
