"""Source builds seen from the command line: pip-install of project folders,
editables and sdists, and pip-compile through an sdist whose metadata needs a
build, all offline with the in-tree test backend of tests/support.py."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest

import support

# builds run a backend in a fresh environment: more time than the other commands
puffin = functools.partial(support.puffin_cli, timeout=180)


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as srv:
        srv.add_wheel("beta", "2.1")
        srv.add_sdist("gamma", "1.0", deps=["beta"], static=False)   # metadata needs a build
        srv.add_sdist("delta", "1.0", static=False, build_fails=["build_wheel", "prepare_metadata_for_build_wheel"])
        yield srv


def site_names(venv) -> set:
    return {e.split("-")[0].lower() for e in os.listdir(venv.site_packages) if e.endswith(".dist-info")}


def test_an_editable_project_installs_with_its_sdist_dependency_built(env, venv_factory, tmp_path):
    """`-e ./proj`: the folder is built as an editable, its dependency gamma only
    as an sdist: both land, direct_url.json says editable, and the code imports from the folder."""
    proj = support.write_project(tmp_path / "proj", "myproj", "0.1", deps=["gamma"])
    venv = venv_factory()
    code, out, err = puffin(venv.python, "pip-install", "-e", proj, env=env)
    assert code == 0, err
    assert " + myproj==0.1 (from %s)" % ("file://" + proj) in err.splitlines()
    assert " + gamma==1.0" in err.splitlines() and " + beta==2.1" in err.splitlines()
    with open(os.path.join(venv.site_packages, "myproj-0.1.dist-info", "direct_url.json")) as f:
        assert json.load(f) == {"url": "file://" + proj, "dir_info": {"editable": True}}
    where = subprocess.run([venv.python, "-c", "import myproj, gamma; print(myproj.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(proj)
    code, out, _ = puffin(venv.python, "pip-freeze", env=env)
    assert "-e file://" + proj in out.splitlines()


def test_a_project_folder_installs_as_a_regular_wheel(env, venv_factory, tmp_path):
    """`./proj` (not editable): built into a wheel; the files are copies in site-packages."""
    proj = support.write_project(tmp_path / "proj", "plainproj", "2.0")
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", proj, env=env)
    assert code == 0, err
    assert os.path.isfile(os.path.join(venv.site_packages, "plainproj", "__init__.py"))
    with open(os.path.join(venv.site_packages, "plainproj-2.0.dist-info", "direct_url.json")) as f:
        assert json.load(f) == {"url": "file://" + proj, "dir_info": {}}


def test_a_local_sdist_installs_with_its_archive_hash_in_direct_url(env, venv_factory, tmp_path):
    """`./pkg-1.0.tar.gz`: built, installed, direct_url.json carries the sdist's sha256."""
    sdist = support.make_sdist("localsd", "1.0", static=False, out_dir=tmp_path / "dist")
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", sdist, env=env)
    assert code == 0, err
    with open(os.path.join(venv.site_packages, "localsd-1.0.dist-info", "direct_url.json")) as f:
        durl = json.load(f)
    with open(sdist, "rb") as f:
        digest = support.sha256(f.read())
    assert durl["archive_info"]["hashes"] == {"sha256": digest}


def test_pip_compile_reads_an_sdist_dependency_through_a_build(env, tmp_path):
    """An sdist with dynamic metadata is built to learn its dependencies."""
    (tmp_path / "req.in").write_text("gamma\n")
    code, out, err = puffin(sys.executable, "pip-compile", "req.in", "--no-header", env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines() == ["beta==2.1", "    # via gamma", "gamma==1.0", "    # via -r req.in"]


def test_no_build_refuses_a_source_that_needs_one(env, tmp_path):
    """--no-build: an sdist-only package cannot be used, and the message says why."""
    (tmp_path / "req.in").write_text("gamma\n")
    code, out, err = puffin(sys.executable, "pip-compile", "req.in", "--no-build", env=env, cwd=tmp_path)
    assert code == 1, err
    assert "gamma" in err and "Traceback" not in err


def test_a_failing_build_is_an_error_naming_the_hook_and_nothing_is_installed(env, venv_factory):
    """A backend that fails: exit 2, the hook named, the venv unchanged."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "delta", env=env)
    assert code == 2
    assert err.splitlines()[0].startswith("error: ") and "delta" in err
    assert "Traceback (most recent call last)" not in err.split("---")[0]
    assert site_names(venv) == set()


def test_a_wheel_built_here_for_another_platform_is_refused(env, tmp_path):
    """`pip-install ./proj --target T --python-platform aarch64-unknown-linux-gnu`: the backend
    builds an x86_64 CPython wheel here, which would not run there: exit 2, an error naming the
    wheel and a hint for --no-build or a wheelhouse, and nothing in T."""
    proj = support.write_project(tmp_path / "proj", "native", "1.0")
    settings = os.path.join(proj, "puffin_test_backend.json")
    with open(settings) as f:
        config = json.load(f)
    config["tag"] = "cp312-cp312-linux_x86_64"
    with open(settings, "w") as f:
        json.dump(config, f)
    target = tmp_path / "target"
    code, out, err = puffin(sys.executable, "pip-install", proj, "--target", str(target),
                            "--python-platform", "aarch64-unknown-linux-gnu", "--python-version", "3.12",
                            env=env)
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "hint:"))]
    assert lines[0] == ("error: the wheel built from `native` does not fit the target environment: it is "
                        "native-1.0-cp312-cp312-linux_x86_64.whl, built for this machine's Python")
    assert "--no-build" in lines[1] and "wheelhouse" in lines[1]
    assert not target.exists() or os.listdir(str(target)) in ([], [".puffin.lock"])
