"""Labels people read, in English and Chinese, from one data file (``labels.toml`` beside this
module): sectors, carriers, routes, regions, levers, units, target conditions, LMDI wedges and the
web page's views and words. The report, the figures and the web page take their words from here.

A name without a label is shown as it is, in both languages: a new sector, carrier or lever works
before anyone writes its label (``tests/core/test_labels.py`` then asks for one).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sim.core import axes
from sim.core.levers import LEVERS

FILE = Path(__file__).resolve().with_name("labels.toml")
LANGUAGES = ("en", "zh")

with FILE.open("rb") as _f:
    LABELS: dict[str, dict[str, dict[str, str]]] = tomllib.load(_f)
"""kind -> name -> {language: label}, as written in ``labels.toml``."""

NAMES: dict[str, tuple[str, ...]] = {
    "sector": axes.SECTORS,
    "carrier": axes.CARRIERS,
    "route": tuple(dict.fromkeys(r for names in axes.ROUTE_NAMES.values() for r in names)),
    "lever": tuple(LEVERS),
    "region": axes.PROVINCES + ("national",),
}
"""The names of each kind whose registry lives elsewhere (every one gets a label in
:func:`table`, its own name where the file has none)."""


def label(kind: str, name, lang: str = "en") -> str:
    """The ``lang`` label of ``name`` of ``kind`` ("sector", "carrier", ...): the file's, a
    province's Chinese name from ``sim.core.axes``, else ``name`` itself."""
    name = str(name)
    entry = LABELS.get(kind, {}).get(name)
    if entry:
        return entry.get(lang) or entry["en"]
    if kind == "region" and name in axes.PROVINCE_ZH:
        return axes.PROVINCE_ZH[name] if lang == "zh" else name
    return name


def text(kind: str, name: str, lang: str = "en", **values) -> str:
    """A label with its ``{placeholders}`` filled (``text("condition", "peak_by", year=2030)``)."""
    return label(kind, name, lang).format(**values)


def table(kind: str) -> dict[str, dict[str, str]]:
    """Name -> {language: label} of every name of ``kind``: the registry's names
    (:data:`NAMES`) and the file's, each in every language of :data:`LANGUAGES`."""
    names = dict.fromkeys(NAMES.get(kind, ()) + tuple(LABELS.get(kind, {})))
    return {n: {lang: label(kind, n, lang) for lang in LANGUAGES} for n in names}
