"""Registry of the output variables and coordinates: name -> dimensions, units (UDUNITS), long
name, CF attributes.

The output contract of ``sim run`` (later tools rely on these names). Activity variables
(``demand``, ``production``, ``capacity``, ``investment``, ``retirement``) are physical output in
Mt yr-1 for the material sectors (``sim.core.axes.MATERIAL_SECTORS``) and NaN for the value-added
sectors, whose activity is ``value_added`` and whose route mix is ``route_share``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Variable(NamedTuple):
    """A registry entry: dimensions, UDUNITS units and long name of a result variable."""

    dims: tuple[str, ...]
    units: str
    long_name: str


VA_UNITS = "yr-1"
"""UDUNITS has no currency: value added is in CNY at 2019 prices per year, written ``yr-1`` (a
unit UDUNITS, pint and cf_xarray all read; a scaled unit such as ``1e9 yr-1`` is refused by pint),
and the variable carries ``currency = 'CNY (2019 prices)'``. The kernel's value added is in
billions of CNY (``sim.core.units.CNY_PER_KERNEL_VA``)."""

_ACT = ("member", "province", "route", "year")
_SHARE = ("member", "province", "sector", "route", "year")
_PS = ("member", "province", "sector", "year")

VARIABLES: dict[str, Variable] = {
    "demand": Variable(_PS, "Mt yr-1", "demand for the sector's product (material sectors)"),
    "production": Variable(_ACT, "Mt yr-1", "production by route (material sectors)"),
    "capacity": Variable(_ACT, "Mt yr-1", "productive capacity by route (material sectors)"),
    "investment": Variable(_ACT, "Mt yr-1", "new capacity built (material sectors)"),
    "retirement": Variable(_ACT, "Mt yr-1", "capacity retired, natural and phase-out (material sectors)"),
    "route_share": Variable(_SHARE, "1", "share of the sector's output made by each route"),
    "value_added": Variable(_PS, VA_UNITS, "industrial value added, CNY at 2019 prices"),
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
    # the member's row of the design (DESIGN §10: any ensemble can be analysed afterwards); the
    # parameters have different units, so they are in the parameter_units coordinate
    "parameter_value": Variable(("member", "parameter"), "1",
                                "sampled value of each uncertain parameter (units in parameter_units)"),
    "target_probability": Variable(("target",), "1", "share of members attaining the target"),
    "peak_year": Variable(("member", "region"), "1", "calendar year of the industrial-CO2 peak (direct + process - captured)"),
    "plateau_start_year": Variable(("member", "region"), "1",
                                   "first year industrial CO2 is within the plateau tolerance of its peak"),
    "peak_year_with_indirect": Variable(("member", "region"), "1",
                                        "calendar year of the peak of industrial CO2 with indirect "
                                        "emissions (direct + process - captured + electricity, heat, hydrogen)"),
    # costs (sim.model.costs), CNY at 2019 prices: currency in the ``currency`` attribute
    "investment_cost": Variable(_SHARE, VA_UNITS, "capital spent on new capacity by route, CNY at 2019 prices"),
    "cost": Variable(("member", "province", "sector", "cost_item", "year"), VA_UNITS,
                     "annualised cost by item, CNY at 2019 prices"),
    "energy_cost": Variable(("member", "province", "carrier", "year"), VA_UNITS,
                            "energy purchases by carrier, sum over the modelled sectors, CNY at 2019 prices"),
    "cost_by_item": Variable(("member", "region", "cost_item", "year"), VA_UNITS,
                             "annualised cost by item, sum over the modelled sectors, CNY at 2019 prices"),
    "total_cost": Variable(("member", "region", "year"), VA_UNITS,
                           "annualised cost of the modelled sectors, sum of the cost items, CNY at 2019 prices"),
    "discounted_cost": Variable(("member", "region"), "1",
                                "present value of the total cost over the planning period, CNY at 2019 prices"),
    # air pollutants (sim.model.pollutants): SO2, NOx as NO2, PM (total, stacks)
    "pollutant_emissions": Variable(("member", "province", "sector", "pollutant", "year"), "t yr-1",
                                    "air pollutant emissions by sector (SO2, NOx as NO2, particulate matter)"),
    "industrial_pollutants": Variable(("member", "region", "pollutant", "year"), "t yr-1",
                                      "air pollutant emissions of the modelled sectors (SO2, NOx as NO2, "
                                      "particulate matter)"),
}

COST_VARIABLES = ("investment_cost", "cost", "cost_by_item", "energy_cost", "total_cost",
                  "discounted_cost")
"""The cost variables (sim.model.costs): amounts of money, CNY at 2019 prices (``currency``)."""

YEAR_COMMENT = "calendar year (Gregorian), a label of the year axis, not a time coordinate"
"""``peak_year``, ``plateau_start_year``, ``target_year``: integers such as 2030. CF has no unit
for a calendar date as a number, so they carry ``units = "1"`` and say what they are."""

COORDINATES: dict[str, dict] = {
    # CF-1.10 attributes of the coordinates of every result file. ``member`` is the realization
    # axis (CF standard name; CF axes are T, X, Y, Z only, so no ``axis``); provinces and regions
    # are labelled axes (CF 6.1.1) whose names are not in CF's standardized region list (oceans,
    # seas, continents), so they carry no ``standard_name = "region"``: both CF checkers reject
    # values outside the list.
    "member": dict(standard_name="realization", long_name="ensemble member", units="1"),
    "province": dict(long_name="province (pinyin)"),
    "province_iso": dict(long_name="ISO 3166-2:CN code of the province"),
    "province_zh": dict(long_name="province (Chinese)"),
    "sector": dict(long_name="industrial sector"),
    "route": dict(long_name="production route (ds.sel(route='scrap_eaf'))"),
    "route_sector": dict(long_name="sectors the route belongs to"),
    "carrier": dict(long_name="final energy carrier"),
    "cost_item": dict(long_name="item of the annualised cost (sim.model.costs.COST_ITEMS)"),
    "pollutant": dict(long_name="air pollutant (SO2; NOx as NO2; PM: total particulate matter)"),
    "metal": dict(long_name="metal with an in-use stock"),
    "year": dict(long_name="calendar year (Gregorian) of the time axis", units="1",
                 comment="result files have the CF time coordinate time as their dimension and "
                         "year(time) as its label: ds.sel(year=2030) or ds.sel(time='2030')"),
    "region": dict(long_name="province or national (sum of the simulated provinces)"),
    "region_iso": dict(long_name="ISO 3166 code of the region"),
    "target": dict(long_name="target identifier"),
    "target_indicator": dict(long_name="indicator the target is checked on"),
    "target_scope": dict(long_name="scope of the target (national, group or province)"),
    "target_year": dict(long_name="year the target applies to", units="1", comment=YEAR_COMMENT),
    "target_condition": dict(long_name="condition the indicator must meet"),
    "target_threshold": dict(long_name="threshold of the condition (units in target_units)",
                             units="1", comment="NaN for conditions without a threshold"),
    "target_units": dict(long_name="units of the target's indicator and threshold"),
    "target_source": dict(long_name="source of the target (policy document)"),
    "target_status": dict(long_name="status of the target"),
    "parameter": dict(long_name="uncertain parameter (sim.scenario.uncertainty catalogue name)"),
    "parameter_units": dict(long_name="units of the uncertain parameter's value"),
    "parameter_description": dict(long_name="how the model applies the uncertain parameter"),
    "quantile": dict(long_name="quantile over ensemble members", units="1"),
    "case": dict(long_name="sweep case (lever set)", units="1"),
}
"""CF attributes of each coordinate (applied by ``sim.model.run.annotate`` and ``sim.analysis.sweep``)."""

TIME_UNITS = "days since 2000-01-01"
TIME_CALENDAR = "standard"
TIME_ATTRS = dict(standard_name="time", long_name="time (middle of the calendar year)",
                  units=TIME_UNITS, calendar=TIME_CALENDAR, axis="T", bounds="time_bnds")
"""The CF time coordinate ``time(year)``: each value is an annual flow, mean or state of one
calendar year, so the time is the middle of the year and ``time_bnds`` are its first day and the
first day of the next year. ``year`` stays the dimension (``ds.sel(year=2030)``)."""


def time_coordinates(years) -> dict[str, tuple]:
    """``time(year)`` and ``time_bnds(year, nv)`` [days since 2000-01-01, standard calendar]
    for calendar ``years``, as coordinate specifications for ``Dataset.assign_coords``."""
    years = np.asarray(years, dtype=np.int64)
    epoch = np.datetime64("2000-01-01", "D")
    start = np.array([f"{y:04d}-01-01" for y in years], dtype="datetime64[D]")
    end = np.array([f"{y + 1:04d}-01-01" for y in years], dtype="datetime64[D]")
    bounds = np.stack([(start - epoch).astype(np.float64), (end - epoch).astype(np.float64)], 1)
    return {"time": ("year", bounds.mean(axis=1), dict(TIME_ATTRS)),
            "time_bnds": (("year", "nv"), bounds)}
