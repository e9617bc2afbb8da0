"""Session fixtures: the expensive results that several test modules read, made once per run.

They are shared, so they are read-only: a test opens them for reading and writes only under its
own ``tmp_path`` (copy a file there to change it). ``tests.helpers.result_files.read_only`` makes
the files read-only on disk (which root ignores) and compares their SHA-256 digests at the end of
the session: a test that changed one fails the run, whoever runs it.

The ``slow`` tier (``-m "not slow"`` leaves it out) is declared in pyproject.toml and described in
tests/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from sim.data.base_state import BaseState, load_base_state
from tests.helpers.result_files import read_only, write_results, write_sweep


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
