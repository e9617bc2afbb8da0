"""The 2015 → 2019 hindcast: the model's dynamics tested on history it was not fitted to.

From the 2015 base state (calibration/base_2015, built exactly as the 2019 one) the kernel steps
to 2019 driven by the *observed* activity of 2016-2019 (NBS crude steel, cement and ten non-ferrous
metals by province; the real value-added index for the other sectors; ``sim.historical_run.
observed_growth``), with the dynamic parameters of the 2010-2015 fit (calibration/fitted.toml) and
no policy levers. Modelled CO2 (direct fossil + process, Mt CO2) by province and sector in 2019 is
compared with CEADs 2019.

Reported (:class:`Hindcast`):

* the error of national industrial CO2 in 2019 (modelled / CEADs − 1, over the province × sector
  pairs CEADs covers; Tibet is not in CEADs);
* absolute percentage errors |model/CEADs − 1| per province × sector (pairs emitting at least
  :data:`MIN_CO2` Mt in 2019; smaller ones are dominated by rounding and reclassification) and
  their median per sector, beside two naive forecasts that use more information than the model
  has: persistence (2019 = 2015) and 2015 scaled by the sector's observed national 2015→2019
  ratio;
* the national industrial energy-intensity change 2015→2019 (modelled final energy per unit of
  value added), set beside the −16 % reported for 2016-2020 (TARGETS.md §4, seed 002
  规模以上工业单位增加值能耗降低约16%; that figure is for above-size industry and five years,
  so it is also given pro rata for four years).

Goals (issue #6): national CO2 within ±5 %; median province × sector APE ≤ 15 % for iron and
steel, non-metallic minerals and chemicals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import axes

START, END = 2015, 2019
MIN_CO2 = 0.1
"""Mt CO2: province × sector pairs below this in CEADs 2019 are left out of the APE statistics."""
GOAL_NATIONAL = 0.05
GOAL_SECTORS = {"iron_steel": 0.15, "nonmetallic_minerals": 0.15, "chemicals": 0.15}
REPORTED_INTENSITY_CHANGE = (-0.16, 2016, 2020)
"""Seed 002: energy per unit of above-size industrial VA fell about 16 % over 2016-2020."""


@dataclass(frozen=True)
class Hindcast:
    """Result of :func:`run`. Arrays (P,S) in sim.axes order; NaN where CEADs has no value."""

    model: np.ndarray            # (P,S) Mt CO2 2019, modelled
    observed: np.ndarray         # (P,S) Mt CO2 2019, CEADs
    observed_start: np.ndarray   # (P,S) Mt CO2 2015, CEADs
    national_error: float        # modelled / CEADs − 1, national total over covered pairs
    intensity_change: float      # modelled national final energy per VA, 2019 / 2015 − 1
    parameter_source: str

    @property
    def included(self) -> np.ndarray:
        """(P,S) pairs in the APE statistics: observed, ≥ MIN_CO2 in 2019 and > 0 in 2015."""
        return (np.isfinite(self.observed) & (self.observed >= MIN_CO2)
                & np.isfinite(self.observed_start) & (self.observed_start > 0))

    @property
    def ape(self) -> np.ndarray:
        """(P,S) |model / CEADs − 1|, NaN outside :attr:`included`."""
        return np.where(self.included, np.abs(self.model / np.where(self.included, self.observed, 1) - 1), np.nan)

    def sector_table(self) -> list[dict]:
        """Per sector: modelled and observed national CO2, median APE of the model and of the
        naive forecasts, number of provinces, goal (or None)."""
        rows = []
        inc = self.included
        for s, sector in enumerate(axes.SECTORS):
            k = inc[:, s]
            o, o0, m = self.observed[k, s], self.observed_start[k, s], self.model[k, s]
            cover = np.isfinite(self.observed[:, s])
            ratio = o.sum() / o0.sum() if k.any() else np.nan
            rows.append(dict(
                sector=sector, model=float(self.model[cover, s].sum()),
                observed=float(self.observed[cover, s].sum()), n=int(k.sum()),
                median_ape=_median(np.abs(m / o - 1)),
                persistence=_median(np.abs(o0 / o - 1)),
                scaled_persistence=_median(np.abs(ratio * o0 / o - 1)),
                goal=GOAL_SECTORS.get(sector)))
        return rows

    def province_table(self) -> list[dict]:
        """Per province covered by CEADs: modelled and observed CO2 over the covered sectors, the
        error of the total and the median APE over its sectors."""
        rows = []
        for p, province in enumerate(axes.PROVINCES):
            cover = np.isfinite(self.observed[p])
            if not cover.any():
                continue
            m, o = float(self.model[p, cover].sum()), float(self.observed[p, cover].sum())
            ape = self.ape[p][self.included[p]]
            rows.append(dict(province=province, model=m, observed=o, error=m / o - 1,
                             median_ape=_median(ape), n=int(ape.size)))
        return rows

    def meets_goals(self) -> dict[str, bool]:
        out = {"national": abs(self.national_error) <= GOAL_NATIONAL}
        for r in self.sector_table():
            if r["goal"] is not None:
                out[r["sector"]] = r["median_ape"] <= r["goal"]
        return out


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if x.size else float("nan")


def run(fitted: bool = True) -> Hindcast:
    """Run the hindcast (one deterministic member; about a second after compilation)."""
    from kernels.stock_flow import simulate
    from sim.base_state import load_base_state
    from sim.historical_run import co2_by_carrier, historical_inputs, load_history, observed_growth

    base = load_base_state(START, fitted=fitted)
    history = load_history()
    years = tuple(range(START, END + 1))
    growth, _ = observed_growth(history, years)
    inp = historical_inputs(base, years, growth[None], base.lifetime[None], base.aeei[None],
                            base.stock_lifetime[None], with_trends=True)
    out = simulate(inp)
    co2 = co2_by_carrier(out.final_energy, base.ef, out.co2_process)[0].sum(axis=2)  # (P,S,T)
    observed = np.nansum(history.co2[history.index(END)], axis=-1)
    observed_start = np.nansum(history.co2[history.index(START)], axis=-1)
    covered = np.isfinite(history.co2[history.index(END)]).all(-1)
    observed = np.where(covered, observed, np.nan)
    observed_start = np.where(covered, observed_start, np.nan)
    model = co2[..., -1]
    national = float(model[covered].sum() / observed[covered].sum() - 1)
    energy = out.final_energy[0].sum(axis=(0, 1, 2))  # (T,) PJ, all provinces, sectors, carriers
    va = out.value_added[0].sum(axis=(0, 1))           # (T,) 1e9 CNY (2019 prices)
    intensity = energy / va
    return Hindcast(model=model, observed=observed, observed_start=observed_start,
                    national_error=national, intensity_change=float(intensity[-1] / intensity[0] - 1),
                    parameter_source=base.parameter_source)


def format_report(h: Hindcast) -> str:
    """Plain-text hindcast report: national error, per-sector table, goals, energy intensity."""
    change, y0, y1 = REPORTED_INTENSITY_CHANGE
    pro_rata = (1 + change) ** ((END - START) / (y1 - y0 + 1)) - 1
    goals = h.meets_goals()
    lines = [f"Hindcast {START} -> {END}: observed activity, dynamic parameters from {h.parameter_source}",
             "",
             f"national industrial CO2 {END}: model {np.nansum(np.where(np.isfinite(h.observed), h.model, 0)):.0f} Mt, "
             f"CEADs {np.nansum(h.observed):.0f} Mt, error {h.national_error:+.1%} "
             f"(goal within ±{GOAL_NATIONAL:.0%}: {'met' if goals['national'] else 'MISSED'})",
             "",
             f"{'sector':<22} {'model Mt':>9} {'CEADs Mt':>9} {'n':>3} {'median APE':>10} "
             f"{'persist.':>9} {'scaled':>7}  goal",
             "-" * 84]
    for r in h.sector_table():
        goal = "" if r["goal"] is None else (
            f"<= {r['goal']:.0%} {'met' if goals[r['sector']] else 'MISSED'}")
        lines.append(f"{r['sector']:<22} {r['model']:>9.1f} {r['observed']:>9.1f} {r['n']:>3} "
                     f"{r['median_ape']:>10.1%} {r['persistence']:>9.1%} {r['scaled_persistence']:>7.1%}  {goal}")
    lines += ["", f"{'province':<16} {'model Mt':>9} {'CEADs Mt':>9} {'error':>7} "
              f"{'median APE over sectors':>24}", "-" * 68]
    for r in h.province_table():
        lines.append(f"{r['province']:<16} {r['model']:>9.1f} {r['observed']:>9.1f} {r['error']:>+7.1%} "
                     f"{r['median_ape']:>24.1%}")
    lines += ["",
              "median APE: median over provinces of |model/CEADs - 1| (pairs >= "
              f"{MIN_CO2} Mt); persist.: the 2015 value as forecast; scaled: 2015 x the sector's "
              "observed national 2015->2019 ratio (knows the national answer).",
              "",
              f"national industrial energy intensity (final energy / VA) {START}->{END}: model "
              f"{h.intensity_change:+.1%}; reported {change:+.0%} for {y0}-{y1} (above-size industry, "
              f"seed 002), {pro_rata:+.1%} pro rata for {END - START} years"]
    return "\n".join(lines)


def plot(h: Hindcast):
    """Figure: modelled vs CEADs CO2 by province × sector (log-log, 1:1 line and ±15 %) and the
    median APE per sector with the naive forecasts. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 5), constrained_layout=True)
    ax, bx = fig.subplots(1, 2)
    inc = h.included
    for s, sector in enumerate(axes.SECTORS):
        k = inc[:, s]
        ax.scatter(h.observed[k, s], h.model[k, s], s=12, label=sector)
    lo, hi = 0.1, float(np.nanmax(h.observed)) * 1.5
    xs = np.array([lo, hi])
    ax.plot(xs, xs, color="k", lw=1, label="1:1")
    ax.fill_between(xs, xs * 0.85, xs * 1.15, color="grey", alpha=0.2, label="±15 %")
    ax.set(xscale="log", yscale="log", xlabel=f"CEADs {END} CO2 [Mt CO2/yr]",
           ylabel=f"modelled {END} CO2 [Mt CO2/yr]",
           title=f"Hindcast {START}->{END}: province x sector CO2 (national error {h.national_error:+.1%})")
    ax.legend(fontsize=7, ncol=2)
    rows = h.sector_table()
    x = np.arange(len(rows))
    w = 0.27
    bx.bar(x - w, [r["median_ape"] * 100 for r in rows], w, label="model")
    bx.bar(x, [r["persistence"] * 100 for r in rows], w, label="persistence (2015 value)")
    bx.bar(x + w, [r["scaled_persistence"] * 100 for r in rows], w,
           label="2015 x observed national ratio")
    bx.axhline(15, color="k", ls="--", lw=1, label="goal 15 % (steel, cement, chemicals)")
    bx.set_xticks(x, [r["sector"] for r in rows], rotation=45, ha="right")
    bx.set(ylabel="median absolute percentage error [%]", title="Median province APE by sector")
    bx.legend(fontsize=7)
    fig.text(0.01, 0.0, "Sources: CEADs provincial inventories 2015, 2019; NBS output; "
             "calibration/fitted.toml", fontsize=7)
    return fig
