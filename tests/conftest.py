"""Session fixtures: the expensive results that several test modules read, made once per run.

They are shared, so they are read-only: a test opens them for reading and writes only under its
own ``tmp_path`` (copy a file there to change it). The files are made read-only on disk (which
root ignores), and their SHA-256 digests are compared at the end of the session: a test that
changed one fails the run, whoever runs it.

The ``slow`` tier (``-m "not slow"`` leaves it out) is declared in pyproject.toml and described in
tests/README.md.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pytest

from sim.data.base_state import BaseState, load_base_state
from tests.helpers.result_files import write_results, write_sweep


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_only(request, files: Mapping) -> Mapping:
    """``files`` (name -> path, or name -> list of paths) as a read-only mapping; the files are
    made read-only and must be unchanged at the end of the session."""
    paths = [p for v in files.values() for p in (v if isinstance(v, list) else [v])]
    digests = {p: _digest(p) for p in paths}
    for p in paths:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))

    def unchanged():
        changed = [str(p) for p, d in digests.items() if not p.is_file() or _digest(p) != d]
        assert not changed, f"a test changed the shared result files {changed}; copy them first"

    request.addfinalizer(unchanged)
    return MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in files.items()})


@pytest.fixture(scope="session")
def anhui_results(request, tmp_path_factory) -> Mapping[str, Path]:
    """{detail: path} of ``scenarios/anhui.toml`` with 24 members and seed 11 at the three output
    details (full, province, summary), chunks of 5 members, as `sim run anhui` writes them."""
    return read_only(request, write_results(tmp_path_factory.mktemp("anhui"), "anhui",
                                            members=24, seed=11))


@pytest.fixture(scope="session")
def national_results(request, tmp_path_factory) -> Mapping[str, Path]:
    """{detail: path} of ``scenarios/national.toml`` (31 provinces) with 7 members and seed 3 at
    the three output details."""
    return read_only(request, write_results(tmp_path_factory.mktemp("national"), "national",
                                            members=7, seed=3))


@pytest.fixture(scope="session")
def sweep_results(request, tmp_path_factory) -> Mapping[str, Path | tuple[Path, ...]]:
    """A 2 x 3 grid sweep of Anhui (``tests.helpers.result_files.SWEEP``, 8 members, summary
    detail), run case by case without Dask: ``toml`` (the sweep file), ``combined`` (the file
    `sim sweep` writes) and ``parts`` (one file per case)."""
    return read_only(request, write_sweep(tmp_path_factory.mktemp("sweep")))


@pytest.fixture(scope="session")
def base_state() -> BaseState:
    """The default base state (2019, fitted parameters), as `sim run` uses it. Shared: do not
    change its arrays; ``dataclasses.replace`` makes a changed copy."""
    return load_base_state()
