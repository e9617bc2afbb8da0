"""On-disk chunks of the per-member variables (#14 §5): a chunk of members times one province (or
region), so one province is read without decompressing the others (measured in
tests/bench/test_chunking_bench.py); the chunk of members is what the writer appends at a time."""

from __future__ import annotations

import netCDF4
import pytest

from sim.results import ensemble


def test_chunk_shape_layouts():
    dims = ("member", "province", "sector", "route", "year")
    sizes = dict(member=1000, province=31, sector=9, route=3, year=17)
    assert ensemble.chunk_shape(dims, sizes, 256) == (256, 1, 9, 3, 17)
    assert ensemble.chunk_shape(dims, sizes, 256, layout="member") == (256, 31, 9, 3, 17)
    assert ensemble.chunk_shape(("member", "region", "year"), dict(member=5, region=32, year=17),
                                5) == (5, 1, 17)
    assert ensemble.chunk_shape(dims, sizes, 5000)[0] == ensemble.MEMBER_CHUNK_MAX
    with pytest.raises(ValueError, match="unknown chunk layout"):
        ensemble.chunk_shape(dims, sizes, 5, layout="sector")


def test_files_are_chunked_by_member_chunk_and_province(anhui_results):
    files = anhui_results  # 24 members in chunks of 5 (tests/conftest.py)
    with netCDF4.Dataset(files["full"]) as nc:
        assert nc["production"].chunking() == [5, 1, 12, 17]  # write_results: chunks of 5; 12 routes
        assert nc["industrial_co2"].chunking() == [5, 1, 17]  # region: Anhui, national
        assert nc["target_value"].chunking()[0] == 5
    with netCDF4.Dataset(files["province"]) as nc:
        assert nc["final_energy_total"].chunking() == [5, 1, 7, 17]
