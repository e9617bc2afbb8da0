"""The shipped scenarios, target catalogues and sweeps, and how a bare name finds them.

In the source tree they are the repository's ``scenarios/`` folder (DESIGN §2). A wheel carries the
same folder as package data, ``sim/_scenarios/`` (pyproject.toml maps it there), so that
``sim run anhui``, ``sim run anhui.toml`` and ``sim validate national`` work from any folder after
a plain ``pip install``. A bare name is looked up in ``./scenarios/`` first, so a user's own
scenario of the same name wins over the shipped one.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent.parent  # the sim package
_SOURCE_TREE = _HERE.parent / "scenarios"
_INSTALLED = _HERE / "_scenarios"

SHIPPED_DIR = _SOURCE_TREE if (_SOURCE_TREE / "anhui.toml").is_file() else _INSTALLED
"""The shipped scenarios: the source tree's scenarios/ folder, else the wheel's package data."""

SCENARIO_DIRS = (Path("scenarios"), SHIPPED_DIR)
"""Where a bare scenario name is looked up, in order: ./scenarios, then the shipped scenarios."""


class NotFound(LookupError):
    """No scenario or sweep file of that name; the message says where it was looked for."""


def _is_bare(name: str) -> bool:
    p = Path(name)
    return p.parent == Path(".") or not p.parent.parts


def resolve(name: str, sub: str = "") -> Path:
    """A path as given if it exists, else ``<dir>/<sub>/<name>[.toml]`` of the first dir of
    :data:`SCENARIO_DIRS` that has it (``sub = "sweeps"`` for sweep files)."""
    p = Path(name)
    if p.exists():
        return p
    dirs = [d / sub if sub else d for d in SCENARIO_DIRS]
    if _is_bare(name):
        for d in dirs:
            for candidate in (d / p.name, d / f"{p.name}.toml"):
                if candidate.is_file():
                    return candidate
    raise NotFound(f"{name}: no such {'sweep' if sub else 'scenario'} file (looked in the current "
                   f"folder and in {', '.join(str(d) for d in dirs)})")


def names(sub: str = "") -> list[str]:
    """The bare names (file stems) that :func:`resolve` finds, sorted: shell completion offers them."""
    found = set()
    for d in SCENARIO_DIRS:
        d = d / sub if sub else d
        if d.is_dir():
            found.update(p.stem for p in d.glob("*.toml"))
    return sorted(found)
