"""The ASGI app of ``sim serve`` (Starlette, served by uvicorn): the page, its static files
(``static/``: HTML, vanilla JS, CSS; plotly.js from the installed ``plotly`` package, nothing from
a CDN) and the JSON API. The server answers every change with what
:mod:`sim.interfaces.web.payload` makes of the run (the report's rows and strings, the figures'
statistics); the browser draws.

Safety: the server binds 127.0.0.1 unless ``--host``; uploads are parsed (TOML), never executed,
and limited to :data:`~sim.interfaces.web.session.MAX_UPLOAD_BYTES`; an uploaded scenario's
catalogues are looked up in the shipped scenarios' folder only (the scenario check refuses paths
leaving it); downloads are chosen by a fixed kind, never by a path, and are written only to
``<out>/<session id>/``. A request the page cannot serve (not JSON, a value of the wrong type, an
unknown lever, an out-of-range value) is answered with HTTP 400 and one line; a client that goes
away while sending leaves no traceback in the log.
"""

from __future__ import annotations

import errno
import json
import socket
from pathlib import Path
from urllib.parse import unquote

from sim.analysis.plan import VERIFY_FACTOR
from sim.core import axes, labels, shipped
from sim.core.levers import LEVERS
from sim.interfaces.web import analyses
from sim.interfaces.web.payload import (
    ACCOUNTINGS,
    KEY_YEARS,
    SLIDER_STEPS,
    WAN_UNITS,
    clean,
    editable_sectors,
    skill,
    slider_scale,
)
from sim.interfaces.web.session import (
    ALL,
    LIVE_MEMBERS,
    MAX_UPLOAD_BYTES,
    OWN,
    PRECISE_MEMBERS,
    REFERENCES,
    PageError,
    Reference,
    Session,
    Sessions,
    Superseded,
    TooLarge,
    page_value,
    upload_source,
    warm_up,
)
from sim.plots.common import CARRIER_COLOURS
from sim.scenario import ScenarioError, printable
from sim.scenario.errors import format_number

SESSION_COOKIE = "sim_session"
STATIC = Path(__file__).resolve().parent / "static"
MAX_REQUEST_BYTES = 64 << 10
"""[bytes] Largest JSON request (a change of every lever at every key year is < 8 KB)."""
PAGE_LABELS = ("sector", "carrier", "route", "region", "lever", "unit", "wedge", "view", "page",
               "accounting", "cost_item", "pollutant")
"""The kinds of ``sim.core.labels`` the page shows."""
NO_SESSION = "no session (cookies off, or the server restarted): reload the page"


class ServeError(Exception):
    """The server cannot start (one line, said before anything else)."""


def meta() -> dict:
    """Everything the page needs to build its controls: the lever registry (bounds also as the
    scenario check writes them), provinces, shipped scenarios, key years, the labels of
    :data:`PAGE_LABELS` in both languages (``sim.core.labels``) and the figures' carrier colours."""
    return clean(dict(
        scenarios=[n for n in shipped.names() if (shipped.SHIPPED_DIR / f"{n}.toml").is_file()
                   or Path("scenarios", f"{n}.toml").is_file()],
        provinces=[dict(name=p, zh=labels.label("region", p, "zh"), iso=axes.PROVINCE_ISO[p])
                   for p in axes.PROVINCES],
        key_years=KEY_YEARS, live_members=LIVE_MEMBERS, precise_members=PRECISE_MEMBERS,
        max_upload_bytes=MAX_UPLOAD_BYTES, accountings=list(ACCOUNTINGS), references=REFERENCES,
        slider_steps=SLIDER_STEPS,
        levers=[dict(name=lv.name, unit=lv.unit, default=lv.default, low=lv.low, high=lv.high,
                     text={k: format_number(getattr(lv, k)) for k in ("default", "low", "high")},
                     description=lv.description, sectors=editable_sectors(lv),
                     slider=slider_scale(lv))
                for lv in LEVERS.values()],
        labels={kind: labels.table(kind) for kind in PAGE_LABELS},
        carrier_colours=CARRIER_COLOURS,
        skill=skill(),
        wan={units: factor for units, (factor, _) in WAN_UNITS.items()},
        plan=dict(levers=list(analyses.PLAN_LEVERS), members=analyses.PLAN_MEMBERS,
                  evaluations=analyses.PLAN_EVALUATIONS, confidence=analyses.PLAN_CONFIDENCE,
                  verify_members=analyses.PLAN_MEMBERS * VERIFY_FACTOR),
    ))


def plotly_js() -> Path:
    """plotly.min.js of the installed ``plotly`` package (served locally, never from a CDN)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def create_app(initial: Path | None = None, out_dir: Path | str = Path("outputs") / "serve",
               live_members: int = LIVE_MEMBERS):
    """The Starlette app of ``sim serve``: the page, its static files and the JSON API."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    sessions = Sessions(initial or shipped.resolve("anhui"), Path(out_dir), live_members)

    def error(message: str, status: int = 400, code: str = "request") -> JSONResponse:
        # ``code`` says what kind of failure it is, so the page can say it in its language
        # (labels.toml [page] err_<code>) before the one-line message itself
        return JSONResponse({"status": "error", "code": code,
                             "message": " ".join(str(message).split())}, status_code=status)

    def refused(e: Exception, code: str = "request") -> JSONResponse:
        """HTTP 400 (413 when too large) for what the page cannot serve, with its code."""
        if isinstance(e, TooLarge):
            return error(str(e), 413, "too_large")
        return error(str(e), 400, "scenario" if isinstance(e, ScenarioError) else code)

    def session_of(request: Request) -> Session | None:
        return sessions.get(request.cookies.get(SESSION_COOKIE))

    async def index(request: Request) -> Response:
        response = FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")
        if session_of(request) is None:
            response.set_cookie(SESSION_COOKIE, sessions.new().id, httponly=True, samesite="strict")
        response.headers["Cache-Control"] = "no-store"
        return response

    async def vendor_plotly(request: Request) -> Response:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    async def api_meta(request: Request) -> Response:
        return JSONResponse(dict(meta(), live_members=sessions.live_members))  # this server's

    async def run_change(request: Request, code: str = "request", **change) -> Response:
        s = session_of(request)
        if s is None:
            return error(NO_SESSION, 401, "session")
        generation = s.next_generation()
        try:
            state = await run_in_threadpool(s.change, generation, **change)
        except (ScenarioError, PageError) as e:
            return refused(e, code)
        except Superseded:
            return JSONResponse({"status": "superseded", "generation": generation}, status_code=409)
        return JSONResponse(state)

    async def body_json(request: Request) -> dict:
        raw = await read_limited(request, MAX_REQUEST_BYTES)
        try:
            data = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            raise PageError("request is not JSON") from None
        if not isinstance(data, dict):
            raise PageError("request is not a JSON object")
        return data

    async def api_state(request: Request) -> Response:
        s = session_of(request)
        if s is None:
            return error(NO_SESSION, 401, "session")
        if s.shown is None:
            return await run_change(request, reset=True)
        return JSONResponse(s.state())

    async def api_change(request: Request) -> Response:
        try:
            change = parse_change(await body_json(request), sessions.live_members)
            for key in ("source", "reference"):  # names of scenarios -> the scenarios
                if key in change:
                    change[key] = await run_in_threadpool(resolve_names, sessions, key, change[key])
        except (PageError, ScenarioError) as e:
            return refused(e)
        return await run_change(request, **change)

    async def api_scenario(request: Request) -> Response:
        try:
            data = await body_json(request)
            name = data.get("name")
            if not isinstance(name, str) or name not in meta()["scenarios"]:
                raise PageError(f"unknown scenario {printable(name)!r}")
            source = await run_in_threadpool(sessions.source, name)
        except (PageError, ScenarioError) as e:
            return refused(e)
        return await run_change(request, source=source)

    async def api_upload(request: Request) -> Response:
        filename = unquote(request.headers.get("x-filename", "upload.toml"))
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = 0
        if length > MAX_UPLOAD_BYTES:
            return error(f"{printable(Path(filename).name)}: is {length:,} bytes (allowed: at most "
                         f"{MAX_UPLOAD_BYTES:,} for an uploaded scenario)", 413, "too_large")
        try:
            data = await read_limited(request, MAX_UPLOAD_BYTES, filename)
            source = await run_in_threadpool(upload_source, data, filename)
            await run_in_threadpool(sessions.keep_upload, source, data)
        except (PageError, ScenarioError) as e:
            return refused(e, "upload")
        except OSError as e:
            return error(f"cannot keep the upload: {e}", 500, "server")
        return await run_change(request, source=source)

    async def api_download(request: Request) -> Response:
        s = session_of(request)
        if s is None or s.shown is None:
            return error("nothing to download yet: reload the page", 401, "session")
        kind = request.path_params["kind"]
        if kind == "toml":
            return Response(s.download_text(), media_type="application/toml; charset=utf-8",
                            headers={"Content-Disposition":
                                     f'attachment; filename="{s.download_name()}.toml"'})
        writers = {"zip": s.download_zip, "nc": s.write_netcdf, "iamc": s.write_iamc,
                   "figures": s.write_figures}
        if kind not in writers:
            return error(f"unknown download {printable(kind)!r} (allowed: toml, zip, nc, iamc, "
                         "figures)", 404)
        try:
            path = await run_in_threadpool(writers[kind])
        except (OSError, ValueError) as e:
            return error(f"cannot write the {kind} download: {e}", 500, "server")
        return FileResponse(path, filename=path.name)

    async def api_job(request: Request) -> Response:
        s = session_of(request)
        if s is None:
            return error(NO_SESSION, 401, "session")
        if request.method == "GET":
            return JSONResponse(s.job_state())
        try:
            data = await body_json(request)
            if data.get("cancel") is True:
                if s.job is not None:
                    s.job.cancel()
            else:
                await run_in_threadpool(s.start_job, data.get("kind"))
        except PageError as e:
            return refused(e)
        return JSONResponse(s.job_state())

    async def gone(request: Request, exc: ClientDisconnect) -> Response:
        # the client closed the connection while sending its request: nobody reads an answer,
        # and it is no server error (no traceback in the log)
        return Response(status_code=400)

    routes = [
        Route("/", index),
        Route("/vendor/plotly.min.js", vendor_plotly),
        Route("/api/meta", api_meta),
        Route("/api/state", api_state),
        Route("/api/change", api_change, methods=["POST"]),
        Route("/api/scenario", api_scenario, methods=["POST"]),
        Route("/api/upload", api_upload, methods=["POST"]),
        Route("/api/download/{kind}", api_download),
        Route("/api/job", api_job, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={ClientDisconnect: gone})
    app.state.sessions = sessions
    return app


async def read_limited(request, limit: int, filename: str = "request") -> bytes:
    """The request body, refused beyond ``limit`` bytes (whatever Content-Length says)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{printable(Path(filename).name)}: is more than {limit:,} bytes "
                           f"(allowed: at most {limit:,})")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_change(data: dict, live_members: int = LIVE_MEMBERS) -> dict:
    """The keyword arguments of :meth:`Session.change` from a page request: one of ``reset``,
    ``province`` (``""`` = the scenario's, ``"all"``, or a province in any spelling),
    ``edits`` [{lever, sector, year, value}, ...], ``precise``, ``seed`` (an integer),
    ``reference`` (:func:`parse_reference`) or ``state``: a whole page state (a share link:
    {scenario, province, edits, members, seed, reference}, each but scenario optional). Names
    must be JSON strings and a value a number or a string (``"inf"``, or text the scenario check
    names); anything else is a :class:`PageError`. Scenarios are returned by name (``source``;
    :func:`resolve_names` looks them up)."""
    if data.get("reset") is True:
        return dict(reset=True)
    if data.get("precise") is True:
        return dict(members=PRECISE_MEMBERS)
    if "state" in data:
        return parse_state(data["state"], live_members)
    if "province" in data:
        return dict(province=parse_province(data["province"]))
    if "seed" in data:
        return dict(seed=parse_seed(data["seed"]))
    if "reference" in data:
        return dict(reference=parse_reference(data["reference"]))
    if isinstance(data.get("edits"), list) and data["edits"]:
        return dict(edits=[parse_edit(e) for e in data["edits"]])
    raise PageError("unknown change (allowed: reset, precise, province, edits, seed, reference, "
                    "state)")


def parse_province(p) -> str:
    """A province choice: ``""`` (the scenario's), ``"all"`` or a province in any spelling."""
    if p in (OWN, ALL):
        return p
    try:
        return axes.resolve_province(p)
    except axes.UnknownProvince as e:
        raise PageError(str(e)) from None


def parse_seed(seed) -> int | None:
    """A seed of the page: an integer (the scenario check bounds it) or None (the scenario's)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise PageError(f"seed {json_text(seed)} must be a whole number")
    return seed


def parse_edits(edits) -> list[tuple]:
    """A list of edits {lever, sector, year, value} (at most one per lever, sector and key year)."""
    if not isinstance(edits, list):
        raise PageError("edits must be a list of {lever, sector, year, value}")
    if len(edits) > len(LEVERS) * 10 * len(KEY_YEARS):
        raise PageError(f"{len(edits)} edits (allowed: one per lever, sector and key year)")
    return [parse_edit(e) for e in edits]


def parse_reference(ref) -> dict:
    """What the page compares with: {kind: "baseline" | "scenario"} or {kind: "pinned",
    scenario, edits, label} (a page state the user pinned; ``label`` at most 40 characters)."""
    if not isinstance(ref, dict) or ref.get("kind") not in REFERENCES:
        raise PageError(f"reference {json_text(ref)} (allowed: kind one of {', '.join(REFERENCES)})")
    if ref["kind"] != "pinned":
        return dict(kind=ref["kind"])
    label = ref.get("label", "")
    if not isinstance(label, str) or len(label) > 40:
        raise PageError("a pinned reference's label is text of at most 40 characters")
    return dict(kind="pinned", scenario=ref.get("scenario"), edits=parse_edits(ref.get("edits", [])),
                label=printable(label))


def parse_state(state, live_members: int = LIVE_MEMBERS) -> dict:
    """A whole page state (a share link) as the arguments of :meth:`Session.change`: ``members``
    is the server's live or precise member count."""
    if not isinstance(state, dict):
        raise PageError("a page state is {scenario, province, edits, members, seed, reference}")
    members = state.get("members")
    if members is not None and (isinstance(members, bool)
                                or members not in (live_members, PRECISE_MEMBERS)):
        raise PageError(f"members {json_text(members)} (allowed: {live_members} or "
                        f"{PRECISE_MEMBERS})")
    out = dict(replace=True, source=state.get("scenario"),
               province=parse_province(state.get("province", OWN)),
               edits=parse_edits(state.get("edits", [])), seed=parse_seed(state.get("seed")))
    if members == PRECISE_MEMBERS:
        out["members"] = PRECISE_MEMBERS
    if "reference" in state:
        out["reference"] = parse_reference(state["reference"])
    return out


def resolve_names(sessions: Sessions, key: str, value):
    """The scenarios a parsed change names (``source``: a scenario key; ``reference``: a parsed
    reference) as :class:`~sim.interfaces.web.session.Source` and
    :class:`~sim.interfaces.web.session.Reference`."""
    if key == "source":
        return sessions.source(value)
    if value["kind"] != "pinned":
        return Reference(value["kind"])
    edits = {(lever, sector, int(year)): page_value(v) for lever, sector, year, v in value["edits"]}
    return Reference("pinned", sessions.source(value["scenario"]), tuple(edits.items()),
                     value["label"])


def parse_edit(e) -> tuple:
    """(lever, sector, year, value) of one edit {lever, sector, year, value} of the page."""
    if not isinstance(e, dict):
        raise PageError("an edit is {lever, sector, year, value}")
    lever, sector, year, value = e.get("lever"), e.get("sector") or "", e.get("year"), e.get("value")
    if not isinstance(lever, str) or lever not in LEVERS:
        raise PageError(f"unknown lever {json_text(lever)} (allowed: a lever name)")
    if not isinstance(sector, str) or (sector and sector not in editable_sectors(LEVERS[lever])):
        raise PageError(f"lever {lever} cannot be set per sector {json_text(sector)}")
    if isinstance(year, bool) or year not in KEY_YEARS:
        raise PageError(f"year {json_text(year)} is not a key year "
                        f"({', '.join(map(str, KEY_YEARS))})")
    if value is None or isinstance(value, bool):
        raise PageError(f"levers.{lever}.{year} = {json_text(value)} must be a number")
    return lever, sector, year, value


def json_text(x) -> str:
    """``x`` as the page sent it (JSON), shortened to one printable line."""
    try:
        text = json.dumps(x, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(x)
    return printable(text)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` for uvicorn, or :class:`ServeError` with one line
    (a port in use, an address this machine does not have, a port it may not open)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (OSError, UnicodeError) as e:
        raise ServeError(f"cannot listen on {host}: unknown address ({e})") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: restart at once
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ServeError(f"cannot listen on {host}: port {port} is in use (another program, "
                             "perhaps another sim serve, listens there; choose another with "
                             "--port)") from None
        raise ServeError(f"cannot listen on {host} port {port}: {e.strerror or e}") from None
    sock.set_inheritable(True)
    return sock


def run(app, sock: socket.socket) -> None:
    """Serve ``app`` on the bound ``sock`` until interrupted (uvicorn)."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def serve(initial: Path, host: str = "127.0.0.1", port: int = 8050,
          out_dir: Path = Path("outputs") / "serve", echo=print) -> None:
    """Take the port, warm up, say where the page is and serve until interrupted. A port that
    cannot be taken is a :class:`ServeError`, raised before anything is said."""
    sock = listen(host, port)
    try:
        seconds = warm_up()
        app = create_app(initial, out_dir)
        app.state.sessions.new()  # loads and checks the initial scenario before listening
        where = ("only this machine can open it" if host in ("127.0.0.1", "localhost", "::1")
                 else "other machines on the network can open it")
        echo(f"sim serve: http://{'[' + host + ']' if ':' in host else host}:{port}/ (bound to "
             f"{host}: {where}; --host changes it); scenario {initial.name}, kernel and hindcast ready in "
             f"{seconds:.1f} s; downloads go to {Path(out_dir).resolve()}; Ctrl-C stops")
        run(app, sock)
    finally:
        sock.close()
