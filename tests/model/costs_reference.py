"""The cost layer as it was priced in NumPy before the compiled pass (``sim.model.costs`` at
f314e6a), kept only as the reference that the compiled :func:`sim.model.costs.chunk_costs` must
equal bit for bit (tests/model/test_costs_compiled.py) and be timed against
(tests/bench/test_costs_bench.py). Not used by the application."""

from __future__ import annotations

import numpy as np

from sim.core import axes
from sim.core.units import KWH_PER_PJ
from sim.data.costs import T_PER_MT, Costs
from sim.model import pollutants
from sim.model.costs import COST_ITEMS

MWH_PER_PJ = KWH_PER_PJ / 1e3


def annualised(spend: np.ndarray, rate: float, lifetime) -> np.ndarray:
    """(..., T) annuity payments [CNY yr-1] of investments ``spend`` (..., T) [CNY yr-1] made at
    the start of each year: each investment pays rate / (1 − (1 + rate)^−L) of itself at the end
    of the year it is made and of the L − 1 years after (an ordinary annuity: the payments
    discounted to the investment are the investment). ``lifetime`` [yr]: a number or an array broadcasting
    against spend[..., 0]."""
    life = np.round(np.asarray(lifetime, dtype=float))
    crf = rate / (1.0 - (1.0 + rate) ** (-life))
    T = spend.shape[-1]
    # payments in year t: crf x (investments of the years t - L + 1 .. t), from a running sum;
    # the investments of year t - L and before are paid off where L < T (subtracting 0 elsewhere
    # leaves a sum unchanged, bit for bit)
    total = np.cumsum(spend, axis=-1)
    paid = total.copy()
    for L in np.unique(life[life < T]).astype(np.int64):
        mask = np.broadcast_to(life == L, spend.shape[:-1])[..., None]
        paid[..., L:] -= np.where(mask, total[..., :T - L], 0.0)
    paid *= np.broadcast_to(crf, spend.shape[:-1])[..., None]
    return paid


def chunk_costs(costs: Costs, out, prices: np.ndarray, levers: dict, samples: dict,
                ule: np.ndarray | None = None, by_sector: bool = True) -> dict[str, np.ndarray]:
    """:func:`sim.model.costs.chunk_costs` (same arguments, same arrays) in NumPy, as it was."""
    kcap = np.asarray(samples["capital_cost_multiplier"], dtype=float)[:, None, None]  # (M,1,1)
    kprice = np.asarray(samples["energy_price_multiplier"], dtype=float)[:, None, None, None]  # (M,1,1,1)
    rate = costs.discount_rate
    capex = costs.capex[None, None, :, :, None]  # (1,1,S,R,1)
    investment = out.investment * capex
    investment *= kcap[..., None, None]  # (M,P,S,R,T)
    capital = annualised(investment, rate, costs.lifetime[None, None, :, :]).sum(axis=3)
    retrofit = out.retrofit_saving * costs.retrofit_per_pj * kcap[..., None]
    capital += annualised(retrofit, rate, costs.retrofit_lifetime)
    added = np.zeros_like(out.electrified)
    added[..., 1:] = np.maximum(0.0, np.diff(out.electrified, axis=-1))
    capital += annualised(added * costs.electric_per_pj * kcap[..., None], rate,
                          costs.electric_lifetime)
    variable_om = (out.production * costs.var_om[None, None, :, :, None]).sum(axis=3)
    if ule is not None:
        invest, operate = pollutants.ule_cost(out.capacity, out.production, ule)  # (M,P,T)
        steel = axes.SECTORS.index("iron_steel")
        capital[:, :, steel] += annualised(invest * kcap, rate, costs.retrofit_lifetime)
        variable_om[:, :, steel] += operate
    # energy purchases carrier by carrier (a (M,P,S,T) array at a time, not (M,P,S,C,T)): the
    # item adds the carriers in order, as a sum over the carrier axis does
    energy = None
    energy_cost = np.empty(out.final_energy.shape[:2] + out.final_energy.shape[3:])  # (M,P,C,T)
    for c in range(out.final_energy.shape[3]):
        bought = out.final_energy[:, :, :, c] * prices[None, :, :, c]
        bought *= kprice
        energy_cost[:, :, c] = bought.sum(axis=2)
        energy = bought if energy is None else energy + bought
    elec = out.final_energy[:, :, :, axes.CARRIERS.index("electricity")]  # (M,P,S,T) PJ
    activity = out.production.sum(axis=3)
    above = np.maximum(0.0, elec - costs.surcharge_benchmark[None, None, :, None] * activity)
    emitted = out.co2_direct + out.co2_process - out.co2_captured  # Mt
    free = levers["carbon_free_allocation"][None] * costs.benchmark_co2[None, None, :, None] * activity
    items = dict(
        capital=lambda: capital,
        fixed_om=lambda: (out.capacity * costs.fixed_om[None, None, :, :, None]).sum(axis=3),
        variable_om=lambda: variable_om,
        energy=lambda: energy,
        power_surcharges=lambda: (levers["electricity_surcharge"][None] * KWH_PER_PJ * above
                                  + levers["green_power_premium"][None] * MWH_PER_PJ * elec
                                  * levers["green_power"][None]),
        carbon=lambda: levers["carbon_price"][None] * T_PER_MT * (emitted - free),
        ccus=lambda: out.co2_captured * T_PER_MT * costs.ccus_per_t,
    )
    shape = capital.shape  # (M,P,S,T)
    by_item = np.empty(shape[:2] + (len(COST_ITEMS),) + shape[3:])
    cost = np.empty(shape[:3] + (len(COST_ITEMS),) + shape[3:]) if by_sector else None
    for k, name in enumerate(COST_ITEMS):
        item = np.broadcast_to(items[name](), shape)
        by_item[:, :, k] = item.sum(axis=2)
        if cost is not None:
            cost[:, :, :, k] = item
    parts = dict(investment_cost=investment, cost_by_item=by_item, energy_cost=energy_cost)
    if cost is not None:
        parts["cost"] = cost
    return parts
