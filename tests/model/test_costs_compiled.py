"""The compiled cost layer (``sim.model.costs.chunk_costs``, one Numba pass per member, province and
sector) against the NumPy formulation it replaced (tests/model/costs_reference.py): every array
the same bit for bit (compared as 64-bit patterns, so −0.0 against 0.0 and nan payloads count),
for the national scenario and Anhui, several seeds, with and without carbon prices and the other
outside levers, ULE and the by-sector array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model import costs as cost_model
from sim.model import pollutants
from sim.model import run as model
from sim.model.kernel import simulate
from sim.scenario import load_scenario
from tests.model import costs_reference

REPO = Path(__file__).resolve().parents[2]
MEMBERS = 6


def _same_bits(got: np.ndarray, want: np.ndarray, name: str) -> None:
    assert got.shape == want.shape, name
    assert got.dtype == want.dtype == np.float64, name
    differ = got.view(np.uint64) != want.view(np.uint64)
    assert not differ.any(), (f"{name}: {int(differ.sum())} of {differ.size} values differ, e.g. "
                              f"{got[differ][:3]} against {want[differ][:3]}")


def _case(name: str, seed: int):
    prep = model.prepare(load_scenario(REPO / "scenarios" / f"{name}.toml"), members=MEMBERS,
                         seed=seed)
    out = simulate(model.kernel_inputs(prep, 0, MEMBERS))
    levers = dict(prep.outside, carbon_price=prep.shared["carbon_price"],
                  green_power=prep.shared["green_power"])
    return prep, out, levers


def _priced_levers(levers: dict, rng: np.random.Generator) -> dict:
    """The scenario's levers with a carbon price, free allocation, surcharge, green-power premium
    and share drawn at random in every province, sector and year (zero in some)."""
    shape = np.shape(levers["carbon_price"])
    drawn = dict(levers)
    for lever, high in [("carbon_price", 400.0), ("carbon_free_allocation", 1.0),
                        ("electricity_surcharge", 0.3), ("green_power_premium", 60.0),
                        ("green_power", 1.0)]:
        drawn[lever] = rng.uniform(0.0, high, shape) * (rng.random(shape) > 0.2)
    return drawn


@pytest.mark.parametrize("name,seed", [("anhui", 1), ("anhui", 7), ("national", 3), ("national", 11)])
def test_compiled_costs_equal_the_numpy_formulation_bit_for_bit(name, seed):
    prep, out, levers = _case(name, seed)
    rng = np.random.default_rng(seed)
    smp = {k: v[:MEMBERS] for k, v in prep.samples.items()}
    if "capital_cost_multiplier" not in smp:  # the scenario does not sample them: draw them
        smp["capital_cost_multiplier"] = rng.uniform(0.7, 1.4, MEMBERS)
    if "energy_price_multiplier" not in smp:
        smp["energy_price_multiplier"] = rng.uniform(0.7, 1.4, MEMBERS)
    ule_scenario = pollutants.ule_share(prep.outside["ultra_low_emission"], prep.years)
    ule_drawn = np.maximum.accumulate(rng.random(ule_scenario.shape), axis=-1)  # rising shares
    checked = 0
    for lever_set in (levers, _priced_levers(levers, rng)):
        for ule in (None, ule_scenario, ule_drawn):
            for by_sector in (True, False):
                got = cost_model.chunk_costs(prep.costs, out, prep.prices, lever_set, smp, ule,
                                             by_sector=by_sector)
                want = costs_reference.chunk_costs(prep.costs, out, prep.prices, lever_set, smp,
                                                   ule, by_sector=by_sector)
                assert got.keys() == want.keys()
                for key in want:
                    _same_bits(got[key], want[key], key)
                    checked += 1
    assert checked == 2 * 3 * (4 + 3)
    # the drawn levers price carbon and power somewhere: the comparison is not of zeros
    priced = cost_model.chunk_costs(prep.costs, out, prep.prices, _priced_levers(levers, rng), smp,
                                    ule_drawn)["cost"]
    for k, item in enumerate(cost_model.COST_ITEMS):
        if item != "ccus":  # captures only where the scenario builds CCUS
            assert np.abs(priced[:, :, :, k]).max() > 0, item


def test_annuities_equal_the_numpy_formulation_bit_for_bit():
    """``annualised`` (the compiled running sum) against the NumPy one, lifetimes of 1 .. 30
    years, rounded from fractions, and as one number."""
    rng = np.random.default_rng(5)
    spend = rng.random((3, 4, 5, 17)) * (rng.random((3, 4, 5, 17)) > 0.3)
    life = rng.uniform(0.6, 20.4, (1, 4, 5))
    for lifetime in (life, 3.0, 17.0, 30.0, np.arange(1.0, 21.0).reshape(4, 5)):
        _same_bits(cost_model.annualised(spend, 0.08, lifetime),
                   costs_reference.annualised(spend, 0.08, lifetime), f"lifetime {lifetime}")
