"""The user guide (docs/, mkdocs.yml): it builds with every warning an error, and the "extending"
page names files that exist and ``sim`` objects that import.

The build (slow tier: about 10 s, it imports every module for the API reference) catches broken
links and anchors, pages missing from the navigation, a docstring cross-reference that resolves to
nothing and a generated table whose registry is gone. The checks of docs/extending.md read the page
only; they run in the daily tier, so a file moved or renamed without its instructions fails at once.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXTENDING = REPO / "docs" / "extending.md"

CODE_SPAN = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+/?")
DOTTED = re.compile(r"(?<![\w./-])sim(?:\.\w+)+")  # not the end of a file name (x-sim.yaml)


def named_paths(text: str) -> list[str]:
    """Repository paths named in code spans: words with a slash, no spaces or placeholders."""
    return sorted({s for s in CODE_SPAN.findall(text) if PATH.fullmatch(s)})


def dotted_names(text: str) -> list[str]:
    """Every ``sim.x.y`` name of the text, in code spans or not (a trailing full stop dropped)."""
    return sorted({m.rstrip(".") for m in DOTTED.findall(text)})


def missing_paths(text: str, root: Path = REPO) -> list[str]:
    return [p for p in named_paths(text) if not (root / p).exists()]


def unimportable(text: str) -> list[str]:
    """Dotted names whose longest importable module prefix lacks the remaining attributes."""
    bad = []
    for name in dotted_names(text):
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                bad.append(name)
            break
        else:
            bad.append(name)
    return bad


def test_every_path_on_the_extending_page_exists():
    text = EXTENDING.read_text(encoding="utf-8")
    paths = named_paths(text)
    # the page names the registries, the kernel, the calibration and the tests: a check that
    # found nothing would pass whatever the page said
    for expected in ("sim/core/levers.py", "sim/core/targets.py", "sim/core/indicators_registry.py",
                     "sim/core/axes.py", "kernels/arrays.py", "tests/core/test_registries.py",
                     "calibration/assumptions.toml"):
        assert expected in paths
    assert missing_paths(text) == []


def test_every_sim_name_on_the_extending_page_imports():
    text = EXTENDING.read_text(encoding="utf-8")
    names = dotted_names(text)
    assert "sim.core.levers.KERNEL_LEVER_ARRAYS" in names and len(names) >= 10
    assert unimportable(text) == []


def test_the_checks_catch_a_wrong_path_and_a_wrong_name():
    text = ("Touch `sim/core/levers.py`, `sim/core/no_such_module.py` and `outputs/<name>/x.nc`; "
            "see `sim.core.levers.LEVERS`, sim.core.levers.NO_SUCH_NAME and `sim.no_such_layer.x`, "
            "not `definitions/variable/china-industry-sim.yaml`.")
    assert missing_paths(text) == ["sim/core/no_such_module.py"]
    assert unimportable(text) == ["sim.core.levers.NO_SUCH_NAME", "sim.no_such_layer.x"]


@pytest.mark.slow
def test_the_guide_builds_with_warnings_as_errors(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (the `test` extra installs it)")
    pytest.importorskip("mkdocstrings_handlers.python",
                        reason="mkdocstrings[python] is not installed (the `test` extra installs it)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site),
                        "--config-file", str(REPO / "mkdocs.yml")],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    # the generated parts are there: a lever of the registry, a command's options, an API entry
    assert "capacity_replacement_ratio" in (site / "scenarios" / "index.html").read_text()
    assert "--chunk-size" in (site / "commands" / "index.html").read_text()
    assert 'id="sim.results.run.run_scenario"' in (site / "api" / "results" / "index.html").read_text()
