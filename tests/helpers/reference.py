"""Plain NumPy reference implementation of ``kernels/SPEC.md`` (one annual stock-and-flow step).

Written from the SPEC alone, independently of the Numba kernel, so that the test suite compares two
readings of the same text. Obviously-correct over fast: explicit loops over members, provinces,
sectors and routes; comments cite the SPEC step numbers.

Readings of points the SPEC leaves open (see also the test-suite report):

* step 7, "shortfall moves to the other substitutable routes": the routes r != rho with
  ``substitutable[sigma, r] == 1``; the amount moved is ``min(shortfall, total spare)`` and is split
  in proportion to each route's spare capacity ``Cap_r - prod_r``; if the total spare is 0 nothing
  moves (output is lost).
* step 7, ``scrap_use``: evaluated on the production *after* the cut and the shortfall move.
* step 7 with several metals: metals are processed sequentially n = 0..N-1, each on the production
  left by the previous ones (the test inputs give each metal its own sector, so this does not
  matter).
* step 7, ``prev_total`` at t = 0 is the step-6 production of year 0 (before any scrap limit); for
  t >= 1 it is the final production of year t-1 (after all scrap limits).
* step 5: the retrofit is applied to every route, whether or not it has capacity.
"""

from __future__ import annotations

import math

import numpy as np

from kernels.arrays import ELECTRICITY, FOSSIL, HEAT, HYDROGEN, KernelInputs, KernelOutputs

COAL, GAS = 0, 2


def _age(cap: np.ndarray, f: float, phi: float) -> tuple[np.ndarray, float]:
    """SPEC step 2: one year of an aging chain. Returns (new stages, retirement of the last stage).

    Flows use the stocks at the start of the step; stage k < K-1 passes ``f * cap[k]`` on, the last
    stage retires ``min(1, f + phi) * cap[K-1]``.
    """
    K = cap.shape[0]
    new = cap.copy()
    ret = min(1.0, f + phi) * cap[K - 1]
    if K == 1:
        new[0] = cap[0] - ret
        return new, ret
    out = f * cap[: K - 1]  # out_k, k = 0..K-2
    new[0] = cap[0] - out[0]
    for k in range(1, K - 1):
        new[k] = cap[k] + out[k - 1] - out[k]
    new[K - 1] = cap[K - 1] + out[K - 2] - ret
    return new, ret


def _default_weights(I: float, Cs: np.ndarray, ret: np.ndarray, base_share: np.ndarray) -> np.ndarray:
    """SPEC step 4 default weights: like-for-like replacement, expansion at surviving shares."""
    tot = Cs.sum()
    c = Cs / tot if tot > 0 else base_share.astype(float).copy()
    if I <= 0:
        return c
    if I <= ret.sum():
        return ret / ret.sum()
    return (ret + (I - ret.sum()) * c) / I


def _split_investment(I: float, w: np.ndarray, Cs: np.ndarray, sub: np.ndarray,
                      floor: np.ndarray) -> np.ndarray:
    """SPEC step 4: route split of the sector's investment ``I`` (one entry per route)."""
    R = Cs.shape[0]
    Ir = np.zeros(R)
    sub_idx = [r for r in range(R) if sub[r] == 1]
    wsub = sum(w[r] for r in sub_idx)
    for r in range(R):
        if sub[r] != 1:
            Ir[r] = I * w[r]
    if wsub == 0:  # "If sum_sub w = 0, every route gets I * w_r."
        for r in sub_idx:
            Ir[r] = I * w[r]
        return Ir
    I_sub = I * wsub
    wt = {r: w[r] / wsub for r in sub_idx}
    C_new = sum(Cs[r] for r in sub_idx) + I_sub
    need = {r: max(0.0, floor[r] * C_new - Cs[r]) for r in sub_idx}
    A = {r for r in sub_idx if need[r] > I_sub * wt[r]}
    while True:
        alloc = _allocate(I_sub, A, sub_idx, need, wt)
        joining = {r for r in sub_idx if r not in A and need[r] > alloc[r]}
        if not joining:
            break
        A |= joining
    for r in sub_idx:
        Ir[r] = alloc[r]
    return Ir


def _allocate(I_sub: float, A: set, sub_idx: list, need: dict, wt: dict) -> dict:
    """Split I_sub for a given set A of routes held at their floor."""
    if not A:
        return {r: I_sub * wt[r] for r in sub_idx}
    need_A = sum(need[r] for r in A)
    if need_A >= I_sub:
        return {r: (I_sub * need[r] / need_A if r in A else 0.0) for r in sub_idx}
    rest = I_sub - need_A
    others = [r for r in sub_idx if r not in A]
    wt_others = sum(wt[r] for r in others)
    alloc = {r: need[r] for r in A}
    for r in others:
        alloc[r] = rest * wt[r] / wt_others if wt_others > 0 else 0.0
    if wt_others <= 0:
        for r in A:
            alloc[r] += rest * need[r] / need_A
    return alloc


def _priced_weights(w: np.ndarray, sub: np.ndarray, bat: np.ndarray, ef: np.ndarray,
                    process_ef: np.ndarray, capture: np.ndarray, entry: np.ndarray, price: float,
                    beta: float, scale: float) -> np.ndarray:
    """SPEC step 4, route choice under a carbon price. With k = beta * price * 1e6 / scale and
    e_r = (sum over fossil c of bat_rc * ef_c + process_ef_r) * (1 - capture_r): the calibrated
    substitutable routes (w_r > 0) get w_r * exp(-k * (e_r - e_0)), the entrants (w_r = 0, finite
    entry premium, route 0 substitutable with w_0 > 0, e_r < e_0) get
    w_0 * exp(-beta * entry_r / scale) * (exp(k * (e_0 - e_r)) - 1); all are renormalised to the
    calibrated weights' former sum; the others are as they are."""
    w = w.astype(float).copy()
    R = w.shape[0]
    e = [(sum(bat[r, c] * ef[c] for c in FOSSIL) + process_ef[r]) * (1.0 - capture[r])
         for r in range(R)]
    k = beta * price * 1e6 / scale
    ref = sub[0] == 1 and w[0] > 0
    e0 = e[0] if ref else 0.0
    live = [r for r in range(R) if sub[r] == 1 and w[r] > 0]
    before = sum(w[r] for r in live)
    if before <= 0:
        return w
    # in logs, shifted by the largest, so that no weight underflows to make all of them 0
    logs = {r: math.log(w[r]) - k * (e[r] - e0) for r in live}
    if ref:
        for r in range(R):
            if sub[r] == 1 and w[r] == 0 and math.isfinite(entry[r]) and e[r] < e[0]:
                gain = k * (e[0] - e[r])
                if gain > 0:
                    # log(exp(gain) - 1), written so that it overflows for no gain
                    logs[r] = (math.log(w[0]) - beta * entry[r] / scale
                               + gain + math.log(-math.expm1(-gain)))
    top = max(logs.values())
    after = sum(math.exp(v - top) for v in logs.values())
    for r in range(R):
        if sub[r] == 1:
            w[r] = before * math.exp(logs[r] - top) / after if r in logs else 0.0
    return w


def reference_simulate(inp: KernelInputs) -> KernelOutputs:
    sh = inp.shape
    M, P, S, R, K, C, N, T = (sh[x] for x in "MPSRKCNT")
    out = KernelOutputs.allocate(M, P, S, R, C, N, T)
    fossil = list(FOSSIL)

    for m in range(M):
        # ---- state of the member -------------------------------------------------------------
        cap = inp.cap0.astype(float).copy()  # (P,S,R,K)
        inten = inp.int0.astype(float).copy()  # (P,S,R,C)
        stock = inp.stock0.astype(float).copy()  # (P,N,K)
        D = np.zeros((P, S))
        prev_total = np.zeros((P, N))  # final production of the metal's sector, year t-1
        f_cap = np.minimum(1.0, K / inp.lifetime[m])  # (S,)
        f_stock = np.minimum(1.0, K / inp.stock_lifetime[m]) if N else np.zeros(0)

        for t in range(T):
            prod = np.zeros((P, S, R))
            if t == 0:
                # ---- base year: demand = capacity x util, then steps 6-10 on the base state --
                D = cap.sum(axis=(2, 3)) * inp.util
            else:
                for p in range(P):
                    for s in range(S):
                        # 1. demand
                        D[p, s] = max(0.0, D[p, s] * (1.0 + inp.growth[m, p, s, t]))
                        # 2. aging and retirement
                        phi = inp.phase_out[p, s, t]
                        ret = np.zeros(R)
                        for r in range(R):
                            cap[p, s, r], ret[r] = _age(cap[p, s, r], f_cap[s], phi)
                        Cs = cap[p, s].sum(axis=1)
                        out.retirement[m, p, s, :, t] = ret
                        # 3. investment
                        I = max(0.0, D[p, s] / inp.util[p, s] - Cs.sum())
                        ratio = inp.replacement_ratio[p, s, t]
                        if math.isfinite(ratio):
                            I = min(I, ratio * ret.sum())
                        # best-available intensity of the year (step 5): the gap to the floor
                        # decays at aeei, for electricity at aeei_elec
                        a = np.full(C, inp.aeei[m, s])
                        a[ELECTRICITY] = inp.aeei_elec[m, s]
                        floor = inp.floor_int[p, s]  # (R,C)
                        bat = floor + (inp.new_int0[p, s] - floor) * (1.0 - a) ** t  # (R,C)
                        # 4. route split; new capacity enters stage 0
                        w = _default_weights(I, Cs, ret, inp.base_share[p, s])
                        price = inp.carbon_price[p, s, t]
                        if price > 0:  # the logit on the carbon cost of new capacity
                            w = _priced_weights(w, inp.substitutable[s], bat, inp.ef[p, s],
                                                inp.process_ef[p, s], inp.capture[p, s, :, t],
                                                inp.entry_premium[p, s], price,
                                                inp.cost_response[m], inp.cost_scale[p, s])
                        Ir = _split_investment(I, w, Cs, inp.substitutable[s],
                                               inp.share_floor[p, s, :, t])
                        cap[p, s, :, 0] += Ir
                        out.investment[m, p, s, :, t] = Ir
                        # 5. intensity co-flow and retrofit (its rate rises with the carbon price)
                        rho = min(1.0, inp.retrofit[p, s, t] + inp.retrofit_response[m] * price)
                        saving = 0.0
                        for r in range(R):
                            if Cs[r] + Ir[r] > 0:
                                inten[p, s, r] = (Cs[r] * inten[p, s, r] + Ir[r] * bat[r]) / (
                                    Cs[r] + Ir[r])
                            removed = rho * np.maximum(0.0, inten[p, s, r] - bat[r])
                            inten[p, s, r] -= removed
                            saving += (Cs[r] + Ir[r]) * removed.sum()
                        out.retrofit_saving[m, p, s, t] = saving
            # 6. production (capacity and intensity are the current state)
            for p in range(P):
                for s in range(S):
                    Cap = cap[p, s].sum(axis=1)
                    tot = Cap.sum()
                    if tot > 0:
                        Ptot = min(D[p, s], tot)
                        prod[p, s] = Ptot * Cap / tot
            if t == 0:
                for n in range(N):
                    prev_total[:, n] = prod[:, inp.metal_sector[n], :].sum(axis=1)

            # 7. scrap, metal by metal, over all provinces of the member
            mu = inp.scrap_market[t]
            for n in range(N):
                sig, rho = inp.metal_sector[n], inp.metal_route[n]
                spu = inp.scrap_per_unit[n]
                fs = f_stock[n]
                obsolete = fs * stock[:, n, K - 1]
                supply = inp.collection[m, n, t] * obsolete + inp.prompt_scrap[n] * prev_total[:, n]
                need = prod[:, sig, rho] * spu[rho]
                if need.sum() > 0:
                    avail = (1 - mu) * supply + mu * supply.sum() * need / need.sum()
                else:
                    avail = supply.copy()
                for p in range(P):
                    if need[p] > avail[p] and spu[rho] > 0:
                        new_rho = avail[p] / spu[rho]
                        shortfall = prod[p, sig, rho] - new_rho
                        prod[p, sig, rho] = new_rho
                        Cap = cap[p, sig].sum(axis=1)
                        others = [r for r in range(R)
                                  if r != rho and inp.substitutable[sig, r] == 1]
                        spare = {r: max(0.0, Cap[r] - prod[p, sig, r]) for r in others}
                        tot_spare = sum(spare.values())
                        if tot_spare > 0:
                            moved = min(shortfall, tot_spare)
                            for r in others:
                                prod[p, sig, r] += moved * spare[r] / tot_spare
                    own = prod[p, sig, rho] * spu[rho]
                    other = sum(prod[p, sig, r] * spu[r] for r in range(R) if r != rho)
                    out.scrap_use[m, p, n, t] = own + min(other, max(0.0, avail[p] - own))
                out.scrap_supply[m, :, n, t] = supply
                out.inuse_stock[m, :, n, t] = stock[:, n].sum(axis=1)
                # the stock moves to t+1: aging with f_s, no phase-out, inflow of final production
                for p in range(P):
                    stock[p, n], _ = _age(stock[p, n], fs, 0.0)
                    stock[p, n, 0] += inp.inflow_ratio[n] * prod[p, sig].sum()
            for n in range(N):
                prev_total[:, n] = prod[:, inp.metal_sector[n], :].sum(axis=1)

            # 8.-10. energy, emissions, value added on final production
            for p in range(P):
                for s in range(S):
                    adopted = inp.switch_price[p, s, t]
                    gam = min(1.0, inp.coal_to_gas[p, s, t] + inp.gas_response[m] * adopted)
                    h = inp.hydrogen[p, s, t]
                    eps = min(1.0, inp.electrification[p, s, t] + inp.elec_response[m] * adopted)
                    electrified = 0.0
                    Esec = np.zeros(C)
                    direct = process = captured = 0.0
                    for r in range(R):
                        # 8. energy, with the model discrepancy (not on process CO2)
                        E = prod[p, s, r] * inp.discrepancy[m, p, s, t] * inten[p, s, r]  # (C,)
                        x = gam * E[COAL]
                        E[COAL] -= x
                        E[GAS] += x
                        y = h * E[fossil]
                        E[fossil] -= y
                        E[HYDROGEN] += y.sum()
                        z = eps * E[fossil]
                        E[fossil] -= z
                        E[ELECTRICITY] += inp.elec_ratio[m] * z.sum()
                        electrified += inp.elec_ratio[m] * z.sum()
                        Esec += E
                        # 9. emissions per route
                        d_r = float((E[fossil] * inp.ef[p, s, fossil]).sum())
                        pr_r = prod[p, s, r] * inp.process_ef[p, s, r]
                        direct += d_r
                        process += pr_r
                        captured += inp.capture[p, s, r, t] * (d_r + pr_r)
                    out.final_energy[m, p, s, :, t] = Esec
                    out.electrified[m, p, s, t] = electrified
                    out.co2_direct[m, p, s, t] = direct
                    out.co2_process[m, p, s, t] = process
                    out.co2_captured[m, p, s, t] = captured
                    out.co2_indirect[m, p, s, t] = (
                        (Esec[ELECTRICITY] + inp.h2_power * Esec[HYDROGEN])
                        * inp.grid_ef[m, p, t] * (1.0 - inp.green_power[p, s, t])
                        + Esec[HEAT] * inp.heat_ef)
                    # 10. value added
                    out.value_added[m, p, s, t] = prod[p, s].sum() * inp.va_per_unit[p, s]

            out.demand[m, :, :, t] = D
            out.production[m, :, :, :, t] = prod
            out.capacity[m, :, :, :, t] = cap.sum(axis=3)
    return out
