"""Efficiency floors per route and carrier group (issue #12 item 2, data half).

Usage: python -m calibration.floors

Writes ``calibration/floors.csv`` (sector, route, carrier_group, floor, unit, basis, source, note)
and ``calibration/floors_check.csv`` (the same keys with the 2019 national capacity-weighted average
intensity of the base state, the physical floor before any cap, their ratio and a status).

Carrier groups [PJ per activity unit]:

* ``fuel``: coal + oil + gas + heat + hydrogen + biomass, i.e. every non-electric carrier. Hydrogen
  and biomass are in the fuel group because the kernel's fuel switches replace fossil energy PJ for
  PJ, so a floor on the sum does not move when the fuel mix does.
* ``electricity``.

Three kinds of floor (``basis`` column):

* ``benchmark``: a published Chinese energy-efficiency benchmark (national standard level 1 /
  NDRC benchmark level) or a physical minimum, converted to PJ per Mt of the model's activity unit.
  Conversions: 1 kgce = 29.3076 MJ (GB/T 2589); the benchmark documents count electricity at its
  calorific value 0.1229 kgce/kWh (= 3.6 MJ/kWh), so a kgce total is final energy as the base state
  counts it; 1 kWh = 3.6 MJ.
* ``thermodynamic``: a stoichiometric or enthalpy minimum (hydrogen reduction of iron ore, melting
  of aluminium) where no benchmark is available or the minimum is the binding limit.
* ``best_provinces`` (an assumption, not a physical benchmark): for the value-added sectors and the
  routes without a published benchmark, floor = the capacity-weighted 10th percentile of the 2019
  provincial intensities (the level that the best provinces holding 10 % of the route's national
  capacity reach or beat), i.e. average x (P10 / average). Provincial intensity per unit of value
  added mixes efficiency with product structure, so this is a documented assumption.

Where a physical floor lies above the base state's 2019 national average (the base state's accounting
differs from the benchmark's: see calibration/README.md "Efficiency floors"), the floor is capped at
that average and ``basis`` gets the suffix ``_capped_at_2019_average``: the model's route may not
improve at all in that carrier group. floors_check.csv keeps the uncapped physical value.

Only this build script reads the base state CSVs with pandas; the model can read floors.csv at run
time. Nothing here reads ../shared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.core import axes
from sim.core.units import KGCE_PER_KWH_CALORIFIC

HERE = Path(__file__).resolve().parent
BASE = HERE / "base_2019"

GJ_PER_KGCE = 0.0293076
"""GJ per kg of standard coal equivalent (GB/T 2589-2020: 1 kgce = 29307.6 kJ)."""
GJ_PER_KWH = 0.0036

FUEL_CARRIERS = ("coal", "oil", "gas", "heat", "hydrogen", "biomass")
GROUPS = ("fuel", "electricity")
GROUP_OF = {c: ("electricity" if c == "electricity" else "fuel") for c in axes.CARRIERS}

BEST_PROVINCE_QUANTILE = 0.10

# ---------------------------------------------------------------------------------------------
# Sources (cited in the source column; URLs where the search result gave one).
# ---------------------------------------------------------------------------------------------
SRC_GB21256 = ("GB 21256-2025 Norm of energy consumption per unit product of major processes of "
               "crude steel production (SAMR/SAC 2025), level 1: sinter 43 kgce/t (Table 1), pellet "
               "15 kgce/t (Table 2), blast furnace 361 kgce/t hot metal (Table 3), converter -30 "
               "kgce/t (Table 4), EAF 61 kgce/t all-scrap carbon steel (Table 5); values as "
               "transcribed in a public standards-rules repository (code index file id "
               "71654997680); the BF 361/-30 converter levels equal the NDRC et al. benchmark levels "
               "of 'Energy-efficiency benchmark and baseline levels in key industrial fields (2023 "
               "edition)', 发改产业〔2023〕723号 (BF benchmark 361, baseline 435; converter -30/-10)")
SRC_GB21342 = ("GB 21342-2025 coke: level 1 top-charged and stamp-charged ovens 110/115 kgce/t coke "
               "(Tables 1-2), as transcribed in the same repository (file id 71654997680); NDRC 2023 "
               "benchmark for stamp-charged coking 110 kgce/t")
SRC_GB16780 = ("GB 16780-2021 Norm of energy consumption per unit product of cement (SAMR/SAC "
               "2021), Table 2 clinker level 1: comprehensive 100 kgce/t clinker, electricity 48 "
               "kWh/t clinker, coal 94 kgce/t clinker; Table 3 cement preparation (grinding) level 1 "
               "26 kWh/t cement; as transcribed in a public standards-rules repository (code index "
               "file id 71654997680). Clinker-to-cement ratios 0.66 (kiln) and 0.58 "
               "(kiln_efficient) from calibration/assumptions.toml [process] (IEA Cement Technology "
               "Roadmap 2018)")
SRC_GB21346 = ("GB 21346-2022 Norm of energy consumption per unit product of electrolytic aluminium "
               "and alumina (SAMR/SAC 2022), level 1: Al liquid AC power 12950 kWh/t, Al ingot "
               "comprehensive AC power 13300 kWh/t, Al ingot comprehensive energy 1670 kgce/t "
               "(Table 1); Bayer alumina comprehensive energy 340 kgce/t (Table 2); as transcribed in "
               "a public standards-rules repository (code index file id 71654997680)")
SRC_H2 = ("stoichiometry of Fe2O3 + 3 H2 -> 2 Fe + 3 H2O: 54.1 kg H2 per t Fe; hydrogen LHV "
          "120 MJ/kg (IEA 2019 The Future of Hydrogen) -> 6.49 GJ/t Fe")
SRC_AL_MELT = ("enthalpy of aluminium from 25 C to liquid at 700 C: sensible heat of the solid about "
               "0.6 GJ/t (mean cp about 0.95 kJ/kg K) + heat of fusion 0.397 GJ/t + liquid "
               "superheat about 0.05 GJ/t (standard property tables) -> about 1.0 GJ/t")
SRC_BEST = ("assumption (no physical benchmark per unit of value added / none found): "
            "capacity-weighted 10th percentile of the 2019 provincial intensities of the route in "
            "calibration/base_2019 (intensity.csv, capacity.csv)")

# --- physical route floors [GJ/t = PJ/Mt] -----------------------------------------------------
# Iron and steel BF-BOF: sum of the process-level benchmarks per tonne of crude steel. Engineering
# ratios (documented assumptions, typical of Chinese integrated plants): 0.90 t hot metal per t
# BOF crude steel (national iron-to-steel ratio of key enterprises 0.917 in H1 2013, 17ea.com, which
# includes hot metal charged to EAFs), 1.2 t sinter, 0.25 t pellet and 0.35 t coke per t hot metal.
# Rolling and finishing have no benchmark in these documents and are left out, so the floor is a
# lower bound of the sector's energy per tonne of crude steel.
HM_PER_T, SINTER_PER_HM, PELLET_PER_HM, COKE_PER_HM = 0.90, 1.2, 0.25, 0.35
BF_BOF_KGCE = (HM_PER_T * (361.0 + SINTER_PER_HM * 43.0 + PELLET_PER_HM * 15.0
                           + COKE_PER_HM * 110.0) - 30.0)
EAF_KGCE = 61.0
CLINKER_FUEL_KGCE, CLINKER_KWH, GRINDING_KWH = 94.0, 48.0, 26.0
CLINKER_RATIO = {"kiln": 0.66, "kiln_efficient": 0.58}
CCUS_PENALTY = {"fuel": 1.3, "electricity": 1.5}
"""kiln_ccus energy relative to kiln_efficient, as the base state defines the route
(calibration/README.md, 'Route intensities'); the capture energy is taken as the route design gives it."""
AL_INGOT_KWH, AL_INGOT_KGCE, ALUMINA_KGCE = 13300.0, 1670.0, 340.0
ALUMINA_PER_AL = 101.96 / (2 * 26.98)
"""t Al2O3 per t Al, stoichiometric (the floor; practice is 1.92-1.93)."""
H2_DRI_GJ = 6.4  # 6.49 GJ/t Fe x about 0.99 t Fe per t crude steel, rounded down
AL_MELT_GJ = 1.0


def _route_share_split(total: float, elec_share: float) -> dict[str, float]:
    return {"electricity": total * elec_share, "fuel": total * (1.0 - elec_share)}


def national_averages(base: Path = BASE, provincial: bool = False):
    """2019 national capacity-weighted average intensity per (sector, route, carrier_group)
    [PJ per activity unit]; also the activity-weighted P10 of the provincial intensities.

    Weights: the route's capacity per province (sum over age stages); a route without capacity in
    2019 (h2_dri_eaf, kiln_efficient, kiln_ccus, efficient, electrified) is weighted by the
    province's sector capacity, since its intensity is defined for every province."""
    inten = pd.read_csv(base / "intensity.csv")
    cap = pd.read_csv(base / "capacity.csv").groupby(
        ["province", "sector", "route"], as_index=False)["capacity"].sum()
    inten["carrier_group"] = inten["carrier"].map(GROUP_OF)
    ig = inten.groupby(["province", "sector", "route", "carrier_group"],
                       as_index=False)["int0_pj_per_unit"].sum()
    rows, prov = [], {}
    sect_cap = cap.groupby(["province", "sector"])["capacity"].sum()
    for s in axes.SECTORS:
        for r in axes.ROUTE_NAMES[s]:
            w = cap[(cap.sector == s) & (cap.route == r)].set_index("province")["capacity"]
            weighting = "route_capacity"
            if w.sum() <= 0:
                w = sect_cap.xs(s, level="sector")
                weighting = "sector_capacity"
            w = w.reindex(list(axes.PROVINCES)).fillna(0.0)
            for g in GROUPS:
                v = ig[(ig.sector == s) & (ig.route == r) & (ig.carrier_group == g)]
                x = v.set_index("province")["int0_pj_per_unit"].reindex(w.index).fillna(0.0)
                avg = float((x * w).sum() / w.sum())
                prov[(s, r, g)] = (x.to_numpy(), w.to_numpy())
                rows.append(dict(sector=s, route=r, carrier_group=g, avg_2019=avg,
                                 p10_2019=weighted_quantile(x.to_numpy(), w.to_numpy(),
                                                            BEST_PROVINCE_QUANTILE),
                                 weighting=weighting))
    return (pd.DataFrame(rows), prov) if provincial else pd.DataFrame(rows)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Smallest x whose cumulative weight share (x sorted ascending) reaches q; zero-weight
    provinces are ignored."""
    keep = w > 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order]) / w.sum()
    return float(x[order][np.searchsorted(cw, q)])


def physical_floors(avg: pd.DataFrame) -> dict[tuple[str, str, str], tuple[float, str, str, str]]:
    """(sector, route, group) -> (floor [PJ/Mt], basis, source, note) for the routes with a
    published benchmark or a physical minimum."""
    share = {(r.sector, r.route): None for r in avg.itertuples()}
    for (s, rt) in list(share):
        a = avg[(avg.sector == s) & (avg.route == rt)].set_index("carrier_group")["avg_2019"]
        share[(s, rt)] = a["electricity"] / (a["electricity"] + a["fuel"])
    out: dict[tuple[str, str, str], tuple[float, str, str, str]] = {}

    bfbof = _route_share_split(BF_BOF_KGCE * GJ_PER_KGCE, share[("iron_steel", "bf_bof")])
    note = (f"process sum {BF_BOF_KGCE:.1f} kgce/t crude steel = 0.90 t HM x (BF 361 + 1.2 t sinter "
            "x 43 + 0.25 t pellet x 15 + 0.35 t coke x 110) - 30 converter (0.90: below the national "
            "iron-to-steel ratio 0.917 of key enterprises in H1 2013, http://www.17ea.com/Macro/"
            "42367.html; 1.2/0.25/0.35: typical burden and coke rate, assumptions); rolling/finishing not "
            "benchmarked and left out (lower bound); split fuel/electricity by the route's 2019 "
            f"national electricity share in the base state ({share[('iron_steel', 'bf_bof')]:.3f})")
    for g in GROUPS:
        out[("iron_steel", "bf_bof", g)] = (bfbof[g], "benchmark",
                                            SRC_GB21256 + "; " + SRC_GB21342, note)
    eaf = _route_share_split(EAF_KGCE * GJ_PER_KGCE, share[("iron_steel", "scrap_eaf")])
    note = ("EAF process level 1 61 kgce/t (all scrap, carbon steel) = 1.79 GJ/t; rolling left out "
            "(lower bound); split by the route's 2019 national electricity share "
            f"({share[('iron_steel', 'scrap_eaf')]:.3f})")
    for g in GROUPS:
        out[("iron_steel", "scrap_eaf", g)] = (eaf[g], "benchmark", SRC_GB21256, note)
    out[("iron_steel", "h2_dri_eaf", "fuel")] = (
        H2_DRI_GJ, "thermodynamic", SRC_H2,
        "hydrogen needed to reduce hematite to iron, no heat or losses; the base state's route "
        "design (6.5 GJ H2 + 1.3 GJ gas and coal per t) is within 20 % of it")
    out[("iron_steel", "h2_dri_eaf", "electricity")] = (
        EAF_KGCE * GJ_PER_KGCE, "benchmark", SRC_GB21256,
        "EAF level 1 process energy 61 kgce/t counted as electricity (melting; DRI melting needs "
        "more than scrap, so a lower bound)")

    out[("nonferrous", "primary_al", "electricity")] = (
        AL_INGOT_KWH * GJ_PER_KWH, "benchmark", SRC_GB21346,
        "Al ingot comprehensive AC power level 1 13300 kWh/t = 47.9 GJ/t. The thermodynamic "
        "minimum of Hall-Heroult electrolysis (about 6.3-6.4 MWh/t, e.g. US DOE 2007 'U.S. Energy "
        "Requirements for Aluminum Production', https://www.energy.gov/eere/amo/downloads/"
        "us-energy-requirements-aluminum-production; not re-read here) is not binding")
    smelter_fuel_kgce = AL_INGOT_KGCE - AL_INGOT_KWH * KGCE_PER_KWH_CALORIFIC
    out[("nonferrous", "primary_al", "fuel")] = (
        (ALUMINA_KGCE * ALUMINA_PER_AL + smelter_fuel_kgce) * GJ_PER_KGCE, "benchmark", SRC_GB21346,
        f"Bayer alumina 340 kgce/t x {ALUMINA_PER_AL:.3f} t alumina/t Al (stoichiometric) + smelter "
        f"non-electric energy {smelter_fuel_kgce:.1f} kgce/t (ingot comprehensive 1670 - 13300 kWh x "
        "0.1229); anode carbon and non-aluminium metals carried by the route are not benchmarked")
    # Secondary aluminium and other non-ferrous electricity: the base state downscales the CEC
    # non-ferrous total with per-tonne proxies (0.34 and 3.0 MWh/t) scaled by one common factor, so
    # the provincial spread carries no information (P10 = average). The primary-aluminium benchmark
    # gap (13300 kWh/t vs the route's 2019 average) is applied to them instead: an assumption.
    a = avg.set_index(["sector", "route", "carrier_group"])["avg_2019"]
    gap = AL_INGOT_KWH * GJ_PER_KWH / a[("nonferrous", "primary_al", "electricity")]
    for rt in ("secondary_al", "other"):
        out[("nonferrous", rt, "electricity")] = (
            gap * a[("nonferrous", rt, "electricity")], "primary_al_benchmark_ratio",
            SRC_GB21346 + "; assumption: the ratio applied to a route without a benchmark",
            f"average x {gap:.3f} (primary_al electricity benchmark / its 2019 average); the "
            "base state's electricity of this route is a uniform per-tonne proxy, so the "
            "best-province method is uninformative (P10 = average)")
    out[("nonferrous", "secondary_al", "fuel")] = (
        AL_MELT_GJ, "thermodynamic", SRC_AL_MELT,
        "heat to melt scrap aluminium, no losses; no Chinese benchmark for secondary aluminium found")

    for rt in ("kiln", "kiln_efficient"):
        k = CLINKER_RATIO[rt]
        fuel = CLINKER_FUEL_KGCE * k * GJ_PER_KGCE
        elec = (CLINKER_KWH * k + GRINDING_KWH) * GJ_PER_KWH
        note = (f"per t cement at clinker ratio {k}: clinker coal 94 kgce/t x {k}; electricity "
                f"48 kWh/t clinker x {k} + 26 kWh/t grinding; glass, ceramics and other products that "
                "the sector carries per t cement are not benchmarked")
        out[("nonmetallic_minerals", rt, "fuel")] = (fuel, "benchmark", SRC_GB16780, note)
        out[("nonmetallic_minerals", rt, "electricity")] = (elec, "benchmark", SRC_GB16780, note)
    for g in GROUPS:
        f, b, src, note = out[("nonmetallic_minerals", "kiln_efficient", g)]
        out[("nonmetallic_minerals", "kiln_ccus", g)] = (
            f * CCUS_PENALTY[g], b, src,
            f"kiln_efficient floor x {CCUS_PENALTY[g]} (capture energy of the base state's route "
            "definition, README 'Route intensities'); " + note)
    return out


def build(base: Path = BASE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """floors.csv and floors_check.csv as DataFrames."""
    avg, x = national_averages(base, provincial=True)
    phys = physical_floors(avg)
    floors, check = [], []
    final = {}
    for r in avg.itertuples():
        key = (r.sector, r.route, r.carrier_group)
        final[key] = min(phys[key][0] if key in phys else r.p10_2019, r.avg_2019)
    below_share = {k: float(x[k][1][x[k][0] < final[k] - 1e-12].sum() / x[k][1].sum())
                   for k in final}
    for r in avg.itertuples():
        key = (r.sector, r.route, r.carrier_group)
        unit = ("PJ/Mt" if r.sector in axes.MATERIAL_SECTORS else "PJ per 1e9 CNY")
        if key in phys:
            value, basis, source, note = phys[key]
        else:
            value = r.p10_2019
            basis, source = "best_provinces", SRC_BEST
            note = (f"P10/average = {r.p10_2019 / r.avg_2019:.3f} (weights: {r.weighting}); "
                    "an assumption, not a benchmark")
        physical = value
        if value > r.avg_2019:
            value = r.avg_2019
            basis = basis + "_capped_at_2019_average"
            note = (f"physical floor {physical:.4g} is above the base state's 2019 average "
                    f"{r.avg_2019:.4g}: capped (no improvement in this group); " + note)
        ratio = physical / r.avg_2019 if r.avg_2019 > 0 else np.nan
        below = below_share.get(key, 0.0)
        status = ("above_average_capped" if physical > r.avg_2019
                  else "close" if ratio > 0.85 else "ok")
        floors.append(dict(sector=r.sector, route=r.route, carrier_group=r.carrier_group,
                           floor=round(value, 6), unit=unit, basis=basis, source=source, note=note))
        check.append(dict(sector=r.sector, route=r.route, carrier_group=r.carrier_group,
                          avg_2019=round(r.avg_2019, 6), physical_floor=round(physical, 6),
                          floor=round(value, 6), physical_to_avg=round(ratio, 4), status=status,
                          weight_share_below_floor=round(below, 4), weighting=r.weighting))
    return pd.DataFrame(floors), pd.DataFrame(check)


def main(argv=None) -> None:
    """Command line: write calibration/floors.csv and floors_check.csv and print the check."""
    floors, check = build()
    floors.to_csv(HERE / "floors.csv", index=False)
    check.to_csv(HERE / "floors_check.csv", index=False)
    with pd.option_context("display.width", 160, "display.max_rows", 100):
        print(check.drop(columns="weighting"))


if __name__ == "__main__":
    main()
