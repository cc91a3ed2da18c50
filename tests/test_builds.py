"""Section 11: PEP 517/660 builds of sdists and source trees (hermetic: the
sources carry the in-tree ``puffin_test_backend``; build requirements come from
a local IndexServer through puffin's own resolver and installer)."""

from __future__ import annotations

import glob
import io
import os
import sys
import tarfile
import zipfile

import pytest

import puffin
import support


@pytest.fixture(scope="module")
def interp():
    return puffin.Interpreter.query(sys.executable)


@pytest.fixture
def cache(tmp_path):
    return puffin.Cache(str(tmp_path / "cache"))


@pytest.fixture
def build_log(tmp_path):
    return str(tmp_path / "build.log")


@pytest.fixture
def env(clean_env, build_log):
    """The backends' environment: clean, with the test backend's hook log."""
    return dict(clean_env, PUFFIN_TEST_BUILD_LOG=build_log)


def no_requirements(requirements, target):
    assert not requirements, "this build should need no build requirements"


def hooks_run(build_log) -> list:
    if not os.path.exists(build_log):
        return []
    with open(build_log) as f:
        return [line.split()[0] for line in f.read().splitlines()]


def wheel_names(path) -> list:
    with zipfile.ZipFile(path) as zf:
        return sorted(zf.namelist())


def index_installer(server, cache):
    """An ``install_build_requirements`` callback made of puffin's resolver and
    installer, reading the local index; records each call's requirements."""
    http = puffin.HttpClient(env={}, dns=puffin.DnsCache())
    client = puffin.RegistryClient(puffin.IndexLocations(server.index_url), cache, http)
    db = puffin.DistributionDatabase(client, cache)
    calls = []

    def install(requirements, target):
        calls.append(sorted(str(r) for r in requirements))
        provider = puffin.RegistryProvider(puffin.RegistryView(client, db), tags=target.tag_priority(),
                                           python_version=target.python_version, markers=target.markers)
        for pin in puffin.resolve(requirements, provider):
            folder = db.fetch_wheel(pin.dist)
            dest = puffin.SchemeDestination(puffin.dist_scheme(target.scheme(), pin.name),
                                            target.sys_executable)
            puffin.install_wheel(puffin.DirWheelSource(folder, pin.dist.filename), dest)

    install.calls = calls
    return install


# ---- building --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_builds_a_wheel_from_an_sdist_archive(tmp_path, cache, interp, env, build_log, fmt):
    """An sdist (.tar.gz or .zip) builds into a wheel holding its package, kept in the cache."""
    sdist = support.make_sdist("foo-bar", "1.0", deps=["six"], fmt=fmt, out_dir=str(tmp_path / "dl"))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        wheel = builder.build_wheel(sdist, str(tmp_path / "out"))
    assert wheel == str(tmp_path / "out" / "foo_bar-1.0-py3-none-any.whl")
    assert "foo_bar/__init__.py" in wheel_names(wheel)
    assert hooks_run(build_log) == ["get_requires_for_build_wheel", "build_wheel"]
    cached = glob.glob(os.path.join(cache.root, "built-wheels-v0", "sdist", "foo-bar", "*", "*.whl"))
    assert [os.path.basename(p) for p in cached] == ["foo_bar-1.0-py3-none-any.whl"]


def test_builds_a_wheel_from_a_source_tree_in_place(tmp_path, cache, interp, env, build_log):
    """A project folder (no PKG-INFO, like a checkout) builds where it is."""
    project = support.write_project(tmp_path / "proj", "proj", "2.0", pkg_info=False)
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        wheel = builder.build_wheel(project)
    assert os.path.basename(wheel) == "proj-2.0-py3-none-any.whl"
    assert wheel.startswith(os.path.join(cache.root, "built-wheels-v0", "path", "proj") + os.sep)


def test_builds_an_editable_wheel_that_points_at_the_tree(tmp_path, cache, interp, env, build_log):
    """``editable=True`` runs the PEP 660 hooks; the wheel's .pth names the source folder."""
    project = support.write_project(tmp_path / "proj", "proj", "2.0")
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        wheel = builder.build_wheel(project, str(tmp_path / "out"), editable=True)
    with zipfile.ZipFile(wheel) as zf:
        pth = zf.read("_proj_editable.pth").decode()
    assert pth.strip() == os.path.abspath(project)
    assert hooks_run(build_log) == ["get_requires_for_build_editable", "build_editable"]
    assert not glob.glob(os.path.join(cache.root, "built-wheels-v0", "path", "*", "*", "*", "*.whl"))


def test_a_backend_without_build_editable_gets_a_clear_error(tmp_path, cache, interp, env):
    """A backend with no ``build_editable`` hook: a BuildError naming PEP 660, no traceback."""
    pyproject = ('[build-system]\nrequires = []\nbuild-backend = "oldbackend"\nbackend-path = ["."]\n')
    files = {"oldbackend.py": "from puffin_test_backend import build_wheel, get_requires_for_build_wheel\n",
             "old/__init__.py": ""}
    project = support.write_project(tmp_path / "old", "old", "1.0", pyproject=pyproject, files=files)
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        with pytest.raises(puffin.BuildError) as err:
            builder.build_wheel(project, editable=True)
    assert "does not support editable installs" in err.value.message
    assert "`oldbackend`" in err.value.message
    assert "PEP 660" in err.value.message


# ---- metadata ----------------------------------------------------------------------------

def test_metadata_comes_from_prepare_metadata_without_a_build(tmp_path, cache, interp, env, build_log):
    """With ``prepare_metadata_for_build_wheel`` the metadata needs no wheel build."""
    sdist = support.make_sdist("foo", "1.0", deps=["bar>=2", "baz; extra == 'x'"], extras={"x": []},
                               static=False, out_dir=str(tmp_path))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        md = builder.metadata(sdist)
    assert (md.name, str(md.version)) == ("foo", "1.0")
    assert [str(r) for r in md.requires_dist][0] == "bar>=2"
    assert hooks_run(build_log) == ["get_requires_for_build_wheel", "prepare_metadata_for_build_wheel"]


def test_metadata_falls_back_to_building_the_wheel(tmp_path, cache, interp, env, build_log):
    """Without the prepare hook the wheel is built (once) and its METADATA read."""
    sdist = support.make_sdist("foo", "1.0", deps=["bar"], static=False, prepare_metadata=False,
                               out_dir=str(tmp_path))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        md = builder.metadata(sdist)
        wheel = builder.build_wheel(sdist)
    assert [str(r) for r in md.requires_dist] == ["bar"]
    assert os.path.isfile(wheel)
    assert hooks_run(build_log).count("build_wheel") == 1


def test_metadata_and_wheels_are_cached_across_builders(tmp_path, cache, interp, env, build_log):
    """A second builder (a later run) answers both from built-wheels-v0: no hook runs."""
    sdist = support.make_sdist("foo", "1.0", static=False, out_dir=str(tmp_path))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        builder.metadata(sdist)
        first = builder.build_wheel(sdist)
    ran = len(hooks_run(build_log))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as again:
        assert str(again.metadata(sdist).version) == "1.0"
        assert again.build_wheel(sdist) == first
        assert again.builds == 0
    assert len(hooks_run(build_log)) == ran
    assert hooks_run(build_log).count("build_wheel") == 1


def test_a_changed_source_tree_is_built_again(tmp_path, cache, interp, env, build_log):
    """A tree's wheel is keyed by its files' fingerprint: an edit rebuilds, the old wheel goes."""
    project = support.write_project(tmp_path / "proj", "proj", "1.0")
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        builder.build_wheel(project)
        builder.build_wheel(project)
    init = os.path.join(project, "proj", "__init__.py")
    with open(init, "a") as f:
        f.write("# edited\n")
    os.utime(init, ns=(0, 10**18))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        wheel = builder.build_wheel(project)
    assert hooks_run(build_log).count("build_wheel") == 2
    states = glob.glob(os.path.join(cache.root, "built-wheels-v0", "path", "proj", "*", "*", "*.whl"))
    assert states == [wheel]


# ---- failures ------------------------------------------------------------------------------

def test_a_failing_hook_reports_its_name_and_the_backend_output(tmp_path, cache, interp, env):
    """A hook that raises: BuildError with the hook, the backend and its last output lines."""
    sdist = support.make_sdist("foo", "1.0", build_fails=["build_wheel"], out_dir=str(tmp_path))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        with pytest.raises(puffin.BuildError) as err:
            builder.build_wheel(sdist)
    message = err.value.message
    assert message.startswith("failed to build foo-1.0.tar.gz: the `build_wheel` hook of the build "
                              "backend `puffin_test_backend` failed\n--- last ")
    assert "puffin_test_backend: intentional failure in build_wheel" in message
    assert message.rstrip().endswith("RuntimeError: intentional build failure in build_wheel")
    assert not glob.glob(os.path.join(cache.root, "built-wheels-v0", "sdist", "foo", "*", "*.whl"))


def test_a_failing_prepare_metadata_hook_is_an_error_not_a_fallback(tmp_path, cache, interp, env):
    """prepare_metadata that raises is a build failure (only a missing hook falls back)."""
    sdist = support.make_sdist("foo", "1.0", build_fails=["prepare_metadata_for_build_wheel"],
                               out_dir=str(tmp_path))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        with pytest.raises(puffin.BuildError, match="`prepare_metadata_for_build_wheel` hook"):
            builder.metadata(sdist)


def test_a_backend_that_cannot_be_imported_is_named(tmp_path, cache, interp, env):
    """An unknown build-backend module: BuildError saying it cannot be imported, with a hint."""
    pyproject = '[build-system]\nrequires = []\nbuild-backend = "no_such_backend.api"\n'
    project = support.write_project(tmp_path / "p", "p", "1.0", pyproject=pyproject)
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        with pytest.raises(puffin.BuildError) as err:
            builder.build_wheel(project)
    assert err.value.message.startswith("the build backend `no_such_backend.api` of p cannot be imported")
    assert "ModuleNotFoundError" in err.value.message
    assert "[build-system] requires" in err.value.hint


def test_the_backend_must_come_from_its_backend_path(tmp_path, cache, interp, env):
    """PEP 517: with backend-path, a backend found elsewhere (here: json) is refused."""
    pyproject = '[build-system]\nrequires = []\nbuild-backend = "json"\nbackend-path = ["."]\n'
    project = support.write_project(tmp_path / "p", "p", "1.0", pyproject=pyproject)
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        with pytest.raises(puffin.BuildError, match="outside its backend-path"):
            builder.build_wheel(project)


def test_backends_do_not_see_pythonpath(tmp_path, cache, interp, env):
    """PYTHONPATH of the caller does not reach the backend (builds are isolated)."""
    pyproject = '[build-system]\nrequires = []\nbuild-backend = "checking"\nbackend-path = ["."]\n'
    files = {"checking.py": "import os\nassert 'PYTHONPATH' not in os.environ, os.environ['PYTHONPATH']\n"
                            "assert os.environ['PYTHONNOUSERSITE'] == '1'\n"
                            "from puffin_test_backend import *\n",
             "p/__init__.py": ""}
    project = support.write_project(tmp_path / "p", "p", "1.0", pyproject=pyproject, files=files)
    env = dict(env, PYTHONPATH=str(tmp_path))
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        assert builder.build_wheel(project).endswith("p-1.0-py3-none-any.whl")


# ---- build systems -----------------------------------------------------------------------

def test_build_system_defaults_follow_pip(tmp_path):
    """No pyproject.toml or no [build-system]: setuptools' legacy backend; no
    build-backend: the legacy backend with the requires given."""
    (tmp_path / "setup.py").write_text("")
    assert puffin.BuildSystem.from_tree(str(tmp_path)) == puffin.BuildSystem(
        ["setuptools>=40.8.0"], "setuptools.build_meta:__legacy__")
    (tmp_path / "pyproject.toml").write_text("[tool.black]\n")
    assert puffin.BuildSystem.from_tree(str(tmp_path)).backend == "setuptools.build_meta:__legacy__"
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools", "cython"]\n')
    assert puffin.BuildSystem.from_tree(str(tmp_path)) == puffin.BuildSystem(
        ["setuptools", "cython"], "setuptools.build_meta:__legacy__")


@pytest.mark.parametrize("table, error", [
    ('build-backend = "x"', "the mandatory `requires` key is missing"),
    ('requires = "setuptools"', "`requires` must be a list of strings"),
    ('requires = []\nbuild-backend = "x"\nbackend-path = ["../elsewhere"]', "leaves the source tree"),
    ('requires = []\nbuild-backend = "x"\nbackend-path = ["/abs"]', "leaves the source tree"),
])
def test_invalid_build_system_tables_are_refused(tmp_path, table, error):
    """A [build-system] table that breaks PEP 517/518 is a BuildError naming the problem."""
    (tmp_path / "pyproject.toml").write_text("[build-system]\n" + table + "\n")
    with pytest.raises(puffin.BuildError, match=error):
        puffin.BuildSystem.from_tree(str(tmp_path))


def test_a_folder_that_is_no_project_is_refused(tmp_path, cache, interp, env):
    """A folder with neither pyproject.toml nor setup.py is not something to build."""
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        with pytest.raises(puffin.BuildError, match="is not a Python project"):
            builder.build_wheel(str(tmp_path))


# ---- malicious archives --------------------------------------------------------------------

def _tar(path, members):
    """members: (name, kind, payload) with kind "file", "sym", "link"."""
    with tarfile.open(path, "w:gz") as tf:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
            else:
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = payload
                tf.addfile(info)
    return str(path)


@pytest.mark.parametrize("members", [
    [("evil-1.0/setup.py", "file", b""), ("../outside.txt", "file", b"x")],
    [("evil-1.0/setup.py", "file", b""), ("/tmp/puffin-evil-absolute.txt", "file", b"x")],
    [("evil-1.0/up", "sym", "../.."), ("evil-1.0/up/outside.txt", "file", b"x")],
    [("evil-1.0/etc", "sym", "/etc")],
    [("evil-1.0/in", "sym", "."), ("evil-1.0/in/x/../../../outside.txt", "file", b"x")],
    [("evil-1.0/a", "sym", "."), ("evil-1.0/a/b", "sym", "../../..")],
    [("evil-1.0/hard", "link", "/etc/passwd")],
], ids=["dotdot", "absolute", "write-through-link", "abs-symlink", "dotdot-via-link",
        "link-chain", "hardlink-out"])
def test_malicious_sdists_are_refused(tmp_path, members):
    """Members that would land outside the extraction folder refuse the whole archive."""
    archive = _tar(tmp_path / "evil-1.0.tar.gz", members)
    target = tmp_path / "x" / "extract"
    with pytest.raises(puffin.UnsafePathError, match="refusing the source archive evil-1.0.tar.gz"):
        puffin.extract_sdist(archive, str(target))
    assert not (tmp_path / "x" / "outside.txt").exists()
    assert not (tmp_path / "outside.txt").exists()
    assert not os.path.exists("/tmp/puffin-evil-absolute.txt")


def test_a_malicious_zip_sdist_is_refused_by_the_builder(tmp_path, cache, interp, env):
    """A zip sdist with a ``..`` member is refused before any build starts."""
    archive = str(tmp_path / "evil-1.0.zip")
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("evil-1.0/setup.py", "")
        zf.writestr("evil-1.0/../../outside.txt", "x")
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env) as builder:
        with pytest.raises(puffin.UnsafePathError):
            builder.build_wheel(archive)
    assert not (tmp_path / "outside.txt").exists()


def test_links_inside_an_sdist_are_kept(tmp_path):
    """Symlinks and hard links that stay inside the tree extract normally."""
    archive = _tar(tmp_path / "ok-1.0.tar.gz", [
        ("ok-1.0/README", "file", b"hello"), ("ok-1.0/docs/README", "sym", "../README"),
        ("ok-1.0/COPY", "link", "ok-1.0/README"), ("./ok-1.0/run.sh", "file", b"#!/bin/sh\n")])
    tree = puffin.extract_sdist(archive, str(tmp_path / "out"))
    assert tree == os.path.join(os.path.realpath(tmp_path / "out"), "ok-1.0")
    assert open(os.path.join(tree, "docs", "README")).read() == "hello"
    assert open(os.path.join(tree, "COPY")).read() == "hello"


# ---- build requirements ------------------------------------------------------------------

_IMPORTING_BACKEND = "import helperlib\nassert helperlib.VALUE == 42\nfrom puffin_test_backend import *\n"
_LAZY_BACKEND = ("import puffin_test_backend as _b\nfrom puffin_test_backend import *\n\n"
                 "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
                 "    import helperlib\n"
                 "    return _b.build_wheel(wheel_directory, config_settings, metadata_directory)\n")


def _backend_project(tmp_path, name, backend_source, requires, build_requires=()):
    pyproject = ('[build-system]\nrequires = %s\nbuild-backend = "mybackend"\nbackend-path = ["."]\n'
                 % support._toml_list(requires))
    files = {"mybackend.py": backend_source, "%s/__init__.py" % name: ""}
    return support.make_sdist(name, "1.0", pyproject=pyproject, files=files, static=False,
                              build_requires=build_requires, out_dir=str(tmp_path / "dl"))


def test_build_requirements_are_installed_into_an_isolated_env(tmp_path, cache, interp, env,
                                                               index_server):
    """``requires`` are installed (through the caller's callback) before the backend
    is imported; two sources with the same requires share one environment."""
    index_server.add_wheel("helperlib", "1.0", files={"helperlib/__init__.py": "VALUE = 42\n"})
    install = index_installer(index_server, cache)
    first = _backend_project(tmp_path, "first", _IMPORTING_BACKEND, ["helperlib"])
    second = _backend_project(tmp_path, "second", _IMPORTING_BACKEND, ["helperlib"])
    with puffin.SourceBuilder(cache, interp, install, env=env) as builder:
        assert builder.build_wheel(first).endswith("first-1.0-py3-none-any.whl")
        assert builder.build_wheel(second).endswith("second-1.0-py3-none-any.whl")
        python = builder.prepare(first).python
    assert install.calls == [["helperlib"]]
    assert python.is_venv and python.prefix != interp.prefix
    with pytest.raises(ImportError):
        import helperlib  # noqa: F401  (the caller's environment is untouched)


def test_requirements_from_get_requires_are_added(tmp_path, cache, interp, env, index_server):
    """What ``get_requires_for_build_wheel`` adds is installed before ``build_wheel`` runs."""
    index_server.add_wheel("helperlib", "1.0", files={"helperlib/__init__.py": "VALUE = 42\n"})
    install = index_installer(index_server, cache)
    sdist = _backend_project(tmp_path, "lazy", _LAZY_BACKEND, [], build_requires=["helperlib"])
    with puffin.SourceBuilder(cache, interp, install, env=env) as builder:
        assert builder.build_wheel(sdist).endswith("lazy-1.0-py3-none-any.whl")
    assert install.calls == [["helperlib"]]


def test_a_failing_build_requirement_install_is_the_callers_error(tmp_path, cache, interp, env,
                                                                  index_server):
    """A build requirement nobody has: the resolver's error comes through unchanged."""
    install = index_installer(index_server, cache)
    sdist = _backend_project(tmp_path, "needy", _IMPORTING_BACKEND, ["nothere"])
    with puffin.SourceBuilder(cache, interp, install, env=env) as builder:
        with pytest.raises(puffin.PuffinError):
            builder.build_wheel(sdist)


def test_builds_for_another_python_run_its_hooks_there(tmp_path, cache, env, build_log):
    """A 3.9 target gets a 3.9 build environment (the hook runner is 3.8+-clean)."""
    exe = support.find_python("3.9")
    if exe is None:
        pytest.skip("Python 3.9 is not available")
    target = puffin.Interpreter.query(exe)
    sdist = support.make_sdist("foo", "1.0", static=False, out_dir=str(tmp_path))
    with puffin.SourceBuilder(cache, target, no_requirements, env=env) as builder:
        assert str(builder.metadata(sdist).version) == "1.0"
        assert builder.prepare(sdist).python.version_info[:2] == (3, 9)


def test_a_cyclic_build_dependency_is_an_error_not_a_hang(tmp_path, cache, interp, env):
    """A build requirement that is only an sdist needing itself to build fails clearly."""
    import threading
    helper = _backend_project(tmp_path, "helperlib", _IMPORTING_BACKEND, ["helperlib"])
    sdist = _backend_project(tmp_path, "foo", _IMPORTING_BACKEND, ["helperlib"])
    outcome, holder = [], {}

    def install(requirements, target):   # a real callback would resolve: helperlib is only an sdist
        holder["builder"].metadata(helper)

    def build():
        with puffin.SourceBuilder(cache, interp, install, env=env) as builder:
            holder["builder"] = builder
            try:
                builder.build_wheel(sdist)
            except puffin.BuildError as e:
                outcome.append(e)

    thread = threading.Thread(target=build, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the build hung on its own build environment"
    assert "cyclic build dependency" in outcome[0].message


def test_static_pyproject_metadata_needs_no_build(tmp_path, cache, interp, env, build_log):
    """With ``static_metadata`` a final [project] table answers metadata() without any hook."""
    pyproject = ('[build-system]\nrequires = ["never-installed"]\nbuild-backend = "x"\n\n'
                 '[project]\nname = "Stat_Ic"\nversion = "1.2"\nrequires-python = ">=3.8"\n'
                 'dependencies = ["a>=1; python_version >= \'3\'", "b @ https://example.com/b.whl"]\n'
                 '[project.optional-dependencies]\nTest_Extra = ["c", "d; os_name == \'nt\'"]\n')
    project = support.write_project(tmp_path / "s", "stat-ic", "1.2", pyproject=pyproject)
    with puffin.SourceBuilder(cache, interp, no_requirements, env=env, static_metadata=True) as builder:
        md = builder.metadata(project)
    assert (md.name, str(md.version), str(md.requires_python)) == ("Stat_Ic", "1.2", ">=3.8")
    assert [str(r) for r in md.requires_dist] == [
        'a>=1; python_version >= "3"', "b @ https://example.com/b.whl",
        'c; extra == "test-extra"', 'd; os_name == "nt" and extra == "test-extra"']
    assert md.provides_extra == ["test-extra"]
    assert hooks_run(build_log) == []


def test_dynamic_pyproject_metadata_still_builds(tmp_path):
    """``dynamic = ["dependencies"]`` (or no version) leaves the answer to the backend."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n')
    assert puffin.static_pyproject_metadata(str(tmp_path)) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\n')
    assert puffin.static_pyproject_metadata(str(tmp_path)) is None


# ---- a real backend ------------------------------------------------------------------------

def _local_wheels(prefix):
    """Wheels of ``prefix`` bundled with the Pythons on this machine (ensurepip or the
    test suite's wheeldata), newest first."""
    found = []
    for version in ("3.13", "3.12", "3.11", "3.10", "3.9"):
        exe = support.find_python(version)
        if exe is None:
            continue
        lib = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(exe))), "lib",
                           "python" + version)
        for pattern in ("ensurepip/_bundled/%s-*.whl", "test/wheeldata/%s-*.whl", "test/%s-*.whl"):
            found.extend(glob.glob(os.path.join(lib, pattern % prefix)))
    return sorted(set(found), key=lambda p: [int(x) if x.isdigit() else 0
                                             for x in os.path.basename(p).split("-")[1].split(".")],
                  reverse=True)


def test_builds_a_real_setuptools_project_offline(tmp_path, cache, interp, env, index_server):
    """setuptools (and wheel, which older setuptools asks for) from wheels bundled
    with the local Pythons build a PEP 621 project, metadata first."""
    setuptools_wheels = [w for w in _local_wheels("setuptools")
                         if int(os.path.basename(w).split("-")[1].split(".")[0]) >= 61]
    wheel_wheels = _local_wheels("wheel")
    if not setuptools_wheels or not wheel_wheels:
        pytest.skip("no bundled setuptools>=61 and wheel wheels on this machine")
    index_server.add_file(setuptools_wheels[0])
    index_server.add_file(wheel_wheels[0])
    project = tmp_path / "realpkg"
    (project / "realpkg").mkdir(parents=True)
    (project / "realpkg" / "__init__.py").write_text("ANSWER = 42\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "realpkg"\nversion = "0.3"\ndependencies = ["six>=1"]\n'
        '\n[tool.setuptools]\npackages = ["realpkg"]\n')
    install = index_installer(index_server, cache)
    with puffin.SourceBuilder(cache, interp, install, env=env) as builder:
        md = builder.metadata(str(project))
        wheel = builder.build_wheel(str(project), str(tmp_path / "out"))
    with puffin.SourceBuilder(cache, interp, install, env=env) as again:
        again.build_wheel(str(project))   # egg-info and build/ in the tree do not count as edits
        assert again.builds == 0
    assert (md.name, str(md.version), [str(r) for r in md.requires_dist]) == ("realpkg", "0.3", ["six>=1"])
    assert os.path.basename(wheel) == "realpkg-0.3-py3-none-any.whl"
    assert "realpkg/__init__.py" in wheel_names(wheel)
    assert install.calls[0] == ["setuptools>=61"]
