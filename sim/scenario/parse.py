"""The tables of a scenario document: provinces, year = value points, growth, levers and
uncertainty, each validated into its resolved form (errors through :class:`Checker`)."""

from __future__ import annotations

import difflib
from typing import Any, Mapping, Sequence

from sim.core import axes
from sim.core.levers import INTERPOLATIONS, LEVERS, LeverSpec, Trajectory
from sim.data.base_state import FITTED_FILE, read_fitted
from sim.data.growth import GrowthSpec
from sim.scenario.errors import Checker, format_number, join_key
from sim.scenario.spec import GROWTH_RANGE
from sim.scenario.uncertainty import (
    CALIBRATED_DISCREPANCY,
    MODEL_DISCREPANCY,
    PARAMETERS,
    DistributionError,
    UncertaintySpec,
    make_distribution,
)


def parse_provinces(value: Any, chk: Checker) -> tuple[str, ...]:
    """Provinces of ``scenario.provinces`` (``"all"`` or a list of names, ISO codes or Chinese
    names), each once, in the axes' order."""
    if value == "all":
        return axes.PROVINCES
    if not isinstance(value, list) or not value:
        raise chk.fail("scenario.provinces", value, '"all" or a list of provinces',
                       'must be "all" or a non-empty list of provinces')
    names = [chk.known_province(f"scenario.provinces[{i}]", p) for i, p in enumerate(value)]
    if len(set(names)) != len(names):
        dup = next(p for p in names if names.count(p) > 1)
        raise chk.fail("scenario.provinces", value, "each province once", f"lists {dup} twice")
    return tuple(p for p in axes.PROVINCES if p in names)  # canonical axes order


def parse_points(table: Mapping, path: str, chk: Checker, years: Sequence[int], low: float,
                  high: float, reserved: Sequence[str]) -> Trajectory:
    """The year points of one trajectory table (``<year> = value`` within [``low``, ``high``]
    and the horizon), plus its ``interpolation`` if that key is reserved."""
    pts: list[tuple[int, float]] = []
    interp = None
    for k, v in table.items():
        if k == "interpolation" and "interpolation" in reserved:
            interp = chk.string(v, join_key(path, k), INTERPOLATIONS)
            continue
        if k in reserved:
            continue
        y = axes.year_of(k)
        if y is None:
            raise chk.unknown(path, k, list(reserved) + ["<year> in ASCII digits (e.g. 2030)"], "key")
        if not years[0] <= y <= years[-1]:
            raise chk.fail(join_key(path, k), v, f"years {years[0]}-{years[-1]}",
                           f"is for a year outside the horizon {years[0]}-{years[-1]}")
        pts.append((y, chk.number(v, join_key(path, k), low, high)))
    return Trajectory(tuple(sorted(pts)), interp)


def parse_growth(tb: dict, chk: Checker, years, provinces) -> GrowthSpec:
    """The ``[growth]`` table: regional GDP adjustment, interpolation and the sector and
    province x sector growth trajectories [yr-1]."""
    chk.keys(tb, ("regional_gdp_adjustment", "interpolation", "sector", "province"), "growth")
    adj = chk.boolean(tb.get("regional_gdp_adjustment", False), "growth.regional_gdp_adjustment")
    interp = chk.string(tb.get("interpolation", "linear"), "growth.interpolation", INTERPOLATIONS)
    sector: dict[str, Trajectory] = {}
    for s, t in chk.table(tb.get("sector", {}), "growth.sector").items():
        chk.sector(s, "growth.sector")
        path = join_key("growth.sector", s)
        sector[s] = parse_points(chk.table(t, path), path, chk, years, *GROWTH_RANGE, ("interpolation",))
    ps: dict[tuple[str, str], Trajectory] = {}
    for key, p, pt in chk.provinces_table(tb.get("province", {}), "growth.province", provinces):
        ppath = join_key("growth.province", key)
        pt = chk.table(pt, ppath)
        chk.keys(pt, ("sector",), ppath)
        for s, t in chk.table(pt.get("sector", {}), join_key(ppath, "sector")).items():
            chk.sector(s, join_key(ppath, "sector"))
            path = join_key(join_key(ppath, "sector"), s)
            ps[(p, s)] = parse_points(chk.table(t, path), path, chk, years, *GROWTH_RANGE, ("interpolation",))
    return GrowthSpec(adj, interp, sector, ps)


def parse_levers(tb: dict, chk: Checker, years, provinces) -> dict[str, LeverSpec]:
    """The ``[levers]`` table: each lever's points and its province, sector and province x
    sector overrides, checked against the lever registry."""
    out: dict[str, LeverSpec] = {}
    for name, t in tb.items():
        if name not in LEVERS:
            raise chk.unknown("levers", name, list(LEVERS), "lever")
        lv = LEVERS[name]
        path = join_key("levers", name)
        t = chk.table(t, path)
        if "province" in t and not lv.province_overrides:
            raise chk.fail(join_key(path, "province"), problem=(
                f"is not allowed: lever {name} feeds the kernel array {lv.kernel_array}, which has "
                "no province axis (one value for all provinces, kernels/SPEC.md), so a province "
                f"value would be averaged away; set levers.{name} or levers.{name}.sector.<sector>"))
        reserved = ["interpolation"]
        if lv.per_province_sector:
            reserved.append("province")
            if lv.sector_overrides:
                reserved.append("sector")
        base = parse_points(t, path, chk, years, lv.low, lv.high, reserved)
        sector: dict[str, Trajectory] = {}
        for s, st in chk.table(t.get("sector", {}), join_key(path, "sector")).items():
            chk.sector(s, join_key(path, "sector"), lv.sectors, f"lever {name}")
            sp = join_key(join_key(path, "sector"), s)
            sector[s] = _nonempty(parse_points(chk.table(st, sp), sp, chk, years, lv.low, lv.high,
                                                ("interpolation",)), sp, chk, lv)
        province: dict[str, Trajectory] = {}
        ps: dict[tuple[str, str], Trajectory] = {}
        for key, p, pt in chk.provinces_table(t.get("province", {}), join_key(path, "province"),
                                              provinces):
            pp = join_key(join_key(path, "province"), key)
            pt = chk.table(pt, pp)
            preserved = ["interpolation"] + (["sector"] if lv.sector_overrides else [])
            province[p] = parse_points(pt, pp, chk, years, lv.low, lv.high, preserved)
            for s, st in chk.table(pt.get("sector", {}), join_key(pp, "sector")).items():
                chk.sector(s, join_key(pp, "sector"), lv.sectors, f"lever {name}")
                sp = join_key(join_key(pp, "sector"), s)
                ps[(p, s)] = _nonempty(parse_points(chk.table(st, sp), sp, chk, years, lv.low,
                                                     lv.high, ("interpolation",)), sp, chk, lv)
            if province[p].empty and not any(k == p for k, _ in ps):
                _nonempty(province[p], pp, chk, lv)
        if base.empty and not sector and not province:
            _nonempty(base, path, chk, lv)
        out[name] = LeverSpec(name, base, province, sector, ps)
    return out


def _nonempty(trajectory: Trajectory, path: str, chk: Checker, lever) -> Trajectory:
    """An empty lever table sets nothing (the lever stays at its default, no policy): refused, so
    a table whose points were forgotten or misplaced is not taken for a policy."""
    if trajectory.empty:
        raise chk.fail(path, problem=(
            f"empty table: no year = value points, so lever {lever.name} would stay at its default "
            f"{format_number(lever.default)} (no policy); give points such as 2030 = ... or remove it"))
    return trajectory


def parse_uncertainty(tb: dict, chk: Checker) -> UncertaintySpec:
    """The ``[uncertainty]`` table: a validated distribution for each named uncertain parameter."""
    dists = {}
    for name, t in tb.items():
        if name not in PARAMETERS:
            raise chk.unknown("uncertainty", name, list(PARAMETERS), "uncertain parameter")
        path = join_key("uncertainty", name)
        t = chk.table(t, path)
        if "dist" not in t:
            raise chk.fail(join_key(path, "dist"), problem="missing distribution",
                           allowed=", ".join(("uniform", "triangular", "normal", "lognormal", "truncnormal",
                                              "calibrated")))
        if name == MODEL_DISCREPANCY:  # a switch: only "calibrated" (widths from the fit)
            extra = [k for k in t if k not in ("dist", "evidence")]
            if t["dist"] != "calibrated" or extra:
                raise chk.fail(join_key(path, extra[0] if extra else "dist"),
                               t[extra[0]] if extra else t["dist"], 'dist = "calibrated" only',
                               "model_discrepancy takes its per-sector widths from the fit "
                               "(calibration/fitted.toml [discrepancy] sigma)")
            dists[name] = CALIBRATED_DISCREPANCY
            continue
        if t["dist"] == "calibrated":
            t = _calibrated_distribution(name, t, path, chk)
        params = {k: v for k, v in t.items() if k not in ("dist", "evidence")}
        try:
            dists[name] = make_distribution(name, t["dist"], params)
        except DistributionError as e:
            key = join_key(path, e.key) if e.key else path
            if e.key == "dist" and e.message == "unknown distribution":
                match = difflib.get_close_matches(str(e.value), e.allowed.split(", "), n=1)
                hint = f"; did you mean '{match[0]}'?" if match else ""
                raise chk.fail(key, e.value, e.allowed, f"unknown distribution{hint}") from None
            if e.value is None:
                raise chk.fail(key, allowed=e.allowed, problem=e.message) from None
            raise chk.fail(key, e.value, e.allowed, e.message) from None
    return UncertaintySpec(dists)


CALIBRATED_FALLBACK = {"aeei_elec_multiplier": "aeei_multiplier"}
"""``dist = "calibrated"`` of a parameter the fit has not (yet) given a width takes this one's."""


def _calibrated_distribution(name: str, t: dict, path: str, chk: Checker) -> dict:
    """``dist = "calibrated"``: the distribution the 2010-2015 fit derived for ``name``
    (calibration/fitted.toml ``[uncertainty.<name>]``, see calibration/fit.py), else that of
    :data:`CALIBRATED_FALLBACK`'s parameter."""
    extra = [k for k in t if k != "dist"]
    if extra:
        raise chk.fail(join_key(path, extra[0]), t[extra[0]], "nothing besides dist",
                       'a calibrated distribution takes no parameters (they come from the fit)')
    table = (read_fitted() or {}).get("uncertainty", {})
    if name not in table and CALIBRATED_FALLBACK.get(name) in table:
        name = CALIBRATED_FALLBACK[name]
    if name not in table:
        raise chk.fail(join_key(path, "dist"), "calibrated",
                       ", ".join(table) or f"none ({FITTED_FILE} is missing; run sim calibrate --fit)",
                       "no calibrated width for this parameter")
    return dict(table[name])

