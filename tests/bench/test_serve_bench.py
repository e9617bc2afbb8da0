"""`sim serve` latency (issue #15): server side, from a lever change to the new results, and in
headless Chromium, from the slider event to the redrawn page (target table, cards and chart).

    python -m pytest tests/bench/test_serve_bench.py -p no:cacheprovider -s

Goals of the issue: Anhui with 500 members <= 150 ms and all 31 provinces with 500 members
<= 1.5 s on the server (warm: base state, design and kernel ready, the session's baseline
computed); Anhui <= 500 ms in the browser, and the whole country <= 2 s there (the server's
1.5 s and the drawing; issue #26 asks for both in the browser). Printed as BENCH lines (median, 95th percentile,
min, max over the rounds); as everywhere in this folder, throughput is not asserted (README).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.core import shipped
from sim.interfaces.web import app as web
from sim.interfaces.web import session

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS.parent) not in sys.path:
    sys.path.insert(0, str(TESTS.parent))


def _report(name: str, seconds: list[float], goal: float) -> None:
    ms = np.array(seconds) * 1000
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())  # how quiet the machine was
    print(f"BENCH {name}: median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
          f"min {ms.min():.0f} ms, max {ms.max():.0f} ms over {len(ms)} changes "
          f"(goal <= {goal * 1000:.0f} ms: {'met' if np.median(ms) <= goal * 1000 else 'MISSED'}); "
          f"load average {load}")


@pytest.mark.parametrize("province, rounds, goal", [("", 40, 0.150), ("all", 8, 1.5)])
def test_server_lever_change(province, rounds, goal):
    session.warm_up()
    s = session.Session("0" * 32, session.load_source(shipped.resolve("anhui")), Path("unused"))
    s.change(s.next_generation(), province=province)  # the session's baseline
    s.change(s.next_generation(), edits=[("eaf_share", "", 2030, 0.3)])  # buffers of this size
    times = []
    for i in range(rounds):
        value = 0.2 + 0.01 * (i % 20)
        t0 = time.perf_counter()
        s.change(s.next_generation(), edits=[("eaf_share", "", 2030, value)])
        times.append(time.perf_counter() - t0)
    _report(f"serve_change_{'anhui' if not province else 'national'}_500", times, goal)


@pytest.mark.parametrize("province, rounds, goal", [("", 40, 0.5), ("all", 8, 2.0)])
def test_browser_slider_to_redrawn_page(province, rounds, goal):
    try:
        from tests.interfaces import (
            test_serve_browser as browser,  # skips without chromium and chromedriver
        )
    except pytest.skip.Exception as e:
        pytest.skip(str(e))
    import tempfile

    session.warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        url, server, thread = browser.start_server(web.create_app(
            shipped.resolve("anhui"), Path(tmp) / "out"))
        driver = browser.chromium(Path(tmp) / "profile")
        try:
            driver.get(url + "/")
            browser.wait(driver, "return window.simPage && window.simPage.ready")
            if province:
                generation = driver.execute_script("return window.simPage.drawnGeneration")
                driver.execute_script(
                    "const p = document.getElementById('province'); p.value = arguments[0];"
                    "p.dispatchEvent(new Event('change'));", province)
                browser.wait(driver, f"return window.simPage.drawnGeneration > {generation}")
            for i in range(3):  # warm the page's drawing
                browser.move_slider(driver, "eaf_share", 2030, 0.3 + 0.01 * i)
            driver.execute_script("window.simPage.latencies = []")
            for i in range(rounds):
                browser.move_slider(driver, "eaf_share", 2030, 0.2 + 0.01 * (i % 20))
                time.sleep(0.05)
            latencies = driver.execute_script("return window.simPage.latencies")
        finally:
            driver.quit()
            server.should_exit = True
            thread.join(10)
    _report(f"serve_browser_{'anhui' if not province else 'national'}_500_slider_to_page",
            [x / 1000 for x in latencies], goal)
