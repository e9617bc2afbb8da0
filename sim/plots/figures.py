"""Figures of a result file (``sim plot``), drawn from the Dataset alone.

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

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
import xarray as xr

from sim.analysis import decomposition, report
from sim.analysis import sensitivity as sens
from sim.analysis.decomposition import lmdi  # noqa: F401  (re-exported: plots.lmdi)
from sim.core import axes, files
from sim.core.axes import UnknownProvince, resolve_province
from sim.core.indicators import eaf_share as share_of
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = ("png", "pdf", "svg")
BANDS = ((0.05, 0.95, "5-95 %", 0.18), (0.25, 0.75, "25-75 %", 0.35))
"""Fan-chart bands: (low quantile, high quantile, label, opacity)."""
MILESTONES = (2025, 2030, 2035)
FAN_DEFAULT_PROVINCES = 6
"""Without --province the fan chart shows every province up to this many, else national only."""
UNITS = {"Mt yr-1": "Mt/yr", "PJ yr-1": "PJ/yr", "1e9 yr-1": "bn CNY/yr (2019 prices)",
         "Mt": "Mt", "1": "share, 0-1", "t MW-1 h-1": "t CO2/MWh"}
CARRIER_COLOURS = {"coal": "#4d4d4d", "oil": "#8c510a", "gas": "#dfc27d", "electricity": "#2166ac",
                   "heat": "#d6604d", "hydrogen": "#80cdc1", "biomass": "#1b7837"}


# --- shared helpers ----------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def units(da: xr.DataArray, co2: bool = False) -> str:
    """Readable units of a variable, from its UDUNITS ``units`` attribute, in brackets."""
    raw = str(da.attrs.get("units", "1"))
    text = UNITS.get(raw, raw)
    if co2:
        text = text.replace("Mt", "Mt CO2", 1)
    return f"[{text}]"


def _footnote(fig: Figure, ds: xr.Dataset, extra: str = "") -> None:
    """The source note along the bottom edge. It is the figure's ``supxlabel`` so that the
    constrained layout reserves its height (axes, tick labels and outside legends stay clear of
    it), wrapped beforehand to the figure's width (the layout cannot measure ``wrap=True`` text)."""

    members = ds.attrs.get("members", ds.sizes.get("member", "?"))
    text = (f"Source: {ds.attrs.get('title', results.name_of(ds))}; {members} members, seed "
            f"{ds.attrs.get('seed', '?')}, output detail {results.detail(ds)}; "
            f"{ds.attrs.get('source', 'china-industry-sim')}; base year 2019: CEADs, NBS "
            f"(data_sources attribute).") + (f" {extra}" if extra else "")
    width = int(fig.get_figwidth() * 72 / (6 * 0.56))  # characters of 6-pt text per line
    fig.supxlabel(textwrap.fill(text, width), x=0.005, ha="left", fontsize=6, color="0.35")


def place(ds: xr.Dataset) -> str:
    """What a file covers, for titles: the province's proper name for one province ("Anhui"),
    "China" for all 31, else "<n> provinces"; followed by the scenario's name where that says
    more ("China, scenario national"; not "Anhui, scenario anhui")."""
    names = [str(p) for p in ds["province"].values] if "province" in ds.coords else []
    where = (names[0] if len(names) == 1 else "China" if set(names) == set(axes.PROVINCES)
             else f"{len(names)} provinces" if names else "")
    name = str(ds.attrs.get("scenario_name", ""))
    if not name or name.lower() == where.lower():
        return where
    return f"{where}, scenario {name}" if where else f"scenario {name}"


def _years(ds: xr.Dataset) -> np.ndarray:
    return np.asarray(ds["year"].values, dtype=int)


def _mark_milestones(ax: Axes, years: np.ndarray) -> None:
    for i, y in enumerate(y for y in MILESTONES if years[0] <= y <= years[-1]):
        ax.axvline(y, color="0.4", lw=0.8, ls=":", zorder=0,
                   label="2025 / 2030 / 2035" if i == 0 else "_milestone")


def _fan(ax: Axes, years: np.ndarray, q: xr.DataArray, colour: str, label: str = "median") -> None:
    """Median line and bands of a (quantile, year) DataArray with the quantiles of BANDS."""
    for low, high, text, alpha in BANDS:
        ax.fill_between(years, q.sel(quantile=low).values, q.sel(quantile=high).values,
                        color=colour, alpha=alpha, lw=0, label=text)
    ax.plot(years, q.sel(quantile=0.5).values, color=colour, lw=2, label=label)


def _stack(ax: Axes, years: np.ndarray, parts: xr.DataArray, dim: str,
           colours: dict[str, str] | None = None) -> np.ndarray:
    """Stacked areas of ``parts`` (dim, year), in the order of ``dim``; returns the top."""
    top = np.zeros(len(years))
    cmap = None
    for i, name in enumerate(parts[dim].values):
        values = np.nan_to_num(parts.sel({dim: name}).values.astype(float))
        if colours is None:
            from matplotlib import colormaps

            cmap = cmap or colormaps["tab10"]
            colour = cmap(i % 10)
        else:
            colour = colours.get(str(name), "0.6")
        ax.fill_between(years, top, top + values, color=colour, lw=0, label=str(name))
        top = top + values
    return top


def _regions(ds: xr.Dataset, provinces: Iterable[str] | None) -> list[str]:
    """Regions of the per-region figures: the selected provinces, else the file's only province,
    else 'national'."""
    if provinces:
        return results.provinces(ds, list(provinces))
    names = results.provinces(ds, None)
    return names if len(names) == 1 else ["national"]


def regional(ds: xr.Dataset, da: xr.DataArray, region: str) -> tuple[xr.DataArray, bool]:
    """``da`` for one province or the nation, and whether it is a sum of provincial statistics.

    National values are sums over the provinces per member when ``da`` has members (exact); for
    stored quantiles they are sums of the provincial quantiles, which is right only as a stacked
    part of a sum of medians (the second value is then True, for the title).
    """
    if region != "national":
        return da.sel(province=region), False
    if da.sizes["province"] == 1:
        return da.isel(province=0), False
    return da.sum("province", skipna=False), "member" not in da.dims


def _region_title(ds: xr.Dataset, region: str) -> str:
    if region == "national" and ds.sizes.get("province", 0) > 1:
        return f"national ({ds.sizes['province']} provinces)"
    return region


def _approx_note(approx: bool) -> str:
    return "\n(sums of provincial medians: no members per sector or carrier at this detail)" if approx else ""


def _ensemble_only(ds: xr.Dataset, what: str) -> None:
    if results.kind(ds) == "sweep":
        raise ResultsFileError(f"{results.name_of(ds)}: is a combined sweep file (case dimension); "
                               f"the {what} is drawn from an ensemble file (plot kind 'sweep' here)")


# --- fan chart -------------------------------------------------------------------------------------
def plot_fan(ds: xr.Dataset, provinces: Iterable[str] | None = None, baseline=None) -> Figure:
    """Fan chart of industrial CO2 per selected province and nationally, with the peak-year
    distribution beside it.

    Left: median and 25-75 % / 5-95 % bands of ``industrial_co2`` [Mt CO2 yr-1], 2025, 2030 and
    2035 marked. Right: ``peak_year_probability`` [%] per year, with P(peak <= 2030).
    """
    _ensemble_only(ds, "fan chart")
    results.require(ds, ("industrial_co2", "peak_year_probability", "plateau_start_year"),
                    "the fan chart", dims={"industrial_co2": ("region", "year"),
                                           "peak_year_probability": ("region", "year")})
    names = results.provinces(ds, None)
    regions = (results.provinces(ds, list(provinces)) if provinces
               else (names if len(names) <= FAN_DEFAULT_PROVINCES else []))
    if len(names) > 1:
        regions = list(dict.fromkeys(regions + ["national"]))
    years = _years(ds)
    co2 = ds["industrial_co2"]
    peaks = {r["region"]: r for r in report.peak_rows(ds, regions)}
    fig = _figure(10, 3.2 * len(regions) + 0.6)
    grid = fig.add_gridspec(len(regions), 2, width_ratios=(3, 1.2))
    for i, region in enumerate(regions):
        ax = fig.add_subplot(grid[i, 0])
        _fan(ax, years, results.quantiles(co2.sel(region=region), results.QUANTILES), "#b2182b")
        _mark_milestones(ax, years)
        ax.set_title(f"{_region_title(ds, region)}: industrial CO2 (direct + process - captured)")
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
        side.axvline(2030.5, color="0.4", lw=0.8, ls=":", label=f"P(peak <= 2030) = {row['by_2030']:.0%}")
        side.legend(fontsize=7, loc="best")  # clear of the bars, wherever the peak years are
    fig.suptitle(f"Industrial CO2: median and uncertainty bands, {place(ds)}")
    _footnote(fig, ds)
    return fig


# --- target attainment ------------------------------------------------------------------------------
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
            labels[r] = f"{tid}\n({report._condition_text(ds, j)}, {int(ds['target_year'].values[j])})"
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

    _ensemble_only(ds, "attainment heatmap")
    results.require(ds, ("target_probability", "target_scope", "target_status", "target_condition",
                         "target_threshold", "target_year"), "the attainment heatmap")
    matrix, labels, columns, trend = attainment_matrix(ds)
    if provinces:
        keep = set(results.provinces(ds, list(provinces))) | {"national"}
        cols = [i for i, c in enumerate(columns) if c in keep or c not in ds["province"].values]
        matrix, columns = matrix[:, cols], [columns[i] for i in cols]
    fig = _figure(max(8.0, 4.5 + 0.55 * len(columns)), 2.4 + 0.55 * len(labels))
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
    _footnote(fig, ds)
    return fig


# --- energy -------------------------------------------------------------------------------------------
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
    _ensemble_only(ds, "energy-mix figure")
    by_carrier, approx = regional(ds, energy_by_carrier(ds), region)
    years = _years(ds)
    fig = _figure(11, 7.5)  # legends right of the axes
    ax, share_ax = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    _stack(ax, years, results.median(by_carrier).transpose("carrier", "year"), "carrier",
           CARRIER_COLOURS)
    total = by_carrier.sum("carrier", skipna=False)
    electricity = by_carrier.sel(carrier="electricity")
    if "member" in by_carrier.dims:
        ax.plot(years, results.median(total).values, color="black", ls="--", lw=1.2,
                label="median of the total")
        _fan(share_ax, years, results.quantiles(electricity / total, results.QUANTILES), "#2166ac")
        share_note = "median and bands over members"
    else:
        medians = results.median(by_carrier)
        share_ax.plot(years, (medians.sel(carrier="electricity") / medians.sum("carrier")).values,
                      color="#2166ac", lw=2, label="median electricity / sum of carrier medians")
        share_note = "ratio of medians (no members in this detail)"
    _mark_milestones(ax, years)
    ax.set_ylabel(f"final energy {units(by_carrier)}")
    ax.set_title(f"{_region_title(ds, region)}: final energy by carrier, stacked medians"
                 + _approx_note(approx), fontsize=10)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no data hidden
    share_ax.set_ylabel("electricity share [share, 0-1]")
    share_ax.set_xlabel("year")
    share_ax.set_title(f"electricity share of final energy ({share_note})", fontsize=9)
    share_ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"Energy mix of the modelled industry, {place(ds)}")
    _footnote(fig, ds)
    return fig


# --- steel --------------------------------------------------------------------------------------------
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

    share = share_of(ds["production"].sel(sector="iron_steel"), province_axis=True)
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
    _ensemble_only(ds, "steel figure")
    results.require(ds, ("eaf_share", "scrap_supply", "scrap_use"), "the steel figure",
                    dims={"scrap_supply": ("province", "metal", "year"),
                          "scrap_use": ("province", "metal", "year")})
    share = eaf_share(ds, region)
    years = _years(ds)
    fig = _figure(11.5, 7.5)  # legends right of the axes (the EAF band can fill any corner)
    ax, scrap_ax = fig.subplots(2, 1, sharex=True)
    _fan(ax, years, results.quantiles(share, results.QUANTILES), "#1b7837", label="median EAF share")
    for tid, threshold, year, condition in eaf_targets(ds, region):
        ax.axhline(threshold, color="#d73027", lw=1.2, ls="--",
                   label=f"target {condition} {threshold:g} in {year} ({tid})")
        ax.plot([year], [threshold], marker="o", color="#d73027", ls="none", label="_target_year")
    _mark_milestones(ax, years)
    ax.set_ylabel(f"scrap-EAF share of crude steel {units(share)}")
    ax.set_title(f"{_region_title(ds, region)}: EAF share of crude-steel output")
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
    scrap_ax.set_title("steel scrap supply and use" + _approx_note(approx), fontsize=9)
    scrap_ax.set_ylim(bottom=0)
    scrap_ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"Steel: EAF route and scrap, {place(ds)}")
    _footnote(fig, ds)
    return fig


# --- sector emissions and wedges -------------------------------------------------------------------------
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


def _lmdi_factors(ds: xr.Dataset, region: str) -> tuple[dict[str, np.ndarray], bool]:
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
    fb, _ = _lmdi_factors(baseline, region)
    fs, _ = _lmdi_factors(ds, region)
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
    _ensemble_only(ds, "sector-emissions figure")
    per_sector, approx = sector_co2(ds, region)
    years = _years(ds)
    # legends right of the axes; the wedge labels are long, so the figure is wider with them
    fig = _figure(13 if baseline is not None else 11, 8.5 if baseline is not None else 5.0)
    axes = fig.subplots(2 if baseline is not None else 1, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    _stack(ax, years, per_sector, "sector")
    if "industrial_co2" in ds and region in ds["region"].values:
        ax.plot(years, results.median(ds["industrial_co2"].sel(region=region)).values,
                color="black", ls="--", lw=1.2, label="median of the total (industrial_co2)")
    _mark_milestones(ax, years)
    ax.set_ylabel(f"industrial CO2 {units(ds['co2_direct'], co2=True)}")
    ax.set_title(f"{_region_title(ds, region)}: industrial CO2 by sector, stacked medians of "
                 f"direct + process - captured{_approx_note(approx)}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no data hidden
    note = "" if baseline is not None else "No baseline: sim plot --baseline FILE adds the wedge chart."
    if baseline is not None:
        _ensemble_only(baseline, "baseline")
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
        _mark_milestones(wedge_ax, years)
    else:
        ax.set_xlabel("year")
    fig.suptitle(f"Industrial CO2 by sector, {place(ds)}")
    _footnote(fig, ds, note)
    return fig


# --- sweeps ---------------------------------------------------------------------------------------------
def lever_axes(ds: xr.Dataset) -> list[str]:
    return [str(c) for c in ds.coords if str(c).startswith("lever_") and ds[c].dims == ("case",)]


def plot_sweep(ds: xr.Dataset, provinces: Iterable[str] | None = None, baseline=None) -> Figure:
    """Sweep: P(attain) of each success target and P(all success targets) [%] against each lever
    axis (one point per case), the robust threshold drawn; for two axes on a full grid, a heatmap
    of P(all) over the grid as well."""
    if results.kind(ds) != "sweep":
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for the sweep figure: no "
                               "case dimension (not a combined sweep file)")
    results.require(ds, ("target_probability",), "the sweep figure",
                    dims={"target_probability": ("case", "target")})
    levers = lever_axes(ds)
    if not levers:
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for the sweep figure: no "
                               "lever_<axis>(case) coordinates")
    success = [t for t in str(ds.attrs.get("success_targets", "")).split() if t]
    threshold = float(ds.attrs.get("robust_probability", 0.9))
    series = [(f"P({t})", ds["target_probability"].sel(target=t).values) for t in success]
    if "success_probability" in ds:
        series.append(("P(all success targets)", ds["success_probability"].values))
    if not series:
        series = [(f"P({t})", ds["target_probability"].sel(target=t).values)
                  for t in ds["target"].values]
    grid = _grid(ds, levers) if len(levers) == 2 and "success_probability" in ds else None
    ncols = len(levers) + (grid is not None)
    fig = _figure(4.2 * ncols + 1, 4.6 + 0.15 * (len(series) + 1))  # legends below the panels
    axs = fig.subplots(1, ncols, squeeze=False)[0]
    markers = "osD^v<>"
    for ax, lever in zip(axs, levers):
        x = ds[lever].values
        for i, (label, p) in enumerate(series):
            ax.scatter(x, 100 * p, marker=markers[i % len(markers)], s=28, alpha=0.75,
                       label=label, zorder=3)
        ax.axhline(100 * threshold, color="#d73027", ls="--", lw=1,
                   label=f"robust threshold {threshold:.0%}")
        ax.set_xlabel(f"{ds[lever].attrs.get('long_name', lever)} {units(ds[lever])}")
        ax.set_ylabel("probability [% of members]")
        ax.set_ylim(-3, 103)
        ax.set_title(lever[len("lever_"):], fontsize=9)
        # below the panel, clear of the points (they span the whole 0-100 % range)
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)
    if grid is not None:
        from matplotlib import colormaps
        from matplotlib.patches import Patch

        ax = axs[-1]
        xs, ys, values = grid
        image = ax.imshow(values, origin="lower", cmap=colormaps["RdYlGn"], vmin=0, vmax=1,
                          aspect="auto")
        for (r, c), p in np.ndenumerate(values):
            ax.text(c, r, report.percent(p), ha="center", va="center", fontsize=8,
                    fontweight="bold" if p >= threshold else "normal")
        ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
        ax.set_xlabel(f"{ds[levers[0]].attrs.get('long_name', levers[0])} {units(ds[levers[0]])}")
        ax.set_ylabel(f"{ds[levers[1]].attrs.get('long_name', levers[1])} {units(ds[levers[1]])}")
        ax.set_title("P(all success targets) over the grid", fontsize=9)
        bar = fig.colorbar(image, ax=ax, ticks=sorted({0, 0.5, threshold, 1.0}),
                           format=lambda v, _: f"{v:.0%}")
        bar.set_label("P(all success targets) [% of members]")
        bar.ax.axhline(threshold, color="black", lw=1.5)
        ax.legend(handles=[Patch(facecolor="white", label=f"bold: robust (>= {threshold:.0%})")],
                  fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    where = place(ds.assign_attrs(scenario_name=""))  # the sweep's provinces
    fig.suptitle(f"Policy sweep {ds.attrs.get('sweep_name', '')} ({where}): {ds.sizes['case']} lever sets "
                 f"x {ds.attrs.get('members', '?')} members")
    _footnote(fig, ds)
    return fig


def _grid(ds: xr.Dataset, levers: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(x values, y values, P(all) as (y, x)) when the cases form the full grid of two levers."""
    x, y = ds[levers[0]].values, ds[levers[1]].values
    xs, ys = np.unique(x), np.unique(y)
    if len(xs) * len(ys) != ds.sizes["case"]:
        return None
    values = np.full((len(ys), len(xs)), np.nan)
    values[np.searchsorted(ys, y), np.searchsorted(xs, x)] = ds["success_probability"].values
    return (xs, ys, values) if np.isfinite(values).all() else None


# --- sensitivity (issue #16 §1) -------------------------------------------------------------------------
def _sensitivity_only(ds: xr.Dataset) -> None:
    if results.kind(ds) != "sensitivity":
        raise ResultsFileError(f"{results.name_of(ds)}: cannot be used for the sensitivity figure: "
                               "no factor and output dimensions (not a file of sim sensitivity)")


def plot_sensitivity(ds: xr.Dataset, provinces: Iterable[str] | None = None,
                     baseline=None) -> Figure:
    """Sensitivity indices with their confidence intervals (``sim.analysis.sensitivity``).

    One panel per analysed regional output (peak year, industrial CO2 in 2030 and 2035) of the
    selected regions (default: national, or the file's only province): Sobol S1 and ST [1], or
    Morris mu* [output units] with sigma as a marker, per factor, ranked, with the bootstrap
    interval as error bars; the dummy factor's bar in grey is the noise floor, a sector's
    model-discrepancy group (all its provinces' z together) in purple. Below, a heatmap of
    ST (Morris: mu* as a share of the output's largest) of every analysed target output.
    """

    _sensitivity_only(ds)
    method = str(ds.attrs.get("sensitivity_method", "sobol"))
    key = "ST" if method == "sobol" else "mu_star"
    results.require(ds, (key, f"{key}_conf", "output_note"), "the sensitivity figure",
                    dims={key: ("output", "factor")})
    quantity = [str(q) for q in ds["output_quantity"].values]
    region = [str(r) for r in ds["output_region"].values]
    analysed = [not str(n) for n in ds["output_note"].values]
    simulated = list(dict.fromkeys(r for r, q in zip(region, quantity)
                                   if q in sens.REGIONAL and r != "national"))
    if provinces:

        regions = []
        for p in provinces:
            try:
                regions.append(resolve_province(p, simulated))
            except UnknownProvince:
                raise ResultsFileError(f"{results.name_of(ds)}: no province {p!r}; the file has "
                                       f"{', '.join(simulated)}") from None
    else:
        regions = sens.default_regions(ds)
    panels = [k for k in range(ds.sizes["output"])
              if quantity[k] in sens.REGIONAL and region[k] in regions and analysed[k]]
    targets = [k for k in range(ds.sizes["output"])
               if quantity[k] == "target_value" and analysed[k]]
    if not panels and not targets:
        raise ResultsFileError(f"{results.name_of(ds)}: nothing to draw in the sensitivity "
                               "figure: no analysed output of " + ", ".join(regions)
                               + " (see output_note)")
    names = [str(f) for f in ds["factor"].values]
    kinds = ([str(k) for k in ds["factor_kind"].values] if "factor_kind" in ds.coords
             else [""] * len(names))
    D = len(names)
    ncols = min(3, max(1, len(panels)))
    nrows = -(-len(panels) // ncols) if panels else 0
    panel_h = 1.6 + 0.3 * D
    heat_h = (2.2 + 0.22 * len(targets)) if targets else 0
    fig = _figure(max(4.6 * ncols, 7.0), panel_h * nrows + heat_h + 1.2)
    grid = fig.add_gridspec(nrows + (1 if targets else 0), ncols,
                            height_ratios=[panel_h] * nrows + ([heat_h] if targets else []))
    pos = np.arange(D)
    for i, k in enumerate(panels):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        order = np.argsort(ds[key].values[k], kind="stable")  # largest on top
        colours = ["0.6" if names[j] == sens.DUMMY else
                   "#762a83" if kinds[j] == "discrepancy" else "#2166ac" for j in order]
        if method == "sobol":
            ax.barh(pos + 0.2, ds["ST"].values[k, order], 0.4, xerr=ds["ST_conf"].values[k, order],
                    color=colours, ecolor="0.2", capsize=2, label="ST (total) ± interval")
            ax.barh(pos - 0.2, ds["S1"].values[k, order], 0.4, xerr=ds["S1_conf"].values[k, order],
                    color="#92c5de", ecolor="0.2", capsize=2, label="S1 (first order) ± interval")
            ax.set_xlabel("Sobol index [1]")
        else:
            ax.barh(pos, ds["mu_star"].values[k, order], 0.6,
                    xerr=ds["mu_star_conf"].values[k, order], color=colours, ecolor="0.2",
                    capsize=2, label="mu* ± interval")
            ax.plot(ds["sigma"].values[k, order], pos, "D", color="#b2182b", ms=4,
                    label="sigma", ls="none")
            ax.set_xlabel(f"elementary effect [{ds['output_units'].values[k]}]")
        ax.set_yticks(pos, [names[j] for j in order], fontsize=7)
        ax.set_ylabel("factor [grey: dummy" + ("; purple: model discrepancy of a sector]"
                                               if "discrepancy" in kinds else "]"))
        ax.set_title(f"{quantity[k]}, {region[k]} [{ds['output_units'].values[k]}]", fontsize=9)
        ax.legend(fontsize=6, loc="lower right")
    if targets:
        from matplotlib import colormaps
        from matplotlib.patches import Patch

        ax = fig.add_subplot(grid[nrows, :])
        values = ds[key].values[targets]
        if method == "morris":
            with np.errstate(invalid="ignore", divide="ignore"):
                values = values / np.nanmax(values, axis=1, keepdims=True)
        image = ax.imshow(np.clip(values, 0, 1), cmap=colormaps["viridis"], vmin=0, vmax=1,
                          aspect="auto")
        ax.set_xticks(range(D), names, rotation=90, fontsize=7)  # upright: no box overlaps
        ax.set_yticks(range(len(targets)), [str(ds["output_target"].values[k]) for k in targets],
                      fontsize=6)
        ax.set_xlabel("factor")
        ax.set_ylabel("target (value)")
        what = "ST" if method == "sobol" else "mu* / largest mu* of the target"
        ax.set_title(f"{what} of every analysed target value", fontsize=9)
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(f"{what} [1]")
        # below the colour bar, right of the factor names
        ax.legend(handles=[Patch(facecolor=colormaps["viridis"](0.0), label="0: no influence")],
                  fontsize=6, loc="upper left", bbox_to_anchor=(1.0, -0.02))
    a = ds.attrs
    where = place(ds.assign_coords(province=("province", simulated)))
    fig.suptitle(f"{method.capitalize()} sensitivity, {where}: {D} factors, "
                 f"{ds.sizes['evaluation']} evaluations, "
                 f"{float(a.get('conf_level', 0.95)):.0%} bootstrap intervals")
    _footnote(fig, ds)
    return fig


# --- registry and writing ----------------------------------------------------------------------------
KINDS: dict[str, Callable[..., Figure]] = {
    "fan": plot_fan, "attainment": plot_attainment, "energy": plot_energy, "steel": plot_steel,
    "sectors": plot_sectors, "sweep": plot_sweep, "sensitivity": plot_sensitivity,
}
"""Plot kinds of ``sim plot --kind``, in the order of the complete set."""
PER_REGION = ("energy", "steel", "sectors")
CORE = {"ensemble": {"industrial_co2": ("region", "year"), "peak_year_probability": ("region", "year"),
                     "target_probability": ("target",)},
        "sweep": {"target_probability": ("case", "target")},
        "sensitivity": {"output_value": ("evaluation", "output")}}
"""What every file of a kind has (``sim.results.reading.kind``); the complete set needs it."""
"""Kinds drawn once per region (one file each); the others draw every selected region in one figure."""


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def figures(ds: xr.Dataset, kinds: Iterable[str] | None = None,
            provinces: Iterable[str] | None = None, baseline: xr.Dataset | None = None,
            note: Callable[[str], None] | None = None) -> list[tuple[str, Figure]]:
    """(file stem, figure) for each requested kind; ``kinds=None`` is the complete set, which
    skips the kinds the file cannot serve with a one-line ``note`` (requested kinds raise)."""
    complete = kinds is None
    # the complete set of a file: its own kinds (a sensitivity file has one, the others all but it)
    own = (["sensitivity"] if results.kind(ds) == "sensitivity"
           else [k for k in KINDS if k != "sensitivity"])
    kinds = own if complete else list(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown plot kind(s) {', '.join(unknown)}; allowed: {', '.join(KINDS)}")
    provinces = list(provinces) if provinces else None
    if complete:  # a file without the core of its kind is bad, not a set of inapplicable kinds
        results.require(ds, CORE[results.kind(ds)], "plotting", dims=CORE[results.kind(ds)])
    if provinces and "province" in ds.coords:  # a bad name is the user's error, not a skipped kind
        results.provinces(ds, provinces)
    out = []
    for kind in kinds:
        try:
            if kind in PER_REGION:
                _ensemble_only(ds, f"'{kind}' figure")
                for region in _regions(ds, provinces):
                    out.append((f"{kind}-{_slug(region)}", KINDS[kind](ds, region, baseline=baseline)))
            else:
                out.append((kind, KINDS[kind](ds, provinces, baseline=baseline)))
        except ResultsFileError as e:
            if not complete:
                raise
            if note is not None:
                note(f"skipped {kind}: {e}")
    if not out:
        raise ResultsFileError(f"{results.name_of(ds)}: nothing to draw: the file serves none of "
                               f"the kinds {', '.join(kinds)} (see the notes above)")
    return out


def write_figures(ds: xr.Dataset, out_dir: Path | str, kinds: Iterable[str] | None = None,
                  provinces: Iterable[str] | None = None, fmt: str = "png",
                  baseline: xr.Dataset | None = None,
                  note: Callable[[str], None] | None = None) -> list[Path]:
    """Draw the figures (see :func:`figures`) and write them to ``out_dir/<stem>.<fmt>``.

    Every figure is drawn before anything is written, so a file that cannot serve writes nothing;
    each file is written under a temporary name and renamed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    drawn = figures(ds, kinds, provinces, baseline, note)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, fig in drawn:
        path = out_dir / f"{stem}.{fmt}"
        with files.atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150)
        paths.append(path)
    return paths
