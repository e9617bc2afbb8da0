"""Scenario discovery (``sim discover``): which boxes of uncertain parameters (and, for a sweep,
lever values) hold the members that miss the named targets.

PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999, doi:10.1023/A:1008894516817),
as used for scenario discovery by Bryant and Lempert (2010, doi:10.1016/j.techfore.2009.08.002),
from EMA Workbench's analysis module (``ema_workbench.analysis.prim``; Kwakkel 2017,
doi:10.1016/j.envsoft.2017.06.054): no estimator is written here. This module only builds PRIM's
inputs from a result file and turns its boxes into plain data, a table, a file and a figure.

Inputs, from the file alone (``sim.results.reading``):

* **x**, one row per member (ensemble) or per case × member (combined sweep): the sampled
  uncertain parameters ``parameter_value(member, parameter)`` (every detail keeps them) and, for a
  sweep, the lever values ``lever_<axis>(case)`` of the row's case. Columns that do not vary
  (parameters the scenario leaves at their nominal value, a lever with one value) are dropped.
* **y**, the outcome: a row is *of interest* when it misses the selected targets under the
  reduction rule (:data:`REDUCE_RULES`), from ``target_attained(member, target)``, which files
  of every detail keep.

Reduction rules (``--reduce``), applied per row to the selected targets (a ``--target`` names a
target id of the file, or the base id of an ``each_province`` target, which selects its instance
for every province, ``<id>:<Province>``):

* ``any`` (default): the row misses at least one selected target (in any of its scopes);
* ``all``: the row misses every selected target;
* ``national``: only the selected targets whose scope is ``national``, then ``any``;
* a province (English name, ISO code or Chinese): only the selected targets scoped to that
  province, then ``any``.

A row whose attainment of a target entering the rule is undefined (NaN: e.g. a change against a
zero base) is left out, and the count is reported.

Which box is reported: PRIM peels the full box into a trajectory of ever smaller, denser boxes
(then pastes); choosing one is a trade-off between coverage and density that Bryant and Lempert
leave to the analyst (the figure shows it). The reported box is, among the boxes of the
trajectory whose density reaches ``threshold``, the one with the largest coverage x density (1
only for a box holding exactly the rows of interest); if none is dense enough, the densest. When
the rows of interest are already at least ``threshold`` of all rows, the unrestricted box would
qualify and say nothing: the threshold is then raised to halfway between that base rate and 1
(and the output says so). Further boxes (``boxes > 1``) are searched on the rows outside the
earlier ones (EMA's default update). For each box: coverage (share of all rows of interest that
fall in the box), density (share of the box's rows that are of interest), mass (share of all rows
in the box), the restricted dimensions with their limits, the quasi-p-values of each restricted
limit (one-sided binomial test that the restriction matters, Bryant and Lempert 2010), and
resampling stability: PRIM rerun on ``resample`` random halves of the data, the share of reruns
whose box at the same coverage (density) restricts the dimension (EMA's ``PrimBox.resample``).
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import json
import logging
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from sim.core import files
from sim.core.axes import UnknownProvince, resolve_province
from sim.core.files import json_ready
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    pass

REDUCE_RULES = ("any", "all", "national")
"""Named reduction rules; any other ``--reduce`` value is a province (module docstring)."""
MIN_ROWS = 50
"""Fewest rows (members, or cases × members) PRIM is run on: it peels ``peel_alpha`` (5 %) of the
rows per step, so with fewer rows a box's coverage and density move in steps of several per cent
and the quasi-p-values and resampling say little."""
MIN_OF_INTEREST = 5
"""Fewest rows of interest (and of rows not of interest): below this there is nothing to bound."""
DEFAULT_THRESHOLD = 0.8
DEFAULT_RESAMPLE = 10
DEFAULT_SEED = 0
FORMATS = (".json", ".csv")


class DiscoveryError(ResultsFileError):
    """A file or a request that scenario discovery cannot serve (the message says why)."""


@dataclass
class Inputs:
    """PRIM's inputs built from a file (see the module docstring)."""

    x: "object"  # pandas.DataFrame, one column per dimension
    y: np.ndarray  # bool (rows,), True = of interest (misses)
    targets: list[str]  # target ids entering the rule
    rule: str  # the rule in words
    units: dict[str, str]
    descriptions: dict[str, str]
    constant: list[str]  # dimensions dropped because they do not vary
    undefined: int  # rows left out: attainment undefined
    row_label: str  # "members" or "cases x members"


def _target_ids(ds: xr.Dataset) -> list[str]:
    return [str(t) for t in ds["target"].values]


def select_targets(ds: xr.Dataset, requested: Sequence[str]) -> list[str]:
    """Target ids of the file named by ``requested`` (exact ids, or base ids of each_province
    targets meaning every ``<id>:<Province>``), in the file's order; unknown names are an error
    listing the allowed ones."""
    ids = _target_ids(ds)
    bases = sorted({i.split(":", 1)[0] for i in ids if ":" in i})
    chosen: list[str] = []
    for name in requested:
        hits = [i for i in ids if i == name or i.split(":", 1)[0] == name and ":" in i]
        if not hits:
            allowed = [i for i in ids if ":" not in i] + [f"{b}[:<province>]" for b in bases]
            raise DiscoveryError(f"{results.name_of(ds)}: no target {name!r}; the file has "
                                 f"{', '.join(allowed)}")
        chosen += [h for h in hits if h not in chosen]
    return [i for i in ids if i in chosen]


def _scope_targets(ds: xr.Dataset, ids: list[str], reduce: str) -> tuple[list[str], str, str]:
    """(ids entering the rule, 'any' or 'all', the rule in words)."""
    if reduce in ("any", "all"):
        words = "misses at least one of" if reduce == "any" else "misses every one of"
        return ids, reduce, f"{words} {', '.join(ids)}"
    scope = {str(t): str(s) for t, s in zip(ds["target"].values, ds["target_scope"].values)}
    if reduce == "national":
        region = "national"
    else:

        try:
            region = resolve_province(reduce)
        except UnknownProvince as e:
            hint = f" (did you mean {e.suggestion!r}?)" if e.suggestion else ""
            raise DiscoveryError(f"--reduce = {reduce!r} is neither a rule ({', '.join(REDUCE_RULES)})"
                                 f" nor a province{hint}") from None
    kept = [i for i in ids if scope[i] == region]
    if not kept:
        raise DiscoveryError(
            f"{results.name_of(ds)}: --reduce {reduce}: none of the selected targets is scoped to "
            f"{region} (their scopes: {', '.join(sorted({scope[i] for i in ids}))})")
    return kept, "any", f"misses at least one of {', '.join(kept)} (scope {region})"


def inputs(ds: xr.Dataset, targets: Sequence[str], reduce: str = "any") -> Inputs:
    """PRIM's x (parameters, and levers of a sweep) and y (rows that miss) from a result file."""
    name = results.name_of(ds)
    if "parameter_value" not in ds.variables:
        raise DiscoveryError(
            f"{name}: has no parameter values (parameter_value(member, parameter)); scenario "
            "discovery needs the sampled parameters of every member: rerun it with this version "
            "of sim run or sim sweep")
    if "target_attained" in ds and "member" not in ds["target_attained"].dims:
        raise DiscoveryError(
            f"{name}: keeps no attainment per member (a summary file of an older version); "
            "scenario discovery needs target_attained(member, target): rerun it")
    results.require(ds, ("target_attained", "target_scope"), "scenario discovery",
                    dims={"target_attained": ("member", "target")})
    if not targets:
        raise DiscoveryError(f"{name}: name at least one --target (the file has "
                             f"{', '.join(_target_ids(ds))})")
    ids = select_targets(ds, targets)
    ids, how, rule = _scope_targets(ds, ids, reduce)

    sweep = "case" in ds["target_attained"].dims
    att = ds["target_attained"].sel(target=ids)
    att = att.transpose(*(("case",) if sweep else ()), "member", "target").values
    att = att.reshape(-1, len(ids))  # rows: case-major, then member (a sweep's rows)
    pv = ds["parameter_value"]
    params = [str(p) for p in ds["parameter"].values]
    if sweep and "case" not in pv.dims:
        pv = pv.expand_dims(case=ds.sizes["case"])
    values = pv.transpose(*(("case",) if sweep else ()), "member", "parameter").values
    x = pd.DataFrame(values.reshape(-1, len(params)).astype(np.float64), columns=params)
    units = {p: str(u) for p, u in zip(params, _coord(ds, "parameter_units", params))}
    descriptions = {p: str(d) for p, d in zip(params, _coord(ds, "parameter_description", params))}
    if sweep:
        for c in sorted(str(c) for c in ds.coords if str(c).startswith("lever_")):
            lever = np.asarray(ds[c].values, dtype=np.float64)
            x[c] = np.repeat(lever, ds.sizes["member"])
            units[c] = str(ds[c].attrs.get("units", ""))
            descriptions[c] = str(ds[c].attrs.get("long_name", c))

    defined = np.isfinite(att).all(axis=1)
    miss = att == 0.0
    y = miss.any(axis=1) if how == "any" else miss.all(axis=1)
    x, y = x.loc[defined].reset_index(drop=True), y[defined]
    if not defined.any():
        raise DiscoveryError(f"{name}: the attainment of {', '.join(ids)} is undefined (NaN) in "
                             f"every row: nothing to discover")
    constant = [c for c in x.columns if not np.ptp(x[c].values) > 0]
    x = x.drop(columns=constant)
    label = "cases x members" if sweep else "members"
    n, k = len(y), int(y.sum())
    if n < MIN_ROWS:
        raise DiscoveryError(f"{name}: too few {label} for scenario discovery: {n} with defined "
                             f"attainment (at least {MIN_ROWS}); run more members")
    if k == 0 or k == n:
        who = f"none of the {n} {label}" if k == 0 else f"every one of the {n} {label}"
        raise DiscoveryError(f"{name}: nothing to discover: {who} {rule} (PRIM needs rows that "
                             "miss and rows that do not)")
    if min(k, n - k) < MIN_OF_INTEREST:
        raise DiscoveryError(
            f"{name}: too few {label} on one side: {k} of {n} {rule} (at least "
            f"{MIN_OF_INTEREST} that miss and {MIN_OF_INTEREST} that do not)")
    if x.shape[1] == 0:
        raise DiscoveryError(f"{name}: no parameter or lever varies across the {label}: nothing "
                             "to bound")
    return Inputs(x=x, y=y, targets=ids, rule=rule, units=units, descriptions=descriptions,
                  constant=constant, undefined=int((~defined).sum()), row_label=label)


def _coord(ds: xr.Dataset, name: str, params: list[str]) -> list[str]:
    return list(ds[name].values) if name in ds.variables else [""] * len(params)


@contextlib.contextmanager
def _ema(verbose: bool = False):
    """EMA Workbench's PRIM, imported quietly: its package warns at import about optional
    parallel back-ends and sets a seaborn colour palette (restored here, so our figures keep
    theirs); its log (logger ``EMA``) goes to stderr only when ``verbose``."""
    import matplotlib

    with warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
        from ema_workbench.util import ema_logging
    logger = logging.getLogger(ema_logging.LOGGER_NAME)
    level, handlers = logger.level, list(logger.handlers)
    if verbose:
        ema_logging.log_to_stderr(logging.INFO)
    else:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            if not verbose:  # pandas FutureWarnings from inside EMA are not the user's concern
                warnings.simplefilter("ignore")
            yield prim
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers


@dataclass
class Box:
    """One box found by PRIM, as plain numbers."""

    index: int  # position on the trajectory of the reported box
    coverage: float
    density: float
    mass: float
    rows: int  # rows in the box
    of_interest: int  # rows of interest in the box
    limits: list[dict]  # restricted dimensions: name, units, lower, upper, min, max, qp, resample
    trajectory: list[dict]  # every box of the peeling (and pasting) trajectory
    meets_threshold: bool
    remaining_rows: int  # rows the box was searched on
    remaining_of_interest: int


@dataclass
class Discovery:
    """The result of :func:`discover` (plain data: :meth:`to_dict`)."""

    file: str
    scenario: str
    detail: str
    targets: list[str]
    reduce: str
    rule: str
    rows: int
    row_label: str
    of_interest: int
    undefined: int
    dimensions: list[str]
    constant: list[str]
    threshold: float  # the density a reported box needs (raised above the base rate, see below)
    peel_alpha: float
    resample: int
    seed: int
    requested_threshold: float | None = None  # the --threshold given, when it was raised
    units: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    boxes: list[Box] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data for JSON and CSV: every field, boxes included."""
        return json_ready(asdict(self))




def _choose(trajectory, threshold: float) -> tuple[int, bool]:
    """Position of the reported box on the trajectory: among the boxes with density >=
    ``threshold``, the one with the largest coverage x density (both shares of the rows of
    interest: captured, and purity; 1 only for a box holding exactly the rows of interest), the
    least peeled of ties; if no box is dense enough, the densest."""
    dens = trajectory["density"].to_numpy()
    cov = trajectory["coverage"].to_numpy()
    ok = np.flatnonzero(dens >= threshold - 1e-12)
    if ok.size:
        return int(ok[np.argmax(cov[ok] * dens[ok])]), True
    return int(np.argmax(dens)), False


def discover(ds: xr.Dataset, targets: Sequence[str], reduce: str = "any",
             threshold: float = DEFAULT_THRESHOLD, boxes: int = 1,
             resample: int = DEFAULT_RESAMPLE, peel_alpha: float = 0.05, seed: int = DEFAULT_SEED,
             verbose: bool = False) -> Discovery:
    """PRIM on the rows of ``ds`` that miss ``targets`` under ``reduce`` (module docstring).

    Parameters
    ----------
    threshold : minimum density [1] of a reported box; if the first search has no box that dense,
        its densest box is reported (flagged); a further box less dense ends the search.
    boxes : how many boxes to search for, one after the other.
    resample : PRIM reruns on random halves for the stability of each box (0: none).
    peel_alpha : share [1] of the rows peeled per step.
    seed : seed of the random halves (EMA draws them from NumPy's global generator, whose state is
        restored afterwards).
    """
    inp = inputs(ds, targets, reduce)
    requested, base_rate = None, float(inp.y.mean())
    if base_rate >= threshold:  # the whole space already qualifies: ask for a denser box
        requested, threshold = threshold, base_rate + (1.0 - base_rate) / 2
    out = Discovery(file=results.name_of(ds), scenario=str(ds.attrs.get("scenario_name", "")),
                    detail=results.detail(ds), targets=inp.targets, reduce=reduce, rule=inp.rule,
                    rows=len(inp.y), row_label=inp.row_label, of_interest=int(inp.y.sum()),
                    undefined=inp.undefined, dimensions=list(inp.x.columns),
                    constant=inp.constant, threshold=threshold, peel_alpha=peel_alpha,
                    resample=resample, seed=seed, requested_threshold=requested,
                    units=inp.units, descriptions=inp.descriptions)
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        with _ema(verbose) as prim:
            # PRIM's own threshold only counts the rows of interest (y >= it) and turns a final
            # box less dense than it into an empty "dump" box: a tiny one keeps every trajectory,
            # and the density threshold is applied here (_choose)
            p = prim.Prim(inp.x, inp.y.astype(np.int64), threshold=1e-6, peel_alpha=peel_alpha)
            outside = np.ones(len(inp.y), dtype=bool)  # rows outside the boxes found so far
            for _ in range(boxes):
                remaining, remaining_k = int(outside.sum()), int(inp.y[outside].sum())
                if remaining_k == 0:
                    break
                box = p.find_box()
                if box is None or len(box.peeling_trajectory) < 2:
                    break
                found = _box(box, inp, threshold, resample, remaining, remaining_k)
                if out.boxes and not found.meets_threshold:
                    break  # a further box must be dense enough to be reported
                out.boxes.append(found)
                outside[box.yi] = False
                if not found.meets_threshold:
                    break
    finally:
        np.random.set_state(state)
    return out


def _box(box, inp: Inputs, threshold: float, resample: int, remaining: int,
         remaining_k: int) -> Box:
    traj = box.peeling_trajectory
    i, ok = _choose(traj, threshold)
    box.select(i)
    lims, full = box.box_lims[i], box.box_lims[0]
    qp = box.qp[i]
    stability = box.resample(i, iterations=resample, p=0.5) if resample else None
    limits = []
    for dim, (qlo, qhi) in sorted(qp.items(), key=lambda kv: min(v for v in kv[1] if v >= 0)
                                  if any(v >= 0 for v in kv[1]) else 1.0):
        lo, hi = float(lims[dim].iloc[0]), float(lims[dim].iloc[1])
        fmin, fmax = float(full[dim].iloc[0]), float(full[dim].iloc[1])
        limits.append(dict(
            dimension=dim, units=inp.units.get(dim, ""),
            lower=lo if lo > fmin else None, upper=hi if hi < fmax else None,
            minimum=fmin, maximum=fmax,
            qp_lower=float(qlo) if qlo >= 0 else None, qp_upper=float(qhi) if qhi >= 0 else None,
            reproduce_coverage=(float(stability.loc[dim, "reproduce coverage"]) / 100
                                if stability is not None else None),
            reproduce_density=(float(stability.loc[dim, "reproduce density"]) / 100
                               if stability is not None else None)))
    row = traj.iloc[i]
    trajectory = [dict(step=int(j), coverage=float(r["coverage"]), density=float(r["density"]),
                       mass=float(r["mass"]), restricted=int(r["res_dim"]), rows=int(r["n"]),
                       of_interest=int(r["k"]))
                  for j, r in traj.reset_index(drop=True).iterrows()]
    return Box(index=i, coverage=float(row["coverage"]), density=float(row["density"]),
               mass=float(row["mass"]), rows=int(row["n"]), of_interest=int(row["k"]),
               limits=limits, trajectory=trajectory, meets_threshold=ok,
               remaining_rows=remaining, remaining_of_interest=remaining_k)


# --- output -------------------------------------------------------------------------------------
def number_text(x: float | None) -> str:
    """A limit or value as the table prints it (3-4 significant digits, "-" if undefined)."""
    if x is None or not np.isfinite(x):
        return "-"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000 or a < 0.01:
        return f"{x:.3g}"
    return f"{x:.4g}"


def qp_text(x: float | None) -> str:
    """A quasi-p-value as the table prints it."""
    return "-" if x is None else f"{x:.1g}" if x >= 1e-3 else f"{x:.0e}"


def format_table(d: Discovery) -> str:
    """The result as readable text: the outcome, then per box its statistics, its restricted
    dimensions (limits, quasi-p-values, resampling) and a thinned peeling trajectory."""
    lines = [f"Scenario discovery (PRIM, EMA Workbench) on {d.file}: scenario {d.scenario or '?'}, "
             f"output detail {d.detail}",
             f"outcome: a row ({d.row_label[:-1]}) is of interest when it {d.rule}",
             f"{d.of_interest} of {d.rows} {d.row_label} ({d.of_interest / d.rows:.1%}) are of "
             f"interest" + (f"; {d.undefined} left out (attainment undefined)" if d.undefined else ""),
             f"dimensions: {len(d.dimensions)} ({', '.join(d.dimensions)})"
             + (f"; not varied, left out: {', '.join(d.constant)}" if d.constant else ""),
             f"reported box: largest coverage x density among the boxes with density >= "
             f"{d.threshold:.1%} on the peeling trajectory (peel_alpha {d.peel_alpha:g})"
             + (f"; --threshold {d.requested_threshold:.0%} raised to halfway between the base "
                f"rate {d.of_interest / d.rows:.1%} and 100 % (the unrestricted box already "
                "reached it)" if d.requested_threshold is not None else "")]
    if not d.boxes:
        lines += ["", "PRIM found no box."]
    for b_i, b in enumerate(d.boxes, 1):
        lines += ["", f"Box {b_i}: coverage {b.coverage:.1%}, density {b.density:.1%}, mass "
                  f"{b.mass:.1%} ({b.of_interest} of {b.rows} rows in the box are of interest; "
                  f"step {b.index} of {len(b.trajectory) - 1}; searched on {b.remaining_rows} rows, "
                  f"{b.remaining_of_interest} of interest)"]
        if not b.meets_threshold:
            lines.append(f"  no box on the trajectory reaches density {d.threshold:.0%}: the "
                         "densest is shown; the failures are not well described by one box")
        if b.limits:
            w = max(len("dimension"), *(len(lim["dimension"]) for lim in b.limits))
            hdr = (f"  {'dimension':<{w}} {'lower':>10} {'upper':>10} {'range in file':>21} "
                   f"{'qp lower':>8} {'qp upper':>8} {'resample cov/dens':>17}  units")
            lines += [hdr, "  " + "-" * (len(hdr) - 2)]
            for lim in b.limits:
                rng = f"{number_text(lim['minimum'])} .. {number_text(lim['maximum'])}"
                res = ("-" if lim["reproduce_coverage"] is None else
                       f"{lim['reproduce_coverage']:.0%} / {lim['reproduce_density']:.0%}")
                lines.append(f"  {lim['dimension']:<{w}} {number_text(lim['lower']):>10} "
                             f"{number_text(lim['upper']):>10} {rng:>21} {qp_text(lim['qp_lower']):>8} "
                             f"{qp_text(lim['qp_upper']):>8} {res:>17}  {lim['units']}")
        else:
            lines.append("  no dimension restricted")
        lines.append("  peeling trajectory (step: coverage / density / mass, restricted dims):")
        steps = _thin(len(b.trajectory), 8, b.index)
        lines.append("  " + "; ".join(
            f"{s}: {b.trajectory[s]['coverage']:.0%} / {b.trajectory[s]['density']:.0%} / "
            f"{b.trajectory[s]['mass']:.0%}, {b.trajectory[s]['restricted']}"
            + (" *" if s == b.index else "") for s in steps))
    lines += ["", "coverage: share of the rows of interest inside the box; density: share of the "
              "box's rows that are of interest; mass: share of all rows inside the box. qp: "
              "quasi-p-value of a limit (one-sided binomial test, Bryant and Lempert 2010; small = "
              "the restriction matters). resample: share of PRIM reruns on random halves "
              f"({d.resample}) whose box at the same coverage / density restricts the dimension. "
              "'-': not restricted on that side. * reported box. A restriction with qp above 0.05 "
              "or rarely reproduced is probably noise: look at the trade-off before trusting "
              "many restricted dimensions."]
    return "\n".join(lines)


def _thin(n: int, k: int, keep: int) -> list[int]:
    """About ``k`` evenly spaced steps of ``n``, always the first, the last and ``keep``."""
    steps = set(np.linspace(0, n - 1, min(n, k)).round().astype(int).tolist()) | {keep}
    return sorted(steps)


CSV_COLUMNS = ("section", "box", "step", "dimension", "units", "lower", "upper", "minimum",
               "maximum", "qp_lower", "qp_upper", "reproduce_coverage", "reproduce_density",
               "coverage", "density", "mass", "restricted", "rows", "of_interest")
"""The CSV file: one row per box (section ``box``: its statistics), per restricted dimension of a
box (``limit``) and per step of its peeling trajectory (``trajectory``); empty cells do not
apply. The outcome and settings are in the JSON file only."""


def to_csv(d: Discovery) -> str:
    """The result as CSV text: one row per box, limit and trajectory step (:data:`CSV_COLUMNS`)."""
    buf = _io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    data = d.to_dict()
    for b_i, b in enumerate(data["boxes"], 1):
        w.writerow(dict(section="box", box=b_i, step=b["index"], coverage=b["coverage"],
                        density=b["density"], mass=b["mass"], restricted=len(b["limits"]),
                        rows=b["rows"], of_interest=b["of_interest"]))
        for lim in b["limits"]:
            w.writerow(dict(lim, section="limit", box=b_i))
        for s in b["trajectory"]:
            w.writerow(dict(s, section="trajectory", box=b_i))
    return buf.getvalue()


def write(d: Discovery, path: Path | str) -> Path:
    """Write the result to ``path`` (.json: everything; .csv: :data:`CSV_COLUMNS`), atomically."""
    path = Path(path)
    text = (json.dumps(d.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
            if path.suffix == ".json" else to_csv(d))
    with files.atomic_path(path) as tmp:
        tmp.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    return path




def default_out(file: Path, plot_path: Path | None) -> Path:
    """Where the result is written without --out: beside the plot (its stem, .json), else
    ``outputs/<file stem>/discovery.json``."""
    if plot_path is not None:
        return plot_path.with_suffix(".json")
    return files.default_output(file, "discovery.json")


def run(file: Path | str, targets: Iterable[str], reduce: str = "any", **kwargs) -> Discovery:
    """Open ``file`` (``sim.results.reading``) and run :func:`discover` on it."""
    with results.open_results(file) as ds:
        return discover(ds, list(targets), reduce, **kwargs)
