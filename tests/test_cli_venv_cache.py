"""`puffin.py venv` and `puffin.py cache dir|clean|prune` from the command line,
and how the target environment is found when no `--python` is given."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import pytest

import support
from support import puffin_cli as puffin


def base_python() -> str:
    """The running interpreter's base (not a venv), so it never targets its own venv."""
    exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    out = subprocess.run([exe, "-c", "import sys; print(sys.prefix == sys.base_prefix)"],
                         capture_output=True, text=True)
    if out.stdout.strip() != "True":
        pytest.skip("no base interpreter outside a venv")
    return exe


def files_under(root: str) -> list:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("solo", "1.0")
        s.add_wheel("other", "1.0")
        yield s
    assert not s.errors, "\n".join(s.errors)


# ---- venv -----------------------------------------------------------------------------------

def test_venv_creates_a_bare_marked_environment_that_pip_install_fills(env, tmp_path):
    """`venv PATH`: uv's three lines, a working bin/python whose prefix is PATH, pyvenv.cfg marked by puffin."""
    path = str(tmp_path / "env")
    code, out, err = puffin(sys.executable, "venv", path, "--python", sys.executable, env=env)
    assert (code, out) == (0, "")
    lines = err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Using CPython %d.%d." % sys.version_info[:2]) and " interpreter at: " in lines[0]
    assert lines[1:] == ["Creating virtual environment at: " + path,
                         "Activate with: source " + os.path.join(path, "bin", "activate")]
    with open(os.path.join(path, "pyvenv.cfg")) as f:
        cfg = dict(line.split(" = ", 1) for line in f.read().splitlines() if " = " in line)
    assert "puffin" in cfg and "home" in cfg
    python = os.path.join(path, "bin", "python")
    prefix = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert os.path.realpath(prefix) == os.path.realpath(path)
    code, _, err = puffin(python, "pip-install", "solo", env=env)
    assert code == 0, err
    assert subprocess.run([python, "-c", "import solo"]).returncode == 0


def test_venv_defaults_to_dot_venv_which_later_commands_find(env, tmp_path):
    """`venv` alone makes ./.venv; a Python outside any venv then installs into it from a subfolder."""
    code, _, err = puffin(sys.executable, "venv", env=env, cwd=str(tmp_path))
    assert code == 0, err
    assert os.path.isfile(str(tmp_path / ".venv" / "pyvenv.cfg"))
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    code, _, err = puffin(base_python(), "pip-install", "solo", env=env, cwd=str(sub))
    assert code == 0, err
    code, out, _ = puffin(base_python(), "pip-freeze", env=env, cwd=str(sub))
    assert out == "solo==1.0\n"
    python = str(tmp_path / ".venv" / "bin" / "python")
    assert subprocess.run([python, "-c", "import solo"]).returncode == 0


def test_virtual_env_variable_names_the_target(env, venv_factory, tmp_path):
    """VIRTUAL_ENV points the command at that venv when puffin runs under a non-venv Python."""
    venv = venv_factory()
    code, _, err = puffin(base_python(), "pip-install", "solo", env=dict(env, VIRTUAL_ENV=venv.path),
                          cwd=str(tmp_path))
    assert code == 0, err
    assert os.path.isdir(os.path.join(venv.site_packages, "solo-1.0.dist-info"))


def test_venv_refuses_a_folder_that_is_not_a_venv(env, tmp_path):
    """A non-empty folder that is not a venv is not overwritten: error, exit 2, files kept."""
    path = tmp_path / "project"
    path.mkdir()
    (path / "keep.txt").write_text("mine\n")
    code, _, err = puffin(sys.executable, "venv", str(path), env=env)
    assert code == 2
    assert err.splitlines()[-1].startswith("error: ") and "Traceback" not in err
    assert (path / "keep.txt").read_text() == "mine\n"


def test_venv_refuses_an_existing_environment_unless_told_what_to_do_with_it(env, tmp_path):
    """`venv DIR` over a venv with packages: exit 2, an error naming what it would delete and a
    hint for --clear/--allow-existing, nothing touched; --allow-existing keeps the packages,
    --clear removes them, and both together are a usage error."""
    path = str(tmp_path / "env")
    assert puffin(sys.executable, "venv", path, env=env)[0] == 0
    site = glob.glob(os.path.join(path, "lib", "python*", "site-packages"))[0]
    os.makedirs(os.path.join(site, "mine-1.0.dist-info"))
    (tmp_path / "env" / "marker.txt").write_text("x")
    code, _, err = puffin(sys.executable, "venv", path, env=env)
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "hint:"))]
    assert lines[0] == "error: a virtual environment already exists at %s (1 package: mine)" % path
    assert "--clear" in lines[1] and "--allow-existing" in lines[1]
    assert os.path.isdir(os.path.join(site, "mine-1.0.dist-info"))
    code, _, err = puffin(sys.executable, "venv", path, "--allow-existing", env=env)
    assert code == 0, err
    assert os.path.isdir(os.path.join(site, "mine-1.0.dist-info"))
    assert subprocess.run([os.path.join(path, "bin", "python"), "-c", "pass"]).returncode == 0
    code, _, err = puffin(sys.executable, "venv", path, "--clear", "--allow-existing", env=env)
    assert code == 2 and "cannot be used together" in err
    code, _, err = puffin(sys.executable, "venv", path, "--clear", env=env)
    assert code == 0, err
    assert not os.path.exists(os.path.join(site, "mine-1.0.dist-info"))
    assert not (tmp_path / "env" / "marker.txt").exists()


# ---- cache ----------------------------------------------------------------------------------

def test_cache_dir_prints_the_folder_from_the_environment_or_the_flag(env, tmp_path):
    """`cache dir`: PUFFIN_CACHE_DIR, or --cache-dir, on stdout."""
    assert puffin(sys.executable, "cache", "dir", env=env) == (0, env["PUFFIN_CACHE_DIR"] + "\n", "")
    other = str(tmp_path / "elsewhere")
    code, out, _ = puffin(sys.executable, "cache", "dir", "--cache-dir", other, env=env)
    assert (code, out) == (0, other + "\n")


def test_cache_clean_empties_the_cache_and_the_next_install_downloads_again(env, venv_factory, server):
    """`cache clean`: files gone; a later install fetches the wheel again."""
    cache = env["PUFFIN_CACHE_DIR"]
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "solo", env=env)[0] == 0
    assert files_under(cache)
    code, _, err = puffin(sys.executable, "cache", "clean", env=env)
    assert code == 0
    lines = err.splitlines()
    assert lines[0] == "Cleaning at %s" % cache
    assert lines[1].startswith("Removed ") and " files (" in lines[1] and lines[1].endswith("B) in [TIME]")
    assert not [f for f in files_under(cache) if "solo" in f and not f.endswith(".lock")]
    server.reset_counters()
    other = venv_factory(name="again")
    assert puffin(other.python, "pip-install", "solo", env=env)[0] == 0
    assert server.requests_for("/files/solo-1.0-py3-none-any.whl") == 1


def test_cache_clean_of_one_package_keeps_the_others(env, venv_factory, server):
    """`cache clean solo`: solo's entries go, other's stay (an offline install of other still works)."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "solo", "other", env=env)[0] == 0
    code, _, err = puffin(sys.executable, "cache", "clean", "solo", env=env)
    assert code == 0, err
    assert err.splitlines()[0] == "Cleaning for solo"
    cache = env["PUFFIN_CACHE_DIR"]
    assert not [f for f in files_under(cache) if "solo" in f and not f.endswith(".lock")]
    assert [f for f in files_under(cache) if "other" in f]
    fresh = venv_factory(name="fresh")
    code, _, err = puffin(fresh.python, "pip-install", "other", "--offline", env=env)
    assert code == 0, err


def test_cache_prune_runs_and_keeps_what_installs_need(env, venv_factory, server):
    """`cache prune`: says where and how much; a warm install afterwards still needs no download."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "solo", env=env)[0] == 0
    code, _, err = puffin(sys.executable, "cache", "prune", env=env)
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == "Pruning cache at: %s" % env["PUFFIN_CACHE_DIR"]
    assert lines[1].startswith("Removed ")
    server.reset_counters()
    fresh = venv_factory(name="fresh")
    code, _, err = puffin(fresh.python, "pip-install", "solo==1.0", env=env)
    assert code == 0, err
    assert server.requests_for("/files/*.whl") == 0


def test_no_cache_leaves_the_cache_folder_untouched(env, venv_factory):
    """-n/--no-cache: the install works and writes nothing to the configured cache."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "solo", "--no-cache", env=env)
    assert code == 0, err
    assert files_under(env["PUFFIN_CACHE_DIR"]) == []
    assert subprocess.run([venv.python, "-c", "import solo"]).returncode == 0
