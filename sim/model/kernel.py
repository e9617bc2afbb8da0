"""The one call site of the Numba kernel (``kernels.stock_flow``): every run of the model, scenario
or historical, goes through :func:`simulate`; the application never imports the kernel elsewhere
(an import-linter contract in ``pyproject.toml`` holds ``kernels`` to the model layer)."""

from __future__ import annotations

from kernels.arrays import KernelInputs, KernelOutputs
from kernels.stock_flow import simulate as _simulate
from kernels.stock_flow import simulate_into as _simulate_into

__all__ = ["KernelInputs", "KernelOutputs", "allocate_outputs", "simulate"]


def simulate(inputs: KernelInputs, outputs: KernelOutputs | None = None) -> KernelOutputs:
    """Run every member of ``inputs`` (kernels/SPEC.md, checked against SPEC first) into
    ``outputs`` (pre-allocated :class:`KernelOutputs` of the inputs' sizes, reused by the web
    page) or freshly allocated outputs."""
    return _simulate(inputs) if outputs is None else _simulate_into(inputs, outputs)


def allocate_outputs(members: int, provinces: int, sectors: int, routes: int, carriers: int,
                     metals: int, years: int) -> KernelOutputs:
    """Kernel outputs of these sizes (SPEC's M, P, S, R, C, N, T)."""
    return KernelOutputs.allocate(members, provinces, sectors, routes, carriers, metals, years)
