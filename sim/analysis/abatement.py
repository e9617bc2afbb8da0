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
                  chunk_size: int = 256) -> dict[str, Path]:
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


def wedges(ds: xr.Dataset, without: Mapping[str, xr.Dataset], region: str | None = None) -> xr.Dataset:
    """The wedge of every lever: ``ds`` (the scenario) against ``without[name]`` (the scenario
    without that lever, or :data:`ALL`: without any), member by member, for ``region`` (default:
    the file's only province, else national).

    Variables: ``co2_avoided`` (lever, accounting, quantile) [Mt], the CO2 avoided summed over
    the planning period, quantiles of the per-member differences; ``extra_cost`` (lever,
    quantile) [CNY], the present value of the extra cost as paid, and ``extra_resource_cost``
    without the carbon payments; ``abatement_cost`` and ``resource_abatement_cost`` (lever,
    accounting) [CNY t-1], the levelised cost of abatement on each basis (NaN where no CO2 is
    avoided).
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
             comment="NaN where the lever avoids no CO2 on average"))},
        coords={"lever": ("lever", names, dict(long_name="lever removed from the scenario "
                                                         f"({ALL}: every lever)")),
                "accounting": ("accounting", list(ACCOUNTINGS), dict(
                    long_name="CO2 accounting: " + "; ".join(
                        f"{a} = {ACCOUNTING_TEXT[a]} ({CO2_VARIABLES[a]})" for a in ACCOUNTINGS))),
                "quantile": ("quantile", list(STATISTICS), dict(COORDINATES["quantile"]))})
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
    and ``resource_cost_per_t_<acc>`` [CNY t-1] (None where no CO2 is avoided)."""
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
        out.append(row)
    return out


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
    lines.append(f"Note: {INTERACTIONS}.")
    return "\n".join(lines)


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
                                                          "carbon payments"),
                           accountings={a: ACCOUNTING_TEXT[a] for a in ds["accounting"].values},
                           note=INTERACTIONS, rows=rows(ds)),
                      ensure_ascii=False, indent=2, allow_nan=False)


FORMATS = {"table": format_table, "csv": format_csv, "json": format_json}
"""The printed forms of ``sim abatement --format``."""
