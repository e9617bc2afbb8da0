"""Plan files (``sim plan --plan FILE``, sim.scenario.plan): the shipped example is the worked
example of docs/plan.md; a plan file gives the same problem as the options; every bad key or value
is one line naming the file, the key, the value and what is allowed, exit 2, no traceback, nothing
written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.analysis import plan
from sim.interfaces.cli import main
from sim.scenario import ScenarioError
from sim.scenario.plan import load_plan

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "scenarios" / "plans" / "anhui.toml"
DOC = REPO / "docs" / "plan.md"

GOOD = """[plan]
name = "p"
scenario = "{scenario}"
targets = ["anhui_eaf_share_2030"]
confidence = 0.7
members = 30
verify_members = 40
max_evaluations = 8

[levers.eaf]
lever = "eaf_share"
year = 2030
low = 0.1
high = 0.5

[levers.scrap]
lever = "scrap_collection"
year = 2030
low = 1.0
high = 1.6
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text.replace("{scenario}", (REPO / "scenarios" / "anhui.toml").as_posix()),
                    encoding="utf-8")
    return path


def test_the_shipped_plan_is_the_worked_example_of_the_docs():
    pf = load_plan(SHIPPED)
    assert pf.scenario.name == "anhui" and pf.confidence == 0.9 and pf.members == 500
    assert pf.verify_members == 1000 and pf.max_evaluations == 300 and not pf.front
    labels = [plan.lever_point(p).label + f"={p.low:g}..{p.high:g}" for p in pf.points]
    # the command of the docs' worked example, option by option
    command = DOC.read_text(encoding="utf-8").split("## Worked example", 1)[1].split("```text")[0]
    assert labels == re.findall(r"--levers (\S+)", command)
    assert list(pf.targets) == re.findall(r"--target (\S+)", command)
    assert "--plan anhui" in command


def test_a_plan_file_gives_the_problem_of_the_options(tmp_path):
    pf = load_plan(write(tmp_path, GOOD))
    from_file = plan.problem(pf.scenario, pf.points, pf.targets, pf.confidence, pf.members,
                             pf.seed, pf.margin)
    from_options = plan.problem(pf.scenario, ["eaf_share:2030=0.1..0.5",
                                              "scrap_collection:2030=1..1.6"],
                                ["anhui_eaf_share_2030"], 0.7, 30)
    # the same digest: the same journal, the same search, the same numbers
    assert from_file.digest() == from_options.digest()
    assert [p.label for p in from_file.points] == ["eaf_share:2030", "scrap_collection:2030"]


def test_cli_plan_file_with_an_override_runs_and_names_the_output_after_the_plan(tmp_path,
                                                                                 monkeypatch):
    path = write(tmp_path, GOOD)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["plan", "--plan", str(path), "--max-evaluations", "5",
                                    "--no-plot", "-q"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "outputs" / "p" / "p_plan.nc"
    assert out.is_file() and (tmp_path / "outputs" / "p" / "p_plan" / "anhui_plan.toml").is_file()
    assert "5 packages on 30 members" in res.stdout  # the option overrides the file's 8
    assert "fresh ensemble" in res.stdout and "40 (" in res.stdout  # verify_members of the file


def _set(key: str, value: str):
    """The good file with ``key = value`` set in [plan] (replacing or adding it)."""
    def edit(text: str) -> str:
        if re.search(rf"^{key} = .*$", text, flags=re.M):
            return re.sub(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
        return text.replace("[plan]\n", f"[plan]\n{key} = {value}\n", 1)
    return edit


def _lever(key: str, value: str | None):
    """The good file with ``key`` of [levers.eaf] set to ``value`` (None: removed)."""
    def edit(text: str) -> str:
        head, tail = text.split("[levers.eaf]\n", 1)
        table, rest = tail.split("\n\n", 1)
        lines = [line for line in table.splitlines() if not line.startswith(f"{key} =")]
        if value is not None:
            lines.append(f"{key} = {value}")
        return head + "[levers.eaf]\n" + "\n".join(lines) + "\n\n" + rest
    return edit


def _drop(key: str):
    return lambda text: re.sub(rf"^{key} = .*\n", "", text, count=1, flags=re.M)


# (edit of the good file, key named, what the message says)
BAD = [
    (lambda t: t + "\n[other]\n", "other", "unknown table"),
    (_set("budget", "3"), "plan.budget", "unknown key"),
    (_drop("name"), "plan.name", "missing (required)"),
    (_set("name", '"../x"'), "plan.name", "cannot be used as a file name"),
    (_drop("scenario"), "plan.scenario", "missing (required)"),
    (_set("scenario", '"nowhere.toml"'), 'plan.scenario = "nowhere.toml"', "no such file"),
    (_set("scenario", "3"), "plan.scenario = 3", "must be a string"),
    (_set("description", "3"), "plan.description = 3", "must be a string"),
    (_set("targets", '"anhui_eaf_share_2030"'), "plan.targets", "must be a list of target ids"),
    (_set("targets", '["anhui_eaf_share"]'), 'plan.targets[0] = "anhui_eaf_share"',
     "did you mean 'anhui_eaf_share_2030'"),
    (_set("confidence", "1.0"), "plan.confidence = 1", "must be below 1"),
    (_set("confidence", "0"), "plan.confidence = 0", "is outside (0, 1]"),
    (_set("confidence", '"high"'), 'plan.confidence = "high"', "must be a number"),
    (_set("margin", "-0.1"), "plan.margin = -0.1", "is outside [0, 0.3]"),
    (_set("margin", "0.31"), "plan.margin = 0.31", "is outside [0, 0.3]"),
    (_set("members", "1"), "plan.members = 1", "at least 2"),
    (_set("members", "2.5"), "plan.members = 2.5", "must be an integer"),
    (_set("verify_members", "0"), "plan.verify_members = 0", "is outside [1,"),
    (_set("seed", "-1"), "plan.seed = -1", "is outside [0,"),
    (_set("max_evaluations", "0"), "plan.max_evaluations = 0", "is outside [1, inf]"),
    (_set("front", '"yes"'), 'plan.front = "yes"', "must be true or false"),
    (_set("screen_members", "30"), "plan.screen_members = 30", "is outside [2, 29]"),
    (lambda t: _set("front", "true")(_set("screen_members", "10")(t)),
     "plan.screen_members = 10", "not of the front"),
    (_set("screen_evaluations", "10"), "plan.screen_evaluations = 10",
     "is set but screen_members is not"),
    (lambda t: t.split("[levers.eaf]")[0], "levers", "no lever points"),
    (_lever("lever", '"eaf_shar"'), 'levers.eaf.lever = "eaf_shar"', "did you mean 'eaf_share'"),
    (_lever("lever", None), "levers.eaf.lever", "missing (required)"),
    (_lever("year", "2070"), "levers.eaf.year = 2070", "is outside [2019, 2035]"),
    (_lever("year", None), "levers.eaf.year", "missing (required)"),
    (_lever("low", None), "levers.eaf.low", "missing (required)"),
    (_lever("high", "1.5"), "levers.eaf.high = 1.5", "is outside [0.1, 1]"),
    (_lever("high", "0.1"), "levers.eaf.high = 0.1", "must be above low"),
    (_lever("values", "[0.1, 0.2]"), "levers.eaf.values", "unknown key"),
    (_lever("sector", '"chemicals"'), 'levers.eaf.sector = "chemicals"',
     "is not a sector lever eaf_share applies to"),
    (_lever("sector", '"steel"'), 'levers.eaf.sector = "steel"', "is an unknown sector"),
    (_lever("province", '"Hebei"'), 'levers.eaf.province = "Hebei"',
     "is not simulated by the scenario"),
    (lambda t: t + '\n[levers.again]\nlever = "eaf_share"\nyear = 2030\nlow = 0.2\nhigh = 0.3\n',
     "levers.again", "sets the same lever point as levers.eaf"),
    (lambda t: t.replace("[plan]", "[plan", 1), "", "malformed TOML"),
]


@pytest.mark.parametrize("edit, key, message", BAD, ids=[f"{i}:{b[1]}" for i, b in enumerate(BAD)])
def test_bad_plan_file_is_one_line_naming_file_key_value_exit_2(tmp_path, edit, key, message):
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(ScenarioError) as e:
        load_plan(path)
    text = str(e.value)
    assert text.startswith(f"{path}: {key}"), text
    assert message in text, text
    out = tmp_path / "out" / "p.nc"
    res = CliRunner().invoke(main, ["plan", "--plan", str(path), "--out", str(out)])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert lines == [f"Error: {' '.join(text.split())}"], res.stderr
    assert "Traceback" not in res.output and res.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, message", [
    (["anhui"], "SCENARIO given with --plan"),
    (["--levers", "eaf_share:2030=0..0.2"], "--levers given with --plan"),
    (["--target", "anhui_eaf_share_2030"], "--target given with --plan"),
])
def test_plan_file_with_scenario_levers_or_targets_is_refused(tmp_path, args, message):
    path = write(tmp_path, GOOD)
    res = CliRunner().invoke(main, ["plan", "--plan", str(path), *args])
    assert res.exit_code == 2 and message in res.stderr and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1


def test_missing_plan_file_and_missing_scenario_are_one_line(tmp_path):
    res = CliRunner().invoke(main, ["plan", "--plan", str(tmp_path / "none.toml")])
    assert res.exit_code == 2 and "none.toml: no such file" in res.stderr
    res = CliRunner().invoke(main, ["plan", "--levers", "eaf_share:2030=0..0.2"])
    assert res.exit_code == 2 and "no SCENARIO" in res.stderr
    assert "Traceback" not in res.output
