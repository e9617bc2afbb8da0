"""Build the observed history 2010-2019 (calibration/history/*.csv) from the raw data in ../shared/data.

Usage: python -m calibration.history [--data ../shared/data]

These tables are what the fit (calibration/fit.py, 2010-2015) is fitted to and what the hindcast
(sim/hindcast.py, 2015-2019) is driven by and compared with; the model reads them at run time, never
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
- ``provenance.csv``.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import build
from sim import axes

HERE = Path(__file__).resolve().parent
OUT = HERE / "history"
YEARS = tuple(range(2010, axes.BASE_YEAR + 1))
OUTPUT_SERIES = {  # series name -> NBS provincial product
    "crude_steel_mt": "Crude Steel",
    "cement_mt": "Cement",
    "nonferrous_ten_kinds_mt": "Ten Kinds of Non-ferrous Metals",
}
FOSSIL = [build.iC[c] for c in axes.FOSSIL_CARRIERS]

PROVENANCE: list[dict] = []


def prov(quantity, unit, file, source, method, assumption=""):
    PROVENANCE.append(dict(quantity=quantity, unit=unit, file=file, source=source, method=method,
                           assumption=assumption))


def ceads(data: Path, A: dict) -> pd.DataFrame:
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


def va_index(data: Path, A: dict) -> tuple[np.ndarray, dict[int, float]]:
    """(P, Y) real value-added index of the value-added sectors (1 in 2019) and the national index."""
    g = A["history"]["industry_va_real_growth"]
    nat = {YEARS[-1]: 1.0}
    for y in range(YEARS[-1], YEARS[0], -1):
        nat[y - 1] = nat[y] / (1.0 + g[str(y)])
    h = pd.read_csv(data / "drivers/historical_gdp.csv", comment="#")
    h["key"] = h.region.map(build.norm)
    h = h.set_index("key")
    gdp = np.array([[float(h.loc[build.norm(p), str(y)]) for y in YEARS] for p in build.PROV])
    share = gdp / gdp.sum(0, keepdims=True)
    idx = np.array([nat[y] for y in YEARS])[None, :] * share / share[:, -1:]
    prov("va_index", "1 (2019 = 1)", "activity.csv",
         "assumptions.toml [history.industry_va_real_growth] (NBS communiqués); drivers/historical_gdp.csv",
         "index_p(t) = national real all-industry VA index (2019 = 1) x (GDP_p(t)/GDP(t)) / (GDP_p(2019)/GDP(2019))",
         A["history"]["provincial_differential"]["method"])
    return idx, nat


def outputs(data: Path) -> pd.DataFrame:
    nb = pd.read_csv(data / "nbs/nbs_province_industrial_output_annual.csv")
    rows = []
    for series, product in OUTPUT_SERIES.items():
        t = nb[(nb["product"] == product) & nb.year.isin(YEARS)].pivot_table(
            index="province", columns="year", values="annual", dropna=False)
        for p in build.PROV:
            for y in YEARS:
                v = t.loc[p, y] if p in t.index and y in t.columns else np.nan
                rows.append((y, p, series, v * 0.01 if np.isfinite(v) else np.nan, "Mt"))
    prov("nbs_outputs", "Mt", "activity.csv", "nbs/nbs_province_industrial_output_annual.csv products "
         + ", ".join(f"'{v}'" for v in OUTPUT_SERIES.values()), "10000 t x 0.01, as reported (provincial monthly series, "
         "not revised; empty where NBS gives no value)", "")
    return pd.DataFrame(rows, columns=["year", "province", "series", "value", "unit"])


def national(data: Path, A: dict, nat_va: dict[int, float]) -> pd.DataFrame:
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
    ref = pd.read_csv(data / "national_reference_points.csv")
    for r in ref.itertuples():
        name = {"eaf_share_of_crude_steel": "eaf_share", "scrap_consumption": "steel_scrap_use"}[r.indicator]
        rows.append((int(r.year), name, float(r.value), "1" if name == "eaf_share" else "Mt",
                     f"national_reference_points.csv ({r.source})"))
    prov("national", "various", "national.csv", "assumptions.toml [history], [years]; nbs_national_industrial_output_annual.csv; "
         "national_reference_points.csv", "copied", "")
    return pd.DataFrame(rows, columns=["year", "indicator", "value", "unit", "source"]).sort_values(
        ["indicator", "year"], kind="stable")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    data = Path(ap.parse_args(argv).data)
    A = tomllib.loads((HERE / "assumptions.toml").read_text())
    OUT.mkdir(exist_ok=True)
    PROVENANCE.clear()

    def w(df, name):
        df.to_csv(OUT / name, index=False, float_format="%.8g")

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
    w(pd.DataFrame(PROVENANCE), "provenance.csv")
    print("wrote", sorted(x.name for x in OUT.iterdir()))


if __name__ == "__main__":
    main()
