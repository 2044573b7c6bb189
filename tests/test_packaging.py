"""The wheel works once installed: built from the sources, installed into a fresh venv and run from outside
the source tree, it finds its data files and gives the limit of the in-tree package (issue #16)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import numpy as np
import pytest

import kinmix_stats as km
from kinmix_stats.likelihood.limits import default_likelihood

REPO = Path(__file__).resolve().parents[1]
#: what the wheel is built from (a copy, so the checkout gets no build/ or *.egg-info)
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "src")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, f"{' '.join(map(str, args))} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}"
    return res


@pytest.mark.packaging
def test_wheel_installed_in_a_fresh_venv_finds_its_data_and_gives_the_in_tree_limit(tmp_path):
    """Build the wheel (``pip wheel --no-deps --no-build-isolation``: setuptools comes from the test extra, so
    no network), install it with ``--no-deps --force-reinstall`` into a fresh venv, and run ``kinmix scan`` from a
    directory outside the checkout.

    Why this set-up: the test venv holds the package as an *editable* install, which imports the source tree
    whatever is (not) in the wheel; a data file missing from ``package-data`` would only show for users. So the
    fresh venv must import its own copy, and that is asserted (``kinmix_stats.__file__`` lies in the fresh venv;
    the catalogue YAMLs are read from there). Its dependencies (numpy, scipy, pyhf, ...) come from the test
    venv, to stay fast and offline: a ``.pth`` file puts the test venv's site-packages on the fresh venv's path
    as a plain directory entry, after the fresh venv's own. (``venv --system-site-packages`` would give the
    *base* interpreter's site-packages, not the test venv's; and a plain entry, unlike ``site.addsitedir``, does
    not run the test venv's ``.pth`` files, so the editable install's path to ``src/`` is never added.)
    """
    src = tmp_path / "sdist"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(REPO / name, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheels),
          str(src)], tmp_path, env)
    (wheel,) = wheels.glob("kinmix_stats-*.whl")

    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    fresh_site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    (fresh_site / "test_venv_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--force-reinstall", "--no-index",
          "-q", str(wheel)], tmp_path, env)

    work = tmp_path / "elsewhere"  # outside the checkout: nothing resolves relative to the sources
    work.mkdir()
    probe = _run([str(python), "-c", (
        "import json, kinmix_stats; from importlib import resources; "
        "from kinmix_stats.likelihood.limits import default_likelihood; "
        "like = default_likelihood(); "
        "print(json.dumps({'file': kinmix_stats.__file__, 'data': str(resources.files('kinmix_stats') / 'data'), "
        "'datasets': [d.name for d in like.catalogue.datasets], 'hash': like.catalogue.catalogue_hash()}))"
    )], work, env)
    info = json.loads(probe.stdout)
    assert Path(info["file"]).is_relative_to(fresh), f"imported {info['file']}, not the fresh venv's copy"
    assert Path(info["data"]).is_relative_to(fresh) and sorted(Path(info["data"]).glob("*.yaml"))
    in_tree = default_likelihood().catalogue
    assert info["datasets"] == [d.name for d in in_tree.datasets]
    assert info["hash"] == in_tree.catalogue_hash()

    _run([str(fresh / "bin" / "kinmix"), "scan", "--masses", "50", "--width", "wide", "--no-plot", "--no-export",
          "--quiet", "--out", "tmp"], work, env)
    doc = json.loads((work / "tmp" / "limits_wide.json").read_text())
    expected = km.upper_limit(50.0, width="wide")
    np.testing.assert_allclose(doc["eps95_obs"], [float(expected.limit_observed)], rtol=1e-12)
    np.testing.assert_allclose(doc["eps95_exp"], [float(expected.limit_expected)], rtol=1e-12)
