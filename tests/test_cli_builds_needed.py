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


# ---- an sdist beside wheels for other platforms: the wheels' metadata, as uv reads it ----

def test_an_sdist_beside_other_platforms_wheels_resolves_from_their_metadata(tmp_path, clean_env):
    """For a version whose wheels are all for another platform, the resolver reads a
    wheel's metadata (as uv does) instead of building the sdist that would install:
    a dynamic sdist whose build fails is never built, and the dependencies are the
    wheel's."""
    import support
    from support import puffin_cli
    with support.IndexServer() as server:
        server.add_wheel("qtlike", "2.0", tag="cp39-abi3-win_amd64", deps=["qtlike-runtime==2.0"])
        server.add_sdist("qtlike", "2.0", static=False,
                          build_fails=["build_wheel", "prepare_metadata_for_build_wheel", "get_requires_for_build_wheel"])
        server.add_wheel("qtlike-runtime", "2.0", tag="cp39-abi3-win_amd64")
        server.add_wheel("qtlike", "1.0", deps=["qtlike-runtime==1.0"])
        server.add_wheel("qtlike-runtime", "1.0")
        (tmp_path / "in.txt").write_text("qtlike\n")
        env = dict(clean_env, PUFFIN_CACHE_DIR=str(tmp_path / "cache"), PUFFIN_INDEX_URL=server.index_url)
        code, out, err = puffin_cli(sys.executable, "pip-compile", tmp_path / "in.txt", "--no-header",
                                    "--python-platform", "linux", "--python-version", "3.12", env=env)
    assert code == 0, err
    # qtlike 2.0 needs qtlike-runtime 2.0, which has no wheel for Linux and no sdist: back to 1.0
    assert "qtlike==1.0" in out and "qtlike-runtime==1.0" in out, out
    assert "Building" not in err and "build" not in err.lower(), err


def test_an_extra_of_a_decided_package_is_not_searched_version_by_version(tmp_path, clean_env):
    """`lib[x]` of every version needs `other<2`, and `other` 3.0 is decided first: the
    resolver learns at once that no other version of lib[x] goes with the decided lib,
    instead of fetching each version's metadata down to old sdists that need a build
    (a django/celery set did that with kombu[redis], down to kombu 2.5.16)."""
    import support
    from support import puffin_cli
    with support.IndexServer() as server:
        server.add_wheel("top", "1.0", deps=["lib[x]"])
        for v in ("1.0", "3.0"):
            server.add_wheel("other", v)
        for minor in range(1, 21):
            server.add_wheel("lib", "%d.0" % minor, extras={"x": ["other<2"]})
        server.add_sdist("lib", "0.5", static=False,
                         build_fails=["build_wheel", "prepare_metadata_for_build_wheel", "get_requires_for_build_wheel"])
        (tmp_path / "in.txt").write_text("top\nother\n")
        env = dict(clean_env, PUFFIN_CACHE_DIR=str(tmp_path / "cache"), PUFFIN_INDEX_URL=server.index_url)
        code, out, err = puffin_cli(sys.executable, "pip-compile", tmp_path / "in.txt", "--no-header", env=env)
    assert code == 0, err
    assert "lib==20.0" in out and "other==1.0" in out, out
    assert "build" not in err.lower(), err
