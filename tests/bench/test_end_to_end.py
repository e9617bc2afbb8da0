"""End-to-end `sim run` benchmarks: wall time, peak memory and the split into stages.

Each run is a fresh process (start-up, imports and the warm on-disk JIT cache included), as a
modeller would see it. The stage split comes from the line `sim run` prints at the end:
sampling (Latin-hypercube design), inputs (member arrays), kernel, targets (indicators, target
checks, peak years), writing (appending chunks and scratch, compression) and quantiles.

    python -m pytest tests/bench/test_end_to_end.py -p no:cacheprovider --benchmark-enable -s

The 10^5-member run takes several minutes and is opt-in: set SIM_BENCH_LARGE=1.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = "from sim.interfaces.cli import main; main()"


def run_cli(args: list[str], out: Path) -> dict:
    """Run `sim run ARGS --out OUT` in a child process; wall time, peak RSS and stages."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", CLI, "run", *args, "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    line = next(x for x in res.stdout.splitlines() if x.startswith("wrote "))
    timed, busy = line.split(":", 1)[1].split(";")
    stages = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", timed)}
    return dict(wall=wall, peak_gb=peak_kb / 1e6 if peak_kb > before else float("nan"),
                stages=stages, size_mb=out.stat().st_size / 1e6,
                writer_busy=float(re.search(r"busy ([\d.]+) s", busy).group(1)))


def report(name: str, r: dict) -> None:
    total = sum(r["stages"].values())
    share = {k: v / r["wall"] for k, v in r["stages"].items()}
    print(f"\nBENCH {name}: wall {r['wall']:.1f} s, peak RSS {r['peak_gb']:.2f} GB, "
          f"file {r['size_mb']:.0f} MB")
    print("BENCH   stages: " + ", ".join(f"{k} {v:.1f} s ({share[k]:.0%})"
                                         for k, v in r["stages"].items())
          + f"; start-up and imports {r['wall'] - total:.1f} s; writer thread busy "
          f"{r['writer_busy']:.1f} s (overlapped)")
    print(f"BENCH   writing + targets = {share.get('writing', 0) + share.get('targets', 0):.0%} "
          "of wall time (goal <= 30 %)")


@pytest.fixture(scope="module", autouse=True)
def warm_jit_cache(tmp_path_factory):
    """One small run so the on-disk JIT cache is warm for the measured runs."""
    run_cli(["anhui", "--members", "4"], tmp_path_factory.mktemp("warm") / "w.nc")


def test_national_10k_members(benchmark, tmp_path):
    out = tmp_path / "national.nc"
    r = benchmark.pedantic(run_cli, args=(["national", "--members", "10000"], out),
                           rounds=1, iterations=1)
    report("sim run national --members 10000 (detail province, zlib)", r)
    r2 = run_cli(["national", "--members", "10000", "--no-compress"], tmp_path / "nc.nc")
    report("sim run national --members 10000 --no-compress", r2)


def test_members_scaling_end_to_end(benchmark, tmp_path):
    """Wall time of 2n members over n, whole runs (start-up included once in each)."""
    def both():
        a = run_cli(["national", "--members", "2000"], tmp_path / "a.nc")
        b = run_cli(["national", "--members", "4000"], tmp_path / "b.nc")
        return a, b

    a, b = benchmark.pedantic(both, rounds=1, iterations=1)
    ka = sum(a["stages"].values())
    kb = sum(b["stages"].values())
    print(f"\nBENCH end-to-end 4000 / 2000 members: wall {b['wall'] / a['wall']:.2f}, "
          f"excluding start-up {kb / ka:.2f} (ideal 2)")
    assert 1.5 < kb / ka < 2.6


@pytest.mark.skipif(os.environ.get("SIM_BENCH_LARGE") != "1", reason="set SIM_BENCH_LARGE=1")
def test_national_100k_members_bounded_memory(benchmark, tmp_path):
    out = tmp_path / "national.nc"
    r = benchmark.pedantic(run_cli, args=(["national", "--members", "100000", "--detail",
                                           "province"], out), rounds=1, iterations=1)
    report("sim run national --members 100000 --detail province", r)
    assert r["peak_gb"] <= 3.0
