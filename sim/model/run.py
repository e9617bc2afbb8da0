"""Model assembly: validated scenario + base state + samples → kernel arrays → kernel → Dataset.

Data flow (DESIGN §2): :func:`prepare` resolves everything that does not vary by member (the base
state of the selected provinces, lever trajectories, the Latin-hypercube design of all members);
:func:`kernel_inputs` builds the member-dependent arrays for members ``start:stop``;
:func:`run_chunk` runs the kernel on them and wraps the result, with target checks, as an
``xarray.Dataset``; :func:`run` does this chunk by chunk and adds the ensemble statistics.

Member i's inputs depend only on (scenario, seed, number of members, i): the whole design matrix
is drawn once in :func:`prepare`, and chunks slice it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import xarray as xr

from sim.core import axes, indicators
from sim.core import targets as target_checks
from sim.core.indicators_registry import INDICATORS
from sim.core.levers import kernel_lever_arrays, outside_lever_arrays
from sim.core.sizes import CHUNK_SIZE
from sim.core.units import CNY_PER_KERNEL_VA, PJ_PER_TWH
from sim.core.variables import (
    COORDINATES,
    COST_VARIABLES,
    VARIABLES,
    YEAR_COMMENT,
    time_coordinates,
)
from sim.data.base_state import BaseState, autonomous_share, load_base_state, with_trend
from sim.data.costs import Costs, load_costs
from sim.data.growth import OBSERVED_GROWTH_UNTIL
from sim.data.observed_activity import nonmetallic_structure
from sim.model import costs as cost_model
from sim.model import pollutants as pollutant_model
from sim.model.inputs import assemble
from sim.model.kernel import KernelInputs, KernelOutputs, simulate
from sim.scenario.uncertainty import (
    MODEL_DISCREPANCY,
    PARAMETERS,
    PRICE_RESPONSES,
    discrepancy,
    sample,
)

_SIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-chunk")
"""The second thread of :func:`run_chunk` (its thread starts at the first chunk)."""


@dataclass
class Prepared:
    """Everything about a run that does not vary by member."""

    scenario: object
    base: BaseState
    provinces: tuple[str, ...]
    prov_idx: np.ndarray  # positions of the simulated provinces in the base state
    years: np.ndarray  # (T,)
    members: int
    seed: int
    shared: dict  # lever fields of KernelInputs (shared by all members)
    base_growth: np.ndarray  # (P,S,T) yr-1, before uncertainty
    collection_lever: np.ndarray  # (N,T) multiplier on the base collection rate
    samples: dict[str, np.ndarray]  # uncertain parameters, each (members,)
    targets: list  # simulated targets
    electricity_kgce_per_kwh: float
    plateau_tolerance: float
    energy_structure: np.ndarray  # (P,S,T) energy structure factor relative to the base year [1]
    discrepancy_z: np.ndarray | None = None  # (members,P,S) explicit discrepancy draws [1]
    outside: dict | None = None  # {lever: (P,S,T)} levers acting outside the kernel (costs, grid)
    costs: Costs | None = None  # cost tables of the base state (sim.data.costs)
    prices: np.ndarray | None = None  # (P,S,C,T) energy prices of the provinces [CNY PJ-1]


def prepare(scenario, members: int | None = None, seed: int | None = None,
            base: BaseState | None = None, samples: dict[str, np.ndarray] | None = None,
            design: np.ndarray | None = None,
            discrepancy_z: np.ndarray | None = None) -> Prepared:
    """Resolve the shared inputs of ``scenario`` and draw the design of all members.

    ``samples``: the design of an earlier ``prepare`` of a scenario with the same uncertainty,
    members and seed (``Prepared.samples``), used instead of drawing it again (``sim serve``
    reruns one design at every lever change). ``design`` (members, columns of
    ``sim.scenario.uncertainty.design_columns``) [1]: an explicit design on the unit hypercube instead of
    the Latin hypercube (``sim.analysis.sensitivity``); ``members`` defaults to its row count.
    ``discrepancy_z`` (members, provinces, sectors) [1]: explicit standard-normal draws of the
    model discrepancy instead of its seeded generator (``sim.scenario.uncertainty.discrepancy``; they act
    only where the scenario switches the discrepancy on)."""
    if samples is not None and design is not None:
        raise ValueError("prepare: give samples or design, not both")
    if design is not None and members is None:
        members = len(design)
    base = base or load_base_state()
    members = int(members if members is not None else scenario.members)
    seed = int(seed if seed is not None else scenario.seed)
    provinces = tuple(scenario.provinces)
    prov_idx = np.array([axes.index(axes.PROVINCES, p) for p in provinces], dtype=np.int64)
    years = np.asarray(scenario.years, dtype=np.int64)
    if years[0] != axes.BASE_YEAR:
        raise ValueError(f"simulations start in the base year {axes.BASE_YEAR}, not {years[0]}")
    sectors = axes.SECTORS
    levers = kernel_lever_arrays(scenario, provinces, years, base)  # {KernelInputs field: array}
    collection_lever = levers.pop("collection")  # (N,T); kernel_inputs adds members and the base rate

    shared = dict(levers)
    # autonomous fuel-switching trends of the calibration (fitted 2010-2015) act with the levers
    shared["coal_to_gas"] = with_trend(shared["coal_to_gas"], autonomous_share(base.coal_to_gas_trend, years))
    shared["electrification"] = with_trend(shared["electrification"],
                                           autonomous_share(base.electrification_trend, years))
    samples = (sample(scenario.uncertainty, members, seed, unit=design) if samples is None
               else samples)
    return Prepared(
        scenario=scenario, base=base, provinces=provinces, prov_idx=prov_idx, years=years,
        members=members, seed=seed, shared=shared,
        base_growth=np.asarray(scenario.growth_array(provinces, sectors, years, base), dtype=float),
        collection_lever=collection_lever, samples=samples,
        targets=[t for t in scenario.targets if t.status == "simulated" or t.status == "trend"],
        electricity_kgce_per_kwh=float(scenario.electricity_kgce_per_kwh),
        plateau_tolerance=float(scenario.plateau_tolerance),
        energy_structure=_structure(provinces, years, scenario),
        discrepancy_z=_checked_z(discrepancy_z, members, len(provinces)),
        outside=outside_lever_arrays(scenario, provinces, years),
        costs=(costs := load_costs(base)), prices=costs.prices(prov_idx, years),
    )


def _checked_z(z: np.ndarray | None, members: int, provinces: int) -> np.ndarray | None:
    if z is None:
        return None
    z = np.asarray(z, dtype=float)
    expected = (members, provinces, len(axes.SECTORS))
    if z.shape != expected:
        raise ValueError(f"discrepancy_z has shape {z.shape}, expected {expected} (members, "
                         "provinces, sectors)")
    return z


def with_design(prep: Prepared, design: np.ndarray,
                discrepancy_z: np.ndarray | None = None) -> Prepared:
    """``prep`` with its members replaced by the rows of an explicit unit-hypercube ``design``
    and, if given, explicit discrepancy draws (see :func:`prepare`): the shared inputs are kept,
    so a caller that evaluates many designs of one scenario resolves the levers once."""
    members = len(design)
    return replace(prep, members=members,
                   samples=sample(prep.scenario.uncertainty, members, prep.seed, unit=design),
                   discrepancy_z=_checked_z(discrepancy_z, members, len(prep.provinces)))


def kernel_inputs(prep: Prepared, start: int, stop: int,
                  known_discrepancy: np.ndarray | None = None) -> KernelInputs:
    """Kernel inputs of members ``start:stop``. ``known_discrepancy`` (M,P,S,T) [1]: their
    ``KernelInputs.discrepancy`` (discrepancy x energy structure) from a run of the same
    scenario, members and seed under other levers, which no lever changes (``sim plan`` reruns
    one ensemble under many lever packages, and the structure factor is costly to compute)."""
    smp = {k: v[start:stop] for k, v in prep.samples.items()}
    M = stop - start
    base = prep.base
    years = prep.years
    heavy = np.array([s in axes.ENERGY_INTENSIVE_SECTORS for s in axes.SECTORS])
    projected = (years > OBSERVED_GROWTH_UNTIL).astype(float)  # observed years are known
    growth = (prep.base_growth[None]
              + (smp["growth_offset"][:, None, None, None]
                 + smp["heavy_growth_offset"][:, None, None, None] * heavy[None, None, :, None])
              * projected[None, None, None, :])
    dt = (years - years[0]).astype(float)
    # the baseline grid path (uncertain decline), below it by the grid_decarbonisation lever
    # (one value per province: the lever has no sector overrides)
    grid_tpm = base.grid_ef0[prep.prov_idx][None, :, None] * (
        1.0 - smp["grid_decline_rate"][:, None, None]) ** dt[None, None, :] * (
        1.0 - prep.outside["grid_decarbonisation"][None, :, 0, :])
    collection = np.clip(
        base.collection[None, :, None] * prep.collection_lever[None]
        * smp["collection_multiplier"][:, None, None], 0.0, 1.0)
    return assemble(prep.base, prep.prov_idx, prep.shared, dict(
        growth=growth,
        # sampled lifetimes and AEEIs stay within the physical bounds the fit uses (base state)
        lifetime=np.maximum(base.lifetime[None, :] * smp["lifetime_multiplier"][:, None],
                            base.lifetime_min[None, :]),
        aeei=np.clip(base.aeei[None, :] * smp["aeei_multiplier"][:, None], 0.0, base.aeei_max),
        aeei_elec=np.clip(base.aeei_elec[None, :] * smp["aeei_elec_multiplier"][:, None], 0.0,
                          base.aeei_max),
        grid_ef=grid_tpm / PJ_PER_TWH,
        collection=collection,
        stock_lifetime=base.stock_lifetime[None, :] * smp["stock_lifetime_multiplier"][:, None],
        elec_ratio=np.broadcast_to(smp["elec_ratio"], (M,)).astype(float),
        **{name: np.broadcast_to(smp[param], (M,)).astype(float)
           for name, param in PRICE_RESPONSES.items()},
        # model discrepancy on each sector's final energy (1 in the base year; 1 everywhere
        # unless the scenario switches it on and the fit gives widths)
        # times the energy structure of non-metallic minerals (cement + glass composite,
        # observed 2020-2024, held after; sim.data.observed_activity.nonmetallic_structure), whose
        # cement weight depends on each member's clinker fuel intensity
        discrepancy=discrepancy(base.discrepancy_sigma, prep.seed, np.arange(start, stop),
                                prep.prov_idx, dt, smp[MODEL_DISCREPANCY],
                                z=None if prep.discrepancy_z is None
                                else prep.discrepancy_z[start:stop])
        * _structure(prep.provinces, years, prep.scenario, smp["clinker_fuel_intensity"])
        if known_discrepancy is None else known_discrepancy,
    ))


def _structure(provinces, years, scenario=None, clinker_fuel_intensity=None) -> np.ndarray:
    """(P,S,T) energy structure factor relative to the base year ((M,P,S,T) for an array (M,) of
    clinker fuel intensities [GJ t-1]): 1 except non-metallic minerals,
    whose observed 2020-2024 factor goes with the observed activity: where the scenario's own
    growth points for the sector replace the observed history (from their first year on,
    sim.data.growth), the factor is held at its value of the year before."""
    k = axes.SECTORS.index("nonmetallic_minerals")
    f = nonmetallic_structure(provinces, years, clinker_fuel_intensity)
    yrs = np.asarray(years)
    if scenario is not None:
        g = scenario.growth
        for i, p in enumerate(provinces):
            own = [t for t in (g.sector.get(axes.SECTORS[k]), g.province_sector.get((p, axes.SECTORS[k])))
                   if t is not None and t.points]
            if own:
                first = min(t.points[0][0] for t in own)
                held = yrs >= first
                if held.any():
                    f[..., i, held] = f[..., i, max(int(np.argmax(held)) - 1, 0), None]
    out = np.ones(f.shape[:-2] + (len(provinces), len(axes.SECTORS), len(years)))
    out[..., k, :] = f
    return out


def _grid_renewable_share(prep: Prepared, grid_tpm: np.ndarray) -> np.ndarray:
    """Renewable share of grid power (M,P,T), assuming the grid factor falls as non-fossil power
    displaces fossil power: rs(t) = 1 − (1 − rs0) · ef(t) / ef0."""
    rs0 = prep.base.grid_renewable_share0[prep.prov_idx][None, :, None]
    ef0 = prep.base.grid_ef0[prep.prov_idx][None, :, None]
    return np.clip(1.0 - (1.0 - rs0) * grid_tpm / ef0, 0.0, 1.0)


def run_chunk(prep: Prepared, start: int, stop: int, timer: dict | None = None,
              variables: frozenset[str] | None = None,
              outputs: KernelOutputs | None = None) -> xr.Dataset:
    """Run members ``start:stop`` and return their Dataset (per-member variables only).

    ``variables`` limits the kernel variables put in the Dataset (default: all); industrial CO2,
    targets and peak years are always there. ``timer``, if given, accumulates seconds under
    'inputs', 'kernel' and 'targets' (indicators, target checks, peak years and the Dataset
    assembly). ``outputs``: kernel outputs of the chunk's sizes to run into instead of freshly
    allocated ones (``sim serve`` reruns the same sizes at every lever change; fresh outputs cost
    the page faults of ~1 GB per 1000 national members); the Dataset's kernel variables are then
    views of them, so they must not be reused while the Dataset is in use.
    """
    t0 = time.perf_counter()
    inp = kernel_inputs(prep, start, stop)
    t1 = time.perf_counter()
    out = simulate(inp, outputs)
    t2 = time.perf_counter()
    ule = _ule_share(prep)
    # the pollutants in a second thread while the costs are priced in this one: NumPy releases
    # the GIL in its loops and matrix products, and neither reads what the other writes
    pending = _SIDE.submit(_pollutants, prep, out, ule, start, stop)
    try:
        cost_data = _cost_variables(prep, out, start, stop, variables, ule)
    except BaseException:
        wait([pending])
        raise
    pollutants = pending.result()
    ctx = _context(prep, inp, start, stop, pollutants)
    ind = indicators.Indicators(out, ctx)
    position = {p: i for i, p in enumerate(prep.provinces)}
    value, attained = target_checks.evaluate(prep.targets, ind, position, prep.years)

    regions = list(prep.provinces) + ["national"]
    # per province, then the national sum as one more region: (M, P + 1, T)
    co2_p = ind.province_series("scope1")
    co2 = np.concatenate([co2_p, co2_p.sum(axis=1, keepdims=True)], axis=1)
    co2_all_p = ind.province_series("scope1+2")
    co2_all = np.concatenate([co2_all_p, co2_all_p.sum(axis=1, keepdims=True)], axis=1)
    M, G, T = co2.shape
    peak, plateau = indicators.peak_years(co2.reshape(M * G, T), prep.years, prep.plateau_tolerance)

    data = _raw_variables(out, ctx, variables)
    data["industrial_co2"] = co2
    data["industrial_co2_with_indirect"] = co2_all
    peak_all, _ = indicators.peak_years(co2_all.reshape(M * G, T), prep.years,
                                        prep.plateau_tolerance)
    data["peak_year_with_indirect"] = peak_all.reshape(M, G)
    data.update(cost_data)
    by_region = pollutants.sum(axis=2)  # (M,P,X,T)
    data["industrial_pollutants"] = np.concatenate([by_region, by_region.sum(axis=1, keepdims=True)],
                                                   axis=1)
    if variables is None or "pollutant_emissions" in variables:
        data["pollutant_emissions"] = pollutants
    data["target_value"] = value
    data["target_attained"] = attained
    data["peak_year"] = peak.reshape(M, G)
    data["plateau_start_year"] = plateau.reshape(M, G)
    data["parameter_value"] = np.stack([prep.samples[k][start:stop] for k in prep.samples], axis=1)
    ds = xr.Dataset(
        {name: (VARIABLES[name].dims, arr) for name, arr in data.items()},
        coords=_coords(prep, np.arange(start, stop), regions),
    )
    if timer is not None:
        for key, dt in (("inputs", t1 - t0), ("kernel", t2 - t1), ("targets", time.perf_counter() - t2)):
            timer[key] = timer.get(key, 0.0) + dt
    return ds


def _ule_share(prep: Prepared) -> np.ndarray:
    """(P,S,T) shares of capacity with ultra-low-emission control [1] (``sim.model.pollutants``)."""
    return pollutant_model.ule_share(prep.outside["ultra_low_emission"], prep.years)


def _context(prep: Prepared, inp: KernelInputs, start: int, stop: int,
             pollutants: np.ndarray | None) -> indicators.ChunkContext:
    """What the indicators of members ``start:stop`` need beyond the kernel outputs;
    ``pollutants``: their (M,P,S,X,T) air pollutants [t yr-1], or None when no indicator asks."""
    grid_tpm = inp.grid_ef * PJ_PER_TWH
    return indicators.ChunkContext(
        years=prep.years, grid_ef=grid_tpm,
        grid_renewable_share=_grid_renewable_share(prep, grid_tpm),
        green_power=prep.shared["green_power"],
        electricity_kgce_per_kwh=prep.electricity_kgce_per_kwh,
        samples={k: v[start:stop] for k, v in prep.samples.items()},
        pollutants=pollutants,
    )


def run_outcome(prep: Prepared, targets: Sequence[str],
                known_discrepancy: np.ndarray | None = None,
                outputs: KernelOutputs | None = None) -> dict[str, np.ndarray]:
    """What ``sim plan`` reads of a run of all members of ``prep``, and nothing else (no
    Dataset, no peak years, no other target, the pollutants only when a chosen target's indicator
    needs them): ``target_attained`` (M,K) of the target ids ``targets``, in their order [1, NaN
    undefined], ``discounted_cost`` (M,) [CNY] and ``industrial_co2`` (M,T) [Mt yr-1] of the
    national region, each equal to :func:`run_chunk`'s, and ``discrepancy``, the kernel inputs'
    (M,P,S,T) to pass back as ``known_discrepancy`` (:func:`kernel_inputs`) under other levers.
    ``outputs``: kernel outputs of the run's sizes to run into (as :func:`run_chunk`'s; nothing
    returned is a view of them, so they may be reused at once)."""
    chosen = {t.id: t for t in prep.targets}
    chosen = [chosen[t] for t in targets]
    inp = kernel_inputs(prep, 0, prep.members, known_discrepancy)
    out = simulate(inp, outputs)
    needs = any(INDICATORS[t.indicator].compute is indicators.pollutant_intensity for t in chosen)
    ule = _ule_share(prep)
    ctx = _context(prep, inp, 0, prep.members,
                   _pollutants(prep, out, ule, 0, prep.members) if needs else None)
    ind = indicators.Indicators(out, ctx)
    _, attained = target_checks.evaluate(chosen, ind, {p: i for i, p in enumerate(prep.provinces)},
                                         prep.years)
    cost = _cost_variables(prep, out, 0, prep.members, frozenset(), ule)["discounted_cost"]
    return dict(target_attained=attained, discounted_cost=cost[:, -1],
                industrial_co2=ind.province_series("scope1").sum(axis=1),
                discrepancy=inp.discrepancy)


def _pollutants(prep: Prepared, out: KernelOutputs, ule: np.ndarray, start: int,
                stop: int) -> np.ndarray:
    """(M,P,S,X,T) air pollutants of a chunk [t yr-1] (``sim.model.pollutants``), with the
    members' factor draws where the scenario samples any uncertain parameter."""
    factors = pollutant_model.load_factors()
    sampled = bool(getattr(prep.scenario.uncertainty, "distributions", None))
    pm, cm = pollutant_model.multipliers(factors, prep.seed, np.arange(start, stop), sampled)
    return pollutant_model.emissions(factors, out.production, out.final_energy, ule, pm, cm)


def _cost_variables(prep: Prepared, out: KernelOutputs, start: int, stop: int,
                    variables: frozenset[str] | None,
                    ule: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The cost variables of a chunk (``sim.model.costs``): ``total_cost``, ``cost_by_item`` and
    ``discounted_cost`` per region always; ``cost``, ``investment_cost`` and ``energy_cost``
    where ``variables`` asks for them (default: all). ``ule`` (P,S,T): the ULE shares, priced by
    ``sim.model.costs.chunk_costs``."""
    levers = dict(prep.outside, carbon_price=prep.shared["carbon_price"],
                  green_power=prep.shared["green_power"])
    smp = {k: v[start:stop] for k, v in prep.samples.items()}
    parts = cost_model.chunk_costs(prep.costs, out, prep.prices, levers, smp, ule,
                                   by_sector=variables is None or "cost" in variables)
    by_item = parts["cost_by_item"]  # (M,P,K,T)
    by_item = np.concatenate([by_item, by_item.sum(axis=1, keepdims=True)], axis=1)
    total = by_item.sum(axis=2)  # (M,G,T)
    data = {"total_cost": total, "cost_by_item": by_item,
            "discounted_cost": cost_model.discounted(total, prep.years, prep.costs.discount_rate)}
    if variables is None or "cost" in variables:
        data["cost"] = parts["cost"]
    if variables is None or "investment_cost" in variables:
        data["investment_cost"] = _by_route_label(parts["investment_cost"], True)
    if variables is None or "energy_cost" in variables:
        data["energy_cost"] = parts["energy_cost"]
    return data


def _raw_variables(out: KernelOutputs, ctx: indicators.ChunkContext,
                   variables: frozenset[str] | None = None) -> dict[str, np.ndarray]:
    def wanted(name: str) -> bool:
        return variables is None or name in variables

    material = np.array([s in axes.MATERIAL_SECTORS for s in axes.SECTORS])
    data: dict[str, np.ndarray] = {}
    if wanted("demand"):
        data["demand"] = out.demand.copy()
        data["demand"][:, :, ~material] = np.nan
    for name in ("production", "capacity", "investment", "retirement"):
        if wanted(name):
            data[name] = _by_route_label(getattr(out, name))
    if wanted("route_share"):
        total = out.production.sum(axis=3, keepdims=True)
        data["route_share"] = _by_route_label(indicators.ratio(out.production, total), True)
    if wanted("value_added"):
        data["value_added"] = out.value_added * CNY_PER_KERNEL_VA  # files store CNY yr-1
    for name in ("final_energy", "co2_direct", "co2_process", "co2_indirect",
                 "co2_captured", "scrap_supply", "scrap_use", "inuse_stock"):
        if wanted(name):
            data[name] = getattr(out, name)
    data["eaf_share"] = indicators.eaf_share(out.production[:, :, axes.SECTORS.index("iron_steel")],
                                             route_axis=2)
    data["grid_emission_factor"] = ctx.grid_ef
    data["grid_renewable_share"] = ctx.grid_renewable_share
    return data


_LABEL_OF = [[axes.ROUTE_LABELS.index(name) for name in axes.ROUTE_NAMES[s]] for s in axes.SECTORS]


def _by_route_label(arr: np.ndarray, per_sector: bool = False) -> np.ndarray:
    """A kernel array (M,P,S,R,T) by route position on the file's ``route`` axis of route names
    (``sim.core.axes.ROUTE_LABELS``): per route (M,P,L,T) for the material sectors (each material
    route belongs to one sector; the value-added sectors' routes are NaN), or with ``per_sector``
    (M,P,S,L,T), NaN where a route is not the sector's."""
    M, P, S, R, T = arr.shape
    if per_sector:
        out = np.full((M, P, S, len(axes.ROUTE_LABELS), T), np.nan)
        for s in range(S):
            out[:, :, s, _LABEL_OF[s]] = arr[:, :, s]
        return out
    out = np.full((M, P, len(axes.ROUTE_LABELS), T), np.nan)
    for s, sector in enumerate(axes.SECTORS):
        if sector in axes.MATERIAL_SECTORS:
            out[:, :, _LABEL_OF[s]] = arr[:, :, s]
    return out


def _coords(prep: Prepared, members: np.ndarray, regions: list[str]) -> dict:
    tg = prep.targets
    return {
        "member": ("member", members.astype(np.int64)),
        "province": ("province", list(prep.provinces)),
        "province_iso": ("province", [axes.PROVINCE_ISO[p] for p in prep.provinces]),
        "province_zh": ("province", [axes.PROVINCE_ZH[p] for p in prep.provinces]),
        "sector": ("sector", list(axes.SECTORS)),
        "route": ("route", list(axes.ROUTE_LABELS)),
        "route_sector": ("route", [" ".join(axes.ROUTE_SECTORS[r]) for r in axes.ROUTE_LABELS]),
        "carrier": ("carrier", list(axes.CARRIERS)),
        "cost_item": ("cost_item", list(cost_model.COST_ITEMS)),
        "pollutant": ("pollutant", list(pollutant_model.POLLUTANTS)),
        "metal": ("metal", list(axes.METALS)),
        "year": ("year", prep.years),
        "region": ("region", regions),
        "region_iso": ("region", [axes.PROVINCE_ISO.get(r, "CN") for r in regions]),
        "target": ("target", [t.id for t in tg]),
        "parameter": ("parameter", list(prep.samples)),
        "parameter_units": ("parameter", [PARAMETERS[k].unit for k in prep.samples]),
        "parameter_description": ("parameter", [PARAMETERS[k].applies for k in prep.samples]),
    }


def run(prep: Prepared, chunk_size: int = CHUNK_SIZE,
        progress: Callable[[int, int], None] | None = None) -> xr.Dataset:
    """Run all members of ``prep`` in chunks and return the ensemble Dataset.

    ``progress(done, total)`` is called after each chunk.
    """
    parts = []
    for start in range(0, prep.members, chunk_size):
        stop = min(prep.members, start + chunk_size)
        parts.append(run_chunk(prep, start, stop))
        if progress is not None:
            progress(stop, prep.members)
    ds = xr.concat(parts, dim="member", data_vars="minimal", coords="minimal",
                   compat="override", join="override") if len(parts) > 1 else parts[0]
    return finalize(ds, prep)


def finalize(ds: xr.Dataset, prep: Prepared) -> xr.Dataset:
    """Add ensemble statistics and CF metadata to a per-member Dataset."""
    ds["target_probability"] = ds["target_attained"].mean("member", skipna=True)
    return annotate(ds, prep)


def annotate(ds: xr.Dataset, prep: Prepared) -> xr.Dataset:
    """CF-1.10 variable and coordinate attributes (global attributes are added by ``sim.results.netcdf``)."""
    # attributes are set on the variables themselves (ds[name] would build a DataArray each time)
    attributes = {name: var.attrs for name, var in ds.variables.items()}
    for name, var in VARIABLES.items():
        if name in ds:
            attributes[name].update(units=var.units, long_name=var.long_name)
    for name in ("value_added",) + COST_VARIABLES:
        if name in ds:
            attributes[name]["currency"] = "CNY (2019 prices)"
    if "discounted_cost" in ds:
        attributes["discounted_cost"].update(
            discount_rate=prep.costs.discount_rate,
            discount_window=np.array(cost_model.DISCOUNT_WINDOW, dtype=np.int32),
            comment=f"present value in {cost_model.DISCOUNT_WINDOW[0]} of the total cost of "
                    f"{cost_model.DISCOUNT_WINDOW[0]}-{cost_model.DISCOUNT_WINDOW[1]}")
    for name in ("peak_year", "plateau_start_year", "peak_year_with_indirect"):
        if name in ds:
            attributes[name].update(units="1", comment=YEAR_COMMENT)
    if "target_attained" in ds:  # CF: flag_values of the variable's type (float: NaN = undefined)
        attributes["target_attained"]["flag_values"] = np.array(
            [0, 1], dtype=ds["target_attained"].dtype)
        attributes["target_attained"]["flag_meanings"] = "not_attained attained"
    tg = prep.targets
    # one assign_coords (each call aligns and copies the Dataset)
    ds = ds.assign_coords(dict(
        target_indicator=("target", [t.indicator for t in tg]),
        target_scope=("target", [t.scope for t in tg]),
        target_year=("target", np.array([t.year for t in tg], dtype=np.int64)),
        target_condition=("target", [t.condition for t in tg]),
        target_threshold=("target", np.array([np.nan if t.value is None else t.value for t in tg],
                                             dtype=float)),
        target_units=("target", [target_checks.target_units(t, INDICATORS[t.indicator][0])
                                 for t in tg]),
        target_source=("target", [t.source for t in tg]),
        target_status=("target", [t.status for t in tg]),
    ) | time_coordinates(ds["year"].values))
    for name, attrs in COORDINATES.items():
        if name in ds.coords:
            ds.variables[name].attrs.update(attrs)
    return ds
