"""pip's target options on `pip-download`: `--platform TAG` (repeatable, one
target taking any of them), `--implementation` and `--abi`. The tags they give
are pip's own (compared with pip's `get_supported` where pip is importable);
the markers follow the platform, so the dependencies resolved are the target's.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import support

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import puffin  # noqa: E402

CASES = [
    ("3.12", ["manylinux2014_x86_64"], None, None),
    ("3.9", ["manylinux_2_28_x86_64", "manylinux2014_x86_64"], "cp", ["cp39"]),
    ("3.11", ["macosx_11_0_arm64"], None, None),
    ("3.10", ["win_amd64"], "cp", None),
    ("3.9", ["linux_x86_64"], "pp", ["pypy39_pp73"]),
    ("3.12", ["manylinux2010_i686"], "py", ["none"]),
    ("3.12", ["musllinux_1_2_aarch64"], None, ["cp312", "abi3"]),
]


def _pip_tags():
    code = r"""
import json, sys
from pip._internal.utils.compatibility_tags import get_supported
out = []
for version, plats, impl, abis in json.loads(sys.argv[1]):
    out.append([str(t) for t in get_supported(version=version.replace(".", ""), platforms=plats,
                                               impl=impl, abis=abis)])
print(json.dumps(out))
"""
    import json
    r = subprocess.run([sys.executable, "-c", code, json.dumps(CASES)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("pip is not importable here: %s" % r.stderr[-300:])
    return json.loads(r.stdout)


def test_the_tags_are_pips_own():
    for (version, plats, impl, abis), ref in zip(CASES, _pip_tags()):
        info = {"implementation_name": "cpython", "Py_DEBUG": 0, "Py_GIL_DISABLED": 0,
                "python_version": [int(x) for x in version.split(".")]}
        info, _markers = puffin.pip_target(info, {}, plats, impl, abis)
        assert puffin.compatible_tags(info) == ref, (version, plats, impl, abis)


def test_the_markers_follow_the_platform():
    base = {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
            "os_name": "posix", "implementation_name": "cpython"}
    _, m = puffin.pip_target({"python_version": [3, 12]}, base, ["win_amd64"], None, None)
    assert (m["sys_platform"], m["platform_system"], m["platform_machine"], m["os_name"]) == \
        ("win32", "Windows", "AMD64", "nt")
    _, m = puffin.pip_target({"python_version": [3, 12]}, base, ["macosx_11_0_arm64"], "pp", None)
    assert (m["sys_platform"], m["platform_machine"], m["implementation_name"]) == ("darwin", "arm64", "pypy")
    _, m = puffin.pip_target({"python_version": [3, 12]}, base, ["manylinux_2_28_aarch64"], None, None)
    assert (m["sys_platform"], m["platform_machine"]) == ("linux", "aarch64")


def test_pip_download_for_a_platform_tag(index_server, run_puffin, tmp_path, tmp_cache):
    index_server.add_wheel("fast", "1.0", tag="cp310-cp310-manylinux2014_x86_64",
                           deps=['winonly; sys_platform == "win32"', 'linonly; sys_platform == "linux"'])
    index_server.add_wheel("fast", "1.0", tag="cp310-cp310-win_amd64",
                           deps=['winonly; sys_platform == "win32"', 'linonly; sys_platform == "linux"'])
    index_server.add_wheel("fast", "1.0", tag="cp312-cp312-manylinux2014_x86_64")
    index_server.add_wheel("winonly", "1.0")
    index_server.add_wheel("linonly", "1.0")
    dest = tmp_path / "wh"
    r = run_puffin(["pip-download", "fast", "-d", str(dest), "--index-url", index_server.index_url,
                    "--cache-dir", tmp_cache, "--python-version", "3.10", "--platform", "win_amd64"])
    assert r.returncode == 0, r.stderr
    files = sorted(p for p in os.listdir(dest) if p.endswith(".whl"))
    assert files == ["fast-1.0-cp310-cp310-win_amd64.whl", "winonly-1.0-py3-none-any.whl"]
    # a manylinux1 wheel fits manylinux2014, as pip expands it
    index_server.add_wheel("old", "1.0", tag="cp310-cp310-manylinux1_x86_64")
    dest2 = tmp_path / "wh2"
    r = run_puffin(["pip-download", "old", "-d", str(dest2), "--index-url", index_server.index_url,
                    "--cache-dir", tmp_cache, "--python-version", "3.10",
                    "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--abi", "cp310"])
    assert r.returncode == 0, r.stderr
    assert "old-1.0-cp310-cp310-manylinux1_x86_64.whl" in os.listdir(dest2)


def test_pip_and_uv_target_options_do_not_mix(run_puffin, tmp_path):
    r = run_puffin(["pip-download", "x", "-d", str(tmp_path), "--no-index",
                    "--python-platform", "linux", "--platform", "win_amd64"])
    assert r.returncode == 2
    assert "cannot be combined" in r.stderr
    r = run_puffin(["pip-download", "x", "-d", str(tmp_path), "--no-index", "--implementation", "zz"])
    assert r.returncode == 2
    assert "invalid --implementation 'zz'" in r.stderr
