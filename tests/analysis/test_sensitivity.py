"""Global sensitivity (``sim sensitivity``, issue #16 §1): SALib's indices through our analysis
step match analytic values within their intervals; a factor means what it means in ``sim run``;
the dummy factor's total index is zero within its interval on a real run; chunking and Dask
change no bit; bad input is one line, exit 2, nothing written; the file is CF-1.10 clean and is
reported and drawn from itself."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analysis import sensitivity as sens
from sim.interfaces.cli import main
from sim.model import run as model
from sim.plots import sensitivity as sensitivity_plots
from sim.results import reading as results
from sim.results.reading import open_results
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
ANHUI = REPO / "scenarios" / "anhui.toml"


def _plan(names, method, n, second_order=False, seed=3):
    """A plan of abstract factors (no scenario): the analysis step alone."""
    from SALib.sample import morris as ms
    from SALib.sample import sobol as ss

    fs = [sens.Factor(n_, "parameter", "1", n_, "uniform(low=0, high=1)") for n_ in names]
    fs.append(sens.Factor(sens.DUMMY, "dummy", "1", "dummy", "uniform(low=0, high=1)"))
    prob = sens.problem(fs)
    unit = (ss.sample(prob, n, calc_second_order=second_order, seed=seed) if method == "sobol"
            else ms.sample(prob, n, num_levels=sens.MORRIS_LEVELS, seed=seed))
    outs = [sens.Output("y", "y", "none", "", "1", "y")]
    return sens.Plan(scenario=None, document={}, method=method, samples=n,
                     second_order=second_order, seed=seed, factors=fs, outputs=outs, regions=[],
                     unit=np.asarray(unit), held={})


def _within(value, conf, expected):
    assert np.all(np.abs(value - expected) <= conf), (value, conf, expected)


def test_ishigami_sobol_indices_match_the_analytic_values_within_their_intervals():
    a, b = 7.0, 0.1
    p = _plan(["x1", "x2", "x3"], "sobol", 1024, second_order=True)
    x = -math.pi + 2 * math.pi * p.effective[:, :3]
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    ind, notes = sens.analyse(p, y[:, None])
    assert notes == [""]
    # Ishigami & Homma (1990); Sobol' & Levitan (1999): variances of the terms
    v1 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s1 = np.array([v1 / v, v2 / v, 0.0, 0.0])
    st = np.array([(v1 + v13) / v, v2 / v, v13 / v, 0.0])
    _within(ind["S1"][0], ind["S1_conf"][0], s1)
    _within(ind["ST"][0], ind["ST_conf"][0], st)
    assert abs(ind["S2"][0, 0, 2] - v13 / v) <= ind["S2_conf"][0, 0, 2]  # the x1-x3 interaction
    assert ind["ST"][0, 3] == 0 and ind["ST_conf"][0, 3] == 0  # the dummy: exactly nothing
    assert ind["ST"][0, 0] - ind["ST_conf"][0, 0] > 0.4  # a test that can fail


def test_linear_model_of_kernel_inputs_sobol_and_morris():
    """y = the 2035 growth of the kernel inputs summed over provinces and sectors, linear in the
    two growth offsets (u -> ppf(u) is linear for a uniform): S_i = c_i^2 / sum c^2; Morris
    mu* = |c_i| (1 - 1/levels) per unit of SALib's grid, sigma = 0."""
    from dataclasses import replace

    from sim.scenario.uncertainty import UncertaintySpec, make_distribution

    sc = load_scenario(ANHUI)
    dists = {"growth_offset": make_distribution("growth_offset", "uniform",
                                                {"low": -0.02, "high": 0.02}),
             "heavy_growth_offset": make_distribution("heavy_growth_offset", "uniform",
                                                      {"low": -0.05, "high": 0.05})}
    sc = replace(sc, uncertainty=UncertaintySpec(dists))
    for method, n in (("sobol", 512), ("morris", 30)):
        p = sens.plan(sc, method, n, seed=5)
        prep = model.prepare(p.scenario, design=sens.parameter_design(p))
        growth = model.kernel_inputs(prep, 0, prep.members).growth  # (M,P,S,T)
        y = growth[..., -1].sum(axis=(1, 2))
        heavy = sum(s in sens.axes.ENERGY_INTENSIVE_SECTORS for s in sens.axes.SECTORS)
        c = np.array([0.04 * len(sens.axes.SECTORS), 0.1 * heavy])  # dy/du per factor
        ind, _ = sens.analyse(p, y[:, None])
        if method == "sobol":
            _within(ind["S1"][0], ind["S1_conf"][0], np.append(c ** 2, 0) / (c ** 2).sum())
            _within(ind["ST"][0], ind["ST_conf"][0], np.append(c ** 2, 0) / (c ** 2).sum())
        else:
            np.testing.assert_allclose(ind["mu_star"][0], np.append(c, 0) * 0.75, rtol=1e-9,
                                       atol=1e-12)
            np.testing.assert_allclose(ind["sigma"][0], 0, atol=1e-9)


def test_a_factor_means_what_it_means_in_sim_run():
    """The sample's parameter values are those the model ran with (parameter_value of
    run_chunk), through the distributions' inverse CDFs; the parameters not analysed are held at
    their median; the sim run design goes through the same transform."""
    sc = load_scenario(ANHUI)
    p = sens.plan(sc, "sobol", 4, parameters=["elec_ratio", "grid_decline_rate"], seed=1)
    prep = model.prepare(p.scenario, design=sens.parameter_design(p))
    ds = model.run_chunk(prep, 0, prep.members, variables=frozenset())
    for j, f in enumerate(p.factors[:-1]):
        np.testing.assert_array_equal(ds["parameter_value"].sel(parameter=f.name).values,
                                      p.values()[:, j])
    for name, value in p.held.items():
        assert (ds["parameter_value"].sel(parameter=name).values == value).all()
        assert value == sc.uncertainty.distributions[name].ppf(np.array([0.5]))[0]
    assert ds["parameter_value"].sel(parameter="model_discrepancy").values.max() == 0
    # sim run's own draw is the same map of its Latin hypercube
    from sim.scenario.uncertainty import design, design_columns, sample

    cols = design_columns(sc.uncertainty)
    lhs = design(len(cols), 6, sc.seed)
    np.testing.assert_array_equal(sample(sc.uncertainty, 6, sc.seed)["elec_ratio"],
                                  sample(sc.uncertainty, 6, 0, unit=lhs)["elec_ratio"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny real run: Anhui, three parameters and one lever point, N = 8 (80 evaluations)."""
    sc = load_scenario(ANHUI)
    p = sens.plan(sc, "sobol", 8, parameters=["lifetime_multiplier", "aeei_multiplier",
                                               "elec_ratio"],
                  levers=["eaf_share:2030=0.1..0.4"], seed=7)
    values = sens.evaluate(p, chunk_size=1000)
    indices, notes = sens.analyse(p, values)
    ds = sens.dataset(p, values, indices, notes)
    return p, values, ds


def test_dummy_total_index_is_zero_within_its_interval_on_a_real_run(tiny):
    p, values, ds = tiny
    st = ds["ST"].sel(factor=sens.DUMMY)
    conf = ds["ST_conf"].sel(factor=sens.DUMMY)
    analysed = ds["output_note"].values == ""
    assert analysed.sum() >= 3
    assert (np.abs(st.values[analysed]) <= conf.values[analysed]).all()
    # the lever acts on the EAF target, the lifetimes on 2030 CO2: not noise
    eaf = ds["ST"].sel(output="target_value:anhui_eaf_share_2030", factor="eaf_share:2030")
    assert float(eaf) > 0.5
    co2 = ds["ST"].sel(output="industrial_co2_2030:national")
    assert float(co2.sel(factor="lifetime_multiplier")) > float(co2.sel(factor=sens.DUMMY)) + 0.1


def test_chunked_equals_unchunked_and_dask_bitwise(tiny):
    p, values, ds = tiny
    np.testing.assert_array_equal(sens.evaluate(p, chunk_size=3), values)
    whole = sens.run(p, chunk_size=2)  # the library's one call: the same file content
    for name in ("output_value", "sample", "S1", "ST", "ST_conf"):
        np.testing.assert_array_equal(whole[name].values, ds[name].values)
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        np.testing.assert_array_equal(sens.evaluate(p, chunk_size=5, client=client), values)
        ind, notes = sens.analyse(p, values, client=client)
    ref, ref_notes = sens.analyse(p, values)
    assert notes == ref_notes
    for k in ref:
        np.testing.assert_array_equal(ind[k], ref[k])


def test_lever_factor_rows_are_the_scenario_with_that_point(tiny):
    """An evaluation with a lever value is the scenario file with that point: the same as a
    sim run member of the edited scenario with the same parameters."""
    p, values, _ = tiny
    i = 5
    lever = [j for j, f in enumerate(p.factors) if f.kind == "lever"][0]
    sc = sens.lever_scenario(p.document, p.scenario, [(p.factors[lever].lever,
                                                       float(p.values()[i, lever]))])
    assert (2030, float(p.values()[i, lever])) in sc.levers["eaf_share"].base.points
    prep = model.prepare(sc, design=sens.parameter_design(p)[i:i + 1])
    ds = model.run_chunk(prep, 0, 1, variables=frozenset())
    np.testing.assert_array_equal(sens._extract(ds, p.outputs)[0], values[i])


def _assert_cf_clean(path) -> None:
    """No error and no warning of the IOOS compliance-checker's CF-1.10 suite on ``path``."""
    suite_module = pytest.importorskip("compliance_checker.suite")
    from compliance_checker.base import BaseCheck

    from tests.results.test_cf import _failed

    suite_module.CheckSuite.load_all_available_checkers()
    suite = suite_module.CheckSuite()
    res, exceptions = suite.run_all(suite.load_dataset(str(path)), ["cf:1.10"],
                                    skip_checks=[])["cf:1.10"]
    assert not exceptions and len(res) > 20
    assert [(r.name, r.msgs) for r in _failed(res) if r.weight >= BaseCheck.MEDIUM] == []


def test_file_is_cf_clean_reported_and_drawn(tiny, tmp_path):
    from sim.results import netcdf

    p, values, ds = tiny
    path = netcdf.write_atomic(ds, tmp_path / "s.nc")
    _assert_cf_clean(path)
    with results.open_results(path) as back:
        assert results.kind(back) == "sensitivity"
        for name in ("sample", "sample_unit", "output_value", "S1", "ST_conf"):
            assert back[name].attrs["units"] and back[name].attrs["long_name"]
        for name in back.coords:
            assert back[name].attrs.get("long_name"), name
        assert back.attrs["scenario_toml"] == load_scenario(ANHUI).text
        assert int(back.attrs["seed"]) == 7
        # re-analysable from the file alone
        again, _ = sens.analyse(p, back["output_value"].values)
        np.testing.assert_array_equal(again["ST"], back["ST"].values)
        np.testing.assert_array_equal(back["sample_unit"].values, p.unit)
        table = sens.format_table(back)
        fig = sensitivity_plots.plot_sensitivity(back)
    lines = table.splitlines()
    block = lines.index("industrial_co2_2030:national [Mt yr-1]")
    assert lines[block + 2].split()[1] == "lifetime_multiplier"  # ranked first by ST
    from tests.plots.test_plot_layout import check_layout
    from tests.plots.test_plots import check_figure

    check_figure(fig)
    check_layout(fig)
    k = list(ds["output"].values).index("industrial_co2_2030:national")
    ax = fig.axes[0]
    widths = sorted(round(b.get_width(), 12) for b in ax.patches[:len(p.factors)])
    assert widths == sorted(round(float(x), 12) for x in ds["ST"].values[k])


def test_cfchecker_finds_only_what_it_does_not_know_of_cf_1_10(tiny, tmp_path):
    """The NCAS cfchecker as in tests/test_cf.py (its known CF-1.8 limits only)."""
    from sim.results import netcdf

    try:
        from cfchecker import cfchecks
    except Exception as e:  # not installed, or no udunits2 C library
        pytest.skip(f"cfchecker unusable ({type(e).__name__}: {e})")
    import compliance_checker

    from tests.results.test_cf import KNOWN_CFCHECKER_LIMITS, TABLES

    path = netcdf.write_atomic(tiny[2], tmp_path / "s.nc")
    names = Path(compliance_checker.__file__).parent / "data" / "cf-standard-name-table.xml"
    checker = cfchecks.CFChecker(cfStandardNamesXML=str(names),
                                 cfAreaTypesXML=str(TABLES / "area-type-table.xml"),
                                 cfRegionNamesXML=str(TABLES / "standardized-region-list.xml"),
                                 version=cfchecks.CFVersion((1, 8)), silent=True)
    res = checker.checker(str(path))
    errors = set(res["global"]["ERROR"] + res["global"]["FATAL"])
    warnings = list(res["global"]["WARN"])
    for var, found in res["variables"].items():
        errors |= set(found["ERROR"] + found["FATAL"])
        warnings += [(var, m) for m in found["WARN"]]
    assert errors <= KNOWN_CFCHECKER_LIMITS, errors - KNOWN_CFCHECKER_LIMITS
    assert [(v, m) for v, m in warnings if not m.startswith("(5): Possible incorrect")] == []


def test_cli_end_to_end(tmp_path):
    out = tmp_path / "m.nc"
    res = CliRunner().invoke(main, ["sensitivity", str(ANHUI), "--method", "morris", "--samples",
                                    "3", "--parameters", "aeei_multiplier,elec_ratio", "--levers",
                                    "phase_out:2025:iron_steel=0..0.05", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert "Morris sensitivity of scenario anhui" in res.stdout and f"wrote {out}" in res.stdout
    with open_results(out) as ds:
        assert ds.sizes["evaluation"] == 3 * (4 + 1) and list(ds["factor"].values) == [
            "aeei_multiplier", "elec_ratio", "phase_out:2025:iron_steel", "dummy"]
        assert (ds["mu_star"].sel(factor="dummy").fillna(0) == 0).all()
    rep = CliRunner().invoke(main, ["report", str(out)])
    assert rep.exit_code == 0 and "mu_star" in rep.stdout
    csv = CliRunner().invoke(main, ["report", str(out), "--format", "csv"])
    assert csv.exit_code == 0 and csv.stdout.startswith("output,units,note,rank,factor")
    fig = CliRunner().invoke(main, ["plot", str(out), "--out", str(tmp_path / "fig")])
    assert fig.exit_code == 0, fig.output
    assert (tmp_path / "fig" / "sensitivity.png").stat().st_size > 10_000


# --- the model discrepancy as grouped factors ---------------------------------------------------
def test_explicit_discrepancy_z_is_the_formula_and_without_it_nothing_changes(base_state):
    """sim.scenario.uncertainty.discrepancy with an explicit z is exp(on sigma sqrt(t) z) exactly, and
    prepare(discrepancy_z=...) reaches the kernel inputs through it; without z, the kernel
    inputs are bitwise those of the seeded generator (the path of sim run)."""
    from sim.scenario.uncertainty import discrepancy

    sc = load_scenario(ANHUI)
    assert "model_discrepancy" in sc.uncertainty.distributions  # on in the shipped scenario
    sigma = base_state.discrepancy_sigma
    assert (sigma > 0).all()
    rng = np.random.default_rng(4)
    M, S = 5, len(sigma)
    z = rng.standard_normal((M, 1, S))
    dt = (np.asarray(sc.years) - sc.years[0]).astype(float)
    on = np.array([1.0, 1.0, 0.0, 1.0, 1.0])
    d = discrepancy(sigma, 0, np.arange(M), np.array([0]), dt, on, z=z)
    expected = np.exp(on[:, None, None, None] * sigma[None, None, :, None]
                      * np.sqrt(dt)[None, None, None, :] * z[..., None])
    np.testing.assert_array_equal(d, expected)
    with pytest.raises(ValueError, match="shape"):
        discrepancy(sigma, 0, np.arange(M), np.array([0]), dt, on, z=z[:, :, :3])
    prep = model.prepare(sc, members=M, discrepancy_z=z)
    inp = model.kernel_inputs(prep, 1, 4)
    on_all = discrepancy(sigma, 0, np.arange(1, 4), np.array([0]), dt, np.ones(3), z=z[1:4])
    np.testing.assert_array_equal(inp.discrepancy, on_all * prep.energy_structure[None])
    np.testing.assert_array_equal(on_all[[0, 2]], expected[[1, 3]])
    # without z: the seeded draws, bitwise as before (and with_design keeps them)
    plain = model.prepare(sc, members=M)
    seeded = discrepancy(sigma, sc.seed, np.arange(1, 4), plain.prov_idx, dt, np.ones(3))
    np.testing.assert_array_equal(model.kernel_inputs(plain, 1, 4).discrepancy,
                                  seeded * plain.energy_structure[None])
    again = model.with_design(plain, np.full((M, len(sens.design_columns(sc.uncertainty))), 0.5))
    assert again.discrepancy_z is None
    assert np.ptp(model.kernel_inputs(again, 0, M).discrepancy[:, 0, 0, -1]) > 0


def test_discrepancy_groups_in_the_problem_and_none_without():
    sc = load_scenario(ANHUI)
    p = sens.plan(sc, "sobol", 2, seed=1)
    prob = p.problem
    groups = [g.name for g in p.groups]
    md = [g for g in groups if g.startswith("model_discrepancy:")]
    assert md == [f"model_discrepancy:{s}" for s in sens.axes.SECTORS]
    assert groups[-1] == sens.DUMMY and prob["groups"][-1] == sens.DUMMY
    assert len(prob["groups"]) == prob["num_vars"] == len(p.factors) == p.unit.shape[1]
    assert len(p.unit) == 2 * (len(groups) + 2)  # SALib's N (G + 2)
    assert "model_discrepancy" in p.scenario.uncertainty.distributions
    off = sens.plan(sc, "sobol", 2, seed=1, discrepancy=False)
    assert "groups" not in off.problem and not off.discrepancy
    assert [f.name for f in off.groups] == [f.name for f in off.factors]
    assert "model_discrepancy" not in off.scenario.uncertainty.distributions
    assert sens.discrepancy_design(off) is None
    # national: one column per simulated province in each sector's group
    nat = sens.plan(load_scenario(REPO / "scenarios" / "national.toml"), "sobol", 2, seed=1)
    cols = [f for f in nat.factors if f.group == "model_discrepancy:iron_steel"]
    assert len(cols) == len(nat.scenario.provinces) == 31
    assert len(nat.unit) == 2 * (len(nat.groups) + 2)
    z = sens.discrepancy_design(nat)
    j = nat.factors.index(cols[3])
    np.testing.assert_array_equal(z[:, 3, 0], nat.values()[:, j])


def test_grouped_sobol_of_a_linear_model():
    """y = c1 x1 + c2 x2 + c3 x3 of uniform factors, x1 and x2 one group: the group's S1 = ST =
    (c1^2 + c2^2) / sum c^2, x3's c3^2 / sum c^2, the dummy's zero (within the intervals)."""
    from SALib.sample import sobol as ss

    fs = [sens.Factor("x1", "discrepancy", "1", "x1", "u", group="g"),
          sens.Factor("x2", "discrepancy", "1", "x2", "u", group="g"),
          sens.Factor("x3", "parameter", "1", "x3", "u"),
          sens.Factor(sens.DUMMY, "dummy", "1", "dummy", "u")]
    prob = sens.problem(fs)
    assert prob["groups"] == ["g", "g", "x3", sens.DUMMY]
    unit = ss.sample(prob, 1024, calc_second_order=False, seed=2)
    assert unit.shape == (1024 * 5, 4)
    p = sens.Plan(scenario=None, document={}, method="sobol", samples=1024, second_order=False,
                  seed=2, factors=fs, outputs=[sens.Output("y", "y", "none", "", "1", "y")],
                  regions=[], unit=unit, held={})
    c = np.array([1.0, 2.0, 3.0])
    ind, notes = sens.analyse(p, (unit[:, :3] @ c)[:, None])
    assert notes == [""] and ind["ST"].shape == (1, 3)
    share = np.array([c[0] ** 2 + c[1] ** 2, c[2] ** 2, 0.0]) / (c ** 2).sum()
    _within(ind["S1"][0], ind["S1_conf"][0], share)
    _within(ind["ST"][0], ind["ST_conf"][0], share)
    assert ind["ST"][0, 0] - ind["ST_conf"][0, 0] > 0.2  # can fail


@pytest.fixture(scope="module")
def tiny_md():
    """Anhui with the discrepancy as factors: lifetime_multiplier and the nine sector groups,
    N = 32 (32 (11 + 2) = 416 evaluations)."""
    sc = load_scenario(ANHUI)
    p = sens.plan(sc, "sobol", 32, parameters=["lifetime_multiplier", "model_discrepancy"],
                  seed=11)
    values = sens.evaluate(p, chunk_size=1000)
    indices, notes = sens.analyse(p, values)
    return p, values, sens.dataset(p, values, indices, notes)


def test_peak_year_is_analysed_with_the_discrepancy_as_factors(tiny_md, tmp_path):
    p, values, ds = tiny_md
    assert len(p.groups) == 11 and len(values) == 32 * 13
    dummy_top = ds["ST"].sel(factor=sens.DUMMY) + ds["ST_conf"].sel(factor=sens.DUMMY)
    md = [str(f) for f in ds["factor"].values if str(f).startswith("model_discrepancy:")]
    for out in ("peak_year:national", "target_value:industry_peak_2030_province:Anhui"):
        x = ds.sel(output=out)
        assert str(x["output_note"].values) == "", out
        low = (x["ST"] - x["ST_conf"]).sel(factor=md)
        assert float(low.max()) > float(dummy_top.sel(output=out)), out
    # chunking changes no bit, and the file keeps every column with its group
    np.testing.assert_array_equal(sens.evaluate(p, chunk_size=7), values)
    assert ds["sample_unit"].dims == ("evaluation", "column")
    np.testing.assert_array_equal(ds["sample_unit"].values, p.unit)
    assert list(ds["column_factor"].values) == [f.group for f in p.factors]
    assert "factors: z[p, s]" in ds.attrs["model_discrepancy"]
    from sim.results import netcdf

    path = netcdf.write_atomic(ds, tmp_path / "md.nc")
    with results.open_results(path) as back:
        prob = {"num_vars": back.sizes["column"], "names": list(back["column"].values),
                "bounds": [[0.0, 1.0]] * back.sizes["column"],
                "groups": list(back["column_factor"].values)}
        y = back["output_value"].sel(output="peak_year:national").values
        again, _ = sens.analyse_one("sobol", prob, back["sample_unit"].values, y, False,
                                    int(back.attrs["seed"]))
        np.testing.assert_array_equal(again["ST"],
                                      back["ST"].sel(output="peak_year:national").values)
        assert "model-discrepancy groups" in sens.format_table(back)
        fig = sensitivity_plots.plot_sensitivity(back)
    from tests.plots.test_plots import check_figure

    check_figure(fig)


def test_discrepancy_file_is_cf_clean(tiny_md, tmp_path):
    from sim.results import netcdf

    path = netcdf.write_atomic(tiny_md[2], tmp_path / "md.nc")
    _assert_cf_clean(path)


@pytest.mark.parametrize("args, message", [
    (["--parameters", "growth_ofset"], "unknown uncertain parameter; did you mean 'growth_offset'"),
    (["--parameters", "model_discrepancy", "--no-discrepancy"], "contradicts --no-discrepancy"),
    (["--levers", "eaf_shar:2030=0..0.2"], "unknown lever; did you mean 'eaf_share'"),
    (["--levers", "eaf_share:2030=0.1..1.5"], "high = 1.5"),
    (["--levers", "eaf_share:2050=0.1..0.2"], "year = 2050"),
    (["--levers", "eaf_share:2030:cement=0.1..0.2"], "sector or simulated province"),
    (["--levers", "eaf_share:2030=0.3..0.1"], "must be above low"),
    (["--levers", "eaf_share:2030"], "LEVER:YEAR"),
    (["--levers", "eaf_share:2030=0.5..0.9", "--levers",
      "h2_dri_share:2030=0.5..0.9"], "route"),
    (["--samples", "12"], "must be a power of 2"),
    (["--samples", "0"], "must be a power of 2"),
    (["--method", "morris", "--samples", "1"], "must be >= 2"),
    (["--method", "morris", "--second-order"], "Sobol option"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out" / "s.nc"
    res = CliRunner().invoke(main, ["sensitivity", str(ANHUI), *args, "--out", str(out)])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in res.output and res.stdout == ""
    assert not out.exists() and not any(tmp_path.rglob("*.nc"))
