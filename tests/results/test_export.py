"""`sim export FILE --format iamc`: the IAMC table read back with pyam equals the file's numbers
(quantiles computed here with NumPy from the file's arrays) at every output detail; national
values are quantiles of per-member sums; bad files exit 2 naming what is missing, writing nothing."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from sim.core import axes
from sim.data.costs import load_costs
from sim.interfaces.cli import main
from sim.model.costs import COST_ITEMS, DISCOUNT_WINDOW
from sim.results import export
from sim.results.reading import open_results

Q = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
LABELS = ["p05", "p25", "median", "p75", "p95"]
YEARS = list(range(2019, 2036))
# pyam 3.x and its ixmp4 warn about pandas 3 deprecations and their own web stack on import
pytestmark = [pytest.mark.filterwarnings("ignore:::pyam"), pytest.mark.filterwarnings("ignore:::jwt"),
              pytest.mark.filterwarnings("ignore:::fastapi"),
              pytest.mark.filterwarnings("ignore:::ixmp4")]


@pytest.fixture(scope="module")
def anhui(anhui_results):
    return anhui_results  # tests/conftest.py: 24 members, seed 11


@pytest.fixture(scope="module")
def national(national_results):
    return national_results  # tests/conftest.py: 7 members, seed 3


@pytest.fixture(scope="module")
def pyam():
    import pyam  # test-only dependency (the `test` extra)

    return pyam


def _export(path, out, *extra):
    res = CliRunner().invoke(main, ["export", str(path), "--format", "iamc", "--out", str(out),
                                    *extra])
    assert res.exit_code == 0, res.output
    return res


def _values(df, variable, region):
    """(quantile, year) array of one variable and region of a pyam IamDataFrame."""
    sub = df.filter(variable=variable, region=region)
    sub = sub.timeseries()
    sub = sub[~sub.index.get_level_values("scenario").str.endswith("|mean")]
    assert len(sub) == len(LABELS), (variable, region, len(sub))
    scen = sub.index.get_level_values("scenario")
    return np.array([sub[scen.str.endswith(f"|{lab}")].iloc[0][YEARS].to_numpy(float)
                     for lab in LABELS])


def _q(members):  # quantiles over the first (member) axis
    return np.quantile(np.asarray(members, dtype=float), Q, axis=0)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_full_detail_csv_and_xlsx_match_the_file(anhui, pyam, tmp_path, suffix):
    out = tmp_path / f"anhui_iamc{suffix}"
    _export(anhui["full"], out, "--model", "CIS")
    df = pyam.IamDataFrame(out)
    assert list(df.model) == ["CIS"]
    assert sorted(df.scenario) == sorted(f"anhui|{x}" for x in [*LABELS, "mean"])
    assert list(df.year) == YEARS and list(df.region) == ["China|Anhui"]
    for v in ("Emissions|CO2|Industry", "Emissions|CO2|Industry|Iron and Steel",
              "Emissions|CO2|Indirect|Industry", "Carbon Capture|Industry", "Final Energy|Industry",
              "Final Energy|Industry|Electricity", "Final Energy|Industry|Solids|Coal",
              "Production|Iron and Steel|Steel", "Production|Iron and Steel|Steel|Primary",
              "Production|Iron and Steel|Steel|Secondary", "Production|Non-Metallic Minerals|Cement",
              "Production|Non-Ferrous Metals|Aluminum", "Value Added|Industry",
              "Value Added|Industry|Chemicals", "Production Share|Iron and Steel|Steel|Secondary"):
        assert v in df.variable, v
    units = dict(zip(df.data["variable"], df.data["unit"]))
    assert units["Emissions|CO2|Industry"] == "Mt CO2/yr" and units["Final Energy|Industry"] == "EJ/yr"
    with open_results(anhui["full"]) as ds:
        p = dict(province="Anhui")
        np.testing.assert_allclose(_values(df, "Emissions|CO2|Industry", "China|Anhui"),
                                   _q(ds["industrial_co2"].sel(region="Anhui").values), rtol=1e-6)
        steel = (ds["co2_direct"] + ds["co2_process"] - ds["co2_captured"]).sel(
            sector="iron_steel", **p).values
        np.testing.assert_allclose(_values(df, "Emissions|CO2|Industry|Iron and Steel", "China|Anhui"),
                                   _q(steel), rtol=1e-5)
        fe = ds["final_energy"].sel(**p).values  # member, sector, carrier, year; PJ -> EJ
        elec = list(ds["carrier"].values).index("electricity")
        np.testing.assert_allclose(_values(df, "Final Energy|Industry|Electricity", "China|Anhui"),
                                   _q(fe[:, :, elec].sum(axis=1)) / 1000, rtol=1e-5)
        np.testing.assert_allclose(_values(df, "Final Energy|Industry", "China|Anhui"),
                                   _q(fe.sum(axis=(1, 2))) / 1000, rtol=1e-5)
        prod = ds["production"].sel(**p)  # member, route, year; routes by name
        np.testing.assert_allclose(_values(df, "Production|Iron and Steel|Steel|Secondary", "China|Anhui"),
                                   _q(prod.sel(route="scrap_eaf").values), rtol=1e-6)
        np.testing.assert_allclose(_values(df, "Production|Iron and Steel|Steel|Primary", "China|Anhui"),
                                   _q(prod.sel(route=["bf_bof", "h2_dri_eaf"]).sum("route").values),
                                   rtol=1e-5)
        np.testing.assert_allclose(_values(df, "Production Share|Iron and Steel|Steel|Secondary", "China|Anhui"),
                                   _q(ds["eaf_share"].sel(**p).values) * 100, rtol=1e-6)
        va = ds["value_added"].sel(**p).values.sum(axis=1) / 1e9  # member, year; CNY -> billion
        np.testing.assert_allclose(_values(df, "Value Added [CNY_2019]|Industry", "China|Anhui"),
                                   _q(va), rtol=1e-5)
        usd = _values(df, "Value Added|Industry", "China|Anhui")
        np.testing.assert_allclose(usd, _q(va) * 0.11674, rtol=1e-4)  # sim.core.units: ≈ 0.11674
        mean = df.filter(variable="Emissions|CO2|Industry", scenario="anhui|mean").timeseries()
        np.testing.assert_allclose(mean[YEARS].to_numpy(float)[0],
                                   ds["industrial_co2"].sel(region="Anhui").values.mean(axis=0),
                                   rtol=1e-6)
    if suffix == ".xlsx":  # the meta sheet: one row per quantile scenario
        quantiles = df.meta["quantile"]
        assert sorted(quantiles.dropna()) == sorted(Q) and quantiles.isna().sum() == 1  # mean
        assert set(df.meta["members"]) == {24}


def test_national_is_the_quantile_of_per_member_sums(national, pyam, tmp_path):
    out = tmp_path / "national.csv"
    _export(national["full"], out)
    df = pyam.IamDataFrame(out)
    assert "China" in df.region and len(df.region) == 32
    steel_share = df.filter(variable="Production Share|Iron and Steel|Steel|Secondary")
    assert "China|Tibet" not in steel_share.region and len(steel_share.region) == 31  # no steel
    with open_results(national["full"]) as ds:
        net = (ds["co2_direct"] + ds["co2_process"] - ds["co2_captured"]).sel(sector="iron_steel")
        per_member = net.sum("province").values  # member, year
        got = _values(df, "Emissions|CO2|Industry|Iron and Steel", "China")
        np.testing.assert_allclose(got, _q(per_member), rtol=1e-5)
        sum_of_quantiles = _q(net.values).sum(axis=1)  # what must not be exported
        assert not np.allclose(got[[0, 4]], sum_of_quantiles[[0, 4]], rtol=1e-3)
        np.testing.assert_allclose(_values(df, "Emissions|CO2|Industry", "China"),
                                   _q(ds["industrial_co2"].sel(region="national").values), rtol=1e-6)
        fe = ds["final_energy"].sum(["province", "sector", "carrier"]).values / 1000
        np.testing.assert_allclose(_values(df, "Final Energy|Industry", "China"), _q(fe), rtol=1e-5)
        steel = ds["production"].sel(route=["bf_bof", "scrap_eaf", "h2_dri_eaf"]).sum("province")
        np.testing.assert_allclose(_values(df, "Production Share|Iron and Steel|Steel|Secondary", "China"),
                                   _q((steel.sel(route="scrap_eaf") / steel.sum("route")).values)
                                   * 100, rtol=1e-5)


def test_province_detail_sums_members_and_keeps_stored_quantiles_per_province(national, pyam,
                                                                              tmp_path):
    out = tmp_path / "national_province.csv"
    _export(national["province"], out)
    df = pyam.IamDataFrame(out)
    assert "Emissions|CO2|Industry|Iron and Steel" not in df.variable  # needs members per sector
    with open_results(national["province"]) as ds:
        fe = ds["final_energy_total"].sel(carrier="electricity")  # member, province, year
        np.testing.assert_allclose(_values(df, "Final Energy|Industry|Electricity", "China"),
                                   _q(fe.sum("province").values) / 1000, rtol=1e-5)
        np.testing.assert_allclose(_values(df, "Final Energy|Industry|Electricity", "China|Hebei"),
                                   _q(fe.sel(province="Hebei").values) / 1000, rtol=1e-6)
        va = ds["value_added"].sel(province="Jiangsu", sector="machinery")  # stored quantiles
        np.testing.assert_allclose(_values(df, "Value Added [CNY_2019]|Industry|Machinery", "China|Jiangsu"),
                                   va.sel(quantile=Q).values / 1e9, rtol=1e-6)
    machinery = df.filter(variable="Value Added [CNY_2019]|Industry|Machinery")
    assert "China" not in machinery.region and len(machinery.region) == 31  # no sum of quantiles


@pytest.mark.slow  # sim.results.export on 31 provinces, to .xlsx: ~8 s
def test_summary_detail_exports_stored_quantiles_only(national, pyam, tmp_path):
    out = tmp_path / "national_summary.xlsx"
    _export(national["summary"], out)
    df = pyam.IamDataFrame(out)
    assert "Final Energy|Industry" not in df.variable  # only per-carrier quantiles are stored
    with open_results(national["summary"]) as ds:
        np.testing.assert_allclose(_values(df, "Emissions|CO2|Industry", "China"),
                                   ds["industrial_co2"].sel(region="national", quantile=Q).values,
                                   rtol=1e-6)
        np.testing.assert_allclose(
            _values(df, "Final Energy|Industry|Heat", "China|Shandong"),
            ds["final_energy_total"].sel(province="Shandong", carrier="heat", quantile=Q).values
            / 1000, rtol=1e-6)
    # national rows only where the file stores the national quantiles (region axis: quantiles of
    # the per-member national sums)
    per_region = {"Emissions|CO2|Industry", "Cost|Industry", "Present Value|Cost|Industry",
                  *(f"Emissions|{sp}|Industry" for sp in export.POLLUTANT_SPECIES.values()),
                  *(f"Cost|Industry|{k}" for k in export.COST_ITEM_NAMES.values())}
    for v in df.variable:
        regions = df.filter(variable=v).region
        assert v in per_region or "China" not in regions, v
    assert "China" in df.filter(variable="Cost|Industry|Capital").region


def _mass_factor(file_units: str, iamc_unit: str) -> float:
    """pint's factor from a file's UDUNITS mass flow to an IAMC unit, the species token of the
    IAMC unit (``SO2`` in ``Mt SO2/yr``) left out: pint has no chemical species."""
    import cf_xarray.units  # noqa: F401  (pint's registry for UDUNITS strings)
    import pint_xarray  # noqa: F401

    ureg = pint_xarray.unit_registry
    mass, _, per = iamc_unit.partition("/")
    return float(ureg.Quantity(1.0, file_units).to(f"{mass.split()[0]} / {per}").magnitude)


def test_pollutants_match_the_file_in_the_common_definitions_units(national, pyam, tmp_path):
    """Emissions|Sulfur, |NOx (the common definitions' species and units) and |PM (ours) of the
    industry and its sectors equal the file's t yr-1 after pint's conversion: national values the
    quantiles of per-member sums, provinces their own; the mean adds up over the sectors."""
    out = tmp_path / "national.csv"
    _export(national["full"], out)
    df = pyam.IamDataFrame(out)
    units = dict(zip(df.data["variable"], df.data["unit"]))
    assert units["Emissions|Sulfur|Industry"] == "Mt SO2/yr"  # common definitions, Level-1 species
    assert units["Emissions|NOx|Industry|Iron and Steel"] == "Mt NO2/yr"
    assert units["Emissions|PM|Industry"] == "Mt PM/yr"  # ours: total primary PM
    with open_results(national["full"]) as ds:
        for pollutant, species in export.POLLUTANT_SPECIES.items():
            total = ds["industrial_pollutants"].sel(pollutant=pollutant)
            unit = units[f"Emissions|{species}|Industry"]
            factor = _mass_factor(total.attrs["units"], unit)
            assert factor == pytest.approx(1e-6)  # t -> Mt
            np.testing.assert_allclose(_values(df, f"Emissions|{species}|Industry", "China"),
                                       _q(total.sel(region="national").values) * factor, rtol=1e-6)
            np.testing.assert_allclose(_values(df, f"Emissions|{species}|Industry", "China|Hebei"),
                                       _q(total.sel(region="Hebei").values) * factor, rtol=1e-6)
            by_sector = ds["pollutant_emissions"].sel(pollutant=pollutant)  # member, province, sector, year
            cement = by_sector.sel(sector="nonmetallic_minerals")
            variable = f"Emissions|{species}|Industry|Non-Metallic Minerals"
            np.testing.assert_allclose(_values(df, variable, "China"),
                                       _q(cement.sum("province").values) * factor, rtol=1e-5)
            np.testing.assert_allclose(_values(df, variable, "China|Shandong"),
                                       _q(cement.sel(province="Shandong").values) * factor, rtol=1e-6)
            mean = df.filter(scenario="*|mean", region="China")
            parts = mean.filter(variable=f"Emissions|{species}|Industry|*").timeseries()
            assert len(parts) == len(axes.SECTORS)
            np.testing.assert_allclose(parts[YEARS].to_numpy(float).sum(axis=0),
                                       mean.filter(variable=f"Emissions|{species}|Industry")
                                       .timeseries()[YEARS].to_numpy(float)[0], rtol=1e-5)
    # province detail: sectors as the stored quantiles of the provinces, never summed
    out = tmp_path / "national_province.csv"
    _export(national["province"], out)
    df = pyam.IamDataFrame(out)
    steel = df.filter(variable="Emissions|Sulfur|Industry|Iron and Steel")
    assert "China" not in steel.region and "China|Hebei" in steel.region
    with open_results(national["province"]) as ds:
        stored = ds["pollutant_emissions"].sel(province="Hebei", sector="iron_steel", pollutant="SO2")
        np.testing.assert_allclose(_values(df, "Emissions|Sulfur|Industry|Iron and Steel", "China|Hebei"),
                                   stored.sel(quantile=Q).values * 1e-6, rtol=1e-6)
        np.testing.assert_allclose(
            _values(df, "Emissions|PM|Industry", "China"),
            _q(ds["industrial_pollutants"].sel(region="national", pollutant="PM").values) * 1e-6,
            rtol=1e-6)


def test_default_output_path(anhui, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["export", str(anhui["summary"])])
    assert res.exit_code == 0, res.output
    stem = anhui["summary"].stem
    assert (tmp_path / "outputs" / stem / f"{stem}_iamc.csv").is_file()
    # 255 rows before the costs (80 rows of Cost|Industry...), 335 before the pollutants (3
    # species x (total + 9 sectors) x 5 quantiles)
    assert "485 rows" in res.output


def _bad_files(anhui, folder):
    with open_results(anhui["full"]) as ds:
        full = ds.load()
    no_co2 = folder / "no_co2.nc"
    full.drop_vars("industrial_co2").to_netcdf(no_co2)
    wrong_dims = folder / "wrong_dims.nc"
    full.assign(industrial_co2=full["industrial_co2"].isel(region=0, drop=True)).to_netcdf(wrong_dims)
    bad_units = folder / "bad_units.nc"
    kt = full["co2_indirect"].copy()
    kt.attrs["units"] = "kt yr-1"
    full.assign(co2_indirect=kt).to_netcdf(bad_units)
    bad_money = folder / "bad_money.nc"  # billions where the export expects CNY yr-1
    billions = full["total_cost"].copy()
    billions.attrs["units"] = "1e9 yr-1"
    full.assign(total_cost=billions).to_netcdf(bad_money)
    text = folder / "text.nc"
    text.write_text("not netcdf")
    sweep = folder / "sweep.nc"  # a sweep is exported case by case: each case must serve
    xr.concat([full[["industrial_co2"]]] * 2, dim="case").to_netcdf(sweep)
    return [(no_co2, "missing variable(s) industrial_co2"),
            (wrong_dims, "industrial_co2 has dimensions (member, year), needs region"),
            (bad_units, "co2_indirect has units 'kt yr-1'"),
            (bad_money, "total_cost has units '1e9 yr-1'"),
            (text, "not a readable NetCDF file"),
            (sweep, "missing dimension province"),
            (folder / "absent.nc", "no such file")]


def test_bad_files_exit_2_naming_what_is_missing_and_write_nothing(anhui, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for path, message in _bad_files(anhui, inputs):
        for suffix in (".csv", ".xlsx"):
            out = tmp_path / "out" / f"x{suffix}"
            res = CliRunner().invoke(main, ["export", str(path), "--out", str(out)])
            assert res.exit_code == 2, (path, res.output)
            assert message in res.output and str(path) in res.output, res.output
            assert "Traceback" not in res.output
            assert not out.parent.exists() or not any(out.parent.iterdir())
    res = CliRunner().invoke(main, ["export", str(anhui["full"]), "--out", str(tmp_path / "x.txt")])
    assert res.exit_code == 2 and ".csv or .xlsx" in res.output


def test_quantile_labels_cover_the_stored_quantiles():
    from sim.results.ensemble import QUANTILES

    assert sorted(export.QUANTILE_LABELS) == sorted(QUANTILES)


USD = 0.11674e-9  # CNY at 2019 prices -> billion USD_2010 (sim.core.units: ≈ 0.11674)


def _row(df, variable, region, label="median"):
    """{year: value} of one variable, region and statistic of a pyam IamDataFrame."""
    sub = df.filter(variable=variable, region=region, scenario=f"*|{label}").timeseries()
    assert len(sub) == 1, (variable, region, label, len(sub))
    return sub.iloc[0].dropna().to_dict()


def test_cost_names_cover_the_cost_items():
    assert list(export.COST_ITEM_NAMES) == list(COST_ITEMS)
    names = export.variable_names()
    for item in export.COST_ITEM_NAMES.values():
        assert names[f"Cost|Industry|{item}"] == ("billion USD_2010/yr",)
    assert names["Price|Final Energy|Industry|Electricity"] == ("USD_2010/GJ",)
    assert names["Present Value|Cost|Industry"] == ("billion USD_2010",)
    assert "Cost|Industry|Energy|Iron and Steel" not in names  # energy is split by carrier


def test_costs_and_prices_at_full_detail_match_the_file(anhui, pyam, tmp_path, base_state):
    out = tmp_path / "anhui.csv"
    _export(anhui["full"], out)
    df = pyam.IamDataFrame(out)
    units = dict(zip(df.data["variable"], df.data["unit"]))
    assert units["Cost|Industry"] == "billion USD_2010/yr"
    assert units["Price|Final Energy|Industry|Electricity"] == "USD_2010/GJ"
    region = "China|Anhui"
    with open_results(anhui["full"]) as ds:
        p = dict(province="Anhui")
        np.testing.assert_allclose(_values(df, "Cost|Industry", region),
                                   _q(ds["total_cost"].sel(region="Anhui").values) * USD, rtol=1e-4)
        np.testing.assert_allclose(
            _values(df, "Cost|Industry|Fixed O&M", region),
            _q(ds["cost_by_item"].sel(region="Anhui", cost_item="fixed_om").values) * USD, rtol=1e-4)
        np.testing.assert_allclose(
            _values(df, "Cost|Industry|Capital|Non-Metallic Minerals", region),
            _q(ds["cost"].sel(sector="nonmetallic_minerals", cost_item="capital", **p).values)
            * USD, rtol=1e-4)
        spent = ds["energy_cost"].sel(**p)  # member, carrier, year
        np.testing.assert_allclose(_values(df, "Cost|Industry|Energy|Electricity", region),
                                   _q(spent.sel(carrier="electricity").values) * USD, rtol=1e-4)
        np.testing.assert_allclose(_values(df, "Cost|Industry|Energy|Solids", region),
                                   _q(spent.sel(carrier=["coal", "biomass"]).sum("carrier").values)
                                   * USD, rtol=1e-4)
        steel = ds["investment_cost"].sel(sector="iron_steel", **p)  # member, route, year
        np.testing.assert_allclose(
            _values(df, "Investment|Industry|Iron and Steel", region),
            _q(steel.sel(route=list(axes.ROUTE_NAMES["iron_steel"])).sum("route").values) * USD,
            rtol=1e-4)
        # the present value sits in the column of the year it is discounted to, and only there
        pv = _row(df, "Present Value|Cost|Industry", region)
        assert list(pv) == [DISCOUNT_WINDOW[0]]
        assert units["Present Value|Cost|Industry"] == "billion USD_2010"
        np.testing.assert_allclose(
            pv[DISCOUNT_WINDOW[0]],
            np.quantile(ds["discounted_cost"].sel(region="Anhui").values, 0.5) * USD, rtol=1e-4)
        # the electricity price paid, by hand from the cost tables: the sectors' prices of the
        # province weighted by their use, times the member's energy-price multiplier
        years = ds["year"].values
        prices = load_costs(base_state).prices(np.array([axes.PROVINCES.index("Anhui")]), years)[0]
        e = axes.CARRIERS.index("electricity")
        use = ds["final_energy"].sel(carrier="electricity", **p).values  # member, sector, year
        k = ds["parameter_value"].sel(parameter="energy_price_multiplier").values[:, None]
        paid = (use * prices[None, :, e]).sum(axis=1) / use.sum(axis=1) * k  # CNY per PJ
        np.testing.assert_allclose(_values(df, "Price|Final Energy|Industry|Electricity", region),
                                   _q(paid) * 1e-6 * USD * 1e9, rtol=1e-4)
        assert 10 < _row(df, "Price|Final Energy|Industry|Electricity", region)[2030] < 30  # ≈ 0.5 CNY/kWh
    # a carrier not used in a year has no price that year (hydrogen before H2-DRI)
    h2 = df.filter(variable="Price|Final Energy|Industry|Hydrogen", region=region)
    used = df.filter(variable="Final Energy|Industry|Hydrogen", region=region, scenario="*|p05")
    first = min(y for y, v in zip(used.data["year"], used.data["value"]) if v > 0)
    assert min(h2.filter(scenario="*|p05").year) == first


def test_national_cost_is_the_quantile_of_per_member_sums(national, pyam, tmp_path):
    """The national median of the total cost in 2030 is the median of the per-member national sums
    converted to USD_2010, not the sum of the provinces' medians; the national price is the ratio
    of the national sums."""
    out = tmp_path / "national.csv"
    _export(national["full"], out)
    df = pyam.IamDataFrame(out)
    with open_results(national["full"]) as ds:
        total = ds["total_cost"].sel(year=2030)  # member, region
        provinces = total.sel(region=list(ds["province"].values))
        per_member = provinces.sum("region").values
        np.testing.assert_allclose(per_member, total.sel(region="national").values, rtol=1e-9)
        median = _row(df, "Cost|Industry", "China")[2030]
        np.testing.assert_allclose(median, np.median(per_member) * 0.11674e-9, rtol=1e-4)
        assert not np.isclose(median, np.median(provinces.values, axis=0).sum() * USD, rtol=1e-3)
        np.testing.assert_allclose(
            _values(df, "Investment|Industry", "China"),
            _q(ds["investment_cost"].sum(["province", "sector", "route"]).values) * USD, rtol=1e-4)
        spent = ds["energy_cost"].sel(carrier="gas").sum("province")
        used = ds["final_energy"].sel(carrier="gas").sum(["province", "sector"])
        np.testing.assert_allclose(_values(df, "Price|Final Energy|Industry|Gases|Gas", "China"),
                                   _q((spent / used).values) * 1e-6 * USD * 1e9, rtol=1e-4)
        pv = ds["discounted_cost"].sel(region="national").values
        np.testing.assert_allclose(_row(df, "Present Value|Cost|Industry", "China", "p95")[2025],
                                   np.quantile(pv, 0.95) * USD, rtol=1e-4)


def test_province_and_summary_detail_costs(national, pyam, tmp_path):
    """Province detail: per-member costs by item and energy by carrier, national sums included,
    prices from members; no per-sector cost or investment (not kept). Summary: the stored
    quantiles of the total and items per region (the national one is stored as such), energy by
    carrier per province, no prices (a ratio of quantiles is not a price)."""
    out = tmp_path / "province.csv"
    _export(national["province"], out)
    df = pyam.IamDataFrame(out)
    assert "Investment|Industry" not in df.variable
    assert not [v for v in df.variable if v.startswith("Cost|Industry|Capital|")]
    with open_results(national["province"]) as ds:
        coal = ds["energy_cost"].sel(carrier="coal").sum("province").values
        np.testing.assert_allclose(_values(df, "Cost|Industry|Energy|Solids|Coal", "China"),
                                   _q(coal) * USD, rtol=1e-4)
        spent = ds["energy_cost"].sel(province="Hebei", carrier="electricity")
        used = ds["final_energy_total"].sel(province="Hebei", carrier="electricity")
        np.testing.assert_allclose(_values(df, "Price|Final Energy|Industry|Electricity", "China|Hebei"),
                                   _q((spent / used).values) * 1e-6 * USD * 1e9, rtol=1e-4)
    out = tmp_path / "summary.csv"
    _export(national["summary"], out)
    df = pyam.IamDataFrame(out)
    assert not [v for v in df.variable if v.startswith(("Price|", "Investment|"))]
    assert "Cost|Industry|Energy|Solids" not in df.variable  # a sum of quantiles
    with open_results(national["summary"]) as ds:
        np.testing.assert_allclose(
            _values(df, "Cost|Industry|Carbon Payments", "China"),
            ds["cost_by_item"].sel(region="national", cost_item="carbon", quantile=Q).values * USD,
            rtol=1e-4, atol=1e-12)
        np.testing.assert_allclose(
            _values(df, "Cost|Industry", "China"),
            ds["total_cost"].sel(region="national", quantile=Q).values * USD, rtol=1e-4)
    assert "China" not in df.filter(variable="Cost|Industry|Energy|Electricity").region
