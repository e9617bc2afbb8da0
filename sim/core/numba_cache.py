r"""Where Numba keeps the compiled kernel (``@njit(cache=True)``) between runs.

Numba's default is a ``__pycache__`` folder next to ``kernels/stock_flow.py``. That is right in a
source checkout (editable install or ``PYTHONPATH``), but after a plain ``pip install`` it would
write into site-packages: files that pip did not install and will not remove, in a folder the
user may not be allowed to write (Numba then falls back to its own user-wide folder). So unless
``NUMBA_CACHE_DIR`` is set, an installed package caches in the user's cache folder instead:
``$XDG_CACHE_HOME/china-industry-sim/numba`` (default ``~/.cache/...``) on Linux,
``~/Library/Caches/china-industry-sim/numba`` on macOS, ``%LOCALAPPDATA%\china-industry-sim\numba``
on Windows. Numba keys the files by the source path inside that folder, so several installations
share it safely. The choice must be made before the kernel module is imported (Numba picks its
cache locator when the function is decorated); :mod:`sim` calls :func:`configure` on import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parents[2] / "kernels"
APP = "china-industry-sim"


def user_cache_dir() -> Path:
    """The platform's per-user cache folder for this application's Numba cache [path]."""
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / APP / "numba"


def in_source_tree(kernels_dir: Path = KERNELS_DIR) -> bool:
    """True when the kernel is a writable source checkout (pyproject.toml beside kernels/)."""
    return (kernels_dir.parent / "pyproject.toml").is_file() and os.access(kernels_dir, os.W_OK)


def choose(environ=os.environ, kernels_dir: Path = KERNELS_DIR) -> str | None:
    """The NUMBA_CACHE_DIR to set, or None to keep the user's setting or Numba's default."""
    if environ.get("NUMBA_CACHE_DIR") or in_source_tree(kernels_dir):
        return None
    return str(user_cache_dir())


def configure() -> None:
    """Set NUMBA_CACHE_DIR (inherited by Dask worker processes) if :func:`choose` says so."""
    path = choose()
    if path is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = path
    numba = sys.modules.get("numba")  # already imported: its config was read at import
    if numba is not None:
        numba.config.CACHE_DIR = path
