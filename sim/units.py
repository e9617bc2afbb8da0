"""Unit conversion factors and the unit strings that need a convention, declared once.

Unit strings in result files follow UDUNITS-2 (CF-1.10), which has no currency and no coal
equivalent. The project's convention:

* a currency is left out of ``units`` and named in the long name or a ``currency`` attribute:
  value added is ``"1e9 yr-1"`` = 1e9 CNY (2019 prices) per year (``sim.variables.VA_UNITS``);
* a species is never part of ``units`` (CF practice: it is in the name): CO2 is ``"Mt yr-1"``;
* coal equivalent is energy: 1 kgce = 29.3076 MJ, so a quantity in kgce has the UDUNITS unit
  ``"29.3076 MJ"``, which keeps it apart from a mass (kg CO2) in both text and dimension.

Hence the two intensities per CNY of value added: CO2 intensity [kg CO2 CNY-1] is
:data:`CO2_INTENSITY_UNITS` = ``"kg"``, energy intensity [kgce CNY-1] is
:data:`ENERGY_INTENSITY_UNITS` = ``"29.3076 MJ"``.
"""

from __future__ import annotations

PJ_PER_TWH = 3.6
"""[PJ TWh-1]: 1 TWh = 3.6e15 J; so t CO2 MWh-1 / 3.6 = Mt CO2 PJ-1."""

KWH_PER_PJ = 1e15 / 3.6e6
"""[kWh PJ-1]: 1 kWh = 3.6e6 J."""

GJ_PER_TCE = 29.3076
"""Calorific value of standard coal [GJ tce-1] (GB/T 2589: 1 kgce = 29.3076 MJ)."""

CO2_INTENSITY_UNITS = "kg"
"""UDUNITS units of CO2 per CNY of value added [kg CO2 CNY-1] (currency and species left out,
see the module docstring)."""

ENERGY_INTENSITY_UNITS = f"{GJ_PER_TCE:g} MJ"
"""UDUNITS units of energy in kgce per CNY of value added [kgce CNY-1]: 1 kgce = 29.3076 MJ
(currency left out, see the module docstring)."""
