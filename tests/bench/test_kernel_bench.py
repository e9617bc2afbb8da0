"""Benchmarks of the Numba kernel (kernels/stock_flow.py) on the national scenario.

    python -m pytest tests/bench/test_kernel_bench.py -p no:cacheprovider --benchmark-enable -s

Every figure is printed on one line starting with ``BENCH`` (see tests/bench/README.md). Work is
counted in province-sector-years ("psy": members x provinces x sectors x years). The kernel is
compiled before any timing (an explicit first call, then ``warmup_rounds``); variants compared
with each other are timed in alternation, round by round, and each keeps its best round
(:class:`conftest.Interleaved`), because the shared machines drift in speed: ratios are medians
of per-round ratios, throughputs the best round (the median is printed too). Throughput is not
asserted (machine noise); the scaling ratios and the kernel == reference check are.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from kernels import stock_flow
from kernels.stock_flow import simulate_into
from sim.model import kernel as model_kernel
from tests.bench.conftest import (
    NATIONAL_MEMBERS,
    TESTS,
    Interleaved,
    allocate_outputs,
    province_sector_years,
    province_slice,
)

REPO = TESTS.parent


def _compile(inp) -> None:
    """First call on a two-member slice: JIT compilation (or cache load) outside any timing."""
    small = inp.member_slice(0, 2)
    simulate_into(small, allocate_outputs(small))


def _run_into(inp, out, threads: int):
    """``sim.model.kernel.simulate`` into ``out`` with ``threads`` threads (the application's
    call: member ranges in threads)."""
    def run():
        numba.set_num_threads(threads)
        model_kernel.simulate(inp, out)
    return run


# ================================================================================================
# throughput
# ================================================================================================
def test_kernel_throughput(benchmark, national_inputs, all_threads):
    """Province-sector-years per second into pre-allocated outputs, 1 thread and all threads."""
    inp = national_inputs
    out = allocate_outputs(inp)
    _compile(inp)
    iv = Interleaved({"1": _run_into(inp, out, 1), "all": _run_into(inp, out, all_threads)})
    benchmark.pedantic(iv.round, rounds=6, warmup_rounds=1)

    psy = province_sector_years(inp)
    t1, tn = iv.best("1"), iv.best("all")
    print(f"\nBENCH kernel_throughput_1thread {psy / t1:.3g} psy/s/core "
          f"({t1:.3f} s for {NATIONAL_MEMBERS} national members; median {psy / iv.median('1'):.3g})")
    print(f"BENCH kernel_throughput_{all_threads}threads {psy / tn:.3g} psy/s = "
          f"{psy / tn / all_threads:.3g} psy/s/core ({tn:.3f} s; median {psy / iv.median('all'):.3g})")
    print(f"BENCH kernel_parallel_speedup {iv.ratio('1', 'all'):.2f} with {all_threads} threads "
          f"(ideal {all_threads}; median of per-round ratios; best-of ratio {t1 / tn:.2f})")


def test_kernel_throughput_with_allocation(benchmark, national_inputs, all_threads):
    """The same through ``simulate``, which allocates ~1 GB of fresh outputs per 1000 members:
    the page faults of that memory are included (what ``sim run`` sees per chunk)."""
    inp = national_inputs
    _compile(inp)

    def run(threads: int):
        def f():
            numba.set_num_threads(threads)
            model_kernel.simulate(inp)
        return f

    iv = Interleaved({"1": run(1), "all": run(all_threads)})
    benchmark.pedantic(iv.round, rounds=4, warmup_rounds=1)
    psy = province_sector_years(inp)
    print(f"\nBENCH kernel_simulate_with_allocation_1thread {psy / iv.best('1'):.3g} psy/s/core "
          f"({iv.best('1'):.3f} s)")
    print(f"BENCH kernel_simulate_with_allocation_{all_threads}threads "
          f"{psy / iv.best('all'):.3g} psy/s ({iv.best('all'):.3f} s)")


# ================================================================================================
# profile: the three parts of a year
# ================================================================================================
def _first_parts(parts: int):
    """The member loop of ``kernels.stock_flow`` running only the first ``parts`` of the three
    parts of a year (1: steps 1-6, 2: and step 7, 3: and steps 8-10), members in sequence."""
    capacity, scrap, energy = (stock_flow._capacity_steps, stock_flow._scrap_step,
                               stock_flow._energy_steps)

    @numba.njit(nogil=True, error_model=stock_flow.ERROR_MODEL)
    def run(base, levers, uncertain, buffer, at):
        P, S, R, K = base.cap0.shape
        for m in range(uncertain.growth.shape[0]):
            state = stock_flow._member_state(m, base, uncertain)
            scratch = stock_flow._scratch(P, R)
            for t in range(uncertain.growth.shape[3]):
                capacity(m, t, base, levers, uncertain, buffer, at, state, scratch)
                if parts >= 2:
                    scrap(m, t, base, levers, uncertain, buffer, at, state, scratch)
                if parts >= 3:
                    energy(m, t, base, levers, uncertain, buffer, at, state, scratch)
    return run


def test_kernel_profile_parts(benchmark, national_inputs):
    """Share of each part of a year in the single-threaded kernel time (steps 1-6, step 7,
    steps 8-10; differences of runs with the first 1, 2 and 3 parts, timed in alternation),
    1000 national members: where a faster kernel must save."""
    from kernels.arrays import check_inputs, check_outputs

    (base, levers, uncertain), sizes = check_inputs(national_inputs)
    buffer, at = stock_flow._member_buffer(
        stock_flow._as_rows(check_outputs(allocate_outputs(national_inputs), sizes)))
    runs = {n: _first_parts(n) for n in (1, 2, 3)}
    for run in runs.values():  # compile outside the timing
        run(base, levers, uncertain, buffer, at)
    iv = Interleaved({n: (lambda run=run: run(base, levers, uncertain, buffer, at))
                      for n, run in runs.items()})
    benchmark.pedantic(iv.round, rounds=5, warmup_rounds=0)
    full = iv.median(3)
    shares = (iv.median(1) / full, (iv.median(2) - iv.median(1)) / full,
              (full - iv.median(2)) / full)
    print(f"\nBENCH kernel_profile_parts steps 1-6 {shares[0]:.0%}, step 7 {shares[1]:.0%}, "
          f"steps 8-10 {shares[2]:.0%} of {full:.3f} s ({NATIONAL_MEMBERS} national members, "
          f"1 thread, medians; load average {os.getloadavg()[0]:.1f})")


# ================================================================================================
# the boundary check
# ================================================================================================
def test_input_check_cost(benchmark, national_inputs):
    """Seconds per call of the check run before every kernel call (check_inputs and
    check_outputs, kernels/arrays.py) on the 1000 national members, and its share of the
    single-threaded kernel time."""
    from kernels.arrays import check_inputs, check_outputs

    inp = national_inputs
    out = allocate_outputs(inp)
    _compile(inp)

    def check():
        _, sizes = check_inputs(inp)
        check_outputs(out, sizes)

    iv = Interleaved({"check": check, "kernel": _run_into(inp, out, 1)})
    benchmark.pedantic(iv.round, rounds=5, warmup_rounds=1)
    best = iv.best("check")
    print(f"\nBENCH kernel_input_check {best * 1e3:.2f} ms per call ({NATIONAL_MEMBERS} national "
          f"members; {iv.ratio('check', 'kernel') * 100:.2f} % of the 1-thread kernel time; median "
          f"{iv.median('check') * 1e3:.2f} ms)")


# ================================================================================================
# Numba kernel vs the NumPy reference
# ================================================================================================
REFERENCE_MEMBERS = 4


def test_kernel_vs_numpy_reference(benchmark, national_inputs, all_threads):
    """Seconds per member of tests/reference.py over those of the kernel, both single-threaded,
    on the same national inputs; the outputs of the reference's members are checked equal."""
    from tests.helpers.reference import reference_simulate
    from tests.kernels.test_kernel import assert_same

    inp = national_inputs
    small = inp.member_slice(0, REFERENCE_MEMBERS)
    out = allocate_outputs(inp)
    _compile(inp)
    ref = {}

    def run_reference():
        ref["out"] = reference_simulate(small)

    iv = Interleaved({"reference": run_reference, "kernel": _run_into(inp, out, 1)})
    benchmark.pedantic(iv.round, rounds=3, warmup_rounds=0)

    per_ref = iv.best("reference") / REFERENCE_MEMBERS
    per_kernel = iv.best("kernel") / NATIONAL_MEMBERS
    ratio = iv.ratio("reference", "kernel") * NATIONAL_MEMBERS / REFERENCE_MEMBERS
    print(f"\nBENCH kernel_vs_numpy_reference {ratio:.0f}x per member "
          f"(reference {per_ref * 1e3:.0f} ms/member on {REFERENCE_MEMBERS} members, kernel "
          f"{per_kernel * 1e3:.3f} ms/member on {NATIONAL_MEMBERS}, 1 thread each)")
    numba.set_num_threads(all_threads)
    assert_same(model_kernel.simulate(small), ref["out"])


# ================================================================================================
# scaling with members and provinces
# ================================================================================================
def _scaling(benchmark, small, large, all_threads: int) -> float:
    """Time of ``large`` over time of ``small`` (median of per-round ratios), all threads."""
    _compile(large)
    out_s, out_l = allocate_outputs(small), allocate_outputs(large)
    iv = Interleaved({"small": _run_into(small, out_s, all_threads),
                      "large": _run_into(large, out_l, all_threads)})
    benchmark.pedantic(iv.round, rounds=6, warmup_rounds=1)
    return iv.ratio("large", "small")


def test_scaling_members(benchmark, national_inputs, all_threads):
    n = NATIONAL_MEMBERS // 2
    ratio = _scaling(benchmark, national_inputs.member_slice(0, n),
                     national_inputs.member_slice(0, 2 * n), all_threads)
    print(f"\nBENCH kernel_scaling_members {ratio:.2f} (time for {2 * n} / {n} members, ideal 2)")
    assert 1.5 < ratio < 2.6


def test_scaling_provinces(benchmark, national_inputs, all_threads):
    ratio = _scaling(benchmark, province_slice(national_inputs, 15),
                     province_slice(national_inputs, 30), all_threads)
    print(f"\nBENCH kernel_scaling_provinces {ratio:.2f} (time for 30 / 15 provinces, "
          f"{NATIONAL_MEMBERS} members, ideal 2)")
    assert 1.5 < ratio < 2.6


# ================================================================================================
# first-call JIT cost, on-disk cache cold and warm
# ================================================================================================
FIRST_CALL = """
import sys, time
sys.path[:0] = {paths!r}
import numba  # importing Numba itself is not part of the figure
from tests.helpers.kernel_cases import neutral_inputs
inp = neutral_inputs(M=2, P=3, S=3, T=5)
t0, c0 = time.perf_counter(), time.process_time()
from {package}.stock_flow import simulate
simulate(inp)
print("FIRST_CALL", time.perf_counter() - t0, time.process_time() - c0)
"""


def first_call(cache_dir: Path, package: str = "kernels", path: Path | None = None):
    """(wall, CPU) seconds for ``from <package>.stock_flow import simulate; simulate(small
    inputs)`` in a fresh interpreter whose Numba cache is ``cache_dir`` (``path``: where an
    older copy of the kernel package is, see :func:`_kernel_at`). The CPU time (of the process)
    is the steadier figure on a loaded machine."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    paths = [str(p) for p in (path, TESTS.parent) if p is not None]
    res = subprocess.run([sys.executable, "-c", FIRST_CALL.format(paths=paths, package=package)],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    wall, cpu = re.search(r"FIRST_CALL (\S+) (\S+)", res.stdout).groups()
    return float(wall), float(cpu)


def first_call_seconds(cache_dir: Path) -> float:
    """Wall seconds of :func:`first_call` of today's kernel."""
    return first_call(cache_dir)[0]


def test_jit_first_call_cold_cache(benchmark, tmp_path_factory):
    times = []
    benchmark.pedantic(lambda d: times.append(first_call_seconds(d)),
                       setup=lambda: ((tmp_path_factory.mktemp("numba_cold"),), {}), rounds=1)
    print(f"\nBENCH jit_first_call_cold_cache {min(times):.1f} s (empty NUMBA_CACHE_DIR: "
          "compiles and writes the cache)")


def test_jit_first_call_warm_cache(benchmark, tmp_path_factory):
    cache = tmp_path_factory.mktemp("numba_warm")
    first_call_seconds(cache)  # populates the cache
    times = []
    benchmark.pedantic(lambda: times.append(first_call_seconds(cache)), rounds=3)
    print(f"\nBENCH jit_first_call_warm_cache {min(times):.2f} s (NUMBA_CACHE_DIR populated: "
          "loads the compiled kernel)")


# ================================================================================================
# guard: the functions called inside the member loop stay free of reference-count updates
# ================================================================================================
# Functions that allocate the member's state (their reference counting is legitimate, once per
# member) or are the parallel driver; every other @njit function of the kernel is guarded.
ALLOCATING = {"_member", "_member_state", "_scratch", "_simulate_members"}


def _guard_args(name: str):
    """Arguments of the right types for ``stock_flow.<name>`` (small random inputs)."""
    from kernels.arrays import KernelOutputs, check_inputs, check_outputs
    from tests.helpers.kernel_cases import random_inputs

    inp = random_inputs(np.random.default_rng(1), 2, 3, 2, 5, 4, 2)
    (base, levers, uncertain), sizes = check_inputs(inp)
    out = check_outputs(KernelOutputs.allocate(*(sizes[x] for x in "MPSRCNT")), sizes)
    state = stock_flow._member_state(0, base, uncertain)
    scratch = stock_flow._scratch(sizes["P"], sizes["R"])
    R = sizes["R"]
    v = np.ones(R)
    buffer, at = stock_flow._member_buffer(stock_flow._as_rows(out))
    year = (0, 1, base, levers, uncertain, buffer, at, state, scratch)
    return {
        "_age_chain": (np.ones((2, 4)), 1, 0.25, 0.1),
        "_age_routes": (state.cap, state.cap_chains, 1, 1, 0.25, 0.1, np.empty(R), np.empty(R)),
        "_investment": (10.0, 0.8, 5.0, np.inf, 1.0),
        "_default_weights": (2.0, v.copy(), v.copy(), v / R, np.empty(R)),
        "_split_investment": (2.0, v.copy(), v / R, np.full(R, 0.2), np.ones(R, dtype=np.int64),
                              np.empty(R), np.empty(R), np.zeros(R, dtype=np.bool_)),
        "_intensity_coflow": (state.intensity, base.new_int0, base.floor_int, 1, 1, 2,
                              state.decay, v.copy(), v.copy(), 0.1),
        "_production": (state.cap, 1, 1, 5.0, state.prod, np.empty(R)),
        "_take_share": (0.5, 1.0, 2.0, 3.0),
        "_priced_weights": (v / R, np.empty(R), np.empty(R), np.ones(R, dtype=np.int64),
                            base.new_int0, base.floor_int, state.decay, base.ef, base.process_ef,
                            levers.capture, base.entry_premium, 1, 1, 2, 200.0, 1.0, 3e9),
        "_capacity_steps": year,
        "_scrap_step": year,
        "_energy_steps": year,
        "_put": (np.zeros((2, 3, 5)), np.ones((5, 7)), 2, 1),
    }[name]


GUARDED = ["_age_chain", "_age_routes", "_investment", "_default_weights", "_split_investment",
           "_intensity_coflow", "_production", "_take_share", "_priced_weights", "_capacity_steps",
           "_scrap_step", "_energy_steps", "_put"]


def test_every_kernel_function_is_guarded():
    jitted = {name for name, obj in vars(stock_flow).items()
              if isinstance(obj, numba.core.registry.CPUDispatcher)}
    assert jitted == set(GUARDED) | ALLOCATING, jitted ^ (set(GUARDED) | ALLOCATING)


@pytest.mark.parametrize("name", GUARDED)
def test_hot_helpers_have_no_refcount_updates(name):
    """Every call of these functions (several per province-sector-year, or one per part of a
    year) must compile without NRT_incref/NRT_decref of its array arguments, named tuples of
    arrays included: those atomic updates once took half the kernel time, and small edits (an
    early return, one more array argument, a helper call that LLVM does not inline) can bring
    them back. The year-level functions stay free of them because their per-(p, s) helpers are
    inlined (``inline="always"``): a remaining call's error-status branch keeps the pruning from
    removing the increments of every array taken out of the named tuples."""
    disp = getattr(stock_flow, name)
    opts = {k: v for k, v in disp.targetoptions.items() if k not in ("cache", "nopython")}
    fresh = numba.njit(**opts)(disp.py_func)  # compiled here, so its LLVM IR can be inspected
    fresh(*_guard_args(name))
    sig = fresh.signatures[0]
    ir = fresh.inspect_llvm(sig)
    mangled = fresh.overloads[sig].fndesc.mangled_name
    body = ir[ir.index(f"@{mangled}("):]
    body = body[:body.index("\n}\n")]
    assert "@NRT_incref" not in body and "@NRT_decref" not in body, name


# ================================================================================================
# before and after the price terms of issue #23 (route logit, price responses, cost outputs)
# ================================================================================================
BEFORE_PRICES = "dee53dcb2fa2e67263421cdb7e315453a724713e"
"""The last commit of main before the kernel's price terms (issue #23)."""


def _kernel_at(commit: str, folder: Path):
    """The kernel package of ``commit`` (git show), importable as ``kernels_<commit[:7]>`` with
    its own imports rewritten; None where git or the commit is not there."""
    name = f"kernels_{commit[:7]}"
    pkg = folder / name
    pkg.mkdir()
    for module in ("__init__.py", "arrays.py", "stock_flow.py"):
        shown = subprocess.run(["git", "show", f"{commit}:kernels/{module}"], cwd=REPO,
                               capture_output=True, text=True)
        if shown.returncode != 0:
            return None
        (pkg / module).write_text(shown.stdout.replace("from kernels.", f"from {name}.")
                                  .replace("import kernels.", f"import {name}."), encoding="utf-8")
    sys.path.insert(0, str(folder))
    import importlib
    return importlib.import_module(f"{name}.stock_flow"), importlib.import_module(f"{name}.arrays")


def test_kernel_before_and_after_the_price_terms(benchmark, national_inputs, tmp_path):
    """Single-threaded throughput of the kernel of :data:`BEFORE_PRICES` and of today's on the
    same national inputs, timed in alternation (no price: the cost of the new terms when they
    are off), and today's with 200 CNY/t on steel, non-ferrous and cement (the priced branch).
    Issue #23 asks for at least 80 % of the throughput before."""
    from dataclasses import fields, replace

    old = _kernel_at(BEFORE_PRICES, tmp_path)
    if old is None:
        pytest.skip(f"commit {BEFORE_PRICES[:7]} is not in this checkout's history")
    old_flow, old_arrays = old
    inp = national_inputs
    known = {f.name for f in fields(old_arrays.KernelInputs)}
    old_inp = old_arrays.KernelInputs(**{k: getattr(inp, k) for k in known})
    old_out = old_arrays.KernelOutputs.allocate(*(old_inp.shape[x] for x in "MPSRCNT"))
    price = np.zeros_like(inp.carbon_price)
    price[:, :3, 6:] = 200.0  # iron_steel, nonferrous, nonmetallic_minerals from 2025
    priced = replace(inp, carbon_price=price, switch_price=price.copy())
    out = allocate_outputs(inp)
    _compile(inp)
    numba.set_num_threads(1)
    old_flow.simulate_into(old_inp, old_out)  # compile the old kernel outside the timing

    iv = Interleaved({"before": lambda: old_flow.simulate_into(old_inp, old_out),
                      "after": lambda: simulate_into(inp, out),
                      "priced": lambda: simulate_into(priced, out)})
    benchmark.pedantic(iv.round, rounds=5, warmup_rounds=1)
    psy = province_sector_years(inp)
    kept = iv.ratio("before", "after")  # time before / time after = throughput after / before
    print(f"\nBENCH kernel_price_terms_off {kept:.3f} of the throughput before (median of per-round "
          f"ratios; best {psy / iv.best('before'):.3g} -> {psy / iv.best('after'):.3g} psy/s, "
          f"1 thread)")
    print(f"BENCH kernel_price_terms_on {iv.ratio('before', 'priced'):.3f} of the throughput "
          f"before with 200 CNY/t on three sectors ({psy / iv.best('priced'):.3g} psy/s)")
    assert kept >= 0.8


# ================================================================================================
# before and after the first-run work of issue #25 (no prange: member ranges in threads; the
# three parts of a year inlined into the member)
# ================================================================================================
BEFORE_FIRST_RUN = "7b6db0ce723f9dcaffe5439fec18026acbcaa225"
"""The last commit of main before the first-run work of issue #25."""

COLD_ROUNDS = int(os.environ.get("SIM_BENCH_COLD_ROUNDS", "2"))


def _median(values):
    v = sorted(values)
    return v[len(v) // 2]


def test_kernel_before_and_after_the_first_run_work(benchmark, national_inputs, tmp_path,
                                                     all_threads):
    """The kernel of :data:`BEFORE_FIRST_RUN` against today's, in one run: the first call in a
    fresh interpreter with an empty Numba cache (compiles) and with the cache it wrote (loads),
    alternating before / after, wall and CPU seconds; then the throughput on the 1000 national
    members, 1 thread and all threads, timed in alternation. The outputs must be equal."""
    _before_and_after(benchmark, BEFORE_FIRST_RUN, "first_run_work", national_inputs, tmp_path,
                      all_threads)


BEFORE_FIRST_CALL = "85015d014fe360a7950ae5e5a73c8e325bbf6262"
"""The last commit of main before the year loop moved into ``_simulate_members`` and the inputs
became read-only views (issue #25, the first call)."""


def test_kernel_before_and_after_the_first_call_work(benchmark, national_inputs, tmp_path,
                                                     all_threads):
    """As :func:`test_kernel_before_and_after_the_first_run_work`, against
    :data:`BEFORE_FIRST_CALL`, with the throughput on one thread and the outputs also under a
    carbon price (200 CNY/t on three sectors, the logit's branch). Commit 85015d0 is also the
    kernel before each member wrote its outputs year first into a buffer (``_put``), so this
    measures that too."""
    _before_and_after(benchmark, BEFORE_FIRST_CALL, "first_call_work", national_inputs, tmp_path,
                      all_threads, priced=True)


def _before_and_after(benchmark, commit: str, label: str, national_inputs, tmp_path,
                      all_threads: int, priced: bool = False) -> None:
    """The kernel of ``commit`` against today's, in one run (``label`` names the BENCH lines):
    the first call in a fresh interpreter with an empty Numba cache (compiles) and with the cache
    it wrote (loads), alternating before / after (:data:`COLD_ROUNDS` rounds), wall and CPU
    seconds; then the throughput on the 1000 national members, 1 thread and all threads, timed
    in alternation (``priced``: also 1 thread with a carbon price). The outputs must be equal bit
    for bit. An old kernel that takes ``spread`` gets today's threads; an older one (a
    ``prange``) follows ``numba.set_num_threads`` itself."""
    old = _kernel_at(commit, tmp_path)
    if old is None:
        pytest.skip(f"commit {commit[:7]} is not in this checkout's history")
    old_flow, old_arrays = old
    package = f"kernels_{commit[:7]}"
    variants = {"before": (package, tmp_path), "after": ("kernels", None)}
    cold = {name: [] for name in variants}
    warm = {name: [] for name in variants}
    for i in range(COLD_ROUNDS):
        for name, (pkg, path) in variants.items():
            cache = tmp_path / f"numba_{name}_{i}"
            cold[name].append(first_call(cache, pkg, path))
            warm[name].append(first_call(cache, pkg, path))
    load = os.getloadavg()
    for kind, times in (("cold", cold), ("warm", warm)):
        before = [t[1] for t in times["before"]]
        after = [t[1] for t in times["after"]]
        print(f"\nBENCH jit_first_call_{kind}_before_after CPU {_median(before):.2f} s -> "
              f"{_median(after):.2f} s (ratio {_median(after) / _median(before):.2f}; wall "
              f"{_median([t[0] for t in times['before']]):.2f} s -> "
              f"{_median([t[0] for t in times['after']]):.2f} s; medians of {COLD_ROUNDS}; "
              f"load average {load[0]:.1f}; before = {commit[:7]})")

    inp = national_inputs
    known = {f.name for f in dataclasses.fields(old_arrays.KernelInputs)}
    cases = {"": inp}
    if priced:
        price = np.zeros_like(inp.carbon_price)
        price[:, :3, 6:] = 200.0  # iron_steel, nonferrous, nonmetallic_minerals from 2025
        cases["priced_"] = dataclasses.replace(inp, carbon_price=price, switch_price=price.copy())
    # a kernel that takes ``spread`` runs its member ranges in threads as today's does; an older
    # one (a ``prange``) follows numba.set_num_threads by itself
    spread = ({"spread": model_kernel.in_threads}
              if "spread" in inspect.signature(old_flow.simulate_into).parameters else {})

    def old_run(old_inp, old_out, threads: int):
        def run():
            numba.set_num_threads(threads)
            old_flow.simulate_into(old_inp, old_out, **spread)
        return run

    runs, pairs = {}, []
    for case, case_inp in cases.items():
        old_inp = old_arrays.KernelInputs(**{k: getattr(case_inp, k) for k in known})
        old_out = old_arrays.KernelOutputs.allocate(*(old_inp.shape[x] for x in "MPSRCNT"))
        out = allocate_outputs(case_inp)
        pairs.append((case, old_out, out))
        for threads in ((1, all_threads) if case == "" else (1,)):
            n = "1" if threads == 1 else "all"
            runs[f"{case}before_{n}"] = old_run(old_inp, old_out, threads)
            runs[f"{case}after_{n}"] = _run_into(case_inp, out, threads)
    for run in runs.values():  # compiles (or loads) both kernels outside the timing
        run()
    iv = Interleaved(runs)
    benchmark.pedantic(iv.round, rounds=5, warmup_rounds=1)
    psy = province_sector_years(inp)
    load = os.getloadavg()
    for case, n in [("", "1"), ("", "all")] + ([("priced_", "1")] if priced else []):
        b, a = f"{case}before_{n}", f"{case}after_{n}"
        print(f"BENCH kernel_{label}_{case}{n}thread {iv.ratio(b, a):.3f} throughput after / "
              f"before (median of per-round ratios; best {psy / iv.best(b):.3g} -> "
              f"{psy / iv.best(a):.3g} psy/s; load average {load[0]:.1f})")
    print(f"BENCH kernel_{label}_speedup before {iv.ratio('before_1', 'before_all'):.2f}, "
          f"after {iv.ratio('after_1', 'after_all'):.2f} with {all_threads} threads")
    for case, old_out, out in pairs:
        for name, a in out.as_dict().items():
            b = getattr(old_out, name)
            assert np.array_equal(a.view(np.int64), b.view(np.int64)), f"{case}{name}"  # bitwise
