"""Observed activity 2020-2024 (calibration/history/activity_2020_2024.csv, sim.data.observed_activity)."""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.core import axes
from sim.data import observed_activity as oa
from sim.data.base_state import BASE_DIR, CALIBRATION_DIR

YEARS = (2019,) + oa.OBSERVED_YEARS
DATA = CALIBRATION_DIR.parent.parent / "shared" / "data"
FLAGS = {"reported", "repaired_ytd", "missing_partial_year", "missing_no_row", "derived",
         "above_size_industry", "all_industry", "secondary_industry", "gdp_differential"}


def _table_rows():
    with open(oa.TABLE, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _base_production() -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    with open(BASE_DIR / "production.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            k = (r["province"], r["sector"])
            out[k] = out.get(k, 0.0) + float(r["production"])
    return out


def _provincial_sum(series, year):
    return sum(v for p in axes.PROVINCES if math.isfinite(v := oa.value(p, series, year)))


# --- the committed table ---------------------------------------------------------------------------
def test_every_row_has_provenance_and_a_known_flag():
    rows = _table_rows()
    assert rows
    for r in rows:
        assert r["flag"] in FLAGS, r
        assert r["source"] and r["unit"], r
        assert (r["value"] == "") == r["flag"].startswith("missing"), r
    with open(CALIBRATION_DIR / "history" / "provenance.csv", newline="", encoding="utf-8") as fh:
        prov = [r for r in csv.DictReader(fh) if r["file"] == "activity_2020_2024.csv"]
    assert {r["quantity"] for r in prov} >= {"observed_activity", "va_index_2020_2024", "hot_metal_per_bof_steel"}


def test_coverage_every_province_and_year():
    for series, n in (("crude_steel_mt", 28), ("pig_iron_mt", 28), ("cement_mt", 31), ("va_index", 31),
                      ("plain_glass_mcases", 29), ("nonferrous_ten_kinds_mt", 28)):
        for y in YEARS:
            have = [p for p in axes.PROVINCES if math.isfinite(oa.value(p, series, y))]
            assert len(have) >= n - (series == "nonferrous_ten_kinds_mt" and y >= 2023) - (
                series == "plain_glass_mcases" and y == 2024), (series, y, len(have))


def test_spot_checks_equal_the_source_rows():
    # nbs_province_industrial_output_annual_2020_2024.csv: Anhui,Crude Steel,2024,3773.2700 (10000 t)
    assert oa.value("Anhui", "crude_steel_mt", 2024) == pytest.approx(37.7327, abs=1e-9)
    # Anhui,Cement,2024,12211.2812; nbs_province_industrial_output_annual.csv Anhui,Crude Steel,2019,3222.47
    assert oa.value("Anhui", "cement_mt", 2024) == pytest.approx(122.112812, abs=1e-9)
    assert oa.value("Anhui", "crude_steel_mt", 2019) == pytest.approx(32.2247, abs=1e-9)


def test_provincial_sums_against_national_series():
    # ../shared/data/README.md §2a: province sums 2024 crude steel 1005 Mt, cement 1825 Mt, pig iron 852 Mt
    assert _provincial_sum("crude_steel_mt", 2024) == pytest.approx(1005.1, abs=0.5)
    assert _provincial_sum("cement_mt", 2024) == pytest.approx(1825.2, abs=0.5)
    assert _provincial_sum("pig_iron_mt", 2024) == pytest.approx(851.7, abs=0.5)
    # 2019: the national NBS series of the source; cement agrees exactly, crude steel 1 % (unrevised
    # provincial monthly series, the reason base_2019 scales provinces by 0.990)
    assert _provincial_sum("cement_mt", 2019) == pytest.approx(oa.value("China", "cement_mt", 2019), rel=1e-4)
    assert _provincial_sum("crude_steel_mt", 2019) / oa.value("China", "crude_steel_mt", 2019) == pytest.approx(
        1.0101, abs=0.001)
    # 2020-2024 against the communiqués (first published): within 1 % every year, equal in 2023-2024
    for y in oa.OBSERVED_YEARS:
        for s in ("crude_steel", "cement"):
            nat = oa.value("China", f"{s}_communique_mt", y)
            assert _provincial_sum(f"{s}_mt", y) == pytest.approx(nat, rel=0.01), (s, y)
    assert _provincial_sum("crude_steel_mt", 2023) == pytest.approx(1019.1, abs=0.1)


@pytest.mark.skipif(not (DATA / "nbs" / "nbs_province_industrial_output_annual_2020_2024.csv").exists(),
                    reason="../shared/data not present")
def test_committed_table_equals_a_rebuild_from_the_source():
    import pandas as pd

    from calibration import history
    A = tomllib.loads((CALIBRATION_DIR / "assumptions.toml").read_text(encoding="utf-8"))
    fresh = history.observed_activity(DATA, A)
    committed = pd.read_csv(oa.TABLE, keep_default_na=False, na_values=[""])
    assert list(fresh.columns) == list(committed.columns)
    assert len(fresh) == len(committed)
    for c in ("province", "series", "unit", "flag", "source"):
        assert (fresh[c].astype(str).to_numpy() == committed[c].astype(str).to_numpy()).all(), c
    assert (fresh.year.to_numpy() == committed.year.to_numpy()).all()
    np.testing.assert_allclose(fresh.value.to_numpy(float), committed.value.to_numpy(float), rtol=1e-7,
                               equal_nan=True)


# --- gap handling ----------------------------------------------------------------------------------
def test_gap_repair_rule(tmp_path: Path):
    from calibration import history
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    head = "province,product,year,annual,unit,dec_ytd,last_month_reported,ytd_at_last_month\n"
    (nbs / "nbs_province_industrial_output_annual.csv").write_text(
        head + "Anhui,Cement,2019,100,10000 tons,100,12,100\n")
    (nbs / "nbs_province_industrial_output_annual_2020_2024.csv").write_text(
        head + "Anhui,Cement,2020,110,10000 tons,110,12,110\n"
        "Anhui,Cement,2021,,10000 tons,,9,90\n"       # 9 months: repaired x 12/9
        "Anhui,Cement,2022,,10000 tons,,8,80\n"       # 8 months: left missing
        "Anhui,Cement,2024,0,10000 tons,0,,\n")       # a reported zero; 2023 has no row
    rows = {(r[1], r[2]): r for r in history._product_rows(tmp_path, 9) if r[0] == "Anhui"}
    assert rows[("cement_mt", 2019)][3:6] == (1.0, "Mt", "reported")
    assert rows[("cement_mt", 2021)][3] == pytest.approx(1.2) and rows[("cement_mt", 2021)][5] == "repaired_ytd"
    assert math.isnan(rows[("cement_mt", 2022)][3]) and rows[("cement_mt", 2022)][5] == "missing_partial_year"
    assert math.isnan(rows[("cement_mt", 2023)][3]) and rows[("cement_mt", 2023)][5] == "missing_no_row"
    assert rows[("cement_mt", 2024)][3] == 0.0 and rows[("cement_mt", 2024)][5] == "reported"


def test_gaps_in_the_committed_table():
    t = oa._table()
    # Shanxi chemical fibres 2020: December missing, Jan-Sep 0.1114 x 10^4 t -> x 12/9
    v, flag = t[("Shanxi", "chemical_fibres_mt", 2020)]
    assert flag == "repaired_ytd" and v == pytest.approx(0.1114 * 12 / 9 * 0.01)
    # Hainan steel products 2024: only to May -> not repaired
    assert t[("Hainan", "steel_products_mt", 2024)][1] == "missing_partial_year"
    assert t[("Tianjin", "nonferrous_ten_kinds_mt", 2023)][1] == "missing_no_row"


def test_loader_falls_back_to_national_and_flags_it():
    idx, fb = oa.series_index("nonferrous_ten_kinds_mt", ["Tianjin", "Yunnan", "Shanghai"])
    nat = oa.national_index("nonferrous_ten_kinds_mt")
    j23 = oa.OBSERVED_YEARS.index(2023)
    assert fb[0, j23] and not fb[0, 0] and idx[0, j23] == nat[j23]       # Tianjin: no 2023 row
    assert not fb[1].any()
    assert idx[1, -1] == pytest.approx(oa.value("Yunnan", "nonferrous_ten_kinds_mt", 2024)
                                       / oa.value("Yunnan", "nonferrous_ten_kinds_mt", 2019))
    assert fb[2].all() and np.array_equal(idx[2], nat)                   # Shanghai: none at all
    a = oa.activity_index(["Beijing", "Anhui"], ["iron_steel", "chemicals"])
    assert a.fallback[0, 0].all() and not a.fallback[1].any()            # Beijing: no crude steel
    with pytest.raises(ValueError):
        oa.activity_index(years=[2025])


# --- the loader's indices --------------------------------------------------------------------------
def test_indices_reproduce_observed_steel_and_cement_within_2_percent():
    base = _base_production()
    a = oa.activity_index(sectors=["iron_steel", "nonmetallic_minerals"])
    for k, (sector, series) in enumerate((("iron_steel", "crude_steel_mt"), ("nonmetallic_minerals", "cement_mt"))):
        model_nat = np.zeros(len(a.years))
        for i, p in enumerate(a.provinces):
            model = base[(p, sector)] * a.index[i, k]
            model_nat += model
            if a.fallback[i, k].any():
                continue
            obs = np.array([oa.value(p, series, y) for y in a.years])
            np.testing.assert_allclose(model, obs, rtol=0.02, err_msg=f"{p} {sector}")
        obs_nat = np.array([_provincial_sum(series, y) for y in a.years])
        np.testing.assert_allclose(model_nat, obs_nat, rtol=0.02, err_msg=sector)
        com = np.array([oa.value("China", series.replace("_mt", "_communique_mt"), y) for y in a.years])
        np.testing.assert_allclose(model_nat, com, rtol=0.02, err_msg=sector)


def test_anhui_steel_2024():
    a = oa.activity_index(["Anhui"], ["iron_steel"], [2024])
    assert a.index[0, 0, 0] == pytest.approx(37.7327 / 32.2247)
    # the complaint: the national rate gave 33 Mt against 37.7 Mt observed
    assert _base_production()[("Anhui", "iron_steel")] * a.index[0, 0, 0] == pytest.approx(37.7327, rel=0.02)


def test_observed_growth_compounds_to_the_index():
    years = list(range(2019, 2031))
    provs, sects = list(axes.PROVINCES), list(axes.SECTORS)
    g, obs, fb = oa.observed_growth(provs, sects, years)
    assert g.shape == (len(provs), len(sects), len(years)) and fb.shape == g.shape
    assert obs.tolist() == [False] + [True] * 5 + [False] * 6
    assert not g[:, :, ~obs].any()
    a = oa.activity_index(provs, sects)
    level = np.cumprod(1.0 + g[:, :, 1:6], axis=2)
    ok = a.index > 0
    np.testing.assert_allclose(level[ok], a.index[ok], rtol=1e-12)
    # a model axis starting in 2020 has no observed step into its first year
    g2, obs2, _ = oa.observed_growth(provs[:2], sects, [2020, 2021, 2022])
    assert obs2.tolist() == [False, True, True]
    np.testing.assert_allclose(g2[:, :, 1], g[:2, :, 2])


def _growth_rows():
    import pandas as pd

    real = CALIBRATION_DIR / "real_growth"
    cited = pd.read_csv(real / "provincial_industry_va_growth.csv").dropna(subset=["growth_pct"])
    national = pd.read_csv(real / "national_industry_va_growth.csv").set_index("year").growth_pct
    gdp = pd.read_csv(real / "provincial_gdp_real_growth.csv")
    return cited, national, gdp


def test_va_index_chains_the_cited_real_growth():
    """va_index follows the cited figure where there is one: Shanxi 2021 +12.7 % (above-size,
    provincial statistics bureau), Inner Mongolia 2022 +8.1 %, Anhui 2024 +8.2 % (all industry),
    Beijing 2022 -11.4 % (secondary industry)."""
    t = oa._table()
    for p, y, g, flag in (("Shanxi", 2021, 12.7, "above_size_industry"), ("Inner Mongolia", 2022, 8.1, "above_size_industry"),
                          ("Anhui", 2024, 8.2, "all_industry"), ("Beijing", 2022, -11.4, "secondary_industry")):
        v, f = t[(p, "va_index", y)]
        assert f == flag, (p, y)
        assert v / t[(p, "va_index", y - 1)][0] == pytest.approx(1 + g / 100, rel=1e-9), (p, y)
    cited, _, _ = _growth_rows()
    flagged = {(p, y) for (p, s_, y), (_, f) in t.items() if s_ == "va_index" and f in
               ("above_size_industry", "all_industry", "secondary_industry")}
    assert flagged == set(zip(cited.province, cited.year))  # every cited figure, and only those
    for p in axes.PROVINCES:
        assert t[(p, "va_index", 2019)][0] == 1.0


def test_va_index_without_a_cited_figure_follows_the_gdp_rule():
    """national above-size growth + slope x (province's real GDP growth - the provinces' GDP-weighted
    mean), computed here from the source files by hand."""
    cited, national, gdp = _growth_rows()
    t = oa._table()
    slope = t[("China", "industry_gdp_differential_slope", 2019)][0]
    assert 1.2 < slope < 2.2  # industry swings more than GDP (Theil-Sen 1.58, 95 % band 1.21-2.00)
    g = gdp.pivot(index="province", columns="year", values="growth_pct")
    w = gdp.pivot(index="province", columns="year", values="gdp_nominal_1e8cny").shift(1, axis=1)
    for p, y in (("Shanghai", 2021), ("Jilin", 2022), ("Hainan", 2024), ("Guangxi", 2020)):
        assert t[(p, "va_index", y)][1] == "gdp_differential"
        mean = (g[y] * w[y]).sum() / w[y].sum()
        want = national[y] + slope * (g.loc[p, y] - mean)
        assert t[(p, "va_index", y)][0] / t[(p, "va_index", y - 1)][0] == pytest.approx(1 + want / 100, rel=1e-9)


def test_gdp_rule_beats_the_national_rate_on_the_cited_figures():
    """Where a province's industry growth is cited (above-size or all industry), the GDP rule is
    closer to it than the national rate: mean absolute error 1.3-1.6 points against 2.3."""
    cited, national, gdp = _growth_rows()
    from calibration import history
    d = history.gdp_differential()
    t = oa._table()
    slope = t[("China", "industry_gdp_differential_slope", 2019)][0]
    c = cited[~cited.indicator.str.startswith("secondary")]
    obs = c.growth_pct.to_numpy() - c.year.map(national).to_numpy()
    rule = np.array([slope * d.loc[p, y] for p, y in zip(c.province, c.year)])
    assert len(c) >= 40
    assert np.abs(obs - rule).mean() < 0.75 * np.abs(obs).mean()


def test_no_province_grows_15_points_above_the_national_index_2019_2022():
    """Issue #22: no value-added sector 15 points above the national real index over 2019-2022
    without a cited observation (the nominal-GDP driver gave Shanxi 1.73 and Inner Mongolia 1.53)."""
    a = oa.activity_index(sectors=list(axes.VA_SECTORS), years=[2022])
    nat = oa.national_index("va_index", [2022])[0]
    assert nat == pytest.approx(1.024 * 1.096 * 1.034, rel=1e-9)
    assert max(oa.value(p, "va_index", 2022) for p in axes.PROVINCES) <= nat + 0.15
    above = {(axes.PROVINCES[i], axes.VA_SECTORS[j]) for i, j in zip(*np.nonzero(a.index[:, :, 0] > nat + 0.15))}
    # the one exception (docs/calibration.md): Jiangxi's chemicals, whose fibre part (24 % of its
    # 2019 chemicals CO2) follows its NBS chemical fibres, 0.63 -> 1.25 Mt 2019-2022
    assert above == {("Jiangxi", "chemicals")}
    assert oa.value("Jiangxi", "chemical_fibres_mt", 2022) / oa.value("Jiangxi", "chemical_fibres_mt", 2019) > 1.9
    shanxi = a.index[axes.PROVINCES.index("Shanxi"), 0, 0]
    assert shanxi == pytest.approx(oa.value("Shanxi", "va_index", 2022))
    assert shanxi < 1.30  # cited 12.7 % (2021) and 8.0 % (2022); 2020 by the GDP rule


def test_small_base_follows_the_value_added_index():
    """Heilongjiang's ten non-ferrous metals grow 11x from 0.023 Mt: the sector follows its real
    value-added index instead (assumptions.toml [observed.small_base])."""
    a = oa.activity_index()
    k = axes.SECTORS.index("nonferrous")
    small = [axes.PROVINCES[i] for i in np.flatnonzero(a.small_base[:, k])]
    assert small == ["Hebei", "Heilongjiang", "Tianjin", "Tibet"]
    assert not a.small_base[:, [j for j in range(len(axes.SECTORS)) if j != k]].any()
    i = axes.PROVINCES.index("Heilongjiang")
    assert oa.value("Heilongjiang", "nonferrous_ten_kinds_mt", 2024) / oa.value(
        "Heilongjiang", "nonferrous_ten_kinds_mt", 2019) > 10
    np.testing.assert_allclose(a.index[i, k], [oa.value("Heilongjiang", "va_index", y) for y in oa.OBSERVED_YEARS])
    j = axes.PROVINCES.index("Yunnan")  # 4.05 Mt: its own output
    assert not a.small_base[j, k] and a.index[j, k, -1] == pytest.approx(
        oa.value("Yunnan", "nonferrous_ten_kinds_mt", 2024) / oa.value("Yunnan", "nonferrous_ten_kinds_mt", 2019))


def test_chemicals_split_off_its_fibre_part():
    """Chemicals = fibre share x NBS chemical fibres + the rest x the value-added index; the share
    is CEADs 'Chemical Fiber' over the province's chemicals CO2 in 2019 (Jiangsu 14 %, Zhejiang
    14 %, Jiangxi 24 %; none in Shanxi)."""
    w = oa.fibre_share()
    share = dict(zip(axes.PROVINCES, w))
    assert 0.10 < share["Zhejiang"] < 0.2 and 0.10 < share["Jiangsu"] < 0.2 and share["Shanxi"] == 0.0
    assert ((w >= 0) & (w < 0.5)).all()
    a = oa.activity_index(["Zhejiang", "Shanxi"], ["chemicals", "machinery"])
    fib, _ = oa.series_index("chemical_fibres_mt", ["Zhejiang"])
    va = [oa.value("Zhejiang", "va_index", y) for y in oa.OBSERVED_YEARS]
    np.testing.assert_allclose(a.index[0, 0], share["Zhejiang"] * fib[0] + (1 - share["Zhejiang"]) * np.array(va))
    np.testing.assert_allclose(a.index[1, 0], a.index[1, 1])  # no fibres: the value-added index


def test_cement_energy_share_from_clinker_and_the_sector_energy():
    """w_p = min(1, (clinker x q + cement x e) / E_p) from calibration/history/sector_structure.csv,
    recomputed by hand for Inner Mongolia and Anhui; the clinker fuel intensity moves it."""
    rows = {(int(r["year"]), r["province"]): r for r in csv.DictReader(open(oa.STRUCTURE_TABLE, encoding="utf-8"))}
    for p in ("Inner Mongolia", "Yunnan", "Anhui"):
        r = rows[(2019, p)]
        want = min(1.0, (float(r["clinker_mt"]) * 3.5 + float(r["cement_mt"]) * oa.CEMENT_ELECTRICITY)
                   / float(r["nonmetallic_energy_pj"]))
        assert oa.cement_energy_share([p])[0] == pytest.approx(want)
    w = oa.cement_energy_share(clinker_fuel_intensity=np.array([3.0, 4.0]))
    assert w.shape == (2, len(axes.PROVINCES)) and (w[0] <= w[1]).all() and (w <= 1).all()
    im = axes.PROVINCES.index("Inner Mongolia")
    assert w[0, im] < w[1, im] < 0.5  # CEADs records far more energy than its kilns need
    # clinker implied by process CO2: CEADs' about 0.29 t CO2 per t cement / 0.52 per t clinker
    r = rows[(2019, "Anhui")]
    assert float(r["clinker_mt"]) / float(r["cement_mt"]) == pytest.approx(0.29 / 0.52, rel=0.03)


# --- steel route split -----------------------------------------------------------------------------
def test_pig_iron_break_only_jiangsu():
    rows = [r for r in _table_rows() if r["series"] == "pig_iron_comparable_mt"]
    assert [(r["province"], r["year"]) for r in rows] == [("Jiangsu", "2019")]
    r20 = oa.value("Jiangsu", "pig_iron_mt", 2020) / oa.value("Jiangsu", "crude_steel_mt", 2020)
    assert oa.pig_iron("Jiangsu", 2019) == pytest.approx(oa.value("Jiangsu", "crude_steel_mt", 2019) * r20)
    assert oa.pig_iron("Jiangsu", 2020) == oa.value("Jiangsu", "pig_iron_mt", 2020)
    assert oa.pig_iron("Anhui", 2019) == oa.value("Anhui", "pig_iron_mt", 2019)


def test_hot_metal_ratio_is_physical():
    # BF-BOF hot-metal charge per t of BOF steel: 0.85-0.95 t/t (the rest is scrap and losses)
    assert 0.85 <= oa.hot_metal_ratio() <= 0.95


def test_eaf_estimate_2019_against_the_base_state():
    with open(BASE_DIR / "province_activity.csv", newline="", encoding="utf-8") as fh:
        pa = {r["province"]: r for r in csv.DictReader(fh)}
    eaf, crude = oa.eaf_estimate(years=[2019])
    base_share = np.array([float(pa[p]["eaf_mt"]) / float(pa[p]["crude_steel_model_mt"])
                           if float(pa[p]["crude_steel_model_mt"]) > 0 else 0.0 for p in axes.PROVINCES])
    nat_base = sum(float(r["eaf_mt"]) for r in pa.values()) / sum(float(r["crude_steel_model_mt"]) for r in pa.values())
    # national: h is solved for it, so only the bisection and the row rounding separate them
    assert np.nansum(eaf) / np.nansum(crude) == pytest.approx(nat_base, abs=1e-4)
    # per province the two estimates (GEM EAF capacity x common utilisation vs pig-iron balance)
    # disagree; the crude-steel-weighted mean |difference| is 4.7 pp in 2019 (README; 7.9 pp if
    # Jiangsu's broken 2019 pig iron were used). Guard it at 6 pp.
    ok = np.nan_to_num(crude[:, 0]) > 0
    w = crude[ok, 0]
    diff = np.abs(eaf[ok, 0] / w - base_share[ok])
    assert (diff * w).sum() / w.sum() < 0.06
    # Jiangsu, the second producer, agrees within 2 pp once its pig iron is on the 2020 basis
    j = axes.PROVINCES.index("Jiangsu")
    assert abs(eaf[j, 0] / crude[j, 0] - base_share[j]) < 0.02
    # the delta form keeps the base state's 2019 split exactly
    share, fb = oa.eaf_share(years=[2019], base_share=base_share)
    np.testing.assert_allclose(share[ok, 0], base_share[ok], atol=1e-12)
    s, _ = oa.eaf_share(years=list(oa.OBSERVED_YEARS), base_share=base_share)
    assert ((s >= 0) & (s <= 1)).all()


def test_2019_bases_agree_with_the_base_state():
    """Every index has its 2019 base in the source rows; check them against calibration/base_2019."""
    with open(BASE_DIR / "province_activity.csv", newline="", encoding="utf-8") as fh:
        pa = {r["province"]: {k: float(v) for k, v in r.items() if k != "province"} for r in csv.DictReader(fh)}
    steel, nonf = [], []
    for p in axes.PROVINCES:
        c = oa.value(p, "crude_steel_mt", 2019)
        if c > 0:
            steel.append(pa[p]["crude_steel_nbs_mt"] / c)
        assert pa[p]["cement_mt"] == pytest.approx(oa.value(p, "cement_mt", 2019), rel=1e-7), p
        t = oa.value(p, "nonferrous_ten_kinds_mt", 2019)
        if t > 0:
            nonf.append((pa[p]["primary_al_mt"] + pa[p]["other_nonferrous_mt"]) / t)
    # base_2019 scales the unrevised provincial crude steel uniformly to the national 996.3 Mt
    assert max(steel) - min(steel) < 1e-6 and np.mean(steel) == pytest.approx(0.990, abs=0.001)
    np.testing.assert_allclose(nonf, 1.0, rtol=1e-6)
    with open(BASE_DIR / "value_added.csv", newline="", encoding="utf-8") as fh:
        va = {r["province"]: r for r in csv.DictReader(fh)}
    for p in axes.PROVINCES:
        if va[p]["industrial_va_source"] == "NBS":
            assert float(va[p]["industrial_va_1e8cny"]) == pytest.approx(
                oa.value(p, "industry_va_nominal", 2019), rel=1e-7), p


# --- the model driven by the observations (issue #12 item 1) -----------------------------------
@pytest.fixture(scope="module")
def baseline_run():
    from sim.model import run as model
    from sim.scenario import load_scenario

    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml")
    return model.run(model.prepare(sc, members=4))


def _output_rows(series: str) -> dict[tuple[str, int], tuple[float, str]]:
    with open(Path(__file__).resolve().parents[2] / "calibration" / "history"
              / "activity_2020_2024.csv", newline="", encoding="utf-8") as f:
        return {(r["province"], int(r["year"])): (float(r["value"]), r["flag"])
                for r in csv.DictReader(f) if r["series"] == series and r["value"] != ""}


@pytest.mark.parametrize("sector, series, national", [
    ("iron_steel", "crude_steel_mt", "crude_steel_communique_mt"),
    ("nonmetallic_minerals", "cement_mt", "cement_communique_mt"),
])
def test_baseline_reproduces_observed_steel_and_cement_2020_2024_within_2_percent(
        baseline_run, sector, series, national):
    """Every member, every province with its own reported output, and the nation (NBS
    communiqué), 2020-2024: modelled production within 2 % of the statistics (rows read from the
    committed table, not through the loader)."""
    rows, nat = _output_rows(series), _output_rows(national)
    prod = baseline_run["production"].sel(route=list(axes.ROUTE_NAMES[sector])).sum("route")
    checked = 0
    for year in range(2020, 2025):
        model_nat = prod.sel(year=year).sum("province").values
        np.testing.assert_allclose(model_nat, nat[("China", year)][0], rtol=0.02)
        for p in baseline_run["province"].values:
            value, flag = rows.get((str(p), year), (None, None))
            base = rows.get((str(p), 2019), (0.0, None))[0]
            if flag != "reported" or value < 0.5 or base < 0.5:
                continue  # national fallback or a province that barely makes the product
            np.testing.assert_allclose(prod.sel(province=p, year=year).values, value, rtol=0.02,
                                       err_msg=f"{sector} {p} {year}")
            checked += 1
    assert checked > 20 * 5  # most provinces, every year


def test_national_cement_energy_share_is_the_energy_weighted_provincial_share():
    """0.85 in 2019 (an assumed 0.7 before issue #22): the provinces' shares weighted by the sector's
    energy in calibration/history/sector_structure.csv, recomputed by hand."""
    rows = [r for r in csv.DictReader(open(oa.STRUCTURE_TABLE, encoding="utf-8")) if r["year"] == "2019"]
    num = den = 0.0
    for r in rows:
        if r["nonmetallic_energy_pj"]:
            e = float(r["nonmetallic_energy_pj"])
            num += oa.cement_energy_share([r["province"]])[0] * e
            den += e
    assert oa.CEMENT_ENERGY_SHARE == pytest.approx(num / den)
    assert 0.8 < oa.CEMENT_ENERGY_SHARE < 0.9
