"""Live: ``pip-compile --python-platform`` pins what ``uv pip compile`` pins, for the targets a
Dockerfile or a fleet names (issue 13), and never builds an sdist for a foreign target.

A real set with compiled wheels (numpy, scipy, pandas, pyarrow, cryptography, ...) is compiled
for CPython 3.12 on five uv platforms, side by side with uv 0.13.9 (``build/tools/bin/uv`` or
``$PUFFIN_TEST_UV``) at the same moment; the ``name==version`` pins must be equal, and
puffin.py's cache must hold no built wheel afterwards (a foreign target must take wheels).
"""

from __future__ import annotations

import difflib
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from test_live_compile import PUFFIN_SCRIPT, REPO_ROOT, describe, find_uv, live_env, pins, run

PLATFORMS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu", "x86_64-unknown-linux-musl",
             "aarch64-apple-darwin", "x86_64-pc-windows-msvc"]
REQUIREMENTS = "numpy\nscipy\npandas\npyarrow\ncryptography\npillow\nlxml\npsutil\npyyaml\nregex\n"

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("platforms")
    (root / "reqs.in").write_text(REQUIREMENTS)
    return root


@pytest.mark.parametrize("platform", PLATFORMS)
def test_python_platform_pins_what_uv_pins_and_builds_nothing(inputs, platform, tmp_path):
    """For each target, the pins are uv's and no sdist was built (none in the built-wheel cache)."""
    uv = find_uv()
    env = live_env(str(inputs))
    cache = str(tmp_path / "cache")
    env = dict(env, PUFFIN_CACHE_DIR=cache)
    common = ["--python-platform", platform, "--python-version", "3.12", "--no-header",
              str(inputs / "reqs.in")]
    with ThreadPoolExecutor(2) as pool:
        uv_job = pool.submit(run, [uv, "pip", "compile"] + common, env, REPO_ROOT)
        puf_job = pool.submit(run, [sys.executable, PUFFIN_SCRIPT, "pip-compile"] + common, env, REPO_ROOT)
        uv_run, puf_run = uv_job.result(), puf_job.result()
    assert uv_run.returncode == 0, "uv itself failed:\n" + describe(uv_run)
    assert puf_run.returncode == 0, describe(puf_run)
    uv_pins, puf_pins = pins(uv_run.stdout), pins(puf_run.stdout)
    diff = "\n".join(difflib.unified_diff(uv_pins, puf_pins, "uv", "puffin.py", lineterm="", n=0))
    assert uv_pins == puf_pins, "pins differ for %s:\n%s" % (platform, diff)
    built = os.path.join(cache, "built-wheels-v0")
    assert not os.path.isdir(built) or not any(files for _d, _s, files in os.walk(built)), \
        "an sdist was built for %s" % platform
