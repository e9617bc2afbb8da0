"""Names and order of every dimension, declared once.

Every array in the project is laid out in the order given here; the kernel sees only the
integer positions. Nothing else in the code base lists provinces, sectors, routes or carriers.
"""

from __future__ import annotations

import difflib
import re

BASE_YEAR = 2019
"""Last year of the CEADs provincial inventories; the calibrated base state describes it."""

END_YEAR = 2035
"""Default last simulated year (the policy horizon of seeds 000 and 003)."""

# --- province -------------------------------------------------------------------------------
# (pinyin name, ISO 3166-2:CN code, Chinese name). Order: alphabetical by pinyin, as in the
# CEADs workbooks, with Tibet (no CEADs inventory) in its alphabetical place.
_PROVINCE_TABLE: tuple[tuple[str, str, str], ...] = (
    ("Anhui", "CN-AH", "安徽"),
    ("Beijing", "CN-BJ", "北京"),
    ("Chongqing", "CN-CQ", "重庆"),
    ("Fujian", "CN-FJ", "福建"),
    ("Gansu", "CN-GS", "甘肃"),
    ("Guangdong", "CN-GD", "广东"),
    ("Guangxi", "CN-GX", "广西"),
    ("Guizhou", "CN-GZ", "贵州"),
    ("Hainan", "CN-HI", "海南"),
    ("Hebei", "CN-HE", "河北"),
    ("Heilongjiang", "CN-HL", "黑龙江"),
    ("Henan", "CN-HA", "河南"),
    ("Hubei", "CN-HB", "湖北"),
    ("Hunan", "CN-HN", "湖南"),
    ("Inner Mongolia", "CN-NM", "内蒙古"),
    ("Jiangsu", "CN-JS", "江苏"),
    ("Jiangxi", "CN-JX", "江西"),
    ("Jilin", "CN-JL", "吉林"),
    ("Liaoning", "CN-LN", "辽宁"),
    ("Ningxia", "CN-NX", "宁夏"),
    ("Qinghai", "CN-QH", "青海"),
    ("Shaanxi", "CN-SN", "陕西"),
    ("Shandong", "CN-SD", "山东"),
    ("Shanghai", "CN-SH", "上海"),
    ("Shanxi", "CN-SX", "山西"),
    ("Sichuan", "CN-SC", "四川"),
    ("Tianjin", "CN-TJ", "天津"),
    ("Tibet", "CN-XZ", "西藏"),
    ("Xinjiang", "CN-XJ", "新疆"),
    ("Yunnan", "CN-YN", "云南"),
    ("Zhejiang", "CN-ZJ", "浙江"),
)
PROVINCES: tuple[str, ...] = tuple(row[0] for row in _PROVINCE_TABLE)
PROVINCE_ISO: dict[str, str] = {row[0]: row[1] for row in _PROVINCE_TABLE}
PROVINCE_ZH: dict[str, str] = {row[0]: row[2] for row in _PROVINCE_TABLE}
_PROVINCE_LOOKUP: dict[str, str] = {
    alias.lower(): row[0] for row in _PROVINCE_TABLE for alias in row
}


class UnknownProvince(KeyError):
    """A province name that :func:`resolve_province` does not know (or that is not among the
    allowed ones); ``suggestion`` is the closest pinyin name or None."""

    def __init__(self, name, among: tuple[str, ...], suggestion: str | None):
        self.name, self.among, self.suggestion = name, among, suggestion
        super().__init__(name)

    def __str__(self) -> str:
        hint = f"; did you mean '{self.suggestion}'?" if self.suggestion else ""
        return f"unknown province {self.name!r}{hint}"


def resolve_province(name, among: tuple[str, ...] | list[str] = PROVINCES) -> str:
    """The pinyin name (as in :data:`PROVINCES`) of a province given by its pinyin name (any
    case), ISO 3166-2:CN code (``CN-AH``) or Chinese name (``安徽``); the one resolver of scenario
    files, sweeps and the reviewer tools. Raises :class:`UnknownProvince` unless the province is
    one of ``among`` (default: all 31)."""
    among = tuple(among)
    found = _PROVINCE_LOOKUP.get(name.lower()) if isinstance(name, str) else None
    if found is not None and found in among:
        return found
    match = difflib.get_close_matches(str(name), list(among), n=1, cutoff=0.6)
    raise UnknownProvince(name, among, match[0] if match else None)

# --- sector -----------------------------------------------------------------------------------
SECTORS: tuple[str, ...] = (
    "iron_steel",
    "nonferrous",
    "nonmetallic_minerals",
    "chemicals",
    "petroleum_coking",
    "paper",
    "textiles",
    "machinery",
    "other_industry",
)
MATERIAL_SECTORS: tuple[str, ...] = ("iron_steel", "nonferrous", "nonmetallic_minerals")
"""Sectors whose activity is physical output [Mt yr-1]; the others use value added
[1e9 CNY (2019 prices) yr-1] as their activity unit."""
VA_SECTORS: tuple[str, ...] = tuple(s for s in SECTORS if s not in MATERIAL_SECTORS)
"""Sectors whose activity unit is value added [1e9 CNY (2019 prices) yr-1]: all but
:data:`MATERIAL_SECTORS`, in :data:`SECTORS` order."""

ENERGY_INTENSIVE_SECTORS: tuple[str, ...] = MATERIAL_SECTORS + ("chemicals", "petroleum_coking",
                                                                 "paper")
"""Sectors the structural-change lever moves growth away from (the six energy-intensive
industries of NBS statistical practice, 六大高耗能行业, less power which is out of scope)."""

# --- route ------------------------------------------------------------------------------------
# Exactly three routes per sector: route 0 is the incumbent, routes 1 and 2 the alternatives.
ROUTES: tuple[str, ...] = ("route_0", "route_1", "route_2")
ROUTE_NAMES: dict[str, tuple[str, str, str]] = {
    "iron_steel": ("bf_bof", "scrap_eaf", "h2_dri_eaf"),
    "nonferrous": ("primary_al", "secondary_al", "other"),
    "nonmetallic_minerals": ("kiln", "kiln_efficient", "kiln_ccus"),
    "chemicals": ("conventional", "efficient", "electrified"),
    "petroleum_coking": ("conventional", "efficient", "electrified"),
    "paper": ("conventional", "efficient", "electrified"),
    "textiles": ("conventional", "efficient", "electrified"),
    "machinery": ("conventional", "efficient", "electrified"),
    "other_industry": ("conventional", "efficient", "electrified"),
}
ROUTE_LABELS: tuple[str, ...] = tuple(dict.fromkeys(r for s in SECTORS for r in ROUTE_NAMES[s]))
"""Every route by its name, once (the material sectors' nine, then the value-added sectors' shared
three): the ``route`` axis of result files, so ``ds.sel(route="scrap_eaf")`` selects a route."""
ROUTE_SECTORS: dict[str, tuple[str, ...]] = {
    label: tuple(s for s in SECTORS if label in ROUTE_NAMES[s]) for label in ROUTE_LABELS}
"""The sectors each route label belongs to (one for a material route)."""

SUBSTITUTABLE: dict[str, tuple[bool, bool, bool]] = {
    s: (True, True, s != "nonferrous") for s in SECTORS
}
"""Whether a route makes the sector's common product. Nonferrous 'other' (copper, zinc, lead
and the rest) is not a substitute for aluminium, so it keeps its own share of demand."""

# --- carrier ----------------------------------------------------------------------------------
CARRIERS: tuple[str, ...] = (
    "coal",  # incl. coke and coal gases
    "oil",
    "gas",
    "electricity",
    "heat",  # purchased steam and hot water
    "hydrogen",
    "biomass",
)
FOSSIL_CARRIERS: tuple[str, ...] = ("coal", "oil", "gas")
"""Carriers with a direct emission factor (kernels/SPEC.md); their positions are
``kernels.arrays.FOSSIL``."""

# --- metals with an in-use stock that yields scrap -----------------------------------------------
METALS: tuple[str, ...] = ("steel", "aluminium")
METAL_FEEDSTOCK: dict[str, tuple[str, str]] = {
    "steel": ("iron_steel", "scrap_eaf"),
    "aluminium": ("nonferrous", "secondary_al"),
}
"""(sector, route) whose output is limited by the metal's scrap supply."""

N_AGE_STAGES = 4
"""Stages of the aging chains (order-N material delay) for capacity and in-use metal stocks."""


YEAR_KEY = re.compile(r"[0-9]{4}")
"""A year as a table key or a command-line field: four ASCII digits. (Python's ``int`` also reads
other scripts' digits, ``"٢٠٣٠"`` or full-width ``"２０３０"``, which would give a second point for
the same year under another key.)"""


def year_of(text) -> int | None:
    """The year written as four ASCII digits in ``text``, else None (see :data:`YEAR_KEY`)."""
    return int(text) if isinstance(text, str) and YEAR_KEY.fullmatch(text) else None


def index(axis: tuple[str, ...], name: str) -> int:
    """Position of ``name`` in ``axis`` (raises KeyError with the allowed names)."""
    try:
        return axis.index(name)
    except ValueError:
        raise KeyError(f"{name!r} is not one of {', '.join(axis)}") from None


def route_index(sector: str, route_name: str) -> int:
    """Position (0, 1 or 2) of a sector's route given by its name, e.g. ('iron_steel', 'scrap_eaf') -> 1."""
    return index(ROUTE_NAMES[sector], route_name)
