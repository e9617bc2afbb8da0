"""The one call site of the Numba kernel (``kernels.stock_flow``): every run of the model, scenario
or historical, goes through :func:`simulate`; the application never imports the kernel elsewhere
(an import-linter contract in ``pyproject.toml`` holds ``kernels`` to the model layer).

The kernel runs a range of members per call and releases the GIL; :func:`in_threads` runs ranges
in ``numba.get_num_threads()`` threads (so ``numba.set_num_threads`` still sets how many). This
replaced a ``prange`` over members: the parallel loop cost a third of the first call's
compilation (tests/bench/README.md, "First run")."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numba

from kernels.arrays import KernelInputs, KernelOutputs
from kernels.stock_flow import simulate as _simulate
from kernels.stock_flow import simulate_into as _simulate_into

__all__ = ["KernelInputs", "KernelOutputs", "allocate_outputs", "in_threads", "simulate"]

BLOCKS_PER_THREAD = 4
"""Ranges of members per thread: threads take the next range when done with one, so a thread on a
slower (shared) core takes fewer members."""


def in_threads(run, members: int) -> None:
    """Run members 0 .. ``members − 1`` through ``run(first, stop)`` in ``numba.get_num_threads()``
    threads (the calling thread is one of them), each taking the next range of members until
    none is left."""
    threads = max(1, min(numba.get_num_threads(), members))
    if threads == 1:
        run(0, members)
        return
    size = -(-members // (threads * BLOCKS_PER_THREAD))
    starts = iter(range(0, members, size))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                first = next(starts, None)
            if first is None:
                return
            run(first, min(first + size, members))

    with ThreadPoolExecutor(threads - 1) as pool:
        others = [pool.submit(work) for _ in range(threads - 1)]
        work()
        for f in others:
            f.result()


def simulate(inputs: KernelInputs, outputs: KernelOutputs | None = None) -> KernelOutputs:
    """Run every member of ``inputs`` (kernels/SPEC.md, checked against SPEC first) into
    ``outputs`` (pre-allocated :class:`KernelOutputs` of the inputs' sizes, reused by the web
    page) or freshly allocated outputs, members spread over threads (:func:`in_threads`)."""
    if outputs is None:
        return _simulate(inputs, in_threads)
    return _simulate_into(inputs, outputs, in_threads)


def allocate_outputs(members: int, provinces: int, sectors: int, routes: int, carriers: int,
                     metals: int, years: int) -> KernelOutputs:
    """Kernel outputs of these sizes (SPEC's M, P, S, R, C, N, T)."""
    return KernelOutputs.allocate(members, provinces, sectors, routes, carriers, metals, years)
