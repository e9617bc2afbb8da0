"""Figures of an ensemble file (``sim plot``): fan, attainment, energy, steel and sectors, drawn
from the Dataset alone.

One function per kind, each ``plot_<kind>(ds, ...) -> matplotlib.figure.Figure``; :data:`KINDS`
maps the kind names to them and :func:`write_figures` writes a set atomically. Figures are built
as :class:`matplotlib.figure.Figure` objects without pyplot (no global state, no display), and
matplotlib is imported only when a figure is drawn, so ``sim --help`` does not load it.

Every ensemble figure works at the three output details (``sim.results.ensemble``): statistics come from
the members when the file has them and from the stored quantiles otherwise
(:func:`sim.results.reading.quantiles`). Two definitions matter for reading the figures:

* **stacked medians**: a stacked chart of medians (energy by carrier, CO2 by sector) stacks the
  median of each part, so its top is the *sum of the medians*, not the median of the total (the
  total's median is drawn as a dashed line where the file has it);
* **national at province / summary detail**: a per-sector or per-carrier national median is the
  sum of the provincial medians when the file has no members per sector (the title says so);
  ``industrial_co2`` has a ``national`` region at every detail and is exact.

The wedge chart (``sectors`` with a baseline) decomposes the difference baseline − scenario of
the summed sector medians of industrial CO2 (direct + process − captured) into lever groups by
the additive log-mean Divisia index (LMDI-I; Ang 2005, Energy Policy 33:867,
doi:10.1016/j.enpol.2003.10.010; computed in ``sim.analysis.decomposition``), which is exact: the wedges
add up to the difference. At province and summary detail the file has no energy by sector, and
the wedges are by sector instead.
"""


from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
import xarray as xr

from sim.analysis import decomposition, report
from sim.core import axes
from sim.core.indicators import eaf_share as share_of
from sim.plots.common import (
    CARRIER_COLOURS,
    FAN_DEFAULT_PROVINCES,
    approx_note,
    ensemble_only,
    fan,
    footnote,
    mark_milestones,
    new_figure,
    place,
    region_title,
    regional,
    stack,
    units,
    years_of,
)
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

def plot_fan(ds: xr.Dataset, provinces: Iterable[str] | None = None, baseline=None) -> Figure:
    """Fan chart of industrial CO2 per selected province and nationally, with the peak-year
    distribution beside it.

    Left: median and 25-75 % / 5-95 % bands of ``industrial_co2`` [Mt CO2 yr-1], the milestones
    marked. Right: ``peak_year_probability`` [%] per year, with P(peak <= year), the year of the
    peak target (``sim.analysis.peak``).
    """
    ensemble_only(ds, "fan chart")
    results.require(ds, ("industrial_co2", "peak_year_probability", "plateau_start_year"),
                    "the fan chart", dims={"industrial_co2": ("region", "year"),
                                           "peak_year_probability": ("region", "year")})
    names = results.provinces(ds, None)
    regions = (results.provinces(ds, list(provinces)) if provinces
               else (names if len(names) <= FAN_DEFAULT_PROVINCES else []))
    if len(names) > 1:
        regions = list(dict.fromkeys(regions + ["national"]))
    years = years_of(ds)
    co2 = ds["industrial_co2"]
    peaks = {r["region"]: r for r in report.peak_rows(ds, regions)}
    fig = new_figure(10, 3.2 * len(regions) + 0.6)
    grid = fig.add_gridspec(len(regions), 2, width_ratios=(3, 1.2))
    for i, region in enumerate(regions):
        ax = fig.add_subplot(grid[i, 0])
        fan(ax, years, results.quantiles(co2.sel(region=region), results.QUANTILES), "#b2182b")
        mark_milestones(ax, years)
        ax.set_title(f"{region_title(ds, region)}: industrial CO2 (direct + process - captured)")
        ax.set_xlabel("year")
        ax.set_ylabel(f"industrial CO2 {units(co2, co2=True)}")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7, loc="lower left")
        side = fig.add_subplot(grid[i, 1])
        prob = ds["peak_year_probability"].sel(region=region).values
        side.bar(years, 100 * prob, color="#4d4d4d", width=0.8, label="peak year")
        row = peaks[region]
        side.set_title(f"peak year: median {row['median']} ({row['p05']}-{row['p95']})", fontsize=9)
        side.set_xlabel("year of the industrial-CO2 peak")
        side.set_ylabel("share of members [%]")
        side.axvline(row["year"] + 0.5, color="0.4", lw=0.8, ls=":",
                     label=f"P(peak <= {row['year']}) = {row['text']['probability']}")
        side.legend(fontsize=7, loc="best")  # clear of the bars, wherever the peak years are
    fig.suptitle(f"Industrial CO2: median and uncertainty bands, {place(ds)}")
    footnote(fig, ds)
    return fig


def attainment_matrix(ds: xr.Dataset) -> tuple[np.ndarray, list[str], list[str], list[bool]]:
    """P(attain) as a (target, scope) matrix: rows are target ids without their ':<province>'
    suffix, columns the scopes (national, regional groups, then provinces in file order); NaN where a target does
    not apply. Returns (matrix, row labels, scopes, row is a trend target)."""
    ids = [str(t).split(":")[0] for t in ds["target"].values]
    scopes = [str(s) for s in ds["target_scope"].values]
    provinces = [str(p) for p in ds["province"].values] if "province" in ds.coords else []
    others = sorted({s for s in scopes if s not in provinces}, key=lambda s: (s != "national", s))
    columns = others + [p for p in provinces if p in scopes]
    rows = list(dict.fromkeys(ids))
    matrix = np.full((len(rows), len(columns)), np.nan)
    prob = ds["target_probability"].values
    trend = [False] * len(rows)
    labels = list(rows)
    for j, (tid, scope) in enumerate(zip(ids, scopes)):
        r = rows.index(tid)
        matrix[r, columns.index(scope)] = prob[j]
        if str(ds["target_status"].values[j]) != "simulated":
            trend[r] = True
        if labels[r] == tid:
            labels[r] = f"{tid}\n({report.condition_text(ds, j)}, {int(ds['target_year'].values[j])})"
    labels = [f"{lab} (trend)" if t else lab for lab, t in zip(labels, trend)]
    return matrix, labels, columns, trend


def plot_attainment(ds: xr.Dataset, provinces: Iterable[str] | None = None, baseline=None) -> Figure:
    """Heatmap of the probability of attaining each target [%] per target and scope.

    Colour scale 0-100 % with the 50 % and 90 % thresholds marked on the colour bar; cells at or
    above 90 % carry a bold label, cells below 50 % are hatched, targets that are exogenous trends
    (``target_status`` not 'simulated') are marked '(trend)'.
    """
    from matplotlib.colors import BoundaryNorm
    from matplotlib.patches import Patch, Rectangle

    ensemble_only(ds, "attainment heatmap")
    results.require(ds, ("target_probability", "target_scope", "target_status", "target_condition",
                         "target_threshold", "target_year"), "the attainment heatmap")
    if ds.sizes.get("target", 0) == 0:
        raise ResultsFileError(f"{results.name_of(ds)}: has no targets (its scenario selects "
                               "none), so there is no attainment to draw")
    matrix, labels, columns, trend = attainment_matrix(ds)
    if provinces:
        keep = set(results.provinces(ds, list(provinces))) | {"national"}
        cols = [i for i, c in enumerate(columns) if c in keep or c not in ds["province"].values]
        matrix, columns = matrix[:, cols], [columns[i] for i in cols]
    fig = new_figure(max(8.0, 4.5 + 0.55 * len(columns)), 2.4 + 0.55 * len(labels))
    ax = fig.add_subplot()
    from matplotlib import colormaps

    # discrete bands so that the 50 % and 90 % thresholds are visible as colour steps
    bounds = [0, 0.25, 0.5, 0.7, 0.9, 1.0]
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=colormaps["RdYlGn"].with_extremes(bad="0.9"),
                      norm=BoundaryNorm(bounds, 256), aspect="auto")
    for (r, c), p in np.ndenumerate(matrix):
        if not np.isfinite(p):  # grey, as the legend says
            continue
        ax.text(c, r, f"{p:.0%}", ha="center", va="center", fontsize=8,
                fontweight="bold" if p >= 0.9 else "normal")
        if p < 0.5:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch="///", lw=0,
                                   edgecolor="0.3"))
    ax.set_xticks(range(len(columns)), columns, rotation=45 if len(columns) > 4 else 0, ha="right"
                  if len(columns) > 4 else "center", rotation_mode="anchor", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("scope (province, national or group)")
    ax.set_ylabel("target (condition, year)")
    bar = fig.colorbar(image, ax=ax, ticks=[0, 0.5, 0.9, 1.0], format=lambda x, _: f"{x:.0%}")
    bar.set_label("P(attain) [% of members]")
    for level in (0.5, 0.9):
        bar.ax.axhline(level, color="black", lw=1.5)
    # the key at the top right, beside the colour bar: an "outside ... lower" legend is aligned
    # with the bottom of the figure, where it covered the source note
    fig.legend(handles=[Patch(facecolor="white", edgecolor="0.3", hatch="///", label="P < 50 %"),
                       Patch(facecolor="#1a9850", label="P >= 90 % (bold)"),
                       Patch(facecolor="0.9", label="target does not apply")]
              + ([Patch(facecolor="white", label="(trend): exogenous trend, not model output")]
                 if any(trend) else []),
              fontsize=7, loc="outside right upper")
    # two lines: on a narrow heatmap one line ran over the colour bar's top tick label
    ax.set_title(f"Probability of attaining each target,\n{place(ds)}")
    footnote(fig, ds)
    return fig


def energy_by_carrier(ds: xr.Dataset) -> xr.DataArray:
    """Final energy by carrier summed over sectors [PJ yr-1], per member where the file has them.

    ``final_energy`` (full), ``final_energy_total`` (province: per member) or the stored quantiles
    ``final_energy_by_carrier`` (summary).
    """
    if "final_energy" in ds and "sector" in ds["final_energy"].dims:
        out = ds["final_energy"].sum("sector", skipna=False)
        out.attrs = ds["final_energy"].attrs
        return out
    if "final_energy_total" in ds and "member" in ds["final_energy_total"].dims:
        return ds["final_energy_total"]
    results.require(ds, ("final_energy_by_carrier",), "the energy-mix figure",
                    dims={"final_energy_by_carrier": ("province", "carrier", "year")})
    return ds["final_energy_by_carrier"]


def plot_energy(ds: xr.Dataset, region: str, baseline=None) -> Figure:
    """Energy mix of a province or the nation: stacked medians of final energy by carrier
    [PJ yr-1] (the top is the sum of the per-carrier medians; the dashed line is the median of the
    total where the file has members) and the electricity share of final energy [share, 0-1].
    """
    ensemble_only(ds, "energy-mix figure")
    by_carrier, approx = regional(ds, energy_by_carrier(ds), region)
    years = years_of(ds)
    fig = new_figure(11, 7.5)  # legends right of the axes
    ax, share_ax = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    stack(ax, years, results.median(by_carrier).transpose("carrier", "year"), "carrier",
           CARRIER_COLOURS)
    total = by_carrier.sum("carrier", skipna=False)
    electricity = by_carrier.sel(carrier="electricity")
    if "member" in by_carrier.dims:
        ax.plot(years, results.median(total).values, color="black", ls="--", lw=1.2,
                label="median of the total")
        fan(share_ax, years, results.quantiles(electricity / total, results.QUANTILES), "#2166ac")
        share_note = "median and bands over members"
    else:
        medians = results.median(by_carrier)
        share_ax.plot(years, (medians.sel(carrier="electricity") / medians.sum("carrier")).values,
                      color="#2166ac", lw=2, label="median electricity / sum of carrier medians")
        share_note = "ratio of medians (no members in this detail)"
    mark_milestones(ax, years)
    ax.set_ylabel(f"final energy {units(by_carrier)}")
    ax.set_title(f"{region_title(ds, region)}: final energy by carrier, stacked medians"
                 + approx_note(approx), fontsize=10)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no data hidden
    share_ax.set_ylabel("electricity share [share, 0-1]")
    share_ax.set_xlabel("year")
    share_ax.set_title(f"electricity share of final energy ({share_note})", fontsize=9)
    share_ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"Energy mix of the modelled industry, {place(ds)}")
    footnote(fig, ds)
    return fig


def eaf_share(ds: xr.Dataset, region: str) -> xr.DataArray:
    """Scrap-EAF share of crude-steel output [1] of a province or the nation.

    National at full detail: EAF output / crude-steel output summed over provinces per member;
    at province and summary detail only for a one-province file (the file has no steel output).
    """
    results.require(ds, ("eaf_share",), "the steel figure", dims={"eaf_share": ("province", "year")})
    if region != "national" or ds.sizes["province"] == 1:
        return regional(ds, ds["eaf_share"], region)[0]
    if "production" not in ds:
        raise ResultsFileError(
            f"{results.name_of(ds)}: cannot be used for the national steel figure: missing variable "
            f"production (national EAF share needs crude-steel output by route, output detail full; "
            f"this file is {results.detail(ds)}: choose provinces with --province)")

    share = share_of(ds["production"], province_axis=True)
    share.attrs = ds["eaf_share"].attrs
    return share


def eaf_targets(ds: xr.Dataset, region: str) -> list[tuple[str, float, int, str]]:
    """(id, threshold, year, condition) of the EAF-share targets that apply to ``region``."""
    if "target_indicator" not in ds.coords:
        return []
    scope = "national" if region == "national" else region
    only = ds.sizes.get("province", 0) == 1
    out = []
    for j, tid in enumerate(ds["target"].values):
        s = str(ds["target_scope"].values[j])
        if str(ds["target_indicator"].values[j]) == "eaf_share" and (s == scope or only):
            out.append((str(tid), float(ds["target_threshold"].values[j]),
                        int(ds["target_year"].values[j]), str(ds["target_condition"].values[j])))
    return out


def plot_steel(ds: xr.Dataset, region: str, baseline=None) -> Figure:
    """Steel: EAF share of crude steel (median and bands) against its target, and steel scrap
    supply and use (medians, [Mt yr-1])."""
    ensemble_only(ds, "steel figure")
    results.require(ds, ("eaf_share", "scrap_supply", "scrap_use"), "the steel figure",
                    dims={"scrap_supply": ("province", "metal", "year"),
                          "scrap_use": ("province", "metal", "year")})
    share = eaf_share(ds, region)
    years = years_of(ds)
    fig = new_figure(11.5, 7.5)  # legends right of the axes (the EAF band can fill any corner)
    ax, scrap_ax = fig.subplots(2, 1, sharex=True)
    fan(ax, years, results.quantiles(share, results.QUANTILES), "#1b7837", label="median EAF share")
    for tid, threshold, year, condition in eaf_targets(ds, region):
        ax.axhline(threshold, color="#d73027", lw=1.2, ls="--",
                   label=f"target {condition} {threshold:g} in {year} ({tid})")
        ax.plot([year], [threshold], marker="o", color="#d73027", ls="none", label="_target_year")
    mark_milestones(ax, years)
    ax.set_ylabel(f"scrap-EAF share of crude steel {units(share)}")
    ax.set_title(f"{region_title(ds, region)}: EAF share of crude-steel output")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    approx = False
    for name, colour in (("scrap_supply", "#762a83"), ("scrap_use", "#e08214")):
        da, a = regional(ds, ds[name].sel(metal="steel"), region)
        approx |= a
        scrap_ax.plot(years, results.median(da).values, color=colour, lw=2,
                      label=f"median {ds[name].attrs.get('long_name', name).split(':')[0]}")
    scrap_ax.set_ylabel(f"steel scrap {units(ds['scrap_use'])}")
    scrap_ax.set_xlabel("year")
    scrap_ax.set_title("steel scrap supply and use" + approx_note(approx), fontsize=9)
    scrap_ax.set_ylim(bottom=0)
    scrap_ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"Steel: EAF route and scrap, {place(ds)}")
    footnote(fig, ds)
    return fig


NET_PARTS = (("co2_direct", 1.0), ("co2_process", 1.0), ("co2_captured", -1.0))
"""Industrial CO2 = direct + process - captured (sim.core.indicators, scope 1)."""


def _sector_medians(ds: xr.Dataset, region: str, names: Iterable[str]) -> tuple[dict, bool]:
    """Medians per (sector, year) of per-sector variables for a region [file units]."""
    out, approx = {}, False
    for name in names:
        da, a = regional(ds, ds[name], region)
        approx |= a
        out[name] = results.median(da).transpose("sector", "year").values.astype(float)
    return out, approx


def sector_co2(ds: xr.Dataset, region: str) -> tuple[xr.DataArray, bool]:
    """Industrial CO2 per sector (sector, year) [Mt yr-1]: median direct + median process -
    median captured, and whether national values are sums of provincial medians."""
    results.require(ds, [n for n, _ in NET_PARTS], "the sector-emissions figure",
                    dims={n: ("province", "sector", "year") for n, _ in NET_PARTS})
    med, approx = _sector_medians(ds, region, [n for n, _ in NET_PARTS])
    net = sum(sign * med[name] for name, sign in NET_PARTS)
    return xr.DataArray(net, dims=("sector", "year"),
                        coords={"sector": ds["sector"].values, "year": ds["year"].values}), approx


def lmdi_factors(ds: xr.Dataset, region: str) -> tuple[dict[str, np.ndarray], bool]:
    """The (sector, year) medians the LMDI wedges take (``sim.analysis.decomposition.co2_wedges``):
    value_added, co2_direct, co2_process, co2_captured, energy and fossil (final energy of all and
    of the fossil carriers), and whether national values are sums of provincial medians."""
    parts, approx = _sector_medians(ds, region, ("value_added", "co2_direct", "co2_process",
                                                 "co2_captured"))
    energy, _ = regional(ds, ds["final_energy"], region)
    parts["energy"] = results.median(energy.sum("carrier", skipna=False)).transpose(
        "sector", "year").values.astype(float)
    parts["fossil"] = results.median(energy.sel(carrier=list(axes.FOSSIL_CARRIERS)).sum("carrier", skipna=False)
                                     ).transpose("sector", "year").values.astype(float)
    return parts, approx


def wedges(ds: xr.Dataset, baseline: xr.Dataset, region: str) -> tuple[xr.DataArray, str]:
    """Reduction of industrial CO2 against the baseline [Mt yr-1] split into wedges (wedge, year),
    and the method ('lmdi' by lever group at full detail, 'sector' otherwise).

    The difference is that of the summed sector medians (direct + process - captured), and the
    wedges add up to it exactly. LMDI terms per sector s (medians): direct CO2
    D = A (A_s/A) (E_s/A_s) (F_s/E_s) (D_s/F_s) with A total value added, E final energy, F fossil
    final energy; process CO2 P = A (A_s/A) (P_s/A_s); captured CO2 enters additively.
    """
    _check_baseline(ds, baseline)
    needed = ("value_added", "final_energy", "co2_direct", "co2_process", "co2_captured")
    full = all(n in d and "member" in d[n].dims for d in (ds, baseline) for n in needed)
    coords = {"year": ds["year"].values}
    if not full:
        base, _ = sector_co2(baseline, region)
        scen, _ = sector_co2(ds, region)
        out = (base - scen).rename(sector="wedge")
        return out, "sector"
    fb, _ = lmdi_factors(baseline, region)
    fs, _ = lmdi_factors(ds, region)
    out = decomposition.co2_wedges(fb, fs, steel=ds["sector"].values == "iron_steel")
    return xr.DataArray(out, dims=("wedge", "year"),
                        coords=dict(coords, wedge=list(decomposition.LMDI_GROUPS))), "lmdi"


def _check_baseline(ds: xr.Dataset, baseline: xr.Dataset) -> None:
    for coord in ("year", "province"):
        a = [str(x) for x in ds[coord].values]
        b = [str(x) for x in baseline[coord].values] if coord in baseline.coords else []
        if a != b:
            raise ResultsFileError(
                f"{results.name_of(baseline)}: cannot be the baseline of {results.name_of(ds)}: "
                f"its {coord} values differ ({', '.join(b[:5]) or 'none'}... vs {', '.join(a[:5])}...)")


def plot_sectors(ds: xr.Dataset, region: str, baseline: xr.Dataset | None = None) -> Figure:
    """Industrial CO2 by sector (stacked medians [Mt CO2 yr-1], the median of the total dashed)
    and, with a baseline, the wedges of the reduction against it (see :func:`wedges`)."""
    ensemble_only(ds, "sector-emissions figure")
    per_sector, approx = sector_co2(ds, region)
    years = years_of(ds)
    # legends right of the axes; the wedge labels are long, so the figure is wider with them
    fig = new_figure(13 if baseline is not None else 11, 8.5 if baseline is not None else 5.0)
    axes = fig.subplots(2 if baseline is not None else 1, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    stack(ax, years, per_sector, "sector")
    if "industrial_co2" in ds and region in ds["region"].values:
        ax.plot(years, results.median(ds["industrial_co2"].sel(region=region)).values,
                color="black", ls="--", lw=1.2, label="median of the total (industrial_co2)")
    mark_milestones(ax, years)
    ax.set_ylabel(f"industrial CO2 {units(ds['co2_direct'], co2=True)}")
    ax.set_title(f"{region_title(ds, region)}: industrial CO2 by sector, stacked medians of "
                 f"direct + process - captured{approx_note(approx)}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no data hidden
    note = "" if baseline is not None else "No baseline: sim plot --baseline FILE adds the wedge chart."
    if baseline is not None:
        ensemble_only(baseline, "baseline")
        wedge_ax = axes[1]
        split, method = wedges(ds, baseline, region)
        base_total = sector_co2(baseline, region)[0].sum("sector").values
        wedge_ax.plot(years, base_total, color="black", lw=2, label="baseline")
        level = base_total.copy()
        keep = [w for w in split["wedge"].values
                if np.any(np.abs(split.sel(wedge=w).values) > 1e-9 * max(1.0, np.abs(base_total).max()))
                or method == "sector"]
        from matplotlib import colormaps

        cmap = colormaps["tab10"]
        for i, name in enumerate(keep):
            w = split.sel(wedge=name).values
            wedge_ax.fill_between(years, level, level - w, color=cmap(i % 10), alpha=0.8, lw=0,
                                  label=f"{name}: {w[-1]:+.1f} Mt in {years[-1]}")
            level = level - w
        wedge_ax.plot(years, per_sector.sum("sector").values, color="#b2182b", lw=2, ls="--",
                      label="scenario")
        wedge_ax.set_ylabel(f"industrial CO2 {units(ds['co2_direct'], co2=True)}")
        wedge_ax.set_xlabel("year")
        how = ("lever groups, additive LMDI on medians" if method == "lmdi" else
               "by sector (lever groups need energy by sector: output detail full)")
        wedge_ax.set_title(f"reduction against the baseline ({Path(results.name_of(baseline)).name}):"
                           f"\nsums of sector medians, wedges {how}", fontsize=9)
        wedge_ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        mark_milestones(wedge_ax, years)
    else:
        ax.set_xlabel("year")
    fig.suptitle(f"Industrial CO2 by sector, {place(ds)}")
    footnote(fig, ds, note)
    return fig

