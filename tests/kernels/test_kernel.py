"""The Numba kernel against the NumPy reference, hand-computed cases and invariants (SPEC.md).

The kernel is imported unconditionally: if ``kernels.stock_flow`` is missing or broken this module
fails to collect (no silent skip).
"""

from __future__ import annotations

import copy
from dataclasses import fields, replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from kernels.arrays import LETTER_SOURCES, KernelInputs, KernelOutputs, check_inputs, group_fields
from kernels.stock_flow import simulate as kernel_simulate
from kernels.stock_flow import simulate_into
from tests.helpers.kernel_cases import kernel_inputs, neutral_inputs, random_inputs
from tests.helpers.reference import reference_simulate

IMPLS = {"kernel": kernel_simulate, "reference": reference_simulate}
impls = pytest.mark.parametrize("sim", list(IMPLS.values()), ids=list(IMPLS))

OUTPUT_NAMES = [f.name for f in fields(KernelOutputs)]
HYP = settings(max_examples=100, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def run(sim, inp: KernelInputs) -> KernelOutputs:
    out = sim(inp)
    assert isinstance(out, KernelOutputs)
    return out


def assert_same(a: KernelOutputs, b: KernelOutputs, rtol=1e-9, atol_rel=1e-12):
    """Every output of ``a`` (kernel) equals ``b`` (reference): rtol, atol = 1e-12 x scale."""
    for name in OUTPUT_NAMES:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        assert np.all(np.isfinite(x)), name
        scale = max(1.0, float(np.abs(y).max())) if y.size else 1.0
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol_rel * scale, err_msg=name)


# ================================================================================================
# kernel == reference
# ================================================================================================
FIXED = [
    # seed, M, P, S, T, K, N, lever_prob, market
    (0, 1, 1, 1, 5, 1, 1, 0.0, "zero"),
    (1, 2, 3, 2, 10, 2, 2, 0.5, "mixed"),
    (2, 3, 5, 4, 17, 4, 2, 1.0, "mixed"),
    (3, 2, 4, 3, 12, 1, 2, 1.0, "zero"),
    (4, 1, 5, 4, 17, 4, 2, 0.5, "zero"),
    (5, 2, 2, 4, 17, 2, 2, 1.0, "one"),
    (6, 4, 5, 4, 17, 4, 2, 1.0, "mixed"),
    (7, 2, 3, 4, 1, 4, 2, 1.0, "mixed"),  # base year only
]


@pytest.mark.parametrize("case", FIXED, ids=[f"seed{c[0]}" for c in FIXED])
def test_kernel_matches_reference_fixed(case):
    seed, M, P, S, T, K, N, lever_prob, market = case
    inp = random_inputs(np.random.default_rng(seed), M, P, S, T, K, N, lever_prob=lever_prob,
                        scrap_market=market)
    assert_same(run(kernel_simulate, inp), run(reference_simulate, inp))


def test_kernel_matches_reference_neutral():
    inp = neutral_inputs(M=2, P=3, S=3, T=12, K=4, N=2)
    assert_same(run(kernel_simulate, inp), run(reference_simulate, inp))


@HYP
@given(inp=kernel_inputs())
def test_kernel_matches_reference_hypothesis(inp):
    assert_same(run(kernel_simulate, inp), run(reference_simulate, inp))


def test_kernel_leaves_inputs_unchanged_and_members_independent():
    inp = random_inputs(np.random.default_rng(11), 3, 3, 3, 9, 4, 2, lever_prob=1.0)
    before = copy.deepcopy(inp)
    out = run(kernel_simulate, inp)
    for f in fields(KernelInputs):
        np.testing.assert_array_equal(getattr(inp, f.name), getattr(before, f.name), f.name)
    # a member's results do not depend on the other members
    for m in range(3):
        one = run(kernel_simulate, inp.member_slice(m, m + 1))
        for name in OUTPUT_NAMES:
            np.testing.assert_allclose(getattr(one, name)[0], getattr(out, name)[m],
                                       rtol=1e-12, atol=1e-12, err_msg=name)


# ================================================================================================
# hand-computed cases
# ================================================================================================
def chain_matrix(K: int, f: float, phi: float = 0.0) -> np.ndarray:
    """The K x K aging matrix of SPEC step 2, written out row by row."""
    if K == 1:
        return np.array([[1.0 - min(1.0, f + phi)]])
    if K == 2:
        return np.array([[1.0 - f, 0.0],
                         [f, 1.0 - min(1.0, f + phi)]])
    if K == 3:
        return np.array([[1.0 - f, 0.0, 0.0],
                         [f, 1.0 - f, 0.0],
                         [0.0, f, 1.0 - min(1.0, f + phi)]])
    if K == 4:
        return np.array([[1.0 - f, 0.0, 0.0, 0.0],
                         [f, 1.0 - f, 0.0, 0.0],
                         [0.0, f, 1.0 - f, 0.0],
                         [0.0, 0.0, f, 1.0 - min(1.0, f + phi)]])
    raise ValueError(K)


# (a) ---------------------------------------------------------------------------------------------
@impls
@pytest.mark.parametrize("K", [1, 4])
def test_neutral_case_is_constant(sim, K):
    inp = neutral_inputs(M=2, P=2, S=2, T=15, K=K, N=1, lifetime=20.0)
    out = run(sim, inp)
    for name in ["demand", "capacity", "production", "final_energy", "value_added", "co2_direct",
                 "co2_process", "co2_indirect", "co2_captured"]:
        a = getattr(out, name)
        np.testing.assert_allclose(a, np.broadcast_to(a[..., :1], a.shape), rtol=1e-12,
                                   atol=1e-12 * max(1.0, np.abs(a).max()), err_msg=name)
    # base values by hand: capacity = K x stage size, production = capacity x util
    stage = np.array([60.0, 30.0, 0.0])  # province 0, sector 0
    np.testing.assert_allclose(out.capacity[:, 0, 0, :, :], (K * stage)[None, :, None]
                               * np.ones((2, 1, 15)), rtol=1e-12)
    np.testing.assert_allclose(out.production[:, 0, 0, :, 0], np.tile(0.85 * K * stage, (2, 1)),
                               rtol=1e-12)
    # the replacement equals the retirement: f x stage size per route, f = K / lifetime
    f = K / 20.0
    np.testing.assert_allclose(out.retirement[0, 0, 0, :, 1:], (f * stage)[:, None]
                               * np.ones(14), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.investment[:, :, :, :, 1:], out.retirement[:, :, :, :, 1:],
                               rtol=1e-9, atol=1e-9)
    # in-use stock: aging chain with constant inflow u = inflow_ratio x production of sector 0
    fs = min(1.0, K / 30.0)
    for p in range(2):
        u = 0.9 * out.production[0, p, 0, :, 0].sum()
        s0 = inp.stock0[p, 0].copy()
        if K == 1:
            expected = u / fs + (s0[0] - u / fs) * (1.0 - fs) ** np.arange(15)
        else:
            A = chain_matrix(K, fs)
            e0 = np.zeros(K)
            e0[0] = u
            s, expected = s0, []
            for _ in range(15):
                expected.append(s.sum())
                s = A @ s + e0
            expected = np.array(expected)
        for m in range(2):
            np.testing.assert_allclose(out.inuse_stock[m, p, 0], expected, rtol=1e-12)


# (b) ---------------------------------------------------------------------------------------------
@impls
@pytest.mark.parametrize("K, lifetime, phi", [(1, 20.0, 0.0), (1, 12.5, 0.1), (3, 20.0, 0.1),
                                              (4, 30.0, 0.05), (2, 1.5, 0.0)])
def test_pure_retirement_follows_aging_chain(sim, K, lifetime, phi):
    T = 12
    inp = neutral_inputs(M=1, P=2, S=2, T=T, K=K, N=1, lifetime=min(lifetime, 1e9))
    cap0 = np.zeros_like(inp.cap0)
    cap0[...] = (10.0 * (1 + np.arange(K)))[None, None, None, :] * np.array([1.0, 2.0, 0.5])[
        None, None, :, None]
    inp = replace(inp, cap0=cap0, growth=inp.growth.copy(), phase_out=inp.phase_out.copy())
    inp.growth[:, :, :, 1] = -1.0  # demand 0 from t = 1 on
    inp.phase_out[:, :, 1:] = phi
    out = run(sim, inp)
    f = min(1.0, K / lifetime)
    A = chain_matrix(K, f, phi)
    np.testing.assert_array_equal(out.demand[..., 1:], 0.0)
    np.testing.assert_array_equal(out.investment, 0.0)
    np.testing.assert_array_equal(out.production[..., 1:], 0.0)
    for r in range(3):
        c = cap0[0, 0, r]
        expected_cap = [np.linalg.matrix_power(A, t) @ c for t in range(T)]
        np.testing.assert_allclose(out.capacity[0, 0, 0, r], [x.sum() for x in expected_cap],
                                   rtol=1e-12, atol=1e-12)
        expected_ret = [0.0] + [min(1.0, f + phi) * x[K - 1] for x in expected_cap[:-1]]
        np.testing.assert_allclose(out.retirement[0, 0, 0, r], expected_ret, rtol=1e-12,
                                   atol=1e-12)
        if K == 1:
            np.testing.assert_allclose(out.capacity[0, 0, 0, r],
                                       c[0] * (1.0 - min(1.0, f + phi)) ** np.arange(T),
                                       rtol=1e-12, atol=1e-12)


# (c) ---------------------------------------------------------------------------------------------
@impls
@pytest.mark.parametrize("seed", [21, 22, 23])
def test_floor_already_met_changes_nothing(sim, seed):
    inp = random_inputs(np.random.default_rng(seed), 1, 4, 4, 14, 4, 2, lever_prob=1.0)
    inp = replace(inp, share_floor=np.zeros_like(inp.share_floor))
    base = run(sim, inp)
    # shares within the substitutable routes of the floor-free run (= the default split's shares)
    sub = inp.substitutable.astype(bool)
    cap = base.capacity[0]  # (P,S,R,T)
    tot = (cap * sub[None, :, :, None]).sum(axis=2, keepdims=True)
    share = np.divide(cap, tot, out=np.zeros_like(cap), where=tot > 0) * sub[None, :, :, None]
    floor = 0.9 * share
    assert floor[..., 1:].max() > 0.1
    out = run(sim, replace(inp, share_floor=floor))
    for name in OUTPUT_NAMES:
        np.testing.assert_array_equal(getattr(out, name), getattr(base, name), err_msg=name)


# (d) ---------------------------------------------------------------------------------------------
@impls
def test_floor_above_share_raises_it_at_turnover_speed(sim):
    T = 17
    inp = neutral_inputs(M=1, P=1, S=1, T=T, K=4, N=0, lifetime=20.0)  # routes [60,30,0] per stage
    floor = np.zeros_like(inp.share_floor)
    floor[0, 0, 1, 1:] = 0.6  # EAF-like route 1: default share 1/3
    out = run(sim, replace(inp, share_floor=floor))
    cap, inv = out.capacity[0, 0, 0], out.investment[0, 0, 0]  # (R,T)
    C_new = cap[0] + cap[1]
    share = cap[1] / C_new
    # t = 1 by hand: f = 0.2, Cs = 3.8 x [60,30,0] = [228,114,0], I = 0.2 x 90 = 18, C_new = 360,
    # need_1 = 0.6 x 360 - 114 = 102 > 18: all new build goes to route 1
    np.testing.assert_allclose(inv[:, 1], [0.0, 18.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(share[1], 132.0 / 360.0, rtol=1e-12)
    np.testing.assert_allclose(share[0], 1.0 / 3.0, rtol=1e-12)
    np.testing.assert_allclose(C_new, 360.0, rtol=1e-12)  # total capacity kept
    I_sub = inv[0] + inv[1]
    Cs1 = cap[1] - inv[1]
    for t in range(1, T):
        # never faster than turnover: at most all of this year's new build goes to route 1
        assert share[t] <= (Cs1[t] + I_sub[t]) / C_new[t] + 1e-12
        assert share[t] >= share[t - 1] - 1e-12
        if share[t] < 0.6 - 1e-9:  # floor not reached: nothing is built for route 0
            assert inv[0, t] <= 1e-12
    assert share[1] < 0.6 - 0.1  # not instantaneous
    assert share[-1] >= 0.6 - 1e-9  # but reached within the horizon


@impls
def test_zero_growth_replaces_like_for_like(sim):
    """Routes of different ages retire at different rates; with zero growth and no floors every
    route's capacity is restored each year (replacement is like-for-like), so nothing drifts."""
    T, K = 12, 4
    inp = neutral_inputs(M=1, P=1, S=1, T=T, K=K, N=0, lifetime=20.0)
    cap0 = np.zeros((1, 1, 3, K))
    cap0[0, 0, 0] = [5.0, 10.0, 15.0, 30.0]  # old route: half its capacity in the last stage
    cap0[0, 0, 1] = [20.0, 5.0, 3.0, 2.0]  # young route
    out = run(sim, replace(inp, cap0=cap0))
    cap = out.capacity[0, 0, 0]  # (R,T)
    np.testing.assert_allclose(cap, cap0.sum(axis=-1)[0, 0][:, None] * np.ones(T), rtol=1e-12)
    # year 1 by hand: f = 4/20 = 0.2, retirement 0.2 x [30, 2] = [6, 0.4] is rebuilt route by route
    np.testing.assert_allclose(out.investment[0, 0, 0, :2, 1], [6.0, 0.4], rtol=1e-12)
    np.testing.assert_allclose(out.production[0, 0, 0, :, -1], out.production[0, 0, 0, :, 0],
                               rtol=1e-12)


def floor_case(floor1: float, floor2: float) -> KernelInputs:
    """K = 1, lifetime 20 (f = 0.05), util 1, no growth, routes [50, 30, 20] all substitutable.

    Year 1: Cs = [47.5, 28.5, 19], I = 5 (= the retirement), C_new = 100, w~ = [0.5, 0.3, 0.2].
    """
    inp = neutral_inputs(M=1, P=1, S=1, T=2, K=1, N=0, lifetime=20.0)
    floor = np.zeros((1, 1, 3, 2))
    floor[0, 0, 1, :], floor[0, 0, 2, :] = floor1, floor2
    return replace(inp, cap0=np.array([50.0, 30.0, 20.0]).reshape(1, 1, 3, 1),
                   util=np.ones((1, 1)), substitutable=np.array([[1, 1, 1]]), share_floor=floor)


@impls
@pytest.mark.parametrize("floors, expected", [
    # A = {1, 2}, needs 4.5 + 3 >= 5: split in proportion to need
    ((0.33, 0.22), [0.0, 3.0, 2.0]),
    # A = {1}, need 2.5 < 5: route 1 gets it, the other 2.5 goes to routes 0, 2 by w~ (47.5 : 19)
    ((0.31, 0.10), [2.5 * 47.5 / 66.5, 2.5, 2.5 * 19.0 / 66.5]),
    # A = {1} first (16.5 >= 5 takes everything), but route 2 would then get 0 < need_2 = 1, so it
    # joins A: split by need, 5 x [16.5, 1] / 17.5. Just below and just above the old tie
    # need_2 == I_sub * w~_2 the split is the same (no jump).
    ((0.45, 0.2 - 1e-9), [0.0, 5.0 * 16.5 / 17.5, 5.0 / 17.5]),
    ((0.45, 0.2 + 1e-9), [0.0, 5.0 * 16.5 / 17.5, 5.0 / 17.5]),
    # A = {1} (need 3.5 > 1.5), the remainder 1.5 goes to routes 0, 2 by w~: route 2 gets
    # 1.5 x 0.2 / 0.7 = 0.43 < need_2 = 0.6 (floor 0.196), so it joins A: routes 1, 2 get their
    # needs 3.5 and 0.6, route 0 the rest 0.9
    ((0.32, 0.196), [0.9, 3.5, 0.6]),
])
def test_floor_split_hand_computed(sim, floors, expected):
    out = run(sim, floor_case(*floors))
    np.testing.assert_allclose(out.investment[0, 0, 0, :, 1], expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(out.capacity[0, 0, 0, :, 1].sum(), 100.0, rtol=1e-12)


# (e) ---------------------------------------------------------------------------------------------
@impls
def test_coal_to_gas_hand_computed(sim):
    inp = neutral_inputs(M=1, P=1, S=1, T=2, K=1, N=0)
    # Cap = [60, 30, 0], util 0.85: production [51, 25.5, 0]; route 0 coal 10, oil 1, gas 2;
    # route 1 0.1 of each fossil carrier
    base = run(sim, inp)
    gam = np.full_like(inp.coal_to_gas, 0.3)
    out = run(sim, replace(inp, coal_to_gas=gam))
    for t in range(2):
        fe0, fe = base.final_energy[0, 0, 0, :, t], out.final_energy[0, 0, 0, :, t]
        np.testing.assert_allclose(fe0[[0, 1, 2]], [512.55, 53.55, 104.55], rtol=1e-12)
        np.testing.assert_allclose(fe[0], 358.785, rtol=1e-12)  # 512.55 - 0.3 x 512.55
        np.testing.assert_allclose(fe[2], 258.315, rtol=1e-12)  # 104.55 + 153.765
        np.testing.assert_allclose(fe[[1, 3, 4, 5, 6]], fe0[[1, 3, 4, 5, 6]], rtol=1e-12)
        np.testing.assert_allclose(fe.sum(), fe0.sum(), rtol=1e-12)
        np.testing.assert_allclose(base.co2_direct[0, 0, 0, t], 58.50975, rtol=1e-12)
        # 153.765 PJ x (0.095 - 0.056) = 5.996835 Mt less
        np.testing.assert_allclose(out.co2_direct[0, 0, 0, t], 58.50975 - 5.996835, rtol=1e-12)
        for name in ["co2_process", "co2_indirect", "production", "value_added"]:
            np.testing.assert_allclose(getattr(out, name), getattr(base, name), rtol=1e-12)


# (f) ---------------------------------------------------------------------------------------------
def scrap_case(market: float) -> KernelInputs:
    inp = neutral_inputs(M=1, P=2, S=1, T=2, K=1, N=1, lifetime=20.0)
    cap0 = np.zeros_like(inp.cap0)
    cap0[:, 0, :, 0] = [80.0, 20.0, 0.0]
    return replace(
        inp, cap0=cap0, util=np.full((2, 1), 0.8),
        stock0=np.array([[[200.0]], [[1000.0]]]), stock_lifetime=np.full((1, 1), 20.0),
        collection=np.full((1, 1, 2), 0.5), prompt_scrap=np.array([0.05]),
        inflow_ratio=np.array([0.0]), scrap_per_unit=np.array([[0.2, 1.1, 0.0]]),
        scrap_market=np.full(2, market))


@impls
def test_scrap_market_hand_computed(sim):
    # t = 0: production [64, 16, 0] in both provinces; need = 16 x 1.1 = 17.6.
    # supply = 0.5 x (200 or 1000)/20 + 0.05 x 80 = 9 (province 0, short) and 29 (province 1)
    local = run(sim, scrap_case(0.0))
    np.testing.assert_allclose(local.scrap_supply[0, :, 0, 0], [9.0, 29.0], rtol=1e-12)
    np.testing.assert_allclose(local.inuse_stock[0, :, 0, 0], [200.0, 1000.0], rtol=1e-12)
    # province 0: EAF cut to 9 / 1.1, the shortfall (spare 16 >= 7.818) moves to route 0
    np.testing.assert_allclose(local.production[0, 0, 0, :, 0], [64 + 16 - 9 / 1.1, 9 / 1.1, 0.0],
                               rtol=1e-12)
    np.testing.assert_allclose(local.production[0, 1, 0, :, 0], [64.0, 16.0, 0.0], rtol=1e-12)
    # scrap use: p0 all its 9; p1 17.6 + min(64 x 0.2, 29 - 17.6) = 29
    np.testing.assert_allclose(local.scrap_use[0, :, 0, 0], [9.0, 29.0], rtol=1e-12)
    # t = 1: stock 190, supply = 0.5 x 9.5 + 0.05 x 80 = 8.75, EAF 8.75 / 1.1
    np.testing.assert_allclose(local.scrap_supply[0, 0, 0, 1], 8.75, rtol=1e-12)
    np.testing.assert_allclose(local.inuse_stock[0, :, 0, 1], [190.0, 950.0], rtol=1e-12)
    np.testing.assert_allclose(local.production[0, 0, 0, :, 1],
                               [80 - 8.75 / 1.1, 8.75 / 1.1, 0.0], rtol=1e-12)
    np.testing.assert_allclose(local.value_added[0, :, 0, 0], [80 * 0.4, 80 * 0.4], rtol=1e-12)

    # national pool: 38 split by need (17.6 each): 19 each, nobody is short
    pooled = run(sim, scrap_case(1.0))
    np.testing.assert_allclose(pooled.scrap_supply[0, :, 0, 0], [9.0, 29.0], rtol=1e-12)
    for p in range(2):
        np.testing.assert_allclose(pooled.production[0, p, 0, :, 0], [64.0, 16.0, 0.0],
                                   rtol=1e-12)
    # 17.6 + min(12.8, 19 - 17.6) = 19
    np.testing.assert_allclose(pooled.scrap_use[0, :, 0, 0], [19.0, 19.0], rtol=1e-12)


@impls
def test_scrap_shortfall_limited_by_spare_capacity(sim):
    inp = scrap_case(0.0)
    inp = replace(inp, util=np.full((2, 1), 1.0))  # no spare capacity: the shortfall is lost
    out = run(sim, inp)
    # province 0: supply 0.5 x 10 + 0.05 x 100 = 10 < 20 x 1.1; EAF 10/1.1, route 0 stays at 80
    np.testing.assert_allclose(out.production[0, 0, 0, :, 0], [80.0, 10 / 1.1, 0.0], rtol=1e-12)
    np.testing.assert_allclose(out.value_added[0, 0, 0, 0], (80 + 10 / 1.1) * 0.4, rtol=1e-12)


# ================================================================================================
# invariants over valid random inputs
# ================================================================================================
def check_invariants(inp: KernelInputs, out: KernelOutputs):
    sh = inp.shape
    T = sh["T"]

    def le(a, b, what, rtol=1e-9):
        scale = max(1.0, float(np.abs(b).max()) if np.size(b) else 1.0)
        bad = a > b + rtol * np.abs(b) + 1e-12 * scale
        assert not np.any(bad), f"{what}: {np.asarray(a)[bad][:5]} > {np.asarray(b)[bad][:5]}"

    for name in OUTPUT_NAMES:
        a = getattr(out, name)
        assert np.all(np.isfinite(a)), name
        le(-a, np.zeros_like(a) + 1e-12 * max(1.0, np.abs(a).max() if a.size else 1.0),
           f"{name} >= 0")
    cap = out.capacity
    np.testing.assert_allclose(cap[..., 0], np.broadcast_to(inp.cap0.sum(axis=3), cap.shape[:-1]),
                               rtol=1e-12)
    assert np.all(out.investment[..., 0] == 0) and np.all(out.retirement[..., 0] == 0)
    if T > 1:
        np.testing.assert_allclose(cap[..., 1:], cap[..., :-1] + out.investment[..., 1:]
                                   - out.retirement[..., 1:], rtol=1e-9,
                                   atol=1e-9 * max(1.0, cap.max()))
    le(out.production, cap, "production <= capacity", rtol=1e-12)
    le(out.production.sum(axis=3), out.demand, "production <= demand", rtol=1e-12)
    np.testing.assert_allclose(out.value_added,
                               out.production.sum(axis=3) * inp.va_per_unit[None, :, :, None],
                               rtol=1e-9, atol=1e-12 * max(1.0, out.value_added.max()))
    direct = np.einsum("mpsct,psc->mpst", out.final_energy, inp.ef)
    np.testing.assert_allclose(out.co2_direct, direct, rtol=1e-9,
                               atol=1e-12 * max(1.0, direct.max()))
    le(out.co2_captured, out.co2_direct + out.co2_process, "captured <= direct + process")
    # scrap
    for n in range(sh["N"]):
        sig, rho = inp.metal_sector[n], inp.metal_route[n]
        own = out.production[:, :, sig, rho, :] * inp.scrap_per_unit[n, rho]  # (M,P,T)
        use, supply = out.scrap_use[:, :, n], out.scrap_supply[:, :, n]  # (M,P,T)
        le(own, use, "feedstock route's charge <= scrap use")
        le(use.sum(axis=1), supply.sum(axis=1), "national scrap use <= supply")
        le(own.sum(axis=1), supply.sum(axis=1), "national feedstock route <= scrap supply")
        local = inp.scrap_market == 0
        le(use[..., local], supply[..., local], "scrap use <= supply (provincial market)")
        le(own[..., local], supply[..., local], "feedstock route <= supply (provincial market)")


@impls
@pytest.mark.parametrize("case", FIXED[:6], ids=[f"seed{c[0]}" for c in FIXED[:6]])
def test_invariants_fixed(sim, case):
    seed, M, P, S, T, K, N, lever_prob, market = case
    inp = random_inputs(np.random.default_rng(seed), M, P, S, T, K, N, lever_prob=lever_prob,
                        scrap_market=market)
    check_invariants(inp, run(sim, inp))


@impls
@HYP
@given(inp=kernel_inputs())
def test_invariants_hypothesis(sim, inp):
    check_invariants(inp, run(sim, inp))


# ================================================================================================
# the boundary check (kernels.arrays.check_inputs, SPEC "Checked at the boundary")
# ================================================================================================
INPUT_FIELDS = {f.name: f for f in fields(KernelInputs)}


def valid_case() -> KernelInputs:
    return random_inputs(np.random.default_rng(5), 2, 3, 4, 6, 4, 2, lever_prob=1.0)


def first_source(letter: str) -> str:
    """The field SPEC's index letter ``letter`` is read from."""
    return LETTER_SOURCES[letter]


def test_valid_inputs_pass_and_come_back_as_the_kernels_tuples():
    inp = valid_case()
    (base, levers, uncertain), sizes = check_inputs(inp)
    assert sizes == inp.shape == dict(P=3, S=4, R=3, K=4, C=7, N=2, T=6, M=2)
    for group, tup in [("base", base), ("levers", levers), ("uncertain", uncertain)]:
        assert tup._fields == group_fields(group)
        for name in tup._fields:
            v = getattr(tup, name)
            if INPUT_FIELDS[name].metadata["kind"] == "scalar":
                assert type(v) is float
            else:
                assert v.flags.c_contiguous
                assert v.dtype == (np.int64 if INPUT_FIELDS[name].metadata["kind"] == "int"
                                   else np.float64)
                np.testing.assert_array_equal(v, getattr(inp, name))
    # the three groups are SPEC's tables: every field exactly once, in declaration order
    assert group_fields("base") + group_fields("levers") + group_fields("uncertain") == tuple(
        INPUT_FIELDS)
    assert group_fields("outputs") == tuple(OUTPUT_NAMES)
    # member_slice cuts exactly the uncertain group
    part = inp.member_slice(1, 2)
    for name in INPUT_FIELDS:
        sliced = getattr(part, name) is not getattr(inp, name)
        assert sliced == (name in group_fields("uncertain")), name


def _grow_axis(a, axis):
    """``a`` with one more entry along ``axis`` (a copy of the last one)."""
    return np.concatenate([a, np.take(a, [-1], axis=axis)], axis=axis)


SHAPE_CASES = [(name, axis) for name, f in INPUT_FIELDS.items()
               for axis in range(len(f.metadata["dims"]))]


@pytest.mark.parametrize("name, axis", SHAPE_CASES, ids=[f"{n}-{a}" for n, a in SHAPE_CASES])
def test_check_rejects_a_wrong_size_along_any_axis(name, axis):
    inp = valid_case()
    bad = replace(inp, **{name: _grow_axis(np.asarray(getattr(inp, name)), axis)})
    letter = INPUT_FIELDS[name].metadata["dims"][axis]
    with pytest.raises(ValueError, match="expected") as err:
        check_inputs(bad)
    if first_source(letter) != name:  # else the letter's size comes from this field
        assert str(err.value).startswith(f"KernelInputs.{name}: expected shape"), err.value


@pytest.mark.parametrize("name, value", [
    ("util", np.full((3, 4, 1), 0.9)),  # one dimension too many
    ("scrap_market", np.zeros((6, 1))),
    ("heat_ef", np.array([0.08, 0.08])),  # a scalar given as an array
    ("elec_ratio", 0.5),  # an array given as a scalar
])
def test_check_rejects_a_wrong_number_of_dimensions(name, value):
    with pytest.raises(ValueError, match=rf"KernelInputs\.{name}: expected \d dimension"):
        check_inputs(replace(valid_case(), **{name: value}))


def _resize(inp: KernelInputs, letter: str, size: int) -> KernelInputs:
    """``inp`` with every axis of index ``letter`` cut (or padded by repetition) to ``size``."""
    kw = {}
    for name, f in INPUT_FIELDS.items():
        a = getattr(inp, name)
        for axis, d in enumerate(f.metadata["dims"]):
            if d == letter:
                idx = np.arange(size) % max(a.shape[axis], 1)
                a = np.take(a, idx, axis=axis)
        kw[name] = a
    return replace(inp, **kw)


@pytest.mark.parametrize("letter, size", [("R", 2), ("R", 4), ("C", 6), ("C", 8), ("S", 0),
                                          ("K", 0)])
def test_check_rejects_sizes_spec_fixes(letter, size):
    bad = _resize(valid_case(), letter, size)
    with pytest.raises(ValueError, match=rf"KernelInputs\.{first_source(letter)}: expected "
                                         rf"{letter} (=|>=) \d"):
        check_inputs(bad)


@pytest.mark.parametrize("letter, size", [("N", 0), ("T", 1), ("M", 0), ("P", 1), ("K", 1)])
def test_check_accepts_other_sizes(letter, size):
    _, sizes = check_inputs(_resize(valid_case(), letter, size))
    assert sizes[letter] == size


# bad values of each rule; every one is rejected, naming the field and what was found
BAD_VALUES = {
    "finite": [np.nan, np.inf, -np.inf],
    ">= 0": [-1e-3, np.nan, np.inf],
    "> 0": [0.0, -1.0, np.nan, np.inf],
    "[0, 1]": [-1e-3, 1.001, np.nan, np.inf],
    "(0, 1]": [0.0, -0.5, 1.001, np.nan],
    ">= 0, inf allowed": [-1e-3, np.nan, -np.inf],
    "0 or 1": [2, -1],
}
VALUE_CASES = [(name, bad) for name, f in INPUT_FIELDS.items()
               for bad in BAD_VALUES.get(f.metadata["rule"], [])]


def _with_value(inp: KernelInputs, name: str, value, where=None) -> KernelInputs:
    """``inp`` with ``value`` at one position of field ``name`` (the middle one by default)."""
    a = np.array(getattr(inp, name))
    if a.ndim == 0:
        return replace(inp, **{name: value})
    if not np.issubdtype(type(value), np.integer) and not isinstance(value, int):
        a = a.astype(float)
    a.flat[a.size // 2 if where is None else where] = value
    return replace(inp, **{name: a})


@pytest.mark.parametrize("name, bad", VALUE_CASES, ids=[f"{n}={b}" for n, b in VALUE_CASES])
def test_check_rejects_values_outside_the_spec_range(name, bad):
    rule = INPUT_FIELDS[name].metadata["rule"]
    with pytest.raises(ValueError) as err:
        check_inputs(_with_value(valid_case(), name, bad))
    msg = str(err.value)
    assert msg.startswith(f"KernelInputs.{name}: expected "), msg
    found = repr(int(bad)) if INPUT_FIELDS[name].metadata["kind"] == "int" else repr(float(bad))
    assert f"expected values {rule}, found {found} at index" in msg, msg


@pytest.mark.parametrize("name, ok", [
    ("replacement_ratio", np.inf), ("replacement_ratio", 0.0), ("util", 1.0), ("share_floor", 1.0),
    ("share_floor", 0.0), ("growth", -5.0), ("growth", 1e300), ("lifetime", 1e-3),
    ("heat_ef", 0.0), ("aeei", 1.0),
])
def test_check_accepts_the_edges_of_the_spec_ranges(name, ok):
    check_inputs(_with_value(valid_case(), name, ok))


def test_check_finite_fast_path_overflow_still_passes():
    # finite values whose sum overflows to inf: the fast path must fall back, not reject them
    inp = valid_case()
    growth = np.full_like(inp.growth, 1e308)
    check_inputs(replace(inp, growth=growth))


def test_check_base_share_sums_to_one():
    inp = valid_case()
    share = inp.base_share.copy()
    share[1, 2] *= 1.0 + 1e-12  # within the tolerance
    check_inputs(replace(inp, base_share=share))
    share[1, 2] *= 1.01
    with pytest.raises(ValueError, match=r"KernelInputs\.base_share: expected a sum over r of 1 "
                                         r".* at index \(1, 2\)"):
        check_inputs(replace(inp, base_share=share))
    share = inp.base_share.copy()
    share[0, 0] = [1.25, -0.25, 0.0]  # sums to 1, but a share is negative
    with pytest.raises(ValueError, match=r"KernelInputs\.base_share: expected finite values >= 0"):
        check_inputs(replace(inp, base_share=share))
    share[0, 0] = [np.nan, 0.5, 0.5]
    with pytest.raises(ValueError, match=r"KernelInputs\.base_share: expected finite values >= 0"):
        check_inputs(replace(inp, base_share=share))


@pytest.mark.parametrize("name, bad, bound", [
    ("metal_sector", -1, "S"), ("metal_sector", 4, "S"), ("metal_route", -1, "R"),
    ("metal_route", 3, "R"),
])
def test_check_integer_indices_in_range(name, bad, bound):
    inp = valid_case()
    a = getattr(inp, name).copy()
    a[0] = bad
    with pytest.raises(ValueError, match=rf"KernelInputs\.{name}: expected indices in "
                                         rf"\[0, {bound}\) = \[0, {inp.shape[bound]}\)"):
        check_inputs(replace(inp, **{name: a}))


@pytest.mark.parametrize("name", ["metal_sector", "metal_route", "substitutable"])
def test_check_integer_fields_must_be_integral(name):
    inp = valid_case()
    a = getattr(inp, name).astype(float)
    check_inputs(replace(inp, **{name: a}))  # integral floats are fine
    a.flat[0] += 0.5
    with pytest.raises(ValueError, match=rf"KernelInputs\.{name}: expected integer values"):
        check_inputs(replace(inp, **{name: a}))
    with pytest.raises(ValueError, match=rf"KernelInputs\.{name}: expected integers"):
        check_inputs(replace(inp, **{name: a.astype(str)}))


def test_check_message_names_field_range_value_and_index():
    inp = _with_value(valid_case(), "util", 0.0, where=5)  # util is (P,S) = (3,4): index (1, 1)
    with pytest.raises(ValueError) as err:
        check_inputs(inp)
    assert str(err.value) == ("KernelInputs.util: expected values (0, 1], found 0.0 at index "
                              "(1, 1) (1 value(s) out of range)")
    bad = replace(valid_case(), share_floor=np.zeros((3, 4, 3, 5)))
    with pytest.raises(ValueError) as err:
        check_inputs(bad)
    assert str(err.value) == ("KernelInputs.share_floor: expected shape (P,S,R,T) = (3, 4, 3, 6) "
                              "(P from cap0, R from cap0, S from cap0, T from growth), found "
                              "shape (3, 4, 3, 5)")


def test_simulate_and_simulate_into_check_inputs_and_outputs():
    inp = valid_case()
    bad = _with_value(inp, "util", 0.0)
    with pytest.raises(ValueError, match=r"KernelInputs\.util"):
        kernel_simulate(bad)
    sh = inp.shape
    out = KernelOutputs.allocate(*(sh[x] for x in "MPSRCNT"))
    with pytest.raises(ValueError, match=r"KernelInputs\.util"):
        simulate_into(bad, out)
    assert simulate_into(inp, out) is out


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("name, make, message", [
    ("production", lambda a: np.zeros(a.shape[:-1] + (a.shape[-1] + 1,)), "expected shape"),
    ("demand", lambda a: a.astype(np.float32), "expected a C-contiguous float64 array"),
    ("capacity", lambda a: np.asfortranarray(a), "expected a C-contiguous float64 array"),
    ("scrap_use", lambda a: a.tolist(), "expected a C-contiguous float64 array"),
    ("value_added", lambda a: _read_only(a), "expected a writeable"),
])
def test_simulate_into_checks_outputs(name, make, message):
    inp = valid_case()
    sh = inp.shape
    out = KernelOutputs.allocate(*(sh[x] for x in "MPSRCNT"))
    bad = replace(out, **{name: make(getattr(out, name))})
    with pytest.raises(ValueError, match=rf"KernelOutputs\.{name}: {message}"):
        simulate_into(inp, bad)
