"""What every figure shares: sizes, bands, colours, units as people read them, the title of a
place, the source note along the bottom edge, and the fan and stack drawings."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Iterable

import numpy as np
import xarray as xr

from sim.core import axes, labels
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = ("png", "pdf", "svg")


BANDS = ((0.05, 0.95, "5-95 %", 0.18), (0.25, 0.75, "25-75 %", 0.35))
"""Fan-chart bands: (low quantile, high quantile, label, opacity)."""


MILESTONES = (2025, 2030, 2035)
"""Years marked by a dotted line in the time-series figures (and the page's lever years): the
14th and 15th five-year plans' ends and the policy horizon of seeds 000 and 003."""


FAN_DEFAULT_PROVINCES = 6
"""Without --province the fan chart shows every province up to this many, else national only."""


CARRIER_COLOURS = {"coal": "#4d4d4d", "oil": "#8c510a", "gas": "#dfc27d", "electricity": "#2166ac",
                   "heat": "#d6604d", "hydrogen": "#80cdc1", "biomass": "#1b7837"}


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib Figure of ``width`` x ``height`` [in] with constrained layout (no pyplot)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def units(da: xr.DataArray, co2: bool = False) -> str:
    """Readable units of a variable, from its UDUNITS ``units`` attribute (``sim.core.labels``,
    kind "unit"), in brackets."""
    raw = str(da.attrs.get("units", "1"))
    text = labels.label("unit", raw)
    if "currency" in da.attrs and raw == "yr-1":  # value added: CNY yr-1, the currency left out
        text = f"{da.attrs['currency']}/yr"
    if co2:
        text = text.replace("Mt", "Mt CO2", 1)
    return f"[{text}]"


def footnote(fig: Figure, ds: xr.Dataset, extra: str = "") -> None:
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


def years_of(ds: xr.Dataset) -> np.ndarray:
    """The file's years as integers."""
    return np.asarray(ds["year"].values, dtype=int)


def mark_milestones(ax: Axes, years: np.ndarray) -> None:
    """Dotted vertical lines at the milestone years (2025, 2030, 2035) inside ``years``."""
    for i, y in enumerate(y for y in MILESTONES if years[0] <= y <= years[-1]):
        ax.axvline(y, color="0.4", lw=0.8, ls=":", zorder=0,
                   label=" / ".join(map(str, MILESTONES)) if i == 0 else "_milestone")


def fan(ax: Axes, years: np.ndarray, q: xr.DataArray, colour: str, label: str = "median") -> None:
    """Median line and bands of a (quantile, year) DataArray with the quantiles of BANDS."""
    for low, high, text, alpha in BANDS:
        ax.fill_between(years, q.sel(quantile=low).values, q.sel(quantile=high).values,
                        color=colour, alpha=alpha, lw=0, label=text)
    ax.plot(years, q.sel(quantile=0.5).values, color=colour, lw=2, label=label)


def stack(ax: Axes, years: np.ndarray, parts: xr.DataArray, dim: str,
           colours: dict[str, str] | None = None) -> np.ndarray:
    """Stacked areas of ``parts`` (dim, year), in the order of ``dim``, labelled as
    ``sim.core.labels`` names them (``dim`` is the kind: "sector", "carrier"); returns the top."""
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
        ax.fill_between(years, top, top + values, color=colour, lw=0, label=labels.label(dim, name))
        top = top + values
    return top


def selected_regions(ds: xr.Dataset, provinces: Iterable[str] | None) -> list[str]:
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


def region_title(ds: xr.Dataset, region: str) -> str:
    """The title of ``region``: ``national (N provinces)`` when several provinces are summed."""
    if region == "national" and ds.sizes.get("province", 0) > 1:
        return f"national ({ds.sizes['province']} provinces)"
    return region


def approx_note(approx: bool) -> str:
    """The title note of a figure whose national parts are sums of provincial medians."""
    return "\n(sums of provincial medians: no members per sector or carrier at this detail)" if approx else ""


def ensemble_only(ds: xr.Dataset, what: str) -> None:
    """Refuse a combined sweep file for a figure (``what``) drawn from an ensemble file."""
    if results.kind(ds) == "sweep":
        raise ResultsFileError(f"{results.name_of(ds)}: is a combined sweep file (case dimension); "
                               f"the {what} is drawn from an ensemble file (plot kind 'sweep' here)")

