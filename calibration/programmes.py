"""Historical capacity-closure programmes 2010-2019 and the phase-out rates they imply (issue #12 §3).

Usage: python -m calibration.programmes [--data ../shared/data]

Writes ``calibration/programmes.csv`` (sector, period, measure, amount, unit, source, note): the
documented national (and Hebei) figures of the closure of backward capacity (淘汰落后产能, MIIT / NEA
annual announcements of completion, 2010-2015) and of the 2016-2018 steel de-capacity (化解过剩产能),
and ``calibration/programme_rates.csv``: per sector and year the closure as a share of the sector's
calibrated capacity (base_2010 for 2010-2014, base_2015 for 2015-2019) and the value the model's
``phase_out`` lever would take.

Two rates, because the lever is not a share of the whole sector: kernels/SPEC.md step 5 retires
``phase_out x cap[oldest age stage]`` in addition to normal retirement, so

* ``share_of_capacity`` = closure / sector capacity [yr-1], and
* ``phase_out_lever`` = closure / capacity of the oldest age stage [yr-1] (the lever's value).

Coal and power are out of scope. Only this build script reads ../shared/data (national paper output,
for the paper sector whose model capacity is in value added).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"

# --- sources (URLs as the search results gave them) -------------------------------------------
S2010 = ("MIIT & NEA announcement of 2010 completion (Nov 2011), via Xinhua: "
         "https://www.yybnet.net/news/china/201111/4955806.html and "
         "http://driinfo.com/show.php?contentid=70110 (steelmaking 1185.7, ironmaking 4099.6 x10^4 t; "
         "cement 14031 x10^4 t)")
S2011 = ("MIIT & NEA announcement 2012 No. 62 (2012-12-17), 2011 completion: "
         "https://nengyuanjie.net/show-61-21116-1.html")
S2012 = ("MIIT & NEA announcement of 2012 completion (2013-12-06), via Xinhua: "
         "http://nakedoat.com/govweb/jrzg/2013-12/06/content_2543667.htm")
S2013 = ("MIIT & NEA announcement of 2013 completion (2014-12), via "
         "http://m.dhbuy366.com/news/sycnews/hongguan/141212/82271.html")
S2014 = ("MIIT & NEA announcement of 2014 completion (2015-11-24), via China News: "
         "https://business.sohu.com/20151124/n427925794.shtml")
S2015 = ("MIIT & NEA announcement 2016 No. 50 (2016-09-19), 2015 completion: "
         "http://jjwj56.com/html/zcyzx/gsgg/2016/794.html")
S12FYP = ("MIIT targets for the 12th Five-Year Plan (Dec 2011) and State Council Air Pollution "
          "Action Plan (2013-09-12, extra 15 Mt iron and steel, 100 Mt cement in 2015): "
          "http://www.zjyj-rhy.com/show.php?contentid=43843")
S1014 = ("MIIT (Xin Renzhou, 2015 China Steel Planning Forum): 2010-2014 eliminated 120 Mt ironmaking "
         "and 90 Mt steelmaking capacity: https://finance.stockstar.com/SS2015033000002120.shtml")
S1617 = ("Kallanish 2018-03: 2016-2017 cut more than 115 Mt/yr of registered steel capacity, 35 Mt "
         "left of the 150 Mt target, 2018 target 30 Mt: https://kallanish.com/en/news/steel/"
         "market-reports/article-details/china-plans-30m-ty-steel-cuts-2018-0318")
S2017 = ("Xinhua via yejinzg.com: steel capacity cut by more than 50 Mt in 2017 (target about 50 Mt): "
         "http://yejinzg.com/show/189_565537_1.html; 2017 target: Government Work Report 2017, "
         "http://cn.chinagate.cn/news/2017-03/05/content_40412861.htm")
S2016T = ("2016 target 45 Mt; 26 provinces reported 72.71 Mt steelmaking capacity withdrawn in 2016: "
          "http://m.lksmqw.cn/news/26414.html")
S1520 = ("seed 002 (MIIT 14th FYP Industrial Green Development Plan, 2021): 钢铁行业提前完成1.5亿吨去产能目标; "
         "MIIT 2016 Steel Industry Adjustment and Upgrading Plan: net cut 100-150 Mt by 2020, "
         "https://www.gov.cn/xinwen/2016-11/15/content_5132510.htm; Reuters 2018-02-07: MIIT aims to "
         "meet the 150 Mt 2020 target in 2018, https://in.reuters.com/article/china-steel/"
         "china-aims-to-meet-2020-target-for-steel-capacity-cuts-this-year-ministry-idINKBN1FR10Z")
S1317 = ("Government Work Report 2018 (Li Keqiang, 2018-03-05): 退出钢铁产能1.7亿吨以上 over five years "
         "(2013-2017): https://www.jiemian.com/article/1969900.html")
SHEB1317 = ("Hebei Government Work Report 2018 via driinfo.com (2018-05-23): '6643' programme "
            "2013-2017 achieved steelmaking 6993, ironmaking 6442, cement 7057 x10^4 t, flat glass "
            "7173 x10^4 weight cases: http://driinfo.com/show.php?contentid=370520")
SHEB2016 = ("Hebei delegation, NPC 2017, via China Energy News: 2016 Hebei cut steelmaking 1624, "
            "ironmaking 1761, cement 286 x10^4 t, flat glass 2189 x10^4 weight cases: "
            "http://sskyn.com/forum.php?action=printable&mod=viewthread&tid=47787")
SHEB0812 = ("Hebei governor Zhang Qingwei, NPC 2013: five years (2008-2012) Hebei eliminated "
            "ironmaking 4892 and steelmaking 3496 x10^4 t (41.8 % and 44.8 % of the national "
            "total): http://cs623.com/22/20130311/2201_1138178.shtml")
SAH2014 = ("MIIT & NEA 2015-11-24: Anhui's steel sector did not complete its 2014 task (no Anhui "
           "figures given): https://business.sohu.com/20151124/n427925794.shtml")

# (sector, period, measure, amount, unit, source, note); amounts in the unit given.
# National annual completions, 10^4 t converted to Mt (x 0.01) and 10^4 weight cases to M cases.
ANNUAL = {
    # year: (source, steelmaking, ironmaking, cement, flat glass, e-aluminium, copper, lead, zinc,
    #        paper)
    2010: (S2010, 11.857, 40.996, 140.31, None, None, None, None, None, None),
    2011: (S2011, 28.46, 31.92, 154.97, 30.41, 0.639, 0.425, 0.661, 0.338, 8.311),
    2012: (S2012, 9.37, 10.78, 258.29, 58.56, 0.27, 0.758, 1.34, 0.329, 10.57),
    2013: (S2013, 8.84, 6.18, 105.78, 28.00, 0.27, 0.86, 0.96, 0.19, 8.31),
    2014: (S2014, 31.13, 28.23, 87.73, 37.60, 0.51, 0.76, 0.36, None, 5.47),
    2015: (S2015, 17.06, 13.78, 49.74, 14.29, 0.362, 0.079, 0.493, None, 1.67),
}
MEASURES = (("iron_steel", "steelmaking capacity closed", "Mt"),
            ("iron_steel", "ironmaking capacity closed", "Mt"),
            ("nonmetallic_minerals", "cement capacity closed (clinker and grinding)", "Mt"),
            ("nonmetallic_minerals", "flat glass capacity closed", "M weight cases"),
            ("nonferrous", "electrolytic aluminium capacity closed", "Mt"),
            ("nonferrous", "copper smelting capacity closed", "Mt"),
            ("nonferrous", "lead smelting capacity closed", "Mt"),
            ("nonferrous", "zinc smelting capacity closed", "Mt"),
            ("paper", "paper capacity closed", "Mt"))

OTHER_ROWS = [
    ("iron_steel", "2016", "steelmaking capacity cut (de-capacity)", 65.0, "Mt",
     S1617 + "; " + S2017 + "; " + S2016T,
     "derived: more than 115 Mt in 2016-2017 minus more than 50 Mt in 2017 (the widely reported "
     "'more than 65 Mt'); the target was 45 Mt"),
    ("iron_steel", "2017", "steelmaking capacity cut (de-capacity)", 50.0, "Mt", S2017,
     "'more than 50 Mt' (a lower bound); about 140 Mt of illegal induction-furnace ('地条钢') "
     "capacity was also removed in 2017 (Kallanish) and is not counted: it was outside the "
     "registered capacity and outside the statistics"),
    ("iron_steel", "2018", "steelmaking capacity cut (de-capacity)", 35.0, "Mt", S1617 + "; " + S1520,
     "the remainder of the 150 Mt target (target 30 Mt); seed 002 says the 150 Mt were achieved "
     "ahead of 2020"),
    ("iron_steel", "2016-2020", "steelmaking capacity cut, programme total", 150.0, "Mt", S1520,
     "target 100-150 Mt (2016 plan), achieved 150 Mt by 2018"),
    ("iron_steel", "2010-2014", "steelmaking capacity closed, reported total", 90.0, "Mt", S1014,
     "cross-check of the annual announcements"),
    ("iron_steel", "2013-2017", "steel capacity withdrawn, reported total", 170.0, "Mt", S1317,
     "'more than 170 Mt'; cross-check (lower bound)"),
    ("iron_steel", "2011-2015", "steelmaking capacity closure target", 63.0, "Mt", S12FYP,
     "48 Mt 12th FYP target + 15 Mt extra for 2015 (2013 Air Pollution Action Plan)"),
    ("nonmetallic_minerals", "2011-2015", "cement capacity closure target", 370.0, "Mt", S12FYP,
     "clinker and grinding capacity; the 2013 plan added 100 Mt for 2015"),
    ("nonmetallic_minerals", "2011-2015", "flat glass closure target", 90.0, "M weight cases", S12FYP,
     "the 2013 plan added 20 M weight cases for 2015"),
    ("nonferrous", "2011-2015", "electrolytic aluminium closure target", 0.9, "Mt", S12FYP, ""),
    ("paper", "2011-2015", "paper closure target", 15.0, "Mt", S12FYP, ""),
    ("iron_steel@Hebei", "2013-2017", "steelmaking capacity cut ('6643' programme)", 69.93, "Mt",
     SHEB1317, "programme target 60 Mt of steel capacity by 2017"),
    ("iron_steel@Hebei", "2013-2017", "ironmaking capacity cut ('6643' programme)", 64.42, "Mt",
     SHEB1317, ""),
    ("nonmetallic_minerals@Hebei", "2013-2017", "cement capacity cut ('6643' programme)", 70.57, "Mt",
     SHEB1317, "programme target 61 Mt"),
    ("nonmetallic_minerals@Hebei", "2013-2017", "flat glass capacity cut ('6643' programme)", 71.73,
     "M weight cases", SHEB1317, "programme target 36 M weight cases"),
    ("iron_steel@Hebei", "2016", "steelmaking capacity cut", 16.24, "Mt", SHEB2016, ""),
    ("nonmetallic_minerals@Hebei", "2016", "cement capacity cut", 2.86, "Mt", SHEB2016, ""),
    ("iron_steel@Hebei", "2008-2012", "steelmaking capacity closed", 34.96, "Mt", SHEB0812,
     "44.8 % of the national total of those years"),
    ("iron_steel@Anhui", "2014", "steel closure task not completed", 0.0, "Mt", SAH2014,
     "no Anhui programme figures were found; amount 0 = no figure, not 'no closure'"),
]

RATE_MEASURES = {
    "iron_steel": ("steelmaking capacity closed", "steelmaking capacity cut (de-capacity)"),
    "nonmetallic_minerals": ("cement capacity closed (clinker and grinding)",),
    "nonferrous": ("electrolytic aluminium capacity closed", "copper smelting capacity closed",
                   "lead smelting capacity closed", "zinc smelting capacity closed"),
    "paper": ("paper capacity closed",),
}
"""Measures that remove capacity of the model's activity unit (crude steel, cement, non-ferrous
metal, paper). Ironmaking is not added to steelmaking (the same plants); flat glass, carbide and
the like have no capacity in the model's units and get no rate."""


def programme_rows() -> pd.DataFrame:
    """The documented closure programmes as rows (sector, period, measure, amount [Mt], unit,
    source, note)."""
    rows = []
    for year, (src, *vals) in ANNUAL.items():
        for (sector, measure, unit), v in zip(MEASURES, vals):
            if v is not None:
                rows.append((sector, str(year), measure, v, unit, src, "annual completion"))
    rows += OTHER_ROWS
    return pd.DataFrame(rows, columns=["sector", "period", "measure", "amount", "unit", "source",
                                       "note"])


def capacities(year: int, province: str | None = None) -> pd.DataFrame:
    """Sector capacity and its oldest age stage of base_<year> [activity unit yr-1]."""
    c = pd.read_csv(HERE / f"base_{year}" / "capacity.csv")
    if province:
        c = c[c.province == province]
    k_last = c.age_stage.max()
    return pd.DataFrame({"capacity": c.groupby("sector").capacity.sum(),
                         "oldest": c[c.age_stage == k_last].groupby("sector").capacity.sum()})


def paper_capacity_mt(data: Path, year: int) -> float:
    """National paper capacity [Mt yr-1] = NBS machine-made paper and paperboard output / the base
    state's paper utilisation (0.77)."""
    nbs = pd.read_csv(data / "nbs" / "nbs_national_industrial_output_annual.csv")
    out = nbs[(nbs["product"] == "Machine-made Paper and Paperboards") & (nbs.year == year)]
    util = pd.read_csv(HERE / f"base_{year}" / "utilisation.csv")
    return float(out.annual.iloc[0]) * 0.01 / float(util[util.sector == "paper"].utilisation.mean())


def rates(prog: pd.DataFrame, data: Path) -> pd.DataFrame:
    """Closure per sector and year [Mt] as a share of the calibrated capacity [yr-1] and as the
    ``phase_out`` lever's value (share of the oldest age stage) [yr-1], national and Hebei."""
    annual = prog[prog.period.str.fullmatch(r"\d{4}") & ~prog.sector.str.contains("@")]
    rows = []
    for year in range(2010, 2020):
        base = 2010 if year < 2015 else 2015
        cap = capacities(base)
        for sector, measures in RATE_MEASURES.items():
            sel = annual[(annual.sector == sector) & (annual.period == str(year))
                         & annual.measure.isin(measures)]
            if sel.empty:
                continue
            closed = float(sel.amount.sum())
            if sector == "paper":
                total = paper_capacity_mt(data, base)
                oldest = total * cap.loc["paper", "oldest"] / cap.loc["paper", "capacity"]
                cap_note = f"NBS paper output {base} / utilisation 0.77 (model capacity is VA)"
            else:
                total, oldest = cap.loc[sector, "capacity"], cap.loc[sector, "oldest"]
                cap_note = f"calibration/base_{base}/capacity.csv"
            rows.append(dict(sector=sector, province="China", year=year, closed=round(closed, 4),
                             unit="Mt", capacity=round(total, 3), capacity_basis=cap_note,
                             share_of_capacity=round(closed / total, 5),
                             phase_out_lever=round(min(1.0, closed / oldest), 5),
                             measures="; ".join(sel.measure)))
    # Hebei: programme averages spread evenly over the years of the period.
    heb = prog[prog.sector.isin(["iron_steel@Hebei", "nonmetallic_minerals@Hebei"])
               & prog.measure.str.contains("steelmaking|cement")]
    for r in heb.itertuples():
        a, b = (int(x) for x in (r.period.split("-") * 2)[:2])
        if a < 2010:
            continue
        sector = r.sector.split("@")[0]
        n = b - a + 1
        # an annual figure inside the period replaces that year's share of the period total
        same = heb[(heb.sector == r.sector) & (heb.period.str.fullmatch(r"\d{4}"))]
        inside = same[same.period.astype(int).between(a, b)] if n > 1 else same.iloc[0:0]
        rest = (r.amount - inside.amount.sum()) / (n - len(inside)) if n > 1 else r.amount
        for year in range(a, b + 1):
            if n > 1 and (inside.period == str(year)).any():
                continue
            cap = capacities(2010 if year < 2015 else 2015, "Hebei")
            closed = rest
            rows.append(dict(sector=sector, province="Hebei", year=year, closed=round(closed, 4),
                             unit="Mt", capacity=round(cap.loc[sector, "capacity"], 3),
                             capacity_basis="Hebei in calibration/base_"
                             f"{2010 if year < 2015 else 2015}/capacity.csv",
                             share_of_capacity=round(closed / cap.loc[sector, "capacity"], 5),
                             phase_out_lever=round(min(1.0, closed / cap.loc[sector, "oldest"]), 5),
                             measures=r.measure + (f" ({r.period} total less the annual figures, "
                                                   "spread evenly)" if n > 1 else "")))
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    """Command line: write calibration/programmes.csv and programme_rates.csv."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)
    prog = programme_rows()
    prog.to_csv(HERE / "programmes.csv", index=False)
    rt = rates(prog, args.data)
    rt.to_csv(HERE / "programme_rates.csv", index=False)
    with pd.option_context("display.width", 160, "display.max_rows", 100):
        print(rt.drop(columns=["capacity_basis", "measures"]))


if __name__ == "__main__":
    main()
