"""The results layer: reading result files, the streaming ensemble writer, NetCDF encoding,
the IAMC export and :func:`sim.results.run.run_scenario`, the one run path.
"""
