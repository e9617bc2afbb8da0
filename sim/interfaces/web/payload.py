"""What a change of the page returns: the report's own rows and the figures' own statistics.

Numbers people read come from the functions that ``sim report`` and ``sim plot`` use, never from
a second computation: the target table and the peak-year rows are
:func:`sim.analysis.report.target_rows` and :func:`sim.analysis.report.peak_rows` (with their
``text``: the numbers as the report prints them; the browser shows these strings), the peak-year
distribution is :func:`sim.analysis.report.peak_distribution`, the bands are
:func:`sim.results.reading.quantiles` at :data:`sim.results.reading.QUANTILES` (as the fan chart),
and the wedge factors, energy by carrier and EAF targets are ``sim.plots.ensemble``'s. The page
adds only what a file does not hold: each target's name in both languages (built from the
scenario's target: scope, indicator, accounting, year and threshold, :func:`target_name`), the
Chinese phrase of its source, the customary Chinese units of its numbers (:func:`wan_text`), the
observed history of the region (:func:`observed`) and the hindcast's skill (:func:`skill`).

Every CO2 figure names its accounting (:data:`ACCOUNTINGS`): ``scope1`` is direct + process -
captured (``industrial_co2``, what the peak targets read), ``scope1+2`` adds the CO2 of the
electricity, heat and hydrogen industry buys (``industrial_co2_with_indirect``).
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import OrderedDict

import numpy as np
import xarray as xr

from sim.analysis import costs, decomposition, hindcast, report
from sim.analysis.peak import peak_by_year
from sim.core import axes, labels
from sim.core.indicators_registry import INDICATORS
from sim.core.levers import LEVERS, interpolate, resolve
from sim.core.units import GJ_PER_TCE
from sim.data import observed_activity
from sim.data.history import load_history
from sim.plots import ensemble as ensemble_plots
from sim.plots.common import MILESTONES
from sim.results import reading as results
from sim.scenario.errors import format_number

KEY_YEARS = MILESTONES
"""The years of the page's lever controls: the milestones the figures mark (dotted lines)."""
ACCOUNTINGS = {"scope1": "industrial_co2", "scope1+2": "industrial_co2_with_indirect"}
"""The page's two CO2 views: accounting -> the page Dataset's variable [Mt yr-1]."""
WAN_T_PER_MT = 100.0
"""[万吨 Mt-1]: 1 Mt = 100 万吨 (10^4 t), the customary Chinese unit of CO2 and production."""
WAN_TCE_PER_PJ = 1e6 / GJ_PER_TCE / 1e4
"""[万吨标准煤 PJ-1]: 1 PJ = 10^6 GJ = 34 121 tce at 29.3076 GJ tce-1 (GB/T 2589)."""
WAN_T_PER_KT = 0.1
"""[万吨 kt-1]: 1 kt = 0.1 万吨, the customary Chinese unit of air pollutants too."""
WAN_UNITS = {"Mt yr-1": (WAN_T_PER_MT, "wan_t"), "PJ yr-1": (WAN_TCE_PER_PJ, "wan_tce"),
             "kt yr-1": (WAN_T_PER_KT, "wan_t")}
"""Units with a customary Chinese counterpart: factor and its label (``labels.toml [unit]``)."""


def clean(x):
    """JSON-safe: NaN -> None, ±inf -> "inf"/"-inf" (lever bounds), NumPy -> Python."""
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "biu" or (x.dtype.kind == "f" and np.isfinite(x).all()):
            return x.tolist()  # Python numbers already, none NaN or infinite
        return clean(x.tolist())
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


# --- names and units people read --------------------------------------------------------------------
def indicator_units(name: str) -> str:
    """The units of an indicator (``sim.core.indicators_registry``), "" if it has none there."""
    return INDICATORS[name].units if name in INDICATORS else ""


def threshold_text(t) -> str:
    """A target's threshold as the report writes it (``sim.analysis.report``): a relative change
    or tolerance as a percentage, a share (units "1") as a percentage, else the number and its
    unit's label."""
    if t.condition == "below_peak":
        return report.percent(t.tolerance or 0.0, ".0%")
    if t.value is None:  # peak_by: the year is the threshold
        return ""
    if t.condition.startswith("change"):
        return report.percent(t.value, "+.0%")
    units = indicator_units(t.indicator)
    return report.value_text(t.value, units, t.condition)


def target_name(t, lang: str) -> str:
    """A target named by scope, indicator (with its CO2 accounting), year and threshold in
    ``lang``, e.g. "Anhui: industrial CO2 (direct + process - captured) in 2035 at least 2 % below
    its peak" (templates: ``labels.toml [target_name]``)."""
    scope = labels.label("region", t.scope, lang)
    indicator = labels.label("indicator", t.indicator, lang)
    if t.accounting:
        indicator = labels.text("target_name", "with_accounting", lang, indicator=indicator,
                                accounting=labels.label("accounting", t.accounting, lang))
    if t.condition in ("peak_by", "below_peak"):
        kind = t.condition
    elif t.condition.startswith("change"):
        kind = "change"
    else:
        kind = "level"
    op = t.condition[len("change"):] if kind == "change" else t.condition
    unit = indicator_units(t.indicator)
    value = threshold_text(t)
    if kind == "level" and unit not in ("1", "year"):
        value = f"{value} {labels.label('unit', unit, lang)}"
    return labels.text("target_name", kind, lang, scope=scope, indicator=indicator, year=t.year,
                       base=t.base_year or "", op=op, value=value)


def wan_text(x: float, units: str) -> str | None:
    """``x`` [``units``] in the customary Chinese unit (万吨 for Mt, 万吨标准煤 for PJ) as the
    report formats numbers, or None where the unit has no counterpart."""
    if units not in WAN_UNITS:
        return None
    factor, unit = WAN_UNITS[units]
    return f"{report.number_text(x * factor)} {labels.label('unit', unit, 'zh')}"


# --- statistics ---------------------------------------------------------------------------------------------
# The page takes them at every lever change, so they are computed on the page Dataset's NumPy
# arrays (member first, the same functions as sim.results.reading.quantiles and median call on
# them): the same numbers as xarray's selections, without their cost (tests/interfaces/
# test_page_payload.py compares the JSON with that of the xarray code).
BAND_Q = np.array([float(x) for x in results.QUANTILES])


def values_at(ds: xr.Dataset, name: str, **labels) -> np.ndarray:
    """``ds[name].sel(**labels).transpose("member", ...).values`` (one label per named
    dimension), read from the variable's array without building DataArrays."""
    var = ds.variables[name]
    key = tuple(position(ds, d, labels[d]) if d in labels else slice(None) for d in var.dims)
    rest = [d for d in var.dims if d not in labels]
    return np.moveaxis(var.values[key], rest.index("member"), 0)


def position(ds: xr.Dataset, dim: str, label) -> int:
    """The position of ``label`` on the coordinate ``dim`` of ``ds`` (KeyError if absent, as
    ``sel``)."""
    found = np.flatnonzero(ds.variables[dim].values == label)
    if len(found) != 1:
        raise KeyError(f"{label!r} is not one label of {dim}")
    return int(found[0])


def bands_of(x: np.ndarray) -> dict:
    """The fan chart's quantiles (:data:`sim.results.reading.QUANTILES`) over axis 0 (members) of
    ``x``, by their names (:data:`sim.results.reading.QUANTILE_LABELS`): {"p05": [...], ...}."""
    q = results.member_quantiles(x, BAND_Q)
    return {results.QUANTILE_LABELS[x]: q[i] for i, x in enumerate(results.QUANTILES)}


def median_of(x: np.ndarray) -> np.ndarray:
    """The median over axis 0 (members) of ``x`` (:func:`sim.results.reading.median`)."""
    return results.member_quantiles(x, decomposition.MEDIAN)[0]


def first_province(ds: xr.Dataset, name: str) -> np.ndarray:
    """``ds[name]`` of the page Dataset's one province (the shown region), member first."""
    return values_at(ds, name, province=ds.variables["province"].values[0])


def lmdi_factors(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """The (sector, year) medians of the shown region that the LMDI wedges take
    (``sim.analysis.decomposition.sector_medians``; ``sim.plots.ensemble.lmdi_factors``)."""
    carriers = list(ds.variables["carrier"].values)
    return decomposition.sector_medians(
        *(first_province(ds, name) for name in ("value_added", "final_energy", "co2_direct",
                                                  "co2_process", "co2_captured")),
        fossil=[carriers.index(c) for c in axes.FOSSIL_CARRIERS])


def summary(ds: xr.Dataset, region: str, rows: list[dict] | None = None) -> dict:
    """The charts' statistics of one page Dataset (``sim.interfaces.web.session.page_dataset``):
    the peak row and distribution, CO2 bands of both accountings, EAF bands, energy medians by
    carrier, the medians that the LMDI wedges (``sim.analysis.decomposition.co2_wedges``) take,
    the costs and the bands of each air pollutant [kt yr-1]. ``rows``: ``ds``'s
    :func:`sim.analysis.report.target_rows` if the caller has them."""
    eaf = first_province(ds, "eaf_share")
    energy = first_province(ds, "final_energy")  # (M,S,C,T)
    return dict(
        peak=dict(report.peak_rows(ds, [region])[0],
                  distribution=report.peak_distribution(ds, region)),
        fan={acc: bands_of(values_at(ds, name, region=region)) for acc, name in ACCOUNTINGS.items()},
        eaf=bands_of(eaf) if np.isfinite(eaf).any() else None,
        # energy_by_carrier (sim.plots.ensemble): the sum over sectors
        energy=median_of(np.sum(energy, axis=1)),
        factors=lmdi_factors(ds),
        probability={r["id"]: r for r in (report.target_rows(ds) if rows is None else rows)},
        costs=cost_summary(ds, region),
        pollutants={str(x): bands_of(values_at(ds, "industrial_pollutants", region=region,
                                               pollutant=x) / T_PER_KT)
                    for x in ds.variables["pollutant"].values},
    )


T_PER_KT = 1e3
POLLUTANT_UNITS = "kt yr-1"
"""The pollutants view's unit: ``industrial_pollutants`` [t yr-1] / :data:`T_PER_KT`."""


def pollutant_view(years: list[int], year: int, mine: dict, ref: dict) -> dict:
    """The pollutants view beside CO2 (``scope1``): per pollutant its bands and the reference's
    [kt yr-1], and in ``year`` the median as the report prints it, in 万吨, and its change
    against the reference (CO2 in Mt yr-1 as :func:`co2_card`)."""
    i = years.index(year)
    card = {}
    for x, b in mine["pollutants"].items():
        now, then = b["median"][i], ref["pollutants"][x]["median"][i]
        card[x] = dict(text=report.number_text(now), wan=wan_text(now, POLLUTANT_UNITS),
                       change=report.percent(now / then - 1.0, "+.1%") if then else "n/a")
    return dict(names=list(mine["pollutants"]), units=POLLUTANT_UNITS, year=year, card=card,
                scenario=mine["pollutants"],
                reference={x: ref["pollutants"][x] for x in mine["pollutants"]})


def cost_summary(ds: xr.Dataset, region: str) -> dict:
    """The costs view of ``region`` [bn CNY, 2019 prices]: bands of the annual total cost, the
    medians of its items (``sim.model.costs.COST_ITEMS``) and the present value 2025-2035 as the
    report prints it (``sim.analysis.costs``)."""
    bn = costs.BN
    total = bands_of(values_at(ds, "total_cost", region=region) / bn)
    items = median_of(values_at(ds, "cost_by_item", region=region)) / bn  # (cost_item, year)
    row = costs.cost_rows(ds, [region])[0]
    return dict(total=total, items=list(ds.variables["cost_item"].values), item_median=items,
                pv=row["text"]["median"], pv_range=row["text"]["range"], pv_median=row["median"],
                window=costs.window(ds))


def co2_card(years: list[int], year: int, mine: dict, ref: dict) -> dict:
    """The CO2 card in ``year``: per accounting the median [Mt yr-1] as the report prints it, in
    万吨, and its change against the reference."""
    i = years.index(year)
    out = {}
    for acc in ACCOUNTINGS:
        now, then = mine["fan"][acc]["median"][i], ref["fan"][acc]["median"][i]
        out[acc] = dict(text=report.number_text(now), wan=wan_text(now, "Mt yr-1"),
                        change=report.percent(now / then - 1.0, "+.1%") if then else "n/a")
    return dict(year=year, **out)


def peak_view(row: dict, years: list[int]) -> dict:
    """The peak row with its distribution split as the chart draws it: the share peaking in each
    year before the last (``by_year``, ``peak_years``) and, as its own category, the share not
    peaked by the last year (the report's ``not_peaked``), never a bar at the last year."""
    dist = list(row["distribution"])
    return dict(row, peak_years=years[:-1], by_year=dist[:-1])


def payload(ds: xr.Dataset, ref: dict, sc, region: str) -> dict:
    """What the page draws: the report's target rows of ``ds`` (each with its names in both
    languages, its seed phrase, the reference's P(attain) and, for Mt and PJ, the Chinese units)
    and administrative rows, and the charts of ``ds`` beside its reference's (``ref``: the
    reference run's :func:`summary`), wedges by LMDI group, the CO2 card of the peak target's
    year in both accountings and the observed history of ``region``."""
    years = [int(y) for y in ds["year"].values]
    by_target = {t.id: t for t in sc.targets}
    rows = report.target_rows(ds)
    mine = summary(ds, region, rows)
    targets = []
    for r in rows:
        t = by_target.get(r["id"])
        extra = dict(name_en=target_name(t, "en") if t else r["id"],
                     name_zh=target_name(t, "zh") if t else r["id"],
                     description=t.description if t else "", phrase=chinese_phrase(r["source"]),
                     accounting=t.accounting if t else None,
                     reference=ref["probability"].get(r["id"], {}).get("text"))
        if r["units"] in WAN_UNITS:
            extra["wan"] = dict(median=wan_text(r["median"], r["units"]),
                                range=f"{wan_text(r['p05'], r['units'])} .. "
                                      f"{wan_text(r['p95'], r['units'])}")
        targets.append(dict(r, **extra))
    by_id = {r["id"]: r for r in rows}
    wedges = decomposition.co2_wedges(ref["factors"], mine["factors"],
                                      steel=ds["sector"].values == "iron_steel")
    peak_by = peak_by_year(ds)
    energy_total = np.nansum(mine["energy"], axis=0)
    return clean(dict(
        region=region, members=int(ds.sizes["member"]), years=years, peak_by=peak_by,
        targets=targets, administrative=report.administrative(ds),
        co2=co2_card(years, peak_by, mine, ref) if peak_by in years else None,
        peak=dict(scenario=peak_view(mine["peak"], years), reference=peak_view(ref["peak"], years)),
        fan={acc: dict(scenario=mine["fan"][acc], reference=ref["fan"][acc]) for acc in ACCOUNTINGS},
        eaf=None if mine["eaf"] is None else dict(
            bands=mine["eaf"], reference=ref["eaf"],
            targets=[dict(id=t, threshold=v, year=y, condition=by_id[t]["condition"],
                          condition_zh=by_id[t]["condition_zh"])
                     for t, v, y, _ in ensemble_plots.eaf_targets(eaf_only(ds), region)]),
        energy=dict(carriers=list(ds["carrier"].values), median=mine["energy"],
                    reference=ref["energy"],
                    wan_last=wan_text(energy_total[-1], "PJ yr-1"),
                    total_last=report.number_text(energy_total[-1])),
        wedges=dict(method="lmdi", names=list(decomposition.LMDI_GROUPS), values=wedges,
                    total=wedges.sum(axis=0)),
        observed=observed(region),
        pollutants=pollutant_view(years, years[-1], mine, ref),
        costs=dict(scenario=mine["costs"], reference=ref["costs"],
                   pv_change=costs.money(mine["costs"]["pv_median"] - ref["costs"]["pv_median"])),
    ))


def eaf_only(ds: xr.Dataset) -> xr.Dataset:
    """The target coordinates of ``ds``'s EAF-share targets and its provinces, all that
    ``sim.plots.ensemble.eaf_targets`` reads (it picks those targets, reading each target's
    coordinates one by one from the Dataset: the national scenario has 53)."""
    if "target_indicator" not in ds.coords or ds.sizes["target"] <= 10:
        return ds  # few targets: read from the Dataset itself sooner than a new one is made
    keep = np.flatnonzero(ds.variables["target_indicator"].values == "eaf_share")
    coords = {k: ds.variables[k][keep] for k in ds.coords if ds.variables[k].dims == ("target",)}
    return xr.Dataset(coords=dict(coords, province=ds.variables["province"]))


# --- what was observed, and how well the model hindcasts it ------------------------------------------------
@functools.cache
def observed(region: str) -> dict:
    """The observed history the charts draw for ``region`` (a province or "national"): CEADs
    industrial CO2 2010-2019 of the nine modelled sectors (direct + process, the ``scope1``
    accounting; national: the sum of the provinces CEADs covers, which leaves out Tibet) [Mt yr-1]
    (``sim.data.history``), and the scrap-EAF share of crude steel 2019-2024 estimated from NBS
    crude steel and pig iron [1] (``sim.data.observed_activity.eaf_estimate``)."""
    h = load_history()
    co2 = h.co2.sum(axis=(2, 3))  # (Y, P): NaN for a province CEADs does not cover
    if region == "national":
        covered = np.isfinite(co2).all(axis=0)
        values = co2[:, covered].sum(axis=1)
        missing = [p for p, ok in zip(axes.PROVINCES, covered) if not ok]
    else:
        values = co2[:, axes.PROVINCES.index(region)]
        missing = [] if np.isfinite(values).all() else [region]
    years = (axes.BASE_YEAR,) + observed_activity.OBSERVED_YEARS
    eaf, crude = observed_activity.eaf_estimate(None if region == "national" else [region], years)
    ok = np.isfinite(eaf) & np.isfinite(crude)
    steel = np.where(ok, crude, 0.0).sum(axis=0)
    share = np.where(steel > 0, np.where(ok, eaf, 0.0).sum(axis=0) / np.where(steel > 0, steel, 1.0),
                     np.nan)
    return clean(dict(
        co2=dict(years=list(h.years), values=values, accounting="scope1",
                 missing=[labels.table("region")[p] for p in missing]),
        eaf=dict(years=list(years), values=share),
    ))


@functools.cache
def skill() -> dict:
    """The out-of-sample skill of the model the page cites beside the observed history: the
    2015 -> 2019 ensemble hindcast (``sim.analysis.hindcast.ensemble``: 2010-2015 fit, observed
    activity): the share of CEADs 2019 province x sector CO2 cells and of CEC electricity
    sector-years inside its 5-95 % band, with their counts; and its CRPS skill scores against
    persistence and the 2010-2015 trend, for province x sector cells and province totals
    (``sim.analysis.hindcast.skill``)."""
    c = hindcast.ensemble()
    out = dict(members=c.members, start=hindcast.START, end=hindcast.END,
               co2_coverage=report.percent(c.co2_coverage), co2_cells=int(c.co2_cells.sum()),
               elec_coverage=report.percent(c.elec_coverage), elec_cells=int(c.elec_cells.sum()),
               band=f"{hindcast.BAND[0]:.0f}-{hindcast.BAND[1]:.0f} %", crps=None)
    scores = hindcast.skill(c)  # CRPS skill against persistence and the 2010-2015 trend
    out["crps"] = {f"{k.scope} / {versus}": report.number_text(value)
                   for k in (scores.cells, scores.provinces)
                   for versus, value in (("persistence", k.skill_persistence),
                                         ("trend", k.skill_trend)) if np.isfinite(value)}
    return clean(out)


# --- the lever controls ---------------------------------------------------------------------------------
def lever_state(sc) -> dict:
    """Per lever the values the page's controls show at the key years: the lever's own points
    (``""``) and, where sector overrides are allowed, each sector's value (own points and
    sector override; province overrides are not edited on the page); ``text``: the same as the
    scenario check writes them (``sim.scenario.errors.format_number``); ``points``: the
    scenario's own points of the lever and of each sector ([year, text], also those before the
    first key year), and ``at_point``: whether a key year is one of them (else the value shown is
    interpolated or held)."""
    years = tuple(y for y in KEY_YEARS if y <= sc.years[-1])  # a value depends on its year alone
    return {name: lever_controls(name, sc.levers.get(name), years) for name in LEVERS}


LEVER_CACHE = 512
"""Lever control states kept (:func:`lever_controls`): a lever change moves one lever, and the
others' controls are those of the change before."""
_LEVER_CONTROLS: OrderedDict = OrderedDict()
_LEVER_LOCK = threading.Lock()


def lever_controls(name: str, spec, years: tuple[int, ...]) -> dict:
    """:func:`lever_state` of lever ``name`` set by ``spec`` (a ``sim.core.levers.LeverSpec``, or
    None: not set) at the key years ``years``. A function of these alone, kept by them (the
    spec by its ``repr``, which spells every point, interpolation and override) for the next
    change; the result is shared, so it is not to be changed."""
    key = (name, repr(spec), years)
    with _LEVER_LOCK:
        hit = _LEVER_CONTROLS.get(key)
        if hit is not None:
            _LEVER_CONTROLS.move_to_end(key)
            return hit
    out = _lever_controls(LEVERS[name], spec, np.array(years))
    with _LEVER_LOCK:
        _LEVER_CONTROLS[key] = out
        while len(_LEVER_CONTROLS) > LEVER_CACHE:
            _LEVER_CONTROLS.popitem(last=False)
    return out


def _lever_controls(lv, spec, years: np.ndarray) -> dict:
    levels = {}
    base = np.full(len(years), float(lv.default))
    if spec is not None:
        base = interpolate(spec.base.points, years, spec.base.interpolation or "linear", base)
    levels[""] = list(base)
    own = {"": spec.base.points if spec is not None else ()}
    for s in editable_sectors(lv):
        levels[s] = list(resolve(spec, lv.default, "", s, years)) if spec else list(base)
        sector = spec.sector.get(s) if spec is not None else None
        own[s] = sector.points if sector is not None else ()
    return clean(dict(set=spec is not None, levels=levels,
                      text={k: [format_number(x) for x in v] for k, v in levels.items()},
                      points={k: [[int(y), format_number(v)] for y, v in p] for k, p in own.items()},
                      at_point={k: [int(y) in {int(py) for py, _ in p} for y in years]
                                for k, p in own.items()},
                      province_overrides=sorted({p for p in (spec.province if spec else {})}
                                                | {p for p, _ in (spec.province_sector if spec
                                                                  else {})})))


def editable_sectors(lv) -> tuple[str, ...]:
    """Sectors a lever can be set for on the page (its own sectors, where overrides are allowed
    and it applies to more than one)."""
    return lv.sectors if lv.sector_overrides and lv.per_province_sector and len(lv.sectors) > 1 else ()


SLIDER_STEPS = 1000
"""Positions of a lever's slider (0 .. SLIDER_STEPS)."""
RATE_KNOT = (0.7, 0.1)
"""A rate lever's slider [yr-1] (phase-out, efficiency retrofit: 0..1 a year, realistic a few
percent): 70 % of the slider covers 0-10 % a year, the rest 10-100 %."""
RATIO_TOP = 3.0
"""An unbounded lever's slider (capacity replacement ratio, 0..inf) ends at 3 and then inf."""


def slider_scale(lv) -> dict:
    """A lever's slider: ``knots`` [[position 0..1, value], ...] joined linearly (piecewise, so
    the realistic values take most of the slider: :data:`RATE_KNOT`), the value ``step`` of each
    segment, and ``inf``: whether the slider's end stands for infinity (:data:`RATIO_TOP`)."""
    high = RATIO_TOP if math.isinf(lv.high) else float(lv.high)
    low = float(lv.low)
    if lv.unit == "yr-1" and low == 0.0 and high >= 5 * RATE_KNOT[1]:
        pos, value = RATE_KNOT
        return dict(knots=[[0.0, 0.0], [pos, value], [1.0, high]], steps=[0.001, 0.01],
                    inf=False)
    span = high - low
    step = 10.0 ** math.floor(math.log10(span / 100.0)) if span > 0 else 0.01
    if math.isinf(lv.high):
        return dict(knots=[[0.0, low], [0.95, high], [1.0, high]], steps=[step, 0.0], inf=True)
    return dict(knots=[[0.0, low], [1.0, high]], steps=[step], inf=False)
