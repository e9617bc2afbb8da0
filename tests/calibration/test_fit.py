"""The 2010-2015 fit: it recovers known parameters from data the model made itself, and the
calibrated parameter file round-trips into sim run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import calibration
from calibration import fit
from sim.core import axes
from sim.data.base_state import load_base_state, read_fitted
from sim.data.history import load_history

PROVINCES = ("Anhui", "Hebei", "Jiangsu", "Shandong")


@pytest.fixture(scope="module")
def synthetic():
    """Observations simulated from known parameters (not the prior) on four provinces."""
    base = fit.subset(load_base_state(fit.WINDOW[0], fitted=False), PROVINCES)
    obs0 = fit.observations(load_history(), tuple(range(fit.TEST_WINDOW[0], fit.TEST_WINDOW[1] + 1)))
    obs0 = replace(obs0, co2=obs0.co2[:, [axes.PROVINCES.index(p) for p in PROVINCES]],
                   activity=obs0.activity[:, [axes.PROVINCES.index(p) for p in PROVINCES]])
    lay = fit.layout(base, obs0, provinces=PROVINCES)
    rng = np.random.default_rng(5)
    true = lay.prior.copy()
    u = lay.unpack(true[None])
    for g, sl in lay.groups.items():
        n = sl.stop - sl.start
        if g == "aeei":
            true[sl] = rng.uniform(0.01, 0.05, n)  # inside the 0-6 %/yr bounds
        elif g == "lifetime":
            true[sl] = lay.prior[sl] * rng.uniform(0.7, 1.3, n)
        elif g in ("coal_to_gas_trend", "electrification_trend"):
            true[sl] = rng.uniform(0.005, 0.03, n)
        elif g == "growth":
            true[sl] = lay.prior[sl] + rng.uniform(-0.03, 0.03, n)
    del u
    prob = fit.Problem(base, obs0, lay)
    sim = prob.simulate(true[None])
    T = len(obs0.years)
    co2 = np.moveaxis(sim["co2"][0], 0, 0)  # (T,P,S,4)
    obs = fit.Observations(
        years=obs0.years, co2=co2, activity=sim["demand"][0],
        electricity=sim["electricity"][0],
        eaf_share={obs0.years[-1]: float(sim["eaf"][0][T - 1])},
        phase_out=obs0.phase_out, structure=obs0.structure)  # the history terms the data were made with
    return base, obs, lay, true


@pytest.mark.slow  # a refit (4 provinces)
def test_fit_recovers_parameters_from_synthetic_data(synthetic):
    """Noise-free data made by the model from known parameters, weak priors (sd x 100, so the
    data, not the prior, must identify the parameters): the fit starts at the prior and has to
    find the truth."""
    base, obs, lay, true = synthetic
    weak = replace(lay, prior_sd=lay.prior_sd * 100)
    result = fit.fit(base, obs, weak, passes=1, max_nfev=100)
    assert result.stats["median_ape_last_year"] < 1e-4
    assert abs(result.stats["national_co2_error"][obs.years[-1]]) < 1e-4
    # a parameter the data cannot see (zero Jacobian column: e.g. the fuel AEEI of a sector whose
    # provinces are already at the fuel floor, so there is no gap to close) stays at its prior
    J = fit.Problem(base, obs, weak).jac(true)
    seen = np.any(J[:-len(lay.names)] != 0.0, axis=0)
    for g in ("aeei", "coal_to_gas_trend", "electrification_trend", "growth"):
        sl = lay.groups[g]
        blind = ~seen[sl]
        np.testing.assert_allclose(result.x[sl][blind], lay.prior[sl][blind], atol=1e-9)
        assert blind.sum() <= 1, (g, blind)
        sl = np.arange(sl.start, sl.stop)[~blind]
        prior_error = np.abs(lay.prior[sl] - true[sl])
        error = np.abs(result.x[sl] - true[sl])
        # every parameter moves from the prior to within 5 % of the distance (1e-4 absolute)
        assert np.all(error <= 0.05 * prior_error + 1e-4), (g, error, prior_error)
    # lifetimes are the least identified (five years of turnover): within 10 % and 3 sd
    sl = lay.groups["lifetime"]
    np.testing.assert_allclose(result.x[sl], true[sl], rtol=0.1)
    assert np.all(np.abs(result.x[sl] - true[sl]) <= 3 * result.sd[sl])



def test_stock_lifetime_is_not_identified_by_the_fit_window(synthetic):
    """Without policy the historical EAF share follows the capacity stock, not scrap, and the base
    profile is re-solved to the base-year scrap supply: the 2010-2015 data say nothing about the
    in-use stock lifetime (its Jacobian column is zero), so the fit leaves it at its prior and the
    README says so. If the model changes to make it identifiable, this test says to revisit."""
    base, obs, lay, true = synthetic
    prob = fit.Problem(base, obs, lay)
    J = prob.jac(true)
    i = lay.groups["stock_lifetime"].start
    n_prior = len(lay.names)
    assert np.all(J[:-n_prior, i] == 0.0)
    assert np.any(J[:-n_prior, lay.groups["aeei"].start] != 0.0)


def test_calibrated_file_round_trips_and_drives_the_base_state(tmp_path, synthetic):
    base, obs, lay, true = synthetic
    result = fit.fit(base, obs, lay, passes=1, max_nfev=5)
    path = tmp_path / "fitted.toml"
    fit.write_fitted(result, path, tmp_path / "fitted_growth.csv",
                     uncertainty={"aeei_multiplier": dict(dist="lognormal", median=1.0, sigma=0.3,
                                                          evidence="test")})
    doc = read_fitted(path)
    for g, names in (("aeei", axes.SECTORS), ("lifetime", axes.SECTORS),
                     ("coal_to_gas_trend", axes.SECTORS), ("electrification_trend", axes.SECTORS)):
        sl = lay.groups[g]
        got = [doc["parameters"][g][s]["value"] for s in names]
        np.testing.assert_allclose(got, result.x[sl], rtol=1e-5)
    assert doc["uncertainty"]["aeei_multiplier"]["sigma"] == 0.3
    assert not list(tmp_path.glob(".*.tmp*"))  # no temporary left behind


def test_the_committed_fit_is_what_the_base_state_uses():
    doc = read_fitted()
    assert doc is not None, "calibration/fitted.toml missing: run sim calibrate --fit"
    base = load_base_state()
    for g in ("aeei", "lifetime", "coal_to_gas_trend", "electrification_trend"):
        np.testing.assert_array_equal(getattr(base, g if g in ("aeei", "lifetime") else g),
                                      [doc["parameters"][g][s]["value"] for s in axes.SECTORS])
    assert base.stock_lifetime[axes.METALS.index("steel")] == doc["parameters"]["stock_lifetime"]["steel"]["value"]
    assert base.parameter_source.startswith("fitted.toml")
    nominal = load_base_state(fitted=False)
    assert nominal.parameter_source == "assumptions.toml"
    assert not np.array_equal(nominal.aeei, base.aeei)


@pytest.mark.slow  # the full refit
def test_sim_calibrate_fit_reproduces_the_committed_file(tmp_path):
    """`sim calibrate --fit` end to end (all provinces, ~15 s): the committed parameter file is
    what the code and the committed history produce."""
    from click.testing import CliRunner

    from sim.interfaces.cli import main

    out = tmp_path / "fitted.toml"
    res = CliRunner().invoke(main, ["calibrate", "--fit", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "fitted_growth.csv").is_file()
    for new, committed in ((read_fitted(out), read_fitted()),
                           (read_fitted(tmp_path / "fitted_2010_2015.toml"), read_fitted(fit.TEST_FILE))):
        for g, table in committed["parameters"].items():
            for k, v in table.items():
                if isinstance(v, dict):
                    assert new["parameters"][g][k]["value"] == pytest.approx(v["value"], rel=1e-3, abs=1e-6), (g, k)
        for k, v in committed["discrepancy"]["sigma"].items():
            assert new["discrepancy"]["sigma"][k] == pytest.approx(v, rel=1e-3, abs=1e-4), k
    assert read_fitted(fit.TEST_FILE)["meta"]["window"] == [2010, 2015]
    assert read_fitted()["meta"]["window"] == [2010, 2019]
    new, committed = read_fitted(out), read_fitted()
    for name, t in committed["uncertainty"].items():
        for k, v in t.items():
            if not isinstance(v, str):
                assert new["uncertainty"][name][k] == pytest.approx(v, rel=1e-3), (name, k)
    res = CliRunner().invoke(main, ["calibrate"])
    assert res.exit_code == 0 and "reduced chi2" in res.output and "uncertainty aeei_multiplier" in res.output
    res = CliRunner().invoke(main, ["calibrate", "--out", str(tmp_path / "absent.toml")])
    assert res.exit_code == 2 and "sim calibrate --fit" in res.output


def test_sim_run_uses_the_calibrated_parameters():
    from pathlib import Path

    from sim.model import run as model
    from sim.results import netcdf
    from sim.scenario import load_scenario

    doc = read_fitted()
    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "anhui.toml")
    prep = model.prepare(sc, members=4, seed=1)
    inp = model.kernel_inputs(prep, 0, 4)
    fitted_aeei = np.array([doc["parameters"]["aeei"][s]["value"] for s in axes.SECTORS])
    fitted_life = np.array([doc["parameters"]["lifetime"][s]["value"] for s in axes.SECTORS])
    mult = prep.samples["aeei_multiplier"][:4]
    # members are held inside the physical bounds of assumptions.toml (the fit's bounds too)
    import tomllib
    A = tomllib.loads((Path(calibration.__file__).parent / "assumptions.toml").read_text("utf-8"))
    aeei_max = A["sectors"]["aeei_max"]["value"]
    life_min = np.array([A["sectors"]["lifetime_min"][s] for s in axes.SECTORS])
    assert aeei_max == 0.06 and life_min[axes.SECTORS.index("iron_steel")] == 15
    np.testing.assert_allclose(inp.aeei, np.clip(fitted_aeei[None] * mult[:, None], 0, aeei_max))
    np.testing.assert_allclose(inp.lifetime, np.maximum(
        fitted_life[None] * prep.samples["lifetime_multiplier"][:4, None], life_min[None]))
    assert (inp.aeei <= aeei_max).all() and (inp.lifetime >= life_min[None]).all()
    assert len(set(np.round(mult, 12))) == 4  # the calibrated distribution is sampled
    attrs = netcdf.global_attributes(sc, 1, 4)
    assert "fitted.toml" in attrs["calibration"]
    assert '"aeei_multiplier": {"dist": "lognormal"' in attrs["uncertainty_distributions"]


# --- the terms the history needs (issue #12 §3) -------------------------------------------------------
def test_phase_out_history_is_the_programme_table():
    from sim.data.history import phase_out_history

    years = list(range(2010, 2020))
    po = phase_out_history(years)
    s, c = axes.SECTORS.index("iron_steel"), axes.SECTORS.index("nonmetallic_minerals")
    anhui, hebei = axes.PROVINCES.index("Anhui"), axes.PROVINCES.index("Hebei")
    assert po[anhui, s, years.index(2016)] == pytest.approx(0.30972)  # national de-capacity 65 Mt
    assert po[hebei, s, years.index(2016)] == pytest.approx(0.53268)  # Hebei's own row replaces it
    assert po[hebei, c, years.index(2012)] == pytest.approx(0.41482)  # no Hebei row: national
    assert po[:, c, years.index(2016)].max() <= 0.09456 + 1e-12     # no national cement figure after 2015
    assert np.all(po[:, :, 0] == 0.0)
    assert not po[:, axes.SECTORS.index("chemicals")].any()


def test_nonmetallic_structure_is_the_same_composite_in_history_and_projection():
    """History 2010-2019 and observed 2020-2024 use one formula: energy ~ w c + (1 - w) o with c
    the province's cement and o its plain glass relative to the base year, w the cement part's
    share of the base year's energy (sim.data.observed_activity.cement_energy_share, derived per
    province and base year), production = cement; factor (w c + (1 - w) o) / c."""
    from sim.data import observed_activity as oa
    from sim.data.history import load_history, structure_history

    h = load_history()
    f = structure_history(h, [2015, 2019])
    k = axes.SECTORS.index("nonmetallic_minerals")
    assert np.all(f[:, [j for j in range(len(axes.SECTORS)) if j != k]] == 1.0)
    C, G = h.activity[:, :, k], h.glass
    for prov in ("Anhui", "Shandong", "Liaoning"):  # w = 1, 0.92, 0.73 in 2019
        p = axes.PROVINCES.index(prov)
        assert G[h.index(2015), p] >= oa.GLASS_PRODUCER * np.nansum(G[h.index(2015)])  # own glass
        w = oa.cement_energy_share([prov], 2015)[0]
        c = C[h.index(2019), p] / C[h.index(2015), p]
        o = G[h.index(2019), p] / G[h.index(2015), p]
        assert f[p, k, 1] == pytest.approx((w * c + (1 - w) * o) / c)
    # the 2019 references agree between the two tables (same NBS rows)
    p = axes.PROVINCES.index("Anhui")
    assert oa.value("Anhui", "plain_glass_mcases", 2019) == pytest.approx(G[h.index(2019), p], rel=1e-6)
    assert oa.value("Anhui", "cement_mt", 2019) == pytest.approx(C[h.index(2019), p], rel=1e-6)
    g = oa.nonmetallic_structure(["Anhui", "Shanghai"], [2019, 2024, 2030])
    assert np.all(g[0] == 1.0)  # w = 1 in Anhui: the sector's energy follows cement
    # Shanghai (w 0.37, no glass of its own): the national glass index drives its other materials
    w = oa.cement_energy_share(["Shanghai"])[0]
    c = oa.value("Shanghai", "cement_mt", 2024) / oa.value("Shanghai", "cement_mt", 2019)
    span = range(2019, 2025)
    glass = np.array([[oa.value(q, "plain_glass_mcases", y) for y in span] for q in axes.PROVINCES])
    o = oa.other_materials(glass)[axes.PROVINCES.index("Shanghai"), -1]
    # the national glass index: the provinces' sum (a gap takes the province's nearest year)
    assert o == pytest.approx(np.nansum(glass[:, -1]) / np.nansum(glass[:, 0]), rel=0.01)
    assert g[1, 0] == 1.0 and g[1, 2] == g[1, 1] == pytest.approx((w * c + (1 - w) * o) / c, rel=1e-6)


def test_electricity_after_the_nonferrous_break_is_not_a_residual():
    base = fit.subset(load_base_state(2010, fitted=False), PROVINCES)
    obs = fit.observations(load_history(), tuple(range(2010, 2020)))
    obs = replace(obs, co2=obs.co2[:, [axes.PROVINCES.index(p) for p in PROVINCES]],
                  activity=obs.activity[:, [axes.PROVINCES.index(p) for p in PROVINCES]])
    prob = fit.Problem(base, obs, fit.layout(base, obs, provinces=PROVINCES))
    k = axes.SECTORS.index("nonferrous")
    assert prob.elec_mask[:5, k].all() and not prob.elec_mask[5:, k].any()
    assert prob.elec_mask[:, [j for j in range(len(axes.SECTORS)) if j != k]].all()
    assert len(prob.clusters()) == len(prob.fun(prob.lay.prior))
