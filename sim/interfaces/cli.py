"""Command line: ``sim run``, ``sim validate``, ``sim calibrate``, ``sim hindcast``, ``sim sweep``,
``sim sensitivity``, ``sim report``, ``sim plot``, ``sim export``, ``sim discover``, ``sim serve``
(the web page, ``sim.interfaces.serve``). Thin: parse, call, print.

Bad input exits with code 2 and a one-line message naming the file, the key, the value and what is
allowed; no traceback, and nothing is written.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from pathlib import Path

import click

from sim.results import ensemble

from sim.core import shipped
from sim.scenario import ScenarioError, load_scenario

from sim.core.shipped import SCENARIO_DIRS  # noqa: F401  (where bare names are looked up)


def resolve_scenario(name: str) -> Path:
    """A path as given if it exists, else ``scenarios/<name>[.toml]`` (./scenarios, then shipped)."""
    try:
        return shipped.resolve(name)
    except shipped.NotFound as e:
        raise click.UsageError(str(e)) from None


class _Failure(click.ClickException):
    """Bad input or an unreadable file: click's own error style ("Error: ..." on stderr), code 2."""

    exit_code = 2


def _fail(message: str) -> None:
    raise _Failure(" ".join(str(message).split()))  # always one line


def _completer(sub: str = ""):
    """Shell completion of a SCENARIO (``sub = ""``) or SWEEP (``"sweeps"``) argument: the names
    of ./scenarios and the shipped scenarios, and file names once the word looks like a path."""
    def complete(ctx, param, incomplete: str):
        from click.shell_completion import CompletionItem

        items = [CompletionItem(n) for n in shipped.names(sub) if n.startswith(incomplete)]
        if not items or any(c in incomplete for c in "/.~"):
            items.append(CompletionItem(incomplete, type="file"))
        return items
    return complete


_QUIET = click.option("-q", "--quiet", is_flag=True,
                      help="No progress or status lines on stderr (results and errors still).")


def _converge_options(f):
    """--converge, --tolerance, --quantile-tolerance (``sim.analysis.convergence``) of sim run and report."""
    from sim.analysis import convergence

    f = click.option("--quantile-tolerance", type=click.FloatRange(min=0, min_open=True),
                     default=convergence.DEFAULT_QUANTILE_TOLERANCE, show_default=True,
                     help="--converge: largest relative change of a quantile.")(f)
    f = click.option("--tolerance", type=click.FloatRange(0, 1, min_open=True),
                     default=convergence.DEFAULT_TOLERANCE, show_default=True,
                     help="--converge: largest absolute change of a probability.")(f)
    return click.option("--converge", is_flag=True,
                        help="Also compare every probability and quantile of the first n/2 "
                             "members with all n and say whether n is enough.")(f)


def _output(path, suffixes: tuple[str, ...], inputs=(), what: str = "--out") -> Path:
    """``path`` if a result may be written there (``sim.core.files.check_output``), else exit 2."""
    from sim.core import files

    try:
        return files.check_output(path, suffixes, inputs, what)
    except files.OutputPathError as e:
        _fail(str(e))


def _output_folder(path, what: str = "--out") -> Path:
    from sim.core import files

    try:
        return files.check_output_folder(path, what)
    except files.OutputPathError as e:
        _fail(str(e))


@contextlib.contextmanager
def _writing():
    """Turn a failure to write (disk full, permissions changed during the run) into one line;
    the temporary file is already removed (``sim.core.files.atomic_path``)."""
    try:
        yield
    except OSError as e:
        _fail(str(e) if not e.filename else f"{e.filename}: cannot write ({e.strerror})")


class _OutputPath(click.ParamType):
    """An output path option as given: an empty one is refused in one line (click's Path would
    turn "" into ".", the current folder); every other check is ``sim.core.files.check_output``."""

    name = "path"

    def convert(self, value, param, ctx):
        if isinstance(value, Path):
            return value
        if not str(value).strip():
            _fail(f'{param.opts[0] if param else "path"} = "{value}" is not a path (allowed: a '
                  "file or folder name)")
        return Path(value)


OUTPUT_PATH = _OutputPath()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interruption so that every cleanup runs as it does on Ctrl-C."""


def _interrupt(signum, frame) -> None:
    # a second signal while cleaning up must not cut the cleanup short: ignore further ones
    # (SIGKILL still ends the process; a rerun then removes what it left)
    from sim.core import files

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    interruption = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
    if not files.defer(interruption):  # inside a library call that must finish first
        raise interruption


class _Main(click.Group):
    """The command group: SIGINT and SIGTERM stop a command with its cleanup done and one line
    (exit code 130 or 143, 128 + the signal number) instead of a traceback or "Aborted!"."""

    def invoke(self, ctx):
        main_thread = threading.current_thread() is threading.main_thread()
        previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)
                    if main_thread and signal.getsignal(s) is not signal.SIG_IGN}  # nohup, &
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as e:
            signum = signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT
            click.echo(f"\nError: interrupted by {signum.name}: stopped; no half-written file is "
                       "left (a rerun starts again; a sweep resumes from its finished cases)",
                       err=True)
            sys.exit(128 + signum)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def _load(name: str):
    try:
        return load_scenario(resolve_scenario(name))
    except ScenarioError as e:
        _fail(str(e))
    except click.UsageError as e:
        _fail(e.message)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="china-industry-sim")
def main() -> None:
    """Regional industrial decarbonisation scenario simulator for Chinese provinces."""


@main.command()
@click.argument("scenario", shell_complete=_completer())
def validate(scenario: str) -> None:
    """Check SCENARIO (a path, or a name in scenarios/) without running it."""
    sc = _load(scenario)
    click.echo(f"{sc.path}: valid ({len(sc.provinces)} provinces, years {sc.years[0]}-{sc.years[-1]}, "
               f"{len(sc.targets)} targets, {len(sc.administrative)} administrative)")


@main.command()
@click.argument("scenario", shell_complete=_completer())
@click.option("--members", type=click.IntRange(min=1), default=None,
              help="Ensemble size (default: the scenario's `members`, 1000 unless set).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=None,
              help="Random seed (default: the scenario's `seed`).")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Output NetCDF file (default: outputs/<name>/<name>.nc).")
@click.option("--detail", type=click.Choice(ensemble.DETAILS), default=None,
              help="What the file keeps per member: full (every variable), province (province "
                   "totals, targets, peaks; per-sector quantiles) or summary (statistics only). "
                   f"Default: full up to {ensemble.FULL_DETAIL_MAX_MEMBERS} members, else province.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Members simulated and written per step (bounds the memory).")
@click.option("--compress/--no-compress", default=True, show_default=True,
              help="zlib-compress the file (lossless; about 40 % smaller, writing about 2x slower).")
@_QUIET
@_converge_options
def run(scenario: str, members: int | None, seed: int | None, out: Path | None,
        detail: str | None, chunk_size: int, compress: bool, quiet: bool, converge: bool,
        tolerance: float, quantile_tolerance: float) -> None:
    """Run SCENARIO's Monte-Carlo ensemble, stream it to a NetCDF file and print the target table."""
    import xarray as xr

    from sim.core import files

    from sim.results import netcdf

    from sim.model import run as model

    from sim.analysis import report
    from sim.core.progress import Progress

    sc = _load(scenario)
    out = _output(out or Path("outputs") / sc.name / f"{sc.name}.nc", (".nc",),
                  (sc.path, *sc.catalogues))
    detail = detail or ensemble.default_detail(members or sc.members)
    if converge and detail == "summary":
        _fail("--converge needs members per target and peak year: use --detail province or full "
              "(summary keeps only the parameter values per member)")
    _check_size(members or sc.members, sc, detail, chunk_size)  # before the design is drawn
    t0 = time.perf_counter()
    timer: dict[str, float] = {}
    prep = model.prepare(sc, members=members, seed=seed)
    timer["sampling"] = time.perf_counter() - t0
    attrs = netcdf.global_attributes(sc, prep.seed, prep.members, base=prep.base)
    with _writing():
        ensemble.write_ensemble(prep, out, detail=detail, chunk_size=chunk_size, attrs=attrs,
                                progress=Progress(f"sim run {sc.name}", "members", quiet),
                                timer=timer, compress=compress)
    elapsed = time.perf_counter() - t0
    with files.uninterrupted(), xr.open_dataset(out) as ds:
        click.echo(report.format_table(ds))
        if converge:
            click.echo(_with_convergence("", ds, tolerance, quantile_tolerance, "table")[1:])
    busy = timer.pop("writer_busy", 0.0)
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in timer.items())
    click.echo(f"\nwrote {out} ({prep.members} members, detail {detail}, {elapsed:.1f} s: {stages}; "
               f"writer thread busy {busy:.1f} s, overlapped with the simulation)")


def _check_size(members: int, sc, detail: str, chunk_size: int) -> None:
    """Exit 2 if ``members`` or the chunk cannot be held in memory (``sim.core.sizes``)."""
    from sim.core import sizes

    problem = sizes.chunk_problem(chunk_size, members, len(sc.provinces))
    if problem:
        _fail(f"--chunk-size = {chunk_size} {problem}")
    problem = sizes.members_problem(members, len(sc.provinces), len(sc.years), detail, chunk_size)
    if problem:
        _fail(f"--members = {members} {problem}")


# --- sweeps (issue #4) -------------------------------------------------------------------------------
@main.command()
@click.option("--fit", "do_fit", is_flag=True,
              help="Refit the dynamic parameters over 2010-2019 and 2010-2015 and rewrite the files.")
@click.option("--out", type=OUTPUT_PATH, default=None,
              help="Parameter file to write (default calibration/fitted.toml, which sim run reads).")
def calibrate(do_fit: bool, out: Path | None) -> None:
    """Show the calibrated dynamic parameters, or refit them with --fit (a few minutes).

    The fit (calibration/fit.py) runs the model from the 2010 base state to 2019 (the shipped
    parameters) and to 2015 (<out stem>_2010_2015.toml, the hindcast's) and fits AEEI of fuels and
    electricity, capacity lifetimes, fuel-switching trends, the steel in-use stock lifetime and
    activity growth to CEADs CO2 by province, sector and fuel, NBS outputs and CEC electricity, by
    bounded least squares; the default uncertainty widths (dist = "calibrated" in a scenario) and
    the model-discrepancy sigmas are derived from it.
    """
    from sim.data.base_state import FITTED_FILE, read_fitted

    out = out or FITTED_FILE
    if do_fit:
        if out.parent and not out.parent.is_dir():
            _fail(f"{out}: folder {out.parent} does not exist")
        from calibration import fit

        written = fit.output_files(out)
        for path, suffix, what in zip(written, (".toml", ".csv", ".toml", ".csv"),
                                      ("--out", "--out (growth table)", "--out (2010-2015 fit)",
                                       "--out (2010-2015 growth table)")):
            _output(path, (suffix,), what=what)

        click.echo("fitting 2010-2019 and 2010-2015 (CEADs CO2 by province, sector and fuel; NBS "
                   "outputs; CEC electricity) ...", err=True)
        with _writing():
            result = fit.run(out)
        click.echo(fit.summary(result))
        click.echo("wrote " + ", ".join(str(p) for p in written))
        return
    doc = read_fitted(out)
    if doc is None:
        _fail(f"{out}: no calibrated parameter file; run sim calibrate --fit")
    st = doc["statistics"]
    click.echo(f"{out}: fit {doc['meta']['window'][0]}-{doc['meta']['window'][1]} of "
               f"{doc['meta']['created']} (code {doc['meta']['code']}): {st['n_residuals']} residuals, "
               f"{st['n_parameters']} parameters, reduced chi2 {st['reduced_chi2']:.2f}, "
               f"R2 province x sector CO2 {st['r2_province_sector_co2']:.3f}")
    click.echo(f"{'parameter':<24} " + " ".join(f"{s[:11]:>11}" for s in doc["parameters"]["aeei"]
                                                 if s not in ("unit", "prior_source")))
    for group, table in doc["parameters"].items():
        cells = [f"{v['value']:>6.3g}±{v['sd']:<4.2g}" + ("*" if v["at_bound"] else "")
                 for k, v in table.items() if k not in ("unit", "prior_source")]
        click.echo(f"{group + ' [' + table['unit'] + ']':<24} " + " ".join(f"{c:>11}" for c in cells))
    click.echo("(* = at a bound)")
    for name, t in doc.get("uncertainty", {}).items():
        params = ", ".join(f"{k} {v:g}" for k, v in t.items() if k not in ("dist", "evidence"))
        click.echo(f"uncertainty {name}: {t['dist']}({params}) - {t['evidence']}")


@main.command()
@click.option("--nominal", is_flag=True,
              help="Use the nominal parameters of calibration/assumptions.toml instead of the fit.")
@click.option("--plot", "plot_path", type=OUTPUT_PATH, default=None,
              help="Also write the hindcast figure (png, pdf or svg by suffix).")
@click.option("--check", is_flag=True, help="Exit with code 1 if a goal is missed.")
@click.option("--members", type=click.IntRange(min=0), default=300, show_default=True,
              help="Ensemble members for the coverage of the 5-95 % band (0: central member only).")
def hindcast(nominal: bool, plot_path: Path | None, check: bool, members: int) -> None:
    """Run the 2015->2019 hindcast against CEADs 2019 and print the errors and coverage.

    From the 2015 base state, driven by observed 2016-2019 activity, with the dynamics of the
    2010-2015 fit (calibration/fitted_2010_2015.toml). Goals: national CO2 within 5 %; median
    province APE within 15 % for steel, non-metallic minerals and chemicals; the ensemble's
    5-95 % band (parameters sampled from the fit, model discrepancy) contains 80-95 % of the
    province x sector CO2 cells above 1 Mt and 70-95 % of the national sector-year electricity
    values (--check: exit code 1 if one is missed).
    """
    from sim.analysis import hindcast as hc

    if plot_path is not None:
        _output(plot_path, (".png", ".pdf", ".svg"), what="--plot")
    h = hc.run(fitted=not nominal)
    click.echo(hc.format_report(h))
    if plot_path is not None:
        from sim.core import files

        with _writing(), files.atomic_path(plot_path) as tmp:
            hc.plot(h).savefig(tmp, dpi=120)
        click.echo(f"wrote {plot_path}")
    missed = [k for k, ok in h.meets_goals().items() if not ok]
    if members and not nominal:
        c = hc.ensemble(members)
        click.echo("")
        click.echo(hc.format_coverage(c))
        for name, value in (("co2", c.co2_coverage), ("electricity", c.elec_coverage)):
            lo, hi = hc.COVERAGE_GOALS[name]
            if not lo <= value <= hi:
                missed.append(f"{name} coverage")
    if missed:
        click.echo(f"goals missed: {', '.join(missed)}", err=True)
        if check:
            sys.exit(1)


@main.command()
@click.argument("sweep_file", metavar="SWEEP", shell_complete=_completer("sweeps"))
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Use an existing Dask cluster (e.g. tcp://host:8786) instead of a local one.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local cluster: worker processes (default: one per core). With --cluster: jobs.")
@click.option("--cluster", type=click.Choice(["slurm", "pbs"]), default=None,
              help="Start a dask-jobqueue cluster from the sweep file's [cluster] table "
                   "(needs the 'cluster' extra: pip install -e '.[cluster]').")
@click.option("--out", "out_dir", type=OUTPUT_PATH, default=None,
              help="Output folder (default: outputs/<sweep name>).")
@_QUIET
def sweep(sweep_file: str, scheduler: str | None, workers: int | None, cluster: str | None,
          out_dir: Path | None, quiet: bool) -> None:
    """Run every lever set of SWEEP on Dask, resumably, and combine the cases into one file."""
    from sim.analysis import sweep as sweeps
    from sim.core.progress import Progress

    try:
        path = shipped.resolve(sweep_file, "sweeps")
    except shipped.NotFound:
        path = Path(sweep_file)  # load_sweep names the missing file
    try:
        sw = sweeps.load_sweep(path)
    except ScenarioError as e:
        _fail(str(e))
    out_dir = _output_folder(out_dir or Path("outputs") / sw.name)
    _output(out_dir / f"{sw.name}.nc", (".nc",), (sw.path, sw.scenario_path), "combined file")
    try:
        client, closers, threads = sweeps.dask_client(sw, scheduler, workers, cluster)
    except ImportError as e:
        _fail(str(e))
    if not quiet:
        click.echo(f"sweep {sw.name}: {len(sw.cases)} cases x {sw.members} members on "
                   f"{client.dashboard_link or client.scheduler.address}", err=True)
    interrupted = False
    try:
        with _writing():
            result = sweeps.run_sweep(sw, client, out_dir,
                                      progress=Progress(f"sweep {sw.name}", "cases", quiet),
                                      numba_threads=threads)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        sweeps.close_quietly(closers, interrupted)
        sweeps.remove_leftovers(sw, out_dir)  # of workers the cluster's close has ended
    click.echo(f"computed {len(result.computed)} cases, {len(result.skipped)} already done "
               f"(resumed), {len(result.failed)} failed")
    for index, error in result.failed.items():
        click.echo(f"  case {index} ({sweeps._levers_text(sw.cases[index].levers)}) failed: {error}")
    if result.failed:
        click.echo("not combined: rerun the same command to retry the failed cases (finished "
                   "cases are kept)", err=True)
        sys.exit(1)
    import xarray as xr

    with xr.open_dataset(result.combined) as ds:
        click.echo(sweeps.format_summary(ds))
    click.echo(f"\nwrote {result.combined}")


# --- global sensitivity (issue #16 §1) -------------------------------------------------------------
@main.command()
@click.argument("scenario", shell_complete=_completer())
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
@_QUIET
def sensitivity(scenario: str, method: str, samples: int | None, parameters: tuple[str, ...],
                levers: tuple[str, ...], second_order: bool, no_discrepancy: bool,
                out: Path | None,
                scheduler: str | None, workers: int | None, seed: int | None, chunk_size: int,
                quiet: bool) -> None:
    """Global sensitivity of SCENARIO's targets, peak years and 2030/2035 CO2 to its uncertain
    parameters and chosen lever points (Sobol or Morris, SALib), written to a NetCDF file."""
    from sim.results import netcdf
    from sim.core import sizes
    from sim.analysis import sensitivity as sens
    from sim.core.progress import Progress

    sc = _load(scenario)
    out = _output(out or Path("outputs") / sc.name / f"{sc.name}_sensitivity_{method}.nc", (".nc",),
                  (sc.path, *sc.catalogues))
    problem = sizes.chunk_problem(chunk_size, chunk_size, len(sc.provinces))
    if problem:
        _fail(f"--chunk-size = {chunk_size} {problem}")
    names = [n.strip() for p in parameters for n in p.split(",") if n.strip()] or None
    try:
        plan = sens.plan(sc, method, samples, names, list(levers), second_order, seed,
                         discrepancy=not no_discrepancy)
    except (sens.SensitivityError, ScenarioError) as e:
        _fail(str(e))
    t0 = time.perf_counter()
    client, closers, threads = None, [], None
    if scheduler or workers:
        from sim.analysis import sweep as sweeps

        client, closers, threads = sweeps.dask_client(None, scheduler, workers)
    if not quiet:
        click.echo(f"sensitivity {sc.name}: {method}, {len(plan.groups)} factors "
                   f"({len(plan.factors)} columns), "
                   f"{len(plan.unit)} evaluations, {len(plan.outputs)} outputs"
                   + (f" on {client.dashboard_link or client.scheduler.address}" if client else ""),
                   err=True)
    interrupted = False
    try:
        values = sens.evaluate(plan, chunk_size, client, threads,
                               Progress(f"sensitivity {sc.name}", "evaluations", quiet))
        t1 = time.perf_counter()
        indices, notes = sens.analyse(plan, values, client,
                                      Progress(f"sensitivity {sc.name} analysis", "outputs", quiet))
        t2 = time.perf_counter()
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if closers:
            from sim.analysis import sweep as sweeps

            sweeps.close_quietly(closers, interrupted)
    t3 = time.perf_counter()
    attrs = netcdf.global_attributes(plan.scenario, plan.seed, len(plan.unit))
    ds = sens.dataset(plan, values, indices, notes, attrs)
    with _writing():
        netcdf.write_atomic(ds, out)
    click.echo(sens.format_table(ds))
    click.echo(f"\nwrote {out} ({len(plan.unit)} evaluations, {time.perf_counter() - t0:.1f} s: "
               f"evaluations {t1 - t0:.1f} s, analysis {t2 - t1:.1f} s, writing "
               f"{time.perf_counter() - t3:.1f} s)")


@main.command("report")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--all-regions", is_flag=True, help="Peak-year rows for every province, not only national "
              "(table and markdown; csv and json always list every region).")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "csv", "json"]),
              default="table", show_default=True,
              help="Plain-text table, GitHub Markdown tables, one CSV table (a `section` column: "
                   "target, peak_year, administrative) or one JSON object.")
@_converge_options
def report_cmd(file: Path, all_regions: bool, fmt: str, converge: bool, tolerance: float,
               quantile_tolerance: float) -> None:
    """Print the target table and peak years of an ensemble FILE (NetCDF); for a combined sweep
    file, the robust lever sets (table) or the per-case rows (markdown, csv, json)."""
    from sim.analysis import report
    from sim.results import reading as results

    try:
        with results.open_results(file) as ds:
            if results.kind(ds) == "sensitivity":
                from sim.analysis import sensitivity as sens

                results.require(ds, sens.report_variables(ds), "a sensitivity report")
                text = sens.format_report(ds, fmt, all_regions=all_regions)
                click.echo(text, nl=not text.endswith("\n"))
                return
            if results.kind(ds) == "sweep":
                results.require(ds, ("target_probability",), "a sweep report")
            else:
                results.require(ds, ("target_value", "target_probability", "peak_year"), "a report")
            text = report.format_report(ds, fmt, all_regions=all_regions)
            if converge:
                if fmt not in ("table", "json"):
                    _fail(f"--converge is printed with --format table or json, not {fmt}")
                text = _with_convergence(text, ds, tolerance, quantile_tolerance, fmt)
    except results.ResultsFileError as e:
        _fail(str(e))
    click.echo(text, nl=not text.endswith("\n"))


def _with_convergence(text: str, ds, tolerance: float, quantile_tolerance: float,
                      fmt: str) -> str:
    """The report ``text`` with the convergence check of the open ensemble file ``ds``
    (``sim.analysis.convergence``): a table after it, or a ``convergence`` member of its JSON object."""
    import json

    from sim.analysis import convergence

    from sim.results import reading as results

    try:
        c = convergence.compare(ds, tolerance, quantile_tolerance)
    except results.ResultsFileError as e:
        _fail(str(e))
    if fmt == "table":
        return f"{text}\n\n{convergence.format_table(c)}"
    data = json.loads(text) | {"convergence": c.to_dict()}
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)


# --- plots (issue #5) ------------------------------------------------------------------------------------
from sim.plots.figures import FORMATS as _PLOT_FORMATS, KINDS as _PLOT_KINDS  # noqa: E402  (no matplotlib)


@main.command("plot")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(_PLOT_KINDS)),
              help="Figure kind (repeatable; default: every kind the file can serve).")
@click.option("--province", "provinces", multiple=True, metavar="P",
              help="Province (English name, ISO code such as CN-AH, or Chinese; repeatable). "
                   "Default: the file's only province, else national.")
@click.option("--out", "out_dir", type=OUTPUT_PATH, default=None,
              help="Output folder (default: outputs/<file name without .nc>/figures).")
@click.option("--format", "fmt", type=click.Choice(_PLOT_FORMATS), default="png", show_default=True)
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="Baseline ensemble file (same provinces and years): adds the wedge chart of "
                   "the reduction against it to the 'sectors' figure.")
def plot_cmd(file: Path, kinds: tuple[str, ...], provinces: tuple[str, ...], out_dir: Path | None,
             fmt: str, baseline: Path | None) -> None:
    """Draw the figures of a result FILE (ensemble or combined sweep) from the file alone."""
    from sim.plots import figures as plots
    from sim.results import reading as results

    out_dir = _output_folder(out_dir or Path("outputs") / file.stem / "figures")
    try:
        with _writing(), contextlib.ExitStack() as stack:
            ds = stack.enter_context(results.open_results(file))
            base = stack.enter_context(results.open_results(baseline)) if baseline else None
            paths = plots.write_figures(ds, out_dir, kinds or None, provinces or None, fmt, base,
                                        note=lambda text: click.echo(text, err=True))
    except results.ResultsFileError as e:
        _fail(str(e))
    for path in paths:
        click.echo(str(path))


# --- IAMC export (issue #5) ----------------------------------------------------------------------
@main.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["iamc"]), default="iamc", show_default=True,
              help="Table format (IAMC: model, scenario, region, variable, unit, one column per year).")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Output file, .csv or .xlsx (default: outputs/<stem>/<stem>_iamc.csv).")
@click.option("--model", "model_name", default=None,
              help="IAMC model name (default: china-industry-sim <version>).")
def export_cmd(file: Path, fmt: str, out: Path | None, model_name: str | None) -> None:
    """Write the IAMC table of an ensemble FILE: quantiles as scenarios <scenario>|p05 ... |p95."""
    from sim.results import export
    from sim.results import reading as results

    out = _output(out or Path("outputs") / file.stem / f"{file.stem}_iamc.csv", (".csv", ".xlsx"),
                  (file,))
    try:
        with _writing(), results.open_results(file) as ds:
            df = export.export_iamc(ds, out, model_name=model_name)
    except results.ResultsFileError as e:
        _fail(str(e))
    click.echo(f"wrote {out} ({len(df)} rows: {df['variable'].nunique()} variables x "
               f"{df['region'].nunique()} regions x {df['scenario'].nunique()} scenarios "
               f"({'quantiles and mean' if df['scenario'].str.endswith('|mean').any() else 'quantiles'}), "
               f"years {df.columns[5]}-{df.columns[-1]})")


# --- scenario discovery (issue #16) ----------------------------------------------------------------
@main.command("discover")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--target", "targets", multiple=True, required=True, metavar="ID",
              help="Target whose misses define the outcome (repeatable); the base id of an "
                   "each_province target selects it in every province.")
@click.option("--reduce", default="any", show_default=True, metavar="any|all|national|PROVINCE",
              help="How the selected targets make one outcome per row: any = misses at least one; "
                   "all = misses every one; national or a province = only the targets scoped "
                   "there, then any.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=0.8,
              show_default=True, help="Minimum density of the reported box.")
@click.option("--boxes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Boxes to search for, each on the rows outside the earlier ones.")
@click.option("--resample", type=click.IntRange(min=0), default=10, show_default=True,
              help="PRIM reruns on random halves for the stability of each box (0: none).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=0, show_default=True,
              help="Seed of the random halves.")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Result file, .json or .csv (default: beside --plot with its stem, else "
                   "outputs/<file stem>/discovery.json).")
@click.option("--plot", "plot_path", type=OUTPUT_PATH, default=None,
              help="Also draw the trade-off curve and box limits (png, pdf or svg by suffix).")
@click.option("-v", "--verbose", is_flag=True, help="Show EMA Workbench's log on stderr.")
def discover_cmd(file: Path, targets: tuple[str, ...], reduce: str, threshold: float, boxes: int,
                 resample: int, seed: int, out: Path | None, plot_path: Path | None,
                 verbose: bool) -> None:
    """Scenario discovery (PRIM) on an ensemble or sweep FILE: the boxes of uncertain parameters
    (and lever values) that hold the members missing the --target(s)."""
    from sim.analysis import discovery
    from sim.core import files
    from sim.results import reading as results

    if plot_path is not None:
        plot_path = _output(plot_path, (".png", ".pdf", ".svg"), (file,), "--plot")
    out = _output(out or discovery.default_out(file, plot_path), discovery.FORMATS, (file,))
    try:
        with results.open_results(file) as ds:
            found = discovery.discover(ds, targets, reduce, threshold=threshold, boxes=boxes,
                                       resample=resample, seed=seed, verbose=verbose)
            fig = discovery.plot(found, ds) if plot_path is not None else None
    except results.ResultsFileError as e:
        _fail(str(e))
    click.echo(discovery.format_table(found))
    with _writing():
        discovery.write(found, out)
        if fig is not None:
            with files.atomic_path(plot_path) as tmp:
                fig.savefig(tmp, format=plot_path.suffix[1:], dpi=150)
    click.echo(f"\nwrote {out}" + (f" and {plot_path}" if fig is not None else ""))
# --- the planner's web page (issue #15) -------------------------------------------------------
@main.command("serve")
@click.argument("scenario", required=False, default="anhui", shell_complete=_completer())
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: 127.0.0.1 = this machine only; 0.0.0.0 = every "
                   "network interface (anyone who can reach the machine can use the page).")
@click.option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option("--out", "out_dir", type=OUTPUT_PATH, default=None,
              help="Folder of the page's downloads, one subfolder per browser session "
                   "(default: outputs/serve).")
def serve_cmd(scenario: str, host: str, port: int, out_dir: Path | None) -> None:
    """Open the planner's web page on SCENARIO (default anhui): levers, live Monte-Carlo target
    table, peak years, CO2 fan, EAF share, energy mix, wedges against the baseline; Chinese and
    English; downloads of the edited scenario, NetCDF, IAMC table and figures."""
    sc = _load(scenario)
    out_dir = _output_folder(out_dir or Path("outputs") / "serve")
    try:
        from sim.interfaces import serve
        import plotly  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        _fail(f"sim serve needs {e.name}: pip install -e . installs it")
    serve.serve(sc.path, host, port, out_dir, echo=click.echo)
