"""Build the observed history 2010-2019 (calibration/history/*.csv) from the raw data in ../shared/data.

Usage: python -m calibration.history [--data ../shared/data]

These tables are what the fit (calibration/fit.py, 2010-2015) is fitted to and what the hindcast
(sim/analysis/hindcast.py, 2015-2019) is driven by and compared with; the model reads them at run time, never
../shared. Files (long format, one value a row):

- ``ceads_co2.csv``: year, province, sector, carrier (coal, oil, gas, process), co2_mt. CEADs Scope-1
  CO2 mapped to the 9 sectors exactly as the base states are built (calibration/build.py), 30
  provinces (CEADs has no Tibet inventory).
- ``activity.csv``: year, province, series, value, unit. NBS provincial output of crude steel, cement
  and the ten non-ferrous metals [Mt] as reported (empty where NBS has no value), and ``va_index``
  (real value added of the value-added sectors, 1 in 2019; see assumptions.toml [history]).
- ``electricity.csv``: year, sector, twh. CEC national electricity use by sector, mapped as in the
  base states.
- ``national.csv``: year, indicator, value, unit, source. National series used as observations or
  drivers: real industrial value-added growth, crude steel, the EAF share and steel scrap use.
- ``activity_2020_2024.csv``: province, series, year, value, unit, flag, source. The observed activity
  2019-2024 that drives 2020-2024 per province (sim/data/observed_activity.py): NBS provincial outputs
  (crude steel, pig iron, steel products, cement, plain glass, ten non-ferrous metals, aluminium and
  copper semis, chemical fibres, motor vehicles), nominal GDP components, the derived real
  value-added index ``va_index`` (2019 = 1), and national rows (province ``China``: communiqué
  totals, the real industrial VA index and implied deflator, the hot-metal ratio of the steel
  route split). ``source`` names the file and row key of every value; ``flag`` how it was obtained
  (reported, repaired_ytd, missing_partial_year, missing_no_row; for va_index the component used).
  2010-2019 tables above are unchanged by it.
- ``provenance.csv``.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import build
from sim.core import axes

HERE = Path(__file__).resolve().parent
OUT = HERE / "history"
YEARS = tuple(range(2010, axes.BASE_YEAR + 1))
OUTPUT_SERIES = {  # series name -> NBS provincial product
    "crude_steel_mt": "Crude Steel",
    "cement_mt": "Cement",
    "nonferrous_ten_kinds_mt": "Ten Kinds of Non-ferrous Metals",
    "plain_glass_mcases": "Plain Glass",
    "chemical_fibres_mt": "Chemical Fibers",
}
OUTPUT_UNITS = {"plain_glass_mcases": ("million weighted cases", 1e-6)}
"""Series not in 10000 t: (unit, factor from the NBS unit); the others are Mt = 10000 t x 0.01."""
FOSSIL = [build.iC[c] for c in axes.FOSSIL_CARRIERS]
PETROLEUM_PRODUCTS = ("Coke", "Gasoline", "Diesel Oil", "Kerosene")
"""National NBS products whose summed output [Mt] drives petroleum and coking in 2010-2019: coke and
the three main refined products (no provincial series of either in ../shared/data, and none of
either after 2019)."""

PROVENANCE: list[dict] = []


def prov(quantity, unit, file, source, method, assumption=""):
    """Record one provenance row of the history files (history/provenance.csv)."""
    PROVENANCE.append(dict(quantity=quantity, unit=unit, file=file, source=source, method=method,
                           assumption=assumption))


def ceads(data: Path, A: dict) -> pd.DataFrame:
    """CEADs CO2 by year, province, sector and carrier (coal, oil, gas, process) [Mt CO2],
    30 provinces (no Tibet), mapped exactly as :func:`calibration.build.load_ceads`."""
    rows = []
    tibet = build.iP["Tibet"]
    for y in YEARS:
        co2, _, proc, _ = build.load_ceads(data, A, y, prov=build.Provenance())  # rows not kept
        for p in range(build.P):
            if p == tibet:
                continue
            for s in range(build.S):
                for c in FOSSIL:
                    rows.append((y, build.PROV[p], build.SECT[s], build.CARR[c], co2[p, s, c]))
                if proc[p, s] != 0:
                    rows.append((y, build.PROV[p], build.SECT[s], "process", proc[p, s]))
    prov("ceads_co2", "Mt CO2", "ceads_co2.csv",
         f"ceads_provincial_co2_by_sector_fuel_1997_2019.csv.gz, years {YEARS[0]}-{YEARS[-1]}",
         "fuels grouped into coal/oil/gas and sectors mapped to the 9 sim sectors exactly as calibration/build.py "
         "load_ceads (assumptions.toml [fuels], ceads_sector_to_sim_sector.csv); 'process' = cement clinker CO2",
         "30 provinces: CEADs has no Tibet inventory (the base states estimate Tibet; the history does not)")
    return pd.DataFrame(rows, columns=["year", "province", "sector", "carrier", "co2_mt"])


# --- real growth of the value-added sectors (calibration/real_growth/, issue #22) -------------------
REAL_GROWTH = HERE / "real_growth"
GDP_GROWTH_FILE = "provincial_gdp_real_growth.csv"
INDUSTRY_GROWTH_FILE = "provincial_industry_va_growth.csv"
NATIONAL_GROWTH_FILE = "national_industry_va_growth.csv"
CITED = {  # indicator of provincial_industry_va_growth.csv -> va_index flag, in order of preference
    "above_size": "above_size_industry",
    "all_industry": "all_industry",
    "secondary_industry_fallback": "secondary_industry",
}
GDP_RULE = "gdp_differential"
"""va_index flag of a year without a cited industry figure: the national rate plus the province's
real-GDP differential times the slope (:func:`industry_gdp_slope`)."""


def gdp_differential() -> pd.DataFrame:
    """(province x year) real GDP growth of the province minus the GDP-weighted mean over the 31
    provinces [percentage points], 2010-2024 (calibration/real_growth/provincial_gdp_real_growth.csv;
    weights: the provinces' nominal GDP of the year before). Against the provinces' own mean, not the
    national figure: provincial growth rates add up to more than the national one, and a
    differential must sum to zero."""
    g = pd.read_csv(REAL_GROWTH / GDP_GROWTH_FILE)
    growth = g.pivot(index="province", columns="year", values="growth_pct")
    weight = g.pivot(index="province", columns="year", values="gdp_nominal_1e8cny").shift(1, axis=1)
    mean = (growth * weight).sum() / weight.where(growth.notna()).sum()
    return growth.sub(mean, axis=1).loc[:, 2010:]


def cited_industry_growth() -> dict[tuple[str, int], tuple[float, str, str]]:
    """(province, year) -> (real growth of industrial value added [%], va_index flag, source) of the
    figures cited in calibration/real_growth/provincial_industry_va_growth.csv."""
    t = pd.read_csv(REAL_GROWTH / INDUSTRY_GROWTH_FILE).dropna(subset=["growth_pct"])
    out = {}
    for r in t.itertuples():
        kind = r.indicator.split(" ")[0]
        out[(r.province, int(r.year))] = (float(r.growth_pct), CITED[kind],
                                          f"{INDUSTRY_GROWTH_FILE} [{r.province}, {r.year}]: {r.source}")
    return out


def national_industry_growth() -> dict[int, float]:
    """Year -> national real growth of above-size industrial value added [%]
    (calibration/real_growth/national_industry_va_growth.csv)."""
    t = pd.read_csv(REAL_GROWTH / NATIONAL_GROWTH_FILE)
    return {int(y): float(g) for y, g in zip(t.year, t.growth_pct)}


def industry_gdp_slope(diff: pd.DataFrame, cited: dict, national: dict[int, float]) -> tuple[float, int]:
    """Points of industrial growth per point of real-GDP differential [1] and the number of
    province-years it rests on: the Theil-Sen slope of (cited industrial growth − national) against
    the province's GDP differential over the cited above-size and all-industry figures (robust to a
    single outlier such as Beijing 2021, +31 % from vaccines). Industry swings more than GDP."""
    from scipy.stats import theilslopes

    x, y = [], []
    for (p, yr), (g, flag, _) in cited.items():
        if flag != CITED["secondary_industry_fallback"] and yr in national:
            x.append(diff.loc[p, yr])
            y.append(g - national[yr])
    return float(theilslopes(y, x).slope), len(x)


def va_index(data: Path, A: dict) -> tuple[np.ndarray, dict[int, float]]:
    """(P, Y) real value-added index of the value-added sectors (1 in 2019) and the national index.

    Growth of province p in year t = national real all-industry growth + slope x the province's
    real-GDP differential (:func:`gdp_differential`, :func:`industry_gdp_slope`): real growth, so
    coal and other prices do not enter (the nominal GDP share did)."""
    g = A["history"]["industry_va_real_growth"]
    nat = {YEARS[-1]: 1.0}
    for y in range(YEARS[-1], YEARS[0], -1):
        nat[y - 1] = nat[y] / (1.0 + g[str(y)])
    diff = gdp_differential()
    slope, n = industry_gdp_slope(diff, cited_industry_growth(), national_industry_growth())
    growth = np.array([[g[str(y)] + slope * diff.loc[p, y] / 100.0 for y in YEARS[1:]] for p in build.PROV])
    level = np.concatenate([np.ones((build.P, 1)), np.cumprod(1.0 + growth, axis=1)], axis=1)
    idx = level / level[:, -1:]
    prov("va_index", "1 (2019 = 1)", "activity.csv",
         f"assumptions.toml [history.industry_va_real_growth] (NBS communiqués); real_growth/{GDP_GROWTH_FILE} "
         "(provincial statistics bureaus via Wind)",
         f"growth_p(t) = national real all-industry VA growth(t) + {slope:.3f} x (real GDP growth_p(t) - the "
         "provinces' GDP-weighted mean(t)); slope: Theil-Sen over the "
         f"{n} cited provincial industry figures of 2020-2024 (activity_2020_2024.csv row "
         "industry_gdp_differential_slope)",
         A["history"]["provincial_differential"]["method"])
    return idx, nat


def outputs(data: Path) -> pd.DataFrame:
    """NBS provincial output of the series of OUTPUT_SERIES by year [Mt; plain glass: million
    weighted cases]; NaN where NBS gives no value."""
    nb = pd.read_csv(data / "nbs/nbs_province_industrial_output_annual.csv")
    rows = []
    for series, product in OUTPUT_SERIES.items():
        t = nb[(nb["product"] == product) & nb.year.isin(YEARS)].pivot_table(
            index="province", columns="year", values="annual", dropna=False)
        unit, factor = OUTPUT_UNITS.get(series, ("Mt", 0.01))
        for p in build.PROV:
            for y in YEARS:
                v = t.loc[p, y] if p in t.index and y in t.columns else np.nan
                rows.append((y, p, series, v * factor if np.isfinite(v) else np.nan, unit))
    prov("nbs_outputs", "Mt", "activity.csv", "nbs/nbs_province_industrial_output_annual.csv products "
         + ", ".join(f"'{v}'" for v in OUTPUT_SERIES.values()), "10000 t x 0.01 (plain glass: weighted cases x 1e-6, million weighted cases), as reported (provincial monthly series, "
         "not revised; empty where NBS gives no value)", "")
    return pd.DataFrame(rows, columns=["year", "province", "series", "value", "unit"])


def national(data: Path, A: dict, nat_va: dict[int, float]) -> pd.DataFrame:
    """National series by year: real industry VA growth [yr-1] and index [1], crude steel [Mt],
    EAF share [1] and scrap use [Mt], with their sources."""
    rows = []
    g = A["history"]["industry_va_real_growth"]
    for y in YEARS[1:]:
        rows.append((y, "industry_va_real_growth", g[str(y)], "yr-1", "NBS communiqué (assumptions.toml [history])"))
    for y in YEARS:
        rows.append((y, "industry_va_real_index", nat_va[y], "1 (2019 = 1)", "product of the growth rates"))
    nb = pd.read_csv(data / "nbs/nbs_national_industrial_output_annual.csv")
    for y in YEARS:
        v = float(nb[(nb["product"] == "Crude Steels") & (nb.year == y)].annual.iloc[0]) * 0.01
        rows.append((y, "crude_steel", v, "Mt", "nbs/nbs_national_industrial_output_annual.csv 'Crude Steels'"))
    for y, tab in sorted(A["years"].items()):
        e = tab["eaf_share_target"]
        rows.append((int(y), "eaf_share", e["value"], "1", e["source"]))
    tot = sum(nb[(nb["product"] == q) & nb.year.isin(YEARS)].set_index("year").annual for q in PETROLEUM_PRODUCTS)
    for y in YEARS:
        rows.append((y, "petroleum_coking_output_index", float(tot[y] / tot[YEARS[-1]]), "1 (2019 = 1)",
                     "nbs/nbs_national_industrial_output_annual.csv " + " + ".join(f"'{q}'" for q in PETROLEUM_PRODUCTS)
                     + " (10000 t), summed, relative to 2019"))
    ref = pd.read_csv(data / "national_reference_points.csv")
    for r in ref.itertuples():
        name = {"eaf_share_of_crude_steel": "eaf_share", "scrap_consumption": "steel_scrap_use"}[r.indicator]
        rows.append((int(r.year), name, float(r.value), "1" if name == "eaf_share" else "Mt",
                     f"national_reference_points.csv ({r.source})"))
    prov("national", "various", "national.csv", "assumptions.toml [history], [years]; nbs_national_industrial_output_annual.csv; "
         "national_reference_points.csv", "copied; petroleum_coking_output_index = output of "
         + ", ".join(PETROLEUM_PRODUCTS) + " summed [Mt], 2019 = 1", "")
    return pd.DataFrame(rows, columns=["year", "indicator", "value", "unit", "source"]).sort_values(
        ["indicator", "year"], kind="stable")


# --- structure inside non-metallic minerals and chemicals (issue #22) ------------------------------
STRUCTURE_FILE = "sector_structure.csv"
STRUCTURE_YEARS = (2010, 2015, 2019)
"""The base years of the fit, the hindcast and the projections: each run takes its own year's row."""
FIBRE_SECTOR = "Chemical Fiber"


def sector_structure(data: Path, A: dict) -> pd.DataFrame:
    """Per base year and province the data behind the sector splits of :mod:`sim.data.observed_activity`:
    ``clinker_mt`` (CEADs cement process CO2 / the clinker process factor, assumptions.toml
    [structure.clinker_process_ef]), ``cement_mt`` (NBS), ``nonmetallic_energy_pj`` (the base state's
    final energy of non-metallic minerals, all carriers, CEADs fuels back-calculated) and
    ``fibre_co2_share`` (CEADs 'Chemical Fiber' Scope-1 CO2 over the CO2 of the CEADs sectors mapped to
    chemicals); NaN where CEADs has no inventory (Tibet)."""
    st = A["structure"]
    ef = st["clinker_process_ef"]["value"]
    raw = pd.read_csv(data / "ceads_provincial_co2_by_sector_fuel_1997_2019.csv.gz")
    raw = raw[(raw.fuel == "Scope_1_Total") & raw.year.isin(STRUCTURE_YEARS)]
    mp = pd.read_csv(data / "ceads_sector_to_sim_sector.csv")
    chem = set(mp[mp.sim_sector == "chemicals"].ceads_sector)
    c = raw[raw.sector.isin(chem)]
    total = c.groupby(["year", "province"]).mt_co2.sum()
    fibre = c[c.sector == FIBRE_SECTOR].groupby(["year", "province"]).mt_co2.sum()
    nb = pd.read_csv(data / "nbs/nbs_province_industrial_output_annual.csv")
    rows = []
    for y in STRUCTURE_YEARS:
        co2, _, proc, _ = build.load_ceads(data, A, y, prov=build.Provenance())  # rows not kept
        fe = pd.read_csv(HERE / f"base_{y}" / "final_energy.csv")
        energy = fe[fe.sector == "nonmetallic_minerals"].groupby("province").final_energy_pj.sum()
        cement = nb[(nb["product"] == "Cement") & (nb.year == y)].set_index("province").annual * 0.01
        k = build.iS["nonmetallic_minerals"]
        for i, prov_name in enumerate(build.PROV):
            covered = np.isfinite(co2[i]).all() and prov_name != "Tibet"
            t = total.get((y, prov_name), np.nan)
            rows.append((y, prov_name, proc[i, k] / ef if covered else np.nan,
                         float(cement.get(prov_name, np.nan)), float(energy.get(prov_name, np.nan)),
                         float(fibre.get((y, prov_name), 0.0)) / t if covered and t > 0 else np.nan))
    prov("sector_structure", "Mt; PJ; 1", STRUCTURE_FILE,
         "ceads_provincial_co2_by_sector_fuel_1997_2019.csv.gz (process CO2; Scope_1_Total of the chemicals "
         "sectors of ceads_sector_to_sim_sector.csv); nbs/nbs_province_industrial_output_annual.csv Cement; "
         "base_{2010,2015,2019}/final_energy.csv",
         f"clinker = process CO2 / {ef} t CO2 per t clinker; nonmetallic_energy_pj = sum over carriers; "
         f"fibre_co2_share = '{FIBRE_SECTOR}' / (Raw Chemical Materials + Chemical Fiber + Medical and "
         "Pharmaceutical + Rubber + Plastic Products), Scope-1 CO2",
         "CEADs computes process CO2 as cement x about 0.29 t/t, so the implied clinker carries one national "
         "clinker ratio; CEADs has no non-energy (feedstock) use, so chemicals cannot be split into fuel and "
         "feedstock")
    out = pd.DataFrame(rows, columns=["year", "province", "clinker_mt", "cement_mt", "nonmetallic_energy_pj",
                                      "fibre_co2_share"])
    # a break in CEADs' process CO2 (Yunnan 2019: 0.004 Mt for 128 Mt of cement, 34.6 Mt in 2015)
    # would make the province's kilns vanish: below half the year's national clinker ratio the
    # clinker is the province's cement x that ratio
    ratio = out.groupby("year").clinker_mt.sum() / out[out.clinker_mt.notna()].groupby("year").cement_mt.sum()
    national = out.year.map(ratio)
    broken = out.clinker_mt < 0.5 * national * out.cement_mt
    out.loc[broken, "clinker_mt"] = out.cement_mt[broken] * national[broken]
    prov("sector_structure_clinker_break", "Mt", STRUCTURE_FILE, "as sector_structure",
         "clinker = cement x the year's national clinker/cement ratio where the province's is below half of it: "
         + ", ".join(f"{r.province} {r.year}" for r in out[broken].itertuples()),
         "CEADs' process CO2 breaks there (not a closure: the province's NBS cement output is unchanged)")
    return out


# --- observed activity 2020-2024 ------------------------------------------------------------------
OBS_YEARS = tuple(range(axes.BASE_YEAR, 2025))
OBS_FILE = "activity_2020_2024.csv"
OBS_COLUMNS = ["province", "series", "year", "value", "unit", "flag", "source"]
OBS_PRODUCTS = {  # series -> (NBS provincial product, unit, factor from the NBS unit)
    "crude_steel_mt": ("Crude Steel", "Mt", 0.01),
    "pig_iron_mt": ("Pig Iron", "Mt", 0.01),
    "steel_products_mt": ("Steel Products", "Mt", 0.01),
    "cement_mt": ("Cement", "Mt", 0.01),
    "plain_glass_mcases": ("Plain Glass", "million weighted cases", 1e-6),
    "nonferrous_ten_kinds_mt": ("Ten Kinds of Non-ferrous Metals", "Mt", 0.01),
    "aluminium_semis_mt": ("Refined Aluminous Materials", "Mt", 0.01),
    "copper_semis_mt": ("Copper Materials Products", "Mt", 0.01),
    "chemical_fibres_mt": ("Chemical Fibers", "Mt", 0.01),
    "motor_vehicles_mn": ("Motor Vehicles", "million units", 1e-6),
}
OBS_GDP = {  # series -> NBS provincial GDP component (nominal, current prices)
    "gdp_total_nominal": "Total",
    "gdp_secondary_nominal": "Secondary Industry",
    "industry_va_nominal": "Secondary Industry: Industry",
}
GDP_UNIT = "1e8 CNY (current prices)"
PROVINCE_FILE = "nbs/nbs_province_industrial_output_annual.csv"
PROVINCE_FILE_2020 = "nbs/nbs_province_industrial_output_annual_2020_2024.csv"
GDP_FILE = "nbs/nbs_province_gdp_by_sector_annual.csv"
GDP_FILE_2020 = "nbs/nbs_province_gdp_by_sector_annual_2020_2024.csv"
# flags of activity_2020_2024.csv
REPORTED, REPAIRED, PARTIAL, NO_ROW = "reported", "repaired_ytd", "missing_partial_year", "missing_no_row"


def _obs_province(name: str) -> str:
    """NBS/Wind province name -> sim.core.axes name ('Beijing Municipality' -> 'Beijing')."""
    return name.removesuffix(" Municipality")


def _base_and_observed_years(data: Path, file_to_2019: str, file_from_2020: str,
                             key: str) -> pd.DataFrame:
    """The base year's rows of ``file_to_2019`` and the observed years' rows of
    ``file_from_2020`` in one table (column ``file`` names the source), province names as in
    sim.core.axes; one row per (province, ``key``, year)."""
    old = pd.read_csv(data / file_to_2019)
    new = pd.read_csv(data / file_from_2020)
    old = old[old.year == axes.BASE_YEAR].assign(file=file_to_2019)
    new = new[new.year.isin(OBS_YEARS[1:])].assign(file=file_from_2020)
    both = pd.concat([old, new], ignore_index=True)
    both["province"] = both.province.map(_obs_province)
    assert not both.duplicated(["province", key, "year"]).any()
    return both


def _product_rows(data: Path, min_months: int) -> list[tuple]:
    """One row per province x product series x year 2019-2024 for every province the source lists
    for that product in any of these years (2019 from the 1978-2019 file, 2020-2024 from the new one)."""
    both = _base_and_observed_years(data, PROVINCE_FILE, PROVINCE_FILE_2020, "product")
    rows = []
    for series, (product, unit, factor) in OBS_PRODUCTS.items():
        t = both[both["product"] == product].set_index(["province", "year"])
        for p in sorted({p for p, _ in t.index}):
            for y in OBS_YEARS:
                file = PROVINCE_FILE if y == axes.BASE_YEAR else PROVINCE_FILE_2020
                key = f"{file} [province={p}, product={product}, year={y}]"
                if (p, y) not in t.index:
                    rows.append((p, series, y, np.nan, unit, NO_ROW, f"{key}: no row"))
                    continue
                r = t.loc[(p, y)]
                m = r.last_month_reported
                if np.isfinite(r.annual):
                    rows.append((p, series, y, r.annual * factor, unit, REPORTED, f"{key} annual"))
                elif np.isfinite(m) and m >= min_months and np.isfinite(r.ytd_at_last_month):
                    rows.append((p, series, y, r.ytd_at_last_month * 12.0 / m * factor, unit, REPAIRED,
                                 f"{key} ytd_at_last_month x 12/{int(m)} (December missing)"))
                else:
                    rows.append((p, series, y, np.nan, unit, PARTIAL,
                                 f"{key}: December missing, year-to-date only to month "
                                 f"{'?' if not np.isfinite(m) else int(m)} (< {min_months}): not repaired"))
    return rows


def _gdp_tables(data: Path) -> tuple[dict, list[tuple]]:
    """Nominal GDP components {series: {(province, year): value}} 2019-2024 and their rows.
    2019 Total GDP of the four municipalities (missing in the 2019 file) from drivers/historical_gdp.csv."""
    both = _base_and_observed_years(data, GDP_FILE, GDP_FILE_2020, "component")
    hist = pd.read_csv(data / "drivers/historical_gdp.csv", comment="#").set_index("region")
    tables: dict[str, dict] = {}
    rows = []
    for series, comp in OBS_GDP.items():
        t = both[both.component == comp].set_index(["province", "year"])
        tab = tables.setdefault(series, {})
        listed = {p for p, _ in t.index}
        for p in axes.PROVINCES:
            for y in OBS_YEARS:
                if p not in listed:  # a province the source never lists for this component
                    tab[(p, y)] = np.nan
                    continue
                file = GDP_FILE if y == axes.BASE_YEAR else GDP_FILE_2020
                key = f"{file} [province={p}, component={comp}, year={y}]"
                if (p, y) in t.index:
                    v = float(t.loc[(p, y)].value_cny_100mn)
                    flag, src = REPORTED, f"{key} value_cny_100mn"
                elif series == "gdp_total_nominal" and y == axes.BASE_YEAR:
                    v = float(hist.loc[p, str(y)])
                    flag, src = REPORTED, (f"drivers/historical_gdp.csv [region={p}, {y}] ({GDP_FILE} has no "
                                           f"2019 Total for {p})")
                else:
                    v, flag, src = np.nan, NO_ROW, f"{key}: no row"
                if np.isfinite(v) and v <= 0:
                    v, flag, src = np.nan, NO_ROW, f"{key}: value {v} <= 0, treated as missing"
                tab[(p, y)] = v
                rows.append((p, series, y, v, GDP_UNIT, flag, src))
    return tables, rows


def _va_index(A: dict) -> tuple[list[tuple], dict]:
    """Rows ``va_index`` (2019 = 1) of every province, chained from real growth: the cited provincial
    figure of the year (above-size industry, else all industry, else secondary industry:
    :func:`cited_industry_growth`), else the national above-size rate plus the slope times the
    province's real-GDP differential (:data:`GDP_RULE`); and the national series."""
    g = A["observed"]["industry_va_real_growth"]
    real = {OBS_YEARS[0]: 1.0}
    for y in OBS_YEARS[1:]:
        real[y] = real[y - 1] * (1.0 + g[str(y)])
    cited, national, diff = cited_industry_growth(), national_industry_growth(), gdp_differential()
    slope, n = industry_gdp_slope(diff, cited, national)
    rows = []
    for p in axes.PROVINCES:
        level = 1.0
        rows.append((p, "va_index", OBS_YEARS[0], level, "1 (2019 = 1)", REPORTED, "base year"))
        for y in OBS_YEARS[1:]:
            if (p, y) in cited:
                rate, flag, src = cited[(p, y)]
            else:
                rate = national[y] + slope * diff.loc[p, y]
                flag = GDP_RULE
                src = (f"{NATIONAL_GROWTH_FILE} [China, {y}] {national[y]} % + {slope:.3f} x real-GDP "
                       f"differential {diff.loc[p, y]:+.2f} points ({GDP_GROWTH_FILE} [{p}, {y}])")
            level *= 1.0 + rate / 100.0
            rows.append((p, "va_index", y, level, "1 (2019 = 1)", flag, f"real growth {rate:+.2f} %: {src}"))
    return rows, dict(real=real, slope=slope, n_slope=n)


def _pig_iron_breaks(rows: list[tuple], A: dict) -> list[tuple]:
    """Rows ``pig_iron_comparable_mt`` 2019 for provinces whose pig iron statistic breaks between 2019
    and 2020 (assumptions.toml [observed.pig_iron_break]): crude steel 2019 x the 2020 pig iron / crude
    steel ratio. The steel route split uses them instead of the reported 2019 pig iron."""
    b = A["observed"]["pig_iron_break"]
    v = {(r[0], r[1], r[2]): r[3] for r in rows}
    out = []
    for p in axes.PROVINCES:
        c0, c1 = v.get((p, "crude_steel_mt", 2019), np.nan), v.get((p, "crude_steel_mt", 2020), np.nan)
        g0, g1 = v.get((p, "pig_iron_mt", 2019), np.nan), v.get((p, "pig_iron_mt", 2020), np.nan)
        if not (c0 > 0 and c1 > 0 and np.isfinite(g0) and np.isfinite(g1)):
            continue
        r0, r1 = g0 / c0, g1 / c1
        if abs(r1 - r0) > b["ratio_jump"]["value"] and abs(c1 / c0 - 1.0) < b["crude_change"]["value"]:
            out.append((p, "pig_iron_comparable_mt", 2019, c0 * r1, "Mt", "derived",
                        f"crude_steel_mt 2019 x pig_iron_mt/crude_steel_mt 2020 ({r1:.3f}; reported 2019: {r0:.3f}): "
                        "break of the pig-iron statistic 2019->2020, assumptions.toml [observed.pig_iron_break]"))
    return out


def _hot_metal_ratio(rows: list[tuple], s_base: float) -> tuple[float, float]:
    """The ratio h [t pig iron / t BOF steel] such that sum_p max(0, crude_p - pig_p / h) = s_base x sum_p crude_p
    over the 2019 rows (pig iron: the comparable series where there is a break; bisection), and the plain
    national ratio pig / ((1 - s) crude)."""
    v = {(r[0], r[1]): r[3] for r in rows if r[2] == axes.BASE_YEAR}
    crude = np.nan_to_num([v.get((p, "crude_steel_mt"), np.nan) for p in axes.PROVINCES])
    pig = np.nan_to_num([v.get((p, "pig_iron_comparable_mt"), v.get((p, "pig_iron_mt"), np.nan))
                         for p in axes.PROVINCES])
    target = s_base * crude.sum()
    lo, hi = 0.5, 1.5
    for _ in range(200):
        h = 0.5 * (lo + hi)
        eaf = np.clip(crude - pig / h, 0.0, crude).sum()
        lo, hi = (h, hi) if eaf < target else (lo, h)
    return 0.5 * (lo + hi), pig.sum() / ((1.0 - s_base) * crude.sum())


def observed_activity(data: Path, A: dict) -> pd.DataFrame:
    """The table history/activity_2020_2024.csv (see the module docstring and calibration/README.md)."""
    min_months = int(A["observed"]["gap_repair"]["min_months"]["value"])
    rows = _product_rows(data, min_months)
    rows += _pig_iron_breaks(rows, A)
    _, gdp_rows = _gdp_tables(data)
    va_rows, nat = _va_index(A)
    rows += gdp_rows + va_rows
    china = "China"
    for y in OBS_YEARS:
        rows.append((china, "industry_va_real_index", y, nat["real"][y], "1 (2019 = 1)", REPORTED,
                     "assumptions.toml [observed.industry_va_real_growth] (NBS communiqués), chained"))
        for series, tab in A["observed"]["national_output"].items():
            if isinstance(tab, dict):
                rows.append((china, f"{series}_communique_mt", y, float(tab[str(y)]), "Mt", REPORTED,
                             "assumptions.toml [observed.national_output] (NBS communiqués, first published)"))
    rows.append((china, "industry_gdp_differential_slope", axes.BASE_YEAR, nat["slope"], "1", "derived",
                 f"Theil-Sen slope of (cited provincial industry growth - national above-size growth) on the "
                 f"province's real-GDP differential, {nat['n_slope']} cited above-size and all-industry figures "
                 f"2020-2024 (real_growth/{INDUSTRY_GROWTH_FILE}, {NATIONAL_GROWTH_FILE}, {GDP_GROWTH_FILE})"))
    nn = pd.read_csv(data / "nbs/nbs_national_industrial_output_annual.csv")
    for series, product in (("crude_steel_mt", "Crude Steels"), ("pig_iron_mt", "Pig Irons"), ("cement_mt", "Cement"),
                            ("nonferrous_ten_kinds_mt", "Ten Kinds of Non-ferrous Metals")):
        v = nn[(nn["product"] == product) & (nn.year == axes.BASE_YEAR)].annual
        rows.append((china, series, axes.BASE_YEAR, float(v.iloc[0]) * 0.01, "Mt", REPORTED,
                     f"nbs/nbs_national_industrial_output_annual.csv [product={product}, year={axes.BASE_YEAR}] annual"))
    pa = pd.read_csv(HERE / "base_2019" / "province_activity.csv")
    s_base = float(pa.eaf_mt.sum() / pa.crude_steel_model_mt.sum())
    h, h_plain = _hot_metal_ratio(rows, s_base)
    rows.append((china, "hot_metal_per_bof_steel", axes.BASE_YEAR, h, "t pig iron / t BOF steel", "derived",
                 f"{PROVINCE_FILE} Crude Steel, Pig Iron {axes.BASE_YEAR} (pig_iron_comparable_mt where there is a "
                 "break); calibration/base_2019/province_activity.csv "
                 f"national EAF share {s_base:.4f}: sum_p max(0, crude_p - pig_p/h) = share x sum_p crude_p "
                 f"(without the clip at 0: {h_plain:.4f})"))
    rows.append((china, "eaf_share_base", axes.BASE_YEAR, s_base, "1", "derived",
                 "calibration/base_2019/province_activity.csv sum eaf_mt / sum crude_steel_model_mt (GEM-based)"))
    df = pd.DataFrame(rows, columns=OBS_COLUMNS)
    prov("observed_activity", "see unit column", OBS_FILE,
         f"{PROVINCE_FILE} (2019 rows), {PROVINCE_FILE_2020}, {GDP_FILE} (2019 rows), {GDP_FILE_2020}, "
         "drivers/historical_gdp.csv (2019 GDP of 4 municipalities), assumptions.toml [observed]",
         "province x series x year 2019-2024, NBS unit x factor (10000 t x 0.01 = Mt; cases x 1e-6; units x 1e-6); "
         f"flag: {REPORTED} (December YTD), {REPAIRED} (December missing, ytd x 12/m for m >= {min_months}), "
         f"{PARTIAL} (fewer months: empty), {NO_ROW} (a province the source lists for the product in other years). "
         "'Refined Aluminous Materials' is aluminium semis (铝材: its 2019 sum 52.5 Mt equals the national "
         "'Aluminous Materials', not 'Alumina' 72.5 Mt)",
         "the provincial monthly series are not revised: 2019 provincial crude steel sums to 1006.4 Mt against "
         "996.3 Mt national; 2023-2024 sums equal the communiqué figures")
    prov("va_index_2020_2024", "1 (2019 = 1)", OBS_FILE,
         f"real_growth/{INDUSTRY_GROWTH_FILE} (cited provincial communiqués and releases), {NATIONAL_GROWTH_FILE}, "
         f"{GDP_GROWTH_FILE} (provincial real GDP growth, statistics bureaus via Wind)",
         "va_index_p(t) = product over the years to t of (1 + real growth_p): the cited provincial figure (flag "
         "above_size_industry: real growth of above-size industrial value added; else all_industry; else "
         "secondary_industry, which includes construction), else the national above-size rate + "
         f"{nat['slope']:.3f} x the province's real-GDP differential (flag {GDP_RULE}; the slope is the Theil-Sen "
         f"fit over the {nat['n_slope']} cited above-size and all-industry figures: row "
         "industry_gdp_differential_slope). The nominal GDP rows are kept for reference only",
         "real growth, so no price enters; cited figures are preliminary (communiqués), chained rates of the "
         "above-size sample differ slightly from the level change of all industry; the GDP rule has a mean "
         "absolute error of about 1.3-1.6 points a year on the cited figures (calibration/README.md)")
    prov("hot_metal_per_bof_steel", "t/t", OBS_FILE, f"{PROVINCE_FILE} 2019; base_2019/province_activity.csv",
         f"h = {h:.4f} t pig iron per t BOF steel, solved so the pig-iron estimate of scrap-EAF steel "
         "max(0, crude - pig/h) reproduces the base state's national EAF share in 2019; 2019 pig iron of provinces "
         "with a 2019->2020 break of the statistic replaced by pig_iron_comparable_mt (" +
         ", ".join(r[0] for r in rows if r[1] == "pig_iron_comparable_mt") + ")",
         "one national ratio: BOF hot-metal ratios vary by plant (0.85-0.95 t/t), pig iron also goes to foundries "
         "and into EAFs, and a change of the BOF scrap rate moves the estimate like a change of the EAF share")
    return df


def main(argv=None):
    """Command line: write the observed history to calibration/history/."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    data = Path(ap.parse_args(argv).data)
    A = tomllib.loads((HERE / "assumptions.toml").read_text())
    OUT.mkdir(exist_ok=True)
    PROVENANCE.clear()

    def w(df, name, fmt="%.8g"):
        df.to_csv(OUT / name, index=False, float_format=fmt)

    w(ceads(data, A), "ceads_co2.csv")
    idx, nat_va = va_index(data, A)
    act = outputs(data)
    va = pd.DataFrame([(y, p, "va_index", idx[i, j], "1") for i, p in enumerate(build.PROV)
                       for j, y in enumerate(YEARS)], columns=act.columns)
    w(pd.concat([act, va], ignore_index=True), "activity.csv")
    elec = []
    for y in YEARS:
        tot, _, _ = build.cec_sector_totals(data, y, prov=build.Provenance())  # rows not kept
        elec += [(y, s, tot[s]) for s in build.SECT]
    prov("cec_electricity", "TWh", "electricity.csv", "nbs/cec_national_electricity_consumption_by_sector_annual.csv",
         "calibration/build.py cec_sector_totals for each year (before 2018 the unlisted manufacturing sub-sectors are "
         "split in their 2018 proportions)", "national only; the 2016 jump of aluminium smelting (captive power counted "
         "from 2016) is a break in the CEC series, so the fit uses 2010-2015 only")
    w(pd.DataFrame(elec, columns=["year", "sector", "twh"]), "electricity.csv")
    w(national(data, A, nat_va), "national.csv")
    w(observed_activity(data, A), OBS_FILE, "%.10g")
    w(sector_structure(data, A), STRUCTURE_FILE)  # 10 digits: source rows are 8-9 digits
    w(pd.DataFrame(PROVENANCE), "provenance.csv")
    print("wrote", sorted(x.name for x in OUT.iterdir()))


if __name__ == "__main__":
    main()
