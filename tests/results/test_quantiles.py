"""`sim.results.reading.quantiles` over members is xarray's quantile (linear, NaN ignored) with
its dimensions, coordinates and attributes, computed the faster way (`member_quantiles`)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

from sim.results import reading


@pytest.mark.parametrize("nan", [False, True])
def test_member_quantiles_of_a_dataarray_are_xarrays(nan):
    rng = np.random.default_rng(7)
    x = rng.random((5, 37, 6))
    if nan:
        x[rng.random(x.shape) < 0.2] = np.nan
        x[0, :, 0] = np.nan  # undefined in every member: NaN, silently
    da = xr.DataArray(x, dims=("sector", "member", "year"), name="v", attrs={"units": "Mt yr-1"},
                      coords={"sector": list("abcde"), "year": np.arange(2019, 2025),
                              "member": np.arange(37), "region": "Anhui",
                              "label": ("sector", list("vwxyz"))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = reading.quantiles(da, reading.QUANTILES)
        want = da.quantile(list(reading.QUANTILES), dim="member", skipna=True)
    xr.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert got.dims == want.dims and list(got.coords) == list(want.coords)
    assert got.attrs == want.attrs and got.name == want.name


def test_integer_members_keep_xarrays_linear_quantiles():
    da = xr.DataArray(np.array([[2020], [2021], [2024], [2030]]), dims=("member", "region"))
    got = reading.quantiles(da, [0.5])
    assert float(got.sel(quantile=0.5).item()) == 2022.5
