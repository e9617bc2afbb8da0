"""The indicator registry: the indicators targets may refer to, each with its compute function.

Each entry (as xclim's indicators carry ``compute=``): name -> :class:`Indicator` with the units
of the series, its long name, its status and the function of ``sim.core.indicators`` that computes it.
``status`` is ``simulated`` (computed from the stock-and-flow model) or ``trend`` (an exogenous
trajectory driven by an uncertain annual rate, see ``sim.core.indicators``), as documented in the
user guide (docs/scenarios.md). A new indicator is one compute function in ``sim.core.indicators`` and one
entry here; the tests loop over every entry.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from sim.core import indicators as ind
from sim.core.indicators import ACCOUNTINGS  # noqa: F401  (the accountings a CO2 indicator takes)
from sim.core.units import CO2_INTENSITY_UNITS, ENERGY_INTENSITY_UNITS


class Indicator(NamedTuple):
    """One registry entry; ``compute(indicators, provinces, accounting) -> (member, year)``.

    (A named tuple, so ``INDICATORS[name][0]`` is the units, as before the compute field.)
    """

    units: str
    long_name: str
    status: str  # "simulated" or "trend"
    compute: Callable[[ind.Indicators, np.ndarray, str], np.ndarray]
    takes_accounting: bool = False  # a CO2 indicator: its targets name an accounting (ACCOUNTINGS)


INDICATORS: dict[str, Indicator] = {
    "industrial_co2": Indicator("Mt yr-1", "industrial CO2 emissions of the modelled sectors",
                                "simulated", ind.industrial_co2, True),
    "co2_intensity": Indicator(CO2_INTENSITY_UNITS, "industrial CO2 [kg CO2] per CNY (2019 prices) "
                               "of industrial value added", "simulated", ind.co2_intensity, True),
    "energy_intensity": Indicator(ENERGY_INTENSITY_UNITS, "industrial energy [kgce = 29.3076 MJ] "
                                  "per CNY (2019 prices) of industrial value added", "simulated",
                                  ind.energy_intensity),
    "eaf_share": Indicator("1", "scrap-EAF share of crude-steel output", "simulated",
                           ind.steel_eaf_share),
    "al_renewable_share": Indicator("1", "renewable share of electricity used by electrolytic "
                                    "aluminium", "simulated", ind.al_renewable_share),
    "electricity_share": Indicator("1", "electricity share of industrial final energy",
                                   "simulated", ind.electricity_share),
    "coal_consumption": Indicator("PJ yr-1", "industrial coal consumption of the modelled sectors",
                                  "simulated", ind.coal_consumption),
    "refining_capacity": Indicator("Mt yr-1", "crude-oil primary processing capacity",
                                   "simulated", ind.refining_capacity),
    "recycled_resources": Indicator("Mt yr-1", "main renewable resources recycled", "simulated",
                                    ind.recycled_resources),
    "solid_waste_utilisation": Indicator("1", "bulk industrial solid-waste utilisation rate",
                                         "trend", ind.trend("solid_waste_utilisation", False)),
    "green_factory_share": Indicator("1", "output of green factories / manufacturing output",
                                     "trend", ind.trend("green_factory_share", False)),
    "water_intensity": Indicator("1", "water per unit of industrial value added, index 2020 = 1",
                                 "trend", ind.trend("water_intensity", True)),
    "pollutant_intensity": Indicator("1", "main air-pollutant (SO2, NOx, PM) emission intensity of "
                                     "the key sectors per value added, index 2020 = 1", "simulated",
                                     ind.pollutant_intensity),
}

CO2_INDICATORS: tuple[str, ...] = tuple(n for n, i in INDICATORS.items() if i.takes_accounting)
"""Indicators whose targets must name a CO2 accounting (direct + process, or with indirect)."""
