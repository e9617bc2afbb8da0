"""The Numba stock-and-flow kernel (:mod:`kernels.stock_flow`) and its array declaration
(:mod:`kernels.arrays`); the equations are in ``kernels/SPEC.md``.

Imports NumPy and Numba only; ``sim.model.kernel`` is its one caller.
"""
