"""Looking inside an environment: `pip-tree` draws what `uv pip tree` draws
(compared line for line with uv where it is installed), `pip-list --outdated`
reports what `uv pip list --outdated` reports, `cache size` and
`cache prune --ci`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import support

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _uv():
    path = os.environ.get("PUFFIN_TEST_UV") or os.path.join(ROOT, "build", "tools", "bin", "uv")
    return path if os.path.exists(path) else None


GRAPH = {
    # name: (version, requires)
    "app": ("1.0", ["web>=2", "cli", "winonly; sys_platform == 'win32'", "Extra-Dep; extra == 'x'"]),
    "web": ("2.1", ["template>=3.0", "escape>=1"]),
    "template": ("3.1", ["escape>=2.0"]),
    "escape": ("2.2", []),
    "cli": ("8.0", ["color"]),
    "color": ("0.4", []),
    "tool": ("1.0", ["template"]),
    "alone": ("0.1", []),
    "cyc-a": ("1.0", ["cyc-b"]),
    "cyc-b": ("1.0", ["cyc-a"]),
    "extra-dep": ("1.0", []),
    "winonly": ("1.0", []),
}


@pytest.fixture
def graph_venv(index_server, run_puffin, venv_factory, tmp_cache, clean_env):
    for name, (version, deps) in GRAPH.items():
        index_server.add_wheel(name, version, deps=deps)
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=index_server.index_url)
    r = run_puffin(["pip-install", "app", "tool", "alone", "extra-dep", "--python", venv.python], env=env)
    assert r.returncode == 0, r.stderr
    return venv, env


FLAGS = [[], ["--invert"], ["--depth", "1"], ["--depth", "0"], ["--no-dedupe"], ["--prune", "template"],
         ["--package", "web", "--package", "cli"], ["--show-version-specifiers"],
         ["--invert", "--show-version-specifiers", "--package", "escape"], ["--invert", "--depth", "1"],
         ["--package", "nothing-installed"]]


def test_pip_tree_draws_what_uv_draws(graph_venv, run_puffin):
    venv, env = graph_venv
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not available ($PUFFIN_TEST_UV or build/tools/bin/uv)")
    for flags in FLAGS:
        ours = run_puffin(["pip-tree", "--python", venv.python] + flags, env=env)
        assert ours.returncode == 0, ours.stderr
        theirs = subprocess.run([uv, "pip", "tree", "--python", venv.python] + flags, env=env,
                                capture_output=True, text=True)
        assert theirs.returncode == 0, theirs.stderr
        assert ours.stdout == theirs.stdout, flags


def test_pip_tree_without_uv_shows_the_shape(graph_venv, run_puffin):
    """The drawing itself, so the test says something where uv is absent."""
    venv, env = graph_venv
    r = run_puffin(["pip-tree", "--python", venv.python], env=env)
    assert r.stdout.splitlines()[:9] == [
        "alone v0.1",
        "app v1.0",
        "├── cli v8.0",
        "│   └── color v0.4",
        "└── web v2.1",
        "    ├── escape v2.2",
        "    └── template v3.1",
        "        └── escape v2.2",
        "extra-dep v1.0",
    ]
    assert "tool v1.0\n└── template v3.1 (*)\n" in r.stdout
    assert r.stdout.endswith("(*) Package tree already displayed\n")
    assert "winonly" not in r.stdout   # its marker is false here: not a dependency


def test_a_cycle_is_drawn_once_from_its_first_member(index_server, run_puffin, venv_factory, tmp_cache,
                                                     clean_env):
    """Packages that require each other: every one is drawn (uv 0.13 drops some
    cycles from its drawing: where it picks roots, by a feedback arc set, this
    draws the cycle from its first member by name), and never forever."""
    for name, deps in (("cyc-a", ["cyc-b"]), ("cyc-b", ["cyc-a"]), ("m-a", ["m-b"]), ("m-b", ["m-c"]),
                       ("m-c", ["m-a"]), ("top", ["m-b"])):
        index_server.add_wheel(name, "1.0", deps=deps)
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=index_server.index_url)
    assert run_puffin(["pip-install", "cyc-a", "top", "--python", venv.python], env=env).returncode == 0
    r = run_puffin(["pip-tree", "--python", venv.python], env=env)
    assert r.stdout == ("cyc-a v1.0\n└── cyc-b v1.0\n    └── cyc-a v1.0 (*)\n"
                        "top v1.0\n└── m-b v1.0\n    └── m-c v1.0\n        └── m-a v1.0\n"
                        "            └── m-b v1.0 (*)\n(*) Package tree already displayed\n")
    r = run_puffin(["pip-tree", "--python", venv.python, "--no-dedupe", "--package", "cyc-a"], env=env)
    assert r.stdout == "cyc-a v1.0\n└── cyc-b v1.0\n    └── cyc-a v1.0 (*)\n(*) Package tree already displayed\n"


def test_pip_list_outdated_reports_what_uv_reports(index_server, run_puffin, venv_factory, tmp_cache, clean_env):
    index_server.add_wheel("old", "1.0")
    index_server.add_wheel("old", "1.5")
    index_server.add_sdist("old", "2.0")              # the newest is an sdist
    index_server.add_wheel("fresh", "3.0")
    index_server.add_wheel("pinned", "1.0")
    index_server.add_wheel("pinned", "2.0rc1")        # a pre-release: only with --pre
    index_server.add_wheel("pinned", "1.9", requires_python=">=4")   # not for this Python
    index_server.add_wheel("native", "1.0")
    index_server.add_wheel("native", "9.0", tag="cp27-cp27m-win32")  # no wheel for here
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=index_server.index_url)
    r = run_puffin(["pip-install", "old==1.0", "fresh", "pinned==1.0", "native==1.0", "--python", venv.python],
                   env=env)
    assert r.returncode == 0, r.stderr
    r = run_puffin(["pip-list", "--outdated", "--python", venv.python], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["Package Version Latest Type",
                                     "------- ------- ------ -----",
                                     "old     1.0     2.0    sdist"]
    r = run_puffin(["pip-list", "--outdated", "--pre", "--format", "json", "--python", venv.python], env=env)
    rows = json.loads(r.stdout)
    assert [(x["name"], x["latest_version"], x["latest_filetype"]) for x in rows] == \
        [("old", "2.0", "sdist"), ("pinned", "2.0rc1", "wheel")]
    uv = _uv()
    if uv is not None:
        theirs = subprocess.run([uv, "pip", "list", "--outdated", "--python", venv.python,
                                 "--index-url", index_server.index_url], env=env, capture_output=True, text=True)
        assert theirs.returncode == 0, theirs.stderr
        ours = run_puffin(["pip-list", "--outdated", "--python", venv.python], env=env)
        assert ours.stdout == theirs.stdout
    r = run_puffin(["pip-list", "--outdated", "--format", "freeze", "--python", venv.python], env=env)
    assert r.returncode == 2 and "--outdated cannot be used with --format freeze" in r.stderr


def test_cache_size_and_prune_ci_keeps_built_wheels(index_server, run_puffin, venv_factory, tmp_cache, clean_env):
    index_server.add_wheel("binary", "1.0")
    index_server.add_sdist("source", "1.0")
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=index_server.index_url)
    assert run_puffin(["cache", "size"], env=env).stdout == "0\n"
    r = run_puffin(["pip-install", "binary", "source", "--python", venv.python], env=env)
    assert r.returncode == 0, r.stderr
    size = int(run_puffin(["cache", "size"], env=env).stdout)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(tmp_cache) for f in fs
                if not os.path.islink(os.path.join(d, f)))
    assert size == total > 0
    human = run_puffin(["cache", "size", "-H"], env=env).stdout.strip()
    assert human.endswith(("B", "KiB", "MiB"))
    built = [f for d, _, fs in os.walk(os.path.join(tmp_cache, "built-wheels-v0")) for f in fs if f.endswith(".whl")]
    assert built
    r = run_puffin(["cache", "prune", "--ci"], env=env)
    assert r.returncode == 0, r.stderr
    left = set(os.listdir(tmp_cache))
    assert "built-wheels-v0" in left and not left & {"wheels-v0", "archive-v0", "sdists-v0"}
    # the next install takes the built wheel from the cache: no build, no sdist download
    venv2 = venv_factory(name="v2")
    index_server.reset_counters()
    r = run_puffin(["pip-install", "binary", "source", "--python", venv2.python], env=env)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(venv2.site_packages) == {"binary": "1.0", "source": "1.0"}
    assert index_server.requests_for("/files/source-1.0.tar.gz") == 0
    assert index_server.requests_for("/files/binary-1.0-py3-none-any.whl") == 1
