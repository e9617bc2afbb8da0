"""``sim serve``: the planner's web page (``sim.interfaces.web``)."""

from __future__ import annotations

from pathlib import Path

import click

from sim.interfaces.cli.common import OUTPUT_PATH, completer, fail, load, output_folder
from sim.interfaces.web import app as web


@click.command("serve")
@click.argument("scenario", required=False, default="anhui", shell_complete=completer())
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: 127.0.0.1 = this machine only; 0.0.0.0 = every "
                   "network interface (anyone who can reach the machine can use the page).")
@click.option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option("--out", "out_dir", type=OUTPUT_PATH, default=None,
              help="Folder of the page's downloads, one subfolder per browser session "
                   "(default: outputs/serve).")
def serve_cmd(scenario: str, host: str, port: int, out_dir: Path | None) -> None:
    """Open the planner's web page on SCENARIO (default anhui): levers, live Monte-Carlo target
    table, peak years, CO2 fan, EAF share, energy mix, wedges against the baseline; Chinese and
    English; downloads of the edited scenario, NetCDF, IAMC table and figures."""
    sc = load(scenario)
    out_dir = output_folder(out_dir or Path("outputs") / "serve")
    try:
        import plotly  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        fail(f"sim serve needs {e.name}: pip install -e . installs it")
    try:
        web.serve(sc.path, host, port, out_dir, echo=click.echo)
    except web.ServeError as e:
        fail(str(e))

