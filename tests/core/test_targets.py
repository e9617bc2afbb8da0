"""Target conditions and peak detection on hand-made series."""

from types import SimpleNamespace

import numpy as np
import pytest

from sim.core.indicators import peak_years
from sim.core.targets import _check

YEARS = np.arange(2019, 2036)


def target(**kw):
    base = dict(id="t", indicator="industrial_co2", year=2030, condition="<=", value=None,
                base_year=None, tolerance=None, accounting="scope1")
    base.update(kw)
    return SimpleNamespace(**base)


def hump(peak_year, top=100.0, slope=2.0):
    """Rises by `slope` a year to `top` in `peak_year`, then falls by `slope` a year."""
    return top - slope * np.abs(YEARS - peak_year).astype(float)


def test_peak_by_attained_only_when_peak_not_later():
    x = np.stack([hump(2027), hump(2030), hump(2031)])
    v, ok = _check(target(condition="peak_by", year=2030), x, YEARS)
    assert v.tolist() == [2027, 2030, 2031]
    assert ok.tolist() == [True, True, False]


def test_still_rising_at_horizon_has_not_peaked():
    x = (YEARS - 2019.0)[None, :]  # rising every year, max in the last year
    v, ok = _check(target(condition="peak_by", year=2040), x, YEARS)
    assert v[0] == 2035 and not ok[0]


def test_below_peak_with_tolerance():
    x = np.stack([hump(2028, slope=1.0), np.full(YEARS.size, 50.0)])
    # 2035 is 7 below a peak of 100: -7 %; the flat series is 0 % below its peak
    v, ok = _check(target(condition="below_peak", year=2035, tolerance=0.05), x, YEARS)
    np.testing.assert_allclose(v, [-0.07, 0.0])
    assert ok.tolist() == [True, False]


def test_relative_change_against_base_year():
    x = np.ones((2, YEARS.size))
    x[0, YEARS == 2025] = 0.80  # -20 %
    x[1, YEARS == 2025] = 0.85  # -15 %
    v, ok = _check(target(condition="change<=", year=2025, base_year=2020, value=-0.18), x, YEARS)
    np.testing.assert_allclose(v, [-0.20, -0.15])
    assert ok.tolist() == [True, False]


@pytest.mark.parametrize("cond,expected", [(">=", [True, True, False]), (">", [True, False, False]),
                                           ("<=", [False, True, True]), ("<", [False, False, True])])
def test_level_comparisons(cond, expected):
    x = np.tile(np.array([[0.25], [0.20], [0.15]]), (1, YEARS.size))
    _, ok = _check(target(condition=cond, year=2030, value=0.20), x, YEARS)
    assert ok.tolist() == expected


@pytest.mark.parametrize("cond,expected", [(">=", [True, True, False]), (">", [False, False, False]),
                                           ("<=", [True, True, True]), ("<", [False, False, True])])
def test_a_value_on_the_threshold_up_to_rounding_is_on_it(cond, expected):
    # 0.2 - 2.8e-17 is what the kernel gives for an EAF share held at a 20 % floor (Anhui); a
    # millionth below is a real miss
    x = np.tile(np.array([[0.2 - 2.8e-17], [0.2 + 2.8e-17], [0.2 - 1e-6]]), (1, YEARS.size))
    _, ok = _check(target(condition=cond, year=2030, value=0.20), x, YEARS)
    assert ok.tolist() == expected
    # the same for a relative change: 0.82 / 1 - 1 is -0.18000000000000005 in floating point
    y = np.ones((1, YEARS.size))
    y[0, YEARS == 2025] = 0.82
    _, ok = _check(target(condition="change>=", year=2025, base_year=2020, value=-0.18), y, YEARS)
    assert ok.tolist() == [True]


def test_year_outside_simulation_is_an_error():
    with pytest.raises(ValueError, match="outside the simulated years"):
        _check(target(condition="<=", year=2040, value=1.0), np.ones((1, YEARS.size)), YEARS)


def test_plateau_is_reported_not_hidden():
    # rises to 100 in 2026, then stays within 0.5 % of it and the max comes in 2031
    x = np.minimum(hump(2026, slope=5.0), 100.0)
    x[YEARS >= 2026] = 99.7
    x[YEARS == 2031] = 100.0
    peak, plateau = peak_years(x[None, :], YEARS, tolerance=0.01)
    assert peak[0] == 2031 and plateau[0] == 2026
