"""The reviewer's commands, which read result files only: ``sim report``, ``sim plot``,
``sim export`` and ``sim discover``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from sim.analysis import discovery, report
from sim.analysis import plan as plans
from sim.analysis import sensitivity as sens
from sim.core import files
from sim.core.messages import printable
from sim.interfaces.cli.common import (
    OUTPUT_PATH,
    converge_options,
    fail,
    output,
    output_folder,
    with_convergence,
    writing,
)
from sim.plots import figures as plots
from sim.plots.discovery import plot_discovery
from sim.plots.figures import FORMATS as _PLOT_FORMATS
from sim.plots.figures import KINDS as _PLOT_KINDS
from sim.results import export
from sim.results import reading as results


@click.command("report")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--all-regions", is_flag=True, help="Peak-year rows for every province, not only national "
              "(table and markdown; csv and json always list every region).")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "csv", "json"]),
              default="table", show_default=True,
              help="Plain-text table, GitHub Markdown tables, one CSV table (a `section` column: "
                   "target, peak_year, administrative) or one JSON object.")
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="Baseline ensemble file of the same design (seed, members, provinces): the "
                   "extra cost and the CO2 avoided against it, member by member (table, json).")
@converge_options
def report_cmd(file: Path, all_regions: bool, fmt: str, baseline: Path | None, converge: bool,
               tolerance: float, quantile_tolerance: float) -> None:
    """Print the target table, peak years (both CO2 accountings) and costs of an ensemble FILE
    (NetCDF); for a combined sweep file, the robust lever sets (table) or the per-case rows
    (markdown, csv, json)."""
    if baseline is not None and fmt not in ("table", "json"):
        fail(f"--baseline is printed with --format table or json, not {fmt}")
    try:
        with contextlib.ExitStack() as stack:
            ds = stack.enter_context(results.open_results(file))
            stack.enter_context(results.read_errors(file))
            base = None
            if baseline is not None:
                base = stack.enter_context(results.open_results(baseline))
                stack.enter_context(results.read_errors(baseline))
            if results.kind(ds) == "sensitivity":

                results.require(ds, sens.report_variables(ds), "a sensitivity report")
                text = sens.format_report(ds, fmt, all_regions=all_regions)
                click.echo(text, nl=not text.endswith("\n"))
                return
            if results.kind(ds) == "plan":
                if fmt != "table":
                    fail(f"a plan file (sim plan) is reported with --format table, not {fmt}")
                results.require(ds, plans.REPORT_VARIABLES, "a plan report")
                click.echo(plans.format_table(ds))
                return
            if results.kind(ds) == "sweep":
                results.require(ds, ("target_probability",), "a sweep report")
            else:
                results.require(ds, ("target_value", "target_probability", "peak_year"), "a report")
            text = report.format_report(ds, fmt, all_regions=all_regions, baseline=base)
            if converge:
                if fmt not in ("table", "json"):
                    fail(f"--converge is printed with --format table or json, not {fmt}")
                text = with_convergence(text, ds, tolerance, quantile_tolerance, fmt)
    except results.ResultsFileError as e:
        fail(str(e))
    click.echo(text, nl=not text.endswith("\n"))


@click.command("plot")
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
    out_dir = output_folder(out_dir or files.default_output(file, "figures"))
    try:
        with writing(), contextlib.ExitStack() as stack:
            ds = stack.enter_context(results.open_results(file))
            stack.enter_context(results.read_errors(file))
            base = stack.enter_context(results.open_results(baseline)) if baseline else None
            paths = plots.write_figures(ds, out_dir, kinds or None, provinces or None, fmt, base,
                                        note=lambda text: click.echo(text, err=True))
    except results.ResultsFileError as e:
        fail(str(e))
    for path in paths:
        click.echo(str(path))


@click.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["iamc"]), default="iamc", show_default=True,
              help="Table format (IAMC: model, scenario, region, variable, unit, one column per year).")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Output file, .csv or .xlsx (default: outputs/<stem>/<stem>_iamc.csv).")
@click.option("--model", "model_name", default=None,
              help="IAMC model name (default: china-industry-sim <version>).")
def export_cmd(file: Path, fmt: str, out: Path | None, model_name: str | None) -> None:
    """Write the IAMC table of an ensemble FILE: quantiles as scenarios <scenario>|p05 ... |p95."""
    if model_name is not None and (not model_name.strip() or not model_name.isprintable()
                                   or len(model_name) > 200):
        fail(f'--model = "{printable(model_name)}" is not a model name (allowed: 1-200 printable '
             "characters, no control characters)")

    out = output(out or files.default_output(file, "{stem}_iamc.csv"), (".csv", ".xlsx"),
                  (file,))
    try:
        with writing(), results.open_results(file) as ds, results.read_errors(file):
            df = export.export_iamc(ds, out, model_name=model_name)
    except results.ResultsFileError as e:
        fail(str(e))
    click.echo(f"wrote {out} ({len(df)} rows: {df['variable'].nunique()} variables x "
               f"{df['region'].nunique()} regions x {df['scenario'].nunique()} scenarios "
               f"({'quantiles and mean' if df['scenario'].str.endswith('|mean').any() else 'quantiles'}), "
               f"years {df.columns[5]}-{df.columns[-1]})")


@click.command("discover")
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
    if plot_path is not None:
        plot_path = output(plot_path, (".png", ".pdf", ".svg"), (file,), "--plot")
    out = output(out or discovery.default_out(file, plot_path), discovery.FORMATS, (file,))
    try:
        with results.open_results(file) as ds, results.read_errors(file):
            found = discovery.discover(ds, targets, reduce, threshold=threshold, boxes=boxes,
                                       resample=resample, seed=seed, verbose=verbose)
            fig = plot_discovery(found, ds) if plot_path is not None else None
    except results.ResultsFileError as e:
        fail(str(e))
    click.echo(discovery.format_table(found))
    with writing():
        discovery.write(found, out)
        if fig is not None:
            with files.atomic_path(plot_path) as tmp:
                fig.savefig(tmp, format=plot_path.suffix[1:], dpi=150)
    click.echo(f"\nwrote {out}" + (f" and {plot_path}" if fig is not None else ""))

