"""Observed activity 2020-2024 per province and sector, relative to 2019 (issue #12, item 1).

Read at run time from calibration/history/activity_2020_2024.csv only (written with provenance by
``python -m calibration.history`` from the NBS provincial files of ../shared/data, which is never read
here). Every index is the province's value in year t over its value in 2019 from the same source
table, so 2019 = 1 and the index carries growth, not level: applied to the base state's 2019
production it gives the observed path of that production (calibration/README.md, "Observed activity
2020-2024", lists the driver, source and caveats of each sector).

Sector drivers (:data:`SECTOR_SERIES`):

* iron_steel: NBS crude steel [Mt]. The route split is :func:`eaf_share` (pig-iron balance).
* nonferrous: NBS ten non-ferrous metals [Mt].
* nonmetallic_minerals: NBS cement [Mt] drives the sector's production (and so its process CO2);
  its final energy is a cement part, following cement, and the other building materials, following
  plain glass (glass standing for glass, ceramics and the rest, which grew while cement fell): the
  energy structure factor :func:`nonmetallic_structure`, applied as a factor on the sector's final
  energy (the kernel's ``discrepancy`` input), with the same formula as the history 2010-2019
  (:func:`structure_factor`). The cement part's share is derived per province from the data
  (:func:`cement_energy_share`) and depends on the uncertain clinker fuel intensity.
* paper, textiles, machinery, other_industry, petroleum_coking: ``va_index``, the province's real
  growth of industrial value added (cited provincial figures, else the national rate plus the
  province's real-GDP differential; see the table's provenance and calibration/real_growth/).
* chemicals: ``va_index``, except the chemical-fibre part (its share of the province's CEADs
  chemicals CO2, :func:`fibre_share`), which follows NBS chemical fibres (:func:`activity_index`).
  Motor vehicles are a signal only (:func:`series_index`).

Small bases (:data:`SMALL_BASE`): a material sector whose 2019 output is below 0.1 Mt follows the
province's ``va_index`` (flag ``small_base``), so growth from a near-zero base does not multiply the
base year's energy per unit. Where a province has no usable value (no row, a partial year, a zero
or missing 2019 base) the index falls back to the national index of the series (sum over the
provinces reporting both years) and the returned ``fallback`` mask says so.
"""

from __future__ import annotations

import csv
import functools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.core import axes
from sim.data.base_state import CALIBRATION_DIR

TABLE = CALIBRATION_DIR / "history" / "activity_2020_2024.csv"
BASE_YEAR = axes.BASE_YEAR
OBSERVED_YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
"""The years with observed activity after the base year."""
NATIONAL = "China"
"""Province name of the national rows of the table."""

SECTOR_SERIES: dict[str, str] = {
    "iron_steel": "crude_steel_mt",
    "nonferrous": "nonferrous_ten_kinds_mt",
    "nonmetallic_minerals": "cement_mt",
    "chemicals": "va_index",  # plus its chemical-fibre part (activity_index)
    "paper": "va_index",
    "textiles": "va_index",
    "machinery": "va_index",
    "other_industry": "va_index",
    "petroleum_coking": "va_index",
}
"""Series of the table that drives each sector's 2020-2024 activity."""
_REAL_VA = ("real growth of industrial value added: the province's cited figure (above-size industry, else all "
            "industry, else secondary industry; calibration/real_growth/), else the national above-size rate plus "
            "the province's real-GDP differential x the fitted slope")
SECTOR_SOURCES: dict[str, str] = {
    "iron_steel": "NBS provincial crude steel output (Wind monthly YTD, December), 2019 = 1",
    "nonferrous": "NBS provincial output of the ten non-ferrous metals, 2019 = 1 (below 0.1 Mt in 2019: the "
                  "real value-added index)",
    "nonmetallic_minerals": "NBS provincial cement output, 2019 = 1; energy: cement part + other building "
                            "materials following plain glass",
    "chemicals": _REAL_VA + "; the chemical-fibre part (CEADs share) follows NBS provincial chemical fibres",
    **{s: _REAL_VA for s in ("paper", "textiles", "machinery", "other_industry", "petroleum_coking")},
}
_ASSUMPTIONS = tomllib.loads((CALIBRATION_DIR / "assumptions.toml").read_text(encoding="utf-8"))
_STRUCTURE = _ASSUMPTIONS["structure"]
CLINKER_FUEL_INTENSITY = float(_STRUCTURE["clinker_fuel_intensity"]["value"])
"""Nominal fuel per t of clinker [GJ t-1] (assumptions.toml [structure]; the uncertain parameter
``clinker_fuel_intensity`` of sim.scenario.uncertainty varies it)."""
CLINKER_FUEL_RANGE = (float(_STRUCTURE["clinker_fuel_intensity"]["low"]),
                      float(_STRUCTURE["clinker_fuel_intensity"]["high"]))
"""Range [GJ t-1] over which the hindcast ensemble and the shipped scenarios draw it (uniform)."""
CEMENT_ELECTRICITY = float(_STRUCTURE["cement_electricity"]["value"])
"""Electricity per t of cement [GJ t-1] (assumptions.toml [structure])."""
GLASS_PRODUCER = float(_STRUCTURE["glass_producer"]["value"])
"""Smallest share of the national plain glass [1] for which a province's own glass drives its other
building materials (else the national glass index)."""
FIBRE_PRODUCER = float(_STRUCTURE["chemicals"]["fibre_producer"]["value"])
"""Smallest base-year chemical-fibre output [Mt] for which the fibre part follows the province's fibres."""
SMALL_BASE = float(_ASSUMPTIONS["observed"]["small_base"]["min_output"]["value"])
"""Smallest base-year output [Mt] of a material series that drives its sector (assumptions.toml
[observed.small_base]); below it the sector follows the province's real value-added index."""
STRUCTURE_TABLE = CALIBRATION_DIR / "history" / "sector_structure.csv"
MATERIAL_SERIES = ("crude_steel_mt", "nonferrous_ten_kinds_mt", "cement_mt")
"""Series of the material sectors, to which the small-base rule applies."""
_FALLBACK_FLAGS = frozenset({"national_fallback"})
"""va_index flags whose value is the national chain, not the province's own data."""


@dataclass(frozen=True, eq=False)
class ObservedActivity:
    """Activity index (P,S,Y) relative to 2019 and where it is the national fallback (P,S,Y)."""

    provinces: tuple[str, ...]
    sectors: tuple[str, ...]
    years: tuple[int, ...]
    index: np.ndarray       # (P,S,Y) activity_t / activity_2019 [1]
    fallback: np.ndarray    # (P,S,Y) bool: the province's own series is unusable, national index used
    small_base: np.ndarray | None = None  # (P,S) bool: the sector follows va_index (small-base rule)


@functools.lru_cache(maxsize=1)
def _table() -> dict[tuple[str, str, int], tuple[float, str]]:
    """(province, series, year) -> (value, flag) of activity_2020_2024.csv."""
    out = {}
    with open(TABLE, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            v = float(r["value"]) if r["value"] not in ("", "nan") else np.nan
            out[(r["province"], r["series"], int(r["year"]))] = (v, r["flag"])
    return out


def value(province: str, series: str, year: int) -> float:
    """The table's value [unit of the series] (NaN where missing or absent)."""
    return _table().get((province, series, year), (np.nan, ""))[0]


def _check_years(years: Sequence[int]) -> tuple[int, ...]:
    years = tuple(int(y) for y in years)
    bad = [y for y in years if y != BASE_YEAR and y not in OBSERVED_YEARS]
    if bad:
        raise ValueError(f"observed activity covers {BASE_YEAR}-{OBSERVED_YEARS[-1]}; asked for {bad}")
    return years


def national_index(series: str, years: Sequence[int] = OBSERVED_YEARS) -> np.ndarray:
    """(Y,) national index of a series, year t / 2019 over the provinces with a positive 2019 value
    and a value in t (for va_index: the national real industrial VA index)."""
    years = _check_years(years)
    t = _table()
    if series == "va_index":
        return np.array([t[(NATIONAL, "industry_va_real_index", y)][0] for y in years])
    provs = [p for p in axes.PROVINCES if (p, series, BASE_YEAR) in t]
    out = np.empty(len(years))
    for j, y in enumerate(years):
        b = np.array([value(p, series, BASE_YEAR) for p in provs])
        v = np.array([value(p, series, y) for p in provs])
        ok = np.isfinite(b) & np.isfinite(v) & (b > 0)
        out[j] = v[ok].sum() / b[ok].sum() if ok.any() else np.nan
    return out


def series_index(series: str, provinces: Sequence[str] | None = None,
                 years: Sequence[int] = OBSERVED_YEARS) -> tuple[np.ndarray, np.ndarray]:
    """(P,Y) index of one table series relative to 2019 and the (P,Y) fallback mask.

    The province's own ratio where its 2019 value is positive and year t's is finite (a reported
    zero in t gives 0); else the national index of the series (:func:`national_index`)."""
    provinces = tuple(provinces or axes.PROVINCES)
    years = _check_years(years)
    nat = national_index(series, years)
    idx = np.empty((len(provinces), len(years)))
    fb = np.zeros((len(provinces), len(years)), dtype=bool)
    t = _table()
    for i, p in enumerate(provinces):
        b = value(p, series, BASE_YEAR)
        for j, y in enumerate(years):
            v, flag = t.get((p, series, y), (np.nan, ""))
            if series == "va_index":
                ok = np.isfinite(v) and flag not in _FALLBACK_FLAGS
            else:
                ok = np.isfinite(b) and b > 0 and np.isfinite(v)
            idx[i, j] = (v if series == "va_index" else v / b) if ok else nat[j]
            fb[i, j] = not ok
    return idx, fb


def small_base(series: str, provinces: Sequence[str], year: int = BASE_YEAR,
               value_of=None) -> np.ndarray:
    """(P,) whether each province's ``year`` output of a material ``series`` is reported but below
    :data:`SMALL_BASE` [Mt] (assumptions.toml [observed.small_base]); ``value_of(province, series,
    year)`` reads the output (default :func:`value`). False for other series."""
    if series not in MATERIAL_SERIES:
        return np.zeros(len(provinces), dtype=bool)
    get = value_of or value
    b = np.array([get(p, series, year) for p in provinces], dtype=float)
    return np.isfinite(b) & (b > 0) & (b < SMALL_BASE)


def activity_index(provinces: Sequence[str] | None = None, sectors: Sequence[str] | None = None,
                   years: Sequence[int] = OBSERVED_YEARS) -> ObservedActivity:
    """Observed activity index (P,S,Y) relative to 2019 per province x sector (:data:`SECTOR_SERIES`),
    with the small-base rule and the chemical-fibre part of chemicals (module docstring)."""
    provinces = tuple(provinces or axes.PROVINCES)
    sectors = tuple(sectors or axes.SECTORS)
    years = _check_years(years)
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def series(name):
        if name not in cache:
            cache[name] = series_index(name, provinces, years)
        return cache[name]

    idx = np.empty((len(provinces), len(sectors), len(years)))
    fb = np.zeros(idx.shape, dtype=bool)
    small = np.zeros((len(provinces), len(sectors)), dtype=bool)
    va, va_fb = series("va_index")
    for k, s in enumerate(sectors):
        name = SECTOR_SERIES[s]
        idx[:, k], fb[:, k] = series(name)
        small[:, k] = small_base(name, provinces)
        idx[small[:, k], k], fb[small[:, k], k] = va[small[:, k]], va_fb[small[:, k]]
        if s == "chemicals":
            w = fibre_share(provinces)
            fib, fib_fb = series("chemical_fibres_mt")
            idx[:, k] = w[:, None] * fib + (1.0 - w[:, None]) * va
            fb[:, k] = va_fb | ((w > 0)[:, None] & fib_fb)
    for a in (idx, fb, small):
        a.setflags(write=False)
    return ObservedActivity(provinces, sectors, years, idx, fb, small)


def observed_growth(provinces: Sequence[str], sectors: Sequence[str],
                    years: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed demand growth on a model year axis, in the convention of
    ``Scenario.growth_array``: entry t is the growth [yr-1] from years[t-1] to years[t].

    Returns (growth (P,S,T), observed (T,) bool: entries whose years[t-1] and years[t] both lie in
    2019-2024, so the growth is observed and should replace the default; growth elsewhere is 0),
    fallback (P,S,T) bool: observed entries that are the national rate of the series), read-only
    arrays kept for the next call with the same axes (every run prepares them; a lever change of
    ``sim serve`` spent 1.5 ms of its ~60 here).
    """
    return _observed_growth(tuple(provinces), tuple(sectors), tuple(int(y) for y in years))


@functools.lru_cache(maxsize=8)
def _observed_growth(provinces: tuple[str, ...], sectors: tuple[str, ...],
                     yrs: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    span = (BASE_YEAR,) + OBSERVED_YEARS
    a = activity_index(provinces, sectors, span)
    full = np.concatenate([np.ones((len(provinces), len(sectors), 1)), a.index[:, :, 1:]], axis=2)
    fbf = a.fallback
    g = np.zeros((len(provinces), len(sectors), len(yrs)))
    fb = np.zeros(g.shape, dtype=bool)
    obs = np.zeros(len(yrs), dtype=bool)
    for t in range(1, len(yrs)):
        y0, y1 = yrs[t - 1], yrs[t]
        if y0 in span and y1 in span and y1 > y0:
            i0, i1 = span.index(y0), span.index(y1)
            prev, cur = full[:, :, i0], full[:, :, i1]
            # a province that falls to zero (or starts from zero) keeps the national rate of the step
            ok = prev > 0
            rate = (cur / np.where(ok, prev, 1.0)) ** (1.0 / (y1 - y0)) - 1.0
            nat = _national_rates(sectors, y0, y1)
            g[:, :, t] = np.where(ok, rate, nat[None, :])
            fb[:, :, t] = ~ok | fbf[:, :, i1] | fbf[:, :, i0]
            obs[t] = True
    for a in (g, obs, fb):
        a.flags.writeable = False
    return g, obs, fb


def _national_rates(sectors: Sequence[str], y0: int, y1: int) -> np.ndarray:
    out = np.empty(len(sectors))
    for k, s in enumerate(sectors):
        n0, n1 = national_index(SECTOR_SERIES[s], [y0, y1]) if y0 != BASE_YEAR else (
            1.0, national_index(SECTOR_SERIES[s], [y1])[0])
        out[k] = (n1 / n0) ** (1.0 / (y1 - y0)) - 1.0
    return out


# --- steel route split ------------------------------------------------------------------------------
def hot_metal_ratio() -> float:
    """The ratio h [t pig iron per t BOF steel], derived in the build from the 2019 NBS provincial rows so that
    the pig-iron estimate reproduces the base state's national EAF share (calibration/history.py)."""
    return _table()[(NATIONAL, "hot_metal_per_bof_steel", BASE_YEAR)][0]


def pig_iron(province: str, year: int) -> float:
    """Pig iron [Mt] on a basis comparable across 2019-2024: the reported value, except 2019 of a
    province whose statistic breaks between 2019 and 2020 (``pig_iron_comparable_mt``: Jiangsu)."""
    t = _table()
    if (province, "pig_iron_comparable_mt", year) in t:
        return t[(province, "pig_iron_comparable_mt", year)][0]
    return value(province, "pig_iron_mt", year)


def eaf_estimate(provinces: Sequence[str] | None = None,
                 years: Sequence[int] = (BASE_YEAR,) + OBSERVED_YEARS) -> tuple[np.ndarray, np.ndarray]:
    """(P,Y) scrap-EAF output [Mt] = clip(crude - pig iron / h, 0, crude) and crude steel [Mt].

    Steel not made from hot metal at the 2019 national rate h (pig iron: :func:`pig_iron`). NaN
    where crude steel or pig iron is missing; provinces with no crude steel give 0/0."""
    provinces = tuple(provinces or axes.PROVINCES)
    years = _check_years(years)
    h = hot_metal_ratio()
    crude = np.array([[value(p, "crude_steel_mt", y) for y in years] for p in provinces])
    pig = np.array([[pig_iron(p, y) for y in years] for p in provinces])
    # a province that reports crude steel but no pig iron row has no blast furnace: pig = 0
    no_pig = np.array([(p, "pig_iron_mt", BASE_YEAR) not in _table() for p in provinces])
    pig = np.where(no_pig[:, None] & np.isfinite(crude), 0.0, pig)
    eaf = np.clip(crude - pig / h, 0.0, np.where(np.isfinite(crude), crude, 0.0))
    eaf = np.where(np.isfinite(crude) & np.isfinite(pig), eaf, np.nan)
    return eaf, crude


def eaf_share(provinces: Sequence[str] | None = None, years: Sequence[int] = OBSERVED_YEARS,
              base_share: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(P,Y) observed scrap-EAF share of crude steel and the (P,Y) fallback mask.

    Without ``base_share``: the pig-iron estimate itself (:func:`eaf_estimate`), the level.
    With ``base_share`` (P,) (the base state's 2019 EAF share, from GEM capacity): base_share + the
    estimate's change since 2019, clipped to [0, 1] — the calibrated 2019 split is kept and the
    data move it (recommended: the two 2019 estimates disagree per province, see calibration/README.md).
    Provinces without crude steel in 2019 or year t get the national estimate (fallback)."""
    provinces = tuple(provinces or axes.PROVINCES)
    years = _check_years(years)
    span = (BASE_YEAR,) + tuple(years)
    eaf, crude = eaf_estimate(provinces, span)
    ok = np.isfinite(eaf) & (np.nan_to_num(crude) > 0)
    e_all, c_all = eaf_estimate(axes.PROVINCES, span)
    good = np.isfinite(e_all) & np.isfinite(c_all)
    nat = np.where(good, e_all, 0).sum(0) / np.where(good, c_all, 0).sum(0)
    share = np.where(ok, eaf / np.where(ok, crude, 1.0), nat[None, :])
    fb = ~ok | ~ok[:, :1]
    if base_share is not None:
        b = np.asarray(base_share, dtype=float)
        share = np.clip(b[:, None] + share - share[:, :1], 0.0, 1.0)
    return share[:, 1:], fb[:, 1:]


# --- structure inside non-metallic minerals and chemicals ------------------------------------------
@functools.lru_cache(maxsize=1)
def _structure_table() -> dict[tuple[int, str], dict[str, float]]:
    """(base year, province) -> the row of calibration/history/sector_structure.csv (NaN = missing)."""
    out = {}
    with open(STRUCTURE_TABLE, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out[(int(r["year"]), r["province"])] = {
                k: (float(v) if v not in ("", "nan") else np.nan) for k, v in r.items() if k not in ("year", "province")}
    return out


def _structure_column(column: str, provinces: Sequence[str], year: int) -> np.ndarray:
    t = _structure_table()
    if (year, provinces[0]) not in t:
        years = sorted({y for y, _ in t})
        raise ValueError(f"sector structure is derived for the base years {years}; asked for {year}")
    return np.array([t[(year, p)][column] for p in provinces])


def cement_energy_share(provinces: Sequence[str] | None = None, year: int = BASE_YEAR,
                        clinker_fuel_intensity: float | np.ndarray | None = None) -> np.ndarray:
    """Share of cement in the final energy of non-metallic minerals per province in base year ``year``
    [1]: (clinker x ``clinker_fuel_intensity`` [GJ t-1] + cement x :data:`CEMENT_ELECTRICITY`) / the
    sector's final energy, at most 1 (assumptions.toml [structure]: the data imply more than the
    sector's recorded energy in most provinces). ``clinker_fuel_intensity`` scalar -> (P,); an array
    (M,) of member draws -> (M,P). Provinces without a CEADs inventory (Tibet) take the national ratio."""
    provinces = tuple(provinces or axes.PROVINCES)
    q = CLINKER_FUEL_INTENSITY if clinker_fuel_intensity is None else clinker_fuel_intensity
    q = np.asarray(q, dtype=float)
    every = tuple(axes.PROVINCES)
    clinker = _structure_column("clinker_mt", every, year)
    cement = _structure_column("cement_mt", every, year)
    energy = _structure_column("nonmetallic_energy_pj", every, year)
    need = clinker[None] * q.reshape(-1, 1) + np.nan_to_num(cement)[None] * CEMENT_ELECTRICITY  # (M,P) PJ
    ok = np.isfinite(need) & np.isfinite(energy)[None] & (np.nan_to_num(energy)[None] > 0)
    national = np.where(ok, need, 0).sum(1) / np.where(ok, energy[None], 0).sum(1)
    share = np.minimum(np.where(ok, need / np.where(ok, energy[None], 1.0), national[:, None]), 1.0)
    share = share[:, [every.index(p) for p in provinces]]
    return share if q.ndim else share[0]


def national_cement_energy_share(year: int = BASE_YEAR) -> float:
    """Share of cement in the national final energy of non-metallic minerals in base year ``year``
    [1]: the provinces' :func:`cement_energy_share` at the nominal clinker fuel intensity, weighted
    by the sector's energy (sector_structure.csv). For national figures such as the energy of a
    tonne of cement in sim.data.costs."""
    w = cement_energy_share(axes.PROVINCES, year)
    energy = _structure_column("nonmetallic_energy_pj", axes.PROVINCES, year)
    ok = np.isfinite(energy)
    return float((w[ok] * energy[ok]).sum() / energy[ok].sum())


CEMENT_ENERGY_SHARE = national_cement_energy_share()
"""Share of cement in the national final energy of non-metallic minerals in 2019 [1], derived
(:func:`national_cement_energy_share`; until issue #22 an assumed 0.7)."""


def fibre_share(provinces: Sequence[str] | None = None, year: int = BASE_YEAR,
                fibres: np.ndarray | None = None) -> np.ndarray:
    """(P,) share of the chemical-fibre part in the province's chemicals [1]: the CEADs 'Chemical
    Fiber' share of its chemicals CO2 in base year ``year`` (calibration/history/sector_structure.csv),
    0 where its fibre output that year (``fibres`` (P,) [Mt], default the table's) is below
    :data:`FIBRE_PRODUCER` or CEADs has no inventory."""
    provinces = tuple(provinces or axes.PROVINCES)
    w = np.nan_to_num(_structure_column("fibre_co2_share", provinces, year))
    if fibres is None:
        fibres = np.array([value(p, "chemical_fibres_mt", year) for p in provinces])
    return np.where(np.nan_to_num(np.asarray(fibres, dtype=float)) >= FIBRE_PRODUCER, w, 0.0)


def other_materials(glass: np.ndarray) -> np.ndarray:
    """(P,Y) index of the other building materials relative to the first year [1] from plain glass
    (P,Y) [million weighted cases]: the province's own glass where it made at least
    :data:`GLASS_PRODUCER` of the national glass in the first year, else the national index (sum
    over the provinces with glass in both years). A missing value takes the province's nearest
    reported year (a gap in the statistics, not a closure)."""
    g = _fill_nearest(np.asarray(glass, dtype=float))
    g0 = g[:, :1]
    national = g.sum(0) / g0.sum()
    own = g0[:, 0] >= GLASS_PRODUCER * g0.sum()
    return np.where(own[:, None], g / np.where(own[:, None], g0, 1.0), national[None])


def structure_factor(cement: np.ndarray, glass: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Energy structure factor of non-metallic minerals relative to the first year [1].

    The sector's final energy is ``share x c + (1 - share) x o``, with c the province's cement
    (P,Y) [Mt] relative to the first year and o the other building materials' index
    (:func:`other_materials` of plain glass (P,Y)); the model's production is cement, so the factor
    on its final energy is (share c + (1 - share) o) / c. ``share`` (P,) or (M,P) [1] (
    :func:`cement_energy_share`) gives (P,Y) or (M,P,Y). A year without cement keeps the
    province's last factor; a province without cement in the first year keeps 1."""
    c = _fill_nearest(np.asarray(cement, dtype=float))
    c0 = c[:, :1]
    has = c0[:, 0] > 0
    c = np.where(has[:, None], c / np.where(has[:, None], c0, 1.0), 1.0)
    o = other_materials(glass)
    w = np.asarray(share, dtype=float)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (w * c + (1.0 - w) * o) / c
    held = np.where(c > 0, f, np.nan)
    # a year without cement keeps the province's last factor
    flat = held.reshape(-1, held.shape[-1])
    flat = _fill_nearest(flat)
    f = flat.reshape(held.shape)
    return np.where(np.isfinite(f) & has[:, None], f, 1.0)


def _fill_nearest(a: np.ndarray) -> np.ndarray:
    """(P,Y) NaN replaced by the nearest finite value of the row (earlier wins a tie); all-NaN
    rows give 0."""
    out = a.copy()
    finite = np.isfinite(a)
    for i in np.flatnonzero(~finite.all(axis=1)):  # rows with a gap (few: a run fills M x P rows)
        ok = np.flatnonzero(finite[i])
        if not ok.size:
            out[i] = 0.0
            continue
        for j in np.flatnonzero(~finite[i]):
            out[i, j] = a[i, ok[np.argmin(np.abs(ok - j) + 1e-3 * (ok > j))]]
    return out


def nonmetallic_structure(provinces: Sequence[str] | None = None,
                          years: Sequence[int] = (BASE_YEAR,) + OBSERVED_YEARS,
                          clinker_fuel_intensity: float | np.ndarray | None = None) -> np.ndarray:
    """(P,Y) energy structure factor of non-metallic minerals relative to 2019 (:func:`structure_factor`)
    from the 2019-2024 table, (M,P,Y) for an array (M,) of clinker fuel intensities [GJ t-1]; years
    after 2024 keep the 2024 value (no projection of structure)."""
    provinces = tuple(provinces or axes.PROVINCES)
    span = (BASE_YEAR,) + OBSERVED_YEARS
    cement = np.array([[value(p, "cement_mt", y) for y in span] for p in axes.PROVINCES])
    glass = np.array([[value(p, "plain_glass_mcases", y) for y in span] for p in axes.PROVINCES])
    f = structure_factor(cement, glass, cement_energy_share(axes.PROVINCES, BASE_YEAR, clinker_fuel_intensity))
    rows = [axes.PROVINCES.index(p) for p in provinces]
    cols = [span.index(min(max(int(y), BASE_YEAR), span[-1])) for y in years]
    return f[..., rows, :][..., cols]
