"""A page session of ``sim serve``: the scenario as edited on the page, its runs and its downloads.

A page state (scenario document + province choice + lever edits + members + seed) becomes a TOML
text (``tomli_w``) that is parsed back (``tomllib``) and validated by
:func:`sim.scenario.scenario_from_document`: one code path for files and page values, the same
one-line message for an out-of-range value. The downloaded TOML is the same page state applied by
the same function (:func:`document`) to the scenario's own text, edited with ``tomlkit`` so that
its comments stay (a test checks that both parse to the same document); it comes zipped with the
target catalogues it names, so it runs from the folder it is unpacked in. It runs
through :func:`sim.model.run.prepare` / :func:`sim.model.run.run_chunk` /
:func:`sim.model.run.finalize`; :mod:`sim.interfaces.web.payload` makes what the page shows of it;
the downloads are :func:`sim.results.run.run_scenario`, :func:`sim.results.export.export_iamc`
and :func:`sim.plots.figures.write_figures` on the shown run.

Per session (a random cookie): the chosen scenario, province, lever edits, members and seed, the
reference the page compares with (:class:`Reference`: the scenario without levers, the scenario
without the page's edits, or a state the user pinned; run with the same province, seed and
members) and its run, and a generation counter. Uploaded scenarios are kept by the hash of their
text (``<out>/uploads/<hash>.toml``), so a share link can name them. The base state
is loaded once per process, the kernel compiled (or loaded from Numba's cache) before the server
listens, and kernel outputs are reused between runs of the same size (:class:`Buffers`). Every
change increments the generation; a run that finds a newer generation when it starts, between
chunks, or when it ends is dropped (:class:`Superseded`) instead of being queued ahead of the
newer change.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import math
import re
import secrets
import tempfile
import threading
import time
import tomllib
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
import tomlkit
import xarray as xr

from sim.core import axes, shipped
from sim.core.indicators import eaf_share
from sim.core.targets import administrative_attribute
from sim.data.base_state import load_base_state
from sim.interfaces.web import analyses
from sim.interfaces.web.jobs import Job, state_key
from sim.interfaces.web.payload import clean, lever_state, payload, skill, summary
from sim.model import run as model
from sim.model.kernel import allocate_outputs
from sim.plots import figures as plots
from sim.results import export
from sim.results import reading as results
from sim.results.run import run_scenario
from sim.scenario import printable, read_document, scenario_from_document
from sim.scenario.errors import format_number
from sim.scenario.uncertainty import discrepancy_draws as draws
from sim.scenario.uncertainty import sample

LIVE_MEMBERS = 500
"""Members of a live run (each lever change): P(attain) to within ±2.2 points (1 s.e.)."""
PRECISE_MEMBERS = 2000
"""Members of the "more precise" run (±1.1 points), run in the background, chunk by chunk."""
PRECISE_CHUNK = 250
MAX_UPLOAD_BYTES = 256 << 10
"""[bytes] Largest uploaded scenario (the shipped ones are < 20 KB)."""
MAX_SESSIONS = 32
"""Sessions kept in memory; the least recently used one is dropped beyond this."""
ALL = "all"  # province choice: every province (the whole country)
OWN = ""  # province choice: the scenario's own provinces
SESSION_ID = re.compile(r"[0-9a-f]{32}")
"""A session id: 32 hex digits (``secrets.token_hex(16)``); anything else is no session."""
UPLOAD_KEY = re.compile(r"upload:([0-9a-f]{32})")
"""A scenario key naming an upload: ``upload:`` and the first 32 hex digits of its SHA-256."""
NEEDED = frozenset({"value_added", "final_energy", "production", "co2_direct", "co2_process",
                    "co2_captured"})
"""Kernel variables the page needs (run_chunk always adds CO2, targets and peak years)."""
_EXTENSIVE = ("value_added", "final_energy", "co2_direct", "co2_process", "co2_captured")


class Superseded(Exception):
    """A newer change of the same session arrived: this run's result is not wanted."""


class PageError(ValueError):
    """A request the page cannot serve (one line, shown on the page)."""


class TooLarge(PageError):
    """A request body beyond its size limit (HTTP 413)."""


# --- the process-wide pieces: base state and the compiled kernel ------------------------------------
_BASE = None
_BASE_LOCK = threading.Lock()


def base_state():
    """The base state, loaded once per process (``sim.data.base_state.load_base_state``)."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            _BASE = load_base_state()
        return _BASE


def warm_up() -> float:
    """Compile (or load from Numba's cache) the kernel, load the base state and compute the
    hindcast skill the charts cite (:func:`sim.interfaces.web.payload.skill`, ~5 s: not on the
    first visitor's time); seconds taken."""
    t0 = time.perf_counter()
    sc = load_source(shipped.resolve("anhui")).scenario
    model.run_chunk(model.prepare(sc, members=2, base=base_state()), 0, 2)
    skill()
    return time.perf_counter() - t0


# --- scenario sources and page documents -------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """A scenario as chosen on the page: its parsed document and its text (comments and all),
    where its catalogues are looked up (``path``: a shipped file, or for an upload a name in the
    shipped folder), the name messages use (``display``) and the ``key`` a page state names it
    by (a shipped scenario's name, or ``upload:<hash>``)."""

    doc: dict
    path: Path
    display: str
    scenario: Any  # the validated sim.scenario.Scenario of the unchanged document
    text: str = ""
    key: str = ""


def load_source(path: Path, key: str | None = None) -> Source:
    """A shipped (or local) scenario file, validated as ``sim run`` would."""
    text, doc = read_document(path)
    return Source(doc, Path(path), Path(path).name, scenario_from_document(doc, text, path), text,
                  key or Path(path).stem)


def upload_key(data: bytes) -> str:
    """The key of an uploaded scenario: ``upload:`` and 32 hex digits of its SHA-256."""
    return "upload:" + hashlib.sha256(data).hexdigest()[:32]


def upload_source(data: bytes, filename: str) -> Source:
    """An uploaded scenario: parsed as TOML (never executed) and validated; its target catalogues
    are those of the shipped scenarios (``scenario.targets`` relative to that folder)."""
    name = Path(str(filename or "upload.toml").replace("\\", "/")).name or "upload.toml"
    display = printable(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"{display}: is {len(data):,} bytes (allowed: at most "
                        f"{MAX_UPLOAD_BYTES:,} for an uploaded scenario)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PageError(f"{display}: not a text file: a scenario is TOML text in UTF-8, and byte "
                        f"{e.start + 1} is {data[e.start:e.start + 1].hex()} (a binary file, or "
                        "another encoding)") from None
    if "\x00" in text:
        raise PageError(f"{display}: not a text file: a scenario is TOML text in UTF-8, and it "
                        f"holds a NUL byte (byte {text.index(chr(0)) + 1})")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PageError(f"{display}: malformed TOML: {e}") from None
    except RecursionError:
        raise PageError(f"{display}: malformed TOML: arrays or tables nested too deeply") from None
    path = shipped.SHIPPED_DIR / "uploaded.toml"  # catalogues: the shipped targets/ folder
    return Source(doc, path, display, scenario_from_document(doc, text, path, display), text,
                  upload_key(data))


def child(table, key: str):
    """``table[key]``, a new (sub)table there first if it has none (for a plain dict and for a
    ``tomlkit`` document alike: ``setdefault`` would hand back a dict tomlkit has copied)."""
    if key not in table:
        table[key] = {} if type(table) is dict else tomlkit.table()
    return table[key]


def prune_provinces(table: dict, simulated: tuple[str, ...]) -> None:
    """Remove ``province.<P>`` overrides of provinces that are not simulated (they cannot apply),
    and tables left without points."""
    prov = table.get("province")
    if isinstance(prov, dict):
        for key in list(prov):
            try:
                p = axes.resolve_province(key)
            except axes.UnknownProvince:
                continue  # left for the scenario check to name
            if p not in simulated:
                del prov[key]
        if not prov:
            del table["province"]


def document(source: Source, province: str, edits: dict, members: int, seed: int | None = None,
             doc=None) -> dict:
    """The page's scenario document: ``source``'s with the province choice (``OWN``, ``ALL`` or
    a province), the lever edits ``{(lever, sector or "", year): value}`` as points, ``members``
    and ``seed`` (None: the scenario's). Choosing other provinces than the scenario's drops its
    ``target_ids`` (every catalogue target that applies is checked) and its overrides of provinces
    not simulated. ``doc``: the document to change in place (a ``tomlkit`` document of the
    scenario's text, for the download), by default a copy of ``source.doc``."""
    doc = copy.deepcopy(source.doc) if doc is None else doc
    sc = doc.get("scenario")
    if isinstance(sc, dict):
        if province != OWN:
            chosen = axes.PROVINCES if province == ALL else (province,)
            sc["provinces"] = ALL if province == ALL else [province]
            if tuple(chosen) != tuple(source.scenario.provinces):
                sc.pop("target_ids", None)
                for name, t in list(doc.get("levers", {}).items()):
                    if isinstance(t, dict):
                        prune_provinces(t, chosen)
                        if not t:
                            del doc["levers"][name]
                if isinstance(doc.get("growth"), dict):
                    prune_provinces(doc["growth"], chosen)
        sc["members"] = int(members)
        if seed is not None:
            sc["seed"] = int(seed)
    for (lever, sector, year), value in edits.items():
        t = child(child(doc, "levers"), lever)
        if sector:
            t = child(child(t, "sector"), sector)
        t[str(year)] = value
    return doc


def without_levers(doc: dict) -> dict:
    """The baseline of a page document: the same without any lever (no policy)."""
    doc = copy.deepcopy(doc)
    doc.pop("levers", None)
    return doc


def to_text(doc: dict, header: str = "") -> str:
    """The TOML text of a scenario document, after ``header`` (comment lines)."""
    return header + tomli_w.dumps(doc)


def validate(doc: dict, source: Source):
    """(text, Scenario) of a page document: the document written as TOML, parsed back and checked
    exactly as a scenario file is (:func:`sim.scenario.scenario_from_document`)."""
    text = to_text(doc)
    return text, scenario_from_document(tomllib.loads(text), text, source.path, source.display)


def page_value(value: Any) -> Any:
    """A lever value from the page as a TOML value: numbers as they are, ``"inf"``/``"-inf"`` as
    floats (JSON has no infinity); anything else is passed on for the scenario check to refuse."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "+inf", "-inf", "infinity"):
        return -math.inf if value.strip().startswith("-") else math.inf
    if isinstance(value, str):
        try:
            return float(value) if value.strip() else value
        except ValueError:
            return value
    return value


# --- results for the page ------------------------------------------------------------------------------
def region_of(sc) -> str:
    """The region the page shows for scenario ``sc``: its only province, else ``national``."""
    return sc.provinces[0] if len(sc.provinces) == 1 else "national"


def page_dataset(ds: xr.Dataset, region: str) -> xr.Dataset:
    """One chunk's Dataset cut to what the page shows of ``region``: targets, peak years and CO2 of
    every region (both accountings), the costs and air pollutants of every region
    (``sim.model.costs``, ``sim.model.pollutants``), and the extensive variables and EAF share of
    the region alone (a province axis of length 1 labelled ``region``, so ``sim.plots.figures``'
    helpers read it as a one-province file).
    Every array is new (none views the kernel outputs, which are reused)."""
    provinces = [str(p) for p in ds["province"].values]
    i = None if region == "national" else provinces.index(region)
    pick = slice(None) if i is None else slice(i, i + 1)

    def cut(name):  # (member, province, ...) -> (member, 1, ...), summed over the provinces
        x = ds[name].values
        return x.sum(axis=1, keepdims=True) if i is None else x[:, pick].copy()

    data = {name: (ds[name].dims, ds[name].values) for name in
            ("target_value", "target_attained", "peak_year", "plateau_start_year",
             "industrial_co2", "industrial_co2_with_indirect", "peak_year_with_indirect",
             "total_cost", "cost_by_item", "discounted_cost", "industrial_pollutants")}
    for name in _EXTENSIVE:
        data[name] = (ds[name].dims, cut(name))
    steel = ds["production"].sel(route=list(axes.ROUTE_NAMES["iron_steel"])).values[:, pick]  # (M,p,R,T)
    data["eaf_share"] = (("member", "province", "year"),
                         eaf_share(steel, route_axis=2, province_axis=1)[:, None, :])
    coords = {k: v for k, v in ds.coords.items() if "province" not in v.dims}
    coords["province"] = ("province", [region])
    return xr.Dataset(data, coords=coords)


def shown_provinces(sc, province: str) -> str:
    """The province choice that runs a reference on the provinces of the shown scenario ``sc``: a
    pinned state of another scenario is compared on the provinces shown, not on its own."""
    if province != OWN:
        return province
    if len(sc.provinces) == len(axes.PROVINCES):
        return ALL
    return sc.provinces[0] if len(sc.provinces) == 1 else OWN


def run_members(prep, region: str, still_wanted=lambda: None, chunk: int | None = None):
    """The page Dataset of every member of ``prep`` (chunk by chunk, ``still_wanted()`` raising
    :class:`Superseded` between chunks), with target probabilities (``sim.model.run.finalize``)."""
    parts = []
    chunk = chunk or prep.members
    for start in range(0, prep.members, chunk):
        still_wanted()
        stop = min(prep.members, start + chunk)
        with BUFFERS.take(stop - start, len(prep.provinces), len(prep.years)) as outputs:
            ds = model.run_chunk(prep, start, stop, variables=NEEDED, outputs=outputs)
            parts.append(page_dataset(ds, region))
            del ds
    ds = parts[0] if len(parts) == 1 else xr.concat(parts, "member", data_vars="minimal",
                                                      coords="minimal", compat="override",
                                                      join="override")
    ds = model.finalize(ds, prep)
    # what the report reads of a file beyond the variables (sim.analysis.report.administrative)
    ds.attrs["administrative_targets"] = administrative_attribute(prep.scenario.administrative)
    return ds


def reference_key(doc: dict, source: Source) -> tuple:
    """What a reference run is kept by (``Session._references``): its document's text and where
    its catalogues are looked up."""
    return to_text(doc), source.path, source.display


def discrepancy_draws(seed: int, members: int, provinces: tuple[str, ...]) -> np.ndarray:
    """(members, provinces, sectors) standard-normal draws of the model discrepancy of members
    0..members-1 (``sim.scenario.uncertainty.discrepancy_draws``), to pass to
    ``sim.model.run.prepare(discrepancy_z=...)``: drawing them takes ~10 ms of every run of 500
    members, and a lever change does not change them (tests/interfaces/test_page_payload.py
    checks the kernel inputs equal)."""
    return draws(seed, np.arange(members), [axes.PROVINCES.index(p) for p in provinces],
                 len(base_state().discrepancy_sigma))


class Buffers:
    """Kernel outputs kept for reuse by their sizes (``sim.model.run.run_chunk(outputs=...)``), at most
    :data:`MAX_BUFFER_BYTES` in all: a lever change reruns the sizes of the run before, and fresh
    outputs cost page faults (~1 GB per 1000 national members)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._free: OrderedDict[tuple, list] = OrderedDict()
        self._lock = threading.Lock()

    def _bytes(self) -> int:
        return sum(sum(a.nbytes for a in o.as_dict().values()) for lst in self._free.values()
                   for o in lst)

    @contextlib.contextmanager
    def take(self, members: int, provinces: int, years: int):
        """Kernel outputs of these sizes for one chunk: a kept one if there is, else new ones;
        given back to the pool when the block ends."""
        sizes = (members, provinces, len(axes.SECTORS), len(axes.ROUTES), len(axes.CARRIERS),
                 len(axes.METALS), years)
        with self._lock:
            free = self._free.get(sizes)
            out = free.pop() if free else None
        if out is None:
            out = allocate_outputs(*sizes)
        try:
            yield out
        finally:
            with self._lock:
                self._free.setdefault(sizes, []).append(out)
                self._free.move_to_end(sizes)
                while self._bytes() > self.limit and self._free:
                    first = next(iter(self._free))
                    self._free[first].pop(0)
                    if not self._free[first]:
                        del self._free[first]


MAX_BUFFER_BYTES = 1500 << 20
"""[bytes] Kernel outputs kept for reuse (500 national members take ~0.5 GB)."""
BUFFERS = Buffers(MAX_BUFFER_BYTES)


# --- sessions -------------------------------------------------------------------------------------------
REFERENCES = ("baseline", "scenario", "pinned")
"""What the page compares with: the scenario without any lever, the scenario without the page's
edits, or a page state the user pinned."""


@dataclass(frozen=True)
class Reference:
    """The run the page compares with, run with the shown run's province, members and seed:
    ``kind`` one of :data:`REFERENCES`; a pinned one has its own ``source`` and ``edits``
    ({(lever, sector, year): value}) and the ``label`` the user gave it."""

    kind: str = "baseline"
    source: Source | None = None
    edits: tuple = ()
    label: str = ""

    def document(self, source: Source, province: str, edits: dict, members: int, seed) -> dict:
        """The reference's document beside the page state (``source``, ``province``, ``edits``,
        ``members``, ``seed``)."""
        if self.kind == "baseline":
            return without_levers(document(source, province, edits, members, seed))
        if self.kind == "scenario":
            return document(source, province, {}, members, seed)
        return document(self.source, province, dict(self.edits), members, seed)

    def describe(self) -> dict:
        """What the page shows and a share link keeps of the reference."""
        out = dict(kind=self.kind, label=self.label)
        if self.kind == "pinned":
            out.update(scenario=self.source.key, file=self.source.display,
                       edits=edit_list(dict(self.edits)))
        return out


def edit_list(edits: dict) -> list[dict]:
    """The page's edits as the API writes them: [{lever, sector, year, value}, ...]."""
    return [dict(lever=k[0], sector=k[1], year=k[2], value=clean(v)) for k, v in edits.items()]


@dataclass
class Shown:
    """The run whose numbers the page shows, and the page state it ran."""

    text: str  # the scenario TOML it ran (validated)
    scenario: Any
    prep: Any
    result: dict
    source: Source
    province: str
    edits: dict
    seed: int | None


@dataclass
class Session:
    """One browser session's state; only its own requests touch it."""

    id: str
    source: Source
    out_dir: Path
    live_members: int = LIVE_MEMBERS
    province: str = OWN
    edits: dict = field(default_factory=dict)
    seed: int | None = None  # None: the scenario's
    reference: Reference = field(default_factory=Reference)
    generation: int = 0
    shown: Shown | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    job: Job | None = None  # the background analysis (jobs.py): one at a time
    _references: dict = field(default_factory=dict)  # reference document -> its summary()
    _designs: dict = field(default_factory=dict)  # (uncertainty, members, seed) -> design
    _draws: dict = field(default_factory=dict)  # (seed, members, provinces) -> discrepancy draws

    def next_generation(self) -> int:
        """Called (in the event loop) when a change arrives: older runs become superseded."""
        self.generation += 1
        return self.generation

    def _check(self, generation: int) -> None:
        if self.generation != generation:
            raise Superseded()

    def _reference_of(self, doc: dict, source: Source, check, key: tuple):
        """The reference run's :func:`summary` for the reference document ``doc`` (cached by its
        :func:`reference_key` ``key``: a lever change does not rerun it)."""
        if key not in self._references:
            _, sc = validate(doc, source)
            prep = self._prepare(doc, sc)
            region = region_of(sc)
            stats = summary(run_members(prep, region, check, PRECISE_CHUNK), region)
            while len(self._references) >= 4:  # live and precise members, two references
                self._references.pop(next(iter(self._references)))
            self._references[key] = stats
        return self._references[key]

    def _prepare(self, doc: dict, sc):
        """``sim.model.run.prepare`` of the validated page document ``doc`` (scenario ``sc``), with
        the session's design and discrepancy draws of its uncertainty, members, seed and
        provinces (:meth:`_design`, :func:`discrepancy_draws`): a lever change draws neither."""
        key = (sc.seed, sc.members, tuple(sc.provinces))
        if key not in self._draws:
            while len(self._draws) >= 2:  # the live and the precise member count
                self._draws.pop(next(iter(self._draws)))
            self._draws[key] = discrepancy_draws(*key)
        return model.prepare(sc, base=base_state(), samples=self._design(doc, sc),
                             discrepancy_z=self._draws[key])

    def _design(self, doc: dict, sc) -> dict | None:
        """The Latin-hypercube design of this uncertainty, member count and seed if this session
        drew it before (None: ``sim.model.run.prepare`` draws it, and it is kept)."""
        key = (to_text(doc.get("uncertainty", {})), sc.members, sc.seed)
        if key not in self._designs:
            while len(self._designs) >= 2:  # the live and the precise member count
                self._designs.pop(next(iter(self._designs)))
            self._designs[key] = sample(sc.uncertainty, sc.members, sc.seed)
        return self._designs[key]

    def change(self, generation: int, *, source: Source | None = None, province: str | None = None,
               edits: list | tuple = (), reset: bool = False, members: int | None = None,
               seed: int | None = None, reference: Reference | None = None,
               replace: bool = False, timer: dict | None = None) -> dict:
        """Apply one change and run it (in a worker thread). The change is validated first: if
        it is invalid, :class:`ScenarioError` is raised and the state is unchanged. A valid change
        is kept even when its run is superseded (:class:`Superseded`), so a newer change builds on
        it. ``replace``: the change is a whole page state (a share link): ``edits`` replace the
        session's, ``seed`` None means the scenario's."""
        with self.lock:
            new_source = source or self.source
            fresh = reset or replace or source is not None
            new_province = OWN if (reset or (source is not None and province is None)) else (
                self.province if province is None else province)
            new_edits = {} if fresh else dict(self.edits)
            for lever, sector, year, value in edits:  # in order: the last value of a point wins
                new_edits[(lever, sector, int(year))] = page_value(value)
            new_seed = seed if (seed is not None or fresh) else self.seed
            new_reference = reference or self.reference
            n = members or self.live_members
            doc = document(new_source, new_province, new_edits, n, new_seed)
            t0 = time.perf_counter()
            text, sc = validate(doc, new_source)  # ScenarioError: nothing changes, nothing runs
            ref_doc = new_reference.document(new_source, shown_provinces(sc, new_province),
                                             new_edits, n, sc.seed)
            ref_source = new_reference.source if new_reference.kind == "pinned" else new_source
            ref_key = reference_key(ref_doc, ref_source)
            if ref_key not in self._references:  # else checked before it ran
                validate(ref_doc, ref_source)
            self.source, self.province, self.edits = new_source, new_province, new_edits
            self.seed, self.reference = new_seed, new_reference
            self._check(generation)
            t1 = time.perf_counter()

            def check():
                self._check(generation)

            ref = self._reference_of(ref_doc, ref_source, check, ref_key)
            t2 = time.perf_counter()
            prep = self._prepare(doc, sc)
            region = region_of(sc)
            ds = run_members(prep, region, check, None if members is None else PRECISE_CHUNK)
            t3 = time.perf_counter()
            result = payload(ds, ref, sc, region)
            self._check(generation)
            t4 = time.perf_counter()
            if timer is not None:
                timer.update(validate=t1 - t0, baseline=t2 - t1, run=t3 - t2, payload=t4 - t3)
            result["timing_ms"] = round((t4 - t0 - (t2 - t1)) * 1000, 1)
            self.shown = Shown(text, sc, prep, result, new_source, new_province, new_edits, new_seed)
            return self.state()

    def state(self) -> dict:
        """What the page shows of this session: the shown run's payload, its page state (what a
        share link keeps) and the reference it is compared with."""
        sh = self.shown
        sc = sh.scenario
        return dict(
            status="ok", generation=self.generation,
            scenario=dict(name=sc.name, key=sh.source.key, file=sh.source.display,
                          description=sc.description, provinces=list(sc.provinces),
                          members=sh.prep.members, seed=sh.prep.seed,
                          own_seed=sh.source.scenario.seed,
                          own_provinces=list(sh.source.scenario.provinces)),
            province=sh.province, seed=sh.seed, edits=edit_list(sh.edits),
            reference=self.reference.describe(), key=state_key(sh.text),
            levers=lever_state(sc), result=sh.result)

    # --- background analyses (jobs.py, analyses.py) ----------------------------------------------
    def start_job(self, kind: str) -> Job:
        """Start the analysis ``kind`` (``abatement`` or ``plan``) of the shown page state in the
        background, cancelling the session's job before; :class:`PageError` (nothing starts)
        when the state cannot be analysed so."""
        with self.lock:
            sh = self.shown
        if sh is None:
            raise PageError("nothing to analyse yet: reload the page")
        sc = sh.scenario
        if kind == "abatement":
            if not sc.levers:
                raise PageError(f"{sc.name}: sets no lever, so there are no wedges per policy "
                                "(set a lever first)")
        elif kind == "plan":
            if region_of(sc) == "national":
                raise PageError("the plan view plans one province (a national plan takes about "
                                "4 s a package): choose a province")
            if not analyses.plan_levers(sc) or not analyses.plan_targets(sc):
                raise PageError(f"{region_of(sc)}: none of the plan's lever points applies, or "
                                "no simulated target to plan for (a trend target moves with no "
                                "lever)")
        else:
            raise PageError(f"unknown analysis {printable(str(kind))!r} (allowed: abatement, plan)")
        if self.job is not None:
            self.job.cancel()
        job = Job(kind, state_key(sh.text))
        folder = self.folder()
        catalogues = sh.source.doc.get("scenario", {}).get("targets", [])

        def work(job: Job) -> dict:
            with tempfile.TemporaryDirectory(prefix=f"{kind}-", dir=folder) as tmp:
                page = analyses.scenario_file(sh.text, sh.source.path, catalogues,
                                              Path(tmp) / "scenario", sc.name)
                if kind == "abatement":
                    return clean(analyses.abatement(page, Path(tmp) / "runs", job.progress))
                return clean(analyses.plan(page, job.progress))

        self.job = job.start(work, (ValueError, OSError))
        return job

    def job_state(self) -> dict:
        """What the page shows of the session's job (``status`` none when there is none)."""
        if self.job is None:
            return dict(status="none")
        return self.job.describe(state_key(self.shown.text) if self.shown else None)

    # --- downloads -------------------------------------------------------------------------------
    def folder(self) -> Path:
        """The session's download folder, ``<out>/<session id>/`` (created)."""
        assert SESSION_ID.fullmatch(self.id)
        d = (self.out_dir / self.id).resolve()
        if not d.is_relative_to(self.out_dir.resolve()):
            raise PageError("output folder outside the server's output folder")
        d.mkdir(parents=True, exist_ok=True)
        return d

    def download_name(self) -> str:
        """The stem of the scenario download: ``<scenario name>-edited``."""
        return f"{self.shown.scenario.name}-edited"

    def download_text(self) -> str:
        """The shown run's scenario TOML: the scenario's own text with the page state applied by
        :func:`document` through ``tomlkit`` (its comments kept), after a header that says what
        the page changed. ``sim run`` on it, beside its target catalogues
        (:meth:`download_zip`), reproduces the page's numbers exactly (same seed and members)."""
        sh = self.shown
        try:
            doc = tomlkit.parse(sh.source.text)
            document(sh.source, sh.province, sh.edits, sh.prep.members, sh.seed, doc=doc)
            body = tomlkit.dumps(doc)
        except Exception:  # noqa: BLE001 - tomlkit refused what tomllib read: the plain text
            body = sh.text
        changes = [f"levers.{lever}{f'.sector.{sector}' if sector else ''}.{year} = "
                   f"{format_number(value) if isinstance(value, (int, float)) else value}"
                   for (lever, sector, year), value in sh.edits.items()]
        where = {OWN: "its own", ALL: "all 31"}.get(sh.province, sh.province)
        header = (f"# Scenario {sh.scenario.name} ({sh.source.display}) as edited on the sim serve "
                  f"page: {sh.prep.members} members, seed {sh.prep.seed}, provinces: {where}.\n"
                  + (f"# Page edits: {'; '.join(changes)}.\n" if changes else "# No lever edited.\n")
                  + "# Its target catalogues (scenario.targets) are looked up relative to this file: "
                  "the zip download holds\n# them beside it. Run: sim run "
                  f"{self.download_name()}.toml\n\n")
        return header + body

    def download_zip(self) -> Path:
        """The scenario download as a folder in a zip: ``<name>-edited/<name>-edited.toml`` and
        the target catalogues it names at their relative paths, so that ``sim run`` works in the
        unpacked folder."""
        sh = self.shown
        stem = self.download_name()
        targets = sh.source.doc.get("scenario", {}).get("targets", [])
        root = sh.source.path.parent.resolve()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{stem}/{stem}.toml", self.download_text())
            for rel in targets if isinstance(targets, list) else []:
                path = (root / rel).resolve()
                if path.is_relative_to(root) and path.is_file():  # the scenario check made sure
                    z.write(path, f"{stem}/{path.relative_to(root).as_posix()}")
        path = self.folder() / f"{stem}.zip"
        path.write_bytes(buf.getvalue())
        return path

    def write_netcdf(self) -> Path:
        """The shown run as a NetCDF file (``sim.results.run.run_scenario``, the one run path)."""
        with self.lock:
            sh = self.shown
            path = self.folder() / f"{sh.scenario.name}.nc"
            return run_scenario(sh.scenario, path, command="sim serve", prepared=sh.prep).path

    def write_iamc(self) -> Path:
        """The shown run's IAMC table (CSV) beside its NetCDF file."""
        nc = self.write_netcdf()
        path = nc.with_name(f"{nc.stem}_iamc.csv")
        with results.open_results(nc) as ds:
            export.export_iamc(ds, path)
        return path

    def write_figures(self) -> Path:
        """The run's figures (``sim plot``'s complete set, png) zipped."""
        import matplotlib

        matplotlib.use("Agg")

        nc = self.write_netcdf()
        fig_dir = nc.parent / "figures"
        with results.open_results(nc) as ds:
            paths = plots.write_figures(ds, fig_dir)
        path = nc.with_name(f"{nc.stem}_figures.zip")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, p.name)
        path.write_bytes(buf.getvalue())
        return path


SAFE_NAME = re.compile(r"[^\w.-]")


class Sessions:
    """The sessions of one server, least recently used first, and the scenarios they can name:
    the shipped ones and the uploads (kept by key in memory and in ``<out>/uploads/``)."""

    def __init__(self, initial: Path, out_dir: Path, live_members: int = LIVE_MEMBERS):
        self.initial = initial
        self.out_dir = Path(out_dir)
        self.live_members = live_members
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self._source = None
        self._sources: dict[str, Source] = {}

    def new(self) -> Session:
        """A new session on the initial scenario, with a fresh random id."""
        if self._source is None:
            self._source = load_source(self.initial)
        s = Session(secrets.token_hex(16), self._source, self.out_dir, self.live_members)
        with self._lock:
            self._sessions[s.id] = s
            while len(self._sessions) > MAX_SESSIONS:
                _, dropped = self._sessions.popitem(last=False)
                if dropped.job is not None:  # nobody will read its result
                    dropped.job.cancel()
        return s

    def get(self, sid: str | None) -> Session | None:
        """The session of cookie value ``sid``, or None (unknown or malformed)."""
        if not isinstance(sid, str) or not SESSION_ID.fullmatch(sid):
            return None
        with self._lock:
            s = self._sessions.get(sid)
            if s is not None:
                self._sessions.move_to_end(sid)
            return s

    def upload_dir(self) -> Path:
        """Where uploads are kept: ``<out>/uploads/``."""
        return self.out_dir / "uploads"

    def keep_upload(self, source: Source, data: bytes) -> None:
        """Keep an uploaded scenario under its key (``<out>/uploads/<hash>/<file name>``), so a
        share link naming it opens it, also after a restart."""
        folder = self.upload_dir() / UPLOAD_KEY.fullmatch(source.key).group(1)
        name = SAFE_NAME.sub("_", source.display).lstrip(".") or "upload.toml"
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.iterdir()):
            (folder / name).write_bytes(data)
        self._sources[source.key] = source

    def source(self, key) -> Source:
        """The scenario a page state names: a shipped scenario by name, or ``upload:<hash>``;
        :class:`PageError` for anything else."""
        if not isinstance(key, str):
            raise PageError(f"unknown scenario {printable(str(key))!r}")
        if key in self._sources:
            return self._sources[key]
        m = UPLOAD_KEY.fullmatch(key)
        if m:
            folder = self.upload_dir() / m.group(1)
            files = sorted(folder.iterdir()) if folder.is_dir() else []
            if not files:
                raise PageError(f"the uploaded scenario {key} is not on this server (a share link "
                                "of another server, or its output folder was emptied): upload it")
            source = upload_source(files[0].read_bytes(), files[0].name)
        elif key in shipped.names():
            source = load_source(shipped.resolve(key), key)
        else:
            raise PageError(f"unknown scenario {printable(key)!r} (allowed: "
                            f"{', '.join(shipped.names())}, or an upload)")
        self._sources[key] = source
        return source
