"""The validated scenario: :class:`Scenario`, its :class:`Target` and
:class:`AdministrativeTarget` entries, and the scenario-level constants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from sim.core.levers import LeverSpec
from sim.core.levers import lever_array as _lever_array
from sim.core.units import KGCE_PER_KWH_CALORIFIC, KGCE_PER_KWH_COAL_EQUIVALENT
from sim.data.growth import GrowthSpec
from sim.data.growth import growth_array as _growth_array
from sim.scenario.uncertainty import UncertaintySpec

MAX_END_YEAR = 2060


DEFAULT_MEMBERS = 1000


DEFAULT_SEED = 1


ELECTRICITY_CONVERSIONS: dict[str, float] = {
    "calorific": KGCE_PER_KWH_CALORIFIC,
    "coal_equivalent": KGCE_PER_KWH_COAL_EQUIVALENT,
}


EACH_PROVINCE = "each_province"


NATIONAL = "national"


GROWTH_RANGE = (-0.5, 0.5)


@dataclass(frozen=True)
class Target:
    """One evaluated target of a catalogue: indicator, scope and its provinces, year,
    condition with value, base year and tolerance, accounting, source and status."""

    id: str
    indicator: str
    scope: str  # "national", a province, a group key
    provinces: tuple[str, ...]
    year: int
    condition: str
    value: float | None
    base_year: int | None
    tolerance: float | None
    accounting: str | None  # CO2 targets: "scope1" or "scope1+2"
    source: str
    scope_note: str
    status: str  # "simulated" or "trend" (from the indicator registry)
    description: str = ""
    catalogue: str = ""


@dataclass(frozen=True)
class AdministrativeTarget:
    """A catalogue target that the model does not simulate (counts of standards, parks,
    products), listed with the reason."""

    id: str
    description: str
    year: int | None
    source: str
    status: str  # always "not simulated"
    reason: str
    catalogue: str = ""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: provinces, years, members, seed, growth, levers, uncertainty and
    targets, with its file's text."""

    name: str
    description: str
    path: Path
    text: str
    provinces: tuple[str, ...]
    years: tuple[int, ...]
    start_year: int
    end_year: int
    members: int
    seed: int
    electricity_conversion: str
    electricity_kgce_per_kwh: float
    plateau_tolerance: float
    growth: GrowthSpec
    levers: Mapping[str, LeverSpec]
    uncertainty: UncertaintySpec
    targets: tuple[Target, ...]
    administrative: tuple[AdministrativeTarget, ...]
    skipped_targets: tuple[tuple[str, str], ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    catalogues: tuple[Path, ...] = ()

    def lever_array(self, name: str, provinces: Sequence[str] | None = None,
                    sectors: Sequence[str] | None = None, years: Sequence[int] | None = None) -> np.ndarray:
        """See :func:`sim.core.levers.lever_array`."""
        return _lever_array(name, self, provinces, sectors, years)

    def growth_array(self, provinces: Sequence[str] | None = None, sectors: Sequence[str] | None = None,
                     years: Sequence[int] | None = None, base: Any = None) -> np.ndarray:
        """Demand growth [yr-1] (P, S, T) of this scenario: see :func:`sim.data.growth.growth_array`."""
        return _growth_array(self, provinces, sectors, years, base)

