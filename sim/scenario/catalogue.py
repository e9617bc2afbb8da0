"""Target catalogues: groups of provinces, targets (expanded per province where the scope is
``each_province``) and administrative targets, validated against the indicator and condition
registries; and the selection of a scenario's targets."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Sequence

from sim.core import axes
from sim.core.indicators import ACCOUNTINGS
from sim.core.indicators_registry import CO2_INDICATORS, INDICATORS
from sim.core.targets import CONDITIONS
from sim.scenario.errors import Checker, join_key, read_toml
from sim.scenario.spec import EACH_PROVINCE, NATIONAL, AdministrativeTarget, Target

_CATALOGUE_KEYS = ("catalogue", "groups", "target", "administrative")


_GROUP_KEYS = ("name", "provinces", "approximation", "note")


_TARGET_KEYS = ("id", "indicator", "scope", "year", "condition", "value", "base_year", "tolerance",
                "accounting", "source", "scope_note", "description")


_ADMIN_KEYS = ("id", "description", "year", "source", "status", "reason")


def _names_a_province(key: str) -> bool:
    try:
        axes.resolve_province(key)
    except axes.UnknownProvince:
        return False
    return True


def load_catalogue(path: Path, years, provinces):
    """(groups, targets, administrative targets) of the catalogue file ``path`` for a scenario of
    ``years`` and ``provinces``, validated; cached by the file's path, size and modification time
    (a sweep validates every case's scenario, and they share their catalogues)."""
    st = Path(path).stat()
    return _load_catalogue_cached(str(path), st.st_mtime_ns, st.st_size, tuple(years),
                                  tuple(provinces))


@functools.lru_cache(maxsize=64)
def _load_catalogue_cached(path: str, mtime_ns: int, size: int, years: tuple, provinces: tuple):
    groups, targets, admin = _read_catalogue(Path(path), years, provinces)
    return dict(groups), tuple(targets), tuple(admin)


def _read_catalogue(path: Path, years, provinces):
    chk = Checker(str(path))
    _, doc = read_toml(path, str(path), chk)
    chk.keys(doc, _CATALOGUE_KEYS, "", "table")
    meta = chk.table(doc.get("catalogue", {}), "catalogue")
    chk.keys(meta, ("name", "description"), "catalogue")
    groups: dict[str, tuple[str, ...]] = {}
    for g, gt in chk.table(doc.get("groups", {}), "groups").items():
        gp = join_key("groups", g)
        if g in (NATIONAL, EACH_PROVINCE) or _names_a_province(g):
            raise chk.fail(gp, problem="names a province or a scope of its own, so the group would "
                           "shadow it (a target scoped there would silently cover the group's "
                           "provinces)", allowed="a group key that is not a province (pinyin, ISO "
                           "code or Chinese), national or each_province")
        gt = chk.table(gt, gp)
        chk.keys(gt, _GROUP_KEYS, gp)
        members = gt.get("provinces")
        if not isinstance(members, list) or not members:
            raise chk.fail(join_key(gp, "provinces"), members, "a non-empty list of provinces",
                           "must be a non-empty list of provinces")
        members = [chk.known_province(f"{gp}.provinces[{i}]", p) for i, p in enumerate(members)]
        for k in ("name", "note"):
            if k in gt:
                chk.string(gt[k], join_key(gp, k))
        if "approximation" in gt:
            chk.boolean(gt["approximation"], join_key(gp, "approximation"))
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
                raise chk.fail(join_key(tp, k), problem="missing (required)", allowed=", ".join(_TARGET_KEYS))
        tid = chk.string(t["id"], join_key(tp, "id"))
        if not re.fullmatch(r"[A-Za-z0-9_]+", tid):
            raise chk.fail(join_key(tp, "id"), tid, "letters, digits and _", "is not a valid id")
        ind = t["indicator"]
        if ind not in INDICATORS:
            raise chk.unknown_value(join_key(tp, "indicator"), ind, list(INDICATORS), "indicator")
        scope = t["scope"]
        if scope not in scopes and isinstance(scope, str):  # a province by ISO code or in Chinese
            try:
                scope = axes.resolve_province(scope)
            except axes.UnknownProvince:
                pass
        if scope not in scopes:
            raise chk.unknown_value(join_key(tp, "scope"), scope, scopes, "scope (national, each_province, "
                                 "a group of this catalogue or a province)")
        year = chk.integer(t["year"], join_key(tp, "year"), years[0], years[-1])
        cond = chk.string(t["condition"], join_key(tp, "condition"), tuple(CONDITIONS))
        rule = CONDITIONS[cond]  # which keys the condition uses (sim.core.targets)
        value = base_year = tolerance = accounting = None
        if rule.value == "required" and "value" not in t:
            raise chk.fail(join_key(tp, "value"), problem=f"missing (required for condition {cond})",
                           allowed="a number")
        if rule.value == "unused" and "value" in t:
            raise chk.fail(join_key(tp, "value"), t["value"], "no value", f"is not used by condition {cond}")
        if "value" in t:
            value = chk.number(t["value"], join_key(tp, "value"))
        if rule.base_year:
            if "base_year" not in t:
                raise chk.fail(join_key(tp, "base_year"), problem=f"missing (required for condition {cond})",
                               allowed=f"a year in {years[0]}-{years[-1]}")
            base_year = chk.integer(t["base_year"], join_key(tp, "base_year"), years[0], year - 1)
        elif "base_year" in t:
            with_base_year = " / ".join(c.name for c in CONDITIONS.values() if c.base_year)
            raise chk.fail(join_key(tp, "base_year"), t["base_year"], f"only with {with_base_year}",
                           f"is not used by condition {cond}")
        if rule.tolerance and "tolerance" not in t:
            raise chk.fail(join_key(tp, "tolerance"), problem=f"missing (required for {cond})",
                           allowed="a number in [0, 1]")
        if "tolerance" in t:
            tolerance = chk.number(t["tolerance"], join_key(tp, "tolerance"), 0.0, 1.0)
        if ind in CO2_INDICATORS:
            if "accounting" not in t:
                raise chk.fail(join_key(tp, "accounting"), problem="missing (required for CO2 targets)",
                               allowed=", ".join(ACCOUNTINGS))
            accounting = chk.string(t["accounting"], join_key(tp, "accounting"), ACCOUNTINGS)
        elif "accounting" in t:
            raise chk.fail(join_key(tp, "accounting"), t["accounting"], "only for " + ", ".join(CO2_INDICATORS),
                           "applies to CO2 indicators only")
        source = chk.string(t["source"], join_key(tp, "source"))
        note = chk.string(t["scope_note"], join_key(tp, "scope_note"))
        desc = chk.string(t.get("description", ""), join_key(tp, "description"))
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
                raise chk.fail(join_key(ap, k), problem="missing (required)", allowed=", ".join(_ADMIN_KEYS))
            chk.string(a[k], join_key(ap, k))
        chk.string(a["status"], join_key(ap, "status"), ("not simulated",))
        year = chk.integer(a["year"], join_key(ap, "year"), 1990, 2100) if "year" in a else None
        admin.append(AdministrativeTarget(a["id"], a["description"], year, a["source"], a["status"],
                                          a["reason"], str(path)))
    return groups, targets, admin


def select_targets(targets: list[Target], ids: Any, provinces: Sequence[str], chk: Checker):
    """The targets a scenario evaluates (all that apply to its provinces, or the ids it lists),
    and the skipped ones with the reason."""
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
            raise chk.unknown_value(key, tid, sorted(set(by_id) | base_ids), "target id")
        for m in matches:
            if not applicable(by_id[m]):
                raise chk.fail(key, tid, "targets whose provinces are all simulated",
                               f"target scope {by_id[m].scope} includes provinces not simulated in this scenario")
            if m not in chosen_ids:
                chosen_ids.append(m)
    chosen = [by_id[m] for m in chosen_ids]
    skipped = [(t.id, "not in scenario.target_ids") for t in targets if t.id not in chosen_ids]
    return chosen, skipped

