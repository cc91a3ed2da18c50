"""Interpreters: querying target Pythons, caching the answer, finding the target
environment, and creating virtual environments."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import puffin
from test_tags import PRESENT, REPO_ROOT


class DictCache:
    """A stand-in for the Cache's JSON buckets that records what it was asked."""

    def __init__(self):
        self.store = {}
        self.reads = []

    def read_json(self, bucket, key):
        self.reads.append((bucket, key))
        return self.store.get((bucket, key))

    def write_json(self, bucket, key, data):
        self.store[(bucket, key)] = json.loads(json.dumps(data))


@pytest.fixture(scope="module")
def running():
    """The interpreter running the tests, queried once."""
    return puffin.Interpreter.query(sys.executable)


@pytest.fixture(scope="module")
def venv_dir(tmp_path_factory, running):
    """One venv made by create_venv for the discovery tests (not modified by them)."""
    root = tmp_path_factory.mktemp("envs") / "made"
    puffin.create_venv(str(root), running)
    return str(root)


def _write_script(path, body):
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


# ---- query -------------------------------------------------------------------------

@pytest.mark.skipif(not PRESENT, reason="no pyenv CPython 3.8-3.13 on this machine")
@pytest.mark.parametrize("version,exe", PRESENT, ids=[v for v, _ in PRESENT])
def test_query_reports_version_prefix_paths_and_markers(version, exe):
    """A pyenv Python reports its version, prefixes, sysconfig paths and PEP 508 markers."""
    interp = puffin.Interpreter.query(exe)
    assert interp.python_minor == version
    assert str(interp.python_version) == interp.python_full_version
    assert interp.implementation_name == "cpython"
    assert not interp.is_venv and interp.prefix == interp.base_prefix
    probe = ("import json, sys, sysconfig; print(json.dumps([sys.prefix, sysconfig.get_paths(), "
             "sys.executable]))")
    prefix, paths, sys_exe = json.loads(subprocess.check_output([exe, "-I", "-c", probe]))
    assert interp.prefix == prefix and interp.sys_executable == sys_exe
    for key in ("purelib", "platlib", "scripts", "data", "include"):
        assert interp.paths[key] == paths[key]
    assert interp.markers["python_version"] == version
    assert interp.markers["implementation_name"] == "cpython"
    assert interp.pointer_bits in (32, 64)
    assert interp.site_packages[0] == paths["purelib"]


@pytest.mark.skipif(not PRESENT, reason="no pyenv CPython 3.8-3.13 on this machine")
@pytest.mark.parametrize("version,exe", PRESENT, ids=[v for v, _ in PRESENT])
def test_markers_equal_packaging_default_environment(version, exe):
    """The marker environment equals packaging.markers.default_environment() in
    each target (the query reads platform's values without importing it)."""
    oracle = os.path.join(REPO_ROOT, "build", "oracle", "py" + version)
    if not os.path.isdir(oracle):
        pytest.fail("no packaging oracle at build/oracle/py%s: run `make setup`" % version)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = oracle
    out = subprocess.check_output(
        [exe, "-c", "import json, packaging.markers as m; print(json.dumps(m.default_environment()))"],
        env=env)
    assert puffin.Interpreter.query(exe).markers == json.loads(out)


@pytest.mark.skipif(not PRESENT, reason="no pyenv CPython 3.8-3.13 on this machine")
@pytest.mark.parametrize("version,exe", PRESENT, ids=[v for v, _ in PRESENT])
def test_query_of_a_linux_cpython_imports_neither_json_nor_platform_nor_re(version, exe):
    """The query a target runs on every new environment stays cheap: on CPython
    on Linux it imports none of json, platform and re (they were 8 of its 22 ms)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the fast path is Linux's")
    r = subprocess.run([exe, "-I", "-X", "importtime", "-c", puffin._QUERY_SCRIPT],
                       capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["query_version"] == puffin._QUERY_VERSION
    loaded = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if "|" in line}
    base = subprocess.run([exe, "-I", "-X", "importtime", "-c", "pass"], capture_output=True, text=True)
    # what the interpreter's own start-up loads (a .pth file of its site-packages may import re)
    already = {line.rsplit("|", 1)[-1].strip() for line in base.stderr.splitlines() if "|" in line}
    assert "_sysconfigdata" in " ".join(loaded - already)   # the measurement saw the script's imports
    assert sorted((loaded - already) & {"json", "platform", "re"}) == []


def test_query_json_writer_round_trips_what_json_reads():
    """The query's own JSON writer (it does without the json module) writes what
    json.loads reads back equal: quotes, backslashes, control characters,
    non-ASCII, characters past the BMP and lone surrogates of undecodable paths."""
    namespace = {"__name__": "query"}
    exec(compile(puffin._QUERY_SCRIPT, "<query>", "exec"), namespace)
    dump = namespace["dump"]
    for value in ['a"b\\c', "tab\tnew\nline\x01", "caf\u00e9 \u20ac", "\U0001d11e",
                  "/home/\udcff\udcfe/bin/python", "", {"k": [1, -2, 2.5, None, True, False, (3, "x")]},
                  {"nested": {"deep": ["/usr/lib/python3.12", "C:\\Python\\"]}}]:
        assert json.loads(dump(value)) == json.loads(json.dumps(value)), value
    with pytest.raises(TypeError):
        dump({"x": object()})


def test_query_reports_libc_of_the_target(running):
    """On Linux the target reports its glibc (or musl) version, as packaging detects it."""
    if sys.platform != "linux":
        pytest.skip("libc detection is a Linux thing")
    kind, version = running.libc
    assert kind in ("glibc", "musl")
    if kind == "glibc":
        assert version == os.confstr("CS_GNU_LIBC_VERSION").split()[1]


def test_a_path_that_is_not_a_python_gives_a_clear_error(tmp_path):
    """Missing files, directories, non-executables and other programs raise InterpreterError."""
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    cases = [
        (str(tmp_path / "missing"), "does not exist"),
        (str(tmp_path), "is a directory"),
        (str(text), "is not executable"),
        (_write_script(tmp_path / "fake", "echo nope; exit 3"), "not a working Python"),
        (_write_script(tmp_path / "crash", "echo 'Traceback (most recent call last):' >&2; "
                                          "echo 'ZeroDivisionError: boom' >&2; exit 1"), "ZeroDivisionError: boom"),
    ]
    for path, words in cases:
        with pytest.raises(puffin.InterpreterError) as info:
            puffin.Interpreter.query(path)
        assert words in str(info.value), str(info.value)
        assert path in str(info.value)


def test_a_python_that_hangs_times_out_with_an_error(tmp_path):
    """A query that does not answer in time raises InterpreterError naming the timeout."""
    slow = _write_script(tmp_path / "slow", "sleep 5")
    with pytest.raises(puffin.InterpreterError) as info:
        puffin.Interpreter.query(slow, timeout=0.3)
    assert "timed out" in str(info.value)


def test_cache_hit_avoids_running_the_interpreter(monkeypatch):
    """The second query of the same executable comes from the cache, without a subprocess."""
    cache = DictCache()
    first = puffin.Interpreter.query(sys.executable, cache=cache)
    assert len(cache.store) == 1 and list(cache.store)[0][0] == "interpreter-v0"

    def no_subprocess(*args, **kwargs):
        raise AssertionError("the interpreter was queried again")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    second = puffin.Interpreter.query(sys.executable, cache=cache)
    assert second == first
    assert second.tags() == first.tags()


def test_cache_entry_is_ignored_when_the_executable_changes(tmp_path):
    """A cached answer for an executable whose mtime changed is not used."""
    cache = DictCache()
    link_dir = tmp_path / "bin"
    link_dir.mkdir()
    exe = _write_script(link_dir / "python", 'exec "%s" "$@"' % sys.executable)
    puffin.Interpreter.query(exe, cache=cache)
    (key,) = cache.store
    cache.store[key]["data"]["python_full_version"] = "0.0.1"
    assert puffin.Interpreter.query(exe, cache=cache).python_full_version == "0.0.1"
    os.utime(exe, (1, 1))
    assert puffin.Interpreter.query(exe, cache=cache).python_full_version != "0.0.1"


def test_interpreter_round_trips_through_json(running):
    """to_json/from_json give back an equal Interpreter with the same tags."""
    again = puffin.Interpreter.from_json(json.loads(json.dumps(running.to_json())))
    assert again == running and again.tags() == running.tags()


def test_schemes_for_target_prefix_and_user(running, tmp_path):
    """--target puts everything in DIR; --prefix lays out a venv under DIR; --user is refused in a venv."""
    target = running.scheme("target", str(tmp_path))
    assert target["purelib"] == target["platlib"] == target["data"] == str(tmp_path)
    assert target["scripts"] == str(tmp_path / "bin")
    prefix = running.scheme("prefix", str(tmp_path))
    assert prefix["purelib"] == str(tmp_path / "lib" / ("python" + running.python_minor) / "site-packages")
    assert prefix["scripts"] == str(tmp_path / "bin") and prefix["data"] == str(tmp_path)
    if running.is_venv:
        with pytest.raises(puffin.UsageError):
            running.scheme("user")
    else:
        assert running.scheme("user")["purelib"] == running.user_site
    with pytest.raises(puffin.UsageError):
        running.scheme("sideways")


def test_externally_managed_is_read_from_the_base_stdlib():
    """A PEP 668 marker of a system Python is reported with its Error text (venvs never are)."""
    for exe in ("/usr/bin/python3",):
        if not os.path.exists(exe):
            continue
        interp = puffin.Interpreter.query(exe)
        marker = os.path.join(interp.stdlib, "EXTERNALLY-MANAGED")
        assert bool(interp.externally_managed) == os.path.isfile(marker)
        return
    pytest.skip("no system Python to look at")


# ---- finding the target -----------------------------------------------------------

def _find(**kwargs):
    kwargs.setdefault("env", {"PATH": os.defpath})
    kwargs.setdefault("running_executable", "/nonexistent/python3")
    return puffin.find_target(**kwargs)


def test_python_option_takes_an_executable_or_a_venv_directory(venv_dir):
    """--python accepts the venv's python or the venv directory itself."""
    exe = os.path.join(venv_dir, "bin", "python")
    assert _find(python=exe).prefix == os.path.realpath(venv_dir)
    assert _find(python=venv_dir).prefix == os.path.realpath(venv_dir)


@pytest.mark.skipif(not PRESENT, reason="no pyenv CPython 3.8-3.13 on this machine")
def test_python_option_with_a_version_searches_path(tmp_path):
    """--python 3.X finds python3.X on PATH; a version not on PATH is a clear error."""
    version, exe = PRESENT[-1]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(exe, str(bin_dir / ("python" + version)))
    env = {"PATH": str(bin_dir)}
    assert _find(python=version, env=env).python_minor == version
    with pytest.raises(puffin.InterpreterError) as info:
        _find(python="3.1", env=env)
    assert "python3.1" in str(info.value)


def test_the_venv_running_puffin_comes_before_virtual_env(venv_dir, tmp_path):
    """When puffin.py runs with a venv's Python as a script, that venv wins over VIRTUAL_ENV."""
    other = tmp_path / "other"
    puffin.create_venv(str(other), puffin.Interpreter.query(sys.executable))
    runner = os.path.join(venv_dir, "bin", "python")
    env = {"PATH": os.defpath, "VIRTUAL_ENV": str(other)}
    assert _find(env=env, running_executable=runner).prefix == os.path.realpath(venv_dir)
    # Imported as a library (not run as a script), the running venv does not count.
    assert _find(env=env, running_executable=runner, running_as_script=False).prefix \
        == os.path.realpath(str(other))


def test_discovery_order_virtual_env_then_conda_then_dot_venv(venv_dir, tmp_path):
    """VIRTUAL_ENV beats CONDA_PREFIX, which beats a .venv in the working directory or a parent."""
    project = tmp_path / "project"
    nested = project / "src" / "pkg"
    nested.mkdir(parents=True)
    puffin.create_venv(str(project / ".venv"), puffin.Interpreter.query(sys.executable))
    dot_venv = os.path.realpath(str(project / ".venv"))
    conda = os.path.realpath(str(tmp_path / "conda"))
    puffin.create_venv(conda, puffin.Interpreter.query(sys.executable))
    base = {"PATH": os.defpath}
    assert _find(env=dict(base, VIRTUAL_ENV=venv_dir, CONDA_PREFIX=conda), cwd=str(nested)).prefix \
        == os.path.realpath(venv_dir)
    assert _find(env=dict(base, CONDA_PREFIX=conda), cwd=str(nested)).prefix == conda
    assert _find(env=base, cwd=str(nested)).prefix == dot_venv
    assert _find(env=base, cwd=str(project)).prefix == dot_venv


def test_no_environment_found_gives_a_hint(tmp_path):
    """Without --python, a venv or --system, the error says how to get one."""
    with pytest.raises(puffin.InterpreterError) as info:
        _find(cwd=str(tmp_path))
    assert "no virtual environment found" in str(info.value)
    assert "puffin.py venv" in info.value.hint and "--system" in info.value.hint


def test_virtual_env_without_a_python_is_an_error(tmp_path):
    """VIRTUAL_ENV naming a directory with no Python is reported, not skipped."""
    with pytest.raises(puffin.InterpreterError) as info:
        _find(env={"PATH": os.defpath, "VIRTUAL_ENV": str(tmp_path)}, cwd=str(tmp_path))
    assert "VIRTUAL_ENV" in str(info.value)


def test_system_takes_the_first_python3_on_path(venv_dir, tmp_path):
    """--system uses the first python3 on PATH, even when a venv is active."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = puffin.Interpreter.query(sys.executable).base_executable
    os.symlink(real, str(bin_dir / "python3"))
    found = _find(system=True, env={"PATH": str(bin_dir), "VIRTUAL_ENV": venv_dir})
    assert found.executable == str(bin_dir / "python3")
    with pytest.raises(puffin.InterpreterError):
        _find(system=True, env={"PATH": str(tmp_path / "empty")})


def test_system_prefers_the_system_python_running_puffin(venv_dir, tmp_path):
    """--system with puffin.py run by a system Python (not a venv's): that
    Python, whatever PATH says; run by a venv's Python: PATH's python3."""
    real = os.path.realpath(puffin.Interpreter.query(sys.executable).base_executable)
    found = _find(system=True, env={"PATH": str(tmp_path / "empty")}, running_executable=real)
    assert os.path.realpath(found.executable) == real
    venv_python = os.path.join(venv_dir, "bin", "python")
    with pytest.raises(puffin.InterpreterError):
        _find(system=True, env={"PATH": str(tmp_path / "empty")}, running_executable=venv_python)


# ---- creating venvs ------------------------------------------------------------------

def test_create_venv_makes_a_working_environment(venv_dir):
    """The venv's python runs, is a venv (prefix != base_prefix) and sees its site-packages."""
    python = os.path.join(venv_dir, "bin", "python")
    out = subprocess.check_output([python, "-c", "import json, site, sys; print(json.dumps("
                                   "[sys.prefix, sys.base_prefix, site.getsitepackages()]))"])
    prefix, base_prefix, site_dirs = json.loads(out)
    assert prefix != base_prefix
    assert os.path.realpath(prefix) == os.path.realpath(venv_dir)
    interp = puffin.Interpreter.query(python)
    assert interp.is_venv and interp.created_by_puffin
    assert interp.paths["purelib"] in site_dirs and os.path.isdir(interp.paths["purelib"])
    cfg = open(os.path.join(venv_dir, "pyvenv.cfg")).read()
    assert "puffin = %s\n" % puffin.__version__ in cfg
    assert "include-system-site-packages = false\n" in cfg
    assert "version = %s\n" % interp.python_full_version in cfg
    for name in ("python3", "python" + interp.python_minor):
        assert os.path.islink(os.path.join(venv_dir, "bin", name))


def test_activate_script_sets_virtual_env_and_path(venv_dir):
    """Sourcing bin/activate in bash sets VIRTUAL_ENV and puts bin/ first on PATH."""
    activate = os.path.join(venv_dir, "bin", "activate")
    out = subprocess.check_output(
        ["bash", "-c", 'source "%s" && echo "$VIRTUAL_ENV" && command -v python' % activate],
        env={"PATH": os.defpath}, universal_newlines=True).split("\n")
    assert out[0] == venv_dir
    assert out[1] == os.path.join(venv_dir, "bin", "python")


@pytest.mark.skipif(not PRESENT, reason="no pyenv CPython 3.8-3.13 on this machine")
def test_create_venv_for_another_interpreter_than_the_running_one(tmp_path):
    """A venv for the oldest pyenv Python runs that Python, with its own prompt."""
    version, exe = PRESENT[0]
    target = puffin.Interpreter.query(exe)
    made = puffin.create_venv(str(tmp_path / "old"), target, prompt="legacy")
    assert made.python_minor == version and made.is_venv
    assert made.base_prefix == target.prefix
    assert "prompt = legacy" in open(str(tmp_path / "old" / "pyvenv.cfg")).read()
    assert "legacy" in open(str(tmp_path / "old" / "bin" / "activate")).read()


def test_create_venv_from_a_venv_python_links_to_the_base(venv_dir, tmp_path):
    """A venv made from another venv's Python points home at the base interpreter."""
    inner = puffin.Interpreter.query(os.path.join(venv_dir, "bin", "python"))
    made = puffin.create_venv(str(tmp_path / "second"), inner)
    assert made.base_prefix == inner.base_prefix


def test_create_venv_replaces_a_venv_only_when_told_and_refuses_other_directories(tmp_path, running):
    """An existing venv is refused unless existing="clear" (emptied first) or "allow" (kept);
    a non-empty non-venv directory is left alone."""
    root = tmp_path / "env"
    puffin.create_venv(str(root), running)
    (root / "lib" / "leftover.txt").write_text("x")
    with pytest.raises(puffin.InterpreterError) as e:
        puffin.create_venv(str(root), running)
    assert "already exists" in str(e.value) and "--clear" in e.value.hint
    puffin.create_venv(str(root), running, existing="allow")
    assert (root / "lib" / "leftover.txt").exists()
    puffin.create_venv(str(root), running, system_site_packages=True, existing="clear")
    assert not (root / "lib" / "leftover.txt").exists()
    assert "include-system-site-packages = true" in (root / "pyvenv.cfg").read_text()
    project = tmp_path / "project"
    project.mkdir()
    (project / "setup.py").write_text("")
    with pytest.raises(puffin.InterpreterError):
        puffin.create_venv(str(project), running)
    assert (project / "setup.py").exists()


def test_query_answers_are_stored_in_the_interpreter_bucket_of_the_cache(tmp_path, monkeypatch):
    """With the real Cache, the answer lands in interpreter-v0 and is read back without a query."""
    cache = puffin.Cache(str(tmp_path / "cache"))
    first = puffin.Interpreter.query(sys.executable, cache=cache)
    stored = [name for name in os.listdir(str(tmp_path / "cache" / "interpreter-v0"))
              if name.endswith(".json")]
    assert len(stored) == 1
    monkeypatch.setattr(subprocess, "run", None)
    assert puffin.Interpreter.query(sys.executable, cache=cache) == first
