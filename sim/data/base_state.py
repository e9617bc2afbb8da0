"""The calibrated 2019 base state, read from the committed files in calibration/ (never ../shared).

`load_base_state()` returns a frozen, cached `BaseState` whose arrays follow the order of sim.core.axes.
The files are written by `python -m calibration.build`; methods are in calibration/README.md and
every number's source is in calibration/base_2019/provenance.csv.

The dynamic parameters that one base year cannot pin down (capacity lifetimes, AEEI, the steel
in-use stock lifetime, the autonomous fuel-switching trends) come from the fit of 2010-2015
(calibration/fitted.toml, written by `sim calibrate --fit`) when that file exists, else from the
nominal values of calibration/assumptions.toml (``fitted=False`` forces these). The electricity
rate ``aeei_elec`` is fitted when fitted.toml has ``[parameters.aeei_elec]``, else it is the
assumptions.toml nominal (``[sectors.aeei_elec]``, else ``[sectors.aeei]``). The floor the
best-available intensity approaches (``floor_int``) is built from calibration/floors.csv
(:func:`floor_intensity`); the model-discrepancy widths (``discrepancy_sigma``) come from
fitted.toml ``[discrepancy] sigma`` (0, no discrepancy, when absent). The earlier base
states used by the fit and the hindcast load with ``load_base_state(2010)`` / ``(2015)``.
"""

from __future__ import annotations

import csv
import functools
import pickle
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.core import axes
from sim.core.files import input_problem
from sim.core.messages import printable

CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "calibration"
BASE_DIR = CALIBRATION_DIR / "base_2019"
FITTED_FILE = CALIBRATION_DIR / "fitted.toml"
FLOORS_FILE = CALIBRATION_DIR / "floors.csv"
FLOOR_GROUPS = ("fuel", "electricity")
"""Carrier groups of calibration/floors.csv: 'electricity', and 'fuel' = every other carrier."""
GDP_YEARS = tuple(range(axes.BASE_YEAR + 1, axes.END_YEAR + 1))


def base_dir(year: int = axes.BASE_YEAR) -> Path:
    """Folder of the base state of ``year`` (calibration/base_<year>)."""
    return CALIBRATION_DIR / f"base_{year}"


@dataclass(frozen=True, eq=False)
class BaseState:
    """Base-year (2019) state. Shapes: P provinces, S sectors, R routes, K age stages, C carriers, N metals."""

    cap0: np.ndarray                 # (P,S,R,K) Mt/yr (material sectors) or 1e9 CNY(2019)/yr
    util: np.ndarray                 # (P,S) 1
    production0: np.ndarray          # (P,S,R) activity/yr
    base_share: np.ndarray           # (P,S,R) 1
    int0: np.ndarray                 # (P,S,R,C) PJ per activity unit
    new_int0: np.ndarray             # (P,S,R,C) PJ per activity unit
    floor_int: np.ndarray            # (P,S,R,C) PJ per activity unit, 0 <= floor_int <= new_int0
    va_per_unit: np.ndarray          # (P,S) 1e9 CNY per activity unit
    value_added0: np.ndarray         # (P,S) 1e9 CNY
    ef: np.ndarray                   # (P,S,C) Mt CO2/PJ
    process_ef: np.ndarray           # (P,S,R) Mt CO2 per activity unit
    route_capture: np.ndarray        # (S,R) 1
    heat_ef: float                   # Mt CO2/PJ
    h2_power: float                  # PJ electricity / PJ hydrogen
    stock0: np.ndarray               # (P,N,K) Mt
    scrap_per_unit: np.ndarray       # (N,R) t/t
    prompt_scrap: np.ndarray         # (N,) t/t sector output
    inflow_ratio: np.ndarray         # (N,) t/t sector output
    collection: np.ndarray           # (N,) 1
    stock_lifetime: np.ndarray       # (N,) yr
    metal_sector: np.ndarray         # (N,) int
    metal_route: np.ndarray          # (N,) int
    lifetime: np.ndarray             # (S,) yr
    aeei: np.ndarray                 # (S,) yr-1, decline of the gap to the floor, fuel carriers
    aeei_elec: np.ndarray            # (S,) yr-1, the same for electricity
    grid_ef0: np.ndarray             # (P,) t CO2/MWh
    grid_renewable_share0: np.ndarray  # (P,) 1
    gdp_growth: np.ndarray           # (P,Y) yr-1
    gdp_growth_years: tuple[int, ...]
    gdp_growth_national: np.ndarray  # (Y,) yr-1
    final_energy0: np.ndarray        # (P,S,C) PJ
    co2_direct0: np.ndarray          # (P,S) Mt CO2 (CEADs 2019, Tibet estimated)
    co2_process0: np.ndarray         # (P,S) Mt CO2
    crude_steel0: np.ndarray         # (P,) Mt (NBS provincial, scaled to the NBS national total)
    provenance: tuple[dict, ...] = field(repr=False)
    year: int = axes.BASE_YEAR       # the base year these arrays describe
    coal_to_gas_trend: np.ndarray = field(      # (S,) yr-1 autonomous coal-to-gas switch (fit)
        default_factory=lambda: np.zeros(len(axes.SECTORS)))
    electrification_trend: np.ndarray = field(  # (S,) yr-1 autonomous electrification (fit)
        default_factory=lambda: np.zeros(len(axes.SECTORS)))
    scrap_supply_target: np.ndarray = field(    # (N,) Mt base-year scrap supply the stock profile meets
        default_factory=lambda: np.zeros(len(axes.METALS)))
    parameter_source: str = "assumptions.toml"  # where lifetime, aeei, stock_lifetime, trends come from
    discrepancy_sigma: np.ndarray = field(      # (S,) yr^-1/2 model-discrepancy sigma (fitted.toml)
        default_factory=lambda: np.zeros(len(axes.SECTORS)))
    # physical bounds of a member's lifetime and AEEI (assumptions.toml [sectors.lifetime_min] and
    # [sectors.aeei_max]); the fit uses the same bounds, sim.model.run clips sampled members to them
    lifetime_min: np.ndarray = field(           # (S,) yr
        default_factory=lambda: np.zeros(len(axes.SECTORS)))
    aeei_max: float = 1.0                       # yr-1


def stock_age_profile(last_share: float, K: int) -> tuple[np.ndarray, float]:
    """Geometric age profile q^k / Σ q^j (k = 0..K-1) whose last stage holds ``last_share`` of the
    stock, by bisection on q in (0, 1]; returns (profile (K,), q). ``last_share`` in (0, 1/K] for
    a profile that is not older than the steady state."""
    lo, hi = 1e-3, 1.0
    for _ in range(100):
        q = 0.5 * (lo + hi)
        pw = q ** np.arange(K)
        if pw[-1] / pw.sum() < last_share:
            lo = q
        else:
            hi = q
    pw = q ** np.arange(K)
    return pw / pw.sum(), q


def autonomous_share(rate: np.ndarray, years) -> np.ndarray:
    """(...,T) cumulative share switched by an autonomous trend of ``rate`` (...) [yr-1] since the
    first of ``years``: each year the fraction ``rate`` of what is still unswitched switches,
    1 - (1 - rate)^(year - first year); 0 in the base year, saturating towards 1."""
    dt = np.asarray(years, dtype=float) - float(np.asarray(years)[0])
    r = np.clip(np.asarray(rate, dtype=float), 0.0, 1.0)[..., None]
    return 1.0 - (1.0 - r) ** dt


def with_trend(lever: np.ndarray, trend: np.ndarray) -> np.ndarray:
    """A fuel-switch lever (P,S,T) combined with an autonomous trend share (S,T): the policy acts
    on what the trend has not already switched, 1 - (1 - lever)(1 - trend)."""
    return 1.0 - (1.0 - lever) * (1.0 - trend[None])


def _rows(name: str, folder: Path = BASE_DIR) -> list[dict]:
    with open(folder / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def resolve_stock_profile(stock0: np.ndarray, n: int, lifetime: float, target: float,
                          collection: float, prompt: float, output: float) -> np.ndarray:
    """``stock0`` (P,N,K) with metal ``n``'s age profile re-solved for ``lifetime``: same total and
    provincial distribution, geometric profile whose base-year supply collection x obsolete
    (stock[K-1] x K/lifetime) + prompt x output equals ``target`` (as calibration/build.py does for
    the nominal lifetime), so the base year stays scrap-balanced whatever the lifetime. Where even
    the steady-state profile cannot supply the target (young stock, long lifetime) the profile
    stays at the steady state and the base year is short of scrap."""
    K = stock0.shape[2]
    per_prov = stock0[:, n].sum(axis=1)
    total = per_prov.sum()
    last_share = (target - prompt * output) / collection * max(lifetime, K) / K / total
    prof, _ = stock_age_profile(min(max(last_share, 1e-9), 1.0 / K), K)
    out = stock0.copy()
    out[:, n] = per_prov[:, None] * prof[None]
    return out


_FITTED_CACHE: dict[str, tuple[tuple[int, int], dict]] = {}


def read_fitted(path: Path = FITTED_FILE) -> dict | None:
    """The fitted parameter file as a dict (None if there is none). Parsed once per file version
    (path, modification time and size: a refit is read again) and returned as a fresh copy: a
    scenario check reads it once per calibrated distribution, and `sim serve` checks a scenario
    at every lever change."""
    if not path.is_file():
        return None
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _FITTED_CACHE.get(str(path))
    if cached is None or cached[0] != stamp:
        cached = (stamp, tomllib.loads(path.read_text(encoding="utf-8")))
        _FITTED_CACHE[str(path)] = cached
    return pickle.loads(pickle.dumps(cached[1]))  # a deep copy, ~10x faster than copy.deepcopy


class FittedFileError(ValueError):
    """A parameter file that is missing, unreadable or not one ``sim calibrate --fit`` writes;
    ``str(e)`` is the one-line message."""


def fitted_summary(path: Path) -> str:
    """The parameter file ``path`` as ``sim calibrate`` shows it: the fit's window, date and
    statistics, a row of values ± sd per parameter group (* = at a bound), the derived
    uncertainty widths. Raises :class:`FittedFileError` for a file that is missing, not TOML or
    lacks what the fit writes."""
    problem = input_problem(path)
    if problem == "no such file":
        raise FittedFileError(f"{path}: no calibrated parameter file; run sim calibrate --fit")
    if problem:
        raise FittedFileError(f"{path}: {problem}")
    try:
        doc = read_fitted(path)
        st, meta = doc["statistics"], doc["meta"]
        lines = [f"{path}: fit {meta['window'][0]}-{meta['window'][1]} of {meta['created']} (code "
                 f"{meta['code']}): {st['n_residuals']} residuals, {st['n_parameters']} parameters, "
                 f"reduced chi2 {st['reduced_chi2']:.2f}, R2 province x sector CO2 "
                 f"{st['r2_province_sector_co2']:.3f}",
                 f"{'parameter':<24} " + " ".join(f"{s[:11]:>11}" for s in doc["parameters"]["aeei"]
                                                  if s not in ("unit", "prior_source"))]
        for group, table in doc["parameters"].items():
            cells = [f"{v['value']:>6.3g}±{v['sd']:<4.2g}" + ("*" if v["at_bound"] else "")
                     for k, v in table.items() if k not in ("unit", "prior_source")]
            lines.append(f"{group + ' [' + table['unit'] + ']':<24} " + " ".join(f"{c:>11}" for c in cells))
        lines.append("(* = at a bound)")
        for name, u in doc.get("uncertainty", {}).items():
            params = ", ".join(f"{k} {v:g}" for k, v in u.items() if k not in ("dist", "evidence"))
            lines.append(f"uncertainty {name}: {u['dist']}({params}) - {u['evidence']}")
    except tomllib.TOMLDecodeError as e:
        raise FittedFileError(f"{path}: malformed TOML: {e}") from None
    except UnicodeDecodeError:
        raise FittedFileError(f"{path}: not UTF-8 text") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise FittedFileError(f"{path}: not a parameter file of sim calibrate --fit (missing or "
                              f"malformed: {printable(e)})") from None
    return "\n".join(lines)


def fitted_vector(doc: dict, group: str, names: tuple[str, ...]) -> np.ndarray:
    """Values of ``[parameters.<group>]`` in the order of ``names``."""
    tab = doc["parameters"][group]
    return np.array([float(tab[n]["value"]) for n in names])


def floor_intensity(new_int0: np.ndarray, path: Path = FLOORS_FILE) -> np.ndarray:
    """The floor of the best-available intensity (P,S,R,C) [PJ per activity unit] from the floors
    table (calibration/floors.csv: sector, route, carrier_group, floor, ...).

    Per province, route and carrier group g ('electricity'; 'fuel' = every other carrier):
    ``floor_c = new_int0_c · min(1, F_g / Σ_{c' ∈ g} new_int0_c')`` (0 where the group's
    new_int0 sum is 0): the group's best-available intensity falls to the benchmark F_g keeping
    its carrier mix, and a province already at or below the benchmark does not improve further
    in that group (calibration/README.md "Efficiency floors"). A (sector, route, group) without a
    row gets floor 0 (no floor: the old exponential decay). Works for every base year (one table).
    """
    P, S, R, C = new_int0.shape
    si = {s: i for i, s in enumerate(axes.SECTORS)}
    elec = np.array([c == "electricity" for c in axes.CARRIERS])
    members = {"electricity": elec, "fuel": ~elec}
    bench = np.zeros((S, R, len(FLOOR_GROUPS)))  # F_g
    have = np.zeros((S, R, len(FLOOR_GROUPS)), dtype=bool)
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            s = si[row["sector"]]
            r = axes.route_index(row["sector"], row["route"])
            g = FLOOR_GROUPS.index(row["carrier_group"])
            bench[s, r, g] = float(row["floor"])
            have[s, r, g] = True
    floor = np.zeros((P, S, R, C))
    for g, name in enumerate(FLOOR_GROUPS):
        cm = members[name]
        total = new_int0[..., cm].sum(axis=-1)  # (P,S,R) Σ_{c ∈ g} new_int0_c
        ratio = np.where(total > 0.0, bench[None, :, :, g] / np.where(total > 0.0, total, 1.0),
                         0.0)
        ratio = np.where(have[None, :, :, g], np.minimum(1.0, ratio), 0.0)
        floor[..., cm] = new_int0[..., cm] * ratio[..., None]
    # exact bound (the product can round a hair above new_int0 when the ratio is 1)
    return np.minimum(floor, new_int0)


def fitted_sector_table(doc: dict | None, table: str, key: str) -> np.ndarray:
    """(S,) values of ``doc[table][key]`` = {sector: value} (fitted.toml), 0 where absent."""
    tab = ((doc or {}).get(table) or {}).get(key) or {}
    return np.array([float(tab.get(s, 0.0)) for s in axes.SECTORS])


def _idx():
    pi = {p: i for i, p in enumerate(axes.PROVINCES)}
    si = {s: i for i, s in enumerate(axes.SECTORS)}
    ci = {c: i for i, c in enumerate(axes.CARRIERS)}
    return pi, si, ci


@functools.lru_cache(maxsize=4)
def load_base_state(year: int = axes.BASE_YEAR, fitted: bool = True) -> BaseState:
    """The base state of ``year`` (calibration/base_<year>); dynamic parameters from the fit
    (calibration/fitted.toml) if ``fitted`` and the file exists, else from assumptions.toml."""
    P, S, R, K, C, N = (len(axes.PROVINCES), len(axes.SECTORS), 3, axes.N_AGE_STAGES,
                        len(axes.CARRIERS), len(axes.METALS))
    pi, si, ci = _idx()
    A = tomllib.loads((CALIBRATION_DIR / "assumptions.toml").read_text(encoding="utf-8"))
    folder = base_dir(year)
    if not folder.is_dir():
        raise FileNotFoundError(f"no base state for {year} ({folder}); build it with "
                                f"python -m calibration.build --year {year}")

    cap0 = np.zeros((P, S, R, K))
    for r in _rows("capacity.csv", folder):
        cap0[pi[r["province"]], si[r["sector"]], int(r["route_index"]), int(r["age_stage"])] = float(r["capacity"])
    util = np.zeros((P, S))
    for r in _rows("utilisation.csv", folder):
        util[pi[r["province"]], si[r["sector"]]] = float(r["utilisation"])
    prod = np.zeros((P, S, R))
    for r in _rows("production.csv", folder):
        prod[pi[r["province"]], si[r["sector"]], int(r["route_index"])] = float(r["production"])
    int0 = np.zeros((P, S, R, C))
    new_int0 = np.zeros((P, S, R, C))
    for r in _rows("intensity.csv", folder):
        key = (pi[r["province"]], si[r["sector"]], int(r["route_index"]), ci[r["carrier"]])
        int0[key] = float(r["int0_pj_per_unit"])
        new_int0[key] = float(r["new_int0_pj_per_unit"])
    va = np.zeros((P, S))
    vpu = np.zeros((P, S))
    for r in _rows("value_added.csv", folder):
        va[pi[r["province"]], si[r["sector"]]] = float(r["value_added_1e9cny"])
        vpu[pi[r["province"]], si[r["sector"]]] = float(r["va_per_unit_1e9cny_per_unit"])
    ef = np.zeros((P, S, C))
    for r in _rows("emission_factors.csv", folder):
        ef[pi[r["province"]], si[r["sector"]], ci[r["carrier"]]] = float(r["ef_mtco2_per_pj"])
    pef = np.zeros((P, S, R))
    for r in _rows("process_emission_factors.csv", folder):
        pef[pi[r["province"]], si[r["sector"]], int(r["route_index"])] = float(r["process_ef_mtco2_per_unit"])
    fe = np.zeros((P, S, C))
    for r in _rows("final_energy.csv", folder):
        fe[pi[r["province"]], si[r["sector"]], ci[r["carrier"]]] = float(r["final_energy_pj"])
    co2d = np.zeros((P, S))
    co2p = np.zeros((P, S))
    for r in _rows(f"ceads_{year}_sector_totals.csv", folder):
        co2d[pi[r["province"]], si[r["sector"]]] = float(r["co2_direct_mt"])
        co2p[pi[r["province"]], si[r["sector"]]] = float(r["co2_process_mt"])
    mi = {m: i for i, m in enumerate(axes.METALS)}
    stock0 = np.zeros((P, N, K))
    for r in _rows("in_use_stock.csv", folder):
        stock0[pi[r["province"]], mi[r["metal"]], int(r["age_stage"])] = float(r["stock_mt"])
    mp = {(r["metal"], r["parameter"]): float(r["value"]) for r in _rows("metal_parameters.csv", folder)}
    spu = np.array([[mp[(m, f"scrap_per_unit_route{j}")] for j in range(R)] for m in axes.METALS])
    grid_ef0 = np.zeros(P)
    ren0 = np.zeros(P)
    for r in _rows("grid.csv", folder):
        grid_ef0[pi[r["province"]]] = float(r["grid_ef_tco2_per_mwh"])
        ren0[pi[r["province"]]] = float(r["renewable_share"])
    # projected GDP growth (from 2020 on) is stored with the 2019 base state only
    yi = {y: i for i, y in enumerate(GDP_YEARS)}
    gg = np.zeros((P, len(GDP_YEARS)))
    for r in _rows("gdp_growth.csv", BASE_DIR):
        gg[pi[r["province"]], yi[int(r["year"])]] = float(r["gdp_growth"])
    gn = np.zeros(len(GDP_YEARS))
    for r in _rows("gdp_growth_national.csv", BASE_DIR):
        gn[yi[int(r["year"])]] = float(r["gdp_growth"])
    crude = np.zeros(P)
    for r in _rows("province_activity.csv", folder):
        crude[pi[r["province"]]] = float(r["crude_steel_nbs_mt"])

    # base_share: production shares; sectors with zero output use the national share, else [1,0,0]
    tot = prod.sum(-1, keepdims=True)
    nat = prod.sum(0)
    nat_share = np.where(nat.sum(-1, keepdims=True) > 0, nat / np.maximum(nat.sum(-1, keepdims=True), 1e-300),
                         np.array([1.0, 0.0, 0.0]))
    share = np.where(tot > 0, prod / np.maximum(tot, 1e-300), nat_share[None])

    route_capture = np.zeros((S, R))
    cm = si["nonmetallic_minerals"]
    route_capture[cm, axes.route_index("nonmetallic_minerals", "kiln_ccus")] = \
        A["routes"]["nonmetallic_minerals"]["capture_rate"]["value"]
    lifetime = np.array([float(A["sectors"]["lifetime"][s]) for s in axes.SECTORS])
    aeei = np.array([float(A["sectors"]["aeei"][s]) for s in axes.SECTORS])
    # electricity: its own nominal when assumptions.toml has [sectors.aeei_elec], else aeei's
    aeei_elec = np.array([float(A["sectors"].get("aeei_elec", A["sectors"]["aeei"])[s])
                          for s in axes.SECTORS])
    metal_sector = np.array([si[axes.METAL_FEEDSTOCK[m][0]] for m in axes.METALS], dtype=np.int64)
    metal_route = np.array([axes.route_index(*axes.METAL_FEEDSTOCK[m]) for m in axes.METALS], dtype=np.int64)
    stock_lifetime = np.array([mp[(m, "stock_lifetime")] for m in axes.METALS])
    collection = np.array([mp[(m, "collection")] for m in axes.METALS])
    prompt = np.array([mp[(m, "prompt_scrap")] for m in axes.METALS])
    target = np.array([mp[(m, "scrap_supply_target")] for m in axes.METALS])
    gas_trend = np.zeros(S)
    elec_trend = np.zeros(S)
    source = "assumptions.toml"
    doc = read_fitted() if fitted else None
    if doc is not None:
        lifetime = fitted_vector(doc, "lifetime", axes.SECTORS)
        aeei = fitted_vector(doc, "aeei", axes.SECTORS)
        if "aeei_elec" in doc["parameters"]:  # else the assumptions.toml nominal above
            aeei_elec = fitted_vector(doc, "aeei_elec", axes.SECTORS)
        gas_trend = fitted_vector(doc, "coal_to_gas_trend", axes.SECTORS)
        elec_trend = fitted_vector(doc, "electrification_trend", axes.SECTORS)
        for n, m in enumerate(axes.METALS):
            if m in doc["parameters"]["stock_lifetime"]:
                stock_lifetime[n] = float(doc["parameters"]["stock_lifetime"][m]["value"])
                out = prod[:, metal_sector[n]].sum()
                stock0 = resolve_stock_profile(stock0, n, stock_lifetime[n], target[n], collection[n],
                                               prompt[n], out)
        source = f"fitted.toml ({doc['meta']['window'][0]}-{doc['meta']['window'][1]} fit of {doc['meta']['created']})"

    arrays = dict(
        cap0=cap0, util=util, production0=prod, base_share=share, int0=int0, new_int0=new_int0,
        floor_int=floor_intensity(new_int0), aeei_elec=aeei_elec,
        discrepancy_sigma=fitted_sector_table(doc, "discrepancy", "sigma"),
        va_per_unit=vpu, value_added0=va, ef=ef, process_ef=pef, route_capture=route_capture,
        stock0=stock0, scrap_per_unit=spu,
        prompt_scrap=prompt,
        inflow_ratio=np.array([mp[(m, "inflow_ratio")] for m in axes.METALS]),
        collection=collection,
        stock_lifetime=stock_lifetime,
        metal_sector=metal_sector, metal_route=metal_route, lifetime=lifetime, aeei=aeei,
        grid_ef0=grid_ef0, grid_renewable_share0=ren0, gdp_growth=gg, gdp_growth_national=gn,
        final_energy0=fe, co2_direct0=co2d, co2_process0=co2p, crude_steel0=crude,
        coal_to_gas_trend=gas_trend, electrification_trend=elec_trend, scrap_supply_target=target,
        lifetime_min=np.array([float(A["sectors"]["lifetime_min"][s]) for s in axes.SECTORS]),
    )
    for a in arrays.values():
        a.setflags(write=False)
    return BaseState(
        **arrays,
        heat_ef=float(A["heat"]["heat_ef"]["value"]),
        aeei_max=float(A["sectors"]["aeei_max"]["value"]),
        h2_power=float(A["hydrogen"]["h2_power"]["value"]),
        gdp_growth_years=GDP_YEARS,
        provenance=tuple(_rows("provenance.csv", folder)),
        year=year,
        parameter_source=source,
    )
