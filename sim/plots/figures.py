"""The figure kinds of ``sim plot`` and writing a set of figures.

One function per kind, each ``plot_<kind>(ds, ...) -> matplotlib.figure.Figure`` (in
:mod:`sim.plots.ensemble`, :mod:`sim.plots.sweep`, :mod:`sim.plots.sensitivity`,
:mod:`sim.plots.costs`, :mod:`sim.plots.pollutants`); :data:`KINDS` maps
the kind names to them and :func:`write_figures` writes a set atomically. Figures are built as
:class:`matplotlib.figure.Figure` objects without pyplot (no global state, no display), and
matplotlib is imported only when a figure is drawn, so ``sim --help`` does not load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import xarray as xr

from sim.analysis import abatement
from sim.core import files
from sim.plots.common import FORMATS, ensemble_only, selected_regions
from sim.plots.costs import plot_abatement, plot_costs
from sim.plots.ensemble import plot_attainment, plot_energy, plot_fan, plot_sectors, plot_steel
from sim.plots.plan import plot_plan
from sim.plots.pollutants import plot_pollutants
from sim.plots.sensitivity import plot_sensitivity
from sim.plots.sweep import plot_sweep
from sim.results import reading as results
from sim.results.reading import ResultsFileError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CORE", "FORMATS", "KINDS", "PER_REGION", "figures", "write_figures"]

KINDS: dict[str, Callable[..., Figure]] = {
    "fan": plot_fan, "attainment": plot_attainment, "energy": plot_energy, "steel": plot_steel,
    "sectors": plot_sectors, "costs": plot_costs, "sweep": plot_sweep,
    "sensitivity": plot_sensitivity, "abatement": plot_abatement, "plan": plot_plan,
    "pollutants": plot_pollutants,
}
"""Plot kinds of ``sim plot --kind``, in the order of the complete set."""


PER_REGION = ("energy", "steel", "sectors", "costs")


CORE = {"ensemble": {"industrial_co2": ("region", "year"), "peak_year_probability": ("region", "year"),
                     "target_probability": ("target",)},
        "sweep": {"target_probability": ("case", "target")},
        "sensitivity": {"output_value": ("evaluation", "output")},
        "abatement": {"abatement_cost": ("lever", "accounting")},
        "plan": {"lever_value": ("evaluation", "lever"), "probability": ("evaluation",)}}
"""What every file of a kind has (:func:`file_kind`); the complete set needs it."""

OWN = {"sensitivity": ("sensitivity",), "abatement": ("abatement", "pollutants"), "plan": ("plan",)}
"""The complete set of the files with kinds of their own; the other files get every other kind
and the :data:`SHARED` ones."""
SHARED = ("pollutants",)
"""Kinds of both ensemble and wedges files (the co-benefits of a wedges file, the trajectories of
an ensemble file)."""


def file_kind(ds: xr.Dataset) -> str:
    """``sim.results.reading.kind``, or 'abatement' for a wedges file of ``sim abatement``."""
    return "abatement" if abatement.is_wedges(ds) else results.kind(ds)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def figures(ds: xr.Dataset, kinds: Iterable[str] | None = None,
            provinces: Iterable[str] | None = None, baseline: xr.Dataset | None = None,
            note: Callable[[str], None] | None = None) -> list[tuple[str, Figure]]:
    """(file stem, figure) for each requested kind; ``kinds=None`` is the complete set, which
    skips the kinds the file cannot serve with a one-line ``note`` (requested kinds raise)."""
    complete = kinds is None
    # the complete set of a file: its own kinds (sensitivity, wedges and plan files have one, the
    # others all but those)
    kind_of_file = file_kind(ds)
    own = list(OWN.get(kind_of_file, [k for k in KINDS if k in SHARED
                                      or not any(k in o for o in OWN.values())]))
    kinds = own if complete else list(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown plot kind(s) {', '.join(unknown)}; allowed: {', '.join(KINDS)}")
    provinces = list(provinces) if provinces else None
    if complete:  # a file without the core of its kind is bad, not a set of inapplicable kinds
        results.require(ds, CORE[kind_of_file], "plotting", dims=CORE[kind_of_file])
    if provinces and "province" in ds.coords:  # a bad name is the user's error, not a skipped kind
        results.provinces(ds, provinces)
    out = []
    for kind in kinds:
        try:
            if kind in PER_REGION:
                ensemble_only(ds, f"'{kind}' figure")
                for region in selected_regions(ds, provinces):
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

