"""Numba stock-and-flow kernel: every member, province, sector and year of DESIGN §4.

The equations, array shapes and units are specified in ``kernels/SPEC.md``; this module implements
them and nothing else, in SPEC's order and with SPEC's step numbers:

- :func:`_capacity_steps` — steps 1–6 (demand, aging and retirement, investment, route split,
  intensity co-flow, production) for every province and sector of a year;
- :func:`_scrap_step` — step 7 (scrap market and in-use metal stocks) for every metal;
- :func:`_energy_steps` — steps 8–10 (energy, emissions, value added).

A plain NumPy reading of the same specification lives in ``tests/helpers/reference.py`` and the test
suite checks the two agree to rtol 1e-9.

Public entry points:

- :func:`simulate` — allocate outputs and run all members of a :class:`KernelInputs`.
- :func:`simulate_into` — run into caller-provided :class:`KernelOutputs` (no allocation).

Both check the inputs against SPEC first (:func:`kernels.arrays.check_inputs`) and pass the
kernel SPEC's four groups as named tuples of arrays (:class:`~kernels.arrays.BaseArrays`,
:class:`~kernels.arrays.LeverArrays`, :class:`~kernels.arrays.UncertainArrays`,
:class:`~kernels.arrays.OutputArrays`), whose fields are declared once in ``kernels/arrays.py``.

One call runs a range of members (:func:`_simulate_members`, which releases the GIL); the caller
decides how ranges are spread over threads (``spread`` of :func:`simulate_into`;
``sim.model.kernel`` runs them in ``numba.get_num_threads()`` threads). Inside a member everything
is sequential. ``fastmath`` is off
(:data:`FASTMATH`): mass balance must hold to rounding, and the measured gain did not justify it.

Names: the code spells out what SPEC writes as a symbol (SPEC's symbol is in the comment beside
it): ``surviving`` = Cs_r, ``retired`` = ret_r, ``invest`` = I_r, ``weight`` = w_r,
``floor_need`` = need_r, ``held`` = r ∈ A, ``stage_out`` = f, ``best`` = bat, ``cap_route`` = Cap_r,
``feed_route`` = ρ, ``metal_sec`` = σ, ``charge`` = charge_p, ``market`` = μ,
``retrofit_rate`` = retrofit[p,s,t].

Performance notes (national case, 31 provinces x 9 sectors x 17 years; tests/bench):

- No array slices inside the loops over (t, p, s): each view costs an atomic increment and
  decrement of the parent's reference count (measured: half the run time), and for arrays shared
  by all members both threads hammer the same counter. Helpers take whole arrays plus indices,
  and the few per-route lever values are copied into small member-local scratch arrays.
- Every function called inside the member loop must compile without reference-count updates of
  its arguments (named tuples included: a tuple's incref is one per array in it), see
  :data:`ERROR_MODEL` and :func:`_split_investment`; ``tests/bench`` guards this by reading the
  LLVM IR of each.
- The per-(p, s) helpers of steps 1–6 are inlined into :func:`_capacity_steps`
  (``inline="always"``, at Numba's IR level). Called out of line they made the whole kernel
  1.35–1.39x slower (measured, 1000 national members, 1 and 2 threads): the calls themselves,
  and because the error-status branch after each call leaves the function without the matching
  decrements, LLVM's reference-count pruning kept one increment and one decrement of every
  array taken out of the named tuples (43 pairs per call of :func:`_capacity_steps`).
- What depends only on the member, sector and year is computed once per member: the stage
  outflow fraction ``K / lifetime`` and the decays ``(1 − aeei)^t`` and ``(1 − aeei_elec)^t``
  of the gap between best-available and floor intensity (the same ``float ** int`` expression,
  hoisted out of the loops, so the same bits), as one (S,T,C) table so that step 5's carrier
  loop has no branch on the carrier.
- The model discrepancy (step 8) multiplies the fossil energy of each route once, before the
  fuel switches, and the other carriers' Σ_r prod_r · int_c once per carrier, not every
  route's every carrier. With the floors and the discrepancy the kernel takes about 1.1x the
  time of the kernel before them (medians of per-round ratios 1.07–1.24 over five runs on a
  loaded machine, tests/bench/README.md).
- Steps 8–10 keep the fuel switches in scalars and sum final energy per carrier in a scalar (no
  (C,) scratch array: its mixed vector and scalar accesses stalled on store-to-load forwarding;
  steps 8–10 were a third of the run time); one reciprocal per route in the intensity co-flow
  instead of a division per carrier.
- First call (issue #25, tests/bench ``test_kernel_before_and_after_the_first_run_work``): the
  members used to run in a ``prange``; the parallel loop's gufunc and its wrapper each linked and
  re-optimised the whole kernel, and compiling took 25 s of CPU. With the members' ranges run in
  threads by the caller and the three parts of a year inlined into :func:`_member` (one
  optimisation of their code fewer), 15 s; the throughput is unchanged or a few per cent
  better. Numba's inlining copies the callee's IR block by block (a cost that grows with the
  size of the callee), and LLVM's optimisation level hardly matters (``NUMBA_OPT=0``: 11 s), so
  the rest is Numba's own typing and lowering.
- The year loop stays outermost for all sectors: running the sectors that feed no metal
  year-innermost (so output rows are written contiguously) was measured slower, 0.84 s vs 0.67 s
  for 1000 members, because each (p, s) year depends on the previous one while consecutive
  (p, s) pairs of one year are independent and overlap in the core.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from kernels.arrays import (
    COAL,
    ELECTRICITY,
    GAS,
    HEAT,
    HYDROGEN,
    OIL,
    KernelInputs,
    KernelOutputs,
    OutputArrays,
    check_inputs,
    check_outputs,
)

FASTMATH = False
"""Whether the kernel is compiled with ``fastmath``; a test checks mass balance with it as set."""

ERROR_MODEL = "numpy"
"""Numba's error model for the kernel. The divisors are util (in (0, 1] by SPEC), the lifetimes
(> 0 by SPEC), and sums or ratios each taken only when positive, so the "python" model's
ZeroDivisionError checks never fire on valid inputs; but their raise paths keep LLVM from
removing the atomic reference-count updates of array arguments (measured: 7 increments and up to
19 decrements per call of :func:`_split_investment`). With "numpy" a division by zero gives inf
or nan instead of raising."""

_JIT = dict(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)


BLOCK = 32
"""Members computed side by side (the lanes of a block): every state array has them as its last,
contiguous axis, so each statement of a step runs over the block's members in one vector loop of
run-time length (read from an array's shape, so that LLVM's loop vectoriser takes the lane loops
instead of unrolling them fully and leaving them scalar). Measured, 512 national members, one run
at load 10-12: 32 lanes 1.20x the member kernel's throughput, 16 lanes 0.94x, 8 lanes 1.00x."""


class BlockState(NamedTuple):
    """What the members of a block carry from year to year, plus their per-member constants;
    the last axis is the lane b (:data:`BLOCK`) of member ``lane[b]``."""

    lane: np.ndarray  # (B,) int: the member of each lane (lanes past the last member repeat it)
    cap: np.ndarray  # (P,S,R,K,B) capacity by age stage [activity yr-1]
    intensity: np.ndarray  # (P,S,R,C,B) capacity-weighted average intensity [PJ per activity unit]
    stock: np.ndarray  # (P,N,K,B) in-use metal stock by age stage [Mt]
    demand: np.ndarray  # (P,S,B) demand of the current year D_t [activity yr-1]
    prod: np.ndarray  # (P,S,R,B) production of the current year [activity yr-1]
    prev_total: np.ndarray  # (P,N,B) final production Σ_r prod of the metal's sector, year t−1
    stage_out: np.ndarray  # (S,B) step 2's f = min(1, K / lifetime[m,s]) [yr-1]
    decay: np.ndarray  # (S,T,C,B) (1 − a_c)^t, a_c = aeei_elec[m,s] for electricity, else
    # aeei[m,s]: the gap between best-available and floor intensity over the base year's
    elec_ratio: np.ndarray  # (B,) elec_ratio[m] [PJ / PJ]
    cost_response: np.ndarray  # (B,) β = cost_response[m] [1]
    retrofit_response: np.ndarray  # (B,) retrofit_response[m] [yr-1 per CNY t-1]
    gas_response: np.ndarray  # (B,) gas_response[m] [1 per CNY t-1]
    elec_response: np.ndarray  # (B,) elec_response[m] [1 per CNY t-1]


class Scratch(NamedTuple):
    """Work arrays of one (p, s) or one metal, overwritten before every use: (R, B) per route
    and lane, (B,) per lane, or one member's (the scrap step and the priced route choice)."""

    surviving: np.ndarray  # (R,B) step 2: Cs_r, capacity after aging [activity yr-1]
    retired: np.ndarray  # (R,B) step 2: ret_r
    invest: np.ndarray  # (R,B) step 4: I_r
    weight: np.ndarray  # (R,B) step 4: default weights w_r
    floor_need: np.ndarray  # (R,B) step 4: need_r
    held: np.ndarray  # (R,B) bool, step 4: r ∈ A (held at its floor)
    cap_route: np.ndarray  # (R,B) step 6: Cap_r, capacity after investment
    fossil: np.ndarray  # (R,3,B) step 8: fossil energy by route after the fuel switches [PJ]
    h2_made: np.ndarray  # (R,B) step 8: Σ_c y_c, hydrogen replacing fossil energy [PJ]
    elec_used: np.ndarray  # (R,B) step 8: elec_ratio · Σ_c z_c [PJ]
    lanes: np.ndarray  # (L,B) per-lane values of a (p, s), one row each (the *_ROW constants)
    logw: np.ndarray  # (R,) step 4: the weights of the route choice under a carbon price
    route_co2: np.ndarray  # (R,) step 4: CO2 per unit of each route's new capacity
    spare: np.ndarray  # (R,) step 7: spare capacity max(0, Cap_r − prod_r)
    supply: np.ndarray  # (P,) step 7: supply_p [Mt]
    charge: np.ndarray  # (P,) step 7: charge_p, scrap the feedstock route needs [Mt]


# rows of Scratch.lanes: one value per lane of the (p, s) at hand
(SURVIVING_ROW, RETIRED_ROW, INVEST_ROW, DEMAND_ROW, OUT_ROW, WEIGHT_SUB_ROW, CAP_NEW_ROW,
 NEED_HELD_ROW, WEIGHT_REST_ROW, GREW_ROW, RATE_ROW, SAVING_ROW, DISC_ROW, GAS_ROW, ELEC_ROW,
 DIRECT_ROW, PROCESS_ROW, CAPTURED_ROW, VALUE_ROW, ELECTRIFIED_ROW, E_ELEC_ROW, E_HEAT_ROW,
 E_H2_ROW, E_C_ROW, SWITCHED_ROW, GRID_ROW, LANE_ROWS) = range(27)


# ================================================================================================
# steps 1–6, per (p, s), every lane
# ================================================================================================
@njit(inline="always", **_JIT)
def _age_routes(cap, p, s, stage_out, phase, retired, surviving, lanes):
    """SPEC step 2 for every route of (p, s) and every lane: age each chain ``cap[p, s, r, :, b]``
    in place, write ``retired`` (ret_r) and ``surviving`` (Cs_r = Σ_k cap[k] after aging), and
    Σ_r Cs_r, Σ_r ret_r into rows SURVIVING_ROW, RETIRED_ROW of ``lanes`` [activity yr-1].
    ``stage_out[s, b]`` f [yr-1], ``phase`` φ [yr-1]. Every outflow is computed from the stage's
    value at the start of the step (each stage is read before it is updated), as in SPEC."""
    B = lanes.shape[1]  # BLOCK (see there)
    R, K = cap.shape[2], cap.shape[3]
    for b in range(B):
        lanes[SURVIVING_ROW, b] = 0.0
        lanes[RETIRED_ROW, b] = 0.0
    for r in range(R):
        for b in range(B):
            frac = stage_out[s, b] + phase
            if frac > 1.0:
                frac = 1.0
            retired[r, b] = frac * cap[p, s, r, K - 1, b]  # ret = min(1, f + φ) · cap[K−1]
        if K == 1:
            for b in range(B):
                cap[p, s, r, 0, b] -= retired[r, b]
        else:
            for b in range(B):
                o = stage_out[s, b] * cap[p, s, r, 0, b]  # out_0
                cap[p, s, r, 0, b] -= o
                lanes[OUT_ROW, b] = o
            for k in range(1, K - 1):
                for b in range(B):
                    o = stage_out[s, b] * cap[p, s, r, k, b]  # out_k
                    cap[p, s, r, k, b] += lanes[OUT_ROW, b] - o  # cap[k] += out_{k−1} − out_k
                    lanes[OUT_ROW, b] = o
            for b in range(B):
                cap[p, s, r, K - 1, b] += lanes[OUT_ROW, b] - retired[r, b]
        for b in range(B):
            surviving[r, b] = 0.0
        for k in range(K):
            for b in range(B):
                surviving[r, b] += cap[p, s, r, k, b]
        for b in range(B):
            lanes[SURVIVING_ROW, b] += surviving[r, b]
            lanes[RETIRED_ROW, b] += retired[r, b]


@njit(inline="always", **_JIT)
def _investment(util, ratio, lanes):
    """SPEC step 3 for every lane: I = max(0, D_t / util − Σ_r Cs_r), and I ≤ ratio · Σ_r ret_r
    when the replacement ratio is finite, into row INVEST_ROW of ``lanes`` [activity yr-1]."""
    B = lanes.shape[1]  # BLOCK (see there)
    capped = np.isfinite(ratio)
    for b in range(B):
        invest_total = lanes[DEMAND_ROW, b] / util - lanes[SURVIVING_ROW, b]
        if invest_total < 0.0:
            invest_total = 0.0
        if capped:
            cap_invest = ratio * lanes[RETIRED_ROW, b]
            if invest_total > cap_invest:
                invest_total = cap_invest
        lanes[INVEST_ROW, b] = invest_total


@njit(inline="always", **_JIT)
def _default_weights(surviving, retired, base_share, p, s, weight, lanes):
    """Default route weights of new capacity (SPEC step 4) for every lane into ``weight`` (R,B),
    summing to 1 over r. Like-for-like: the first Σ ret of new build replaces each route's own
    retirement; any expansion beyond it follows the surviving capacity shares (``base_share`` if
    none survives)."""
    B = lanes.shape[1]  # BLOCK (see there)
    R = surviving.shape[0]
    for r in range(R):
        share = base_share[p, s, r]
        for b in range(B):
            invest_total = lanes[INVEST_ROW, b]
            surviving_total = lanes[SURVIVING_ROW, b]
            retired_total = lanes[RETIRED_ROW, b]
            # κ_r = Cs_r / Σ Cs (base_share when Σ Cs = 0)
            kappa = surviving[r, b] / surviving_total if surviving_total > 0.0 else share
            if invest_total <= 0.0:
                w = kappa
            elif invest_total <= retired_total:
                w = retired[r, b] / retired_total
            else:
                w = (retired[r, b] + (invest_total - retired_total) * kappa) / invest_total
            weight[r, b] = w


@njit(inline="always", **_JIT)  # inlined: a call left out of line brings back the reference
# counting of every array taken out of the named tuples (tests/bench refcount guard)
def _priced_weights(weight, logw, co2, sub, new_int0, floor_int, decay, ef, process_ef, capture,
                    entry, p, s, t, b, price, beta, scale):
    """Route choice under a carbon price (SPEC step 4) for lane ``b``: the calibrated
    substitutable routes' weights relative to route 0, w_r · exp(−k · (e_r − e_0)), and the
    entrants' weights w_0 · exp(−β · Δ_r / scale) · (exp(k · (e_0 − e_r)) − 1),
    k = β · π · 10⁶ / scale, all renormalised to the calibrated weights' former sum; ``weight``
    (R,B) in place, ``logw`` and ``co2`` (R,) scratch. Computed in logs shifted by the largest,
    so no weight underflows to leave all of them 0. e_r [Mt CO2 per activity unit] is the CO2 of
    new capacity: (Σ_fossil bat_c · ef_c + process_ef_r) · (1 − capture_r), bat as in step 5;
    π [CNY t-1], β [1], scale [CNY per activity unit], Δ_r = ``entry[p, s, r]`` [CNY per
    activity unit]."""
    R = weight.shape[0]
    k = beta * price * 1e6 / scale
    for r in range(R):
        if sub[s, r] != 0:
            e = process_ef[p, s, r]
            for c in range(3):  # the fossil carriers (kernels.arrays.FOSSIL)
                floor = floor_int[p, s, r, c]
                e += (floor + (new_int0[p, s, r, c] - floor) * decay[s, t, c, b]) * ef[p, s, c]
            co2[r] = e * (1.0 - capture[p, s, r, t])
    reference = sub[s, 0] != 0 and weight[0, b] > 0.0  # route 0 prices the entrants
    before = 0.0
    top = -np.inf
    for r in range(R):
        logw[r] = -np.inf
        if sub[s, r] == 0:
            continue
        if weight[r, b] > 0.0:
            before += weight[r, b]
            logw[r] = np.log(weight[r, b]) - k * (co2[r] - co2[0] if reference else co2[r])
        elif reference and entry[p, s, r] < np.inf and co2[r] < co2[0]:
            gain = k * (co2[0] - co2[r])
            if gain > 0.0:
                logw[r] = (np.log(weight[0, b]) - beta * entry[p, s, r] / scale
                           + (gain + np.log(-np.expm1(-gain)) if gain > 30.0
                              else np.log(np.expm1(gain))))
        if logw[r] > top:
            top = logw[r]
    if before <= 0.0:
        return
    after = 0.0
    for r in range(R):
        if logw[r] > -np.inf:
            logw[r] = np.exp(logw[r] - top)
            after += logw[r]
        else:
            logw[r] = 0.0
    for r in range(R):
        if sub[s, r] != 0:
            weight[r, b] = before * logw[r] / after


@njit(inline="always", **_JIT)
def _split_investment(surviving, weight, share_floor, sub, p, s, t, invest, floor_need, held,
                      lanes):
    """Route split of new capacity under share floors (SPEC step 4) for every lane; writes
    ``invest`` (R,B) [activity yr-1]. ``floor_need`` and ``held`` (R,B) are scratch (need_r,
    r ∈ A); I (row INVEST_ROW of ``lanes``) is read, other rows are scratch.

    Every lane runs the passes until no lane's A grows: a pass that adds no route to a lane's A
    recomputes the same allocation from the same A, so the extra passes change nothing.
    """
    B = lanes.shape[1]  # BLOCK (see there)
    R = surviving.shape[0]
    for b in range(B):
        lanes[WEIGHT_SUB_ROW, b] = 0.0  # Σ_sub w
    for r in range(R):
        if sub[s, r] != 0:
            for b in range(B):
                lanes[WEIGHT_SUB_ROW, b] += weight[r, b]
    # SPEC: "if Σ_sub w = 0, every route gets I · w_r": the same as treating every route as
    # non-substitutable (the floor passes then find no substitutable route and change nothing)
    for r in range(R):
        substitutable = sub[s, r] != 0
        for b in range(B):
            if not substitutable or not lanes[WEIGHT_SUB_ROW, b] > 0.0:
                invest[r, b] = lanes[INVEST_ROW, b] * weight[r, b]
    for b in range(B):
        invest_sub = lanes[INVEST_ROW, b] * lanes[WEIGHT_SUB_ROW, b]  # I_sub
        lanes[OUT_ROW, b] = invest_sub
        lanes[CAP_NEW_ROW, b] = invest_sub  # C_new = Σ_sub Cs_r + I_sub
    for r in range(R):
        if sub[s, r] != 0:
            for b in range(B):
                if lanes[WEIGHT_SUB_ROW, b] > 0.0:
                    lanes[CAP_NEW_ROW, b] += surviving[r, b]
    for r in range(R):
        substitutable = sub[s, r] != 0
        floor = share_floor[p, s, r, t]
        for b in range(B):
            weight_sub = lanes[WEIGHT_SUB_ROW, b]
            need = 0.0
            hold = False
            if substitutable and weight_sub > 0.0:
                x = floor * lanes[CAP_NEW_ROW, b] - surviving[r, b]  # need_r = max(0, floor_r C_new − Cs_r)
                need = x if x > 0.0 else 0.0
                hold = need > lanes[OUT_ROW, b] * (weight[r, b] / weight_sub)  # need_r > I_sub w̃_r
            floor_need[r, b] = need
            held[r, b] = hold
    grew = True
    passes = 0
    while grew and passes <= R:  # A grows by at least one route per repeated pass
        passes += 1
        for b in range(B):
            lanes[NEED_HELD_ROW, b] = 0.0  # Σ_A need
            lanes[WEIGHT_REST_ROW, b] = 0.0  # Σ_{sub \ A} w̃
        for r in range(R):
            if sub[s, r] != 0:
                for b in range(B):
                    weight_sub = lanes[WEIGHT_SUB_ROW, b]
                    if weight_sub > 0.0:
                        if held[r, b]:
                            lanes[NEED_HELD_ROW, b] += floor_need[r, b]
                        else:
                            lanes[WEIGHT_REST_ROW, b] += weight[r, b] / weight_sub
        for r in range(R):
            if sub[s, r] == 0:
                continue
            for b in range(B):
                weight_sub = lanes[WEIGHT_SUB_ROW, b]
                if not weight_sub > 0.0:
                    continue
                invest_sub = lanes[OUT_ROW, b]
                need_held = lanes[NEED_HELD_ROW, b]
                weight_rest = lanes[WEIGHT_REST_ROW, b]
                rest = invest_sub - need_held  # I_sub − Σ_A need
                if held[r, b]:
                    if rest <= 0.0:
                        x = invest_sub * floor_need[r, b] / need_held
                    else:
                        x = floor_need[r, b]
                        if weight_rest <= 0.0:
                            x += rest * floor_need[r, b] / need_held
                elif rest <= 0.0 or weight_rest <= 0.0:
                    x = 0.0
                else:
                    x = rest * (weight[r, b] / weight_sub) / weight_rest
                invest[r, b] = x
        grew = False
        for r in range(R):
            if sub[s, r] != 0:
                for b in range(B):
                    if (lanes[WEIGHT_SUB_ROW, b] > 0.0 and not held[r, b]
                            and floor_need[r, b] > invest[r, b]):
                        held[r, b] = True
                        grew = True


@njit(inline="always", **_JIT)
def _intensity_coflow(intensity, new_int0, floor_int, p, s, t, decay, surviving, invest, lanes):
    """SPEC step 5 for every route, carrier and lane of (p, s), in place on ``intensity``
    (P,S,R,C,B) [PJ per activity unit]: the capacity-weighted mean of the surviving and the
    new-build intensity, then the retrofit at the rate in row RATE_ROW of ``lanes`` [yr-1]. The
    best-available intensity approaches ``floor_int``: ``decay[s, t, c, b]`` = (1 − a_c)^t of the
    gap. Writes the retrofit's saving Σ_r (Cs_r + I_r) · Σ_c removed intensity [PJ yr-1 at full
    capacity] into row SAVING_ROW."""
    B = lanes.shape[1]  # BLOCK (see there)
    R, C = intensity.shape[2], intensity.shape[3]
    for b in range(B):
        lanes[SAVING_ROW, b] = 0.0
    for r in range(R):
        # int = (Cs_r · int + I_r · bat) / (Cs_r + I_r): one division per route, not per carrier
        # (multiplying by the reciprocal rounds twice: ~1e-16 relative from the quotient)
        for b in range(B):
            d = surviving[r, b] + invest[r, b]
            lanes[CAP_NEW_ROW, b] = d
            lanes[OUT_ROW, b] = 1.0 / d if d > 0.0 else 0.0
        for c in range(C):
            # bat = floor + (new_int0 − floor) · (1 − a_c)^t, a_c = aeei_elec for electricity
            floor = floor_int[p, s, r, c]
            gap0 = new_int0[p, s, r, c] - floor
            for b in range(B):
                best = floor + gap0 * decay[s, t, c, b]
                avg = intensity[p, s, r, c, b]  # int
                d = lanes[CAP_NEW_ROW, b]
                if d > 0.0:
                    avg = (surviving[r, b] * avg + invest[r, b] * best) * lanes[OUT_ROW, b]
                gap = avg - best
                if gap > 0.0:
                    removed = lanes[RATE_ROW, b] * gap  # int −= ρ · max(0, int − bat)
                    avg -= removed
                    lanes[SAVING_ROW, b] += d * removed
                intensity[p, s, r, c, b] = avg


@njit(inline="always", **_JIT)
def _production(cap, p, s, demand, prod, cap_route, lanes):
    """SPEC step 6 for (p, s), every lane: Cap_r = Σ_k cap[k] into ``cap_route`` (R,B);
    Ptot = min(D_t, Σ_r Cap_r); prod_r = Ptot · Cap_r / Σ Cap (0 when Σ Cap = 0) into
    ``prod[p, s, :, :]`` [activity yr-1]."""
    B = lanes.shape[1]  # BLOCK (see there)
    R, K = cap.shape[2], cap.shape[3]
    for b in range(B):
        lanes[CAP_NEW_ROW, b] = 0.0  # Σ_r Cap_r
    for r in range(R):
        for b in range(B):
            cap_route[r, b] = 0.0
        for k in range(K):
            for b in range(B):
                cap_route[r, b] += cap[p, s, r, k, b]
        for b in range(B):
            lanes[CAP_NEW_ROW, b] += cap_route[r, b]
    for r in range(R):
        for b in range(B):
            d = demand[p, s, b]
            cap_total = lanes[CAP_NEW_ROW, b]
            total = d if d < cap_total else cap_total
            prod[p, s, r, b] = total * cap_route[r, b] / cap_total if cap_total > 0.0 else 0.0


# ================================================================================================
# the three parts of a year
# ================================================================================================
@njit(inline="always", **_JIT)  # into _block: see the module docstring
def _capacity_steps(t, base, levers, uncertain, out, state, scratch):
    """SPEC steps 1–6 of year ``t`` for every (p, s) of the block's members (``first`` ..
    ``first + lanes_used − 1`` in lanes 0 ..); at t = 0 the base year (demand = util · Σ cap0, no
    aging or investment). Writes demand, capacity, investment and retirement of year t, and
    ``state.prod`` (step-6 production, before any scrap limit)."""
    B = scratch.lanes.shape[1]  # BLOCK (see there)
    P, S, R, K = base.cap0.shape
    cap, demand, lane = state.cap, state.demand, state.lane
    surviving, retired, invest = scratch.surviving, scratch.retired, scratch.invest
    lanes = scratch.lanes
    for p in range(P):
        for s in range(S):
            if t == 0:
                for b in range(B):
                    total = 0.0
                    for r in range(R):
                        for k in range(K):
                            total += cap[p, s, r, k, b]
                    demand[p, s, b] = base.util[p, s] * total  # D_0 = Σ_r cap0 · util
                    lanes[SAVING_ROW, b] = 0.0
                for r in range(R):
                    for b in range(B):
                        invest[r, b] = 0.0
                        retired[r, b] = 0.0
            else:
                # 1. demand: D_t = max(0, D_{t−1} · (1 + growth))
                for b in range(B):
                    d = demand[p, s, b] * (1.0 + uncertain.growth[lane[b], p, s, t])
                    d = d if d > 0.0 else 0.0
                    demand[p, s, b] = d
                    lanes[DEMAND_ROW, b] = d
                # 2. aging and retirement
                _age_routes(cap, p, s, state.stage_out, levers.phase_out[p, s, t], retired,
                            surviving, lanes)
                # 3. investment
                _investment(base.util[p, s], levers.replacement_ratio[p, s, t], lanes)
                # 4. route split; new capacity enters stage 0
                _default_weights(surviving, retired, base.base_share, p, s, scratch.weight, lanes)
                price = levers.carbon_price[p, s, t]
                if price > 0.0:  # the logit on the carbon cost of new capacity, lane by lane
                    for b in range(B):
                        _priced_weights(scratch.weight, scratch.logw, scratch.route_co2,
                                        base.substitutable, base.new_int0, base.floor_int,
                                        state.decay, base.ef, base.process_ef, levers.capture,
                                        base.entry_premium, p, s, t, b, price,
                                        state.cost_response[b], base.cost_scale[p, s])
                _split_investment(surviving, scratch.weight, levers.share_floor,
                                  base.substitutable, p, s, t, invest, scratch.floor_need,
                                  scratch.held, lanes)
                for r in range(R):
                    for b in range(B):
                        cap[p, s, r, 0, b] += invest[r, b]
                # 5. intensity co-flow and retrofit; its rate rises with the carbon price
                retrofit_rate = levers.retrofit[p, s, t]
                for b in range(B):
                    rate = retrofit_rate + state.retrofit_response[b] * price
                    lanes[RATE_ROW, b] = rate if rate < 1.0 else 1.0
                _intensity_coflow(state.intensity, base.new_int0, base.floor_int, p, s, t,
                                  state.decay, surviving, invest, lanes)
            # 6. production pro rata capacity
            _production(cap, p, s, demand, state.prod, scratch.cap_route, lanes)
            for r in range(R):
                for b in range(B):
                    out.capacity[p, s, r, t, b] = scratch.cap_route[r, b]
                    out.investment[p, s, r, t, b] = invest[r, b]
                    out.retirement[p, s, r, t, b] = retired[r, b]
            for b in range(B):
                out.demand[p, s, t, b] = demand[p, s, b]
                out.retrofit_saving[p, s, t, b] = lanes[SAVING_ROW, b]


@njit(inline="always", **_JIT)  # into _block: see the module docstring
def _scrap_step(t, base, levers, uncertain, out, state, scratch):
    """SPEC step 7 of year ``t`` for every metal n (in order) over all provinces, lane by lane
    (the market couples the provinces of a member; this step is a few per cent of the time):
    scrap supply, the scrap market, the feedstock limit of the metal's route, scrap use, and
    the in-use stock moving on to t+1. Updates ``state.prod`` to final production."""
    P, N, K, B = state.stock.shape
    R = state.prod.shape[2]
    prod, stock, prev_total = state.prod, state.stock, state.prev_total
    supply, charge, spare = scratch.supply, scratch.charge, scratch.spare
    for b in range(BLOCK):
        m = state.lane[b]
        for n in range(N):
            metal_sec = base.metal_sector[n]  # σ
            feed_route = base.metal_route[n]  # ρ
            feed_charge = base.scrap_per_unit[n, feed_route]  # scrap_per_unit[n, ρ] [t/t]
            f_stock = K / uncertain.stock_lifetime[m, n]  # f_s = min(1, K / stock_lifetime)
            if f_stock > 1.0:
                f_stock = 1.0
            if t == 0:  # prev_total of year 0: its step-6 production
                for p in range(P):
                    total = 0.0
                    for r in range(R):
                        total += prod[p, metal_sec, r, b]
                    prev_total[p, n, b] = total
            supply_total = 0.0
            charge_total = 0.0
            for p in range(P):
                obsolete = f_stock * stock[p, n, K - 1, b]  # obsolete_p = f_s · stock[K−1]
                # supply_p = collection · obsolete_p + prompt_scrap · prev_total_p
                supply[p] = (uncertain.collection[m, n, t] * obsolete
                             + base.prompt_scrap[n] * prev_total[p, n, b])
                charge[p] = prod[p, metal_sec, feed_route, b] * feed_charge  # charge_p
                supply_total += supply[p]
                charge_total += charge[p]
            market = levers.scrap_market[t]  # μ
            for p in range(P):
                # avail_p = (1 − μ) · supply_p + μ · Σ_q supply_q · charge_p / Σ_q charge_q
                if charge_total > 0.0:
                    avail = ((1.0 - market) * supply[p]
                             + market * supply_total * charge[p] / charge_total)
                else:
                    avail = supply[p]
                if feed_charge > 0.0 and charge[p] > avail:
                    # the feedstock route is cut to avail_p / scrap_per_unit[n, ρ]; the shortfall
                    # moves to the other substitutable routes pro rata their spare capacity
                    feed = avail / feed_charge
                    shortfall = prod[p, metal_sec, feed_route, b] - feed
                    prod[p, metal_sec, feed_route, b] = feed
                    spare_total = 0.0
                    for r in range(R):
                        spare[r] = 0.0
                        if r != feed_route and base.substitutable[metal_sec, r] != 0:
                            cap_sum = 0.0
                            for k in range(state.cap.shape[3]):
                                cap_sum += state.cap[p, metal_sec, r, k, b]
                            spare_r = cap_sum - prod[p, metal_sec, r, b]  # Cap_r − prod_r
                            spare[r] = spare_r if spare_r > 0.0 else 0.0
                            spare_total += spare[r]
                    if spare_total > 0.0:
                        moved = shortfall if shortfall < spare_total else spare_total
                        for r in range(R):
                            prod[p, metal_sec, r, b] += moved * spare[r] / spare_total
                # scrap_use_p = prod_ρ · spu_ρ + min(Σ_{r≠ρ} prod_r · spu_r, max(0, avail_p − prod_ρ spu_ρ))
                feed_use = prod[p, metal_sec, feed_route, b] * feed_charge
                other = 0.0
                for r in range(R):
                    if r != feed_route:
                        other += prod[p, metal_sec, r, b] * base.scrap_per_unit[n, r]
                left = avail - feed_use
                if left < 0.0:
                    left = 0.0
                stock_total = 0.0
                for k in range(K):
                    stock_total += stock[p, n, k, b]
                out.scrap_use[p, n, t, b] = feed_use + (other if other < left else left)
                out.scrap_supply[p, n, t, b] = supply[p]
                out.inuse_stock[p, n, t, b] = stock_total  # start of year t
                # the stock moves on to t+1: aging with f_s, no phase-out, then the inflow
                ret = f_stock * stock[p, n, K - 1, b]
                if K == 1:
                    stock[p, n, 0, b] -= ret
                else:
                    out_prev = f_stock * stock[p, n, 0, b]
                    stock[p, n, 0, b] -= out_prev
                    for k in range(1, K - 1):
                        out_k = f_stock * stock[p, n, k, b]
                        stock[p, n, k, b] += out_prev - out_k
                        out_prev = out_k
                    stock[p, n, K - 1, b] += out_prev - ret
                total = 0.0
                for r in range(R):
                    total += prod[p, metal_sec, r, b]
                stock[p, n, 0, b] += base.inflow_ratio[n] * total  # stock[0] += inflow_ratio Σ_r prod
                prev_total[p, n, b] = total


@njit(inline="always", **_JIT)  # into _block: see the module docstring
def _energy_steps(t, base, levers, uncertain, out, state, scratch):
    """SPEC steps 8–10 of year ``t`` for every (p, s) and lane, on final production: final
    energy after the fuel switches, direct, process, indirect and captured CO2, and value
    added; also writes production."""
    B = scratch.lanes.shape[1]  # BLOCK (see there)
    P, S, R, C = base.int0.shape
    prod, intensity, ef, lane = state.prod, state.intensity, base.ef, state.lane
    fossil, h2_made, elec_used = scratch.fossil, scratch.h2_made, scratch.elec_used
    lanes = scratch.lanes
    disc, gas_share, elec_share = lanes[DISC_ROW], lanes[GAS_ROW], lanes[ELEC_ROW]
    direct, process, captured = lanes[DIRECT_ROW], lanes[PROCESS_ROW], lanes[CAPTURED_ROW]
    value_added, electrified = lanes[VALUE_ROW], lanes[ELECTRIFIED_ROW]
    e_elec, e_heat, e_h2 = lanes[E_ELEC_ROW], lanes[E_HEAT_ROW], lanes[E_H2_ROW]
    e_c, e_switched, grid = lanes[E_C_ROW], lanes[SWITCHED_ROW], lanes[GRID_ROW]
    for p in range(P):
        for b in range(B):
            grid[b] = uncertain.grid_ef[lane[b], p, t]
        for s in range(S):
            adopted = levers.switch_price[p, s, t]  # the carbon price as fuel switching adopted it
            coal_to_gas = levers.coal_to_gas[p, s, t]
            h2_share = levers.hydrogen[p, s, t]  # h
            electrification = levers.electrification[p, s, t]
            for b in range(B):
                # model discrepancy of the sector's energy
                disc[b] = uncertain.discrepancy[lane[b], p, s, t]
            for b in range(B):
                g = coal_to_gas + state.gas_response[b] * adopted  # γ
                gas_share[b] = g if g < 1.0 else 1.0
                e = electrification + state.elec_response[b] * adopted  # ε
                elec_share[b] = e if e < 1.0 else 1.0
                direct[b] = 0.0
                process[b] = 0.0
                captured[b] = 0.0
                value_added[b] = 0.0
                electrified[b] = 0.0
            ef_coal, ef_oil, ef_gas = ef[p, s, COAL], ef[p, s, OIL], ef[p, s, GAS]
            va = base.va_per_unit[p, s]
            for r in range(R):
                process_ef = base.process_ef[p, s, r]
                capture = levers.capture[p, s, r, t]
                for b in range(B):
                    prod_r = prod[p, s, r, b]
                    energy_r = prod_r * disc[b]  # the activity energy scales with (not process CO2)
                    # 8. E_c = prod_r · int_c · discrepancy on the fossil carriers: coal to gas
                    # (x = γ · E_coal), then the hydrogen (y_c = h · E_c) and the
                    # electrification (z_c = ε · E_c) shares of the fossil energy that remains
                    coal = energy_r * intensity[p, s, r, COAL, b]
                    oil = energy_r * intensity[p, s, r, OIL, b]
                    gas = energy_r * intensity[p, s, r, GAS, b]
                    x = gas_share[b] * coal
                    coal -= x
                    gas += x
                    y_coal = h2_share * coal
                    y_oil = h2_share * oil
                    y_gas = h2_share * gas
                    coal, oil, gas = coal - y_coal, oil - y_oil, gas - y_gas
                    y = y_coal + y_oil + y_gas
                    share = elec_share[b]
                    z_coal = share * coal
                    z_oil = share * oil
                    z_gas = share * gas
                    coal, oil, gas = coal - z_coal, oil - z_oil, gas - z_gas
                    z = z_coal + z_oil + z_gas
                    fossil[r, COAL, b] = coal
                    fossil[r, OIL, b] = oil
                    fossil[r, GAS, b] = gas
                    h2_made[r, b] = y  # E_h2 += Σ y_c
                    used = state.elec_ratio[b] * z  # E_elec += elec_ratio · Σ z_c
                    elec_used[r, b] = used
                    electrified[b] += used
                    # 9. direct_r = Σ_{c fossil} E_rc · ef_c; process_r = prod_r · process_ef_r;
                    # captured_r = capture_r · (direct_r + process_r)
                    direct_r = coal * ef_coal + oil * ef_oil + gas * ef_gas
                    process_r = prod_r * process_ef
                    direct[b] += direct_r
                    process[b] += process_r
                    captured[b] += capture * (direct_r + process_r)
                    value_added[b] += prod_r * va  # 10. Σ_r prod_r · va_per_unit
            # 8. final_energy = Σ_r E: carriers outer, routes inner; the fossil energy and what
            # the switches made of it carry the discrepancy already; the rest is
            # Σ_r prod_r · int_c, scaled once per carrier
            for c in range(C):
                for b in range(B):
                    e_c[b] = 0.0
                    e_switched[b] = 0.0
                for r in range(R):
                    if c <= GAS:
                        for b in range(B):
                            e_switched[b] += fossil[r, c, b]
                    else:
                        for b in range(B):
                            e_c[b] += prod[p, s, r, b] * intensity[p, s, r, c, b]
                        if c == ELECTRICITY:
                            for b in range(B):
                                e_switched[b] += elec_used[r, b]
                        elif c == HYDROGEN:
                            for b in range(B):
                                e_switched[b] += h2_made[r, b]
                for b in range(B):
                    e_c[b] = e_c[b] * disc[b] + e_switched[b]
                for b in range(B):
                    out.final_energy[p, s, c, t, b] = e_c[b]
                if c == ELECTRICITY:
                    for b in range(B):
                        e_elec[b] = e_c[b]
                elif c == HEAT:
                    for b in range(B):
                        e_heat[b] = e_c[b]
                elif c == HYDROGEN:
                    for b in range(B):
                        e_h2[b] = e_c[b]
            clean = 1.0 - levers.green_power[p, s, t]
            for r in range(R):
                for b in range(B):
                    out.production[p, s, r, t, b] = prod[p, s, r, b]
            for b in range(B):
                out.electrified[p, s, t, b] = electrified[b]
                out.co2_direct[p, s, t, b] = direct[b]
                out.co2_process[p, s, t, b] = process[b]
                out.co2_captured[p, s, t, b] = captured[b]
                # 9. indirect = (E_elec + h2_power · E_h2) · grid_ef · (1 − green_power)
                # + E_heat · heat_ef
                out.co2_indirect[p, s, t, b] = (
                    (e_elec[b] + base.h2_power * e_h2[b]) * grid[b] * clean
                    + e_heat[b] * base.heat_ef)
                out.value_added[p, s, t, b] = value_added[b]


# ================================================================================================
# a block of members, all members
# ================================================================================================
@njit(**_JIT)
def _block_arrays(base, uncertain):
    """Fresh :class:`BlockState` arrays for the sizes of ``base`` and ``uncertain``."""
    P, S, R, K = base.cap0.shape
    C = base.int0.shape[3]
    N = base.stock0.shape[1]
    T = uncertain.growth.shape[3]
    B = BLOCK
    return BlockState(
        lane=np.zeros(B, dtype=np.int64), cap=np.empty((P, S, R, K, B)),
        intensity=np.empty((P, S, R, C, B)), stock=np.empty((P, N, K, B)),
        demand=np.empty((P, S, B)), prod=np.zeros((P, S, R, B)), prev_total=np.zeros((P, N, B)),
        stage_out=np.empty((S, B)), decay=np.empty((S, T, C, B)), elec_ratio=np.empty(B),
        cost_response=np.empty(B), retrofit_response=np.empty(B), gas_response=np.empty(B),
        elec_response=np.empty(B),
    )


@njit(**_JIT)
def _scratch(P, R):
    """Fresh :class:`Scratch` arrays for ``P`` provinces and ``R`` routes."""
    B = BLOCK
    return Scratch(
        surviving=np.empty((R, B)), retired=np.empty((R, B)), invest=np.empty((R, B)),
        weight=np.empty((R, B)), floor_need=np.empty((R, B)),
        held=np.zeros((R, B), dtype=np.bool_), cap_route=np.empty((R, B)),
        fossil=np.empty((R, 3, B)), h2_made=np.empty((R, B)), elec_used=np.empty((R, B)),
        lanes=np.zeros((LANE_ROWS, B)), logw=np.empty(R), route_co2=np.empty(R),
        spare=np.empty(R), supply=np.empty(P), charge=np.empty(P),
    )


@njit(inline="always", **_JIT)  # into _block
def _start_block(first, stop, base, uncertain, state):
    """The block of members ``first`` .. ``min(first + BLOCK, stop) − 1`` at the start of the
    base year: the base state in every lane and each lane's per-member constants (lanes past
    ``stop − 1`` repeat the last member, computed but not written out)."""
    B = state.lane.shape[0]  # BLOCK (see there)
    P, S, R, K = base.cap0.shape
    C = base.int0.shape[3]
    N = base.stock0.shape[1]
    T = uncertain.growth.shape[3]
    for b in range(B):
        m = first + b if first + b < stop else stop - 1
        state.lane[b] = m
        state.elec_ratio[b] = uncertain.elec_ratio[m]
        state.cost_response[b] = uncertain.cost_response[m]
        state.retrofit_response[b] = uncertain.retrofit_response[m]
        state.gas_response[b] = uncertain.gas_response[m]
        state.elec_response[b] = uncertain.elec_response[m]
        for s in range(S):
            f = K / uncertain.lifetime[m, s]  # f = min(1, K / lifetime)
            state.stage_out[s, b] = f if f < 1.0 else 1.0
            for t in range(T):
                fuel = (1.0 - uncertain.aeei[m, s]) ** t
                elec = (1.0 - uncertain.aeei_elec[m, s]) ** t
                for c in range(C):
                    state.decay[s, t, c, b] = elec if c == ELECTRICITY else fuel
    for p in range(P):
        for s in range(S):
            for r in range(R):
                for k in range(K):
                    for b in range(B):
                        state.cap[p, s, r, k, b] = base.cap0[p, s, r, k]
                for c in range(C):
                    for b in range(B):
                        state.intensity[p, s, r, c, b] = base.int0[p, s, r, c]
        for n in range(N):
            for k in range(K):
                for b in range(B):
                    state.stock[p, n, k, b] = base.stock0[p, n, k]


@njit(**_JIT)
def _block_outputs(base, uncertain):
    """Fresh outputs of a block in SPEC's layout but for the member, which is the last axis, the
    lane (:func:`_put` writes them into SPEC's outputs): the steps write a year's values of a
    block's lanes contiguously."""
    P, S, R, K = base.cap0.shape
    C = base.int0.shape[3]
    N = base.stock0.shape[1]
    T = uncertain.growth.shape[3]
    B = BLOCK
    return OutputArrays(
        demand=np.empty((P, S, T, B)), production=np.empty((P, S, R, T, B)),
        capacity=np.empty((P, S, R, T, B)), investment=np.empty((P, S, R, T, B)),
        retirement=np.empty((P, S, R, T, B)), final_energy=np.empty((P, S, C, T, B)),
        value_added=np.empty((P, S, T, B)), co2_direct=np.empty((P, S, T, B)),
        co2_process=np.empty((P, S, T, B)), co2_indirect=np.empty((P, S, T, B)),
        co2_captured=np.empty((P, S, T, B)), scrap_supply=np.empty((P, N, T, B)),
        scrap_use=np.empty((P, N, T, B)), inuse_stock=np.empty((P, N, T, B)),
        retrofit_saving=np.empty((P, S, T, B)), electrified=np.empty((P, S, T, B)),
    )


@njit(**_JIT)
def _put(block, out, first, used):
    """Lanes 0 .. ``used − 1`` of one output of a block (..., T, B) into rows ``first`` ..
    ``first + used − 1`` of SPEC's output (M, ..., T): the same order but for the lane, so each
    (..., T, B) tile of a block is one small transposition, read from the cache."""
    T, B = block.shape[-2], block.shape[-1]
    inner = block.size // (T * B)
    src = block.reshape((inner, T, B))
    dest = out.reshape((out.shape[0], inner, T))
    for x in range(inner):
        for b in range(used):
            for t in range(T):
                dest[first + b, x, t] = src[x, t, b]


@njit(**_JIT)
def _block(first, stop, base, levers, uncertain, out, state, scratch, block_out):
    """Members ``first`` .. ``min(first + BLOCK, stop) − 1`` side by side: every year, province
    and sector (SPEC steps 1–10) into their rows of ``out``. For each t: steps 1–6 for all
    (p, s), step 7 for all metals, steps 8–10 for all (p, s); every member in SPEC's order."""
    _start_block(first, stop, base, uncertain, state)
    for t in range(uncertain.growth.shape[3]):
        _capacity_steps(t, base, levers, uncertain, block_out, state, scratch)
        _scrap_step(t, base, levers, uncertain, block_out, state, scratch)
        _energy_steps(t, base, levers, uncertain, block_out, state, scratch)
    used = min(BLOCK, stop - first)
    _put(block_out.demand, out.demand, first, used)
    _put(block_out.production, out.production, first, used)
    _put(block_out.capacity, out.capacity, first, used)
    _put(block_out.investment, out.investment, first, used)
    _put(block_out.retirement, out.retirement, first, used)
    _put(block_out.final_energy, out.final_energy, first, used)
    _put(block_out.value_added, out.value_added, first, used)
    _put(block_out.co2_direct, out.co2_direct, first, used)
    _put(block_out.co2_process, out.co2_process, first, used)
    _put(block_out.co2_indirect, out.co2_indirect, first, used)
    _put(block_out.co2_captured, out.co2_captured, first, used)
    _put(block_out.scrap_supply, out.scrap_supply, first, used)
    _put(block_out.scrap_use, out.scrap_use, first, used)
    _put(block_out.inuse_stock, out.inuse_stock, first, used)
    _put(block_out.retrofit_saving, out.retrofit_saving, first, used)
    _put(block_out.electrified, out.electrified, first, used)


@njit(nogil=True, **_JIT)
def _simulate_members(first, stop, base, levers, uncertain, out):
    """Members ``first`` .. ``stop − 1``, a block of :data:`BLOCK` at a time, into their rows of
    ``out``. Releases the GIL, so a caller may run disjoint ranges in threads
    (:func:`simulate_into`)."""
    P, S, R, K = base.cap0.shape
    state = _block_arrays(base, uncertain)
    scratch = _scratch(P, R)
    block_out = _block_outputs(base, uncertain)
    for start in range(first, stop, BLOCK):
        _block(start, stop, base, levers, uncertain, out, state, scratch, block_out)


def in_sequence(run, members: int) -> None:
    """Run members 0 .. ``members − 1`` as one range in the calling thread: the default
    ``spread`` of :func:`simulate_into`. ``run(first, stop)`` runs one range of members."""
    run(0, members)


def simulate_into(inp: KernelInputs, out: KernelOutputs, spread=in_sequence) -> KernelOutputs:
    """Run every member of ``inp`` into the pre-allocated ``out`` (see SPEC.md); returns ``out``.

    ``spread(run, members)`` decides how the members are run: it must call ``run(first, stop)``
    on disjoint ranges covering 0 .. members − 1, in any order and from any threads (each call
    releases the GIL; the members are independent). The default runs them all in the calling
    thread; ``sim.model.kernel`` passes one that runs ranges in threads.

    Raises ValueError if an input breaks SPEC (:func:`kernels.arrays.check_inputs`) or an output
    is not a C-contiguous, writeable float64 array of SPEC's shape."""
    inputs, sizes = check_inputs(inp)
    _run(inputs, check_outputs(out, sizes), sizes["M"], spread)
    return out


def simulate(inp: KernelInputs, spread=in_sequence) -> KernelOutputs:
    """Run every member of ``inp`` and return freshly allocated :class:`KernelOutputs`
    (``spread`` as in :func:`simulate_into`)."""
    inputs, sizes = check_inputs(inp)
    out = KernelOutputs.allocate(*(sizes[x] for x in "MPSRCNT"))
    _run(inputs, check_outputs(out, sizes), sizes["M"], spread)
    return out


def _run(inputs, arrays, members: int, spread) -> None:
    """The checked ``inputs`` (base, levers, uncertain) into the checked output ``arrays``."""
    base, levers, uncertain = inputs
    spread(lambda first, stop: _simulate_members(first, stop, base, levers, uncertain, arrays),
           members)
