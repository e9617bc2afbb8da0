"""``sim validate`` and ``sim run``: check a scenario; run its ensemble to a file and print the
report."""

from __future__ import annotations

from pathlib import Path

import click

from sim.analysis import convergence, report
from sim.core import files
from sim.core.progress import Progress
from sim.core.sizes import CHUNK_SIZE, DETAILS, FULL_DETAIL_MAX_MEMBERS, default_detail
from sim.interfaces.cli.common import (
    OUTPUT_PATH,
    QUIET,
    check_size,
    completer,
    converge_options,
    fail,
    load,
    output,
    with_convergence,
    writing,
)
from sim.results.reading import open_results
from sim.results.run import run_scenario


@click.command()
@click.argument("scenario", shell_complete=completer())
def validate(scenario: str) -> None:
    """Check SCENARIO (a path, or a name in scenarios/) without running it."""
    sc = load(scenario)
    click.echo(f"{sc.path}: valid ({len(sc.provinces)} provinces, years {sc.years[0]}-{sc.years[-1]}, "
               f"{len(sc.targets)} targets, {len(sc.administrative)} administrative)")


@click.command()
@click.argument("scenario", shell_complete=completer())
@click.option("--members", type=click.IntRange(min=1), default=None,
              help="Ensemble size (default: the scenario's `members`, 1000 unless set).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=None,
              help="Random seed (default: the scenario's `seed`).")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Output NetCDF file (default: outputs/<name>/<name>.nc).")
@click.option("--detail", type=click.Choice(DETAILS), default=None,
              help="What the file keeps per member: full (every variable), province (province "
                   "totals, targets, peaks; per-sector quantiles) or summary (statistics only). "
                   f"Default: full up to {FULL_DETAIL_MAX_MEMBERS} members, else province.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=CHUNK_SIZE, show_default=True,
              help="Members simulated and written per step (bounds the memory).")
@click.option("--compress/--no-compress", default=True, show_default=True,
              help="zlib-compress the file (lossless; about 40 % smaller, writing about 2x slower).")
@QUIET
@converge_options
def run(scenario: str, members: int | None, seed: int | None, out: Path | None,
        detail: str | None, chunk_size: int, compress: bool, quiet: bool, converge: bool,
        tolerance: float, quantile_tolerance: float) -> None:
    """Run SCENARIO's Monte-Carlo ensemble, stream it to a NetCDF file and print the target table."""
    sc = load(scenario)
    out = output(out or Path("outputs") / sc.name / f"{sc.name}.nc", (".nc",),
                 (sc.path, *sc.catalogues))
    detail = detail or default_detail(members or sc.members)
    if converge and detail == "summary":
        fail("--converge needs members per target and peak year: use --detail province or full "
             "(summary keeps only the parameter values per member)")
    if converge and (members or sc.members) < convergence.MIN_MEMBERS:
        fail(f"--converge needs at least {convergence.MIN_MEMBERS} members (it compares the first "
             f"half with all of them); --members = {members or sc.members}")
    check_size(members or sc.members, sc, detail, chunk_size)  # before the design is drawn
    with writing():
        result = run_scenario(sc, out, members=members, seed=seed, detail=detail,
                              chunk_size=chunk_size, compress=compress,
                              progress=Progress(f"sim run {sc.name}", "members", quiet))
    with files.uninterrupted(), open_results(out) as ds:
        click.echo(report.format_table(ds))
        if converge:
            click.echo(with_convergence("", ds, tolerance, quantile_tolerance, "table")[1:])
    stages = dict(result.stages)
    busy = stages.pop("writer_busy", 0.0)
    text = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
    click.echo(f"\nwrote {out} ({result.members} members, detail {detail}, {result.seconds:.1f} s: "
               f"{text}; writer thread busy {busy:.1f} s, overlapped with the simulation)")
