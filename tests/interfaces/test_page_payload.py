"""The page's numbers do not change when their computation is made faster (issue #25).

``tests/fixtures/page`` holds page Datasets (``sim.interfaces.web.session.run_members`` of the
shipped Anhui scenario on its own province, 16 members, and on all provinces, 8 members, cut to
the shown region's rows and stored as NetCDF), the scenario TOML of each and the payload and lever
state that the page's code of commit 85015d0 (xarray statistics, before issue #25's speed work)
made of them (``<scope>_<k>.json.gz``). The code of today must make the same JSON of the same
Datasets, value for value (floats compared exactly). The fixture was written by
:func:`write_fixture` with that commit's code; rewrite it only with code known to be right.

A session's caches (the reference's run, validated documents, lever states) must give what a fresh
session computes for the same page state: :func:`test_a_session_after_many_changes_shows_what_a_fresh_one_does`.
"""

from __future__ import annotations

import gzip
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sim.core import shipped
from sim.interfaces.web import session
from sim.interfaces.web.payload import lever_state, payload, summary

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "page"
CASES = {  # scope -> (province choice, members, lever edits of each stored state)
    "anhui": ("", 16, [[], [("eaf_share", "", 2030, 0.35), ("carbon_price", "", 2030, 300.0),
                            ("ccus_capture", "nonmetallic_minerals", 2035, 0.2)]]),
    "national": ("all", 8, [[("eaf_share", "", 2030, 0.35), ("electrification", "", 2035, 0.4)]]),
}


def _cut(ds: xr.Dataset, region: str) -> xr.Dataset:
    """The rows of the shown region (and the national one) of the region variables: what the
    page reads of them, small enough to store."""
    return ds.sel(region=[region] if region == "national" else [region, "national"])


def _stored(ds: xr.Dataset, path: Path) -> xr.Dataset:
    ds.to_netcdf(path, encoding={k: {"zlib": True, "complevel": 9} for k in ds.data_vars})
    return _load(path)


def _load(path: Path) -> xr.Dataset:
    with xr.open_dataset(path) as f:
        return f.load()


def _scenario(text: str):
    return session.validate(tomllib.loads(text), session.load_source(shipped.resolve("anhui")))[1]


def write_fixture(folder: Path = FIXTURE) -> None:
    """Run the cases and write their Datasets, scenario texts and the payloads of this code."""
    folder.mkdir(parents=True, exist_ok=True)
    src = session.load_source(shipped.resolve("anhui"))
    for scope, (province, members, states) in CASES.items():
        ref_doc = session.without_levers(session.document(src, province, {}, members))
        _, ref_sc = session.validate(ref_doc, src)
        region = session.region_of(ref_sc)
        prep = session.model.prepare(ref_sc, base=session.base_state())
        ref = summary(_stored(_cut(session.run_members(prep, region), region),
                              folder / f"{scope}_reference.nc"), region)
        for k, edits in enumerate(states):
            text, sc = session.validate(session.document(
                src, province, {(lever, s, y): v for lever, s, y, v in edits}, members), src)
            prep = session.model.prepare(sc, base=session.base_state())
            ds = _stored(_cut(session.run_members(prep, region), region), folder / f"{scope}_{k}.nc")
            (folder / f"{scope}_{k}.toml").write_text(text)
            sc = _scenario(text)
            with gzip.open(folder / f"{scope}_{k}.json.gz", "wt") as f:
                json.dump(dict(payload=payload(ds, ref, sc, region), levers=lever_state(sc)), f,
                          sort_keys=True)


@pytest.mark.parametrize("scope, k", [(scope, k) for scope, (_, _, states) in CASES.items()
                                      for k in range(len(states))])
def test_the_payload_of_stored_page_datasets_is_the_one_stored(scope, k):
    sc = _scenario((FIXTURE / f"{scope}_{k}.toml").read_text())
    region = session.region_of(sc)
    ref = summary(_load(FIXTURE / f"{scope}_reference.nc"), region)
    got = dict(payload=payload(_load(FIXTURE / f"{scope}_{k}.nc"), ref, sc, region),
               levers=lever_state(sc))
    with gzip.open(FIXTURE / f"{scope}_{k}.json.gz", "rt") as f:
        expected = json.load(f)
    got = json.loads(json.dumps(got, sort_keys=True))  # as the page receives it
    assert got["levers"] == expected["levers"]
    for key in expected["payload"]:  # one key at a time: a failure names the part that moved
        assert got["payload"][key] == expected["payload"][key], key
    assert got == expected


def _result(state: dict) -> dict:
    out = dict(state["result"])
    out.pop("timing_ms")
    return dict(state, result=out, generation=None)


def test_a_session_after_many_changes_shows_what_a_fresh_one_does():
    src = session.load_source(shipped.resolve("anhui"))
    members = 40
    s = session.Session("0" * 32, src, Path("unused"), members)
    s.change(s.next_generation())
    steps = [dict(edits=[("eaf_share", "", 2030, 0.3)]),
             dict(edits=[("eaf_share", "", 2030, 0.32)]),
             dict(edits=[("carbon_price", "", 2030, 200.0)]),
             dict(reference=session.Reference("scenario")),
             dict(edits=[("eaf_share", "", 2030, 0.25)]),
             dict(province="jiangsu"),
             dict(edits=[("ccus_capture", "nonmetallic_minerals", 2035, 0.1)]),
             dict(reference=session.Reference("baseline")),
             dict(province=""),
             dict(edits=[("eaf_share", "", 2030, 0.3)])]
    for step in steps:
        state = s.change(s.next_generation(), **step)
        fresh = session.Session("1" * 32, src, Path("unused"), members)
        again = fresh.change(fresh.next_generation(), province=s.province,
                             edits=[(lever, sector, year, value)
                                    for (lever, sector, year), value in s.edits.items()],
                             reference=s.reference)
        assert json.dumps(_result(state), sort_keys=True) == json.dumps(_result(again),
                                                                        sort_keys=True), step


@pytest.mark.parametrize("province", ["", "jiangsu", "all"])
def test_the_pages_discrepancy_draws_are_the_models(province):
    src = session.load_source(shipped.resolve("anhui"))
    _, sc = session.validate(session.document(src, province, {}, 30, 7), src)
    base = session.base_state()
    drawn = session.model.kernel_inputs(session.model.prepare(sc, base=base), 0, 30).discrepancy
    given = session.model.kernel_inputs(session.model.prepare(
        sc, base=base, discrepancy_z=session.discrepancy_draws(7, 30, tuple(sc.provinces))),
        0, 30).discrepancy
    assert (drawn != 1.0).any()  # the scenario's discrepancy is on
    assert np.array_equal(drawn, given)
