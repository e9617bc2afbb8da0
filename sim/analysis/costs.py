"""What a scenario costs, from its result file alone (DESIGN §11): the present value of the total
cost over the planning period per region, the annual cost by item, and the cost and CO2 against a
baseline file under common random numbers, as rows the report prints (``sim.analysis.report``).

Money is in constant 2019 CNY (the file's ``currency``); the present value is the file's
``discounted_cost`` (``sim.model.costs``: 2025-2035 at the discount rate, discounted to 2025).
The carbon cost is a payment to the carbon market, not a use of resources: the rows give it
apart, and the cost "without carbon payments" beside the total.

Against a baseline (``sim report FILE --baseline BASE``) the two files must hold the same members
of the same design (same seed, member count and provinces: common random numbers), so each
member's difference is the effect of the levers alone; the cost of abatement is the ensemble-mean
present value of the extra cost over the ensemble-mean present value of the CO2 avoided
(discounted at the same rate: a levelised cost of abatement), in CNY per t CO2, in both
accountings: as paid (with the carbon payments) and as a resource cost (without them, the
economic cost of the abatement).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from sim.core.indicators import ACCOUNTINGS
from sim.results import reading as results
from sim.results.reading import REPORTED, ResultsFileError

BN = 1e9
"""Report unit of money: billion CNY (2019 prices)."""
CO2_VARIABLES = {"scope1": "industrial_co2", "scope1+2": "industrial_co2_with_indirect"}
"""The file variable of each CO2 accounting (sim.core.indicators.ACCOUNTINGS)."""
ACCOUNTING_TEXT = {"scope1": "direct + process - captured",
                   "scope1+2": "with electricity, heat and hydrogen"}
"""How the report names each accounting beside a CO2 figure."""
assert set(CO2_VARIABLES) == set(ACCOUNTING_TEXT) == set(ACCOUNTINGS)


def has_costs(ds: xr.Dataset) -> bool:
    """Whether the file has the cost variables (files written before the cost layer do not)."""
    return "discounted_cost" in ds and "total_cost" in ds


def _q(da: xr.DataArray) -> list[float]:
    return [float(x) for x in results.quantiles(da, REPORTED).values]


def money(x: float) -> str:
    """A sum of money [CNY] as the report prints it: billions with 3 significant figures."""
    if not np.isfinite(x):
        return "n/a"
    return f"{x / BN:,.3g}" if abs(x) < 1e3 * BN else f"{x / BN:,.0f}"


def window_years(ds: xr.Dataset) -> tuple[int, int]:
    """(first, last) calendar year the file's present value adds up (``discount_window``)."""
    first, last = (int(y) for y in ds["discounted_cost"].attrs["discount_window"])
    return first, last


def window(ds: xr.Dataset) -> str:
    """The planning period of the present value as printed, e.g. '2025-2035'."""
    first, last = window_years(ds)
    return f"{first}-{last}"


def discount_rate(ds: xr.Dataset) -> float:
    """[yr-1] The discount rate of the file's present value."""
    return float(ds["discounted_cost"].attrs["discount_rate"])


def cost_rows(ds: xr.Dataset, regions: list[str] | None = None) -> list[dict]:
    """Per region: present value of the total cost (median, p05, p95 [CNY]) and its total cost in
    the last year (median), with ``text`` as the report prints them [bn CNY]."""
    rows = []
    last = int(ds["year"][-1])
    for region in regions if regions is not None else list(ds["region"].values):
        pv = _q(ds["discounted_cost"].sel(region=region))
        end = _q(ds["total_cost"].sel(region=region, year=last))
        rows.append(dict(region=str(region), p05=pv[0], median=pv[1], p95=pv[2], last_year=last,
                         last_year_median=end[1],
                         text=dict(median=money(pv[1]), range=f"{money(pv[0])} - {money(pv[2])}",
                                   last_year=money(end[1]))))
    return rows


def item_rows(ds: xr.Dataset, region: str | None = None, year: int | None = None) -> list[dict]:
    """The annual cost of ``region`` (default national, else the file's only region) in
    ``year`` (default the last) by item: median and 5-95 % range [CNY yr-1] of ``cost_by_item``
    (per member, or its stored quantiles: the same rows at every detail)."""
    if "cost_by_item" not in ds:
        return []
    year = int(ds["year"][-1]) if year is None else int(year)
    region = region or default_region(ds)
    da = ds["cost_by_item"].sel(region=region, year=year)
    rows = []
    for item in da["cost_item"].values:
        q = _q(da.sel(cost_item=item))
        rows.append(dict(item=str(item), region=region, year=year, p05=q[0], median=q[1],
                         p95=q[2], text=dict(median=money(q[1]),
                                             range=f"{money(q[0])} - {money(q[2])}")))
    return rows


def default_region(ds: xr.Dataset) -> str:
    """national, or the only region of a one-province file."""
    regions = [str(r) for r in ds["region"].values]
    return "national" if "national" in regions else regions[0]


def _same_design(ds: xr.Dataset, base: xr.Dataset) -> None:
    """Raise ResultsFileError unless ``base`` holds the same members of the same design."""
    for what, a, b in (("seed", ds.attrs.get("seed"), base.attrs.get("seed")),
                       ("members", ds.sizes.get("member"), base.sizes.get("member")),
                       ("provinces", list(ds["province"].values), list(base["province"].values)),
                       ("years", list(ds["year"].values), list(base["year"].values))):
        if a != b:
            raise ResultsFileError(
                f"{results.name_of(base)}: not a baseline of {results.name_of(ds)} under common "
                f"random numbers: {what} {b} != {a} (run both with the same seed, members and "
                "provinces, full or province detail)")
    if "member" not in ds["discounted_cost"].dims or "member" not in base["discounted_cost"].dims:
        raise ResultsFileError(f"{results.name_of(ds)}: the comparison needs per-member costs "
                               "(full or province detail, not summary)")


def versus_baseline(ds: xr.Dataset, base: xr.Dataset, region: str = "national") -> dict:
    """The scenario against ``base`` under common random numbers for ``region``: extra present
    cost (median, p05, p95 [CNY]), CO2 avoided over the planning period in each accounting
    (median [Mt], 2025-2035 summed), and the levelised cost of abatement [CNY per t] (module
    docstring), with ``text`` as printed."""
    _same_design(ds, base)
    extra = ds["discounted_cost"].sel(region=region) - base["discounted_cost"].sel(region=region)
    q = _q(extra)
    first, last = window_years(ds)
    years = ds["year"].values
    inside = (years >= first) & (years <= last)
    rate = discount_rate(ds)
    factor = xr.DataArray(np.where(inside, (1 + rate) ** -(years - first).astype(float), 0.0),
                          dims="year", coords={"year": years})
    # the resource cost: every item but the carbon payments (a transfer to the market)
    resource = None
    if "cost_by_item" in ds and "cost_by_item" in base:
        items = [i for i in ds["cost_item"].values if i != "carbon"]
        diff = (ds["cost_by_item"] - base["cost_by_item"]).sel(region=region, cost_item=items)
        resource = (diff.sum("cost_item") * factor).sum("year")
    qr = _q(resource) if resource is not None else [float("nan")] * 3
    out = dict(region=region, p05=q[0], median=q[1], p95=q[2], window=f"{first}-{last}",
               resource_p05=qr[0], resource_median=qr[1], resource_p95=qr[2], accountings={})
    text = dict(median=money(q[1]), range=f"{money(q[0])} - {money(q[2])}",
                resource_median=money(qr[1]), resource_range=f"{money(qr[0])} - {money(qr[2])}")
    for accounting, name in CO2_VARIABLES.items():
        if name not in ds or name not in base:
            continue
        avoided = (base[name] - ds[name]).sel(region=region)  # Mt per year, per member
        total = (avoided * xr.DataArray(inside.astype(float), dims="year",
                                        coords={"year": years})).sum("year")
        discounted = float((avoided * factor).sum("year").mean())
        per_t, per_t_resource = (
            (float(x.mean()) / (discounted * 1e6) if discounted > 0 and x is not None
             else float("nan")) for x in (extra, resource))
        qa = _q(total)
        out["accountings"][accounting] = dict(avoided_median=qa[1], avoided_p05=qa[0],
                                              avoided_p95=qa[2], cost_per_t=per_t,
                                              resource_cost_per_t=per_t_resource)
        text[accounting] = (f"{qa[1]:,.0f} Mt ({qa[0]:,.0f} - {qa[2]:,.0f}); "
                            + (f"{per_t:,.0f} CNY/t paid, {per_t_resource:,.0f} CNY/t without "
                               "carbon payments" if np.isfinite(per_t) else "no CO2 avoided"))
    out["text"] = text
    return out


def format_lines(ds: xr.Dataset, regions: list[str], base: xr.Dataset | None = None) -> list[str]:
    """The cost section of the plain-text report."""
    if not has_costs(ds):
        return []
    lines = ["", f"Costs, billion CNY (2019 prices): present value of {window(ds)} at "
             f"{discount_rate(ds):.0%} a year, "
             f"and the total cost of {int(ds['year'][-1])}",
             f"{'region':<16} {'PV median':>10} {'5-95 %':>21} {'cost ' + str(int(ds['year'][-1])):>10}"]
    for r in cost_rows(ds, regions):
        lines.append(f"{r['region']:<16} {r['text']['median']:>10} {r['text']['range']:>21} "
                     f"{r['text']['last_year']:>10}")
    items = item_rows(ds)
    if items:
        lines.append(f"  {items[0]['region']} by item in {items[0]['year']} (median and 5-95 %; "
                     "carbon = net payments to the carbon market):")
        lines += [f"    {r['item']:<18} {r['text']['median']:>10} {r['text']['range']:>21}"
                  for r in items]
    if base is not None:
        v = versus_baseline(ds, base, default_region(ds))
        lines += ["", f"Against the baseline {results.name_of(base)} (common random numbers, "
                  f"{v['region']}):",
                  f"  extra present cost {v['window']}: {v['text']['median']} bn CNY "
                  f"({v['text']['range']}); without carbon payments "
                  f"{v['text']['resource_median']} ({v['text']['resource_range']})"]
        for accounting in v["accountings"]:
            lines.append(f"  CO2 avoided {v['window']}, {ACCOUNTING_TEXT[accounting]} "
                         f"({accounting}): {v['text'][accounting]}")
    return lines
