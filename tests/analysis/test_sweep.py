"""Policy sweeps on a local Dask cluster (loopback, 2 workers): the combined result equals the
cases run one by one, resume recomputes only what is missing, a failing case does not sink the
sweep, and the combined file keeps its provenance."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analysis.sweep import part_path, run_sweep
from sim.interfaces.cli import main
from sim.model import run as model
from sim.results import ensemble
from sim.results.reading import open_results
from sim.scenario import ScenarioError
from sim.scenario.sweep import load_sweep

REPO = Path(__file__).resolve().parents[2]
SWEEP = f"""
[sweep]
name = "tiny"
scenario = "{REPO / 'scenarios' / 'anhui.toml'}"
members = 12
seed = 5
success = ["anhui_eaf_share_2030", "industry_peak_2030_province:Anhui"]
robust_probability = 0.5

[axes.eaf]
lever = "eaf_share"
year = 2030
values = [0.2, 0.35]

[axes.phase_out]
lever = "phase_out"
sector = "iron_steel"
year = 2024
values = [0.0, 0.1]
"""


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _write(tmp_path: Path, text: str = SWEEP) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow  # a local Dask cluster
def test_combined_sweep_equals_each_case_run_alone(client, tmp_path):
    sweep = load_sweep(_write(tmp_path))
    assert len(sweep.cases) == 4
    res = run_sweep(sweep, client, tmp_path / "out")
    assert res.failed == {} and res.computed == [0, 1, 2, 3]
    with open_results(res.combined) as ds:
        assert ds.sizes["case"] == 4
        np.testing.assert_array_equal(ds["lever_eaf"].values, [0.2, 0.2, 0.35, 0.35])
        np.testing.assert_array_equal(ds["lever_phase_out"].values, [0.0, 0.1, 0.0, 0.1])
        for case in sweep.cases:
            prep = model.prepare(sweep.case_scenario(case), members=12, seed=5)
            alone = tmp_path / f"alone{case.index}.nc"
            ensemble.write_ensemble(prep, alone, detail="summary",
                                    success_targets=sweep.success)
            with open_results(alone) as one:
                for name in one.data_vars:
                    np.testing.assert_array_equal(ds[name].isel(case=case.index).values,
                                                  one[name].values, err_msg=name)
            # each part and the combined file carry the case's design rows (DESIGN §10)
            design = np.stack([prep.samples[k] for k in prep.samples], axis=1)
            with open_results(part_path(tmp_path / "out", case)) as part:
                assert part["parameter_value"].dims == ("case", "member", "parameter")
                assert part["case"].values.tolist() == [case.index]
                np.testing.assert_array_equal(part["parameter_value"].isel(case=0).values, design)
            combined = ds["parameter_value"].isel(case=case.index).values
            np.testing.assert_array_equal(combined, design)
        # the levers matter: a higher EAF floor raises the attainment of the EAF target
        p = ds["target_probability"].sel(target="anhui_eaf_share_2030").values
        assert p[3] > p[0]
        # provenance
        assert ds.attrs["Conventions"] == "CF-1.10"
        assert "[axes.eaf]" in ds.attrs["sweep_toml"]
        assert "[scenario]" in ds.attrs["scenario_toml"]
        assert ds["lever_eaf"].attrs["units"] == "1" and "2030" in ds["lever_eaf"].attrs["long_name"]
        assert ds["target_probability"].attrs["units"] == "1"


@pytest.mark.slow  # a local Dask cluster
def test_resume_recomputes_only_the_missing_part(client, tmp_path):
    sweep = load_sweep(_write(tmp_path))
    out = tmp_path / "out"
    run_sweep(sweep, client, out)
    kept = part_path(out, sweep.cases[0]).stat().st_mtime_ns
    part_path(out, sweep.cases[2]).unlink()
    res = run_sweep(sweep, client, out)
    assert res.computed == [2] and res.skipped == [0, 1, 3]
    assert part_path(out, sweep.cases[0]).stat().st_mtime_ns == kept
    # a changed scenario changes every case's hash: nothing is reused
    changed = load_sweep(_write(tmp_path, SWEEP.replace("members = 12", "members = 13")))
    assert all(a.hash != b.hash for a, b in zip(sweep.cases, changed.cases))


@pytest.mark.slow  # a local Dask cluster
def test_a_failing_case_does_not_sink_the_sweep(client, tmp_path):
    sweep = load_sweep(_write(tmp_path))
    out = tmp_path / "out"
    blocker = part_path(out, sweep.cases[1])
    (blocker / "in_the_way").mkdir(parents=True)  # case 1 cannot be written
    res = run_sweep(sweep, client, out)
    assert sorted(res.failed) == [1] and res.computed == [0, 2, 3], res.failed
    assert res.combined is None
    shutil.rmtree(blocker)
    res = run_sweep(sweep, client, out)
    assert res.computed == [1] and res.failed == {} and res.combined.exists()


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('lever = "eaf_share"', 'lever = "eaf_shar"'),
     "axes.eaf.lever = \"eaf_shar\" is an unknown lever; did you mean 'eaf_share'?"),
    (lambda t: t.replace("values = [0.2, 0.35]", "values = [0.2, 1.35]"),
     "axes.eaf.values[1] = 1.35 is outside [0, 1]"),
    (lambda t: t.replace('"anhui_eaf_share_2030", ', '"anhui_eaf_2030", '),
     'sweep.success[0] = "anhui_eaf_2030" is an unknown target of the base scenario'),
    (lambda t: t.replace("seed = 5", "seed = 5\nmethod = \"lhs\""), "axes.eaf.low"),
    (lambda t: t.replace("seed = 5", "seed = 5\nmembrs = 3"), "did you mean 'members'?"),
])
def test_bad_sweep_files_are_named_precisely(tmp_path, edit, message):
    path = _write(tmp_path, edit(SWEEP))
    with pytest.raises(ScenarioError) as e:
        load_sweep(path)
    assert message in str(e.value) and str(path) in str(e.value)
    res = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_a_case_breaking_a_scenario_rule_is_caught_before_running(tmp_path):
    """Route floors must sum to at most 1: a case that breaks it names the case and its levers."""
    text = SWEEP.replace("[axes.phase_out]", """[axes.h2]
lever = "h2_dri_share"
year = 2030
values = [0.0, 0.7]

[axes.phase_out]""")
    with pytest.raises(ScenarioError) as e:
        load_sweep(_write(tmp_path, text))
    assert "case" in str(e.value) and "h2 = 0.7" in str(e.value)


@pytest.mark.slow  # `sim sweep` starts a local Dask cluster
def test_cli_sweep_prints_the_robust_lever_sets(tmp_path):
    path = _write(tmp_path)
    res = CliRunner().invoke(main, ["sweep", str(path), "--workers", "2", "--out",
                                    str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "robust lever sets (P(all success targets) >= 50%)" in res.output
    assert (tmp_path / "o" / "tiny.nc").exists()


def test_cluster_table_builds_a_slurm_job_script():
    """`--cluster slurm` turns the sweep's [cluster] table into a batch job (nothing submitted)."""
    pytest.importorskip("dask_jobqueue")
    from sim.analysis.cluster import jobqueue_cluster

    sweep = load_sweep(REPO / "scenarios" / "sweeps" / "anhui_steel.toml")
    cluster = jobqueue_cluster(sweep, "slurm")
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in ("#SBATCH -p normal", "#SBATCH --cpus-per-task=8", "#SBATCH -t 01:00:00",
                 "--nworkers 8"):
        assert line in script, line
