"""Write ``definitions/`` from a checkout of IAMconsortium/common-definitions.

    python definitions/vendor.py PATH/TO/common-definitions [COMMIT]

(``COMMIT`` for an exported tree that is not a git work tree.)

Every IAMC variable the export writes (``sim.results.export.variable_names``) that the common definitions
define is copied, with their unit and description, to ``variable/common-definitions.yaml``; the
others are defined in ``variable/china-industry-sim.yaml`` (ours: descriptions below). Regions:
``region/china.yaml`` (China, its 31 provinces as ``China|<Province>`` and the sums of N of them).
The commit of the checkout goes into ``COMMON_DEFINITIONS_COMMIT``. Run by hand when the export
or the common definitions change; the tests check the result (tests/results/test_iamc_definitions.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
  # noqa: E402
from sim.core import axes

from sim.results import export

SECTOR_TEXT = {
    "Iron and Steel": "the iron and steel sector",
    "Non-Ferrous Metals": "the non-ferrous metals sector",
    "Non-Metallic Minerals": "the non-metallic minerals sector (cement, lime, glass, ceramics)",
    "Chemicals": "the chemicals sector",
    "Petroleum Refining and Coking": "petroleum refining and coking (CEADs 'Petroleum Processing "
                                     "and Coking')",
    "Pulp and Paper": "the pulp and paper sector",
    "Textiles": "the textiles sector",
    "Machinery": "machinery and equipment manufacturing",
    "Other Industry": "the other industrial sectors of the model (other manufacturing, non-energy "
                      "mining, water supply)",
}
SCOPE = ("the modelled industrial sectors (CEADs industry without energy mining and power, heat "
         "and gas supply; no construction)")
MONEY = ("converted from CNY at 2019 prices with the GDP deflator of China 2010-2019 and the 2010 "
         "market exchange rate")
ITEM_TEXT = {
    "Capital": ("capital annuities (capital recovery factor at the discount rate over the economic "
                "lifetime) of the new capacity, efficiency retrofits and electrification equipment "
                "invested since the base year (the capital of the base year's stock is sunk and "
                "not counted)"),
    "Fixed O&M": "fixed operation and maintenance cost of the productive capacity",
    "Variable O&M": "variable operation and maintenance cost of production, energy excluded",
    "Energy": ("energy purchases, final energy times the price of the carrier in the province "
               "and year, excluding VAT"),
    "Power Surcharges": ("the differentiated (tiered) electricity surcharge on electricity above "
                         "the benchmark use and the green-power premium on the contracted green "
                         "share (scenario levers)"),
    "Carbon Payments": ("carbon price times net direct and process CO2 above the free allocation "
                        "(scenario levers), negative where allowances are sold"),
    "CCUS": "levelised cost of capture, transport and storage of the CO2 captured",
}

SPECIES_TEXT = {
    "Sulfur": "sulfur dioxide (SO2)",
    "NOx": "nitrogen oxides (NOx, as NO2)",
    "PM": ("total primary particulate matter from stacks (all particle sizes, fugitive dust not "
           "covered, so neither PM2.5, PM10, BC nor OC)"),
}
POLLUTANT_TEXT = ("fuel combustion and industrial processes together (the iron and steel and "
                  "cement factors are whole-plant, their fuel included), after the end-of-pipe "
                  "controls in place and the ultra-low-emission retrofits")


def ours(name: str) -> str:
    """Description of a variable the common definitions do not have."""
    head, _, sector = name.rpartition("|")
    if name == "Emissions|CO2|Industry":
        return (f"Net CO2 emissions of {SCOPE}, fuel combustion plus industrial processes minus "
                "CO2 captured by CCUS (Gross Emissions|CO2|Energy|Demand|Industry + Gross "
                "Emissions|CO2|Industrial Processes - Carbon Capture|Industry)")
    if head == "Emissions|CO2|Industry":
        return f"Net CO2 emissions (combustion + processes - captured) of {SECTOR_TEXT[sector]}"
    if head == "Gross Emissions|CO2|Energy|Demand|Industry":
        return (f"Gross CO2 emissions from fuel combustion in {SECTOR_TEXT[sector]}, before "
                "carbon capture")
    if head == "Gross Emissions|CO2|Industrial Processes":
        return f"Gross CO2 emissions from industrial processes in {SECTOR_TEXT[sector]}, before capture"
    if name == "Carbon Capture|Industry":
        return (f"CO2 captured by CCUS in {SCOPE}, from fuel combustion and industrial processes "
                "together (the model captures a share of a route's combined CO2)")
    if name == "Emissions|CO2|Indirect|Industry":
        return (f"Indirect CO2 emissions of {SCOPE}, the emissions of the purchased electricity, "
                "heat and hydrogen they use (grid and supply emission factors), not part of "
                "Emissions|CO2|Industry")
    if head == "Value Added|Industry":
        return (f"Value added of {SECTOR_TEXT[sector]}, converted from CNY at 2019 prices with "
                "the GDP deflator of China 2010-2019 and the 2010 market exchange rate")
    if name == export.VA_CNY_TREE:
        return f"Value added of {SCOPE} at 2019 prices, as simulated (CNY)"
    if head == export.VA_CNY_TREE:
        return f"Value added of {SECTOR_TEXT[sector]} at 2019 prices, as simulated (CNY)"
    if name == export.COST:
        return (f"Annualised cost of {SCOPE}, the sum of its items (Cost|Industry|<item>), "
                f"{MONEY}")
    if head == export.COST and sector in ITEM_TEXT:
        return f"Annualised cost of {SCOPE}, {ITEM_TEXT[sector]}, {MONEY}"
    if head == f"{export.COST}|Energy" or head.startswith(f"{export.COST}|Energy|"):
        carrier = name.removeprefix(f"{export.COST}|Energy|")
        return (f"Energy purchases of {SCOPE}, {carrier} (final energy times its price in the "
                f"province and year, excluding VAT), {MONEY}")
    if head.startswith(f"{export.COST}|") and head.rpartition("|")[2] in ITEM_TEXT:
        return f"Annualised cost of {SECTOR_TEXT[sector]}, {ITEM_TEXT[head.rpartition('|')[2]]}, {MONEY}"
    if name == "Investment|Industry":
        return (f"Capital spent on new productive capacity (every route) of {SCOPE}, {MONEY}. "
                "Efficiency retrofits and electrification equipment are counted in "
                "Cost|Industry|Capital as annuities, not here")
    if head == "Investment|Industry":
        return f"Capital spent on new productive capacity of {SECTOR_TEXT[sector]}, {MONEY}"
    if name == export.PRESENT_VALUE:
        first, last = export.DISCOUNT_WINDOW
        return (f"Present value in {first} of Cost|Industry over {first}-{last} at the discount "
                f"rate of the cost data (reported in the {first} column), {MONEY}")
    parts = name.split("|")
    if parts[0] == "Emissions" and parts[1] in SPECIES_TEXT and parts[2] == "Industry":
        where = SECTOR_TEXT[parts[3]] if len(parts) == 4 else SCOPE
        return f"Emissions of {SPECIES_TEXT[parts[1]]} from {where}, {POLLUTANT_TEXT}"
    if name == "Production Share|Iron and Steel|Steel|Secondary":
        return ("Share of secondary (scrap-based electric arc furnace) steel in crude steel "
                "production")
    raise KeyError(f"no description for {name}")


def _clean(text: str) -> str:
    """nomenclature refuses ; : " and ` in descriptions (its default illegal characters)."""
    for c in ";:":
        text = text.replace(c, ",")
    return text


def main(checkout: str, commit: str | None = None) -> None:
    import nomenclature

    root = Path(checkout)
    commit = commit or subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                      capture_output=True, text=True, check=True).stdout.strip()
    theirs = nomenclature.DataStructureDefinition(root / "definitions",
                                                  dimensions=["variable"]).variable
    vendored, own = [], []
    for name, units in export.variable_names().items():
        if name in theirs:
            code = theirs[name]
            vendored.append({name: {"description": code.description, "unit": code.unit}})
        else:
            own.append({name: {"description": _clean(ours(name)),
                               "unit": units[0] if len(units) == 1 else list(units)}})
    (HERE / "variable").mkdir(exist_ok=True)
    header = ("# Vendored from IAMconsortium/common-definitions (CC0 1.0), commit "
              f"{commit}:\n# the entries the export uses, tags expanded. Do not edit: "
              "definitions/vendor.py.\n")
    (HERE / "variable" / "common-definitions.yaml").write_text(
        header + yaml.safe_dump(vendored, sort_keys=False, allow_unicode=True, width=100))
    (HERE / "variable" / "china-industry-sim.yaml").write_text(
        "# Variables of china-industry-sim that the IAMC common definitions do not define.\n"
        "# Written by definitions/vendor.py.\n"
        + yaml.safe_dump(own, sort_keys=False, allow_unicode=True, width=100))
    provinces = [{f"China|{p}": {"description": f"{p} ({axes.PROVINCE_ZH[p]}), province-level "
                                 "division of China", "iso3166_2": axes.PROVINCE_ISO[p]}}
                 for p in axes.PROVINCES]
    sums = [{f"China|Sum of {n} provinces": {
        "description": f"Sum over the {n} provinces simulated in a file (the file says which)"}}
        for n in range(2, len(axes.PROVINCES))]
    regions = [{"Country": [{"China": {"iso3": "CHN", "description": "China (the 31 "
                                       "province-level divisions of mainland China)"}}]},
               {"Province (China)": provinces}, {"Provinces of China (sum)": sums}]
    (HERE / "region").mkdir(exist_ok=True)
    (HERE / "region" / "china.yaml").write_text(
        "# Regions of china-industry-sim exports. Written by definitions/vendor.py.\n"
        + yaml.safe_dump(regions, sort_keys=False, allow_unicode=True, width=100))
    (HERE / "COMMON_DEFINITIONS_COMMIT").write_text(commit + "\n")
    print(f"{len(vendored)} vendored, {len(own)} ours, {len(provinces)} provinces")


if __name__ == "__main__":
    main(*sys.argv[1:3])
