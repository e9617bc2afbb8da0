"""Command line: ``sim run``, ``sim validate``, ``sim calibrate``, ``sim hindcast``, ``sim sweep``,
``sim report``, ``sim plot``, ``sim export``. Thin: parse, call, print.

Bad input exits with code 2 and a one-line message naming the file, the key, the value and what is
allowed; no traceback, and nothing is written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sim import ensemble
from sim.scenario import ScenarioError, load_scenario

SCENARIO_DIRS = (Path("scenarios"), Path(__file__).resolve().parent.parent / "scenarios")
"""Where a bare scenario name is looked up: ./scenarios, then the scenarios/ of this source tree."""


def resolve_scenario(name: str) -> Path:
    """A path as given if it exists, else ``scenarios/<name>[.toml]``."""
    p = Path(name)
    if p.exists():
        return p
    if p.parent == Path(".") or not p.parent.parts:
        for d in SCENARIO_DIRS:
            for candidate in (d / p.name, d / f"{p.name}.toml"):
                if candidate.exists():
                    return candidate
    raise click.UsageError(
        f"{name}: no such scenario file (looked in the current folder and in "
        f"{', '.join(str(d) for d in SCENARIO_DIRS)})")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _load(name: str):
    try:
        return load_scenario(resolve_scenario(name))
    except ScenarioError as e:
        _fail(str(e))
    except click.UsageError as e:
        _fail(e.message)


class _Progress:
    """Progress on stderr, shown only once a run has taken more than ``after`` seconds."""

    def __init__(self, label: str, after: float = 2.0):
        self.label, self.after, self.t0, self.shown = label, after, time.perf_counter(), False

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.t0
        if elapsed < self.after and done < total:
            return
        if not self.shown and done >= total and elapsed < self.after:
            return
        self.shown = True
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        click.echo(f"\r{self.label}: {done}/{total} members ({rate:,.0f}/s, {eta:,.0f} s left)   ",
                   err=True, nl=done >= total)


@click.group()
@click.version_option(package_name="china-industry-sim")
def main() -> None:
    """Regional industrial decarbonisation scenario simulator for Chinese provinces."""


@main.command()
@click.argument("scenario")
def validate(scenario: str) -> None:
    """Check SCENARIO (a path, or a name in scenarios/) without running it."""
    sc = _load(scenario)
    click.echo(f"{sc.path}: valid ({len(sc.provinces)} provinces, years {sc.years[0]}-{sc.years[-1]}, "
               f"{len(sc.targets)} targets, {len(sc.administrative)} administrative)")


@main.command()
@click.argument("scenario")
@click.option("--members", type=click.IntRange(min=1), default=None,
              help="Ensemble size (default: the scenario's `members`, 1000 unless set).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed (default: the scenario's `seed`).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output NetCDF file (default: outputs/<name>/<name>.nc).")
@click.option("--detail", type=click.Choice(ensemble.DETAILS), default=None,
              help="What the file keeps per member: full (every variable), province (province "
                   "totals, targets, peaks; per-sector quantiles) or summary (statistics only). "
                   f"Default: full up to {ensemble.FULL_DETAIL_MAX_MEMBERS} members, else province.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Members simulated and written per step (bounds the memory).")
@click.option("--compress/--no-compress", default=True, show_default=True,
              help="zlib-compress the file (lossless; about 40 % smaller, writing about 2x slower).")
def run(scenario: str, members: int | None, seed: int | None, out: Path | None,
        detail: str | None, chunk_size: int, compress: bool) -> None:
    """Run SCENARIO's Monte-Carlo ensemble, stream it to a NetCDF file and print the target table."""
    import xarray as xr

    from sim import io, model, report

    sc = _load(scenario)
    t0 = time.perf_counter()
    timer: dict[str, float] = {}
    prep = model.prepare(sc, members=members, seed=seed)
    timer["sampling"] = time.perf_counter() - t0
    attrs = io.global_attributes(sc, prep.seed, prep.members, base=prep.base)
    out = out or Path("outputs") / sc.name / f"{sc.name}.nc"
    detail = detail or ensemble.default_detail(prep.members)
    ensemble.write_ensemble(prep, out, detail=detail, chunk_size=chunk_size, attrs=attrs,
                            progress=_Progress(f"sim run {sc.name}"), timer=timer,
                            compress=compress)
    elapsed = time.perf_counter() - t0
    with xr.open_dataset(out) as ds:
        click.echo(report.format_table(ds))
    busy = timer.pop("writer_busy", 0.0)
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in timer.items())
    click.echo(f"\nwrote {out} ({prep.members} members, detail {detail}, {elapsed:.1f} s: {stages}; "
               f"writer thread busy {busy:.1f} s, overlapped with the simulation)")


# --- sweeps (issue #4) -------------------------------------------------------------------------------
@main.command()
@click.option("--fit", "do_fit", is_flag=True,
              help="Refit the dynamic parameters over 2010-2019 and 2010-2015 and rewrite the files.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
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
    from sim.base_state import FITTED_FILE, read_fitted

    out = out or FITTED_FILE
    if do_fit:
        if out.parent and not out.parent.is_dir():
            _fail(f"{out}: folder {out.parent} does not exist")
        from calibration import fit

        click.echo("fitting 2010-2015 (CEADs CO2 by province, sector and fuel; NBS outputs) ...", err=True)
        result = fit.run(out)
        click.echo(fit.summary(result))
        click.echo(f"wrote {out} and {out.with_name(out.stem + '_growth.csv')}")
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
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
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
    from sim import hindcast as hc

    if plot_path is not None and plot_path.suffix.lower() not in (".png", ".pdf", ".svg"):
        _fail(f"{plot_path}: --plot needs a .png, .pdf or .svg file name")
    h = hc.run(fitted=not nominal)
    click.echo(hc.format_report(h))
    if plot_path is not None:
        from sim import io

        with io.atomic_path(plot_path) as tmp:
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
@click.argument("sweep_file", metavar="SWEEP")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Use an existing Dask cluster (e.g. tcp://host:8786) instead of a local one.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local cluster: worker processes (default: one per core). With --cluster: jobs.")
@click.option("--cluster", type=click.Choice(["slurm", "pbs"]), default=None,
              help="Start a dask-jobqueue cluster from the sweep file's [cluster] table "
                   "(needs the 'cluster' extra: pip install -e '.[cluster]').")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: outputs/<sweep name>).")
def sweep(sweep_file: str, scheduler: str | None, workers: int | None, cluster: str | None,
          out_dir: Path | None) -> None:
    """Run every lever set of SWEEP on Dask, resumably, and combine the cases into one file."""
    from sim import sweep as sweeps

    path = Path(sweep_file)
    if not path.exists() and not path.suffix:
        for d in SCENARIO_DIRS:
            if (d / "sweeps" / f"{sweep_file}.toml").exists():
                path = d / "sweeps" / f"{sweep_file}.toml"
                break
    try:
        sw = sweeps.load_sweep(path)
    except ScenarioError as e:
        _fail(str(e))
    out_dir = out_dir or Path("outputs") / sw.name
    try:
        client, closers, threads = sweeps.dask_client(sw, scheduler, workers, cluster)
    except ImportError as e:
        _fail(str(e))
    click.echo(f"sweep {sw.name}: {len(sw.cases)} cases x {sw.members} members on "
               f"{client.dashboard_link or client.scheduler.address}", err=True)
    try:
        def progress(done: int, total: int, failed: int) -> None:
            click.echo(f"\rsweep {sw.name}: {done}/{total} cases ({failed} failed)   ", err=True,
                       nl=done >= total)

        result = sweeps.run_sweep(sw, client, out_dir, progress=progress, numba_threads=threads)
    finally:
        for close in closers:
            close()
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


@main.command("report")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--all-regions", is_flag=True, help="Peak-year rows for every province, not only national "
              "(table and markdown; csv and json always list every region).")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "csv", "json"]),
              default="table", show_default=True,
              help="Plain-text table, GitHub Markdown tables, one CSV table (a `section` column: "
                   "target, peak_year, administrative) or one JSON object.")
def report_cmd(file: Path, all_regions: bool, fmt: str) -> None:
    """Print the target table and peak years of an ensemble FILE (NetCDF); for a combined sweep
    file, the robust lever sets (table) or the per-case rows (markdown, csv, json)."""
    from sim import report, results

    try:
        with results.open_results(file) as ds:
            if results.kind(ds) == "sweep":
                results.require(ds, ("target_probability",), "a sweep report")
            else:
                results.require(ds, ("target_value", "target_probability", "peak_year"), "a report")
            text = report.format_report(ds, fmt, all_regions=all_regions)
    except results.ResultsFileError as e:
        _fail(str(e))
    click.echo(text, nl=not text.endswith("\n"))


# --- plots (issue #5) ------------------------------------------------------------------------------------
from sim.plots import FORMATS as _PLOT_FORMATS, KINDS as _PLOT_KINDS  # noqa: E402  (no matplotlib)


@main.command("plot")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(_PLOT_KINDS)),
              help="Figure kind (repeatable; default: every kind the file can serve).")
@click.option("--province", "provinces", multiple=True, metavar="P",
              help="Province (English name, ISO code such as CN-AH, or Chinese; repeatable). "
                   "Default: the file's only province, else national.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: outputs/<file name without .nc>/figures).")
@click.option("--format", "fmt", type=click.Choice(_PLOT_FORMATS), default="png", show_default=True)
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="Baseline ensemble file (same provinces and years): adds the wedge chart of "
                   "the reduction against it to the 'sectors' figure.")
def plot_cmd(file: Path, kinds: tuple[str, ...], provinces: tuple[str, ...], out_dir: Path | None,
             fmt: str, baseline: Path | None) -> None:
    """Draw the figures of a result FILE (ensemble or combined sweep) from the file alone."""
    import contextlib

    from sim import plots, results

    out_dir = out_dir or Path("outputs") / file.stem / "figures"
    try:
        with contextlib.ExitStack() as stack:
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
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file, .csv or .xlsx (default: outputs/<stem>/<stem>_iamc.csv).")
@click.option("--model", "model_name", default=None,
              help="IAMC model name (default: china-industry-sim <version>).")
def export_cmd(file: Path, fmt: str, out: Path | None, model_name: str | None) -> None:
    """Write the IAMC table of an ensemble FILE: quantiles as scenarios <scenario>|p05 ... |p95."""
    from sim import export, results

    out = out or Path("outputs") / file.stem / f"{file.stem}_iamc.csv"
    if out.suffix.lower() not in (".csv", ".xlsx"):
        _fail(f"{out}: the IAMC table is written as .csv or .xlsx")
    try:
        with results.open_results(file) as ds:
            df = export.export_iamc(ds, out, model_name=model_name)
    except results.ResultsFileError as e:
        _fail(str(e))
    click.echo(f"wrote {out} ({len(df)} rows: {df['variable'].nunique()} variables x "
               f"{df['region'].nunique()} regions x {df['scenario'].nunique()} quantile scenarios, "
               f"years {df.columns[5]}-{df.columns[-1]})")
