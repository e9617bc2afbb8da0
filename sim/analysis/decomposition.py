"""Decomposition of a CO2 difference into wedges by the additive log-mean Divisia index.

LMDI-I (Ang 2005, Energy Policy 33:867, doi:10.1016/j.enpol.2003.10.010) splits the difference
X_b - X_s of a product of factors X = f_1 ... f_n between two states into one wedge per factor,
exactly: the wedges add up to the difference. ``sim.plots.figures`` draws the wedges of a scenario against
its baseline (``plots.wedges`` takes the sector medians from the files and calls
:func:`co2_wedges`).
"""

from __future__ import annotations

import numpy as np

from sim.results.reading import member_quantiles

LMDI_GROUPS = (
    "activity (total value added)",
    "structure (sector mix of value added)",
    "energy efficiency (energy per value added, excl. steel)",
    "steel route and efficiency (iron & steel energy per value added)",
    "electrification and non-fossil energy (fossil share)",
    "fuel switching (CO2 per fossil energy)",
    "process CO2 per value added (kilns)",
    "CCUS (CO2 captured)",
    "unresolved (zero values)",
)


def log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Logarithmic mean L(a, b) = (a - b) / (ln a - ln b), L(a, a) = a (positive a, b)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (a - b) / (np.log(a) - np.log(b))
    return np.where(np.isclose(a, b, rtol=1e-12, atol=0), a, out)


def lmdi(base: list[np.ndarray], scen: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Additive LMDI-I of X = prod(factors) from ``base`` to ``scen``, as reductions.

    Returns (wedges, unresolved): wedge k = L(X_b, X_s) ln(f_k,b / f_k,s) where every factor is
    positive and finite in both states, and the whole X_b - X_s in ``unresolved`` elsewhere, so
    sum(wedges) + unresolved = X_b - X_s exactly (to rounding).
    """
    xb, xs = np.prod(base, axis=0), np.prod(scen, axis=0)
    ok = np.all([(f > 0) & np.isfinite(f) for f in base + scen], axis=0)
    weight = np.where(ok, log_mean(np.where(ok, xb, 1.0), np.where(ok, xs, 1.0)), 0.0)
    wedges = [np.where(ok, weight * np.log(np.where(ok, fb / np.where(ok, fs, 1.0), 1.0)), 0.0)
              for fb, fs in zip(base, scen)]
    return wedges, np.where(ok, 0.0, np.nan_to_num(xb - xs))


def co2_wedges(base: dict[str, np.ndarray], scen: dict[str, np.ndarray],
               steel: np.ndarray) -> np.ndarray:
    """Reduction of industrial CO2 from ``base`` to ``scen`` [Mt yr-1] by the wedges of
    :data:`LMDI_GROUPS` (wedge, year); the wedges add up to the difference of direct + process -
    captured CO2 summed over sectors.

    ``base`` and ``scen`` map value_added [1e9 CNY yr-1], energy and fossil (final energy, all and
    fossil carriers [PJ yr-1]), co2_direct, co2_process and co2_captured [Mt yr-1] to (sector,
    year) arrays; ``steel`` (sector,) marks iron & steel, whose energy intensity is its own wedge.
    Direct CO2 per sector D = A (A_s/A) (E_s/A_s) (F_s/E_s) (D_s/F_s) with A total value added,
    E final energy, F fossil final energy; process CO2 P = A (A_s/A) (P_s/A_s); captured CO2
    enters additively.
    """
    fb, fs = base, scen
    total = {k: f["value_added"].sum(axis=0, keepdims=True) for k, f in (("b", fb), ("s", fs))}
    steel = np.asarray(steel, dtype=bool)[:, None]
    out = np.zeros((len(LMDI_GROUPS), fb["co2_direct"].shape[1]))

    def factors(f, tot):
        with np.errstate(divide="ignore", invalid="ignore"):
            direct = [np.broadcast_to(tot, f["value_added"].shape), f["value_added"] / tot,
                      f["energy"] / f["value_added"], f["fossil"] / f["energy"],
                      f["co2_direct"] / f["fossil"]]
            process = [direct[0], direct[1], f["co2_process"] / f["value_added"]]
        return direct, process

    db, pb = factors(fb, total["b"])
    dsc, psc = factors(fs, total["s"])
    w, unresolved_d = lmdi(db, dsc)
    out[0] += w[0].sum(axis=0)
    out[1] += w[1].sum(axis=0)
    out[2] += np.where(steel, 0.0, w[2]).sum(axis=0)
    out[3] += np.where(steel, w[2], 0.0).sum(axis=0)
    out[4] += w[3].sum(axis=0)
    out[5] += w[4].sum(axis=0)
    w, unresolved_p = lmdi(pb, psc)
    out[0] += w[0].sum(axis=0)
    out[1] += w[1].sum(axis=0)
    out[6] += w[2].sum(axis=0)
    out[7] += (fs["co2_captured"] - fb["co2_captured"]).sum(axis=0)
    out[8] += (unresolved_d + unresolved_p).sum(axis=0)
    return out


MEDIAN = np.array([0.5])


def sector_medians(value_added: np.ndarray, final_energy: np.ndarray, co2_direct: np.ndarray,
                   co2_process: np.ndarray, co2_captured: np.ndarray,
                   fossil: list[int]) -> dict[str, np.ndarray]:
    """The (sector, year) medians over members that :func:`co2_wedges` takes, from member-first
    arrays of one region: value_added [1e9 CNY yr-1], co2_direct, co2_process and co2_captured
    [Mt yr-1] (member, sector, year), and ``energy`` and ``fossil`` from final_energy (member,
    sector, carrier, year) [PJ yr-1] summed over all carriers and over the carriers at the
    positions ``fossil`` (in that order). The same numbers as ``sim.plots.ensemble.lmdi_factors``
    on a Dataset (its medians are ``sim.results.reading.median``'s, and its sums NumPy's over the
    same axis), without xarray's selections: the web page takes them at every lever change."""
    out = {name: member_quantiles(x, MEDIAN)[0].astype(float)
           for name, x in (("value_added", value_added), ("co2_direct", co2_direct),
                           ("co2_process", co2_process), ("co2_captured", co2_captured))}
    out["energy"] = member_quantiles(np.sum(final_energy, axis=2), MEDIAN)[0].astype(float)
    out["fossil"] = member_quantiles(np.sum(final_energy[:, :, fossil], axis=2),
                                     MEDIAN)[0].astype(float)
    return out
