"""Historical runs of the model (the fit and the hindcast): the kernel from an earlier base state
(``sim.data.base_state.load_base_state(2010)`` or ``(2015)``) over observed years, with no policy
levers: capacity replaced like for like, a national scrap pool, the base grid factor, the closure
programmes as the ``phase_out`` lever and the autonomous fuel-switching trends. Growth is observed
(``sim.data.history.observed_growth``, the hindcast) or fitted (calibration/fit.py).

The trends are per member (the fit varies them), and the kernel's fuel-switch levers are shared by
its members: :func:`run_history` runs the members that share their trends in one kernel call, so
the kernel's own steps 8-9 switch the fuels (no copy of them here).
"""

from __future__ import annotations

import numpy as np

from kernels.arrays import FOSSIL, KernelInputs, KernelOutputs
from sim.core.units import PJ_PER_TWH
from sim.data.base_state import BaseState, autonomous_share
from sim.data.history import CO2_CARRIERS
from sim.model.inputs import assemble
from sim.model.kernel import allocate_outputs, simulate
from sim.scenario.uncertainty import PARAMETERS, PRICE_RESPONSES

ELEC_RATIO = PARAMETERS["elec_ratio"].nominal
"""PJ electricity per PJ fossil electrified in historical runs [PJ PJ-1]: the nominal of
``sim.scenario.uncertainty.PARAMETERS['elec_ratio']``."""


def historical_inputs(base: BaseState, years, growth: np.ndarray, lifetime: np.ndarray,
                      aeei: np.ndarray, stock_lifetime: np.ndarray,
                      trends: tuple[np.ndarray, np.ndarray] | None = None,
                      aeei_elec: np.ndarray | None = None,
                      discrepancy: np.ndarray | None = None,
                      floor_int: np.ndarray | None = None,
                      phase_out: np.ndarray | None = None) -> KernelInputs:
    """Kernel inputs of a historical run of all provinces from ``base`` over ``years``.

    growth (M,P,S,T), lifetime (M,S), aeei (M,S), stock_lifetime (M,N) are per member; no policy
    levers, a national scrap pool, the base grid factor. ``floor_int`` (P,S,R,C) [PJ per activity
    unit] is the efficiency floor (default 0, no floor: the committed 2010-2015 fit was made
    without floors; pass ``base.floor_int`` for the base state's). ``aeei_elec`` (M,S) [yr-1] is the electricity rate (default: ``aeei``, one
    rate for every carrier as before issue #12; pass ``base.aeei_elec`` rows for the base
    state's own); ``discrepancy`` (M,P,S,T) [1] the model-discrepancy
    factor (default 1: none). ``trends`` = (coal-to-gas, electrification) rates (S,) [yr-1]: the
    autonomous fuel-switching trends put into the kernel's coal_to_gas and electrification arrays
    (``sim.data.base_state.autonomous_share``; default none). ``phase_out`` (P,S,T): the
    historical closure programmes (``sim.data.history.phase_out_history``), else none.
    """
    years = np.asarray(years)
    M, P, S, T = growth.shape
    R, N = base.cap0.shape[2], base.stock0.shape[1]
    zero = np.zeros((P, S, T))
    if trends is not None:
        gas = np.broadcast_to(autonomous_share(np.asarray(trends[0], dtype=float), years)[None],
                              (P, S, T)).copy()
        elec = np.broadcast_to(autonomous_share(np.asarray(trends[1], dtype=float), years)[None],
                               (P, S, T)).copy()
    else:
        gas, elec = zero, zero
    capture = np.broadcast_to(base.route_capture[None, :, :, None], (P, S, R, T)).copy()
    levers = dict(
        share_floor=np.zeros((P, S, R, T)),
        phase_out=zero if phase_out is None else np.ascontiguousarray(phase_out, dtype=float),
        replacement_ratio=np.full((P, S, T), np.inf),
        retrofit=zero, coal_to_gas=gas, hydrogen=zero, electrification=elec, green_power=zero,
        capture=capture, scrap_market=np.ones(T), carbon_price=zero, switch_price=zero,
    )
    members = dict(
        growth=np.ascontiguousarray(growth, dtype=float),
        lifetime=np.ascontiguousarray(lifetime, dtype=float),
        aeei=np.ascontiguousarray(aeei, dtype=float),
        grid_ef=np.broadcast_to(base.grid_ef0[None, :, None] / PJ_PER_TWH, (M, P, T)).copy(),
        collection=np.broadcast_to(base.collection[None, :, None], (M, N, T)).copy(),
        stock_lifetime=np.ascontiguousarray(stock_lifetime, dtype=float),
        elec_ratio=np.full(M, ELEC_RATIO),
        aeei_elec=np.ascontiguousarray(aeei if aeei_elec is None else aeei_elec, dtype=float),
        discrepancy=(np.ones((M, P, S, T)) if discrepancy is None
                     else np.ascontiguousarray(discrepancy, dtype=float)),
        # no carbon price in history: the responses multiply a zero price (their nominals)
        **{name: np.full(M, PARAMETERS[param].nominal) for name, param in PRICE_RESPONSES.items()},
    )
    inp = assemble(base, np.arange(P), levers, members)
    inp.floor_int = (np.zeros_like(inp.floor_int) if floor_int is None
                     else np.array(floor_int, dtype=float))  # a writable copy
    return inp


def run_history(base: BaseState, years, growth: np.ndarray, lifetime: np.ndarray,
                aeei: np.ndarray, stock_lifetime: np.ndarray, coal_to_gas_trend: np.ndarray,
                electrification_trend: np.ndarray, aeei_elec: np.ndarray | None = None,
                energy_factor: np.ndarray | None = None, floor_int: np.ndarray | None = None,
                phase_out: np.ndarray | None = None) -> KernelOutputs:
    """A historical run of members with their own parameter rows: growth (M,P,S,T) [yr-1],
    lifetime (M,S) [yr], aeei and aeei_elec (M,S) [yr-1], stock_lifetime (M,N) [yr], the
    autonomous coal-to-gas and electrification trends (M,S) [yr-1]; ``energy_factor`` (P,S,T) or
    (M,P,S,T) [1] scales each sector's final energy before the fuel switches (the energy
    structure of non-metallic minerals, times a model discrepancy), as the kernel's discrepancy
    input does. Members with the same trends run in one kernel call (the trends are the kernel's
    fuel-switch lever arrays, shared by its members); the outputs are in the members' order."""
    growth = np.asarray(growth, dtype=float)
    M, P, S, T = growth.shape
    gas = np.broadcast_to(np.asarray(coal_to_gas_trend, dtype=float), (M, S))
    elec = np.broadcast_to(np.asarray(electrification_trend, dtype=float), (M, S))
    factor = None if energy_factor is None else np.broadcast_to(
        np.asarray(energy_factor, dtype=float), (M, P, S, T))
    groups, which = np.unique(np.concatenate([gas, elec], axis=1), axis=0, return_inverse=True)
    which = which.reshape(-1)
    out = None
    for g in range(len(groups)):
        rows = np.flatnonzero(which == g)
        inp = historical_inputs(
            base, years, growth[rows], lifetime[rows], aeei[rows], stock_lifetime[rows],
            trends=(groups[g, :S], groups[g, S:]),
            aeei_elec=None if aeei_elec is None else np.asarray(aeei_elec)[rows],
            discrepancy=None if factor is None else factor[rows], floor_int=floor_int,
            phase_out=phase_out)
        part = simulate(inp)
        if len(groups) == 1:
            return part
        if out is None:
            sizes = part.production.shape  # (M,P,S,R,T)
            out = allocate_outputs(M, P, S, sizes[3], part.final_energy.shape[3],
                                   part.scrap_supply.shape[2], T)
        for name, arr in part.as_dict().items():
            getattr(out, name)[rows] = arr
    return out


def co2_by_carrier(out: KernelOutputs, ef: np.ndarray) -> np.ndarray:
    """(M,P,S,4,T) gross CO2 [Mt yr-1] of a run by ``sim.data.history.CO2_CARRIERS`` (coal, oil,
    gas, process): the kernel's final energy of each fossil carrier times its factor ``ef``
    (P,S,C) [Mt PJ-1], and its process CO2; the three fossil columns add up to the kernel's
    ``co2_direct`` (SPEC step 9 summed over routes; tested)."""
    final_energy = out.final_energy
    M, P, S, C, T = final_energy.shape
    co2 = np.empty((M, P, S, len(CO2_CARRIERS), T))
    for j, c in enumerate(FOSSIL):
        co2[:, :, :, j] = final_energy[:, :, :, c] * ef[None, :, :, c, None]
    co2[:, :, :, 3] = out.co2_process
    return co2
