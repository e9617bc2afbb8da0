"""What a run costs (DESIGN §11): capital, O&M, energy, carbon and CCUS costs of every member,
from the kernel's physical outputs and the cost tables (``sim.data.costs``), in constant 2019 CNY.

Per member, province, sector and year [CNY yr-1]:

* ``investment_cost`` by route: new capacity (kernel ``investment``) x its capital cost;
* ``cost`` by item (:data:`COST_ITEMS`), the annualised cost of the year:
  ``capital``: the annuities (capital recovery factor at the discount rate over the economic
  lifetime) of every investment made since the base year, for new capacity, efficiency retrofits
  (kernel ``retrofit_saving`` [PJ yr-1] x capital per PJ yr-1 saved) and electrification
  equipment (the year's rise of kernel ``electrified`` [PJ yr-1] x capital per PJ yr-1); the
  capital of the base year's stock is sunk and not counted, so costs compare scenarios, not
  industries; ``fixed_om`` (capacity x fixed O&M), ``variable_om`` (production x non-energy
  variable O&M); ``energy`` (final energy x price of the carrier, province and year);
  ``power_surcharges`` (the differentiated / tiered surcharge on electricity above the benchmark
  use, and the green-power premium on the contracted green share); ``carbon`` (carbon price x
  (direct + process − captured CO2 − free allocation), negative where allowances are sold);
  ``ccus`` (captured CO2 x levelised cost of capture, transport and storage);
* ``energy_cost`` by carrier (summed over sectors);
* ``total_cost`` per region and its present value ``discounted_cost`` over
  :data:`DISCOUNT_WINDOW` at the discount rate, discounted to the window's first year.

The uncertain ``capital_cost_multiplier`` and ``energy_price_multiplier`` scale capital and
energy prices per member; they do not touch the physical results.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.core import axes
from sim.core.units import KWH_PER_PJ
from sim.data.costs import T_PER_MT, Costs
from sim.model import pollutants

COST_ITEMS = ("capital", "fixed_om", "variable_om", "energy", "power_surcharges", "carbon", "ccus")
"""The items of the annualised cost (module docstring), the ``cost_item`` axis of result files."""
DISCOUNT_WINDOW = (2025, 2035)
"""Years whose costs ``discounted_cost`` adds up (the planning period of the targets)."""
MWH_PER_PJ = KWH_PER_PJ / 1e3


_JIT = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")
"""As the kernel's (``kernels/stock_flow.py``): no ``fastmath``, so every sum and product is the
one the NumPy formulation made, bit for bit; the "numpy" error model (a division by zero gives
inf or nan, never raises)."""


def _recovery_factor(rate: float, lifetime) -> tuple[np.ndarray, np.ndarray]:
    """The capital recovery factor rate / (1 − (1 + rate)^−L) [yr-1] and the lifetime L rounded to
    whole years [yr] of ``lifetime`` (a number or an array), each an array of its shape."""
    life = np.round(np.asarray(lifetime, dtype=float))
    return rate / (1.0 - (1.0 + rate) ** (-life)), life


def _years_paid(life: np.ndarray, T: int) -> np.ndarray:
    """``life`` [yr] as whole years for :func:`_annuity`: T where an investment is still paid in the
    last year (not less than T years, or not a number)."""
    return np.where(life < T, life, T).astype(np.int64)


@njit(**_JIT)
def _annuity(spend, crf, L, total, paid):
    """``paid`` (T,) [CNY yr-1]: the annuities of investments ``spend`` (T,) (:func:`annualised`)
    at recovery factor ``crf`` over L whole years; ``total`` (T,) is scratch. The running sum
    adds the years in order from the first (as ``np.cumsum``) and the investments of year t − L
    and before are taken out of it where L < T."""
    T = spend.shape[0]
    run = spend[0]
    total[0] = run
    for t in range(1, T):
        run = run + spend[t]
        total[t] = run
    for t in range(T):
        v = total[t]
        if t >= L:
            v = v - total[t - L]
        paid[t] = v * crf


@njit(**_JIT)
def _annualise_rows(spend, crf, L, paid):
    """:func:`_annuity` of each row of ``spend`` (N,T) into ``paid`` (N,T)."""
    total = np.empty(spend.shape[1])
    for i in range(spend.shape[0]):
        _annuity(spend[i], crf[i], L[i], total, paid[i])


def annualised(spend: np.ndarray, rate: float, lifetime) -> np.ndarray:
    """(..., T) annuity payments [CNY yr-1] of investments ``spend`` (..., T) [CNY yr-1] made at
    the start of each year: each investment pays rate / (1 − (1 + rate)^−L) of itself at the end
    of the year it is made and of the L − 1 years after (an ordinary annuity: the payments
    discounted to the investment are the investment). ``lifetime`` [yr]: a number or an array broadcasting
    against spend[..., 0]."""
    spend = np.asarray(spend, dtype=float)
    crf, life = _recovery_factor(rate, lifetime)
    lead, T = spend.shape[:-1], spend.shape[-1]
    rows = np.ascontiguousarray(spend).reshape(-1, T)
    paid = np.empty_like(rows)
    _annualise_rows(rows, np.ascontiguousarray(np.broadcast_to(crf, lead)).reshape(-1),
                    np.ascontiguousarray(np.broadcast_to(_years_paid(life, T), lead)).reshape(-1),
                    paid)
    return paid.reshape(spend.shape)


@njit(inline="always", **_JIT)
def _above_zero(x):
    """np.maximum(0.0, x) of one number: 0.0 where x <= 0 (also for −0.0), nan where x is nan."""
    if x > 0.0 or x != x:
        return x
    return 0.0


@njit(**_JIT)
def _price(investment, capacity, production, retrofit_saving, electrified, final_energy,
           co2_direct, co2_process, co2_captured, prices, kcap, kprice,
           capex, fixed_om, var_om, route_crf, route_life,
           retrofit_per_pj, retrofit_crf, retrofit_life, electric_per_pj, electric_crf,
           electric_life, ule_spend, ule_operate, steel, has_ule,
           electricity, surcharge_benchmark, free_per_unit, surcharge, premium, green_power,
           carbon_price, t_per_mt, ccus_per_t,
           investment_cost, by_item, energy_cost, cost, by_sector):
    """:func:`chunk_costs` in one pass per member, province and sector: every product and sum in
    the order of its NumPy formulation (a * b * c as (a * b) * c; sums over routes, carriers and
    sectors from the first in order, as NumPy's sums over an axis that is not the last), so the
    results are the same bit for bit. Lever arrays (P,S,T) come multiplied by their unit factors
    (``surcharge`` x KWH_PER_PJ, ``premium`` x MWH_PER_PJ, ``carbon_price`` x T_PER_MT) and
    ``free_per_unit`` is the free allocation x the sector's benchmark [Mt per activity unit]."""
    M, P, S, R, T = investment.shape
    C = final_energy.shape[3]
    spend = np.empty(T)
    total = np.empty(T)
    paid = np.empty(T)
    capital = np.empty(T)
    fixed = np.empty(T)
    variable = np.empty(T)
    energy = np.empty(T)
    activity = np.empty(T)
    for m in range(M):
        kc = kcap[m]
        kp = kprice[m]
        for p in range(P):
            for s in range(S):
                for r in range(R):
                    cx = capex[s, r]
                    for t in range(T):
                        v = investment[m, p, s, r, t] * cx * kc
                        investment_cost[m, p, s, r, t] = v
                        spend[t] = v
                    _annuity(spend, route_crf[s, r], route_life[s, r], total, paid)
                    fo = fixed_om[s, r]
                    vo = var_om[s, r]
                    for t in range(T):
                        made = production[m, p, s, r, t]
                        if r == 0:
                            capital[t] = paid[t]
                            fixed[t] = capacity[m, p, s, r, t] * fo
                            variable[t] = made * vo
                            activity[t] = made
                        else:
                            capital[t] += paid[t]
                            fixed[t] += capacity[m, p, s, r, t] * fo
                            variable[t] += made * vo
                            activity[t] += made
                for t in range(T):
                    spend[t] = retrofit_saving[m, p, s, t] * retrofit_per_pj * kc
                _annuity(spend, retrofit_crf, retrofit_life, total, paid)
                for t in range(T):
                    capital[t] += paid[t]
                spend[0] = 0.0 * electric_per_pj * kc
                for t in range(1, T):
                    rise = _above_zero(electrified[m, p, s, t] - electrified[m, p, s, t - 1])
                    spend[t] = rise * electric_per_pj * kc
                _annuity(spend, electric_crf, electric_life, total, paid)
                for t in range(T):
                    capital[t] += paid[t]
                if has_ule and s == steel:
                    _annuity(ule_spend[m, p], retrofit_crf, retrofit_life, total, paid)
                    for t in range(T):
                        capital[t] += paid[t]
                        variable[t] += ule_operate[m, p, t]
                for c in range(C):
                    for t in range(T):
                        bought = final_energy[m, p, s, c, t] * prices[p, s, c, t] * kp
                        if s == 0:
                            energy_cost[m, p, c, t] = bought
                        else:
                            energy_cost[m, p, c, t] += bought
                        if c == 0:
                            energy[t] = bought
                        else:
                            energy[t] = energy[t] + bought
                for t in range(T):
                    elec = final_energy[m, p, s, electricity, t]
                    above = _above_zero(elec - surcharge_benchmark[s] * activity[t])
                    emitted = co2_direct[m, p, s, t] + co2_process[m, p, s, t] - co2_captured[m, p, s, t]
                    free = free_per_unit[p, s, t] * activity[t]
                    power = (surcharge[p, s, t] * above
                             + premium[p, s, t] * elec * green_power[p, s, t])
                    carbon = carbon_price[p, s, t] * (emitted - free)
                    ccus = co2_captured[m, p, s, t] * t_per_mt * ccus_per_t
                    for k, item in enumerate((capital[t], fixed[t], variable[t], energy[t],
                                              power, carbon, ccus)):
                        if s == 0:
                            by_item[m, p, k, t] = item
                        else:
                            by_item[m, p, k, t] += item
                        if by_sector:
                            cost[m, p, s, k, t] = item


def _lever(levers: dict, name: str, shape: tuple) -> np.ndarray:
    """Lever ``name`` as a (P,S,T) float64 array."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(levers[name], dtype=float), shape))


def chunk_costs(costs: Costs, out, prices: np.ndarray, levers: dict, samples: dict,
                ule: np.ndarray | None = None, by_sector: bool = True) -> dict[str, np.ndarray]:
    """The cost arrays of one chunk (module docstring).

    ``out`` (KernelOutputs) of the chunk; ``prices`` (P,S,C,T) [CNY PJ-1] of the chunk's
    provinces; ``levers``: (P,S,T) trajectories ``carbon_price`` [CNY t-1],
    ``carbon_free_allocation`` [1], ``electricity_surcharge`` [CNY kWh-1], ``green_power_premium``
    [CNY MWh-1], ``green_power`` [1]; ``samples``: the chunk's ``capital_cost_multiplier`` and
    ``energy_price_multiplier`` (M,); ``ule`` (P,S,T) [1]: the ultra-low-emission shares, whose
    steel retrofits add to iron & steel's capital and variable O&M
    (``sim.model.pollutants.ule_cost``, annualised over an efficiency retrofit's lifetime).
    Returns ``investment_cost`` (M,P,S,R,T) by route position, ``cost_by_item`` (M,P,K,T) by
    :data:`COST_ITEMS` summed over sectors, ``energy_cost`` (M,P,C,T) by carrier summed over
    sectors and, with
    ``by_sector``, ``cost`` (M,P,S,K,T) by item [CNY yr-1]. Priced in one compiled pass per
    member, province and sector (:func:`_price`), the items of a sector added to the sums as
    they are priced."""
    M, P, S, R, T = out.investment.shape
    C = out.final_energy.shape[3]
    kcap = np.ascontiguousarray(samples["capital_cost_multiplier"], dtype=float)  # (M,)
    kprice = np.ascontiguousarray(samples["energy_price_multiplier"], dtype=float)  # (M,)
    rate = costs.discount_rate
    route_crf, route_life = _recovery_factor(rate, costs.lifetime)
    retrofit_crf, retrofit_life = _recovery_factor(rate, costs.retrofit_lifetime)
    electric_crf, electric_life = _recovery_factor(rate, costs.electric_lifetime)
    steel = axes.SECTORS.index("iron_steel")
    if ule is not None:
        invest, ule_operate = pollutants.ule_cost(out.capacity, out.production, ule)  # (M,P,T)
        ule_spend = np.ascontiguousarray(invest * kcap[:, None, None])
        ule_operate = np.ascontiguousarray(ule_operate, dtype=float)
    else:
        ule_spend = ule_operate = np.zeros((M, P, T))
    pst = (P, S, T)
    free_per_unit = _lever(levers, "carbon_free_allocation", pst) * costs.benchmark_co2[None, :, None]
    investment = np.empty((M, P, S, R, T))
    by_item = np.empty((M, P, len(COST_ITEMS), T))
    energy_cost = np.empty((M, P, C, T))
    cost = np.empty((M, P, S, len(COST_ITEMS), T) if by_sector else (0, 0, 0, 0, 0))
    _price(out.investment, out.capacity, out.production, out.retrofit_saving, out.electrified,
           out.final_energy, out.co2_direct, out.co2_process, out.co2_captured,
           np.ascontiguousarray(prices, dtype=float), kcap, kprice,
           np.ascontiguousarray(costs.capex, dtype=float),
           np.ascontiguousarray(costs.fixed_om, dtype=float),
           np.ascontiguousarray(costs.var_om, dtype=float),
           np.ascontiguousarray(route_crf), _years_paid(route_life, T),
           float(costs.retrofit_per_pj), float(retrofit_crf), int(_years_paid(retrofit_life, T)),
           float(costs.electric_per_pj), float(electric_crf), int(_years_paid(electric_life, T)),
           ule_spend, ule_operate, steel, ule is not None,
           axes.CARRIERS.index("electricity"),
           np.ascontiguousarray(costs.surcharge_benchmark, dtype=float), free_per_unit,
           _lever(levers, "electricity_surcharge", pst) * KWH_PER_PJ,
           _lever(levers, "green_power_premium", pst) * MWH_PER_PJ,
           _lever(levers, "green_power", pst),
           _lever(levers, "carbon_price", pst) * T_PER_MT,
           float(T_PER_MT), float(costs.ccus_per_t),
           investment, by_item, energy_cost, cost, by_sector)
    parts = dict(investment_cost=investment, cost_by_item=by_item, energy_cost=energy_cost)
    if by_sector:
        parts["cost"] = cost
    return parts


def discounted(total: np.ndarray, years: np.ndarray, rate: float,
               window: tuple[int, int] = DISCOUNT_WINDOW) -> np.ndarray:
    """(...,) present value [CNY] at the window's first year of annual costs ``total`` (..., T)
    [CNY yr-1] over the ``window`` years (inclusive) that ``years`` holds."""
    years = np.asarray(years)
    inside = (years >= window[0]) & (years <= window[1])
    factor = np.where(inside, (1.0 + rate) ** -(years - window[0]).astype(float), 0.0)
    return (total * factor).sum(axis=-1)
