"""``sim serve``: a local web page for planners with live Monte-Carlo (issue #15, DESIGN §10).

One small ASGI app (Starlette, served by uvicorn) and one static page (``sim/interfaces/web/``: HTML, vanilla
JS, CSS) that draws with plotly.js, served from the installed ``plotly`` package (nothing from a
CDN). The server answers every change with JSON (target table, peak years, quantile bands,
medians); the browser draws. It calls the same functions as the command line:

* a page state (scenario document + province choice + lever edits + members) becomes a TOML
  text (``tomli_w``) that is parsed back (``tomllib``) and validated by
  :func:`sim.scenario.scenario_from_document`: one code path for files and page values, the
  same one-line message for an out-of-range value, and the downloaded TOML *is* that text;
* :func:`sim.model.run.prepare` / :func:`sim.model.run.run_chunk` / :func:`sim.model.run.finalize` run it,
  :func:`sim.analysis.report.target_rows` / :func:`sim.analysis.report.peak_rows` make the tables, ``sim.plots.figures``'s
  data helpers (``wedges``, ``eaf_share``, ``eaf_targets``, ``energy_by_carrier``) the charts'
  data, :func:`sim.results.ensemble.write_ensemble`, :func:`sim.results.export.export_iamc` and
  :func:`sim.plots.figures.write_figures` the downloads.

Per session (a random cookie): the chosen scenario, province and lever edits, the baseline run
(the scenario without levers, same seed and members), the kernel-output buffers of the live
member count, and a generation counter. The base state is loaded once per process, the kernel
compiled (or loaded from Numba's cache) before the server listens. Every change increments the
generation; a run that finds a newer generation when it starts, between chunks, or when it ends
is dropped (``superseded``) instead of being queued ahead of the newer change.

Safety: the server binds 127.0.0.1 unless ``--host``; uploads are parsed (TOML), never executed,
and limited to :data:`MAX_UPLOAD_BYTES`; an uploaded scenario's catalogues are looked up in the
shipped scenarios' folder only (the scenario check refuses paths leaving it); downloads are
chosen by a fixed kind, never by a path, and are written only to ``<out>/<session id>/``.
"""

from __future__ import annotations

import contextlib
import copy
import io as _io
import json
import math
import re
import secrets
import threading
import time
import tomllib
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import tomli_w
import xarray as xr

from sim.analysis import decomposition, report
from sim.core import axes, shipped
from sim.core import axes as ax_
from sim.core.indicators import eaf_share
from sim.core.levers import LABELS as LEVER_LABELS
from sim.core.levers import LEVERS, interpolate, resolve
from sim.data.base_state import load_base_state
from sim.model import run as model
from sim.model.kernel import allocate_outputs
from sim.results.run import run_scenario
from sim.plots import ensemble as ensemble_plots
from sim.plots import figures as plots
from sim.results import export
from sim.results import reading as results
from sim.results.reading import member_quantiles
from sim.scenario import ScenarioError, printable, read_document, scenario_from_document
from sim.scenario.uncertainty import sample

LIVE_MEMBERS = 500
"""Members of a live run (each lever change): P(attain) to within ±2.2 points (1 s.e.)."""
PRECISE_MEMBERS = 2000
"""Members of the "more precise" run (±1.1 points), run in the background, chunk by chunk."""
PRECISE_CHUNK = 250
KEY_YEARS = (2025, 2030, 2035)
MAX_UPLOAD_BYTES = 256 << 10
"""[bytes] Largest uploaded scenario (the shipped ones are < 20 KB)."""
MAX_SESSIONS = 32
"""Sessions kept in memory; the least recently used one is dropped beyond this."""
ALL = "all"  # province choice: every province (the whole country)
OWN = ""  # province choice: the scenario's own provinces
SESSION_COOKIE = "sim_session"
_SESSION_ID = re.compile(r"[0-9a-f]{32}")
WEB = Path(__file__).resolve().parent / "web"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
NEEDED = frozenset({"value_added", "final_energy", "production", "co2_direct", "co2_process",
                    "co2_captured"})
"""Kernel variables the page needs (run_chunk always adds CO2, targets and peak years)."""
_EXTENSIVE = ("value_added", "final_energy", "co2_direct", "co2_process", "co2_captured")

SECTOR_LABELS = {
    "iron_steel": ("Iron & steel", "钢铁"), "nonferrous": ("Non-ferrous metals", "有色金属"),
    "nonmetallic_minerals": ("Non-metallic minerals", "建材"), "chemicals": ("Chemicals", "化工"),
    "petroleum_coking": ("Petroleum refining & coking", "石化与炼焦"), "paper": ("Pulp & paper", "造纸"),
    "textiles": ("Textiles", "纺织"), "machinery": ("Machinery", "机械"),
    "other_industry": ("Other industry", "其他工业"),
}
CARRIER_LABELS = {
    "coal": ("Coal", "煤炭"), "oil": ("Oil", "石油"), "gas": ("Natural gas", "天然气"),
    "electricity": ("Electricity", "电力"), "heat": ("Heat", "热力"), "hydrogen": ("Hydrogen", "氢能"),
    "biomass": ("Biomass", "生物质"),
}
UNIT_LABELS = {  # lever and target units as written in the registries -> (en, zh)
    "1": ("share", "比例"), "yr-1": ("per year", "每年"), "year": ("year", "年"),
    "Mt yr-1": ("Mt/yr", "百万吨/年"), "kg CNY-1": ("kg CO2/CNY", "千克CO2/元"),
    "kgce CNY-1": ("kgce/CNY", "千克标准煤/元"), "PJ yr-1": ("PJ/yr", "PJ/年"),
}
WEDGE_LABELS_ZH = ("经济活动（工业增加值总量）", "产业结构", "能效（不含钢铁）", "钢铁工艺与能效",
                   "电气化与非化石能源", "燃料替代", "工艺过程排放强度（窑炉）", "CCUS（碳捕集）",
                   "未分解（零值）")


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
    """Compile (or load from Numba's cache) the kernel and load the base state; seconds taken."""
    t0 = time.perf_counter()
    sc = load_source(shipped.resolve("anhui")).scenario
    model.run_chunk(model.prepare(sc, members=2, base=base_state()), 0, 2)
    return time.perf_counter() - t0


# --- scenario sources and page documents -------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """A scenario as chosen on the page: its parsed document, where its catalogues are looked
    up (``path``: a shipped file, or for an upload a name in the shipped folder) and the name
    messages use (``display``)."""

    doc: dict
    path: Path
    display: str
    scenario: Any  # the validated sim.scenario.Scenario of the unchanged document


def load_source(path: Path) -> Source:
    """A shipped (or local) scenario file, validated as ``sim run`` would."""
    text, doc = read_document(path)
    return Source(doc, Path(path), Path(path).name, scenario_from_document(doc, text, path))


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
        raise PageError(f"{display}: not UTF-8 text ({e})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PageError(f"{display}: malformed TOML: {e}") from None
    except RecursionError:
        raise PageError(f"{display}: malformed TOML: arrays or tables nested too deeply") from None
    path = shipped.SHIPPED_DIR / "uploaded.toml"  # catalogues: the shipped targets/ folder
    return Source(doc, path, display, scenario_from_document(doc, text, path, display))


def _prune_provinces(table: dict, simulated: tuple[str, ...]) -> None:
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


def document(source: Source, province: str, edits: dict, members: int) -> dict:
    """The page's scenario document: ``source``'s with the province choice (``OWN``, ``ALL`` or
    a province), the lever edits ``{(lever, sector or "", year): value}`` as points and
    ``members``. Choosing other provinces than the scenario's drops its ``target_ids`` (every
    catalogue target that applies is checked) and its overrides of provinces not simulated."""
    doc = copy.deepcopy(source.doc)
    sc = doc.get("scenario")
    if isinstance(sc, dict):
        if province != OWN:
            chosen = axes.PROVINCES if province == ALL else (province,)
            sc["provinces"] = ALL if province == ALL else [province]
            if tuple(chosen) != tuple(source.scenario.provinces):
                sc.pop("target_ids", None)
                for name, t in list(doc.get("levers", {}).items()):
                    if isinstance(t, dict):
                        _prune_provinces(t, chosen)
                        if not t:
                            del doc["levers"][name]
                if isinstance(doc.get("growth"), dict):
                    _prune_provinces(doc["growth"], chosen)
        sc["members"] = int(members)
    for (lever, sector, year), value in edits.items():
        t = doc.setdefault("levers", {}).setdefault(lever, {})
        if sector:
            t = t.setdefault("sector", {}).setdefault(sector, {})
        t[str(year)] = value
    return doc


def without_levers(doc: dict) -> dict:
    """The baseline of a page document: the same without any lever (no policy)."""
    doc = copy.deepcopy(doc)
    doc.pop("levers", None)
    return doc


def to_text(doc: dict, header: str = "") -> str:
    """``doc`` as TOML text after ``header``."""
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
    """The region the page shows: the scenario's only province, else ``national``."""
    return sc.provinces[0] if len(sc.provinces) == 1 else "national"


def _reduce(ds: xr.Dataset, region: str) -> xr.Dataset:
    """One chunk's Dataset cut to what the page shows of ``region``: targets, peak years, CO2 of
    every region, and the extensive variables and EAF share of the region alone (a province axis
    of length 1 labelled ``region``, so ``sim.plots.figures``' helpers read it as a one-province file).
    Every array is new (none views the kernel outputs, which are reused)."""
    provinces = [str(p) for p in ds["province"].values]
    i = None if region == "national" else provinces.index(region)
    pick = slice(None) if i is None else slice(i, i + 1)

    def cut(name):  # (member, province, ...) -> (member, 1, ...), summed over the provinces
        x = ds[name].values
        return x.sum(axis=1, keepdims=True) if i is None else x[:, pick].copy()

    data = {name: (ds[name].dims, ds[name].values) for name in
            ("target_value", "target_attained", "peak_year", "plateau_start_year",
             "industrial_co2")}
    for name in _EXTENSIVE:
        data[name] = (ds[name].dims, cut(name))
    steel = ds["production"].sel(route=list(axes.ROUTE_NAMES["iron_steel"])).values[:, pick]  # (M,p,R,T)
    data["eaf_share"] = (("member", "province", "year"),
                         eaf_share(steel, route_axis=2, province_axis=1)[:, None, :])
    coords = {k: v for k, v in ds.coords.items() if "province" not in v.dims}
    coords["province"] = ("province", [region])
    return xr.Dataset(data, coords=coords)


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
            parts.append(_reduce(ds, region))
            del ds
    ds = parts[0] if len(parts) == 1 else xr.concat(parts, "member", data_vars="minimal",
                                                      coords="minimal", compat="override",
                                                      join="override")
    return model.finalize(ds, prep)


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
        """Kernel outputs of these sizes for one run, reused if free and kept for the next run."""
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


def _clean(x):
    """JSON-safe: NaN -> None, ±inf -> "inf"/"-inf", NumPy -> Python."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(x, np.integer):
        return int(x)
    return x


_CJK = re.compile(r"[\u3400-\u9fff]")


def chinese_phrase(source: str) -> str:
    """The first Chinese phrase of a target's ``source`` ("003: 短流程炼钢比例达到 20% 以上" ->
    "短流程炼钢比例达到 20% 以上"), or "" if it has none."""
    for piece in re.split(r";\s*", source):
        text = re.sub(r"^\s*\d{3}(\s*S\d)?\s*:\s*", "", piece).strip()
        if _CJK.search(text):
            return re.sub(r"\s*\((?:the|a|an)\b.*\)$", "", text)
    return ""


def _bands(x: np.ndarray) -> dict:
    """Quantile bands {p05, p25, p50, p75, p95} over the members (axis 0) of ``x``, with the
    statistic of the result files (``sim.results.reading.member_quantiles``: linear, NaN ignored)."""
    q = member_quantiles(np.asarray(x, dtype=float), np.array(QUANTILES))
    return {f"p{int(round(p * 100)):02d}": q[i] for i, p in enumerate(QUANTILES)}


def _median(x: np.ndarray) -> np.ndarray:

    return member_quantiles(np.asarray(x, dtype=float), np.array([0.5]))[0]


def summary(ds: xr.Dataset, region: str) -> dict:
    """The charts' statistics of one page Dataset (``_reduce``): CO2 and EAF bands, peak-year
    distribution, energy medians by carrier and the medians that the LMDI wedges
    (``sim.analysis.decomposition.co2_wedges``) take, as in ``sim.plots.ensemble.wedges``."""
    years = ds["year"].values
    py = ds["peak_year"].sel(region=region).values
    prob = np.bincount(np.searchsorted(years, py), minlength=len(years)) / len(py)
    fe = ds["final_energy"].isel(province=0).transpose("member", "sector", "carrier", "year").values
    fossil = [list(ax_.CARRIERS).index(c) for c in ax_.FOSSIL_CARRIERS]
    factors = {name: _median(ds[name].isel(province=0).transpose("member", "sector", "year").values)
               for name in ("value_added", "co2_direct", "co2_process", "co2_captured")}
    factors["energy"] = _median(fe.sum(axis=2))
    factors["fossil"] = _median(fe[:, :, fossil].sum(axis=2))
    eaf = ds["eaf_share"].isel(province=0).transpose("member", "year").values
    return dict(
        peak=dict(report.peak_rows(ds, [region])[0], probability=prob),
        fan=_bands(ds["industrial_co2"].sel(region=region).transpose("member", "year").values),
        eaf=_bands(eaf) if np.isfinite(eaf).any() else None,
        energy=_median(fe.sum(axis=1)),  # (carrier, year)
        factors=factors,
    )


def payload(ds: xr.Dataset, base: dict, sc, region: str) -> dict:
    """What the page draws: the target table of ``ds`` and the charts of ``ds`` beside its
    baseline's (``base``: the baseline's :func:`summary`), wedges by LMDI group."""
    years = ds["year"].values
    descriptions = {t.id: t.description for t in sc.targets}
    ids = list(ds["target"].values)
    rows = []
    for r in report.target_rows(ds):
        j = ids.index(r["id"])
        r.update(name_en=descriptions.get(r["id"]) or r["id"], name_zh=chinese_phrase(r["source"]),
                 indicator=str(ds["target_indicator"].values[j]),
                 cond=str(ds["target_condition"].values[j]),
                 threshold=float(ds["target_threshold"].values[j]))
        rows.append(r)
    mine = summary(ds, region)
    wedges = decomposition.co2_wedges(base["factors"], mine["factors"],
                                      steel=ds["sector"].values == "iron_steel")
    return _clean(dict(
        region=region, members=int(ds.sizes["member"]), years=years, targets=rows,
        peak=dict(scenario=mine["peak"], baseline=base["peak"]),
        fan=dict(scenario=mine["fan"], baseline=base["fan"]),
        eaf=None if mine["eaf"] is None else dict(
            bands=mine["eaf"], baseline=base["eaf"],
            targets=[dict(id=t, threshold=v, year=y, condition=c)
                     for t, v, y, c in ensemble_plots.eaf_targets(ds, region)]),
        energy=dict(carriers=list(ds["carrier"].values), median=mine["energy"],
                    baseline=base["energy"]),
        wedges=dict(method="lmdi", names=list(decomposition.LMDI_GROUPS), values=wedges,
                    total=wedges.sum(axis=0)),
    ))


def lever_state(sc) -> dict:
    """Per lever the values the page's controls show at the key years: the lever's own points
    (``""``) and, where sector overrides are allowed, each sector's value (own points and
    sector override; province overrides are not edited on the page)."""
    years = np.array([y for y in KEY_YEARS if y <= sc.years[-1]])  # a value depends on its year alone
    out = {}
    for name, lv in LEVERS.items():
        spec = sc.levers.get(name)
        levels = {}
        base = np.full(len(years), float(lv.default))
        if spec is not None:
            base = interpolate(spec.base.points, years, spec.base.interpolation or "linear", base)
        levels[""] = list(base)
        for s in editable_sectors(lv):
            levels[s] = list(resolve(spec, lv.default, "", s, years)) if spec else list(base)
        out[name] = dict(set=spec is not None, levels=levels,
                         province_overrides=sorted({p for p in (spec.province if spec else {})}
                                                   | {p for p, _ in (spec.province_sector if spec
                                                                     else {})}))
    return _clean(out)


def editable_sectors(lv) -> tuple[str, ...]:
    """Sectors a lever can be set for on the page (its own sectors, where overrides are allowed
    and it applies to more than one)."""
    return lv.sectors if lv.sector_overrides and lv.per_province_sector and len(lv.sectors) > 1 else ()


def meta() -> dict:
    """Everything the page needs to build its controls: the lever registry, provinces, shipped
    scenarios and labels in both languages."""
    return _clean(dict(
        scenarios=[n for n in shipped.names() if (shipped.SHIPPED_DIR / f"{n}.toml").is_file()
                   or Path("scenarios", f"{n}.toml").is_file()],
        provinces=[dict(name=p, zh=axes.PROVINCE_ZH[p], iso=axes.PROVINCE_ISO[p])
                   for p in axes.PROVINCES],
        key_years=KEY_YEARS, live_members=LIVE_MEMBERS, precise_members=PRECISE_MEMBERS,
        max_upload_bytes=MAX_UPLOAD_BYTES,
        levers=[dict(name=lv.name, unit=lv.unit, unit_en=UNIT_LABELS.get(lv.unit, (lv.unit,))[0],
                     unit_zh=UNIT_LABELS.get(lv.unit, (lv.unit, lv.unit))[1],
                     default=lv.default, low=lv.low, high=lv.high,
                     label_en=LEVER_LABELS[lv.name][0], label_zh=LEVER_LABELS[lv.name][1],
                     description=lv.description, sectors=editable_sectors(lv))
                for lv in LEVERS.values()],
        sectors={s: SECTOR_LABELS[s] for s in axes.SECTORS},
        carriers={c: CARRIER_LABELS[c] for c in axes.CARRIERS},
        units=UNIT_LABELS,
        wedges_zh=WEDGE_LABELS_ZH,
    ))


# --- sessions -------------------------------------------------------------------------------------------
@dataclass
class Shown:
    """The run whose numbers the page shows."""

    text: str  # the scenario TOML it ran (the download)
    scenario: Any
    prep: Any
    result: dict


@dataclass
class Session:
    """One browser session's state; only its own requests touch it."""

    id: str
    source: Source
    out_dir: Path
    live_members: int = LIVE_MEMBERS
    province: str = OWN
    edits: dict = field(default_factory=dict)
    generation: int = 0
    shown: Shown | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _baseline: dict = field(default_factory=dict)  # baseline document -> its summary()
    _designs: dict = field(default_factory=dict)  # (uncertainty, members, seed) -> design

    def next_generation(self) -> int:
        """Called (in the event loop) when a change arrives: older runs become superseded."""
        self.generation += 1
        return self.generation

    def _check(self, generation: int) -> None:
        if self.generation != generation:
            raise Superseded()

    def _baseline_of(self, doc: dict, source: Source, members: int, check):

        plain = without_levers(doc)
        key = (to_text(plain), source.path, source.display)
        if key not in self._baseline:
            _, sc = validate(plain, source)
            prep = model.prepare(sc, base=base_state())
            region = region_of(sc)
            stats = summary(run_members(prep, region, check, PRECISE_CHUNK), region)
            while len(self._baseline) >= 2:  # the live and the precise member count
                self._baseline.pop(next(iter(self._baseline)))
            self._baseline[key] = stats
        return self._baseline[key]

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
               timer: dict | None = None) -> dict:
        """Apply one change and run it (in a worker thread). The change is validated first: if
        it is invalid, :class:`ScenarioError` is raised and the state is unchanged. A valid change
        is kept even when its run is superseded (:class:`Superseded`), so a newer change builds on
        it."""
        with self.lock:
            new_source = source or self.source
            new_province = OWN if (reset or source is not None) else (
                self.province if province is None else province)
            new_edits = {} if (reset or source is not None) else dict(self.edits)
            for lever, sector, year, value in edits:  # in order: the last value of a point wins
                new_edits[(lever, sector, int(year))] = page_value(value)
            n = members or self.live_members
            doc = document(new_source, new_province, new_edits, n)
            t0 = time.perf_counter()
            text, sc = validate(doc, new_source)  # ScenarioError: nothing changes, nothing runs
            self.source, self.province, self.edits = new_source, new_province, new_edits
            self._check(generation)
            t1 = time.perf_counter()

            def check():
                self._check(generation)

            baseline = self._baseline_of(doc, new_source, n, check)
            t2 = time.perf_counter()
            prep = model.prepare(sc, base=base_state(), samples=self._design(doc, sc))
            region = region_of(sc)
            ds = run_members(prep, region, check, None if members is None else PRECISE_CHUNK)
            t3 = time.perf_counter()
            result = payload(ds, baseline, sc, region)
            self._check(generation)
            t4 = time.perf_counter()
            if timer is not None:
                timer.update(validate=t1 - t0, baseline=t2 - t1, run=t3 - t2, payload=t4 - t3)
            result["timing_ms"] = round((t4 - t0 - (t2 - t1)) * 1000, 1)
            self.shown = Shown(text, sc, prep, result)
            return self.state()

    def state(self) -> dict:
        """The page's state as JSON data: scenario, province, edits, levers and the shown result."""
        sh = self.shown
        sc = sh.scenario
        return dict(
            status="ok", generation=self.generation,
            scenario=dict(name=sc.name, file=self.source.display, description=sc.description,
                          provinces=list(sc.provinces), members=sh.prep.members, seed=sh.prep.seed,
                          own_provinces=list(self.source.scenario.provinces)),
            province=self.province,
            edits=[dict(lever=k[0], sector=k[1], year=k[2], value=_clean(v))
                   for k, v in self.edits.items()],
            levers=lever_state(sc), result=sh.result)

    # --- downloads -------------------------------------------------------------------------------
    def folder(self) -> Path:
        """The session's download folder ``<out_dir>/<session id>/``, created if needed."""
        assert _SESSION_ID.fullmatch(self.id)
        d = (self.out_dir / self.id).resolve()
        if not d.is_relative_to(self.out_dir.resolve()):
            raise PageError("output folder outside the server's output folder")
        d.mkdir(parents=True, exist_ok=True)
        return d

    def download_text(self) -> str:
        """The shown run's scenario TOML: ``sim run`` on it (next to the shipped ``targets/``
        catalogues) reproduces the page's numbers exactly (same seed, same members)."""
        sh = self.shown
        header = (f"# Scenario {sh.scenario.name} as edited on the sim serve page "
                  f"({sh.prep.members} members, seed {sh.prep.seed}).\n"
                  "# Its target catalogues (scenario.targets) are looked up relative to this "
                  "file: save it in a folder with the\n"
                  f"# shipped targets/ folder ({shipped.SHIPPED_DIR}), then: sim run <file>\n\n")
        return header + sh.text

    def write_netcdf(self) -> Path:
        """The shown run written as NetCDF by the one run path (same members and seed)."""
        with self.lock:
            sh = self.shown
            path = self.folder() / f"{sh.scenario.name}.nc"
            return run_scenario(sh.scenario, path, command="sim serve", prepared=sh.prep).path

    def write_iamc(self) -> Path:
        """The shown run's IAMC table (CSV) next to its NetCDF file."""
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
        buf = _io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, p.name)
        path.write_bytes(buf.getvalue())
        return path


class Sessions:
    """The sessions of one server, least recently used first."""

    def __init__(self, initial: Path, out_dir: Path, live_members: int = LIVE_MEMBERS):
        self.initial = initial
        self.out_dir = Path(out_dir)
        self.live_members = live_members
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self._source = None

    def new(self) -> Session:
        """A new session on the initial scenario; the least recently used beyond MAX_SESSIONS go."""
        if self._source is None:
            self._source = load_source(self.initial)
        s = Session(secrets.token_hex(16), self._source, self.out_dir, self.live_members)
        with self._lock:
            self._sessions[s.id] = s
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return s

    def get(self, sid: str | None) -> Session | None:
        """The session of cookie value ``sid`` (marked as recently used), or None."""
        if not sid or not _SESSION_ID.fullmatch(sid):
            return None
        with self._lock:
            s = self._sessions.get(sid)
            if s is not None:
                self._sessions.move_to_end(sid)
            return s


# --- the ASGI app -------------------------------------------------------------------------------------
def plotly_js() -> Path:
    """plotly.min.js of the installed ``plotly`` package (served locally, never from a CDN)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def create_app(initial: Path | None = None, out_dir: Path | str = Path("outputs") / "serve",
               live_members: int = LIVE_MEMBERS):
    """The Starlette app of ``sim serve``: the page, its static files and the JSON API."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    sessions = Sessions(initial or shipped.resolve("anhui"), Path(out_dir), live_members)

    def error(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"status": "error", "message": " ".join(str(message).split())},
                            status_code=status)

    def session_of(request: Request) -> Session | None:
        return sessions.get(request.cookies.get(SESSION_COOKIE))

    async def index(request: Request) -> Response:
        response = FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8")
        if session_of(request) is None:
            response.set_cookie(SESSION_COOKIE, sessions.new().id, httponly=True, samesite="strict")
        response.headers["Cache-Control"] = "no-store"
        return response

    async def vendor_plotly(request: Request) -> Response:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    async def api_meta(request: Request) -> Response:
        return JSONResponse(meta())

    async def run_change(request: Request, **change) -> Response:
        s = session_of(request)
        if s is None:
            return error("no session (cookies off, or the server restarted): reload the page", 401)
        generation = s.next_generation()
        try:
            state = await run_in_threadpool(s.change, generation, **change)
        except ScenarioError as e:
            return error(str(e))
        except PageError as e:
            return error(str(e))
        except Superseded:
            return JSONResponse({"status": "superseded", "generation": generation}, status_code=409)
        return JSONResponse(state)

    async def body_json(request: Request) -> dict:
        raw = await _read_limited(request, 64 << 10)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise PageError("request is not JSON") from None
        if not isinstance(data, dict):
            raise PageError("request is not a JSON object")
        return data

    async def api_state(request: Request) -> Response:
        s = session_of(request)
        if s is None:
            return error("no session (cookies off, or the server restarted): reload the page", 401)
        if s.shown is None:
            return await run_change(request, reset=True)
        return JSONResponse(s.state())

    async def api_change(request: Request) -> Response:
        try:
            data = await body_json(request)
            change = _parse_change(data)
        except PageError as e:
            return error(str(e))
        return await run_change(request, **change)

    async def api_scenario(request: Request) -> Response:
        try:
            data = await body_json(request)
            name = data.get("name")
            if not isinstance(name, str) or name not in meta()["scenarios"]:
                raise PageError(f"unknown scenario {printable(name)!r}")
            source = await run_in_threadpool(load_source, shipped.resolve(name))
        except (PageError, ScenarioError) as e:
            return error(str(e))
        return await run_change(request, source=source)

    async def api_upload(request: Request) -> Response:

        filename = unquote(request.headers.get("x-filename", "upload.toml"))
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = 0
        if length > MAX_UPLOAD_BYTES:
            return error(f"{printable(Path(filename).name)}: is {length:,} bytes (allowed: at most "
                         f"{MAX_UPLOAD_BYTES:,} for an uploaded scenario)", 413)
        try:
            data = await _read_limited(request, MAX_UPLOAD_BYTES, filename)
            source = await run_in_threadpool(upload_source, data, filename)
        except (PageError, ScenarioError) as e:
            return error(str(e), 413 if isinstance(e, TooLarge) else 400)
        return await run_change(request, source=source)

    async def api_download(request: Request) -> Response:
        s = session_of(request)
        if s is None or s.shown is None:
            return error("nothing to download yet: reload the page", 401)
        kind = request.path_params["kind"]
        name = s.shown.scenario.name
        if kind == "toml":
            return Response(s.download_text(), media_type="application/toml; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}-edited.toml"'})
        writers = {"nc": s.write_netcdf, "iamc": s.write_iamc, "figures": s.write_figures}
        if kind not in writers:
            return error(f"unknown download {printable(kind)!r} (allowed: toml, nc, iamc, figures)", 404)
        try:
            path = await run_in_threadpool(writers[kind])
        except (OSError, ValueError) as e:
            return error(f"cannot write the {kind} download: {e}", 500)
        return FileResponse(path, filename=path.name)

    routes = [
        Route("/", index),
        Route("/vendor/plotly.min.js", vendor_plotly),
        Route("/api/meta", api_meta),
        Route("/api/state", api_state),
        Route("/api/change", api_change, methods=["POST"]),
        Route("/api/scenario", api_scenario, methods=["POST"]),
        Route("/api/upload", api_upload, methods=["POST"]),
        Route("/api/download/{kind}", api_download),
        Mount("/static", StaticFiles(directory=WEB), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.sessions = sessions
    return app


async def _read_limited(request, limit: int, filename: str = "request") -> bytes:
    """The request body, refused beyond ``limit`` bytes (whatever Content-Length says)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{printable(Path(filename).name)}: is more than {limit:,} bytes "
                           f"(allowed: at most {limit:,})")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_change(data: dict) -> dict:
    """The keyword arguments of :meth:`Session.change` from a page request: one of ``reset``,
    ``province`` (``""`` = the scenario's, ``"all"``, or a province in any spelling),
    ``edits`` [{lever, sector, year, value}, ...] or ``precise``."""
    if data.get("reset"):
        return dict(reset=True)
    if data.get("precise"):
        return dict(members=PRECISE_MEMBERS)
    if "province" in data:
        p = data["province"]
        if p in (OWN, ALL):
            return dict(province=p)
        try:
            return dict(province=axes.resolve_province(p))
        except axes.UnknownProvince as e:
            raise PageError(str(e)) from None
    if isinstance(data.get("edits"), list) and data["edits"]:
        out = []
        for e in data["edits"]:
            if not isinstance(e, dict):
                raise PageError("an edit is {lever, sector, year, value}")
            lever, sector, year = e.get("lever"), e.get("sector") or "", e.get("year")
            if lever not in LEVERS:
                raise PageError(f"unknown lever {printable(lever)!r}")
            if sector and sector not in editable_sectors(LEVERS[lever]):
                raise PageError(f"lever {lever} cannot be set per sector {printable(sector)!r}")
            if year not in KEY_YEARS:
                raise PageError(f"year {printable(year)!r} is not a key year "
                                f"({', '.join(map(str, KEY_YEARS))})")
            out.append((lever, sector, year, e.get("value")))
        return dict(edits=out)
    raise PageError("unknown change (allowed: reset, precise, province, edits)")


def serve(initial: Path, host: str = "127.0.0.1", port: int = 8050,
          out_dir: Path = Path("outputs") / "serve", echo=print) -> None:
    """Warm up, say where the page is and serve until interrupted."""
    import uvicorn

    seconds = warm_up()
    app = create_app(initial, out_dir)
    app.state.sessions.new()  # loads and checks the initial scenario before listening
    where = ("only this machine can open it" if host in ("127.0.0.1", "localhost", "::1")
             else "other machines on the network can open it")
    echo(f"sim serve: http://{'[' + host + ']' if ':' in host else host}:{port}/ (bound to {host}: "
         f"{where}; --host changes it); scenario {initial.name}, kernel ready in {seconds:.1f} s; "
         f"downloads go to {Path(out_dir).resolve()}; Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")
