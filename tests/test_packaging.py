"""Packaging outside the checkout (issue #14 §1): the wheel carries the scenarios and calibration
data, a plain (non-editable) install runs `sim run anhui` from any folder, Numba's cache lands in
the user's cache folder, the sdist carries kernels/SPEC.md, and no other distribution installs
our top-level names.

The wheel test builds the wheel from a copy of the source tree (pip, with build isolation unless
setuptools >= 68 and wheel are at hand), installs it with --no-deps into a fresh virtual
environment that sees this environment's dependencies (--system-site-packages), and runs the
installed `sim` from a temporary folder with PYTHONPATH unset. It skips, naming the reason, where a
wheel cannot be built (no network for the build requirements, no venv module).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from sim.core import numba_cache, shipped

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "MANIFEST.in", "constraints.txt", "sim", "kernels",
           "calibration", "scenarios")
TOP_LEVEL = ("sim", "kernels", "calibration")


def _copy_sources(dest: Path) -> Path:
    """The files a build reads, without caches or outputs (a build in place would litter)."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc", "*.pyc", "*.egg-info")
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    return dest


def _have_offline_backend() -> bool:
    try:
        import setuptools
        import wheel  # noqa: F401  (bdist_wheel of setuptools < 70.1)
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 68


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "NUMBA_CACHE_DIR", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = _copy_sources(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)]
    if _have_offline_backend():
        cmd.insert(4, "--no-build-isolation")
    t0 = time.perf_counter()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=_clean_env())
    except subprocess.TimeoutExpired:
        pytest.skip("building the wheel took over 180 s (no network for the build requirements?)")
    if res.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {res.stderr.strip().splitlines()[-1:]}")
    print(f"wheel built in {time.perf_counter() - t0:.1f} s")
    (path,) = dist.glob("*.whl")
    return path


@pytest.mark.slow  # builds the wheel
def test_wheel_carries_scenarios_calibration_and_spec(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in ("anhui.toml", "national.toml", "baseline.toml", "README.md", "targets/anhui.toml",
                "targets/national.toml", "sweeps/anhui_steel.toml"):
        assert f"sim/_scenarios/{rel}" in names, rel
    for rel in ("calibration/fitted.toml", "calibration/assumptions.toml",
                "calibration/base_2019/capacity.csv", "calibration/history/activity_2020_2024.csv",
                "kernels/SPEC.md", "sim/__main__.py", "sim/interfaces/web/static/index.html",
                "sim/interfaces/web/static/js/main.js", "sim/interfaces/web/static/style.css",
                "sim/interfaces/web/static/favicon.svg", "sim/core/labels.toml"):
        assert rel in names, rel
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == set(TOP_LEVEL), tops


@pytest.mark.slow  # builds the wheel, installs it in a new virtual environment, runs it
def test_installed_wheel_runs_from_any_folder(wheel, tmp_path):
    if importlib.util.find_spec("venv") is None:
        pytest.skip("no venv module")
    venv = tmp_path / "venv"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, timeout=60)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    env = _clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    # pip of this environment, run by the venv's interpreter, installs into the venv
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
                   check=True, timeout=120, env=env, capture_output=True)
    t_install = time.perf_counter() - t0
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([str(python), "-c", "import sim, kernels, calibration, os; "
                            "print(sim.__file__, kernels.__file__, calibration.__file__, "
                            "os.environ['NUMBA_CACHE_DIR'], sep='\\n')"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    *files, cache = where.stdout.split("\n")[:4]
    for f in files:  # the wheel's copy, not the checkout or an editable install
        assert Path(f).resolve().is_relative_to(venv.resolve()), files
    assert Path(cache) == tmp_path / "cache" / "china-industry-sim" / "numba"

    sim_exe = str(bindir / "sim")
    val = subprocess.run([sim_exe, "validate", "national"], cwd=work, env=env, capture_output=True,
                         text=True, timeout=60)
    assert val.returncode == 0, val.stderr
    assert "national.toml: valid (31 provinces" in val.stdout
    t1 = time.perf_counter()
    run = subprocess.run([sim_exe, "run", "anhui", "--members", "16"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=240)
    t_run = time.perf_counter() - t1
    assert run.returncode == 0, run.stderr
    assert (work / "outputs" / "anhui" / "anhui.nc").is_file()
    assert "anhui_eaf_share_2030" in run.stdout and "16 members" in run.stdout
    assert "\r" not in run.stderr  # piped: no carriage returns
    # `sim run anhui.toml` resolves the same shipped file (cache warm now)
    run2 = subprocess.run([sim_exe, "run", "anhui.toml", "--members", "4", "--quiet", "--out",
                           str(work / "a.nc")], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)
    assert run2.returncode == 0, run2.stderr
    # `sim serve`'s page, script and plotly.js come from the installed packages
    page = subprocess.run([str(python), "-W", "ignore", "-c",
                           "from starlette.testclient import TestClient; from sim.interfaces.web import app; "
                           "c = TestClient(app.create_app()); "
                           "print(*(c.get(u).status_code for u in ('/', '/static/js/main.js', "
                           "'/vendor/plotly.min.js', '/api/meta')))"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert page.returncode == 0 and page.stdout.split() == ["200"] * 4, page.stderr
    # Numba's cache is in the user's cache folder, nothing of it in site-packages
    assert list((tmp_path / "cache" / "china-industry-sim" / "numba").rglob("*.nbi"))
    assert not list(venv.rglob("*.nbi"))
    print(f"venv + install {t_install:.1f} s, first sim run (compiles) {t_run:.1f} s")


@pytest.mark.filterwarnings("ignore::UserWarning")  # setuptools < 68: [tool.setuptools] "beta"
def test_sdist_carries_spec_and_scenarios(tmp_path, monkeypatch):
    try:
        from setuptools import build_meta
    except ImportError:
        pytest.skip("setuptools is not installed")
    src = _copy_sources(tmp_path / "src")
    monkeypatch.chdir(src)
    name = build_meta.build_sdist(str(tmp_path / "dist"))
    with tarfile.open(tmp_path / "dist" / name) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for rel in ("kernels/SPEC.md", "scenarios/anhui.toml", "scenarios/sweeps/anhui_steel.toml",
                "constraints.txt", "calibration/fitted.toml"):
        assert rel in names, rel


def test_no_other_distribution_installs_our_top_level_names():
    """The installed names are generic (README, "Installed layout"): this fails in an environment
    where another distribution also installs `sim`, `kernels` or `calibration` (e.g. Hugging Face's
    `kernels`), which would overwrite or shadow ours."""
    owners = packages_distributions()
    for name in TOP_LEVEL:
        others = sorted(set(owners.get(name, [])) - {"china-industry-sim"})
        assert not others, f"top-level package {name!r} is also installed by {others}"


def test_sim_refuses_a_shadowing_kernels_package(tmp_path):
    shadow = tmp_path / "kernels"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    res = subprocess.run([sys.executable, "-c", "import sim"], cwd=tmp_path, capture_output=True,
                         text=True, env=_clean_env(PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}"))
    assert res.returncode != 0
    assert "another distribution or a local 'kernels' shadows it" in res.stderr


def test_numba_cache_choice(tmp_path, monkeypatch):
    # a source checkout keeps Numba's default (next to the kernel)
    assert numba_cache.choose({}, REPO / "kernels") is None
    # an installed kernel (no pyproject.toml beside it) caches in the user's cache folder
    installed = tmp_path / "site-packages" / "kernels"
    installed.mkdir(parents=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform not in ("win32", "darwin"):
        assert numba_cache.choose({}, installed) == str(tmp_path / "xdg" / "china-industry-sim"
                                                        / "numba")
    # an unwritable checkout too
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert numba_cache.choose({}, REPO / "kernels") is not None
    # the user's own setting always wins
    assert numba_cache.choose({"NUMBA_CACHE_DIR": "/x"}, installed) is None


def test_bare_names_resolve_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("anhui", "anhui.toml", "national", "baseline"):
        assert shipped.resolve(name).parent == shipped.SHIPPED_DIR
    assert shipped.resolve("anhui_steel", "sweeps") == shipped.SHIPPED_DIR / "sweeps" / \
        "anhui_steel.toml"
    # ./scenarios wins over the shipped file of the same name
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "anhui.toml").write_text("")
    assert shipped.resolve("anhui") == Path("scenarios") / "anhui.toml"
    with pytest.raises(shipped.NotFound, match="nosuch: no such scenario file"):
        shipped.resolve("nosuch")
    assert {"anhui", "national", "baseline"} <= set(shipped.names())
    assert shipped.names("sweeps") == ["anhui_steel"]
