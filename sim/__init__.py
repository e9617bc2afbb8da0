"""Regional industrial decarbonisation scenario simulator for Chinese provinces."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("china-industry-sim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0+unknown"

import importlib.util
from pathlib import Path

from sim.core import numba_cache as _numba_cache

_numba_cache.configure()  # before anything imports the kernel: see sim/core/numba_cache.py


def _check_siblings() -> None:
    """Stop at once if ``kernels`` or ``calibration`` would import another distribution's package.

    The three packages are installed under the generic top-level names of the repository layout
    (docs/architecture.md, "Installed layout"); a same-named package earlier on ``sys.path``
    would otherwise fail later in a confusing way. ``find_spec`` of a top-level name imports
    nothing.
    """
    here = Path(__file__).resolve().parent.parent
    for name in ("kernels", "calibration"):
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin).resolve().parent.parent if spec and spec.origin else None
        if origin != here:
            raise ImportError(
                f"sim needs its own '{name}' package from {here}, but '{name}' resolves to "
                f"{spec.origin if spec else 'nothing'}: another distribution or a local '{name}' "
                f"shadows it; install china-industry-sim in its own virtual environment")


_check_siblings()
