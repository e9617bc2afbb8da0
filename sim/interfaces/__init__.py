"""The interfaces layer: the ``sim`` command line (:mod:`sim.interfaces.cli`) and the web page
of ``sim serve`` (:mod:`sim.interfaces.serve`).
"""
