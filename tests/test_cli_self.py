"""`self`: puffin.py installed as a module with its bytecode and a `puffin`
launcher (removed by pip-uninstall through its RECORD), its version, and its
update from a file or a URL, hash-checked."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

import support


def run(python, script, *args, env, cwd=None):
    proc = subprocess.run([os.fspath(python), os.fspath(script)] + [os.fspath(a) for a in args],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_self_install_puts_a_module_bytecode_and_a_launcher_that_uninstall_removes(
        venv_factory, clean_env, tmp_cache):
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    code, out, err = run(venv.python, support.PUFFIN_SCRIPT, "self", "install", env=env)
    assert code == 0, err
    site = venv.site_packages
    assert os.path.isfile(os.path.join(site, "puffin.py"))
    assert [f for f in os.listdir(os.path.join(site, "__pycache__")) if f.startswith("puffin.")]
    launcher = os.path.join(venv.bin, "puffin")
    assert os.access(launcher, os.X_OK)
    version = subprocess.run([launcher, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("puffin.py ")
    where = subprocess.run([launcher, "self", "version"], capture_output=True, text=True, env=env)
    assert os.path.join(site, "puffin.py") in where.stdout
    # the launcher is a tool of its own environment's: it lists it without being told where
    listed = subprocess.run([launcher, "pip-list", "--python", venv.python], capture_output=True,
                            text=True, env=env)
    assert "puffin" in listed.stdout, listed.stderr
    record = [d for d in os.listdir(site) if d.startswith("puffin_py-") and d.endswith(".dist-info")]
    assert len(record) == 1
    rows = open(os.path.join(site, record[0], "RECORD")).read()
    assert "puffin.py," in rows and "bin/puffin," in rows
    freeze = subprocess.run([venv.python, support.PUFFIN_SCRIPT, "pip-freeze"], capture_output=True,
                            text=True, env=env)
    assert "@ file:" not in freeze.stdout   # installed by name, not from a temporary path
    code, _, err = run(venv.python, support.PUFFIN_SCRIPT, "pip-uninstall", "puffin.py", env=env)
    assert code == 0, err
    assert not os.path.exists(launcher)
    assert support.dist_infos(site) == {}
    assert not os.path.exists(os.path.join(site, "puffin.py"))


def test_self_install_into_a_target_folder(venv_factory, clean_env, tmp_cache, tmp_path):
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    target = tmp_path / "tools"
    code, _, err = run(sys.executable, support.PUFFIN_SCRIPT, "self", "install", "--target", target, env=env)
    assert code == 0, err
    assert (target / "puffin.py").is_file()
    out = subprocess.run([sys.executable, "-m", "puffin", "--version"], capture_output=True, text=True,
                         env=dict(env, PYTHONPATH=str(target)))
    assert out.stdout.startswith("puffin.py ")


def new_version(tmp_path, version="9.9.9"):
    text = open(support.PUFFIN_SCRIPT, encoding="utf-8").read()
    text = text.replace('__version__ = "', '__version__ = "%s"  # was "' % version, 1)
    path = tmp_path / "new-puffin.py"
    path.write_text(text, encoding="utf-8")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_self_update_replaces_a_plain_file_only_when_the_new_one_checks_out(clean_env, tmp_path, index_server):
    mine = tmp_path / "bin" / "puffin.py"
    mine.parent.mkdir()
    shutil.copy(support.PUFFIN_SCRIPT, mine)
    before = mine.read_bytes()
    new, sha = new_version(tmp_path)
    # a wrong hash, a file that is not puffin.py, a URL without a hash: refused, nothing changed
    code, _, err = run(sys.executable, mine, "self", "update", "--from", new, "--sha256", "0" * 64, env=clean_env)
    assert code == 2 and "hash" in err.lower()
    other = tmp_path / "other.py"
    other.write_text("print('hello')\n")
    code, _, err = run(sys.executable, mine, "self", "update", "--from", other, env=clean_env)
    assert code == 2 and "not puffin.py" in err
    broken = tmp_path / "broken.py"
    broken.write_text('__version__ = "1.0"\ndef (:\n')
    code, _, err = run(sys.executable, mine, "self", "update", "--from", broken, env=clean_env)
    assert code == 2 and "not a Python file" in err
    code, _, err = run(sys.executable, mine, "self", "update", "--from", "https://example.invalid/puffin.py",
                       env=clean_env)
    assert code == 2 and "--sha256" in err
    assert mine.read_bytes() == before
    # from a URL with its hash
    index_server.add("new-puffin.py", new.read_bytes())
    url = index_server.index_url.rsplit("/simple", 1)[0] + "/files/new-puffin.py"
    code, _, err = run(sys.executable, mine, "self", "update", "--from", url, "--sha256", sha, env=clean_env)
    assert code == 0, err
    assert "Updated puffin.py" in err and "9.9.9" in err
    assert mine.read_bytes() == new.read_bytes()
    out = subprocess.run([sys.executable, mine, "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == "puffin.py 9.9.9"


def test_self_update_of_an_installed_puffin_installs_again(venv_factory, clean_env, tmp_cache, tmp_path):
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    assert run(venv.python, support.PUFFIN_SCRIPT, "self", "install", env=env)[0] == 0
    new, sha = new_version(tmp_path)
    launcher = os.path.join(venv.bin, "puffin")
    proc = subprocess.run([launcher, "self", "update", "--from", new, "--sha256", sha], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert support.dist_infos(venv.site_packages) == {"puffin-py": "9.9.9"} or \
        support.dist_infos(venv.site_packages) == {"puffin.py": "9.9.9"}
    out = subprocess.run([launcher, "--version"], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "puffin.py 9.9.9"
