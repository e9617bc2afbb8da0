"""`sim serve` in a real browser, the views of issue #26 item 12 and issue #27: air pollutants
beside CO2, the wedges per policy with the abatement-cost curve, and the plan. Desktop and a
390 x 844 phone, English and Chinese. Helpers and the skip (no Chromium) are those of
test_serve_browser.py.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

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

from sim.analysis import report  # noqa: E402
from sim.core import shipped  # noqa: E402
from sim.interfaces import cli  # noqa: E402
from sim.interfaces.web import analyses, session  # noqa: E402
from sim.interfaces.web import app as web  # noqa: E402
from sim.results.reading import open_results  # noqa: E402
from tests.helpers.web_server import start_server  # noqa: E402

MEMBERS = 100
PLAN_MEMBERS = 100
PLAN_EVALUATIONS = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(URL, app) of a server on Anhui whose page plan is smaller than the page's default (the
    default takes about 35 s; docs/web.md), so that the plan tests take seconds."""
    session.warm_up()
    out = tmp_path_factory.mktemp("serve-out")
    app = web.create_app(shipped.resolve("anhui"), out, MEMBERS)
    url, srv, thread = start_server(app)
    patch = pytest.MonkeyPatch()
    patch.setattr(analyses, "PLAN_MEMBERS", PLAN_MEMBERS)
    patch.setattr(analyses, "PLAN_EVALUATIONS", PLAN_EVALUATIONS)
    try:
        yield url, app
    finally:
        patch.undo()
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
    yield from opened(chromium, server[0])


@pytest.fixture(scope="module")
def phone(server):
    yield from opened(phone_chromium, server[0])


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


# --- background jobs: the wedges per policy and the plan (issue #26 item 12) -----------------------------
def job(driver) -> dict:
    return driver.execute_script("return window.simPage.job") or {}


def run_job(driver, view, timeout=180.0) -> dict:
    """Open ``view``, press its run button and wait until its job is done; returns the job."""
    click_view(driver, view)
    before = job(driver).get("number", 0)
    driver.find_element(By.ID, "job-run").click()
    wait(driver, f"return window.simPage.job && window.simPage.job.number > {before} && "
                 "window.simPage.job.status !== 'running'", timeout)
    done = job(driver)
    assert done["status"] == "done", done
    return done


def session_of(driver, app):
    return app.state.sessions.get(driver.get_cookie(web.SESSION_COOKIE)["value"])


def download_scenario(url, driver, folder: Path) -> Path:
    """The page's scenario TOML beside the shipped target catalogues (as `sim run` reads it)."""
    import httpx

    r = httpx.get(url + "/api/download/toml",
                  cookies={web.SESSION_COOKIE: driver.get_cookie(web.SESSION_COOKIE)["value"]})
    assert r.status_code == 200
    shutil.copytree(shipped.SHIPPED_DIR / "targets", folder / "targets")
    path = folder / "page.toml"
    path.write_bytes(r.content)
    return path


def test_wedges_per_policy_run_in_the_background_as_sim_abatement_computes_them(server, desktop,
                                                                               tmp_path):
    """The view runs `sim abatement` on the page's scenario in the background: progress is shown,
    the page answers lever changes meanwhile, the table is what `sim abatement` prints for the
    same scenario, and a lever change marks the result stale."""
    url, app = server
    driver = desktop
    click_view(driver, "abatement")
    assert driver.find_element(By.ID, "job").is_displayed()
    assert driver.find_element(By.ID, "job-run").text == "Run the wedges per policy"
    assert "Run the analysis" in driver.find_element(By.ID, "chart-note").text
    driver.find_element(By.ID, "job-run").click()
    wait(driver, "return window.simPage.job && window.simPage.job.status === 'running' && "
                 "window.simPage.job.done >= 1")
    runs = 2 + sum(lv["set"] for lv in driver.execute_script(
        "return window.simPage.state.levers").values())
    status = driver.find_element(By.ID, "job-status").text
    assert status.startswith("Running: ") and f" of {runs}, without " in status, status
    assert driver.find_element(By.ID, "job-track").is_displayed()
    # the server answers a lever change while the job runs (the job has its own thread)
    generation = driver.execute_script("return window.simPage.drawnGeneration")
    t0 = time.perf_counter()
    driver.execute_script(
        "const r = document.querySelector(`.lever[data-lever='eaf_share'] input[type=range]"
        "[data-year='2035']`); r.value = window.simPage.position('eaf_share', 0.3);"
        "r.dispatchEvent(new Event('input', {bubbles: true}));")
    wait(driver, f"return window.simPage.drawnGeneration > {generation}")
    assert job(driver)["status"] == "running", "the change waited for the job"
    assert time.perf_counter() - t0 < 5
    wait(driver, "return window.simPage.job.status !== 'running'", 180)
    assert job(driver)["status"] == "done"
    # started before the change: its numbers are of the earlier levers, and the page says so
    assert driver.find_element(By.ID, "results").get_attribute("class").split().count("job-stale") == 1
    assert "The levers changed since it ran" in driver.find_element(By.ID, "job-status").text
    done = run_job(driver, "abatement")
    assert "job-stale" not in driver.find_element(By.ID, "results").get_attribute("class")
    a = done["result"]
    check_abatement_chart(driver, a)
    # the same numbers as `sim abatement` on the page's scenario (same members and seed)
    path = download_scenario(url, driver, tmp_path)
    result = CliRunner().invoke(cli.main, ["abatement", str(path), "--format", "json", "-q",
                                           "--out", str(tmp_path / "wedges.nc")])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["members"] == a["members"] == MEMBERS and printed["seed"] == a["seed"]
    assert [r["lever"] for r in printed["rows"]] == [r["lever"] for r in a["rows"]]
    table = {tr.get_attribute("data-lever"): [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
             for tr in driver.find_elements(By.CSS_SELECTOR, "#abatement-table tbody tr")}
    for row in printed["rows"]:
        cells = table[row["lever"]]
        cost = row["resource_cost_per_t_scope1"]
        assert cells[3] == (f"{cost:,.0f}" if cost is not None else "none"), row["lever"]
        assert cells[1] == report.number_text(row["co2_avoided_scope1_median"]), row["lever"]
    assert table["all_levers"][0] == "all levers together"
    set_language(driver, "zh")
    assert driver.find_element(By.ID, "job-run").text == "计算各项政策的减排贡献"
    assert driver.find_element(By.CSS_SELECTOR, "#abatement-table th").text == "去掉的杠杆"
    names = table_lever_names(driver)
    assert names[-1] == "全部杠杆合计" and all(names) and not any(n in a["levers"] for n in names)
    check_abatement_chart(driver, a)
    set_language(driver, "en")


def table_lever_names(driver) -> list[str]:
    return [tr.find_element(By.CSS_SELECTOR, "td.name").text
            for tr in driver.find_elements(By.CSS_SELECTOR, "#abatement-table tbody tr")]


def check_abatement_chart(driver, a):
    """The wedges (a bar per lever and year, the package's line) and the curve (a bar per lever
    that avoids CO2, cheapest first), each panel's axes spanning what it draws."""
    drawn = chart(driver)
    bars = [t for t in drawn["traces"] if t["y"] == "y"]
    assert len(bars) == len(a["levers"]) + 1
    stacks_up = [sum(max(0.0, row[j] or 0.0) for row in a["by_year"]["values"])
                 for j in range(len(a["years"]))]
    top = max(max(stacks_up), max(a["by_year"]["package"]))
    y = drawn["axes"]["yaxis"]["range"]
    assert top <= y[1] < 1.2 * top
    curve = a["curve"]["scope1"]
    heights = [b["height"] for b in curve]
    assert heights == sorted(heights)  # cheapest first
    x2, y2 = drawn["axes"]["xaxis2"]["range"], drawn["axes"]["yaxis2"]["range"]
    assert x2[0] == 0 and sum(b["width"] for b in curve) <= x2[1] < 1.1 * sum(b["width"] for b in curve)
    assert y2[0] <= min(0, min(heights)) and max(heights) <= y2[1]
    assert chart_variance(driver) > 8


def test_a_new_request_cancels_the_sessions_job(server, desktop):
    """One job per session: starting the plan cancels a running abatement (its thread stops at its
    next run and keeps no result); the cancel button stops the plan."""
    url, app = server
    driver = desktop
    click_view(driver, "abatement")
    driver.find_element(By.ID, "job-run").click()
    wait(driver, "return window.simPage.job && window.simPage.job.status === 'running' && "
                 "window.simPage.job.done >= 1")
    first = session_of(driver, app).job
    click_view(driver, "plan")
    driver.find_element(By.ID, "job-run").click()
    wait(driver, "return window.simPage.job && window.simPage.job.kind === 'plan'")
    assert first.status == "cancelled"
    first.join(60)
    assert first.result is None and first.status == "cancelled"
    assert session_of(driver, app).job is not first
    wait(driver, "return document.getElementById('job-cancel').offsetParent !== null")
    driver.find_element(By.ID, "job-cancel").click()
    wait(driver, "return window.simPage.job.status === 'cancelled'")
    assert driver.find_element(By.ID, "job-status").text == "Cancelled."
    session_of(driver, app).job.join(60)


def test_the_plan_view_runs_sim_plan_and_applies_its_package(server, desktop, tmp_path):
    """The plan of the page's province, as `sim plan` computes it on the same scenario and
    problem: the chosen package, its verified P with s.e., its cost against the scenario as it
    is (or the binding target), the evaluated packages drawn; "apply" sets its levers."""
    url, app = server
    driver = desktop
    click_view(driver, "plan")
    about = driver.find_element(By.ID, "job-about").text
    assert f"on {PLAN_MEMBERS} members (sim plan's default is 500)" in about
    assert "eaf_share:2030=0.2..0.8" in about
    p = run_job(driver, "plan")["result"]
    assert p["evaluations"] == PLAN_EVALUATIONS
    path = download_scenario(url, driver, tmp_path)
    args = ["plan", str(path), "--members", str(PLAN_MEMBERS), "--max-evaluations",
            str(PLAN_EVALUATIONS), "--confidence", "0.9", "--out", str(tmp_path / "plan.nc"),
            "--no-plot", "-q"]
    for lever in analyses.PLAN_LEVERS:
        args += ["--levers", lever]
    for target in p["targets"]:
        args += ["--target", target]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    with open_results(tmp_path / "plan.nc") as ds:
        chosen = [f"{float(v):.4g}" for v in ds["chosen_value"].values]
        assert [lv["chosen"] for lv in p["levers"]] == chosen
        assert p["probability"] == f"{float(ds.attrs['verify_probability']):.3f}"
        assert p["standard_error"] == f"{float(ds.attrs['verify_standard_error']):.3f}"
        assert p["binding"] == ds.attrs["binding_target"]
    assert p["report"].splitlines()[-1] in result.output  # the CLI's verdict, word for word
    verdict = driver.find_element(By.ID, "plan-verdict").text
    if p["feasible"] and p["holds"]:
        assert verdict.startswith("The package meets the confidence: P = " + p["probability"])
        assert p["own_cost"] in verdict
    else:
        assert verdict.startswith("No package within the bounds reaches")
        assert f"the binding target is {p['binding']}" in verdict
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#plan-table td.chosen")]
    assert cells == chosen
    drawn = chart(driver)
    assert [len(t["values"]) for t in drawn["traces"]][0] == PLAN_EVALUATIONS
    star = drawn["traces"][2]["values"][0]
    assert star == pytest.approx(p["front"]["cost"][p["front"]["chosen"]])
    x, y = drawn["axes"]["xaxis"]["range"], drawn["axes"]["yaxis"]["range"]
    assert x[0] <= min(p["front"]["probability"]) and max(p["front"]["probability"] + [0.9]) <= x[1]
    assert y[0] <= min(p["front"]["cost"]) and max(p["front"]["cost"]) <= y[1]
    assert chart_variance(driver) > 8
    # apply: the package's lever points become the page's edits; the plan is then of other levers
    generation = driver.execute_script("return window.simPage.drawnGeneration")
    driver.find_element(By.ID, "job-apply").click()
    wait(driver, f"return window.simPage.drawnGeneration > {generation}")
    edits = driver.execute_script("return window.simPage.state.edits")
    for e in p["edits"]:
        assert e in edits, e
    set_language(driver, "zh")
    assert driver.find_element(By.ID, "job-run").text == "运行规划"
    assert driver.find_element(By.ID, "plan-verdict").text.startswith(
        "该组合达到置信水平" if p["feasible"] and p["holds"] else "在给定范围内没有组合")
    set_language(driver, "en")
    driver.find_element(By.ID, "reset").click()
    click_view(driver, "co2")


@pytest.mark.parametrize("view", ["abatement", "plan"])
def test_the_job_views_on_a_phone(phone, view):
    """On a 390 px phone in Chinese: run, progress, chart and numbers without sideways scrolling
    (the table scrolls in its own box)."""
    set_language(phone, "zh")
    done = run_job(phone, view)
    assert phone.find_element(By.ID, "job-status").text.startswith("已完成")
    no_sideways_scrolling(phone)
    assert chart_variance(phone) > 8
    if view == "abatement":
        check_abatement_chart(phone, done["result"])
        assert phone.find_element(By.CSS_SELECTOR, "#abatement-table th").text == "去掉的杠杆"
    else:
        assert phone.find_element(By.ID, "plan-verdict").is_displayed()
    box = phone.find_element(By.ID, "job-table").rect
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
