"""The page's background analyses (:mod:`sim.interfaces.web.jobs`), each the library call its
command makes, on the page's current scenario; the server computes and formats, the page draws.

* :func:`abatement`: the wedges per policy of ``sim abatement`` (``sim.analysis.abatement``: the
  scenario, each lever removed in turn and all removed, under common random numbers), their rows
  as ``sim abatement`` prints them, the bars of the abatement-cost curve of ``sim plot --kind
  abatement`` (``sim.plots.costs.curve``) and, per year, the CO2 each lever avoids.
* :func:`plan`: ``sim plan`` (``sim.analysis.plan``: problem, solve, verify, dataset and the
  report table) on a small default problem for the page's province (:func:`plan_levers`).

The page state is written as a scenario file with its target catalogues beside it (the zip
download's folder), so both analyses read it as their commands read a file.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from sim.analysis import abatement as abatements
from sim.analysis import plan as plans
from sim.analysis.costs import ACCOUNTING_TEXT, CO2_VARIABLES, money
from sim.analysis.report import number_text
from sim.analysis.sensitivity import SensitivityError, parse_lever
from sim.core.levers import LEVERS
from sim.plots.costs import curve
from sim.results import reading as results
from sim.scenario import ScenarioError, read_document, scenario_from_document


# --- the page state as a file --------------------------------------------------------------------------
def scenario_file(text: str, source_path: Path, catalogues: list, folder: Path, name: str):
    """The page's scenario TOML ``text`` written to ``folder/<name>.toml`` with the target
    catalogues it names (``catalogues``, relative to ``source_path``'s folder) beside it, read
    back and validated as ``sim run`` reads a file; returns the Scenario."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    root = Path(source_path).parent.resolve()
    for rel in catalogues if isinstance(catalogues, list) else []:
        path = (root / rel).resolve()
        if path.is_relative_to(root) and path.is_file():  # the scenario check made sure
            dest = folder / path.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    text, doc = read_document(path)
    return scenario_from_document(doc, text, path)


# --- the wedges per policy ------------------------------------------------------------------------------
def abatement(scenario, folder: Path, progress) -> dict:
    """The wedges per policy of ``scenario`` (the page's members and seed): ``sim abatement``'s
    runs into ``folder``, its rows and the abatement-cost curve, and the CO2 avoided per lever
    and year, with every number people read formatted as the report does."""
    abatements.variants(scenario)  # AbatementError: the scenario sets no lever
    paths = abatements.run_abatement(
        scenario, folder, progress=lambda done, total, name: progress(done, total, name))
    with contextlib.ExitStack() as stack:
        opened = {name: stack.enter_context(results.open_results(path))
                  for name, path in paths.items()}
        ds = opened.pop(abatements.SCENARIO)
        wedges = abatements.wedges(ds, opened).load()
        region = str(wedges.attrs["region"])
        order = abatements.order(wedges)
        by_year = abatements.avoided_by_year(
            ds, {k: opened[k] for k in order + [abatements.ALL]}, region)
        years = [int(y) for y in ds["year"].values]
    rows = []
    for row in abatements.rows(wedges):
        text = dict(extra_cost=money(nan(row["extra_resource_cost_median"])),
                    extra_cost_range=f"{money(nan(row['extra_resource_cost_p05']))} .. "
                                     f"{money(nan(row['extra_resource_cost_p95']))}",
                    extra_cost_paid=money(nan(row["extra_cost_median"])))
        for acc in CO2_VARIABLES:
            key = f"co2_avoided_{acc}"
            text[key] = number_text(nan(row[f"{key}_median"]))
            text[f"{key}_range"] = (f"{number_text(nan(row[f'{key}_p05']))} .. "
                                    f"{number_text(nan(row[f'{key}_p95']))}")
            for per_t in ("cost_per_t", "resource_cost_per_t"):
                x = row[f"{per_t}_{acc}"]
                text[f"{per_t}_{acc}"] = f"{x:,.0f}" if x is not None else None
        rows.append(dict(row, text=text))
    return dict(
        region=region, window=str(wedges.attrs["window"]), members=int(ds.sizes["member"]),
        seed=int(ds.attrs["seed"]), runs=len(set(map(str, paths.values()))), years=years,
        levers=order, all=abatements.ALL, rows=rows,
        by_year=dict(accounting="scope1", values=by_year[:-1], package=by_year[-1]),
        curve={acc: curve(wedges, acc) for acc in CO2_VARIABLES},
        accountings=dict(ACCOUNTING_TEXT), note=abatements.INTERACTIONS)


def nan(x) -> float:
    """None (a row's undefined number) as NaN, which the report's formats print as n/a."""
    return float("nan") if x is None else float(x)


# --- the plan -------------------------------------------------------------------------------------------
PLAN_LEVERS = ("eaf_share:2030=0.2..0.8", "scrap_collection:2030=1..2",
               "phase_out:2025:iron_steel=0..0.2", "efficiency_retrofit:2030=0..0.1",
               "structural_shift:2030=0..0.03")
"""The page's default plan: the lever points and bounds of docs/plan.md's Anhui example that
moved its package (steel: the EAF floor, scrap collection, phase-out of old capacity; the
efficiency retrofit and a structural shift), at the page's key years."""
PLAN_MEMBERS = 200
"""Members of the page's planning ensemble (the command's default is 500): about a minute."""
PLAN_EVALUATIONS = 150
"""Packages the page's plan evaluates at most (the command's default is 300)."""
PLAN_CONFIDENCE = plans.DEFAULT_CONFIDENCE


def plan_levers(scenario) -> list[str]:
    """The default lever points that apply to ``scenario`` (a point whose lever or sector does
    not apply to its provinces is left out)."""
    out = []
    for text in PLAN_LEVERS:
        try:
            parse_lever(text, scenario)
        except (SensitivityError, ScenarioError):
            continue
        out.append(text)
    return out


def plan_targets(scenario) -> list[str]:
    """The targets the page's plan must attain: the scenario's simulated ones (a trend target
    moves with no lever, so no package could raise its probability)."""
    return [t.id for t in scenario.targets if t.status == "simulated"]


def plan(scenario, progress, members: int | None = None, evaluations: int | None = None) -> dict:
    """``sim plan`` on ``scenario`` with the page's default problem: the chosen package (as page
    edits), its verified probability with s.e., its cost against the scenario as it is, the
    evaluated packages (cost against P, the non-dominated ones marked) and the report table
    ``sim plan`` prints (with the binding target when no package reaches the level)."""
    members = members or PLAN_MEMBERS
    evaluations = evaluations or PLAN_EVALUATIONS
    levers = plan_levers(scenario)
    targets = plan_targets(scenario)
    if not targets:
        raise plans.PlanError(f"{scenario.name}: no simulated target to plan for")
    p = plans.problem(scenario, levers, targets, PLAN_CONFIDENCE, members)
    search = plans.solve(p, p.lows, p.highs, p.level, p.seed, evaluations, None, None,
                         lambda done, total: progress(done, total, "packages"))
    progress(evaluations, evaluations, "verification")
    best = search.x[search.best]
    check = plans.verify(p, best)
    ds = plans.dataset(p, search, check)
    edits = [dict(lever=pt.lever, sector=pt.sector or "", year=int(pt.year), value=float(v))
             for pt, v in zip(p.points, best) if not pt.province]
    extra = check.outcome.cost - check.own.cost
    return dict(
        levers=[dict(label=pt.label, lever=pt.lever, units=LEVERS[pt.lever].unit,
                     low=number_text(pt.low), high=number_text(pt.high),
                     chosen=f"{float(v):.4g}") for pt, v in zip(p.points, best)],
        edits=edits, targets=targets, confidence=p.confidence, level=round(p.level, 4),
        members=p.members, seed=p.seed, verify_members=check.members, verify_seed=check.seed,
        feasible=bool(search.feasible), holds=bool(check.holds),
        probability=f"{check.outcome.probability:.3f}", standard_error=f"{check.standard_error:.3f}",
        own_probability=f"{check.own.probability:.3f}",
        cost=money(check.outcome.cost), own_cost=money(check.own.cost), extra_cost=money(extra),
        cheaper=bool(extra < 0), binding=check.binding,
        binding_probability=f"{check.outcome.target_probability[p.targets.index(check.binding)]:.3f}",
        front=dict(cost=ds["cost"].values / 1e9, probability=ds["probability"].values,
                   non_dominated=ds["non_dominated"].values.astype(bool),
                   feasible=ds["feasible"].values.astype(bool), chosen=int(search.best)),
        evaluations=int(ds.sizes["evaluation"]), report=plans.format_table(ds))
