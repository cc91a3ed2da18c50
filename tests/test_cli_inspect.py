"""Looking at an environment from the command line: `pip-freeze`, `pip-list`,
`pip-show` and `pip-check`, on venvs filled by `pip-install` from the local index."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import support
from support import puffin_cli as puffin


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("Web_App", "1.0", deps=["lib>=2", 'winonly; sys_platform == "win32"'])
        s.add_wheel("lib", "1.0")
        s.add_wheel("lib", "2.5")
        s.add_wheel("tool", "0.1.dev3")
        yield s
    assert not s.errors, "\n".join(s.errors)


@pytest.fixture(scope="module")
def filled(server, tmp_path_factory):
    """A venv (module-wide, read-only for the tests) with web-app, lib 2.5, tool and a wheel from a path."""
    root = tmp_path_factory.mktemp("inspect")
    venv = str(root / "venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, capture_output=True)
    python = os.path.join(venv, "bin", "python")
    env = support.without_machine_settings()
    env.update(PUFFIN_CACHE_DIR=str(root / "cache"), PUFFIN_INDEX_URL=server.index_url)
    wheel = support.make_wheel("local-pkg", "0.5", out_dir=root / "wheels")
    code, _, err = puffin(python, "pip-install", "web-app", "tool==0.1.dev3", wheel, env=env)
    assert code == 0, err
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return {"python": python, "env": env, "wheel": wheel, "site": site}


def test_freeze_lists_pins_sorted_with_direct_references(filled):
    """`name==version` by name, and `name @ file://...` for the wheel installed from a path."""
    code, out, err = puffin(filled["python"], "pip-freeze", env=filled["env"])
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "lib==2.5",
        "local-pkg @ file://" + filled["wheel"],
        "tool==0.1.dev3",
        "web-app==1.0",
    ]


def test_list_in_columns_freeze_and_json_formats(filled):
    """pip-list: aligned columns by default, `--format freeze`, and `--format json`."""
    code, out, _ = puffin(filled["python"], "pip-list", env=filled["env"])
    assert code == 0
    assert out.splitlines() == [
        "Package   Version",
        "--------- --------",
        "lib       2.5",
        "local-pkg 0.5",
        "tool      0.1.dev3",
        "web-app   1.0",
    ]
    code, out, _ = puffin(filled["python"], "pip-list", "--format", "freeze", env=filled["env"])
    assert out.splitlines() == ["lib==2.5", "local-pkg==0.5", "tool==0.1.dev3", "web-app==1.0"]
    code, out, _ = puffin(filled["python"], "pip-list", "--format", "json", env=filled["env"])
    assert json.loads(out) == [
        {"name": "lib", "version": "2.5"},
        {"name": "local-pkg", "version": "0.5"},
        {"name": "tool", "version": "0.1.dev3"},
        {"name": "web-app", "version": "1.0"},
    ]


def test_show_prints_the_fields_and_the_files(filled):
    """pip-show NAME (any spelling): Name, Version, Location, Requires (markers applied), Required-by; -f the files."""
    code, out, err = puffin(filled["python"], "pip-show", "Web.App", "lib", env=filled["env"])
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Name: web-app",
        "Version: 1.0",
        "Location: " + filled["site"],
        "Requires: lib",
        "Required-by: ",
        "---",
        "Name: lib",
        "Version: 2.5",
        "Location: " + filled["site"],
        "Requires: ",
        "Required-by: web-app",
    ]
    code, out, _ = puffin(filled["python"], "pip-show", "-f", "lib", env=filled["env"])
    files = out.splitlines()[out.splitlines().index("Files:") + 1:]
    assert sorted(f.strip() for f in files) == sorted([
        "lib/__init__.py", "lib-2.5.dist-info/INSTALLER", "lib-2.5.dist-info/METADATA",
        "lib-2.5.dist-info/RECORD", "lib-2.5.dist-info/WHEEL"])


def test_show_of_a_missing_package_warns_and_exits_1(filled):
    """Nothing found: a warning naming it and exit 1; found ones are still shown."""
    code, out, err = puffin(filled["python"], "pip-show", "nope", env=filled["env"])
    assert (code, out) == (1, "")
    assert err == "warning: Package(s) not found for: nope\n"
    code, out, err = puffin(filled["python"], "pip-show", "nope", "tool", env=filled["env"])
    assert code == 0
    assert out.splitlines()[:2] == ["Name: tool", "Version: 0.1.dev3"]


def test_check_passes_on_a_consistent_environment(filled):
    """pip-check: `Checked N packages` on stderr, the all-clear on stdout, exit 0."""
    code, out, err = puffin(filled["python"], "pip-check", env=filled["env"])
    assert (code, out, err) == (0, "All installed packages are compatible\n", "Checked 4 packages in [TIME]\n")


def test_check_reports_missing_wrong_version_and_requires_python_and_exits_1(server, clean_env, tmp_cache, venv_factory):
    """A dependency missing, one at a version outside its range, and a Requires-Python the target fails."""
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=server.index_url)
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "web-app", "tool==0.1.dev3", env=env)[0] == 0
    code, _, err = puffin(venv.python, "pip-install", "lib==1.0", env=env)
    assert code == 0
    assert "warning: The package `web-app` requires `lib>=2`, but `1.0` is installed" in err.splitlines()
    metadata = os.path.join(venv.site_packages, "tool-0.1.dev3.dist-info", "METADATA")
    with open(metadata) as f:
        text = f.read()
    with open(metadata, "w") as f:
        f.write(text.replace("Version: 0.1.dev3\n", "Version: 0.1.dev3\nRequires-Python: >=4\n", 1))
    code, out, err = puffin(venv.python, "pip-check", env=env)
    assert code == 1
    assert err == "Checked 3 packages in [TIME]\n"
    python_version = subprocess.run([venv.python, "-c", "import platform; print(platform.python_version())"],
                                    capture_output=True, text=True, check=True).stdout.strip()
    assert out.splitlines() == [
        "Found 2 incompatibilities",
        "The package `tool` requires Python >=4, but `%s` is installed" % python_version,
        "The package `web-app` requires `lib>=2`, but `1.0` is installed",
    ]
    assert puffin(venv.python, "pip-uninstall", "lib", env=env)[0] == 0
    code, out, _ = puffin(venv.python, "pip-check", env=env)
    assert code == 1
    assert "The package `web-app` requires `lib>=2`, but it's not installed" in out.splitlines()


def test_an_empty_environment_lists_nothing_and_checks_clean(clean_env, tmp_cache, venv_factory):
    """No packages: freeze and list print nothing, check says all is well."""
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    assert puffin(venv.python, "pip-freeze", env=env) == (0, "", "")
    assert puffin(venv.python, "pip-list", env=env) == (0, "", "")
    assert puffin(venv.python, "pip-list", "--format", "json", env=env) == (0, "[]\n", "")
    assert puffin(venv.python, "pip-check", env=env) == (
        0, "All installed packages are compatible\n", "Checked 0 packages in [TIME]\n")
