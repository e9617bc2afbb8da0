"""The data layer: the calibrated base state, observed activity 2020-2024, default growth and
the observed history 2010-2019, read from ``calibration/``.
"""
