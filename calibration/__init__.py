"""Calibration data and the scripts that build and fit it: ``build`` (base states from the
raw data), ``history`` (observed 2010-2019 series), ``floors``, ``programmes`` and ``fit``
(the dynamics fitted to history, run by ``sim calibrate --fit``).
"""
