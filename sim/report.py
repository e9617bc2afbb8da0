"""The target table and peak-year distribution of an ensemble, computed from its Dataset alone."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr


def target_rows(ds: xr.Dataset) -> list[dict]:
    """One dict per target: id, scope, year, condition, median, p05, p95, probability, units, source."""
    rows = []
    val = ds["target_value"]
    probability = ds["target_probability"].values
    for j, tid in enumerate(ds["target"].values):
        if "member" in val.dims:
            v = val.isel(target=j).values
            v = v[np.isfinite(v)]
            q = np.quantile(v, [0.05, 0.5, 0.95]) if v.size else [np.nan] * 3
        else:  # summary detail: quantiles stored
            q = [float(val.isel(target=j).sel(quantile=x)) for x in (0.05, 0.5, 0.95)]
        rows.append(dict(
            id=str(tid),
            scope=str(ds["target_scope"].values[j]),
            year=int(ds["target_year"].values[j]),
            condition=_condition_text(ds, j),
            median=float(q[1]), p05=float(q[0]), p95=float(q[2]),
            probability=float(probability[j]),
            units=str(ds["target_units"].values[j]),
            status=str(ds["target_status"].values[j]),
            source=str(ds["target_source"].values[j]),
        ))
    return rows


def _condition_text(ds: xr.Dataset, j: int) -> str:
    cond = str(ds["target_condition"].values[j])
    thr = float(ds["target_threshold"].values[j])
    year = int(ds["target_year"].values[j])
    if cond == "peak_by":
        return f"peak year <= {year}"
    if cond == "below_peak":
        return f"{year} below peak"
    if cond.startswith("change"):
        return f"change {cond[6:]} {thr:+.1%}"
    return f"{cond} {_fmt(thr)}"


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "nan"
    if x == int(x) and abs(x) >= 1000:
        return f"{int(x)}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _fmt_value(x: float, units: str, cond_is_change: bool) -> str:
    if not np.isfinite(x):
        return "n/a"
    if units == "year":
        return f"{x:.0f}"
    if cond_is_change:
        return f"{x:+.1%}"
    return _fmt(x)


def peak_rows(ds: xr.Dataset, regions: list[str] | None = None) -> list[dict]:
    """Peak-year distribution per region: quantiles, P(peak ≤ 2030), share not peaked by the end.

    Peak-year quantiles are years (inverted CDF of the distribution over members), computed from
    ``peak_year_probability`` when the file has it (every detail level), else from the members.
    """
    years = ds["year"].values
    end = int(years[-1])
    rows = []
    for region in regions if regions is not None else list(ds["region"].values):
        if "peak_year_probability" in ds:
            prob = ds["peak_year_probability"].sel(region=region).values
        else:
            py = ds["peak_year"].sel(region=region).values
            prob = np.array([np.mean(py == y) for y in years])
        cdf = np.cumsum(prob)
        q = [int(years[min(np.searchsorted(cdf, x - 1e-12), len(years) - 1)])
             for x in (0.05, 0.5, 0.95)]
        plateau = ds["plateau_start_year"].sel(region=region)
        plateau_median = (int(np.quantile(plateau.values, 0.5, method="inverted_cdf"))
                          if "member" in plateau.dims else int(plateau.sel(quantile=0.5)))
        rows.append(dict(
            region=str(region), p05=q[0], median=q[1], p95=q[2],
            by_2030=float(prob[years <= 2030].sum()), not_peaked=float(prob[years >= end].sum()),
            plateau_median=plateau_median,
        ))
    return rows


def administrative(ds: xr.Dataset) -> list[dict]:
    """Administrative targets stored with the run (status 'not simulated')."""
    return json.loads(ds.attrs.get("administrative_targets", "[]"))


def format_table(ds: xr.Dataset, all_regions: bool = False) -> str:
    """Plain-text report: targets, peak years, administrative targets.

    With many regions only the national peak row is shown unless ``all_regions``.
    """
    members = int(ds.attrs.get("members", ds.sizes.get("member", 0)))
    lines = [f"Scenario {ds.attrs.get('scenario_name', '?')}: {members} members, seed "
             f"{ds.attrs.get('seed', '?')}, years {int(ds['year'][0])}-{int(ds['year'][-1])}, "
             f"output detail {ds.attrs.get('output_detail', 'full')}", ""]
    rows = target_rows(ds)
    w = max([len("target")] + [len(r["id"]) for r in rows])
    hdr = (f"{'target':<{w}} {'scope':<20} {'condition':<20} {'median':>9} {'5-95 % range':>21} "
           f"{'P(attain)':>9}")
    lines += [hdr, "-" * len(hdr)]
    for r in rows:
        ch = r["condition"].startswith("change") or r["condition"].endswith("below peak")
        rng = f"{_fmt_value(r['p05'], r['units'], ch)} .. {_fmt_value(r['p95'], r['units'], ch)}"
        mark = "" if r["status"] == "simulated" else " (trend)"
        lines.append(f"{r['id']:<{w}} {r['scope'][:20]:<20} {r['condition'][:20]:<20} "
                     f"{_fmt_value(r['median'], r['units'], ch):>9} {rng:>21} "
                     f"{r['probability']:>9.0%}{mark}")
    lines += ["", "P(attain): share of members attaining the target (Monte-Carlo standard error "
              f"<= {0.5 / np.sqrt(members):.1%})", "", "Sources:"]
    by_source: dict[str, list[str]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r["id"])
    for source, ids in by_source.items():
        label = ids[0] if len(ids) == 1 else f"{ids[0]} and {len(ids) - 1} more ({_common_prefix(ids)}*)"
        lines.append(f"  {label}: {source}")
    lines += ["", "Industrial CO2 peak year (direct + process - captured, modelled sectors)",
              f"{'region':<16} {'median':>6} {'5-95 %':>11} {'P(<=2030)':>9} {'not peaked':>10} "
              f"{'plateau from':>12}"]
    regions = list(ds["region"].values)
    shown = regions if (all_regions or len(regions) <= 8) else ["national"]
    for r in peak_rows(ds, shown):
        lines.append(f"{r['region']:<16} {r['median']:>6} {r['p05']:>5}-{r['p95']:<5} "
                     f"{r['by_2030']:>9.0%} {r['not_peaked']:>10.0%} {r['plateau_median']:>12}")
    if len(shown) < len(regions):
        by = peak_rows(ds, regions[:-1])
        n_ok = sum(r["by_2030"] >= 0.5 for r in by)
        lines.append(f"  provinces peaking by 2030 in at least half the members: {n_ok} of {len(by)}"
                     " (every region: sim report --all-regions FILE)")
    adm = administrative(ds)
    if adm:
        lines += ["", "Administrative targets (not simulated):"]
        lines += [f"  {a['id']}: {a.get('description', '')} - {a.get('reason', '')}" for a in adm]
    lines += ["", "Trend targets are exogenous trajectories with uncertain rates, not physical model "
              "output; modelled scope is the nine industrial sectors (see each target's scope note)."]
    return "\n".join(lines)


def _common_prefix(ids: list[str]) -> str:
    prefix = ids[0]
    for i in ids[1:]:
        while not i.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
