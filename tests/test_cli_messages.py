"""Messages a person meets (issue 15): mistakes on the command line get the
command or option meant and the command's own usage; errors name the
user's folders, not puffin's files; the target environment is named; builds
and bytecode report as uv's do; help has a line for every option."""

from __future__ import annotations

import argparse
import errno
import os
import subprocess
import sys

import pytest

import puffin
import support
from support import puffin_cli as puffin_run


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as srv:
        srv.add_wheel("smallpkg", "1.0", files={"smallpkg/__init__.py": "X = 1\n", "smallpkg/mod.py": ""})
        srv.add_wheel("winmac", "1.0", tag="py3-none-win_amd64")
        srv.add_wheel("winmac", "1.0", tag="py3-none-macosx_11_0_arm64")
        yield srv


def test_an_unknown_command_names_the_one_meant(env):
    for word, meant in (("install", "pip-install"), ("freeze", "pip-freeze"), ("pip-instal", "pip-install")):
        code, out, err = puffin_run(sys.executable, word, "six", env=env)
        assert code == 2
        assert err.splitlines() == ["error: unknown command `%s`" % word,
                                    "hint: did you mean `puffin.py %s`?" % meant]


def test_uvs_spelling_pip_install_is_taken(env, venv_factory):
    venv = venv_factory()
    code, _, err = puffin_run(venv.python, "pip", "install", "smallpkg", env=env)
    assert code == 0, err
    assert " + smallpkg==1.0" in err.splitlines()


def test_a_mistyped_option_gets_the_option_meant_and_the_commands_usage(env):
    code, _, err = puffin_run(sys.executable, "pip-install", "--upgarde", "six", env=env)
    assert code == 2
    assert err.splitlines() == ["error: unexpected argument `--upgarde` for `puffin.py pip-install`",
                                "hint: a similar option exists: `--upgrade`", "",
                                "usage: puffin.py pip-install [OPTIONS] [PACKAGE ...]"]
    code, _, err = puffin_run(sys.executable, "pip-freeze", "extra", env=env)
    assert code == 2 and "usage: puffin.py pip-freeze [OPTIONS]" in err.splitlines()
    assert "usage: puffin.py [-h]" not in err


def test_pip_and_uv_spellings_of_options(env, venv_factory):
    venv = venv_factory()
    code, _, err = puffin_run(venv.python, "pip-install", "smallpkg", "--no-cache-dir", env=env)
    assert code == 0, err


def test_no_index_and_find_links_wording(env, tmp_path):
    code, _, err = puffin_run(sys.executable, "pip-compile", "-", "--no-index", env=env, input="smallpkg\n")
    assert code == 1
    assert "smallpkg was not found in the provided package locations" in err
    assert ("hint: Packages were unavailable because index lookups were disabled and no additional "
            "package locations were provided (try: `--find-links <uri>`)") in err.splitlines()
    missing = str(tmp_path / "nowhere")
    code, _, err = puffin_run(sys.executable, "pip-compile", "-", "--find-links", missing, env=env,
                              input="smallpkg\n")
    assert code == 2
    assert "error: the find-links location %s does not exist" % missing in err.splitlines()


def test_target_naming_a_file(env, tmp_path):
    target = tmp_path / "afile"
    target.write_text("")
    code, _, err = puffin_run(sys.executable, "pip-install", "--target", str(target), "smallpkg", env=env)
    assert code == 2
    assert "error: --target %s is a file, not a folder" % target in err.splitlines()


def test_os_errors_name_the_folder_with_a_hint():
    """Permission, read-only and full-disk errors: the folder, never puffin's own file in it."""
    site = "/x/lib/python3.12/site-packages"
    e = puffin.os_error(PermissionError(errno.EACCES, "Permission denied", site + "/.puffin-installing-1.json"))
    assert e.message == "permission denied: cannot change %s" % site
    assert "--user" in e.hint and "virtual environment" in e.hint
    e = puffin.os_error(OSError(errno.EROFS, "Read-only file system", "/ro/.puffin.lock"))
    assert e.message == "cannot change /ro: it is on a read-only file system"
    e = puffin.os_error(OSError(errno.ENOSPC, "No space left on device", "/env/site-packages/.puffin.lock"))
    assert e.message == "No space left on device (/env/site-packages)"


def test_a_bad_requirement_gets_a_caret_under_the_bad_spot(env, tmp_path):
    code, _, err = puffin_run(sys.executable, "pip-compile", "-", env=env, input="six\nfoo>=1.0,<\n")
    assert code == 2
    lines = err.splitlines()
    assert lines[1:] == ["  foo>=1.0,<", "     ~~~~~~^"]
    code, _, err = puffin_run(sys.executable, "pip-install", "foo; python_version >> '3'", env=env)
    assert err.splitlines()[1:3] == ["  foo; python_version >> '3'", "                       ^"]


def test_the_target_environment_is_named(env, venv_factory, tmp_path):
    """uv's `Using Python X environment at: PATH` (relative inside the working
    folder), also with --dry-run; not for ./.venv itself."""
    venv = venv_factory()
    version = subprocess.run([venv.python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    code, _, err = puffin_run(sys.executable, "pip-install", "--python", venv.python, "--dry-run", "smallpkg",
                              env=env, filter=False)
    assert code == 0, err
    assert err.splitlines()[0] == "Using Python %s environment at: %s" % (version, os.path.realpath(str(venv))) \
        or err.splitlines()[0] == "Using Python %s environment at: %s" % (version, str(venv))
    code, _, err = puffin_run(sys.executable, "pip-freeze", "--python", venv.python, env=env,
                              cwd=os.path.dirname(str(venv)), filter=False)
    assert err.splitlines()[0] == "Using Python %s environment at: %s" % (version, os.path.basename(str(venv)))
    dot = tmp_path / "proj"
    dot.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dot / ".venv")], check=True)
    code, _, err = puffin_run(sys.executable, "pip-freeze", "--python", ".venv", env=env, cwd=str(dot),
                              filter=False)
    assert code == 0, err
    assert not any(line.startswith("Using Python") for line in err.splitlines())


def test_system_prefers_the_python_running_puffin(env, tmp_path):
    python = support.find_python("3.11") or support.find_python("3.12")
    if python is None:
        pytest.skip("no system CPython")
    real = os.path.realpath(python)
    bare = tmp_path / "bin"
    bare.mkdir()
    code, _, err = puffin_run(real, "pip-list", "--system", env=dict(env, PATH=str(bare)), filter=False)
    assert code == 0, err
    prefix = subprocess.run([real, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert err.splitlines()[0].endswith("environment at: %s" % prefix), err


def test_bytecode_and_builds_report_as_uv(env, venv_factory, tmp_path):
    venv = venv_factory()
    code, _, err = puffin_run(venv.python, "pip-install", "--compile-bytecode", "smallpkg", env=env)
    assert code == 0, err
    assert any(line.startswith("Bytecode compiled 2 files in ") for line in err.splitlines()), err
    proj = support.write_project(tmp_path / "proj", "builtproj", "1.0")
    code, _, err = puffin_run(venv.python, "pip-install", proj, env=env)
    assert code == 0, err
    assert "   Building proj" in err.splitlines() and "      Built proj" in err.splitlines()


def test_a_failed_build_shows_the_cause_and_a_hint(env, venv_factory, tmp_path):
    """The compiler's missing-command line is shown even when the tail is a
    traceback, with a hint naming what to install."""
    proj = tmp_path / "cproj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[build-system]\nrequires = []\nbuild-backend = "be"\n'
                                         'backend-path = ["."]\n')
    (proj / "be.py").write_text(
        "import subprocess\n"
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    subprocess.run('puffin-test-missing-gcc -c x.c', shell=True)\n"
        "    print('gcc: command not found')\n"
        "    for i in range(40):\n        print('noise %d' % i)\n"
        "    raise RuntimeError(\"command 'gcc' failed\")\n")
    venv = venv_factory()
    code, _, err = puffin_run(venv.python, "pip-install", str(proj), env=env)
    assert code == 2
    lines = err.splitlines()
    assert "  --- the backend's error lines:" in lines and "  gcc: command not found" in lines
    assert any(line.startswith("hint: building cproj needs a C/C++ compiler") for line in lines), err


def test_read_only_commands_do_not_create_the_cache(env, venv_factory, tmp_path):
    venv = venv_factory()
    fresh = tmp_path / "fresh-cache"
    for args in (["pip-freeze"], ["pip-list"], ["pip-check"], ["pip-show", "pip"], ["cache", "dir"]):
        puffin_run(venv.python, *args, env=dict(env, PUFFIN_CACHE_DIR=str(fresh)))
        assert not fresh.exists(), args


def test_every_option_has_a_help_line_and_read_only_commands_offer_only_theirs():
    parser = puffin.build_parser()
    for name, sub in parser.commands.items():
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sname, sp in action.choices.items():
                    for a in sp._actions:
                        assert a.help, (name, sname, a.option_strings or a.dest)
            assert action.help, (name, action.option_strings or action.dest)
    for name in ("pip-freeze", "pip-list", "pip-show", "pip-check", "pip-tree"):
        assert "--break-system-packages" not in parser.commands[name]._option_string_actions


def test_wheels_only_for_other_platforms_are_named(env):
    code, _, err = puffin_run(sys.executable, "pip-install", "--dry-run", "winmac", env=env)
    assert code == 1
    assert ("hint: Wheels of winmac==1.0 are available only for `macosx_11_0_arm64`, `win_amd64`: resolve "
            "for one of them (`--python-platform`), or allow a source distribution") in err.splitlines(), err


def test_a_read_only_environment_is_named_with_a_hint(env, tmp_path):
    """A venv on a read-only file system (a tmpfs remounted read-only, where
    this machine allows mounts): the environment's folder is named, never a
    file of puffin's own, with a hint; exit 2."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("mounting is not allowed here")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(mnt / "v")], check=True)
        if subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True).returncode != 0:
            pytest.skip("remounting read-only is not allowed here")
        python = str(mnt / "v" / "bin" / "python")
        code, _, err = puffin_run(python, "pip-install", "smallpkg", env=env)
        assert code == 2
        assert err.splitlines() == [
            "error: cannot change %s: it is on a read-only file system" % (mnt / "v"),
            "hint: install into a virtual environment on a writable disk, or choose another folder "
            "(--target, --cache-dir)"], err
        assert ".puffin" not in err
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_second_main_in_one_process_says_its_warnings_again(env, venv_factory, capsys, monkeypatch):
    venv = venv_factory()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for _ in range(2):
        assert puffin.main(["pip-uninstall", "--python", venv.python, "nosuchpkg"]) == 0
        err = capsys.readouterr().err
        assert "warning: Skipping nosuchpkg as it is not installed" in err.splitlines()
