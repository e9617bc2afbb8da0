"""Property: `sim validate` on hostile scenario TOML (random keys, types, nesting, Unicode, huge
numbers, paths, raw text) either accepts it or exits 2 with one line; never a traceback, never a
hang (a timeout per example), never a write (issue #13)."""

from __future__ import annotations

import signal
import tomllib
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.interfaces.cli import main

REPO = Path(__file__).resolve().parents[2]
BASE = tomllib.loads((REPO / "scenarios" / "anhui.toml").read_text(encoding="utf-8"))
SECONDS = 20
"""Per example: a validation takes well under a second; more is a hang."""

KEYS = st.one_of(
    st.sampled_from(["scenario", "name", "members", "seed", "provinces", "targets", "target_ids",
                     "levers", "eaf_share", "phase_out", "sector", "province", "iron_steel",
                     "Anhui", "2030", "2019", "1999", "interpolation", "growth", "uncertainty",
                     "dist", "low", "high", "mode", "settings", "end_year", "start_year"]),
    st.text(min_size=0, max_size=12))
SCALARS = st.one_of(
    st.integers(), st.integers(min_value=-2**63, max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=30),
    st.sampled_from(["", "..", "../../etc/passwd", "/dev/zero", "/dev/stdin", ".", "targets",
                     "targets/anhui.toml", "all", "Anhui", "安徽", "CN-AH", "calibrated", "step",
                     "x" * 300, "a\nb", "\x00"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)


def _set(doc: dict, path: list[str], value) -> dict:
    """``doc`` with ``value`` at ``path`` (tables created or replaced on the way)."""
    table = doc
    for key in path[:-1]:
        if not isinstance(table.get(key), dict):
            table[key] = {}
        table = table[key]
    table[path[-1]] = value
    return doc


@st.composite
def documents(draw) -> str:
    """The Anhui scenario with up to three values set or replaced anywhere, as TOML text; or
    random text (mostly not TOML)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    doc = tomllib.loads(tomli_w.dumps(BASE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.lists(KEYS, min_size=1, max_size=5))
        if draw(st.booleans()):
            path = [draw(st.sampled_from(list(doc)))] + path
        doc = _set(doc, path, draw(VALUES))
    try:
        return tomli_w.dumps(doc)
    except (TypeError, ValueError):  # a value TOML cannot hold (NUL in a key, ...)
        return draw(st.text(max_size=200))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A scenario folder beside the shipped catalogues, reused by every example."""
    path = tmp_path_factory.mktemp("fuzz")
    (path / "targets").symlink_to(REPO / "scenarios" / "targets")
    return path


def _listing(folder: Path) -> set[tuple[str, int]]:
    return {(str(p.relative_to(folder)), p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def _expired(signum, frame):
    raise TimeoutError(f"sim validate did not answer within {SECONDS} s")


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=documents())
def test_validate_accepts_or_refuses_in_one_line_and_never_writes(folder, text, monkeypatch):
    monkeypatch.chdir(folder)
    path = folder / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = _listing(folder)
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(SECONDS)
    try:
        res = CliRunner().invoke(main, ["validate", str(path)])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"{type(res.exception).__name__}: {res.exception}\n{text[:500]}")
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    if res.exit_code == 0:
        assert len(lines) == 1 and ": valid (" in lines[0], res.output
    else:
        assert res.exit_code == 2, res.output
        assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    assert _listing(folder) == before  # nothing written, nothing touched
