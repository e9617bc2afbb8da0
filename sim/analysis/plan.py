"""Planning backwards (``sim plan``, issue #24, DESIGN §12): the least-cost package of lever points,
within bounds the user gives, whose ensemble attains the chosen targets with a chosen probability.

Public API
----------
``Problem``
    The scenario, the lever points (decision variables, ``sim.analysis.sensitivity.parse_lever``
    syntax and validation), the selected targets, the confidence and the fixed ensemble (members,
    seed); calling it on a package x (lever values) runs the model: :class:`Outcome`.
``problem(scenario, levers, targets, confidence, members, seed, margin) -> Problem``
    Validate everything (nothing runs yet).
``solve(evaluate, lows, highs, confidence, ...) -> Search``
    The optimiser on any evaluation function (the model's :class:`Problem`, or a synthetic one).
``front(evaluate, lows, highs, confidence, ...) -> Search``
    The trade-off mode: ε-NSGAII on cost, probability and cumulative CO2.
``verify(problem, x, members, seed) -> Verification``
    The package rerun on a fresh ensemble, with the shipped scenario's own levers beside it.
``dataset(...)``, ``chosen_document(...)``, ``format_table(...)``
    The result file (CF-1.10), the chosen package as a scenario document, the report table.

The problem
-----------
Decision variables: x_j in [low_j, high_j], the value of lever point j (one year of one lever,
optionally of one sector and/or province), set in the scenario document as ``sim sweep`` sets its
axes; the scenario's other lever points are kept. Objective: the ensemble mean of the discounted
cost [CNY 2019, present value in 2025 of 2025-2035 at the cost tables' discount rate]
(``discounted_cost``, ``sim.model.costs``) of the ``national`` region (the sum of the simulated
provinces). Constraint: P(every selected target attained) >= confidence, the share of members that
attain all of them (a member whose attainment of one is undefined counts as a miss: the planner
cannot count on it).

Both are estimated on ONE fixed ensemble: the Latin-hypercube design of ``members`` members of
``seed`` is drawn once and reused for every package (``sim.model.run.prepare(samples=...)``), and
the model discrepancy is drawn per member from the seed, so two packages are compared on the same
members (common random numbers): the sample-average approximation (SAA; Shapiro, Dentcheva and
Ruszczyński 2009, Lectures on Stochastic Programming, ch. 5; Luedtke and Ahmed 2008,
doi:10.1137/070702928, for chance constraints).

The method, and why
-------------------
On a finite ensemble the probability is a step function of the levers (it moves by 1/members when
one member crosses a threshold): no gradient exists, and a smoothed indicator would need a
margin per target in comparable units (targets mix years, shares and indices). We therefore use a
derivative-free global search with a feasibility rule, then a local pattern search:

1. ``scipy.optimize.differential_evolution`` (Storn and Price 1997) on the penalised objective
   f(x) = cost(x) / cost_scale if P(x) >= level, else PENALTY + (level - P(x)) + TIE cost(x) /
   cost_scale (the level: the confidence plus the margin, below; TIE breaks ties of the steps):
   every package that meets the constraint beats every one that does not, and among those that
   do not, the smaller shortfall wins (Deb's feasibility rules, Deb 2000,
   doi:10.1016/S0045-7825(99)00389-8, in penalty form). DE compares values only, so the steps do
   not hurt it. The population is evaluated as one vector (``vectorized=True``), so a
   generation runs on Dask when a client is given. ``polish`` is off (it needs gradients).
2. A compass (pattern) search from DE's best package (Kolda, Lewis and Torczon 2003,
   doi:10.1137/S003614450242889): each lever is moved by ± step (and tried at its bounds); a move
   is kept when the result is better under the same rule; the step halves when no move helps,
   down to ``tolerance`` of the range. This pins the package to the edge of the feasible set that
   DE only approaches.

The evaluation budget (``max_evaluations``) bounds both. Every evaluation is appended to a
journal (JSON lines); a rerun with the same inputs reads it back, and since DE and the search are
deterministic given the seed, they retrace the same packages and find them in the journal:
the plan resumes after a kill.

The margin: the SAA optimum sits on the edge of the constraint for THIS ensemble, so its
probability is biased upwards (Mak, Morton and Wood 1999, doi:10.1016/S0167-6377(98)00054-6): on
other members it misses the confidence about half the time. The search therefore asks the plan
ensemble for more than the confidence, P >= level = confidence + margin, the margin by default one
standard error of the plan ensemble's estimate at the confidence, sqrt(c (1 - c) / N): solving
the SAA at a stricter level than the one required makes its solution feasible with high
probability (Pagnoncelli, Ahmed and Shapiro 2009, doi:10.1007/s10957-009-9523-6). Measured on
Anhui (docs/plan.md): without the margin a package at P = 0.900 on 500 members gave 0.879 on 1000
fresh members, just below 0.9 - 2 s.e.

Verification: the chosen package is rerun on a fresh
ensemble (another seed, by default twice the members) and its probability is reported with its
standard error sqrt(p (1 - p) / n); the constraint holds there when p >= confidence - 2 s.e.
When no package reaches the confidence, the package with the smallest shortfall is reported, the
binding target (the selected target least often attained under it) named, and PRIM
(``sim.analysis.discovery``) run on the fresh ensemble's misses says what must hold for it to fail.

The trade-off mode (:func:`front`, ``sim plan --front``): platypus' ε-NSGAII (the algorithm of
EMA Workbench's optimisation) on three objectives, cost, P(all targets) and cumulative CO2, on the
same fixed ensemble and journal, then the compass search from the cheapest package that meets the
level; the chosen package is the best under the feasibility rule, verified as above.

Speed: the search's evaluation runs only what it reads (``sim.model.run.run_outcome``: the
selected targets, the national cost and CO2), reuses the members' discrepancy factor and the
kernel outputs from one package to the next, and gives exactly a full run's numbers. For large
problems, :func:`screened` runs the search on the first members of the plan ensemble
(:meth:`Problem.subset`) and then the compass search on all of them, so the chosen package
meets the level on the whole plan ensemble as without screening (docs/plan.md, "Screening"). In either mode the file marks the evaluated packages that no other
evaluated package beats on all three objectives (``non_dominated``): with ``--front`` the
ε-NSGAII front, otherwise a by-product of the single-objective search.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numba
import numpy as np
import platypus
import tomli_w
import xarray as xr
from scipy.optimize import differential_evolution

from sim.analysis import discovery
from sim.analysis.costs import money
from sim.analysis.report import format_rows
from sim.analysis.sensitivity import (
    LeverPoint,
    SensitivityError,
    lever_document,
    lever_scenario,
    parse_lever,
)
from sim.core import axes
from sim.core.files import json_ready
from sim.core.levers import LEVERS
from sim.model import run as model
from sim.model.costs import DISCOUNT_WINDOW
from sim.model.kernel import KernelOutputs, allocate_outputs
from sim.results import netcdf
from sim.results.reading import ResultsFileError
from sim.scenario import ScenarioError, read_document

DEFAULT_MEMBERS = 500
DEFAULT_CONFIDENCE = 0.9
DEFAULT_MAX_EVALUATIONS = 300
PENALTY = 1e3
"""Penalised objective of a package that misses the confidence: above every normalised cost."""
TIE = 1e-7
"""Weight of the normalised cost in the objective of a package that misses the confidence."""
TOLERANCE = 1e-3
"""Smallest step of the pattern search [share of each lever's range]."""
POPSIZE = 5
"""DE population per lever point (scipy's ``popsize``: popsize x D packages a generation)."""
PATTERN_TRIALS = 36
"""Evaluations per lever point kept for the pattern search (the rest of the budget is DE's)."""
VERIFY_FACTOR = 2
"""Members of the fresh ensemble per member of the planning one (default)."""
REGION = "national"
SEARCH_METHOD = "differential evolution (scipy), then a compass search"
NSGA_METHOD = "epsilon-NSGAII front of cost, P and cumulative CO2 (platypus)"
FRONT_METHOD = NSGA_METHOD + ", then a compass search from its cheapest package meeting the level"
SCREEN_METHOD = ("differential evolution (scipy) and a compass search on the first members of "
                 "the plan ensemble (screening), then a compass search on all of them")


class PlanError(ValueError):
    """Bad input of a plan; ``str(e)`` is one line."""


@dataclass(frozen=True)
class Outcome:
    """What one package does on an ensemble: mean discounted cost [CNY], P(all selected targets),
    P of each selected target, mean cumulative industrial CO2 over the planning period [Mt], and
    (when kept) the attainment of all targets per member."""

    cost: float
    probability: float
    target_probability: tuple[float, ...]
    co2: float
    attained: np.ndarray | None = None  # (member,) bool

    def penalised(self, confidence: float, scale: float) -> float:
        """The objective of the search (module docstring)."""
        if self.probability >= confidence:
            return self.cost / scale
        # ties of the step function (the same shortfall) go to the cheaper package: TIE times
        # the normalised cost is far below one member's step 1/N
        return PENALTY + (confidence - self.probability) + TIE * self.cost / scale


def outcome(ds: xr.Dataset, targets: Sequence[str], keep: bool = False) -> Outcome:
    """The :class:`Outcome` of a ``sim.model.run.run_chunk`` Dataset for target ids ``targets``."""
    return outcome_of(ds["target_attained"].sel(target=list(targets)).values,
                      ds["discounted_cost"].sel(region=REGION).values,
                      ds["industrial_co2"].sel(region=REGION).values, ds["year"].values, keep)


def outcome_of(attained: np.ndarray, cost: np.ndarray, co2: np.ndarray, years: np.ndarray,
               keep: bool = False) -> Outcome:
    """The :class:`Outcome` of target attainment (member, target) [1, NaN undefined], the
    discounted cost (member,) [CNY] and industrial CO2 (member, year) [Mt yr-1] of the region."""
    hit = attained == 1.0  # NaN (undefined) counts as a miss
    all_hit = hit.all(axis=1)
    inside = (years >= DISCOUNT_WINDOW[0]) & (years <= DISCOUNT_WINDOW[1])
    return Outcome(cost=float(cost.mean()), probability=float(all_hit.mean()),
                   target_probability=tuple(float(v) for v in hit.mean(axis=0)),
                   co2=float(co2[:, inside].sum(axis=1).mean()),
                   attained=all_hit if keep else None)


@dataclass
class Problem:
    """A plan before it runs (module docstring); ``problem(x)`` evaluates package ``x``."""

    scenario: object
    document: dict
    points: list[LeverPoint]
    targets: list[str]  # selected target ids (of the scenario's simulated targets)
    confidence: float
    members: int
    seed: int
    samples: dict = field(repr=False, default_factory=dict)  # the fixed design (prepare's)
    margin: float = 0.0  # the search asks the plan ensemble for P >= confidence + margin
    # the fixed ensemble's discrepancy x energy structure (M,P,S,T), which no lever changes:
    # computed by the first package, reused by the others (sim.model.run.kernel_inputs)
    discrepancy: np.ndarray | None = field(repr=False, default=None)

    @property
    def level(self) -> float:
        """P(all targets) [1] the search requires on the plan ensemble: confidence + margin."""
        return min(1.0, self.confidence + self.margin)

    @property
    def lows(self) -> np.ndarray:
        """(lever,) lower bounds of the lever points [lever units]."""
        return np.array([p.low for p in self.points])

    @property
    def highs(self) -> np.ndarray:
        """(lever,) upper bounds of the lever points [lever units]."""
        return np.array([p.high for p in self.points])

    def run(self, x: Sequence[float] | None, members: int | None = None, seed: int | None = None,
            keep: bool = False, dataset: bool = False):
        """The Outcome of package ``x`` (None: the scenario's own levers) on the fixed ensemble,
        or on ``members`` members of ``seed`` (a fresh ensemble); with ``dataset`` also the run's
        Dataset (target attainment and parameter values per member)."""
        sc = self.scenario if x is None else lever_scenario(
            self.document, self.scenario, list(zip(self.points, map(float, x))))
        fixed = members is None and seed is None
        prep = model.prepare(sc, members=self.members if fixed else members,
                             seed=self.seed if fixed else seed,
                             samples=self.samples if fixed and self.samples else None)
        if fixed and not dataset:  # the search's evaluation: only what the plan reads
            r = model.run_outcome(prep, self.targets, self.discrepancy,
                                  kept_outputs(prep.members, len(prep.provinces), len(prep.years)))
            self.discrepancy = r["discrepancy"]
            return outcome_of(r["target_attained"], r["discounted_cost"], r["industrial_co2"],
                              prep.years, keep)
        ds = model.run_chunk(prep, 0, prep.members, variables=frozenset())
        out = outcome(ds, self.targets, keep)
        return (out, model.finalize(ds, prep)) if dataset else out

    def __call__(self, x: Sequence[float]) -> Outcome:
        """The Outcome of package ``x`` on the fixed ensemble (the search's evaluation)."""
        return self.run(x)

    def subset(self, members: int) -> "Problem":
        """The same problem on the first ``members`` members of the plan ensemble (the same
        design rows and draws: each member's inputs depend on its index only), for screening."""
        if not 2 <= members < self.members:
            raise PlanError(f"--screen-members = {members} must be at least 2 and below the "
                            f"members of the plan ensemble ({self.members})")
        return replace(self, members=int(members),
                       samples={k: v[:members] for k, v in self.samples.items()},
                       discrepancy=None if self.discrepancy is None
                       else self.discrepancy[:members])

    def digest(self) -> str:
        """Identity of the problem (what a journal must match to be resumed)."""
        text = json.dumps(dict(scenario=self.scenario.text, path=str(self.scenario.path),
                               points=[p.label + f"={p.low!r}..{p.high!r}" for p in self.points],
                               targets=self.targets, confidence=self.confidence,
                               margin=self.margin,
                               members=self.members, seed=self.seed))
        return hashlib.sha256(text.encode()).hexdigest()


_KEPT = threading.local()


def kept_outputs(members: int, provinces: int, years: int) -> KernelOutputs:
    """Kernel outputs of these sizes kept for the next package of this thread: fresh ones cost
    the page faults of ~1 GB per 1000 national members at every package (one set per thread, so
    packages evaluated at once in threads do not share one)."""
    sizes = (members, provinces, len(axes.SECTORS), len(axes.ROUTES), len(axes.CARRIERS),
             len(axes.METALS), years)
    if getattr(_KEPT, "sizes", None) != sizes:
        _KEPT.sizes, _KEPT.outputs = sizes, allocate_outputs(*sizes)
    return _KEPT.outputs


def select_targets(scenario, requested: Sequence[str]) -> list[str]:
    """Ids of the scenario's simulated targets named by ``requested`` (an exact id, or the base id
    of an ``each_province`` target: all its provinces), all of them when none is named."""
    ids = [t.id for t in scenario.targets if t.status in ("simulated", "trend")]
    if not ids:
        raise PlanError(f"{scenario.path}: the scenario has no simulated target to plan for")
    chosen: list[str] = []
    for name in requested:
        hits = [i for i in ids if i == name or (":" in i and i.split(":", 1)[0] == name)]
        if not hits:
            raise PlanError(f"--target {name}: not a simulated target of {scenario.name} "
                            f"(allowed: {', '.join(ids)})")
        chosen += [h for h in hits if h not in chosen]
    return [i for i in ids if i in chosen] if chosen else ids


def problem(scenario, levers: Sequence, targets: Sequence[str] = (),
            confidence: float = DEFAULT_CONFIDENCE, members: int = DEFAULT_MEMBERS,
            seed: int | None = None, margin: float | None = None) -> Problem:
    """Validate a plan (lever points: ``--levers`` texts or a plan file's points, targets,
    confidence, members, margin: default one standard error sqrt(c (1 - c) / members), module
    docstring) and draw its fixed design."""
    if not levers:
        raise PlanError("no --levers: name at least one lever point LEVER:YEAR[:SECTOR][:PROVINCE]"
                        "=LO..HI to plan")
    if not 0.0 < confidence < 1.0:
        raise PlanError(f"--confidence = {confidence:g} must be strictly between 0 and 1")
    if members < 2:
        raise PlanError(f"--members = {members} must be at least 2")
    if margin is None:
        margin = standard_error(confidence, members)
    if not 0.0 <= margin < 1.0 - confidence + 1e-12 or not math.isfinite(margin):
        raise PlanError(f"--margin = {margin:g} must be at least 0 and at most 1 - confidence "
                        f"({1 - confidence:g})")
    try:
        points = [parse_lever(t, scenario) if isinstance(t, str) else lever_point(t)
                  for t in levers]
    except (SensitivityError, ScenarioError) as e:
        raise PlanError(str(e)) from None
    seen = set()
    for p in points:
        if p.label in seen:
            raise PlanError(f"--levers {p.label}: given twice")
        seen.add(p.label)
    _, document = read_document(scenario.path)
    for end in ("low", "high"):  # both ends together: validated as a scenario file
        lever_scenario(document, scenario, [(p, getattr(p, end)) for p in points],
                       display=f"{scenario.path} with the planned lever points at their {end} ends")
    seed = int(scenario.seed if seed is None else seed)
    samples = model.prepare(scenario, members=members, seed=seed).samples
    return Problem(scenario, document, points, select_targets(scenario, targets), confidence,
                   int(members), seed, samples, float(margin))


def lever_point(point) -> LeverPoint:
    """The :class:`LeverPoint` of a plan file's lever point (``sim.scenario.plan``: a
    ``sim.scenario.sweep.Axis`` with low and high), labelled as ``--levers`` labels it."""
    label = ":".join([point.lever, str(point.year)]
                     + [w for w in (point.sector, point.province) if w])
    return LeverPoint(label, point.lever, point.year, point.low, point.high, point.sector,
                      point.province)


def standard_error(p: float, n: int) -> float:
    """Binomial standard error sqrt(p (1 - p) / n) [1] of a probability estimated on n members."""
    return math.sqrt(p * (1 - p) / n)


# --- the search --------------------------------------------------------------------------------
class Journal:
    """Every evaluation of a search, appended as JSON lines to ``path`` (None: in memory only);
    read back when its first line carries the same problem digest (resume)."""

    def __init__(self, path: Path | None, digest: str):
        self.path, self.digest = path, digest
        self.known: dict[tuple, Outcome] = {}
        self.order: list[tuple[tuple, Outcome]] = []
        self.resumed = 0
        if path is not None and path.is_file():
            lines = path.read_text().splitlines()
            if lines and json.loads(lines[0]).get("digest") == digest:
                for line in lines[1:]:
                    try:
                        r = json.loads(line)
                    except json.JSONDecodeError:  # a line cut by a kill
                        break
                    self.known[tuple(r["x"])] = Outcome(r["cost"], r["probability"],
                                                        tuple(r["target_probability"]), r["co2"])
                self.resumed = len(self.known)
                self._rewrite_head(lines[:1 + self.resumed])
            else:
                self._rewrite_head([json.dumps(dict(digest=digest))])
        elif path is not None:
            self._rewrite_head([json.dumps(dict(digest=digest))])

    def _rewrite_head(self, lines: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(line + "\n" for line in lines))

    def add(self, key: tuple, out: Outcome) -> None:
        """Record the evaluation of package ``key`` (appended to the file at once)."""
        self.known[key] = out
        if self.path is not None:
            with self.path.open("a") as f:
                f.write(json.dumps(dict(x=list(key), cost=out.cost, probability=out.probability,
                                        target_probability=list(out.target_probability),
                                        co2=out.co2)) + "\n")


@dataclass
class Search:
    """The result of :func:`solve`: every package evaluated (in order, repeats once), the best,
    whether it meets the confidence, and how many evaluations were read from the journal."""

    x: np.ndarray  # (evaluation, lever)
    outcomes: list[Outcome]
    best: int  # index of the chosen package
    feasible: bool
    confidence: float
    resumed: int = 0
    generations: int = 0
    method: str = SEARCH_METHOD

    @property
    def cost(self) -> np.ndarray:
        """(evaluation,) mean discounted cost [CNY]."""
        return np.array([o.cost for o in self.outcomes])

    @property
    def probability(self) -> np.ndarray:
        """(evaluation,) P(every selected target attained) [1]."""
        return np.array([o.probability for o in self.outcomes])


class Evaluations:
    """The packages a search has evaluated, each once, in order: looked up in the journal, else
    run (``map_many`` on a batch at once, else ``evaluate`` one by one), within the budget."""

    def __init__(self, evaluate: Callable[[np.ndarray], Outcome], lows, highs,
                 max_evaluations: int, journal: Journal | None = None,
                 map_many: Callable[[list[np.ndarray]], list[Outcome]] | None = None,
                 progress: Callable[[int, int], None] | None = None):
        self.evaluate, self.map_many, self.progress = evaluate, map_many, progress
        self.lows, self.highs = np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)
        self.max = int(max_evaluations)
        self.journal = journal or Journal(None, "")
        self.seen: set[tuple] = set()
        self.xs: list[np.ndarray] = []
        self.outcomes: list[Outcome] = []
        self.scale: float | None = None  # cost of the first package: the costs' scale

    @property
    def done(self) -> int:
        """Packages evaluated (or read from the journal) so far."""
        return len(self.xs)

    def _tell(self, n: int) -> None:
        if self.progress is not None:
            self.progress(min(n, self.max), self.max)

    def batch(self, packages: list[np.ndarray]) -> list[Outcome | None]:
        """The Outcome of each package (None: beyond the budget)."""
        keys = [tuple(float(v) for v in np.clip(x, self.lows, self.highs)) for x in packages]
        known = self.journal.known
        todo = list(dict.fromkeys(k for k in keys if k not in known))[:max(0, self.max - self.done)]
        if todo and self.map_many is not None:
            results = self.map_many([np.array(k) for k in todo])
        else:  # one by one: each is in the journal, and counted, as soon as it is done
            results = []
            for i, k in enumerate(todo):
                results.append(self.evaluate(np.array(k)))
                self.journal.add(k, _plain(results[-1]))
                self._tell(self.done + i + 1)
        for k, r in zip(todo, results):
            if k not in known:
                self.journal.add(k, _plain(r))
        out = []
        for k in keys:
            r = known.get(k)
            if r is not None and k not in self.seen and self.done < self.max:
                self.seen.add(k)
                self.xs.append(np.array(k))
                self.outcomes.append(r)
                self._tell(self.done)
            out.append(r if k in self.seen else None)
        if self.scale is None:
            costs = [abs(r.cost) for r in out if r is not None and r.cost]
            self.scale = costs[0] if costs else 1.0
        return out

    def value(self, r: Outcome | None, level: float) -> float:
        """The penalised objective of an outcome (inf: not evaluated)."""
        return math.inf if r is None else r.penalised(level, self.scale or 1.0)

    def search(self, level: float, generations: int = 0, method: str = SEARCH_METHOD) -> Search:
        """The result: the best package under the feasibility rule at ``level``."""
        best = min(range(self.done), key=lambda i: self.value(self.outcomes[i], level))
        return Search(x=np.array(self.xs), outcomes=self.outcomes, best=best,
                      feasible=self.outcomes[best].probability >= level, confidence=level,
                      resumed=self.journal.resumed, generations=generations, method=method)


def _plain(r: Outcome) -> Outcome:
    return Outcome(r.cost, r.probability, r.target_probability, r.co2)


def solve(evaluate: Callable[[np.ndarray], Outcome], lows: Sequence[float],
          highs: Sequence[float], confidence: float, seed: int = 0,
          max_evaluations: int = DEFAULT_MAX_EVALUATIONS, journal: Journal | None = None,
          map_many: Callable[[list[np.ndarray]], list[Outcome]] | None = None,
          progress: Callable[[int, int], None] | None = None) -> Search:
    """The least-cost package x in [lows, highs] with ``evaluate(x).probability >= confidence``
    (the probability required of the ensemble the evaluations use: a Problem's ``level``)
    (module docstring: differential evolution, then a pattern search). ``map_many``: evaluates a
    list of packages at once (on Dask), default one after the other with ``evaluate``."""
    ev = Evaluations(evaluate, lows, highs, max_evaluations, journal, map_many, progress)
    lows, highs = ev.lows, ev.highs
    D = len(lows)

    def value(r: Outcome | None) -> float:
        return ev.value(r, confidence)

    class Budget(Exception):
        pass

    def vector(xt: np.ndarray) -> np.ndarray:  # DE: (D, S) -> (S,)
        res = ev.batch([xt[:, s] for s in range(xt.shape[1])])
        if any(r is None for r in res):
            raise Budget
        return np.array([value(r) for r in res])

    pop = POPSIZE * D
    # the pattern search's share of the budget: 2 trials a lever for about 2 passes at each of
    # the ~9 step sizes from a quarter of the range down to TOLERANCE
    reserve = min(max_evaluations // 2, PATTERN_TRIALS * D)
    generations = max(0, (max_evaluations - reserve) // pop - 1)
    if generations >= 1:
        try:
            differential_evolution(vector, list(zip(lows, highs)), popsize=POPSIZE,
                                   maxiter=generations, seed=seed, polish=False, tol=0,
                                   init="latinhypercube", vectorized=True, updating="deferred")
        except Budget:
            pass
    else:  # too few evaluations for a generation: the search starts from the most ambitious end
        ev.batch([highs.copy()])
    first = ev.search(confidence)  # the pattern search from the best so far
    compass(ev, first.x[first.best], confidence, 0.25)
    return ev.search(confidence, generations)


def compass(ev: Evaluations, x: np.ndarray, confidence: float, step: float) -> None:
    """The compass search of :func:`solve` from package ``x``: each lever moved by ± ``step``
    [share of its range] (clipped to its bounds), a move kept when it is better under the
    feasibility rule at ``confidence``, the step halved when no move helps, down to
    :data:`TOLERANCE`, within ``ev``'s budget."""
    lows, highs = ev.lows, ev.highs
    x = np.asarray(x, dtype=float).copy()
    fx = ev.value(ev.batch([x])[0], confidence)
    steps = step * (highs - lows)
    floor = TOLERANCE * (highs - lows) / 2  # the last step tried is at most TOLERANCE
    while ev.done < ev.max and np.any(steps > floor):
        moved = False
        for j in range(len(x)):
            if steps[j] <= floor[j]:
                continue
            trial = []
            for v in (x[j] - steps[j], x[j] + steps[j]):
                t = x.copy()
                t[j] = min(max(v, lows[j]), highs[j])
                if t[j] != x[j]:
                    trial.append(t)
            for t, r in zip(trial, ev.batch(trial)):
                if ev.value(r, confidence) < fx:
                    x, fx, moved = t, ev.value(r, confidence), True
                    break
            if ev.done >= ev.max:
                break
        if not moved:
            steps = steps / 2


SCREEN_FACTOR = 10
"""Default packages of the screening stage per package of the refinement's budget."""
REFINE_STEP = 1 / 16
"""First step of the compass search on the whole plan ensemble after screening [share of each
lever's range]: the screened package is near the edge, off by the sampling noise of the subset."""


def screened(screen: Callable[[np.ndarray], Outcome], evaluate: Callable[[np.ndarray], Outcome],
             lows: Sequence[float], highs: Sequence[float], confidence: float, seed: int = 0,
             screen_evaluations: int = DEFAULT_MAX_EVALUATIONS,
             max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
             screen_journal: Journal | None = None, journal: Journal | None = None,
             screen_map: Callable[[list[np.ndarray]], list[Outcome]] | None = None,
             map_many: Callable[[list[np.ndarray]], list[Outcome]] | None = None,
             screen_progress: Callable[[int, int], None] | None = None,
             progress: Callable[[int, int], None] | None = None) -> tuple[Search, Search]:
    """The faster strategy for large problems: :func:`solve` on a cheaper evaluation ``screen``
    (the first members of the plan ensemble, :meth:`Problem.subset`) within
    ``screen_evaluations``, then the compass search on ``evaluate`` (the whole plan ensemble)
    from the screened package, from steps of :data:`REFINE_STEP`, within ``max_evaluations``.
    The chosen package meets ``confidence`` on the whole plan ensemble, as with :func:`solve`
    (its verification is unchanged). Returns the screening's and the refinement's Search."""
    first = solve(screen, lows, highs, confidence, seed, screen_evaluations, screen_journal,
                  screen_map, screen_progress)
    ev = Evaluations(evaluate, lows, highs, max_evaluations, journal, map_many, progress)
    compass(ev, first.x[first.best], confidence, REFINE_STEP)
    return first, ev.search(confidence, method=SCREEN_METHOD)


EPSILONS = (0.002, 0.005, 0.002)
"""ε of ε-NSGAII on the normalised cost, the probability and the normalised cumulative CO2 (the
resolution of the front: 0.2 % of the cost, half a point of probability, 0.2 % of the CO2)."""


BEYOND = 1e12
"""Normalised cost and CO2 given to a package the genetic search asks for beyond its budget."""


def front(evaluate: Callable[[np.ndarray], Outcome], lows: Sequence[float],
          highs: Sequence[float], confidence: float, seed: int = 0,
          max_evaluations: int = DEFAULT_MAX_EVALUATIONS, journal: Journal | None = None,
          map_many: Callable[[list[np.ndarray]], list[Outcome]] | None = None,
          progress: Callable[[int, int], None] | None = None,
          epsilons: Sequence[float] = EPSILONS, refine: bool = True) -> Search:
    """The trade-off mode: platypus' ε-NSGAII (Kollat and Reed 2006; the algorithm EMA
    Workbench optimises with) on three objectives, cost (min), P(all targets) (max) and
    cumulative CO2 (min), no constraint; then, with ``refine``, the compass search of
    :func:`solve` (its share of the budget, from steps of :data:`REFINE_STEP`) from the cheapest
    evaluated package with P >= ``confidence`` (the feasibility rule, as :func:`solve`), which
    pins it to the edge of the feasible set that the genetic search only approaches; the chosen
    package is the best evaluated one under that rule. The front is the file's
    ``non_dominated`` packages. Arguments as :func:`solve`."""
    ev = Evaluations(evaluate, lows, highs, max_evaluations, journal, map_many, progress)
    scale = {}

    class Plan(platypus.Problem):
        def __init__(self):
            super().__init__(len(ev.lows), 3)
            self.types[:] = [platypus.Real(lo, hi) for lo, hi in zip(ev.lows, ev.highs)]
            self.directions[:] = [platypus.Problem.MINIMIZE, platypus.Problem.MAXIMIZE,
                                  platypus.Problem.MINIMIZE]

        def evaluate(self, solution):
            r = ev.batch([np.array(solution.variables, dtype=float)])[0]
            if r is None:  # beyond the budget (platypus may overshoot by a generation):
                # dominated by every evaluated package, finite for the ε boxes of a restart
                solution.objectives[:] = [BEYOND, 0.0, BEYOND]
                return
            scale.setdefault("co2", abs(r.co2) or 1.0)
            solution.objectives[:] = [r.cost / ev.scale, r.probability, r.co2 / scale["co2"]]

    class Batch(platypus.Evaluator):
        """Evaluates a generation as one batch (on Dask when ``map_many`` is given), then lets
        each solution read its outcome from the journal."""

        def evaluate_all(self, jobs, **kwargs):
            ev.batch([np.array(j.solution.variables, dtype=float) for j in jobs])
            for j in jobs:
                j.run()
            return jobs

    state = random.getstate()
    random.seed(seed)
    try:
        population = max(10, 4 * len(ev.lows))
        algorithm = platypus.EpsNSGAII(Plan(), epsilons=list(epsilons),
                                       population_size=population, evaluator=Batch())
        # the compass search's share of the budget, as in solve, kept from the genetic search
        # (which may overshoot its own by a generation, or by a restart's population)
        reserve = min(max_evaluations // 2, PATTERN_TRIALS * len(ev.lows)) if refine else 0
        ev.max = max_evaluations - reserve
        algorithm.run(max(population, ev.max - population))
    finally:
        random.setstate(state)
    ev.max = max_evaluations
    if refine:  # from the cheapest package meeting the level (or the smallest shortfall)
        first = ev.search(confidence)
        compass(ev, first.x[first.best], confidence, REFINE_STEP)
    return ev.search(confidence, method=FRONT_METHOD if refine else NSGA_METHOD)


def run_package(p: Problem, x: np.ndarray, numba_threads: int | None = None) -> Outcome:
    """``p(x)`` in a Dask worker, on at most ``numba_threads`` Numba threads."""
    if numba_threads:
        numba.set_num_threads(max(1, min(numba_threads, numba.config.NUMBA_NUM_THREADS)))
    return p(x)


def dask_map(p: Problem, client, numba_threads: int | None = None
             ) -> Callable[[list[np.ndarray]], list[Outcome]]:
    """``map_many`` of :func:`solve` on a Dask client: one task per package, the problem (with
    its fixed design) sent to the workers once."""
    shared = client.scatter(p, broadcast=True)

    def run_all(batch):
        futures = [client.submit(run_package, shared, x, numba_threads, pure=False)
                   for x in batch]
        return client.gather(futures)
    return run_all


# --- verification ------------------------------------------------------------------------------
@dataclass
class Verification:
    """The chosen package and the scenario's own levers on a fresh ensemble."""

    members: int
    seed: int
    outcome: Outcome
    own: Outcome  # the scenario as shipped (its own levers), same fresh ensemble
    standard_error: float
    holds: bool  # probability >= confidence - 2 s.e.
    binding: str  # the selected target least often attained by the package
    discovery: object | None = None  # sim.analysis.discovery.Discovery of the misses, or None
    discovery_note: str = ""


def verify(p: Problem, x: Sequence[float], members: int | None = None, seed: int | None = None,
           discover: bool | None = None) -> Verification:
    """Rerun package ``x`` and the scenario's own levers on a fresh ensemble (default: seed + 1,
    ``VERIFY_FACTOR`` times the members); PRIM on the package's misses with ``discover``, by
    default when the package does not meet the confidence there (within 2 s.e.)."""
    members = int(members or VERIFY_FACTOR * p.members)
    seed = int(p.seed + 1 if seed is None else seed)
    _KEPT.__dict__.clear()  # the search's kept kernel outputs: the fresh runs need the memory
    out, ds = p.run(x, members, seed, keep=True, dataset=True)
    ds.attrs["scenario_name"] = p.scenario.name
    ds.encoding["source"] = f"the fresh ensemble ({members} members, seed {seed})"
    own = p.run(None, members, seed)
    se = standard_error(out.probability, members)
    binding = p.targets[int(np.argmin(out.target_probability))]
    holds = out.probability >= p.confidence - 2 * se
    found, note = None, ""
    if discover or (discover is None and not holds):
        try:
            found = discovery.discover(ds, p.targets, "any", resample=0)
        except ResultsFileError as e:  # DiscoveryError: too few misses, nothing varies
            note = str(e).split(": ", 1)[-1]
    return Verification(members, seed, out, own, se, holds, binding, found, note)


# --- outputs -----------------------------------------------------------------------------------
def non_dominated(cost: np.ndarray, probability: np.ndarray, co2: np.ndarray) -> np.ndarray:
    """(evaluation,) bool: no other package is at least as good on cost (lower), probability
    (higher) and cumulative CO2 (lower) and better on one."""
    n = len(cost)
    out = np.ones(n, dtype=bool)
    for i in range(n):
        no_worse = (cost <= cost[i]) & (probability >= probability[i]) & (co2 <= co2[i])
        better = (cost < cost[i]) | (probability > probability[i]) | (co2 < co2[i])
        out[i] = not np.any(no_worse & better)
    return out


def chosen_document(p: Problem, x: Sequence[float], v: Verification) -> dict:
    """The scenario document with the chosen package set, and the fresh ensemble's members and
    seed, so that ``sim run`` on it reproduces the verification."""
    doc = lever_document(p.document, list(zip(p.points, map(float, x))))
    doc["scenario"]["members"] = int(v.members)
    doc["scenario"]["seed"] = int(v.seed)
    return doc


def chosen_text(p: Problem, x: Sequence[float], v: Verification) -> str:
    """The TOML text of :func:`chosen_document`, with a header saying where it comes from."""
    lines = [f"# Least-cost package of `sim plan` for scenario {p.scenario.name} "
             f"({p.scenario.path}): P(all of {', '.join(p.targets)}) >= {p.confidence:g}, "
             f"planned at P >= {p.level:.4g}",
             f"# on {p.members} members of seed {p.seed}; verified on {v.members} members of seed "
             f"{v.seed} (the members and seed below): P = {v.outcome.probability:.3f} "
             f"± {v.standard_error:.3f} (s.e.)",
             "# Lever points set by the plan: " + ", ".join(
                 f"{pt.label} = {float(val):.6g}" for pt, val in zip(p.points, x)),
             "# Target catalogues are read relative to this file (copied beside it).", "", ""]
    return "\n".join(lines) + tomli_w.dumps(chosen_document(p, x, v))


def write_scenario(p: Problem, x: Sequence[float], v: Verification, path: Path) -> Path:
    """Write the chosen scenario to ``path`` and copy its target catalogues beside it (they are
    read relative to the scenario file); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = Path(p.scenario.path).parent
    for cat in p.scenario.catalogues:
        dest = path.parent / Path(cat).relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(Path(cat).read_bytes())
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(chosen_text(p, x, v), encoding="utf-8")
    tmp.replace(path)
    return path


def dataset(p: Problem, s: Search, v: Verification, attrs: dict | None = None,
            screen: tuple[int, Search] | None = None) -> xr.Dataset:
    """The CF-1.10 Dataset of a plan: every evaluated package (lever values, cost, probabilities,
    cumulative CO2, feasible, non-dominated), the chosen one and its verification; ``screen``:
    the members and Search of a screening stage (:func:`screened`), whose packages are not in
    the file (they are judged on fewer members), only their count and best package."""
    E = len(s.outcomes)
    labels = [pt.label for pt in p.points]
    co2 = np.array([o.co2 for o in s.outcomes])
    units = [LEVERS[pt.lever].unit for pt in p.points]
    ds = xr.Dataset(
        {
            "lever_value": (("evaluation", "lever"), s.x, dict(
                units="1", long_name="value of each lever point in each evaluated package "
                                     "(units in lever_units)")),
            "cost": ("evaluation", s.cost, dict(
                units="1", currency="CNY (2019 prices)",
                long_name=f"ensemble mean of the discounted cost of the {REGION} region, CNY at 2019 "
                          f"prices: present "
                          f"value in {DISCOUNT_WINDOW[0]} of {DISCOUNT_WINDOW[0]}-"
                          f"{DISCOUNT_WINDOW[1]}")),
            "probability": ("evaluation", s.probability, dict(
                units="1", long_name="share of members attaining every selected target")),
            "target_probability": (("evaluation", "target"),
                                   np.array([o.target_probability for o in s.outcomes]), dict(
                units="1", long_name="share of members attaining the target")),
            "cumulative_co2": ("evaluation", co2, dict(
                units="Mt", long_name=f"ensemble mean of industrial CO2 of the {REGION} region "
                                      f"summed over {DISCOUNT_WINDOW[0]}-{DISCOUNT_WINDOW[1]}")),
            "feasible": ("evaluation", (s.probability >= p.level).astype(np.int8), dict(
                units="1", long_name="the package meets the level (confidence + margin) on the "
                                     "plan ensemble", flag_values=np.array([0, 1], dtype=np.int8),
                flag_meanings="below_level meets_level")),
            "non_dominated": ("evaluation", non_dominated(s.cost, s.probability, co2).astype(
                np.int8), dict(units="1", long_name="no evaluated package is at least as good "
                               "on cost, probability and cumulative CO2 and better on one",
                               flag_values=np.array([0, 1], dtype=np.int8),
                               flag_meanings="dominated non_dominated",
                               comment="among the evaluated packages, on cost, probability and "
                                       "cumulative CO2 (not a converged front)")),
            "chosen_value": ("lever", s.x[s.best], dict(
                units="1", long_name="the chosen package (units in lever_units)")),
        },
        coords={
            "evaluation": ("evaluation", np.arange(E, dtype=np.int64), dict(
                long_name="evaluated package, in the order of the search", units="1")),
            "lever": ("lever", labels, dict(long_name="lever point LEVER:YEAR[:SECTOR][:PROVINCE]")),
            "lever_units": ("lever", units, dict(long_name="units of the lever point")),
            "lever_low": ("lever", p.lows, dict(long_name="lower bound of the lever point",
                                                units="1")),
            "lever_high": ("lever", p.highs, dict(long_name="upper bound of the lever point",
                                                  units="1")),
            "target": ("target", p.targets, dict(long_name="selected target")),
        })
    ds.attrs.update(netcdf.global_attributes(p.scenario, p.seed, p.members) if attrs is None
                    else attrs)
    vo, own = v.outcome, v.own
    ds.attrs.update(
        title=f"Least-cost plan for scenario {p.scenario.name}: {len(labels)} lever points, "
              f"P(all targets) >= {p.confidence:g}",
        plan_confidence=p.confidence, plan_margin=p.margin, plan_level=p.level,
        plan_members=np.int64(p.members), plan_seed=np.int64(p.seed),
        plan_feasible=np.int64(s.feasible), chosen_evaluation=np.int64(s.best),
        evaluations=np.int64(E), resumed_evaluations=np.int64(s.resumed),
        verify_members=np.int64(v.members), verify_seed=np.int64(v.seed),
        verify_probability=vo.probability, verify_standard_error=v.standard_error,
        verify_holds=np.int64(v.holds), verify_cost=vo.cost, verify_cumulative_co2=vo.co2,
        verify_target_probability=json.dumps(dict(zip(p.targets, vo.target_probability))),
        own_probability=own.probability, own_cost=own.cost, own_cumulative_co2=own.co2,
        own_target_probability=json.dumps(dict(zip(p.targets, own.target_probability))),
        binding_target=v.binding,
        search_method=s.method,
        method=f"{s.method}; sample-average approximation on one fixed ensemble "
               "(sim.analysis.plan)",
    )
    if screen is not None:
        n, first = screen
        ds.attrs.update(screen_members=np.int64(n), screen_evaluations=np.int64(len(first.outcomes)),
                        screen_resumed_evaluations=np.int64(first.resumed),
                        screen_best=first.x[first.best],
                        screen_best_probability=first.outcomes[first.best].probability)
    if v.discovery is not None and v.discovery.boxes:
        ds.attrs["discovery"] = json.dumps(json_ready(v.discovery.to_dict()["boxes"]))
        ds.attrs["discovery_table"] = discovery.format_table(v.discovery)
    elif v.discovery_note:
        ds.attrs["discovery_note"] = v.discovery_note
    return ds


def report_rows(ds: xr.Dataset) -> list[dict]:
    """The report's rows of the chosen package, from a plan file: each lever point's units,
    bounds and chosen value."""
    return [dict(item=str(lv), units=str(u), low=f"{float(lo):g}", high=f"{float(hi):g}",
                 chosen=f"{float(v):.4g}")
            for lv, u, lo, hi, v in zip(ds["lever"].values, ds["lever_units"].values,
                                        ds["lever_low"].values, ds["lever_high"].values,
                                        ds["chosen_value"].values)]


def _versus(extra: float) -> str:
    return (f"it costs {money(extra)} bn CNY more than" if extra >= 0 else
            f"it costs {money(-extra)} bn CNY less than")


REPORT_VARIABLES = ("lever_value", "chosen_value", "cost", "probability", "target_probability",
                    "cumulative_co2")
"""What the report of a plan file reads (with its attributes)."""


def format_table(ds: xr.Dataset) -> str:
    """The plain-text report of a plan file (``sim plan`` prints it, ``sim report`` too)."""
    a = ds.attrs
    targets = [str(t) for t in ds["target"].values]
    best = int(a["chosen_evaluation"])
    conf, level, margin = (float(a[k]) for k in ("plan_confidence", "plan_level", "plan_margin"))
    members, seed = int(a["plan_members"]), int(a["plan_seed"])
    vm, vs = int(a["verify_members"]), int(a["verify_seed"])
    p_best = float(ds["probability"].values[best])
    p_fresh, se = float(a["verify_probability"]), float(a["verify_standard_error"])
    p_own = float(a["own_probability"])
    t_best = ds["target_probability"].values[best]
    t_fresh, t_own = json.loads(a["verify_target_probability"]), json.loads(a["own_target_probability"])
    screening = (f"{int(a['screen_evaluations'])} packages on the first "
                 f"{int(a['screen_members'])} members ({int(a['screen_resumed_evaluations'])} "
                 "read from the journal), then " if "screen_members" in a else "")
    lines = [f"Plan for scenario {a.get('scenario_name', '')}: least cost with P(all of "
             f"{', '.join(targets)}) >= {conf:g}",
             f"search: {a.get('search_method', '')}, {screening}{ds.sizes['evaluation']} "
             f"packages on {members} members of seed {seed} ({int(a['resumed_evaluations'])} "
             f"read from the journal), asking them for P >= {level:.4g} (confidence + margin "
             f"{margin:.4g})", ""]
    lines.append(format_rows(report_rows(ds), ["item", "units", "low", "high", "chosen"],
                             "markdown"))
    lines += ["", f"{'':<34}{'plan ensemble':>16}{'fresh ensemble':>16}{'scenario as is':>16}",
              f"{'members (seed)':<34}{f'{members} ({seed})':>16}"
              f"{f'{vm} ({vs})':>16}{f'{vm} ({vs})':>16}",
              f"{'P(all targets)':<34}{p_best:>16.3f}"
              f"{f'{p_fresh:.3f} ± {se:.3f}':>16}{p_own:>16.3f}"]
    for i, t in enumerate(targets):
        lines.append(f"{'  P(' + t + ')':<34}{float(t_best[i]):>16.3f}"
                     f"{float(t_fresh[t]):>16.3f}{float(t_own[t]):>16.3f}")
    win = f"{DISCOUNT_WINDOW[0]}-{DISCOUNT_WINDOW[1]}"
    cost, vcost, ocost = float(ds["cost"].values[best]), float(a["verify_cost"]), float(a["own_cost"])
    lines += [f"{'present cost ' + win + ' [bn CNY]':<34}{money(cost):>16}{money(vcost):>16}"
              f"{money(ocost):>16}",
              f"{'cumulative CO2 ' + win + ' [Mt]':<34}"
              f"{float(ds['cumulative_co2'].values[best]):>16,.1f}"
              f"{float(a['verify_cumulative_co2']):>16,.1f}{float(a['own_cumulative_co2']):>16,.1f}",
              ""]
    floor = conf - 2 * se
    if int(a["plan_feasible"]) and int(a["verify_holds"]):
        lines.append(f"The package meets the confidence: P = {p_fresh:.3f} on the fresh ensemble "
                     f">= {conf:g} - 2 s.e. ({floor:.3f}); {_versus(vcost - ocost)} the scenario "
                     "as is (present value, same members).")
    elif int(a["plan_feasible"]):
        lines.append(f"The package met the level on the plan ensemble but NOT the confidence on "
                     f"the fresh one: P = {p_fresh:.3f} < {conf:g} - 2 s.e. ({floor:.3f}); plan "
                     "on more members or with a larger --margin.")
    else:
        binding = str(a["binding_target"])
        lines.append(f"No package within the bounds reaches P >= {level:.4g}: the best reaches "
                     f"{p_best:.3f} (fresh ensemble {p_fresh:.3f}); the binding target is "
                     f"{binding} (P = {float(t_fresh[binding]):.3f}).")
    if a.get("discovery_table"):
        lines += ["", "What must hold for the package to fail (PRIM on its misses, fresh ensemble):",
                  str(a["discovery_table"])]
    elif a.get("discovery_note"):
        lines.append(f"PRIM on its misses: {a['discovery_note']}")
    return "\n".join(lines)
