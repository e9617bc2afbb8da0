"""`sim serve` on the server side (Starlette's TestClient): one validation path with scenario
files, nothing runs on bad values, sessions isolated, a newer change supersedes a run, no path
outside the output folder, upload limits, and the downloaded TOML reproduces the page exactly."""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import threading
import time
import tomllib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tomlkit
from click.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("plotly")
with warnings.catch_warnings():  # Starlette 1.x would rather use httpx2 (httpx is pinned for pyam)
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402
  # noqa: E402
from sim.analysis.costs import money
from sim.core import levers, shipped
from sim.interfaces import cli
from sim.interfaces.web import app as web
from sim.interfaces.web import payload, session
from sim.model import run as model
from sim.model.costs import COST_ITEMS
from sim.results.reading import open_results
from sim.scenario import ScenarioError, scenario_from_document  # noqa: E402

MEMBERS = 60  # small ensembles: these tests check behaviour, tests/bench the speed


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve-out")
    return web.create_app(shipped.resolve("anhui"), out, live_members=MEMBERS)


def client(app) -> TestClient:
    c = TestClient(app)
    assert c.get("/").status_code == 200  # sets the session cookie
    return c


def edit(c, lever, year, value, sector=""):
    return c.post("/api/change", json={"edits": [dict(lever=lever, sector=sector, year=year,
                                                     value=value)]})


def probabilities(state) -> dict[str, float]:
    return {r["id"]: r["probability"] for r in state["result"]["targets"]}


def test_every_lever_of_the_registry_is_on_the_page_with_its_unit_default_and_range(app):
    c = client(app)
    meta = c.get("/api/meta").json()
    assert [lv["name"] for lv in meta["levers"]] == list(levers.LEVERS)
    assert set(meta["labels"]["lever"]) == set(levers.LEVERS)
    for lv in meta["levers"]:
        reg = levers.LEVERS[lv["name"]]
        assert lv["unit"] == reg.unit
        for key in ("default", "low", "high"):
            want = getattr(reg, key)
            assert lv[key] == ("inf" if want == float("inf") else want)
        assert tuple(lv["sectors"]) == payload.editable_sectors(reg)
    assert meta["key_years"] == [2025, 2030, 2035]
    assert {"anhui", "national", "baseline"} <= set(meta["scenarios"])
    assert len(meta["provinces"]) == 31 and meta["provinces"][0]["zh"]


def test_the_page_and_its_scripts_come_from_the_server(app):
    c = client(app)
    html = c.get("/").text
    assert "http" not in html.replace("http-equiv", "")  # no CDN, no external URL
    js = c.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    main = c.get("/static/js/main.js")
    assert main.status_code == 200 and "javascript" in main.headers["content-type"]
    assert '<script type="module" src="/static/js/main.js">' in html
    # ES modules, each served, none from elsewhere
    modules = set(re.findall(r'from "\./(\w+\.js)"', main.text))
    assert {"api.js", "store.js", "charts.js", "levers.js", "url.js"} <= modules
    for name in modules:
        js = c.get(f"/static/js/{name}")
        assert js.status_code == 200 and "http://" not in js.text and "https://" not in js.text


def test_first_state_is_the_scenario_with_its_targets_and_the_page_members(app):
    c = client(app)
    st = c.get("/api/state").json()
    assert st["status"] == "ok" and st["scenario"]["name"] == "anhui"
    assert st["scenario"]["members"] == MEMBERS
    r = st["result"]
    assert r["region"] == "Anhui" and r["members"] == MEMBERS
    ids = [t["id"] for t in r["targets"]]
    assert "anhui_eaf_share_2030" in ids
    row = r["targets"][ids.index("anhui_eaf_share_2030")]
    assert row["phrase"] == "短流程炼钢比例达到 20% 以上"  # the seed's phrase of the catalogue
    # named by scope, indicator, year and threshold in both languages (issue #26 item 5)
    assert row["name_en"] == "Anhui: scrap-EAF share of crude steel in 2030 >= 20.0%"
    assert row["name_zh"] == "安徽：2030 年短流程炼钢比例 >= 20.0%"
    assert row["text"]["median"].endswith("%")  # a share as a percentage, as its name writes it
    assert 0 <= row["probability"] <= 1 and row["p05"] <= row["median"] <= row["p95"]
    assert st["levers"]["eaf_share"]["levels"][""] == pytest.approx([0.2 / 6, 0.2, 0.25])
    for acc in ("scope1", "scope1+2"):
        fan = r["fan"][acc]
        assert len(fan["scenario"]["median"]) == len(r["years"]) == len(fan["reference"]["p05"])
    assert abs(sum(r["peak"]["scenario"]["distribution"]) - 1) < 1e-9
    w = np.array(r["wedges"]["values"], dtype=float)
    assert np.allclose(w.sum(axis=0), r["wedges"]["total"])
    # the costs view (issue #26 item 12): items of sim.model.costs, bands of the total, both
    # present values as the report prints them
    c = r["costs"]
    assert c["scenario"]["items"] == list(COST_ITEMS)
    assert np.array(c["scenario"]["item_median"], dtype=float).shape == (len(COST_ITEMS), len(r["years"]))
    tot = c["scenario"]["total"]
    assert all(lo <= m <= hi for lo, m, hi in zip(tot["p05"], tot["median"], tot["p95"]))
    assert c["scenario"]["window"] == "2025-2035" and c["reference"]["pv"]
    change = c["scenario"]["pv_median"] - c["reference"]["pv_median"]
    assert c["pv_change"] == money(change)


def test_a_lever_change_reruns_and_moves_the_result(app):
    c = client(app)
    before = c.get("/api/state").json()
    after = edit(c, "eaf_share", 2030, 0.6).json()
    assert after["status"] == "ok" and after["generation"] > before["generation"]
    assert after["levers"]["eaf_share"]["levels"][""][1] == 0.6
    assert (after["result"]["eaf"]["bands"]["median"][-5] > before["result"]["eaf"]["bands"]["median"][-5])
    reset = c.post("/api/change", json={"reset": True}).json()
    assert reset["edits"] == [] and probabilities(reset) == probabilities(before)


def _file_message(tmp_path: Path, doc: dict) -> str:
    """What `sim validate` says of the same document written as a scenario file."""
    import tomli_w

    folder = tmp_path / "scn"
    shutil.copytree(shipped.SHIPPED_DIR / "targets", folder / "targets")
    path = folder / "anhui.toml"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["validate", str(path)])
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"Error: {path}: ")
    return line[len(f"Error: {path}: "):]


@pytest.mark.parametrize("value, message", [
    (1.4, "levers.eaf_share.2030 = 1.4 is outside [0, 1]"),
    ("lots", 'levers.eaf_share.2030 = "lots" must be a number'),
])
def test_out_of_range_gets_the_scenario_file_message_and_nothing_runs(app, tmp_path, monkeypatch,
                                                                      value, message):
    c = client(app)
    before = c.get("/api/state").json()
    calls = []
    real = model.run_chunk
    monkeypatch.setattr(model, "run_chunk", lambda *a, **k: calls.append(1) or real(*a, **k))
    r = edit(c, "eaf_share", 2030, value)
    assert r.status_code == 400
    got = r.json()["message"]
    assert got == f"anhui.toml: {message}" and "\n" not in got
    assert calls == []  # nothing ran
    s = app.state.sessions.get(c.cookies.get(web.SESSION_COOKIE))
    doc = session.document(s.source, session.OWN, {("eaf_share", "", 2030): value}, MEMBERS)
    assert _file_message(tmp_path, doc) == message  # the same words as for a scenario file
    assert c.get("/api/state").json()["edits"] == before["edits"] == []  # state unchanged


def test_route_floor_sum_is_checked_as_in_files(app):
    c = client(app)
    r = c.post("/api/change", json={"edits": [
        dict(lever="h2_dri_share", sector="", year=2035, value=0.9)]})
    assert r.status_code == 400
    assert "route floors of one sector must sum to <= 1" in r.json()["message"]


def test_bad_requests_are_one_line_errors(app):
    c = client(app)
    for body in ({"edits": [dict(lever="nope", year=2030, value=1)]},
                 {"edits": [dict(lever="eaf_share", year=2031, value=0.1)]},
                 {"edits": [dict(lever="scrap_market", sector="iron_steel", year=2030, value=1)]},
                 {"province": "Atlantis"}, {"whatever": 1}):
        r = c.post("/api/change", json=body)
        assert r.status_code == 400 and "\n" not in r.json()["message"], body
    assert c.post("/api/change", content=b"{not json").status_code == 400
    assert TestClient(app).get("/api/state").status_code == 401  # no session cookie


def test_two_sessions_do_not_see_each_other(app):
    a, b = client(app), client(app)
    pa0, pb0 = probabilities(a.get("/api/state").json()), probabilities(b.get("/api/state").json())
    assert pa0 == pb0
    ea = edit(a, "eaf_share", 2030, 0.05).json()
    assert probabilities(ea) != pa0
    sb = b.get("/api/state").json()
    assert sb["edits"] == [] and probabilities(sb) == pb0
    eb = edit(b, "green_power", 2030, 0.9).json()
    sa = a.get("/api/state").json()
    assert [e["lever"] for e in sa["edits"]] == ["eaf_share"]
    assert [e["lever"] for e in eb["edits"]] == ["green_power"]
    assert probabilities(sa) == probabilities(ea)


def test_a_run_in_progress_is_superseded_by_a_newer_change(app, monkeypatch):
    """The 'more precise' run (chunks of PRECISE_CHUNK members) stops at its next chunk when a
    lever moves; the lever change runs and is what the session shows."""
    c = client(app)
    c.get("/api/state")
    started, release = threading.Event(), threading.Event()
    real = model.run_chunk
    chunks = []

    def slow(prep, start, stop, *a, **k):
        if prep.members == session.PRECISE_MEMBERS:
            chunks.append(start)
            started.set()
            release.wait(10)
        return real(prep, start, stop, *a, **k)

    monkeypatch.setattr(model, "run_chunk", slow)
    answers = {}
    thread = threading.Thread(target=lambda: answers.update(
        precise=c.post("/api/change", json={"precise": True})))
    thread.start()
    assert started.wait(60)
    t0 = time.perf_counter()
    newer = {}
    t2 = threading.Thread(target=lambda: newer.update(r=edit(c, "eaf_share", 2030, 0.3)))
    t2.start()
    time.sleep(0.3)
    release.set()  # the precise run's current chunk finishes, then it sees the newer change
    thread.join(60)
    t2.join(60)
    assert answers["precise"].status_code == 409
    assert answers["precise"].json()["status"] == "superseded"
    assert len(chunks) == 1 < session.PRECISE_MEMBERS // session.PRECISE_CHUNK  # not run to the end
    r = newer["r"].json()
    assert r["status"] == "ok" and r["result"]["members"] == MEMBERS
    assert time.perf_counter() - t0 < 30
    assert c.get("/api/state").json()["generation"] == r["generation"]


def test_superseded_before_it_starts_keeps_the_change_but_does_not_run(app):
    """Changes waiting for the session's run are applied in order, only the newest one runs."""
    c = client(app)
    c.get("/api/state")
    s = app.state.sessions.get(c.cookies.get(web.SESSION_COOKIE))
    old = s.next_generation()
    s.next_generation()  # a newer change has arrived
    with pytest.raises(session.Superseded):
        s.change(old, edits=[("eaf_share", "", 2025, 0.1)])
    assert s.edits == {("eaf_share", "", 2025): 0.1}  # kept: the newer change builds on it


def test_more_precise_reruns_with_more_members(app):
    c = client(app)
    c.get("/api/state")
    r = c.post("/api/change", json={"precise": True}).json()
    assert r["status"] == "ok" and r["result"]["members"] == session.PRECISE_MEMBERS
    assert r["scenario"]["members"] == session.PRECISE_MEMBERS
    assert edit(c, "eaf_share", 2030, 0.2).json()["result"]["members"] == MEMBERS


def test_province_by_chinese_name_and_the_whole_country(app):
    c = client(app)
    c.get("/api/state")
    r = c.post("/api/change", json={"province": "河北"}).json()
    assert r["status"] == "ok" and r["scenario"]["provinces"] == ["Hebei"]
    assert r["result"]["region"] == "Hebei"
    assert "industry_peak_2030_province:Hebei" in probabilities(r)
    r = c.post("/api/change", json={"province": "all"}).json()
    assert r["result"]["region"] == "national" and len(r["scenario"]["provinces"]) == 31
    assert "industry_peak_2030" in probabilities(r)
    r = c.post("/api/change", json={"province": ""}).json()
    assert r["scenario"]["provinces"] == ["Anhui"]


def test_downloaded_toml_reproduces_the_page_exactly(app, tmp_path):
    """`sim run` on the downloaded TOML (same seed, same members) gives the page's numbers."""
    c = client(app)
    c.get("/api/state")
    page = edit(c, "eaf_share", 2030, 0.27).json()
    page = c.post("/api/change", json={"edits": [
        dict(lever="efficiency_retrofit", sector="chemicals", year=2030, value=0.08)]}).json()
    r = c.get("/api/download/toml")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    folder = tmp_path / "run"
    shutil.copytree(shipped.SHIPPED_DIR / "targets", folder / "targets")
    path = folder / "anhui-edited.toml"
    path.write_bytes(r.content)
    doc = tomllib.loads(r.text)
    assert doc["scenario"]["members"] == MEMBERS and doc["levers"]["eaf_share"]["2030"] == 0.27
    assert doc["levers"]["efficiency_retrofit"]["sector"]["chemicals"]["2030"] == 0.08
    out = folder / "run.nc"
    result = CliRunner().invoke(cli.main, ["run", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    with open_results(out) as ds:
        file_p = dict(zip(ds["target"].values.tolist(), ds["target_probability"].values.tolist()))
        peak = ds["peak_year_probability"].sel(region="Anhui").values
    assert file_p == probabilities(page)  # exactly
    shown = np.array(page["result"]["peak"]["scenario"]["distribution"])
    np.testing.assert_array_equal(peak, shown)


def _without(row: dict, *keys) -> dict:
    return {k: v for k, v in row.items() if k not in keys}


@pytest.mark.parametrize("province", ["", "all"])
def test_the_page_shows_the_rows_of_sim_report_json(app, province):
    """One source of numbers: the page's target, peak-year and administrative rows (numbers and
    the strings it shows) are those `sim report --format json` gives for the shown run's file."""
    c = client(app)
    c.get("/api/state")
    if province:
        assert c.post("/api/change", json={"province": province}).status_code == 200
    page = edit(c, "eaf_share", 2030, 0.31).json()["result"]
    assert c.get("/api/download/nc").status_code == 200
    sid = c.cookies.get(web.SESSION_COOKIE)
    (path,) = (Path(app.state.sessions.out_dir) / sid).glob("*.nc")
    res = CliRunner().invoke(cli.main, ["report", "--format", "json", str(path)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [r["id"] for r in page["targets"]] == [r["id"] for r in data["targets"]]
    for shown, printed in zip(page["targets"], data["targets"]):
        assert _without(shown, "name_en", "name_zh", "description", "phrase", "accounting",
                        "reference", "wan") == printed, printed["id"]
    (peak,) = [r for r in data["peak_years"] if r["region"] == page["region"]]
    assert _without(page["peak"]["scenario"], "distribution", "peak_years", "by_year") == peak
    assert page["administrative"] == data["administrative"] != []
    assert page["peak_by"] == peak["year"]


def test_netcdf_and_iamc_downloads_are_the_shown_run(app):
    c = client(app)
    page = edit(c, "eaf_share", 2030, 0.33).json()
    r = c.get("/api/download/nc")
    assert r.status_code == 200
    path = Path(app.state.sessions.out_dir) / c.cookies.get(web.SESSION_COOKIE) / "anhui.nc"
    with open_results(path) as ds:
        assert int(ds.attrs["members"]) == MEMBERS
        got = dict(zip(ds["target"].values.tolist(), ds["target_probability"].values.tolist()))
    assert got == probabilities(page)
    csv = c.get("/api/download/iamc")
    assert csv.status_code == 200 and csv.text.startswith("model,scenario,region,variable,unit")


def test_no_request_reads_or_writes_outside_the_output_folder(app, tmp_path):
    c = client(app)
    c.get("/api/state")
    for url in ("/static/../session.py", "/static/%2e%2e/session.py", "/static/..%2fsession.py",
                "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fpyproject.toml",
                "/api/download/..%2f..%2fetc%2fpasswd", "/api/download/%2e%2e",
                "/vendor/../session.py"):
        r = c.get(url)
        assert r.status_code in (400, 404), url
        assert b"LIVE_MEMBERS" not in r.content and b"[project]" not in r.content
    assert c.get("/api/download/passwd").status_code == 404
    # an uploaded scenario cannot name catalogues outside the shipped folder
    text = (shipped.SHIPPED_DIR / "anhui.toml").read_text(encoding="utf-8")
    bad = text.replace('targets = ["targets/national.toml", "targets/anhui.toml"]',
                       'targets = ["../../../../etc/passwd"]')
    r = c.post("/api/upload", content=bad.encode(), headers={"X-Filename": "../../x.toml"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("x.toml: scenario.targets[0]")
    assert "leaves the scenario's folder" in r.json()["message"]
    # downloads land in <out>/<session id>/ only
    out = Path(app.state.sessions.out_dir).resolve()
    c.get("/api/download/nc")
    for p in out.rglob("*"):
        assert p.resolve().is_relative_to(out)
    sid = c.cookies.get(web.SESSION_COOKIE)
    assert {p.parent.name for p in out.rglob("*.nc")} >= {sid}
    # a forged session id is no session
    forged = TestClient(app, cookies={web.SESSION_COOKIE: "../../etc"})
    assert forged.get("/api/download/nc").status_code == 401


def test_upload_limits_and_bad_files(app):
    c = client(app)
    c.get("/api/state")
    big = b"# " + b"x" * session.MAX_UPLOAD_BYTES + b"\n"
    r = c.post("/api/upload", content=big, headers={"X-Filename": "big.toml"})
    assert r.status_code == 413 and "at most" in r.json()["message"]

    def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(session.MAX_UPLOAD_BYTES // 4096 + 2):
            yield b"#" * 4095 + b"\n"

    r = c.post("/api/upload", content=chunks(), headers={"X-Filename": "stream.toml"})
    assert r.status_code == 413
    r = c.post("/api/upload", content=b"[scenario\nname=1", headers={"X-Filename": "bad.toml"})
    assert r.status_code == 400 and r.json()["message"].startswith("bad.toml: malformed TOML")
    r = c.post("/api/upload", content=b"\xff\xfe", headers={"X-Filename": "bin.toml"})
    assert r.status_code == 400 and "not a text file" in r.json()["message"]
    assert c.get("/api/state").json()["scenario"]["name"] == "anhui"  # unchanged
    good = (shipped.SHIPPED_DIR / "anhui.toml").read_text(encoding="utf-8").replace(
        'name = "anhui"', 'name = "mine"')
    r = c.post("/api/upload", content=good.encode(), headers={"X-Filename": "mine.toml"})
    assert r.status_code == 200 and r.json()["scenario"]["name"] == "mine"
    assert r.json()["scenario"]["file"] == "mine.toml"


def test_page_documents_are_checked_by_the_scenario_check():
    """One code path: the page's document is TOML text parsed and checked like a file."""
    source = session.load_source(shipped.resolve("national"))
    doc = session.document(source, "Anhui", {("capacity_replacement_ratio", "iron_steel", 2030):
                                           session.page_value("inf")}, 10)
    text, sc = session.validate(doc, source)
    assert sc.provinces == ("Anhui",) and sc.members == 10
    # the overrides of provinces not simulated are gone, Anhui's stays
    assert set(doc["levers"]["capacity_replacement_ratio"]["province"]) == {"Anhui"}
    assert tomllib.loads(text)["levers"]["capacity_replacement_ratio"]["sector"]["iron_steel"]["2030"] \
        == float("inf")
    again = scenario_from_document(tomllib.loads(text), text, source.path)
    assert again.levers == sc.levers
    with pytest.raises(ScenarioError):
        session.validate(session.document(source, session.OWN, {("phase_out", "", 2030): -1}, 10), source)


def test_serve_binds_127_0_0_1_unless_told_and_says_so(monkeypatch, tmp_path):
    seen = {}

    def listen(host, port):
        seen.update(host=host, port=port)
        return socket.socket()  # closed by serve

    monkeypatch.setattr(web, "listen", listen)
    monkeypatch.setattr(web, "run", lambda app, sock: seen.update(served=True))
    monkeypatch.setattr(web, "warm_up", lambda: 0.0)
    result = CliRunner().invoke(cli.main, ["serve", "anhui", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "127.0.0.1", "port": 8050, "served": True}
    assert "http://127.0.0.1:8050/" in result.output and "only this machine" in result.output
    result = CliRunner().invoke(cli.main, ["serve", "--host", "0.0.0.0", "--port", "9000",
                                           "--out", str(tmp_path)])
    assert seen == {"host": "0.0.0.0", "port": 9000, "served": True}
    assert "other machines" in result.output
    result = CliRunner().invoke(cli.main, ["serve", "nosuch"])
    assert result.exit_code == 2 and "Error:" in result.output


def test_chinese_phrase_of_sources():
    assert payload.chinese_phrase("003: 短流程炼钢比例达到 20% 以上") == "短流程炼钢比例达到 20% 以上"
    assert payload.chinese_phrase("000: 碳排放总量实现达峰; 002: 为2030年") == "碳排放总量实现达峰"
    assert payload.chinese_phrase("MIIT (no phrase)") == ""


def test_reused_kernel_outputs_give_the_same_numbers():
    source = session.load_source(shipped.resolve("anhui"))
    prep = model.prepare(source.scenario, members=20, base=session.base_state())
    a = session.run_members(prep, "Anhui")
    b = session.run_members(prep, "Anhui")  # into the buffers of the first
    fresh = session.page_dataset(model.run_chunk(prep, 0, 20, variables=session.NEEDED), "Anhui")
    for name in ("industrial_co2", "final_energy", "target_value", "eaf_share"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
        np.testing.assert_array_equal(a[name].values, fresh[name].values)


# --- issue #26: names, units, scales, share links, comparison, the download ----------------------------
def test_every_target_is_named_by_scope_indicator_year_and_threshold_in_both_languages(app):
    """The national page: 32 peak targets, each with its province (or China), the accounting of
    its CO2 and its year; the below-peak target with its 2 % threshold."""
    c = client(app)
    c.get("/api/state")
    rows = c.post("/api/change", json={"province": "all"}).json()["result"]["targets"]
    for lang in ("en", "zh"):
        names = [r[f"name_{lang}"] for r in rows]
        assert len(set(names)) == len(names), lang  # no two targets share a name
    by_id = {r["id"]: r for r in rows}
    hebei = by_id["industry_peak_2030_province:Hebei"]
    assert hebei["name_en"] == ("Hebei: industrial CO2 (direct + process − captured) peaks by 2030")
    assert hebei["name_zh"] == "河北：工业 CO2 排放（直接 + 工艺过程 − 捕集）于 2030 年前达峰"
    china = by_id["industry_peak_2030"]
    assert china["name_en"].startswith("China: industrial CO2") and "2030" in china["name_en"]
    below = [r for r in rows if r["condition"].startswith("below") or "below its peak" in r["name_en"]]
    assert below and all("2%" in r["name_en"] and "2%" in r["name_zh"] for r in below)
    c.post("/api/change", json={"province": ""})


def test_customary_chinese_units_beside_mt_and_pj():
    assert payload.wan_text(1.0, "Mt yr-1") == "100 万吨"  # 1 Mt = 100 x 10^4 t
    # 1 PJ = 10^6 GJ / 29.3076 GJ/tce = 34 121 tce = 3.41 x 10^4 tce
    assert payload.wan_text(1.0, "PJ yr-1") == "3.41 万吨标准煤"
    assert payload.wan_text(1.0, "1") is None


def test_rate_sliders_give_most_of_their_travel_to_realistic_rates():
    """Phase-out 1-5 % a year takes more than a quarter of its slider (it sat in the first 5 %)."""
    lv = levers.LEVERS["phase_out"]
    knots = payload.slider_scale(lv)["knots"]
    pos = lambda v: float(np.interp(v, [k[1] for k in knots], [k[0] for k in knots]))  # noqa: E731
    assert pos(0.05) - pos(0.01) > 0.25
    assert knots[0][1] == lv.low and knots[-1][1] == lv.high  # every allowed value is reachable
    ratio = payload.slider_scale(levers.LEVERS["capacity_replacement_ratio"])
    assert ratio["inf"] is True


def test_the_scenario_points_before_the_first_key_year_are_shown(app):
    """eaf_share of anhui has points 2024 = 0 and 2030 = 0.2: the 2025 control shows 0.0333,
    interpolated, and says so; the points themselves are listed."""
    c = client(app)
    st = c.get("/api/state").json()
    eaf = st["levers"]["eaf_share"]
    assert eaf["points"][""] == [[2024, "0"], [2030, "0.2"], [2035, "0.25"]]
    assert eaf["at_point"][""] == [False, True, True]


def _state_of(st: dict) -> dict:
    """The page state a share link carries (url.js readAddress), from a state answer."""
    out = dict(scenario=st["scenario"]["key"], province=st["province"], edits=st["edits"],
               seed=st["seed"], reference=st["reference"])
    if st["scenario"]["members"] != MEMBERS:
        out["members"] = st["scenario"]["members"]
    return out


def test_a_share_link_state_reproduces_the_page_in_another_session(app):
    a = client(app)
    a.get("/api/state")
    a.post("/api/change", json={"province": "河北"})
    edit(a, "eaf_share", 2030, 0.33)
    edit(a, "efficiency_retrofit", 2030, 0.03, sector="chemicals")
    shown = a.post("/api/change", json={"seed": 7}).json()
    assert shown["seed"] == 7 and shown["scenario"]["seed"] == 7
    b = client(app)
    b.get("/api/state")
    again = b.post("/api/change", json={"state": _state_of(shown)}).json()
    assert again["status"] == "ok"
    assert probabilities(again) == probabilities(shown)  # exactly
    assert again["result"]["fan"] == shown["result"]["fan"]
    assert again["edits"] == shown["edits"] and again["province"] == "Hebei"
    # an upload is named by its hash, and opens in a session that never saw it
    text = (shipped.SHIPPED_DIR / "anhui.toml").read_text(encoding="utf-8").replace(
        'name = "anhui"', 'name = "mine26"')
    up = a.post("/api/upload", content=text.encode(), headers={"X-Filename": "mine26.toml"}).json()
    assert up["scenario"]["key"].startswith("upload:")
    again = b.post("/api/change", json={"state": _state_of(up)}).json()
    assert again["scenario"]["name"] == "mine26" and probabilities(again) == probabilities(up)
    bad = b.post("/api/change", json={"state": dict(scenario="upload:" + "0" * 32)})
    assert bad.status_code == 400 and "not on this server" in bad.json()["message"]


def test_comparison_with_a_pinned_state_of_ones_own(app):
    """Pin a state, change the page: the reference's P(attain) are the pinned state's own."""
    c = client(app)
    c.get("/api/state")
    pinned = edit(c, "eaf_share", 2030, 0.35).json()
    c.post("/api/change", json={"reference": dict(kind="pinned", scenario=pinned["scenario"]["key"],
                                                  edits=pinned["edits"], label="A")})
    now = edit(c, "eaf_share", 2030, 0.1).json()
    assert now["reference"]["kind"] == "pinned" and now["reference"]["label"] == "A"
    shown_then = {r["id"]: r["text"]["probability"] for r in pinned["result"]["targets"]}
    assert {r["id"]: r["reference"]["probability"] for r in now["result"]["targets"]} == shown_then
    assert now["result"]["peak"]["reference"]["distribution"] == \
        pinned["result"]["peak"]["scenario"]["distribution"]
    # another scenario against the pinned one: the pinned state runs on the provinces shown
    other = c.post("/api/scenario", json={"name": "national"}).json()
    assert other["status"] == "ok" and other["result"]["region"] == "national"
    assert other["reference"]["kind"] == "pinned"
    ref = np.array(other["result"]["fan"]["scope1"]["reference"]["median"])
    mine = np.array(other["result"]["fan"]["scope1"]["scenario"]["median"])
    anhui = np.array(pinned["result"]["fan"]["scope1"]["scenario"]["median"])
    assert (ref > 10 * anhui).all() and (abs(ref / mine - 1) < 0.5).all()  # both the country's
    c.post("/api/scenario", json={"name": "anhui"})
    base = c.post("/api/change", json={"reference": {"kind": "scenario"}}).json()
    assert base["reference"]["kind"] == "scenario"
    c.post("/api/change", json={"reset": True})
    c.post("/api/change", json={"reference": {"kind": "baseline"}})


def test_both_co2_accountings_and_the_observed_history(app):
    c = client(app)
    r = c.get("/api/state").json()["result"]
    direct = np.array(r["fan"]["scope1"]["scenario"]["median"])
    total = np.array(r["fan"]["scope1+2"]["scenario"]["median"])
    assert (total > direct).all()  # purchased electricity and heat add CO2
    card = r["co2"]
    assert card["scope1"]["text"] and card["scope1+2"]["text"] and card["scope1"]["wan"].endswith("万吨")
    obs = r["observed"]["co2"]
    assert obs["years"] == list(range(2010, 2020)) and obs["accounting"] == "scope1"
    assert all(v > 0 for v in obs["values"])
    assert r["peak"]["scenario"]["peak_years"] == r["years"][:-1]
    assert len(r["peak"]["scenario"]["by_year"]) == len(r["years"]) - 1  # not peaked: its own


def test_downloaded_zip_runs_from_a_fresh_folder_and_keeps_the_comments(app, tmp_path, monkeypatch):
    """The zip holds the edited scenario and the target catalogues it names: `sim run` in the
    unpacked folder works and gives the page's numbers; every comment of the scenario is kept."""
    c = client(app)
    c.get("/api/state")
    edit(c, "eaf_share", 2030, 0.29)
    page = edit(c, "h2_dri_share", 2035, 0.05).json()
    r = c.get("/api/download/zip")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        z.extractall(tmp_path)
    (folder,) = tmp_path.iterdir()
    path = folder / "anhui-edited.toml"
    text = path.read_text(encoding="utf-8")
    source = (shipped.SHIPPED_DIR / "anhui.toml").read_text(encoding="utf-8")
    comments = [line.split("#", 1)[1].strip() for line in source.splitlines()
                if "#" in line and not line.lstrip().startswith(("'", '"'))]
    assert comments and all(cm in text for cm in comments)
    sid = c.cookies.get(web.SESSION_COOKIE)
    assert tomllib.loads(text) == tomllib.loads(app.state.sessions.get(sid).shown.text)
    monkeypatch.chdir(folder)  # a fresh folder: nothing of the repository around it
    result = CliRunner().invoke(cli.main, ["run", path.name, "--out", "run.nc", "-q"])
    assert result.exit_code == 0, result.output
    with open_results(folder / "run.nc") as ds:
        file_p = dict(zip(ds["target"].values.tolist(), ds["target_probability"].values.tolist()))
    assert file_p == probabilities(page)
    c.post("/api/change", json={"reset": True})


@pytest.mark.parametrize("name", shipped.names())
def test_the_comment_keeping_edit_is_the_checked_document(name):
    """The download applies the page state to the scenario's own text (tomlkit, comments kept);
    it must parse to exactly the document the page checked and ran, for every shipped scenario and
    province choice (a pruned province override, a new lever table, a sector point)."""
    src = session.load_source(shipped.resolve(name))
    edits = {("eaf_share", "", 2030): 0.42, ("efficiency_retrofit", "chemicals", 2035): 0.03,
             ("capacity_replacement_ratio", "", 2025): float("inf")}
    for province in (session.OWN, session.ALL, "Hebei"):
        doc = tomlkit.parse(src.text)
        session.document(src, province, edits, 200, 7, doc=doc)
        checked = session.document(src, province, edits, 200, 7)
        assert tomllib.loads(tomlkit.dumps(doc)) == tomllib.loads(session.to_text(checked)), province


# --- background jobs (jobs.py, analyses.py) --------------------------------------------------------------
def test_job_requests_that_cannot_run_are_one_line_errors_and_start_nothing(app):
    c = client(app)
    assert c.get("/api/job").json() == {"status": "none"}
    assert c.post("/api/change", json={"reset": True}).status_code == 200
    r = c.post("/api/job", json={"kind": "sweep"})
    assert r.status_code == 400 and r.json()["message"] == \
        "unknown analysis 'sweep' (allowed: abatement, plan)"
    assert c.post("/api/change", json={"province": "all"}).status_code == 200
    r = c.post("/api/job", json={"kind": "plan"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("the plan view plans one province")
    assert c.get("/api/job").json() == {"status": "none"}
    assert TestClient(app).get("/api/job").status_code == 401  # no session cookie


def test_a_job_reports_progress_and_a_cancelled_job_keeps_no_result(app):
    c = client(app)
    assert c.post("/api/change", json={"reset": True}).status_code == 200
    first = c.post("/api/job", json={"kind": "abatement"}).json()
    assert first["status"] == "running" and first["kind"] == "abatement"
    sess = app.state.sessions.get(c.cookies.get(web.SESSION_COOKIE))
    job = sess.job
    for _ in range(600):
        if job.done >= 1:
            break
        time.sleep(0.05)
    state = c.get("/api/job").json()
    assert state["total"] == first_total(sess) and 1 <= state["done"] < state["total"]
    assert c.post("/api/job", json={"cancel": True}).json()["status"] == "cancelled"
    job.join(60)
    assert job.status == "cancelled" and job.result is None
    assert c.get("/api/job").json()["result"] is None


def first_total(sess) -> int:
    """Runs of the abatement of the session's scenario: as it is, without each lever, without all."""
    return len(sess.shown.scenario.levers) + 2


def test_a_job_result_is_stale_once_the_levers_change(app):
    c = client(app)
    assert c.post("/api/change", json={"reset": True}).status_code == 200
    c.post("/api/job", json={"kind": "abatement"})
    sess = app.state.sessions.get(c.cookies.get(web.SESSION_COOKIE))
    sess.job.join(300)
    state = c.get("/api/job").json()
    assert state["status"] == "done" and not state["stale"]
    assert state["key"] == c.get("/api/state").json()["key"]
    assert edit(c, "eaf_share", 2030, 0.4).status_code == 200
    assert c.get("/api/job").json()["stale"]


def test_a_dropped_session_cancels_its_job(app, monkeypatch):
    sessions = app.state.sessions
    c = client(app)
    assert c.post("/api/change", json={"reset": True}).status_code == 200
    c.post("/api/job", json={"kind": "abatement"})
    job = sessions.get(c.cookies.get(web.SESSION_COOKIE)).job
    monkeypatch.setattr(session, "MAX_SESSIONS", 1)
    sessions.new()
    assert job.cancelled
    job.join(60)
    assert job.result is None
