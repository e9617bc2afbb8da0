"""IAMC export of an ensemble file: ``sim export FILE --format iamc``.

The IAMC format is the tabular exchange format of integrated-assessment modelling (read by
``pyam``, the IIASA scenario explorers and most IAM tool chains): one row per (model, scenario,
region, variable, unit) and one column per year ("wide" format).

Quantiles are **separate scenarios**: ``<scenario>|p05``, ``<scenario>|p25``,
``<scenario>|median``, ``<scenario>|p75``, ``<scenario>|p95`` (quantiles over the ensemble
members, :data:`sim.results.reading.QUANTILES`). IAMC meta indicators belong to a whole
(model, scenario), not to a time series, so a quantile cannot be a meta column; as a scenario it
is an ordinary IAMC time series that every IAMC tool can filter, plot and compare. Where the file
has members, ``<scenario>|mean`` (the ensemble mean) is added: quantiles are not additive, the mean
is, so the hierarchy (totals = sums of their parts) holds on it.

Regions: ``China|<Province>`` (English name, e.g. ``China|Anhui``); the sum over the simulated
provinces is ``China`` when the file holds all 31 provinces, ``China|Sum of N provinces`` when it
holds N ≥ 2 of them, and absent for a single province (it equals the province).

Statistics are taken the right way round at every output detail:

* from members (``full`` detail, and the per-member province totals of ``province`` detail): the
  quantity is formed per member (sums over sectors, carriers, routes, provinces), then its
  quantiles are taken, so a national quantile is the quantile of the per-member national sum;
* from stored quantiles (``summary`` detail, per-sector variables of ``province`` detail): only
  quantities stored as such are exported, for the provinces; quantiles are never summed, so
  sums over provinces, sectors or carriers that the file does not store are left out.

The table holds only what the file holds (:func:`available` lists the variables); series without
data (the EAF share of a province that makes no steel) are left out.

Names and units are those of the IAMC common definitions (github.com/IAMconsortium/
common-definitions) wherever one exists; what has none is defined in this repository's
``definitions/`` folder in the same (nomenclature) format, and ``definitions/README.md`` says which
is which and the commit of the common definitions vendored there. Units are converted from the
file's UDUNITS ``units`` (a file with other units is refused):

===========================================================  ====================  ==============
variable                                                     unit                  details
===========================================================  ====================  ==============
``Emissions|CO2|Industry`` (ours; direct + process −          Mt CO2/yr             all
captured, modelled sectors; ``industrial_co2``)
``Emissions|CO2|Industry|<Sector>`` (ours; same per sector)   Mt CO2/yr             full
``Gross Emissions|CO2|Energy|Demand|Industry`` (fuel          Mt CO2/yr             all (summary:
combustion before capture) and ``|<Sector>`` (ours)                                 provinces only)
``Gross Emissions|CO2|Industrial Processes`` and              Mt CO2/yr             as above
``|<Sector>`` (ours)
``Carbon Capture|Industry`` (ours; CCUS on energy and         Mt CO2/yr             as above
process CO2 together)
``Emissions|CO2|Indirect|Industry`` (ours; purchased          Mt CO2/yr             as above
electricity, heat, hydrogen; not part of the above)
``Final Energy|Industry``, ``|Solids``, ``|Liquids``,         EJ/yr                 full, province
``|Gases`` (subtotals)
``Final Energy|Industry|<Carrier>``                          EJ/yr                 all (summary:
                                                                                   provinces only)
``Production|Iron and Steel|Steel`` and ``|Primary``          Mt/yr                 full
(BF-BOF + H2-DRI-EAF), ``|Secondary`` (scrap EAF)
``Production|Non-Ferrous Metals|Aluminum`` and ``|Primary``,  Mt/yr                 full
``|Secondary``
``Production|Non-Metallic Minerals|Cement``                  Mt/yr                 full
``Value Added|Industry`` (modelled sectors)                  billion USD_2010/yr   all (summary:
                                                                                   provinces only)
``Value Added|Industry|<Sector>`` (ours)                     billion USD_2010/yr   all (national:
                                                                                   full only)
``Value Added [CNY_2019]|Industry[|<Sector>]`` (ours; as      billion CNY_2019/yr   as the above
simulated)
``Production Share|Iron and Steel|Steel|Secondary`` (ours;  %                     all (national:
scrap-EAF share of crude steel)                                                    full only)
``Cost|Industry`` (ours; annualised cost, ``total_cost``)     billion USD_2010/yr   all
``Cost|Industry|<Item>`` (ours; Capital, Fixed O&M,          billion USD_2010/yr   all
Variable O&M, Energy, Power Surcharges, Carbon Payments,
CCUS; ``cost_by_item``)
``Cost|Industry|<Item>|<Sector>`` (ours; every item but      billion USD_2010/yr   full
Energy; ``cost``)
``Cost|Industry|Energy|<Carrier>`` (ours; ``energy_cost``)   billion USD_2010/yr   all (summary:
and the subtotals ``|Solids``, ``|Liquids``, ``|Gases``                            provinces only;
                                                                                   subtotals: full,
                                                                                   province)
``Price|Final Energy|Industry|<Carrier>`` and ``|Solids``,   USD_2010/GJ           full, province
``|Liquids``, ``|Gases`` (energy cost / final energy)
``Investment|Industry`` and ``|<Sector>`` (ours; new         billion USD_2010/yr   full
capacity, ``investment_cost`` summed over routes)
``Present Value|Cost|Industry`` (ours; ``discounted_cost``,  billion USD_2010      all
in the column of the year it is discounted to, 2025)
``Emissions|Sulfur|Industry``, ``Emissions|NOx|Industry``     Mt SO2/yr, Mt NO2/yr  all
(ours; SO2 and NOx of the modelled sectors,
``industrial_pollutants``)
``Emissions|PM|Industry`` (ours; total primary particulate    Mt PM/yr              all
matter from stacks)
``Emissions|<Species>|Industry|<Sector>`` (ours; same per     as the total          all (national:
sector, ``pollutant_emissions``)                                                    full only)
===========================================================  ====================  ==============

Why gross: the kernel captures a share of a route's direct + process CO2 together and the file
keeps the captured total per sector, so net energy and net process emissions (the common
definitions' ``Emissions|CO2|Energy|Demand|Industry`` and ``Emissions|CO2|Industrial Processes``)
would need an allocation of the capture; the gross flows and the capture are exact.

Value added is given twice: in ``billion CNY_2019/yr`` as simulated (its own tree,
:data:`VA_CNY_TREE`), and in the common definitions' ``billion USD_2010/yr`` (× :data:`sim.core.units.USD2010_PER_CNY2019`, China's GDP
deflator 2010→2019 and the 2010 market exchange rate; sources in ``sim.core.units``).

Costs (``sim.model.costs``; CNY at 2019 prices in the file) are converted like value added, to
``billion USD_2010/yr``; only USD_2010 is exported (the file has the CNY). ``Cost|Industry`` is the
sum of its items and each item the sum of its sectors (full) or, for Energy, of its carriers:
the Energy item is split by carrier, not by sector, because pyam's ``check_aggregate`` takes
every variable one level below a total as its part, so carriers and sectors side by side would
count it twice. ``Investment|Industry`` is the capital spent on new capacity in the year; the
capital of efficiency retrofits and electrification equipment is only in
``Cost|Industry|Capital`` (as annuities). The present value is an amount, not a flow: one value
per region and scenario (quantiles of the per-member present value), in the column of the year it
is discounted to; per region it cannot be an IAMC meta indicator (those belong to a whole
scenario).

Prices: ``Price|Final Energy|Industry|<Carrier>`` is what the modelled sectors paid per GJ, the
member's energy cost of the carrier over its final energy (so the sectors' prices, such as coking
coal in steel, weighted by their use, times the member's ``energy_price_multiplier``; excluding
VAT), per member and then quantiles; the national price is the ratio of the national sums; years
without use of the carrier are left out. It does not include the carrier's share of a carbon
price, which the common definitions' text includes: the model charges the carbon price on
emissions (``Cost|Industry|Carbon Payments``), not on fuels, so the two agree when no carbon
price is set. Files of ``summary`` detail keep only quantiles of costs and energy, whose ratio is
not a price, so they have no prices. Not exported: ``Price|Carbon`` (the lever's path per province
and sector is not in the file, and a sector coverage makes one regional price ambiguous; what is
paid is ``Cost|Industry|Carbon Payments``) and investment by route (in the file,
``investment_cost``; IAMC has no names for routes).

Air pollutants (``sim.model.pollutants``, issue #27): the species names and units are the common
definitions' (``Sulfur`` in Mt SO2/yr, ``NOx`` in Mt NO2/yr), the tree is ours, like
``Emissions|CO2|Industry``: a sector's emissions are combustion and process together (the steel
and cement factors are whole-plant, their fuel included), so the common definitions' split into
``Emissions|<Species>|Energy|Demand|Industry`` and ``|Industrial Processes`` would be an
allocation. Particulate matter is total primary PM from stacks (颗粒物, all sizes): the common
definitions have no PM species (only BC and OC, which are parts of PM2.5), so ``Emissions|PM|…``
in ``Mt PM/yr`` is ours (:data:`POLLUTANT_SPECIES`).

Sectors: Iron and Steel, Non-Ferrous Metals, Non-Metallic Minerals, Chemicals, Pulp and Paper
(the common definitions' industry sectors), Petroleum Refining and Coking, Textiles, Machinery,
Other Industry (ours). Carriers: Solids|Coal (incl. coke and coal gases), Solids|Biomass,
Liquids|Oil, Gases|Gas, Electricity, Heat, Hydrogen.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import numpy as np
import pandas as pd
import xarray as xr

from sim import __version__
from sim.core import axes, files
from sim.core.indicators import eaf_share
from sim.core.units import USD2010_PER_CNY2019
from sim.model.costs import DISCOUNT_WINDOW
from sim.results import reading as results
from sim.results.reading import QUANTILE_LABELS, QUANTILES, ResultsFileError

if TYPE_CHECKING:  # pandas is imported when a table is built, not by `sim --help`
    import pandas as pd


IAMC_COLUMNS = ("model", "scenario", "region", "variable", "unit")

SECTOR_NAMES = {
    "iron_steel": "Iron and Steel",
    "nonferrous": "Non-Ferrous Metals",
    "nonmetallic_minerals": "Non-Metallic Minerals",
    "chemicals": "Chemicals",
    "petroleum_coking": "Petroleum Refining and Coking",
    "paper": "Pulp and Paper",
    "textiles": "Textiles",
    "machinery": "Machinery",
    "other_industry": "Other Industry",
}
CARRIER_NAMES = {
    "coal": "Solids|Coal",
    "oil": "Liquids|Oil",
    "gas": "Gases|Gas",
    "electricity": "Electricity",
    "heat": "Heat",
    "hydrogen": "Hydrogen",
    "biomass": "Solids|Biomass",
}
MEAN_LABEL = "mean"
"""Scenario label of the ensemble mean (``<scenario>|mean``), exported where the file has members:
quantiles are not additive (the median of a total is not the sum of the medians), the mean is, so
pyam's ``check_aggregate`` holds on it."""
SUBTOTALS = {"Solids": ("coal", "biomass"), "Liquids": ("oil",), "Gases": ("gas",)}
"""Carrier groups of the common definitions, exported as subtotals of ``Final Energy|Industry``."""
VA_CNY = "billion CNY_2019/yr"
VA_CNY_TREE = "Value Added [CNY_2019]|Industry"
"""Value added as simulated (CNY at 2019 prices) has a tree of its own: nomenclature allows one
unit per variable in a table, and beside ``Value Added|Industry`` a ``[CNY_2019]`` leaf would be
one of its parts for pyam's aggregation checks."""
COST = "Cost|Industry"
"""The annualised cost of the modelled sectors (``total_cost``), its items below it."""
COST_ITEM_NAMES = {
    "capital": "Capital",
    "fixed_om": "Fixed O&M",
    "variable_om": "Variable O&M",
    "energy": "Energy",
    "power_surcharges": "Power Surcharges",
    "carbon": "Carbon Payments",
    "ccus": "CCUS",
}
"""IAMC names of the cost items (``cost_item`` axis, ``sim.model.costs.COST_ITEMS``)."""
PRESENT_VALUE = "Present Value|Cost|Industry"
"""``discounted_cost``: one value per region, in the column of the year it is discounted to
(the first year of ``sim.model.costs.DISCOUNT_WINDOW``); a tree of its own, an amount (not per
year) beside the annual flows."""
POLLUTANT_SPECIES = {"SO2": "Sulfur", "NOx": "NOx", "PM": "PM"}
"""IAMC species of the ``pollutant`` axis (``sim.model.pollutants.POLLUTANTS``): the common
definitions' Level-1 species where one matches (Sulfur as SO2, NOx as NO2); PM (total primary
particulate matter) is ours, none of theirs matching it."""
USD = "billion USD_2010/yr"
CNY_TO_USD = 1e-9 * USD2010_PER_CNY2019
"""CNY at 2019 prices -> billion USD_2010 (``sim.core.units``)."""
UNITS = {
    # file units -> (IAMC unit, factor); per quantity kind, so CO2 and materials differ
    ("co2", "Mt yr-1"): ("Mt CO2/yr", 1.0),
    ("energy", "PJ yr-1"): ("EJ/yr", 1e-3),
    ("material", "Mt yr-1"): ("Mt/yr", 1.0),
    ("value_added", "yr-1"): (VA_CNY, 1e-9),
    ("value_added_usd", "yr-1"): ("billion USD_2010/yr", 1e-9 * USD2010_PER_CNY2019),
    ("value_added", "1e9 yr-1"): (VA_CNY, 1.0),  # files written before 2026-12-07
    ("value_added_usd", "1e9 yr-1"): ("billion USD_2010/yr", USD2010_PER_CNY2019),
    ("share", "1"): ("%", 100.0),
    ("cost", "yr-1"): (USD, CNY_TO_USD),
    ("present_value", "1"): ("billion USD_2010", CNY_TO_USD),
    # t yr-1 -> Mt yr-1 of each species, in the common definitions' units (NOx as NO2)
    ("Sulfur", "t yr-1"): ("Mt SO2/yr", 1e-6),
    ("NOx", "t yr-1"): ("Mt NO2/yr", 1e-6),
    ("PM", "t yr-1"): ("Mt PM/yr", 1e-6),
    # energy_cost [CNY yr-1] / final energy [PJ yr-1] = CNY PJ-1; 1 PJ = 1e6 GJ
    ("price", "yr-1"): ("USD_2010/GJ", 1e-6 * USD2010_PER_CNY2019),
}


class Series:
    """One exported variable before statistics: ``data`` has dims (member or quantile, province
    or region, year); ``national`` says whether its sum over provinces may be formed."""

    def __init__(self, variable: str, kind: str, data: xr.DataArray, source: str,
                 national: xr.DataArray | None = None):
        self.variable, self.kind, self.data, self.source = variable, kind, data, source
        self.national = national


def _units(ds: xr.Dataset, name: str, kind: str) -> tuple[str, float]:
    units = str(ds[name].attrs.get("units", ""))
    try:
        return UNITS[(kind, units)]
    except KeyError:
        raise ResultsFileError(f"{results.name_of(ds)}: variable {name} has units {units!r}, "
                               f"the IAMC export expects {[u for k, u in UNITS if k == kind]}") from None


def _per_member(ds: xr.Dataset, name: str) -> bool:
    return name in ds.variables and "member" in ds[name].dims


def _sector_total(ds: xr.Dataset, name: str) -> tuple[xr.DataArray, str] | None:
    """Sum over sectors of ``name``: per member when the file has members of the per-sector
    variable (full) or of ``<name>_total`` (province); stored quantiles of ``<name>_total``
    (summary); None when neither is there."""
    if _per_member(ds, name) and "sector" in ds[name].dims:
        return ds[name].sum("sector", skipna=False), name
    if f"{name}_total" in ds.variables:
        return ds[f"{name}_total"], f"{name}_total"
    return None


def _series(ds: xr.Dataset) -> Iterator[Series]:
    """Every exportable series the file holds (see the module docstring)."""
    production = _per_member(ds, "production")
    if "industrial_co2" in ds.variables:
        yield Series("Emissions|CO2|Industry", "co2", ds["industrial_co2"], "industrial_co2")
    if all(_per_member(ds, n) for n in ("co2_direct", "co2_process", "co2_captured")):
        net = ds["co2_direct"] + ds["co2_process"] - ds["co2_captured"]
        for s in ds["sector"].values:
            yield Series(f"Emissions|CO2|Industry|{SECTOR_NAMES[str(s)]}", "co2",
                         net.sel(sector=s, drop=True), "co2_direct")
    for name, variable in (("co2_direct", "Gross Emissions|CO2|Energy|Demand|Industry"),
                           ("co2_process", "Gross Emissions|CO2|Industrial Processes"),
                           ("co2_captured", "Carbon Capture|Industry"),
                           ("co2_indirect", "Emissions|CO2|Indirect|Industry")):
        total = _sector_total(ds, name)
        if total is not None:
            yield Series(variable, "co2", total[0], total[1])
        if name in ("co2_direct", "co2_process"):
            yield from _per_sector(ds, name, variable, "co2")
    energy = _sector_total(ds, "final_energy")
    if energy is not None:
        by_carrier, source = energy
        if "member" in by_carrier.dims:  # totals of members; never sums of quantiles
            yield Series("Final Energy|Industry", "energy", by_carrier.sum("carrier", skipna=False),
                         source)
            for group, carriers in SUBTOTALS.items():
                yield Series(f"Final Energy|Industry|{group}", "energy",
                             by_carrier.sel(carrier=list(carriers)).sum("carrier", skipna=False),
                             source)
        for c in by_carrier["carrier"].values:
            yield Series(f"Final Energy|Industry|{CARRIER_NAMES[str(c)]}", "energy",
                         by_carrier.sel(carrier=c, drop=True), source)
    if production:
        prod = ds["production"]

        def routes(sector: str, names: Iterable[str]) -> xr.DataArray:
            names = list(names)
            missing = [n for n in names if n not in prod["route"].values]
            if missing:
                raise ResultsFileError(f"{results.name_of(ds)}: no route {missing} in sector {sector}")
            return prod.sel(route=names).sum("route", min_count=1)

        steel = "Production|Iron and Steel|Steel"
        alu = "Production|Non-Ferrous Metals|Aluminum"
        for variable, sector, names in (
                (steel, "iron_steel", ("bf_bof", "scrap_eaf", "h2_dri_eaf")),
                (f"{steel}|Primary", "iron_steel", ("bf_bof", "h2_dri_eaf")),
                (f"{steel}|Secondary", "iron_steel", ("scrap_eaf",)),
                (alu, "nonferrous", ("primary_al", "secondary_al")),
                (f"{alu}|Primary", "nonferrous", ("primary_al",)),
                (f"{alu}|Secondary", "nonferrous", ("secondary_al",)),
                ("Production|Non-Metallic Minerals|Cement", "nonmetallic_minerals",
                 ("kiln", "kiln_efficient", "kiln_ccus"))):
            yield Series(variable, "material", routes(sector, names), "production")
    va = _sector_total(ds, "value_added")
    for kind, variable in (("value_added_usd", "Value Added|Industry"), ("value_added", VA_CNY_TREE)):
        if va is not None:
            yield Series(variable, kind, va[0], va[1])
        yield from _per_sector(ds, "value_added", variable, kind)
    if "eaf_share" in ds.variables:
        national = None
        if production:  # national share = national scrap-EAF output / national output

            national = eaf_share(ds["production"], province_axis=True)
        yield Series("Production Share|Iron and Steel|Steel|Secondary", "share", ds["eaf_share"],
                     "eaf_share", national=national)
    yield from _cost_series(ds)
    yield from _pollutant_series(ds)


def _pollutant_series(ds: xr.Dataset) -> Iterator[Series]:
    """``Emissions|<Species>|Industry`` (``industrial_pollutants``, stored per region like
    ``industrial_co2``) and ``|<Sector>`` (``pollutant_emissions``: members at full detail, stored
    quantiles of the provinces otherwise)."""
    for name in ("industrial_pollutants", "pollutant_emissions"):
        if name not in ds.variables:
            continue
        for p in ds[name]["pollutant"].values:
            species = POLLUTANT_SPECIES[str(p)]
            da = ds[name].sel(pollutant=p, drop=True)
            if name == "industrial_pollutants":
                yield Series(f"Emissions|{species}|Industry", species, da, name)
                continue
            for s in ds["sector"].values:
                yield Series(f"Emissions|{species}|Industry|{SECTOR_NAMES[str(s)]}", species,
                             da.sel(sector=s, drop=True), name)


def _cost_series(ds: xr.Dataset) -> Iterator[Series]:
    """The costs (``sim.model.costs``) and the energy prices paid: see the module docstring."""
    if "total_cost" in ds.variables:
        yield Series(COST, "cost", ds["total_cost"], "total_cost")
    if "cost_by_item" in ds.variables:
        for k in ds["cost_item"].values:
            yield Series(f"{COST}|{COST_ITEM_NAMES[str(k)]}", "cost",
                         ds["cost_by_item"].sel(cost_item=k, drop=True), "cost_by_item")
    if _per_member(ds, "cost"):  # full: the items by sector; energy is split by carrier below
        for k in ds["cost_item"].values:
            if str(k) == "energy":
                continue
            for s in ds["sector"].values:
                yield Series(f"{COST}|{COST_ITEM_NAMES[str(k)]}|{SECTOR_NAMES[str(s)]}", "cost",
                             ds["cost"].sel(cost_item=k, sector=s, drop=True), "cost")
    if "energy_cost" in ds.variables:
        spent = ds["energy_cost"]
        if "member" in spent.dims:  # subtotals of members; never sums of quantiles
            for group, carriers in SUBTOTALS.items():
                yield Series(f"{COST}|Energy|{group}", "cost",
                             spent.sel(carrier=list(carriers)).sum("carrier", skipna=False),
                             "energy_cost")
        for c in spent["carrier"].values:
            yield Series(f"{COST}|Energy|{CARRIER_NAMES[str(c)]}", "cost",
                         spent.sel(carrier=c, drop=True), "energy_cost")
        yield from _prices(ds)
    if _per_member(ds, "investment_cost"):
        # routes that are not the sector's are NaN: the sum over routes skips them
        spend = ds["investment_cost"].sum("route")
        yield Series("Investment|Industry", "cost", spend.sum("sector", skipna=False),
                     "investment_cost")
        for s in ds["sector"].values:
            yield Series(f"Investment|Industry|{SECTOR_NAMES[str(s)]}", "cost",
                         spend.sel(sector=s, drop=True), "investment_cost")
    if "discounted_cost" in ds.variables:
        pv = ds["discounted_cost"]
        at = xr.DataArray(ds["year"].values == DISCOUNT_WINDOW[0], dims="year",
                          coords={"year": ds["year"].values})
        yield Series(PRESENT_VALUE, "present_value", pv.where(at), "discounted_cost")


def _prices(ds: xr.Dataset) -> Iterator[Series]:
    """``Price|Final Energy|Industry|<Carrier>``: what the modelled sectors paid per GJ, energy
    cost over final energy (the prices of the sectors weighted by their use, each member's
    price multiplier included), per member; the national price is the ratio of the national
    sums. Needs members of both (full and province detail); NaN where nothing is used."""
    energy = _sector_total(ds, "final_energy")
    if energy is None or "member" not in energy[0].dims or "member" not in ds["energy_cost"].dims:
        return
    used, source = energy
    _units(ds, source, "energy")  # PJ yr-1 (the one energy unit; anything else is refused)
    spent = ds["energy_cost"]
    groups = {**{g: list(c) for g, c in SUBTOTALS.items()},
              **{CARRIER_NAMES[str(c)]: [str(c)] for c in spent["carrier"].values}}
    for name, carriers in groups.items():
        cost = spent.sel(carrier=carriers).sum("carrier", skipna=False)
        fe = used.sel(carrier=carriers).sum("carrier", skipna=False)
        national = cost.sum("province", skipna=False) / _positive(fe.sum("province", skipna=False))
        yield Series(f"Price|Final Energy|Industry|{name}", "price", cost / _positive(fe),
                     "energy_cost", national=national)


def _positive(da: xr.DataArray) -> xr.DataArray:
    return da.where(da > 0)


def _per_sector(ds: xr.Dataset, name: str, variable: str, kind: str) -> Iterator[Series]:
    """``<variable>|<Sector>`` of the per-sector variable ``name`` (members or stored
    quantiles), when the file has it."""
    if name in ds.variables and "sector" in ds[name].dims:
        for s in ds["sector"].values:
            yield Series(f"{variable}|{SECTOR_NAMES[str(s)]}", kind,
                         ds[name].sel(sector=s, drop=True), name)


def variable_names() -> dict[str, tuple[str, ...]]:
    """Every IAMC variable the export can write, with its unit(s) (what ``definitions/`` must
    define; a file gives the subset its detail allows)."""
    sectors = list(SECTOR_NAMES.values())
    co2, energy = ("Mt CO2/yr",), ("EJ/yr",)
    names: dict[str, tuple[str, ...]] = {"Emissions|CO2|Industry": co2}
    names.update({f"Emissions|CO2|Industry|{s}": co2 for s in sectors})
    for total in ("Gross Emissions|CO2|Energy|Demand|Industry",
                  "Gross Emissions|CO2|Industrial Processes"):
        names[total] = co2
        names.update({f"{total}|{s}": co2 for s in sectors})
    names.update({"Carbon Capture|Industry": co2, "Emissions|CO2|Indirect|Industry": co2,
                  "Final Energy|Industry": energy})
    names.update({f"Final Energy|Industry|{g}": energy for g in SUBTOTALS})
    names.update({f"Final Energy|Industry|{c}": energy for c in CARRIER_NAMES.values()})
    for p in ("Production|Iron and Steel|Steel", "Production|Non-Ferrous Metals|Aluminum"):
        names.update({p: ("Mt/yr",), f"{p}|Primary": ("Mt/yr",), f"{p}|Secondary": ("Mt/yr",)})
    names["Production|Non-Metallic Minerals|Cement"] = ("Mt/yr",)
    for tree, unit in (("Value Added|Industry", "billion USD_2010/yr"), (VA_CNY_TREE, VA_CNY)):
        names[tree] = (unit,)
        names.update({f"{tree}|{s}": (unit,) for s in sectors})
    names["Production Share|Iron and Steel|Steel|Secondary"] = ("%",)
    names[COST] = (USD,)
    names.update({f"{COST}|{k}": (USD,) for k in COST_ITEM_NAMES.values()})
    names.update({f"{COST}|{k}|{s}": (USD,) for k in COST_ITEM_NAMES.values() if k != "Energy"
                  for s in sectors})
    carriers = [*SUBTOTALS, *CARRIER_NAMES.values()]
    names.update({f"{COST}|Energy|{c}": (USD,) for c in carriers})
    names.update({f"Price|Final Energy|Industry|{c}": ("USD_2010/GJ",) for c in carriers})
    names["Investment|Industry"] = (USD,)
    names.update({f"Investment|Industry|{s}": (USD,) for s in sectors})
    names[PRESENT_VALUE] = ("billion USD_2010",)
    for species in POLLUTANT_SPECIES.values():
        unit = (UNITS[(species, "t yr-1")][0],)
        names[f"Emissions|{species}|Industry"] = unit
        names.update({f"Emissions|{species}|Industry|{s}": unit for s in sectors})
    return names


def available(ds: xr.Dataset) -> list[str]:
    """The IAMC variables the file can give (depends on the output detail)."""
    return [s.variable for s in _series(ds)]


def _check(ds: xr.Dataset) -> None:
    results.require(ds, ("industrial_co2",), "an IAMC export",
                    dims={"industrial_co2": ("region", "year")})
    stat = [d for d in ("member", "quantile") if d in ds["industrial_co2"].dims]
    if not stat:
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for an IAMC export: variable "
                               f"industrial_co2 has dimensions ({', '.join(ds['industrial_co2'].dims)}),"
                               " needs member or quantile")
    if "province" not in ds.dims:
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for an IAMC export: "
                               "missing dimension province")


def _region_names(ds: xr.Dataset) -> tuple[dict[str, str], str | None]:
    """{file province or region -> IAMC region}, and the IAMC name of the national sum (None for
    a single-province file)."""
    provinces = [str(p) for p in ds["province"].values]
    names = {p: f"China|{p}" for p in provinces}
    if len(provinces) == 1:
        return names, None
    national = "China" if len(provinces) == len(axes.PROVINCES) else f"China|Sum of {len(provinces)} provinces"
    names["national"] = national
    return names, national


def iamc_table(ds: xr.Dataset, model_name: str | None = None,
               quantiles: Iterable[float] | None = None,
               scenario: str | None = None) -> "pd.DataFrame":
    """The IAMC table (wide: model, scenario, region, variable, unit, then one column per year).

    ``quantiles`` default to :data:`sim.results.reading.QUANTILES` (each must have a label in
    :data:`sim.results.reading.QUANTILE_LABELS`); the scenario of quantile q is ``<scenario>|<label>``.
    """
    if "case" in ds.dims:  # a sweep (combined, or one part): one scenario per case
        scenario = scenario or str(ds.attrs.get("scenario_name", Path(results.name_of(ds)).stem))
        return pd.concat([iamc_table(ds.isel(case=i), model_name, quantiles,
                                     f"{scenario}|{case_label(int(c))}")
                          for i, c in enumerate(ds["case"].values)], ignore_index=True)
    _check(ds)
    q = [float(x) for x in (quantiles if quantiles is not None else QUANTILES)]
    unknown = [x for x in q if x not in QUANTILE_LABELS]
    if unknown:
        raise ValueError(f"quantiles {unknown} have no scenario label; allowed: {list(QUANTILE_LABELS)}")
    model_name = model_name or f"china-industry-sim {__version__}"
    scenario = scenario or str(ds.attrs.get("scenario_name", Path(results.name_of(ds)).stem))
    years = [int(y) for y in ds["year"].values]
    regions, national = _region_names(ds)
    rows: list[list] = []
    for s in _series(ds):
        unit, factor = _units(ds, s.source, s.kind)
        # statistics of all regions of a block at once: per region, xarray's overhead (not the
        # arithmetic) took most of the time of a 31-province export
        for labels, da, dim in _by_region(s, regions, national):
            da = da.transpose(..., dim, "year")
            with warnings.catch_warnings():  # a series without data (no steel in Tibet)
                warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
                stats = results.quantiles(da, q)
            values = np.asarray(stats.transpose("quantile", dim, "year").values, dtype=float) * factor
            mean = None
            if "member" in da.dims:  # the mean is additive: totals equal the sums of their parts
                # in float64: a float32 mean depends on the summation order (blocking), by 1e-7
                mean = da.astype(float).mean("member", skipna=False).transpose(dim, "year").values * factor
            for j, region_label in enumerate(labels):
                if np.isnan(values[:, j]).all():
                    continue  # IAMC tables leave out what does not exist
                for i, x in enumerate(q):
                    rows.append([model_name, f"{scenario}|{QUANTILE_LABELS[x]}", region_label,
                                 s.variable, unit, *values[i, j]])
                if mean is not None:
                    rows.append([model_name, f"{scenario}|{MEAN_LABEL}", region_label, s.variable,
                                 unit, *mean[j]])
    df = pd.DataFrame(rows, columns=[*IAMC_COLUMNS, *years])
    return df


def case_label(case: int) -> str:
    """The scenario suffix of a sweep case, ``case-00003``: the parts of a sweep export to distinct
    scenarios, so their tables concatenate (``pyam.concat``) into the combined file's table."""
    return f"case-{case:05d}"


def _by_region(s: Series, regions: dict[str, str],
               national: str | None) -> Iterator[tuple[list[str], xr.DataArray, str]]:
    """Blocks of (IAMC regions, data, the data's axis of those regions): the provinces and, where
    it can be formed from members (or is stored as such), the national sum."""
    da = s.data
    if "region" in da.dims:  # stored per region, the national sum included (industrial_co2)
        keep = [r for r in da["region"].values if str(r) in regions]
        yield [regions[str(r)] for r in keep], da.sel(region=keep), "region"
        return
    yield [regions[str(p)] for p in da["province"].values], da, "province"
    if national is None:
        return
    if s.national is not None:
        total = s.national
    elif "member" in da.dims and s.kind not in ("share", "price"):  # per-member sum; never a sum of quantiles
        total = da.sum("province", skipna=False)
    else:
        return
    yield [national], total.expand_dims("national"), "national"


def write_iamc(df: "pd.DataFrame", path: Path | str, meta: dict | None = None) -> Path:
    """Write the table as CSV, or XLSX (sheet ``data``, plus ``meta`` if given) by the suffix,
    under a temporary name in the same folder, renamed when complete."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"{path}: the IAMC table is written as .csv or .xlsx, not {suffix or 'no suffix'!r}")
    with files.atomic_path(path) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:

            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                df.to_excel(xw, sheet_name="data", index=False)
                if meta is not None:
                    pd.DataFrame(meta).to_excel(xw, sheet_name="meta", index=False)
    return path


def meta_table(ds: xr.Dataset, df: "pd.DataFrame") -> dict[str, list]:
    """Per (model, scenario): quantile (NaN for the mean), members, seed, output detail, source
    file (XLSX ``meta``)."""
    pairs = df[["model", "scenario"]].drop_duplicates()
    labels = {v: k for k, v in QUANTILE_LABELS.items()} | {MEAN_LABEL: np.nan}
    return dict(
        model=list(pairs["model"]), scenario=list(pairs["scenario"]),
        quantile=[labels[s.rsplit("|", 1)[1]] for s in pairs["scenario"]],
        members=[int(ds.attrs.get("members", ds.sizes.get("member", 0)))] * len(pairs),
        seed=[int(ds.attrs.get("seed", -1))] * len(pairs),
        output_detail=[results.detail(ds)] * len(pairs),
        source_file=[Path(results.name_of(ds)).name] * len(pairs),
    )


def export_iamc(ds: xr.Dataset, path: Path | str, model_name: str | None = None) -> "pd.DataFrame":
    """Build the IAMC table of ``ds``, write it to ``path`` (.csv, or .xlsx with a meta sheet)
    and return it. Nothing is written if the file cannot serve (ResultsFileError)."""
    df = iamc_table(ds, model_name=model_name)
    meta = meta_table(ds, df) if Path(path).suffix.lower() == ".xlsx" else None
    write_iamc(df, path, meta)
    return df
