"""calibration/floors.csv: every route has a floor per carrier group, each positive, at or below
the 2019 national capacity-weighted average intensity of its route, and sourced (issue #12 §2).

The averages are recomputed here from calibration/base_2019 with the plain csv module, independently
of calibration/floors.py."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from sim.core import axes

CAL = Path(__file__).resolve().parents[2] / "calibration"
GROUPS = ("fuel", "electricity")


def _rows(name):
    with open(CAL / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def floors():
    return {(r["sector"], r["route"], r["carrier_group"]): r for r in _rows("floors.csv")}


@pytest.fixture(scope="module")
def averages():
    """(sector, route, group) -> 2019 national average [PJ per unit], weighted by the route's
    capacity, or by the sector's capacity where the route has none in 2019."""
    cap = defaultdict(float)
    for r in _rows("base_2019/capacity.csv"):
        cap[(r["province"], r["sector"], r["route"])] += float(r["capacity"])
    inten = defaultdict(float)
    for r in _rows("base_2019/intensity.csv"):
        g = "electricity" if r["carrier"] == "electricity" else "fuel"
        inten[(r["province"], r["sector"], r["route"], g)] += float(r["int0_pj_per_unit"])
    out = {}
    for s in axes.SECTORS:
        for rt in axes.ROUTE_NAMES[s]:
            w = {p: cap[(p, s, rt)] for p in axes.PROVINCES}
            if sum(w.values()) == 0:
                w = {p: sum(cap[(p, s, x)] for x in axes.ROUTE_NAMES[s]) for p in axes.PROVINCES}
            for g in GROUPS:
                out[(s, rt, g)] = (sum(w[p] * inten[(p, s, rt, g)] for p in w)
                                   / sum(w.values()))
    return out


def test_every_route_and_group_has_exactly_one_floor(floors):
    expected = {(s, r, g) for s in axes.SECTORS for r in axes.ROUTE_NAMES[s] for g in GROUPS}
    assert set(floors) == expected
    assert len(_rows("floors.csv")) == len(expected)


def test_floors_positive_sourced_and_in_base_units(floors):
    for key, r in floors.items():
        assert float(r["floor"]) > 0, key
        assert r["source"].strip() and r["basis"].strip(), key
        unit = "PJ/Mt" if key[0] in axes.MATERIAL_SECTORS else "PJ per 1e9 CNY"
        assert r["unit"] == unit, key


def test_floor_at_or_below_2019_average(floors, averages):
    for key, r in floors.items():
        assert float(r["floor"]) <= averages[key] * (1 + 1e-6), (key, r["floor"], averages[key])


def test_capped_rows_are_flagged_and_equal_the_average(floors, averages):
    """A physical floor above the base state's average is capped there and says so."""
    check = {(r["sector"], r["route"], r["carrier_group"]): r for r in _rows("floors_check.csv")}
    assert set(check) == set(floors)
    for key, r in floors.items():
        phys = float(check[key]["physical_floor"])
        if phys > averages[key] * (1 + 1e-6):
            assert r["basis"].endswith("_capped_at_2019_average"), key
            assert float(r["floor"]) == pytest.approx(averages[key], rel=1e-5), key
        else:
            assert not r["basis"].endswith("_capped_at_2019_average"), key
            assert float(r["floor"]) == pytest.approx(phys, rel=1e-5), key


def test_benchmark_conversions():
    """Spot checks of the unit conversions against the documents' own numbers."""
    from calibration import floors as fl

    assert fl.GJ_PER_KGCE * 1000 == pytest.approx(29.3076)
    assert 0.1229 * fl.GJ_PER_KGCE == pytest.approx(fl.GJ_PER_KWH, rel=1e-3)  # calorific kWh
    assert fl.AL_INGOT_KWH * fl.GJ_PER_KWH == pytest.approx(47.88)
    # kiln fuel: 94 kgce/t clinker x 0.66 t clinker/t cement
    assert fl.CLINKER_FUEL_KGCE * 0.66 * fl.GJ_PER_KGCE == pytest.approx(1.8182, rel=1e-4)


def test_builder_reproduces_committed_files():
    from calibration import floors as fl

    built, check = fl.build()
    committed = _rows("floors.csv")
    assert len(built) == len(committed)
    for b, c in zip(built.to_dict("records"), committed):
        assert (b["sector"], b["route"], b["carrier_group"]) == (c["sector"], c["route"],
                                                                 c["carrier_group"])
        assert float(c["floor"]) == pytest.approx(b["floor"], rel=1e-9)
