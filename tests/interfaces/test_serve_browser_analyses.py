"""`sim serve` in a real browser, the views of issue #26 item 12 and issue #27: air pollutants
beside CO2, the wedges per policy with the abatement-cost curve, and the plan. Desktop and a
390 x 844 phone, English and Chinese. Helpers and the skip (no Chromium) are those of
test_serve_browser.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.interfaces.test_serve_browser import (  # skips this module too without Chromium
    chart_variance,
    chromium,
    click_view,
    move_slider,
    phone_chromium,
    wait,
)

pytestmark = pytest.mark.slow  # a real browser and server

from selenium.webdriver.common.by import By  # noqa: E402

from sim.core import shipped  # noqa: E402
from sim.interfaces.web import app as web  # noqa: E402
from sim.interfaces.web import session  # noqa: E402
from tests.helpers.web_server import start_server  # noqa: E402

MEMBERS = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    session.warm_up()
    out = tmp_path_factory.mktemp("serve-out")
    url, srv, thread = start_server(web.create_app(shipped.resolve("anhui"), out, MEMBERS))
    try:
        yield url
    finally:
        srv.should_exit = True
        thread.join(10)


def opened(make, url):
    """A browser made by ``make(profile folder)`` with the page loaded, closed afterwards."""
    with tempfile.TemporaryDirectory() as profile:
        driver = make(Path(profile))
        try:
            driver.get(url + "/")
            wait(driver, "return window.simPage && window.simPage.ready")
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def desktop(server):
    yield from opened(chromium, server)


@pytest.fixture(scope="module")
def phone(server):
    yield from opened(phone_chromium, server)


def set_language(driver, lang):
    if driver.execute_script("return window.simPage.lang") != lang:
        driver.find_element(By.ID, "lang").click()
        wait(driver, f"return window.simPage.lang === '{lang}'")


def no_sideways_scrolling(driver):
    wait(driver, "return document.documentElement.scrollWidth <= window.innerWidth", 5)


def chart(driver) -> dict:
    """The drawn chart: its traces (name, axes, y) and its axes (range, title)."""
    return driver.execute_script(
        "const c = document.getElementById('chart'); const l = c._fullLayout; const axes = {};"
        "for (const k of Object.keys(l)) if (/^[xy]axis\\d*$/.test(k)) "
        "  axes[k] = {range: l[k].range, title: l[k].title && l[k].title.text};"
        "return {traces: c._fullData.map(t => ({name: t.name, x: t.xaxis, y: t.yaxis, "
        "values: t.y, showlegend: t.showlegend})), axes, note: "
        "document.getElementById('chart-note').textContent, "
        "annotations: (l.annotations || []).map(a => a.text)};")


# --- air pollutants (issue #27 on the page) -------------------------------------------------------------
def check_pollutant_panels(driver, lang):
    """Four panels, CO2 and each pollutant: the drawn numbers are the server's (in 万吨 in
    Chinese), and every panel's axes span its data."""
    r = driver.execute_script("return window.simPage.state.result")
    p = r["pollutants"]
    co2_factor, kt_factor = (100.0, 0.1) if lang == "zh" else (1.0, 1.0)
    drawn = chart(driver)
    series = [("CO2", r["fan"]["scope1"]["scenario"], r["fan"]["scope1"]["reference"], co2_factor)]
    series += [(n, p["scenario"][n], p["reference"][n], kt_factor) for n in p["names"]]
    assert p["names"] == ["SO2", "NOx", "PM"] and p["units"] == "kt yr-1"
    for i, (name, s, b, factor) in enumerate(series):
        k = "" if i == 0 else str(i + 1)
        mine = [t for t in drawn["traces"] if t["y"] == f"y{k}"]
        median = [t for t in mine if t["name"] == ("情景, 中位数" if lang == "zh"
                                                   else "scenario, median")]
        assert len(median) == 1, name
        assert median[0]["values"] == pytest.approx([v * factor for v in s["median"]], rel=1e-9)
        top = max(max(s["p95"]), max(b["median"])) * factor
        y = drawn["axes"][f"yaxis{k}"]["range"]
        x = drawn["axes"][f"xaxis{k}"]["range"]
        assert y[0] <= 0 and top <= y[1] < 1.2 * top, name
        assert x[0] <= r["years"][0] and x[1] >= r["years"][-1] and x[1] - x[0] < 20, name
        unit = drawn["axes"][f"yaxis{k}"]["title"]
        if lang == "zh":
            assert unit == ("万吨 CO2/年" if i == 0 else "万吨/年")
        else:
            assert unit == ("Mt CO2/yr" if i == 0 else "kt/yr")
    names = drawn["annotations"]
    assert names == (["CO2", "二氧化硫", "氮氧化物（以 NO2 计）", "颗粒物"] if lang == "zh"
                     else ["CO2", "SO2", "NOx (as NO2)", "particulate matter"])
    card = p["card"]["SO2"]
    assert (card["wan"] if lang == "zh" else f"{card['text']} kt/yr") in drawn["note"]
    assert chart_variance(driver) > 8


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pollutants_view_beside_co2(desktop, lang):
    driver = desktop
    set_language(driver, lang)
    click_view(driver, "pollutants")
    wait(driver, "return document.getElementById('chart')._fullLayout.yaxis4 !== undefined")
    check_pollutant_panels(driver, lang)
    assert ("万吨" in driver.find_element(By.ID, "chart-note").text) == (lang == "zh")
    set_language(driver, "en")
    click_view(driver, "co2")


def test_the_ultra_low_emission_lever_cuts_the_pollutants_on_the_page(desktop):
    """The lever is on the panel with its label in both languages, and setting every plant to
    ultra-low emission from 2030 lowers the shown SO2, NOx and PM of 2030 and leaves CO2 alone."""
    driver = desktop
    label = ".lever[data-lever='ultra_low_emission'] .name .label"
    assert driver.find_element(By.CSS_SELECTOR, label).text == \
        "Ultra-low-emission control (share of capacity)"
    set_language(driver, "zh")
    assert driver.find_element(By.CSS_SELECTOR, label).text == "超低排放改造（占产能比例）"
    set_language(driver, "en")
    click_view(driver, "pollutants")
    before = driver.execute_script("return window.simPage.state.result")
    i = before["years"].index(2030)
    move_slider(driver, "ultra_low_emission", 2030, 1.0)
    after = driver.execute_script("return window.simPage.state.result")
    for n in ("SO2", "NOx", "PM"):
        assert after["pollutants"]["scenario"][n]["median"][i] < \
            before["pollutants"]["scenario"][n]["median"][i], n
    assert after["fan"]["scope1"]["scenario"]["median"][i] == pytest.approx(
        before["fan"]["scope1"]["scenario"]["median"][i], rel=1e-9)
    check_pollutant_panels(driver, "en")
    move_slider(driver, "ultra_low_emission", 2030, 0.0)
    click_view(driver, "co2")


def test_the_pollutant_intensity_target_is_named_like_the_others_and_simulated(desktop):
    """The whole country: the seed's 'key-sector main pollutants -10 %' is a simulated target
    with its name by scope, indicator, years and threshold in both languages."""
    driver = desktop
    generation = driver.execute_script("return window.simPage.drawnGeneration")
    driver.execute_script("const s = document.getElementById('province'); s.value = 'all';"
                          "s.dispatchEvent(new Event('change'));")
    wait(driver, f"return window.simPage.drawnGeneration > {generation}", 120)
    try:
        row = driver.find_element(By.CSS_SELECTOR, "#targets tr[data-target='pollutant_intensity_2025']")
        name = row.find_element(By.CSS_SELECTOR, "td.name").text.split("\n")[0]
        assert name == "China: key-sector pollutant emission intensity, change 2020→2025 <= -10%"
        assert row.get_attribute("data-probability") not in (None, "", "null")
        assert row.find_element(By.CSS_SELECTOR, "td.src").text == "重点行业主要污染物排放强度降低10%"
        set_language(driver, "zh")
        row = driver.find_element(By.CSS_SELECTOR, "#targets tr[data-target='pollutant_intensity_2025']")
        assert row.find_element(By.CSS_SELECTOR, "td.name").text.split("\n")[0] == \
            "全国：重点行业主要污染物排放强度 2020→2025 年变化 <= -10%"
        click_view(driver, "pollutants")
        check_pollutant_panels(driver, "zh")
    finally:
        set_language(driver, "en")
        generation = driver.execute_script("return window.simPage.drawnGeneration")
        driver.execute_script("const s = document.getElementById('province'); s.value = '';"
                              "s.dispatchEvent(new Event('change'));")
        wait(driver, f"return window.simPage.drawnGeneration > {generation}", 120)
        click_view(driver, "co2")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pollutants_view_on_a_phone(phone, lang):
    set_language(phone, lang)
    click_view(phone, "pollutants")
    wait(phone, "return document.getElementById('chart')._fullLayout.yaxis4 !== undefined")
    check_pollutant_panels(phone, lang)
    no_sideways_scrolling(phone)
