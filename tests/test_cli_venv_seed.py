"""`venv --seed`: pip (and setuptools and wheel before Python 3.12) installed
through puffin.py itself from the cache or the index, the environment marked
as seeded so that pip-sync keeps them; ensurepip where nothing can be fetched."""

from __future__ import annotations

import os
import sys

import pytest

import support


def seed_index(server):
    server.add_wheel("pip", "99.1")
    server.add_wheel("setuptools", "99.2")
    server.add_wheel("wheel", "99.3")
    server.add_wheel("six", "1.0")


def expected(python_version):
    return {"pip": "99.1"} if python_version >= (3, 12) else {"pip": "99.1", "setuptools": "99.2", "wheel": "99.3"}


def site_of(venv_dir):
    found = [os.path.join(r, d) for r, ds, _ in os.walk(venv_dir) for d in ds if d == "site-packages"]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("version", ["3.9", "3.12"])
def test_seed_installs_the_seed_packages_from_the_index_and_sync_keeps_them(
        run_puffin, clean_env, index_server, tmp_path, tmp_cache, version):
    python = support.find_python(version)
    if not python:
        pytest.skip("no CPython %s" % version)
    seed_index(index_server)
    venv = tmp_path / "v"
    env = dict(clean_env, PUFFIN_INDEX_URL=index_server.index_url, PUFFIN_CACHE_DIR=tmp_cache)
    r = run_puffin(["venv", str(venv), "--seed", "--python", python], env=env)
    assert r.returncode == 0, r.stderr
    want = expected(tuple(int(x) for x in version.split(".")))
    assert support.dist_infos(site_of(venv)) == want
    assert " + pip==99.1" in r.stderr
    assert "seed = true" in (venv / "pyvenv.cfg").read_text()
    # pip-sync of a lock without them keeps them, as in a `python -m venv` environment
    lock = tmp_path / "req.txt"
    lock.write_text("six==1.0\n")
    r = run_puffin(["pip-sync", str(lock), "--python", str(venv / "bin" / "python")], env=env)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(site_of(venv)) == dict(want, six="1.0")
    # a second seeding works offline from the warm cache: nothing is asked of the index
    index_server.reset_counters()
    r = run_puffin(["venv", str(venv), "--seed", "--clear", "--python", python, "--offline"], env=env)
    assert r.returncode == 0, r.stderr
    assert "ensurepip" not in r.stderr
    assert support.dist_infos(site_of(venv)) == want
    assert index_server.total_requests == 0


def test_an_unseeded_puffin_venv_loses_pip_to_a_sync(run_puffin, clean_env, index_server, tmp_path, tmp_cache):
    seed_index(index_server)
    venv = tmp_path / "v"
    env = dict(clean_env, PUFFIN_INDEX_URL=index_server.index_url, PUFFIN_CACHE_DIR=tmp_cache)
    assert run_puffin(["venv", str(venv)], env=env).returncode == 0
    py = str(venv / "bin" / "python")
    assert run_puffin(["pip-install", "pip", "--python", py], env=env).returncode == 0
    lock = tmp_path / "req.txt"
    lock.write_text("six==1.0\n")
    r = run_puffin(["pip-sync", str(lock), "--python", py], env=env)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(site_of(venv)) == {"six": "1.0"}


def test_seed_with_system_site_packages_and_clear(run_puffin, clean_env, index_server, tmp_path, tmp_cache):
    seed_index(index_server)
    venv = tmp_path / "v"
    env = dict(clean_env, PUFFIN_INDEX_URL=index_server.index_url, PUFFIN_CACHE_DIR=tmp_cache)
    assert run_puffin(["venv", str(venv)], env=env).returncode == 0
    (venv / "marker.txt").write_text("old")
    r = run_puffin(["venv", str(venv), "--seed", "--clear", "--system-site-packages"], env=env)
    assert r.returncode == 0, r.stderr
    assert not (venv / "marker.txt").exists()
    cfg = (venv / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in cfg and "seed = true" in cfg
    assert support.dist_infos(site_of(venv)) == expected(sys.version_info[:2])


def test_seed_with_nothing_to_fetch_falls_back_to_ensurepip(run_puffin, clean_env, tmp_path, tmp_cache):
    """Offline with an empty cache: the interpreter's own ensurepip seeds pip, with a warning."""
    venv = tmp_path / "v"
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    r = run_puffin(["venv", str(venv), "--seed", "--offline"], env=env)
    assert r.returncode == 0, r.stderr
    assert "seeding pip with ensurepip instead" in r.stderr
    assert "pip" in support.dist_infos(site_of(venv))
