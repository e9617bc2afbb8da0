"""The files the figures are drawn from, shared by test_plots.py and test_plot_layout.py: Anhui at
the three details (tests/conftest.py), its no-policy baseline (full and summary) and a 2 x 3 sweep."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pytest

from sim.results import reading as results
from sim.scenario import read_document, scenario_from_document
from tests.helpers.result_files import REPO, read_only, write_scenario_results


def baseline_scenario():
    """Anhui without its levers: the no-policy counterpart, same growth, uncertainty and seed."""
    path = REPO / "scenarios" / "anhui.toml"
    text, doc = read_document(path)
    doc = copy.deepcopy(doc)
    doc.pop("levers")
    doc["scenario"]["name"] = "anhui_baseline"
    return scenario_from_document(doc, text, path)


@pytest.fixture(scope="session")
def files(request, tmp_path_factory, anhui_results, sweep_results) -> Mapping[str, Path]:
    """{"full", "province", "summary": Anhui (24 members, seed 11); "base_full", "base_summary":
    its baseline with the same members and seed; "sweep": the combined 2 x 3 sweep}."""
    base = write_scenario_results(tmp_path_factory.mktemp("baseline"), baseline_scenario(),
                                  members=24, seed=11, details=("full", "summary"))
    return MappingProxyType({**anhui_results, **read_only(request, {f"base_{d}": p for d, p
                                                                     in base.items()}),
                             "sweep": sweep_results["combined"]})


@pytest.fixture(scope="module")
def opened(files):
    handles = {k: results.open_results(v) for k, v in files.items()}
    yield handles
    for ds in handles.values():
        ds.close()
