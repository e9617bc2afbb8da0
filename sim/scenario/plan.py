"""Plan files: the inputs of ``sim plan`` (``sim.analysis.plan``) as a TOML file instead of options.

A plan file (``scenarios/plans/*.toml``) names a base scenario, the targets, the confidence and
the lever points the plan may set, each within bounds::

    [plan]
    name = "anhui_eaf"                # names the output: outputs/<name>/<name>_plan.nc
    scenario = "../anhui.toml"        # relative to the plan file
    targets = ["anhui_eaf_share_2030"]  # target ids (the base id of a per-province target: all
                                      # its provinces); default: every simulated target
    confidence = 0.9                  # required P(every target attained), in (0, 1)
    margin = 0.0134                   # default: one standard error sqrt(c (1 - c) / members)
    members = 500                     # of the fixed planning ensemble (default 500)
    seed = 7                          # default: the scenario's
    verify_members = 1000             # of the fresh ensemble (default: twice members)
    max_evaluations = 300             # packages evaluated at most (default 300)
    front = false                     # the trade-off mode (epsilon-NSGAII), default false
    screen_members = 100              # optional: search on the first 100 members, then refine
    screen_evaluations = 3000         # on all of them (the faster strategy; default 10 x
                                      # max_evaluations packages on the subset)

    [levers.eaf_floor_2030]           # one lever point, the keys of a sweep file's lhs axis
    lever = "eaf_share"
    year = 2030
    low = 0.2
    high = 0.8
    # sector = "iron_steel" / province = "Anhui": that override's point instead

Every value is checked here, with a one-line :class:`ScenarioError` naming the file, the key, the
value and what is allowed; the lever tables are read by the sweep files' own
:func:`sim.scenario.sweep.parse_axis`, plus what a plan needs beyond a sweep (low below high, the
sector one the lever applies to, the province simulated by the scenario).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.core import sizes
from sim.core.levers import LEVERS
from sim.scenario.errors import Checker
from sim.scenario.spec import Scenario
from sim.scenario.sweep import Axis, check_distinct, parse_axis, study_file

PLAN_KEYS = ("name", "scenario", "description", "targets", "confidence", "margin", "members",
             "seed", "verify_members", "max_evaluations", "front", "screen_members",
             "screen_evaluations")
"""Keys of a plan file's ``[plan]`` table."""
LEVER_KEYS = ("lever", "year", "low", "high", "sector", "province")
"""Keys of a plan file's ``[levers.<label>]`` tables."""


@dataclass(frozen=True)
class PlanFile:
    """A validated plan file. ``None``: not set, the command's default (or its option) holds."""

    name: str
    path: Path
    text: str
    scenario: Scenario
    points: tuple[Axis, ...]  # the lever points, with low and high
    targets: tuple[str, ...]
    confidence: float | None
    margin: float | None
    members: int | None
    seed: int | None
    verify_members: int | None
    max_evaluations: int | None
    front: bool
    screen_members: int | None = None
    screen_evaluations: int | None = None


def load_plan(path: str | Path) -> PlanFile:
    """Read and validate a plan file and its base scenario (module docstring)."""
    path = Path(path)
    head = study_file(path, "plan", ("plan", "levers"), PLAN_KEYS)
    text, doc, chk, pl, name, base = (head.text, head.doc, head.checker, head.table, head.name,
                                      head.scenario)
    if "description" in pl:
        chk.string(pl["description"], "plan.description")

    targets = pl.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise chk.fail("plan.targets", targets, "a list of target ids",
                       "must be a list of target ids")
    ids = [t.id for t in base.targets if t.status in ("simulated", "trend")]
    names = list(dict.fromkeys([*ids, *(i.split(":", 1)[0] for i in ids if ":" in i)]))
    for i, t in enumerate(targets):
        if t not in names:
            raise chk.unknown_value(f"plan.targets[{i}]", t, names,
                                    "simulated target of the scenario")
    confidence = margin = None
    if "confidence" in pl:
        confidence = chk.number(pl["confidence"], "plan.confidence", 0.0, 1.0, low_open=True)
        if confidence == 1.0:
            raise chk.fail("plan.confidence", pl["confidence"], "(0, 1)",
                           "must be below 1 (no finite ensemble shows certainty)")
    if "margin" in pl:
        # at most 1 - confidence (the level P = 1); the command's default confidence is 0.9
        top = round(1.0 - (0.9 if confidence is None else confidence), 12)
        margin = chk.number(pl["margin"], "plan.margin", 0.0, top)
    members = verify = None
    if "members" in pl:
        members = chk.members(pl["members"], "plan.members", len(base.provinces), len(base.years))
        if members < 2:
            raise chk.fail("plan.members", members, "at least 2", "is too few to estimate a "
                           "probability")
    if "verify_members" in pl:
        verify = chk.members(pl["verify_members"], "plan.verify_members", len(base.provinces),
                             len(base.years))
        if verify < 2:
            raise chk.fail("plan.verify_members", verify, "at least 2",
                           "is too few to estimate a probability")
    seed = chk.integer(pl["seed"], "plan.seed", 0, sizes.MAX_SEED - 1) if "seed" in pl else None
    budget = (chk.integer(pl["max_evaluations"], "plan.max_evaluations", 1, None)
              if "max_evaluations" in pl else None)
    front = chk.boolean(pl.get("front", False), "plan.front")
    screen = screen_budget = None
    if "screen_members" in pl:
        top = (members or 500) - 1  # below the plan ensemble's members (the command's default 500)
        screen = chk.integer(pl["screen_members"], "plan.screen_members", 2, top)
        if front:
            raise chk.fail("plan.screen_members", screen, "front = false",
                           "is a screening of the single-objective search, not of the front")
    if "screen_evaluations" in pl:
        if screen is None:
            raise chk.fail("plan.screen_evaluations", pl["screen_evaluations"],
                           "with screen_members", "is set but screen_members is not")
        screen_budget = chk.integer(pl["screen_evaluations"], "plan.screen_evaluations", 1, None)

    levers = chk.table(doc.get("levers", {}), "levers")
    if not levers:
        raise chk.fail("levers", problem="no lever points",
                       allowed="[levers.<label>] tables with lever, year, low and high")
    points = tuple(_point(chk, base, label, chk.table(t, f"levers.{label}"))
                   for label, t in levers.items())
    check_distinct(chk, points, "levers")
    return PlanFile(name, path, text, base, points, tuple(targets), confidence, margin, members,
                    seed, verify, budget, front, screen, screen_budget)


def _point(chk: Checker, base: Scenario, label: str, t: dict) -> Axis:
    """One lever point: a sweep's lhs axis, with low below high, the sector one the lever applies
    to and the province simulated."""
    path = f"levers.{label}"
    chk.keys(t, LEVER_KEYS, path)
    ax = parse_axis(chk, label, t, "range", base.years, table="levers")
    spec = LEVERS[ax.lever]
    if ax.sector is not None and spec.sectors and ax.sector not in spec.sectors:
        raise chk.fail(f"{path}.sector", ax.sector, ", ".join(spec.sectors),
                       f"is not a sector lever {ax.lever} applies to")
    if ax.province is not None and ax.province not in base.provinces:
        raise chk.fail(f"{path}.province", t["province"], ", ".join(base.provinces),
                       "is not simulated by the scenario")
    if not ax.low < ax.high:
        raise chk.fail(f"{path}.high", t["high"], f"above low = {ax.low:g}", "must be above low")
    return ax
