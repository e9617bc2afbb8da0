"""The 2015 → 2019 hindcast: the model's dynamics tested on history it was not fitted to.

From the 2015 base state (calibration/base_2015, built exactly as the 2019 one) the kernel steps
to 2019 driven by the *observed* activity of 2016-2019 (NBS crude steel, cement and ten non-ferrous
metals by province; the real value-added index for the other sectors; ``sim.data.history.
observed_growth``), with the dynamic parameters of the 2010-2015 fit
(calibration/fitted_2010_2015.toml: data after 2015 have not been used), the history terms of the
fit (closure programmes as phase_out lever, the energy structure of non-metallic minerals) and no
policy levers. Modelled CO2 (direct fossil + process, Mt CO2) by province and sector in 2019 is
compared with CEADs 2019.

:func:`run` is the central (fitted-value) member; :func:`ensemble` samples the 2010-2015 fit's
parameter uncertainty and its model discrepancy and reports the coverage of the 5-95 % band
(:class:`Coverage`).

Reported (:class:`Hindcast`):

* the error of national industrial CO2 in 2019 (modelled / CEADs − 1, over the province × sector
  pairs CEADs covers; Tibet is not in CEADs);
* absolute percentage errors |model/CEADs − 1| per province × sector (pairs emitting at least
  :data:`MIN_CO2` Mt in 2019; smaller ones are dominated by rounding and reclassification) and
  their median per sector, beside two naive forecasts that use more information than the model
  has: persistence (2019 = 2015) and 2015 scaled by the sector's observed national 2015→2019
  ratio;
* the national industrial energy-intensity change 2015→2019 (modelled final energy per unit of
  value added), set beside the −16 % reported for 2016-2020 (TARGETS.md §4, seed 002
  规模以上工业单位增加值能耗降低约16%; that figure is for above-size industry and five years,
  so it is also given pro rata for four years).

Goals (issue #6): national CO2 within ±5 %; median province × sector APE ≤ 15 % for iron and
steel, non-metallic minerals and chemicals.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from sim.core import axes, files
from sim.core.units import PJ_PER_TWH
from sim.data.base_state import (
    CALIBRATION_DIR,
    fitted_vector,
    load_base_state,
    read_fitted,
    resolve_stock_profile,
)
from sim.data.history import load_history, observed_growth, phase_out_history, structure_history
from sim.data.observed_activity import CLINKER_FUEL_INTENSITY, CLINKER_FUEL_RANGE
from sim.model.historical import co2_by_carrier, run_history

ELECTRICITY = axes.CARRIERS.index("electricity")

PARAMETER_FILE = CALIBRATION_DIR / "fitted_2010_2015.toml"
"""The 2010-2015 fit (calibration/fit.py): the only parameters the hindcast may use."""

START, END = 2015, 2019
MIN_CO2 = 0.1
"""Mt CO2: province × sector pairs below this in CEADs 2019 are left out of the APE statistics."""
GOAL_NATIONAL = 0.05
GOAL_SECTORS = {"iron_steel": 0.15, "nonmetallic_minerals": 0.15, "chemicals": 0.15}
REPORTED_INTENSITY_CHANGE = (-0.16, 2016, 2020)
"""Seed 002: energy per unit of above-size industrial VA fell about 16 % over 2016-2020."""


@dataclass(frozen=True)
class Hindcast:
    """Result of :func:`run`. Arrays (P,S) in sim.core.axes order; NaN where CEADs has no value."""

    model: np.ndarray            # (P,S) Mt CO2 2019, modelled
    observed: np.ndarray         # (P,S) Mt CO2 2019, CEADs
    observed_start: np.ndarray   # (P,S) Mt CO2 2015, CEADs
    national_error: float        # modelled / CEADs − 1, national total over covered pairs
    intensity_change: float      # modelled national final energy per VA, 2019 / 2015 − 1
    parameter_source: str

    @property
    def included(self) -> np.ndarray:
        """(P,S) pairs in the APE statistics: observed, ≥ MIN_CO2 in 2019 and > 0 in 2015."""
        return (np.isfinite(self.observed) & (self.observed >= MIN_CO2)
                & np.isfinite(self.observed_start) & (self.observed_start > 0))

    @property
    def ape(self) -> np.ndarray:
        """(P,S) |model / CEADs − 1|, NaN outside :attr:`included`."""
        return np.where(self.included, np.abs(self.model / np.where(self.included, self.observed, 1) - 1), np.nan)

    def sector_table(self) -> list[dict]:
        """Per sector: modelled and observed national CO2, median APE of the model and of the
        naive forecasts, number of provinces, goal (or None)."""
        rows = []
        inc = self.included
        for s, sector in enumerate(axes.SECTORS):
            k = inc[:, s]
            o, o0, m = self.observed[k, s], self.observed_start[k, s], self.model[k, s]
            cover = np.isfinite(self.observed[:, s])
            ratio = o.sum() / o0.sum() if k.any() else np.nan
            rows.append(dict(
                sector=sector, model=float(self.model[cover, s].sum()),
                observed=float(self.observed[cover, s].sum()), n=int(k.sum()),
                median_ape=_median(np.abs(m / o - 1)),
                persistence=_median(np.abs(o0 / o - 1)),
                scaled_persistence=_median(np.abs(ratio * o0 / o - 1)),
                goal=GOAL_SECTORS.get(sector)))
        return rows

    def province_table(self) -> list[dict]:
        """Per province covered by CEADs: modelled and observed CO2 over the covered sectors, the
        error of the total and the median APE over its sectors."""
        rows = []
        for p, province in enumerate(axes.PROVINCES):
            cover = np.isfinite(self.observed[p])
            if not cover.any():
                continue
            m, o = float(self.model[p, cover].sum()), float(self.observed[p, cover].sum())
            ape = self.ape[p][self.included[p]]
            rows.append(dict(province=province, model=m, observed=o, error=m / o - 1,
                             median_ape=_median(ape), n=int(ape.size)))
        return rows

    def meets_goals(self) -> dict[str, bool]:
        """Whether each goal is met: ``national`` (|error| <= GOAL_NATIONAL) and every sector that
        has a median-APE goal."""
        out = {"national": abs(self.national_error) <= GOAL_NATIONAL}
        for r in self.sector_table():
            if r["goal"] is not None:
                out[r["sector"]] = r["median_ape"] <= r["goal"]
        return out


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if x.size else float("nan")


def base_state(fitted: bool = True, doc: dict | None = None):
    """The 2015 base state with the dynamic parameters of the 2010-2015 fit (``doc``, default
    :data:`PARAMETER_FILE`) or, ``fitted=False``, the nominal ones of assumptions.toml."""
    base = load_base_state(START, fitted=False)
    if not fitted:
        return base
    doc = doc or read_fitted(PARAMETER_FILE)
    if doc is None:
        raise FileNotFoundError(f"{PARAMETER_FILE} missing: run sim calibrate --fit")
    par = doc["parameters"]
    kw = dict(lifetime=fitted_vector(doc, "lifetime", axes.SECTORS),
              aeei=fitted_vector(doc, "aeei", axes.SECTORS),
              coal_to_gas_trend=fitted_vector(doc, "coal_to_gas_trend", axes.SECTORS),
              electrification_trend=fitted_vector(doc, "electrification_trend", axes.SECTORS))
    if "aeei_elec" in par and hasattr(base, "aeei_elec"):
        kw["aeei_elec"] = fitted_vector(doc, "aeei_elec", axes.SECTORS)
    stock_lifetime, stock0 = base.stock_lifetime.copy(), base.stock0
    for n, m in enumerate(axes.METALS):
        if m in par["stock_lifetime"]:
            stock_lifetime[n] = float(par["stock_lifetime"][m]["value"])
            out = base.production0[:, base.metal_sector[n]].sum()
            stock0 = resolve_stock_profile(stock0, n, stock_lifetime[n], float(base.scrap_supply_target[n]),
                                           float(base.collection[n]), float(base.prompt_scrap[n]), out)
    w = doc["meta"]["window"]
    return replace(base, stock_lifetime=stock_lifetime, stock0=stock0,
                   parameter_source=f"{PARAMETER_FILE.name} ({w[0]}-{w[1]} fit of {doc['meta']['created']})",
                   **kw)


def _simulate(base, history, years, lifetime, aeei, gas, elec, aeei_elec=None, discrepancy=None,
              clinker_fuel_intensity=None):
    """Historical run of members with parameter rows (M,S) (``sim.model.historical.run_history``);
    returns (CO2 (M,P,S,T) Mt, final energy (M,P,S,C,T) PJ, value added (M,P,S,T)). The
    structure factor of non-metallic minerals (cement weight from ``clinker_fuel_intensity`` (M,)
    [GJ t-1], default nominal) and the discrepancy (M,P,S,T) scale the final energy before the
    fuel switches, as the kernel's discrepancy input."""
    M = lifetime.shape[0]
    growth, _ = observed_growth(history, years)
    factor = (structure_history(history, years)[None] if clinker_fuel_intensity is None
              else structure_history(history, years, np.asarray(clinker_fuel_intensity, dtype=float)))
    if discrepancy is not None:
        factor = factor * discrepancy
    out = run_history(base, years, np.repeat(growth[None], M, axis=0), lifetime, aeei,
                      np.repeat(base.stock_lifetime[None], M, axis=0), gas, elec,
                      aeei_elec=aeei_elec, energy_factor=factor, floor_int=base.floor_int,
                      phase_out=phase_out_history(years))
    co2 = co2_by_carrier(out, base.ef).sum(axis=3)  # (M,P,S,T)
    return co2, out.final_energy, out.value_added


def _observed(history):
    covered = np.isfinite(history.co2[history.index(END)]).all(-1)
    observed = np.where(covered, np.nansum(history.co2[history.index(END)], axis=-1), np.nan)
    observed_start = np.where(covered, np.nansum(history.co2[history.index(START)], axis=-1), np.nan)
    return covered, observed, observed_start


def run(fitted: bool = True) -> Hindcast:
    """Run the hindcast (the central member; about a second after compilation)."""
    base = base_state(fitted)
    history = load_history()
    years = tuple(range(START, END + 1))
    one = lambda v: np.asarray(v, dtype=float)[None]  # noqa: E731
    co2, fe, va = _simulate(base, history, years, one(base.lifetime), one(base.aeei),
                            one(base.coal_to_gas_trend), one(base.electrification_trend),
                            aeei_elec=one(base.aeei_elec) if hasattr(base, "aeei_elec") else None)
    covered, observed, observed_start = _observed(history)
    model = co2[0][..., -1]
    national = float(model[covered].sum() / observed[covered].sum() - 1)
    energy = fe[0].sum(axis=(0, 1, 2))  # (T,) PJ, all provinces, sectors, carriers
    intensity = energy / va[0].sum(axis=(0, 1))  # per 1e9 CNY (2019 prices)
    return Hindcast(model=model, observed=observed, observed_start=observed_start,
                    national_error=national, intensity_change=float(intensity[-1] / intensity[0] - 1),
                    parameter_source=base.parameter_source)


# ------------------------------------------------------------------------------------------------
MIN_CO2_COVERAGE = 1.0
"""Mt CO2: province x sector cells of CEADs 2019 in the CO2 coverage (issue #12 §5)."""
BAND = (5.0, 95.0)
COVERAGE_GOALS = {"co2": (0.80, 0.95), "electricity": (0.70, 0.95)}
ELECTRICITY_EXCLUDED = {"nonferrous": "CEC counts aluminium smelters' captive power from 2016 (series "
                                      "break; the 2015 base state is on the old basis)"}
GROUPS = ("aeei", "aeei_elec", "lifetime", "coal_to_gas_trend", "electrification_trend")


@dataclass(frozen=True)
class Coverage:
    """Result of :func:`ensemble`: the 5-95 % band of the ensemble against the observations."""

    members: int
    co2_band: np.ndarray        # (2,P,S) Mt CO2 2019, 5th and 95th percentile
    co2_median: np.ndarray      # (P,S)
    observed: np.ndarray        # (P,S) CEADs 2019 (NaN where not covered)
    elec_band: np.ndarray       # (2,Y,S) TWh national, 2016-2019
    elec_median: np.ndarray     # (Y,S)
    elec_observed: np.ndarray   # (Y,S) CEC
    sigma: dict                 # discrepancy sigma per sector used [yr^-1/2]
    parameter_source: str
    co2_members: np.ndarray | None = None  # (M,P,S) Mt CO2 2019 of every member

    @property
    def co2_cells(self) -> np.ndarray:
        """(P,S) cells in the CO2 coverage: CEADs 2019 observed and above MIN_CO2_COVERAGE [Mt CO2]."""
        return np.isfinite(self.observed) & (np.nan_to_num(self.observed) > MIN_CO2_COVERAGE)

    @property
    def co2_inside(self) -> np.ndarray:
        """(P,S) whether CEADs 2019 CO2 lies inside the ensemble's 5-95 % band."""
        o = np.nan_to_num(self.observed)
        return (o >= self.co2_band[0]) & (o <= self.co2_band[1])

    @property
    def elec_cells(self) -> np.ndarray:
        """(Y,S) national sector-years in the electricity coverage (ELECTRICITY_EXCLUDED left out)."""
        keep = np.array([s not in ELECTRICITY_EXCLUDED for s in axes.SECTORS])
        return np.broadcast_to(keep[None], self.elec_observed.shape)

    @property
    def elec_inside(self) -> np.ndarray:
        """(Y,S) whether CEC electricity lies inside the ensemble's 5-95 % band."""
        return (self.elec_observed >= self.elec_band[0]) & (self.elec_observed <= self.elec_band[1])

    @property
    def co2_coverage(self) -> float:
        """Share of the covered CO2 cells inside the band [1]."""
        return float(self.co2_inside[self.co2_cells].mean())

    @property
    def elec_coverage(self) -> float:
        """Share of the covered electricity sector-years inside the band [1]."""
        return float(self.elec_inside[self.elec_cells].mean())

    def co2_coverage_by_sector(self) -> dict[str, tuple[float, int]]:
        """Per sector: (share of its covered CO2 cells inside the band [1], number of cells)."""
        out = {}
        for s, name in enumerate(axes.SECTORS):
            k = self.co2_cells[:, s]
            out[name] = (float(self.co2_inside[k, s].mean()) if k.any() else float("nan"), int(k.sum()))
        return out


def sample_parameters(doc: dict, members: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """(M,S) rows of the fitted groups: value + sd x N(0,1), clipped to the bounds (independent
    normals: the file keeps the standard deviations, not the covariances). Member 0 is the fit."""
    out = {}
    for g in GROUPS:
        if g not in doc["parameters"]:
            continue
        tab = doc["parameters"][g]
        v = np.array([tab[s]["value"] for s in axes.SECTORS])
        sd = np.array([tab[s]["sd"] for s in axes.SECTORS])
        lo = np.array([tab[s]["bounds"][0] for s in axes.SECTORS])
        hi = np.array([tab[s]["bounds"][1] for s in axes.SECTORS])
        x = v[None] + sd[None] * rng.standard_normal((members, len(v)))
        x[0] = v
        out[g] = np.clip(x, lo, hi)
    return out


def sample_clinker_fuel_intensity(members: int, rng: np.random.Generator) -> np.ndarray:
    """(M,) fuel per t of clinker [GJ t-1], uniform over the range of calibration/assumptions.toml
    [structure.clinker_fuel_intensity] (the weight of cement in non-metallic minerals' energy);
    member 0 is the nominal."""
    lo, hi = CLINKER_FUEL_RANGE
    q = rng.uniform(lo, hi, members)
    q[0] = CLINKER_FUEL_INTENSITY
    return q


def discrepancy_factor(sigma: np.ndarray, years, members: int, seed: int, provinces: int) -> np.ndarray:
    """(M,P,S,T) exp(sigma_s sqrt(t) z[m,p,s]), z ~ N(0,1) from numpy.random.Generator keyed on
    (seed, member) as DYNAMICS.md prescribes; 1 at t = 0; member 0 is 1 (the central member)."""
    T = len(years)
    z = np.stack([np.random.default_rng([seed, m]).standard_normal((provinces, len(sigma)))
                  for m in range(members)])
    z[0] = 0.0
    return np.exp(sigma[None, None, :, None] * np.sqrt(np.arange(T))[None, None, None, :] * z[..., None])


def ensemble(members: int = 300, seed: int = 2015, doc: dict | None = None) -> Coverage:
    """The out-of-sample ensemble 2015 -> 2019: parameters sampled from the 2010-2015 fit
    (:func:`sample_parameters`), model discrepancy with that fit's sigma per sector
    (``[discrepancy] sigma`` of :data:`PARAMETER_FILE`, estimated from 2010-2015 residuals only),
    observed 2016-2019 activity; the band's coverage of CEADs CO2 2019 and CEC electricity
    2016-2019."""
    doc = doc or read_fitted(PARAMETER_FILE)
    base = base_state(True, doc)
    history = load_history()
    years = tuple(range(START, END + 1))
    rng = np.random.default_rng(seed)
    par = sample_parameters(doc, members, rng)
    sig = doc.get("discrepancy", {}).get("sigma", {})
    sigma = np.array([float(sig.get(s, 0.0)) for s in axes.SECTORS])
    disc = discrepancy_factor(sigma, years, members, seed, len(axes.PROVINCES))
    clinker = sample_clinker_fuel_intensity(members, rng)
    co2, fe, _ = _simulate(base, history, years, par["lifetime"], par["aeei"], par["coal_to_gas_trend"],
                           par["electrification_trend"],
                           aeei_elec=par.get("aeei_elec") if hasattr(base, "aeei_elec") else None,
                           discrepancy=disc, clinker_fuel_intensity=clinker)
    _, observed, _ = _observed(history)
    c19 = co2[..., -1]
    elec = fe[:, :, :, ELECTRICITY, 1:].sum(axis=1) / PJ_PER_TWH  # (M,S,Y)
    elec = np.moveaxis(elec, -1, 1)                                # (M,Y,S)
    obs_e = history.electricity[[history.index(y) for y in years[1:]]]
    return Coverage(members=members, co2_band=np.percentile(c19, BAND, axis=0),
                    co2_median=np.median(c19, axis=0), observed=observed,
                    elec_band=np.percentile(elec, BAND, axis=0), elec_median=np.median(elec, axis=0),
                    elec_observed=obs_e, sigma=dict(zip(axes.SECTORS, sigma.tolist())),
                    parameter_source=base.parameter_source, co2_members=c19)


def format_coverage(c: Coverage) -> str:
    """The ensemble hindcast as console text: coverage against its goals and a row per sector."""
    lo, hi = COVERAGE_GOALS["co2"]
    elo, ehi = COVERAGE_GOALS["electricity"]
    co2_ok = lo <= c.co2_coverage <= hi
    el_ok = elo <= c.elec_coverage <= ehi
    lines = [f"Ensemble hindcast {START} -> {END}: {c.members} members, parameters sampled from "
             f"{c.parameter_source}, model discrepancy sigma per sector from its residuals",
             f"CO2 {END}: the {BAND[0]:.0f}-{BAND[1]:.0f} % band contains CEADs in {c.co2_coverage:.1%} of "
             f"{int(c.co2_cells.sum())} province x sector cells above {MIN_CO2_COVERAGE:g} Mt "
             f"(goal {lo:.0%}-{hi:.0%}: {'met' if co2_ok else 'MISSED'})",
             f"electricity {START + 1}-{END}: the band contains CEC in {c.elec_coverage:.1%} of "
             f"{int(c.elec_cells.sum())} national sector-years (goal {elo:.0%}-{ehi:.0%}: "
             f"{'met' if el_ok else 'MISSED'}); excluded: "
             + "; ".join(f"{k} ({v})" for k, v in ELECTRICITY_EXCLUDED.items()),
             "",
             f"{'sector':<22} {'sigma':>6} {'CO2 cover':>9} {'n':>3}   electricity TWh {END}: "
             f"CEC, median [5-95 %]"]
    cov = c.co2_coverage_by_sector()
    for s, name in enumerate(axes.SECTORS):
        f, n = cov[name]
        lines.append(f"{name:<22} {c.sigma[name]:>6.3f} {f:>9.0%} {n:>3}   {c.elec_observed[-1, s]:7.1f}, "
                     f"{c.elec_median[-1, s]:7.1f} [{c.elec_band[0, -1, s]:.1f}-{c.elec_band[1, -1, s]:.1f}]"
                     + (" (excluded)" if name in ELECTRICITY_EXCLUDED else ""))
    return "\n".join(lines)


def format_report(h: Hindcast) -> str:
    """Plain-text hindcast report: national error, per-sector table, goals, energy intensity."""
    change, y0, y1 = REPORTED_INTENSITY_CHANGE
    pro_rata = (1 + change) ** ((END - START) / (y1 - y0 + 1)) - 1
    goals = h.meets_goals()
    lines = [f"Hindcast {START} -> {END}: observed activity, dynamic parameters from {h.parameter_source}",
             "",
             f"national industrial CO2 {END}: model {np.nansum(np.where(np.isfinite(h.observed), h.model, 0)):.0f} Mt, "
             f"CEADs {np.nansum(h.observed):.0f} Mt, error {h.national_error:+.1%} "
             f"(goal within ±{GOAL_NATIONAL:.0%}: {'met' if goals['national'] else 'MISSED'})",
             "",
             f"{'sector':<22} {'model Mt':>9} {'CEADs Mt':>9} {'n':>3} {'median APE':>10} "
             f"{'persist.':>9} {'scaled':>7}  goal",
             "-" * 84]
    for r in h.sector_table():
        goal = "" if r["goal"] is None else (
            f"<= {r['goal']:.0%} {'met' if goals[r['sector']] else 'MISSED'}")
        lines.append(f"{r['sector']:<22} {r['model']:>9.1f} {r['observed']:>9.1f} {r['n']:>3} "
                     f"{r['median_ape']:>10.1%} {r['persistence']:>9.1%} {r['scaled_persistence']:>7.1%}  {goal}")
    lines += ["", f"{'province':<16} {'model Mt':>9} {'CEADs Mt':>9} {'error':>7} "
              f"{'median APE over sectors':>24}", "-" * 68]
    for r in h.province_table():
        lines.append(f"{r['province']:<16} {r['model']:>9.1f} {r['observed']:>9.1f} {r['error']:>+7.1%} "
                     f"{r['median_ape']:>24.1%}")
    lines += ["",
              "median APE: median over provinces of |model/CEADs - 1| (pairs >= "
              f"{MIN_CO2} Mt); persist.: the 2015 value as forecast; scaled: 2015 x the sector's "
              "observed national 2015->2019 ratio (knows the national answer).",
              "",
              f"national industrial energy intensity (final energy / VA) {START}->{END}: model "
              f"{h.intensity_change:+.1%}; reported {change:+.0%} for {y0}-{y1} (above-size industry, "
              f"seed 002), {pro_rata:+.1%} pro rata for {END - START} years"]
    return "\n".join(lines)


# --- skill against naive forecasts (issue #22) --------------------------------------------------------
TREND_WINDOW = (2010, 2015)
"""Years of the trend forecast: a straight line through each cell's CEADs CO2 (least squares),
extrapolated to END (floored at 0). Data the 2010-2015 fit also had."""
SKILL_GOALS = {"cells": 0.0, "provinces": 0.0}
SPEARMAN_GOAL = 0.6


@dataclass(frozen=True)
class Skill:
    """CRPS of the out-of-sample ensemble against two naive forecasts (:func:`skill`)."""

    scope: str                 # "cells": province x sector CO2 above MIN_CO2_COVERAGE; "provinces": totals
    n: int                     # number of cells or provinces
    crps: float                # mean CRPS of the ensemble [Mt CO2]
    crps_persistence: float    # mean CRPS (= absolute error) of the 2015 value [Mt CO2]
    crps_trend: float          # mean CRPS (= absolute error) of the 2010-2015 trend [Mt CO2]

    @property
    def skill_persistence(self) -> float:
        """CRPS skill score against persistence, 1 - CRPS / CRPS_persistence [1]."""
        return 1.0 - self.crps / self.crps_persistence

    @property
    def skill_trend(self) -> float:
        """CRPS skill score against the extrapolated 2010-2015 trend [1]."""
        return 1.0 - self.crps / self.crps_trend


@dataclass(frozen=True)
class Skills:
    """Skill of the ensemble hindcast: cells, province totals, and the rank correlation of the
    provinces' CO2 growth 2015 -> 2019 (model median against CEADs)."""

    cells: Skill
    provinces: Skill
    spearman: float
    province_growth: dict      # province -> (model median growth, CEADs growth) 2019/2015 [1]

    def rows(self) -> list[dict]:
        """The figures as rows (scope, statistic, value, n) for a CSV or JSON file."""
        out = []
        for k in (self.cells, self.provinces):
            for name in ("crps", "crps_persistence", "crps_trend", "skill_persistence", "skill_trend"):
                out.append(dict(scope=k.scope, statistic=name, value=float(getattr(k, name)), n=k.n))
        out.append(dict(scope="provinces", statistic="spearman_co2_growth", value=self.spearman,
                        n=len(self.province_growth)))
        for p, (m, o) in self.province_growth.items():
            out.append(dict(scope=p, statistic="co2_growth_model_median", value=m, n=1))
            out.append(dict(scope=p, statistic="co2_growth_ceads", value=o, n=1))
        return out

    def meets_goals(self) -> dict[str, bool]:
        """Skill > 0 against both naive forecasts for cells and provinces; Spearman >= 0.6."""
        out = {}
        for k in (self.cells, self.provinces):
            out[f"{k.scope} skill vs persistence"] = k.skill_persistence > SKILL_GOALS[k.scope]
            out[f"{k.scope} skill vs trend"] = k.skill_trend > SKILL_GOALS[k.scope]
        out["spearman"] = self.spearman >= SPEARMAN_GOAL
        return out


def naive_forecasts(history) -> tuple[np.ndarray, np.ndarray]:
    """(P,S) persistence (CEADs CO2 of START) and trend (the least-squares line through
    TREND_WINDOW extrapolated to END, floored at 0) [Mt CO2]; NaN where CEADs has no inventory."""
    total = np.nansum(history.co2, axis=-1)  # (Y,P,S)
    covered = np.isfinite(history.co2[history.index(END)]).all(-1)
    years = np.arange(TREND_WINDOW[0], TREND_WINDOW[1] + 1)
    y = total[[history.index(int(t)) for t in years]]  # (T,P,S)
    x = years - years.mean()
    slope = np.tensordot(x, y, axes=(0, 0)) / (x ** 2).sum()
    trend = np.maximum(y.mean(0) + slope * (END - years.mean()), 0.0)
    persistence = total[history.index(START)]
    return np.where(covered, persistence, np.nan), np.where(covered, trend, np.nan)


def crps(observed: np.ndarray, members: np.ndarray) -> np.ndarray:
    """CRPS [units of the data] of ensemble ``members`` (M,n) at ``observed`` (n,): scoringrules'
    crps_ensemble with the energy estimator, E|X - y| - E|X - X'|/2 over the ensemble's empirical
    distribution (not the 'fair' one, so a one-member forecast's CRPS is its absolute error and
    the naive forecasts are scored on the same footing)."""
    import scoringrules

    return np.asarray(scoringrules.crps_ensemble(observed, members, m_axis=0, estimator="nrg"), dtype=float)


def skill(c: Coverage, history=None) -> Skills:
    """CRPS of the ensemble (:func:`ensemble`, ``co2_members``) and of the naive forecasts
    (:func:`naive_forecasts`) for province x sector CO2 2019 (cells above MIN_CO2_COVERAGE, the
    coverage's cells) and for province totals over the sectors CEADs covers; Spearman's rank
    correlation of the provinces' CO2 growth START -> END, ensemble median against CEADs."""
    history = history or load_history()
    if c.co2_members is None:
        raise ValueError("the coverage has no member CO2 (run hindcast.ensemble)")
    persistence, trend = naive_forecasts(history)
    cells = c.co2_cells
    obs = c.observed[cells]
    cell = Skill("cells", int(cells.sum()), float(crps(obs, c.co2_members[:, cells]).mean()),
                 float(crps(obs, persistence[cells][None]).mean()),
                 float(crps(obs, trend[cells][None]).mean()))
    covered = np.isfinite(c.observed)
    rows = covered.any(axis=1)
    total = lambda a: np.where(covered, a, 0.0).sum(axis=-1)[..., rows]  # noqa: E731
    obs_p, model_p = total(c.observed), total(c.co2_members)
    prov = Skill("provinces", int(rows.sum()), float(crps(obs_p, model_p).mean()),
                 float(crps(obs_p, total(persistence)[None]).mean()),
                 float(crps(obs_p, total(trend)[None]).mean()))
    growth_model = np.median(model_p, axis=0) / total(persistence)
    growth_obs = obs_p / total(persistence)
    names = [p for p, r in zip(axes.PROVINCES, rows) if r]
    return Skills(cells=cell, provinces=prov, spearman=float(spearmanr(growth_model, growth_obs).statistic),
                  province_growth={p: (float(m), float(o)) for p, m, o in zip(names, growth_model, growth_obs)})


def format_skill(k: Skills) -> str:
    """The skill figures as console text."""
    goals = k.meets_goals()
    lines = [f"Skill of the ensemble {START} -> {END} (CRPS, scoringrules; naive forecasts: persistence = "
             f"CEADs {START}, trend = the {TREND_WINDOW[0]}-{TREND_WINDOW[1]} line extrapolated)",
             f"{'':<34} {'CRPS Mt':>8} {'persist.':>9} {'trend':>7} {'skill vs persist.':>18} {'vs trend':>9}"]
    for s in (k.cells, k.provinces):
        label = (f"province x sector cells > {MIN_CO2_COVERAGE:g} Mt ({s.n})" if s.scope == "cells"
                 else f"province totals ({s.n})")
        lines.append(f"{label:<34} {s.crps:>8.2f} {s.crps_persistence:>9.2f} {s.crps_trend:>7.2f} "
                     f"{s.skill_persistence:>18.3f} {s.skill_trend:>9.3f}")
    ok = all(v for key, v in goals.items() if key != "spearman")
    lines.append(f"skill > 0 against both, cells and provinces: {'met' if ok else 'MISSED'}")
    lines.append(f"Spearman rank correlation of the provinces' CO2 growth {START}->{END}, ensemble median vs "
                 f"CEADs: {k.spearman:.3f} (goal >= {SPEARMAN_GOAL}: {'met' if goals['spearman'] else 'MISSED'})")
    return "\n".join(lines)


def write_skill(k: Skills, c: Coverage, path) -> None:
    """Write the skill figures and the coverage to ``path``: ``.json`` (an object with the summary,
    the goals and the rows) or ``.csv`` (the rows: scope, statistic, value, n), atomically."""
    rows = k.rows() + [dict(scope="cells", statistic="co2_coverage_5_95", value=c.co2_coverage,
                            n=int(c.co2_cells.sum())),
                       dict(scope="national", statistic="electricity_coverage_5_95", value=c.elec_coverage,
                            n=int(c.elec_cells.sum()))]
    path = Path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(dict(hindcast=f"{START}->{END}", members=c.members, parameters=c.parameter_source,
                               goals=k.meets_goals(), rows=rows), indent=1)
    else:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["scope", "statistic", "value", "n"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        text = buf.getvalue()
    with files.atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
