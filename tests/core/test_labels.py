"""The labels people read live in one data file (sim/core/labels.toml): every sector, carrier,
route, lever, view, unit and LMDI wedge has English and Chinese; nothing is labelled that does not
exist; the page's words are all there; a name without a label is shown as it is, so a new sector
needs no edit of the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.analysis import decomposition
from sim.core import axes, labels
from sim.core.levers import LEVERS
from sim.core.targets import CONDITIONS
from sim.core.variables import VARIABLES

STATIC = Path(labels.__file__).resolve().parents[1] / "interfaces" / "web" / "static"
_CJK = re.compile(r"[\u3400-\u9fff]")


def _both(entry: dict, where: str) -> None:
    assert set(entry) == set(labels.LANGUAGES), where
    assert entry["en"].strip() and entry["zh"].strip(), where
    assert not _CJK.search(entry["en"]), where


@pytest.mark.parametrize("kind", ["sector", "carrier", "route", "lever"])
def test_every_name_of_the_registries_has_both_languages_and_no_label_names_nothing(kind):
    written = labels.LABELS[kind]
    assert set(written) == set(labels.NAMES[kind])
    for name in labels.NAMES[kind]:
        _both(written[name], f"{kind}.{name}")
        assert _CJK.search(written[name]["zh"]), f"{kind}.{name}: zh has no Chinese"


def test_the_registries_are_the_ones_of_the_model():
    assert labels.NAMES["sector"] == axes.SECTORS and labels.NAMES["carrier"] == axes.CARRIERS
    assert set(labels.NAMES["lever"]) == set(LEVERS)
    assert set(labels.NAMES["route"]) == {r for names in axes.ROUTE_NAMES.values() for r in names}


def test_units_of_levers_targets_and_variables_views_wedges_and_conditions_are_labelled():
    units = {lv.unit for lv in LEVERS.values()} | {c.units for c in CONDITIONS.values() if c.units}
    units |= {v.units for v in VARIABLES.values() if v.units in ("Mt yr-1", "PJ yr-1", "Mt")}
    for u in units:
        _both(labels.LABELS["unit"][u], f"unit {u}")
    assert set(labels.LABELS["wedge"]) == set(decomposition.LMDI_GROUPS)
    for kind in ("wedge", "view", "condition", "region", "page"):
        for name, entry in labels.LABELS[kind].items():
            _both(entry, f"{kind}.{name}")
    views = set(re.findall(r'data-view="(\w+)"', (STATIC / "index.html").read_text(encoding="utf-8")))
    assert views == set(labels.LABELS["view"])
    # every condition of the registry is worded (the level conditions share one template)
    worded = {c if c in labels.LABELS["condition"] else
              "change" if c.startswith("change") else "level" for c in CONDITIONS}
    assert worded == set(labels.LABELS["condition"])


def page_scripts() -> str:
    """The page's ES modules (static/js/*.js), one text."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((STATIC / "js").glob("*.js")))


def test_the_page_words_are_all_in_the_file_and_none_is_left_over():
    js = page_scripts()
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    used = (set(re.findall(r'\bt\("(\w+)"', js))
            | set(re.findall(r'data-i18n(?:-title)?="(\w+)"', html)))
    assert used == set(labels.LABELS["page"])


def test_the_page_names_no_sector_carrier_or_lever_itself():
    """The page takes every name from the server (a new sector needs no edit of the page)."""
    page = page_scripts() + (STATIC / "index.html").read_text(encoding="utf-8")
    page = re.sub(r'[xy]ref: "paper"', "", page)  # plotly's coordinates, not the paper sector
    for kind in ("sector", "carrier", "lever"):
        for name in labels.NAMES[kind]:
            assert not re.search(rf"\b{name}\b", page), f"{kind} {name} written in the page"


def test_a_name_without_a_label_is_shown_as_it_is():
    assert labels.label("sector", "cement_new", "zh") == "cement_new"
    assert labels.label("sector", "iron_steel", "zh") == "钢铁"
    assert labels.label("region", "Anhui", "zh") == "安徽" and labels.label("region", "Anhui") == "Anhui"
    assert labels.label("unit", "kg m-3") == "kg m-3"
    assert labels.text("condition", "peak_by", "zh", year=2028) == "达峰年份 ≤ 2028"
    table = labels.table("sector")
    assert list(table) == list(axes.SECTORS)
    assert all(set(v) == set(labels.LANGUAGES) for v in table.values())
