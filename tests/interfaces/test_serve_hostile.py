"""`sim serve` under hostile input (issue #21, class 6): values of the wrong JSON type as a lever
name, sector, year, value, province or scenario give HTTP 400 with one line and change nothing;
a port in use is one line and exit code 2 before the "serving" line; a client that goes away
while sending its request leaves no traceback in the server's log."""

from __future__ import annotations

import logging
import socket
import time
import warnings

import pytest
from click.testing import CliRunner

from tests.helpers.web_server import start_server

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
with warnings.catch_warnings():  # Starlette 1.x would rather use httpx2 (httpx is pinned for pyam)
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from sim.core import shipped  # noqa: E402
from sim.interfaces import cli  # noqa: E402
from sim.interfaces.web import app as web  # noqa: E402

MEMBERS = 20


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return web.create_app(shipped.resolve("anhui"), tmp_path_factory.mktemp("out"), MEMBERS)


def _edit(**fields) -> dict:
    return {"edits": [dict(dict(lever="eaf_share", sector="", year=2030, value=0.3), **fields)]}


BAD = {
    "value null": ("/api/change", _edit(value=None)),
    "value a dict": ("/api/change", _edit(value={"a": 1})),
    "value a list": ("/api/change", _edit(value=[0.1, 0.2])),
    "value true": ("/api/change", _edit(value=True)),
    "lever a dict": ("/api/change", _edit(lever={"eaf_share": 1})),
    "lever a list": ("/api/change", _edit(lever=["eaf_share"])),
    "lever null": ("/api/change", _edit(lever=None)),
    "sector a dict": ("/api/change", _edit(lever="efficiency_retrofit", sector={"a": 1})),
    "sector a list": ("/api/change", _edit(lever="efficiency_retrofit", sector=["chemicals"])),
    "year a dict": ("/api/change", _edit(year={"y": 2030})),
    "year a list": ("/api/change", _edit(year=[2030])),
    "year true": ("/api/change", _edit(year=True)),
    "edit null": ("/api/change", {"edits": [None]}),
    "edits a dict": ("/api/change", {"edits": {"lever": "eaf_share"}}),
    "province a dict": ("/api/change", {"province": {"a": 1}}),
    "province a list": ("/api/change", {"province": ["Anhui"]}),
    "province null": ("/api/change", {"province": None}),
    "reset a dict": ("/api/change", {"reset": {"a": 1}}),
    "scenario a dict": ("/api/scenario", {"name": {"a": 1}}),
    "scenario a list": ("/api/scenario", {"name": ["anhui"]}),
    "scenario null": ("/api/scenario", {"name": None}),
    # a share link's state and a comparison (issue #26): the address is anyone's to write
    "state a list": ("/api/change", {"state": ["anhui"]}),
    "state scenario a dict": ("/api/change", {"state": {"scenario": {"a": 1}}}),
    "state scenario unknown": ("/api/change", {"state": {"scenario": "../../etc/passwd"}}),
    "state upload not here": ("/api/change", {"state": {"scenario": "upload:" + "f" * 32}}),
    "state edits a string": ("/api/change", {"state": {"scenario": "anhui", "edits": "x"}}),
    "state members 7": ("/api/change", {"state": {"scenario": "anhui", "members": 7}}),
    "state members true": ("/api/change", {"state": {"scenario": "anhui", "members": True}}),
    "state seed a string": ("/api/change", {"state": {"scenario": "anhui", "seed": "7"}}),
    "state seed negative": ("/api/change", {"state": {"scenario": "anhui", "seed": -1}}),
    "seed a float": ("/api/change", {"seed": 1.5}),
    "reference a string": ("/api/change", {"reference": "baseline"}),
    "reference kind unknown": ("/api/change", {"reference": {"kind": "mine"}}),
    "reference pinned label long": ("/api/change", {"reference": {
        "kind": "pinned", "scenario": "anhui", "edits": [], "label": "x" * 41}}),
    "reference pinned bad edit": ("/api/change", {"reference": {
        "kind": "pinned", "scenario": "anhui", "edits": [{"lever": "nope", "year": 2030,
                                                          "value": 1}]}}),
    "reference pinned out of range": ("/api/change", {"reference": {
        "kind": "pinned", "scenario": "anhui", "edits": [{"lever": "eaf_share", "year": 2030,
                                                          "value": 1.5}]}}),
}


@pytest.mark.parametrize("case", list(BAD))
def test_wrong_json_types_are_400_with_one_line_and_change_nothing(app, case):
    path, body = BAD[case]
    c = TestClient(app)  # raises any server exception: a 500 would fail here
    c.get("/")
    before = c.get("/api/state").json()
    r = c.post(path, json=body)
    assert r.status_code == 400, (case, r.text)
    message = r.json()["message"]
    assert message and "\n" not in message and "Traceback" not in message, message
    after = c.get("/api/state").json()
    assert (after["edits"], after["scenario"], after["province"]) == \
        (before["edits"], before["scenario"], before["province"])


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"[" * 60000, b"{\"edits\": [{]}"],
                         ids=["a list", "a string", "nested too deep", "malformed"])
def test_requests_that_are_no_json_object_are_400(app, body):
    c = TestClient(app)
    c.get("/")
    r = c.post("/api/change", content=body)
    assert r.status_code == 400 and "\n" not in r.json()["message"]


def test_a_port_in_use_is_one_line_and_exit_code_2_before_the_serving_line(tmp_path):
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        taken.bind(("127.0.0.1", 8050))
        taken.listen()
    except OSError:  # already in use by another program: the same case
        pass
    try:
        result = CliRunner().invoke(cli.main, ["serve", "anhui", "--out", str(tmp_path)])
    finally:
        taken.close()
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "port 8050 is in use" in lines[0]
    assert "sim serve: http" not in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def server(app):
    """uvicorn on a free port, its loggers propagating to the root logger (caplog sees them)."""
    url, srv, thread = start_server(app, log_level="info", log_config=None)
    yield srv.servers[0].sockets[0].getsockname()[1]
    srv.should_exit = True
    thread.join(10)


@pytest.mark.parametrize("path", ["/api/change", "/api/scenario", "/api/upload"])
def test_a_client_that_goes_away_while_sending_leaves_no_traceback(server, caplog, path):
    caplog.set_level(logging.INFO)
    with socket.create_connection(("127.0.0.1", server)) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                     f"\r\nContent-Length: 4000\r\n\r\n".encode())
        for piece in (b'{"edits": ', b'[{"lever": '):  # slowly, then gone
            conn.sendall(piece)
            time.sleep(0.2)
    time.sleep(0.5)
    with socket.create_connection(("127.0.0.1", server)) as conn:  # the server still answers
        conn.sendall(b"GET /api/meta HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert conn.recv(64).startswith(b"HTTP/1.1 200")
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text and "ClientDisconnect" not in caplog.text
