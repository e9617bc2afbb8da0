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
  its final energy follows a composite of cement and plain glass (glass standing for glass,
  ceramics and the other building materials, which grew while cement fell): the energy
  structure factor :func:`nonmetallic_structure`, applied as a factor on the sector's final energy
  (the kernel's ``discrepancy`` input), with the same formula as the history 2010-2019
  (:func:`structure_factor`).
* chemicals, paper, textiles, machinery, other_industry, petroleum_coking: ``va_index``, the
  province's real industrial value added (nominal industrial VA where reported, else secondary
  industry, else total GDP, deflated with one national deflator; see the table's provenance).
  Chemical fibres and motor vehicles are signals only (:func:`series_index`).

Where a province has no usable value (no row, a partial year, a zero or missing 2019 base) the
index falls back to the national index of the series (sum over the provinces reporting both years)
and the returned ``fallback`` mask says so.
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
    "chemicals": "va_index",
    "paper": "va_index",
    "textiles": "va_index",
    "machinery": "va_index",
    "other_industry": "va_index",
    "petroleum_coking": "va_index",
}
"""Series of the table that drives each sector's 2020-2024 activity."""
SECTOR_SOURCES: dict[str, str] = {
    "iron_steel": "NBS provincial crude steel output (Wind monthly YTD, December), 2019 = 1",
    "nonferrous": "NBS provincial output of the ten non-ferrous metals, 2019 = 1",
    "nonmetallic_minerals": "NBS provincial cement output, 2019 = 1 (glass, ceramics not in the index)",
    **{s: "real industrial value added: provincial nominal industrial VA (else secondary industry, else GDP) "
          "relative to the national nominal chain, times the national real all-industry VA index (NBS "
          "communiqués); one national deflator" for s in ("chemicals", "paper", "textiles", "machinery",
                                                           "other_industry", "petroleum_coking")},
}
CEMENT_ENERGY_SHARE = float(
    tomllib.loads((CALIBRATION_DIR / "assumptions.toml").read_text(encoding="utf-8"))
    ["history"]["nonmetallic_structure"]["cement_energy_share"])
"""Share of cement in the final energy of non-metallic minerals, nationally in 2019 [1]
(assumptions.toml [history.nonmetallic_structure]: an assumption, the data have no split)."""
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


def activity_index(provinces: Sequence[str] | None = None, sectors: Sequence[str] | None = None,
                   years: Sequence[int] = OBSERVED_YEARS) -> ObservedActivity:
    """Observed activity index (P,S,Y) relative to 2019 per province x sector (:data:`SECTOR_SERIES`)."""
    provinces = tuple(provinces or axes.PROVINCES)
    sectors = tuple(sectors or axes.SECTORS)
    years = _check_years(years)
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    idx = np.empty((len(provinces), len(sectors), len(years)))
    fb = np.zeros(idx.shape, dtype=bool)
    for k, s in enumerate(sectors):
        name = SECTOR_SERIES[s]
        if name not in cache:
            cache[name] = series_index(name, provinces, years)
        idx[:, k], fb[:, k] = cache[name]
    for a in (idx, fb):
        a.setflags(write=False)
    return ObservedActivity(provinces, sectors, years, idx, fb)


def observed_growth(provinces: Sequence[str], sectors: Sequence[str],
                    years: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed demand growth on a model year axis, in the convention of
    ``Scenario.growth_array``: entry t is the growth [yr-1] from years[t-1] to years[t].

    Returns (growth (P,S,T), observed (T,) bool: entries whose years[t-1] and years[t] both lie in
    2019-2024, so the growth is observed and should replace the default; growth elsewhere is 0),
    fallback (P,S,T) bool: observed entries that are the national rate of the series).
    """
    provinces, sectors = tuple(provinces), tuple(sectors)
    yrs = [int(y) for y in years]
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


# --- structure inside non-metallic minerals ----------------------------------------------------------
def structure_factor(cement: np.ndarray, glass: np.ndarray, cement_ref: float, glass_ref: float,
                     share: float = CEMENT_ENERGY_SHARE) -> np.ndarray:
    """Energy structure factor of non-metallic minerals (P,Y) relative to the first year [1].

    The sector's final energy is taken proportional to the composite
    ``share x cement/cement_ref + (1 - share) x glass/glass_ref`` (cement [Mt] and plain glass
    [million weighted cases] of the province; the references are the national provincial sums of
    2019, so ``share`` is the cement share of the national energy in 2019); the model's production
    is cement, so the factor is composite / (share x cement/cement_ref), divided by its value in the
    first year. A province without glass keeps 1; a missing glass value takes the province's
    nearest reported year (a gap in the statistics, not a closure); no cement -> 1."""
    c = np.asarray(cement, dtype=float)
    g = _fill_nearest(np.asarray(glass, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = 1.0 + (1.0 - share) * (g / glass_ref) / (share * c / cement_ref)
    f = np.where(np.isfinite(f) & (np.nan_to_num(c) > 0), f, np.nan)
    # a year without cement keeps the province's last factor; then relative to the first year
    f = _fill_nearest(f)
    f = np.where(np.isfinite(f), f, 1.0)
    return f / f[:, :1]


def _fill_nearest(a: np.ndarray) -> np.ndarray:
    """(P,Y) NaN replaced by the nearest finite value of the row (earlier wins a tie); all-NaN
    rows give 0."""
    out = a.copy()
    for i in range(a.shape[0]):
        ok = np.flatnonzero(np.isfinite(a[i]))
        if not ok.size:
            out[i] = 0.0
            continue
        for j in np.flatnonzero(~np.isfinite(a[i])):
            out[i, j] = a[i, ok[np.argmin(np.abs(ok - j) + 1e-3 * (ok > j))]]
    return out


def nonmetallic_structure(provinces: Sequence[str] | None = None,
                          years: Sequence[int] = (BASE_YEAR,) + OBSERVED_YEARS) -> np.ndarray:
    """(P,Y) energy structure factor of non-metallic minerals relative to 2019 (:func:`structure_factor`)
    from the 2019-2024 table; years after 2024 keep the 2024 value (no projection of structure)."""
    provinces = tuple(provinces or axes.PROVINCES)
    span = (BASE_YEAR,) + OBSERVED_YEARS
    cement = np.array([[value(p, "cement_mt", y) for y in span] for p in axes.PROVINCES])
    glass = np.array([[value(p, "plain_glass_mcases", y) for y in span] for p in axes.PROVINCES])
    f = structure_factor(cement, glass, np.nansum(cement[:, 0]), np.nansum(glass[:, 0]))
    rows = [axes.PROVINCES.index(p) for p in provinces]
    cols = [span.index(min(max(int(y), BASE_YEAR), span[-1])) for y in years]
    return f[np.ix_(rows, cols)]
