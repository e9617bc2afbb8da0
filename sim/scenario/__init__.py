"""Scenario layer: scenario files (schema, validation, target catalogues), the resolved
:class:`Scenario`, uncertain parameters and their sampling, and sweep files.

The public names of the scenario files are re-exported here: ``load_scenario``,
``read_document``, ``scenario_from_document``, ``validate``, ``Scenario``, ``Target``,
``AdministrativeTarget``, ``ScenarioError``, ``printable``.
"""

from sim.scenario.errors import ScenarioError, printable
from sim.scenario.load import load_scenario, read_document, scenario_from_document, validate
from sim.scenario.spec import AdministrativeTarget, Scenario, Target

__all__ = ["AdministrativeTarget", "Scenario", "ScenarioError", "Target", "load_scenario",
           "printable", "read_document", "scenario_from_document", "validate"]
