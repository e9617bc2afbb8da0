"""MkDocs hook: the parts of the guide that the code already declares, generated at build time.

A page asks for one with a line ``<!-- generated: NAME [ARGUMENT] -->``; NAME is one of
:data:`GENERATORS`. The tables come from the registries themselves (levers, uncertain parameters,
indicators, target conditions, result variables), the command help from click, and the API pages
from the package tree, so the guide cannot drift from the code. An unknown name stops the build.
"""

from __future__ import annotations

import pkgutil
import re
from importlib import import_module

MARKER = re.compile(r"^<!-- generated: (\S+)(?: (\S+))? -->$", re.MULTILINE)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _number(x: float) -> str:
    return "inf" if x == float("inf") else "-inf" if x == float("-inf") else f"{x:g}"


def levers(_arg=None) -> str:
    """The lever registry (``sim.core.levers.LEVERS``)."""
    from sim.core.axes import SECTORS
    from sim.core.levers import LEVERS

    def sectors(lv) -> str:
        return "all" if set(lv.sectors) == set(SECTORS) else ", ".join(lv.sectors)

    return _table(("lever", "unit", "default", "range", "sectors", "what it does"),
                  ((f"`{lv.name}`", f"`{lv.unit}`", _number(lv.default), lv.range_text,
                    sectors(lv), lv.description) for lv in LEVERS.values()))


def parameters(_arg=None) -> str:
    """The uncertain-parameter catalogue (``sim.scenario.uncertainty.PARAMETERS``)."""
    from sim.scenario.uncertainty import PARAMETERS

    return _table(("parameter", "unit", "nominal", "range", "how the model applies it"),
                  ((f"`{p.name}`", f"`{p.unit}`", _number(p.nominal), p.range_text, p.applies)
                   for p in PARAMETERS.values()))


def indicators(_arg=None) -> str:
    """The indicator registry (``sim.core.indicators_registry.INDICATORS``)."""
    from sim.core.indicators_registry import INDICATORS

    return _table(("indicator", "units", "status", "CO2 accounting", "what it is"),
                  ((f"`{n}`", f"`{i.units}`", i.status, "required" if i.takes_accounting else "–",
                    i.long_name) for n, i in INDICATORS.items()))


def conditions(_arg=None) -> str:
    """The target-condition registry (``sim.core.targets.CONDITIONS``)."""
    from sim.core.targets import CONDITIONS

    return _table(("condition", "compared quantity [units]", "value", "base_year", "tolerance"),
                  ((f"`{c.name}`", c.units or "the indicator's", c.value,
                    "required" if c.base_year else "–", "required" if c.tolerance else "optional")
                   for c in CONDITIONS.values()))


def variables(_arg=None) -> str:
    """The result-variable registry (``sim.core.variables.VARIABLES``)."""
    from sim.core.variables import VARIABLES

    return _table(("variable", "dimensions", "units", "long name"),
                  ((f"`{n}`", ", ".join(v.dims), f"`{v.units}`", v.long_name)
                   for n, v in VARIABLES.items()))


def command_help(command: str) -> str:
    """``sim COMMAND --help``, as click prints it."""
    import click

    from sim.interfaces.cli import main

    cmd = main.get_command(click.Context(main), command)
    if cmd is None:
        raise ValueError(f"no command sim {command}")
    parent = click.Context(main, info_name="sim")
    with click.Context(cmd, info_name=command, parent=parent, terminal_width=100,
                       max_content_width=100, help_option_names=["-h", "--help"]) as ctx:
        text = cmd.get_help(ctx)
    return "```text\n" + text + "\n```"


def api(package: str) -> str:
    """The mkdocstrings blocks of ``package`` and of every module below it, in name order."""
    pkg = import_module(package)
    names = [package]
    if hasattr(pkg, "__path__"):
        names += sorted(m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")
                        if not m.name.rsplit(".", 1)[-1].startswith("_"))
    return "\n\n".join(f"::: {n}" for n in names)


GENERATORS = dict(levers=levers, parameters=parameters, indicators=indicators,
                  conditions=conditions, variables=variables, help=command_help, api=api)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace every generated-content marker of a page by its content."""
    def expand(m: re.Match) -> str:
        if m.group(1) not in GENERATORS:
            raise ValueError(f"{page.file.src_path}: unknown generated content {m.group(1)!r} "
                             f"(known: {', '.join(GENERATORS)})")
        return GENERATORS[m.group(1)](m.group(2))

    return MARKER.sub(expand, markdown)
