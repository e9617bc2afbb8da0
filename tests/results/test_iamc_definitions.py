"""IAMC names from the community definitions: every export (every detail) validates with
nomenclature against ``definitions/``; the names and units taken from the IAMC common definitions
are theirs (the vendored copy, and the live repository when ``COMMON_DEFINITIONS`` points at a
checkout); the exported hierarchy adds up (pyam ``check_aggregate`` on the ensemble mean)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.results import export
from sim.results.reading import open_results

DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
# slow: nomenclature and pyam, checkers of the IAMC export by others, as the CF checkers; the
# export's numbers are checked every day by test_export.py
pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:::pyam"), pytest.mark.filterwarnings("ignore:::jwt"),
              pytest.mark.filterwarnings("ignore:::fastapi"),
              pytest.mark.filterwarnings("ignore:::ixmp4"),
              pytest.mark.filterwarnings("ignore:::toolkit")]


@pytest.fixture(scope="module")
def tables(anhui_results, national_results):
    """{(scenario, detail): IAMC table} of the small runs of anhui (1 province) and national
    (tests/conftest.py)."""
    out = {}
    for scenario, files in (("anhui", anhui_results), ("national", national_results)):
        for detail, path in files.items():
            with open_results(path) as ds:
                out[scenario, detail] = export.iamc_table(ds)
    return out


@pytest.fixture(scope="module")
def dsd():
    nomenclature = pytest.importorskip("nomenclature")
    return nomenclature.DataStructureDefinition(DEFINITIONS)


def _pyam(df):
    import pyam

    return pyam.IamDataFrame(df)


def test_every_export_validates_against_our_definitions(tables, dsd):
    seen = set()
    for key, df in tables.items():
        dsd.validate(_pyam(df))  # raises on an unknown variable, unit or region
        seen |= set(df["variable"])
    # the costs are among what validates (issue #23)
    for name in (export.COST, f"{export.COST}|Carbon Payments|Iron and Steel",
                 f"{export.COST}|Energy|Solids|Coal", "Investment|Industry|Chemicals",
                 export.PRESENT_VALUE, "Price|Final Energy|Industry|Electricity",
                 "Emissions|Sulfur|Industry", "Emissions|NOx|Industry|Iron and Steel",
                 "Emissions|PM|Industry|Non-Metallic Minerals"):
        assert name in seen, name
    # the definitions are what the export can write, no more
    assert set(dsd.variable) == set(export.variable_names())
    assert seen <= set(export.variable_names())
    bad = _pyam(tables["anhui", "full"]).rename(variable={"Final Energy|Industry|Gases|Gas":
                                                           "Final Energy|Industry|Gases|Natural Gas"})
    from nomenclature.exceptions import NomenclatureValidationError

    with pytest.raises(NomenclatureValidationError) as e:
        dsd.validate(bad)
    assert "Natural Gas" in str(e.value.exceptions[0])


def _vendored() -> dict[str, dict]:
    entries = yaml.safe_load((DEFINITIONS / "variable" / "common-definitions.yaml").read_text())
    return {k: v for e in entries for k, v in e.items()}


def _units(entry) -> list[str]:
    return entry["unit"] if isinstance(entry["unit"], list) else [entry["unit"]]


def test_names_and_units_are_those_of_the_common_definitions(tables):
    vendored = _vendored()
    commit = (DEFINITIONS / "COMMON_DEFINITIONS_COMMIT").read_text().strip()
    assert len(commit) == 40 and commit in (DEFINITIONS / "variable" /
                                            "common-definitions.yaml").read_text()
    ours = yaml.safe_load((DEFINITIONS / "variable" / "china-industry-sim.yaml").read_text())
    assert not {k for e in ours for k in e} & set(vendored)  # never redefine one of theirs
    for name, units in export.variable_names().items():
        if name in vendored:
            assert list(units) == _units(vendored[name]), name
    # the pollutants in the units of the common definitions' species (checked against a live
    # checkout in the next test)
    assert export.variable_names()["Emissions|Sulfur|Industry"] == ("Mt SO2/yr",)
    assert export.variable_names()["Emissions|NOx|Industry"] == ("Mt NO2/yr",)
    # the names the issue found rejected are theirs now
    for name in ("Production|Non-Ferrous Metals|Aluminum", "Production|Iron and Steel|Steel|Primary",
                 "Final Energy|Industry|Gases|Gas", "Final Energy|Industry|Solids",
                 "Gross Emissions|CO2|Energy|Demand|Industry", "Value Added|Industry",
                 "Price|Final Energy|Industry|Electricity", "Price|Final Energy|Industry|Solids|Coal"):
        assert name in vendored, name
    assert _units(vendored["Value Added|Industry"])[0] == "billion USD_2010/yr"
    for df in tables.values():  # every row of a variable of theirs has their unit
        for name, unit in zip(df["variable"], df["unit"]):
            if name in vendored:
                assert unit in _units(vendored[name]), (name, unit)


def test_vendored_copy_equals_the_live_common_definitions():
    """With ``COMMON_DEFINITIONS=/path/to/common-definitions`` (a checkout): the vendored entries
    are theirs, and none of ours exists there."""
    root = os.environ.get("COMMON_DEFINITIONS")
    if not root:
        pytest.skip("set COMMON_DEFINITIONS to a checkout of IAMconsortium/common-definitions")
    nomenclature = pytest.importorskip("nomenclature")
    theirs = nomenclature.DataStructureDefinition(Path(root) / "definitions",
                                                  dimensions=["variable"]).variable
    for name, entry in _vendored().items():
        assert _units(entry)[0] == theirs[name].unit and entry["description"] == theirs[name].description
    ours = yaml.safe_load((DEFINITIONS / "variable" / "china-industry-sim.yaml").read_text())
    assert not [k for e in ours for k in e if k in theirs]
    # the pollutant species are theirs, in their units; total PM has no species of theirs
    for species in ("Sulfur", "NOx"):
        unit = theirs[f"Emissions|{species}"].unit
        assert (f"Emissions|{species}|Industry", (unit,)) in export.variable_names().items()
    assert "Emissions|PM" not in theirs and "Emissions|PM2.5" not in theirs


TOTALS = ("Final Energy|Industry", "Final Energy|Industry|Solids", "Final Energy|Industry|Liquids",
          "Final Energy|Industry|Gases", "Emissions|CO2|Industry",
          "Gross Emissions|CO2|Energy|Demand|Industry", "Gross Emissions|CO2|Industrial Processes",
          "Value Added|Industry", export.VA_CNY_TREE, "Production|Iron and Steel|Steel",
          "Production|Non-Ferrous Metals|Aluminum", export.COST, f"{export.COST}|Energy",
          f"{export.COST}|Energy|Solids", f"{export.COST}|Capital", f"{export.COST}|Fixed O&M",
          f"{export.COST}|Variable O&M", f"{export.COST}|Power Surcharges",
          f"{export.COST}|Carbon Payments", f"{export.COST}|CCUS", "Investment|Industry",
          "Emissions|Sulfur|Industry", "Emissions|NOx|Industry", "Emissions|PM|Industry")


def test_check_aggregate_passes_on_the_exported_hierarchy(tables):
    pytest.importorskip("pyam")
    for key in (("national", "full"), ("anhui", "full"), ("national", "province")):
        df = _pyam(tables[key])
        mean = df.filter(scenario="*|mean")
        assert len(mean.scenario) == 1, key
        checked = 0
        for total in TOTALS:
            if total not in mean.variable:
                continue
            components = [v for v in mean.variable if v.startswith(total + "|")
                          and v.count("|") == total.count("|") + 1]
            if not components:
                continue
            # pyam's default components (every variable one level below): nothing of another
            # kind, such as a share, sits in the tree (issue #21)
            assert mean.check_aggregate(total) is None, (key, total)
            checked += 1
        assert checked >= (18 if key[1] == "full" else 6), (key, checked)
        # and the check can fail: break a part
        broken = mean.data.copy()
        broken.loc[broken["variable"] == "Final Energy|Industry|Heat", "value"] += 1.0
        assert _pyam(broken).check_aggregate("Final Energy|Industry") is not None
        # the national sums are the sums of the provinces (the mean again)
        if key[0] == "national":
            provinces = [r for r in mean.region if r.startswith("China|")]
            assert len(provinces) == 31
            for total in ("Final Energy|Industry", export.COST, f"{export.COST}|Energy|Electricity"):
                assert mean.check_aggregate_region(total, region="China",
                                                   subregions=provinces) is None, (key, total)
    # quantiles are not additive: the 95 % quantile of the total is not the sum of the parts'
    p95 = _pyam(tables["national", "full"]).filter(scenario="*|p95", region="China")
    assert p95.check_aggregate("Final Energy|Industry") is not None
    assert np.isfinite(p95.filter(variable="Final Energy|Industry").timeseries().values).all()
