"""The third-party packages imported inside functions, listed once.

Everything else is imported at the top of its module, so the import graph is visible (and checked:
``tests/test_architecture.py``). These are imported where they are used because most commands do
not need them and each costs a noticeable part of a second, or more, at start-up (measured
2026-12-07: ``ema_workbench`` 1.5 s, ``matplotlib.pyplot`` 0.5 s, ``distributed`` 0.5 s,
``SALib`` 0.5 s, ``pandas`` 0.4 s), or because they serve one optional interface.
"""

LAZY_IMPORTS: tuple[str, ...] = (
    "matplotlib",      # figures: sim plot, discovery and hindcast plots
    "distributed",     # Dask clusters: sim sweep, --workers/--scheduler
    "dask",
    "dask_jobqueue",   # optional extra: sim sweep --cluster slurm|pbs
    "SALib",           # sim sensitivity
    "ema_workbench",   # sim discover (PRIM)
    "starlette",       # sim serve
    "uvicorn",
    "plotly",
    "openpyxl",        # sim export --out FILE.xlsx
    "calibration",     # the fit, only for sim calibrate --fit (interfaces only)
    "scoringrules",    # CRPS of the hindcast ensemble (sim hindcast; 2.8 s to import, numba gufuncs)
)
"""Top-level names of the packages that may be imported inside a function."""
