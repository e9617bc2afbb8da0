"""`sim serve` in a real browser: Debian's headless Chromium driven through its chromedriver
(selenium). Load the page without console errors, draw every view (screenshots not blank), move
a slider and check the shown P(attain) against `sim run` on the downloaded TOML, switch the
language, upload a bad file and see its one-line error.

Skipped with a message when /usr/bin/chromium or /usr/bin/chromedriver is missing (`.ci/run`
installs them: apt-get install chromium chromium-driver). selenium-manager downloads nothing: the
driver and the browser are given by path, and the network stays closed.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(f"browser tests of sim serve need Debian's chromium and chromium-driver "
                f"({CHROMIUM}, {CHROMEDRIVER}): apt-get install chromium chromium-driver",
                allow_module_level=True)
selenium = pytest.importorskip("selenium")
pytest.importorskip("uvicorn")
from PIL import Image  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from sim.analysis import report  # noqa: E402
from sim.core import shipped  # noqa: E402
from sim.interfaces import cli  # noqa: E402
from sim.interfaces.web import app as web  # noqa: E402
from sim.interfaces.web import session  # noqa: E402
from sim.results.reading import open_results  # noqa: E402
from tests.helpers.web_server import start_server  # noqa: E402

MEMBERS = 200
VIEWS = ("co2", "peak", "eaf", "energy", "wedges")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,1250")


def chromium(user_data: Path):
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={user_data}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    session.warm_up()
    out = tmp_path_factory.mktemp("serve-out")
    url, server, thread = start_server(web.create_app(shipped.resolve("anhui"), out, MEMBERS))
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium(Path(profile))
        try:
            driver.get(url + "/")
            wait(driver, "return window.simPage && window.simPage.ready")
            yield url, driver
        finally:
            driver.quit()
            server.should_exit = True
            thread.join(10)


def wait(driver, script, timeout=60.0):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def chart_variance(driver) -> float:
    png = driver.find_element(By.ID, "chart").screenshot_as_png
    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).std())


def move_slider(driver, lever, year, value):
    """Set the lever's slider of ``year`` to ``value`` (at its position on the lever's scale) and
    fire its input event, as a drag does."""
    generation = driver.execute_script("return window.simPage.drawnGeneration")
    driver.execute_script(
        "const r = document.querySelector(`.lever[data-lever='${arguments[0]}'] input[type=range]"
        "[data-year='${arguments[1]}']`); r.value = window.simPage.position(arguments[0], arguments[2]);"
        "r.dispatchEvent(new Event('input', {bubbles: true}));", lever, year, value)
    wait(driver, f"return window.simPage.drawnGeneration > {generation}")


def shown_probabilities(driver) -> dict[str, tuple[float, str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#targets tbody tr[data-probability]")
    return {r.get_attribute("data-target"): (float(r.get_attribute("data-probability")),
                                             r.find_element(By.CSS_SELECTOR, "span.p").text)
            for r in rows}


def test_page_loads_without_console_errors_and_every_view_draws(site, tmp_path):
    url, driver = site
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    assert driver.find_elements(By.CSS_SELECTOR, "#targets tbody tr")
    for view in VIEWS:
        driver.find_element(By.CSS_SELECTOR, f"#tabs button[data-view='{view}']").click()
        wait(driver, f"return window.simPage.view === '{view}' && "
                     "document.querySelector('#chart .main-svg') !== null")
        time.sleep(0.2)
        driver.save_screenshot(str(tmp_path / f"{view}.png"))
        assert chart_variance(driver) > 8, f"view {view} looks blank"
        full = np.asarray(Image.open(tmp_path / f"{view}.png").convert("L"), dtype=float)
        assert full.std() > 20
    driver.find_element(By.CSS_SELECTOR, "#tabs button[data-view='co2']").click()
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []


def test_slider_move_shows_what_sim_run_gives_on_the_downloaded_toml(site, tmp_path):
    import httpx

    url, driver = site
    move_slider(driver, "eaf_share", 2030, 0.42)
    shown = shown_probabilities(driver)
    latency = driver.execute_script("return window.simPage.lastLatency")
    assert 0 < latency < 10_000
    cookie = driver.get_cookie(web.SESSION_COOKIE)["value"]
    r = httpx.get(url + "/api/download/toml", cookies={web.SESSION_COOKIE: cookie})
    assert r.status_code == 200 and "2030 = 0.42" in r.text
    folder = tmp_path / "run"
    shutil.copytree(shipped.SHIPPED_DIR / "targets", folder / "targets")
    (folder / "edited.toml").write_bytes(r.content)
    out = folder / "edited.nc"
    result = CliRunner().invoke(cli.main, ["run", str(folder / "edited.toml"), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    with open_results(out) as ds:
        assert int(ds.attrs["members"]) == MEMBERS
        file_p = dict(zip(ds["target"].values.tolist(), ds["target_probability"].values.tolist()))
        printed = {r["id"]: r["text"]["probability"] for r in report.target_rows(ds)}
    assert set(file_p) == set(shown)
    for tid, p in file_p.items():
        assert shown[tid][0] == p, tid
        assert shown[tid][1] == printed[tid], tid  # the report's string, as `sim report` prints it


def test_language_switch(site):
    url, driver = site
    title = driver.find_element(By.CSS_SELECTOR, "header .brand span[data-i18n='title']")
    assert title.text == "Industrial decarbonisation simulator"
    driver.find_element(By.ID, "lang").click()
    assert title.text == "工业低碳转型情景模拟"
    assert driver.find_element(By.CSS_SELECTOR, "th[data-i18n='t_p']").text == "达成概率"
    label = driver.find_element(By.CSS_SELECTOR, ".lever[data-lever='eaf_share'] .name span").text
    assert label == "短流程炼钢比例下限"
    names = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#targets tbody tr td:first-child")]
    assert any(n.startswith("安徽：2030 年短流程炼钢比例 >= 20.0%") for n in names)
    phrases = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#targets tbody tr td.src")]
    assert "短流程炼钢比例达到 20% 以上" in phrases
    assert chart_variance(driver) > 8
    driver.find_element(By.ID, "lang").click()
    assert title.text == "Industrial decarbonisation simulator"


def test_bad_upload_shows_the_one_line_error_and_nothing_changes(site, tmp_path):
    url, driver = site
    before = shown_probabilities(driver)
    bad = tmp_path / "bad.toml"
    text = (shipped.SHIPPED_DIR / "anhui.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("2030 = 0.20\n", "2030 = 1.4\n", 1), encoding="utf-8")
    driver.find_element(By.ID, "upload").send_keys(str(bad))
    wait(driver, "return !document.getElementById('error').hidden")
    message = driver.find_element(By.CSS_SELECTOR, "#error .msg").text
    assert message == "bad.toml: levers.eaf_share.2030 = 1.4 is outside [0, 1]"
    assert shown_probabilities(driver) == before
    broken = tmp_path / "broken.toml"
    broken.write_text("[scenario\n", encoding="utf-8")
    driver.find_element(By.ID, "upload").send_keys(str(broken))
    wait(driver, "return document.querySelector('#error .msg') !== null && "
                 "document.querySelector('#error .msg').textContent.startsWith('broken.toml')")
    assert "malformed TOML" in driver.find_element(By.CSS_SELECTOR, "#error .msg").text
    move_slider(driver, "eaf_share", 2030, 0.3)  # a valid change clears the message
    assert driver.find_element(By.ID, "error").is_displayed() is False
