"""Policy sweeps: many lever sets, each with its own Monte-Carlo ensemble, run on Dask.

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

import contextlib
import copy
import hashlib
import itertools
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from sim import __version__

from sim.core import axes

from sim.core import sizes
from sim.results.ensemble import DETAILS
from sim.core.levers import LEVERS
from sim.scenario import ScenarioError, read_document, scenario_from_document

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
    index: int
    levers: dict[str, float]  # axis label -> value
    hash: str


@dataclass
class Sweep:
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
        display = f"{self.path} (case {case.index}: {_levers_text(case.levers)})"
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


def _levers_text(levers: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in levers.items())


def _unknown_value(chk, key: str, value: Any, choices, what: str) -> ScenarioError:
    """``key = value`` names something that does not exist; suggest the closest choice."""
    import difflib

    match = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    hint = f"; did you mean '{match[0]}'?" if match else ""
    return chk.fail(key, value, match[0] if match else ", ".join(choices), f"is an unknown {what}{hint}")


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file, its base scenario and every case."""
    from sim.scenario.errors import Checker

    path = Path(path)
    text, doc = read_document(path)
    chk = Checker(str(path))
    chk.keys(doc, ("sweep", "axes", "cluster"), "", "table")
    sw = chk.table(doc.get("sweep", {}), "sweep")
    chk.keys(sw, _SWEEP_KEYS, "sweep")
    for key in ("name", "scenario"):
        if key not in sw:
            raise chk.fail(f"sweep.{key}", problem="missing (required)", allowed="a string")
    name = chk.name(sw["name"], "sweep.name")
    scenario_path = path.parent / chk.string(sw["scenario"], "sweep.scenario")
    if not scenario_path.is_file():
        raise chk.fail("sweep.scenario", sw["scenario"], "a scenario file relative to the sweep file",
                       f"no such file ({scenario_path})")
    scenario_text, scenario_doc = read_document(scenario_path)
    base = scenario_from_document(scenario_doc, scenario_text, scenario_path)
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
            raise _unknown_value(chk, f"sweep.success[{i}]", t, ids, "target of the base scenario")
    robust = chk.number(sw.get("robust_probability", 0.9), "sweep.robust_probability", 0.0, 1.0)

    axes_doc = chk.table(doc.get("axes", {}), "axes")
    if not axes_doc:
        raise chk.fail("axes", problem="no lever axes", allowed="[axes.<label>] tables")
    parsed = tuple(_parse_axis(chk, label, chk.table(t, f"axes.{label}"), method, base.years)
                   for label, t in axes_doc.items())
    if method == "lhs":
        n_cases = chk.integer(sw.get("cases", 0), "sweep.cases", 1, None)
    elif "cases" in sw:
        raise chk.fail("sweep.cases", sw["cases"], 'only with method = "lhs"',
                       "is set but method is grid (the grid's size is the product of the axes)")
    cluster = chk.table(doc.get("cluster", {}), "cluster")
    chk.keys(cluster, _CLUSTER_KEYS, "cluster")

    sweep = Sweep(name=name, path=path, text=text, scenario_path=scenario_path,
                  scenario_text=scenario_text, scenario_doc=scenario_doc, method=method,
                  axes=parsed, members=members, seed=seed, detail=detail, success=tuple(success),
                  robust_probability=robust, cluster=cluster)
    values = _grid(parsed) if method == "grid" else _lhs(parsed, n_cases, seed)
    catalogue_texts = [c.read_text(encoding="utf-8") for c in base.catalogues]
    for i, row in enumerate(values):
        levers = {ax.label: float(v) for ax, v in zip(parsed, row)}
        case = Case(i, levers, _case_hash(sweep, levers, catalogue_texts))
        sweep.case_scenario(case)  # validate now: a bad lever value fails before any work
        sweep.cases.append(case)
    return sweep


def _parse_axis(chk, label: str, t: dict, method: str, years) -> Axis:
    path = f"axes.{label}"
    chk.keys(t, _AXIS_KEYS, path)
    if "lever" not in t:
        raise chk.fail(f"{path}.lever", problem="missing (required)", allowed=", ".join(LEVERS))
    lever = t["lever"]
    if lever not in LEVERS:
        raise _unknown_value(chk, f"{path}.lever", lever, list(LEVERS), "lever")
    if "year" not in t:
        raise chk.fail(f"{path}.year", problem="missing (required)", allowed=f"{years[0]}..{years[-1]}")
    year = chk.integer(t["year"], f"{path}.year", years[0], years[-1])
    spec = LEVERS[lever]
    sector = t.get("sector")
    if sector is not None and sector not in axes.SECTORS:
        raise _unknown_value(chk, f"{path}.sector", sector, axes.SECTORS, "sector")
    province = t.get("province")
    if province is not None:
        try:
            province = axes.resolve_province(province)
        except axes.UnknownProvince:
            raise _unknown_value(chk, f"{path}.province", province, axes.PROVINCES,
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
            raise chk.fail(f"{path}.{k}", problem="missing (required for method = lhs)",
                           allowed=spec.range_text)
    low = chk.number(t["low"], f"{path}.low", spec.low, spec.high)
    high = chk.number(t["high"], f"{path}.high", low, spec.high)
    return Axis(label, lever, year, low=low, high=high, sector=sector, province=province)


def _grid(ax: tuple[Axis, ...]) -> list[tuple[float, ...]]:
    return list(itertools.product(*(a.values for a in ax)))


def _lhs(ax: tuple[Axis, ...], n: int, seed: int) -> list[tuple[float, ...]]:
    """``n`` lever sets spread over the axes' [low, high] by the Latin hypercube of the members
    (``sim.scenario.uncertainty.design``, seeded with the sweep's seed)."""
    from sim.scenario.uncertainty import design

    u = design(len(ax), n, seed)
    low = np.array([a.low for a in ax])
    high = np.array([a.high for a in ax])
    return [tuple(row) for row in low + u * (high - low)]


def _case_hash(sweep: Sweep, levers: dict[str, float], catalogue_texts: list[str]) -> str:
    payload = dict(scenario=sweep.scenario_text, catalogues=catalogue_texts,
                   axes=[(a.label, a.lever, a.year, a.sector, a.province) for a in sweep.axes],
                   levers=levers, members=sweep.members, seed=sweep.seed, detail=sweep.detail,
                   success=list(sweep.success), version=__version__)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --- running ---------------------------------------------------------------------------------------
def part_path(out_dir: Path, case: Case) -> Path:
    return out_dir / "parts" / f"case-{case.index:05d}.nc"


def is_done(path: Path, case: Case) -> bool:
    """A finished part of this very case (same inputs, same code version)."""
    if not path.is_file():
        return False
    import netCDF4

    try:
        with netCDF4.Dataset(path) as nc:
            return getattr(nc, "case_hash", None) == case.hash
    except OSError:
        return False


def run_case(sweep_path: str, index: int, out_dir: str, numba_threads: int = 1) -> dict:
    """Run one case and write its part (executed on a Dask worker). Returns a small record."""
    import time

    import numba

    from sim.results import ensemble


    from sim.results import netcdf

    from sim.model import run as model

    t0 = time.perf_counter()
    numba.set_num_threads(max(1, min(numba_threads, numba.config.NUMBA_NUM_THREADS)))
    sweep = load_sweep_cached(sweep_path)
    case = sweep.cases[index]
    sc = sweep.case_scenario(case)
    prep = model.prepare(sc, members=sweep.members, seed=sweep.seed)
    attrs = netcdf.global_attributes(sc, sweep.seed, sweep.members,
                                 command=f"sim sweep {sweep.path} (case {index})", base=prep.base)
    attrs.update(case_hash=case.hash, case_index=np.int64(index),
                 case_levers=json.dumps(case.levers), sweep_name=sweep.name)
    path = part_path(Path(out_dir), case)
    ensemble.write_ensemble(prep, path, detail=sweep.detail, attrs=attrs,
                            success_targets=sweep.success or None)
    return dict(index=index, seconds=time.perf_counter() - t0, path=str(path))


_CACHE: dict[str, tuple[float, Sweep]] = {}


def load_sweep_cached(path: str) -> Sweep:
    """Per-process cache (workers run many cases of one sweep), invalidated by the file's mtime."""
    mtime = os.path.getmtime(path)
    hit = _CACHE.get(path)
    if hit is None or hit[0] != mtime:
        _CACHE[path] = (mtime, load_sweep(path))
    return _CACHE[path][1]


@dataclass
class SweepResult:
    computed: list[int]
    skipped: list[int]
    failed: dict[int, str]  # case index -> error message
    combined: Path | None


def run_sweep(sweep: Sweep, client, out_dir: Path,
              progress: Callable[[int, int, int], None] | None = None,
              numba_threads: int = 1) -> SweepResult:
    """Submit the unfinished cases to ``client`` (a dask.distributed Client), collect, combine."""
    from distributed import as_completed

    out_dir = Path(out_dir)
    (out_dir / "parts").mkdir(parents=True, exist_ok=True)
    remove_leftovers(sweep, out_dir)
    todo = [c for c in sweep.cases if not is_done(part_path(out_dir, c), c)]
    skipped = sorted(set(range(len(sweep.cases))) - {c.index for c in todo})
    attempt = uuid.uuid4().hex[:8]  # a retried case must not find the failed task by its key
    futures = {client.submit(run_case, str(sweep.path.resolve()), c.index, str(out_dir.resolve()),
                             numba_threads, key=f"sim-case-{sweep.name}-{c.index}-{attempt}",
                             pure=False): c for c in todo}
    computed, failed = [], {}
    done = 0
    for fut in as_completed(futures):
        case = futures[fut]
        try:
            fut.result()
            computed.append(case.index)
        except Exception as e:  # a failing case is reported, the others go on
            failed[case.index] = f"{type(e).__name__}: {e}"
        done += 1
        if progress is not None:
            progress(done + len(skipped), len(sweep.cases), len(failed))
    combined = None
    if not failed:
        combined = combine(sweep, out_dir)
    return SweepResult(sorted(computed), skipped, failed, combined)


def remove_leftovers(sweep: Sweep, out_dir: Path) -> list[Path]:
    """Remove the temporary files of this sweep's parts and combined file that dead processes of
    this host left (a killed sweep or worker; ``sim.core.files.stale_temporaries``); a live run's files,
    and files of other hosts, are kept. Returns what was removed."""
    from sim.core import files

    out_dir = Path(out_dir)
    paths = [part_path(out_dir, c) for c in sweep.cases] + [out_dir / f"{sweep.name}.nc"]
    return [p for path in paths for p in files.remove_stale(path)]


def close_quietly(closers: list[Callable[[], Any]], interrupted: bool) -> None:
    """Call the closers of :func:`dask_client` in order. After an interruption the cluster is torn
    down while its tasks are cancelled: Dask then logs a warning or traceback per worker and
    objects of its event loop fail in their finalisers ("Exception ignored in ... IOLoop is
    closed"), which says nothing to the user; the process is ending, so both are silenced."""
    import logging

    if interrupted:
        for name in ["distributed", *logging.root.manager.loggerDict]:
            if name.startswith(("distributed", "tornado", "asyncio")):
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        ignore_closed_loop_finalisers()
    for close in closers:
        try:
            close()
        except Exception:  # noqa: BLE001 - a cluster failing to close must not hide the result
            if not interrupted:
                raise


def ignore_closed_loop_finalisers() -> None:
    """In this process, drop the "Exception ignored in Client.__del__ ... IOLoop is closed" that
    a Dask client's finaliser prints when the cluster was torn down under it (an interrupted
    sweep, in the main process and in each worker); any other unraisable error is still shown."""
    import sys

    shown = sys.unraisablehook

    def hook(unraisable) -> None:
        if (getattr(unraisable.object, "__qualname__", "") == "Client.__del__"
                and isinstance(unraisable.exc_value, RuntimeError)):
            return
        shown(unraisable)

    sys.unraisablehook = hook


def dask_client(sweep: Sweep, scheduler: str | None = None, workers: int | None = None,
                cluster: str | None = None) -> tuple[Any, list[Callable[[], Any]], int]:
    """(client, closers, Numba threads per case) for the chosen way of running a sweep: an
    existing scheduler at ``scheduler``; a dask-jobqueue ``cluster`` ("slurm" or "pbs") from the
    sweep's ``[cluster]`` table, ``workers`` jobs (default its ``jobs``); else a local cluster of
    ``workers`` processes (default one per core). Call the closers, in order, when done.
    Raises ImportError with the install hint when ``cluster`` is asked for without dask-jobqueue.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        return client, [client.close], 1
    if cluster:
        try:
            import dask_jobqueue  # noqa: F401
        except ImportError:
            raise ImportError("--cluster needs dask-jobqueue: pip install -e '.[cluster]'") from None
        jq = jobqueue_cluster(sweep, cluster)
        jq.scale(jobs=workers or int(sweep.cluster.get("jobs", 1)))
        client = Client(jq)
        return client, [client.close, jq.close], 1
    n = workers or os.cpu_count() or 1
    # worker processes read their log level from the environment when they start: warnings of
    # tasks cancelled at an interruption are noise to the user (failures are reported per case)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    # Ctrl-C goes to every process of the terminal's group: the worker processes ignore it (the
    # ignored disposition is inherited by the processes started now) and this process stops
    # them, instead of each worker printing a KeyboardInterrupt traceback
    with _sigint_ignored():
        local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                             dashboard_address=":0")  # any free port: the link is printed
    client = Client(local)
    client.run(_quiet_worker)
    return client, [client.close, local.close], 1


@contextlib.contextmanager
def _sigint_ignored():
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _quiet_worker() -> None:
    """Run on each local worker: ignore SIGINT (also in a worker the nanny restarts later, as far
    as its event loop runs in the main thread) and the closed-loop finaliser noise."""
    import signal

    with contextlib.suppress(ValueError):  # not the main thread: the inherited SIG_IGN holds
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    ignore_closed_loop_finalisers()


def jobqueue_cluster(sweep: Sweep, kind: str):
    """A dask-jobqueue cluster (``kind`` slurm or pbs) from the sweep's ``[cluster]`` table,
    not yet scaled (``cluster.scale(jobs=...)`` submits the batch jobs)."""
    import dask_jobqueue

    settings = {k: v for k, v in sweep.cluster.items() if k != "jobs"}
    settings.setdefault("scheduler_options", {"dashboard_address": ":0"})
    cls = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}[kind]
    return cls(**settings)


# --- combining ---------------------------------------------------------------------------------------
def combine(sweep: Sweep, out_dir: Path) -> Path:
    """Concatenate the parts along ``case`` with the lever values as coordinates."""
    import xarray as xr


    from sim.results import netcdf
    from sim.core.variables import COORDINATES

    parts = []
    for case in sweep.cases:
        with xr.open_dataset(part_path(out_dir, case)) as ds:
            parts.append(ds.load())
    combined = xr.concat(parts, dim="case", data_vars="all", coords="minimal", compat="override",
                         join="override", combine_attrs="drop")
    combined = combined.assign_coords(case=("case", np.arange(len(sweep.cases))))
    combined["case"].attrs.update(COORDINATES["case"])
    for ax in sweep.axes:
        values = np.array([c.levers[ax.label] for c in sweep.cases])
        where = f" ({ax.sector or ''}{' ' if ax.sector and ax.province else ''}{ax.province or ''})" \
            if (ax.sector or ax.province) else ""
        combined = combined.assign_coords({f"lever_{ax.label}": ("case", values)})
        combined[f"lever_{ax.label}"].attrs.update(
            long_name=f"lever {ax.lever} in {ax.year}{where}", units=LEVERS[ax.lever].unit,
            lever=ax.lever, year=np.int64(ax.year))
    for name, var in parts[0].data_vars.items():
        combined[name].attrs = dict(var.attrs)
    first = parts[0].attrs
    combined.attrs = {k: first[k] for k in ("Conventions", "institution", "source", "references",
                                            "data_sources", "output_detail") if k in first}
    combined.attrs.update(
        title=f"Policy sweep {sweep.name}: {len(sweep.cases)} lever sets x {sweep.members} members",
        history=first.get("history", ""), sweep_name=sweep.name, sweep_toml=sweep.text,
        scenario_toml=sweep.scenario_text, scenario_name=first.get("scenario_name", ""),
        seed=np.int64(sweep.seed), members=np.int64(sweep.members),
        success_targets=" ".join(sweep.success), robust_probability=sweep.robust_probability,
        case_levers=json.dumps([c.levers for c in sweep.cases]),
        administrative_targets=first.get("administrative_targets", "[]"),
        creation_time=first.get("creation_time", ""))
    path = out_dir / f"{sweep.name}.nc"
    netcdf.write_atomic(combined, path)
    return path


def summary_rows(ds) -> list[dict]:
    """Per case: lever values, P(attain) of each success target, P(all), robust or not."""
    success = [t for t in str(ds.attrs.get("success_targets", "")).split() if t]
    threshold = float(ds.attrs.get("robust_probability", 0.9))
    lever_names = [c for c in ds.coords if str(c).startswith("lever_")]
    rows = []
    for i in range(ds.sizes["case"]):
        row = {"case": i}
        for c in lever_names:
            row[str(c)[len("lever_"):]] = float(ds[c].values[i])
        for t in success:
            row[t] = float(ds["target_probability"].sel(target=t).values[i])
        if "success_probability" in ds:
            row["P(all)"] = float(ds["success_probability"].values[i])
            row["robust"] = row["P(all)"] >= threshold
        rows.append(row)
    return rows


def format_summary(ds) -> str:
    from sim.analysis.report import percent

    rows = summary_rows(ds)
    if not rows:
        return "no cases"
    cols = list(rows[0])
    width = {c: max(len(c), 8) for c in cols}
    lines = [" ".join(f"{c:>{width[c]}}" for c in cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, bool):
                cells.append(f"{'yes' if v else '':>{width[c]}}")
            elif c == "case":
                cells.append(f"{v:>{width[c]}d}")
            elif c.startswith("P(") or c in str(ds.attrs.get("success_targets", "")).split():
                cells.append(f"{percent(v):>{width[c]}}")
            else:
                cells.append(f"{v:>{width[c]}.3g}")
        lines.append(" ".join(cells))
    threshold = float(ds.attrs.get("robust_probability", 0.9))
    robust = [r for r in rows if r.get("robust")]
    lines += ["", f"robust lever sets (P(all success targets) >= {threshold:.0%}): "
              f"{len(robust)} of {len(rows)}"]
    for r in robust:
        lines.append("  case " + str(r["case"]) + ": " + ", ".join(
            f"{k} = {v:g}" for k, v in r.items() if k not in ("case", "robust", "P(all)")
            and not k.startswith("P(") and k not in str(ds.attrs.get("success_targets", "")).split())
            + f"  (P(all) = {percent(r['P(all)'])})")
    return "\n".join(lines)
