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
  threads by the caller and the three parts of a year inlined into the member's year loop (one
  optimisation of their code fewer), 15 s; the throughput is unchanged or a few per cent
  better. Numba's inlining copies the callee's IR block by block (a cost that grows with the
  size of the callee), and LLVM's optimisation level hardly matters (``NUMBA_OPT=0``: 11 s), so
  the rest is Numba's own typing and lowering.
- A member's outputs go year first into a buffer of its own, copied into SPEC's layout (year
  last) when the member is done (:func:`_simulate_members`, :func:`_put`): written straight from the
  year loop, the 28 values of a province-sector-year each touched a cache line of its own
  across the member's 1 MB of outputs (issue #25; docs/performance.md has the figures).
- The year loop stays outermost for all sectors: running the sectors that feed no metal
  year-innermost (so output rows are written contiguously) was measured slower, 0.84 s vs 0.67 s
  for 1000 members, because each (p, s) year depends on the previous one while consecutive
  (p, s) pairs of one year are independent and overlap in the core.
"""

from __future__ import annotations

import math
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


class MemberState(NamedTuple):
    """What a member carries from year to year, plus its per-member constants."""

    cap: np.ndarray  # (P,S,R,K) capacity by age stage [activity yr-1]
    cap_chains: np.ndarray  # (P·S·R, K) the same memory, row (p·S + s)·R + r, for _age_chain
    intensity: np.ndarray  # (P,S,R,C) capacity-weighted average intensity [PJ per activity unit]
    stock: np.ndarray  # (P,N,K) in-use metal stock by age stage [Mt]
    stock_chains: np.ndarray  # (P·N, K) the same memory, row p·N + n
    demand: np.ndarray  # (P,S) demand of the current year D_t [activity yr-1]
    prod: np.ndarray  # (P,S,R) production of the current year [activity yr-1]
    prev_total: np.ndarray  # (P,N) final production Σ_r prod of the metal's sector, year t−1
    stage_out: np.ndarray  # (S,) step 2's f = min(1, K / lifetime[m,s]) [yr-1]
    decay: np.ndarray  # (S,T,C) (1 − a_c)^t, a_c = aeei_elec[m,s] for electricity, else
    # aeei[m,s]: the gap between best-available and floor intensity over the base year's


class Scratch(NamedTuple):
    """Member-local work arrays of one (p, s) or one metal, overwritten before every use."""

    surviving: np.ndarray  # (R,) step 2: Cs_r, capacity after aging [activity yr-1]
    retired: np.ndarray  # (R,) step 2: ret_r
    invest: np.ndarray  # (R,) step 4: I_r
    weight: np.ndarray  # (R,) step 4: default weights w_r
    logw: np.ndarray  # (R,) step 4: the weights of the route choice under a carbon price
    route_co2: np.ndarray  # (R,) step 4: CO2 per unit of each route's new capacity
    floor_need: np.ndarray  # (R,) step 4: need_r
    held: np.ndarray  # (R,) bool, step 4: r ∈ A (held at its floor)
    floor: np.ndarray  # (R,) share_floor[p,s,:,t]
    sub: np.ndarray  # (R,) int, substitutable[s,:]
    share: np.ndarray  # (R,) base_share[p,s,:]
    cap_route: np.ndarray  # (R,) step 6: Cap_r, capacity after investment
    spare: np.ndarray  # (R,) step 7: spare capacity max(0, Cap_r − prod_r)
    fossil: np.ndarray  # (R,3) step 8: fossil energy by route after the fuel switches [PJ]
    h2_made: np.ndarray  # (R,) step 8: Σ_c y_c, hydrogen replacing fossil energy [PJ]
    elec_used: np.ndarray  # (R,) step 8: elec_ratio · Σ_c z_c [PJ]
    supply: np.ndarray  # (P,) step 7: supply_p [Mt]
    charge: np.ndarray  # (P,) step 7: charge_p, scrap the feedstock route needs [Mt]


# ================================================================================================
# steps 1–6, per (p, s)
# ================================================================================================
@njit(**_JIT)
def _age_chain(chains, i, f, phi):
    """Advance the aging chain ``chains[i, :]`` by a year in place; return what leaves the last
    stage (SPEC step 2).

    chains : (rows, K) amounts by stage [any unit]; i : row; f : stage outflow fraction
    K/lifetime, ≤ 1 [yr-1]; phi : extra fraction of the last stage removed (phase-out) [yr-1].

    Takes the 2-D array and a row index rather than a row view: a view made inside the hot loop
    costs two atomic reference-count updates, which were half of the kernel's run time. Every
    outflow is computed from the stage's value at the start of the step (each stage is read
    before it is updated), exactly as in SPEC step 2.
    """
    K = chains.shape[1]
    frac = f + phi
    if frac > 1.0:
        frac = 1.0
    ret = frac * chains[i, K - 1]  # ret = min(1, f + φ) · cap[K−1]
    if K == 1:
        chains[i, 0] -= ret
        return ret
    out_prev = f * chains[i, 0]  # out_0
    chains[i, 0] -= out_prev
    for k in range(1, K - 1):
        out_k = f * chains[i, k]
        chains[i, k] += out_prev - out_k  # cap[k] += out_{k−1} − out_k
        out_prev = out_k
    chains[i, K - 1] += out_prev - ret
    return ret


@njit(inline="always", **_JIT)
def _age_routes(cap, cap_chains, p, s, stage_out, phase, retired, surviving):
    """SPEC step 2 for every route of (p, s): age each chain of ``cap`` (through its rows of
    ``cap_chains``), write ``retired`` (ret_r) and ``surviving`` (Cs_r = Σ_k cap[k] after aging);
    return (Σ_r Cs_r, Σ_r ret_r) [activity yr-1]. ``stage_out`` f [yr-1], ``phase`` φ [yr-1]."""
    S, R, K = cap.shape[1], cap.shape[2], cap.shape[3]
    row0 = (p * S + s) * R
    surviving_total = 0.0
    retired_total = 0.0
    for r in range(R):
        retired[r] = _age_chain(cap_chains, row0 + r, stage_out, phase)
        cap_sum = 0.0
        for k in range(K):
            cap_sum += cap[p, s, r, k]
        surviving[r] = cap_sum
        surviving_total += cap_sum
        retired_total += retired[r]
    return surviving_total, retired_total


@njit(inline="always", **_JIT)
def _investment(demand, util, surviving_total, ratio, retired_total):
    """SPEC step 3: I = max(0, D_t / util − Σ_r Cs_r), and I ≤ ratio · Σ_r ret_r when the
    replacement ratio is finite [activity yr-1]."""
    invest_total = demand / util - surviving_total
    if invest_total < 0.0:
        invest_total = 0.0
    if np.isfinite(ratio):
        cap_invest = ratio * retired_total
        if invest_total > cap_invest:
            invest_total = cap_invest
    return invest_total


@njit(inline="always", **_JIT)
def _default_weights(invest_total, surviving, retired, base_share, weight):
    """Default route weights of new capacity (SPEC step 4); writes ``weight`` (R,), summing to 1.

    Like-for-like: the first Σ ret of new build replaces each route's own retirement; any
    expansion beyond it follows the surviving capacity shares (``base_share`` if none survives).
    """
    R = surviving.shape[0]
    surviving_total = 0.0
    retired_total = 0.0
    for r in range(R):
        surviving_total += surviving[r]
        retired_total += retired[r]
    for r in range(R):
        # κ_r = Cs_r / Σ Cs (base_share when Σ Cs = 0)
        kappa = surviving[r] / surviving_total if surviving_total > 0.0 else base_share[r]
        if invest_total <= 0.0:
            weight[r] = kappa
        elif invest_total <= retired_total:
            weight[r] = retired[r] / retired_total
        else:
            weight[r] = (retired[r] + (invest_total - retired_total) * kappa) / invest_total


@njit(inline="always", **_JIT)  # inlined: a call left out of line brings back the reference
# counting of every array taken out of the named tuples (tests/bench refcount guard)
def _priced_weights(weight, logw, co2, sub, new_int0, floor_int, decay, ef, process_ef, capture,
                    entry, p, s, t, price, beta, scale):
    """Route choice under a carbon price (SPEC step 4): the calibrated substitutable routes'
    weights relative to route 0, w_r · exp(−k · (e_r − e_0)), and the entrants' weights
    w_0 · exp(−β · Δ_r / scale) · (exp(k · (e_0 − e_r)) − 1), k = β · π · 10⁶ / scale, all
    renormalised to the calibrated weights' former sum; ``weight`` (R,) in place, ``logw`` and
    ``co2`` (R,) scratch. Computed in logs shifted by the largest, so no weight underflows to
    leave all of them 0. e_r [Mt CO2 per activity unit] is the CO2 of new capacity:
    (Σ_fossil bat_c · ef_c + process_ef_r) · (1 − capture_r), bat as in step 5; π [CNY t-1],
    β [1], scale [CNY per activity unit], Δ_r = ``entry[p, s, r]`` [CNY per activity unit]."""
    R = weight.shape[0]
    k = beta * price * 1e6 / scale
    for r in range(R):
        if sub[r] != 0:
            e = process_ef[p, s, r]
            for c in range(3):  # the fossil carriers (kernels.arrays.FOSSIL)
                floor = floor_int[p, s, r, c]
                e += (floor + (new_int0[p, s, r, c] - floor) * decay[s, t, c]) * ef[p, s, c]
            co2[r] = e * (1.0 - capture[p, s, r, t])
    reference = sub[0] != 0 and weight[0] > 0.0  # route 0 prices the entrants
    before = 0.0
    top = -np.inf
    for r in range(R):
        logw[r] = -np.inf
        if sub[r] == 0:
            continue
        if weight[r] > 0.0:
            before += weight[r]
            logw[r] = np.log(weight[r]) - k * (co2[r] - co2[0] if reference else co2[r])
        elif reference and entry[p, s, r] < np.inf and co2[r] < co2[0]:
            gain = k * (co2[0] - co2[r])
            if gain > 0.0:
                logw[r] = (np.log(weight[0]) - beta * entry[p, s, r] / scale
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
        if sub[r] != 0:
            weight[r] = before * logw[r] / after


@njit(inline="always", **_JIT)
def _split_investment(invest_total, surviving, weight, floor, sub, invest, floor_need, held):
    """Route split of new capacity under share floors (SPEC step 4); writes ``invest`` (R,)
    [activity yr-1]. ``floor_need`` (R,) and ``held`` (R,) are scratch arrays (need_r, r ∈ A).

    Written as one straight path with a single exit (no early ``return``, no branch around the
    floor passes): together with the NumPy error model this is what lets LLVM's reference-count
    pruning remove the atomic increments and decrements of the seven array arguments (14 atomic
    operations per call otherwise, measured as a quarter of the kernel's run time).
    """
    R = surviving.shape[0]
    weight_sub = 0.0  # Σ_sub w
    for r in range(R):
        if sub[r] != 0:
            weight_sub += weight[r]
    # SPEC: "if Σ_sub w = 0, every route gets I · w_r" — the same as treating every route as
    # non-substitutable, which is what ``floors_apply`` does below (the floor passes then find
    # no substitutable route and change nothing).
    floors_apply = weight_sub > 0.0
    for r in range(R):
        if sub[r] == 0 or not floors_apply:
            invest[r] = invest_total * weight[r]
    invest_sub = invest_total * weight_sub  # I_sub
    cap_new = invest_sub  # C_new = Σ_sub Cs_r + I_sub
    for r in range(R):
        if floors_apply and sub[r] != 0:
            cap_new += surviving[r]
    for r in range(R):
        held[r] = False
        floor_need[r] = 0.0
        if floors_apply and sub[r] != 0:
            x = floor[r] * cap_new - surviving[r]  # need_r = max(0, floor_r · C_new − Cs_r)
            floor_need[r] = x if x > 0.0 else 0.0
            held[r] = floor_need[r] > invest_sub * (weight[r] / weight_sub)  # need_r > I_sub w̃_r
    grew = True
    passes = 0
    while grew and passes <= R:  # A grows by at least one route per repeated pass
        passes += 1
        need_held = 0.0  # Σ_A need
        weight_rest = 0.0  # Σ_{sub \ A} w̃
        for r in range(R):
            if floors_apply and sub[r] != 0:
                if held[r]:
                    need_held += floor_need[r]
                else:
                    weight_rest += weight[r] / weight_sub
        rest = invest_sub - need_held  # I_sub − Σ_A need
        for r in range(R):
            if sub[r] == 0 or not floors_apply:
                continue
            if held[r]:
                if rest <= 0.0:
                    invest[r] = invest_sub * floor_need[r] / need_held
                else:
                    invest[r] = floor_need[r]
                    if weight_rest <= 0.0:
                        invest[r] += rest * floor_need[r] / need_held
            elif rest <= 0.0 or weight_rest <= 0.0:
                invest[r] = 0.0
            else:
                invest[r] = rest * (weight[r] / weight_sub) / weight_rest
        grew = False
        for r in range(R):
            if floors_apply and sub[r] != 0 and not held[r] and floor_need[r] > invest[r]:
                held[r] = True
                grew = True


@njit(inline="always", **_JIT)
def _intensity_coflow(intensity, new_int0, floor_int, p, s, t, decay, surviving, invest,
                      retrofit_rate):
    """SPEC step 5 for every route and carrier of (p, s), in place on ``intensity`` (P,S,R,C)
    [PJ per activity unit]: the capacity-weighted mean of the surviving and the new-build
    intensity, then the retrofit. The best-available intensity approaches ``floor_int``:
    ``decay[s, t, c]`` = (1 − a_c)^t of the gap (a_c = aeei_elec for electricity, aeei for the
    other carriers; one table per member, so the carrier loop has no branch on c);
    ``retrofit_rate`` [yr-1]. Returns the retrofit's saving Σ_r (Cs_r + I_r) · Σ_c removed
    intensity [PJ yr-1 at full capacity]."""
    R, C = intensity.shape[2], intensity.shape[3]
    saving = 0.0
    for r in range(R):
        # int = (Cs_r · int + I_r · bat) / (Cs_r + I_r): one division per route, not per carrier
        # (multiplying by the reciprocal rounds twice: ~1e-16 relative from the quotient;
        # measured 5-9 % of the kernel time)
        denom = surviving[r] + invest[r]
        inv_denom = 1.0 / denom if denom > 0.0 else 0.0
        for c in range(C):
            # bat = floor + (new_int0 − floor) · (1 − a_c)^t, a_c = aeei_elec for electricity
            floor = floor_int[p, s, r, c]
            best = floor + (new_int0[p, s, r, c] - floor) * decay[s, t, c]
            avg = intensity[p, s, r, c]  # int
            if denom > 0.0:
                avg = (surviving[r] * avg + invest[r] * best) * inv_denom
            gap = avg - best
            if gap > 0.0:
                removed = retrofit_rate * gap  # int −= ρ · max(0, int − bat)
                avg -= removed
                saving += denom * removed
            intensity[p, s, r, c] = avg
    return saving


@njit(inline="always", **_JIT)
def _production(cap, p, s, demand, prod, cap_route):
    """SPEC step 6 for (p, s): Cap_r = Σ_k cap[k] into ``cap_route``; Ptot = min(D_t, Σ_r Cap_r);
    prod_r = Ptot · Cap_r / Σ Cap (0 when Σ Cap = 0) into ``prod[p, s, :]`` [activity yr-1]."""
    R, K = cap.shape[2], cap.shape[3]
    cap_total = 0.0
    for r in range(R):
        cap_sum = 0.0
        for k in range(K):
            cap_sum += cap[p, s, r, k]
        cap_route[r] = cap_sum
        cap_total += cap_sum
    total = demand if demand < cap_total else cap_total
    for r in range(R):
        prod[p, s, r] = total * cap_route[r] / cap_total if cap_total > 0.0 else 0.0


# ================================================================================================
# the three parts of a year
# ================================================================================================
@njit(inline="always", **_JIT)  # into _simulate_members: module docstring
def _capacity_steps(m, t, base, levers, uncertain, buffer, at, state, scratch):
    """SPEC steps 1–6 of year ``t`` for every (p, s) of member ``m``; at t = 0 the base year
    (demand = util · Σ cap0, no aging or investment). Writes demand, capacity, investment and
    retirement of year t (row t of the member's ``buffer``, from the columns ``at``: see
    :func:`_simulate_members`), and ``state.prod`` (step-6 production, before any scrap limit)."""
    P, S, R, K = base.cap0.shape
    cap, demand = state.cap, state.demand
    surviving, retired, invest = scratch.surviving, scratch.retired, scratch.invest
    for p in range(P):
        for s in range(S):
            ps = p * S + s  # the row of (p, s) in the member's outputs
            if t == 0:
                total = 0.0
                for r in range(R):
                    for k in range(K):
                        total += cap[p, s, r, k]
                demand[p, s] = base.util[p, s] * total  # D_0 = Σ_r cap0 · util
                for r in range(R):
                    invest[r] = 0.0
                    retired[r] = 0.0
                buffer[t, at.retrofit_saving + ps] = 0.0
            else:
                # 1. demand: D_t = max(0, D_{t−1} · (1 + growth))
                d = demand[p, s] * (1.0 + uncertain.growth[m, p, s, t])
                demand[p, s] = d if d > 0.0 else 0.0
                # 2. aging and retirement
                surviving_total, retired_total = _age_routes(
                    cap, state.cap_chains, p, s, state.stage_out[s], levers.phase_out[p, s, t],
                    retired, surviving)
                # 3. investment
                invest_total = _investment(demand[p, s], base.util[p, s], surviving_total,
                                           levers.replacement_ratio[p, s, t], retired_total)
                # 4. route split; new capacity enters stage 0
                for r in range(R):
                    scratch.share[r] = base.base_share[p, s, r]
                    scratch.floor[r] = levers.share_floor[p, s, r, t]
                    scratch.sub[r] = base.substitutable[s, r]
                _default_weights(invest_total, surviving, retired, scratch.share, scratch.weight)
                price = levers.carbon_price[p, s, t]
                if price > 0.0:  # the logit on the carbon cost of new capacity
                    _priced_weights(scratch.weight, scratch.logw, scratch.route_co2, scratch.sub,
                                    base.new_int0, base.floor_int, state.decay, base.ef,
                                    base.process_ef, levers.capture, base.entry_premium, p, s, t,
                                    price, uncertain.cost_response[m], base.cost_scale[p, s])
                _split_investment(invest_total, surviving, scratch.weight, scratch.floor,
                                  scratch.sub, invest, scratch.floor_need, scratch.held)
                for r in range(R):
                    cap[p, s, r, 0] += invest[r]
                # 5. intensity co-flow and retrofit; its rate rises with the carbon price
                rate = levers.retrofit[p, s, t] + uncertain.retrofit_response[m] * price
                buffer[t, at.retrofit_saving + ps] = _intensity_coflow(
                    state.intensity, base.new_int0, base.floor_int, p, s, t, state.decay,
                    surviving, invest, rate if rate < 1.0 else 1.0)
            # 6. production pro rata capacity
            _production(cap, p, s, demand[p, s], state.prod, scratch.cap_route)
            for r in range(R):
                buffer[t, at.capacity + ps * R + r] = scratch.cap_route[r]
                buffer[t, at.investment + ps * R + r] = invest[r]
                buffer[t, at.retirement + ps * R + r] = retired[r]
            buffer[t, at.demand + ps] = demand[p, s]


@njit(inline="always", **_JIT)  # into _simulate_members: module docstring
def _scrap_step(m, t, base, levers, uncertain, buffer, at, state, scratch):
    """SPEC step 7 of year ``t`` for every metal n (in order) over all provinces of member
    ``m``: scrap supply, the scrap market, the feedstock limit of the metal's route, scrap use,
    and the in-use stock moving on to t+1 (outputs into row t of ``buffer``, as in
    :func:`_capacity_steps`). Updates ``state.prod`` to final production."""
    P, N, K = state.stock.shape
    R = state.prod.shape[2]
    prod, stock, prev_total = state.prod, state.stock, state.prev_total
    supply, charge, spare = scratch.supply, scratch.charge, scratch.spare
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
                    total += prod[p, metal_sec, r]
                prev_total[p, n] = total
        supply_total = 0.0
        charge_total = 0.0
        for p in range(P):
            obsolete = f_stock * stock[p, n, K - 1]  # obsolete_p = f_s · stock[K−1]
            # supply_p = collection · obsolete_p + prompt_scrap · prev_total_p
            supply[p] = (uncertain.collection[m, n, t] * obsolete
                         + base.prompt_scrap[n] * prev_total[p, n])
            charge[p] = prod[p, metal_sec, feed_route] * feed_charge  # charge_p
            supply_total += supply[p]
            charge_total += charge[p]
        market = levers.scrap_market[t]  # μ
        for p in range(P):
            # avail_p = (1 − μ) · supply_p + μ · Σ_q supply_q · charge_p / Σ_q charge_q
            if charge_total > 0.0:
                avail = (1.0 - market) * supply[p] + market * supply_total * charge[p] / charge_total
            else:
                avail = supply[p]
            if feed_charge > 0.0 and charge[p] > avail:
                # the feedstock route is cut to avail_p / scrap_per_unit[n, ρ]; the shortfall
                # moves to the other substitutable routes pro rata their spare capacity
                feed = avail / feed_charge
                shortfall = prod[p, metal_sec, feed_route] - feed
                prod[p, metal_sec, feed_route] = feed
                spare_total = 0.0
                for r in range(R):
                    spare[r] = 0.0
                    if r != feed_route and base.substitutable[metal_sec, r] != 0:
                        cap_sum = 0.0
                        for k in range(K):
                            cap_sum += state.cap[p, metal_sec, r, k]
                        spare_r = cap_sum - prod[p, metal_sec, r]  # Cap_r − prod_r
                        spare[r] = spare_r if spare_r > 0.0 else 0.0
                        spare_total += spare[r]
                if spare_total > 0.0:
                    moved = shortfall if shortfall < spare_total else spare_total
                    for r in range(R):
                        prod[p, metal_sec, r] += moved * spare[r] / spare_total
            # scrap_use_p = prod_ρ · spu_ρ + min(Σ_{r≠ρ} prod_r · spu_r, max(0, avail_p − prod_ρ spu_ρ))
            feed_use = prod[p, metal_sec, feed_route] * feed_charge
            other = 0.0
            for r in range(R):
                if r != feed_route:
                    other += prod[p, metal_sec, r] * base.scrap_per_unit[n, r]
            left = avail - feed_use
            if left < 0.0:
                left = 0.0
            buffer[t, at.scrap_use + p * N + n] = feed_use + (other if other < left else left)
            buffer[t, at.scrap_supply + p * N + n] = supply[p]
            stock_total = 0.0
            for k in range(K):
                stock_total += stock[p, n, k]
            buffer[t, at.inuse_stock + p * N + n] = stock_total  # start of year t
            # the stock moves on to t+1: aging with f_s, no phase-out, then the inflow
            _age_chain(state.stock_chains, p * N + n, f_stock, 0.0)
            total = 0.0
            for r in range(R):
                total += prod[p, metal_sec, r]
            stock[p, n, 0] += base.inflow_ratio[n] * total  # stock[0] += inflow_ratio · Σ_r prod
            prev_total[p, n] = total


@njit(**_JIT)
def _take_share(share, coal, oil, gas):
    """Take ``share`` [1] of each fossil carrier's energy [PJ] (SPEC step 8, hydrogen or
    electrification); return the three remainders and the total taken, summed coal, oil, gas."""
    y_coal = share * coal
    y_oil = share * oil
    y_gas = share * gas
    return coal - y_coal, oil - y_oil, gas - y_gas, y_coal + y_oil + y_gas


@njit(inline="always", **_JIT)  # into _simulate_members: module docstring
def _energy_steps(m, t, base, levers, uncertain, buffer, at, state, scratch):
    """SPEC steps 8–10 of year ``t`` for every (p, s) of member ``m``, on final production:
    final energy after the fuel switches, direct, process, indirect and captured CO2, and value
    added; also writes production (into row t of ``buffer``, as in :func:`_capacity_steps`)."""
    P, S, R, C = state.intensity.shape
    prod, intensity, ef = state.prod, state.intensity, base.ef
    fossil, h2_made, elec_used = scratch.fossil, scratch.h2_made, scratch.elec_used
    elec_ratio = uncertain.elec_ratio[m]
    for p in range(P):
        grid_ef = uncertain.grid_ef[m, p, t]
        for s in range(S):
            ps = p * S + s  # the row of (p, s) in the member's outputs
            disc = uncertain.discrepancy[m, p, s, t]  # model discrepancy of the sector's energy
            adopted = levers.switch_price[p, s, t]  # the carbon price as fuel switching adopted it
            gas_share = levers.coal_to_gas[p, s, t] + uncertain.gas_response[m] * adopted  # γ
            if gas_share > 1.0:
                gas_share = 1.0
            h2_share = levers.hydrogen[p, s, t]  # h
            elec_share = levers.electrification[p, s, t] + uncertain.elec_response[m] * adopted  # ε
            if elec_share > 1.0:
                elec_share = 1.0
            direct = 0.0
            process = 0.0
            captured = 0.0
            value_added = 0.0
            electrified = 0.0
            for r in range(R):
                prod_r = prod[p, s, r]
                energy_r = prod_r * disc  # the activity energy scales with (not process CO2)
                # 8. E_c = prod_r · int_c · discrepancy on the fossil carriers: coal to gas
                # (x = γ · E_coal), then the hydrogen (y_c = h · E_c) and the electrification
                # (z_c = ε · E_c) shares of the fossil energy that remains
                coal = energy_r * intensity[p, s, r, COAL]
                oil = energy_r * intensity[p, s, r, OIL]
                gas = energy_r * intensity[p, s, r, GAS]
                x = gas_share * coal
                coal -= x
                gas += x
                coal, oil, gas, y = _take_share(h2_share, coal, oil, gas)
                coal, oil, gas, z = _take_share(elec_share, coal, oil, gas)
                fossil[r, COAL] = coal
                fossil[r, OIL] = oil
                fossil[r, GAS] = gas
                h2_made[r] = y  # E_h2 += Σ y_c
                elec_used[r] = elec_ratio * z  # E_elec += elec_ratio · Σ z_c
                electrified += elec_used[r]
                # 9. direct_r = Σ_{c fossil} E_rc · ef_c; process_r = prod_r · process_ef_r;
                # captured_r = capture_r · (direct_r + process_r)
                direct_r = coal * ef[p, s, COAL] + oil * ef[p, s, OIL] + gas * ef[p, s, GAS]
                process_r = prod_r * base.process_ef[p, s, r]
                direct += direct_r
                process += process_r
                captured += levers.capture[p, s, r, t] * (direct_r + process_r)
                value_added += prod_r * base.va_per_unit[p, s]  # 10. Σ_r prod_r · va_per_unit
                buffer[t, at.production + ps * R + r] = prod_r
            # 8. final_energy = Σ_r E: carriers outer, routes inner, summed in a scalar and
            # written once (a (C,) scratch array, mixed vector and scalar stores and loads,
            # stalled on store-to-load forwarding)
            e_elec = 0.0
            e_heat = 0.0
            e_h2 = 0.0
            for c in range(C):
                # the fossil energy and what the switches made of it carry the discrepancy
                # already; the rest is Σ_r prod_r · int_c, scaled once per carrier
                e_c = 0.0
                e_switched = 0.0
                for r in range(R):
                    if c <= GAS:
                        e_switched += fossil[r, c]
                    else:
                        e_c += prod[p, s, r] * intensity[p, s, r, c]
                        if c == ELECTRICITY:
                            e_switched += elec_used[r]
                        elif c == HYDROGEN:
                            e_switched += h2_made[r]
                e_c = e_c * disc + e_switched
                buffer[t, at.final_energy + ps * C + c] = e_c
                if c == ELECTRICITY:
                    e_elec = e_c
                elif c == HEAT:
                    e_heat = e_c
                elif c == HYDROGEN:
                    e_h2 = e_c
            buffer[t, at.electrified + ps] = electrified
            buffer[t, at.co2_direct + ps] = direct
            buffer[t, at.co2_process + ps] = process
            buffer[t, at.co2_captured + ps] = captured
            # 9. indirect = (E_elec + h2_power · E_h2) · grid_ef · (1 − green_power) + E_heat · heat_ef
            buffer[t, at.co2_indirect + ps] = (
                (e_elec + base.h2_power * e_h2) * grid_ef * (1.0 - levers.green_power[p, s, t])
                + e_heat * base.heat_ef
            )
            buffer[t, at.value_added + ps] = value_added


# ================================================================================================
# a member, all members
# ================================================================================================
@njit(**_JIT)
def _member_state(m, base, uncertain):
    """The state of member ``m`` at the start of the base year, and its per-member constants."""
    P, S, R, K = base.cap0.shape
    N = base.stock0.shape[1]
    T = uncertain.growth.shape[3]
    cap = base.cap0.copy()
    stock = base.stock0.copy()
    stage_out = np.empty(S)
    C = base.int0.shape[3]
    decay = np.empty((S, T, C))
    for s in range(S):
        f = K / uncertain.lifetime[m, s]  # f = min(1, K / lifetime)
        stage_out[s] = f if f < 1.0 else 1.0
        for t in range(T):
            fuel = (1.0 - uncertain.aeei[m, s]) ** t
            elec = (1.0 - uncertain.aeei_elec[m, s]) ** t
            for c in range(C):
                decay[s, t, c] = elec if c == ELECTRICITY else fuel
    return MemberState(
        cap=cap, cap_chains=cap.reshape((P * S * R, K)), intensity=base.int0.copy(),
        stock=stock, stock_chains=stock.reshape((P * N, K)), demand=np.empty((P, S)),
        prod=np.zeros((P, S, R)), prev_total=np.zeros((P, N)), stage_out=stage_out, decay=decay,
    )


@njit(**_JIT)
def _scratch(P, R):
    """Fresh :class:`Scratch` arrays for ``P`` provinces and ``R`` routes."""
    return Scratch(
        surviving=np.empty(R), retired=np.empty(R), invest=np.empty(R), weight=np.empty(R),
        logw=np.empty(R), route_co2=np.empty(R),
        floor_need=np.empty(R), held=np.zeros(R, dtype=np.bool_), floor=np.empty(R),
        sub=np.empty(R, dtype=np.int64), share=np.empty(R), cap_route=np.empty(R),
        spare=np.empty(R), fossil=np.empty((R, 3)), h2_made=np.empty(R), elec_used=np.empty(R),
        supply=np.empty(P), charge=np.empty(P),
    )


@njit(**_JIT)
def _put(dst, buffer, first, m):
    """Row ``m`` of an output, ``dst`` (M, rows, T), from columns ``first`` .. ``first + rows
    − 1`` of a member's ``buffer`` (T, ·), year first (see :func:`_simulate_members`)."""
    T, rows = dst.shape[2], dst.shape[1]
    for i in range(rows):
        for t in range(T):
            dst[m, i, t] = buffer[t, first + i]


@njit(inline="always", **_JIT)
def _member(m, base, uncertain):
    """Member ``m``'s state at the start of the base year and its scratch arrays."""
    P, R = base.cap0.shape[0], base.cap0.shape[2]
    return _member_state(m, base, uncertain), _scratch(P, R)


@njit(nogil=True, **_JIT)
def _simulate_members(first, stop, base, levers, uncertain, out, buffer, at):
    """Members ``first`` .. ``stop − 1``, one after the other, into their rows of ``out``: for
    each t, steps 1–6 for all (p, s), step 7 for all metals, steps 8–10 for all (p, s) (SPEC
    steps 1–10), into ``buffer`` (T, ·), the member's outputs year first: row t holds year t of
    every output, output ``f`` from column ``at.f`` (:func:`_member_buffer`); then row ``m`` of
    every output of ``out`` (each as (M, rows, T), :func:`_as_rows`) from it. Releases the GIL,
    so a caller may run disjoint ranges in threads, each with a buffer of its own
    (:func:`simulate_into`).

    Why a buffer: SPEC's outputs put the year last, so a year's values of one member are 136
    bytes apart in every output row; written straight from the year loop, each of the 28 values
    of a province-sector-year touched a cache line of its own, across the member's 1 MB of
    outputs (more than a core's L2): a quarter of the kernel's time (measured, outputs written
    to a few fixed addresses instead). Year first, each year's values are written one after the
    other, and the copy into SPEC's layout reads 17 sequential streams and writes each row
    whole.

    The year loop is here, not in a function of its own called per member: Numba links a callee
    into its caller and optimises and compiles the callee's code again there, so a separate
    member function cost 0.9 s more of the first call (tests/bench)."""
    for m in range(first, stop):
        state, scratch = _member(m, base, uncertain)
        for t in range(uncertain.growth.shape[3]):
            _capacity_steps(m, t, base, levers, uncertain, buffer, at, state, scratch)
            _scrap_step(m, t, base, levers, uncertain, buffer, at, state, scratch)
            _energy_steps(m, t, base, levers, uncertain, buffer, at, state, scratch)
        for i in range(len(out)):
            _put(out[i], buffer, at[i], m)


def _as_rows(arrays: OutputArrays) -> OutputArrays:
    """The outputs as the kernel writes them: each (M, rows, T), rows = the product of the axes
    between member and year (the same memory, SPEC's layout)."""
    return OutputArrays(*(a.reshape(a.shape[0], math.prod(a.shape[1:-1]), a.shape[-1])
                          for a in arrays))


def _member_buffer(out: OutputArrays) -> tuple[np.ndarray, OutputArrays]:
    """One member's outputs, year first, for the outputs ``out`` (each (M, rows, T)): a buffer
    (T, Σ rows), and where each output's rows start in it (``at``, ints, the fields of
    :class:`OutputArrays`). Row (p, s) of an (M,P,S,T) output is p·S + s, of (M,P,S,R,T)
    (p·S + s)·R + r, of (M,P,S,C,T) (p·S + s)·C + c, of (M,P,N,T) p·N + n."""
    rows = [a.shape[1] for a in out]
    at = OutputArrays(*(sum(rows[:i]) for i in range(len(rows))))
    return np.empty((out[0].shape[2], sum(rows))), at


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
    out = _as_rows(arrays)

    def run(first: int, stop: int) -> None:
        buffer, at = _member_buffer(out)  # one per range: ranges may run in threads
        _simulate_members(first, stop, base, levers, uncertain, out, buffer, at)

    spread(run, members)
