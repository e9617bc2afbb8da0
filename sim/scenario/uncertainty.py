"""Uncertain parameters, their distributions and Latin-hypercube sampling (DESIGN §5).

Public API
----------
``PARAMETERS: dict[str, UncertainParameter]``
    The catalogue (name, unit, nominal, valid range, how the model applies it, source).
``DISTRIBUTIONS: dict[str, tuple[str, ...]]``
    Distribution kind -> its parameter names: uniform(low, high), triangular(low, mode, high),
    normal(mean, sd), lognormal(median, sigma), truncnormal(mean, sd, low, high).
``make_distribution(param, kind, params) -> Distribution``
    Validated distribution for uncertain parameter ``param``; raises :class:`DistributionError`.
``UncertaintySpec``
    Frozen mapping parameter name -> Distribution (parameters not in it stay at nominal).
``sample(spec, n_members, seed, start=0, stop=None, unit=None) -> dict[str, np.ndarray]``
    Every catalogue parameter -> array (stop − start,) of members ``start:stop``; ``unit``: an
    explicit design on the unit hypercube instead of the Latin hypercube (``sim.analysis.sensitivity``).
``nominal() -> dict[str, float]``

Sampling: one ``scipy.stats.qmc.LatinHypercube`` design of ``n_members`` rows over the parameters
that have a distribution (in catalogue order), seeded with ``seed``, mapped through each
distribution's inverse CDF. The whole design is drawn at once and chunks slice it, so member i's
draw depends only on (spec, seed, n_members, i), never on the chunking. An explicit ``unit``
design (n_members, len(spec.names()) without model_discrepancy) replaces the Latin hypercube
and goes through the same inverse CDFs, so a value u of a column means the same in a
sensitivity analysis as in ``sim run``.

Valid ranges are closed unless ``low_open`` (e.g. multipliers are in (0, inf)). A distribution's
support must lie inside the parameter's range: an untruncated normal is only allowed for an
unbounded parameter, a lognormal only for one whose range starts at 0; and its quantiles at
``U_EDGE`` and ``1 - U_EDGE`` (the extreme values the design can take) must be finite and inside
the range, so no sampled value can leave what the kernel takes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from scipy import stats
from scipy.stats import qmc

from sim.core import axes

INF = math.inf
MODEL_DISCREPANCY = "model_discrepancy"
"""The uncertain parameter that switches the model-discrepancy factor on (see
:func:`discrepancy`); it only takes ``dist = "calibrated"`` and is drawn outside the design."""
DISCREPANCY_STREAM = 0x6D64  # "md": keeps the discrepancy draws apart from the design's stream
U_EDGE = 1e-12
"""Design values are held inside [U_EDGE, 1 − U_EDGE] before the inverse CDFs (a Latin hypercube
value beyond them has a probability of 2e-12 per draw), and a distribution is accepted only if its
quantiles there are finite and inside the parameter's valid range: so every value that can be
sampled is one the model and the kernel take (issue #21 §2)."""
MULTIPLIER_MAX = 1e4
"""Largest value of a multiplier on a calibrated quantity: 10⁴ times a calibrated lifetime or
collection rate is beyond any physical plant or stock, and keeps the product finite."""


@dataclass(frozen=True)
class UncertainParameter:
    """An entry of the uncertain-parameter catalogue: name, unit, nominal value, allowed range,
    how the model applies it and the source of the nominal value."""

    name: str
    unit: str
    nominal: float
    low: float
    high: float
    applies: str  # how the model uses it
    source: str  # where the nominal value comes from
    low_open: bool = False

    @property
    def range_text(self) -> str:
        """The allowed range as text, e.g. ``(0, inf]``."""
        lo = "(" if self.low_open else "["
        return f"{lo}{_fmt(self.low)}, {_fmt(self.high)}]"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the allowed range."""
        above = x > self.low if self.low_open else x >= self.low
        return above and x <= self.high


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


_PARAMETER_LIST: tuple[UncertainParameter, ...] = (
    UncertainParameter(
        "growth_offset", "yr-1", 0.0, -0.2, 0.2,
        "added to every sector's annual demand growth, every province, in the projected years "
        "(after the last observed year of the default growth, 2024)",
        "zero-centred; spread reflects the range of plausible macro paths (SSP-style)"),
    UncertainParameter(
        "heavy_growth_offset", "yr-1", 0.0, -0.2, 0.2,
        "added to the demand growth of axes.ENERGY_INTENSIVE_SECTORS only, projected years",
        "zero-centred; steel and cement demand after the 2021 property downturn is the main "
        "unknown (NBS: cement 2.38 Gt 2020 -> 1.83 Gt 2024)"),
    UncertainParameter(
        "lifetime_multiplier", "1", 1.0, 0.0, MULTIPLIER_MAX,
        "multiplies the calibrated mean capacity lifetime of every sector",
        "nominal = calibration", low_open=True),
    UncertainParameter(
        "aeei_multiplier", "1", 1.0, 0.0, MULTIPLIER_MAX,
        "multiplies the calibrated annual decline (AEEI) of the gap between best-available and "
        "floor intensity, every carrier but electricity (capped at 1)",
        "nominal = calibration", low_open=True),
    UncertainParameter(
        "aeei_elec_multiplier", "1", 1.0, 0.0, MULTIPLIER_MAX,
        "multiplies the calibrated annual decline of the gap between best-available and floor "
        "electricity intensity (aeei_elec; capped at 1); sampled independently of "
        "aeei_multiplier",
        "nominal = calibration (fitted.toml [parameters.aeei_elec], else assumptions.toml); "
        "dist = \"calibrated\" takes fitted.toml [uncertainty.aeei_elec_multiplier], else the "
        "width of aeei_multiplier", low_open=True),
    UncertainParameter(
        "collection_multiplier", "1", 1.0, 0.0, MULTIPLIER_MAX,
        "multiplies the calibrated obsolete-scrap collection rate (after the scrap_collection "
        "lever; the product is capped at 1)", "nominal = calibration", low_open=True),
    UncertainParameter(
        "stock_lifetime_multiplier", "1", 1.0, 0.0, MULTIPLIER_MAX,
        "multiplies the calibrated mean lifetime of the in-use steel and aluminium stocks",
        "nominal = calibration", low_open=True),
    UncertainParameter(
        "grid_decline_rate", "yr-1", 0.02, -0.1, 0.3,
        "annual relative decline of every provincial grid emission factor from its base value: "
        "ef(t) = ef0 (1 - rate)^(t - 2019)",
        "MEE national grid average factors: 0.6101 t/MWh (used for 2019-2020 reporting), 0.5810 "
        "(环办气候函〔2022〕111号, for 2021), 0.5703 (环办气候函〔2023〕43号, for 2022): "
        "0.6101 -> 0.5703 over ~4 years is -1.7 %/yr, 0.5810 -> 0.5703 -1.8 %/yr. Nominal 2 %/yr "
        "as non-fossil capacity additions accelerate"),
    UncertainParameter(
        "elec_ratio", "PJ/PJ", 0.7, 0.05, 3.0,
        "PJ of electricity per PJ of fossil final energy electrified",
        "electric boilers and resistance/induction furnaces convert ~95-99 % vs ~80-90 % for fuel "
        "boilers (ratio ~0.85-0.95); electric kilns and furnaces avoid flue losses of high-"
        "temperature fuel firing (~0.5-0.7); heat pumps for low-temperature heat COP 2.5-4 "
        "(~0.25-0.4). A process-heat mix weighted to boilers and furnaces gives ~0.7"),
    UncertainParameter(
        "clinker_fuel_intensity", "GJ t-1", 3.5, 2.0, 6.0,
        "fuel per t of clinker in the cement part of non-metallic minerals: sets each province's "
        "share of cement in the sector's base-year energy, min(1, (clinker x this + cement x "
        "electricity) / the sector's energy) (sim.data.observed_activity.cement_energy_share), so "
        "the weight between cement and the other building materials in the sector's 2020-2024 "
        "energy (observed cement and plain glass)",
        "IEA Cement Technology Roadmap 2018: China's average kiln about 3.5 GJ per t clinker, best "
        "dry kilns about 3.0, older lines 4.0 (calibration/assumptions.toml [structure])"),
    UncertainParameter(
        "water_intensity_rate", "yr-1", 0.09, -0.1, 0.3,
        "annual relative decline of water use per unit of industrial VA (trend indicator)",
        "seed history: -35 % 2011-2015 (004) = 8.3 %/yr, about -40 % 2016-2020 (002) = 9.7 %/yr; "
        "nominal 9 %/yr (the 2021-25 target -16 % is only 3.4 %/yr)"),
    UncertainParameter(
        "pollutant_intensity_rate", "yr-1", 0.044, -0.1, 0.3,
        "annual relative decline of key-sector main-pollutant emission intensity (trend indicator)",
        "seed history: >= -20 % 2016-2020 (002) = 4.4 %/yr"),
    UncertainParameter(
        "solid_waste_gain", "yr-1", 0.0125, -0.05, 0.05,
        "annual gain of the bulk industrial solid-waste utilisation rate (fraction points per "
        "year, from 55 % in 2019; trend indicator)",
        "no seed history; NDRC et al. 发改环资〔2021〕381号: bulk solid-waste utilisation 55 % in "
        "2019, about 5 points above 2015 = 1.25 points/yr"),
    UncertainParameter(
        "green_factory_gain", "yr-1", 0.025, -0.05, 0.1,
        "annual gain of the green-factory share of manufacturing output (fraction points per "
        "year, from ~17 % in 2023; trend indicator)",
        "no seed history; the certification scheme started in 2017 and reached ~17 % of output "
        "by 2023 (MIIT statements), ~2.5 points/yr"),
    UncertainParameter(
        "other_recycling_growth", "yr-1", 0.04, -0.1, 0.2,
        "annual growth of recycled resources other than the modelled steel and aluminium scrap "
        "(paper, plastics, glass, tyres, textiles, batteries ...) from 2020",
        "seed 002: ten main resources 380 Mt in 2020, target 480 Mt in 2025 (+4.8 %/yr); seed 000: "
        "510 Mt in 2030; nominal 4 %/yr for the non-metal part, slightly below the planned total"),
    UncertainParameter(
        "route_cost_response", "1", 3.0, 0.0, 50.0,
        "beta of the route choice of new capacity under a carbon price (kernels/SPEC.md step 4): "
        "weights x exp(-beta x carbon cost of the route's new capacity / the sector's levelised "
        "cost); a relative-cost logit, as GCAM's share ~ weight x cost^-beta for small differences",
        "GCAM data system defaults: subsector logit exponent -3, technology -6 (JGCRI/gcam-core "
        "gcam-data-system/energy-data/assumptions/A_energy_data.R, default_subsector_logit, "
        "default_technology_logit); the steel route is GCAM's subsector choice, so nominal 3"),
    UncertainParameter(
        "retrofit_price_response", "yr-1 per CNY t-1", 1.5e-4, 0.0, 1e-2,
        "extra fraction of the gap to best-available intensity closed per year per CNY/t of "
        "carbon price (kernels/SPEC.md step 5)",
        "assumption (no Chinese elasticity found): 200 CNY/t adds 3 %/yr, about half the 5-6 %/yr "
        "of a full-coverage retrofit programme (scenarios/anhui.toml efficiency_retrofit), since "
        "200 CNY/t on a BF-BOF mill's ~2 t CO2/t is ~12 % of its levelised cost "
        "(calibration/costs/lcop_published.csv); the spread runs from none to 2.7x"),
    UncertainParameter(
        "gas_price_response", "1 per CNY t-1", 2.5e-4, 0.0, 1e-2,
        "extra share of coal energy switched to gas per CNY/t of adopted carbon price "
        "(kernels/SPEC.md step 8)",
        "assumption: 200 CNY/t narrows the industrial gas-coal price gap (~50 CNY/GJ ex-VAT, "
        "calibration/costs/prices.csv) by ~8 CNY/GJ (0.095 - 0.056 t CO2/GJ); a 5 % switch at "
        "200 CNY/t, spread from none to 3x"),
    UncertainParameter(
        "electrification_price_response", "1 per CNY t-1", 1e-4, 0.0, 1e-2,
        "extra share of the remaining fossil energy electrified per CNY/t of adopted carbon "
        "price (kernels/SPEC.md step 8)",
        "assumption: electricity's price per useful GJ is 2-4x coal's (calibration/costs/"
        "prices.csv) and its grid CO2 is not priced in the industrial market, so 200 CNY/t moves "
        "~2 % of fossil heat to electricity; spread from none to 3x"),
    UncertainParameter(
        "capital_cost_multiplier", "1", 1.0, 0.0, MULTIPLIER_MAX,
        "multiplies every capital cost (new capacity, retrofits, electrification equipment) in "
        "the cost outputs (sim.model.costs); no effect on the physical results",
        "nominal = calibration/costs; the cited ranges of routes.csv are about -30 % / +40 %",
        low_open=True),
    UncertainParameter(
        "energy_price_multiplier", "1", 1.0, 0.0, MULTIPLIER_MAX,
        "multiplies every energy price in the cost outputs (sim.model.costs); no effect on the "
        "physical results",
        "nominal = calibration/costs/prices.csv; 2019-2023 industrial coal and gas prices moved "
        "by about +-40 % (prices.csv index rows)", low_open=True),
    UncertainParameter(
        MODEL_DISCREPANCY, "1", 0.0, 0.0, 1.0,
        "switch of the model-discrepancy factor on each sector's final energy (SPEC step 8): 0 "
        "none; 1 (dist = \"calibrated\") log discrepancy[m,p,s,t] = sigma_s sqrt(t) z[m,p,s], "
        "z ~ N(0,1) drawn per member from a generator keyed on (seed, member index) "
        "(:func:`discrepancy`), median one (no bias correction: the mean is exp(sigma_s^2 t / 2) "
        "> 1); not a Latin-hypercube column",
        "sigma_s [yr^-1/2] from calibration/fitted.toml [discrepancy] sigma (per sector, from "
        "the hindcast residuals); absent -> 0 (factor 1)"),
)

PARAMETERS: dict[str, UncertainParameter] = {p.name: p for p in _PARAMETER_LIST}

PRICE_RESPONSES: dict[str, str] = {
    "cost_response": "route_cost_response",
    "retrofit_response": "retrofit_price_response",
    "gas_response": "gas_price_response",
    "elec_response": "electrification_price_response",
}
"""KernelInputs field -> the uncertain parameter it takes (the responses to a carbon price,
kernels/SPEC.md steps 4, 5 and 8)."""

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "truncnormal": ("mean", "sd", "low", "high"),
}


class DistributionError(ValueError):
    """Bad distribution: ``key`` is the offending key (relative to the parameter's table)."""

    def __init__(self, key: str, value, allowed: str, message: str):
        super().__init__(message)
        self.key, self.value, self.allowed, self.message = key, value, allowed, message


@dataclass(frozen=True)
class Distribution:
    """A validated distribution: ``kind`` (uniform, triangular, normal, lognormal, truncnormal or
    calibrated) and its parameters."""

    kind: str
    params: Mapping[str, float]

    def frozen(self):
        """The scipy.stats frozen distribution."""
        p = self.params
        if self.kind == "uniform":
            return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
        if self.kind == "triangular":
            w = p["high"] - p["low"]
            return stats.triang(c=(p["mode"] - p["low"]) / w, loc=p["low"], scale=w)
        if self.kind == "normal":
            return stats.norm(loc=p["mean"], scale=p["sd"])
        if self.kind == "lognormal":
            return stats.lognorm(s=p["sigma"], scale=p["median"])
        if self.kind == "truncnormal":
            a = (p["low"] - p["mean"]) / p["sd"]
            b = (p["high"] - p["mean"]) / p["sd"]
            return stats.truncnorm(a, b, loc=p["mean"], scale=p["sd"])
        raise ValueError(self.kind)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at ``u`` in [0, 1] (``calibrated``, the discrepancy switch: 1 everywhere)."""
        if self.kind == "calibrated":  # the discrepancy switch: on for every member
            return np.ones_like(u)
        return self.frozen().ppf(u)

    def support(self) -> tuple[float, float]:
        """The (low, high) bounds of the values the distribution can take."""
        p = self.params
        if self.kind == "calibrated":
            return 1.0, 1.0
        if self.kind in ("uniform", "triangular", "truncnormal"):
            return p["low"], p["high"]
        if self.kind == "normal":
            return -INF, INF
        return 0.0, INF  # lognormal


def make_distribution(param: str, kind, params: Mapping[str, object]) -> Distribution:
    """Validated distribution of uncertain parameter ``param`` (``params`` without ``dist``);
    cached by its arguments (freezing a scipy distribution for the quantile check costs about a
    millisecond, and a sweep validates the same distributions in every case)."""
    try:
        key = (param, kind, tuple(sorted((k, type(v).__name__, v) for k, v in params.items())))
        hash(key)
    except TypeError:  # an unhashable value: not cacheable, and refused below
        return _make_distribution(param, kind, params)
    return _make_distribution_cached(key)


@functools.lru_cache(maxsize=256)
def _make_distribution_cached(key) -> Distribution:
    param, kind, items = key
    return _make_distribution(param, kind, {k: v for k, _, v in items})


def _make_distribution(param: str, kind, params: Mapping[str, object]) -> Distribution:
    if param not in PARAMETERS:
        raise DistributionError("", param, ", ".join(PARAMETERS), "unknown uncertain parameter")
    up = PARAMETERS[param]
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
        raise DistributionError("dist", kind, ", ".join(DISTRIBUTIONS), "unknown distribution")
    need = DISTRIBUTIONS[kind]
    for k in params:
        if k not in need:
            raise DistributionError(k, params[k], ", ".join(need),
                                    f"is not a parameter of the {kind} distribution")
    vals: dict[str, float] = {}
    for k in need:
        if k not in params:
            raise DistributionError(k, None, ", ".join(need),
                                    f"missing parameter of the {kind} distribution")
        v = params[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DistributionError(k, v, "a finite number", "must be a finite number")
        vals[k] = float(v)
    bad = None
    if kind in ("uniform", "triangular", "truncnormal") and not vals["low"] < vals["high"]:
        bad = ("low", vals["low"], f"low < high = {_fmt(vals['high'])}", "must be below high")
    elif kind == "triangular" and not vals["low"] <= vals["mode"] <= vals["high"]:
        bad = ("mode", vals["mode"], f"[{_fmt(vals['low'])}, {_fmt(vals['high'])}]",
               "must lie within [low, high]")
    elif kind in ("normal", "truncnormal") and not vals["sd"] > 0:
        bad = ("sd", vals["sd"], "sd > 0", "must be positive")
    elif kind == "lognormal" and not vals["sigma"] > 0:
        bad = ("sigma", vals["sigma"], "sigma > 0", "must be positive")
    elif kind == "lognormal" and not vals["median"] > 0:
        bad = ("median", vals["median"], "median > 0", "must be positive")
    if bad:
        raise DistributionError(*bad)
    dist = Distribution(kind, vals)
    lo, hi = dist.support()
    # normal: support (-inf, inf); lognormal: (0, inf) (open at 0, so a range (0, inf) admits it)
    # (a lognormal's upper tail is held by the quantile check below, as the multipliers' range is
    # bounded by MULTIPLIER_MAX)
    inside = up.low <= lo if kind == "lognormal" else (up.low == lo and hi <= up.high)
    if kind in ("uniform", "triangular", "truncnormal"):
        for k in ("low", "high"):
            if not up.contains(vals[k]):
                raise DistributionError(k, vals[k], up.range_text,
                                        f"is outside the valid range {up.range_text} of {param}")
    elif not inside:
        hint = ("use truncnormal (mean, sd, low, high) to keep the support inside the range"
                if kind == "normal" else "use a bounded distribution")
        raise DistributionError(
            "dist", kind, f"support within {up.range_text}",
            f"has support [{_fmt(lo)}, {_fmt(hi)}] but {param} is bounded to {up.range_text}: {hint}")
    with np.errstate(all="ignore"):
        edges = np.asarray(dist.ppf(np.array([U_EDGE, 0.5, 1.0 - U_EDGE])), dtype=float)
    if not (np.isfinite(edges).all() and all(up.contains(float(x)) for x in edges)):
        key = {"lognormal": "sigma", "normal": "sd", "truncnormal": "sd"}.get(kind, "high")
        raise DistributionError(
            key, vals[key], f"parameters whose draws stay inside {up.range_text}",
            f"gives draws from {edges[0]:.3g} to {edges[-1]:.3g} (quantiles {U_EDGE:g} and "
            f"1 - {U_EDGE:g}), outside the valid range {up.range_text} of {param} or not finite")
    return dist


@dataclass(frozen=True)
class UncertaintySpec:
    """Parameter name -> distribution; parameters not listed stay at their nominal value."""

    distributions: Mapping[str, Distribution] = field(default_factory=dict)

    def names(self) -> tuple[str, ...]:
        """Parameters with a distribution, in catalogue order (the column order of the design,
        which leaves out the model_discrepancy switch)."""
        return tuple(n for n in PARAMETERS if n in self.distributions)


def nominal() -> dict[str, float]:
    """Nominal value of every uncertain parameter."""
    return {n: p.nominal for n, p in PARAMETERS.items()}


def design(n_dims: int, n_members: int, seed: int) -> np.ndarray:
    """Latin-hypercube design (n_members, n_dims) on [0, 1), seeded."""
    rng = np.random.default_rng(seed)
    try:
        lhs = qmc.LatinHypercube(d=n_dims, rng=rng)
    except TypeError:  # scipy < 1.15
        lhs = qmc.LatinHypercube(d=n_dims, seed=rng)
    return lhs.random(n_members)


def design_columns(spec: UncertaintySpec | Mapping[str, Distribution] | None) -> tuple[str, ...]:
    """The parameters that are columns of the design, in catalogue order: those with a
    distribution, except the model_discrepancy switch."""
    dists = spec.distributions if isinstance(spec, UncertaintySpec) else dict(spec or {})
    return tuple(n for n in PARAMETERS if n in dists and n != MODEL_DISCREPANCY)


def sample(spec: UncertaintySpec | Mapping[str, Distribution] | None, n_members: int, seed: int,
           start: int = 0, stop: int | None = None,
           unit: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Draws of every catalogue parameter for members ``start:stop`` of an ``n_members`` design.

    ``unit`` (n_members, len(design_columns(spec))) [1], values in [0, 1]: an explicit design
    used instead of the seeded Latin hypercube (``seed`` then only keys the model discrepancy).
    """
    if n_members < 1:
        raise ValueError(f"n_members must be >= 1, got {n_members}")
    stop = n_members if stop is None else stop
    if not 0 <= start <= stop <= n_members:
        raise ValueError(f"members {start}:{stop} are outside 0:{n_members}")
    dists = spec.distributions if isinstance(spec, UncertaintySpec) else dict(spec or {})
    names = design_columns(dists)
    unknown = set(dists) - set(PARAMETERS)
    if unknown:
        raise KeyError(f"unknown uncertain parameters {sorted(unknown)}; allowed: {', '.join(PARAMETERS)}")
    out = {n: np.full(stop - start, p.nominal) for n, p in PARAMETERS.items()}
    if unit is not None:
        unit = np.asarray(unit, dtype=float)
        if unit.shape != (n_members, len(names)):
            raise ValueError(f"explicit design has shape {unit.shape}, expected "
                             f"({n_members}, {len(names)}) (members, {', '.join(names)})")
        if not ((unit >= 0.0) & (unit <= 1.0)).all():
            raise ValueError("explicit design values must lie in [0, 1]")
    if names:
        u = np.clip((design(len(names), n_members, seed) if unit is None else unit)[start:stop],
                    U_EDGE, 1.0 - U_EDGE)
        for j, n in enumerate(names):
            out[n] = np.asarray(dists[n].ppf(u[:, j]), dtype=float)
    if MODEL_DISCREPANCY in dists:  # a switch, not a design column
        out[MODEL_DISCREPANCY] = np.ones(stop - start)
    return out


CALIBRATED_DISCREPANCY = Distribution("calibrated", {})
"""``[uncertainty.model_discrepancy] dist = "calibrated"``: the discrepancy is on, with the
per-sector widths of the fit (``BaseState.discrepancy_sigma``)."""


def discrepancy_draws(seed: int, members, prov_idx, sectors: int) -> np.ndarray:
    """(M, len(prov_idx), sectors) standard-normal draws [1] of the model discrepancy of the
    members ``members`` (indices in the ensemble) and provinces ``prov_idx`` (positions in
    sim.core.axes.PROVINCES): member i's from ``numpy.random.default_rng((seed,
    DISCREPANCY_STREAM, i))`` for every province of sim.core.axes.PROVINCES, so they depend on
    neither the chunking nor which provinces are simulated (:func:`discrepancy`)."""
    z = np.empty((len(members), len(axes.PROVINCES), sectors))
    for j, i in enumerate(members):
        z[j] = np.random.default_rng((int(seed), DISCREPANCY_STREAM, int(i))).standard_normal(
            (len(axes.PROVINCES), sectors))
    return z[:, np.asarray(prov_idx, dtype=np.int64)]


def discrepancy(sigma: np.ndarray, seed: int, members: np.ndarray, prov_idx: np.ndarray,
                dt: np.ndarray, on: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
    """Model-discrepancy factor (M,P,S,T) [1] of the members ``members`` (their indices in the
    ensemble), provinces ``prov_idx`` (positions in sim.core.axes.PROVINCES) and years ``dt`` after
    the base year (dt[0] = 0, so the factor is 1 in the base year).

    ``log d[m,p,s,t] = on[m] · sigma[s] · sqrt(dt[t]) · z[m,p,s]``, z ~ N(0,1): a random walk in
    log space whose spread grows like sqrt(t), per sector, one draw per member, province and
    sector. z of member i comes from ``numpy.random.default_rng((seed, DISCREPANCY_STREAM, i))``
    for every province of sim.core.axes.PROVINCES, so it depends on neither the chunking nor which
    provinces are simulated. Median one: no bias correction, the mean factor is
    exp(sigma² t / 2). ``on`` (M,) is the model_discrepancy sample (0 or 1); ``sigma`` (S,)
    [yr^-1/2].

    ``z`` (M, len(prov_idx), S) [1]: explicit standard-normal draws used instead of the seeded
    generator (``sim.analysis.sensitivity`` makes them factors, z = Φ⁻¹(u)); ``seed`` is then unused.
    """
    members = np.asarray(members, dtype=np.int64)
    sigma = np.asarray(sigma, dtype=float)
    prov_idx = np.asarray(prov_idx, dtype=np.int64)
    if z is None:
        z = discrepancy_draws(seed, members, prov_idx, len(sigma))  # (M,P,S)
    else:
        z = np.asarray(z, dtype=float)
        if z.shape != (len(members), len(prov_idx), len(sigma)):
            raise ValueError(f"explicit discrepancy z has shape {z.shape}, expected "
                             f"{(len(members), len(prov_idx), len(sigma))} (members, provinces, "
                             "sectors)")
    log_d = (np.asarray(on, dtype=float)[:, None, None, None] * sigma[None, None, :, None]
             * np.sqrt(np.asarray(dt, dtype=float))[None, None, None, :] * z[..., None])
    return np.exp(log_d)
