"""Live universal locks: ``pip-compile --universal`` gives uv's lines, and the lock installs.

A small real set whose answer forks by Python (numpy, black and pytest drop
old Pythons release by release) and by platform (colorama on Windows) is
compiled for Python >= 3.9 by puffin.py and by ``uv pip compile --universal``
side by side; the lines must be the same (name, version, and the marker as a
set of environments). The lock is then synced, hashes checked, into a
CPython 3.9 and a 3.13 virtual environment, and ``pip check`` (the pip of
the Python running the tests, pointed at each) passes in both. The wider comparison (12 of the stress corpus's sets) is
``make stress-universal``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import puffin
import support
from test_live_compile import describe, find_uv, live_env, run

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
SET = "numpy\nblack\npytest\nclick\nrequests\nrich\n"
FLOOR = "3.9"

pytestmark = pytest.mark.live


def locked_lines(text: str) -> list:
    out = []
    for line in text.splitlines():
        if line and line[0] not in "# -" and "==" in line:
            pin, _, marker = line.rstrip(" \\").partition(";")
            name, _, version = pin.strip().partition("==")
            out.append((puffin.canonicalize_name(name), version.strip(), marker.strip()))
    return sorted(out)


@pytest.fixture(scope="module")
def locks(tmp_path_factory):
    root = tmp_path_factory.mktemp("universal")
    (root / "requirements.in").write_text(SET)
    env = live_env(str(tmp_path_factory.getbasetemp()))
    common = ["requirements.in", "--universal", "--python-version", FLOOR, "--no-header", "--generate-hashes"]
    uv_run = run([find_uv(), "pip", "compile"] + common, env, str(root))
    puf_run = run([sys.executable, os.path.join(REPO_ROOT, "puffin.py"), "pip-compile"] + common
                  + ["-o", "requirements.txt"], env, str(root))
    return root, env, uv_run, puf_run


def test_universal_lock_is_uvs(locks):
    root, env, uv_run, puf_run = locks
    assert uv_run.returncode == 0, "uv itself failed:\n" + describe(uv_run)
    assert puf_run.returncode == 0, describe(puf_run)
    ours = locked_lines((root / "requirements.txt").read_text())
    theirs = locked_lines(uv_run.stdout)
    assert [(n, v) for n, v, _ in ours] == [(n, v) for n, v, _ in theirs], (ours, theirs)
    universe = puffin.MarkerSet.python(">=", FLOOR)
    for (name, version, a), (_, _, b) in zip(ours, theirs):
        same = (puffin.MarkerSet.of(a or None) & universe).equivalent(puffin.MarkerSet.of(b or None) & universe)
        assert same, (name, version, a, b)
    assert len({n for n, _, _ in ours}) < len(ours), "the set is expected to fork"


@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_universal_lock_installs_and_pip_check_passes(locks, tmp_path, venv_factory, version):
    root, env, _, puf_run = locks
    assert puf_run.returncode == 0, describe(puf_run)
    venv = venv_factory(version)
    synced = run([venv.python, os.path.join(REPO_ROOT, "puffin.py"), "pip-sync", str(root / "requirements.txt")],
                 env, str(tmp_path))
    assert synced.returncode == 0, describe(synced)
    # the venv has no pip: the pip of the Python running the tests checks it (pip >= 22.3)
    check = subprocess.run([sys.executable, "-m", "pip", "--python", venv.python, "check"],
                           capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    imported = subprocess.run([venv.python, "-c", "import numpy, black, pytest, rich, requests"],
                              capture_output=True, text=True, env=env)
    assert imported.returncode == 0, imported.stderr
