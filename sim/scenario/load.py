"""Scenario files: schema, validation and the resolved :class:`Scenario`.

Everything is validated before any work is done; the first problem raises :class:`ScenarioError`
whose message names the file, the key path, the value and what is allowed, e.g.::

    anhui.toml: levers.eaf_share.2030 = 1.4 is outside [0, 1]
    anhui.toml: levers.eaf_sahre: unknown lever; did you mean 'eaf_share'?

Public API
----------
``load_scenario(path) -> Scenario``; ``validate(path) -> Scenario`` (the same: load = validate).
``ScenarioError(Exception)``: attributes ``file``, ``key``, ``value``, ``allowed``, ``problem``.
``Scenario`` (frozen) fields: ``name, description, path, text, provinces, years, start_year,
end_year, members, seed, electricity_conversion, electricity_kgce_per_kwh, plateau_tolerance,
growth (GrowthSpec), levers (dict name -> sim.core.levers.LeverSpec), uncertainty
(sim.scenario.uncertainty.UncertaintySpec), targets (tuple[Target]), administrative
(tuple[AdministrativeTarget]), skipped_targets (tuple[(id, reason)]), groups (dict name -> tuple of
provinces), catalogues (tuple[Path])``; methods ``growth_array(provinces=None, sectors=None,
years=None, base=None) -> (P,S,T)`` and ``lever_array(name, provinces=None, sectors=None,
years=None)``.
``Target`` (frozen): ``id, indicator, scope, provinces, year, condition, value, base_year,
tolerance, accounting, source, scope_note, status, description, catalogue``.
``AdministrativeTarget`` (frozen): ``id, description, year, source, status, reason, catalogue``.
``DEFAULT_GROWTH``: sector -> Trajectory of the default demand growth, with ``GROWTH_SOURCES``
(both in, and re-exported from, ``sim.data.growth``, which holds the growth data and logic).

Scenario schema (TOML; also in scenarios/README.md)
---------------------------------------------------
``[scenario]``
    name (str, required), description (str), provinces ("all" or a list of provinces; wherever
    a scenario or catalogue names a province, its pinyin name, ISO code or Chinese name will do:
    ``sim.core.axes.resolve_province``), start_year (= axes.BASE_YEAR, the calibrated base year),
    end_year (default axes.END_YEAR, at most 2060), members (default 1000: the Monte-Carlo standard error of an attainment
    probability is sqrt(p(1-p)/n) <= 1.6 points at p = 0.5 and <= 1.45 points for p <= 0.3 or
    >= 0.7; Latin-hypercube stratification usually lowers it), seed (int >= 0, default 1),
    electricity_conversion ("calorific": 0.1229 kgce/kWh, the default; "coal_equivalent":
    0.3055 kgce/kWh, the 2020 average coal use per kWh supplied by thermal plants >= 6 MW,
    China Electricity Council statistics), targets (list of catalogue files relative to the
    scenario file), target_ids (optional list selecting targets by id; an expanded per-province
    target is selected by its base id or by "id:Province").
    Without target_ids every catalogue target whose provinces are all simulated is used; the
    others are listed in ``skipped_targets`` (e.g. national targets in a one-province run).
``[growth]``
    regional_gdp_adjustment (bool, default false: add the province's SSP2 GDP growth minus the
    national one, from the calibration's ``BaseState.gdp_growth_offset``, in projected years
    only: 2020-2024 are each province's observed growth), interpolation,
    ``[growth.sector.<sector>]`` and ``[growth.province.<Province>.sector.<sector>]`` year = rate
    points [yr-1] in [-0.5, 0.5]. A given trajectory applies from its first point on; before it
    the default (``DEFAULT_GROWTH``: observed 2020-2024, projected after) holds.
``[levers.<lever>]``
    year = value points, interpolation ("linear" default | "step"), overrides
    ``[levers.<lever>.sector.<sector>]``, ``[levers.<lever>.province.<Province>]`` and
    ``[levers.<lever>.province.<Province>.sector.<sector>]``, each with its own points and
    optional interpolation. Rules in ``sim.core.levers`` (default before the first point, last value
    after the last, most specific level wins). ``inf`` is written ``inf``.
``[uncertainty.<parameter>]``
    dist = "uniform" | "triangular" | "normal" | "lognormal" | "truncnormal" and its parameters.
``[settings]``
    plateau_tolerance (relative, default 0.01): a CO2 series within this of its maximum counts
    as on the plateau (reported next to the peak year).

Target catalogue schema: see scenarios/README.md (``[catalogue]``, ``[groups.<key>]``,
``[[target]]``, ``[[administrative]]``).
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Mapping, Sequence

import numpy as np

from sim.core import axes

from sim.core import sizes
from sim.data.growth import DEFAULT_GROWTH, GROWTH_SOURCES, OBSERVED_GROWTH_UNTIL, GrowthSpec  # noqa: F401
from sim.data.growth import growth_array as _growth_array
from sim.core.indicators_registry import INDICATORS
from sim.core.levers import INTERPOLATIONS, LEVERS, ROUTE_FLOOR_GROUPS, LeverSpec, Trajectory
from sim.core.levers import lever_array as _lever_array
from sim.core.targets import CONDITIONS
from sim.scenario.uncertainty import (CALIBRATED_DISCREPANCY, MODEL_DISCREPANCY, PARAMETERS, DistributionError,
                            UncertaintySpec, make_distribution)

MAX_END_YEAR = 2060
DEFAULT_MEMBERS = 1000
DEFAULT_SEED = 1
ELECTRICITY_CONVERSIONS: dict[str, float] = {
    "calorific": 0.1229,  # kgce/kWh: 3.6 MJ / 29.3076 MJ/kgce (GB/T 2589 当量值)
    "coal_equivalent": 0.3055,  # kgce/kWh: 2020 供电标准煤耗 305.5 gce/kWh (CEC), 等价值
}
ACCOUNTINGS = ("scope1", "scope1+2")
CO2_INDICATORS = ("industrial_co2", "co2_intensity")
EACH_PROVINCE = "each_province"
NATIONAL = "national"
GROWTH_RANGE = (-0.5, 0.5)

# --- errors ---------------------------------------------------------------------------------------
_NO_VALUE = object()


class ScenarioError(Exception):
    """Invalid scenario or catalogue. ``str(e)`` is the one-line message."""

    def __init__(self, file: str, key: str, value: Any = _NO_VALUE, allowed: str | None = None,
                 problem: str = "invalid"):
        self.file, self.key, self.value, self.allowed, self.problem = file, key, value, allowed, problem
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.file}: {self.key}" if self.key else f"{self.file}"
        if self.value is not _NO_VALUE:
            msg = f"{head} = {_fmt_value(self.value)} {self.problem}"
        else:
            msg = f"{head}: {self.problem}"
        if self.allowed and self.allowed not in msg:
            msg += f" (allowed: {self.allowed})"
        return msg


MAX_SHOWN = 60
"""[characters] Longest value or key quoted in an error message (longer ones are cut with ...)."""


def printable(text: Any, limit: int = MAX_SHOWN) -> str:
    """``text`` for a one-line message: control characters (newlines, tabs, escapes) shown as
    escape sequences, cut at ``limit`` characters."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[:limit] + "..."


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:g}" if abs(v) < 1e15 else repr(v)
    if isinstance(v, str):
        return f'"{printable(v)}"'
    if isinstance(v, (list, tuple)):
        text = "[" + ", ".join(_fmt_value(x) for x in v[:5]) + (", ...]" if len(v) > 5 else "]")
        return printable(text, 2 * MAX_SHOWN)
    if isinstance(v, dict):
        return "{table}"
    return printable(v)


def _fmt_num(x: float) -> str:
    return _fmt_value(float(x)) if isinstance(x, (int, float)) else str(x)


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
NAME = re.compile(r"[^\W_][\w.-]{0,99}")
"""A scenario's or sweep's name: it becomes ``outputs/<name>/<name>.nc`` (Unicode letters allowed)."""
NAME_ALLOWED = ("1-100 letters, digits, _, - and ., starting with a letter or digit "
                "(it names the output folder and file)")


def _join(path: str, key: Any) -> str:
    k = str(key)
    if not _BARE.match(k):
        k = f'"{printable(k)}"'
    return f"{path}.{k}" if path else k


class _Checker:
    """Validation helpers bound to one file."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, value: Any = _NO_VALUE, allowed: str | None = None,
             problem: str = "invalid") -> ScenarioError:
        return ScenarioError(self.file, key, value, allowed, problem)

    def unknown(self, path: str, name: str, choices: Sequence[str], what: str) -> ScenarioError:
        key = _join(path, name)
        match = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
        if match:
            return self.fail(key, problem=f"unknown {what}; did you mean '{match[0]}'?", allowed=match[0])
        return self.fail(key, problem=f"unknown {what}", allowed=", ".join(choices) or "none")

    def keys(self, table: Mapping, allowed: Sequence[str], path: str, what: str = "key") -> None:
        for k in table:
            if k not in allowed:
                raise self.unknown(path, k, allowed, what)

    def table(self, value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, value, "a table", "must be a table")
        return value

    def string(self, value: Any, path: str, choices: Sequence[str] | None = None) -> str:
        if not isinstance(value, str):
            raise self.fail(path, value, "a string", "must be a string")
        if choices is not None and value not in choices:
            match = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
            hint = f"; did you mean '{match[0]}'?" if match else ""
            raise self.fail(path, value, ", ".join(choices), f"is not one of {', '.join(choices)}{hint}")
        return value

    def name(self, value: Any, path: str) -> str:
        """A name used as a file and folder name (``outputs/<name>/<name>.nc``): letters, digits,
        ``_``, ``-`` and ``.``, starting with a letter or digit, so it never names another folder,
        a hidden file or nothing."""
        text = self.string(value, path)
        if not NAME.fullmatch(text):
            raise self.fail(path, value, NAME_ALLOWED, "cannot be used as a file name")
        return text

    def members(self, value: Any, path: str, n_provinces: int, n_years: int) -> int:
        """A member count that fits in memory at its default detail (:mod:`sim.core.sizes`)."""
        from sim.results.ensemble import default_detail

        members = self.integer(value, path, 1, sizes.MAX_MEMBERS)
        problem = sizes.members_problem(members, n_provinces, n_years, default_detail(members))
        if problem:
            raise self.fail(path, value, problem=problem)
        return members

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, value, "true or false", "must be true or false")
        return value

    def integer(self, value: Any, path: str, low: int | None = None, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, value, "an integer", "must be an integer")
        if (low is not None and value < low) or (high is not None and value > high):
            rng = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
            raise self.fail(path, value, rng, f"is outside {rng}")
        return value

    def number(self, value: Any, path: str, low: float = -math.inf, high: float = math.inf,
               low_open: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self.fail(path, value, "a number", "must be a number")
        x = float(value)
        rng = f"{'(' if low_open else '['}{_fmt_num(low)}, {_fmt_num(high)}]"
        if (x <= low if low_open else x < low) or x > high:
            raise self.fail(path, value, rng, f"is outside {rng}")
        return x

    def province(self, name: Any, path: str, simulated: Sequence[str] | None = None) -> str:
        """The pinyin name of table key ``name`` (pinyin, ISO code or Chinese, see
        :func:`sim.core.axes.resolve_province`), which must be simulated if ``simulated`` is given."""
        try:
            province = axes.resolve_province(name)
        except axes.UnknownProvince:
            raise self.unknown(path, name, axes.PROVINCES, "province") from None
        if simulated is not None and province not in simulated:
            raise self.fail(_join(path, name), problem="province is not simulated in this scenario",
                            allowed=", ".join(simulated))
        return province

    def provinces_table(self, table: Any, path: str,
                        simulated: Sequence[str] | None = None) -> list[tuple[str, str, Any]]:
        """(key, pinyin name, value) of a table keyed by province; one key per province."""
        out, seen = [], {}
        for key, value in self.table(table, path).items():
            province = self.province(key, path, simulated)
            if province in seen:
                raise self.fail(_join(path, key), problem=f"names {province} again (also as "
                                f"{seen[province]})", allowed="one key per province")
            seen[province] = key
            out.append((key, province, value))
        return out

    def sector(self, name: Any, path: str, allowed: Sequence[str] = axes.SECTORS,
               what: str = "sector") -> str:
        if name not in axes.SECTORS:
            raise self.unknown(path, name, axes.SECTORS, "sector")
        if name not in allowed:
            raise self.fail(_join(path, name), problem=f"{what} does not apply to this sector",
                            allowed=", ".join(allowed))
        return name


# --- data classes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    id: str
    indicator: str
    scope: str  # "national", a province, a group key
    provinces: tuple[str, ...]
    year: int
    condition: str
    value: float | None
    base_year: int | None
    tolerance: float | None
    accounting: str | None  # CO2 targets: "scope1" or "scope1+2"
    source: str
    scope_note: str
    status: str  # "simulated" or "trend" (from the indicator registry)
    description: str = ""
    catalogue: str = ""


@dataclass(frozen=True)
class AdministrativeTarget:
    id: str
    description: str
    year: int | None
    source: str
    status: str  # always "not simulated"
    reason: str
    catalogue: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: Path
    text: str
    provinces: tuple[str, ...]
    years: tuple[int, ...]
    start_year: int
    end_year: int
    members: int
    seed: int
    electricity_conversion: str
    electricity_kgce_per_kwh: float
    plateau_tolerance: float
    growth: GrowthSpec
    levers: Mapping[str, LeverSpec]
    uncertainty: UncertaintySpec
    targets: tuple[Target, ...]
    administrative: tuple[AdministrativeTarget, ...]
    skipped_targets: tuple[tuple[str, str], ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    catalogues: tuple[Path, ...] = ()

    def lever_array(self, name: str, provinces: Sequence[str] | None = None,
                    sectors: Sequence[str] | None = None, years: Sequence[int] | None = None) -> np.ndarray:
        """See :func:`sim.core.levers.lever_array`."""
        return _lever_array(name, self, provinces, sectors, years)

    def growth_array(self, provinces: Sequence[str] | None = None, sectors: Sequence[str] | None = None,
                     years: Sequence[int] | None = None, base: Any = None) -> np.ndarray:
        """Demand growth [yr-1] (P, S, T) of this scenario: see :func:`sim.data.growth.growth_array`."""
        return _growth_array(self, provinces, sectors, years, base)


# --- loading --------------------------------------------------------------------------------------
_TOP_KEYS = ("scenario", "growth", "levers", "uncertainty", "settings")
_SCENARIO_KEYS = ("name", "description", "provinces", "start_year", "end_year", "members", "seed",
                  "electricity_conversion", "targets", "target_ids")
_SETTINGS_KEYS = ("plateau_tolerance",)


MAX_FILE_BYTES = 10 << 20
"""[bytes] Largest scenario, sweep or catalogue file read (the shipped ones are < 20 KB)."""


def input_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None if it can: missing, a folder, a FIFO,
    device or socket (reading would block or never end), no read permission. Checked before
    opening, so nothing ever blocks on an input."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a FIFO, device or socket)"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None


def _read_toml(path: Path, display: str, chk: _Checker) -> tuple[str, dict]:
    problem = input_problem(path)
    if problem == "no such file":
        raise chk.fail("", problem=f"no such file ({path.resolve()})")
    if problem:
        raise chk.fail("", problem=problem)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise chk.fail("", problem=f"is {size:,} bytes (allowed: at most {MAX_FILE_BYTES:,} for a "
                       "TOML input file)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise chk.fail("", problem=f"not UTF-8 text ({e})") from None
    except OSError as e:
        raise chk.fail("", problem=f"cannot be read ({e.strerror or e})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise chk.fail("", problem=f"malformed TOML: {e}") from None
    except RecursionError:
        raise chk.fail("", problem="malformed TOML: arrays or tables nested too deeply") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file and its target catalogues."""
    path = Path(path)
    chk = _Checker(str(path))
    text, doc = _read_toml(path, str(path), chk)
    return scenario_from_document(doc, text, path)


def read_document(path: str | Path) -> tuple[str, dict]:
    """The text and parsed TOML of a scenario file (errors as :class:`ScenarioError`)."""
    path = Path(path)
    return _read_toml(path, str(path), _Checker(str(path)))


def scenario_from_document(doc: dict, text: str, path: Path, display: str | None = None) -> Scenario:
    """Validate a parsed scenario document. ``path`` locates the target catalogues (relative to
    its folder); errors name ``display`` (default: the path), e.g. a sweep case."""
    path = Path(path)
    chk = _Checker(display or str(path))
    chk.keys(doc, _TOP_KEYS, "", "table")
    if "scenario" not in doc:
        raise chk.fail("scenario", problem="missing [scenario] table", allowed="[scenario] with name = ...")
    sc = chk.table(doc["scenario"], "scenario")
    chk.keys(sc, _SCENARIO_KEYS, "scenario")
    if "name" not in sc:
        raise chk.fail("scenario.name", problem="missing (required)", allowed="a string")
    name = chk.name(sc["name"], "scenario.name")
    description = chk.string(sc.get("description", ""), "scenario.description")

    start = chk.integer(sc.get("start_year", axes.BASE_YEAR), "scenario.start_year",
                        axes.BASE_YEAR, axes.BASE_YEAR)
    end = chk.integer(sc.get("end_year", axes.END_YEAR), "scenario.end_year", start + 1, MAX_END_YEAR)
    years = tuple(range(start, end + 1))
    provinces = _parse_provinces(sc.get("provinces", "all"), chk)
    members = chk.members(sc.get("members", DEFAULT_MEMBERS), "scenario.members", len(provinces),
                          len(years))
    seed = chk.integer(sc.get("seed", DEFAULT_SEED), "scenario.seed", 0, sizes.MAX_SEED)
    conv = chk.string(sc.get("electricity_conversion", "calorific"), "scenario.electricity_conversion",
                      tuple(ELECTRICITY_CONVERSIONS))

    settings = chk.table(doc.get("settings", {}), "settings")
    chk.keys(settings, _SETTINGS_KEYS, "settings")
    plateau = chk.number(settings.get("plateau_tolerance", 0.01), "settings.plateau_tolerance", 0.0, 0.5)

    growth = _parse_growth(chk.table(doc.get("growth", {}), "growth"), chk, years, provinces)
    levers = _parse_levers(chk.table(doc.get("levers", {}), "levers"), chk, years, provinces)
    uncertainty = _parse_uncertainty(chk.table(doc.get("uncertainty", {}), "uncertainty"), chk)

    cat_paths = sc.get("targets", [])
    if not isinstance(cat_paths, list) or not all(isinstance(c, str) for c in cat_paths):
        raise chk.fail("scenario.targets", cat_paths, "a list of file names", "must be a list of file names")
    groups: dict[str, tuple[str, ...]] = {}
    all_targets: list[Target] = []
    administrative: list[AdministrativeTarget] = []
    catalogues: list[Path] = []
    for i, rel in enumerate(cat_paths):
        inside = PurePath(rel)
        if not rel or inside.is_absolute() or ".." in inside.parts or inside.drive:
            raise chk.fail(f"scenario.targets[{i}]", rel, "a catalogue file relative to the "
                           "scenario's folder, inside it", "leaves the scenario's folder")
        cpath = path.parent / rel
        if input_problem(cpath) not in (None, "no such file"):
            raise chk.fail(f"scenario.targets[{i}]", rel, "a catalogue file relative to the "
                           "scenario", f"{input_problem(cpath)} ({cpath})")
        if not cpath.is_file():
            raise chk.fail(f"scenario.targets[{i}]", rel, "an existing catalogue file relative to the scenario",
                           f"no such target catalogue ({cpath})")
        catalogues.append(cpath)
        g, t, a = _load_catalogue(cpath, years, provinces)
        for k, v in g.items():
            if k in groups and groups[k] != v:
                raise ScenarioError(str(cpath), f"groups.{k}", problem="group defined differently in "
                                    "another catalogue", allowed="one definition per group")
            groups[k] = v
        all_targets += t
        administrative += a
    seen: dict[str, str] = {}
    for t in all_targets:
        if t.id in seen:
            raise ScenarioError(t.catalogue, f"target {t.id}", problem=f"duplicate target id (also in {seen[t.id]})",
                                allowed="unique ids")
        seen[t.id] = t.catalogue
    targets, skipped = _select_targets(all_targets, sc.get("target_ids"), provinces, chk)

    scen = Scenario(
        name=name, description=description, path=path, text=text, provinces=provinces, years=years,
        start_year=start, end_year=end, members=members, seed=seed, electricity_conversion=conv,
        electricity_kgce_per_kwh=ELECTRICITY_CONVERSIONS[conv], plateau_tolerance=plateau,
        growth=growth, levers=levers, uncertainty=uncertainty, targets=tuple(targets),
        administrative=tuple(administrative), skipped_targets=tuple(skipped), groups=groups,
        catalogues=tuple(catalogues),
    )
    _check_route_floors(scen, chk)
    return scen


def validate(path: str | Path) -> Scenario:
    """Validate a scenario file (= load it); raises :class:`ScenarioError`."""
    return load_scenario(path)


def _known_province(chk: _Checker, path: str, p: Any) -> str:
    """The pinyin name of province value ``p`` (see :func:`sim.core.axes.resolve_province`); fails
    with a did-you-mean unless it is one of the 31 provinces."""
    try:
        return axes.resolve_province(p)
    except axes.UnknownProvince as e:
        hint = f"; did you mean '{e.suggestion}'?" if e.suggestion else ""
        raise chk.fail(path, p, e.suggestion or ", ".join(axes.PROVINCES),
                       f"unknown province{hint}") from None


def _parse_provinces(value: Any, chk: _Checker) -> tuple[str, ...]:
    if value == "all":
        return axes.PROVINCES
    if not isinstance(value, list) or not value:
        raise chk.fail("scenario.provinces", value, '"all" or a list of provinces',
                       'must be "all" or a non-empty list of provinces')
    names = [_known_province(chk, f"scenario.provinces[{i}]", p) for i, p in enumerate(value)]
    if len(set(names)) != len(names):
        dup = next(p for p in names if names.count(p) > 1)
        raise chk.fail("scenario.provinces", value, "each province once", f"lists {dup} twice")
    return tuple(p for p in axes.PROVINCES if p in names)  # canonical axes order


def _parse_points(table: Mapping, path: str, chk: _Checker, years: Sequence[int], low: float,
                  high: float, reserved: Sequence[str]) -> Trajectory:
    pts: list[tuple[int, float]] = []
    interp = None
    for k, v in table.items():
        if k == "interpolation" and "interpolation" in reserved:
            interp = chk.string(v, _join(path, k), INTERPOLATIONS)
            continue
        if k in reserved:
            continue
        if not re.fullmatch(r"\d{4}", k):
            raise chk.unknown(path, k, list(reserved) + ["<year> (e.g. 2030)"], "key")
        y = int(k)
        if not years[0] <= y <= years[-1]:
            raise chk.fail(_join(path, k), v, f"years {years[0]}-{years[-1]}",
                           f"is for a year outside the horizon {years[0]}-{years[-1]}")
        pts.append((y, chk.number(v, _join(path, k), low, high)))
    return Trajectory(tuple(sorted(pts)), interp)


def _parse_growth(tb: dict, chk: _Checker, years, provinces) -> GrowthSpec:
    chk.keys(tb, ("regional_gdp_adjustment", "interpolation", "sector", "province"), "growth")
    adj = chk.boolean(tb.get("regional_gdp_adjustment", False), "growth.regional_gdp_adjustment")
    interp = chk.string(tb.get("interpolation", "linear"), "growth.interpolation", INTERPOLATIONS)
    sector: dict[str, Trajectory] = {}
    for s, t in chk.table(tb.get("sector", {}), "growth.sector").items():
        chk.sector(s, "growth.sector")
        path = _join("growth.sector", s)
        sector[s] = _parse_points(chk.table(t, path), path, chk, years, *GROWTH_RANGE, ("interpolation",))
    ps: dict[tuple[str, str], Trajectory] = {}
    for key, p, pt in chk.provinces_table(tb.get("province", {}), "growth.province", provinces):
        ppath = _join("growth.province", key)
        pt = chk.table(pt, ppath)
        chk.keys(pt, ("sector",), ppath)
        for s, t in chk.table(pt.get("sector", {}), _join(ppath, "sector")).items():
            chk.sector(s, _join(ppath, "sector"))
            path = _join(_join(ppath, "sector"), s)
            ps[(p, s)] = _parse_points(chk.table(t, path), path, chk, years, *GROWTH_RANGE, ("interpolation",))
    return GrowthSpec(adj, interp, sector, ps)


def _parse_levers(tb: dict, chk: _Checker, years, provinces) -> dict[str, LeverSpec]:
    out: dict[str, LeverSpec] = {}
    for name, t in tb.items():
        if name not in LEVERS:
            raise chk.unknown("levers", name, list(LEVERS), "lever")
        lv = LEVERS[name]
        path = _join("levers", name)
        t = chk.table(t, path)
        if "province" in t and not lv.province_overrides:
            raise chk.fail(_join(path, "province"), problem=(
                f"is not allowed: lever {name} feeds the kernel array {lv.kernel_array}, which has "
                "no province axis (one value for all provinces, kernels/SPEC.md), so a province "
                f"value would be averaged away; set levers.{name} or levers.{name}.sector.<sector>"))
        reserved = ["interpolation"]
        if lv.per_province_sector:
            reserved.append("province")
            if lv.sector_overrides:
                reserved.append("sector")
        base = _parse_points(t, path, chk, years, lv.low, lv.high, reserved)
        sector: dict[str, Trajectory] = {}
        for s, st in chk.table(t.get("sector", {}), _join(path, "sector")).items():
            chk.sector(s, _join(path, "sector"), lv.sectors, f"lever {name}")
            sp = _join(_join(path, "sector"), s)
            sector[s] = _nonempty(_parse_points(chk.table(st, sp), sp, chk, years, lv.low, lv.high,
                                                ("interpolation",)), sp, chk, lv)
        province: dict[str, Trajectory] = {}
        ps: dict[tuple[str, str], Trajectory] = {}
        for key, p, pt in chk.provinces_table(t.get("province", {}), _join(path, "province"),
                                              provinces):
            pp = _join(_join(path, "province"), key)
            pt = chk.table(pt, pp)
            preserved = ["interpolation"] + (["sector"] if lv.sector_overrides else [])
            province[p] = _parse_points(pt, pp, chk, years, lv.low, lv.high, preserved)
            for s, st in chk.table(pt.get("sector", {}), _join(pp, "sector")).items():
                chk.sector(s, _join(pp, "sector"), lv.sectors, f"lever {name}")
                sp = _join(_join(pp, "sector"), s)
                ps[(p, s)] = _nonempty(_parse_points(chk.table(st, sp), sp, chk, years, lv.low,
                                                     lv.high, ("interpolation",)), sp, chk, lv)
            if province[p].empty and not any(k == p for k, _ in ps):
                _nonempty(province[p], pp, chk, lv)
        if base.empty and not sector and not province:
            _nonempty(base, path, chk, lv)
        out[name] = LeverSpec(name, base, province, sector, ps)
    return out


def _nonempty(trajectory: Trajectory, path: str, chk: _Checker, lever) -> Trajectory:
    """An empty lever table sets nothing (the lever stays at its default, no policy): refused, so
    a table whose points were forgotten or misplaced is not taken for a policy."""
    if trajectory.empty:
        raise chk.fail(path, problem=(
            f"empty table: no year = value points, so lever {lever.name} would stay at its default "
            f"{_fmt_num(lever.default)} (no policy); give points such as 2030 = ... or remove it"))
    return trajectory


def _parse_uncertainty(tb: dict, chk: _Checker) -> UncertaintySpec:
    dists = {}
    for name, t in tb.items():
        if name not in PARAMETERS:
            raise chk.unknown("uncertainty", name, list(PARAMETERS), "uncertain parameter")
        path = _join("uncertainty", name)
        t = chk.table(t, path)
        if "dist" not in t:
            raise chk.fail(_join(path, "dist"), problem="missing distribution",
                           allowed=", ".join(("uniform", "triangular", "normal", "lognormal", "truncnormal",
                                              "calibrated")))
        if name == MODEL_DISCREPANCY:  # a switch: only "calibrated" (widths from the fit)
            extra = [k for k in t if k not in ("dist", "evidence")]
            if t["dist"] != "calibrated" or extra:
                raise chk.fail(_join(path, extra[0] if extra else "dist"),
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
            key = _join(path, e.key) if e.key else path
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


def _calibrated_distribution(name: str, t: dict, path: str, chk: _Checker) -> dict:
    """``dist = "calibrated"``: the distribution the 2010-2015 fit derived for ``name``
    (calibration/fitted.toml ``[uncertainty.<name>]``, see calibration/fit.py), else that of
    :data:`CALIBRATED_FALLBACK`'s parameter."""
    from sim.data.base_state import FITTED_FILE, read_fitted

    extra = [k for k in t if k != "dist"]
    if extra:
        raise chk.fail(_join(path, extra[0]), t[extra[0]], "nothing besides dist",
                       'a calibrated distribution takes no parameters (they come from the fit)')
    table = (read_fitted() or {}).get("uncertainty", {})
    if name not in table and CALIBRATED_FALLBACK.get(name) in table:
        name = CALIBRATED_FALLBACK[name]
    if name not in table:
        raise chk.fail(_join(path, "dist"), "calibrated",
                       ", ".join(table) or f"none ({FITTED_FILE} is missing; run sim calibrate --fit)",
                       "no calibrated width for this parameter")
    return dict(table[name])


# --- target catalogues ----------------------------------------------------------------------------
_CATALOGUE_KEYS = ("catalogue", "groups", "target", "administrative")
_GROUP_KEYS = ("name", "provinces", "approximation", "note")
_TARGET_KEYS = ("id", "indicator", "scope", "year", "condition", "value", "base_year", "tolerance",
                "accounting", "source", "scope_note", "description")
_ADMIN_KEYS = ("id", "description", "year", "source", "status", "reason")


def _load_catalogue(path: Path, years, provinces):
    chk = _Checker(str(path))
    _, doc = _read_toml(path, str(path), chk)
    chk.keys(doc, _CATALOGUE_KEYS, "", "table")
    meta = chk.table(doc.get("catalogue", {}), "catalogue")
    chk.keys(meta, ("name", "description"), "catalogue")
    groups: dict[str, tuple[str, ...]] = {}
    for g, gt in chk.table(doc.get("groups", {}), "groups").items():
        gp = _join("groups", g)
        gt = chk.table(gt, gp)
        chk.keys(gt, _GROUP_KEYS, gp)
        members = gt.get("provinces")
        if not isinstance(members, list) or not members:
            raise chk.fail(_join(gp, "provinces"), members, "a non-empty list of provinces",
                           "must be a non-empty list of provinces")
        members = [_known_province(chk, f"{gp}.provinces[{i}]", p) for i, p in enumerate(members)]
        for k in ("name", "note"):
            if k in gt:
                chk.string(gt[k], _join(gp, k))
        if "approximation" in gt:
            chk.boolean(gt["approximation"], _join(gp, "approximation"))
        groups[g] = tuple(p for p in axes.PROVINCES if p in members)
    scopes = [NATIONAL, EACH_PROVINCE] + list(groups) + list(axes.PROVINCES)

    targets: list[Target] = []
    tlist = doc.get("target", [])
    if not isinstance(tlist, list):
        raise chk.fail("target", tlist, "[[target]] entries", "must be an array of tables [[target]]")
    for i, t in enumerate(tlist):
        tp = f"target[{i}]"
        t = chk.table(t, tp)
        if isinstance(t.get("id"), str):
            tp = f"target[{i}] ({t['id']})"
        chk.keys(t, _TARGET_KEYS, tp)
        for k in ("id", "indicator", "scope", "year", "condition", "source", "scope_note"):
            if k not in t:
                raise chk.fail(_join(tp, k), problem="missing (required)", allowed=", ".join(_TARGET_KEYS))
        tid = chk.string(t["id"], _join(tp, "id"))
        if not re.fullmatch(r"[A-Za-z0-9_]+", tid):
            raise chk.fail(_join(tp, "id"), tid, "letters, digits and _", "is not a valid id")
        ind = t["indicator"]
        if ind not in INDICATORS:
            raise _unknown_value(chk, _join(tp, "indicator"), ind, list(INDICATORS), "indicator")
        scope = t["scope"]
        if scope not in scopes and isinstance(scope, str):  # a province by ISO code or in Chinese
            try:
                scope = axes.resolve_province(scope)
            except axes.UnknownProvince:
                pass
        if scope not in scopes:
            raise _unknown_value(chk, _join(tp, "scope"), scope, scopes, "scope (national, each_province, "
                                 "a group of this catalogue or a province)")
        year = chk.integer(t["year"], _join(tp, "year"), years[0], years[-1])
        cond = chk.string(t["condition"], _join(tp, "condition"), tuple(CONDITIONS))
        rule = CONDITIONS[cond]  # which keys the condition uses (sim.core.targets)
        value = base_year = tolerance = accounting = None
        if rule.value == "required" and "value" not in t:
            raise chk.fail(_join(tp, "value"), problem=f"missing (required for condition {cond})",
                           allowed="a number")
        if rule.value == "unused" and "value" in t:
            raise chk.fail(_join(tp, "value"), t["value"], "no value", f"is not used by condition {cond}")
        if "value" in t:
            value = chk.number(t["value"], _join(tp, "value"))
        if rule.base_year:
            if "base_year" not in t:
                raise chk.fail(_join(tp, "base_year"), problem=f"missing (required for condition {cond})",
                               allowed=f"a year in {years[0]}-{years[-1]}")
            base_year = chk.integer(t["base_year"], _join(tp, "base_year"), years[0], year - 1)
        elif "base_year" in t:
            with_base_year = " / ".join(c.name for c in CONDITIONS.values() if c.base_year)
            raise chk.fail(_join(tp, "base_year"), t["base_year"], f"only with {with_base_year}",
                           f"is not used by condition {cond}")
        if rule.tolerance and "tolerance" not in t:
            raise chk.fail(_join(tp, "tolerance"), problem=f"missing (required for {cond})",
                           allowed="a number in [0, 1]")
        if "tolerance" in t:
            tolerance = chk.number(t["tolerance"], _join(tp, "tolerance"), 0.0, 1.0)
        if ind in CO2_INDICATORS:
            if "accounting" not in t:
                raise chk.fail(_join(tp, "accounting"), problem="missing (required for CO2 targets)",
                               allowed=", ".join(ACCOUNTINGS))
            accounting = chk.string(t["accounting"], _join(tp, "accounting"), ACCOUNTINGS)
        elif "accounting" in t:
            raise chk.fail(_join(tp, "accounting"), t["accounting"], "only for " + ", ".join(CO2_INDICATORS),
                           "applies to CO2 indicators only")
        source = chk.string(t["source"], _join(tp, "source"))
        note = chk.string(t["scope_note"], _join(tp, "scope_note"))
        desc = chk.string(t.get("description", ""), _join(tp, "description"))
        status = INDICATORS[ind][2]
        common = dict(indicator=ind, year=year, condition=cond, value=value, base_year=base_year,
                      tolerance=tolerance, accounting=accounting, source=source, scope_note=note,
                      status=status, description=desc, catalogue=str(path))
        if scope == EACH_PROVINCE:
            for p in provinces:
                targets.append(Target(id=f"{tid}:{p}", scope=p, provinces=(p,), **common))
        else:
            provs = (axes.PROVINCES if scope == NATIONAL else groups[scope] if scope in groups else (scope,))
            targets.append(Target(id=tid, scope=scope, provinces=tuple(provs), **common))

    admin: list[AdministrativeTarget] = []
    alist = doc.get("administrative", [])
    if not isinstance(alist, list):
        raise chk.fail("administrative", alist, "[[administrative]] entries",
                       "must be an array of tables [[administrative]]")
    for i, a in enumerate(alist):
        ap = f"administrative[{i}]"
        a = chk.table(a, ap)
        chk.keys(a, _ADMIN_KEYS, ap)
        for k in ("id", "description", "source", "status", "reason"):
            if k not in a:
                raise chk.fail(_join(ap, k), problem="missing (required)", allowed=", ".join(_ADMIN_KEYS))
            chk.string(a[k], _join(ap, k))
        chk.string(a["status"], _join(ap, "status"), ("not simulated",))
        year = chk.integer(a["year"], _join(ap, "year"), 1990, 2100) if "year" in a else None
        admin.append(AdministrativeTarget(a["id"], a["description"], year, a["source"], a["status"],
                                          a["reason"], str(path)))
    return groups, targets, admin


def _unknown_value(chk: _Checker, key: str, value: Any, choices: Sequence[str], what: str) -> ScenarioError:
    match = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    if match:
        return chk.fail(key, value, match[0], f"unknown {what}; did you mean '{match[0]}'?")
    return chk.fail(key, value, ", ".join(choices), f"unknown {what}")


def _select_targets(targets: list[Target], ids: Any, provinces: Sequence[str], chk: _Checker):
    simulated = set(provinces)

    def applicable(t: Target) -> bool:
        return set(t.provinces) <= simulated

    skipped: list[tuple[str, str]] = []
    if ids is None:
        chosen = []
        for t in targets:
            if applicable(t):
                chosen.append(t)
            else:
                skipped.append((t.id, f"scope {t.scope} includes provinces not simulated"))
        return chosen, skipped
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise chk.fail("scenario.target_ids", ids, "a list of target ids", "must be a list of target ids")
    by_id = {t.id: t for t in targets}
    base_ids = {t.id.split(":")[0] for t in targets}
    chosen_ids: list[str] = []
    for i, tid in enumerate(ids):
        key = f"scenario.target_ids[{i}]"
        if tid in by_id:
            matches = [tid]
        elif tid in base_ids:
            matches = [t.id for t in targets if t.id.split(":")[0] == tid]
        else:
            raise _unknown_value(chk, key, tid, sorted(set(by_id) | base_ids), "target id")
        for m in matches:
            if not applicable(by_id[m]):
                raise chk.fail(key, tid, "targets whose provinces are all simulated",
                               f"target scope {by_id[m].scope} includes provinces not simulated in this scenario")
            if m not in chosen_ids:
                chosen_ids.append(m)
    chosen = [by_id[m] for m in chosen_ids]
    skipped = [(t.id, "not in scenario.target_ids") for t in targets if t.id not in chosen_ids]
    return chosen, skipped


def _check_route_floors(scen: Scenario, chk: _Checker) -> None:
    """Route floors of one sector must sum to <= 1 in every province and year."""
    names = {n for group in ROUTE_FLOOR_GROUPS.values() for n in group}
    if not names & set(scen.levers):
        return
    arrays = {n: scen.lever_array(n) for n in names}
    for sector, group in ROUTE_FLOOR_GROUPS.items():
        if len(group) < 2 or not set(group) & set(scen.levers):
            continue
        si = axes.SECTORS.index(sector)
        total = sum(arrays[n][:, si] for n in group)  # (P,T)
        bad = np.argwhere(total > 1.0 + 1e-9)
        if bad.size:
            i, t = bad[0]
            parts = ", ".join(f"{n} {arrays[n][i, si, t]:g}" for n in group)
            raise chk.fail(" + ".join(f"levers.{n}" for n in group), float(total[i, t]), "a sum <= 1",
                           f"in {scen.years[t]} ({scen.provinces[i]}, {sector}: {parts}): route floors of "
                           f"one sector must sum to <= 1")
