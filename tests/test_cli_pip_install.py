"""`puffin.py pip-install` run as users run it: the target venv's Python runs
puffin.py (or `--python` names the target), against the local index server.

Each test checks the exit code, the exact summary lines in uv's grammar, the
files left in site-packages, and that the package imports in the target.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import support
from support import dist_infos
from support import file_stats as tree
from support import puffin_cli as puffin
from support import run_python as py


APP_INIT = "__version__ = '1.0'\n\ndef main():\n    print('hello from app')\n"


# ---- helpers ------------------------------------------------------------------------------

def assert_installed_whole(site: str, name: str, version: str, requested: bool = True) -> str:
    return support.assert_installed_whole(site, name, version, requested)


def no_traceback(text: str) -> None:
    assert "Traceback" not in text


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    """One index for the module: app (needs lib>=1, has a console script), lib 1.0/2.0, solo 1.0/1.1."""
    with support.IndexServer() as s:
        s.add_wheel("app", "1.0", deps=["lib>=1"], files={"app/__init__.py": APP_INIT},
                    entry_points={"console_scripts": {"app-hello": "app:main"}})
        s.add_wheel("lib", "1.0")
        s.add_wheel("lib", "2.0")
        s.add_wheel("solo", "1.0")
        s.add_wheel("solo", "1.1")
        yield s
    assert not s.errors, "\n".join(s.errors)


# ---- the main job -----------------------------------------------------------------------------

def test_installs_a_package_and_its_dependency_into_the_venv_whose_python_runs_puffin(env, venv_factory):
    """The main job: VENV/bin/python puffin.py pip-install app puts app and lib in that venv."""
    venv = venv_factory()
    code, out, err = puffin(venv.python, "pip-install", "app", env=env)
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        "Resolved 2 packages in [TIME]",
        "Prepared 2 packages in [TIME]",
        "Installed 2 packages in [TIME]",
        " + app==1.0",
        " + lib==2.0",
    ]
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}
    app = assert_installed_whole(venv.site_packages, "app", "1.0", requested=True)
    lib = assert_installed_whole(venv.site_packages, "lib", "2.0", requested=False)
    assert not os.path.exists(os.path.join(app, "direct_url.json"))
    assert not os.path.exists(os.path.join(lib, "direct_url.json"))
    assert py(venv, "import app, lib; print(app.__version__, lib.__version__)") == "1.0 2.0"
    script = os.path.join(venv.bin, "app-hello")
    with open(script, encoding="utf-8") as f:
        assert f.readline().strip() == "#!" + venv.python
    run = subprocess.run([script], capture_output=True, text=True)
    assert (run.returncode, run.stdout) == (0, "hello from app\n")


def test_python_option_targets_another_venv_not_the_running_one(env, venv_factory):
    """--python (an executable or a venv folder) wins over the venv whose Python runs puffin.py."""
    runner = venv_factory(name="runner")
    target = venv_factory(name="target")
    code, _, err = puffin(runner.python, "pip-install", "solo==1.0", "--python", target.python, env=env)
    assert code == 0, err
    assert dist_infos(target.site_packages) == {"solo": "1.0"}
    assert dist_infos(runner.site_packages) == {}
    code, _, err = puffin(sys.executable, "pip-install", "lib==1.0", "--python", target.path, env=env)
    assert code == 0, err
    assert dist_infos(target.site_packages) == {"solo": "1.0", "lib": "1.0"}
    assert py(target, "import solo, lib; print(solo.__version__, lib.__version__)") == "1.0 1.0"


def test_nothing_to_do_prints_one_line_touches_nothing_and_asks_no_index(env, venv_factory, server):
    """When everything asked for (and its dependencies) is installed: `Checked 1 package`, no request."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "app", env=env)[0] == 0
    before = tree(venv.path)
    server.reset_counters()
    code, out, err = puffin(venv.python, "pip-install", "app", env=env)
    assert (code, out, err) == (0, "", "Checked 1 package in [TIME]\n")
    code, out, err = puffin(venv.python, "pip-install", "app", "lib>=2", env=env)
    assert (code, out, err) == (0, "", "Checked 2 packages in [TIME]\n")
    assert server.total_requests == 0
    after = tree(venv.path)
    after.pop(".puffin.lock", None)
    before.pop(".puffin.lock", None)
    assert after == before


def test_installed_versions_are_preferred_and_upgrade_replaces_them(env, venv_factory):
    """lib 1.0 already installed satisfies app; -U moves it to 2.0 (` - ` then ` + `)."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "lib==1.0", env=env)[0] == 0
    code, _, err = puffin(venv.python, "pip-install", "app", env=env)
    assert code == 0
    assert err.splitlines() == [
        "Resolved 2 packages in [TIME]",
        "Prepared 1 package in [TIME]",
        "Installed 1 package in [TIME]",
        " + app==1.0",
    ]
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "1.0"}
    code, _, err = puffin(venv.python, "pip-install", "-U", "app", env=env)
    assert code == 0
    assert err.splitlines() == [
        "Resolved 2 packages in [TIME]",
        "Prepared 1 package in [TIME]",
        "Uninstalled 1 package in [TIME]",
        "Installed 1 package in [TIME]",
        " - lib==1.0",
        " + lib==2.0",
    ]
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}
    assert_installed_whole(venv.site_packages, "lib", "2.0", requested=False)
    assert py(venv, "import lib; print(lib.__version__)") == "2.0"


def test_upgrade_package_upgrades_only_the_named_package(env, venv_factory):
    """-P lib lets lib move to its newest version while solo stays at the installed 1.0."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "lib==1.0", "solo==1.0", env=env)[0] == 0
    code, _, err = puffin(venv.python, "pip-install", "app", "solo", "-P", "lib", env=env)
    assert code == 0, err
    assert " - lib==1.0" in err.splitlines() and " + lib==2.0" in err.splitlines()
    assert not any("solo" in line for line in err.splitlines())
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0", "solo": "1.0"}


def test_no_deps_installs_only_the_package_and_warns_about_the_missing_dependency(env, venv_factory):
    """--no-deps: app alone, then the post-install check warns that lib is missing (exit 0)."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "app", "--no-deps", env=env)
    assert code == 0
    assert err.splitlines() == [
        "Resolved 1 package in [TIME]",
        "Prepared 1 package in [TIME]",
        "Installed 1 package in [TIME]",
        " + app==1.0",
        "warning: The package `app` requires `lib>=1`, but it's not installed",
    ]
    assert dist_infos(venv.site_packages) == {"app": "1.0"}
    code, out, err = puffin(venv.python, "pip-install", "app", "--no-deps", "--strict", "--reinstall", env=env)
    assert code == 1
    assert "The package `app` requires `lib>=1`, but it's not installed" in out + err


def test_reinstall_puts_the_same_version_back_marked_with_a_tilde(env, venv_factory):
    """--reinstall and --reinstall-package remove and install again: ` ~ solo==1.1`."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "solo", "lib", env=env)[0] == 0
    code, _, err = puffin(venv.python, "pip-install", "solo", "--reinstall", env=env)
    assert code == 0
    lines = [ln for ln in err.splitlines() if not ln.startswith("Prepared")]
    assert lines == [
        "Resolved 1 package in [TIME]",
        "Uninstalled 1 package in [TIME]",
        "Installed 1 package in [TIME]",
        " ~ solo==1.1",
    ]
    code, _, err = puffin(venv.python, "pip-install", "solo", "lib", "--reinstall-package", "lib", env=env)
    assert code == 0
    assert [ln for ln in err.splitlines() if ln.startswith(" ")] == [" ~ lib==2.0"]
    assert_installed_whole(venv.site_packages, "solo", "1.1")
    assert_installed_whole(venv.site_packages, "lib", "2.0")


def test_dry_run_says_what_would_change_and_changes_nothing(env, venv_factory):
    """--dry-run lists the would-be changes; site-packages stays as it was."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "lib==1.0", env=env)[0] == 0
    before = tree(venv.path)
    code, _, err = puffin(venv.python, "pip-install", "app", "lib==2.0", "--dry-run", env=env)
    assert code == 0
    assert err.splitlines() == [
        "Resolved 2 packages in [TIME]",
        "Would download 2 packages",
        "Would uninstall 1 package",
        "Would install 2 packages",
        " + app==1.0",
        " - lib==1.0",
        " + lib==2.0",
    ]
    after = tree(venv.path)
    after.pop(".puffin.lock", None)
    before.pop(".puffin.lock", None)
    assert after == before


def test_constraints_limit_what_dependencies_resolve_to(env, venv_factory, tmp_path):
    """-c FILE pins a dependency without asking for it."""
    venv = venv_factory()
    constraints = tmp_path / "c.txt"
    constraints.write_text("lib<2\n")
    code, _, err = puffin(venv.python, "pip-install", "app", "-c", constraints, env=env)
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "1.0"}


# ---- direct references ----------------------------------------------------------------------------

def test_a_wheel_path_and_a_wheel_url_get_direct_url_json(env, venv_factory, server, tmp_path):
    """PEP 610: a local wheel records its file:// URL, a URL wheel its URL, both with the archive hash."""
    wheel = support.make_wheel("local", "0.5", out_dir=tmp_path / "wheels")
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", wheel, env=env)
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == "Resolved 1 package in [TIME]"
    assert lines[-1].startswith(" + local") and wheel in lines[-1]
    dist_info = assert_installed_whole(venv.site_packages, "local", "0.5")
    with open(os.path.join(dist_info, "direct_url.json"), encoding="utf-8") as f:
        direct = json.load(f)
    with open(wheel, "rb") as f:
        digest = support.sha256(f.read())
    assert direct["url"] == "file://" + wheel
    assert direct["archive_info"]["hashes"] == {"sha256": digest}

    url = server.file_url("solo-1.0-py3-none-any.whl")
    code, _, err = puffin(venv.python, "pip-install", "solo @ " + url, env=env)
    assert code == 0, err
    dist_info = assert_installed_whole(venv.site_packages, "solo", "1.0")
    with open(os.path.join(dist_info, "direct_url.json"), encoding="utf-8") as f:
        direct = json.load(f)
    assert direct["url"] == url
    assert direct["archive_info"]["hashes"] == {"sha256": support.sha256(server.data("solo-1.0-py3-none-any.whl"))}
    assert py(venv, "import local, solo; print(local.__version__, solo.__version__)") == "0.5 1.0"
    code, out, _ = puffin(venv.python, "pip-freeze", env=env)
    assert out.splitlines() == ["local @ file://" + wheel, "solo @ " + url]


# ---- hashes ----------------------------------------------------------------------------------------

def test_matching_hashes_install(env, venv_factory, server, tmp_path):
    """Every pin carries a --hash that matches: installed."""
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("solo==1.0 --hash=sha256:%s\n" % support.sha256(server.data("solo-1.0-py3-none-any.whl")))
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "-r", reqs, "--require-hashes", env=env)
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"solo": "1.0"}


def test_a_hash_mismatch_names_the_file_and_both_digests_and_installs_nothing(env, venv_factory, server, tmp_path):
    """A wrong --hash: `error: Hash mismatch for ...` with expected and computed digests, exit 2, nothing installed."""
    good = support.sha256(server.data("lib-2.0-py3-none-any.whl"))
    actual = support.sha256(server.data("solo-1.0-py3-none-any.whl"))
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("lib==2.0 --hash=sha256:%s\nsolo==1.0 --hash=sha256:%s\n" % (good, "0" * 64))
    venv = venv_factory()
    code, out, err = puffin(venv.python, "pip-install", "-r", reqs, env=env)
    assert code == 2
    no_traceback(err)
    assert "error: Hash mismatch for `solo-1.0-py3-none-any.whl`" in err.splitlines()
    assert "sha256:" + "0" * 64 in err
    assert "sha256:" + actual in err
    assert dist_infos(venv.site_packages) == {}
    assert not [n for n in os.listdir(venv.site_packages) if not n.startswith((".", "_"))]


def test_a_corrupted_download_is_refused_and_installs_nothing(env, venv_factory, server):
    """The index's hash does not match the bytes served: error, exit 2, no files left."""
    server.inject("/files/solo-1.1-py3-none-any.whl", "corrupt", times=None)
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "solo", env=env)
    server.clear_faults()
    assert code == 2
    no_traceback(err)
    assert "error: Hash mismatch for `solo-1.1-py3-none-any.whl`" in err.splitlines()
    assert dist_infos(venv.site_packages) == {}
    assert not os.path.exists(os.path.join(venv.site_packages, "solo"))


def test_require_hashes_refuses_an_unhashed_requirement_before_fetching(env, venv_factory, server, tmp_path):
    """--require-hashes with a pin that has no --hash: an error naming it, nothing downloaded or installed."""
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("solo==1.0\n")
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "-r", reqs, "--require-hashes", env=env)
    assert code == 2
    no_traceback(err)
    assert err.splitlines()[-2].startswith("error: ") and "solo" in err.splitlines()[-2]
    assert err.splitlines()[-1].startswith("hint: ")
    assert server.requests_for("/files/*.whl") == 0
    assert dist_infos(venv.site_packages) == {}


# ---- other targets -----------------------------------------------------------------------------------

def test_target_installs_into_a_plain_folder(env, venv_factory, tmp_path):
    """--target DIR: packages land in DIR (importable with it on sys.path); the venv is untouched."""
    venv = venv_factory()
    target = tmp_path / "target"
    code, _, err = puffin(venv.python, "pip-install", "app", "--target", target, env=env)
    assert code == 0, err
    assert dist_infos(str(target)) == {"app": "1.0", "lib": "2.0"}
    assert_installed_whole(str(target), "app", "1.0")
    assert dist_infos(venv.site_packages) == {}
    out = py(venv, "import sys; sys.path.insert(0, %r); import app, lib; print(app.__file__)" % str(target))
    assert out == os.path.join(str(target), "app", "__init__.py")


def test_prefix_installs_under_a_prefix_with_its_own_bin(env, venv_factory, tmp_path):
    """--prefix P: P/lib/pythonX.Y/site-packages and P/bin/app-hello."""
    venv = venv_factory()
    prefix = tmp_path / "prefix"
    code, _, err = puffin(venv.python, "pip-install", "app", "--prefix", prefix, env=env)
    assert code == 0, err
    site = os.path.join(str(prefix), "lib", "python" + venv.version, "site-packages")
    assert dist_infos(site) == {"app": "1.0", "lib": "2.0"}
    assert_installed_whole(site, "app", "1.0")
    assert os.path.isfile(os.path.join(str(prefix), "bin", "app-hello"))
    assert dist_infos(venv.site_packages) == {}
    run = subprocess.run([os.path.join(str(prefix), "bin", "app-hello")], capture_output=True, text=True,
                         env=dict(env, PYTHONPATH=site))
    assert (run.returncode, run.stdout) == (0, "hello from app\n")


def _externally_managed_python(tmp_path) -> str:
    """A folder with a `python3` that is a base (not venv) interpreter whose stdlib
    folder holds an EXTERNALLY-MANAGED file: a copy of the running Python's binary
    in a fake prefix whose lib/pythonX.Y links to the real stdlib entries (a copied
    interpreter finds its prefix from where it is; PYTHONHOME would not survive -I)."""
    import shutil
    import sysconfig
    real = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    stdlib = sysconfig.get_paths()["stdlib"]
    if not os.path.isfile(os.path.join(stdlib, "os.py")):
        pytest.skip("cannot find the standard library of the running Python")
    home = tmp_path / "fakehome"
    lib = home / "lib" / ("python%d.%d" % sys.version_info[:2])
    lib.mkdir(parents=True)
    for entry in os.listdir(stdlib):
        if entry != "site-packages":
            os.symlink(os.path.join(stdlib, entry), str(lib / entry))
    (lib / "site-packages").mkdir()
    (lib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=managed by the test distro\n")
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    ldlibrary = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY") or ""
    if ldlibrary and os.path.exists(os.path.join(libdir, ldlibrary)):
        os.symlink(os.path.join(libdir, ldlibrary), str(home / "lib" / ldlibrary))
    bindir = home / "bin"
    bindir.mkdir()
    shutil.copy2(real, str(bindir / "python3"))
    check = subprocess.run([str(bindir / "python3"), "-I", "-c", "import sys; print(sys.prefix)"],
                           capture_output=True, text=True)
    if check.returncode != 0 or check.stdout.strip() != str(home):
        pytest.skip("a copied interpreter does not run here: %s" % check.stderr.strip()[-200:])
    return str(bindir)


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell wrapper")
def test_system_refuses_an_externally_managed_python_unless_told_to_break_it(env, tmp_path):
    """--system with a PEP 668 python3 first on PATH: exit 2 and a hint; --break-system-packages installs."""
    bindir = _externally_managed_python(tmp_path)
    env = dict(env, PATH=bindir + os.pathsep + env.get("PATH", ""))
    site = os.path.join(str(tmp_path), "fakehome", "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
    code, out, err = puffin(sys.executable, "pip-install", "solo", "--system", env=env)
    assert code == 2
    no_traceback(err)
    assert err.splitlines()[0].startswith("error: ")
    assert "externally managed" in err.splitlines()[0]
    refusal = err
    assert any(line.startswith("hint: ") and "--break-system-packages" in line for line in err.splitlines())
    assert os.listdir(site) == []
    code, _, err = puffin(sys.executable, "pip-install", "solo", "--system", "--break-system-packages", env=env)
    assert code == 0, err
    assert dist_infos(site) == {"solo": "1.1"}
    assert "managed by the test distro" in refusal  # PEP 668: show the distro's Error text


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell wrapper")
@pytest.mark.parametrize("command", ["pip-install", "pip-uninstall", "pip-sync"])
def test_an_externally_managed_python_named_by_path_is_refused_too(command, env, tmp_path):
    """--python /path/to/python3 of a PEP 668 Python (no --system): the same refusal, with the
    distributor's words and the --break-system-packages hint; nothing lands in its site-packages."""
    bindir = _externally_managed_python(tmp_path)
    site = os.path.join(str(tmp_path), "fakehome", "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("solo==1.1\n")
    args = {"pip-install": ["solo"], "pip-uninstall": ["solo"], "pip-sync": [str(reqs)]}[command]
    code, out, err = puffin(sys.executable, command, *args, "--python", os.path.join(bindir, "python3"),
                            env=env)
    assert code == 2, err
    no_traceback(err)
    assert err.splitlines()[0].startswith("error: the Python at ")
    assert "externally managed" in err.splitlines()[0]
    assert "managed by the test distro" in err
    assert any(line.startswith("hint: ") and "--break-system-packages" in line for line in err.splitlines())
    assert os.listdir(site) == []


# ---- how files get there ----------------------------------------------------------------------------

def test_compile_bytecode_leaves_pyc_files_for_installed_modules(env, venv_factory):
    """--compile-bytecode: each installed module has its __pycache__ .pyc for the target Python."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "app", "--compile-bytecode", env=env)
    assert code == 0, err
    tag = py(venv, "import sys; print(sys.implementation.cache_tag)")
    for pkg in ("app", "lib"):
        assert os.path.isfile(os.path.join(venv.site_packages, pkg, "__pycache__", "__init__.%s.pyc" % tag))


def _cached_copy(cache: str, relpath: str) -> str:
    found = []
    for dirpath, _dirs, files in os.walk(cache):
        for fn in files:
            p = os.path.join(dirpath, fn)
            if p.endswith(os.sep + relpath) and "archive" in p:
                found.append(p)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("mode", ["hardlink", "copy", "symlink"])
def test_link_modes_put_files_in_place_as_asked(mode, env, venv_factory, tmp_cache):
    """--link-mode: a hard link to the unzipped wheel in the cache, a copy, or a symlink to it."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "solo==1.0", "--link-mode", mode, env=env)
    assert code == 0, err
    installed = os.path.join(venv.site_packages, "solo", "__init__.py")
    cached = _cached_copy(tmp_cache, os.path.join("solo", "__init__.py"))
    if mode == "hardlink":
        assert not os.path.islink(installed) and os.path.samefile(installed, cached)
    elif mode == "copy":
        assert not os.path.islink(installed) and not os.path.samefile(installed, cached)
    else:
        assert os.path.islink(installed) and os.path.samefile(installed, cached)
    assert_installed_whole(venv.site_packages, "solo", "1.0")
    assert py(venv, "import solo; print(solo.__version__)") == "1.0"
    # Nothing an install does changes the cache: uninstalling leaves the cached file.
    assert puffin(venv.python, "pip-uninstall", "solo", env=env)[0] == 0
    assert os.path.isfile(cached)


# ---- offline -----------------------------------------------------------------------------------------

def test_offline_with_a_warm_cache_installs_without_the_network(env, venv_factory, server):
    """After one install fills the cache, --offline installs into a fresh venv with no request at all."""
    first = venv_factory(name="first")
    assert puffin(first.python, "pip-install", "app", env=env)[0] == 0
    server.reset_counters()
    second = venv_factory(name="second")
    code, _, err = puffin(second.python, "pip-install", "app", "--offline", env=env)
    assert code == 0, err
    assert server.total_requests == 0
    assert dist_infos(second.site_packages) == {"app": "1.0", "lib": "2.0"}
    assert py(second, "import app, lib") == ""


def test_offline_with_a_cold_cache_fails_clearly(env, venv_factory, server):
    """--offline and nothing cached: an `error:` about being offline, no traceback, nothing installed."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "solo", "--offline", env=env)
    assert code in (1, 2)
    no_traceback(err)
    assert err.startswith("error: ")
    assert "offline" in err.lower()
    assert server.total_requests == 0
    assert dist_infos(venv.site_packages) == {}


# ---- interrupted installs ----------------------------------------------------------------------------

def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def start_install(venv, env, *reqs) -> "subprocess.Popen":
    """``VENV/bin/python puffin.py pip-install REQS`` started in the background, to be killed."""
    return subprocess.Popen([venv.python, support.PUFFIN_SCRIPT, "pip-install", *reqs], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill(proc) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate()


def test_a_killed_install_changes_nothing_while_a_wheel_is_still_downloading(env, venv_factory, server):
    """SIGKILL while lib's wheel is still downloading and app's is in: nothing is installed
    (everything is prepared before anything is linked); the next run installs both."""
    server.inject("/files/lib-2.0-py3-none-any.whl", "delay", times=1, seconds=15)
    venv = venv_factory()
    proc = start_install(venv, env, "app")
    try:
        assert _wait_for(lambda: server.requests_for("/files/lib-2.0-py3-none-any.whl") >= 1
                         and server.requests_for("/files/app-1.0-py3-none-any.whl") >= 1), "never fetched"
        time.sleep(0.3)   # app's wheel is unzipped into the cache by now
    finally:
        kill(proc)
    assert proc.returncode == -signal.SIGKILL
    assert dist_infos(venv.site_packages) == {}
    server.clear_faults()
    code, _, err = puffin(venv.python, "pip-install", "app", env=env)
    assert code == 0, err
    assert err.splitlines()[-3:] == ["Installed 2 packages in [TIME]", " + app==1.0", " + lib==2.0"]
    assert_installed_whole(venv.site_packages, "lib", "2.0", requested=False)
    assert py(venv, "import app, lib") == ""


def test_an_install_killed_before_any_wheel_arrives_leaves_nothing(env, venv_factory, server):
    """SIGKILL while every wheel is in flight: nothing installed, no journal left; the next run installs both."""
    server.inject("/files/*.whl", "delay", times=2, seconds=15)
    venv = venv_factory()
    proc = start_install(venv, env, "app")
    try:
        assert _wait_for(lambda: server.requests_for("/files/*.whl") >= 2), "wheels never requested"
    finally:
        kill(proc)
    assert dist_infos(venv.site_packages) == {}
    server.clear_faults()
    code, _, err = puffin(venv.python, "pip-install", "app", env=env)
    assert code == 0, err
    assert err.splitlines()[-3:] == ["Installed 2 packages in [TIME]", " + app==1.0", " + lib==2.0"]
    assert not [n for n in os.listdir(venv.site_packages) if n.startswith(".puffin-installing")]


def test_an_install_killed_while_linking_files_is_repaired_by_the_next_run(env, venv_factory, server):
    """SIGKILL as soon as the install journal appears (files half linked): the next run
    removes the leftovers and installs the package whole, with no stray file."""
    files = {"big/__init__.py": "VALUE = 1\n"}
    files.update(("big/m%04d.py" % i, "X = %d\n" % i) for i in range(1500))
    server.add_wheel("big", "1.0", files=files)
    warm = venv_factory(name="warm")
    assert puffin(warm.python, "pip-install", "big", env=env)[0] == 0  # unzipped in the cache now
    venv = venv_factory()
    proc = start_install(venv, env, "big")

    def journal_seen():
        try:
            return any(n.startswith(".puffin-installing") for n in os.listdir(venv.site_packages))
        except OSError:
            return False
    try:
        _wait_for(lambda: journal_seen() or proc.poll() is not None, timeout=30)
    finally:
        kill(proc)
    if journal_seen():  # killed half way: the package must not look installed
        assert not os.path.exists(os.path.join(venv.site_packages, "big-1.0.dist-info", "RECORD"))
    code, _, err = puffin(venv.python, "pip-install", "big", env=env)
    assert code == 0, err
    dist_info = assert_installed_whole(venv.site_packages, "big", "1.0")
    with open(os.path.join(dist_info, "RECORD"), newline="", encoding="utf-8") as f:
        recorded = {os.path.normpath(row[0]) for row in csv.reader(f)}
    on_disk = {os.path.join("big", n) for n in os.listdir(os.path.join(venv.site_packages, "big"))}
    assert on_disk <= recorded
    assert not [n for n in os.listdir(venv.site_packages) if n.startswith(".puffin-installing")]
    assert py(venv, "import big; print(big.VALUE)") == "1"
