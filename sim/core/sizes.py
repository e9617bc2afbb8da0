"""How large a run may be: memory of an ensemble by member count, chunk and output detail, and the
bounds that scenario validation and the command line derive from it (issue #13 §6).

A run holds, for the whole run, the Latin-hypercube design and the parameter draws of every
member, and at ``province`` and ``summary`` detail the per-member values of one quantile block
(one province's sector x year values, or a region x year variable) while its quantiles are taken;
besides that, two chunks of kernel state. Measured on Anhui (1 province, 17 years, summary
detail, 300 000 members): 1.72 GB peak resident memory, about 4.6 KB per member above the start-up
memory; the estimate below gives 4.9 KB.

Bounds are set so that the estimate fits in the machine's physical memory: a member count or chunk
that cannot be allocated is refused before any work with the limit and the reason, instead of a
MemoryError after minutes. A seed is a 64-bit integer in the result file.
"""

from __future__ import annotations

import os
import resource

from sim.core import axes

DETAILS = ("full", "province", "summary")
"""Output details of an ensemble file (module docstring), for ``sim run`` and sweep cases."""


FULL_DETAIL_MAX_MEMBERS = 1000
"""Default detail: ``full`` up to this many members (a national full-detail member is ~0.4 MB in
the file and ~2.4 MB in memory while its chunk is processed), ``province`` above."""


def default_detail(members: int) -> str:
    """The output detail a run of ``members`` members gets unless it asks for one."""
    return "full" if members <= FULL_DETAIL_MAX_MEMBERS else "province"


MAX_SEED = 2**63 - 1
"""Largest seed: stored as a signed 64-bit integer attribute of the result file."""
SAMPLING_BYTES = 600
"""[bytes per member] Design, parameter draws and bookkeeping held for the whole run."""
QUANTILE_BYTES = 28
"""[bytes per member and value] A quantile block read from the scratch file (float32), its sorted
copy and the next block in flight (two blocks, with NumPy's temporaries)."""
SECTORS = len(axes.SECTORS)
KERNEL_BYTES = 80_000
"""[bytes per member and province] Kernel state of a chunk at full detail (a national
full-detail member is ~2.4 MB in memory while its chunk is processed); two chunks in flight."""
CHUNK_SIZE = 128
"""Members a run simulates and writes per step by default (``sim run --chunk-size``, ``sim
abatement``, ``sim.model.run.run``; the sensitivity command keeps 256: docs/performance.md). Measured
(#25, national, province detail, peak resident memory at 2000 / 6000 members): 256 members 1.35
/ 1.61 GB, 128 members 0.99 / 1.21 GB, 64 members 0.83 / 0.87 GB, for the same CPU time at 256
and 128 and ~8 % more at 64 (docs/performance.md)."""
MAX_MEMBERS = 2**40
"""Members beyond any machine (the bound when the physical memory is unknown)."""


MAX_CASES = 100_000
"""Most lever sets of one sweep (DESIGN §8 plans 10²–10⁴): validating a case takes about 4 ms
(measured 2026-12-07) and running one at least 0.1 s, so 10⁵ cases are minutes to validate and
hours to run; a larger sweep is refused before its cases are built, with the count."""

HINDCAST_BYTES = 400_000
"""[bytes per member] The 2015 -> 2019 hindcast ensemble: the kernel outputs of a historical run of
31 provinces over 5 years and the final energy by carrier kept for the coverage (measured: about
0.3 MB per member)."""

_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def physical_memory() -> int | None:
    """[bytes] This machine's physical memory, or None if the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _virtual_size() -> int:
    """[bytes] This process's current virtual memory size (0 where /proc does not say)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def available_memory() -> tuple[int | None, str]:
    """([bytes], what limits it) that a run of this process may still take: the least of the
    machine's physical memory, the memory limit of its control group (a container or batch job)
    and what the process's address-space limit (``ulimit -v``) leaves beyond what it already
    maps. (None, "") where none is known."""
    limits: list[tuple[int, str]] = []
    physical = physical_memory()
    if physical:
        limits.append((physical, "this machine has"))
    for path in _CGROUP_LIMITS:
        try:
            text = open(path, encoding="ascii").read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < (1 << 60):
            limits.append((int(text), "this process's control group allows"))
        break
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ValueError, OSError, AttributeError):
        soft = resource.RLIM_INFINITY
    if soft != resource.RLIM_INFINITY:
        limits.append((max(0, soft - _virtual_size()), "the process's address-space limit "
                       "(ulimit -v) leaves"))
    return min(limits) if limits else (None, "")


def bytes_per_member(n_provinces: int, n_years: int, detail: str) -> int:
    """[bytes] Memory a run holds per member for the whole run at ``detail``."""
    if detail == "full":
        return SAMPLING_BYTES
    block = SECTORS * n_years  # one province's per-sector values
    if detail == "summary":  # region x year variables are quantiles too
        block = max(block, (n_provinces + 1) * n_years)
    return SAMPLING_BYTES + QUANTILE_BYTES * block


def memory_estimate(members: int, n_provinces: int, n_years: int, detail: str,
                    chunk_size: int = CHUNK_SIZE) -> int:
    """[bytes] Estimated peak memory of a run (whole-run arrays plus two chunks)."""
    chunk = min(chunk_size, members)
    return (members * bytes_per_member(n_provinces, n_years, detail)
            + 2 * chunk * n_provinces * KERNEL_BYTES)


def max_members(n_provinces: int, n_years: int, detail: str, chunk_size: int = CHUNK_SIZE) -> int:
    """Most members whose :func:`memory_estimate` fits in the physical memory."""
    memory, _ = available_memory()
    if memory is None:
        return MAX_MEMBERS
    room = memory - 2 * chunk_size * n_provinces * KERNEL_BYTES
    return max(1, min(MAX_MEMBERS, room // bytes_per_member(n_provinces, n_years, detail)))


def _gb(n: float) -> str:
    return f"{n / 1e9:.3g} GB" if n < 1e11 else f"{n / 1e9:,.0f} GB"


def members_problem(members: int, n_provinces: int, n_years: int, detail: str,
                    chunk_size: int = CHUNK_SIZE) -> str | None:
    """Why ``members`` members cannot run at ``detail`` (the limit and the reason), or None."""
    limit = max_members(n_provinces, n_years, detail, min(chunk_size, members))
    if members <= limit:
        return None
    per = bytes_per_member(n_provinces, n_years, detail)
    return (f"is outside [1, {limit}]: at detail {detail} a member of {n_provinces} province(s) "
            f"holds about {per / 1e3:.3g} KB for the whole run, so {members} members need about "
            f"{_gb(members * per)} and {_memory_text()}")


def _memory_text() -> str:
    memory, what = available_memory()
    return f"{what} {_gb(memory or 0)}"


def chunk_problem(chunk_size: int, members: int, n_provinces: int) -> str | None:
    """Why a chunk of ``chunk_size`` members cannot be held in memory, or None."""
    memory, _ = available_memory()
    need = 2 * min(chunk_size, members) * n_provinces * KERNEL_BYTES
    if memory is None or need <= memory // 2:
        return None
    limit = max(1, memory // 2 // (2 * n_provinces * KERNEL_BYTES))
    return (f"is outside [1, {limit}]: two chunks of {n_provinces} province(s) are in memory at "
            f"about {KERNEL_BYTES / 1e3:.0f} KB per member and province, {_gb(need)} for this "
            f"chunk, and {_memory_text()}")


def cases_problem(cases: int) -> str | None:
    """Why a sweep of ``cases`` lever sets is refused (:data:`MAX_CASES`), or None."""
    if 1 <= cases <= MAX_CASES:
        return None
    return (f"is outside [1, {MAX_CASES:,}]: {cases:,} lever sets would take about "
            f"{cases * 0.004 / 3600:,.3g} h to validate and far longer to run (split the sweep)")


def hindcast_problem(members: int) -> str | None:
    """Why a hindcast ensemble of ``members`` cannot be held in memory, or None."""
    memory, _ = available_memory()
    if memory is None or members * HINDCAST_BYTES <= memory // 2:
        return None
    limit = max(0, memory // 2 // HINDCAST_BYTES)
    return (f"is outside [0, {limit}]: a hindcast member holds about {HINDCAST_BYTES / 1e3:.0f} KB, "
            f"so {members} members need about {_gb(members * HINDCAST_BYTES)} and "
            f"{_memory_text()}")
