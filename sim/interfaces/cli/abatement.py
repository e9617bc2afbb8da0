"""``sim abatement``: the wedge of each lever of a scenario (``sim.analysis.abatement``)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import click

from sim.analysis import abatement
from sim.core.sizes import CHUNK_SIZE
from sim.interfaces.cli.common import (
    OUTPUT_PATH,
    QUIET,
    check_size,
    completer,
    fail,
    load,
    output,
    writing,
)
from sim.results import netcdf
from sim.results import reading as results


@click.command("abatement")
@click.argument("scenario", shell_complete=completer())
@click.option("--members", type=click.IntRange(min=1), default=None,
              help="Ensemble size of every run (default: the scenario's `members`).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=None,
              help="Random seed of every run (default: the scenario's `seed`).")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Wedges file, NetCDF (default: outputs/<name>/<name>_abatement.nc); draw it "
                   "with `sim plot FILE --kind abatement`.")
@click.option("--format", "fmt", type=click.Choice(list(abatement.FORMATS)), default="table",
              show_default=True, help="How the rows are printed.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=CHUNK_SIZE, show_default=True,
              help="Members simulated per step (bounds the memory).")
@QUIET
def abatement_cmd(scenario: str, members: int | None, seed: int | None, out: Path | None,
                  fmt: str, chunk_size: int, quiet: bool) -> None:
    """What each lever of SCENARIO abates and costs: the scenario run as it is, without each of
    its levers in turn and without all, under common random numbers (same seed and members)."""
    sc = load(scenario)
    out = output(out or Path("outputs") / sc.name / f"{sc.name}_abatement.nc", (".nc",),
                 (sc.path, *sc.catalogues))
    try:
        abatement.variants(sc)
    except abatement.AbatementError as e:
        fail(str(e))
    check_size(members or sc.members, sc, abatement.DETAIL, chunk_size)

    def progress(done: int, total: int, name: str) -> None:
        if not quiet and name:
            what = "as it is" if name == abatement.SCENARIO else (
                "without any lever" if name == abatement.ALL else f"without {name}")
            click.echo(f"abatement {sc.name}: run {done + 1}/{total}, {what}", err=True)

    with writing(), tempfile.TemporaryDirectory(prefix="sim-abatement-") as folder:
        paths = abatement.run_abatement(sc, folder, members, seed, progress, chunk_size)
        try:
            with contextlib.ExitStack() as stack:
                opened = {name: stack.enter_context(results.open_results(path))
                          for name, path in paths.items()}
                ds = opened.pop(abatement.SCENARIO)
                wedges = abatement.wedges(ds, opened).load()
        except results.ResultsFileError as e:
            fail(str(e))
        netcdf.write_atomic(wedges, out)
    text = abatement.FORMATS[fmt](wedges)
    click.echo(text, nl=not text.endswith("\n"))
    if not quiet:
        click.echo(f"wrote {out}", err=True)
