"""``sim sweep`` (many lever sets on Dask) and ``sim sensitivity`` (Sobol and Morris indices)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sim.analysis import cluster as clusters
from sim.analysis import report
from sim.analysis import sensitivity as sens
from sim.analysis import sweep as sweeps
from sim.core import shipped, sizes
from sim.core.progress import Progress
from sim.interfaces.cli.common import (
    OUTPUT_PATH,
    QUIET,
    completer,
    fail,
    load,
    output,
    output_folder,
    writing,
)
from sim.results import netcdf
from sim.results.reading import open_results
from sim.scenario import ScenarioError
from sim.scenario.sweep import levers_text, load_sweep


@click.command()
@click.argument("sweep_file", metavar="SWEEP", shell_complete=completer("sweeps"))
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Use an existing Dask cluster (e.g. tcp://host:8786) instead of a local one.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local cluster: worker processes (default: one per core). With --cluster: jobs.")
@click.option("--cluster", type=click.Choice(["slurm", "pbs"]), default=None,
              help="Start a dask-jobqueue cluster from the sweep file's [cluster] table "
                   "(needs the 'cluster' extra: pip install -e '.[cluster]').")
@click.option("--out", "out_dir", type=OUTPUT_PATH, default=None,
              help="Output folder (default: outputs/<sweep name>).")
@QUIET
def sweep(sweep_file: str, scheduler: str | None, workers: int | None, cluster: str | None,
          out_dir: Path | None, quiet: bool) -> None:
    """Run every lever set of SWEEP on Dask, resumably, and combine the cases into one file."""
    try:
        path = shipped.resolve(sweep_file, "sweeps")
    except shipped.NotFound:
        path = Path(sweep_file)  # load_sweep names the missing file
    try:
        sw = load_sweep(path, progress=Progress(f"validating {Path(sweep_file).name}", "cases", quiet))
    except ScenarioError as e:
        fail(str(e))
    out_dir = output_folder(out_dir or Path("outputs") / sw.name)
    output(out_dir / f"{sw.name}.nc", (".nc",), (sw.path, sw.scenario_path), "combined file")
    try:
        client, closers, threads = clusters.dask_client(sw, scheduler, workers, cluster)
    except ImportError as e:
        fail(str(e))
    if not quiet:
        click.echo(f"sweep {sw.name}: {len(sw.cases)} cases x {sw.members} members on "
                   f"{client.dashboard_link or client.scheduler.address}", err=True)
    interrupted = False
    try:
        with writing():
            result = sweeps.run_sweep(sw, client, out_dir,
                                      progress=Progress(f"sweep {sw.name}", "cases", quiet),
                                      numba_threads=threads)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        clusters.close_quietly(closers, interrupted)
        sweeps.remove_leftovers(sw, out_dir)  # of workers the cluster's close has ended
    click.echo(f"computed {len(result.computed)} cases, {len(result.skipped)} already done "
               f"(resumed), {len(result.failed)} failed")
    for index, error in result.failed.items():
        click.echo(f"  case {index} ({levers_text(sw.cases[index].levers)}) failed: {error}")
    if result.failed:
        click.echo("not combined: rerun the same command to retry the failed cases (finished "
                   "cases are kept)", err=True)
        sys.exit(1)

    with open_results(result.combined) as ds:
        click.echo(report.format_summary(ds))
    click.echo(f"\nwrote {result.combined}")


@click.command()
@click.argument("scenario", shell_complete=completer())
@click.option("--method", type=click.Choice(["sobol", "morris"]), default="sobol", show_default=True,
              help="Sobol indices (Saltelli sampling) or Morris elementary effects (SALib).")
@click.option("--samples", "samples", type=int, default=None, metavar="N",
              help="Sobol: base samples N, a power of 2 (N (D+2) evaluations for D factors, "
                   "each discrepancy group one; N (2D+2) with --second-order; default 256). "
                   "Morris: trajectories (N (D+1) evaluations; default 20).")
@click.option("--parameters", "parameters", multiple=True, metavar="NAME[,NAME...]",
              help="Uncertain parameters analysed (repeatable or comma-separated; default: every "
                   "parameter with a distribution in the scenario; the others held at their median).")
@click.option("--levers", "levers", multiple=True, metavar="LEVER:YEAR[:SECTOR][:PROVINCE]=LO..HI",
              help="A lever point as a factor, uniform on [LO, HI] (repeatable), e.g. "
                   "eaf_share:2030=0.1..0.4 or phase_out:2025:iron_steel=0..0.05.")
@click.option("--second-order", is_flag=True, help="Sobol: also second-order indices (S2).")
@click.option("--no-discrepancy", "no_discrepancy", is_flag=True,
              help="Model discrepancy off in every evaluation (default when the scenario has it "
                   "on: its draws z are factors, one group model_discrepancy:<sector> per sector).")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Output NetCDF file (default: outputs/<name>/<name>_sensitivity_<method>.nc).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run the evaluations on an existing Dask cluster (e.g. tcp://host:8786).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run the evaluations on a local Dask cluster of this many worker processes.")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=None,
              help="Seed of the sample and of the bootstrap (default: the scenario's `seed`).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Evaluations simulated per step (bounds the memory).")
@QUIET
def sensitivity(scenario: str, method: str, samples: int | None, parameters: tuple[str, ...],
                levers: tuple[str, ...], second_order: bool, no_discrepancy: bool,
                out: Path | None,
                scheduler: str | None, workers: int | None, seed: int | None, chunk_size: int,
                quiet: bool) -> None:
    """Global sensitivity of SCENARIO's targets, peak years and 2030/2035 CO2 to its uncertain
    parameters and chosen lever points (Sobol or Morris, SALib), written to a NetCDF file."""
    sc = load(scenario)
    out = output(out or Path("outputs") / sc.name / f"{sc.name}_sensitivity_{method}.nc", (".nc",),
                  (sc.path, *sc.catalogues))
    problem = sizes.chunk_problem(chunk_size, chunk_size, len(sc.provinces))
    if problem:
        fail(f"--chunk-size = {chunk_size} {problem}")
    names = [n.strip() for p in parameters for n in p.split(",") if n.strip()] or None
    try:
        plan = sens.plan(sc, method, samples, names, list(levers), second_order, seed,
                         discrepancy=not no_discrepancy)
    except (sens.SensitivityError, ScenarioError) as e:
        fail(str(e))
    t0 = time.perf_counter()
    with clusters.optional_client(scheduler, workers) as (client, threads):
        if not quiet:
            click.echo(f"sensitivity {sc.name}: {method}, {len(plan.groups)} factors "
                       f"({len(plan.factors)} columns), "
                       f"{len(plan.unit)} evaluations, {len(plan.outputs)} outputs"
                       + (f" on {client.dashboard_link or client.scheduler.address}" if client
                          else ""), err=True)
        values = sens.evaluate(plan, chunk_size, client, threads,
                               Progress(f"sensitivity {sc.name}", "evaluations", quiet))
        t1 = time.perf_counter()
        indices, notes = sens.analyse(plan, values, client,
                                      Progress(f"sensitivity {sc.name} analysis", "outputs", quiet))
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    attrs = netcdf.global_attributes(plan.scenario, plan.seed, len(plan.unit))
    ds = sens.dataset(plan, values, indices, notes, attrs)
    with writing():
        netcdf.write_atomic(ds, out)
    click.echo(sens.format_table(ds))
    click.echo(f"\nwrote {out} ({len(plan.unit)} evaluations, {time.perf_counter() - t0:.1f} s: "
               f"evaluations {t1 - t0:.1f} s, analysis {t2 - t1:.1f} s, writing "
               f"{time.perf_counter() - t3:.1f} s)")

