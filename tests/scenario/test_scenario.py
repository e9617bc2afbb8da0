"""Scenario loading, lever resolution, validation messages and Latin-hypercube sampling."""

from pathlib import Path

import numpy as np
import pytest

from sim.core import axes
from sim.core.levers import LEVERS, lever_array
from sim.scenario import ScenarioError, load_scenario, validate
from sim.scenario.uncertainty import PARAMETERS, UncertaintySpec, make_distribution, sample

SCEN = Path(__file__).resolve().parents[2] / "scenarios"
CATALOGUE = (SCEN / "targets" / "national.toml").read_text(encoding="utf-8")

HEAD = """
[scenario]
name = "t"
provinces = ["Anhui", "Hebei"]
members = 10
seed = 3
"""


def write(tmp_path, body, head=HEAD, name="anhui.toml"):
    p = tmp_path / name
    p.write_text(head + body, encoding="utf-8")
    return p


def error(tmp_path, body, head=HEAD, name="anhui.toml"):
    with pytest.raises(ScenarioError) as e:
        load_scenario(write(tmp_path, body, head, name))
    return str(e.value)


# --- the shipped scenarios ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["anhui", "national", "baseline"])
def test_shipped_scenarios_load(name):
    sc = validate(SCEN / f"{name}.toml")
    assert sc.years[0] == axes.BASE_YEAR and sc.years[-1] == axes.END_YEAR
    assert sc.members == 1000 and sc.targets
    assert set(sc.uncertainty.names()) == set(PARAMETERS)
    assert all(a.status == "not simulated" for a in sc.administrative)
    assert sc.text.startswith("#") and sc.path.name == f"{name}.toml"
    for t in sc.targets:
        assert t.source and t.scope_note and set(t.provinces) <= set(sc.provinces)
    for lv in LEVERS:
        arr = lever_array(lv, sc, sc.provinces, axes.SECTORS, sc.years)
        assert np.all(arr >= LEVERS[lv].low) and np.all(arr <= LEVERS[lv].high)


def test_anhui_targets_and_national_coverage():
    a = load_scenario(SCEN / "anhui.toml")
    assert a.provinces == ("Anhui",)
    assert "industry_peak_2030_province:Anhui" in [t.id for t in a.targets]
    n = load_scenario(SCEN / "national.toml")
    ids = {t.id for t in n.targets}
    for tid in ("industry_peak_2030", "post_peak_decline_2035", "co2_intensity_2025", "energy_intensity_2025",
                "eaf_share_2030", "al_renewable_2030", "recycled_resources_2025", "recycled_resources_2025_s2",
                "recycled_resources_2030", "solid_waste_2025", "solid_waste_2030", "green_factory_2030",
                "water_intensity_2025", "pollutant_intensity_2025", "refining_cap_2025", "coal_cut_2025_jjj",
                "coal_cut_2025_yrd", "coal_cut_2025_fenwei"):
        assert tid in ids
    assert sum(t.id.startswith("industry_peak_2030_province:") for t in n.targets) == 31
    fen = next(t for t in n.targets if t.id == "coal_cut_2025_fenwei")
    assert fen.provinces == ("Henan", "Shaanxi", "Shanxi")
    b = load_scenario(SCEN / "baseline.toml")
    assert b.levers == {}


# --- lever interpolation and overrides ----------------------------------------------------------
LEVER_BODY = """
[levers.eaf_share]
2020 = 0.1
2024 = 0.3
2030 = 0.5
[levers.eaf_share.province.Hebei]
interpolation = "step"
2022 = 0.2
2026 = 0.4
[levers.capacity_replacement_ratio.sector.iron_steel]
2021 = 1.0
2023 = 0.5
[levers.capacity_replacement_ratio.province.Hebei.sector.iron_steel]
2022 = 0.0
"""


def test_linear_and_step_interpolation(tmp_path):
    sc = load_scenario(write(tmp_path, LEVER_BODY))
    a = sc.lever_array("eaf_share")
    s = axes.SECTORS.index("iron_steel")
    yrs = np.array(sc.years)
    anhui = a[sc.provinces.index("Anhui"), s]
    # default before the first point, linear between, last value after
    expect = {2019: 0.0, 2020: 0.1, 2021: 0.15, 2022: 0.2, 2024: 0.3, 2027: 0.4, 2030: 0.5, 2035: 0.5}
    for y, v in expect.items():
        assert anhui[yrs == y][0] == pytest.approx(v)
    hebei = a[sc.provinces.index("Hebei"), s]
    # before Hebei's first point the lever's own trajectory holds; then step
    expect = {2020: 0.1, 2021: 0.15, 2022: 0.2, 2025: 0.2, 2026: 0.4, 2035: 0.4}
    for y, v in expect.items():
        assert hebei[yrs == y][0] == pytest.approx(v)
    # the lever does not apply to other sectors: default there
    assert np.all(a[:, axes.SECTORS.index("chemicals")] == 0.0)


def test_overrides_precedence_and_infinite_default(tmp_path):
    sc = load_scenario(write(tmp_path, LEVER_BODY))
    r = sc.lever_array("capacity_replacement_ratio")
    s = axes.SECTORS.index("iron_steel")
    yrs = list(sc.years)
    an, he = sc.provinces.index("Anhui"), sc.provinces.index("Hebei")
    assert np.isinf(r[an, s, yrs.index(2020)])
    assert r[an, s, yrs.index(2022)] == pytest.approx(0.75)
    assert r[an, s, yrs.index(2030)] == pytest.approx(0.5)
    assert r[he, s, yrs.index(2021)] == pytest.approx(1.0)  # sector level before Hebei's first point
    assert r[he, s, yrs.index(2022)] == 0.0
    assert np.all(np.isinf(r[:, axes.SECTORS.index("paper")]))
    m = sc.lever_array("scrap_market")
    assert m.shape == (len(sc.years),) and np.all(m == LEVERS["scrap_market"].default)


def test_growth_defaults_and_override(tmp_path):
    body = """
[growth.sector.iron_steel]
2026 = -0.05
[growth.province.Hebei.sector.iron_steel]
interpolation = "step"
2030 = -0.1
"""
    sc = load_scenario(write(tmp_path, body))
    g = sc.growth_array()
    yrs = list(sc.years)
    s = axes.SECTORS.index("iron_steel")
    an, he = sc.provinces.index("Anhui"), sc.provinces.index("Hebei")
    # observed, the province's own (NBS Anhui crude steel 32.2247 Mt 2019 -> 36.9669 Mt 2020,
    # calibration/history/activity_2020_2024.csv), not the national 1064.8 / 996.3
    assert g[an, s, yrs.index(2020)] == pytest.approx(36.9669 / 32.2247 - 1, abs=1e-6)
    assert g[an, s, yrs.index(2026)] == pytest.approx(-0.05)
    assert g[he, s, yrs.index(2029)] == pytest.approx(-0.05)
    assert g[he, s, yrs.index(2031)] == pytest.approx(-0.1)


# --- bad input: one test per class ---------------------------------------------------------------
def test_unknown_key_did_you_mean(tmp_path):
    msg = error(tmp_path, "\n[levers.eaf_sahre]\n2030 = 0.2\n")
    assert msg == "anhui.toml: levers.eaf_sahre: unknown lever; did you mean 'eaf_share'?" or \
        msg.endswith("levers.eaf_sahre: unknown lever; did you mean 'eaf_share'?")
    msg = error(tmp_path, "", head=HEAD.replace("members", "membres"))
    assert "anhui.toml" in msg and "scenario.membres" in msg and "'members'" in msg


def test_wrong_type(tmp_path):
    msg = error(tmp_path, "", head=HEAD.replace("members = 10", 'members = "ten"'))
    assert "anhui.toml" in msg and "scenario.members" in msg and '"ten"' in msg and "integer" in msg


def test_out_of_range_exact_message(tmp_path):
    msg = error(tmp_path, "\n[levers.eaf_share]\n2030 = 1.4\n")
    assert msg.endswith("anhui.toml: levers.eaf_share.2030 = 1.4 is outside [0, 1]")


def test_year_outside_horizon(tmp_path):
    msg = error(tmp_path, "\n[levers.eaf_share]\n2040 = 0.2\n")
    assert "anhui.toml" in msg and "levers.eaf_share.2040" in msg and "0.2" in msg and "2019-2035" in msg


def test_route_floors_sum_above_one(tmp_path):
    msg = error(tmp_path, "\n[levers.eaf_share]\n2030 = 0.7\n[levers.h2_dri_share]\n2030 = 0.5\n")
    assert "anhui.toml" in msg and "levers.eaf_share + levers.h2_dri_share" in msg
    assert "= 1.2" in msg and "<= 1" in msg and "2030" in msg


def test_unknown_province_with_suggestion(tmp_path):
    msg = error(tmp_path, "", head=HEAD.replace('"Hebei"', '"Hubie"'))
    assert "anhui.toml" in msg and "scenario.provinces[1]" in msg and '"Hubie"' in msg and "'Hubei'" in msg
    msg = error(tmp_path, "\n[levers.eaf_share.province.Anhwei]\n2030 = 0.2\n")
    assert "levers.eaf_share.province.Anhwei" in msg and "'Anhui'" in msg


def test_unknown_sector(tmp_path):
    msg = error(tmp_path, "\n[levers.phase_out.sector.cement]\n2030 = 0.2\n")
    assert "anhui.toml" in msg and "levers.phase_out.sector.cement" in msg and "unknown sector" in msg
    assert "nonmetallic_minerals" in msg
    msg = error(tmp_path, "\n[levers.eaf_share.sector.paper]\n2030 = 0.2\n")
    assert "levers.eaf_share.sector.paper" in msg and "iron_steel" in msg


def test_unknown_lever(tmp_path):
    msg = error(tmp_path, "\n[levers.carbon_tax]\n2030 = 100\n")
    assert "anhui.toml" in msg and "levers.carbon_tax" in msg and "unknown lever" in msg
    assert "did you mean 'carbon_price'" in msg  # the closest lever


def test_unknown_uncertain_parameter(tmp_path):
    msg = error(tmp_path, '\n[uncertainty.grid_decline]\ndist = "uniform"\nlow = 0\nhigh = 0.05\n')
    assert "anhui.toml" in msg and "uncertainty.grid_decline" in msg and "'grid_decline_rate'" in msg


@pytest.mark.parametrize("body,key,value,allowed", [
    ('dist = "uniform"\nlow = 0.05\nhigh = 0.01', "uncertainty.grid_decline_rate.low", "0.05", "low < high"),
    ('dist = "triangular"\nlow = 0.0\nmode = 0.1\nhigh = 0.05', "uncertainty.grid_decline_rate.mode", "0.1",
     "[0, 0.05]"),
    ('dist = "normal"\nmean = 0.02\nsd = 0.01', "uncertainty.grid_decline_rate.dist", '"normal"', "truncnormal"),
    ('dist = "truncnormal"\nmean = 0.02\nsd = -1\nlow = 0\nhigh = 0.1', "uncertainty.grid_decline_rate.sd",
     "-1", "sd > 0"),
    ('dist = "uniform"\nlow = 0\nhigh = 0.9', "uncertainty.grid_decline_rate.high", "0.9", "[-0.1, 0.3]"),
    ('dist = "unifrom"\nlow = 0\nhigh = 0.1', "uncertainty.grid_decline_rate.dist", '"unifrom"', "uniform"),
])
def test_bad_distribution_parameters(tmp_path, body, key, value, allowed):
    msg = error(tmp_path, f"\n[uncertainty.grid_decline_rate]\n{body}\n")
    assert "anhui.toml" in msg and key in msg and value in msg and allowed in msg


def test_unknown_target_indicator(tmp_path):
    (tmp_path / "cat.toml").write_text(CATALOGUE.replace('indicator = "eaf_share"', 'indicator = "eaf_shar"'),
                                       encoding="utf-8")
    msg = error(tmp_path, "", head=HEAD + 'targets = ["cat.toml"]\n')
    assert "cat.toml" in msg and "eaf_share_2030" in msg and "indicator" in msg and '"eaf_shar"' in msg
    assert "'eaf_share'" in msg


def test_unknown_target_scope(tmp_path):
    (tmp_path / "cat.toml").write_text(CATALOGUE.replace('scope = "fenwei_plain"', 'scope = "fenwei"'),
                                       encoding="utf-8")
    msg = error(tmp_path, "", head=HEAD + 'targets = ["cat.toml"]\n')
    assert "cat.toml" in msg and "scope" in msg and '"fenwei"' in msg and "fenwei_plain" in msg


def test_missing_target_catalogue(tmp_path):
    msg = error(tmp_path, "", head=HEAD + 'targets = ["targets/nope.toml"]\n')
    assert "anhui.toml" in msg and "scenario.targets[0]" in msg and '"targets/nope.toml"' in msg
    assert "no such target catalogue" in msg


def test_malformed_toml_reports_line(tmp_path):
    msg = error(tmp_path, "\n[levers.eaf_share]\n2030 == 0.2\n")
    assert "anhui.toml" in msg and "malformed TOML" in msg and "line 9" in msg


def test_target_ids_selection_errors(tmp_path):
    (tmp_path / "cat.toml").write_text(CATALOGUE, encoding="utf-8")
    msg = error(tmp_path, "", head=HEAD + 'targets = ["cat.toml"]\ntarget_ids = ["eaf_share_2030"]\n')
    assert "scenario.target_ids[0]" in msg and "not simulated" in msg
    sc = load_scenario(write(tmp_path, "", head=HEAD + 'targets = ["cat.toml"]\n'))
    assert {t.id for t in sc.targets} == {"industry_peak_2030_province:Anhui", "industry_peak_2030_province:Hebei"}
    assert ("eaf_share_2030", "scope national includes provinces not simulated") in sc.skipped_targets


# --- sampling -------------------------------------------------------------------------------------
def spec(**dists):
    return UncertaintySpec({k: make_distribution(k, v[0], v[1]) for k, v in dists.items()})


SPEC = spec(grid_decline_rate=("uniform", {"low": 0.0, "high": 0.04}),
            elec_ratio=("triangular", {"low": 0.4, "mode": 0.7, "high": 1.0}),
            growth_offset=("truncnormal", {"mean": 0.0, "sd": 0.01, "low": -0.03, "high": 0.03}),
            lifetime_multiplier=("lognormal", {"median": 1.0, "sigma": 0.1}))


def test_lhs_marginals_and_strata():
    n = 1000
    s = sample(SPEC, n, seed=11)
    u = s["grid_decline_rate"]
    assert u.shape == (n,)
    assert abs(u.mean() - 0.02) < 0.0005  # LHS: far tighter than the iid 3-sigma of 0.0011
    assert np.all((u >= 0) & (u <= 0.04))
    strata = np.floor(u / 0.04 * n).astype(int)
    assert sorted(strata) == list(range(n))  # exactly one draw per stratum
    tri = s["elec_ratio"]
    assert abs(tri.mean() - 0.7) < 0.005 and tri.min() >= 0.4 and tri.max() <= 1.0
    from scipy import stats
    cdf = stats.triang(c=0.5, loc=0.4, scale=0.6).cdf(tri)
    assert sorted(np.floor(cdf * n).astype(int)) == list(range(n))
    assert abs(np.median(s["lifetime_multiplier"]) - 1.0) < 0.01
    assert s["growth_offset"].min() >= -0.03 and s["growth_offset"].max() <= 0.03
    # parameters without a distribution are at nominal
    assert np.all(s["aeei_multiplier"] == PARAMETERS["aeei_multiplier"].nominal)


def test_lhs_determinism_and_chunking():
    a = sample(SPEC, 500, seed=5)
    b = sample(SPEC, 500, seed=5)
    c = sample(SPEC, 500, seed=6)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["elec_ratio"], c["elec_ratio"])
    for lo, hi in [(0, 100), (100, 256), (256, 500), (123, 124)]:
        part = sample(SPEC, 500, seed=5, start=lo, stop=hi)
        for k in a:
            np.testing.assert_array_equal(part[k], a[k][lo:hi])


def test_scenario_uncertainty_sampling_covers_all_parameters():
    sc = load_scenario(SCEN / "anhui.toml")
    s = sample(sc.uncertainty, 64, sc.seed)
    assert set(s) == set(PARAMETERS)
    for k, arr in s.items():
        p = PARAMETERS[k]
        assert arr.shape == (64,) and np.all(arr >= p.low) and np.all(arr <= p.high)


def test_calibrated_distributions_come_from_the_fit(tmp_path):
    from sim.data.base_state import read_fitted

    table = read_fitted()["uncertainty"]
    sc = load_scenario(write(tmp_path, '\n[uncertainty.aeei_multiplier]\ndist = "calibrated"\n'
                                        '\n[uncertainty.growth_offset]\ndist = "calibrated"\n'))
    aeei = sc.uncertainty.distributions["aeei_multiplier"]
    assert aeei.kind == table["aeei_multiplier"]["dist"] == "lognormal"
    assert aeei.params["sigma"] == table["aeei_multiplier"]["sigma"]
    growth = sc.uncertainty.distributions["growth_offset"]
    assert growth.kind == "truncnormal" and growth.params["sd"] == table["growth_offset"]["sd"]
    # the shipped scenarios use them
    anhui = load_scenario(SCEN / "anhui.toml")
    assert anhui.uncertainty.distributions["lifetime_multiplier"].params["sigma"] == \
        table["lifetime_multiplier"]["sigma"]


def test_calibrated_distribution_errors(tmp_path):
    msg = error(tmp_path, '\n[uncertainty.aeei_multiplier]\ndist = "calibrated"\nsigma = 0.2\n')
    assert "uncertainty.aeei_multiplier.sigma" in msg and "takes no parameters" in msg
    msg = error(tmp_path, '\n[uncertainty.elec_ratio]\ndist = "calibrated"\n')
    assert "uncertainty.elec_ratio.dist" in msg and "no calibrated width" in msg
    assert "aeei_multiplier" in msg  # the allowed list
