"""What a change of the page returns: the report's own rows and the figures' own statistics.

Numbers people read come from the functions that ``sim report`` and ``sim plot`` use, never from
a second computation: the target table and the peak-year rows are
:func:`sim.analysis.report.target_rows` and :func:`sim.analysis.report.peak_rows` (with their
``text``: the numbers as the report prints them; the browser shows these strings), the peak-year
distribution is :func:`sim.analysis.report.peak_distribution`, the bands are
:func:`sim.results.reading.quantiles` at :data:`sim.results.reading.QUANTILES` (as the fan chart),
and the wedge factors, energy by carrier and EAF targets are ``sim.plots.ensemble``'s. The page
adds only what a file does not hold: each target's description (from the scenario) and the
Chinese phrase of its source.
"""

from __future__ import annotations

import math
import re

import numpy as np
import xarray as xr

from sim.analysis import decomposition, report
from sim.analysis.peak import peak_by_year
from sim.core.levers import LEVERS, interpolate, resolve
from sim.plots import ensemble as ensemble_plots
from sim.plots.common import MILESTONES
from sim.results import reading as results
from sim.scenario.errors import format_number

KEY_YEARS = MILESTONES
"""The years of the page's lever controls: the milestones the figures mark (dotted lines)."""


def clean(x):
    """JSON-safe: NaN -> None, ±inf -> "inf"/"-inf" (lever bounds), NumPy -> Python."""
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.ndarray):
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


def bands(da: xr.DataArray) -> dict:
    """The fan chart's quantiles (:data:`sim.results.reading.QUANTILES`) of ``da`` over its
    members, by their names (:data:`sim.results.reading.QUANTILE_LABELS`): {"p05": [...], ...}."""
    q = results.quantiles(da, results.QUANTILES)
    return {results.QUANTILE_LABELS[x]: q.sel(quantile=x).values for x in results.QUANTILES}


def summary(ds: xr.Dataset, region: str) -> dict:
    """The charts' statistics of one page Dataset (``sim.interfaces.web.session.page_dataset``):
    the peak row and distribution, CO2 and EAF bands, energy medians by carrier and the
    medians that the LMDI wedges (``sim.analysis.decomposition.co2_wedges``) take."""
    factors, _ = ensemble_plots.lmdi_factors(ds, region)
    eaf = ds["eaf_share"].isel(province=0)
    return dict(
        peak=dict(report.peak_rows(ds, [region])[0],
                  distribution=report.peak_distribution(ds, region)),
        fan=bands(ds["industrial_co2"].sel(region=region)),
        eaf=bands(eaf) if np.isfinite(eaf.values).any() else None,
        energy=results.median(ensemble_plots.energy_by_carrier(ds).isel(province=0)).values,
        factors=factors,
    )


def payload(ds: xr.Dataset, base: dict, sc, region: str) -> dict:
    """What the page draws: the report's target rows of ``ds`` (with each target's description
    ``name_en`` and seed phrase ``name_zh``) and administrative rows, and the charts of ``ds`` beside its baseline's
    (``base``: the baseline's :func:`summary`), wedges by LMDI group, and the CO2 card of the
    peak target's year."""
    years = [int(y) for y in ds["year"].values]
    descriptions = {t.id: t.description for t in sc.targets}
    rows = report.target_rows(ds)
    targets = [dict(r, name_en=descriptions.get(r["id"]) or r["id"],
                    name_zh=chinese_phrase(r["source"])) for r in rows]
    by_id = {r["id"]: r for r in rows}
    mine = summary(ds, region)
    wedges = decomposition.co2_wedges(base["factors"], mine["factors"],
                                      steel=ds["sector"].values == "iron_steel")
    peak_by = peak_by_year(ds)
    co2 = None
    if peak_by in years:
        now, then = (s["fan"]["median"][years.index(peak_by)] for s in (mine, base))
        co2 = dict(year=peak_by, text=report.number_text(now),
                   change=report.percent(now / then - 1.0, "+.1%") if then else "n/a")
    return clean(dict(
        region=region, members=int(ds.sizes["member"]), years=years, peak_by=peak_by,
        targets=targets, administrative=report.administrative(ds), co2=co2,
        peak=dict(scenario=mine["peak"], baseline=base["peak"]),
        fan=dict(scenario=mine["fan"], baseline=base["fan"]),
        eaf=None if mine["eaf"] is None else dict(
            bands=mine["eaf"], baseline=base["eaf"],
            targets=[dict(id=t, threshold=v, year=y, condition=by_id[t]["condition"],
                          condition_zh=by_id[t]["condition_zh"])
                     for t, v, y, _ in ensemble_plots.eaf_targets(ds, region)]),
        energy=dict(carriers=list(ds["carrier"].values), median=mine["energy"],
                    baseline=base["energy"]),
        wedges=dict(method="lmdi", names=list(decomposition.LMDI_GROUPS), values=wedges,
                    total=wedges.sum(axis=0)),
    ))


def lever_state(sc) -> dict:
    """Per lever the values the page's controls show at the key years: the lever's own points
    (``""``) and, where sector overrides are allowed, each sector's value (own points and
    sector override; province overrides are not edited on the page); ``text``: the same as the
    scenario check writes them (``sim.scenario.errors.format_number``)."""
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
                         text={k: [format_number(x) for x in v] for k, v in levels.items()},
                         province_overrides=sorted({p for p in (spec.province if spec else {})}
                                                   | {p for p, _ in (spec.province_sector if spec
                                                                     else {})}))
    return clean(out)


def editable_sectors(lv) -> tuple[str, ...]:
    """Sectors a lever can be set for on the page (its own sectors, where overrides are allowed
    and it applies to more than one)."""
    return lv.sectors if lv.sector_overrides and lv.per_province_sector and len(lv.sectors) > 1 else ()
