"""The kernel's arrays: one declaration of every field, their containers and the boundary check.

``kernels/SPEC.md`` is the contract; each field of :class:`KernelInputs` and :class:`KernelOutputs`
below declares, once, what SPEC's tables say about it: its group (SPEC's four tables: base state,
levers, uncertain inputs, outputs), its index letters, its unit and its valid range. Everything
else is derived from that declaration:

- the four named tuples the ``@njit`` kernel receives (:class:`BaseArrays`, :class:`LeverArrays`,
  :class:`UncertainArrays`, :class:`OutputArrays`), with their fields in declaration order;
- :meth:`KernelInputs.member_slice` (the fields of the uncertain group have the member axis);
- :meth:`KernelOutputs.allocate` (shapes from the index letters);
- :func:`check_inputs`, the validation run before every kernel call (Numba does not
  bounds-check: a lever with the wrong number of years, or ``util = 0``, would otherwise fail
  silently).

The application fills a :class:`KernelInputs` and gets a :class:`KernelOutputs` back. Nothing here
knows a province or sector name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np

N_CARRIERS = 7
"""Carrier positions of SPEC.md's index c: the one place they are declared. ``sim.core.axes.CARRIERS``
names them in this order (a test checks the two agree)."""
COAL, OIL, GAS, ELECTRICITY, HEAT, HYDROGEN, BIOMASS = range(N_CARRIERS)
FOSSIL = (COAL, OIL, GAS)

N_ROUTES = 3
"""SPEC's R: routes within a sector."""

FIXED_SIZES = {"R": N_ROUTES, "C": N_CARRIERS}
"""Index letters whose size SPEC fixes."""
MIN_SIZES = {"S": 1, "K": 1}
"""Index letters SPEC requires to be at least this large (the others may be 0)."""

LETTER_SOURCES = {"P": "cap0", "S": "cap0", "R": "cap0", "K": "cap0", "C": "int0", "N": "stock0",
                  "M": "growth", "T": "growth"}
"""The field each index letter's size is read from; every other field must agree with it."""

SHARE_SUM_TOLERANCE = 1e-9
"""|Σ_r base_share − 1| allowed by :func:`check_inputs`."""

# Valid ranges, as SPEC's "range" column writes them: rule -> (lowest, lowest allowed?,
# highest, highest allowed?). "finite" and every bounded range also exclude NaN and ±inf.
_RANGES = {
    "finite": (-np.inf, False, np.inf, False),
    ">= 0": (0.0, True, np.inf, False),
    "> 0": (0.0, False, np.inf, False),
    "[0, 1]": (0.0, True, 1.0, True),
    "(0, 1]": (0.0, False, 1.0, True),
    ">= 0, inf allowed": (0.0, True, np.inf, True),
}
# Rules that are not a plain range: checked by name in _check_values.
_OTHER_RULES = ("sums to 1 over r", "0 or 1", "index into s", "index into r")


def _declare(group: str, dims: str, unit: str, rule: str = "finite", kind: str = "float",
             at_most: str | None = None):
    """One field of SPEC's tables. ``dims``: SPEC's index letters in axis order ("" = scalar);
    ``rule``: the valid range; ``kind``: "float" (float64 array), "int" (int64 array) or
    "scalar" (a float); ``at_most``: another field of the same shape that bounds this one
    element-wise from above (SPEC's "≤ new_int0")."""
    assert rule in _RANGES or rule in _OTHER_RULES, rule
    return field(metadata={"group": group, "dims": dims, "unit": unit, "rule": rule,
                           "kind": kind, "at_most": at_most})


def _base(dims, unit, rule="finite", kind="float", at_most=None):
    return _declare("base", dims, unit, rule, kind, at_most)


def _lever(dims, unit, rule):
    return _declare("levers", dims, unit, rule)


def _uncertain(dims, unit, rule="finite"):
    return _declare("uncertain", dims, unit, rule)


def _output(dims, unit):
    return _declare("outputs", dims, unit, ">= 0")


@dataclass
class KernelInputs:
    """Inputs of the kernel (SPEC.md "Inputs"): base state, levers and uncertain inputs."""

    # ---- base state, shared by all members ----------------------------------------------------
    cap0: np.ndarray = _base("PSRK", "activity unit yr-1", ">= 0")
    util: np.ndarray = _base("PS", "1", "(0, 1]")
    base_share: np.ndarray = _base("PSR", "1", "sums to 1 over r")
    int0: np.ndarray = _base("PSRC", "PJ per activity unit", ">= 0")
    new_int0: np.ndarray = _base("PSRC", "PJ per activity unit", ">= 0")
    # the floor the best-available intensity approaches (SPEC step 5), 0 <= floor_int <= new_int0
    floor_int: np.ndarray = _base("PSRC", "PJ per activity unit", ">= 0", at_most="new_int0")
    va_per_unit: np.ndarray = _base("PS", "1e9 CNY per activity unit", ">= 0")
    ef: np.ndarray = _base("PSC", "Mt CO2 / PJ", ">= 0")
    process_ef: np.ndarray = _base("PSR", "Mt CO2 per activity unit", ">= 0")
    substitutable: np.ndarray = _base("SR", "0/1", "0 or 1", "int")
    heat_ef: float = _base("", "Mt CO2 / PJ", ">= 0", "scalar")
    h2_power: float = _base("", "PJ electricity / PJ hydrogen", ">= 0", "scalar")
    stock0: np.ndarray = _base("PNK", "Mt", ">= 0")
    metal_sector: np.ndarray = _base("N", "sector index", "index into s", "int")
    metal_route: np.ndarray = _base("N", "route index", "index into r", "int")
    scrap_per_unit: np.ndarray = _base("NR", "t scrap / t output", ">= 0")
    prompt_scrap: np.ndarray = _base("N", "1", ">= 0")
    inflow_ratio: np.ndarray = _base("N", "1", ">= 0")
    # the scale of the route choice's cost differences (SPEC step 4): reference LCOP
    cost_scale: np.ndarray = _base("PS", "CNY per activity unit", "> 0")
    # premium of a route a carbon price can bring in (SPEC step 4 entrants); inf: floors only
    entry_premium: np.ndarray = _base("PSR", "CNY per activity unit", ">= 0, inf allowed")
    # ---- levers, deterministic, shared by all members (T = years) -------------------------------
    share_floor: np.ndarray = _lever("PSRT", "1", "[0, 1]")
    phase_out: np.ndarray = _lever("PST", "yr-1", "[0, 1]")
    replacement_ratio: np.ndarray = _lever("PST", "1", ">= 0, inf allowed")  # inf = no cap
    retrofit: np.ndarray = _lever("PST", "yr-1", "[0, 1]")
    coal_to_gas: np.ndarray = _lever("PST", "1", "[0, 1]")
    hydrogen: np.ndarray = _lever("PST", "1", "[0, 1]")
    electrification: np.ndarray = _lever("PST", "1", "[0, 1]")
    green_power: np.ndarray = _lever("PST", "1", "[0, 1]")
    capture: np.ndarray = _lever("PSRT", "1", "[0, 1]")
    scrap_market: np.ndarray = _lever("T", "1", "[0, 1]")
    carbon_price: np.ndarray = _lever("PST", "CNY per t CO2", ">= 0")  # at the margin (step 4, 5)
    switch_price: np.ndarray = _lever("PST", "CNY per t CO2", ">= 0")  # as adopted (step 8)
    # ---- uncertain, one row per member (M) ------------------------------------------------------
    growth: np.ndarray = _uncertain("MPST", "yr-1")
    lifetime: np.ndarray = _uncertain("MS", "yr", "> 0")
    aeei: np.ndarray = _uncertain("MS", "yr-1", "[0, 1]")  # every carrier but electricity
    aeei_elec: np.ndarray = _uncertain("MS", "yr-1", "[0, 1]")  # the electricity carrier
    grid_ef: np.ndarray = _uncertain("MPT", "Mt CO2 / PJ", ">= 0")
    collection: np.ndarray = _uncertain("MNT", "1", "[0, 1]")
    stock_lifetime: np.ndarray = _uncertain("MN", "yr", "> 0")
    elec_ratio: np.ndarray = _uncertain("M", "PJ / PJ", ">= 0")
    discrepancy: np.ndarray = _uncertain("MPST", "1", "> 0")  # model discrepancy (SPEC step 8)
    cost_response: np.ndarray = _uncertain("M", "1", ">= 0")  # β of the route logit (step 4)
    retrofit_response: np.ndarray = _uncertain("M", "yr-1 per CNY t-1", ">= 0")  # step 5
    gas_response: np.ndarray = _uncertain("M", "1 per CNY t-1", ">= 0")  # step 8
    elec_response: np.ndarray = _uncertain("M", "1 per CNY t-1", ">= 0")  # step 8

    @property
    def shape(self) -> dict[str, int]:
        """Sizes of the index letters of SPEC.md (read from :data:`LETTER_SOURCES`)."""
        return {letter: size for letter, (size, _) in _letter_sizes(self).items()}

    def member_slice(self, start: int, stop: int) -> "KernelInputs":
        """The same inputs for members ``start:stop`` only (shared arrays are not copied)."""
        kw = {}
        for f in fields(self):
            v = getattr(self, f.name)
            kw[f.name] = v[start:stop] if f.metadata["group"] == "uncertain" else v
        return KernelInputs(**kw)


@dataclass
class KernelOutputs:
    """Outputs of the kernel (SPEC.md "Outputs"), pre-allocated float64, overwritten for every t."""

    demand: np.ndarray = _output("MPST", "activity yr-1")
    production: np.ndarray = _output("MPSRT", "activity yr-1")
    capacity: np.ndarray = _output("MPSRT", "activity yr-1")
    investment: np.ndarray = _output("MPSRT", "activity yr-1")
    retirement: np.ndarray = _output("MPSRT", "activity yr-1")
    final_energy: np.ndarray = _output("MPSCT", "PJ yr-1")
    value_added: np.ndarray = _output("MPST", "1e9 CNY yr-1")
    co2_direct: np.ndarray = _output("MPST", "Mt CO2 yr-1")
    co2_process: np.ndarray = _output("MPST", "Mt CO2 yr-1")
    co2_indirect: np.ndarray = _output("MPST", "Mt CO2 yr-1")
    co2_captured: np.ndarray = _output("MPST", "Mt CO2 yr-1")
    scrap_supply: np.ndarray = _output("MPNT", "Mt yr-1")
    scrap_use: np.ndarray = _output("MPNT", "Mt yr-1")
    inuse_stock: np.ndarray = _output("MPNT", "Mt")
    retrofit_saving: np.ndarray = _output("MPST", "PJ yr-1")  # step 5, at full capacity
    electrified: np.ndarray = _output("MPST", "PJ yr-1")  # step 8, electricity replacing fossil

    @classmethod
    def allocate(cls, M: int, P: int, S: int, R: int, C: int, N: int, T: int) -> "KernelOutputs":
        """Zero-filled outputs of the given sizes."""
        sizes = dict(M=M, P=P, S=S, R=R, C=C, N=N, T=T)
        return cls(**{f.name: np.zeros(tuple(sizes[d] for d in f.metadata["dims"]))
                      for f in fields(cls)})

    def as_dict(self) -> dict[str, np.ndarray]:
        """The outputs as a dict, field name -> array."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# ================================================================================================
# the four named tuples passed to the @njit kernel, derived from the declaration above
# ================================================================================================
def group_fields(group: str) -> tuple[str, ...]:
    """Names of the fields of one of SPEC's groups ("base", "levers", "uncertain", "outputs"),
    in declaration order: the order of the matching named tuple."""
    cls = KernelOutputs if group == "outputs" else KernelInputs
    names = tuple(f.name for f in fields(cls) if f.metadata["group"] == group)
    if not names:
        raise ValueError(f"no kernel field in group {group!r}")
    return names


def _named_tuple(name: str, group: str, doc: str):
    cls = NamedTuple(name, [(n, object) for n in group_fields(group)])
    cls.__doc__ = doc
    return cls


BaseArrays = _named_tuple("BaseArrays", "base", "SPEC's base state, as the kernel receives it.")
LeverArrays = _named_tuple("LeverArrays", "levers", "SPEC's levers, as the kernel receives them.")
UncertainArrays = _named_tuple("UncertainArrays", "uncertain",
                               "SPEC's uncertain inputs (one row per member).")
OutputArrays = _named_tuple("OutputArrays", "outputs", "SPEC's outputs, written by the kernel.")
_INPUT_TUPLES = {"base": BaseArrays, "levers": LeverArrays, "uncertain": UncertainArrays}


# ================================================================================================
# the boundary check
# ================================================================================================
def _fail(kind: str, name: str, expected: str, found: str):
    raise ValueError(f"{kind}.{name}: expected {expected}, found {found}")


# (name, metadata) of every field, looked up once: dataclasses.fields() is slow per call
_INPUT_META = tuple((f.name, f.metadata) for f in fields(KernelInputs))
_OUTPUT_META = tuple((f.name, f.metadata) for f in fields(KernelOutputs))
_DIMS = {name: meta["dims"] for name, meta in _INPUT_META}


def _letter_sizes(inp: KernelInputs) -> dict[str, tuple[int, str]]:
    """Size of every index letter and the field it was read from (:data:`LETTER_SOURCES`);
    checks each field's number of dimensions on the way."""
    for name, meta in _INPUT_META:
        dims = meta["dims"]
        shape = np.shape(getattr(inp, name))
        if len(shape) != len(dims):
            _fail("KernelInputs", name,
                  f"{len(dims)} dimension(s) ({','.join(dims) or 'a scalar'})", f"shape {shape}")
    return {letter: (np.shape(getattr(inp, name))[_DIMS[name].index(letter)], name)
            for letter, name in LETTER_SOURCES.items()}


def _check_shape(kind: str, name: str, dims: str, shape: tuple, sizes: dict) -> None:
    expected = tuple(sizes[d][0] for d in dims)
    if shape != expected:
        sources = ", ".join(sorted({f"{d} from {sizes[d][1]}" for d in dims}))
        _fail(kind, name, f"shape ({','.join(dims)}) = {expected} ({sources})", f"shape {shape}")


def _first_bad(a: np.ndarray, bad: np.ndarray) -> str:
    idx = np.unravel_index(int(np.argmax(bad)), a.shape)
    n_bad = int(np.count_nonzero(bad))
    return f"{a[idx].item()!r} at index {tuple(int(i) for i in idx)} ({n_bad} value(s) out of range)"


def _check_values(name: str, rule: str, a: np.ndarray, sizes: dict) -> None:
    """Raise if ``a`` breaks its SPEC range. Fast path: one or two whole-array reductions
    (NaN propagates through min/max and sum); only a failing array is scanned element-wise."""
    if a.size == 0:
        return
    what = f"values {rule}"
    if rule in _RANGES:
        lo, lo_ok, hi, hi_ok = _RANGES[rule]
        if rule == "finite":
            with np.errstate(over="ignore"):
                if np.isfinite(a.sum()):  # finite only if every term is (else overflow: scan)
                    return
        else:
            amin, amax = a.min(), a.max()
            if ((amin >= lo if lo_ok else amin > lo) and (amax <= hi if hi_ok else amax < hi)):
                return
        ok = (a >= lo if lo_ok else a > lo) & (a <= hi if hi_ok else a < hi)  # False at NaN
        if not ok.all():
            _fail("KernelInputs", name, what, _first_bad(a, ~ok))
    elif rule == "sums to 1 over r":
        ok = np.isfinite(a) & (a >= 0.0)
        if not ok.all():
            _fail("KernelInputs", name, "finite values >= 0", _first_bad(a, ~ok))
        dev = np.abs(a.sum(axis=-1) - 1.0)
        bad = dev > SHARE_SUM_TOLERANCE
        if bad.any():
            idx = np.unravel_index(int(np.argmax(bad)), bad.shape)
            _fail("KernelInputs", name, f"a sum over r of 1 (within {SHARE_SUM_TOLERANCE:g})",
                  f"sum {a[idx].sum()!r} at index {tuple(int(i) for i in idx)}")
    elif rule == "0 or 1":
        bad = (a != 0) & (a != 1)
        if bad.any():
            _fail("KernelInputs", name, "values 0 or 1", _first_bad(a, bad))
    else:  # "index into s" / "index into r"
        letter = rule[-1].upper()
        bad = (a < 0) | (a >= sizes[letter][0])
        if bad.any():
            _fail("KernelInputs", name,
                  f"indices in [0, {letter}) = [0, {sizes[letter][0]}) ({letter} from "
                  f"{sizes[letter][1]})", _first_bad(a, bad))


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (no copy). The kernel is compiled, and cached, once per type of
    its arguments, and Numba types a read-only array apart from a writeable one: every input the
    kernel receives is read-only, whatever the caller's array was, so that no caller's read-only
    array (the base state's, the history's) costs a second compilation (~15 s of CPU)."""
    view = a.view()
    view.flags.writeable = False
    return view


def _as_kernel_array(name: str, kind: str, value):
    """The field as the kernel takes it: a read-only float64 or int64 C-contiguous array
    (:func:`_read_only`), or a float."""
    if kind == "scalar":
        return float(np.asarray(value, dtype=np.float64))
    if kind == "float":
        return _read_only(np.ascontiguousarray(value, dtype=np.float64))
    a = np.asarray(value)
    if not (np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
        if not np.issubdtype(a.dtype, np.number):
            _fail("KernelInputs", name, "integers", f"dtype {a.dtype}")
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            _fail("KernelInputs", name, "integer values", _first_bad(a, bad))
    return _read_only(np.ascontiguousarray(a, dtype=np.int64))


def check_inputs(inp: KernelInputs) -> tuple[tuple, dict[str, int]]:
    """Check ``inp`` against SPEC.md and return what the kernel takes.

    Checks every field's shape against SPEC's index letters (each letter's size is read from one
    field, :data:`LETTER_SOURCES`), the sizes SPEC fixes (R = 3, C = 7, S ≥ 1, K ≥ 1), integer fields
    integral, and every value in its declared range: finite, ``util`` in (0, 1], ``base_share``
    summing to 1 over r, lifetimes > 0, shares and levers in [0, 1], ``replacement_ratio`` ≥ 0 or
    +inf, ``substitutable`` 0/1, ``metal_sector`` / ``metal_route`` in range, ``discrepancy``
    > 0 and finite, and ``floor_int`` ≤ ``new_int0`` element-wise (``at_most``).

    Returns ``((base, levers, uncertain), sizes)``: the three named tuples of read-only float64 /
    int64 C-contiguous arrays (views, not copies; and floats) and the sizes {letter: size}.
    Raises ValueError naming the field, what SPEC expects and what was found.
    """
    sizes = _letter_sizes(inp)
    for letter, size in FIXED_SIZES.items():
        if letter in sizes and sizes[letter][0] != size:
            _fail("KernelInputs", sizes[letter][1], f"{letter} = {size} (SPEC's index letters)",
                  f"{letter} = {sizes[letter][0]}")
    for letter, least in MIN_SIZES.items():
        if sizes[letter][0] < least:
            _fail("KernelInputs", sizes[letter][1], f"{letter} >= {least}",
                  f"{letter} = {sizes[letter][0]}")
    groups = {g: [] for g in _INPUT_TUPLES}
    checked = {}
    for name, meta in _INPUT_META:
        a = _as_kernel_array(name, meta["kind"], getattr(inp, name))
        _check_shape("KernelInputs", name, meta["dims"], np.shape(a), sizes)
        _check_values(name, meta["rule"], np.asarray(a), sizes)
        groups[meta["group"]].append(a)
        checked[name] = a
    for name, meta in _INPUT_META:
        if meta["at_most"] is not None:
            bound = meta["at_most"]
            a, hi = checked[name], checked[bound]
            bad = a > hi  # both already checked finite, same shape (same index letters)
            if bad.any():
                _fail("KernelInputs", name, f"values <= {bound} element-wise",
                      f"{_first_bad(a, bad)}; {bound} there is {hi[bad][0].item()!r}")
    tuples = tuple(cls(*groups[g]) for g, cls in _INPUT_TUPLES.items())
    return tuples, {letter: size for letter, (size, _) in sizes.items()}


def check_outputs(out: KernelOutputs, sizes: dict[str, int]) -> OutputArrays:
    """Check that every output is a C-contiguous float64 array of SPEC's shape for the input
    ``sizes``; return them as the kernel's :class:`OutputArrays`."""
    src = {letter: (size, "the inputs") for letter, size in sizes.items()}
    arrays = []
    for name, meta in _OUTPUT_META:
        a = getattr(out, name)
        if not isinstance(a, np.ndarray) or a.dtype != np.float64 or not a.flags.c_contiguous:
            _fail("KernelOutputs", name, "a C-contiguous float64 array",
                  f"{type(a).__name__} {getattr(a, 'dtype', '')}".strip())
        if not a.flags.writeable:
            _fail("KernelOutputs", name, "a writeable array", "a read-only one")
        _check_shape("KernelOutputs", name, meta["dims"], a.shape, src)
        arrays.append(a)
    return OutputArrays(*arrays)
