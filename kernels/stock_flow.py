"""Numba stock-and-flow kernel: every member, province, sector and year of DESIGN §4.

The equations, array shapes and units are specified in ``kernels/SPEC.md``; this module implements
them and nothing else. A plain NumPy reading of the same specification lives in
``tests/reference.py`` and the test suite checks the two agree to rtol 1e-9.

Public entry points:

- :func:`simulate` — allocate outputs and run all members of a :class:`KernelInputs`.
- :func:`simulate_into` — run into caller-provided :class:`KernelOutputs` (no allocation).

Members run in parallel (``prange``); inside a member everything is sequential. ``fastmath`` is off
(:data:`FASTMATH`): mass balance must hold to rounding, and the measured gain did not justify it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from kernels.arrays import KernelInputs, KernelOutputs

FASTMATH = False
"""Whether the kernel is compiled with ``fastmath``; a test checks mass balance with it as set."""

ERROR_MODEL = "numpy"
"""Numba's error model for the kernel. The divisors are util (in (0, 1] by SPEC), the lifetimes
(a lifetime of 0 gives K / 0 = inf, then the stage fraction min(1, inf) = 1), and sums or ratios
each taken only when positive, so the "python" model's ZeroDivisionError checks never fire on
valid inputs; but their raise paths keep LLVM from removing the atomic reference-count updates of
array arguments (measured: 7 increments and up to 19 decrements per call of
:func:`_split_investment`). With "numpy" a division by zero gives inf or nan instead of raising."""

_NC = 7  # carriers
_COAL, _OIL, _GAS, _ELEC, _HEAT, _H2 = 0, 1, 2, 3, 4, 5


@njit(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
def _age_chain(chains, i, f, phi):
    """Advance the aging chain ``chains[i, :]`` by a year in place; return what leaves the last
    stage.

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
    ret = frac * chains[i, K - 1]
    if K == 1:
        chains[i, 0] -= ret
        return ret
    out_prev = f * chains[i, 0]
    chains[i, 0] -= out_prev
    for k in range(1, K - 1):
        out_k = f * chains[i, k]
        chains[i, k] += out_prev - out_k
        out_prev = out_k
    chains[i, K - 1] += out_prev - ret
    return ret


@njit(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
def _default_weights(I, Cs, ret, base_share, w):
    """Default route weights of new capacity (SPEC step 4); writes ``w`` (R,), summing to 1.

    Like-for-like: the first Σ ret of new build replaces each route's own retirement; any
    expansion beyond it follows the surviving capacity shares (``base_share`` if none survives).
    """
    R = Cs.shape[0]
    cs_tot = 0.0
    ret_tot = 0.0
    for r in range(R):
        cs_tot += Cs[r]
        ret_tot += ret[r]
    for r in range(R):
        c = Cs[r] / cs_tot if cs_tot > 0.0 else base_share[r]
        if I <= 0.0:
            w[r] = c
        elif I <= ret_tot:
            w[r] = ret[r] / ret_tot
        else:
            w[r] = (ret[r] + (I - ret_tot) * c) / I


@njit(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
def _split_investment(I, Cs, w, floor, sub, inv, need, in_a):
    """Route split of new capacity under share floors (SPEC step 4); writes ``inv`` (R,)
    [activity yr-1]. ``need`` (R,) and ``in_a`` (R,) are scratch arrays.

    Written as one straight path with a single exit (no early ``return``, no branch around the
    floor passes): together with the NumPy error model this is what lets LLVM's reference-count
    pruning remove the atomic increments and decrements of the seven array arguments (14 atomic
    operations per call otherwise, measured as a quarter of the kernel's run time).
    """
    R = Cs.shape[0]
    wsub = 0.0
    for r in range(R):
        if sub[r] != 0:
            wsub += w[r]
    # SPEC: "if Σ_sub w = 0, every route gets I · w_r" — the same as treating every route as
    # non-substitutable, which is what ``floors_apply`` does below (the floor passes then find
    # no substitutable route and change nothing).
    floors_apply = wsub > 0.0
    for r in range(R):
        if sub[r] == 0 or not floors_apply:
            inv[r] = I * w[r]
    I_sub = I * wsub
    C_new = I_sub
    for r in range(R):
        if floors_apply and sub[r] != 0:
            C_new += Cs[r]
    for r in range(R):
        in_a[r] = False
        need[r] = 0.0
        if floors_apply and sub[r] != 0:
            x = floor[r] * C_new - Cs[r]
            need[r] = x if x > 0.0 else 0.0
            in_a[r] = need[r] > I_sub * (w[r] / wsub)
    grew = True
    passes = 0
    while grew and passes <= R:  # A grows by at least one route per repeated pass
        passes += 1
        need_A = 0.0
        w_rest = 0.0
        for r in range(R):
            if floors_apply and sub[r] != 0:
                if in_a[r]:
                    need_A += need[r]
                else:
                    w_rest += w[r] / wsub
        rem = I_sub - need_A
        for r in range(R):
            if sub[r] == 0 or not floors_apply:
                continue
            if in_a[r]:
                if rem <= 0.0:
                    inv[r] = I_sub * need[r] / need_A
                else:
                    inv[r] = need[r]
                    if w_rest <= 0.0:
                        inv[r] += rem * need[r] / need_A
            elif rem <= 0.0 or w_rest <= 0.0:
                inv[r] = 0.0
            else:
                inv[r] = rem * (w[r] / wsub) / w_rest
        grew = False
        for r in range(R):
            if floors_apply and sub[r] != 0 and not in_a[r] and need[r] > inv[r]:
                in_a[r] = True
                grew = True


@njit(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
def _take_share(share, coal, oil, gas):
    """Take ``share`` [1] of each fossil carrier's energy [PJ] (SPEC step 8, hydrogen or
    electrification); return the three remainders and the total taken, summed coal, oil, gas."""
    y_coal = share * coal
    y_oil = share * oil
    y_gas = share * gas
    return coal - y_coal, oil - y_oil, gas - y_gas, y_coal + y_oil + y_gas


@njit(cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
def _member(
    m, cap0, util, base_share, int0, new_int0, va_per_unit, ef, process_ef, substitutable,
    heat_ef, h2_power, stock0, metal_sector, metal_route, scrap_per_unit, prompt_scrap,
    inflow_ratio, share_floor, phase_out, replacement_ratio, retrofit, coal_to_gas, hydrogen,
    electrification, green_power, capture, scrap_market, growth, lifetime, aeei, grid_ef,
    collection, stock_lifetime, elec_ratio, demand, production, capacity, investment, retirement,
    final_energy, value_added, co2_direct, co2_process, co2_indirect, co2_captured, scrap_supply,
    scrap_use, inuse_stock,
):
    """Member ``m``: every year, province and sector (SPEC steps 1–10) into row ``m`` of the
    outputs. Arguments are the fields of KernelInputs and KernelOutputs (units in SPEC.md).

    Performance notes (national case, 31 provinces x 9 sectors x 17 years; tests/bench):

    - No array slices inside the loops over (t, p, s): each view costs an atomic increment and
      decrement of the parent's reference count (measured: half the run time), and for arrays
      shared by all members both threads hammer the same counter. Helpers take whole arrays plus
      indices, and the few per-route lever values are copied into small member-local scratch
      arrays. (Helpers must also keep their reference-count updates prunable, see
      :data:`ERROR_MODEL` and :func:`_split_investment`.)
    - What depends only on the member, sector and year is computed once per member: the
      stage outflow fraction ``K / lifetime`` and the best-available decay ``(1 − aeei)^t``
      (the same ``float ** int`` expression, hoisted out of the loops, so the same bits).
    - Steps 8–10 keep the fuel switches in scalars and sum final energy per carrier in a scalar
      (no (C,) scratch array: its mixed vector and scalar accesses stalled on store-to-load
      forwarding; steps 8–10 were a third of the run time); one reciprocal per route in the
      intensity co-flow instead of a division per carrier.
    - The year loop stays outermost for all sectors: running the sectors that feed no metal
      year-innermost (so output rows are written contiguously) was measured slower, 0.84 s vs
      0.67 s for 1000 members, because each (p, s) year depends on the previous one while
      consecutive (p, s) pairs of one year are independent and overlap in the core.
    """
    P, S, R, K = cap0.shape
    C = int0.shape[3]
    N = stock0.shape[1]
    T = growth.shape[3]

    # ---- member state -----------------------------------------------------------------------
    cap4 = cap0.copy()  # (P,S,R,K) activity yr-1
    cap = cap4.reshape((P * S * R, K))  # the same memory; row (p·S + s)·R + r, for _age_chain
    inten = int0.copy()  # (P,S,R,C) PJ per activity unit
    stock3 = stock0.copy()  # (P,N,K) Mt
    stock = stock3.reshape((P * N, K))  # row p·N + n
    D = np.empty((P, S))  # demand of the current year
    prod = np.zeros((P, S, R))  # production of the current year
    prev_total = np.zeros((P, N))  # final production of the metal's sector, previous year

    # ---- per-member constants ---------------------------------------------------------------
    f_cap = np.empty(S)  # stage outflow fraction min(1, K / lifetime) [yr-1]
    decay = np.empty((S, T))  # (1 − aeei)^t: best-available intensity relative to the base year
    for s in range(S):
        f = K / lifetime[m, s]
        f_cap[s] = f if f < 1.0 else 1.0
        for t in range(T):
            decay[s, t] = (1.0 - aeei[m, s]) ** t
    er = elec_ratio[m]

    # ---- scratch (R,), (R, 3), (P,) ---------------------------------------------------------
    Cs = np.empty(R)
    ret = np.empty(R)
    inv = np.empty(R)
    w = np.empty(R)
    need_r = np.empty(R)
    in_a = np.zeros(R, dtype=np.bool_)
    floor = np.empty(R)
    sub = np.empty(R, dtype=np.int64)
    bshare = np.empty(R)
    fossil = np.empty((R, 3))  # step 8: fossil energy by route after the fuel switches [PJ]
    h2_made = np.empty(R)
    elec_used = np.empty(R)
    supply = np.empty(P)
    need = np.empty(P)

    for t in range(T):
        # --- steps 1–6: demand, aging, investment, route split, intensity, production ---------
        for p in range(P):
            for s in range(S):
                if t == 0:
                    tot = 0.0
                    for r in range(R):
                        for k in range(K):
                            tot += cap4[p, s, r, k]
                    D[p, s] = util[p, s] * tot
                    for r in range(R):
                        inv[r] = 0.0
                        ret[r] = 0.0
                else:
                    d = D[p, s] * (1.0 + growth[m, p, s, t])
                    D[p, s] = d if d > 0.0 else 0.0
                    phi = phase_out[p, s, t]
                    row0 = (p * S + s) * R
                    cs_tot = 0.0
                    ret_tot = 0.0
                    for r in range(R):
                        ret[r] = _age_chain(cap, row0 + r, f_cap[s], phi)
                        c_r = 0.0
                        for k in range(K):
                            c_r += cap4[p, s, r, k]
                        Cs[r] = c_r
                        cs_tot += c_r
                        ret_tot += ret[r]
                    I = D[p, s] / util[p, s] - cs_tot
                    if I < 0.0:
                        I = 0.0
                    ratio = replacement_ratio[p, s, t]
                    if np.isfinite(ratio):
                        cap_I = ratio * ret_tot
                        if I > cap_I:
                            I = cap_I
                    for r in range(R):
                        bshare[r] = base_share[p, s, r]
                        floor[r] = share_floor[p, s, r, t]
                        sub[r] = substitutable[s, r]
                    _default_weights(I, Cs, ret, bshare, w)
                    _split_investment(I, Cs, w, floor, sub, inv, need_r, in_a)
                    dec = decay[s, t]
                    rho = retrofit[p, s, t]
                    for r in range(R):
                        cap4[p, s, r, 0] += inv[r]
                        # capacity-weighted mean of old and new intensity: one division per
                        # route, not per carrier (multiplying by the reciprocal rounds twice:
                        # ~1e-16 relative from the quotient; measured 5-9 % of the kernel time)
                        denom = Cs[r] + inv[r]
                        inv_denom = 1.0 / denom if denom > 0.0 else 0.0
                        for c in range(C):
                            bat = new_int0[p, s, r, c] * dec
                            x = inten[p, s, r, c]
                            if denom > 0.0:
                                x = (Cs[r] * x + inv[r] * bat) * inv_denom
                            gap = x - bat
                            if gap > 0.0:
                                x -= rho * gap
                            inten[p, s, r, c] = x
                # step 6: production pro rata capacity
                cap_tot = 0.0
                for r in range(R):
                    c_r = 0.0
                    for k in range(K):
                        c_r += cap4[p, s, r, k]
                    Cs[r] = c_r
                    cap_tot += c_r
                ptot = D[p, s] if D[p, s] < cap_tot else cap_tot
                for r in range(R):
                    prod[p, s, r] = ptot * Cs[r] / cap_tot if cap_tot > 0.0 else 0.0
                    capacity[m, p, s, r, t] = Cs[r]
                    investment[m, p, s, r, t] = inv[r]
                    retirement[m, p, s, r, t] = ret[r]
                demand[m, p, s, t] = D[p, s]

        # --- step 7: scrap-limited feedstock routes and in-use metal stocks -------------------
        for n in range(N):
            sg = metal_sector[n]
            rh = metal_route[n]
            spu = scrap_per_unit[n, rh]
            fs = K / stock_lifetime[m, n]
            if fs > 1.0:
                fs = 1.0
            if t == 0:
                for p in range(P):
                    tot = 0.0
                    for r in range(R):
                        tot += prod[p, sg, r]
                    prev_total[p, n] = tot
            sum_supply = 0.0
            sum_need = 0.0
            for p in range(P):
                obsolete = fs * stock3[p, n, K - 1]
                supply[p] = collection[m, n, t] * obsolete + prompt_scrap[n] * prev_total[p, n]
                need[p] = prod[p, sg, rh] * spu
                sum_supply += supply[p]
                sum_need += need[p]
            mu = scrap_market[t]
            for p in range(P):
                if sum_need > 0.0:
                    avail = (1.0 - mu) * supply[p] + mu * sum_supply * need[p] / sum_need
                else:
                    avail = supply[p]
                if spu > 0.0 and need[p] > avail:
                    feed = avail / spu
                    short = prod[p, sg, rh] - feed
                    prod[p, sg, rh] = feed
                    spare_tot = 0.0
                    for r in range(R):
                        if r != rh and substitutable[sg, r] != 0:
                            c_r = 0.0
                            for k in range(K):
                                c_r += cap4[p, sg, r, k]
                            sp = c_r - prod[p, sg, r]
                            Cs[r] = sp if sp > 0.0 else 0.0
                            spare_tot += Cs[r]
                        else:
                            Cs[r] = 0.0
                    if spare_tot > 0.0:
                        moved = short if short < spare_tot else spare_tot
                        for r in range(R):
                            prod[p, sg, r] += moved * Cs[r] / spare_tot
                feed_use = prod[p, sg, rh] * spu
                other = 0.0
                for r in range(R):
                    if r != rh:
                        other += prod[p, sg, r] * scrap_per_unit[n, r]
                left = avail - feed_use
                if left < 0.0:
                    left = 0.0
                scrap_use[m, p, n, t] = feed_use + (other if other < left else left)
                scrap_supply[m, p, n, t] = supply[p]
                st = 0.0
                for k in range(K):
                    st += stock3[p, n, k]
                inuse_stock[m, p, n, t] = st
                # the stock moves on to t+1
                _age_chain(stock, p * N + n, fs, 0.0)
                tot = 0.0
                for r in range(R):
                    tot += prod[p, sg, r]
                stock3[p, n, 0] += inflow_ratio[n] * tot
                prev_total[p, n] = tot

        # --- steps 8–10: energy, emissions, value added ----------------------------------------
        for p in range(P):
            gef = grid_ef[m, p, t]
            for s in range(S):
                g = coal_to_gas[p, s, t]
                h = hydrogen[p, s, t]
                el = electrification[p, s, t]
                direct = 0.0
                process = 0.0
                captured = 0.0
                va = 0.0
                for r in range(R):
                    q = prod[p, s, r]
                    # step 8 on the fossil carriers: coal to gas, then the hydrogen and the
                    # electrification shares of the fossil energy that remains
                    coal = q * inten[p, s, r, _COAL]
                    oil = q * inten[p, s, r, _OIL]
                    gas = q * inten[p, s, r, _GAS]
                    x = g * coal
                    coal -= x
                    gas += x
                    coal, oil, gas, y = _take_share(h, coal, oil, gas)
                    coal, oil, gas, z = _take_share(el, coal, oil, gas)
                    fossil[r, _COAL] = coal
                    fossil[r, _OIL] = oil
                    fossil[r, _GAS] = gas
                    h2_made[r] = y  # PJ hydrogen replacing fossil energy
                    elec_used[r] = er * z  # PJ electricity replacing fossil energy
                    d_r = coal * ef[p, s, _COAL] + oil * ef[p, s, _OIL] + gas * ef[p, s, _GAS]
                    p_r = q * process_ef[p, s, r]
                    direct += d_r
                    process += p_r
                    captured += capture[p, s, r, t] * (d_r + p_r)
                    va += q * va_per_unit[p, s]
                    production[m, p, s, r, t] = q
                # final energy: carriers outer, routes inner, summed in a scalar and written
                # once (a (C,) scratch array, mixed vector and scalar stores and loads, stalled
                # on store-to-load forwarding)
                e_elec = 0.0
                e_heat = 0.0
                e_h2 = 0.0
                for c in range(C):
                    e_c = 0.0
                    for r in range(R):
                        if c <= _GAS:
                            e = fossil[r, c]
                        else:
                            e = prod[p, s, r] * inten[p, s, r, c]
                            if c == _ELEC:
                                e += elec_used[r]
                            elif c == _H2:
                                e += h2_made[r]
                        e_c += e
                    final_energy[m, p, s, c, t] = e_c
                    if c == _ELEC:
                        e_elec = e_c
                    elif c == _HEAT:
                        e_heat = e_c
                    elif c == _H2:
                        e_h2 = e_c
                co2_direct[m, p, s, t] = direct
                co2_process[m, p, s, t] = process
                co2_captured[m, p, s, t] = captured
                co2_indirect[m, p, s, t] = (
                    (e_elec + h2_power * e_h2) * gef * (1.0 - green_power[p, s, t])
                    + e_heat * heat_ef
                )
                value_added[m, p, s, t] = va


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model=ERROR_MODEL)
def _simulate_all(
    cap0, util, base_share, int0, new_int0, va_per_unit, ef, process_ef, substitutable,
    heat_ef, h2_power, stock0, metal_sector, metal_route, scrap_per_unit, prompt_scrap,
    inflow_ratio, share_floor, phase_out, replacement_ratio, retrofit, coal_to_gas, hydrogen,
    electrification, green_power, capture, scrap_market, growth, lifetime, aeei, grid_ef,
    collection, stock_lifetime, elec_ratio, demand, production, capacity, investment, retirement,
    final_energy, value_added, co2_direct, co2_process, co2_indirect, co2_captured, scrap_supply,
    scrap_use, inuse_stock,
):
    for m in prange(growth.shape[0]):
        _member(
            m, cap0, util, base_share, int0, new_int0, va_per_unit, ef, process_ef,
            substitutable, heat_ef, h2_power, stock0, metal_sector, metal_route, scrap_per_unit,
            prompt_scrap, inflow_ratio, share_floor, phase_out, replacement_ratio, retrofit,
            coal_to_gas, hydrogen, electrification, green_power, capture, scrap_market, growth,
            lifetime, aeei, grid_ef, collection, stock_lifetime, elec_ratio, demand, production,
            capacity, investment, retirement, final_energy, value_added, co2_direct, co2_process,
            co2_indirect, co2_captured, scrap_supply, scrap_use, inuse_stock,
        )


_INPUT_ORDER = (
    "cap0", "util", "base_share", "int0", "new_int0", "va_per_unit", "ef", "process_ef",
    "substitutable", "heat_ef", "h2_power", "stock0", "metal_sector", "metal_route",
    "scrap_per_unit", "prompt_scrap", "inflow_ratio", "share_floor", "phase_out",
    "replacement_ratio", "retrofit", "coal_to_gas", "hydrogen", "electrification", "green_power",
    "capture", "scrap_market", "growth", "lifetime", "aeei", "grid_ef", "collection",
    "stock_lifetime", "elec_ratio",
)
_OUTPUT_ORDER = (
    "demand", "production", "capacity", "investment", "retirement", "final_energy",
    "value_added", "co2_direct", "co2_process", "co2_indirect", "co2_captured", "scrap_supply",
    "scrap_use", "inuse_stock",
)
_INT_INPUTS = {"substitutable", "metal_sector", "metal_route"}
_SCALAR_INPUTS = {"heat_ef", "h2_power"}


def _as_kernel_arg(name: str, value):
    if name in _SCALAR_INPUTS:
        return float(value)
    dtype = np.int64 if name in _INT_INPUTS else np.float64
    return np.ascontiguousarray(value, dtype=dtype)


def simulate_into(inp: KernelInputs, out: KernelOutputs) -> KernelOutputs:
    """Run every member of ``inp`` into the pre-allocated ``out`` (see SPEC.md); returns ``out``."""
    args = [_as_kernel_arg(name, getattr(inp, name)) for name in _INPUT_ORDER]
    outs = [getattr(out, name) for name in _OUTPUT_ORDER]
    for name, arr in zip(_OUTPUT_ORDER, outs):
        if arr.dtype != np.float64 or not arr.flags.c_contiguous:
            raise ValueError(f"output {name} must be a C-contiguous float64 array")
    _simulate_all(*args, *outs)
    return out


def simulate(inp: KernelInputs) -> KernelOutputs:
    """Run every member of ``inp`` and return freshly allocated :class:`KernelOutputs`."""
    shp = inp.shape
    out = KernelOutputs.allocate(shp["M"], shp["P"], shp["S"], shp["R"], shp["C"], shp["N"],
                                 shp["T"])
    return simulate_into(inp, out)
