"""Containers for the kernel's arrays (see ``kernels/SPEC.md`` for every field's shape and unit).

Plain dataclasses of NumPy arrays and scalars: the application fills a :class:`KernelInputs`, the
kernel wrapper unpacks it into positional arguments for the ``@njit`` function, and the results come
back as a :class:`KernelOutputs`. Nothing here knows a province or sector name.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

N_CARRIERS = 7
"""Carrier positions of SPEC.md's index c: the one place they are declared. ``sim.axes.CARRIERS``
names them in this order (a test checks the two agree)."""
COAL, OIL, GAS, ELECTRICITY, HEAT, HYDROGEN, BIOMASS = range(N_CARRIERS)
FOSSIL = (COAL, OIL, GAS)


@dataclass
class KernelInputs:
    # base state (P = provinces, S = sectors, R = 3 routes, K = age stages, C = 7 carriers, N = metals)
    cap0: np.ndarray  # (P,S,R,K) activity unit yr-1
    util: np.ndarray  # (P,S) 1
    base_share: np.ndarray  # (P,S,R) 1
    int0: np.ndarray  # (P,S,R,C) PJ per activity unit
    new_int0: np.ndarray  # (P,S,R,C) PJ per activity unit
    va_per_unit: np.ndarray  # (P,S) 1e9 CNY per activity unit
    ef: np.ndarray  # (P,S,C) Mt CO2 / PJ
    process_ef: np.ndarray  # (P,S,R) Mt CO2 per activity unit
    substitutable: np.ndarray  # (S,R) int64 0/1
    heat_ef: float  # Mt CO2 / PJ
    h2_power: float  # PJ electricity / PJ hydrogen
    stock0: np.ndarray  # (P,N,K) Mt
    metal_sector: np.ndarray  # (N,) int64
    metal_route: np.ndarray  # (N,) int64
    scrap_per_unit: np.ndarray  # (N,R) t/t
    prompt_scrap: np.ndarray  # (N,) 1
    inflow_ratio: np.ndarray  # (N,) 1
    # levers (T = years)
    share_floor: np.ndarray  # (P,S,R,T)
    phase_out: np.ndarray  # (P,S,T)
    replacement_ratio: np.ndarray  # (P,S,T), inf = no cap
    retrofit: np.ndarray  # (P,S,T)
    coal_to_gas: np.ndarray  # (P,S,T)
    hydrogen: np.ndarray  # (P,S,T)
    electrification: np.ndarray  # (P,S,T)
    green_power: np.ndarray  # (P,S,T)
    capture: np.ndarray  # (P,S,R,T)
    scrap_market: np.ndarray  # (T,)
    # uncertain, one row per member (M)
    growth: np.ndarray  # (M,P,S,T) yr-1
    lifetime: np.ndarray  # (M,S) yr
    aeei: np.ndarray  # (M,S) yr-1
    grid_ef: np.ndarray  # (M,P,T) Mt CO2 / PJ
    collection: np.ndarray  # (M,N,T) 1
    stock_lifetime: np.ndarray  # (M,N) yr
    elec_ratio: np.ndarray  # (M,) PJ / PJ

    @property
    def shape(self) -> dict[str, int]:
        """Sizes of the index letters of SPEC.md."""
        P, S, R, K = self.cap0.shape
        return {
            "M": self.growth.shape[0],
            "P": P,
            "S": S,
            "R": R,
            "K": K,
            "C": self.int0.shape[3],
            "N": self.stock0.shape[1],
            "T": self.growth.shape[3],
        }

    def member_slice(self, start: int, stop: int) -> "KernelInputs":
        """The same inputs for members ``start:stop`` only (shared arrays are not copied)."""
        member_fields = {"growth", "lifetime", "aeei", "grid_ef", "collection", "stock_lifetime",
                         "elec_ratio"}
        kw = {}
        for f in fields(self):
            v = getattr(self, f.name)
            kw[f.name] = v[start:stop] if f.name in member_fields else v
        return KernelInputs(**kw)


@dataclass
class KernelOutputs:
    demand: np.ndarray  # (M,P,S,T)
    production: np.ndarray  # (M,P,S,R,T)
    capacity: np.ndarray  # (M,P,S,R,T)
    investment: np.ndarray  # (M,P,S,R,T)
    retirement: np.ndarray  # (M,P,S,R,T)
    final_energy: np.ndarray  # (M,P,S,C,T)
    value_added: np.ndarray  # (M,P,S,T)
    co2_direct: np.ndarray  # (M,P,S,T)
    co2_process: np.ndarray  # (M,P,S,T)
    co2_indirect: np.ndarray  # (M,P,S,T)
    co2_captured: np.ndarray  # (M,P,S,T)
    scrap_supply: np.ndarray  # (M,P,N,T)
    scrap_use: np.ndarray  # (M,P,N,T)
    inuse_stock: np.ndarray  # (M,P,N,T)

    @classmethod
    def allocate(cls, M: int, P: int, S: int, R: int, C: int, N: int, T: int) -> "KernelOutputs":
        """Zero-filled outputs of the given sizes."""
        z = np.zeros
        return cls(
            demand=z((M, P, S, T)),
            production=z((M, P, S, R, T)),
            capacity=z((M, P, S, R, T)),
            investment=z((M, P, S, R, T)),
            retirement=z((M, P, S, R, T)),
            final_energy=z((M, P, S, C, T)),
            value_added=z((M, P, S, T)),
            co2_direct=z((M, P, S, T)),
            co2_process=z((M, P, S, T)),
            co2_indirect=z((M, P, S, T)),
            co2_captured=z((M, P, S, T)),
            scrap_supply=z((M, P, N, T)),
            scrap_use=z((M, P, N, T)),
            inuse_stock=z((M, P, N, T)),
        )

    def as_dict(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
