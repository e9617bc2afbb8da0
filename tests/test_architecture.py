"""The shape of the code (issue #20, DESIGN §13): layers with one direction of imports, one call
site of the kernel, imports at module top except the heavy optional packages, no private names
used across modules.

The layer rule is an import-linter contract (``[tool.importlinter]`` in pyproject.toml); the
tests below run it on the tree as it is, and on a copy with a violation planted, which it must
catch.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sim.core.optional import LAZY_IMPORTS

REPO = Path(__file__).resolve().parent.parent
SIM = REPO / "sim"
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())", "--no-cache", "--config", "pyproject.toml"]


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def _modules():
    for path in sorted(SIM.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_the_import_contracts_hold():
    res = _lint(REPO)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for name in ("sim", "kernels", "calibration"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.csv"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize("module, text, broken", [
    ("sim/core/planted.py", "from sim.interfaces import cli\n", "sim is layered"),
    ("sim/data/planted.py", "from sim.results import netcdf\n", "sim is layered"),
    ("sim/analysis/planted.py", "import kernels.stock_flow\n", "kernels is called by the model layer only"),
    ("sim/results/planted.py", "from calibration import fit\n", "calibration is reached from the interfaces only"),
    ("kernels/planted.py", "import sim\n", "kernels imports nothing of the application"),
])
def test_a_planted_violation_breaks_its_contract(tmp_path, module, text, broken):
    root = _copy(tmp_path)
    (root / module).write_text(text)
    res = _lint(root)
    assert res.returncode != 0, res.stdout
    assert f"{broken}" in res.stdout and "BROKEN" in res.stdout, res.stdout
    assert module.replace("/", ".").removesuffix(".py") in res.stdout, res.stdout


def test_a_planted_cycle_breaks_the_acyclic_contract(tmp_path):
    root = _copy(tmp_path)
    (root / "sim/core/planted_a.py").write_text("from sim.core import planted_b\n")
    (root / "sim/core/planted_b.py").write_text("from sim.core import planted_a\n")
    res = _lint(root)
    assert res.returncode != 0
    assert "no import cycles" in res.stdout and "BROKEN" in res.stdout, res.stdout


def _function_imports(tree: ast.Module):
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    yield node, node.names[0].name
                elif isinstance(node, ast.ImportFrom):
                    yield node, "." * node.level + (node.module or "")


def test_imports_inside_functions_are_only_the_listed_heavy_packages():
    """sim.core.optional.LAZY_IMPORTS is the one list; everything else is imported at the top,
    so the import graph (and the contracts above) see every dependency."""
    found = [f"{path.relative_to(REPO)}:{node.lineno} imports {name}"
             for path, tree in _modules() for node, name in _function_imports(tree)
             if name.split(".")[0] not in LAZY_IMPORTS]
    assert not found, "\n".join(found)


def test_the_lazy_list_is_checked_by_the_scan():
    """The scan above finds a function-level import of our own module (it would fail)."""
    tree = ast.parse("def f():\n    from sim.core import axes\n")
    assert [name for _, name in _function_imports(tree)] == ["sim.core"]
    assert "sim" not in LAZY_IMPORTS


def _private_uses(tree: ast.Module) -> list[tuple[int, str]]:
    """Private names of another sim module used here: ``from sim.x import _y`` or ``m._y`` where
    ``m`` was imported as a sim module."""
    modules, out = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    out.append((node.lineno, f"{node.module}.{alias.name}"))
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sim"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            out.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return out


def test_no_private_name_is_used_across_modules():
    found = [f"{path.relative_to(REPO)}:{line} uses {name}" for path, tree in _modules()
             for line, name in _private_uses(tree)]
    assert not found, "\n".join(found)


def test_the_private_name_scan_finds_a_use():
    tree = ast.parse("from sim.analysis import report\nreport._fmt(1)\nfrom sim.core.axes import _x\n")
    assert sorted(n for _, n in _private_uses(tree)) == ["report._fmt", "sim.core.axes._x"]


def test_one_call_site_of_the_kernel():
    """Only sim.model.kernel imports kernels.stock_flow: every run, scenario or historical, goes
    through sim.model.kernel.simulate (calibration and the hindcast included)."""
    callers = []
    for path in sorted([*SIM.rglob("*.py"), *(REPO / "calibration").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.startswith("kernels.stock_flow") for n in names):
                callers.append(str(path.relative_to(REPO)))
    assert set(callers) == {"sim/model/kernel.py"}, callers


def test_every_package_of_sim_is_in_the_wheel():
    """pyproject.toml lists the packages explicitly (the scenarios are mapped in as package data):
    a new subpackage must be listed, or the installed wheel cannot import it."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in SIM.rglob("__init__.py")}
    assert found <= listed, found - listed
