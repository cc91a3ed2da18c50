"""`puffin.py pip-sync` run as users run it: make a venv match a lock exactly.

The venv's own Python runs puffin.py (or `--python` names the venv); the
wheels come from the local index server. Each test checks the exit code, the
exact summary lines, what is left in site-packages, and imports.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import support
from support import dist_infos, file_stats
from support import puffin_cli as puffin
from support import run_python as py


# ---- helpers ------------------------------------------------------------------------------

def tree(root: str) -> dict:
    """``support.file_stats`` of ``root`` without the lock file puffin.py takes there."""
    return file_stats(root, ignore=(".puffin.lock",))


def lock(tmp_path, text: str, name: str = "requirements.txt") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    """a 1.0, b 1.0/2.0, c 1.0, d 1.0, needs-x 1.0 (needs x), x 1.0, and fake seed packages."""
    with support.IndexServer() as s:
        for name, version in (("a", "1.0"), ("b", "1.0"), ("b", "2.0"), ("c", "1.0"), ("d", "1.0"),
                              ("x", "1.0"), ("pip", "24.0"), ("setuptools", "69.0"), ("wheel", "0.42.0")):
            s.add_wheel(name, version)
        s.add_wheel("needs-x", "1.0", deps=["x"])
        yield s
    assert not s.errors, "\n".join(s.errors)


def _install(venv, env, *reqs):
    code, _, err = puffin(venv.python, "pip-install", *reqs, env=env)
    assert code == 0, err


# ---- keep / install / remove / replace ----------------------------------------------------------

def test_sync_keeps_installs_replaces_and_removes_in_one_run(env, venv_factory, tmp_path):
    """a kept, b 1.0 -> 2.0, c removed, d added: one run, uv's lines, a untouched."""
    venv = venv_factory()
    _install(venv, env, "a==1.0", "b==1.0", "c==1.0")
    a_files = {k: v for k, v in tree(venv.site_packages).items() if k.startswith("a")}
    code, out, err = puffin(venv.python, "pip-sync", lock(tmp_path, "a==1.0\nb==2.0\nd==1.0\n"), env=env)
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        "Resolved 3 packages in [TIME]",
        "Prepared 2 packages in [TIME]",
        "Uninstalled 2 packages in [TIME]",
        "Installed 2 packages in [TIME]",
        " - b==1.0",
        " + b==2.0",
        " - c==1.0",
        " + d==1.0",
    ]
    assert dist_infos(venv.site_packages) == {"a": "1.0", "b": "2.0", "d": "1.0"}
    assert {k: v for k, v in tree(venv.site_packages).items() if k.startswith("a")} == a_files
    assert not os.path.exists(os.path.join(venv.site_packages, "c"))
    for name in ("b-2.0", "d-1.0"):
        dist_info = os.path.join(venv.site_packages, name + ".dist-info")
        assert os.path.isfile(os.path.join(dist_info, "REQUESTED"))
        with open(os.path.join(dist_info, "INSTALLER")) as f:
            assert f.read().strip() == "puffin"
    assert py(venv, "import a, b, d; print(b.__version__)") == "2.0"


def test_sync_into_an_empty_venv_with_the_python_option(env, venv_factory, tmp_path):
    """--python VENV from another interpreter: the lock lands in that venv."""
    venv = venv_factory()
    code, _, err = puffin(sys.executable, "pip-sync", lock(tmp_path, "a==1.0\nb==1.0\n"),
                          "--python", venv.path, env=env)
    assert code == 0
    assert err.splitlines() == [
        "Resolved 2 packages in [TIME]",
        "Prepared 2 packages in [TIME]",
        "Installed 2 packages in [TIME]",
        " + a==1.0",
        " + b==1.0",
    ]
    assert dist_infos(venv.site_packages) == {"a": "1.0", "b": "1.0"}


def test_a_second_sync_prints_only_checked_asks_no_index_and_touches_nothing(env, venv_factory, server, tmp_path):
    """No-op sync: `Checked N packages in [TIME]` and nothing else; no request; no file changed."""
    venv = venv_factory()
    path = lock(tmp_path, "a==1.0\nb==2.0\nd==1.0\n")
    assert puffin(venv.python, "pip-sync", path, env=env)[0] == 0
    before = tree(venv.path)
    server.reset_counters()
    code, out, err = puffin(venv.python, "pip-sync", path, env=env)
    assert (code, out, err) == (0, "", "Checked 3 packages in [TIME]\n")
    assert server.total_requests == 0
    assert tree(venv.path) == before


def test_dry_run_reports_the_changes_and_changes_nothing(env, venv_factory, tmp_path):
    """--dry-run: the would-be changes, and site-packages exactly as before."""
    venv = venv_factory()
    _install(venv, env, "b==1.0", "c==1.0")
    before = tree(venv.path)
    code, _, err = puffin(venv.python, "pip-sync", lock(tmp_path, "a==1.0\nb==2.0\n"), "--dry-run", env=env)
    assert code == 0
    assert err.splitlines() == [
        "Resolved 2 packages in [TIME]",
        "Would download 2 packages",
        "Would uninstall 2 packages",
        "Would install 2 packages",
        " + a==1.0",
        " - b==1.0",
        " + b==2.0",
        " - c==1.0",
    ]
    assert tree(venv.path) == before


# ---- seed packages ----------------------------------------------------------------------------------

def test_seed_packages_survive_a_sync_in_a_venv_puffin_did_not_make(env, venv_factory, tmp_path):
    """A venv made by `python -m venv`: pip (and before 3.12 setuptools and wheel) are kept."""
    venv = venv_factory()
    _install(venv, env, "pip==24.0", "setuptools==69.0", "wheel==0.42.0", "c==1.0")
    code, _, err = puffin(venv.python, "pip-sync", lock(tmp_path, "a==1.0\n"), env=env)
    assert code == 0, err
    if sys.version_info >= (3, 12):
        expected = {"a": "1.0", "pip": "24.0"}
        removed = [" - c==1.0", " - setuptools==69.0", " - wheel==0.42.0"]
    else:
        expected = {"a": "1.0", "pip": "24.0", "setuptools": "69.0", "wheel": "0.42.0"}
        removed = [" - c==1.0"]
    assert dist_infos(venv.site_packages) == expected
    assert [ln for ln in err.splitlines() if ln.startswith(" ")] == [" + a==1.0"] + removed


def test_seed_packages_are_removed_in_a_venv_made_by_puffin(env, tmp_path):
    """`puffin.py venv` marks its venvs; a sync there removes pip, setuptools and wheel too."""
    path = str(tmp_path / "made")
    code, _, err = puffin(sys.executable, "venv", path, env=env)
    assert code == 0, err
    python = os.path.join(path, "bin", "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    code, _, err = puffin(python, "pip-install", "pip==24.0", "setuptools==69.0", "wheel==0.42.0", env=env)
    assert code == 0, err
    code, _, err = puffin(python, "pip-sync", lock(tmp_path, "a==1.0\n"), env=env)
    assert code == 0, err
    assert dist_infos(site) == {"a": "1.0"}
    assert [ln for ln in err.splitlines() if ln.startswith(" ")] == [
        " + a==1.0", " - pip==24.0", " - setuptools==69.0", " - wheel==0.42.0"]


# ---- reinstall ------------------------------------------------------------------------------------

def test_reinstall_and_reinstall_package_put_the_same_versions_back(env, venv_factory, tmp_path):
    """--reinstall: every package ` ~ `; --reinstall-package b: only b."""
    venv = venv_factory()
    path = lock(tmp_path, "a==1.0\nb==2.0\n")
    assert puffin(venv.python, "pip-sync", path, env=env)[0] == 0
    code, _, err = puffin(venv.python, "pip-sync", path, "--reinstall", env=env)
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if not ln.startswith("Prepared")]
    assert lines == [
        "Resolved 2 packages in [TIME]",
        "Uninstalled 2 packages in [TIME]",
        "Installed 2 packages in [TIME]",
        " ~ a==1.0",
        " ~ b==2.0",
    ]
    code, _, err = puffin(venv.python, "pip-sync", path, "--reinstall-package", "b", env=env)
    assert code == 0, err
    assert [ln for ln in err.splitlines() if ln.startswith(" ")] == [" ~ b==2.0"]
    assert dist_infos(venv.site_packages) == {"a": "1.0", "b": "2.0"}
    assert py(venv, "import a, b; print(b.__version__)") == "2.0"


# ---- what the lock says --------------------------------------------------------------------------------

def test_markers_decide_which_lines_apply_to_the_target(env, venv_factory, tmp_path):
    """Lines whose marker is false for the target are neither installed nor kept."""
    venv = venv_factory()
    _install(venv, env, "c==1.0")
    text = ('a==1.0 ; python_version < "3"\n'
            'b==2.0 ; sys_platform == "%s"\n'
            'c==1.0 ; sys_platform == "no-such-platform"\n' % sys.platform)
    code, _, err = puffin(venv.python, "pip-sync", lock(tmp_path, text), env=env)
    assert code == 0, err
    assert err.splitlines()[0] == "Resolved 1 package in [TIME]"
    assert dist_infos(venv.site_packages) == {"b": "2.0"}


def test_a_name_listed_twice_is_an_error_naming_the_line(env, venv_factory, tmp_path):
    """The same package twice: `error: FILE:LINE: ...` with the text, exit 2, nothing changed."""
    venv = venv_factory()
    path = lock(tmp_path, "a==1.0\nb==2.0\nA==1.0\n")
    code, out, err = puffin(venv.python, "pip-sync", path, env=env)
    assert code == 2
    assert "Traceback" not in err
    first = err.splitlines()[0]
    assert first.startswith("error: %s:3: " % path)
    assert "A==1.0" in err
    assert dist_infos(venv.site_packages) == {}


def test_a_lock_missing_a_dependency_warns_and_fails_with_strict(env, venv_factory, tmp_path):
    """needs-x without x: installed with a warning (exit 0); --strict makes it exit 1."""
    venv = venv_factory()
    path = lock(tmp_path, "needs-x==1.0\n")
    code, _, err = puffin(venv.python, "pip-sync", path, env=env)
    assert code == 0
    assert err.splitlines()[-2:] == [
        " + needs-x==1.0",
        "warning: The package `needs-x` requires `x`, but it's not installed",
    ]
    other = venv_factory(name="strict")
    code, out, err = puffin(other.python, "pip-sync", path, "--strict", env=env)
    assert code == 1
    assert "The package `needs-x` requires `x`, but it's not installed" in out + err
    assert "Traceback" not in err


def test_a_hash_mismatch_in_the_lock_leaves_the_environment_as_it_was(env, venv_factory, server, tmp_path):
    """One wrong --hash: exit 2 naming the file; nothing installed, replaced or removed."""
    venv = venv_factory()
    _install(venv, env, "b==1.0", "c==1.0")
    good = support.sha256(server.data("a-1.0-py3-none-any.whl"))
    path = lock(tmp_path, "a==1.0 --hash=sha256:%s\nb==2.0 --hash=sha256:%s\n" % (good, "1" * 64))
    code, _, err = puffin(venv.python, "pip-sync", path, env=env)
    assert code == 2
    assert "Traceback" not in err
    assert "error: Hash mismatch for `b-2.0-py3-none-any.whl`" in err.splitlines()
    assert dist_infos(venv.site_packages) == {"b": "1.0", "c": "1.0"}


# ---- what a warm sync loads -----------------------------------------------------------------

# Modules a sync from a filled cache has no use for: the network, archives,
# concurrent.futures (it imports logging), hashlib (OpenSSL), platform and
# configparser (with no pip.conf). Each was milliseconds of a 70 ms warm sync.
# (urllib.parse is not in the list: the cache's key for an index other than
# PyPI, this test server's, is made from its parsed URL.)
NOT_FOR_A_WARM_SYNC = ("ssl", "socket", "http.client", "urllib.request", "zipfile", "tarfile",
                       "concurrent.futures", "logging", "hashlib", "_hashlib", "platform",
                       "configparser", "email")


def _imports_of(env, *args):
    code, out, err = puffin(*args, env=dict(env, PYTHONPROFILEIMPORTTIME="1"), filter=False)
    assert code == 0, err
    return {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")}


def test_a_warm_sync_into_a_new_venv_and_a_no_op_load_no_network_or_archive_module(env, venv_factory, tmp_path):
    """The cache filled by one sync, a sync of the same lock into a new venv
    (another interpreter runs puffin.py: --python) and then a no-op sync load
    none of NOT_FOR_A_WARM_SYNC; the same sync cold does load the network."""
    path = lock(tmp_path, "a==1.0\nb==2.0\nneeds-x==1.0\nx==1.0\n")
    cold = _imports_of(env, sys.executable, "pip-sync", path, "--python", venv_factory(name="first").path)
    assert {"http.client", "socket"} <= cold   # the measurement sees what a run imports
    venv = venv_factory()
    warm = _imports_of(env, sys.executable, "pip-sync", path, "--python", venv.path)
    assert dist_infos(venv.site_packages) == {"a": "1.0", "b": "2.0", "needs-x": "1.0", "x": "1.0"}
    assert sorted(m for m in warm if m in NOT_FOR_A_WARM_SYNC) == []
    no_op = _imports_of(env, sys.executable, "pip-sync", path, "--python", venv.path)
    assert sorted(m for m in no_op if m in NOT_FOR_A_WARM_SYNC) == []
