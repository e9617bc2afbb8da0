"""Command line: ``sim run``, ``sim validate``, ``sim calibrate``, ``sim hindcast``, ``sim sweep``,
``sim sensitivity``, ``sim abatement``, ``sim report``, ``sim plot``, ``sim export``,
``sim discover``, ``sim plan``, ``sim serve``.
Thin: parse, call, print; one module per group of commands, the shared conventions in
:mod:`sim.interfaces.cli.common`.

Bad input exits with code 2 and a one-line message naming the file, the key, the value and what is
allowed; no traceback, and nothing is written.
"""

from __future__ import annotations

import click

from sim.interfaces.cli import abatement, calibrate, plan, review, run, serve, studies
from sim.interfaces.cli.common import Main


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="china-industry-sim")
def main() -> None:
    """Regional industrial decarbonisation scenario simulator for Chinese provinces."""


for _command in (run.validate, run.run, calibrate.calibrate, calibrate.hindcast, studies.sweep,
                 studies.sensitivity, review.report_cmd, review.plot_cmd, review.export_cmd,
                 review.discover_cmd, plan.plan_cmd, serve.serve_cmd, abatement.abatement_cmd):
    main.add_command(_command)
