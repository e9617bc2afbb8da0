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

from pathlib import Path, PurePath

import numpy as np

from sim.core import axes, sizes
from sim.core.files import input_problem
from sim.core.levers import ROUTE_FLOOR_GROUPS
from sim.scenario.catalogue import load_catalogue, select_targets
from sim.scenario.errors import Checker, ScenarioError, read_toml
from sim.scenario.parse import parse_growth, parse_levers, parse_provinces, parse_uncertainty
from sim.scenario.spec import (
    DEFAULT_MEMBERS,
    DEFAULT_SEED,
    ELECTRICITY_CONVERSIONS,
    MAX_END_YEAR,
    AdministrativeTarget,
    Scenario,
    Target,
)

_TOP_KEYS = ("scenario", "growth", "levers", "uncertainty", "settings")


_SCENARIO_KEYS = ("name", "description", "provinces", "start_year", "end_year", "members", "seed",
                  "electricity_conversion", "targets", "target_ids")


_SETTINGS_KEYS = ("plateau_tolerance",)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file and its target catalogues."""
    path = Path(path)
    chk = Checker(str(path))
    text, doc = read_toml(path, str(path), chk)
    return scenario_from_document(doc, text, path)


def read_document(path: str | Path) -> tuple[str, dict]:
    """The text and parsed TOML of a scenario file (errors as :class:`ScenarioError`)."""
    path = Path(path)
    return read_toml(path, str(path), Checker(str(path)))


def scenario_from_document(doc: dict, text: str, path: Path, display: str | None = None) -> Scenario:
    """Validate a parsed scenario document. ``path`` locates the target catalogues (relative to
    its folder); errors name ``display`` (default: the path), e.g. a sweep case."""
    path = Path(path)
    chk = Checker(display or str(path))
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
    provinces = parse_provinces(sc.get("provinces", "all"), chk)
    members = chk.members(sc.get("members", DEFAULT_MEMBERS), "scenario.members", len(provinces),
                          len(years))
    seed = chk.integer(sc.get("seed", DEFAULT_SEED), "scenario.seed", 0, sizes.MAX_SEED)
    conv = chk.string(sc.get("electricity_conversion", "calorific"), "scenario.electricity_conversion",
                      tuple(ELECTRICITY_CONVERSIONS))

    settings = chk.table(doc.get("settings", {}), "settings")
    chk.keys(settings, _SETTINGS_KEYS, "settings")
    plateau = chk.number(settings.get("plateau_tolerance", 0.01), "settings.plateau_tolerance", 0.0, 0.5)

    growth = parse_growth(chk.table(doc.get("growth", {}), "growth"), chk, years, provinces)
    levers = parse_levers(chk.table(doc.get("levers", {}), "levers"), chk, years, provinces)
    uncertainty = parse_uncertainty(chk.table(doc.get("uncertainty", {}), "uncertainty"), chk)

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
        g, t, a = load_catalogue(cpath, years, provinces)
        g, t, a = dict(g), list(t), list(a)
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
    targets, skipped = select_targets(all_targets, sc.get("target_ids"), provinces, chk)

    scen = Scenario(
        name=name, description=description, path=path, text=text, provinces=provinces, years=years,
        start_year=start, end_year=end, members=members, seed=seed, electricity_conversion=conv,
        electricity_kgce_per_kwh=ELECTRICITY_CONVERSIONS[conv], plateau_tolerance=plateau,
        growth=growth, levers=levers, uncertainty=uncertainty, targets=tuple(targets),
        administrative=tuple(administrative), skipped_targets=tuple(skipped), groups=groups,
        catalogues=tuple(catalogues),
    )
    check_route_floors(scen, chk)
    return scen


def validate(path: str | Path) -> Scenario:
    """Validate a scenario file (= load it); raises :class:`ScenarioError`."""
    return load_scenario(path)


def check_route_floors(scen: Scenario, chk: Checker) -> None:
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

