"""More error paths a user can hit, seen as the user sees them: the exit code
(0 ok, 1 unsatisfiable, 2 error), an `error: ...` line (maybe a `hint: ...`)
on stderr and no traceback, and an environment left as it was: no package
half installed, no journal or temporary file left behind.

Complements tests/test_cli_errors.py: unexpected exceptions (internal errors,
Ctrl-C), a full disk or a read-only site-packages while installing, builds
and wheels that turn out to be another project, hash-checking mode refusing
what it cannot check, and option values and targets that make no sense."""

from __future__ import annotations

import errno
import gzip
import io
import os
import sys
import tarfile

import pytest

import puffin
import support
from support import assert_installed_whole, dist_infos, error_lines
from support import puffin_cli as run_cli

# builds run a backend in a fresh environment: allow them more time than the other commands
BUILD_TIMEOUT = 180


# ---- helpers ------------------------------------------------------------------------------

def leftovers(root: str) -> list:
    """Journals and temporary files an install may leave when it goes wrong."""
    found = []
    for dirpath, dirs, files in os.walk(root):
        for name in files + dirs:
            if name.startswith((".tmp-", ".puffin-installing")) or ".puffin-" in name:
                found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


def site_names(venv) -> list:
    """What site-packages holds, hidden and underscore-prefixed files (puffin's own, `_*.pth`) aside."""
    return sorted(n for n in os.listdir(venv.site_packages) if not n.startswith((".", "_")))


def snapshot(venv) -> dict:
    """Every file of the venv with its size and mtime (puffin's lock file aside),
    plus every folder: what a run that failed must not change."""
    files = support.file_stats(venv.path, ignore=(".puffin.lock",))
    folders = sorted(os.path.relpath(d, venv.path) for d, _, _ in os.walk(venv.path))
    return {"files": files, "folders": folders}


def tar_gz(tree: dict, top: str) -> bytes:
    """An sdist (.tar.gz) holding ``tree`` ({relative path: bytes}) under ``top/``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for path, content in sorted(tree.items()):
            info = tarfile.TarInfo("%s/%s" % (top, path))
            info.size, info.mtime, info.mode = len(content), 315532800, 0o644
            tf.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def disagreeing_sdist(name="baz", builds="qux", version="1.0", built_version="1.0") -> bytes:
    """`baz-1.0.tar.gz`: its PKG-INFO (static, Metadata-Version 2.2) says `baz`,
    but its build backend builds a wheel of `qux` (or of another version)."""
    tree = support.sdist_tree(builds, built_version)
    tree["PKG-INFO"] = support.make_metadata(name, version, metadata_version="2.2")
    return tar_gz(tree, "%s-%s" % (name, version))


LIB2_SCRIPTS = {"console_scripts": {"lib-cli": "lib:main"}}


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("solo", "1.0")
        s.add_wheel("solo", "1.1")
        s.add_wheel("app", "1.0", deps=["lib>=1"])
        s.add_wheel("lib", "1.0")
        s.add_wheel("lib", "2.0", entry_points=LIB2_SCRIPTS,
                    files={"lib/__init__.py": "__version__ = '2.0'\n", "lib/extra.py": "X = 1\n"})
        # a wheel file named liar whose METADATA says it is `truth`
        s.add("liar-1.0-py3-none-any.whl", support.make_wheel("truth", "1.0"))
        # an sdist named foo whose (dynamic) metadata needs a build, which makes `bar`
        s.add("foo-1.0.tar.gz", support.make_sdist("bar", "1.0", static=False))
        # an sdist whose static PKG-INFO says baz, but whose build makes `qux`
        s.add("baz-1.0.tar.gz", disagreeing_sdist())
        # an sdist whose static PKG-INFO says ver 1.0, but whose build makes ver 2.0
        s.add("ver-1.0.tar.gz", disagreeing_sdist("ver", "ver", "1.0", "2.0"))
        # a wheel for CPython 2.7 on Windows only
        s.add("winonly-1.0-cp27-cp27m-win32.whl", support.make_wheel("winonly", "1.0", tag="cp27-cp27m-win32"))
        yield s
    assert not s.errors, "\n".join(s.errors)


@pytest.fixture
def inproc(env, monkeypatch, capsys):
    """Run ``puffin.main(args)`` in this process (so puffin's functions can be
    monkeypatched), with the test's index and cache; returns (code, out, err).
    The index and cache are also given as options, so that they hold even after
    a ``monkeypatch.undo()`` (which would bring back the machine's environment)."""
    monkeypatch.setenv("PUFFIN_INDEX_URL", env["PUFFIN_INDEX_URL"])
    monkeypatch.setenv("PUFFIN_CACHE_DIR", env["PUFFIN_CACHE_DIR"])

    def run(*args):
        argv = [os.fspath(a) for a in args]
        argv += ["--index-url", env["PUFFIN_INDEX_URL"], "--cache-dir", env["PUFFIN_CACHE_DIR"]]
        capsys.readouterr()
        code = puffin.main(argv)
        out, err = capsys.readouterr()
        return code, support.filter_times(out), support.filter_times(err)
    return run


def enospc(path):
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)


# ---- 1. internal errors and Ctrl-C ------------------------------------------------------------

def test_an_unexpected_exception_is_a_short_internal_error_with_a_hint(inproc, venv_factory, monkeypatch):
    """A bug (any exception puffin.py did not raise on purpose): `error: internal error: TYPE: text`
    and a hint, exit 2, no traceback; -v adds the traceback; the environment is unchanged and not
    left locked (the next run installs)."""
    venv = venv_factory()

    def broken_plan(*args, **kwargs):
        raise RuntimeError("the planner fell over")
    with monkeypatch.context() as m:
        m.setattr(puffin.InstallPlan, "build", staticmethod(broken_plan))
        code, out, err = inproc("pip-install", "app", "--python", venv.python)
        assert (code, out) == (2, "")
        assert error_lines(err) == [
            "error: internal error: RuntimeError: the planner fell over",
            "hint: this is a bug in puffin.py; run again with -v to see the traceback",
        ]
        assert site_names(venv) == []
        assert leftovers(venv.path) == []

        code, _, err = inproc("pip-install", "app", "--python", venv.python, "-v")
        assert code == 2
        assert "Traceback (most recent call last)" in err and "broken_plan" in err
        assert "error: internal error: RuntimeError: the planner fell over" in err.splitlines()

    code, _, err = inproc("pip-install", "app", "--python", venv.python)
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}


def test_an_unexpected_exception_in_a_download_thread_is_reported_once(inproc, venv_factory, monkeypatch):
    """The exception happens on the worker threads that fetch the wheels: still one
    `internal error` line, exit 2, nothing installed, no journal or temporary file."""
    venv = venv_factory()

    def broken_prepare(dist, *args, **kwargs):
        raise ValueError("cannot prepare %s" % dist.name)
    monkeypatch.setattr(puffin, "prepare_dist", broken_prepare)
    code, out, err = inproc("pip-install", "app", "--python", venv.python)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert len(lines) == 2
    assert lines[0] in ("error: internal error: ValueError: cannot prepare app",
                        "error: internal error: ValueError: cannot prepare lib")
    assert lines[1].startswith("hint: ")
    assert site_names(venv) == []
    assert leftovers(venv.path) == []


def test_an_internal_error_in_pip_compile_leaves_the_output_file_as_it_was(inproc, tmp_path, monkeypatch):
    """pip-compile -o FILE failing on a bug: exit 2, nothing on stdout, FILE keeps its old pins."""
    src = support.write_file(tmp_path / "requirements.in", "solo\n")
    out_file = support.write_file(tmp_path / "requirements.txt", "solo==1.0\n")

    def broken_format(*args, **kwargs):
        raise KeyError("via")
    monkeypatch.setattr(puffin, "format_compile_output", broken_format)
    code, out, err = inproc("pip-compile", src, "-o", out_file, "-U")
    assert (code, out) == (2, "")
    assert error_lines(err)[0] == "error: internal error: KeyError: 'via'"
    with open(out_file, encoding="utf-8") as f:
        assert f.read() == "solo==1.0\n"
    assert leftovers(str(tmp_path)) == []


def test_ctrl_c_is_reported_as_interrupted_with_exit_130(inproc, venv_factory, monkeypatch):
    """Ctrl-C before anything changes: `error: interrupted`, exit 130, no traceback, nothing installed."""
    venv = venv_factory()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(puffin.InstallPlan, "build", staticmethod(interrupted))
    code, out, err = inproc("pip-install", "solo", "--python", venv.python)
    assert (code, out) == (130, "")
    assert error_lines(err) == ["error: interrupted (nothing was changed)"]
    assert dist_infos(venv.site_packages) == {}
    assert leftovers(venv.path) == []


# ---- 2. the disk refuses: full, read-only ------------------------------------------------------

def _fail_writes_into(site: str, monkeypatch, where: str) -> list:
    """Make the install run out of disk space inside ``site``: on the second file
    copied (``where="file"``, with --link-mode copy) or on RECORD, its last write."""
    calls = []
    if where == "file":
        real = puffin.link_or_copy

        def link_or_copy(src, dst, mode="hardlink"):
            if dst.startswith(site + os.sep):
                calls.append(dst)
                if len(calls) == 2:
                    raise enospc(dst)
            return real(src, dst, mode)
        monkeypatch.setattr(puffin, "link_or_copy", link_or_copy)
    else:
        real = puffin.SchemeDestination.write_bytes

        def write_bytes(self, target, record_path, data, **kwargs):
            if record_path.endswith(".dist-info/RECORD"):
                calls.append(target)
                raise enospc(target)
            return real(self, target, record_path, data, **kwargs)
        monkeypatch.setattr(puffin.SchemeDestination, "write_bytes", write_bytes)
    return calls


@pytest.mark.parametrize("where", ["file", "RECORD"])
def test_a_full_disk_while_installing_is_a_clear_error_and_changes_nothing(where, inproc, venv_factory,
                                                                            monkeypatch):
    """ENOSPC half way through lib's files (or on its RECORD, after its launcher): exit 2,
    `error: No space left on device (PATH)`, and the venv exactly as before (solo still
    whole, no lib file, no lib-cli launcher, no journal, no temporary file)."""
    venv = venv_factory()
    assert inproc("pip-install", "solo==1.0", "--python", venv.python)[0] == 0
    before = snapshot(venv)
    with monkeypatch.context() as m:
        calls = _fail_writes_into(venv.site_packages, m, where)
        code, out, err = inproc("pip-install", "lib==2.0", "--python", venv.python, "--link-mode", "copy")
    assert calls, "the simulated full disk was never reached"
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert lines == ["error: %s (%s)" % (os.strerror(errno.ENOSPC), calls[-1])]
    assert snapshot(venv) == before
    assert leftovers(venv.path) == []
    assert dist_infos(venv.site_packages) == {"solo": "1.0"}
    assert_installed_whole(venv.site_packages, "solo", "1.0")
    assert not os.path.exists(os.path.join(venv.bin, "lib-cli"))
    code, _, err = inproc("pip-install", "lib==2.0", "--python", venv.python)
    assert code == 0, err
    assert_installed_whole(venv.site_packages, "lib", "2.0")


@pytest.mark.skipif(os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root (and Windows) ignores read-only folder modes; see the ENOSPC test")
def test_a_read_only_site_packages_is_a_clear_permission_error(env, venv_factory):
    """site-packages and bin made read-only: exit 2, `error: Permission denied (PATH)`, no traceback,
    nothing written; once writable again the same command installs."""
    venv = venv_factory()
    assert run_cli(venv.python, "pip-install", "solo==1.0", env=env)[0] == 0
    before = snapshot(venv)
    modes = {d: os.stat(d).st_mode & 0o777 for d in (venv.site_packages, venv.bin)}
    try:
        for d in modes:
            os.chmod(d, 0o555)
        code, out, err = run_cli(venv.python, "pip-install", "lib==2.0", env=env)
    finally:
        for d, mode in modes.items():
            os.chmod(d, mode)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert lines[0].startswith("error: %s (" % os.strerror(errno.EACCES)), lines
    assert venv.site_packages in lines[0] or venv.bin in lines[0]
    assert snapshot(venv) == before
    assert dist_infos(venv.site_packages) == {"solo": "1.0"}
    code, _, err = run_cli(venv.python, "pip-install", "lib==2.0", env=env)
    assert code == 0, err
    assert_installed_whole(venv.site_packages, "lib", "2.0")


@pytest.mark.parametrize("command", ["pip-install", "pip-sync"])
def test_a_failed_upgrade_keeps_the_installed_version(command, inproc, venv_factory, monkeypatch, tmp_path):
    """lib 1.0 installed, lib 2.0 asked for, and the disk fills up while lib 2.0 is written:
    exit 2, and lib 1.0 must still be installed, whole (as pip rolls back its uninstall)."""
    venv = venv_factory()
    assert inproc("pip-install", "lib==1.0", "--python", venv.python)[0] == 0
    before = snapshot(venv)
    _fail_writes_into(venv.site_packages, monkeypatch, "RECORD")
    if command == "pip-install":
        code, _, err = inproc("pip-install", "lib==2.0", "--python", venv.python)
    else:
        lock = support.write_file(tmp_path / "lock.txt", "lib==2.0\n")
        code, _, err = inproc("pip-sync", lock, "--python", venv.python)
    assert code == 2
    assert error_lines(err)[0].startswith("error: %s (" % os.strerror(errno.ENOSPC))
    assert leftovers(venv.path) == []
    assert dist_infos(venv.site_packages) == {"lib": "1.0"}
    assert_installed_whole(venv.site_packages, "lib", "1.0")
    assert snapshot(venv)["files"].keys() == before["files"].keys()


@pytest.mark.parametrize("then", ["pip-install", "pip-uninstall"])
def test_an_upgrade_killed_midway_is_repaired_by_the_next_command(then, inproc, env, venv_factory):
    """An upgrade killed after moving lib 1.0 aside (a stash left in site-packages): the
    next pip-install or pip-uninstall first puts lib 1.0 back, then does its job."""
    venv = venv_factory()
    assert inproc("pip-install", "lib==1.0", "--python", venv.python)[0] == 0
    before = snapshot(venv)
    [dist] = [d for d in puffin.read_installed([venv.site_packages]) if d.name == "lib"]
    scheme = puffin.Interpreter.query(venv.python).scheme("default")
    puffin.uninstall(dist, scheme, stash=puffin.Stash())  # ... and then the process is killed
    assert dist_infos(venv.site_packages) == {}
    if then == "pip-install":
        code, _, err = inproc("pip-install", "lib==1.0", "--python", venv.python)
        assert code == 0, err
        assert snapshot(venv)["files"].keys() == before["files"].keys()
        assert_installed_whole(venv.site_packages, "lib", "1.0")
    else:
        code, _, err = run_cli(venv.python, "pip-uninstall", "lib", env=env)
        assert code == 0, err
        assert dist_infos(venv.site_packages) == {}
    assert leftovers(venv.path) == []
    assert not [n for n in os.listdir(venv.site_packages) if n.startswith(".puffin-stash-")]


# ---- 3. a build or a wheel that is another project -----------------------------------------------

@pytest.mark.parametrize("how", ["index", "compile", "project"])
def test_a_build_that_makes_another_project_is_an_error(how, env, venv_factory, tmp_path):
    """foo's sdist on the index (installed, or compiled) or a project folder asked for as
    `foo @ file://...` builds a distribution named bar: an error naming both, exit 2,
    nothing installed."""
    venv = venv_factory()
    if how == "index":
        args = ["pip-install", "foo"]
    elif how == "compile":
        args = ["pip-compile", support.write_file(tmp_path / "requirements.in", "foo\n")]
    else:
        project = support.write_project(tmp_path / "proj", "bar", "1.0")
        args = ["pip-install", "foo @ file://" + project]
    code, out, err = run_cli(venv.python, *args, env=env, timeout=BUILD_TIMEOUT)
    assert (code, out) == (2, "")
    assert error_lines(err) == ["error: the build of `foo` made a distribution named `bar`"]
    assert dist_infos(venv.site_packages) == {}
    assert leftovers(venv.path) == []


@pytest.mark.parametrize("how", ["index", "path"])
def test_a_wheel_whose_metadata_names_another_project_is_refused(how, env, venv_factory, tmp_path):
    """A wheel named liar (or asked for as foo) whose METADATA says it is another project:
    an error naming the file and both names, exit 2, nothing installed."""
    venv = venv_factory()
    if how == "index":
        req = "liar"
        expected = "error: the metadata of liar-1.0-py3-none-any.whl names the package `truth`, not `liar`"
    else:
        wheel = support.make_wheel("bar", "1.0", out_dir=tmp_path / "wheels")
        req, expected = ("foo @ file://" + wheel,
                         "error: the metadata of bar-1.0-py3-none-any.whl names the package `bar`, not `foo`")
    code, out, err = run_cli(venv.python, "pip-install", req, env=env)
    assert (code, out) == (2, "")
    assert error_lines(err) == [expected]
    assert dist_infos(venv.site_packages) == {}


def test_an_sdist_that_builds_another_project_than_its_pkg_info_says_is_refused(env, venv_factory):
    """baz's sdist has a static PKG-INFO naming baz, but its backend builds a wheel of qux:
    like pip and uv, refuse it (exit 2, an error naming both) and install nothing."""
    venv = venv_factory()
    code, _, err = run_cli(venv.python, "pip-install", "baz", env=env, timeout=BUILD_TIMEOUT)
    assert code == 2
    text = "\n".join(error_lines(err))
    assert "baz" in text and "qux" in text
    assert dist_infos(venv.site_packages) == {}


def test_an_sdist_that_builds_another_version_than_its_pkg_info_says_is_refused(env, venv_factory):
    """ver 1.0's sdist builds a wheel of ver 2.0: refused as pip refuses an "inconsistent
    version", exit 2, nothing installed."""
    venv = venv_factory()
    code, _, err = run_cli(venv.python, "pip-install", "ver", env=env, timeout=BUILD_TIMEOUT)
    assert code == 2
    assert error_lines(err) == ["error: the build of `ver` 1.0 made version 2.0"]
    assert dist_infos(venv.site_packages) == {}


def test_a_build_whose_wheel_name_is_invalid_is_refused(inproc, venv_factory, monkeypatch, tmp_path):
    """A backend that names its wheel against the spec: an error naming the file, exit 2,
    nothing installed."""
    venv = venv_factory()
    real = puffin.SourceBuilder.build_wheel

    def misnamed(self, source, output_dir=None, **kw):
        wheel = real(self, source, output_dir, **kw)
        odd = os.path.join(str(tmp_path), "not a wheel name.whl")
        with open(wheel, "rb") as src, open(odd, "wb") as dst:
            dst.write(src.read())
        return odd

    monkeypatch.setattr(puffin.SourceBuilder, "build_wheel", misnamed)
    code, _, err = inproc("pip-install", "baz", "--python", venv.python)
    assert code == 2
    assert error_lines(err) == ["error: the build of `baz` made a wheel with an invalid name: "
                                "not a wheel name.whl"]
    assert dist_infos(venv.site_packages) == {}


# ---- 4. hash-checking mode refuses what it cannot check ------------------------------------------

def _hash(server, filename: str) -> str:
    return "sha256:" + support.sha256(server.data(filename))


@pytest.mark.parametrize("spec", [">=1.0", "==1.*", ""])
@pytest.mark.parametrize("command", ["pip-install", "pip-sync"])
def test_hashes_required_refuse_an_unpinned_requirement_before_asking_the_index(command, spec, env, server,
                                                                                venv_factory, tmp_path):
    """--require-hashes (on the command line for pip-install, as a line of the file for
    pip-sync) and `solo>=1.0 --hash=...`: `error: FILE:LINE: hashes are required, so `...`
    must be pinned with ==`, exit 2, no request to the index, nothing installed."""
    venv = venv_factory()
    line = "solo%s --hash=%s" % (spec, _hash(server, "solo-1.1-py3-none-any.whl"))
    if command == "pip-install":
        reqs = support.write_file(tmp_path / "requirements.txt", line + "\n")
        args = ["pip-install", "-r", reqs, "--require-hashes"]
        lineno = 1
    else:
        reqs = support.write_file(tmp_path / "requirements.txt", "--require-hashes\n" + line + "\n")
        args = ["pip-sync", reqs]
        lineno = 2
    code, out, err = run_cli(venv.python, *args, env=env)
    assert (code, out) == (2, "")
    assert error_lines(err) == ["error: %s:%d: hashes are required, so `%s` must be pinned with =="
                                % (reqs, lineno, line)]
    assert server.total_requests == 0
    assert dist_infos(venv.site_packages) == {}


def test_a_lock_requiring_hashes_refuses_a_line_without_one(env, server, venv_factory, tmp_path):
    """pip-sync of a lock with `--require-hashes` and a pin with no --hash: an error naming
    the file, line and pin, a hint, exit 2, no request, nothing installed."""
    venv = venv_factory()
    reqs = support.write_file(tmp_path / "requirements.txt", "--require-hashes\nsolo==1.0 --hash=%s\nlib==1.0\n"
                              % _hash(server, "solo-1.0-py3-none-any.whl"))
    code, out, err = run_cli(venv.python, "pip-sync", reqs, env=env)
    assert (code, out) == (2, "")
    assert error_lines(err) == [
        "error: %s:3: hashes are required, but `lib==1.0` has no --hash" % reqs,
        "hint: add --hash=sha256:... (pip-compile --generate-hashes writes them)",
    ]
    assert server.total_requests == 0
    assert dist_infos(venv.site_packages) == {}


@pytest.mark.parametrize("command", [
    "pip-install",
    "pip-sync",
])
def test_one_hash_in_the_file_makes_every_package_need_one(command, env, server, venv_factory, tmp_path):
    """No --require-hashes, but one --hash in the file: the line without one is refused
    (file, line, a hint), exit 2, no wheel downloaded, nothing installed."""
    venv = venv_factory()
    reqs = support.write_file(tmp_path / "requirements.txt", "solo==1.0 --hash=%s\nlib==1.0\n"
                              % _hash(server, "solo-1.0-py3-none-any.whl"))
    args = ["-r", reqs] if command == "pip-install" else [reqs]
    code, out, err = run_cli(venv.python, command, *args, env=env)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert lines == ["error: %s:2: hashes are required, but `lib==1.0` has no --hash" % reqs,
                     "hint: add --hash=sha256:... (pip-compile --generate-hashes writes them)"]
    assert dist_infos(venv.site_packages) == {}
    assert server.requests_for("/files/*.whl") == 0


@pytest.mark.parametrize("command", ["pip-install", "pip-sync"])
def test_one_hash_in_the_file_also_requires_every_requirement_pinned(command, env, server, venv_factory,
                                                                     tmp_path):
    """As pip: a --hash anywhere means hash-checking mode, where `solo>=1.0 --hash=...` is refused
    (it must be pinned with ==) before anything is fetched or installed; exit 2."""
    venv = venv_factory()
    line = "solo>=1.0 --hash=%s" % _hash(server, "solo-1.1-py3-none-any.whl")
    reqs = support.write_file(tmp_path / "requirements.txt", line + "\n")
    args = ["-r", reqs] if command == "pip-install" else [reqs]
    code, _, err = run_cli(venv.python, command, *args, env=env)
    assert code == 2
    assert error_lines(err)[0] == ("error: %s:1: hashes are required, so `%s` must be pinned with =="
                                   % (reqs, line))
    assert dist_infos(venv.site_packages) == {}


# ---- 5. other errors a user can hit --------------------------------------------------------------

@pytest.mark.parametrize("option, value", [("--exclude-newer", "yesterday"), ("--exclude-newer", "2024-13-45"),
                                           ("--timeout", "-1"), ("--timeout", "inf")])
def test_a_bad_option_value_is_a_usage_error_not_an_internal_error(option, value, env, venv_factory):
    """A value the option cannot take: an `error:` naming the value, exit 2, no
    claim of a bug in puffin.py, nothing installed."""
    venv = venv_factory()
    code, out, err = run_cli(venv.python, "pip-install", "solo", option, value, env=env)
    assert (code, out) == (2, "")
    text = "\n".join(error_lines(err))
    assert "internal error" not in text and "bug" not in text
    assert value in text
    assert dist_infos(venv.site_packages) == {}


@pytest.mark.parametrize("how", ["path", "url"])
def test_a_wheel_for_another_platform_given_directly_is_refused(how, env, server, venv_factory, tmp_path):
    """`pip-install ./winonly-1.0-cp27-cp27m-win32.whl` (or its URL) into a Linux/macOS CPython 3:
    refused as pip and uv do (the wheel is not supported here), exit 1 or 2, nothing installed."""
    venv = venv_factory()
    filename = "winonly-1.0-cp27-cp27m-win32.whl"
    if how == "path":
        req = support.make_wheel("winonly", "1.0", tag="cp27-cp27m-win32", out_dir=tmp_path / "wheels")
    else:
        req = "winonly @ " + server.file_url(filename)
    code, out, err = run_cli(venv.python, "pip-install", req, env=env)
    assert code in (1, 2) and out == ""
    assert filename in "\n".join(error_lines(err))
    assert dist_infos(venv.site_packages) == {}


def test_a_package_without_record_is_replaced_by_an_upgrade_but_not_uninstalled(env, venv_factory):
    """lib 1.0 whose RECORD is gone: uninstalling it stops with `cannot uninstall lib 1.0:
    RECORD file not found` and a hint naming puffin.py's own `--reinstall`, exit 2, files
    untouched; upgrading it replaces its dist-info with a warning (the environment is never
    stuck with it), and `--reinstall` of the same version works too."""
    venv = venv_factory()
    assert run_cli(venv.python, "pip-install", "lib==1.0", env=env)[0] == 0
    os.unlink(os.path.join(venv.site_packages, "lib-1.0.dist-info", "RECORD"))
    before = snapshot(venv)
    code, out, err = run_cli(venv.python, "pip-uninstall", "lib", env=env)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert lines[0] == "error: cannot uninstall lib 1.0: RECORD file not found"
    assert lines[1].startswith("hint: ") and "--reinstall lib==1.0" in lines[1]
    assert snapshot(venv) == before
    code, out, err = run_cli(venv.python, "pip-install", "--reinstall", "lib==1.0", env=env)
    assert code == 0, err
    assert "has no RECORD" in err
    assert os.path.isfile(os.path.join(venv.site_packages, "lib-1.0.dist-info", "RECORD"))
    os.unlink(os.path.join(venv.site_packages, "lib-1.0.dist-info", "RECORD"))
    code, out, err = run_cli(venv.python, "pip-install", "lib==2.0", env=env)
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"lib": "2.0"}
    assert leftovers(venv.path) == []


def test_user_inside_a_virtual_environment_is_a_usage_error(env, venv_factory, tmp_path):
    """--user while the target is a venv (its user site is not on sys.path): exit 2, an error
    saying so, nothing installed in the venv or anywhere under HOME."""
    venv = venv_factory()
    home = str(tmp_path / "home")
    os.makedirs(home)
    code, out, err = run_cli(venv.python, "pip-install", "solo", "--user", env=dict(env, HOME=home))
    assert (code, out) == (2, "")
    assert error_lines(err) == ["error: cannot install with --user: user site-packages are not visible "
                                "in this virtual environment"]
    assert dist_infos(venv.site_packages) == {}
    assert os.listdir(home) == []


@pytest.mark.parametrize("editable", [False, True])
def test_a_folder_that_is_no_python_project_is_refused(editable, env, venv_factory, tmp_path):
    """`pip-install ./dir` (or `-e ./dir`) of a folder with neither pyproject.toml nor setup.py:
    an error naming it, exit 2, nothing installed."""
    venv = venv_factory()
    folder = tmp_path / "notaproject"
    folder.mkdir()
    (folder / "README.txt").write_text("hello\n")
    args = ["-e", str(folder)] if editable else [str(folder)]
    code, out, err = run_cli(venv.python, "pip-install", *args, env=env)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert lines[0] == ("error: directory `%s` is not installable: it has neither pyproject.toml "
                        "nor setup.py" % folder)
    assert dist_infos(venv.site_packages) == {}


def test_a_cache_dir_that_is_a_file_is_a_clear_error(env, venv_factory, tmp_path):
    """--cache-dir naming a file: `error: cannot use the cache folder ...`, a hint, exit 2,
    the file untouched, nothing installed."""
    venv = venv_factory()
    not_a_folder = support.write_file(tmp_path / "cache.txt", "keep me\n")
    code, out, err = run_cli(venv.python, "pip-install", "solo", "--cache-dir", not_a_folder, env=env)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert lines[0].startswith("error: cannot use the cache folder %s: " % not_a_folder)
    assert lines[1] == "hint: pass --cache-dir DIR or --no-cache"
    with open(not_a_folder, encoding="utf-8") as f:
        assert f.read() == "keep me\n"
    assert dist_infos(venv.site_packages) == {}


@pytest.mark.parametrize("inputs, flags, message", [
    ("requirements.in", ["--extra", "fast"], "`--extra` needs a pyproject.toml among the sources"),
    ("pyproject.toml", ["--extra", "nope"], "{src}: unknown extra `nope`; available: fast"),
    ("pyproject.toml", ["--group", "nope"], "{src}: unknown dependency group `nope`; there are none"),
])
def test_pip_compile_extras_and_groups_that_do_not_exist_leave_the_output_alone(inputs, flags, message, env,
                                                                                  server, tmp_path):
    """--extra/--group naming something the inputs do not have: the error, exit 2, no request,
    and the -o file keeps its pins."""
    support.write_file(tmp_path / "requirements.in", "solo\n")
    support.write_file(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n'
                       'dependencies = ["solo"]\n\n[project.optional-dependencies]\nfast = ["lib"]\n')
    src = str(tmp_path / inputs)
    out_file = support.write_file(tmp_path / "requirements.txt", "solo==1.0\n")
    code, out, err = run_cli(sys.executable, "pip-compile", src, "-o", out_file, *flags, env=env)
    assert (code, out) == (2, "")
    assert error_lines(err) == ["error: " + message.format(src=src)]
    assert server.total_requests == 0
    with open(out_file, encoding="utf-8") as f:
        assert f.read() == "solo==1.0\n"


def test_a_requirements_file_given_as_a_package_says_to_use_r(env, venv_factory, tmp_path):
    """`pip-install requirements.txt` (the -r forgotten): an error saying it is a file and a
    hint with the -r form, exit 2, no request, nothing installed."""
    venv = venv_factory()
    support.write_file(tmp_path / "requirements.txt", "solo\n")
    code, out, err = run_cli(venv.python, "pip-install", "requirements.txt", env=env, cwd=str(tmp_path))
    assert (code, out) == (2, "")
    assert error_lines(err) == ["error: `requirements.txt` is a requirements file, not a package",
                                "hint: to install what it lists, pass it with -r: -r requirements.txt"]
    assert dist_infos(venv.site_packages) == {}


def test_pip_compile_takes_a_direct_wheel_for_another_platform(env, venv_factory, tmp_path):
    """Only installs refuse a foreign wheel: a lock may be compiled for another machine,
    and `pip-compile` pins the wheel as uv does."""
    venv = venv_factory()
    wheel = support.make_wheel("winonly", "1.0", tag="cp27-cp27m-win32", out_dir=tmp_path / "wheels")
    reqs = support.write_file(tmp_path / "requirements.in", "winonly @ %s\n" % wheel)
    code, out, err = run_cli(venv.python, "pip-compile", reqs, "--no-header", "--no-annotate",
                             "--no-index", env=env)
    assert code == 0, err
    assert out.startswith("winonly @ ")


def test_pip_uninstall_of_a_file_name_is_just_a_name(env, venv_factory, tmp_path):
    """The -r hint is for installs: `pip-uninstall requirements.txt` looks for a package of
    that name (none installed: a warning), as uv does."""
    venv = venv_factory()
    support.write_file(tmp_path / "requirements.txt", "solo\n")
    code, out, err = run_cli(venv.python, "pip-uninstall", "requirements.txt", env=env, cwd=str(tmp_path))
    assert "pass it with -r" not in err
    assert code == 0, err
