"""Build a base state (calibration/base_<year>/*.csv) from the raw data in ../shared/data.

Usage: ``python -m calibration.build [--data ../shared/data] [--year 2019]``

The default year is the simulator's base year 2019. The same method builds the earlier base states
used by the fit (2010) and the hindcast (2015); the few national figures that are not in the data for
those years are in calibration/assumptions.toml [years.<year>] (see calibration/README.md).
Methods are documented in calibration/README.md; technology parameters in calibration/assumptions.toml.
Only this script (and calibration/history.py) reads the raw data; the model reads calibration/ at run time.
"""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core import axes
from sim.core.units import PJ_PER_TWH
from sim.data.base_state import stock_age_profile

HERE = Path(__file__).resolve().parent
YEAR = axes.BASE_YEAR  # default year to build
PROV = list(axes.PROVINCES)
SECT = list(axes.SECTORS)
CARR = list(axes.CARRIERS)
P, S, R, C, K = len(PROV), len(SECT), 3, len(CARR), axes.N_AGE_STAGES
iS = {s: i for i, s in enumerate(SECT)}
iP = {p: i for i, p in enumerate(PROV)}
iC = {c: i for i, c in enumerate(CARR)}
VA_SECTORS = list(axes.VA_SECTORS)
FOSSIL = [iC[c] for c in axes.FOSSIL_CARRIERS]
ELEC = iC["electricity"]

def out_dir(year: int) -> Path:
    """Folder of the base state of ``year``."""
    return HERE / f"base_{year}"


def yearly(A: dict, year: int, section: str, key: str):
    """A national figure of ``year``: assumptions.toml [years.<year>] if given there, else the
    base-year entry [<section>].<key> (the 2019 values)."""
    return A.get("years", {}).get(str(year), {}).get(key, A[section][key])


@dataclass
class Provenance:
    """The rows of provenance.csv, in the order the build records them; one is passed to every
    step that records a source or method (no module-level state, so two builds never mix)."""

    rows: list[dict] = field(default_factory=list)

    def add(self, quantity, unit, file, source, method, assumption="", value=""):
        """Record one provenance row: quantity, its unit, the file it goes to, its source, the
        method, the assumption made and (optionally) its value."""
        self.rows.append(dict(quantity=quantity, unit=unit, file=file, source=source,
                              method=method, assumption=assumption, value=value))


def norm(name: str) -> str:
    """A province or region name for matching: lower case, without spaces."""
    return name.lower().replace(" ", "")


# ------------------------------------------------------------------------------------------------
def load_ceads(data: Path, A: dict, year: int = YEAR, *, prov: Provenance):
    """CO2 by province x sector x carrier (direct) and process CO2, Mt; Tibet estimated."""
    raw = pd.read_csv(data / "ceads_provincial_co2_by_sector_fuel_1997_2019.csv.gz")
    raw = raw[raw.year == year]
    mp = pd.read_csv(data / "ceads_sector_to_sim_sector.csv")
    mp["sim"] = mp.sim_sector.str.split(" ").str[0]
    mp = mp[mp.sim.isin(SECT)]
    smap = dict(zip(mp.ceads_sector, mp.sim))
    d = raw[raw.sector.isin(smap)].copy()
    d["s"] = d.sector.map(smap)
    raw_scope1 = float(d.loc[d.fuel == "Scope_1_Total", "mt_co2"].sum())
    fuels = A["fuels"]
    unknown = set(d.fuel) - set(fuels) - {"Process", "Scope_1_Total", "Scope_2_Heat", "Scope_2_Electricity"}
    assert not unknown, unknown
    co2 = np.zeros((P, S, C))      # Mt CO2 by fossil carrier
    pj = np.zeros((P, S, C))       # PJ back-calculated
    proc = np.zeros((P, S))
    for row in d.itertuples():
        p, s = iP[row.province], iS[row.s]
        if row.fuel == "Process":
            proc[p, s] += row.mt_co2
        elif row.fuel in fuels:
            f = fuels[row.fuel]
            c = iC[f["carrier"]]
            co2[p, s, c] += row.mt_co2
            pj[p, s, c] += row.mt_co2 / (f["ef_t_per_tj"] / 1000.0)
    fuel_sum = co2.sum() + proc.sum()
    assert abs(fuel_sum - raw_scope1) / raw_scope1 < 1e-6, (fuel_sum, raw_scope1)
    prov.add("ceads_raw_in_scope_scope1_total", "Mt CO2", f"ceads_{year}_sector_totals.csv",
         f"ceads_provincial_co2_by_sector_fuel_1997_2019.csv.gz: year={year}, fuel=Scope_1_Total, sectors mapped to the 9 sim sectors",
         f"sum = {raw_scope1:.6f} Mt (30 provinces, Tibet excluded); sum of fuels + Process = {fuel_sum:.6f}",
         "the raw file is not available at run time; this total is checked by tests", value=f"{raw_scope1:.6f}")
    return co2, pj, proc, raw_scope1


def load_outputs(data: Path, A: dict, year: int = YEAR):
    """NBS provincial industrial output of ``year`` [Mt], province x product (10000 t x 0.01)."""
    nb = pd.read_csv(data / "nbs/nbs_province_industrial_output_annual.csv")
    nb = nb[nb.year == year]
    tab = nb.pivot_table(index="province", columns="product", values="annual").reindex(PROV)
    mt = (tab * 0.01).fillna(0.0)  # 10000 t -> Mt
    return mt


def tibet_estimate(A, co2, pj, proc, out_mt, iva, year: int = YEAR, *, prov: Provenance):
    """Fill Tibet rows by scaling the analogue province (Qinghai) by sector activity."""
    a = iP[A["tibet"]["analogue"]]
    t = iP["Tibet"]
    ratio = np.zeros(S)
    ratio[iS["nonmetallic_minerals"]] = out_mt.loc["Tibet", "Cement"] / out_mt.loc["Qinghai", "Cement"]
    ratio[iS["nonferrous"]] = (out_mt.loc["Tibet", "Ten Kinds of Non-ferrous Metals"]
                               / out_mt.loc["Qinghai", "Ten Kinds of Non-ferrous Metals"])
    ratio[iS["iron_steel"]] = 0.0
    for s in VA_SECTORS:
        ratio[iS[s]] = iva[t] / iva[a]
    co2[t] = co2[a] * ratio[:, None]
    pj[t] = pj[a] * ratio[:, None]
    proc[t] = proc[a] * ratio
    prov.add("tibet_co2_and_fossil_energy", "Mt CO2; PJ", f"ceads_{year}_sector_totals.csv",
         f"analogue province Qinghai (CEADs {year}) and NBS {year} Tibet activity",
         "Tibet(s) = Qinghai(s) x activity ratio; ratios: " +
         "; ".join(f"{SECT[i]}={ratio[i]:.4f}" for i in range(S)), A["tibet"]["reasoning"])
    return ratio


# ------------------------------------------------------------------------------------------------
def provincial_gdp(data: Path, year: int = YEAR):
    """Provincial GDP of ``year`` and its sum over 2005..``year`` [1e8 CNY, current prices]."""
    h = pd.read_csv(data / "drivers/historical_gdp.csv", comment="#")
    h["key"] = h.region.map(norm)
    h = h.set_index("key")
    gdp = np.array([h.loc[norm(p), str(year)] for p in PROV], dtype=float)  # 1e8 CNY
    cum = np.array([h.loc[norm(p), [str(y) for y in range(2005, year + 1)]].sum() for p in PROV])
    return gdp, cum


def industrial_va(data: Path, gdp: np.ndarray, year: int = YEAR, *, prov: Provenance):
    """Provincial industrial value added of ``year`` [1e8 CNY, current prices]: NBS where
    reported, else GDP x the national industry share of GDP."""
    g = pd.read_csv(data / "nbs/nbs_province_gdp_by_sector_annual.csv")
    g = g[(g.year == year) & (g.component == "Secondary Industry: Industry")].set_index("province")
    have = np.array([p in g.index and g.loc[p, "value_cny_100mn"] > 0 for p in PROV])
    iva = np.zeros(P)
    for i, p in enumerate(PROV):
        if have[i]:
            iva[i] = g.loc[p, "value_cny_100mn"]
    ratio = iva[have].sum() / gdp[have].sum()
    iva[~have] = gdp[~have] * ratio
    prov.add("industrial_value_added_province", f"1e8 CNY ({year} current)", "value_added.csv",
         f"nbs/nbs_province_gdp_by_sector_annual.csv component='Secondary Industry: Industry' {year} "
         f"({have.sum()} provinces); drivers/historical_gdp.csv {year} for the rest",
         f"missing provinces: GDP x {ratio:.4f} (GDP-weighted industry/GDP ratio of the {have.sum()} reporting provinces)",
         "missing: " + ", ".join(p for p, h in zip(PROV, have) if not h))
    return iva, have, ratio


# ------------------------------------------------------------------------------------------------
def steel(data: Path, A: dict, out_mt: pd.DataFrame, co2_steel: np.ndarray, year: int = YEAR, *, prov: Provenance):
    """Steel of ``year``: crude steel scaled to the national NBS total [Mt], EAF and BOF output
    [Mt] from GEM capacities with one common EAF utilisation, utilisation [1] and the age
    shares of capacity by route; provinces with CEADs steel CO2 but no NBS steel get a nominal
    output."""
    St = A["steel"]
    crude_prov = out_mt["Crude Steel"].to_numpy().copy()
    nat_nbs = yearly(A, year, "steel", "nbs_national_crude_steel")["value"]
    crude_nbs = crude_prov * nat_nbs / crude_prov.sum()
    prov.add("crude_steel_scaling", "1", "province_activity.csv",
         f"nbs_province_industrial_output_annual.csv 'Crude Steel' {year}; national NBS {nat_nbs} Mt",
         f"provincial values x {nat_nbs / crude_prov.sum():.5f} so they sum to the revised national total (provincial sum {crude_prov.sum():.2f} Mt)",
         "provincial monthly series are not revised (data README); the 1 % gap is spread proportionally")
    cs = pd.read_csv(data / "gem_gist/gem_gist_china_plant_capacity_status.csv")
    cs = cs[cs.Status.isin(St["gem_statuses"])].copy()
    cs["start"] = pd.to_numeric(cs["Start date"].astype(str).str[:4], errors="coerce")
    cs = cs[(cs.start.isna()) | (cs.start <= year)]
    for col in ["Nominal BOF steel capacity (ttpa)", "Nominal EAF steel capacity (ttpa)",
                "Nominal crude steel capacity (ttpa)", "Nominal OHF steel capacity (ttpa)",
                "Other/unspecified steel capacity (ttpa)"]:
        cs[col] = pd.to_numeric(cs[col], errors="coerce").fillna(0.0) / 1000.0  # Mt
    cs["eaf"] = cs["Nominal EAF steel capacity (ttpa)"]
    cs["bof"] = np.maximum(cs["Nominal crude steel capacity (ttpa)"] - cs.eaf, cs["Nominal BOF steel capacity (ttpa)"])
    cs = cs[cs["Subnational unit (province/state)"].isin(PROV)]
    cap_eaf = cs.groupby("Subnational unit (province/state)").eaf.sum().reindex(PROV).fillna(0).to_numpy()
    cap_tot = cs.groupby("Subnational unit (province/state)").apply(lambda x: (x.eaf + x.bof).sum()).reindex(PROV).fillna(0).to_numpy()

    # nominal output where CEADs has steel CO2 but NBS has no crude steel (Beijing, Hainan)
    crude = crude_nbs.copy()
    pos = (crude > 0) & (co2_steel > 0)
    co2_per_t = co2_steel[pos].sum() / crude[pos].sum()
    nominal = (crude <= 0) & (co2_steel > 0)
    crude[nominal] = co2_steel[nominal] / co2_per_t
    prov.add("crude_steel_nominal_output", "Mt", "production.csv",
         f"CEADs {year} steel CO2 / national CO2 per t", "provinces with CEADs steel CO2 but no NBS crude steel get a nominal "
         f"equivalent output CO2/({co2_per_t:.3f} t CO2/t): " + ", ".join(f"{PROV[i]}={crude[i]:.4f} Mt" for i in np.where(nominal)[0]),
         "these are rolling/processing plants without steelmaking; the nominal tonnage (< 0.1 % of national) only carries their energy")

    eaf_target = yearly(A, year, "steel", "eaf_share_target")
    target = eaf_target["value"] * crude.sum()

    def eaf_out(u):
        return np.minimum(u * cap_eaf, crude)

    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if eaf_out(mid).sum() < target:
            lo = mid
        else:
            hi = mid
    u_eaf = 0.5 * (lo + hi)
    eaf = eaf_out(u_eaf)
    bof = crude - eaf
    prov.add("eaf_production", "Mt", "production.csv",
         "gem_gist_china_plant_capacity_status.csv: status in " + str(St["gem_statuses"]) + f", start <= {year}; "
         + (f"national_reference_points.csv eaf share {eaf_target['value']}" if year == YEAR
            else f"EAF share {eaf_target['value']} ({eaf_target['source']})"),
         f"EAF_p = min(u x GEM EAF capacity_p, crude_p), common u = {u_eaf:.4f} so national EAF share = {eaf.sum() / crude.sum():.4f}",
         "GEM covers plants >= 0.5 Mtpa only; small EAF mills missing")

    # utilisation
    lo_u, hi_u = St["util_range"]
    ratio = np.divide(crude, cap_tot, out=np.full(P, np.nan), where=cap_tot > 0)
    util = np.where((ratio >= lo_u) & (ratio <= hi_u), ratio, St["default_util"]["value"])
    prov.add("steel_utilisation", "1", "utilisation.csv", f"NBS crude steel / GEM capacity (BOF+EAF) {year}",
         f"used where in [{lo_u}, {hi_u}], else default {St['default_util']['value']}",
         "default used for: " + ", ".join(p for p, r in zip(PROV, ratio) if not (lo_u <= r <= hi_u)))

    # age shares per province and route from GEM start years
    L = A["sectors"]["lifetime"]["iron_steel"]
    edges = np.array([L * k / K for k in range(1, K)])

    def stage(start):
        age = year - start
        return int(np.searchsorted(edges, age, side="right"))

    age_cap = np.zeros((P, 2, K))
    unknown = np.zeros((P, 2))
    for row in cs.itertuples():
        p = iP[row[cs.columns.get_loc("Subnational unit (province/state)") + 1]]
        for r, val in ((0, row.bof), (1, row.eaf)):
            if val <= 0:
                continue
            if np.isnan(row.start):
                unknown[p, r] += val
            else:
                age_cap[p, r, stage(row.start)] += val
    nat = age_cap.sum(axis=0)
    nat = nat / nat.sum(axis=1, keepdims=True)
    age_cap += unknown[:, :, None] * nat[None]
    shares = np.where(age_cap.sum(-1, keepdims=True) > 0,
                      age_cap / np.maximum(age_cap.sum(-1, keepdims=True), 1e-300), nat[None])
    prov.add("steel_age_structure", "1", "capacity.csv", "GEM start dates of included plants",
         f"stage k = age in [k*{L}/{K}, (k+1)*{L}/{K}) yr, last stage older; unknown start year -> national route profile "
         f"(national BOF shares {np.round(nat[0], 3).tolist()}, EAF {np.round(nat[1], 3).tolist()}); provinces without GEM plants -> national",
         A["age"]["mapping"])
    return dict(crude_prov=crude_prov, crude_nbs=crude_nbs, crude=crude, eaf=eaf, bof=bof, util=util, shares=shares,
                u_eaf=u_eaf, cap_eaf=cap_eaf, cap_tot=cap_tot, nominal=nominal)


def nonferrous(A, out_mt, year: int = YEAR, *, prov: Provenance):
    """Aluminium of ``year``: primary, secondary and other non-ferrous output by province [Mt]
    (national primary Al spread by weighted NBS ten-metals output, capped at 97 % of it)."""
    N = A["nonferrous"]
    ten = out_mt["Ten Kinds of Non-ferrous Metals"].to_numpy()
    w = np.array([N["primary_al_weight"].get(p, N["primary_al_weight_default"]) for p in PROV])
    nat = yearly(A, year, "nonferrous", "primary_al_national")["value"]
    prim = np.zeros(P)
    free = np.ones(P, bool)
    rem = nat
    for _ in range(20):
        base = w * ten * free
        prim_free = rem * base / base.sum()
        over = free & (prim_free > 0.97 * ten)
        if not over.any():
            prim[free] = prim_free[free]
            break
        prim[over] = 0.97 * ten[over]
        free &= ~over
        rem = nat - prim[~free].sum()
    other = ten - prim
    ram = out_mt["Refined Aluminous Materials"].to_numpy()
    sec_nat = yearly(A, year, "nonferrous", "secondary_al_national")["value"]
    sec = sec_nat * ram / ram.sum()
    prov.add("primary_aluminium", "Mt", "production.csv",
         f"nbs_province_industrial_output_annual.csv 'Ten Kinds of Non-ferrous Metals' {year}; national primary Al from assumptions",
         "primary_p = national x w_p x ten_p / sum(w x ten), capped at 0.97 ten_p", "see assumptions.toml [nonferrous]")
    prov.add("secondary_aluminium", "Mt", "production.csv",
         f"nbs_province_industrial_output_annual.csv 'Refined Aluminous Materials' {year}",
         f"national {sec_nat} Mt distributed by aluminium semis output", N["secondary_al_proxy"])
    prov.add("other_nonferrous", "Mt", "production.csv", "NBS ten non-ferrous metals minus primary aluminium",
         f"national {other.sum():.2f} Mt (ten kinds {ten.sum():.2f} Mt)")
    return prim, sec, other


# ------------------------------------------------------------------------------------------------
CEC_FULL_LIST_YEAR = 2018
"""First year in which the CEC export lists every manufacturing sub-sector mapped below."""


def cec_sector_totals(data: Path, year: int = YEAR, *, prov: Provenance):
    """National electricity use of each sector in ``year`` [TWh] from the CEC sub-sectors,
    the mapping used, and the residual of manufacturing not listed [TWh]."""
    c_all = pd.read_csv(data / "nbs/cec_national_electricity_consumption_by_sector_annual.csv")
    c = c_all[c_all.year == year].set_index("sector").twh
    M = {
        "iron_steel": ["Smelting and Pressing of Ferrous Metals"],
        "nonferrous": ["Smelting and Pressing of Non-ferrous Metals"],
        "nonmetallic_minerals": ["Manufacture of Non-metallic Mineral Products"],
        "chemicals": ["Manufacture of Chemical Materials and Chemical Products", "Manufacture of Chemical Fibers",
                      "Manufacture of Medicines", "Manufacture of Rubber and Plastic Products"],
        "petroleum_coking": ["Processing of Petroleum, Coal, Other Fuel"],
        "paper": ["Manufacture of Paper and Paper Products", "Printing, Reproduction of Recording Media"],
        "textiles": ["Manufacture of Textile", "Manufacture of Textile Apparel",
                     "Manufacture of Leather, Furs, Down and Related Products and Footware"],
        "machinery": ["Manufacture of Metal Products", "Manufacture of General Purpose Machinery",
                      "Manufacture of Special Purpose Machinery", "Manufacture of Automobile",
                      "Manufacture of Railways, Ships, Aircrafts, Spacecrafts and Other Transportation Equipment",
                      "Manufacture of Electrical Machinery and Equipment",
                      "Manufacture of Computers, Communication Devices and Other Electronics",
                      "Manufacture of Instruments and Meters", "Repairing of Metalware, Machinery and Equipment"],
        "other_industry": ["Mining and Dressing of Ferrous Metal Ores", "Mining and Processing of Non-Ferrous Metal Ores",
                           "Mining and Processing of Nonmetal Ores", "Mining of Other Ores",
                           "Manufacture of Foods", "Manufacture of Liquor, Beverage and Refined Tea",
                           "Manufacture of Tobacco",
                           "Processing of Timbers, Manufacture of Wood, Bamboo, Rattan, Palm and Straw Products",
                           "Manufacture of Furniture", "Cultural, Educational, Arts and Sports Goods",
                           "Other Manufacturing", "Discarded Resources and Waste Materials Recovery and Processing",
                           "Production and Supply of Water"],
    }
    def manufacturing(x):
        return not x.startswith(("Mining", "Production and Supply"))

    def totals(cy):
        tot = {s: float(sum(cy.get(x, 0.0) for x in v)) for s, v in M.items()}
        listed = sum(float(cy.get(x, 0.0)) for v in M.values() for x in v if manufacturing(x))
        return tot, float(cy["Manufacturing"]) - listed

    tot, resid = totals(c)
    # before 2018 the export lists fewer manufacturing sub-sectors (petroleum processing, most of
    # machinery, apparel, food manufacturing ... are only in 'Manufacturing'): the residual is then
    # split in proportion to the 2018 values of the sub-sectors missing that year, the 2018 residual
    # itself going to other_industry as in 2018-2019
    ref = c_all[c_all.year == CEC_FULL_LIST_YEAR].set_index("sector").twh
    missing = {s: [x for x in v if manufacturing(x) and c.get(x, 0.0) <= 0 and ref.get(x, 0.0) > 0]
               for s, v in M.items()}
    split = ""
    if any(missing.values()):
        _, ref_resid = totals(ref)
        w = {s: float(sum(ref[x] for x in v)) for s, v in missing.items()}
        w["other_industry"] += max(ref_resid, 0.0)
        wsum = sum(w.values())
        for s_ in M:
            tot[s_] += max(resid, 0.0) * w[s_] / wsum
        split = (f"; sub-sectors not listed in {year}: " + " | ".join(f"{s_}: {' + '.join(v)}" for s_, v in missing.items() if v)
                 + f"; the residual is split in proportion to their {CEC_FULL_LIST_YEAR} values (other_industry also gets the {CEC_FULL_LIST_YEAR} residual share): "
                 + ", ".join(f"{s_} {max(resid, 0.0) * w[s_] / wsum:.2f}" for s_ in M if w[s_] > 0) + " TWh")
    else:
        # residual of manufacturing not covered by the listed CEC sub-sectors (food processing of
        # agricultural products is not in the export) -> other_industry
        tot["other_industry"] += max(resid, 0.0)
    prov.add("cec_national_electricity_by_sector", "TWh", "electricity_national.csv",
         f"nbs/cec_national_electricity_consumption_by_sector_annual.csv year={year} (12 months)",
         "sum of mapped CEC sectors: " + " | ".join(f"{s}: {' + '.join(v)}" for s, v in M.items()) +
         f" | other_industry also gets the residual 'Manufacturing' minus listed manufacturing sub-sectors = {resid:.2f} TWh" + split,
         "sub-sector rows with ':' are not used (they are components); mining of coal/oil & gas, power/heat and gas supply are out of scope")
    return tot, M, resid


def province_elec_total(data: Path, year: int = YEAR):
    """Provincial electricity consumption [TWh], renewable share of generation [1] and
    generation by source [TWh] of ``year`` (NBS)."""
    d = pd.read_csv(data / "nbs/nbs_province_power_generation_consumption_annual.csv")
    d = d[d.year == year]
    cons = d[d.variable == "electricity_consumption"].set_index("province").annual_twh.reindex(PROV).to_numpy()
    gen = {}
    for v in ["thermal_generation", "hydro_generation", "wind_generation", "solar_generation", "nuclear_generation"]:
        x = d[d.variable == v].set_index("province").reindex(PROV)
        val = x.annual_twh.to_numpy().astype(float)
        if v == "wind_generation":
            val = x.ytd_at_last_month_twh.to_numpy() * 12.0 / x.last_month_reported.to_numpy()
        gen[v] = np.nan_to_num(val)
    total = sum(gen.values())
    ren = (gen["hydro_generation"] + gen["wind_generation"] + gen["solar_generation"]) / total
    return cons, ren, gen


def downscale_electricity(cec_tot, seeds, cons):
    """elec[p,s] = CEC_s x seed_ps / sum_p seed_ps, with province industrial <= 0.9 x total use."""
    elec = np.zeros((P, S))
    cap = 0.9 * cons
    np.zeros((P, S), bool)
    scale = np.ones(P)
    for _ in range(50):
        sd = seeds * scale[:, None]
        for j, s in enumerate(SECT):
            elec[:, j] = cec_tot[s] * sd[:, j] / sd[:, j].sum()
        tot = elec.sum(1)
        over = tot > cap + 1e-9
        if not over.any():
            break
        scale[over] *= cap[over] / tot[over]
    return elec


# ------------------------------------------------------------------------------------------------
def ras(seed, row, col, iters=500):
    """Biproportional fitting (RAS): scale ``seed`` (P,S) until its row sums are ``row`` and its
    column sums ``col``."""
    x = seed.copy()
    for _ in range(iters):
        x *= (row / np.maximum(x.sum(1), 1e-300))[:, None]
        x *= (col / np.maximum(x.sum(0), 1e-300))[None, :]
    return x


IO_CODES: dict[str, list[int]] = {
    "iron_steel": [], "nonferrous": [], "nonmetallic_minerals": [13], "chemicals": [12],
    "petroleum_coking": [11], "paper": [10], "textiles": [7, 8],
    "machinery": [15, 16, 17, 18, 19, 20, 21, 23], "other_industry": [4, 5, 6, 9, 22, 26]}
"""Codes of the 42-sector NBS input-output table in each model sector (metal smelting, IO 14, is
split between iron_steel and nonferrous by ``steel_share_of_metal_smelting``)."""


def value_added(data, A, iva, prod_phys, co2_tot, year: int = YEAR, *, prov: Provenance):
    """Value added by province x sector [1e9 CNY] (RAS of seeds to provincial industrial VA
    and national input-output shares), its in-scope total [1e9 CNY], the in-scope share of
    industry VA [1] and the national VA per sector [1e4 CNY]."""
    io_year = int(yearly(A, year, "value_added", "io_table_year")["value"])
    io = pd.read_csv(data / "nbs_national_io_value_added_by_sector.csv", dtype={"io_code": str})
    io = io[(io.year == io_year) & (io.item == "TVA")]
    io["code"] = io.io_code.astype(int)
    v = io.set_index("code").value_10k_cny
    sh = A["value_added"]["steel_share_of_metal_smelting"]["value"]
    M = IO_CODES
    nat = {s: float(sum(v[c] for c in cs)) for s, cs in M.items()}
    nat["iron_steel"] = sh * float(v[14])
    nat["nonferrous"] = (1 - sh) * float(v[14])
    industry = float(sum(v[c] for c in range(2, 27)))
    in_scope = sum(nat.values())
    f = in_scope / industry
    row = iva * f / 10.0  # 1e8 CNY -> 1e9 CNY
    total = row.sum()
    col = np.array([nat[s] for s in SECT]) / in_scope * total
    seed = np.zeros((P, S))
    for s in axes.MATERIAL_SECTORS:
        j = iS[s]
        seed[:, j] = prod_phys[:, j] / max(prod_phys[:, j].sum(), 1e-300) * col[j]
    nm = [iS[s] for s in VA_SECTORS]
    base = row[:, None] * (col[nm] / col[nm].sum())[None, :]
    c = co2_tot[:, nm]
    rel = c / np.maximum(c.sum(1, keepdims=True), 1e-300)
    relnat = c.sum(0) / c.sum()
    adj = np.sqrt(np.maximum(rel / relnat[None, :], 0.05))
    seed[:, nm] = base * adj
    va = ras(seed, row, col)
    prov.add("value_added", f"1e9 CNY ({year})", "value_added.csv",
         f"nbs_national_io_value_added_by_sector.csv {io_year} TVA (shares); provincial industrial VA {year}",
         f"in-scope share of industry VA (IO 2-26) f = {f:.4f}; row targets = IVA_p x f; column targets = national IO {io_year} shares "
         f"x total; RAS from seeds (material sectors: physical output; others: IVA_p x national share x sqrt(CO2 structure ratio, floor 0.05)). "
         "IO mapping: " + "; ".join(f"{s}: {M[s] or 'IO 14 x share'}" for s in SECT) + f"; out of scope IO 2, 3, 24, 25. "
         f"National in-scope VA = {total:.1f} x 1e9 CNY",
         f"steel share of IO 14 = {sh} ({A['value_added']['steel_share_of_metal_smelting']['source']}); IO 10 includes printing and articles for culture/sports (CEADs maps the latter to other_industry)")
    return va, total, f, nat


# ------------------------------------------------------------------------------------------------
def route_intensities(A, prod, fe):
    """int0 (P,S,R,C) with sum_r prod*int0 = fe exactly; new_int0 (P,S,R,C)."""
    rel = np.ones((S, R, C))
    rel[:, 1:, :] = 0.0
    RT = A["routes"]
    for c in ["coal", "oil", "gas", "electricity"]:
        rel[iS["iron_steel"], 1, iC[c]] = RT["iron_steel"]["scrap_eaf_rel"][c]
        rel[iS["nonferrous"], 1, iC[c]] = RT["nonferrous"]["secondary_al_rel"][c]
        rel[iS["nonferrous"], 2, iC[c]] = RT["nonferrous"]["other_rel"][c]
    for c in ["heat", "hydrogen", "biomass"]:  # zero in base; relative weights 1 so defined
        rel[iS["iron_steel"], 1, iC[c]] = 1.0
        rel[iS["nonferrous"], 1:, iC[c]] = 1.0
    int0 = np.zeros((P, S, R, C))
    for p in range(P):
        for s in range(S):
            for c in range(C):
                den = (prod[p, s] * rel[s, :, c]).sum()
                if fe[p, s, c] > 0:
                    assert den > 0, (PROV[p], SECT[s], CARR[c])
                    int0[p, s, :, c] = fe[p, s, c] / den * rel[s, :, c]
    # national-average intensity for routes without production (for base_share / new build)
    nat_int = np.zeros((S, R, C))
    for s in range(S):
        for r in range(R):
            pr = prod[:, s, r].sum()
            if pr > 0:
                nat_int[s, r] = (prod[:, s, r, None] * int0[:, s, r]).sum(0) / pr
    new = np.zeros_like(int0)
    bat = A["sectors"]["bat_ratio"]
    for s, sname in enumerate(SECT):
        for r in range(R):
            has = prod[:, s, r] > 0
            ref = np.where(has[:, None], int0[:, s, r], nat_int[s, r][None])
            if sname in ("iron_steel", "nonferrous") or r == 0:
                if sname == "iron_steel" and r == 2:
                    continue
                new[:, s, r] = bat[sname][r] * ref
                int0[~has, s, r] = ref[~has]  # routes without capacity locally: national average
    # iron_steel h2_dri_eaf
    h = RT["iron_steel"]["h2_dri_eaf"]
    for c in ["coal", "oil", "gas", "electricity", "hydrogen"]:
        new[:, iS["iron_steel"], 2, iC[c]] = h[c]
    # cement
    cm = iS["nonmetallic_minerals"]
    for j, key in ((1, "kiln_efficient_rel"),):
        for c in ["coal", "oil", "gas", "electricity"]:
            new[:, cm, 1, iC[c]] = new[:, cm, 0, iC[c]] * RT["nonmetallic_minerals"][key][c]
    for c in ["coal", "oil", "gas", "electricity"]:
        new[:, cm, 2, iC[c]] = new[:, cm, 1, iC[c]] * RT["nonmetallic_minerals"]["kiln_ccus_rel"][c]
    # generic sectors
    G = RT["generic"]
    for sname in VA_SECTORS:
        s = iS[sname]
        conv = new[:, s, 0]
        for c in ["coal", "oil", "gas", "electricity"]:
            new[:, s, 1, iC[c]] = conv[:, iC[c]] * G["efficient_rel"][c]
        fos = conv[:, FOSSIL]
        new[:, s, 2, :] = 0.0
        new[:, s, 2, FOSSIL] = fos * G["electrified_fossil_residual"]["value"]
        new[:, s, 2, ELEC] = conv[:, ELEC] + fos.sum(1) * (1 - G["electrified_fossil_residual"]["value"]) * G["electrified_elec_per_fossil"]["value"]
    # routes without production take int0 = new_int0
    for s in range(S):
        for r in range(R):
            nop = prod[:, s, r] <= 0
            if sname_is_alt(SECT[s], r):
                int0[nop, s, r] = new[nop, s, r]
    return int0, new, rel


def sname_is_alt(sname, r):
    """Routes with no base-year production anywhere by construction (best-available values)."""
    if sname == "iron_steel":
        return r == 2
    if sname == "nonferrous":
        return False
    return r >= 1


# ------------------------------------------------------------------------------------------------
def gdp_growth(data: Path, A, gdp19, *, prov: Provenance):
    """GDP growth by province 2020..END_YEAR [yr-1] from the SSP provincial projections,
    outliers replaced by the national rate: (years, growth (P,Y), national growth (Y,), outlier
    mask (P,))."""
    x = pd.read_excel(data / "drivers/SSPs_GDP_Prov_v2.xlsx", sheet_name=A["gdp"]["ssp_sheet"])
    x["key"] = x.region.map(norm)
    x = x.set_index("key")
    years = list(range(2020, axes.END_YEAR + 1))
    lev = np.array([[float(x.loc[norm(p), y]) for y in range(2020, axes.END_YEAR + 1)] for p in PROV])
    g = np.zeros((P, len(years)))
    g[:, 1:] = lev[:, 1:] / lev[:, :-1] - 1
    g[:, 0] = g[:, 1]
    w = gdp19 / gdp19.sum()
    natg = (w[:, None] * g).sum(0)
    outlier = (g.mean(1) - natg.mean() > 0.02) | (g.max(1) > 0.10)
    w2 = np.where(outlier, 0, w)
    nat_clean = (w2[:, None] * g).sum(0) / w2.sum()
    g[outlier] = nat_clean[None]
    # GDP-weighted national growth: aggregate levels
    levc = gdp19[:, None] * np.cumprod(1 + g, axis=1)
    tot = np.concatenate([[gdp19.sum()], levc.sum(0)])
    gnat = tot[1:] / tot[:-1] - 1
    prov.add("gdp_growth", "yr-1", "gdp_growth.csv",
         f"drivers/SSPs_GDP_Prov_v2.xlsx sheet {A['gdp']['ssp_sheet']}, 2020-{axes.END_YEAR}",
         "g_y = GDP_y/GDP_{y-1} - 1; " + A["gdp"]["growth_2020"] + "; " + A["gdp"]["outlier_rule"],
         "outliers replaced: " + (", ".join(p for p, o in zip(PROV, outlier) if o) or "none"))
    prov.add("gdp_growth_national", "yr-1", "gdp_growth_national.csv", "gdp_growth.csv and NBS 2019 GDP",
         "growth of the sum of provincial GDP levels (2019 NBS level x cumulative growth)")
    return years, g, gnat, outlier


def grid(data: Path, ren, year: int = YEAR, *, prov: Provenance):
    """Grid emission factor by province [t CO2 MWh-1] (MEE 2021; Tibet: the Southwest grid)
    and the basis of each value."""
    m = pd.read_csv(data / "mee_provincial_grid_emission_factors_2021_2022.csv")
    m = m[m.year == 2021].set_index("province").tco2_per_mwh
    rg = pd.read_csv(data / "mee_regional_grid_emission_factors_2021_2022.csv")
    sw = float(rg[(rg.year == 2021) & (rg.grid_region == "Southwest")].tco2_per_mwh.iloc[0])
    ef = np.array([m[p] if p in m.index else sw for p in PROV])
    basis = ["MEE 2021 provincial" if p in m.index else "MEE 2021 Southwest regional grid (Tibet)" for p in PROV]
    prov.add("grid_ef", "t CO2/MWh", "grid.csv", "mee_provincial_grid_emission_factors_2021_2022.csv year=2021; Tibet: mee_regional... Southwest 2021",
         f"2021 factors (nearest published year) used for {year}", "Tibet's grid is hydro-dominated and connected to the Southwest (Sichuan) grid")
    prov.add("grid_renewable_share", "1", "grid.csv", f"nbs_province_power_generation_consumption_annual.csv {year}",
         "(hydro+wind+solar)/(thermal+hydro+wind+solar+nuclear); wind = Jan-Nov YTD x 12/11 (December missing)",
         "generation of plants above designated size only (solar understated)")
    return ef, basis


# ------------------------------------------------------------------------------------------------
def stocks(A, cumgdp, crude, eaf, bof, al_tot, nf_tot, sec_al, year: int = YEAR, national_stock=None, *, prov: Provenance):
    """In-use stocks by province and age stage and the scrap parameters.

    ``national_stock`` (metal -> Mt) replaces the base-year literature values for earlier years
    (see :func:`back_calculated_stock`); there the steel scrap supply target is the base routes'
    need x [years.<year>].scrap_supply_margin, as for aluminium (no scrap statistics in the data).
    """
    res = {}
    w = cumgdp / cumgdp.sum()
    for metal in axes.METALS:
        M = A["metals"][metal]
        L = M["stock_lifetime"]["value"]
        coll = M["collection"]["value"]
        stock = M["national_stock"]["value"] if national_stock is None else national_stock[metal]
        if metal == "steel":
            prompt = M["prompt_scrap"]["value"]
            inflow = M["inflow_ratio"]["value"]
            spu = [M["scrap_per_unit"][k] for k in axes.ROUTE_NAMES["iron_steel"]]
            total_out = crude.sum()
            need = eaf.sum() * spu[1] + bof.sum() * spu[0]
            target = (M["scrap_use_target"]["value"] if year == YEAR
                      else need * A["years"][str(year)]["scrap_supply_margin"]["value"])
        else:
            alsh = al_tot / nf_tot
            prompt = M["prompt_scrap_per_al"]["value"] * alsh
            inflow = M["inflow_ratio_per_al"]["value"] * alsh
            spu = [M["scrap_per_unit"][k] for k in axes.ROUTE_NAMES["nonferrous"]]
            total_out = nf_tot
            need = sec_al * spu[1]
            target = need * M["supply_margin"]["value"]
        obs_needed = (target - prompt * total_out) / coll
        last_share = obs_needed * L / K / stock
        raised = ""
        if year != YEAR and last_share > 1.0 / K:
            # the back-calculated stock cannot release the base routes' obsolete-scrap need with
            # an age profile younger than the steady state: use the least stock that can
            raised = (f"; the back-calculated {stock} Mt cannot supply {obs_needed:.1f} Mt/yr of obsolete scrap "
                      f"with a profile younger than the steady state, so the stock is raised to {obs_needed * L:.1f} Mt "
                      f"(steady-state profile, obsolete = stock / lifetime)")
            stock = round(obs_needed * L, 1)
            last_share = 1.0 / K
        assert 0 < last_share < 0.5, (metal, last_share)
        prof, q = stock_age_profile(last_share, K)
        res[metal] = dict(stock=stock * w[:, None] * prof[None], profile=prof, q=q, collection=coll,
                          prompt=prompt, inflow=inflow, spu=spu, lifetime=L, target=target, need=need)
        prov.add(f"in_use_stock_{metal}", "Mt", "in_use_stock.csv", "assumptions.toml [metals]; drivers/historical_gdp.csv",
             f"national {stock} Mt distributed by cumulative GDP 2005-{year}; age profile geometric q^k, q = {q:.4f} "
             f"(shares {np.round(prof, 4).tolist()}) chosen so collection x obsolete (stock[K-1] x K/L) + prompt x output = "
             f"{target:.2f} Mt (needs of base routes {need:.2f} Mt){raised}",
             M["national_stock"]["source"] if year == YEAR else "national stock back-calculated, see in_use_stock_<metal>_national_<year>")
    return res


# ------------------------------------------------------------------------------------------------
def back_calculated_stock(data: Path, A: dict, year: int, *, prov: Provenance) -> dict[str, float]:
    """National in-use stock of each metal at the end of ``year`` < 2019, from the committed 2019
    base state run backwards with the model's own flows: S(t-1) = (S(t) - inflow_ratio x output(t))
    / (1 - o), o = the 2019 obsolete outflow / stock (stock[K-1] x K / lifetime), output = NBS
    national crude steel (steel) and ten non-ferrous metals (aluminium, whose inflow_ratio is per
    tonne of total nonferrous output)."""
    base = out_dir(YEAR)
    stk = pd.read_csv(base / "in_use_stock.csv")
    mp = pd.read_csv(base / "metal_parameters.csv").set_index(["metal", "parameter"]).value
    nat = pd.read_csv(data / "nbs/nbs_national_industrial_output_annual.csv")
    series = {"steel": "Crude Steels", "aluminium": "Ten Kinds of Non-ferrous Metals"}
    res = {}
    for metal in axes.METALS:
        s_ = stk[stk.metal == metal]
        total = float(s_.stock_mt.sum())
        last = float(s_[s_.age_stage == K - 1].stock_mt.sum())
        o = last * K / mp[(metal, "stock_lifetime")] / total
        out = nat[nat["product"] == series[metal]].set_index("year").annual * 0.01  # Mt
        x = total
        for t in range(YEAR, year, -1):
            x = (x - mp[(metal, "inflow_ratio")] * float(out[t])) / (1.0 - o)
        res[metal] = round(x, 1)
        prov.add(f"in_use_stock_{metal}_national_{year}", "Mt", "in_use_stock.csv",
             f"base_{YEAR}/in_use_stock.csv and metal_parameters.csv; nbs_national_industrial_output_annual.csv '{series[metal]}' {year + 1}-{YEAR}",
             f"back-calculated from {total:.1f} Mt in {YEAR}: S(t-1) = (S(t) - inflow_ratio x output(t)) / (1 - o), o = {o:.5f}/yr "
             f"(the {YEAR} obsolete outflow / stock) -> {res[metal]} Mt at the end of {year}",
             "no stock estimate for earlier years in the data; the model's own inflow and obsolete-outflow rules are used", value=f"{res[metal]}")
    return res


@dataclass
class BaseStateBuild:
    """Everything the files of one base state are made of (arrays in sim.core.axes order: P provinces,
    S sectors, R routes, C carriers, K age stages)."""

    year: int
    raw_scope1: float  # CEADs in-scope Scope-1 total of the 30 provinces [Mt CO2]
    co2: np.ndarray  # (P,S,C) direct CO2 by fossil carrier, Tibet estimated [Mt CO2]
    proc: np.ndarray  # (P,S) process CO2 [Mt CO2]
    gdp: np.ndarray  # (P,) GDP of the year [1e8 CNY]
    iva: np.ndarray  # (P,) industrial value added [1e8 CNY]
    have_iva: np.ndarray  # (P,) bool: NBS reports it (else GDP x ratio)
    st: dict  # steel(): crude steel (NBS, model), EAF, BOF [Mt], utilisation, age shares, GEM capacity
    prim: np.ndarray  # (P,) primary aluminium [Mt]
    sec: np.ndarray  # (P,) secondary aluminium [Mt]
    other: np.ndarray  # (P,) other nonferrous [Mt]
    cement: np.ndarray  # (P,) [Mt]
    prod: np.ndarray  # (P,S,R) production [Mt yr-1 or 1e9 CNY yr-1]
    va: np.ndarray  # (P,S) value added [1e9 CNY]
    va_total: float  # in-scope national value added [1e9 CNY]
    f_scope: float  # in-scope share of industrial value added [1]
    va_per_unit: np.ndarray  # (P,S) [1e9 CNY per activity unit]
    cec: dict  # sector -> national electricity [TWh]
    cons: np.ndarray  # (P,) provincial electricity consumption [TWh]
    ren: np.ndarray  # (P,) renewable share of generation [1]
    fe: np.ndarray  # (P,S,C) final energy [PJ]
    ef: np.ndarray  # (P,S,C) direct emission factors [Mt CO2 / PJ]
    ef_basis: np.ndarray  # (P,S,C) str
    int0: np.ndarray  # (P,S,R,C) installed intensity [PJ per activity unit]
    new_int0: np.ndarray  # (P,S,R,C) best-available intensity [PJ per activity unit]
    pef: np.ndarray  # (P,S,R) process emission factors [Mt CO2 per activity unit]
    util: np.ndarray  # (P,S) utilisation [1]
    cap: np.ndarray  # (P,S,R,K) capacity [activity unit yr-1]
    stocks: dict  # metal -> stocks(): in-use stock (P,K) [Mt] and scrap parameters
    grid_ef: np.ndarray  # (P,) [t CO2 / MWh]
    grid_basis: list  # (P,) str
    growth: tuple | None  # base year only: (years, GDP growth (P,Y), national (Y,), outlier (P,))


def load_assumptions(year: int) -> dict:
    """calibration/assumptions.toml; a year other than the base year needs its [years.<year>]."""
    A = tomllib.loads((HERE / "assumptions.toml").read_text())
    if year != YEAR and str(year) not in A.get("years", {}):
        raise SystemExit(f"assumptions.toml has no [years.{year}] table (national figures for {year})")
    return A


def activity(data: Path, A: dict, year: int, *,
             prov: Provenance) -> tuple[dict, np.ndarray, np.ndarray]:
    """CO2 (CEADs, Tibet estimated), physical output and value added by province and sector."""
    co2, pj, proc, raw_scope1 = load_ceads(data, A, year, prov=prov)
    out_mt = load_outputs(data, A, year)
    gdp, cumgdp = provincial_gdp(data, year)  # GDP of the year built (2019 by default)
    iva, have_iva, _ = industrial_va(data, gdp, year, prov=prov)
    tibet_estimate(A, co2, pj, proc, out_mt, iva, year, prov=prov)

    st = steel(data, A, out_mt, co2[:, iS["iron_steel"]].sum(1), year, prov=prov)
    prim, sec, other = nonferrous(A, out_mt, year, prov=prov)
    # nominal nonferrous output where CEADs has CO2 but no NBS output
    nf_co2 = co2[:, iS["nonferrous"]].sum(1)
    nf_out = prim + sec + other
    nomnf = (nf_out <= 0) & (nf_co2 > 0)
    cpt = nf_co2[nf_out > 0].sum() / nf_out[nf_out > 0].sum()
    other[nomnf] = nf_co2[nomnf] / cpt
    cement = out_mt["Cement"].to_numpy()
    prov.add("cement_output", "Mt", "production.csv", f"nbs_province_industrial_output_annual.csv product=Cement {year} (10000 t x 0.01)",
             "activity of nonmetallic_minerals = cement output (glass, ceramics etc. energy carried per t cement)", "")
    if nomnf.any():
        prov.add("nonferrous_nominal_output", "Mt", "production.csv", "CEADs nonferrous CO2 / national CO2 per t",
                 "provinces with CEADs nonferrous CO2 but no NBS output get nominal 'other' output: " +
                 ", ".join(f"{PROV[i]}={other[i]:.4f}" for i in np.where(nomnf)[0]))

    prod = np.zeros((P, S, R))
    prod[:, iS["iron_steel"], 0] = st["bof"]
    prod[:, iS["iron_steel"], 1] = st["eaf"]
    nfi = iS["nonferrous"]
    prod[:, nfi, 0], prod[:, nfi, 1], prod[:, nfi, 2] = prim, sec, other
    prod[:, iS["nonmetallic_minerals"], 0] = cement
    phys = prod.sum(2)

    co2_tot = co2.sum(2) + proc
    va, va_total, f_scope, _ = value_added(data, A, iva, phys, co2_tot, year, prov=prov)
    for s in VA_SECTORS:
        prod[:, iS[s], 0] = va[:, iS[s]]
    vpu = np.ones((P, S))
    for s in axes.MATERIAL_SECTORS:
        j = iS[s]
        tot = prod[:, j].sum(1)
        natv = va[:, j].sum() / tot.sum()
        vpu[:, j] = np.where(tot > 0, va[:, j] / np.maximum(tot, 1e-300), natv)
    return dict(raw_scope1=raw_scope1, co2=co2, proc=proc, gdp=gdp, iva=iva, have_iva=have_iva,
                st=st, prim=prim, sec=sec, other=other, cement=cement, prod=prod, va=va,
                va_total=va_total, f_scope=f_scope, va_per_unit=vpu), pj, cumgdp


def energy(data: Path, A: dict, year: int, act: dict, pj: np.ndarray, *, prov: Provenance) -> dict:
    """Electricity (CEC national by sector, downscaled), final energy and direct emission factors."""
    st, prim, sec, other, va, co2 = (act[k] for k in ("st", "prim", "sec", "other", "va", "co2"))
    gdp, nfi = act["gdp"], iS["nonferrous"]
    cec, _, _ = cec_sector_totals(data, year, prov=prov)
    cons, ren, _ = province_elec_total(data, year)
    EP = A["electricity_proxy"]
    eint = (cons / gdp) / (cons.sum() / gdp.sum())
    seeds = np.zeros((P, S))
    seeds[:, iS["iron_steel"]] = st["bof"] * EP["bf_bof"]["value"] + st["eaf"] * EP["scrap_eaf"]["value"]
    seeds[:, nfi] = prim * EP["primary_al"]["value"] + sec * EP["secondary_al"]["value"] + other * EP["other_nonferrous"]["value"]
    seeds[:, iS["nonmetallic_minerals"]] = act["cement"]
    for s in VA_SECTORS:
        seeds[:, iS[s]] = va[:, iS[s]] * eint
    elec_twh = downscale_electricity(cec, seeds, cons)
    prov.add("electricity_by_province_sector", "PJ", "final_energy.csv",
             f"CEC national {year} sector totals; NBS provincial electricity consumption {year}",
             "elec_ps = CEC_s x seed_ps / sum_p seed_ps; seeds: steel BOF x 0.40 + EAF x 0.64 MWh/t; nonferrous primary x 13.5 + secondary x 0.34 + other x 3.0 MWh/t; "
             "cement output; other sectors VA_ps x provincial electricity/GDP index; provinces whose in-scope industrial use would exceed 90 % of total consumption are scaled down iteratively",
             "1 TWh = 3.6 PJ")

    fe = np.zeros((P, S, C))
    fe[:, :, FOSSIL] = pj[:, :, FOSSIL]
    fe[:, :, ELEC] = elec_twh * PJ_PER_TWH
    prov.add("fossil_final_energy", "PJ", "final_energy.csv", f"CEADs {year} CO2 by fuel",
             "PJ = CO2 / EF (IPCC 2006 defaults, oxidation 1) grouped into coal/oil/gas per assumptions.toml [fuels]",
             "CEADs excludes non-energy use (feedstocks)")
    prov.add("heat_biomass_hydrogen_final_energy", "PJ", "final_energy.csv", "none",
             "set to 0", "no provincial x sector source for purchased heat or biomass in the data (CEADs Scope-2 columns are empty; the CESY sub-sector tables are not available); hydrogen is feedstock (non-energy use), excluded as in CEADs. Industrial heat (about 5-6 % of industrial final energy nationally) is therefore missing from the base year.")

    # effective emission factors
    nat_ef = co2.sum((0, 1)) / np.maximum(pj.sum((0, 1)), 1e-300)
    ef = np.zeros((P, S, C))
    basis = np.full((P, S, C), "", dtype=object)
    for c in FOSSIL:
        used = pj[:, :, c] > 0
        ef[:, :, c] = np.where(used, co2[:, :, c] / np.maximum(pj[:, :, c], 1e-300), nat_ef[c])
        basis[:, :, c] = np.where(used, "ceads_effective", "national_default")
    prov.add("direct_emission_factor", "Mt CO2/PJ", "emission_factors.csv", f"CEADs {year} CO2 and back-calculated PJ",
             "ef = CO2_c / PJ_c per province x sector x carrier (reproduces CEADs exactly); unused carriers: national effective factor "
             + ", ".join(f"{CARR[c]}={nat_ef[c]:.5f}" for c in FOSSIL), "")
    return dict(cec=cec, cons=cons, ren=ren, fe=fe, ef=ef, ef_basis=basis)


def technology(A: dict, year: int, act: dict, fe: np.ndarray, *, prov: Provenance) -> dict:
    """Route intensities, process emission factors, utilisation and capacity by age stage."""
    prod, proc, cement, st = act["prod"], act["proc"], act["cement"], act["st"]
    int0, new_int0, _ = route_intensities(A, prod, fe)
    cm = iS["nonmetallic_minerals"]
    pef = np.zeros((P, S, R))
    pef[:, cm, 0] = np.where(cement > 0, proc[:, cm] / np.maximum(cement, 1e-300), 0)
    RN = A["routes"]["nonmetallic_minerals"]
    cr = RN["clinker_ratio_efficient"]["value"] / RN["clinker_ratio_base"]["value"]
    pef[:, cm, 1] = pef[:, cm, 0] * cr
    pef[:, cm, 2] = pef[:, cm, 1]
    nat_pef = proc[:, cm].sum() / cement.sum()
    prov.add("process_emission_factor", "Mt CO2/Mt cement", "process_emission_factors.csv",
             f"CEADs {year} fuel='Process' / NBS cement output",
             f"kiln = process CO2 / cement (national {nat_pef:.4f}); kiln_efficient and kiln_ccus (gross, before capture) = kiln x clinker ratio {RN['clinker_ratio_efficient']['value']}/{RN['clinker_ratio_base']['value']}",
             "aluminium anode CO2 (about 1.5 t/t Al) is not in CEADs and is excluded so the base year matches CEADs")

    util = np.zeros((P, S))
    for s in SECT:
        if s != "iron_steel":
            util[:, iS[s]] = A["sectors"]["utilisation"][s]
    util[:, iS["iron_steel"]] = st["util"]
    prov.add("utilisation_other_sectors", "1", "utilisation.csv", "assumptions.toml [sectors.utilisation]", "national value per sector",
             A["sectors"]["utilisation"]["source"])
    cap = np.zeros((P, S, R, K))
    steady = np.full(K, 1.0 / K)
    for s in range(S):
        for r in range(R):
            tot = prod[:, s, r] / util[:, s]
            if SECT[s] == "iron_steel" and r < 2:
                cap[:, s, r] = tot[:, None] * st["shares"][:, r]
            else:
                cap[:, s, r] = tot[:, None] * steady[None]
    prov.add("capacity", "Mt/yr or 1e9 CNY/yr", "capacity.csv", "production.csv / utilisation.csv",
             "cap_r = production_r / util (equal utilisation across routes); age stages: steel from GEM start dates, other sectors steady state (1/K each)",
             A["age"]["mapping"])
    return dict(int0=int0, new_int0=new_int0, pef=pef, util=util, cap=cap)


def build(data: Path, A: dict, year: int, *, prov: Provenance) -> BaseStateBuild:
    """Compute the base state of ``year`` from the raw data; sources and methods go to ``prov``."""
    act, pj, cumgdp = activity(data, A, year, prov=prov)
    en = energy(data, A, year, act, pj, prov=prov)
    tech = technology(A, year, act, en["fe"], prov=prov)
    st, prim, sec, nfi = act["st"], act["prim"], act["sec"], iS["nonferrous"]
    national_stock = None if year == YEAR else back_calculated_stock(data, A, year, prov=prov)
    stk = stocks(A, cumgdp, st["crude"], st["eaf"], st["bof"], (prim + sec).sum(),
                 act["prod"][:, nfi].sum(), sec.sum(), year, national_stock, prov=prov)
    gef, gbasis = grid(data, en["ren"], year, prov=prov)
    # projections from the base year on (earlier base states are for the hindcast)
    growth = gdp_growth(data, A, act["gdp"], prov=prov) if year == YEAR else None
    return BaseStateBuild(year=year, **act, **en, **tech, stocks=stk, grid_ef=gef, grid_basis=gbasis,
                          growth=growth)


def tables(b: BaseStateBuild, *, prov: Provenance) -> dict[str, pd.DataFrame]:
    """The files of the base state (file name -> table); their sources and methods go to ``prov``."""
    year, co2, proc, prod, st = b.year, b.co2, b.proc, b.prod, b.st
    R_ = axes.ROUTE_NAMES
    out: dict[str, pd.DataFrame] = {}
    rows = []
    for p in range(P):
        for s in range(S):
            rows.append(dict(province=PROV[p], sector=SECT[s], co2_direct_mt=co2[p, s].sum(),
                             co2_process_mt=proc[p, s],
                             source="tibet_estimate" if PROV[p] == "Tibet" else f"ceads_{year}"))
    out[f"ceads_{year}_sector_totals.csv"] = pd.DataFrame(rows)
    prov.add(f"ceads_{year}_sector_totals", "Mt CO2", f"ceads_{year}_sector_totals.csv",
             f"ceads_provincial_co2_by_sector_fuel_1997_2019.csv.gz year={year}, fuels except Scope_1_Total/Scope_2_*",
             "sum over CEADs sectors mapped by ceads_sector_to_sim_sector.csv (petroleum_coking = 'Petroleum Processing and Coking'; mining_energy and power_heat excluded); "
             "co2_direct = all fuels, co2_process = fuel 'Process'", f"raw in-scope Scope_1_Total (30 provinces) = {b.raw_scope1:.6f} Mt")

    out["production.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], route=R_[SECT[s]][r], route_index=r,
                                               production=prod[p, s, r],
                                               unit="Mt/yr" if SECT[s] in axes.MATERIAL_SECTORS else f"1e9 CNY({year})/yr")
                                          for p in range(P) for s in range(S) for r in range(R)])
    prov.add("production", "Mt/yr or 1e9 CNY/yr", "production.csv", "see crude steel, EAF, nonferrous, cement, value_added rows",
             "material sectors: physical output; other sectors: value added (conventional route only)")
    out["utilisation.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], utilisation=b.util[p, s])
                                           for p in range(P) for s in range(S)])
    out["capacity.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], route=R_[SECT[s]][r], route_index=r, age_stage=k,
                                             capacity=b.cap[p, s, r, k],
                                             unit="Mt/yr" if SECT[s] in axes.MATERIAL_SECTORS else f"1e9 CNY({year})/yr")
                                        for p in range(P) for s in range(S) for r in range(R) for k in range(K)
                                        if b.cap[p, s, r, k] > 0])
    out["intensity.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], route=R_[SECT[s]][r], route_index=r, carrier=CARR[c],
                                              int0_pj_per_unit=b.int0[p, s, r, c], new_int0_pj_per_unit=b.new_int0[p, s, r, c])
                                         for p in range(P) for s in range(S) for r in range(R) for c in range(C)
                                         if b.int0[p, s, r, c] != 0 or b.new_int0[p, s, r, c] != 0])
    prov.add("intensity", "PJ per Mt or per 1e9 CNY", "intensity.csv", "final_energy.csv, production.csv, assumptions.toml [routes], [sectors.bat_ratio]",
             "int0_rc = E_c / sum_r' prod_r' rel_r'c x rel_rc (solved so sum_r prod x int0 = E exactly); routes without local production take the national average of the route; "
             "new_int0 = bat_ratio x int0 for incumbent routes; h2_dri_eaf absolute; kiln_efficient/kiln_ccus and efficient/electrified relative to the route-0 BAT; zero rows omitted",
             "see assumptions.toml [routes]")
    out["final_energy.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], carrier=CARR[c], final_energy_pj=b.fe[p, s, c])
                                            for p in range(P) for s in range(S) for c in range(C)])
    out["emission_factors.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], carrier=CARR[c], ef_mtco2_per_pj=b.ef[p, s, c],
                                                     basis=b.ef_basis[p, s, c])
                                                for p in range(P) for s in range(S) for c in FOSSIL])
    out["process_emission_factors.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], route=R_[SECT[s]][r], route_index=r,
                                                             process_ef_mtco2_per_unit=b.pef[p, s, r])
                                                        for p in range(P) for s in range(S) for r in range(R) if b.pef[p, s, r] != 0])
    out["value_added.csv"] = pd.DataFrame([dict(province=PROV[p], sector=SECT[s], value_added_1e9cny=b.va[p, s],
                                                va_per_unit_1e9cny_per_unit=b.va_per_unit[p, s],
                                                industrial_va_1e8cny=b.iva[p], industrial_va_source="NBS" if b.have_iva[p] else "GDP x ratio")
                                           for p in range(P) for s in range(S)])
    prov.add("va_per_unit", "1e9 CNY per Mt (material) or 1", "value_added.csv", "value_added / production",
             "material sectors: VA/production (national average where production is 0); other sectors 1")
    out["electricity_national.csv"] = pd.DataFrame([dict(sector=s, electricity_twh=b.cec[s]) for s in SECT])
    out["province_activity.csv"] = pd.DataFrame([dict(province=PROV[p], crude_steel_nbs_provincial_mt=st["crude_prov"][p], crude_steel_nbs_mt=st["crude_nbs"][p], crude_steel_model_mt=st["crude"][p],
                                                      eaf_mt=st["eaf"][p], bof_mt=st["bof"][p], gem_capacity_mt=st["cap_tot"][p], gem_eaf_capacity_mt=st["cap_eaf"][p],
                                                      primary_al_mt=b.prim[p], secondary_al_mt=b.sec[p], other_nonferrous_mt=b.other[p], cement_mt=b.cement[p],
                                                      electricity_consumption_twh=b.cons[p], **{f"gdp_{year}_1e8cny": b.gdp[p]})
                                                 for p in range(P)])
    prov.add("crude_steel_nbs", "Mt", "province_activity.csv", f"nbs_province_industrial_output_annual.csv product='Crude Steel' {year} (10000 t x 0.01)",
             f"national {st['crude_nbs'].sum():.2f} Mt; Tibet not reported (0)", "")
    prov.add("province_electricity_consumption", "TWh", "province_activity.csv",
             f"nbs_province_power_generation_consumption_annual.csv variable=electricity_consumption {year}", "as reported")
    stk = b.stocks
    out["in_use_stock.csv"] = pd.DataFrame([dict(province=PROV[p], metal=m, age_stage=k, stock_mt=stk[m]["stock"][p, k])
                                            for p in range(P) for m in axes.METALS for k in range(K)])
    mrows = []
    for m in axes.METALS:
        x = stk[m]
        mrows += [dict(metal=m, parameter="collection", value=x["collection"], unit="1"),
                  dict(metal=m, parameter="prompt_scrap", value=x["prompt"], unit="t/t sector output"),
                  dict(metal=m, parameter="inflow_ratio", value=x["inflow"], unit="t/t sector output"),
                  dict(metal=m, parameter="stock_lifetime", value=x["lifetime"], unit="yr"),
                  dict(metal=m, parameter="scrap_supply_target", value=x["target"], unit="Mt"),
                  dict(metal=m, parameter="scrap_need_base", value=x["need"], unit="Mt")]
        mrows += [dict(metal=m, parameter=f"scrap_per_unit_route{r}", value=x["spu"][r], unit="t/t") for r in range(R)]
    out["metal_parameters.csv"] = pd.DataFrame(mrows)
    prov.add("metal_parameters", "various", "metal_parameters.csv", "assumptions.toml [metals]",
             "aluminium prompt_scrap and inflow_ratio are per t of total nonferrous output (x national aluminium share)")
    out["grid.csv"] = pd.DataFrame([dict(province=PROV[p], grid_ef_tco2_per_mwh=b.grid_ef[p], grid_ef_basis=b.grid_basis[p],
                                         renewable_share=b.ren[p])
                                    for p in range(P)])
    if b.growth is not None:
        years, gg, gnat, outl = b.growth
        out["gdp_growth.csv"] = pd.DataFrame([dict(province=PROV[p], year=y, gdp_growth=gg[p, i], ssp2_replaced_by_national=bool(outl[p]))
                                              for p in range(P) for i, y in enumerate(years)])
        out["gdp_growth_national.csv"] = pd.DataFrame([dict(year=y, gdp_growth=gnat[i]) for i, y in enumerate(years)])
    return out


def write(out: Path, files: dict[str, pd.DataFrame], provenance: Provenance) -> None:
    """Write the base state's files and provenance.csv (sources and methods, this table last)."""
    out.mkdir(exist_ok=True)
    rows = provenance.rows + [dict(quantity="provenance", unit="", file="provenance.csv",
                                   source="calibration/build.py", method="this table",
                                   assumption="", value="")]
    for name, df in {**files, "provenance.csv": pd.DataFrame(rows)}.items():
        df.to_csv(out / name, index=False, float_format="%.8g")


def report(b: BaseStateBuild) -> str:
    """A short summary of the build for the console."""
    co2, proc, st = b.co2, b.proc, b.st
    lines = [f"CEADs in-scope raw Scope-1 (30 prov) {b.raw_scope1:.1f} Mt; with Tibet estimate {co2.sum() + proc.sum():.1f}"]
    for s in range(S):
        lines.append(f"  {SECT[s]:22s} direct {co2[:, s].sum():8.1f} process {proc[:, s].sum():7.1f} elec {b.cec[SECT[s]]:7.1f} TWh VA {b.va[:, s].sum():8.1f}")
    lines.append(f"crude steel NBS {st['crude_nbs'].sum():.2f}, model {st['crude'].sum():.2f}; EAF share {st['eaf'].sum() / st['crude'].sum():.4f} (u={st['u_eaf']:.3f})")
    lines.append(f"VA in-scope total {b.va_total:.1f} 1e9 CNY (f={b.f_scope:.3f}); primary Al {b.prim.sum():.2f} sec {b.sec.sum():.2f} other {b.other.sum():.2f}")
    if b.growth is not None:
        _, _, gnat, outl = b.growth
        lines.append(f"GDP outliers replaced: {[p for p, o in zip(PROV, outl) if o]}; national growth {np.round(gnat, 4).tolist()}")
    for m in axes.METALS:
        lines.append(f"{m} " + str({k: (np.round(v, 4).tolist() if isinstance(v, np.ndarray) and v.ndim == 1 else v)
                                    for k, v in b.stocks[m].items() if k != "stock"}))
    return "\n".join(lines)


def main(argv=None):
    """Command line: build the base state of ``--year`` and write calibration/base_<year>/."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    ap.add_argument("--year", type=int, default=YEAR,
                    help=f"base year to build (default {YEAR}; earlier years need assumptions.toml [years.<year>])")
    a = ap.parse_args(argv)
    A = load_assumptions(a.year)
    provenance = Provenance()
    b = build(Path(a.data), A, a.year, prov=provenance)
    files = tables(b, prov=provenance)
    out = out_dir(a.year)
    write(out, files, provenance)
    print(report(b))
    print("wrote", sorted(x.name for x in out.iterdir()))


if __name__ == "__main__":
    main()
