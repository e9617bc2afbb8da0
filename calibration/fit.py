"""Fit the dynamic parameters that one base year cannot pin down, over 2010-2015.

Usage: ``python -m calibration.fit`` (or ``sim calibrate --fit``) writes calibration/fitted.toml and
calibration/fitted_growth.csv from the committed base state of 2010 and history (no ../shared).

The model (the Numba kernel, no policy levers) runs from the 2010 base state to 2015 and is fitted
by bounded least squares (scipy.optimize.least_squares, 'trf') to

* CEADs CO2 by province, sector and carrier (coal, oil, gas, cement process), 2011-2015;
* NBS outputs (crude steel, cement, ten non-ferrous metals) by province and the real value-added
  index of the other sectors, 2011-2015, as growth relative to 2010;
* CEC national electricity by sector, 2011-2015;
* the national EAF share of crude steel in 2015;
* a Gaussian prior on every parameter (the nominal values of assumptions.toml), so parameters the
  data do not identify stay near their prior and say so through their standard deviation.

Parameters: per sector the AEEI (annual decline of the best-available intensity), the mean
capacity lifetime, an autonomous coal-to-gas trend and an autonomous electrification trend
(cumulative share switched = rate x years since the base year); the steel in-use stock lifetime;
and a constant demand growth rate per province and sector.

Residuals are weighted by standard deviations estimated from the residuals themselves: a first
pass with nominal values, then each group's (each sector's CO2, the material outputs, the value-
added index, electricity) RMS residual becomes its sigma and the fit is repeated. Parameter
standard deviations come from the Jacobian at the optimum, both model-based, s^2 (J'J)^-1, and
cluster-robust by province (residuals of a province are correlated: CEADs is built from each
province's energy balance); the larger is reported and used for the uncertainty widths.

The Jacobian is computed by forward differences in one kernel call, one ensemble member per
parameter (growth, lifetime and AEEI are per-member kernel inputs; members with the same
fuel-switching trends share a kernel call, sim.model.historical.run_history); the steel stock lifetime, which changes the
shared in-use stock profile, takes one more call.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import subprocess
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import tomli_w
from scipy.optimize import least_squares

from sim.core import axes, files
from sim.core.units import PJ_PER_TWH
from sim.data.base_state import (
    CALIBRATION_DIR,
    FITTED_FILE,
    BaseState,
    load_base_state,
    resolve_stock_profile,
)
from sim.data.history import (
    ACTIVITY_SERIES,
    CO2_CARRIERS,
    History,
    activity_drivers,
    load_history,
    phase_out_history,
    structure_history,
)
from sim.model.historical import co2_by_carrier, run_history
from sim.model.kernel import KernelInputs

ELECTRICITY = axes.CARRIERS.index("electricity")

WINDOW = (2010, 2019)
"""The window of the shipped parameters (calibration/fitted.toml)."""
TEST_WINDOW = (2010, 2015)
"""The window of the out-of-sample check: fitted here (calibration/fitted_2010_2015.toml), tested
by the 2015 -> 2019 hindcast (sim.analysis.hindcast)."""
GROWTH_FILE = CALIBRATION_DIR / "fitted_growth.csv"
TEST_FILE = CALIBRATION_DIR / "fitted_2010_2015.toml"
ELECTRICITY_BREAKS = {"nonferrous": 2016}
"""CEC series breaks: from this year the sector's electricity is on another basis (non-ferrous:
captive power of aluminium smelters counted from 2016, calibration/README.md), so its electricity
from then on is not a residual (the base states of 2010 and 2015 are on the old basis)."""
SECTORS = axes.SECTORS
S = len(SECTORS)
STEEL = SECTORS.index("iron_steel")
EAF = axes.route_index("iron_steel", "scrap_eaf")
STEEL_METAL = axes.METALS.index("steel")
MATERIAL = np.array([s in axes.MATERIAL_SECTORS for s in SECTORS])
HAS_AEEI_ELEC = "aeei_elec" in {f.name for f in dataclasses.fields(KernelInputs)}
"""The kernel has a separate electricity AEEI (issue #12, calibration fits it when present)."""
MIN_CO2 = 0.1
"""Mt: province x sector pairs emitting less in the base year are left out of the CO2 residuals
(their carrier split is dominated by statistical noise)."""

# prior sd and bounds of the dynamic parameters (prior means: calibration/assumptions.toml). None:
# the physical bound of the base state (assumptions.toml with its sources, the bounds sim.model.run
# holds ensemble members to): the AEEI's upper BaseState.aeei_max ([sectors.aeei_max]), the
# lifetime's lower BaseState.lifetime_min ([sectors.lifetime_min])
PRIORS = {
    "aeei": dict(mean=0.02, sd=0.015, lower=0.0, upper=None, unit="yr-1"),
    "aeei_elec": dict(mean=0.02, sd=0.015, lower=0.0, upper=None, unit="yr-1"),
    "lifetime": dict(rel_sd=0.3, lower=None, upper=80.0, unit="yr"),
    "stock_lifetime": dict(rel_sd=0.2, lower=15.0, upper=80.0, unit="yr"),
    "coal_to_gas_trend": dict(sd=0.02, lower=0.0, upper=0.1, unit="yr-1"),
    "electrification_trend": dict(sd=0.02, lower=0.0, upper=0.1, unit="yr-1"),
    "growth": dict(sd=0.1, lower=-0.3, upper=0.5, unit="yr-1"),
}
PRIOR_REASONING = {
    "aeei": "annual decline of the gap between best-available and floor intensity (fuel carriers). "
            "Prior 2 %/yr, sd 1.5, bounds 0-6 %/yr: best-available (new-build) intensity has improved "
            "about 1 %/yr of its level (IEA technology roadmaps; LBNL best-practice updates) and the "
            "floors lie about 50 % (steel) to 50-75 % (value-added sectors) below it (floors_check.csv), "
            "so the gap closes at about 1/0.5 = 2 %/yr; 6 %/yr would be three times the historical "
            "pace of best practice. Closures of backward capacity (phase_out history) and the "
            "structure of non-metallic minerals now carry what this rate carried before",
    "aeei_elec": "the same for the electricity carrier, same prior and bounds (no separate evidence on "
                 "the pace of best-practice electricity use; CEC electricity by sector 2010-2019 is the "
                 "fit target that separates it)",
    "lifetime": "assumptions.toml [sectors.lifetime], sd 30 % (closures under capacity policy shorten "
                "lives, relining lengthens them); lower bounds assumptions.toml [sectors.lifetime_min]: "
                "15 yr for iron and steel (one blast-furnace campaign, 15-20 yr), 10 yr elsewhere (the "
                "shortest depreciation life of production equipment in Chinese tax law)",
    "stock_lifetime": "assumptions.toml [metals.steel] 35 yr, sd 20 % (literature 30-40 yr)",
    "coal_to_gas_trend": "none expected (0), sd 2 points/yr",
    "electrification_trend": "none expected (0), sd 2 points/yr",
    "growth": "the sector's national trend over the window, sd 10 points/yr (weak)",
}

NOMINAL_SIGMA = dict(co2=0.1, mix=0.02, material=0.05, va=0.05, electricity=0.05, eaf=0.01)
MIN_GROUP = 20
"""Residual groups with fewer residuals keep their nominal sigma (one EAF share is no sample)."""
LOSS, F_SCALE = "soft_l1", 2.0
"""Robust loss on the sigma-scaled residuals: quadratic within about 2 sigma, linear beyond, so
statistical breaks in single provinces (e.g. Beijing's steel moving to Hebei in 2010-2011) do not
drive the national parameters."""


def robust_weights(r: np.ndarray) -> np.ndarray:
    """IRLS weights rho'(z) of the soft_l1 loss at residuals r (in sigma units)."""
    return 1.0 / np.sqrt(1.0 + (r / F_SCALE) ** 2)


def robust_sigma(r: np.ndarray) -> float:
    """1.4826 x median absolute residual: the sd of the bulk of a group, not of its outliers."""
    return max(float(1.4826 * np.median(np.abs(r))), 1e-4)


# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Observations:
    """Observed series over the fit window (index 0 = the base year), arrays in sim.core.axes order."""

    years: tuple[int, ...]
    co2: np.ndarray            # (T,P,S,4) Mt by sim.data.history.CO2_CARRIERS, NaN = not observed
    activity: np.ndarray       # (T,P,S) observed activity (Mt or index), NaN = missing
    electricity: np.ndarray | None  # (T,S) TWh national, or None
    eaf_share: dict = field(default_factory=dict)  # {year: national EAF share of crude steel}
    phase_out: np.ndarray | None = None   # (P_all,S,T) historical phase_out lever, None = 0
    structure: np.ndarray | None = None   # (P_all,S,T) energy structure factor, None = 1


def observations(history: History, years=tuple(range(WINDOW[0], WINDOW[1] + 1))) -> Observations:
    """The observations over ``years`` with the history terms of a historical run: the closure
    programmes as phase_out lever (sim.data.history.phase_out_history) and the energy structure
    of non-metallic minerals (sim.data.history.structure_history); activity with the rules of the
    projections for the base year years[0] (small bases, the chemical-fibre part:
    sim.data.history.activity_drivers)."""
    years = tuple(years)
    idx = [history.index(y) for y in years]
    eaf = {y: v for y, v in history.national.get("eaf_share", {}).items() if years[0] < y <= years[-1]}
    return Observations(years, history.co2[idx], activity_drivers(history, years), history.electricity[idx], eaf,
                        phase_out=phase_out_history(years), structure=structure_history(history, years))


@dataclass
class Layout:
    """Parameter vector: names, prior means and sds, bounds, groups (name -> slice)."""

    names: list[str]
    prior: np.ndarray
    prior_sd: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    groups: dict[str, slice]
    provinces: tuple[str, ...]

    def unpack(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """(M,n) parameter rows -> arrays per group: aeei, lifetime, trends (M,S), stock_lifetime
        (M,), growth (M,P,S)."""
        X = np.atleast_2d(X)
        out = {g: X[:, sl] for g, sl in self.groups.items()}
        out["stock_lifetime"] = out["stock_lifetime"][:, 0]
        out["growth"] = out["growth"].reshape(X.shape[0], len(self.provinces), S)
        return out


def layout(base: BaseState, obs: Observations, provinces=axes.PROVINCES) -> Layout:
    """The parameter vector of the fit: names, prior means and sds, bounds and groups of the
    AEEI [yr-1], lifetimes [yr], trends [yr-1], steel stock lifetime [yr] and activity growth
    [yr-1] per province x sector."""
    names, prior, sd, lo, hi, groups = [], [], [], [], [], {}

    def add(group, labels, mean, sds, lower=None, upper=None):
        p = PRIORS[group]
        start = len(names)
        names.extend(f"{group}.{x}" for x in labels)
        prior.extend(mean)
        sd.extend(sds)
        lo.extend(np.broadcast_to(p["lower"] if lower is None else lower, len(labels)).tolist())
        hi.extend(np.broadcast_to(p["upper"] if upper is None else upper, len(labels)).tolist())
        groups[group] = slice(start, len(names))

    add("aeei", SECTORS, np.full(S, PRIORS["aeei"]["mean"]), [PRIORS["aeei"]["sd"]] * S,
        upper=base.aeei_max)
    if HAS_AEEI_ELEC:
        add("aeei_elec", SECTORS, np.full(S, PRIORS["aeei_elec"]["mean"]),
            [PRIORS["aeei_elec"]["sd"]] * S, upper=base.aeei_max)
    add("lifetime", SECTORS, base.lifetime, base.lifetime * PRIORS["lifetime"]["rel_sd"],
        lower=base.lifetime_min)
    L = float(base.stock_lifetime[STEEL_METAL])
    add("stock_lifetime", ["steel"], [L], [L * PRIORS["stock_lifetime"]["rel_sd"]])
    add("coal_to_gas_trend", SECTORS, np.zeros(S), [PRIORS["coal_to_gas_trend"]["sd"]] * S)
    add("electrification_trend", SECTORS, np.zeros(S), [PRIORS["electrification_trend"]["sd"]] * S)
    a = np.nan_to_num(obs.activity)
    T = len(obs.years) - 1
    both = (a[0] > 0) & (a[-1] > 0)
    nat = (np.where(both, a[-1], 0).sum(0) / np.maximum(np.where(both, a[0], 0).sum(0), 1e-300)) ** (1 / T) - 1
    nat = np.where(np.isfinite(nat) & (nat > -0.3), nat, 0.0)
    add("growth", [f"{p}.{s}" for p in provinces for s in SECTORS], np.tile(nat, len(provinces)),
        [PRIORS["growth"]["sd"]] * (len(provinces) * S))
    prior = np.clip(np.array(prior), np.array(lo), np.array(hi))
    return Layout(names, prior, np.array(sd), np.array(lo), np.array(hi), groups, tuple(provinces))


def subset(base: BaseState, provinces) -> BaseState:
    """The base state of some provinces only (for small fits, e.g. tests)."""
    idx = [axes.PROVINCES.index(p) for p in provinces]
    arrays = {}
    for name in base.__dataclass_fields__:
        v = getattr(base, name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == len(axes.PROVINCES) \
                and name not in ("coal_to_gas_trend", "electrification_trend", "aeei", "lifetime"):
            arrays[name] = v[idx]
    return replace(base, **arrays)


# ------------------------------------------------------------------------------------------------
class Problem:
    """Model evaluation and weighted residuals for a fit window."""

    def __init__(self, base: BaseState, obs: Observations, lay: Layout, sigma: dict | None = None):
        self.base, self.obs, self.lay = base, obs, lay
        self.sigma = dict(NOMINAL_SIGMA, **{f"co2.{s}": NOMINAL_SIGMA["co2"] for s in SECTORS},
                          **{f"mix.{s}.{c}": NOMINAL_SIGMA["mix"] for s in SECTORS for c in CO2_CARRIERS})
        if sigma:
            self.sigma.update(sigma)
        T = len(obs.years)
        self.T = T
        co2 = obs.co2
        total0 = np.nansum(co2[0], axis=-1)  # (P,S)
        observed = np.isfinite(co2[0]).all(-1)
        keep = observed & (total0 >= MIN_CO2)
        mean_s = np.array([total0[keep[:, s], s].mean() if keep[:, s].any() else 1.0 for s in range(S)])
        self.co2_scale = np.sqrt(np.maximum(total0, 1e-12) * mean_s[None])  # (P,S)
        self.co2_keep = keep  # (P,S)
        carriers = np.zeros((S, len(CO2_CARRIERS)), dtype=bool)
        carriers[:, :3] = True
        carriers[SECTORS.index("nonmetallic_minerals"), 3] = True
        self.carriers = carriers  # (S,4) carriers whose share of the sector's CO2 is a residual
        self.co2_mask = keep[:, :, None] & carriers[None]  # (P,S,4)
        obs_tot = np.nansum(co2, axis=-1)  # (T,P,S)
        self.obs_share = np.nan_to_num(co2) / np.maximum(obs_tot, 1e-12)[..., None]
        a = obs.activity
        self.act_mask = np.isfinite(a) & (a > 0) & (np.isfinite(a[0]) & (a[0] > 0))[None]  # (T,P,S)
        self.act_mask[0] = False
        self.log_act = np.log(np.where(self.act_mask, a, 1.0) / np.where(np.isfinite(a[0]) & (a[0] > 0), a[0], 1.0))
        self.eaf_years = [obs.years.index(y) for y in sorted(obs.eaf_share)]
        elec_mask = np.ones((T - 1, S), dtype=bool)
        for sector, y in ELECTRICITY_BREAKS.items():
            elec_mask[np.array(obs.years[1:]) >= y, SECTORS.index(sector)] = False
        self.elec_mask = elec_mask  # (T-1,S) electricity values that are residuals
        rows = [axes.PROVINCES.index(p) for p in lay.provinces]
        P = len(rows)
        self.phase_out = (np.zeros((P, S, T)) if obs.phase_out is None else obs.phase_out[rows])
        self.structure = (np.ones((P, S, T)) if obs.structure is None else obs.structure[rows])
        self._cache_x = None

    # -------------------------------------------------------------------------------- model
    def simulate(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Model quantities compared with the observations, for parameter rows X (M,n)."""
        X = np.atleast_2d(X)
        par = self.lay.unpack(X)
        M = X.shape[0]
        co2 = np.empty((M, self.T, *self.co2_mask.shape))
        demand = np.empty((M, self.T, len(self.lay.provinces), S))
        elec = np.empty((M, self.T, S))
        eaf = np.empty((M, self.T))
        base = self.base
        # members sharing a steel stock lifetime share the (re-solved) in-use stock profile
        for L in np.unique(par["stock_lifetime"]):
            rows = np.flatnonzero(par["stock_lifetime"] == L)
            b = self._base_for_stock_lifetime(float(L))
            growth = np.repeat(par["growth"][rows][..., None], self.T, axis=-1)
            growth[..., 0] = 0.0
            stock_lifetime = np.repeat(base.stock_lifetime[None], len(rows), axis=0)
            stock_lifetime[:, STEEL_METAL] = L
            out = run_history(b, self.obs.years, growth, par["lifetime"][rows], par["aeei"][rows],
                              stock_lifetime, par["coal_to_gas_trend"][rows],
                              par["electrification_trend"][rows],
                              aeei_elec=par["aeei_elec"][rows] if "aeei_elec" in par else None,
                              energy_factor=self.structure, floor_int=b.floor_int,
                              phase_out=self.phase_out)
            fe = out.final_energy
            co2[rows] = np.moveaxis(co2_by_carrier(out, base.ef), -1, 1)
            demand[rows] = np.moveaxis(out.demand, -1, 1)
            elec[rows] = np.moveaxis(fe[:, :, :, ELECTRICITY].sum(axis=1), -1, 1) / PJ_PER_TWH
            steel = out.production[:, :, STEEL]  # (M,P,R,T)
            eaf[rows] = steel[:, :, EAF].sum(1) / np.maximum(steel.sum((1, 2)), 1e-300)
        return dict(co2=co2, demand=demand, electricity=elec, eaf=eaf)

    def _base_for_stock_lifetime(self, L: float) -> BaseState:
        b = self.base
        if L == float(b.stock_lifetime[STEEL_METAL]):
            return b
        n = STEEL_METAL
        out = b.production0[:, b.metal_sector[n]].sum()
        stock0 = resolve_stock_profile(b.stock0, n, L, float(b.scrap_supply_target[n]),
                                       float(b.collection[n]), float(b.prompt_scrap[n]), out)
        return replace(b, stock0=stock0)

    # -------------------------------------------------------------------------------- residuals
    def residual_groups(self, sim: dict[str, np.ndarray], X: np.ndarray) -> dict[str, np.ndarray]:
        """Unweighted-by-sigma residuals (M, n_g) per group, in a fixed order."""
        obs = self.obs
        M = X.shape[0]
        out: dict[str, np.ndarray] = {}
        # sector totals (scaled between relative and absolute) and the carrier mix (shares)
        mt = sim["co2"][:, 1:].sum(-1)  # (M,T-1,P,S)
        d = (mt - np.nansum(obs.co2[1:], axis=-1)[None]) / self.co2_scale[None, None]
        share = sim["co2"][:, 1:] / np.maximum(mt, 1e-12)[..., None]
        dmix = share - self.obs_share[None, 1:]
        for s, name in enumerate(SECTORS):
            out[f"co2.{name}"] = d[:, :, self.co2_keep[:, s], s].reshape(M, -1)
        for s, name in enumerate(SECTORS):
            for c, carrier in enumerate(CO2_CARRIERS):
                if self.carriers[s, c]:
                    out[f"mix.{name}.{carrier}"] = dmix[:, :, self.co2_keep[:, s], s, c].reshape(M, -1)
        la = np.log(np.maximum(sim["demand"], 1e-300) / np.maximum(sim["demand"][:, :1], 1e-300))
        r = la - self.log_act[None]
        out["material"] = r[:, :, :, MATERIAL][:, self.act_mask[:, :, MATERIAL]].reshape(M, -1)
        out["va"] = r[:, :, :, ~MATERIAL][:, self.act_mask[:, :, ~MATERIAL]].reshape(M, -1)
        if obs.electricity is not None:
            r = np.log(np.maximum(sim["electricity"][:, 1:], 1e-300)
                       / np.maximum(obs.electricity[None, 1:], 1e-300))
            out["electricity"] = r[:, self.elec_mask].reshape(M, -1)
        if self.eaf_years:
            out["eaf"] = sim["eaf"][:, self.eaf_years] - np.array([obs.eaf_share[y] for y in sorted(obs.eaf_share)])[None]
        out["prior"] = (X - self.lay.prior[None]) / self.lay.prior_sd[None]
        return out

    def weighted(self, groups: dict[str, np.ndarray]) -> np.ndarray:
        """Residual groups divided by their sigma (the prior group is already standardised),
        concatenated to (M, n) rows."""
        parts = [g / (self.sigma[k] if k != "prior" else 1.0) for k, g in groups.items()]
        return np.concatenate(parts, axis=1)

    def residuals(self, X: np.ndarray) -> np.ndarray:
        """Weighted residuals (M, n) of parameter rows ``X`` (M, n_parameters)."""
        X = np.atleast_2d(X)
        return self.weighted(self.residual_groups(self.simulate(X), X))

    def fun(self, x: np.ndarray) -> np.ndarray:
        """Weighted residuals of one parameter vector ``x``: the objective of least_squares."""
        return self.residuals(x[None])[0]

    def jac(self, x: np.ndarray) -> np.ndarray:
        """Forward-difference Jacobian of :meth:`fun` (step 1e-5 prior sd, backwards at an upper
        bound), all columns in one batched run of the model."""
        n = len(x)
        h = 1e-5 * self.lay.prior_sd
        up = x + h > self.lay.upper
        h = np.where(up, -h, h)
        X = np.repeat(x[None], n + 1, axis=0)
        X[1:][np.arange(n), np.arange(n)] += h
        R = self.residuals(X)
        return ((R[1:] - R[0]) / h[:, None]).T

    def clusters(self) -> np.ndarray:
        """Cluster (province index, or -1 for a national residual, -2 - k for prior k) of every
        residual, in the order of :meth:`residuals`."""
        P = len(self.lay.provinces)
        T = self.T - 1
        tp = np.broadcast_to(np.arange(P)[None, :], (T, P))
        parts = [tp[:, self.co2_keep[:, s]].ravel() for s in range(S)]
        parts += [tp[:, self.co2_keep[:, s]].ravel() for s in range(S) for c in range(len(CO2_CARRIERS))
                  if self.carriers[s, c]]
        pp = np.broadcast_to(np.arange(P)[None, :, None], (self.T, P, S))
        parts.append(pp[:, :, MATERIAL][self.act_mask[:, :, MATERIAL]].ravel())
        parts.append(pp[:, :, ~MATERIAL][self.act_mask[:, :, ~MATERIAL]].ravel())
        if self.obs.electricity is not None:
            parts.append(np.full(int(self.elec_mask.sum()), -1))
        if self.eaf_years:
            parts.append(np.full(len(self.eaf_years), -1))
        parts.append(-2 - np.arange(len(self.lay.names)))
        return np.concatenate(parts)


# ------------------------------------------------------------------------------------------------
@dataclass
class FitResult:
    """A finished fit: parameter values and sds (model-based, robust, reported), bounds hit,
    residual sigmas, statistics, and the problem it solved."""

    x: np.ndarray
    sd: np.ndarray              # reported sd: max of model-based and cluster-robust
    sd_model: np.ndarray
    sd_robust: np.ndarray
    at_bound: np.ndarray
    lay: Layout
    sigma: dict                 # estimated residual sd per group
    stats: dict
    problem: Problem
    window: tuple[int, int] = WINDOW
    discrepancy: dict = field(default_factory=dict)  # sector -> sigma [yr^-1/2], from run()
    companion: FitResult | None = None                # the 2010-2015 fit, from run()

    def value(self, name: str) -> float:
        """Fitted value of parameter ``name`` (e.g. ``aeei.iron_steel``)."""
        return float(self.x[self.lay.names.index(name)])

    def group(self, g: str) -> tuple[np.ndarray, np.ndarray]:
        """Fitted values and sds of parameter group ``g`` (in sector order)."""
        sl = self.lay.groups[g]
        return self.x[sl], self.sd[sl]


def _covariances(J: np.ndarray, r: np.ndarray, clusters: np.ndarray, n_data: int):
    """Model-based s^2 (J'J)^-1 and province-cluster-robust (sandwich) covariances."""
    JTJ = J.T @ J
    bread = np.linalg.pinv(JTJ)
    dof = max(n_data - J.shape[1], 1)
    s2 = float((r[:n_data] ** 2).sum() / dof)
    cov_model = bread * max(s2, 1.0)
    meat = np.zeros_like(JTJ)
    for c in np.unique(clusters):
        sel = clusters == c
        u = J[sel].T @ r[sel]
        meat += np.outer(u, u)
    G = len(np.unique(clusters[clusters >= 0]))
    adj = G / max(G - 1, 1)
    cov_robust = bread @ meat @ bread * adj
    return cov_model, cov_robust, s2


def fit(base: BaseState, obs: Observations, lay: Layout | None = None, passes: int = 2,
        x0: np.ndarray | None = None, verbose: int = 0, max_nfev: int = 60) -> FitResult:
    """Bounded weighted least squares; ``passes`` > 1 re-estimates the residual sigmas."""
    lay = lay or layout(base, obs)
    x = np.clip(lay.prior.copy() if x0 is None else x0, lay.lower, lay.upper)
    sigma: dict = {}
    t0 = time.perf_counter()
    nfev = 0
    for k in range(passes):
        prob = Problem(base, obs, lay, sigma)
        res = least_squares(prob.fun, x, jac=prob.jac, bounds=(lay.lower, lay.upper), method="trf",
                            x_scale=lay.prior_sd, loss=LOSS, f_scale=F_SCALE, max_nfev=max_nfev,
                            verbose=verbose)
        x = res.x
        nfev += res.nfev
        groups = prob.residual_groups(prob.simulate(x[None]), x[None])
        sigma = {g: robust_sigma(v[0]) for g, v in groups.items() if g != "prior" and v.shape[1] >= MIN_GROUP}
    # statistics and covariances with the sigmas estimated at the optimum
    prob = Problem(base, obs, lay, sigma)
    r = prob.fun(x)
    J = prob.jac(x)
    w = np.sqrt(robust_weights(r))  # the robust loss as iteratively reweighted least squares
    r, J = r * w, J * w[:, None]
    n_prior = len(lay.names)
    n_data = len(r) - n_prior
    cov_m, cov_r, s2 = _covariances(J, r, prob.clusters(), n_data)
    sd_m = np.sqrt(np.maximum(np.diag(cov_m), 0))
    sd_r = np.sqrt(np.maximum(np.diag(cov_r), 0))
    groups = prob.residual_groups(prob.simulate(x[None]), x[None])
    tol = 1e-4 * (lay.upper - lay.lower)  # trf stops just inside an active bound
    at_bound = (x <= lay.lower + tol) | (x >= lay.upper - tol)
    stats = dict(
        n_residuals=int(n_data), n_parameters=int(len(x)), passes=passes, nfev=int(nfev),
        chi2_data=float((r[:n_data] ** 2).sum()), chi2_prior=float((r[n_data:] ** 2).sum()),
        reduced_chi2=float(s2), seconds=round(time.perf_counter() - t0, 1),
        rms={g: float(np.sqrt(np.mean(v[0] ** 2))) for g, v in groups.items() if v.shape[1] > 0},
        n={g: int(v.shape[1]) for g, v in groups.items()},
    )
    stats.update(_co2_statistics(prob, x))
    return FitResult(x=x, sd=np.maximum(sd_m, sd_r), sd_model=sd_m, sd_robust=sd_r, at_bound=at_bound,
                     lay=lay, sigma=prob.sigma, stats=stats, problem=prob,
                     window=(int(obs.years[0]), int(obs.years[-1])))


def _co2_statistics(prob: Problem, x: np.ndarray) -> dict:
    """Fit quality in the units a reader checks: national CO2 error by year, R^2 of province x
    sector CO2 (all years), median absolute percentage error of province x sector totals."""
    sim = prob.simulate(x[None])
    m = sim["co2"][0].sum(-1)           # (T,P,S)
    o = np.nansum(prob.obs.co2, axis=-1)  # (T,P,S)
    keep = prob.co2_keep
    nat = {int(y): float(m[t][keep].sum() / o[t][keep].sum() - 1) for t, y in enumerate(prob.obs.years)}
    mm, oo = m[1:][:, keep], o[1:][:, keep]
    r2 = 1 - ((mm - oo) ** 2).sum() / ((oo - oo.mean()) ** 2).sum()
    ape = np.abs(m[-1][keep] - o[-1][keep]) / np.maximum(o[-1][keep], 1e-12)
    return dict(national_co2_error=nat, r2_province_sector_co2=float(r2),
                median_ape_last_year=float(np.median(ape)))


def discrepancy_sigma(result: FitResult) -> dict[str, float]:
    """Model-discrepancy sigma per sector [yr^-1/2] from the fit's own residuals.

    The discrepancy (DYNAMICS.md) multiplies a sector's final energy by exp(sigma_s sqrt(t) z): a
    random walk in the log of energy. Its sigma is estimated from the residuals of the fitted
    model's energy CO2 (coal + oil + gas, which scale with final energy; process CO2 does not) by
    province and sector: z = log(model / CEADs) / sqrt(t) over t = 1 .. T-1 and the provinces in
    the CO2 residuals, sigma_s = 1.4826 x median |z| (robust: single-province statistical breaks
    do not set it). In-sample residuals, so if anything too small (the hindcast's coverage tests
    that on data the fit has not seen)."""
    prob = result.problem
    sim = prob.simulate(result.x[None])["co2"][0][..., :3].sum(-1)  # (T,P,S) Mt energy CO2
    obs = np.nansum(prob.obs.co2[..., :3], axis=-1)
    t = np.arange(prob.T)[:, None, None]
    out = {}
    for s, name in enumerate(SECTORS):
        ok = prob.co2_keep[:, s][None] & (obs[:, :, s] > 0) & (sim[:, :, s] > 0) & (t[:, :, 0] > 0)
        z = (np.log(np.where(ok, sim[:, :, s], 1) / np.where(ok, obs[:, :, s], 1))
             / np.sqrt(np.maximum(t[:, :, 0], 1)))[ok]
        out[name] = round(robust_sigma(z), 4) if z.size else 0.0
    return out


# ------------------------------------------------------------------------------------------------
CALIBRATED_PARAMETERS = ("growth_offset", "heavy_growth_offset", "lifetime_multiplier",
                         "aeei_multiplier", "aeei_elec_multiplier", "stock_lifetime_multiplier")
"""Uncertain parameters (sim.scenario.uncertainty) whose default width comes from the fit."""


def _relative_sd(result: FitResult, group: str) -> tuple[float, list[str]]:
    """Median over sectors of sd / value of a fitted group, over values off their bounds (a
    value on a bound has no interior curvature); returns (relative sd, sectors used)."""
    sl = result.lay.groups[group]
    x, sd, at = result.x[sl], result.sd[sl], result.at_bound[sl]
    labels = result.lay.names[sl]
    keep = (~at) & (x > 0)
    return float(np.median(sd[keep] / x[keep])), [n.split(".", 1)[1] for n, k in zip(labels, keep) if k]


def trend_break(history: History, fit_window=TEST_WINDOW, test_window=(2015, 2019)) -> dict[str, float]:
    """Per sector: national observed growth over ``test_window`` minus that over ``fit_window``
    [yr-1] (compound annual rates of the activity series summed over provinces observed in both
    years) — how wrong a trend fitted on the first window was on the next."""
    a = history.activity

    def rate(y0, y1):
        A0, A1 = a[history.index(y0)], a[history.index(y1)]
        ok = np.isfinite(A0) & np.isfinite(A1) & (A0 > 0) & (A1 > 0)
        return np.array([(A1[ok[:, s], s].sum() / A0[ok[:, s], s].sum()) ** (1 / (y1 - y0)) - 1
                         for s in range(S)])

    d = rate(*test_window) - rate(*fit_window)
    return {s: float(d[j]) for j, s in enumerate(SECTORS)}


def uncertainty_from_fit(result: FitResult, history: History) -> dict[str, dict]:
    """Default distributions of the calibrated uncertain parameters, from the evidence.

    * ``aeei_multiplier``, ``lifetime_multiplier``, ``stock_lifetime_multiplier``: lognormal with
      median 1 and sigma = the fitted parameters' relative standard deviation (median over the
      sectors whose value is off its bounds; sd = the larger of model-based and province-cluster
      robust). A multiplier's log-sd equals the relative sd to first order.
    * ``growth_offset`` (all sectors) and ``heavy_growth_offset`` (energy-intensive sectors): the
      trend break between the fit window and the next four years (:func:`trend_break`): the
      value-added sectors' break is the common offset's sd; the RMS of the material sectors'
      breaks minus the common one is the extra sd of heavy industry. Truncated normals cut at
      3 sd. One trend break is a small sample (the sd is itself uncertain by about ±50 %); it is
      still evidence where the former widths were guesses.
    """
    out: dict[str, dict] = {}
    pairs = [("aeei_multiplier", "aeei"), ("lifetime_multiplier", "lifetime")]
    if "aeei_elec" in result.lay.groups:
        pairs.insert(1, ("aeei_elec_multiplier", "aeei_elec"))
    for name, group in pairs:
        rel, used = _relative_sd(result, group)
        out[name] = dict(dist="lognormal", median=1.0, sigma=round(rel, 4),
                         evidence=f"median relative sd of the fitted {group} ({len(used)} sectors off bounds: "
                                  f"{', '.join(used)})")
    rel, _ = _relative_sd(result, "stock_lifetime")
    i = result.lay.groups["stock_lifetime"].start
    identified = result.sd_robust[i] > 1e-3 * result.lay.prior_sd[i]
    out["stock_lifetime_multiplier"] = dict(
        dist="lognormal", median=1.0, sigma=round(rel, 4),
        evidence="relative sd of the fitted steel in-use stock lifetime" if identified else
        "not identified by the 2010-2015 data (no scrap-limited EAF growth without policy): the "
        "prior's relative sd (20 %) scaled by sqrt(reduced chi2) of the fit")
    brk = trend_break(history)
    material = [s for s in SECTORS if s in ACTIVITY_SERIES]
    common = [brk[s] for s in SECTORS if s not in ACTIVITY_SERIES]  # all follow the VA index
    sd_common = float(np.sqrt(np.mean(np.square(common))))
    heavy_extra = [brk[s] - float(np.mean(common)) for s in material]
    sd_heavy = float(np.sqrt(np.mean(np.square(heavy_extra))))
    text = ", ".join(f"{s} {brk[s]:+.3f}" for s in SECTORS if s in material or s == SECTORS[-1])
    out["growth_offset"] = dict(
        dist="truncnormal", mean=0.0, sd=round(sd_common, 4), low=round(-3 * sd_common, 4),
        high=round(3 * sd_common, 4),
        evidence=f"trend break of the value-added index, 2015-2019 minus 2010-2015 national growth "
                 f"({float(np.mean(common)):+.3f}/yr)")
    out["heavy_growth_offset"] = dict(
        dist="truncnormal", mean=0.0, sd=round(sd_heavy, 4), low=round(-3 * sd_heavy, 4),
        high=round(3 * sd_heavy, 4),
        evidence=f"RMS trend break of crude steel, ten non-ferrous metals and cement beyond the "
                 f"value-added index's (breaks: {text})")
    return out


def _git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=CALIBRATION_DIR, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _fmt(x: float) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if not math.isfinite(x):
        return "nan"
    return f"{float(x):.6g}"


def _plain(v):
    """``v`` as plain TOML data for tomli_w: numbers to 6 significant digits (as the growth CSV),
    integral ones as integers, NumPy scalars as Python ones, mappings and sequences recursively."""
    if isinstance(v, dict):
        return {str(k): _plain(w) for k, w in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(w) for w in v]
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    x = float(_fmt(v))
    return int(x) if x.is_integer() and abs(x) < 2 ** 53 else x


FITTED_HEADER = """\
# Dynamic parameters fitted over {w0}-{w1} (calibration/fit.py; methods in calibration/README.md).
# Written by `sim calibrate --fit`; {reader}.
# value: fitted; sd: standard deviation (the larger of model-based and province-cluster-robust);
# prior, prior_sd: the Gaussian prior (assumptions.toml nominal); at_bound: the value sits on a bound.
# [uncertainty.*]: default widths of the scenario uncertainty (dist = "calibrated" in a scenario).

"""


def fitted_document(result: FitResult, uncertainty: dict | None = None,
                    hindcast: dict | None = None, discrepancy: dict | None = None) -> dict:
    """The calibrated parameter file's content (tables meta, statistics, parameters and, if
    given, uncertainty and hindcast) as plain TOML data."""
    lay = result.lay
    st = result.stats
    w0, w1 = result.window
    doc = {
        "meta": dict(
            created=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            code=_git_revision(),
            window=list(result.window),
            method="bounded weighted least squares (scipy.optimize.least_squares trf), residual sigmas "
                   "re-estimated per group, Gaussian priors",
            data=[f"calibration/base_{w0} (CEADs, NBS, GEM, CEC {w0})",
                  f"calibration/history/ceads_co2.csv {w0 + 1}-{w1}",
                  f"calibration/history/activity.csv {w0 + 1}-{w1} (with plain glass: structure of "
                  "non-metallic minerals)",
                  f"calibration/history/electricity.csv {w0 + 1}-{w1} (non-ferrous until 2015: "
                  "series break 2016)",
                  f"calibration/history/national.csv eaf_share {w1}",
                  "calibration/programme_rates.csv (historical phase_out lever)"],
        ),
        "statistics": {
            **{k: st[k] for k in ("n_residuals", "n_parameters", "passes", "nfev", "chi2_data",
                                  "chi2_prior", "reduced_chi2", "r2_province_sector_co2",
                                  "median_ape_last_year", "seconds")},
            "national_co2_error": {str(k): v for k, v in st["national_co2_error"].items()},
            "residual_sigma": result.sigma,
            "n_by_group": st["n"],
        },
        "parameters": {},
    }
    groups = {"aeei": SECTORS, "aeei_elec": SECTORS, "lifetime": SECTORS, "stock_lifetime": ("steel",),
              "coal_to_gas_trend": SECTORS, "electrification_trend": SECTORS}
    for g, labels in groups.items():
        if g not in lay.groups:
            continue
        sl = lay.groups[g]
        table = {"unit": PRIORS[g]["unit"], "prior_source": PRIOR_REASONING[g]}
        for j, lab in enumerate(labels):
            i = sl.start + j
            table[lab] = dict(
                value=result.x[i], sd=result.sd[i], sd_model=result.sd_model[i], sd_robust=result.sd_robust[i],
                prior=lay.prior[i], prior_sd=lay.prior_sd[i], bounds=[lay.lower[i], lay.upper[i]],
                at_bound=bool(result.at_bound[i]))
        doc["parameters"][g] = table
    if uncertainty:
        doc["uncertainty"] = uncertainty
    if discrepancy:
        doc["discrepancy"] = dict(
            unit="yr^-1/2", sigma=discrepancy,
            evidence=f"robust sd of log(model / CEADs) / sqrt(t) of energy CO2 by province and sector, "
                     f"residuals of this {w0}-{w1} fit (calibration.fit.discrepancy_sigma)")
    if hindcast:
        doc["hindcast"] = hindcast
    return _plain(doc)


def write_document(doc: dict, path: Path = FITTED_FILE) -> None:
    """Write a calibrated parameter document (:func:`fitted_document`) as TOML (tomli-w), with
    the explanatory header, atomically."""
    w0, w1 = doc["meta"]["window"]
    reader = ("read by sim.data.base_state.load_base_state (sim run)" if [w0, w1] == list(WINDOW) else
              "read by sim.analysis.hindcast (the out-of-sample check 2015 -> 2019)")
    _write_text_atomic(Path(path), FITTED_HEADER.format(w0=w0, w1=w1, reader=reader) + tomli_w.dumps(doc))


def write_fitted(result: FitResult, path: Path = FITTED_FILE, growth_path: Path = GROWTH_FILE,
                 uncertainty: dict | None = None, hindcast: dict | None = None,
                 discrepancy: dict | None = None) -> None:
    """The calibrated parameter file (TOML) and the fitted growth rates (CSV)."""
    lay = result.lay
    write_document(fitted_document(result, uncertainty, hindcast, discrepancy), path)
    g, gsd = result.group("growth")
    rows = ["province,sector,growth,sd,prior,at_bound"]
    sl = lay.groups["growth"]
    for k, name in enumerate(lay.names[sl]):
        p, s = name.split(".", 2)[1:]
        i = sl.start + k
        rows.append(f"{p},{s},{_fmt(g[k])},{_fmt(gsd[k])},{_fmt(lay.prior[i])},{_fmt(bool(result.at_bound[i]))}")
    _write_text_atomic(Path(growth_path), "\n".join(rows) + "\n")


def _write_text_atomic(path: Path, text: str) -> None:
    with files.atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def summary(result: FitResult) -> str:
    """The console summary of a fit: statistics, national CO2 error by year, residual sigmas and
    the parameters per sector (``*`` on a bound)."""
    lay = result.lay
    w0, w1 = result.window
    out = [f"fit {w0}-{w1}: {result.stats['n_residuals']} residuals, {result.stats['n_parameters']} parameters, "
           f"{result.stats['nfev']} evaluations, {result.stats['seconds']} s; reduced chi2 {result.stats['reduced_chi2']:.2f}; "
           f"R2 province x sector CO2 {result.stats['r2_province_sector_co2']:.3f}; median APE {w1} "
           f"{result.stats['median_ape_last_year']:.3f}",
           "national CO2 error by year: " + ", ".join(f"{y} {e:+.3f}" for y, e in result.stats["national_co2_error"].items()),
           "residual sigma: " + ", ".join(f"{k} {v:.3f}" for k, v in result.sigma.items()),
           f"{'sector':22s} " + " ".join(f"{h:>16s}" for h in ("aeei", "aeei_elec", "lifetime", "coal->gas",
                                                                "electrif.") if h != "aeei_elec" or
                                          "aeei_elec" in lay.groups)]
    shown = [g for g in ("aeei", "aeei_elec", "lifetime", "coal_to_gas_trend", "electrification_trend")
             if g in lay.groups]
    for j, s in enumerate(SECTORS):
        cells = []
        for g in shown:
            i = lay.groups[g].start + j
            mark = "*" if result.at_bound[i] else " "
            cells.append(f"{result.x[i]:8.4f}±{result.sd[i]:<6.4f}{mark}")
        out.append(f"{s:22s} " + " ".join(cells))
    i = lay.groups["stock_lifetime"].start
    out.append(f"steel in-use stock lifetime {result.x[i]:.1f} ± {result.sd[i]:.1f} yr (prior {lay.prior[i]:.0f} ± {lay.prior_sd[i]:.0f})")
    out.append("(* = at a bound)")
    if result.discrepancy:
        out.append("discrepancy sigma [yr^-1/2]: " + ", ".join(f"{k} {v:.3f}" for k, v in result.discrepancy.items()))
    if result.companion is not None:
        out += ["", summary(result.companion)]
    return "\n".join(out)


def fit_window(window: tuple[int, int], history: History | None = None, verbose: int = 0) -> FitResult:
    """Fit over ``window`` from the base state of its first year (with its discrepancy sigmas)."""
    history = history or load_history()
    base = load_base_state(window[0], fitted=False)
    result = fit(base, observations(history, tuple(range(window[0], window[1] + 1))), verbose=verbose)
    result.discrepancy = discrepancy_sigma(result)
    return result


def output_files(out: Path = FITTED_FILE) -> tuple[Path, Path, Path, Path]:
    """The four files :func:`run` writes for ``out``: the 2010-2019 parameters (``out``) and growth
    rates (``<stem>_growth.csv``), the 2010-2015 parameters (``<stem>_2010_2015.toml``) and growth
    rates (``<stem>_2010_2015_growth.csv``)."""
    out = Path(out)
    return (out, out.with_name(f"{out.stem}_growth.csv"), out.with_name(f"{out.stem}_2010_2015.toml"),
            out.with_name(f"{out.stem}_2010_2015_growth.csv"))


def run(out: Path = FITTED_FILE, verbose: int = 0) -> FitResult:
    """Fit 2010-2019 (the shipped parameters) and 2010-2015 (the out-of-sample check), derive the
    uncertainty widths and discrepancy sigmas, write ``out`` (2010-2019), the fitted growth rates
    beside it (``<stem>_growth.csv``) and the 2010-2015 file ``<stem>_2010_2015.toml`` (read by
    ``sim hindcast``). Returns the 2010-2019 result, the 2010-2015 one as its ``companion``."""
    shipped, shipped_growth, test_file, test_growth = output_files(out)
    history = load_history()
    result = fit_window(WINDOW, history, verbose)
    test = fit_window(TEST_WINDOW, history, verbose)
    result.companion = test
    write_fitted(result, shipped, shipped_growth,
                 uncertainty=uncertainty_from_fit(result, history), discrepancy=result.discrepancy)
    write_fitted(test, test_file, test_growth,
                 uncertainty=uncertainty_from_fit(test, history), discrepancy=test.discrepancy)
    return result


def main(argv=None) -> FitResult:
    """Command line: run the fit, print its summary and write ``--out`` (default fitted.toml)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=FITTED_FILE)
    ap.add_argument("--verbose", type=int, default=0)
    a = ap.parse_args(argv)
    result = run(a.out, verbose=a.verbose)
    print(summary(result))
    print("wrote " + ", ".join(str(p) for p in output_files(a.out)))
    return result


if __name__ == "__main__":
    main()
