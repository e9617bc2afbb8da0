"""Unit conversion factors and the unit strings that need a convention, declared once.

Unit strings in result files follow UDUNITS-2 (CF-1.10), which has no currency and no coal
equivalent. The project's convention:

* a currency is left out of ``units`` and named in the long name or a ``currency`` attribute:
  value added is ``"yr-1"`` = CNY (2019 prices) per year (``sim.core.variables.VA_UNITS``);
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

CNY_PER_KERNEL_VA = 1e9
"""[CNY per unit of the kernel's value added]: the kernel and the base state count value added in
billions of CNY (2019 prices); result files store CNY (``sim.core.variables.VA_UNITS``)."""

KGCE_PER_KWH_CALORIFIC = 0.1229
"""Electricity in coal equivalent by its calorific value (当量值) [kgce kWh-1]: 3.6 MJ / 29.3076
MJ kgce-1 = 0.12284, rounded as the statistics print it (GB/T 2589-2020, 0.1229)."""

KGCE_PER_KWH_COAL_EQUIVALENT = 0.3055
"""Electricity in coal equivalent by the coal burnt to supply it (等价值) [kgce kWh-1]: the 2020
average coal use per kWh supplied by thermal plants >= 6 MW, 305.5 gce kWh-1 (China Electricity
Council statistics)."""

CO2_INTENSITY_UNITS = "kg"
"""UDUNITS units of CO2 per CNY of value added [kg CO2 CNY-1] (currency and species left out,
see the module docstring)."""

ENERGY_INTENSITY_UNITS = f"{GJ_PER_TCE:g} MJ"
"""UDUNITS units of energy in kgce per CNY of value added [kgce CNY-1]: 1 kgce = 29.3076 MJ
(currency left out, see the module docstring)."""


# --- currency: CNY at 2019 prices -> USD at 2010 prices (IAMC ``billion USD_2010/yr``) ---------
CHINA_GDP_CURRENT_BN_CNY = {2010: 41211.93, 2019: 98651.52}
"""China's GDP at current prices [1e9 CNY] (NBS, China Statistical Yearbook 2021, table 3-1)."""
CHINA_REAL_GDP_GROWTH = {2011: 9.6, 2012: 7.9, 2013: 7.8, 2014: 7.4, 2015: 7.0, 2016: 6.8,
                         2017: 6.9, 2018: 6.7, 2019: 6.0}
"""China's real GDP growth over the preceding year [%] (NBS, China Statistical Yearbook 2021,
table 3-4, indices of GDP, preceding year = 100)."""
CNY_PER_USD_2010 = 6.7695
"""Average exchange rate of 2010 [CNY USD-1] (NBS, Statistical Communique on the 2010 National
Economic and Social Development; PBoC central parity, annual average)."""


def gdp_deflator(frm: int = 2010, to: int = 2019) -> float:
    """Implicit GDP deflator of China, price level of ``to`` over ``frm`` [1]: nominal GDP ratio
    over the chained real growth (:data:`CHINA_GDP_CURRENT_BN_CNY`, :data:`CHINA_REAL_GDP_GROWTH`)."""
    real = 1.0
    for year in range(frm + 1, to + 1):
        real *= 1.0 + CHINA_REAL_GDP_GROWTH[year] / 100.0
    return CHINA_GDP_CURRENT_BN_CNY[to] / CHINA_GDP_CURRENT_BN_CNY[frm] / real


USD2010_PER_CNY2019 = 1.0 / (gdp_deflator(2010, 2019) * CNY_PER_USD_2010)
"""[USD_2010 CNY_2019-1] ≈ 0.1167: CNY at 2019 prices deflated to 2010 prices with China's GDP
deflator (≈ 1.265, :func:`gdp_deflator`), then converted at the 2010 market exchange rate
(:data:`CNY_PER_USD_2010`) - the IAMC convention for USD_2010 (market exchange rates, GDP
deflator of the country). The deflator of all GDP, not of industry: the IAMC unit is a general
price level, and the data have no industrial deflator before 2020."""
