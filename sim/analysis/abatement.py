"""What each lever of a scenario abates and what it costs (``sim abatement``): wedges per policy,
as the Energy Policy Simulator draws them, for a marginal-abatement-cost curve.

The scenario is run once as it is and once without each lever it sets, all with the same seed
and members (common random numbers: member *i* has the same uncertain parameters in every run),
and once with no lever at all. Each lever's row is the scenario against the scenario without it,
compared member by member by :func:`sim.analysis.costs.versus_baseline`: the CO2 it avoids over
the planning period (2025-2035, summed, in both accountings; median and 5-95 % of the per-member
differences), its extra present cost, and the levelised cost of abatement in CNY per t CO2
(ensemble-mean present extra cost over ensemble-mean present CO2 avoided), each as paid (with the
carbon payments) and as a resource cost (without them: the payments are a transfer to the carbon
market, and a lever that cuts CO2 under a carbon price would otherwise look cheaper by the
payments it saves). The curve and the order of the rows take the resource cost.

Co-benefits (issue #27): each row also carries the air pollutants (SO2, NOx as NO2, total PM;
``sim.model.pollutants``) the lever avoids over the same period, from the same pairs of runs
(common random numbers), and the pollutant avoided per t CO2 avoided: ensemble-mean pollutant
avoided over ensemble-mean CO2 avoided, both summed over the period [kg t-1]; NaN where the lever
avoids no CO2 on average (the ultra-low-emission lever cuts pollutants without touching CO2).

Removing one lever at a time measures what that lever adds **given all the others**. Levers
interact (a carbon price abates less once a scrap-EAF floor has built the EAFs it would have
paid for; an efficiency retrofit saves less coal after phase-out has closed the worst plants), so
the rows do not add up to the whole package: the row :data:`ALL` (the package against no policy)
says how far apart the sum and the whole are.

Public API
----------
``variants(scenario) -> dict[str, Scenario]``
    The scenario without each lever, and without all (:data:`ALL`).
``run_abatement(scenario, folder, members, seed, ...) -> dict[str, Path]``
    Run the scenario and its variants into ``folder`` (``sim.results.run.run_scenario``).
``wedges(ds, without, region) -> xr.Dataset``
    The rows from the result files: a small CF-1.10 dataset (dimension ``lever``).
``rows(ds)``, ``format_table(ds)``, ``format_csv(ds)``, ``format_json(ds)``
    The rows as ``sim abatement`` prints them.
``pollutants_avoided(ds, base, region) -> xr.DataArray``
    Per member and pollutant, what ``base`` emits more than ``ds`` over the period [t].
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import xarray as xr

from sim.analysis import costs
from sim.analysis.costs import ACCOUNTING_TEXT, CO2_VARIABLES
from sim.core.indicators import ACCOUNTINGS
from sim.core.sizes import CHUNK_SIZE
from sim.core.variables import COORDINATES
from sim.results import reading as results
from sim.results.run import run_scenario

ALL = "all_levers"
"""The row of the whole package: the scenario against the same scenario with no lever."""
SCENARIO = "scenario"
"""The key of the scenario's own run in :func:`run_abatement`'s answer."""
DETAIL = "province"
"""Output detail of the runs: the smallest that keeps per-member costs and CO2 by region."""
STATISTICS = results.REPORTED
"""Quantiles of the per-member differences in the wedges file (those the report prints)."""
INTERACTIONS = ("each lever is removed on its own from the full scenario: its row is what it adds "
                "given all the others; levers interact, so the rows do not add up to the "
                f"package (row {ALL}: the package against no policy)")
"""The caveat every output of the wedges carries."""


class AbatementError(ValueError):
    """A scenario that cannot be taken apart by lever (it sets none)."""


def variants(scenario) -> dict[str, object]:
    """Lever name -> ``scenario`` without that lever, in the scenario's order, then :data:`ALL`
    -> ``scenario`` with no lever (the package against no policy).

    A lever left out is at its registry default (no policy) in every year, province and sector,
    exactly as if the scenario file had no table for it."""
    if not scenario.levers:
        raise AbatementError(f"{scenario.path}: sets no levers, so there is nothing to take apart "
                             "(allowed: a scenario with at least one [levers.<name>] table)")
    out = {name: dataclasses.replace(scenario, levers={k: v for k, v in scenario.levers.items()
                                                       if k != name})
           for name in scenario.levers}
    out[ALL] = dataclasses.replace(scenario, levers={})
    return out


def run_abatement(scenario, folder: Path | str, members: int | None = None,
                  seed: int | None = None,
                  progress: Callable[[int, int, str], None] | None = None,
                  chunk_size: int = CHUNK_SIZE) -> dict[str, Path]:
    """Run ``scenario`` and each of its :func:`variants` with the same ``members`` and ``seed``
    (default the scenario's) into ``folder`` at detail :data:`DETAIL`; returns :data:`SCENARIO`
    or the variant's name -> its result file. ``progress(done, total, name)`` is called before
    each run. With one lever, "without it" is the :data:`ALL` run and is run once."""
    folder = Path(folder)
    runs = {SCENARIO: scenario, **variants(scenario)}
    if len(scenario.levers) == 1:
        del runs[ALL]
    paths = {}
    for i, (name, sc) in enumerate(runs.items()):
        if progress is not None:
            progress(i, len(runs), name)
        attrs = {} if name == SCENARIO else {
            "abatement_variant": f"{scenario.name} without " + (
                "any lever" if name == ALL else f"the lever {name}")}
        paths[name] = run_scenario(sc, folder / f"{i:02d}_{name}.nc", members=members, seed=seed,
                                   detail=DETAIL, chunk_size=chunk_size, attrs=attrs,
                                   command="sim abatement").path
    if len(scenario.levers) == 1:
        paths[ALL] = paths[next(iter(scenario.levers))]
    if progress is not None:
        progress(len(runs), len(runs), "")
    return paths


KG_PER_T = 1e3
T_PER_MT = 1e6


def _over_window(ds: xr.Dataset, da: xr.DataArray) -> xr.DataArray:
    """``da`` (…, year) summed over the planning period (``sim.analysis.costs.window_years``)."""
    first, last = costs.window_years(ds)
    return da.sel(year=slice(first, last)).sum("year")


def avoided(ds: xr.Dataset, base: xr.Dataset, region: str, name: str) -> xr.DataArray:
    """(member, year[, ...]) what ``base`` emits of variable ``name`` in ``region`` more than
    ``ds``, member by member (common random numbers) [the variable's units per year]."""
    return base[name].sel(region=region) - ds[name].sel(region=region)


def avoided_by_year(ds: xr.Dataset, without: Mapping[str, xr.Dataset], region: str,
                    accounting: str = "scope1") -> np.ndarray:
    """(lever, year) CO2 each lever avoids in each year [Mt yr-1]: the median over members of the
    scenario without it minus the scenario, in ``accounting`` (the rows of :func:`wedges` sum it
    over the planning period)."""
    name = CO2_VARIABLES[accounting]
    return np.array([results.median(avoided(ds, w, region, name)).values for w in without.values()])


def pollutants_avoided(ds: xr.Dataset, base: xr.Dataset, region: str) -> xr.DataArray:
    """(member, pollutant) air pollutants of ``region`` that ``base`` emits more than ``ds``
    over the planning period [t] (``industrial_pollutants``, member by member)."""
    return _over_window(ds, avoided(ds, base, region, "industrial_pollutants").astype(float))


def _co2_avoided_mean(ds: xr.Dataset, base: xr.Dataset, region: str, accounting: str) -> float:
    """Ensemble mean of the CO2 of ``region`` that ``base`` emits more than ``ds`` over the
    planning period [Mt], in ``accounting``."""
    return float(_over_window(
        ds, avoided(ds, base, region, CO2_VARIABLES[accounting]).astype(float)).mean())


def _co_benefits(ds: xr.Dataset, without: Mapping[str, xr.Dataset], region: str,
                 window: str) -> dict:
    """The pollutant variables of :func:`wedges` (empty for files without pollutants)."""
    if not all("industrial_pollutants" in d for d in (ds, *without.values())):
        return {}
    pollutants = [str(p) for p in ds["pollutant"].values]
    avoided = np.full((len(without), len(pollutants), len(STATISTICS)), np.nan)
    per_co2 = np.full((len(without), len(pollutants), len(ACCOUNTINGS)), np.nan)
    for i, base in enumerate(without.values()):
        per_member = pollutants_avoided(ds, base, region).transpose("member", "pollutant")
        avoided[i] = results.quantiles(per_member, STATISTICS).transpose("pollutant", "quantile").values
        mean = per_member.mean("member").values  # (pollutant,) t
        for j, accounting in enumerate(ACCOUNTINGS):
            if CO2_VARIABLES[accounting] not in ds or CO2_VARIABLES[accounting] not in base:
                continue
            co2 = _co2_avoided_mean(ds, base, region, accounting)  # Mt
            if co2 > 0:
                per_co2[i, :, j] = mean * KG_PER_T / (co2 * T_PER_MT)
    return {
        "pollutant_avoided": (("lever", "pollutant", "quantile"), avoided, dict(
            units="t", long_name=f"air pollutant avoided by the lever over {window} (scenario "
                                 "without it minus scenario, summed over the years; quantiles of "
                                 "the per-member differences)")),
        "pollutant_per_co2": (("lever", "pollutant", "accounting"), per_co2, dict(
            units="kg t-1", long_name="air pollutant avoided per t CO2 avoided by the lever: "
                                      f"ensemble-mean pollutant avoided over ensemble-mean CO2 "
                                      f"avoided, both summed over {window}",
            comment="NaN where the lever avoids no CO2 on average")),
    }


def wedges(ds: xr.Dataset, without: Mapping[str, xr.Dataset], region: str | None = None) -> xr.Dataset:
    """The wedge of every lever: ``ds`` (the scenario) against ``without[name]`` (the scenario
    without that lever, or :data:`ALL`: without any), member by member, for ``region`` (default:
    the file's only province, else national).

    Variables: ``co2_avoided`` (lever, accounting, quantile) [Mt], the CO2 avoided summed over
    the planning period, quantiles of the per-member differences; ``extra_cost`` (lever,
    quantile) [CNY], the present value of the extra cost as paid, and ``extra_resource_cost``
    without the carbon payments; ``abatement_cost`` and ``resource_abatement_cost`` (lever,
    accounting) [CNY t-1], the levelised cost of abatement on each basis (NaN where no CO2 is
    avoided); where the files have air pollutants, ``pollutant_avoided`` (lever, pollutant,
    quantile) [t] over the period and ``pollutant_per_co2`` (lever, pollutant, accounting)
    [kg t-1] (module docstring).
    """
    if region is None:
        provinces = results.provinces(ds, None)
        region = provinces[0] if len(provinces) == 1 else costs.default_region(ds)
    names = list(without)
    avoided = np.full((len(names), len(ACCOUNTINGS), len(STATISTICS)), np.nan)
    extra = np.full((len(names), len(STATISTICS)), np.nan)
    extra_resource = np.full((len(names), len(STATISTICS)), np.nan)
    per_t = np.full((len(names), len(ACCOUNTINGS)), np.nan)
    per_t_resource = np.full((len(names), len(ACCOUNTINGS)), np.nan)
    window = costs.window(ds)
    for i, name in enumerate(names):
        v = costs.versus_baseline(ds, without[name], region)
        extra[i] = (v["p05"], v["median"], v["p95"])
        extra_resource[i] = (v["resource_p05"], v["resource_median"], v["resource_p95"])
        for j, accounting in enumerate(ACCOUNTINGS):
            a = v["accountings"].get(accounting)
            if a is not None:
                avoided[i, j] = (a["avoided_p05"], a["avoided_median"], a["avoided_p95"])
                per_t[i, j] = a["cost_per_t"]
                per_t_resource[i, j] = a["resource_cost_per_t"]
    currency = ds["discounted_cost"].attrs.get("currency", "CNY (2019 prices)")
    rate = costs.discount_rate(ds)
    out = xr.Dataset(
        {"co2_avoided": (("lever", "accounting", "quantile"), avoided, dict(
            units="Mt", long_name=f"CO2 avoided by the lever over {window} (scenario without it "
                                  "minus scenario, summed over the years; quantiles of the "
                                  "per-member differences)")),
         "extra_cost": (("lever", "quantile"), extra, dict(
             units="1", currency=currency, discount_rate=rate,
             long_name=f"extra present cost of the lever over {window} (scenario minus scenario "
                       "without it; quantiles of the per-member differences), CNY at 2019 "
                       "prices")),
         "extra_resource_cost": (("lever", "quantile"), extra_resource, dict(
             units="1", currency=currency, discount_rate=rate,
             long_name=f"extra present cost of the lever over {window} without the carbon "
                       "payments (a transfer to the carbon market), quantiles of the per-member "
                       "differences, CNY at 2019 prices")),
         "abatement_cost": (("lever", "accounting"), per_t, dict(
             units="t-1", currency=currency, discount_rate=rate,
             long_name="levelised cost of abatement as paid: ensemble-mean present extra cost "
                       "over ensemble-mean present CO2 avoided, CNY at 2019 prices per t CO2",
             comment="NaN where the lever avoids no CO2 on average")),
         "resource_abatement_cost": (("lever", "accounting"), per_t_resource, dict(
             units="t-1", currency=currency, discount_rate=rate,
             long_name="levelised cost of abatement without the carbon payments (resource "
                       "cost), CNY at 2019 prices per t CO2",
             comment="NaN where the lever avoids no CO2 on average")),
         **_co_benefits(ds, without, region, window)},
        coords={"lever": ("lever", names, dict(long_name="lever removed from the scenario "
                                                         f"({ALL}: every lever)")),
                "accounting": ("accounting", list(ACCOUNTINGS), dict(
                    long_name="CO2 accounting: " + "; ".join(
                        f"{a} = {ACCOUNTING_TEXT[a]} ({CO2_VARIABLES[a]})" for a in ACCOUNTINGS))),
                "quantile": ("quantile", list(STATISTICS), dict(COORDINATES["quantile"]))})
    if "pollutant_avoided" in out:
        out = out.assign_coords(pollutant=("pollutant", [str(p) for p in ds["pollutant"].values],
                                           dict(COORDINATES["pollutant"])))
    keep = ("Conventions", "title", "institution", "source", "references", "scenario_name",
            "scenario_file", "seed", "members", "data_sources", "calibration")
    out.attrs.update({k: ds.attrs[k] for k in keep if k in ds.attrs})
    out.attrs.update(region=region, window=window, comment=INTERACTIONS,
                     output_detail=ds.attrs.get("output_detail", DETAIL),
                     history=f"sim abatement: {len(names)} variants of "
                             f"{ds.attrs.get('scenario_name', results.name_of(ds))} against it")
    return out


def is_wedges(ds: xr.Dataset) -> bool:
    """Whether ``ds`` is a wedges file of :func:`wedges` (``sim abatement``)."""
    return "lever" in ds.dims and "abatement_cost" in ds.data_vars


BASES = {"resource": "resource_abatement_cost", "paid": "abatement_cost"}
"""The two costs per tonne of a wedges file: without the carbon payments, and as paid."""
BASIS_TEXT = {"resource": "without carbon payments (resource cost)",
              "paid": "as paid (with carbon payments)"}


def order(ds: xr.Dataset, accounting: str = "scope1", basis: str = "resource") -> list[str]:
    """The levers (without :data:`ALL`) by cost per tonne in ``accounting`` on ``basis``
    (:data:`BASES`), cheapest first; levers that avoid no CO2 (NaN) last, in file order."""
    levers = [str(x) for x in ds["lever"].values if str(x) != ALL]
    cost = {lv: float(ds[BASES[basis]].sel(lever=lv, accounting=accounting)) for lv in levers}
    return sorted(levers, key=lambda lv: (not np.isfinite(cost[lv]),
                                          cost[lv] if np.isfinite(cost[lv]) else 0.0))


def rows(ds: xr.Dataset) -> list[dict]:
    """One row per lever (cheapest first in scope1 without carbon payments, then :data:`ALL`):
    the removed ``lever``, ``extra_cost`` and ``extra_resource_cost`` p05/median/p95 [CNY], and
    per accounting ``co2_avoided_<acc>`` p05/median/p95 [Mt], ``cost_per_t_<acc>`` (as paid)
    and ``resource_cost_per_t_<acc>`` [CNY t-1] (None where no CO2 is avoided); per air
    pollutant (:func:`pollutants`) ``<pollutant>_avoided`` p05/median/p95 [t] and
    ``<pollutant>_per_t_co2_<acc>`` [kg per t CO2] (None where no CO2 is avoided)."""
    names = order(ds) + ([ALL] if ALL in ds["lever"].values else [])

    def number(x) -> float | None:
        x = float(x)
        return x if np.isfinite(x) else None

    out = []
    for name in names:
        row = dict(lever=name)
        e = ds["extra_cost"].sel(lever=name).values
        r = ds["extra_resource_cost"].sel(lever=name).values
        row.update(extra_cost_p05=number(e[0]), extra_cost_median=number(e[1]),
                   extra_cost_p95=number(e[2]), extra_resource_cost_p05=number(r[0]),
                   extra_resource_cost_median=number(r[1]), extra_resource_cost_p95=number(r[2]))
        for accounting in ds["accounting"].values:
            a = ds["co2_avoided"].sel(lever=name, accounting=accounting).values
            row.update({f"co2_avoided_{accounting}_p05": number(a[0]),
                        f"co2_avoided_{accounting}_median": number(a[1]),
                        f"co2_avoided_{accounting}_p95": number(a[2]),
                        f"cost_per_t_{accounting}": number(
                            ds["abatement_cost"].sel(lever=name, accounting=accounting)),
                        f"resource_cost_per_t_{accounting}": number(
                            ds["resource_abatement_cost"].sel(lever=name, accounting=accounting))})
        for pollutant in pollutants(ds):
            a = ds["pollutant_avoided"].sel(lever=name, pollutant=pollutant).values
            row.update({f"{pollutant}_avoided_p05": number(a[0]),
                        f"{pollutant}_avoided_median": number(a[1]),
                        f"{pollutant}_avoided_p95": number(a[2])})
            row.update({f"{pollutant}_per_t_co2_{accounting}": number(
                ds["pollutant_per_co2"].sel(lever=name, pollutant=pollutant, accounting=accounting))
                for accounting in ds["accounting"].values})
        out.append(row)
    return out


def pollutants(ds: xr.Dataset) -> list[str]:
    """The air pollutants of a wedges file (none in files written before issue #27)."""
    return [str(p) for p in ds["pollutant"].values] if "pollutant_avoided" in ds else []


def _mt(row: dict, key: str) -> str:
    if row[f"{key}_median"] is None:
        return "n/a"
    return f"{row[f'{key}_median']:,.1f} ({row[f'{key}_p05']:,.1f} - {row[f'{key}_p95']:,.1f})"


def format_table(ds: xr.Dataset) -> str:
    """The plain-text table of ``sim abatement``."""
    accountings = [str(a) for a in ds["accounting"].values]
    rate = float(ds["extra_cost"].attrs["discount_rate"])
    lines = [f"Abatement by lever, {ds.attrs.get('scenario_name', '')} ({ds.attrs['region']}), "
             f"{ds.attrs.get('members', '?')} members, seed {ds.attrs.get('seed', '?')}, "
             f"{ds.attrs['window']}, common random numbers:",
             "  CO2 avoided [Mt], median (5-95 %) of the per-member differences; "
             + "; ".join(f"{a} = {ACCOUNTING_TEXT[a]}" for a in accountings),
             "  CNY/t: levelised cost of abatement without carbon payments (resource cost), "
             "paid: with them [CNY/t CO2, 2019 prices]",
             f"  extra cost: present value without carbon payments [bn CNY, 2019 prices, "
             f"{rate:.0%} a year], median (5-95 %); paid: median with them"]
    head = f"{'lever removed':<28}"
    for a in accountings:
        head += f" {'CO2 avoided ' + a:>30} {'CNY/t':>9} {'paid':>9}"
    head += f" {'extra cost':>10} {'5-95 %':>21} {'paid':>10}"
    lines.append(head)

    def per_t(x) -> str:
        return f"{x:,.0f}" if x is not None else "none"

    def money(x) -> str:
        return costs.money(np.nan if x is None else x)

    for row in rows(ds):
        text = f"{row['lever']:<28}"
        for a in accountings:
            text += (f" {_mt(row, f'co2_avoided_{a}'):>30} "
                     f"{per_t(row[f'resource_cost_per_t_{a}']):>9} {per_t(row[f'cost_per_t_{a}']):>9}")
        spread = (f"{money(row['extra_resource_cost_p05'])} - "
                  f"{money(row['extra_resource_cost_p95'])}")
        text += (f" {money(row['extra_resource_cost_median']):>10} {spread:>21} "
                 f"{money(row['extra_cost_median']):>10}")
        lines.append(text)
    lines.append("  none: no CO2 avoided on average in that accounting, so no cost per tonne.")
    lines += _co_benefit_lines(ds)
    lines.append(f"Note: {INTERACTIONS}.")
    return "\n".join(lines)


def _co_benefit_lines(ds: xr.Dataset) -> list[str]:
    """The co-benefit block of the table: each pollutant avoided [kt] and per t CO2 avoided."""
    names = pollutants(ds)
    if not names:
        return []
    accounting = "scope1"  # the pollutants and scope-1 CO2 come out of the same stacks
    lines = ["", f"Co-benefits: air pollutants avoided over {ds.attrs['window']} [kt], median "
             "(5-95 %), and per t CO2 avoided [kg/t, ensemble means, "
             f"{accounting} CO2]; NOx as NO2, PM total from stacks",
             f"{'lever removed':<28}" + "".join(f" {p + ' avoided':>26} {'kg/t':>7}" for p in names)]

    def kt(row: dict, key: str) -> str:
        if row[f"{key}_median"] is None:
            return "n/a"
        return (f"{row[f'{key}_median'] / 1e3:,.1f} ({row[f'{key}_p05'] / 1e3:,.1f} - "
                f"{row[f'{key}_p95'] / 1e3:,.1f})")

    for row in rows(ds):
        text = f"{row['lever']:<28}"
        for p in names:
            ratio = row[f"{p}_per_t_co2_{accounting}"]
            text += f" {kt(row, f'{p}_avoided'):>26} {'none' if ratio is None else f'{ratio:.2f}':>7}"
        lines.append(text)
    lines.append("  none: no CO2 avoided on average, so no pollutant per t CO2 (the lever may still "
                 "cut pollutants, as ultra-low-emission control does).")
    return lines


def format_csv(ds: xr.Dataset) -> str:
    """The rows as one CSV table (money in CNY, CO2 in Mt, empty where no CO2 is avoided)."""
    table = rows(ds)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in table)
    return buffer.getvalue()


def format_json(ds: xr.Dataset) -> str:
    """The rows as one JSON object, with the units, the region, the window and the caveat."""
    def integer(name: str) -> int | None:  # attributes read back are NumPy integers
        return int(ds.attrs[name]) if name in ds.attrs else None

    return json.dumps(dict(scenario=ds.attrs.get("scenario_name"), region=ds.attrs["region"],
                           window=ds.attrs["window"], members=integer("members"),
                           seed=integer("seed"),
                           units=dict(co2_avoided="Mt CO2", extra_cost="CNY (2019 prices)",
                                      extra_resource_cost="CNY (2019 prices), without carbon "
                                                          "payments",
                                      cost_per_t="CNY (2019 prices) per t CO2, as paid",
                                      resource_cost_per_t="CNY (2019 prices) per t CO2, without "
                                                          "carbon payments",
                                      pollutant_avoided="t (NOx as NO2)",
                                      pollutant_per_t_co2="kg of the pollutant per t CO2 avoided"),
                           accountings={a: ACCOUNTING_TEXT[a] for a in ds["accounting"].values},
                           note=INTERACTIONS, rows=rows(ds)),
                      ensure_ascii=False, indent=2, allow_nan=False)


FORMATS = {"table": format_table, "csv": format_csv, "json": format_json}
"""The printed forms of ``sim abatement --format``."""
