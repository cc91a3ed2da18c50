"""Every error a user can hit from the command line ends the same way: an
`error: ...` line (for bad input in a file, `error: FILE:LINE: ...` and the
offending text), maybe `hint: ...`, exit code 2 (1 when the request cannot be
satisfied), no traceback, and nothing half-installed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import support
from support import error_lines
from support import puffin_cli as puffin


def site_names(venv) -> list:
    """Everything in site-packages but puffin's own lock/journal files and pth/distutils files of venv."""
    return sorted(n for n in os.listdir(venv.site_packages) if not n.startswith((".", "_")))


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("solo", "1.0")
        s.add_wheel("app", "1.0", deps=["lib>=3"])
        s.add_wheel("lib", "1.0")
        s.add_wheel("broken", "1.0")
        s.add_wheel("evil", "1.0", files={"evil/__init__.py": "", "../../../evil_outside.py": "x = 1\n"})
        yield s
    assert not s.errors, "\n".join(s.errors)


# ---- bad input in requirement files ---------------------------------------------------------------

@pytest.mark.parametrize("bad_line", [
    "solo >=< 1.0",          # a malformed requirement
    "solo>=1.0.*",           # an invalid specifier
    "--frobnicate",          # an unknown option line
    "solo[extra",            # unclosed extras
])
@pytest.mark.parametrize("command", ["pip-install", "pip-sync"])
def test_a_bad_line_in_a_requirements_file_names_the_file_and_line(command, bad_line, env, venv_factory, tmp_path,
                                                                   server):
    """`error: FILE:LINE: what` then the offending text; exit 2; nothing installed."""
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# pins\nsolo==1.0\n%s\n" % bad_line)
    venv = venv_factory()
    args = ["-r", reqs] if command == "pip-install" else [reqs]
    code, out, err = puffin(venv.python, command, *args, env=env)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert lines[0].startswith("error: %s:3: " % reqs), lines
    assert any(bad_line in ln for ln in lines), lines
    assert site_names(venv) == []
    assert server.total_requests == 0  # refused before asking the index anything


def test_a_nested_requirements_file_error_names_the_inner_file(env, venv_factory, tmp_path):
    """-r inside a file: the error points at the included file and its line."""
    inner = tmp_path / "inner.txt"
    inner.write_text("solo==1.0\nsolo==1..0\n")
    outer = tmp_path / "outer.txt"
    outer.write_text("-r inner.txt\n")
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "-r", outer, env=env)
    assert code == 2
    lines = error_lines(err)
    assert lines[0].startswith("error: %s:2: " % inner)
    assert "solo==1..0" in "\n".join(lines)


def test_a_bad_requirement_on_the_command_line_is_an_error(env, venv_factory, server):
    """A malformed requirement argument: error naming it, exit 2, no request made."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "solo>>1", env=env)
    assert code == 2
    assert "solo>>1" in "\n".join(error_lines(err))
    assert server.total_requests == 0


@pytest.mark.parametrize("command", ["pip-install", "pip-sync", "pip-uninstall"])
def test_a_missing_requirements_file_is_an_error(command, env, venv_factory, tmp_path):
    """-r FILE (or pip-sync FILE) that does not exist: error naming it, exit 2."""
    venv = venv_factory()
    missing = str(tmp_path / "nope.txt")
    args = [missing] if command == "pip-sync" else ["-r", missing]
    code, out, err = puffin(venv.python, command, *args, env=env)
    assert (code, out) == (2, "")
    assert missing in error_lines(err)[0]


def test_a_missing_wheel_file_is_an_error(env, venv_factory, tmp_path):
    """A wheel path that is not there: error naming it, exit 2."""
    venv = venv_factory()
    path = str(tmp_path / "solo-1.0-py3-none-any.whl")
    code, _, err = puffin(venv.python, "pip-install", path, env=env)
    assert code == 2
    assert path in "\n".join(error_lines(err))


# ---- the target ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["missing", "text-file", "not-executable", "not-python", "empty-folder"])
def test_python_option_that_is_not_a_python_is_a_clear_error(kind, env, tmp_path):
    """--python naming no interpreter: `error: ...` naming the path, exit 2."""
    path = tmp_path / "python"
    if kind == "text-file":
        path.write_text("just text\n")
        path.chmod(0o755)
    elif kind == "not-executable":
        path.write_text("#!/bin/sh\n")
    elif kind == "not-python":
        path.write_text("#!/bin/sh\necho hello\n")
        path.chmod(0o755)
    elif kind == "empty-folder":
        path.mkdir()
    code, out, err = puffin(sys.executable, "pip-install", "solo", "--python", path, env=env)
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert str(path) in lines[0]


def test_no_virtual_environment_found_is_an_error_with_a_hint(env, tmp_path):
    """A non-venv Python, no VIRTUAL_ENV, no .venv above: error, hint to create one, exit 2."""
    base = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    check = subprocess.run([base, "-c", "import sys; print(sys.prefix == sys.base_prefix)"],
                           capture_output=True, text=True)
    if check.stdout.strip() != "True":
        pytest.skip("no base interpreter outside a venv")
    code, _, err = puffin(base, "pip-install", "solo", env=env, cwd=str(tmp_path))
    assert code == 2
    lines = error_lines(err)
    assert lines[0] == "error: no virtual environment found"
    assert lines[1].startswith("hint: ") and "venv" in lines[1]
    code, _, err = puffin(base, "pip-freeze", env=env, cwd=str(tmp_path))
    assert code == 2
    assert error_lines(err)[0] == "error: no virtual environment found"


def test_virtual_env_pointing_at_nothing_is_an_error(env, tmp_path):
    """VIRTUAL_ENV set to a folder with no Python: error naming it, exit 2."""
    base = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    code, _, err = puffin(base, "pip-install", "solo", env=dict(env, VIRTUAL_ENV=str(tmp_path / "gone")),
                          cwd=str(tmp_path))
    assert code == 2
    assert "gone" in error_lines(err)[0]


# ---- cannot be satisfied ----------------------------------------------------------------------------

def test_an_unknown_package_exits_1_and_says_why(env, venv_factory):
    """A package no index has: exit 1 (unsatisfiable), an explanation naming it."""
    venv = venv_factory()
    code, out, err = puffin(venv.python, "pip-install", "no-such-package", env=env)
    assert (code, out) == (1, "")
    text = "\n".join(error_lines(err))
    assert "no-such-package" in text
    assert "not found" in text or "no versions" in text
    assert site_names(venv) == []


def test_an_unsatisfiable_dependency_exits_1_and_installs_nothing(env, venv_factory):
    """app needs lib>=3 and only lib 1.0 exists: exit 1, the conflict explained, app not installed."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "app", env=env)
    assert code == 1
    text = "\n".join(error_lines(err))
    assert "lib" in text and "app" in text
    assert site_names(venv) == []


# ---- the network ---------------------------------------------------------------------------------------

def test_an_index_that_went_down_is_a_clear_network_error(env, venv_factory):
    """A server that answered once and then stopped: `error:` naming it, exit 2, nothing installed."""
    with support.IndexServer() as s:
        s.add_wheel("solo", "1.0")
        s.add_wheel("lib", "1.0")
        run_env = dict(env, PUFFIN_INDEX_URL=s.index_url)
        first = venv_factory(name="first")
        assert puffin(first.python, "pip-install", "solo", env=run_env)[0] == 0
    venv = venv_factory(name="second")
    code, _, err = puffin(venv.python, "pip-install", "lib", env=run_env)
    assert code == 2
    assert "127.0.0.1" in "\n".join(error_lines(err))
    assert site_names(venv) == []


def test_a_wheel_download_that_fails_installs_nothing_of_it(env, venv_factory, server):
    """The wheel URL answers 404 every time: error naming the file, exit 2, no files left."""
    server.fail("/files/solo-1.0-py3-none-any.whl", 404, times=None)
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "solo", env=env)
    server.clear_faults()
    assert code == 2
    assert "solo-1.0-py3-none-any.whl" in "\n".join(error_lines(err))
    assert site_names(venv) == []


def test_a_wheel_that_writes_outside_the_target_is_refused_before_writing(env, venv_factory, tmp_path):
    """A `../` member: error, exit 2, nothing of the wheel written anywhere."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "evil", env=env)
    assert code == 2
    error_lines(err)
    assert site_names(venv) == []
    for root in (venv.path, os.path.dirname(venv.site_packages), os.path.dirname(os.path.dirname(venv.site_packages))):
        assert not os.path.exists(os.path.join(root, "evil_outside.py"))


# ---- usage ---------------------------------------------------------------------------------------------

def test_usage_errors_exit_2(env, venv_factory):
    """No package named, an unknown flag, an unknown command: exit 2 with a message, no traceback."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", env=env)
    assert code == 2
    assert error_lines(err)[0].startswith("error: nothing to install")
    code, _, err = puffin(venv.python, "pip-install", "solo", "--no-such-flag", env=env)
    assert code == 2 and "Traceback" not in err and "--no-such-flag" in err
    code, _, err = puffin(venv.python, "pip-frobnicate", env=env)
    assert code == 2 and "Traceback" not in err
    code, _, err = puffin(venv.python, "pip-sync", env=env)
    assert code == 2 and "Traceback" not in err


def test_verbose_adds_the_traceback_to_an_error(env, venv_factory, tmp_path):
    """-v may show where an error came from; the `error:` line is still there."""
    reqs = tmp_path / "r.txt"
    reqs.write_text("solo >=< 1\n")
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "-r", reqs, "-v", env=env)
    assert code == 2
    assert any(ln.startswith("error: %s:1: " % reqs) for ln in err.splitlines())


def test_an_empty_lock_is_refused_unless_allowed(env, venv_factory, tmp_path):
    """pip-sync of a file with no requirements: error with a hint, exit 2, nothing removed;
    --allow-empty-requirements empties the venv."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "solo", env=env)[0] == 0
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing pinned\n")
    code, _, err = puffin(venv.python, "pip-sync", empty, env=env)
    assert code == 2
    lines = error_lines(err)
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: ")
    assert site_names(venv) == ["solo", "solo-1.0.dist-info"]
    code, _, err = puffin(venv.python, "pip-sync", empty, "--allow-empty-requirements", env=env)
    assert code == 0, err
    assert err.splitlines()[-1] == " - solo==1.0"
    assert site_names(venv) == []


def test_target_and_prefix_together_are_a_usage_error(env, venv_factory, tmp_path):
    """--target and --prefix name two different destinations: exit 2, nothing installed anywhere."""
    venv = venv_factory()
    target, prefix = tmp_path / "t", tmp_path / "p"
    code, _, err = puffin(venv.python, "pip-install", "solo", "--target", target, "--prefix", prefix, env=env)
    assert code == 2
    assert "--target" in error_lines(err)[0] or "--prefix" in error_lines(err)[0]
    assert not target.exists() and not prefix.exists()
    assert site_names(venv) == []


def test_a_bad_upgrade_package_value_is_a_usage_error(tmp_path):
    """-P takes a name or a requirement; anything else is a usage error (it was an
    internal error), for pip-compile and pip-install alike."""
    reqs = tmp_path / "r.in"
    reqs.write_text("six\n")
    env = support.without_machine_settings()
    for args in (["pip-compile", str(reqs)], ["pip-install", "six", "--dry-run"]):
        code, _, err = puffin(sys.executable, *args, "-P", "!", "--offline", env=env)
        assert code == 2, err
        assert "invalid --upgrade-package '!'" in err
        assert "internal error" not in err


@pytest.mark.parametrize("version", ["3.6", "3.7"])
def test_an_old_python_gets_one_line_not_a_syntax_error(version):
    """CPython 3.6/3.7 running puffin.py: the file compiles there, and its
    first statements say which Python it needs (exit 2, no traceback)."""
    python = support.find_python(version)
    if python is None:
        pytest.skip("no CPython %s here" % version)
    for args in (["--version"], ["pip-install", "six"]):
        r = subprocess.run([python, support.PUFFIN_SCRIPT] + args, capture_output=True, text=True)
        assert r.returncode == 2
        assert r.stderr == "error: puffin.py needs Python 3.9+ to run (it can install into 3.8+ with --python)\n"
