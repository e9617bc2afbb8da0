"""The model layer: kernel inputs from a scenario, the one call site of the kernel
(:mod:`sim.model.kernel`), ``prepare`` / ``run_chunk`` / ``finalize`` and historical runs.
"""
