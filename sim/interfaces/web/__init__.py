"""The planner's web page of ``sim serve`` (issue #15, DESIGN §10): live Monte-Carlo on levers.

- :mod:`sim.interfaces.web.app`: the routes (Starlette), the JSON API and ``serve`` (uvicorn);
- :mod:`sim.interfaces.web.session`: a browser session's scenario, edits, runs and downloads;
- :mod:`sim.interfaces.web.payload`: what a change returns, the report's rows and strings and the
  figures' statistics, never a second computation of them;
- ``static/``: the page (HTML, vanilla JS, CSS), which formats no number and takes its words
  from ``sim/core/labels.toml``.
"""
