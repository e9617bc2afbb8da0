"""Global sensitivity analysis of a scenario (``sim sensitivity``, issue #16 §1): Sobol indices
and Morris elementary effects of the uncertain parameters and of chosen lever points, computed
with SALib (its samplers and analysers; no estimator is written here).

Public API
----------
``Factor``, ``Output``
    One factor of the analysis (an uncertain parameter, a lever point or the dummy) and one
    analysed output (a quantity of one region, or one target's value or attainment).
``parse_lever(text, scenario) -> LeverPoint``
    ``LEVER:YEAR[:SECTOR][:PROVINCE]=LO..HI`` validated against the lever registry.
``plan(scenario, method, samples, parameters, levers, second_order, seed, discrepancy) -> Plan``
    Everything about an analysis before it runs: columns and factors (groups), outputs, the
    SALib sample.
``evaluate(plan, chunk_size, client) -> np.ndarray``
    The outputs (evaluation, output) of every row of the sample, through ``sim.model.run``.
``analyse(plan, values, client) -> dict[str, np.ndarray]``
    SALib's indices of every output.
``dataset(plan, values, indices) -> xr.Dataset``, ``run(...) -> xr.Dataset``
    The CF-1.10 result (written by the command line with ``sim.results.netcdf.write_atomic``).
``ranked_rows(ds, regions)``, ``format_table(ds, all_regions)``
    The ranked table of ``sim report``.

Factors and their scale
-----------------------
SALib samples every factor on [0, 1] (the problem's bounds). An uncertain parameter maps its
value u through the inverse CDF of the scenario's distribution, the very transform of the
Latin-hypercube design of ``sim run`` (``sim.scenario.uncertainty.sample(unit=...)``, fed through
``sim.model.run.prepare(design=...)``), so a factor means the same in both. The parameters of the
scenario that are not analysed (``--parameters`` picks some) stay at the median of their
distribution (u = 0.5). A lever point is uniform on its range, ``lo + u (hi - lo)``, set in the
scenario document like a sweep axis (``sim.scenario.sweep.Axis``) and validated as a scenario file. The
dummy factor is sampled like the others and fed to nothing: its indices are the estimators'
noise floor.

Morris grids include 0 and 1, where an unbounded distribution (normal, lognormal) has no
finite value; Morris levels are therefore the centres of ``num_levels`` equal-probability bins,
u = (k + 1/2) / num_levels (Campolongo et al. 2007, Environ. Model. Softw. 22:1509, for factors
that are not uniform). SALib computes the elementary effects per unit of its own grid x =
k / (num_levels - 1), i.e. (1 - 1/num_levels) times the effect per unit of u. Sobol samples are
scrambled Sobol' points, inside (0, 1).

The model discrepancy (``model_discrepancy``, ``sim.scenario.uncertainty.discrepancy``: log d[p,s,t] =
sigma_s sqrt(t) z[p,s]) is a random field per member, province and sector; drawn from its seeded
generator, two evaluations with the same factors would differ, which Sobol's estimators read as
a factor that is not there. When the scenario switches it on (and --no-discrepancy is not
given), its draws are factors instead: z[p,s] = Φ⁻¹(u) for every simulated province p and every
sector s with sigma_s > 0 (``sim.model.run.prepare(discrepancy_z=...)``), and the P columns of a
sector form one SALib group ``model_discrepancy:<sector>``, so its indices are those of the
sector's discrepancy in all provinces together (SALib's grouped Sobol and Morris: N (G + 2)
evaluations for G groups; every other factor is a group of its own). The sample keeps every
column (dimension ``column``, with ``column_factor`` its group), so the file can be re-analysed.
Off (--no-discrepancy, or --parameters without model_discrepancy), it is factor 1 in every
evaluation, and the file says which.

Evaluations: rows that share their lever values share one ``sim.model.run.Prepared`` (levers
resolved once); each is run in member chunks by ``sim.model.run.run_chunk``, in this process or on
Dask. Row i's outputs depend only on row i, so the chunking and the workers change nothing.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib.metadata
import json
import math
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numba
import numpy as np
import xarray as xr
from scipy import special

from sim.analysis.report import format_rows
from sim.core import axes
from sim.core.files import json_ready
from sim.core.indicators_registry import INDICATORS
from sim.core.levers import LEVERS
from sim.core.targets import target_units
from sim.data.base_state import load_base_state
from sim.model import run as model
from sim.results import netcdf
from sim.scenario import printable, read_document, scenario_from_document
from sim.scenario.errors import Checker
from sim.scenario.sweep import Axis, with_lever_points
from sim.scenario.uncertainty import MODEL_DISCREPANCY, PARAMETERS, UncertaintySpec, design_columns

METHODS = ("sobol", "morris")
DUMMY = "dummy"
DEFAULT_SAMPLES = {"sobol": 256, "morris": 20}
"""Base samples N (Sobol: N (D + 2) evaluations, N (2 D + 2) with second order; a power of 2)
and Morris trajectories (N (D + 1) evaluations) when --samples is not given."""
MAX_EVALUATIONS = 2_000_000
"""Largest number of model evaluations accepted (the sample and outputs are held in memory)."""
NUM_RESAMPLES = 100
"""Bootstrap resamples of SALib's confidence intervals."""
CONF_LEVEL = 0.95
MORRIS_LEVELS = 4
YEARS = (2030, 2035)
"""Years of the industrial-CO2 outputs."""
REGIONAL = ("peak_year", *(f"industrial_co2_{y}" for y in YEARS))


class SensitivityError(ValueError):
    """Bad input of an analysis; ``str(e)`` is one line."""


@dataclass(frozen=True)
class LeverPoint:
    """A lever point analysed as a factor: ``lever`` in ``year`` (optionally a sector and/or
    province override), uniform on [low, high] in the lever's units."""

    label: str
    lever: str
    year: int
    low: float
    high: float
    sector: str | None = None
    province: str | None = None

    def key_path(self) -> list[str]:
        """Where the point lives below ``levers.<lever>`` (as ``sim.scenario.sweep.Axis``)."""
        return Axis(self.label, self.lever, self.year, sector=self.sector,
                    province=self.province).key_path()


@dataclass(frozen=True)
class Factor:
    """One column of SALib's sample. ``group``: the factor of the analysis it belongs to (its
    own name unless it is one province's discrepancy draw of a sector)."""

    name: str
    kind: str  # "parameter", "lever", "discrepancy" or "dummy"
    units: str
    description: str
    distribution: str  # readable text of what u in [0, 1] maps to
    lever: LeverPoint | None = None
    group: str = ""
    sector: str | None = None  # discrepancy columns: their sector and province
    province: str | None = None

    def __post_init__(self):
        if not self.group:
            object.__setattr__(self, "group", self.name)


@dataclass(frozen=True)
class Output:
    """One analysed output: its quantity (peak year, industrial CO2 of a year [Mt CO2 yr-1],
    a target's value or attainment), region or scope, target id, units and long name."""

    name: str
    quantity: str  # peak_year, industrial_co2_<year>, target_value, target_attained
    region: str  # region, or the target's scope
    target: str  # target id, "" for regional outputs
    units: str
    long_name: str


@dataclass
class Plan:
    """Everything an analysis needs before it runs: the scenario, method, sample size, seed,
    factors (columns), outputs and SALib's unit sample."""

    scenario: Any  # sim.scenario.Scenario, discrepancy on only if it is analysed
    document: dict
    method: str
    samples: int
    second_order: bool
    seed: int
    factors: list[Factor]  # the columns of the sample
    outputs: list[Output]
    regions: list[str]
    unit: np.ndarray  # (evaluation, factor) SALib's sample on [0, 1]
    held: dict[str, float]  # parameters not analysed -> the value they are held at

    @property
    def problem(self) -> dict:
        """SALib's problem dict of the factors (names, bounds, groups)."""
        return problem(self.factors)

    @property
    def groups(self) -> list[Factor]:
        """The factors of the analysis (what the indices are of): one per group."""
        return groups(self.factors)

    @property
    def discrepancy(self) -> bool:
        """Whether the model discrepancy is analysed (as factors) rather than off."""
        return any(f.kind == "discrepancy" for f in self.factors)

    @property
    def effective(self) -> np.ndarray:
        """(evaluation, factor) position u in [0, 1] fed to each factor's transform."""
        return effective_unit(self.unit, self.method)

    def values(self) -> np.ndarray:
        """(evaluation, factor) the sample in factor units."""
        return factor_values(self.factors, self.effective, self.scenario)


def problem(factors: list[Factor]) -> dict:
    """SALib's problem: every column on [0, 1], with SALib's ``groups`` when a factor of the
    analysis is not a single column of its own name (a sector's discrepancy)."""
    out = {"num_vars": len(factors), "names": [f.name for f in factors],
           "bounds": [[0.0, 1.0]] * len(factors)}
    if any(f.group != f.name for f in factors):
        out["groups"] = [f.group for f in factors]
    return out


def groups(fs: list[Factor]) -> list[Factor]:
    """One Factor per group, in order of first appearance (SALib's order of its results): a
    column that is its own group is itself; a discrepancy group describes its columns."""
    members: dict[str, list[Factor]] = {}
    for f in fs:
        members.setdefault(f.group, []).append(f)
    out = []
    for name, cols in members.items():
        if len(cols) == 1 and cols[0].name == name:
            out.append(cols[0])
            continue
        first = cols[0]
        where = ", ".join(c.province or "" for c in cols)
        out.append(Factor(name, first.kind, first.units,
                          f"{first.description.rsplit(': ', 1)[0]}: z of {len(cols)} "
                          f"province{'s' if len(cols) > 1 else ''} ({where}), one column each",
                          first.distribution, group=name, sector=first.sector))
    return out


def effective_unit(unit: np.ndarray, method: str, levels: int = MORRIS_LEVELS) -> np.ndarray:
    """The probability position of each sample value: itself for Sobol, the bin centre of the
    Morris level for Morris (module docstring)."""
    if method == "morris":
        return (np.rint(unit * (levels - 1)) + 0.5) / levels
    return unit


# --- factors -----------------------------------------------------------------------------------
def parse_lever(text: str, scenario) -> LeverPoint:
    """``LEVER:YEAR[:SECTOR][:PROVINCE]=LO..HI`` (sector and province in either order) checked
    against the lever registry: the name, the year among the simulated years, the sector among
    those the lever applies to, the province, and LO < HI inside the lever's valid range."""
    chk = Checker(f"--levers {printable(text)}")
    if "=" not in text or ".." not in text.split("=", 1)[1]:
        raise chk.fail("", problem="is not LEVER:YEAR[:SECTOR][:PROVINCE]=LO..HI",
                       allowed="e.g. eaf_share:2030=0.1..0.4")
    head, rng = text.split("=", 1)
    parts = [p.strip() for p in head.split(":")]
    if len(parts) < 2 or len(parts) > 4:
        raise chk.fail("", problem="is not LEVER:YEAR[:SECTOR][:PROVINCE]=LO..HI",
                       allowed="e.g. phase_out:2025:iron_steel=0..0.05")
    name = parts[0]
    if name not in LEVERS:
        raise chk.unknown("", name, list(LEVERS), "lever")
    lv = LEVERS[name]
    year = axes.year_of(parts[1])
    if year is None:
        raise chk.fail("year", parts[1], f"{scenario.years[0]}..{scenario.years[-1]} in ASCII digits",
                       "is not a year")
    year = chk.integer(year, "year", scenario.years[0], scenario.years[-1])
    sector = province = None
    for where in parts[2:]:
        if where in axes.SECTORS and sector is None:
            if lv.sectors and where not in lv.sectors:
                raise chk.fail("sector", where, ", ".join(lv.sectors),
                               f"is not a sector lever {name} applies to")
            sector = where
        elif province is None:
            try:
                province = axes.resolve_province(where, scenario.provinces)
            except axes.UnknownProvince:
                raise chk.unknown("", where, [*lv.sectors, *scenario.provinces],
                                  "sector or simulated province") from None
        else:
            raise chk.fail("", where, "one sector and one province at most", "is one too many")
    lo_text, _, hi_text = rng.partition("..")
    bounds = []
    for key, raw in (("low", lo_text), ("high", hi_text)):
        try:
            value = float(raw)
        except ValueError:
            raise chk.fail(key, raw.strip(), "a number", "is not a number") from None
        if not math.isfinite(value):
            raise chk.fail(key, raw.strip(), "a finite number", "must be finite")
        bounds.append(chk.number(value, key, lv.low, lv.high))
    low, high = bounds
    if not low < high:
        raise chk.fail("high", high, f"above low = {low:g}", "must be above low")
    label = ":".join([name, str(year)] + [w for w in (sector, province) if w])
    return LeverPoint(label, name, year, low, high, sector, province)


def _distribution_text(dist) -> str:
    return f"{dist.kind}(" + ", ".join(f"{k}={v:g}" for k, v in dist.params.items()) + ")"


def discrepancy_factors(scenario, sigma: np.ndarray | None = None) -> list[Factor]:
    """The discrepancy columns z[p, s] = Φ⁻¹(u) of every simulated province p and every sector s
    with sigma_s > 0 (sector-major), grouped per sector as ``model_discrepancy:<sector>``;
    ``sigma`` (S,) [yr^-1/2] defaults to the base state's."""
    if sigma is None:

        sigma = load_base_state().discrepancy_sigma
    out = []
    for k, sector in enumerate(axes.SECTORS):
        if not sigma[k] > 0:
            continue
        group = f"{MODEL_DISCREPANCY}:{sector}"
        for prov in scenario.provinces:
            out.append(Factor(
                f"{group}:{prov}", "discrepancy", "1",
                f"model discrepancy of the final energy of {sector} (log factor "
                f"{sigma[k]:g} sqrt(t) z, sim.scenario.uncertainty.discrepancy): z of {prov}",
                "normal(mean=0, sd=1) per province (z = inverse normal CDF of u)",
                group=group, sector=sector, province=prov))
    return out


def factors(scenario, parameters: list[str] | None = None,
            levers: list[LeverPoint] = (), discrepancy: bool = True) -> list[Factor]:
    """The columns: the scenario's uncertain parameters that are design columns (all, or those
    named in ``parameters``, in catalogue order), the discrepancy columns (when ``discrepancy``,
    the scenario switches it on and ``parameters`` is not given or names model_discrepancy),
    the lever points, then the dummy."""
    columns = design_columns(scenario.uncertainty)
    md_on = MODEL_DISCREPANCY in scenario.uncertainty.distributions
    columns_allowed = (*columns, MODEL_DISCREPANCY) if md_on and discrepancy else columns
    if parameters:
        for p in parameters:
            if p not in columns:
                if p == MODEL_DISCREPANCY and md_on:
                    if not discrepancy:
                        raise SensitivityError(f"--parameters {p}: contradicts --no-discrepancy")
                    continue
                if p in PARAMETERS:
                    why = ("is off in the scenario (dist = \"calibrated\" switches it on)"
                           if p == MODEL_DISCREPANCY else "has no distribution in the scenario")
                    raise SensitivityError(f"--parameters {p}: {why} (allowed: "
                                           f"{', '.join(columns_allowed)})")

                match = difflib.get_close_matches(p, columns_allowed, n=1, cutoff=0.6)
                hint = f"; did you mean '{match[0]}'?" if match else ""
                raise SensitivityError(f"--parameters {p}: unknown uncertain parameter{hint} "
                                       f"(allowed: {', '.join(columns_allowed)})")
        chosen = [c for c in columns if c in parameters]
    else:
        chosen = list(columns)
    out = [Factor(n, "parameter", PARAMETERS[n].unit, PARAMETERS[n].applies,
                  _distribution_text(scenario.uncertainty.distributions[n])) for n in chosen]
    if md_on and discrepancy and (not parameters or MODEL_DISCREPANCY in parameters):
        out += discrepancy_factors(scenario)
    seen = set()
    for lp in levers:
        if lp.label in seen:
            raise SensitivityError(f"--levers {lp.label}: given twice")
        seen.add(lp.label)
        lv = LEVERS[lp.lever]
        where = " ".join(w for w in (lp.sector, lp.province) if w)
        out.append(Factor(lp.label, "lever", lv.unit,
                          f"lever {lp.lever} in {lp.year}{' (' + where + ')' if where else ''}",
                          f"uniform(low={lp.low:g}, high={lp.high:g})", lever=lp))
    if not out:
        raise SensitivityError("no factors: the scenario has no uncertain parameters with a "
                               "distribution and no --levers were given")
    out.append(Factor(DUMMY, "dummy", "1", "dummy factor, fed to nothing: the noise floor of "
                      "the estimators", "uniform(low=0, high=1)"))
    return out


def factor_values(fs: list[Factor], u: np.ndarray, scenario) -> np.ndarray:
    """(evaluation, factor) values in factor units of positions ``u`` in [0, 1]."""
    out = np.empty_like(u, dtype=float)
    for j, f in enumerate(fs):
        if f.kind == "parameter":
            out[:, j] = scenario.uncertainty.distributions[f.name].ppf(u[:, j])
        elif f.kind == "discrepancy":
            out[:, j] = special.ndtri(u[:, j])
        elif f.kind == "lever":
            out[:, j] = f.lever.low + u[:, j] * (f.lever.high - f.lever.low)
        else:
            out[:, j] = u[:, j]
    return out


# --- outputs -----------------------------------------------------------------------------------
def outputs(scenario) -> tuple[list[Output], list[str]]:
    """The analysed outputs and the regions: peak year and industrial CO2 in 2030 and 2035 of
    every simulated province and national, then every simulated target's value and attainment."""
    regions = list(scenario.provinces) + ["national"]
    out = []
    for q in REGIONAL:
        if q.startswith("industrial_co2_") and int(q[-4:]) not in scenario.years:
            continue
        for r in regions:
            if q == "peak_year":
                out.append(Output(f"{q}:{r}", q, r, "", "year",
                                  f"calendar year of the industrial-CO2 peak, {r}"))
            else:
                out.append(Output(f"{q}:{r}", q, r, "", "Mt yr-1",
                                  f"industrial CO2 (direct + process - captured) in {q[-4:]}, {r}"))
    targets = [t for t in scenario.targets if t.status in ("simulated", "trend")]
    for t in targets:
        out.append(Output(f"target_value:{t.id}", "target_value", t.scope, t.id,
                          target_units(t, INDICATORS[t.indicator][0]),
                          f"value of target {t.id} ({t.indicator}, {t.condition})"))
    for t in targets:
        out.append(Output(f"target_attained:{t.id}", "target_attained", t.scope, t.id, "1",
                          f"target {t.id} attained (1) or not (0)"))
    return out, regions


def _extract(ds: xr.Dataset, outs: list[Output]) -> np.ndarray:
    """(member, output) of one ``run_chunk`` Dataset."""
    cols = []
    region_pos = {str(r): i for i, r in enumerate(ds["region"].values)}
    target_pos = {str(t): i for i, t in enumerate(ds["target"].values)}
    years = list(np.asarray(ds["year"].values))
    peak = ds["peak_year"].values.astype(float)
    co2 = ds["industrial_co2"].values
    value, attained = ds["target_value"].values, ds["target_attained"].values
    for o in outs:
        if o.quantity == "peak_year":
            cols.append(peak[:, region_pos[o.region]])
        elif o.quantity.startswith("industrial_co2_"):
            cols.append(co2[:, region_pos[o.region], years.index(int(o.quantity[-4:]))])
        elif o.quantity == "target_value":
            cols.append(value[:, target_pos[o.target]])
        else:
            cols.append(attained[:, target_pos[o.target]])
    return np.stack(cols, axis=1).astype(float)


# --- the plan ----------------------------------------------------------------------------------
def _without_discrepancy(scenario):
    dists = {k: v for k, v in scenario.uncertainty.distributions.items() if k != MODEL_DISCREPANCY}
    return dataclasses.replace(scenario, uncertainty=UncertaintySpec(dists))


def lever_document(document: dict, points: list[tuple[LeverPoint, float]]) -> dict:
    """The scenario document with the lever points set (as a sweep case)."""
    return with_lever_points(document, points)


def lever_scenario(document: dict, scenario, points: list[tuple[LeverPoint, float]],
                   display: str | None = None):
    """The scenario with the lever points set, validated as a scenario file; the discrepancy
    off unless ``scenario`` has it on (a plan's scenario has it on when it is analysed)."""
    doc = lever_document(document, points)
    sc = scenario_from_document(doc, scenario.text, scenario.path, display=display)
    return sc if MODEL_DISCREPANCY in scenario.uncertainty.distributions else \
        _without_discrepancy(sc)


def check_samples(method: str, n: int, d: int, second_order: bool) -> int:
    """Number of evaluations, or SensitivityError for a bad N."""
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise SensitivityError(f"--samples = {n} must be a power of 2 >= 2 for Sobol "
                                   "(Sobol' sequences lose their balance otherwise), e.g. 256, 1024")
        e = n * (2 * d + 2 if second_order else d + 2)  # d: groups (SALib's G)
    else:
        if second_order:
            raise SensitivityError("--second-order is a Sobol option (Morris has no second-order "
                                   "indices)")
        if n < 2:
            raise SensitivityError(f"--samples = {n} must be >= 2 Morris trajectories")
        e = n * (d + 1)
    if e > MAX_EVALUATIONS:
        raise SensitivityError(f"--samples = {n} gives {e:,} evaluations with {d} factors "
                               f"(allowed: at most {MAX_EVALUATIONS:,})")
    return e


def plan(scenario, method: str = "sobol", samples: int | None = None,
         parameters: list[str] | None = None, levers: list[str] = (), second_order: bool = False,
         seed: int | None = None, discrepancy: bool = True) -> Plan:
    """Validate everything and draw SALib's sample (nothing runs yet). ``discrepancy=False``
    (``--no-discrepancy``): the model discrepancy is off in every evaluation."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise SensitivityError(f"--method {method}: unknown (allowed: {', '.join(METHODS)})")
    points = [parse_lever(t, scenario) for t in levers]
    fs = factors(scenario, parameters, points, discrepancy)
    n = int(samples if samples is not None else DEFAULT_SAMPLES[method])
    check_samples(method, n, len(groups(fs)), second_order)
    seed = int(scenario.seed if seed is None else seed)
    _, document = read_document(scenario.path)
    if points:  # both ends of every range together: the route-floor sums are largest at one
        for end in ("low", "high"):
            lever_scenario(document, scenario, [(p, getattr(p, end)) for p in points],
                           display=f"{scenario.path} with --levers at their {end} ends")
    prob = problem(fs)
    if method == "sobol":
        unit = sobol_sample.sample(prob, n, calc_second_order=second_order, seed=seed)
    else:
        unit = morris_sample.sample(prob, n, num_levels=MORRIS_LEVELS, seed=seed)
    sc = (scenario if any(f.kind == "discrepancy" for f in fs)
          else _without_discrepancy(scenario))
    outs, regions = outputs(sc)
    analysed = {f.name for f in fs}
    held = {c: float(sc.uncertainty.distributions[c].ppf(np.array([0.5]))[0])
            for c in design_columns(sc.uncertainty) if c not in analysed}
    return Plan(scenario=sc, document=document, method=method, samples=n,
                second_order=second_order, seed=seed, factors=fs, outputs=outs, regions=regions,
                unit=np.asarray(unit, dtype=float), held=held)


# --- evaluations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One chunk of evaluations sharing their lever values (picklable, for Dask)."""

    key: tuple  # (scenario digest, lever values): the group's identity
    document: dict
    scenario: Any
    points: tuple
    design: np.ndarray  # (rows, design columns) unit design of the scenario's parameters
    outputs: tuple
    discrepancy_z: np.ndarray | None = None  # (rows, provinces, sectors) discrepancy draws


_PREPARED: dict[tuple, Any] = {}
_PREPARED_MAX = 4
_PREPARED_LOCK = threading.Lock()
"""A Dask worker runs tasks in threads: two evicting at once popped the same entry (KeyError)."""


def _prepared(task: Task):
    """The group's ``Prepared`` (levers resolved once per process and group)."""
    with _PREPARED_LOCK:
        hit = _PREPARED.get(task.key)
    if hit is None:
        sc = (lever_scenario(task.document, task.scenario, list(task.points))
              if task.points else task.scenario)
        hit = model.prepare(sc, design=task.design[:1])
        with _PREPARED_LOCK:
            if len(_PREPARED) >= _PREPARED_MAX:
                _PREPARED.pop(next(iter(_PREPARED)))
            _PREPARED[task.key] = hit
    return hit


def run_task(task: Task, numba_threads: int | None = None) -> np.ndarray:
    """(rows, output) of one chunk: ``sim.model.run.run_chunk`` on the explicit design."""
    if numba_threads:

        numba.set_num_threads(max(1, min(numba_threads, numba.config.NUMBA_NUM_THREADS)))
    prep = model.with_design(_prepared(task), task.design, task.discrepancy_z)
    ds = model.run_chunk(prep, 0, prep.members, variables=frozenset())
    return _extract(ds, list(task.outputs))


def parameter_design(p: Plan) -> np.ndarray:
    """(evaluation, design column) unit design of the scenario's parameters: the analysed
    factors' positions, the others at 0.5 (their median)."""
    cols = design_columns(p.scenario.uncertainty)
    eff = p.effective
    out = np.full((len(eff), len(cols)), 0.5)
    pos = {f.name: j for j, f in enumerate(p.factors)}
    for c, name in enumerate(cols):
        if name in pos:
            out[:, c] = eff[:, pos[name]]
    return out


def discrepancy_design(p: Plan) -> np.ndarray | None:
    """(evaluation, province, sector) standard-normal discrepancy draws of the discrepancy
    columns (0 for sectors without: their factor is 1 whatever z), or None when the discrepancy
    is not analysed (then off in the plan's scenario)."""
    if not p.discrepancy:
        return None
    values = p.values()
    prov = {q: i for i, q in enumerate(p.scenario.provinces)}
    z = np.zeros((len(values), len(prov), len(axes.SECTORS)))
    for j, f in enumerate(p.factors):
        if f.kind == "discrepancy":
            z[:, prov[f.province], axes.SECTORS.index(f.sector)] = values[:, j]
    return z


def tasks(p: Plan, chunk_size: int = 256) -> list[tuple[np.ndarray, Task]]:
    """(evaluation indices, task) for every chunk: rows grouped by their lever values, in order
    of first appearance, each group cut into chunks of at most ``chunk_size`` rows."""
    design = parameter_design(p)
    z = discrepancy_design(p)
    values = p.values()
    lever_cols = [j for j, f in enumerate(p.factors) if f.kind == "lever"]
    groups: dict[tuple, list[int]] = {}
    for i in range(len(design)):
        groups.setdefault(tuple(values[i, lever_cols]), []).append(i)
    out = []
    outs = tuple(p.outputs)
    digest = hashlib.sha256(f"{p.scenario.path}\n{p.scenario.text}".encode()).hexdigest()
    for key, rows in groups.items():
        points = tuple((p.factors[j].lever, float(v)) for j, v in zip(lever_cols, key))
        rows = np.asarray(rows, dtype=np.int64)
        for s in range(0, len(rows), chunk_size):
            idx = rows[s:s + chunk_size]
            out.append((idx, Task((digest, points), p.document, p.scenario, points, design[idx],
                                  outs, None if z is None else z[idx])))
    return out


def evaluate(p: Plan, chunk_size: int = 256, client=None, numba_threads: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(evaluation, output) outputs of every row of the sample; on ``client`` (Dask) if given."""
    work = tasks(p, chunk_size)
    values = np.full((len(p.unit), len(p.outputs)), np.nan)
    done = 0
    if client is None:
        for idx, task in work:
            values[idx] = run_task(task)
            done += len(idx)
            if progress is not None:
                progress(done, len(values))
        return values
    from distributed import as_completed

    futures = {client.submit(run_task, task, numba_threads, pure=False): idx for idx, task in work}
    for fut in as_completed(futures):
        idx = futures[fut]
        values[idx] = fut.result()
        done += len(idx)
        if progress is not None:
            progress(done, len(values))
    return values


# --- analysis ----------------------------------------------------------------------------------
SOBOL_VARIABLES = ("S1", "S1_conf", "ST", "ST_conf")
SECOND_ORDER_VARIABLES = ("S2", "S2_conf")
MORRIS_VARIABLES = ("mu", "mu_star", "mu_star_conf", "sigma")


def analyse_one(method: str, prob: dict, unit: np.ndarray, y: np.ndarray, second_order: bool,
                seed: int) -> tuple[dict[str, np.ndarray], str]:
    """SALib's indices of one output and a note ("" when analysed)."""
    if not np.isfinite(y).all():
        return {}, f"not analysed: undefined in {int((~np.isfinite(y)).sum())} evaluations"
    if np.ptp(y) == 0:
        return {}, "not analysed: the same in every evaluation"
    with warnings.catch_warnings():
        # constant subsets of an output (a peak year that moves in a few evaluations only):
        # SALib warns per call; the indices say it (zero or NaN), the note says why
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        if method == "sobol":
            from SALib.analyze import sobol

            r = sobol.analyze(prob, y, calc_second_order=second_order,
                              num_resamples=NUM_RESAMPLES, conf_level=CONF_LEVEL, seed=seed)
            names = SOBOL_VARIABLES + (SECOND_ORDER_VARIABLES if second_order else ())
        else:
            from SALib.analyze import morris

            r = morris.analyze(prob, unit, y, num_resamples=NUM_RESAMPLES, conf_level=CONF_LEVEL,
                               num_levels=MORRIS_LEVELS, seed=seed)
            names = MORRIS_VARIABLES
    return {k: np.asarray(r[k], dtype=float) for k in names}, ""


def _analyse_block(method, prob, unit, ys, second_order, seed):
    return [analyse_one(method, prob, unit, ys[:, k], second_order, seed)
            for k in range(ys.shape[1])]


def analyse(p: Plan, values: np.ndarray, client=None,
            progress: Callable[[int, int], None] | None = None
            ) -> tuple[dict[str, np.ndarray], list[str]]:
    """Indices {variable: (output, factor[, factor2])} and a note per output. Each output is
    analysed with the same bootstrap seed (the plan's), so a result does not depend on where it
    was computed."""
    prob = p.problem
    names = (SOBOL_VARIABLES + (SECOND_ORDER_VARIABLES if p.second_order else ())
             if p.method == "sobol" else MORRIS_VARIABLES)
    D, K = len(p.groups), len(p.outputs)
    out = {k: np.full((K, D, D) if k in SECOND_ORDER_VARIABLES else (K, D), np.nan) for k in names}
    notes = [""] * K
    block = 8
    starts = list(range(0, K, block))

    def put(s, res):
        for k, (r, note) in enumerate(res):
            notes[s + k] = note
            for name, arr in r.items():
                out[name][s + k] = arr

    if client is None:
        for i, s in enumerate(starts):
            put(s, _analyse_block(p.method, prob, p.unit, values[:, s:s + block], p.second_order,
                                  p.seed))
            if progress is not None:
                progress(min(K, s + block), K)
    else:
        from distributed import as_completed

        unit = client.scatter(p.unit, broadcast=True)
        futures = {client.submit(_analyse_block, p.method, prob, unit, values[:, s:s + block],
                                 p.second_order, p.seed, pure=False): s for s in starts}
        done = 0
        for fut in as_completed(futures):
            s = futures[fut]
            put(s, fut.result())
            done += min(block, K - s)
            if progress is not None:
                progress(done, K)
    return out, notes


# --- the result file ---------------------------------------------------------------------------
_LONG_NAMES = {
    "S1": "first-order Sobol index (share of the output variance due to the factor alone)",
    "S1_conf": "half-width of the bootstrap confidence interval of S1 (level in conf_level)",
    "ST": "total Sobol index (share of the output variance involving the factor)",
    "ST_conf": "half-width of the bootstrap confidence interval of ST (level in conf_level)",
    "S2": "second-order Sobol index of the factor pair (factor, factor2); NaN below the diagonal",
    "S2_conf": "half-width of the bootstrap confidence interval of S2 (level in conf_level)",
    "mu": "mean Morris elementary effect (units in output_units)",
    "mu_star": "mean absolute Morris elementary effect (units in output_units)",
    "mu_star_conf": "half-width of the bootstrap confidence interval of mu_star (units in "
                    "output_units; level in conf_level)",
    "sigma": "standard deviation of the Morris elementary effects (units in output_units)",
}
_MORRIS_COMMENT = ("elementary effect = change of the output per unit change of the factor in "
                   "sample_unit (SALib's grid x on [0, 1]; the factor's probability position is "
                   "u = 1/(2 p) + x (1 - 1/p) for p = num_levels levels, module sim.analysis.sensitivity); "
                   "each output in its own units, given by output_units")


def dataset(p: Plan, values: np.ndarray, indices: dict[str, np.ndarray], notes: list[str],
            attrs: dict | None = None) -> xr.Dataset:
    """The CF-1.10 Dataset of an analysis; ``attrs``: the global attributes (default
    ``sim.results.netcdf.global_attributes`` of the scenario, ``members`` = the evaluations)."""
    E = len(p.unit)
    gs = p.groups
    fnames = [f.name for f in gs]
    coords = {
        "evaluation": ("evaluation", np.arange(E, dtype=np.int64)),
        "factor": ("factor", fnames),
        "factor_kind": ("factor", [f.kind for f in gs]),
        "factor_units": ("factor", [f.units for f in gs]),
        "factor_description": ("factor", [f.description for f in gs]),
        "factor_distribution": ("factor", [f.distribution for f in gs]),
        "column": ("column", [f.name for f in p.factors]),
        "column_factor": ("column", [f.group for f in p.factors]),
        "output": ("output", [o.name for o in p.outputs]),
        "output_quantity": ("output", [o.quantity for o in p.outputs]),
        "output_region": ("output", [o.region for o in p.outputs]),
        "output_target": ("output", [o.target for o in p.outputs]),
        "output_units": ("output", [o.units for o in p.outputs]),
        "output_long_name": ("output", [o.long_name for o in p.outputs]),
        "output_note": ("output", notes),
    }
    data = {
        "sample": (("evaluation", "column"), p.values(),
                   dict(units="1", long_name="value of each column of the sample in each "
                        "evaluation (units in factor_units of its column_factor)")),
        "sample_unit": (("evaluation", "column"), p.unit,
                        dict(units="1", long_name="SALib's sample on [0, 1] (the X of its "
                             "analysers); factor positions derive from it (module sim.analysis.sensitivity)")),
        "output_value": (("evaluation", "output"), values,
                         dict(units="1", long_name="output of each evaluation (units in "
                              "output_units)")),
    }
    for name, arr in indices.items():
        dims = ("output", "factor", "factor2") if name in SECOND_ORDER_VARIABLES else ("output", "factor")
        a = dict(units="1", long_name=_LONG_NAMES[name])
        if name in MORRIS_VARIABLES:
            a["comment"] = _MORRIS_COMMENT
        data[name] = (dims, arr, a)
    if p.second_order:
        coords["factor2"] = ("factor2", fnames)
    ds = xr.Dataset({k: (d, v, a) for k, (d, v, a) in data.items()}, coords=coords)
    coord_attrs = {
        "evaluation": dict(long_name="model evaluation (row of the SALib sample)", units="1"),
        "factor": dict(long_name="factor of the analysis (uncertain parameter, lever point, "
                       "model-discrepancy group of a sector, or dummy)"),
        "factor_kind": dict(long_name="kind of factor: parameter, lever, discrepancy or dummy"),
        "column": dict(long_name="column of the sample (a factor, or one province's "
                       "discrepancy draw of a sector)"),
        "column_factor": dict(long_name="factor (SALib group) the column belongs to"),
        "factor_units": dict(long_name="units of the factor's values"),
        "factor_description": dict(long_name="what the factor does in the model"),
        "factor_distribution": dict(long_name="distribution of the factor (its value at position "
                                    "u in [0, 1] is the inverse CDF at u)"),
        "factor2": dict(long_name="second factor of a pair (second-order indices)"),
        "output": dict(long_name="analysed output (quantity:region or target_value / "
                       "target_attained:target)"),
        "output_quantity": dict(long_name="quantity of the output"),
        "output_region": dict(long_name="region of the output (a target's scope for targets)"),
        "output_target": dict(long_name="target identifier of a target output (empty otherwise)"),
        "output_units": dict(long_name="units of the output's values"),
        "output_long_name": dict(long_name="description of the output"),
        "output_note": dict(long_name="why an output was not analysed (empty: analysed)"),
    }
    for name, a in coord_attrs.items():
        if name in ds.coords:
            ds[name].attrs.update(a)

    ds.attrs.update(netcdf.global_attributes(p.scenario, p.seed, E) if attrs is None else attrs)
    lever_points = [dataclasses.asdict(f.lever) for f in p.factors if f.lever is not None]
    ds.attrs.update(
        title=f"Global sensitivity analysis ({p.method.capitalize()}) of scenario "
              f"{p.scenario.name}: {len(gs)} factors, {E} evaluations",
        sensitivity_method=p.method, base_samples=np.int64(p.samples),
        second_order=np.int64(p.second_order), evaluations=np.int64(E),
        seed=np.int64(p.seed), num_resamples=np.int64(NUM_RESAMPLES), conf_level=CONF_LEVEL,
        salib_version=importlib.metadata.version("SALib"),
        lever_factors=json.dumps(lever_points),
        parameters_held=json.dumps(p.held),
        model_discrepancy=(
            "factors: z[p, s] = inverse normal CDF of u for every simulated province p and every "
            "sector s with sigma_s > 0, one factor (SALib group) model_discrepancy:<sector> per "
            "sector holding its provinces' columns" if p.discrepancy else
            "off (factor 1) in every evaluation (--no-discrepancy, --parameters without "
            "model_discrepancy, or off in the scenario)"),
        scenario_toml=p.scenario.text, scenario_name=p.scenario.name,
    )
    if p.method == "morris":
        ds.attrs["num_levels"] = np.int64(MORRIS_LEVELS)
    return ds


def run(p: Plan, chunk_size: int = 256, client=None, numba_threads: int | None = None,
        attrs: dict | None = None, progress=None) -> xr.Dataset:
    """Evaluate and analyse ``p``; the Dataset to write."""
    values = evaluate(p, chunk_size, client, numba_threads, progress)
    indices, notes = analyse(p, values, client)
    return dataset(p, values, indices, notes, attrs)


# --- the report --------------------------------------------------------------------------------
def default_regions(ds: xr.Dataset) -> list[str]:
    """Regions the report shows without --all-regions: national, or the only province."""
    regions = [str(r) for r, q in zip(ds["output_region"].values, ds["output_quantity"].values)
               if q in REGIONAL]
    return ["national"] if "national" in regions else sorted(set(regions))[:1]


def report_variables(ds: xr.Dataset) -> tuple[str, ...]:
    """What the report of a sensitivity file reads."""
    method = str(ds.attrs.get("sensitivity_method", "sobol"))
    return ("output_note", "output_units", "output_quantity", "output_region", "factor_kind",
            *(SOBOL_VARIABLES if method == "sobol" else MORRIS_VARIABLES))


def ranked_rows(ds: xr.Dataset, all_regions: bool = False) -> list[dict]:
    """One row per (output, factor), factors ranked by ST (Sobol) or mu_star (Morris) within
    each output; ``noise`` marks a factor whose interval reaches the dummy's (its effect cannot
    be told from the estimators' noise)."""
    method = str(ds.attrs.get("sensitivity_method", "sobol"))
    key = "ST" if method == "sobol" else "mu_star"
    shown = None if all_regions else set(default_regions(ds))
    fnames = [str(f) for f in ds["factor"].values]
    dummy = fnames.index(DUMMY) if DUMMY in fnames else None
    rows = []
    for k, o in enumerate(ds["output"].values):
        quantity = str(ds["output_quantity"].values[k])
        if shown is not None and quantity in REGIONAL and str(ds["output_region"].values[k]) not in shown:
            continue
        note = str(ds["output_note"].values[k])
        base = dict(output=str(o), units=str(ds["output_units"].values[k]), note=note)
        if note:
            rows.append(dict(base, rank=None, factor=None))
            continue
        main = ds[key].values[k]
        conf = ds[f"{key}_conf"].values[k]
        floor = main[dummy] + conf[dummy] if dummy is not None else -np.inf
        for rank, j in enumerate(np.argsort(-main, kind="stable"), start=1):
            row = dict(base, rank=rank, factor=fnames[j], kind=str(ds["factor_kind"].values[j]))
            names = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else \
                ("mu_star", "mu_star_conf", "sigma", "mu")
            for n in names:
                row[n] = float(ds[n].values[k, j])
            row["noise"] = bool(j != dummy and main[j] - conf[j] <= floor)
            rows.append(row)
    return rows


def _num(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:.3f}" if abs(x) < 100 else f"{x:.4g}"


def format_table(ds: xr.Dataset, all_regions: bool = False) -> str:
    """The ranked table of ``sim report`` for a sensitivity file."""
    method = str(ds.attrs.get("sensitivity_method", "sobol"))
    a = ds.attrs
    kinds = [str(k) for k in ds["factor_kind"].values]
    groups_text = (f"{kinds.count('discrepancy')} model-discrepancy groups, "
                   if "discrepancy" in kinds else "")
    lines = [f"{method.capitalize()} sensitivity of scenario {a.get('scenario_name', '')}: "
             f"{ds.sizes['factor']} factors ({kinds.count('parameter')} parameters, "
             f"{kinds.count('lever')} lever points, {groups_text}1 dummy), "
             f"N = {a.get('base_samples')}, "
             f"{ds.sizes['evaluation']} evaluations, seed {a.get('seed')}; "
             f"{float(a.get('conf_level', CONF_LEVEL)):.0%} bootstrap intervals "
             f"({a.get('num_resamples')} resamples)",
             "(~ : the interval reaches the dummy factor's, i.e. not told apart from noise)"]
    rows = ranked_rows(ds, all_regions)
    width = max([32] + [len(str(f)) for f in ds["factor"].values])
    current = None
    for r in rows:
        if r["output"] != current:
            current = r["output"]
            lines += ["", f"{current} [{r['units']}]"]
            if r["note"]:
                lines.append(f"  {r['note']}")
                continue
            lines.append(f"  {'rank':>4}  {'factor':<{width}} " + (
                f"{'S1':>15} {'ST':>15}" if method == "sobol" else
                f"{'mu_star':>19} {'sigma':>10}"))
        if r["note"]:
            continue
        if method == "sobol":
            cells = (f"{_num(r['S1']):>7} ± {_num(r['S1_conf']):<5} "
                     f"{_num(r['ST']):>7} ± {_num(r['ST_conf']):<5}")
        else:
            cells = f"{_num(r['mu_star']):>9} ± {_num(r['mu_star_conf']):<7} {_num(r['sigma']):>10}"
        mark = " ~" if r["noise"] else ""
        lines.append(f"  {r['rank']:>4}  {r['factor']:<{width}} {cells}{mark}")
    return "\n".join(lines)


def format_report(ds: xr.Dataset, fmt: str = "table", all_regions: bool = False) -> str:
    """``sim report`` of a sensitivity file: the ranked table, or its rows as CSV / JSON /
    Markdown."""
    if fmt == "table":
        return format_table(ds, all_regions)
    rows = ranked_rows(ds, all_regions)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    if fmt == "json":
        return json.dumps(json_ready(dict(method=str(ds.attrs.get("sensitivity_method")),
                                          scenario=str(ds.attrs.get("scenario_name", "")),
                                          seed=int(ds.attrs.get("seed", 0)), rows=rows)),
                          ensure_ascii=False, indent=2)

    return format_rows(rows, cols, fmt)
