"""``sim calibrate`` (show or refit the dynamic parameters) and ``sim hindcast`` (the 2015 -> 2019
out-of-sample check)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.analysis import hindcast as hc
from sim.core import files, sizes
from sim.data.base_state import FITTED_FILE, FittedFileError, fitted_summary
from sim.interfaces.cli.common import OUTPUT_PATH, fail, output, writing
from sim.plots.hindcast import plot_hindcast


@click.command()
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
    out = out or FITTED_FILE
    if do_fit:
        if out.parent and not out.parent.is_dir():
            fail(f"{out}: folder {out.parent} does not exist")
        from calibration import fit

        written = fit.output_files(out)
        for path, suffix, what in zip(written, (".toml", ".csv", ".toml", ".csv"),
                                      ("--out", "--out (growth table)", "--out (2010-2015 fit)",
                                       "--out (2010-2015 growth table)")):
            output(path, (suffix,), what=what)

        click.echo("fitting 2010-2019 and 2010-2015 (CEADs CO2 by province, sector and fuel; NBS "
                   "outputs; CEC electricity) ...", err=True)
        with writing():
            result = fit.run(out)
        click.echo(fit.summary(result))
        click.echo("wrote " + ", ".join(str(p) for p in written))
        return
    try:
        click.echo(fitted_summary(out))
    except FittedFileError as e:
        fail(str(e))


@click.command()
@click.option("--nominal", is_flag=True,
              help="Use the nominal parameters of calibration/assumptions.toml instead of the fit.")
@click.option("--plot", "plot_path", type=OUTPUT_PATH, default=None,
              help="Also write the hindcast figure (png, pdf or svg by suffix).")
@click.option("--check", is_flag=True, help="Exit with code 1 if a goal is missed.")
@click.option("--members", type=click.IntRange(min=0), default=300, show_default=True,
              help="Ensemble members for the coverage of the 5-95 % band (0: central member only).")
@click.option("--out", "out_path", type=OUTPUT_PATH, default=None,
              help="Also write the ensemble's skill and coverage figures (.csv or .json by suffix).")
def hindcast(nominal: bool, plot_path: Path | None, check: bool, members: int, out_path: Path | None) -> None:
    """Run the 2015->2019 hindcast against CEADs 2019 and print the errors and coverage.

    From the 2015 base state, driven by observed 2016-2019 activity, with the dynamics of the
    2010-2015 fit (calibration/fitted_2010_2015.toml). Goals: national CO2 within 5 %; median
    province APE within 15 % for steel, non-metallic minerals and chemicals; the ensemble's
    5-95 % band (parameters sampled from the fit, model discrepancy) contains 80-95 % of the
    province x sector CO2 cells above 1 Mt and 70-95 % of the national sector-year electricity
    values (--check: exit code 1 if one is missed). The ensemble's skill: CRPS (scoringrules) of
    province x sector CO2 2019 (cells above 1 Mt) and of province totals against persistence (2015)
    and the extrapolated 2010-2015 trend, skill score > 0 against both; Spearman rank correlation
    of the provinces' CO2 growth 2015->2019 (median against CEADs) >= 0.6 (--out writes them).
    """
    problem = sizes.hindcast_problem(members)
    if problem:
        fail(f"--members = {members} {problem}")
    if plot_path is not None:
        output(plot_path, (".png", ".pdf", ".svg"), what="--plot")
    if out_path is not None:
        output(out_path, (".csv", ".json"))
        if not members or nominal:
            fail("--out: the skill figures need the ensemble (--members > 0, without --nominal)")
    h = hc.run(fitted=not nominal)
    click.echo(hc.format_report(h))
    if plot_path is not None:
        with writing(), files.atomic_path(plot_path) as tmp:
            plot_hindcast(h).savefig(tmp, dpi=120)
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
        k = hc.skill(c)
        click.echo("")
        click.echo(hc.format_skill(k))
        missed += [name for name, ok in k.meets_goals().items() if not ok]
        if out_path is not None:
            with writing():
                hc.write_skill(k, c, out_path)
            click.echo(f"wrote {out_path}")
    if missed:
        click.echo(f"goals missed: {', '.join(missed)}", err=True)
        if check:
            sys.exit(1)

