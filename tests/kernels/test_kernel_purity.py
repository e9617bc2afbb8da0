"""The kernel package stays free of the application: only numpy, numba and the standard-library
modules it needs (math, __future__, dataclasses, typing), plus kernels.* itself.

Every ``import`` / ``from ... import`` anywhere in every .py file under ``kernels/`` (also inside
functions or ``try`` blocks) is checked with ``ast``; relative imports stay inside the package and
are allowed. Calls to ``__import__`` or ``importlib`` are forbidden as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KERNELS = Path(__file__).resolve().parents[2] / "kernels"
ALLOWED = {"numpy", "numba", "math", "__future__", "dataclasses", "typing", "kernels"}


def forbidden_imports(source: str, filename: str = "<string>") -> list[str]:
    """The offending imports of a module's source, as 'line: module' strings."""
    bad = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:  # relative import: stays inside kernels/
                continue
            names = [node.module or ""]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__"):
            names = ["__import__()"]
        else:
            continue
        for name in names:
            if name.split(".")[0] not in ALLOWED:
                bad.append(f"{node.lineno}: {name}")
    return bad


FILES = sorted(KERNELS.rglob("*.py"))


def test_kernel_files_exist():
    names = {p.name for p in FILES}
    assert {"__init__.py", "arrays.py", "stock_flow.py"} <= names, names


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(KERNELS)) for p in FILES])
def test_kernel_module_imports_only_numeric_stack(path):
    bad = forbidden_imports(path.read_text(encoding="utf-8"), str(path))
    assert not bad, f"{path.relative_to(KERNELS.parent)} imports outside the kernel's stack: {bad}"


@pytest.mark.parametrize("snippet", [
    "import xarray as xr",
    "import pandas",
    "from click import command",
    "from sim.core.levers import LEVERS",
    "import sim",
    "def f():\n    import scipy.optimize\n",
    "try:\n    import numpy\nexcept ImportError:\n    import os\n",
    "m = __import__('xarray')",
    "import importlib",
])
def test_checker_flags_forbidden_imports(snippet):
    assert forbidden_imports(snippet)


@pytest.mark.parametrize("snippet", [
    ("from __future__ import annotations\nimport math\nimport numpy as np\n"
    "from numba import njit, prange"),
    "from dataclasses import dataclass, fields\nfrom typing import NamedTuple",
    ("from kernels.arrays import KernelInputs\nfrom .arrays import KernelOutputs\n"
    "import numba.typed"),
])
def test_checker_accepts_allowed_imports(snippet):
    assert not forbidden_imports(snippet)
