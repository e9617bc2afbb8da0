"""The year of "P(industrial CO2 peaks by <year>)": the year of the peak target, never a literal.

The report, the convergence check, the figures and the web page state, per region, the share of
members whose industrial CO2 peaks no later than a year. That year is the one of the targets that
ask for the peak: ``peak_by`` targets on ``industrial_co2`` (their ``target_year``). A result file
carries its targets, so the year is read from the file: its first such target (the shipped
catalogues give the national and per-province peak the same year). A file without one (a scenario
whose targets leave the peak out) falls back to the first such target of the shipped catalogues
(``targets/national.toml`` first), so that its report still answers the national question.
"""

from __future__ import annotations

import functools
import tomllib

import xarray as xr

from sim.core import shipped

CONDITION = "peak_by"
INDICATOR = "industrial_co2"
"""The target condition and indicator whose year is the peak-year threshold."""


def peak_by_year(ds: xr.Dataset) -> int:
    """The peak-year threshold [year] of a result file (or page Dataset): the ``target_year`` of
    its first ``peak_by`` target on industrial CO2, else :func:`catalogue_peak_year`."""
    if "target_condition" in ds.variables and "target_year" in ds.variables:
        conditions = [str(c) for c in ds["target_condition"].values]
        indicators = ([str(i) for i in ds["target_indicator"].values]
                      if "target_indicator" in ds.variables else [INDICATOR] * len(conditions))
        for j, (cond, ind) in enumerate(zip(conditions, indicators)):
            if cond == CONDITION and ind == INDICATOR:
                return int(ds["target_year"].values[j])
    return catalogue_peak_year()


@functools.cache
def catalogue_peak_year() -> int:
    """The year [year] of the first ``peak_by`` target on industrial CO2 of the shipped target
    catalogues (``targets/national.toml``, then the others by name)."""
    folder = shipped.SHIPPED_DIR / "targets"
    paths = sorted(folder.glob("*.toml"), key=lambda p: (p.name != "national.toml", p.name))
    for path in paths:
        with path.open("rb") as f:
            for target in tomllib.load(f).get("target", []):
                if target.get("condition") == CONDITION and target.get("indicator") == INDICATOR:
                    return int(target["year"])
    raise LookupError(f"no {CONDITION} target on {INDICATOR} in the shipped catalogues ({folder})")
