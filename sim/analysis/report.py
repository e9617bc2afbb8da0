"""The report of an ensemble, computed from its Dataset alone: the target table, the peak-year
distribution, the air pollutants and the administrative targets, as rows (:func:`target_rows`,
:func:`peak_rows`, :func:`pollutant_rows`, :func:`administrative`) in text, Markdown, CSV and JSON.

Every target says whether the model's physics computes it (status ``simulated``) or an exogenous
trend with an uncertain rate stands in for it (``trend``; ``sim.core.indicators_registry``), and
the report lists both groups (:func:`status_lines`).

This module formats every number the report prints (:func:`value_text`, :func:`number_text`,
:func:`percent`, ``sim.analysis.convergence.error_text``); the rows carry those strings
(``text``), and the web page shows them rather than formatting its own. Conditions are worded
from ``sim.core.labels`` (English and Chinese); the peak-year threshold is the year of the peak
target (``sim.analysis.peak``).
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import xarray as xr

from sim.analysis import costs
from sim.analysis.convergence import ERROR_NOTE, error_text, rule_of_three, standard_error
from sim.analysis.peak import peak_by_year
from sim.core import labels
from sim.core.files import json_ready
from sim.results import reading as results
from sim.results.reading import REPORTED


def _members(ds: xr.Dataset) -> int:
    return int(ds.attrs.get("members", ds.sizes.get("member", 0)))


def target_rows(ds: xr.Dataset) -> list[dict]:
    """One dict per target: id, scope, year, condition (in English; ``condition_zh`` in
    Chinese), median, p05, p95, probability, its Monte-Carlo standard_error and rule_of_three
    bound (``sim.analysis.convergence``), units, status, source, and ``text``: median, range,
    probability and standard_error as the report prints them (the web page shows these strings)."""
    rows = []
    val = ds["target_value"]
    probability = ds["target_probability"].values
    n = _members(ds)
    col = _target_columns(ds)  # each coordinate read once (the page reads the rows at every change)
    if "member" in val.dims:
        per_member = val.values
        axis = val.dims.index("target")
    for j, tid in enumerate(col["target"]):
        if "member" in val.dims:
            v = np.take(per_member, j, axis=axis)
            v = v[np.isfinite(v)]
            q = np.quantile(v, REPORTED) if v.size else [np.nan] * 3
        else:  # summary detail: quantiles stored
            q = [float(x) for x in results.quantiles(val.isel(target=j), REPORTED).values]
        units = str(col["target_units"][j])
        cond = str(col["target_condition"][j])
        p = float(probability[j])
        rows.append(dict(
            id=str(tid),
            scope=str(col["target_scope"][j]),
            year=int(col["target_year"][j]),
            condition=_condition_text(col, j),
            condition_zh=_condition_text(col, j, "zh"),
            median=float(q[1]), p05=float(q[0]), p95=float(q[2]),
            probability=p,
            standard_error=standard_error(p, n),
            rule_of_three=rule_of_three(p, n),
            units=units,
            status=str(col["target_status"][j]),
            source=str(col["target_source"][j]),
            text=dict(median=value_text(q[1], units, cond),
                      range=f"{value_text(q[0], units, cond)} .. {value_text(q[2], units, cond)}",
                      probability=percent(p), standard_error=error_text(p, n)),
        ))
    return rows


CONDITION_COLUMNS = ("target", "target_year", "target_condition", "target_threshold")
"""The target coordinates a condition is worded from (with ``target_units``)."""


def _target_columns(ds: xr.Dataset, names: tuple[str, ...] = CONDITION_COLUMNS + (
        "target_scope", "target_status", "target_source")) -> dict[str, np.ndarray]:
    """The target coordinates ``names`` and ``target_units`` of ``ds`` as arrays by name (units
    "" in files written before them)."""
    col = {name: ds.variables[name].values for name in names}
    col["target_units"] = (ds.variables["target_units"].values if "target_units" in ds
                           else np.full(len(col["target"]), ""))  # older files
    return col


def condition_text(ds: xr.Dataset, j: int, lang: str = "en") -> str:
    """The condition of target ``j`` of ``ds`` as the report prints it (e.g. "change <= -18.0%"),
    in ``lang`` (the templates of ``sim.core.labels``, kind "condition")."""
    return _condition_text(_target_columns(ds, CONDITION_COLUMNS), j, lang)


def _condition_text(col: dict[str, np.ndarray], j: int, lang: str = "en") -> str:
    """:func:`condition_text` of target ``j`` of the columns ``col`` (:func:`_target_columns`)."""
    cond = str(col["target_condition"][j])
    thr = float(col["target_threshold"][j])
    year = int(col["target_year"][j])
    if cond in ("peak_by", "below_peak"):
        return labels.text("condition", cond, lang, year=year)
    if cond.startswith("change"):
        return labels.text("condition", "change", lang, op=cond[len("change"):],
                           value=percent(thr, "+.1%"))
    units = str(col["target_units"][j])
    return labels.text("condition", "level", lang, op=cond, value=value_text(thr, units, cond))


def number_text(x: float) -> str:
    """A number as the report prints it: 3 decimals below 1, 2 below 100, none above; "n/a" if
    undefined."""
    if not np.isfinite(x):
        return "n/a"
    if x == int(x) and abs(x) >= 1000:
        return f"{int(x)}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def percent(x: float, spec: str = ".0%") -> str:
    """``x`` as a percentage, or "n/a" when it is undefined (e.g. a probability of a target that
    no member could evaluate, a change against a zero base): never "nan%"."""
    return format(x, spec) if np.isfinite(x) else "n/a"


def value_text(x: float, units: str, condition: str) -> str:
    """A target's compared value as the report prints it: a year whole, a relative change
    (``change...`` and ``below_peak`` conditions) as a signed percentage, a share (units "1") as
    a percentage (as the targets' texts write them: "20 %"), else :func:`number_text`."""
    if not np.isfinite(x):
        return "n/a"
    if units == "year":
        return f"{x:.0f}"
    if condition.startswith("change") or condition == "below_peak":
        return percent(x, "+.1%")
    if units == "1":
        return percent(x, ".1%")
    return number_text(x)


PEAK_VARIABLES = {"scope1": "peak_year", "scope1+2": "peak_year_with_indirect"}
"""The per-member peak year of each CO2 accounting (sim.analysis.costs.CO2_VARIABLES)."""


def peak_distribution(ds: xr.Dataset, region: str, accounting: str = "scope1") -> np.ndarray | None:
    """Share of members [1] whose industrial CO2 in ``accounting`` peaks in each year of ``ds``
    (year,), from ``<peak variable>_probability`` when the file has it (every detail level), else
    from the members; None where the file has neither (files before the cost layer)."""
    name = PEAK_VARIABLES[accounting]
    if f"{name}_probability" in ds:
        return ds[f"{name}_probability"].sel(region=region).values
    if name not in ds or "member" not in ds[name].dims:
        return None
    py = ds[name].sel(region=region).values
    return np.array([np.mean(py == y) for y in ds["year"].values])


def peak_rows(ds: xr.Dataset, regions: list[str] | None = None,
              accounting: str = "scope1") -> list[dict]:
    """Peak-year distribution per region of industrial CO2 in ``accounting`` (direct + process
    − captured, or with electricity, heat and hydrogen): quantiles, ``probability`` of the peak by
    ``year`` (the year of the file's peak target, ``sim.analysis.peak``), share not peaked by the
    end. Empty for the with-indirect accounting in files written before the cost layer.

    Peak-year quantiles are years (inverted CDF of :func:`peak_distribution`).
    ``standard_error`` and ``rule_of_three`` are those of ``probability``
    (``sim.analysis.convergence``); ``condition`` states the event; ``text`` holds range,
    probability, standard_error and not_peaked as the report prints them.
    """
    n = _members(ds)
    years = ds["year"].values
    end = int(years[-1])
    by = peak_by_year(ds)
    rows = []
    for region in regions if regions is not None else list(ds["region"].values):
        prob = peak_distribution(ds, region, accounting)
        if prob is None:
            return []
        cdf = np.cumsum(prob)
        q = [int(years[min(np.searchsorted(cdf, x - 1e-12), len(years) - 1)]) for x in REPORTED]
        plateau = ds["plateau_start_year"].sel(region=region)
        plateau_median = (int(np.quantile(plateau.values, 0.5, method="inverted_cdf"))
                          if "member" in plateau.dims else int(plateau.sel(quantile=0.5)))
        p = float(prob[years <= by].sum())
        not_peaked = float(prob[years >= end].sum())
        rows.append(dict(
            region=str(region), year=by, accounting=accounting,
            condition=labels.text("condition", "peak_by", year=by),
            condition_zh=labels.text("condition", "peak_by", "zh", year=by),
            p05=q[0], median=q[1], p95=q[2],
            probability=p, standard_error=standard_error(p, n), rule_of_three=rule_of_three(p, n),
            not_peaked=not_peaked, plateau_median=plateau_median,
            text=dict(range=f"{q[0]}-{q[2]}", probability=percent(p),
                      standard_error=error_text(p, n), not_peaked=percent(not_peaked)),
        ))
    return rows


POLLUTANT_YEARS = (2020, 2025, 2030)
"""Years of the report's pollutant table: the base year of the pollutant-intensity target, its
target year, and 2030."""
POLLUTANT_SCALE = 1e4
"""[t] per unit of the report's pollutant table: 10^4 t (万吨, the unit of China's environmental
statistics, docs/pollutants.md)."""
POLLUTANT_UNIT_TEXT = "10^4 t/yr"


def pollutant_rows(ds: xr.Dataset, regions: list[str] | None = None) -> list[dict]:
    """Air pollutants of the modelled sectors (``industrial_pollutants``) per region and
    pollutant: ``median``, ``p05``, ``p95`` [t yr-1] as lists over ``years`` (those of
    :data:`POLLUTANT_YEARS` the file has), and ``text`` (median and 5-95 % range per year in
    :data:`POLLUTANT_SCALE`). ``regions`` default to the national region (or the file's one
    province); empty for files without pollutants (before issue #27)."""
    if "industrial_pollutants" not in ds:
        return []
    years = [y for y in POLLUTANT_YEARS if y in ds["year"].values]
    da = ds["industrial_pollutants"].sel(year=years)
    rows = []
    for region in regions if regions is not None else [costs.default_region(ds)]:
        for p in da["pollutant"].values:
            q = results.quantiles(da.sel(region=region, pollutant=p), REPORTED).values  # (3, year)
            rows.append(dict(
                region=str(region), pollutant=str(p), years=years, units="t yr-1",
                p05=[float(x) for x in q[0]], median=[float(x) for x in q[1]],
                p95=[float(x) for x in q[2]],
                text=dict(median=[_tonnes(x) for x in q[1]],
                          range=[f"{_tonnes(a)}-{_tonnes(b)}" for a, b in zip(q[0], q[2])])))
    return rows


def _tonnes(x: float) -> str:
    """Tonnes as the pollutant table prints them: 10^4 t with 3 significant figures."""
    return f"{x / POLLUTANT_SCALE:.3g}" if np.isfinite(x) else "n/a"


def pollutants_avoided(ds: xr.Dataset, base: xr.Dataset, region: str | None = None) -> list[dict]:
    """Per air pollutant, what ``base`` emits more than ``ds`` in ``region`` (default: national,
    or the file's one province) in each year of :data:`POLLUTANT_YEARS` from 2025 on, member by
    member (common random numbers; the design is checked by
    ``sim.analysis.costs.versus_baseline``, which the report calls first): ``pollutant``,
    ``years``, ``median``, ``p05``, ``p95`` [t yr-1] and ``text`` in :data:`POLLUTANT_SCALE`.
    Empty unless both files have per-member pollutants."""
    name = "industrial_pollutants"
    if not all(name in d and "member" in d[name].dims for d in (ds, base)):
        return []
    region = region or costs.default_region(ds)
    years = [y for y in POLLUTANT_YEARS if y >= 2025 and y in ds["year"].values]
    diff = (base[name] - ds[name]).sel(region=region, year=years)
    rows = []
    for p in diff["pollutant"].values:
        q = results.quantiles(diff.sel(pollutant=p), REPORTED).values  # (3, year)
        rows.append(dict(pollutant=str(p), region=region, years=years, units="t yr-1",
                         p05=[float(x) for x in q[0]], median=[float(x) for x in q[1]],
                         p95=[float(x) for x in q[2]],
                         text=[f"{y}: {_tonnes(m)} ({_tonnes(a)} .. {_tonnes(b)})"
                               for y, a, m, b in zip(years, q[0], q[1], q[2])]))
    return rows


def pollutant_targets(ds: xr.Dataset) -> list[dict]:
    """The rows of :func:`target_rows` whose indicator is an air pollutant's (the
    pollutant-intensity target of seed 002)."""
    if "target_indicator" not in ds:
        return []
    ids = {str(t) for t, i in zip(ds["target"].values, ds["target_indicator"].values)
           if str(i).startswith("pollutant")}
    return [r for r in target_rows(ds) if r["id"] in ids]


def status_lines(ds: xr.Dataset) -> list[str]:
    """Which targets the model's physics computes and which are still exogenous trends (each
    target's ``target_status``), as the report prints it."""
    status = [str(x) for x in ds["target_status"].values]
    ids = [str(t) for t in ds["target"].values]
    simulated = [t for t, s in zip(ids, status) if s == "simulated"]
    trend = [t for t, s in zip(ids, status) if s == "trend"]
    lines = [f"Simulated from the model's physics: {len(simulated)} of {len(ids)} targets"
             + (f" (the pollutant targets among them: {', '.join(r['id'] for r in pollutant_targets(ds))})"
                if pollutant_targets(ds) else "") + "."]
    lines.append("Still trends (exogenous trajectories with uncertain rates, not model output): "
                 + (", ".join(trend) if trend else "none") + ".")
    return lines


def pollutant_lines(ds: xr.Dataset, regions: list[str] | None = None) -> list[str]:
    """The air-pollutant section of the plain-text report."""
    rows = pollutant_rows(ds, regions)
    if not rows:
        return []
    years = rows[0]["years"]
    lines = ["", f"Air pollutants of the modelled sectors, {POLLUTANT_UNIT_TEXT} (median and "
             "5-95 %; NOx as NO2, PM total from stacks)",
             f"{'region':<16} {'pollutant':<9}" + "".join(f" {y:>6} {'5-95 %':>13}" for y in years)]
    for r in rows:
        lines.append(f"{r['region']:<16} {r['pollutant']:<9}" + "".join(
            f" {m:>6} {rng:>13}" for m, rng in zip(r["text"]["median"], r["text"]["range"])))
    for t in pollutant_targets(ds):
        lines.append(f"  {t['id']} ({t['status']}): {t['condition']}, median {t['text']['median']} "
                     f"({t['text']['range']}), P(attain) {t['text']['probability']} "
                     f"(s.e. {t['text']['standard_error']})")
    return lines


def administrative(ds: xr.Dataset) -> list[dict]:
    """Administrative targets stored with the run: id, description, reason, source and status
    'not simulated'."""
    return [dict(a, status="not simulated")
            for a in json.loads(ds.attrs.get("administrative_targets", "[]"))]


def format_table(ds: xr.Dataset, all_regions: bool = False,
                 baseline: xr.Dataset | None = None) -> str:
    """Plain-text report: targets, peak years in both CO2 accountings, costs (against
    ``baseline`` under common random numbers if given), administrative targets.

    With many regions only the national peak and cost rows are shown unless ``all_regions``.
    """
    members = _members(ds)
    lines = [f"Scenario {ds.attrs.get('scenario_name', '?')}: {members} members, seed "
             f"{ds.attrs.get('seed', '?')}, years {int(ds['year'][0])}-{int(ds['year'][-1])}, "
             f"output detail {results.detail(ds)}", ""]
    rows = target_rows(ds)
    w = max([len("target")] + [len(r["id"]) for r in rows])
    hdr = (f"{'target':<{w}} {'scope':<20} {'condition':<20} {'median':>9} {'5-95 % range':>21} "
           f"{'P(attain)':>9} {'s.e.':>6}")
    lines += [hdr, "-" * len(hdr)]
    for r in rows:
        text = r["text"]
        mark = "" if r["status"] == "simulated" else " (trend)"
        lines.append(f"{r['id']:<{w}} {r['scope'][:20]:<20} {r['condition'][:20]:<20} "
                     f"{text['median']:>9} {text['range']:>21} "
                     f"{text['probability']:>9} {text['standard_error']:>6}{mark}")
    lines += ["", "P(attain): share of members attaining the target; "
              + ERROR_NOTE.format(n=members), "", "Sources:"]
    by_source: dict[str, list[str]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r["id"])
    for source, ids in by_source.items():
        label = ids[0] if len(ids) == 1 else f"{ids[0]} and {len(ids) - 1} more ({_common_prefix(ids)}*)"
        lines.append(f"  {label}: {source}")
    by = peak_by_year(ds)
    regions = list(ds["region"].values)
    shown = regions if (all_regions or len(regions) <= 8) else ["national"]
    for accounting in PEAK_VARIABLES:
        rows = peak_rows(ds, shown, accounting)
        if not rows:
            continue
        lines += ["", f"Industrial CO2 peak year, {costs.ACCOUNTING_TEXT[accounting]} "
                  f"({accounting}, modelled sectors)",
                  f"{'region':<16} {'median':>6} {'5-95 %':>11} {f'P(<={by})':>9} {'s.e.':>6} "
                  f"{'not peaked':>10} {'plateau from':>12}"]
        for r in rows:
            text = r["text"]
            plateau = r["plateau_median"] if accounting == "scope1" else ""
            lines.append(f"{r['region']:<16} {r['median']:>6} {text['range']:^11} "
                         f"{text['probability']:>9} {text['standard_error']:>6} "
                         f"{text['not_peaked']:>10} {plateau:>12}")
    if len(shown) < len(regions):
        provinces = peak_rows(ds, regions[:-1])
        n_ok = sum(r["probability"] >= 0.5 for r in provinces)
        lines.append(f"  provinces peaking by {by} in at least half the members: {n_ok} of "
                     f"{len(provinces)} (every region: sim report --all-regions FILE)")
    lines += costs.format_lines(ds, shown, baseline)
    lines += pollutant_lines(ds)
    if baseline is not None:
        avoided = pollutants_avoided(ds, baseline)
        if avoided:
            lines.append(f"  against the baseline {results.name_of(baseline)}, avoided (baseline "
                         f"minus scenario per member, {POLLUTANT_UNIT_TEXT}, median and 5-95 %):")
            lines += [f"    {r['pollutant']:<4} " + "; ".join(r["text"]) for r in avoided]
    adm = administrative(ds)
    if adm:
        lines += ["", "Administrative targets (not simulated):"]
        lines += [f"  {a['id']}: {a.get('description', '')} - {a.get('reason', '')}" for a in adm]
    lines += ["", *status_lines(ds),
              "Modelled scope is the nine industrial sectors (see each target's scope note)."]
    return "\n".join(lines)


def _common_prefix(ids: list[str]) -> str:
    prefix = ids[0]
    for i in ids[1:]:
        while not i.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


# --- machine-readable and Markdown formats (issue #5) ---------------------------------------------
FORMATS = ("table", "markdown", "csv", "json")

CSV_COLUMNS = ("section", "id", "region", "scope", "year", "condition", "condition_zh", "median",
               "p05", "p95", "probability", "standard_error", "rule_of_three", "not_peaked",
               "plateau_median", "units", "status", "source", "description", "reason")
"""One CSV table, one row per target (section ``target``), per region's peak-year distribution
(``peak_year``: median, p05, p95 are years; probability is that of the peak by ``year``, the
year of the peak target; not_peaked a share of members) and per administrative target
(``administrative``, status ``not simulated``) and per region, air pollutant and year of
:data:`POLLUTANT_YEARS` (``pollutant``: id is the pollutant, median, p05, p95 in t yr-1); cells
that do not apply to a section are empty.
``standard_error`` and ``rule_of_three`` are the Monte-Carlo error of ``probability``:
``sim.analysis.convergence``. The rows' ``text`` (numbers as printed) is in the JSON format only."""


def report_data(ds: xr.Dataset, baseline: xr.Dataset | None = None) -> dict:
    """Everything the report says, as plain Python values (NaN as None): scenario, members,
    seed, detail, years, targets, peak years of every region in both CO2 accountings, costs
    (``sim.analysis.costs``; against ``baseline`` if given), administrative targets."""
    members = _members(ds)
    seed = ds.attrs.get("seed")
    return json_ready(dict(
        scenario=str(ds.attrs.get("scenario_name", "")),
        members=members,
        seed=None if seed is None else int(seed),
        detail=results.detail(ds),
        years=[int(ds["year"][0]), int(ds["year"][-1])],
        targets=target_rows(ds),
        peak_years=peak_rows(ds),
        peak_years_with_indirect=peak_rows(ds, accounting="scope1+2"),
        costs=(dict(window=costs.window(ds), regions=costs.cost_rows(ds), items=costs.item_rows(ds))
               if costs.has_costs(ds) else None),
        versus_baseline=(None if baseline is None
                         else costs.versus_baseline(ds, baseline, costs.default_region(ds))),
        pollutants_avoided=None if baseline is None else pollutants_avoided(ds, baseline),
        pollutants=pollutant_rows(ds),
        simulated=[r["id"] for r in target_rows(ds) if r["status"] == "simulated"],
        trend=[r["id"] for r in target_rows(ds) if r["status"] == "trend"],
        administrative=administrative(ds),
    ))


def format_json(ds: xr.Dataset, baseline: xr.Dataset | None = None) -> str:
    """The report as one JSON object (see :func:`report_data`)."""
    return json.dumps(report_data(ds, baseline), ensure_ascii=False, indent=2, allow_nan=False)


def format_csv(ds: xr.Dataset) -> str:
    """The report as one CSV table with a ``section`` column (see :data:`CSV_COLUMNS`)."""
    data = report_data(ds)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="raise", lineterminator="\n")
    w.writeheader()
    for section, rows in (("target", data["targets"]), ("peak_year", data["peak_years"]),
                          ("peak_year_with_indirect", data["peak_years_with_indirect"])):
        for r in rows:
            w.writerow({k: v for k, v in r.items() if k not in ("text", "accounting")}
                       | dict(section=section))
    for r in data["pollutants"]:
        for j, year in enumerate(r["years"]):
            w.writerow(dict(section="pollutant", id=r["pollutant"], region=r["region"], year=year,
                            median=r["median"][j], p05=r["p05"][j], p95=r["p95"][j],
                            units=r["units"]))
    for a in data["administrative"]:
        w.writerow({k: a.get(k, "") for k in ("id", "description", "reason", "source", "status")}
                   | dict(section="administrative"))
    return buf.getvalue()


def _md_row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _md_table(header, rows) -> list[str]:
    return [_md_row(header), _md_row(["---"] * len(header)), *(_md_row(r) for r in rows)]


def format_markdown(ds: xr.Dataset, all_regions: bool = False) -> str:
    """The report as GitHub-flavoured Markdown tables (values formatted as in the text table;
    peak years of the national region only for many regions, unless ``all_regions``)."""
    data = report_data(ds)
    lines = [f"## Scenario {data['scenario'] or '?'}", "",
             f"{data['members']} members, seed {data['seed']}, years {data['years'][0]}-"
             f"{data['years'][1]}, output detail {data['detail']}", "", "### Targets", ""]
    rows = [[r["id"], r["scope"], r["year"], r["condition"], r["text"]["median"],
             r["text"]["range"], r["text"]["probability"], r["text"]["standard_error"],
             r["status"], r["source"]] for r in data["targets"]]
    lines += _md_table(["target", "scope", "year", "condition", "median", "5-95 % range",
                        "P(attain)", "s.e.", "status", "source"], rows)
    regions = list(ds["region"].values)
    shown = regions if (all_regions or len(regions) <= 8) else ["national"]
    for accounting in PEAK_VARIABLES:
        rows = peak_rows(ds, shown, accounting)
        if not rows:
            continue
        lines += ["", f"### Industrial CO2 peak year, {costs.ACCOUNTING_TEXT[accounting]} "
                  f"({accounting})", ""]
        lines += _md_table(["region", "median", "5-95 %", f"P(<={peak_by_year(ds)})", "s.e.",
                            "not peaked", "plateau from"],
                           [[r["region"], r["median"], r["text"]["range"], r["text"]["probability"],
                             r["text"]["standard_error"], r["text"]["not_peaked"],
                             r["plateau_median"] if accounting == "scope1" else ""] for r in rows])
    if costs.has_costs(ds):
        last = int(ds["year"][-1])
        lines += ["", f"### Costs (billion CNY, 2019 prices; present value {costs.window(ds)})", ""]
        lines += _md_table(["region", "PV median", "5-95 %", f"cost {last}"],
                           [[r["region"], r["text"]["median"], r["text"]["range"],
                             r["text"]["last_year"]] for r in costs.cost_rows(ds, shown)])
        items = costs.item_rows(ds)
        if items:
            lines += ["", f"Cost by item, {items[0]['region']}, {last}:", ""]
            lines += _md_table(["item", "median", "5-95 %"],
                               [[r["item"], r["text"]["median"], r["text"]["range"]] for r in items])
    if data["pollutants"]:
        years = data["pollutants"][0]["years"]
        lines += ["", f"### Air pollutants ({POLLUTANT_UNIT_TEXT}, median and 5-95 %)", ""]
        lines += _md_table(["region", "pollutant", *(str(y) for y in years)],
                           [[r["region"], r["pollutant"],
                             *(f"{m} ({rng})" for m, rng in zip(r["text"]["median"], r["text"]["range"]))]
                            for r in data["pollutants"]])
        for t in pollutant_targets(ds):
            lines += ["", f"{t['id']} ({t['status']}): {t['condition']}, median "
                      f"{t['text']['median']}, P(attain) {t['text']['probability']} (s.e. "
                      f"{t['text']['standard_error']})"]
    lines += ["", *status_lines(ds)]
    lines += ["", ERROR_NOTE.format(n=data["members"]) + "."]
    if data["administrative"]:
        lines += ["", "### Administrative targets", ""]
        lines += _md_table(["target", "description", "status", "reason"],
                           [[a["id"], a.get("description", ""), a["status"], a.get("reason", "")]
                            for a in data["administrative"]])
    return "\n".join(lines) + "\n"


def format_report(ds: xr.Dataset, fmt: str = "table", all_regions: bool = False,
                  baseline: xr.Dataset | None = None) -> str:
    """The report of an ensemble file (costs against ``baseline`` in the table and JSON), or
    the per-case summary of a combined sweep file."""
    if "case" in ds.dims:
        return format_sweep(ds, fmt)
    if fmt == "table":
        return format_table(ds, all_regions=all_regions, baseline=baseline)
    if fmt == "markdown":
        return format_markdown(ds, all_regions=all_regions)
    if fmt == "csv":
        return format_csv(ds)
    if fmt == "json":
        return format_json(ds, baseline)
    raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")


def format_sweep(ds: xr.Dataset, fmt: str = "table") -> str:
    """A combined sweep file: the robust-lever-set summary (table) or the per-case rows (lever
    values, P(attain) of each success target, P(all), robust) as Markdown, CSV or JSON."""
    if fmt == "table":
        return format_summary(ds)
    rows = json_ready(summary_rows(ds))
    if fmt == "json":
        return json.dumps(dict(
            sweep=str(ds.attrs.get("sweep_name", "")), scenario=str(ds.attrs.get("scenario_name", "")),
            members=int(ds.attrs.get("members", 0)), seed=json_ready(ds.attrs.get("seed")),
            success_targets=str(ds.attrs.get("success_targets", "")).split(),
            robust_probability=float(ds.attrs.get("robust_probability", 0.9)), cases=rows),
            ensure_ascii=False, indent=2, allow_nan=False)
    return format_rows(rows, list(rows[0]) if rows else ["case"], fmt)


def format_rows(rows: list[dict], cols: list[str], fmt: str) -> str:
    """Rows of a report as ``csv`` (one header line, then a line per row) or ``markdown`` (a
    table; a missing or None cell is empty)."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
    if fmt == "markdown":
        return "\n".join(_md_table(cols, [["" if r.get(c) is None else r.get(c) for c in cols]
                                           for r in rows])) + "\n"
    raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")


# --- sweeps ------------------------------------------------------------------------------------------
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
    """The per-case table of a combined sweep file as text (probabilities in %)."""
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

