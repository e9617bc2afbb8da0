"""``sim plan``: the least-cost package of lever points that attains the chosen targets with a
chosen confidence (``sim.analysis.plan``)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sim.analysis import cluster as clusters
from sim.analysis import plan as plans
from sim.core import files, shipped
from sim.core.progress import Progress
from sim.interfaces.cli.common import OUTPUT_PATH, QUIET, completer, fail, load, output, writing
from sim.plots.plan import plot_plan
from sim.results import netcdf
from sim.scenario import ScenarioError
from sim.scenario.plan import PlanFile, load_plan


def read_plan(name: str, scenario: str | None, levers: tuple[str, ...],
              targets: tuple[str, ...]) -> PlanFile:
    """The validated plan file ``name`` (a path, or a bare name of scenarios/plans/), or fail in
    one line; the file sets the scenario, the lever points and the targets."""
    given = [what for what, v in (("SCENARIO", scenario), ("--levers", levers),
                                  ("--target", targets)) if v]
    if given:
        fail(f"{' and '.join(given)} given with --plan {name}: the plan file sets the scenario, "
             "the lever points and the targets (edit the file, or plan without --plan)")
    try:
        path = shipped.resolve(name, "plans")
    except shipped.NotFound:
        path = Path(name)  # load_plan names the missing file
    try:
        return load_plan(path)
    except ScenarioError as e:
        fail(str(e))


@click.command("plan")
@click.argument("scenario", required=False, shell_complete=completer())
@click.option("--plan", "plan_file", default=None, metavar="FILE",
              shell_complete=completer("plans"),
              help="A plan file (TOML: the scenario, lever points and bounds, targets, "
                   "confidence, members, seed, budget; e.g. scenarios/plans/anhui.toml, or its "
                   "bare name anhui) instead of SCENARIO, --levers and --target; the other "
                   "options given override the file's values.")
@click.option("--levers", "levers", multiple=True, metavar="LEVER:YEAR[:SECTOR][:PROVINCE]=LO..HI",
              help="A lever point the plan sets, within [LO, HI] (repeatable), e.g. "
                   "eaf_share:2030=0.2..0.5 (the syntax of sim sensitivity --levers).")
@click.option("--target", "targets", multiple=True, metavar="ID",
              help="A target the package must attain (repeatable; default: every simulated "
                   "target of the scenario; the base id of a per-province target selects all).")
@click.option("--confidence", type=float, default=None,
              help=f"Required P(every selected target attained) [default: "
                   f"{plans.DEFAULT_CONFIDENCE}].")
@click.option("--margin", type=float, default=None,
              help="The search asks the plan ensemble for P >= confidence + margin (default: one "
                   "standard error, sqrt(c (1 - c) / members)), so that the package holds on "
                   "other members; 0 plans at the confidence itself.")
@click.option("--members", type=click.IntRange(min=2), default=None,
              help=f"Members of the fixed planning ensemble [default: {plans.DEFAULT_MEMBERS}].")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 2), default=None,
              help="Seed of the planning ensemble (default: the scenario's); the fresh ensemble "
                   "of the verification uses seed + 1.")
@click.option("--verify-members", type=click.IntRange(min=2), default=None,
              help=f"Members of the fresh ensemble (default: {plans.VERIFY_FACTOR} x --members).")
@click.option("--max-evaluations", type=click.IntRange(min=1), default=None,
              help="Packages evaluated at most (differential evolution, then a pattern search) "
                   f"[default: {plans.DEFAULT_MAX_EVALUATIONS}].")
@click.option("--out", "out", type=OUTPUT_PATH, default=None,
              help="Output NetCDF file (default: outputs/<name>/<name>_plan.nc, <name> the "
                   "scenario's or the plan file's); the chosen scenario goes to "
                   "<stem>/<scenario>_plan.toml beside it, the journal of evaluations (resume) to "
                   "<stem>.journal.jsonl, the figure to <stem>.png.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Evaluate on an existing Dask cluster (e.g. tcp://host:8786).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Evaluate on a local Dask cluster of this many worker processes.")
@click.option("--front", "trade_off", is_flag=True,
              help="Trade-off mode: the front of cost, P(all targets) and cumulative CO2 "
                   "(platypus' epsilon-NSGAII, as EMA Workbench), then a compass search from its "
                   "cheapest package that meets the confidence + margin.")
@click.option("--screen-members", type=click.IntRange(min=2), default=None,
              help="The faster strategy for large problems: search on the first N members of "
                   "the plan ensemble, then refine with a compass search on all of them "
                   "(--max-evaluations packages); the verification is unchanged.")
@click.option("--screen-evaluations", type=click.IntRange(min=1), default=None,
              help=f"Packages evaluated on the screening members at most (default: "
                   f"{plans.SCREEN_FACTOR} x --max-evaluations).")
@click.option("--no-plot", is_flag=True, help="Do not draw the figure.")
@QUIET
def plan_cmd(scenario: str | None, plan_file: str | None, levers: tuple[str, ...],
             targets: tuple[str, ...], confidence: float | None, margin: float | None,
             members: int | None, seed: int | None, verify_members: int | None,
             max_evaluations: int | None, out: Path | None, scheduler: str | None,
             workers: int | None, trade_off: bool, screen_members: int | None,
             screen_evaluations: int | None, no_plot: bool, quiet: bool) -> None:
    """The least-cost package of lever points of SCENARIO (or of a --plan file) whose ensemble
    attains the targets with the chosen confidence, verified on a fresh ensemble; written as a
    NetCDF file, a scenario TOML that sim run reproduces and a figure."""
    if plan_file is not None:
        pf = read_plan(plan_file, scenario, levers, targets)
        sc, name, inputs = pf.scenario, pf.name, (pf.path, pf.scenario.path, *pf.scenario.catalogues)
        points, targets = list(pf.points), list(pf.targets)
        confidence = pf.confidence if confidence is None else confidence
        margin = pf.margin if margin is None else margin
        members = pf.members if members is None else members
        seed = pf.seed if seed is None else seed
        verify_members = pf.verify_members if verify_members is None else verify_members
        max_evaluations = pf.max_evaluations if max_evaluations is None else max_evaluations
        trade_off = trade_off or pf.front
        screen_members = pf.screen_members if screen_members is None else screen_members
        screen_evaluations = (pf.screen_evaluations if screen_evaluations is None
                              else screen_evaluations)
    elif scenario is None:
        fail("no SCENARIO: give a scenario and its --levers, or --plan FILE (e.g. --plan anhui)")
    else:
        sc = load(scenario)
        name, inputs, points = sc.name, (sc.path, *sc.catalogues), list(levers)
    confidence = plans.DEFAULT_CONFIDENCE if confidence is None else confidence
    members = plans.DEFAULT_MEMBERS if members is None else members
    max_evaluations = (plans.DEFAULT_MAX_EVALUATIONS if max_evaluations is None
                       else max_evaluations)
    out = output(out or Path("outputs") / name / f"{name}_plan.nc", (".nc",), inputs)
    if screen_members is not None and trade_off:
        fail(f"--screen-members = {screen_members} with --front: the screening is a strategy of "
             "the single-objective search, not of the front")
    if screen_evaluations is not None and screen_members is None:
        fail(f"--screen-evaluations = {screen_evaluations} without --screen-members")
    try:
        problem = plans.problem(sc, points, list(targets), confidence, members, seed, margin)
        screen = None if screen_members is None else problem.subset(screen_members)
    except (plans.PlanError, ScenarioError) as e:
        fail(str(e))
    stem = out.with_suffix("")
    toml_path = stem / f"{sc.name}_plan.toml"
    journal = plans.Journal(stem.with_name(stem.name + ".journal.jsonl"), problem.digest())
    t0 = time.perf_counter()
    with clusters.optional_client(scheduler, workers) as (client, threads):
        if not quiet:
            click.echo(f"plan {sc.name}: {len(problem.points)} lever points, "
                       f"{len(problem.targets)} targets, P >= {problem.level:.4g} (confidence "
                       f"{confidence:g} + margin {problem.margin:.4g}) on {members} members, at "
                       f"most {max_evaluations} packages"
                       + (f" after at most {screen_evaluations or plans.SCREEN_FACTOR * max_evaluations}"
                          f" on the first {screen_members}" if screen is not None else "")
                       + (f" ({journal.resumed} in the journal)" if journal.resumed else "")
                       + (f" on {client.dashboard_link or client.scheduler.address}" if client
                          else ""), err=True)
        mapper = (lambda p: plans.dask_map(p, client, threads)) if client else (lambda p: None)
        if screen is not None:
            budget = screen_evaluations or plans.SCREEN_FACTOR * max_evaluations
            first, search = plans.screened(
                screen, problem, problem.lows, problem.highs, problem.level, problem.seed,
                budget, max_evaluations,
                plans.Journal(stem.with_name(stem.name + ".screen.journal.jsonl"),
                              screen.digest()), journal, mapper(screen), mapper(problem),
                Progress(f"plan {sc.name} screening", "packages", quiet),
                Progress(f"plan {sc.name}", "packages", quiet))
        else:
            search = (plans.front if trade_off else plans.solve)(
                problem, problem.lows, problem.highs, problem.level, problem.seed,
                max_evaluations, journal, mapper(problem),
                Progress(f"plan {sc.name}", "packages", quiet))
    t1 = time.perf_counter()
    check = plans.verify(problem, search.x[search.best], verify_members)
    t2 = time.perf_counter()
    ds = plans.dataset(problem, search, check,
                       netcdf.global_attributes(sc, problem.seed, problem.members),
                       None if screen is None else (screen.members, first))
    with writing():
        netcdf.write_atomic(ds, out)
        plans.write_scenario(problem, search.x[search.best], check, toml_path)
        figure = None
        if not no_plot:
            figure = stem.with_suffix(".png")
            with files.atomic_path(figure) as tmp:
                plot_plan(ds).savefig(tmp, format="png", dpi=150)
    click.echo(plans.format_table(ds))
    click.echo(f"\nwrote {out}, {toml_path}" + (f", {figure}" if figure else "")
               + f" ({len(search.outcomes)} packages: search {t1 - t0:.1f} s, verification "
                 f"{t2 - t1:.1f} s)")
