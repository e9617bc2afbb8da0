"""The one assembly of :class:`kernels.arrays.KernelInputs`: base state + provinces + levers +
member arrays (the four groups of kernels/SPEC.md's input tables).

``sim.model.run`` (scenario runs: levers from the scenario, member arrays from the uncertainty
design) and ``sim.model.historical`` (hindcast and fit: no levers, member arrays from the fit) both
build their kernel inputs here, so a new base-state field is added in one place.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from kernels.arrays import KernelInputs
from sim.core import axes
from sim.data.costs import cost_scale, entry_premium

LEVER_FIELDS = ("share_floor", "phase_out", "replacement_ratio", "retrofit", "coal_to_gas",
                "hydrogen", "electrification", "green_power", "capture", "scrap_market",
                "carbon_price", "switch_price")
"""KernelInputs fields set by the levers (SPEC.md's lever table), (P,S,T), (P,S,R,T) or (T,)."""
MEMBER_FIELDS = ("growth", "lifetime", "aeei", "grid_ef", "collection", "stock_lifetime",
                 "elec_ratio", "aeei_elec", "discrepancy", "cost_response", "retrofit_response",
                 "gas_response", "elec_response")
"""KernelInputs fields with one row per member (SPEC.md's uncertain inputs)."""


def base_inputs(base, prov_idx: np.ndarray) -> dict[str, Any]:
    """The base-state fields of KernelInputs for the provinces at positions ``prov_idx`` of the
    base state (``sim.data.base_state.BaseState``).

    The province selection copies the base state's (read-only) arrays; whatever their flags,
    the kernel takes read-only views of its inputs (``kernels.arrays.check_inputs``), so it is
    compiled for one type of each.
    """
    sel = np.asarray(prov_idx, dtype=np.int64)
    return dict(
        cap0=base.cap0[sel], util=base.util[sel], base_share=base.base_share[sel],
        int0=base.int0[sel], new_int0=base.new_int0[sel], floor_int=base.floor_int[sel],
        va_per_unit=base.va_per_unit[sel],
        ef=base.ef[sel], process_ef=base.process_ef[sel],
        substitutable=np.array([axes.SUBSTITUTABLE[s] for s in axes.SECTORS], dtype=np.int64),
        heat_ef=float(base.heat_ef), h2_power=float(base.h2_power), stock0=base.stock0[sel],
        metal_sector=np.array(base.metal_sector, dtype=np.int64),
        metal_route=np.array(base.metal_route, dtype=np.int64),
        scrap_per_unit=np.array(base.scrap_per_unit), prompt_scrap=np.array(base.prompt_scrap),
        inflow_ratio=np.array(base.inflow_ratio),
        cost_scale=cost_scale(len(sel)), entry_premium=entry_premium(len(sel)),
    )


def assemble(base, prov_idx: np.ndarray, levers: Mapping[str, np.ndarray],
             members: Mapping[str, np.ndarray]) -> KernelInputs:
    """KernelInputs of the provinces ``prov_idx`` of ``base``, with the lever arrays ``levers``
    (exactly :data:`LEVER_FIELDS`) and the per-member arrays ``members`` (exactly
    :data:`MEMBER_FIELDS`); a missing or unknown name is a KeyError naming it."""
    for what, given, expected in (("lever", levers, LEVER_FIELDS), ("member", members, MEMBER_FIELDS)):
        missing, unknown = set(expected) - set(given), set(given) - set(expected)
        if missing or unknown:
            raise KeyError(f"{what} arrays: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return KernelInputs(**base_inputs(base, prov_idx), **levers, **members)
