"""Registry of the output variables: name -> dimensions, units (UDUNITS), long name.

The output contract of ``sim run`` (later tools rely on these names). Activity variables
(``demand``, ``production``, ``capacity``, ``investment``, ``retirement``) are physical output in
Mt yr-1 for the material sectors (``sim.axes.MATERIAL_SECTORS``) and NaN for the value-added
sectors, whose activity is ``value_added`` and whose route mix is ``route_share``.
"""

from __future__ import annotations

from typing import NamedTuple


class Variable(NamedTuple):
    dims: tuple[str, ...]
    units: str
    long_name: str


VA_UNITS = "1e9 yr-1"
"""UDUNITS has no currency: value added is in billions of CNY at 2019 prices per year, and the
variable carries ``currency = 'CNY (2019 prices)'``."""

_ACT = ("member", "province", "sector", "route", "year")
_PS = ("member", "province", "sector", "year")

VARIABLES: dict[str, Variable] = {
    "demand": Variable(_PS, "Mt yr-1", "demand for the sector's product (material sectors)"),
    "production": Variable(_ACT, "Mt yr-1", "production by route (material sectors)"),
    "capacity": Variable(_ACT, "Mt yr-1", "productive capacity by route (material sectors)"),
    "investment": Variable(_ACT, "Mt yr-1", "new capacity built (material sectors)"),
    "retirement": Variable(_ACT, "Mt yr-1", "capacity retired, natural and phase-out (material sectors)"),
    "route_share": Variable(_ACT, "1", "share of the sector's output made by each route"),
    "value_added": Variable(_PS, VA_UNITS, "industrial value added, billion CNY at 2019 prices"),
    "final_energy": Variable(("member", "province", "sector", "carrier", "year"), "PJ yr-1",
                             "final energy consumption by carrier"),
    "co2_direct": Variable(_PS, "Mt yr-1", "direct CO2 emissions from fuel combustion (gross of capture)"),
    "co2_process": Variable(_PS, "Mt yr-1", "process CO2 emissions (cement clinker)"),
    "co2_indirect": Variable(_PS, "Mt yr-1", "indirect CO2 emissions of purchased electricity, heat and hydrogen"),
    "co2_captured": Variable(_PS, "Mt yr-1", "CO2 captured by CCUS"),
    "eaf_share": Variable(("member", "province", "year"), "1", "scrap-EAF share of crude-steel output"),
    "scrap_supply": Variable(("member", "province", "metal", "year"), "Mt yr-1",
                             "scrap supply: collected obsolete scrap plus home and prompt scrap"),
    "scrap_use": Variable(("member", "province", "metal", "year"), "Mt yr-1", "scrap used in metal production"),
    "inuse_stock": Variable(("member", "province", "metal", "year"), "Mt", "in-use metal stock at the start of the year"),
    "grid_emission_factor": Variable(("member", "province", "year"), "t MW-1 h-1",
                                     "average CO2 emission factor of the provincial grid"),
    "grid_renewable_share": Variable(("member", "province", "year"), "1",
                                     "renewable share of provincial grid electricity"),
    "industrial_co2": Variable(("member", "region", "year"), "Mt yr-1",
                               "industrial CO2 of the modelled sectors, direct + process - captured"),
    "industrial_co2_with_indirect": Variable(("member", "region", "year"), "Mt yr-1",
                                             "industrial CO2 of the modelled sectors incl. indirect emissions"),
    "target_value": Variable(("member", "target"), "1", "value of each target's indicator (units in target_units)"),
    "target_attained": Variable(("member", "target"), "1", "whether the member attains the target (1) or not (0)"),
    "target_probability": Variable(("target",), "1", "share of members attaining the target"),
    "peak_year": Variable(("member", "region"), "1", "calendar year of the industrial-CO2 peak (direct + process - captured)"),
    "plateau_start_year": Variable(("member", "region"), "1",
                                   "first year industrial CO2 is within the plateau tolerance of its peak"),
}
