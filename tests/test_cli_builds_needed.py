"""Builds only when needed (issue 14): resolution reads an sdist's metadata
only for a version it considers, trusts static PKG-INFO (2.2+, nothing
dynamic) without a build, and a failing build names the package, version,
backend and hook with the backend's own lines."""

from __future__ import annotations

import functools
import os
import sys

import pytest

import support

puffin = functools.partial(support.puffin_cli, timeout=180)


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as srv:
        srv.add_sdist("pkg", "1.0", static=False)
        srv.add_sdist("pkg", "2.0", static=False)
        srv.add_sdist("dep", "1.0", static=False, deps=["pkg"])
        srv.add_sdist("statik", "1.0", static=True, deps=["pkg==1.0"])
        srv.add_wheel("wb", "1.0")
        srv.add_sdist("wb", "2.0", static=False)
        srv.add_sdist("broken", "1.0", static=False,
                      build_fails=["prepare_metadata_for_build_wheel", "build_wheel"])
        yield srv


def builds(log) -> list:
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [tuple(line.split()) for line in f.read().splitlines()]


def test_a_constrained_sdist_is_the_only_version_built(env, tmp_path):
    """`dep` needs pkg; a constraint pins pkg==1.0: pkg 2.0 is never built,
    not even by the metadata prefetch."""
    log = str(tmp_path / "build.log")
    (tmp_path / "c.txt").write_text("pkg==1.0\n")
    code, out, err = puffin(sys.executable, "pip-compile", "-", "-c", str(tmp_path / "c.txt"), "--no-header",
                            env=dict(env, PUFFIN_TEST_BUILD_LOG=log), input="dep\n")
    assert code == 0, err
    assert "pkg==1.0" in out.splitlines()
    assert {(name, version) for _hook, name, version in builds(log)} == {("dep", "1.0"), ("pkg", "1.0")}


def test_static_sdist_metadata_needs_no_build(env, tmp_path):
    """PKG-INFO 2.2 with nothing dynamic: read in place, no hook runs for it."""
    log = str(tmp_path / "build.log")
    code, out, err = puffin(sys.executable, "pip-compile", "-", "--no-header",
                            env=dict(env, PUFFIN_TEST_BUILD_LOG=log), input="statik\n")
    assert code == 0, err
    assert "statik==1.0" in out.splitlines() and "pkg==1.0" in out.splitlines()
    assert [b for b in builds(log) if b[1] == "statik"] == []
    assert {b[2] for b in builds(log) if b[1] == "pkg"} == {"1.0"}


def test_a_failing_build_names_package_version_backend_and_hook(env, venv_factory, tmp_path):
    venv = venv_factory()
    before = support.file_stats(venv.site_packages)
    code, _, err = puffin(venv.python, "pip-install", "broken", env=env)
    assert code == 2
    first = err.splitlines()[0]
    assert "broken-1.0.tar.gz" in first
    assert "prepare_metadata_for_build_wheel" in first and "puffin_test_backend" in first
    assert "puffin_test_backend: intentional failure in prepare_metadata_for_build_wheel" in err
    assert support.file_stats(venv.site_packages) == before


def test_prefer_binary_takes_an_older_wheel_over_a_newer_sdist(env, tmp_path):
    """pip's --prefer-binary (also PIP_PREFER_BINARY and in a requirements file):
    wb 1.0 (a wheel) over wb 2.0 (an sdist), which is then never built."""
    log = str(tmp_path / "build.log")
    run_env = dict(env, PUFFIN_TEST_BUILD_LOG=log)
    code, out, err = puffin(sys.executable, "pip-compile", "-", "--no-header", env=run_env, input="wb\n")
    assert code == 0, err
    assert "wb==2.0" in out.splitlines()
    os.remove(log)
    for args, extra, text in ((["--prefer-binary"], {}, "wb\n"), ([], {"PIP_PREFER_BINARY": "1"}, "wb\n"),
                              ([], {}, "--prefer-binary\nwb\n")):
        code, out, err = puffin(sys.executable, "pip-compile", "-", "--no-header", *args,
                                env=dict(run_env, **extra), input=text)
        assert code == 0, err
        assert "wb==1.0" in out.splitlines(), (args, extra, text)
    assert not os.path.exists(log) or "wb 2.0" not in open(log).read()
