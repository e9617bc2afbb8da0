"""The core layer: axes, units, the variable registry and the registries of levers,
indicators, target conditions, sizes, files, progress, shipped scenarios and optional imports.

It imports no other layer of ``sim`` (DESIGN §13).
"""
