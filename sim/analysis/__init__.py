"""The analysis layer: report, convergence, LMDI decomposition, hindcast, sweeps, clusters,
sensitivity and scenario discovery, all computed from result files or runs.
"""
