"""Sweep files: many lever sets of one base scenario (the schema; ``sim.analysis.sweep`` runs them).

A sweep file (``scenarios/sweeps/*.toml``) names a base scenario and lever axes::

    [sweep]
    name = "anhui_steel"
    scenario = "../anhui.toml"        # relative to the sweep file
    method = "grid"                   # every combination of the axes' values, or "lhs"
    cases = 64                        # lhs only: number of lever sets
    members = 500                     # per case (default: the scenario's)
    seed = 7                          # default: the scenario's; the same for every case
    detail = "summary"                # per-case output detail (default summary)
    success = ["anhui_eaf_share_2030"]  # target ids that define success
    robust_probability = 0.9          # a lever set is robust if P(all success targets) >= this

    [axes.eaf_2030]                   # an axis sets one point of one lever's trajectory
    lever = "eaf_share"
    year = 2030
    values = [0.15, 0.20, 0.25]       # grid; for lhs: low = ..., high = ...
    # sector = "iron_steel" / province = "Anhui": set that override's point instead

    [cluster]                         # optional: dask-jobqueue settings for --cluster slurm|pbs
    jobs = 4
    cores = 8
    memory = "16GB"
    walltime = "01:00:00"
    queue = "normal"

Every case is validated like a scenario before anything runs (a case's lever value out of range is
an error naming the sweep file, the axis and the value). All cases share the seed (common random
numbers), so differences between cases are the levers' effects, not sampling noise.

Each case is written atomically to ``outputs/<sweep>/parts/case-NNNNN.nc`` with a hash of
everything that determines it (base scenario and catalogue texts, the case's lever points,
members, seed, detail, success targets, code version) in its attributes; a rerun skips the parts
whose stored hash matches, so an interrupted sweep loses only the cases in flight. The parts are
combined into ``outputs/<sweep>/<sweep>.nc`` with a ``case`` dimension and the lever values as
coordinates ``lever_<axis>(case)``.
"""


from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from sim import __version__
from sim.core import axes, sizes
from sim.core.levers import LEVERS
from sim.core.sizes import DETAILS
from sim.scenario.errors import Checker
from sim.scenario.load import read_document, scenario_from_document
from sim.scenario.uncertainty import design

METHODS = ("grid", "lhs")


CLUSTERS = ("slurm", "pbs")


_SWEEP_KEYS = ("name", "scenario", "method", "cases", "members", "seed", "detail", "success",
               "robust_probability", "description")


_AXIS_KEYS = ("lever", "year", "values", "low", "high", "sector", "province")


_CLUSTER_KEYS = ("jobs", "cores", "processes", "memory", "walltime", "queue", "account",
                 "job_extra_directives", "local_directory")


@dataclass(frozen=True)
class Axis:
    """One swept lever point: ``lever`` at ``year`` (optionally a sector/province override)."""

    label: str
    lever: str
    year: int
    values: tuple[float, ...] = ()
    low: float | None = None
    high: float | None = None
    sector: str | None = None
    province: str | None = None

    def key_path(self) -> list[str]:
        """Where the point lives in the scenario document, below ``levers.<lever>``."""
        if self.province and self.sector:
            return ["province", self.province, "sector", self.sector]
        if self.province:
            return ["province", self.province]
        if self.sector:
            return ["sector", self.sector]
        return []


@dataclass(frozen=True)
class Case:
    """One lever set of a sweep: its index, axis label -> value, and the hash of its inputs."""

    index: int
    levers: dict[str, float]  # axis label -> value
    hash: str


@dataclass
class Sweep:
    """A validated sweep file: its base scenario, axes, method, members, seed, detail, success
    targets, robust probability, cluster settings and cases."""

    name: str
    path: Path
    text: str
    scenario_path: Path
    scenario_text: str
    scenario_doc: dict
    method: str
    axes: tuple[Axis, ...]
    members: int
    seed: int
    detail: str
    success: tuple[str, ...]
    robust_probability: float
    cluster: dict
    cases: list[Case] = field(default_factory=list)

    def case_document(self, case: Case) -> dict:
        """The base scenario document with the case's lever points set."""
        return with_lever_points(self.scenario_doc,
                                 [(ax, case.levers[ax.label]) for ax in self.axes])

    def case_scenario(self, case: Case):
        """The validated scenario of ``case`` (its lever points set in the base scenario)."""
        display = f"{self.path} (case {case.index}: {levers_text(case.levers)})"
        return scenario_from_document(self.case_document(case), self.scenario_text,
                                      self.scenario_path, display=display)


def with_lever_points(document: dict, points) -> dict:
    """A copy of the scenario ``document`` with lever points set: ``points`` are (point, value)
    pairs, each point with ``lever``, ``year`` and ``key_path()`` (an :class:`Axis`, or a lever
    point of ``sim.analysis.sensitivity``)."""
    doc = copy.deepcopy(document)
    for point, value in points:
        table = doc.setdefault("levers", {}).setdefault(point.lever, {})
        for k in point.key_path():
            table = table.setdefault(k, {})
        table[str(point.year)] = float(value)
    return doc


def levers_text(levers: dict[str, float]) -> str:
    """Lever values as text, e.g. ``eaf_floor_2030 = 0.3, steel_phase_out = 0.05``."""
    return ", ".join(f"{k} = {v:g}" for k, v in levers.items())


def load_sweep(path: str | Path, progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Read and validate a sweep file, its base scenario and every case (``progress(done,
    total)`` after each case: a large sweep takes a while, about 4 ms a case)."""
    path = Path(path)
    head = study_file(path, "sweep", ("sweep", "axes", "cluster"), _SWEEP_KEYS)
    text, doc, chk, sw, name = head.text, head.doc, head.checker, head.table, head.name
    scenario_path, scenario_text, scenario_doc = head.scenario_path, head.scenario_text, head.scenario_doc
    base = head.scenario
    method = chk.string(sw.get("method", "grid"), "sweep.method", METHODS)
    detail = chk.string(sw.get("detail", "summary"), "sweep.detail", DETAILS)
    members = chk.integer(sw.get("members", base.members), "sweep.members", 1, sizes.MAX_MEMBERS)
    problem = sizes.members_problem(members, len(base.provinces), len(base.years), detail)
    if problem:  # each worker runs one case at a time: a case must fit in memory
        raise chk.fail("sweep.members", members, problem=problem)
    seed = chk.integer(sw.get("seed", base.seed), "sweep.seed", 0, sizes.MAX_SEED)
    success = sw.get("success", [])
    if not isinstance(success, list) or not all(isinstance(t, str) for t in success):
        raise chk.fail("sweep.success", success, "a list of target ids", "must be a list of target ids")
    ids = [t.id for t in base.targets]
    for i, t in enumerate(success):
        if t not in ids:
            raise chk.unknown_value(f"sweep.success[{i}]", t, ids, "target of the base scenario")
    robust = chk.number(sw.get("robust_probability", 0.9), "sweep.robust_probability", 0.0, 1.0)

    axes_doc = chk.table(doc.get("axes", {}), "axes")
    if not axes_doc:
        raise chk.fail("axes", problem="no lever axes", allowed="[axes.<label>] tables")
    parsed = tuple(parse_axis(chk, label, chk.table(t, f"axes.{label}"), method, base.years)
                   for label, t in axes_doc.items())
    check_distinct(chk, parsed)
    if method == "lhs":
        n_cases = chk.integer(sw.get("cases", 0), "sweep.cases", 1, None)
        if sizes.cases_problem(n_cases):
            raise chk.fail("sweep.cases", n_cases, problem=sizes.cases_problem(n_cases))
    elif "cases" in sw:
        raise chk.fail("sweep.cases", sw["cases"], 'only with method = "lhs"',
                       "is set but method is grid (the grid's size is the product of the axes)")
    else:
        n_cases = math.prod(len(ax.values) for ax in parsed)
        if sizes.cases_problem(n_cases):
            raise chk.fail("axes", problem=f"make a grid of {' x '.join(str(len(ax.values)) for ax in parsed)} "
                           f"= {n_cases:,} lever sets, which {sizes.cases_problem(n_cases)}")
    cluster = chk.table(doc.get("cluster", {}), "cluster")
    chk.keys(cluster, _CLUSTER_KEYS, "cluster")

    sweep = Sweep(name=name, path=path, text=text, scenario_path=scenario_path,
                  scenario_text=scenario_text, scenario_doc=scenario_doc, method=method,
                  axes=parsed, members=members, seed=seed, detail=detail, success=tuple(success),
                  robust_probability=robust, cluster=cluster)
    values = grid(parsed) if method == "grid" else lhs(parsed, n_cases, seed)
    catalogue_texts = [c.read_text(encoding="utf-8") for c in base.catalogues]
    for i, row in enumerate(values):
        levers = {ax.label: float(v) for ax, v in zip(parsed, row)}
        case = Case(i, levers, case_hash(sweep, levers, catalogue_texts))
        sweep.case_scenario(case)  # validate now: a bad lever value fails before any work
        sweep.cases.append(case)
        if progress is not None:
            progress(i + 1, n_cases)
    return sweep


@dataclass(frozen=True)
class StudyFile:
    """What a study file (a sweep file, or a plan file of ``sim.scenario.plan``) starts with: its
    text and document, its checker, its head table with a ``name`` and a base ``scenario``
    (relative to the file), and that scenario validated."""

    text: str
    doc: dict
    checker: Checker
    table: dict
    name: str
    scenario_path: Path
    scenario_text: str
    scenario_doc: dict
    scenario: object


def study_file(path: Path, kind: str, tables: tuple[str, ...], keys: tuple[str, ...]) -> StudyFile:
    """Read study file ``path`` of ``kind`` (its head table's name): the top-level ``tables``
    allowed, the head table's ``keys`` allowed, its required ``name`` and ``scenario``."""
    text, doc = read_document(path)
    chk = Checker(str(path))
    chk.keys(doc, tables, "", "table")
    head = chk.table(doc.get(kind, {}), kind)
    chk.keys(head, keys, kind)
    for key in ("name", "scenario"):
        if key not in head:
            raise chk.fail(f"{kind}.{key}", problem="missing (required)", allowed="a string")
    name = chk.name(head["name"], f"{kind}.name")
    scenario_path = path.parent / chk.string(head["scenario"], f"{kind}.scenario")
    if not scenario_path.is_file():
        raise chk.fail(f"{kind}.scenario", head["scenario"],
                       f"a scenario file relative to the {kind} file",
                       f"no such file ({scenario_path})")
    scenario_text, scenario_doc = read_document(scenario_path)
    return StudyFile(text, doc, chk, head, name, scenario_path, scenario_text, scenario_doc,
                     scenario_from_document(scenario_doc, scenario_text, scenario_path))


def check_distinct(chk, parsed: tuple[Axis, ...], table: str = "axes") -> None:
    """Fail when two axes of the file's ``[<table>.<label>]`` set the same lever point."""
    seen: dict[tuple, str] = {}
    for ax in parsed:
        point = (ax.lever, ax.year, ax.sector, ax.province)
        if point in seen:
            raise chk.fail(f"{table}.{ax.label}", problem=f"sets the same lever point as {table}."
                           f"{seen[point]} ({ax.lever} in {ax.year}"
                           f"{''.join(f', {w}' for w in (ax.sector, ax.province) if w)}): one of "
                           "the two would be ignored", allowed=f"one {table} table per lever point")
        seen[point] = ax.label


def parse_axis(chk, label: str, t: dict, method: str, years, table: str = "axes") -> Axis:
    """One validated axis ``label`` of the file's ``[<table>.<label>]``: lever, year, optional
    sector or province, and its values (grid) or low and high (lhs, or ``range``: a plan file's
    lever point, ``sim.scenario.plan``)."""
    path = f"{table}.{label}"
    chk.keys(t, _AXIS_KEYS, path)
    if "lever" not in t:
        raise chk.fail(f"{path}.lever", problem="missing (required)", allowed=", ".join(LEVERS))
    lever = t["lever"]
    if lever not in LEVERS:
        raise chk.unknown_value(f"{path}.lever", lever, list(LEVERS), "lever")
    if "year" not in t:
        raise chk.fail(f"{path}.year", problem="missing (required)", allowed=f"{years[0]}..{years[-1]}")
    year = chk.integer(t["year"], f"{path}.year", years[0], years[-1])
    spec = LEVERS[lever]
    sector = t.get("sector")
    if sector is not None and sector not in axes.SECTORS:
        raise chk.unknown_value(f"{path}.sector", sector, axes.SECTORS, "sector")
    province = t.get("province")
    if province is not None:
        try:
            province = axes.resolve_province(province)
        except axes.UnknownProvince:
            raise chk.unknown_value(f"{path}.province", province, axes.PROVINCES,
                                 "province") from None
    if method == "grid":
        if "values" not in t or not isinstance(t["values"], list) or not t["values"]:
            raise chk.fail(f"{path}.values", t.get("values", []), "a non-empty list of numbers",
                           "must be a non-empty list of numbers (method = grid)")
        vals = tuple(chk.number(v, f"{path}.values[{i}]", spec.low, spec.high)
                     for i, v in enumerate(t["values"]))
        return Axis(label, lever, year, values=vals, sector=sector, province=province)
    for k in ("low", "high"):
        if k not in t:
            raise chk.fail(f"{path}.{k}", problem="missing (required"
                           + (" for method = lhs)" if method == "lhs" else ")"),
                           allowed=spec.range_text)
    low = chk.number(t["low"], f"{path}.low", spec.low, spec.high)
    high = chk.number(t["high"], f"{path}.high", low, spec.high)
    return Axis(label, lever, year, low=low, high=high, sector=sector, province=province)


def grid(ax: tuple[Axis, ...]) -> list[tuple[float, ...]]:
    """Every combination of the axes' values (method ``grid``)."""
    return list(itertools.product(*(a.values for a in ax)))


def lhs(ax: tuple[Axis, ...], n: int, seed: int) -> list[tuple[float, ...]]:
    """``n`` lever sets spread over the axes' [low, high] by the Latin hypercube of the members
    (``sim.scenario.uncertainty.design``, seeded with the sweep's seed)."""
    u = design(len(ax), n, seed)
    low = np.array([a.low for a in ax])
    high = np.array([a.high for a in ax])
    return [tuple(row) for row in low + u * (high - low)]


def case_hash(sweep: Sweep, levers: dict[str, float], catalogue_texts: list[str]) -> str:
    """SHA-256 of everything a case's result depends on (scenario and catalogue texts, axes,
    lever values, members, seed, detail, success targets, code version)."""
    payload = dict(scenario=sweep.scenario_text, catalogues=catalogue_texts,
                   axes=[(a.label, a.lever, a.year, a.sector, a.province) for a in sweep.axes],
                   levers=levers, members=sweep.members, seed=sweep.seed, detail=sweep.detail,
                   success=list(sweep.success), version=__version__)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

