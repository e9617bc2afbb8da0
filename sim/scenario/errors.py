"""Errors of input files: the one-line :class:`ScenarioError`, the :class:`Checker` that
validates one file's values and builds those errors, and reading a TOML input file.

Every message names the file, the key path, the value and what is allowed, e.g.::

    anhui.toml: levers.eaf_share.2030 = 1.4 is outside [0, 1]
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping, Sequence

from sim.core import axes, sizes
from sim.core.files import MAX_FILE_BYTES, input_problem
from sim.core.messages import MAX_SHOWN, printable

NO_VALUE = object()


class ScenarioError(Exception):
    """Invalid scenario or catalogue. ``str(e)`` is the one-line message."""

    def __init__(self, file: str, key: str, value: Any = NO_VALUE, allowed: str | None = None,
                 problem: str = "invalid"):
        self.file, self.key, self.value, self.allowed, self.problem = file, key, value, allowed, problem
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.file}: {self.key}" if self.key else f"{self.file}"
        if self.value is not NO_VALUE:
            msg = f"{head} = {format_value(self.value)} {self.problem}"
        else:
            msg = f"{head}: {self.problem}"
        if self.allowed and self.allowed not in msg:
            msg += f" (allowed: {self.allowed})"
        return msg






def format_value(v: Any) -> str:
    """A value as it is shown in an error message (TOML-like, shortened, printable)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:g}" if abs(v) < 1e15 else repr(v)
    if isinstance(v, str):
        return f'"{printable(v)}"'
    if isinstance(v, (list, tuple)):
        text = "[" + ", ".join(format_value(x) for x in v[:5]) + (", ...]" if len(v) > 5 else "]")
        return printable(text, 2 * MAX_SHOWN)
    if isinstance(v, dict):
        return "{table}"
    return printable(v)


def format_number(x: float) -> str:
    """A number as shown in an error message (``inf`` for infinity)."""
    return format_value(float(x)) if isinstance(x, (int, float)) else str(x)


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


NAME = re.compile(r"[^\W_][\w.-]{0,99}")
"""A scenario's or sweep's name: it becomes ``outputs/<name>/<name>.nc`` (Unicode letters allowed)."""


NAME_ALLOWED = ("1-100 letters, digits, _, - and ., starting with a letter or digit "
                "(it names the output folder and file)")


def join_key(path: str, key: Any) -> str:
    """The dotted key ``path.key``, the key quoted unless it is bare."""
    k = str(key)
    if not _BARE.match(k):
        k = f'"{printable(k)}"'
    return f"{path}.{k}" if path else k


class Checker:
    """Validation helpers bound to one file."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, value: Any = NO_VALUE, allowed: str | None = None,
             problem: str = "invalid") -> ScenarioError:
        """An error at ``key`` of this file with the value, what is allowed and the problem."""
        return ScenarioError(self.file, key, value, allowed, problem)

    def unknown(self, path: str, name: str, choices: Sequence[str], what: str) -> ScenarioError:
        """An unknown table key ``name`` at ``path``, with the closest allowed one (did you mean)
        or the list of ``choices``."""
        key = join_key(path, name)
        match = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
        if match:
            return self.fail(key, problem=f"unknown {what}; did you mean '{match[0]}'?", allowed=match[0])
        return self.fail(key, problem=f"unknown {what}", allowed=", ".join(choices) or "none")

    def keys(self, table: Mapping, allowed: Sequence[str], path: str, what: str = "key") -> None:
        """Fail on the first key of ``table`` that is not in ``allowed``."""
        for k in table:
            if k not in allowed:
                raise self.unknown(path, k, allowed, what)

    def table(self, value: Any, path: str) -> dict:
        """``value`` if it is a table, else fail."""
        if not isinstance(value, dict):
            raise self.fail(path, value, "a table", "must be a table")
        return value

    def string(self, value: Any, path: str, choices: Sequence[str] | None = None) -> str:
        """``value`` if it is a string (one of ``choices`` if given), else fail."""
        if not isinstance(value, str):
            raise self.fail(path, value, "a string", "must be a string")
        if choices is not None and value not in choices:
            match = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
            hint = f"; did you mean '{match[0]}'?" if match else ""
            raise self.fail(path, value, ", ".join(choices), f"is not one of {', '.join(choices)}{hint}")
        return value

    def name(self, value: Any, path: str) -> str:
        """A name used as a file and folder name (``outputs/<name>/<name>.nc``): letters, digits,
        ``_``, ``-`` and ``.``, starting with a letter or digit, so it never names another folder,
        a hidden file or nothing."""
        text = self.string(value, path)
        if not NAME.fullmatch(text):
            raise self.fail(path, value, NAME_ALLOWED, "cannot be used as a file name")
        return text

    def members(self, value: Any, path: str, n_provinces: int, n_years: int) -> int:
        """A member count that fits in memory at its default detail (:mod:`sim.core.sizes`)."""
        members = self.integer(value, path, 1, sizes.MAX_MEMBERS)
        problem = sizes.members_problem(members, n_provinces, n_years, sizes.default_detail(members))
        if problem:
            raise self.fail(path, value, problem=problem)
        return members

    def boolean(self, value: Any, path: str) -> bool:
        """``value`` if it is a boolean, else fail."""
        if not isinstance(value, bool):
            raise self.fail(path, value, "true or false", "must be true or false")
        return value

    def integer(self, value: Any, path: str, low: int | None = None, high: int | None = None) -> int:
        """``value`` if it is an integer in [``low``, ``high``], else fail."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, value, "an integer", "must be an integer")
        if (low is not None and value < low) or (high is not None and value > high):
            rng = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
            raise self.fail(path, value, rng, f"is outside {rng}")
        return value

    def number(self, value: Any, path: str, low: float = -math.inf, high: float = math.inf,
               low_open: bool = False) -> float:
        """``value`` as a float if it is a number in [``low``, ``high``] (``(low`` if
        ``low_open``), else fail; NaN and booleans are refused."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self.fail(path, value, "a number", "must be a number")
        x = float(value)
        rng = f"{'(' if low_open else '['}{format_number(low)}, {format_number(high)}]"
        if (x <= low if low_open else x < low) or x > high:
            raise self.fail(path, value, rng, f"is outside {rng}")
        return x

    def province(self, name: Any, path: str, simulated: Sequence[str] | None = None) -> str:
        """The pinyin name of table key ``name`` (pinyin, ISO code or Chinese, see
        :func:`sim.core.axes.resolve_province`), which must be simulated if ``simulated`` is given."""
        try:
            province = axes.resolve_province(name)
        except axes.UnknownProvince:
            raise self.unknown(path, name, axes.PROVINCES, "province") from None
        if simulated is not None and province not in simulated:
            raise self.fail(join_key(path, name), problem="province is not simulated in this scenario",
                            allowed=", ".join(simulated))
        return province

    def provinces_table(self, table: Any, path: str,
                        simulated: Sequence[str] | None = None) -> list[tuple[str, str, Any]]:
        """(key, pinyin name, value) of a table keyed by province; one key per province."""
        out, seen = [], {}
        for key, value in self.table(table, path).items():
            province = self.province(key, path, simulated)
            if province in seen:
                raise self.fail(join_key(path, key), problem=f"names {province} again (also as "
                                f"{seen[province]})", allowed="one key per province")
            seen[province] = key
            out.append((key, province, value))
        return out

    def sector(self, name: Any, path: str, allowed: Sequence[str] = axes.SECTORS,
               what: str = "sector") -> str:
        """Sector key ``name`` if it is a sector and in ``allowed``, else fail."""
        if name not in axes.SECTORS:
            raise self.unknown(path, name, axes.SECTORS, "sector")
        if name not in allowed:
            raise self.fail(join_key(path, name), problem=f"{what} does not apply to this sector",
                            allowed=", ".join(allowed))
        return name

    def unknown_value(self, key: str, value: Any, choices: Sequence[str], what: str) -> ScenarioError:
        """An unknown value (not a table key) with the closest allowed one, if any."""
        match = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
        hint = f"; did you mean '{match[0]}'?" if match else ""
        return self.fail(key, value, match[0] if match else ", ".join(choices),
                         f"is an unknown {what}{hint}")

    def known_province(self, path: str, p: Any) -> str:
        """The pinyin name of province value ``p`` (see :func:`sim.core.axes.resolve_province`);
        fails with a did-you-mean unless it is one of the 31 provinces."""
        try:
            return axes.resolve_province(p)
        except axes.UnknownProvince as e:
            hint = f"; did you mean '{e.suggestion}'?" if e.suggestion else ""
            raise self.fail(path, p, e.suggestion or ", ".join(axes.PROVINCES),
                            f"unknown province{hint}") from None


def read_toml(path: Path, display: str, chk: Checker) -> tuple[str, dict]:
    """The text and parsed document of a TOML input file, checked first: a regular readable
    file of at most MAX_FILE_BYTES, UTF-8, valid TOML."""
    problem = input_problem(path)
    if problem == "no such file":
        raise chk.fail("", problem=f"no such file ({path.resolve()})")
    if problem:
        raise chk.fail("", problem=problem)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise chk.fail("", problem=f"is {size:,} bytes (allowed: at most {MAX_FILE_BYTES:,} for a "
                       "TOML input file)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise chk.fail("", problem=f"not UTF-8 text ({e})") from None
    except OSError as e:
        raise chk.fail("", problem=f"cannot be read ({e.strerror or e})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise chk.fail("", problem=f"malformed TOML: {e}") from None
    except RecursionError:
        raise chk.fail("", problem="malformed TOML: arrays or tables nested too deeply") from None

