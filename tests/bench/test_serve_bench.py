"""`sim serve` latency (issue #15): server side, from a lever change to the new results, and in
headless Chromium, from the slider event to the redrawn page (target table, cards and chart).

    python -m pytest tests/bench/test_serve_bench.py -p no:cacheprovider -s

``test_server_lever_change_before_after`` (issue #25) runs the page code of :data:`BEFORE` (its
tree by ``git archive``, with today's ``kernels/`` and ``sim/model/`` copied in, so both sides run
the same model) and today's alternately, each in a fresh process, the same changes as
``test_server_lever_change``: the median server-side milliseconds and CPU milliseconds of the
process (all threads) per change, after / before, with the load average; and it asserts that
both trees send the page the same JSON (every number) for a set of lever changes and references.

Goals of issue #15: Anhui with 500 members <= 150 ms and all 31 provinces with 500 members
<= 1.5 s on the server (warm: base state, design and kernel ready, the session's baseline
computed); Anhui <= 500 ms in the browser, and the whole country <= 2 s there (the server's
1.5 s and the drawing; issue #26 asks for both in the browser). Printed as BENCH lines (median, 95th percentile,
min, max over the rounds); as everywhere in this folder, throughput is not asserted (README).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.core import shipped
from sim.interfaces.web import app as web
from sim.interfaces.web import session
from tests.bench.conftest import REPO, load_average, median, tree_at

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


BEFORE = "85015d0"
"""The last commit of main before issue #25's work on the page's own time."""
ROUNDS = int(os.environ.get("SIM_BENCH_ROUNDS", "3"))
CHANGES = int(os.environ.get("SIM_BENCH_CHANGES", "20"))
CHILD = """
import hashlib, json, sys, time
from pathlib import Path
from sim.core import shipped
from sim.interfaces.web import session
province, changes = sys.argv[1], int(sys.argv[2])
session.warm_up()
s = session.Session("0" * 32, session.load_source(shipped.resolve("anhui")), Path("unused"))


def digest(state):
    state = dict(state, generation=None, result=dict(state["result"], timing_ms=None))
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


digests = [digest(s.change(s.next_generation(), province=province))]  # the session's baseline
for step in ([dict(edits=[("carbon_price", "", 2030, 300.0)]),
              dict(edits=[("ccus_capture", "nonmetallic_minerals", 2035, 0.2)]),
              dict(reference=session.Reference("scenario")),
              dict(edits=[("electrification", "", 2035, 0.4)]),
              dict(reference=session.Reference("baseline")),
              dict(edits=[("eaf_share", "", 2030, 0.3)])]):  # and the buffers of this size
    digests.append(digest(s.change(s.next_generation(), **step)))
wall, cpu = [], []
for i in range(changes):
    t0, c0 = time.perf_counter(), time.process_time()
    state = s.change(s.next_generation(), edits=[("eaf_share", "", 2030, 0.2 + 0.01 * (i % 20))])
    wall.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
    digests.append(digest(state))
print("RESULT " + json.dumps(dict(wall=wall, cpu=cpu, digests=digests)))
"""


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """{"before": tree of BEFORE with today's kernel and model, "after": this tree}."""
    return {"before": tree_at(BEFORE, tmp_path_factory.mktemp("before"),
                              today=("kernels", "sim/model")),
            "after": REPO}


def _child(tree: Path, province: str) -> dict:
    """The changes of :data:`CHILD` in a fresh process importing ``tree``'s code."""
    r = subprocess.run([sys.executable, "-c", CHILD, province, str(CHANGES)], cwd=tree,
                       env=dict(os.environ, PYTHONPATH=str(tree)), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"the serve child in {tree} failed:\n{r.stderr[-3000:]}")
    return json.loads(next(x for x in r.stdout.splitlines() if x.startswith("RESULT "))[7:])


@pytest.mark.parametrize("province, goal_ms", [("", 60), ("all", 300)])
def test_server_lever_change_before_after(benchmark, trees, province, goal_ms):
    runs = {name: [] for name in trees}
    loads = [load_average()]

    def one_round():
        for name, tree in trees.items():
            runs[name].append(_child(tree, province))
        loads.append(load_average())

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    where = "anhui" if not province else "national"
    med = {name: {k: [median(r[k]) * 1000 for r in rs] for k in ("wall", "cpu")}
           for name, rs in runs.items()}
    b, a = (median(med[n]["wall"]) for n in ("before", "after"))
    cb, ca = (median(med[n]["cpu"]) for n in ("before", "after"))
    print(f"\nBENCH serve_change_{where}_500 before ({BEFORE}, today's model) / after: "
          f"{b:.0f} -> {a:.0f} ms server-side (after / before {a / b:.2f}), CPU of the process "
          f"{cb:.0f} -> {ca:.0f} ms ({ca / cb:.2f}); medians of {CHANGES} changes per child, "
          f"{ROUNDS} alternating rounds: before {[round(x) for x in med['before']['wall']]}, "
          f"after {[round(x) for x in med['after']['wall']]}; goal <= {goal_ms} ms: "
          f"{'met' if a <= goal_ms else 'MISSED'}; load average {' | '.join(loads)}")
    for before, after in zip(runs["before"], runs["after"]):  # the same page, number for number
        assert before["digests"] == after["digests"]
