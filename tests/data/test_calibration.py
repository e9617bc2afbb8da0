"""Checks of the calibrated 2019 base state (calibration/base_2019, read through sim.data.base_state)."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest

from sim.core import axes
from sim.data.base_state import BASE_DIR, load_base_state

P, S, R, C, K, N = (len(axes.PROVINCES), len(axes.SECTORS), 3, len(axes.CARRIERS),
                    axes.N_AGE_STAGES, len(axes.METALS))


@pytest.fixture(scope="module")
def b(base_state):
    return base_state  # tests/conftest.py: the default base state


def _rows(name):
    with open(BASE_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _prov(quantity):
    rows = [r for r in _rows("provenance.csv") if r["quantity"] == quantity]
    assert rows, quantity
    return rows[0]


def test_shapes(b):
    assert b.cap0.shape == (P, S, R, K)
    assert b.int0.shape == b.new_int0.shape == (P, S, R, C)
    assert b.ef.shape == (P, S, C) and b.process_ef.shape == (P, S, R)
    assert b.stock0.shape == (P, N, K) and b.scrap_per_unit.shape == (N, R)
    assert b.gdp_growth.shape == (P, len(b.gdp_growth_years))
    assert b.gdp_growth_years[0] == axes.BASE_YEAR + 1 and b.gdp_growth_years[-1] == axes.END_YEAR
    assert list(b.metal_sector) == [axes.SECTORS.index(axes.METAL_FEEDSTOCK[m][0]) for m in axes.METALS]
    assert list(b.metal_route) == [axes.route_index(*axes.METAL_FEEDSTOCK[m]) for m in axes.METALS]


def test_co2_reproduces_ceads(b):
    direct = (b.production0[..., None] * b.int0 * b.ef[:, :, None, :]).sum((2, 3))
    process = (b.production0 * b.process_ef).sum(2)
    ref = b.co2_direct0 + b.co2_process0
    assert (ref > 0).sum() > 200
    np.testing.assert_allclose(direct + process, ref, rtol=5e-3, atol=1e-6)
    np.testing.assert_allclose(process, b.co2_process0, rtol=5e-3, atol=1e-6)


def test_ceads_copy_matches_raw_total(b):
    raw = float(_prov("ceads_raw_in_scope_scope1_total")["value"])
    tib = axes.PROVINCES.index("Tibet")
    mask = np.ones(P, bool)
    mask[tib] = False
    copy = (b.co2_direct0 + b.co2_process0)[mask].sum()
    assert copy == pytest.approx(raw, rel=1e-6)
    assert 3000 < raw < 3600  # in-scope industrial Scope 1, 2019 (steel alone is about 1600 Mt)


def test_ef_only_fossil(b):
    fossil = [axes.CARRIERS.index(c) for c in axes.FOSSIL_CARRIERS]
    other = [i for i in range(C) if i not in fossil]
    assert np.all(b.ef[:, :, other] == 0)
    assert np.all(b.ef[:, :, fossil] > 0.04) and np.all(b.ef[:, :, fossil] < 0.12)


def test_crude_steel_national(b):
    assert b.crude_steel0.sum() == pytest.approx(996.3, rel=0.01)
    steel = axes.SECTORS.index("iron_steel")
    assert b.production0[:, steel].sum() == pytest.approx(996.3, rel=0.01)


def test_eaf_share(b):
    steel = axes.SECTORS.index("iron_steel")
    eaf = axes.route_index("iron_steel", "scrap_eaf")
    share = b.production0[:, steel, eaf].sum() / b.production0[:, steel].sum()
    assert 0.09 <= share <= 0.12
    assert np.all(b.production0[:, steel, eaf] <= b.production0[:, steel].sum(1) + 1e-9)


def test_electricity_equals_cec(b):
    e = b.final_energy0[:, :, axes.CARRIERS.index("electricity")] / 3.6  # TWh
    cec = {r["sector"]: float(r["electricity_twh"]) for r in _rows("electricity_national.csv")}
    np.testing.assert_allclose(e.sum(0), [cec[s] for s in axes.SECTORS], rtol=1e-6)
    assert sum(cec.values()) > 3500  # in-scope industry, CEC 2019 total industry 4848 TWh


def test_province_electricity_below_total(b):
    e = b.final_energy0[:, :, axes.CARRIERS.index("electricity")].sum(1) / 3.6
    cons = {r["province"]: float(r["electricity_consumption_twh"]) for r in _rows("province_activity.csv")}
    total = np.array([cons[p] for p in axes.PROVINCES])
    assert np.all(e <= total * (1 + 1e-9))


def test_energy_balance(b):
    np.testing.assert_allclose((b.production0[..., None] * b.int0).sum(2), b.final_energy0,
                               rtol=1e-5, atol=1e-6)


def test_capacity_consistent(b):
    np.testing.assert_allclose(b.util[:, :, None] * b.cap0.sum(-1), b.production0, rtol=1e-5, atol=1e-7)
    assert np.all((b.util > 0) & (b.util <= 1))


def test_shares(b):
    np.testing.assert_allclose(b.base_share.sum(-1), 1.0, rtol=1e-12)
    assert np.all((b.base_share >= 0) & (b.base_share <= 1))


def test_alternative_routes_defined(b):
    # every route has a positive best-available intensity in some carrier (new build is possible)
    assert np.all(b.new_int0.sum(-1) > 0)
    assert np.all(b.int0.sum(-1) > 0)
    h2 = axes.CARRIERS.index("hydrogen")
    steel = axes.SECTORS.index("iron_steel")
    dri = axes.route_index("iron_steel", "h2_dri_eaf")
    assert 5.0 < b.new_int0[0, steel, dri, h2] < 8.0  # GJ/t
    assert b.route_capture[axes.SECTORS.index("nonmetallic_minerals"),
                           axes.route_index("nonmetallic_minerals", "kiln_ccus")] == pytest.approx(0.9)


def test_tibet_positive(b):
    t = axes.PROVINCES.index("Tibet")
    assert b.co2_direct0[t].sum() > 0 and b.co2_process0[t].sum() > 0
    assert b.value_added0[t].sum() > 0 and b.final_energy0[t].sum() > 0
    assert b.production0[t, axes.SECTORS.index("nonmetallic_minerals")].sum() > 0
    assert b.stock0[t].sum() > 0 and b.grid_ef0[t] > 0
    rows = [r for r in _rows("ceads_2019_sector_totals.csv") if r["province"] == "Tibet"]
    assert rows and all(r["source"] == "tibet_estimate" for r in rows)
    assert "Qinghai" in _prov("tibet_co2_and_fossil_energy")["source"]


def test_no_nan_or_negative(b):
    for name in b.__dataclass_fields__:
        v = getattr(b, name)
        if isinstance(v, np.ndarray) and name not in ("gdp_growth", "gdp_growth_national"):
            assert np.all(np.isfinite(v)), name
            assert np.all(v >= 0), name
    assert np.all(np.isfinite(b.gdp_growth)) and np.all(np.abs(b.gdp_growth) < 0.10)


def test_value_added(b):
    np.testing.assert_allclose(b.value_added0, (b.production0 * b.va_per_unit[:, :, None]).sum(2), rtol=1e-5, atol=1e-6)
    total = b.value_added0.sum()
    assert 20_000 < total < 32_000  # 1e9 CNY; national industry VA 2019 about 31.7 trn CNY


def test_scrap_supply_matches_use(b):
    coll, L = b.collection, b.stock_lifetime
    obsolete = b.stock0[:, :, K - 1].sum(0) * np.minimum(1, K / L)
    out = np.array([b.production0[:, s].sum() for s in b.metal_sector])
    supply = coll * obsolete + b.prompt_scrap * out
    assert supply[0] == pytest.approx(216.0, rel=1e-3)
    for n in range(N):
        need = (b.production0[:, b.metal_sector[n]] * b.scrap_per_unit[n][None]).sum()
        assert supply[n] >= need


def test_every_file_has_provenance():
    files = {r["file"] for r in _rows("provenance.csv")}
    for f in BASE_DIR.glob("*.csv"):
        assert f.name in files, f.name


def test_loader_fast_and_cached():
    load_base_state.cache_clear()
    t = time.perf_counter()
    b1 = load_base_state()
    assert time.perf_counter() - t < 1.0
    assert load_base_state() is b1
