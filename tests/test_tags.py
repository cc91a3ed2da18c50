"""Wheel tags: interpreter_tags against packaging.tags.sys_tags() in real interpreters,
and compatible_tags / tags_for_platform / TagPriority from synthetic tag inputs.

The oracle for each CPython 3.X is the newest packaging pip installs into it,
put under build/oracle/py3.X by `make setup` (today 26.2 for 3.8, 26.3 for
3.9, 26.4 for 3.10+); puffin.py never imports packaging.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess

import pytest

import puffin

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
# The oldest packaging that can be "the newest pip installs" for each Python: an
# oracle older than this was built by an older `make setup` (pinned to 25.0).
OLDEST_ORACLE = {"3.8": (26, 2), "3.9": (26, 3)}
OLDEST_ORACLE_DEFAULT = (26, 4)


def _pyenv_root():
    if os.environ.get("PYENV_ROOT"):
        return os.environ["PYENV_ROOT"]
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, universal_newlines=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return os.path.expanduser("~/.pyenv")


def _newest(paths):
    def key(path):
        version = path.split(os.sep + "versions" + os.sep)[1].split(os.sep)[0]
        return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))
    return sorted(paths, key=key)[-1] if paths else None


def _pyenv_python(version):
    """The newest pyenv CPython X.Y (plain releases only, not -dev or t builds)."""
    pattern = os.path.join(_pyenv_root(), "versions", version + ".*", "bin", "python" + version)
    found = [p for p in glob.glob(pattern)
             if all(part.isdigit() for part in p.split(os.sep + "versions" + os.sep)[1].split(os.sep)[0].split("."))]
    return _newest(found)


PYTHONS = [(v, _pyenv_python(v)) for v in VERSIONS]
PRESENT = [(v, exe) for v, exe in PYTHONS if exe]

_ORACLE = r"""
import json, packaging, packaging.tags as t
print(json.dumps({"version": packaging.__version__, "tags": [str(x) for x in t.sys_tags()]}))
"""

# sys_tags() of the oracle with the platform facts replaced, one run per scenario
# (argv[1]: JSON {name: overrides}). Uses packaging internals that are stable from
# 25.0 to 26.4; the test fails loudly (AttributeError) should one move.
_SCENARIO_ORACLE = r"""
import json, platform, sys, sysconfig
import packaging, packaging.tags as t, packaging._manylinux as ml, packaging._musllinux as mu
real_config_var = sysconfig.get_config_var
def run(system="Linux", plat="linux-x86_64", bits32=False, glibc=(2, 36), musl=None,
        mac=None, config=None, elf_ok=True):
    platform.system = lambda: system
    sysconfig.get_platform = lambda: plat
    sysconfig.get_config_var = lambda k: (config or {}).get(k, real_config_var(k))
    t._linux_platforms.__defaults__ = (bits32,)
    ml._get_glibc_version = lambda: tuple(glibc)
    ml._have_compatible_abi = lambda exe, archs: elf_ok
    mu._get_musl_version = lambda exe: None if musl is None else mu._MuslVersion(*musl)
    if mac:
        platform.mac_ver = lambda: (mac[0], ("", "", ""), mac[1])
    return [str(x) for x in t.sys_tags()]
out = {name: run(**kw) for name, kw in json.loads(sys.argv[1]).items()}
print(json.dumps({"version": packaging.__version__, "tags": out}))
"""


def _run_oracle(version, exe, script, *args):
    """Run ``script`` in ``exe`` with the packaging oracle of ``version``; its JSON answer."""
    oracle = os.path.join(REPO_ROOT, "build", "oracle", "py" + version)
    if not os.path.isdir(os.path.join(oracle, "packaging")):
        pytest.fail("no packaging oracle for Python %s at build/oracle/py%s: run `make setup`"
                    % (version, version))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = oracle
    proc = subprocess.run([exe, "-c", script] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    have = tuple(int(p) for p in data["version"].split(".")[:2])
    oldest = OLDEST_ORACLE.get(version, OLDEST_ORACLE_DEFAULT)
    if have < oldest:
        pytest.fail("build/oracle/py%s holds packaging %s, older than the newest pip installs "
                    "for Python %s (%d.%d or later): run `rm -rf build/oracle && make setup`"
                    % (version, data["version"], version, oldest[0], oldest[1]))
    return data


@pytest.mark.skipif(not PRESENT, reason="no pyenv CPython 3.8-3.13 on this machine")
@pytest.mark.parametrize("version,exe", PRESENT, ids=[v for v, _ in PRESENT])
def test_interpreter_tags_equal_packaging_sys_tags_inside_each_interpreter(version, exe):
    """interpreter_tags(python) is sys_tags() of the newest packaging run in that Python, order included."""
    expected = _run_oracle(version, exe, _ORACLE)["tags"]
    got = puffin.interpreter_tags(exe)
    assert len(got) == len(expected)
    assert got == expected


# Platform facts to fake, as packaging's inputs and as puffin tag inputs.
_SCENARIOS = {
    "glibc 2.36 x86_64": ({}, {}),
    "glibc 2.17 x86_64": ({"glibc": [2, 17]}, {"glibc_version": "2.17"}),
    "glibc 2.28 aarch64": ({"plat": "linux-aarch64", "glibc": [2, 28]},
                           {"platform": "linux-aarch64", "glibc_version": "2.28"}),
    "musl 1.2": ({"glibc": [-1, -1], "musl": [1, 2]},
                 {"glibc_version": None, "musl_version": [1, 2]}),
    "32-bit on x86_64": ({"bits32": True, "glibc": [2, 17]},
                         {"pointer_bits": 32, "elf_i686": True, "glibc_version": "2.17"}),
    "armv8l": ({"plat": "linux-aarch64", "bits32": True, "glibc": [2, 17]},
               {"platform": "linux-aarch64", "pointer_bits": 32, "elf_armhf": True,
                "glibc_version": "2.17"}),
    "32-bit, not an i386 ELF": ({"bits32": True, "elf_ok": False}, {"pointer_bits": 32}),
    "debug": ({"config": {"Py_DEBUG": 1}, "glibc": [2, 17]},
              {"Py_DEBUG": 1, "glibc_version": "2.17"}),
    "windows": ({"system": "Windows", "plat": "win-amd64"},
                {"system": "Windows", "platform": "win-amd64"}),
    "macos 14 arm64": ({"system": "Darwin", "plat": "macosx-14.0-arm64", "mac": ["14.2", "arm64"]},
                       {"system": "Darwin", "macos_version": [14, 2], "macos_arch": "arm64"}),
    "macos 10.15 x86_64": ({"system": "Darwin", "plat": "macosx-10.15-x86_64",
                            "mac": ["10.15", "x86_64"]},
                           {"system": "Darwin", "macos_version": [10, 15], "macos_arch": "x86_64"}),
    "emscripten": ({"system": "Emscripten", "plat": "emscripten-4.0.0-wasm32",
                    "config": {"PYEMSCRIPTEN_PLATFORM_VERSION": "2025_0"}},
                   {"system": "Emscripten", "platform": "emscripten-4.0.0-wasm32",
                    "PYEMSCRIPTEN_PLATFORM_VERSION": "2025_0"}),
}


@pytest.mark.skipif(not PRESENT, reason="no pyenv CPython 3.8-3.13 on this machine")
@pytest.mark.parametrize("version,exe", PRESENT, ids=[v for v, _ in PRESENT])
def test_compatible_tags_equal_the_oracle_on_faked_platforms_inside_each_interpreter(version, exe):
    """For glibc, musl, 32-bit, armv8l, debug, Windows, macOS and Emscripten facts, puffin's tags
    equal sys_tags() of that Python's newest packaging with the same facts faked in."""
    scenarios = {name: fake for name, (fake, _) in _SCENARIOS.items()}
    if version == "3.13":
        scenarios["free-threaded"] = {"config": {"Py_GIL_DISABLED": 1}, "glibc": [2, 17]}
    data = _run_oracle(version, exe, _SCENARIO_ORACLE, json.dumps(scenarios))
    base = dict(puffin.Interpreter.query(exe).tag_inputs)
    base.update(system="Linux", platform="linux-x86_64", pointer_bits=64, glibc_version="2.36",
                musl_version=None, elf_armhf=False, elf_i686=False, manylinux_compatible=None)
    inputs = {name: ours for name, (_, ours) in _SCENARIOS.items()}
    inputs["free-threaded"] = {"Py_GIL_DISABLED": 1, "glibc_version": "2.17"}
    for name, expected in data["tags"].items():
        info = dict(base, **inputs[name])
        assert puffin.compatible_tags(info) == expected, "%s (packaging %s)" % (name, data["version"])


# ---- synthetic tag inputs ---------------------------------------------------------

def _linux(py=(3, 12), glibc="2.36", **extra):
    info = {"implementation_name": "cpython", "python_version": list(py), "Py_DEBUG": 0,
            "Py_GIL_DISABLED": 0, "system": "Linux", "platform": "linux-x86_64",
            "pointer_bits": 64, "glibc_version": glibc, "musl_version": None,
            "elf_armhf": False, "elf_i686": False, "manylinux_compatible": None,
            "EXT_SUFFIX": ".cpython-%d%d-x86_64-linux-gnu.so" % py}
    info.update(extra)
    return info


def _platforms(tags, interp="cp312", abi="cp312"):
    prefix = "%s-%s-" % (interp, abi)
    return [t[len(prefix):] for t in tags if t.startswith(prefix)]


def test_manylinux_runs_from_the_glibc_version_down_with_legacy_aliases_after_their_twins():
    """glibc 2.17 on x86_64 gives linux_x86_64, then manylinux_2_17 .. 2_5, each alias after its twin."""
    plats = _platforms(puffin.compatible_tags(_linux(glibc="2.17")))
    assert plats[:4] == ["linux_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                         "manylinux_2_16_x86_64"]
    assert plats[plats.index("manylinux_2_12_x86_64") + 1] == "manylinux2010_x86_64"
    assert plats[-2:] == ["manylinux_2_5_x86_64", "manylinux1_x86_64"]
    assert "manylinux_2_4_x86_64" not in plats


def test_manylinux_on_aarch64_stops_at_glibc_2_17():
    """Other architectures than x86 have no manylinux below glibc 2.17."""
    plats = _platforms(puffin.compatible_tags(_linux(glibc="2.28", platform="linux-aarch64")))
    assert plats[:2] == ["linux_aarch64", "manylinux_2_28_aarch64"]
    assert plats[-2:] == ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]


def test_a_32_bit_python_on_a_64_bit_kernel_gets_i686_tags():
    """pointer size 32 on linux-x86_64 means i686 platforms, manylinux only when the ELF says i386."""
    plats = _platforms(puffin.compatible_tags(_linux(pointer_bits=32, elf_i686=True, glibc="2.17")))
    assert plats[:2] == ["linux_i686", "manylinux_2_17_i686"]
    assert plats[-1] == "manylinux1_i686"
    plats = _platforms(puffin.compatible_tags(_linux(pointer_bits=32, elf_i686=False)))
    assert plats == ["linux_i686"]


def test_armv8l_python_also_accepts_armv7l_wheels():
    """A 32-bit Python on aarch64 takes armv8l then armv7l (manylinux only with armhf)."""
    plats = _platforms(puffin.compatible_tags(
        _linux(platform="linux-aarch64", pointer_bits=32, elf_armhf=True, glibc="2.17")))
    assert plats[:4] == ["linux_armv8l", "linux_armv7l", "manylinux_2_17_armv8l",
                         "manylinux2014_armv8l"]
    assert plats.index("manylinux_2_17_armv7l") > plats.index("manylinux_2_17_armv8l")


def test_musl_pythons_get_musllinux_tags_and_no_manylinux():
    """musl 1.2 gives linux_<arch>, then musllinux_1_2 .. 1_0."""
    plats = _platforms(puffin.compatible_tags(_linux(glibc=None, musl_version=[1, 2])))
    assert plats == ["linux_x86_64", "musllinux_1_2_x86_64", "musllinux_1_1_x86_64",
                     "musllinux_1_0_x86_64"]


def test_python_3_8_targets_keep_linux_arch_after_manylinux_and_musllinux():
    """3.8's newest packaging (26.2) puts linux_<arch> last; 3.9 already gets 26.3's order."""
    plats = _platforms(puffin.compatible_tags(_linux(py=(3, 8), glibc="2.17")), "cp38", "cp38")
    assert plats[:2] == ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
    assert plats[-1] == "linux_x86_64"
    plats = _platforms(puffin.compatible_tags(_linux(py=(3, 8), glibc=None, musl_version=[1, 1])),
                       "cp38", "cp38")
    assert plats == ["musllinux_1_1_x86_64", "musllinux_1_0_x86_64", "linux_x86_64"]
    plats = _platforms(puffin.compatible_tags(_linux(py=(3, 9), glibc="2.17")), "cp39", "cp39")
    assert plats[:2] == ["linux_x86_64", "manylinux_2_17_x86_64"]


def test_python_3_8_targets_on_macos_use_fat32_others_fat3():
    """packaging 26.3 renamed the fat32 macOS format fat3; 3.8 targets keep 26.2's fat32."""
    old = puffin.mac_platforms((10, 15), "x86_64", (3, 8))
    new = puffin.mac_platforms((10, 15), "x86_64", (3, 9))
    assert "macosx_10_15_fat32" in old and "macosx_10_15_fat3" not in old
    assert [p.replace("fat32", "fat3") for p in old] == new
    assert puffin.mac_platforms((10, 15), "x86_64") == new


def test_a_manylinux_module_can_veto_glibc_versions():
    """Verdicts of the target's _manylinux module remove the versions it refuses."""
    plats = _platforms(puffin.compatible_tags(
        _linux(glibc="2.17", manylinux_compatible={"2_17_x86_64": False})))
    assert plats[:2] == ["linux_x86_64", "manylinux_2_16_x86_64"]


def test_linux_platforms_match_the_installed_packaging_with_faked_facts(monkeypatch):
    """linux_<arch>, manylinux and musllinux order equals the test venv's packaging (26.3+ rules)."""
    tags_mod = pytest.importorskip("packaging.tags")
    import packaging
    import packaging._manylinux as manylinux
    import packaging._musllinux as musllinux
    import sysconfig
    if tuple(int(p) for p in packaging.__version__.split(".")[:2]) < (26, 3):
        pytest.skip("packaging %s predates the 26.3 order" % packaging.__version__)
    cases = [
        ("linux-x86_64", False, (2, 28), None, {}),
        ("linux-x86_64", False, (-1, -1), (1, 2), {"glibc_version": None, "musl_version": [1, 2]}),
        ("linux-x86_64", True, (2, 17), None, {"pointer_bits": 32, "elf_i686": True}),
        ("linux-aarch64", True, (2, 17), None, {"pointer_bits": 32, "elf_armhf": True}),
        ("linux-aarch64", False, (3, 1), None, {"glibc_version": "3.1"}),
    ]
    for plat, bits32, glibc, musl, ours in cases:
        monkeypatch.setattr(sysconfig, "get_platform", lambda: plat)
        monkeypatch.setattr(manylinux, "_get_glibc_version", lambda: glibc)
        monkeypatch.setattr(manylinux, "_have_compatible_abi", lambda exe, archs: True)
        monkeypatch.setattr(musllinux, "_get_musl_version",
                            lambda exe: None if musl is None else musllinux._MuslVersion(*musl))
        expected = list(tags_mod._linux_platforms(bits32))
        info = _linux(py=(3, 12), platform=plat, glibc="%d.%d" % glibc)
        info.update(ours)
        assert _platforms(puffin.compatible_tags(info)) == expected, (plat, bits32, glibc, musl)


def test_cpython_tags_follow_abi3_none_and_py_order():
    """cpXY-cpXY, cpXY-abi3, cpXY-none, older abi3 down to cp32, pyXY-none, then -any tags."""
    tags = puffin.compatible_tags(_linux(py=(3, 12), system="Windows", platform="win-amd64"))
    assert tags[:4] == ["cp312-cp312-win_amd64", "cp312-abi3-win_amd64", "cp312-none-win_amd64",
                        "cp311-abi3-win_amd64"]
    assert tags[tags.index("cp32-abi3-win_amd64") + 1] == "py312-none-win_amd64"
    assert tags[-16:-14] == ["py30-none-win_amd64", "cp312-none-any"]
    assert tags[-14:] == ["py312-none-any", "py3-none-any"] + ["py3%d-none-any" % m for m in range(11, -1, -1)]


def test_debug_builds_accept_normal_extension_abis_after_their_own():
    """Py_DEBUG adds cpXYd first, then cpXY."""
    tags = puffin.compatible_tags(_linux(Py_DEBUG=1, system="Windows", platform="win-amd64"))
    assert tags[:2] == ["cp312-cp312d-win_amd64", "cp312-cp312-win_amd64"]


def test_free_threaded_builds_take_abi3t_instead_of_abi3():
    """3.13 with Py_GIL_DISABLED uses cp313t, then the abi3t stable ABI (PEP 803), never abi3."""
    tags = puffin.compatible_tags(_linux(py=(3, 13), Py_GIL_DISABLED=1, system="Windows",
                                         platform="win-amd64"))
    assert tags[:4] == ["cp313-cp313t-win_amd64", "cp313-abi3t-win_amd64", "cp313-none-win_amd64",
                        "cp312-abi3t-win_amd64"]
    assert tags[tags.index("cp32-abi3t-win_amd64") + 1] == "py313-none-win_amd64"
    assert not any("-abi3-" in t for t in tags)


def test_pre_38_cpython_abis_carry_the_pymalloc_flag():
    """CPython 3.7 uses the cp37m ABI when built with pymalloc."""
    tags = puffin.compatible_tags(_linux(py=(3, 7), WITH_PYMALLOC=1, system="Windows",
                                         platform="win-amd64"))
    assert tags[0] == "cp37-cp37m-win_amd64"


def test_pypy_uses_generic_tags_and_pp3_any():
    """PyPy gets ppXY-<EXT_SUFFIX abi>, ppXY-none, py tags and pp3-none-any, as packaging gives."""
    info = _linux(py=(3, 10), implementation_name="pypy", py_version_nodot="310",
                  EXT_SUFFIX=".pypy310-pp73-x86_64-linux-gnu.so", glibc="2.17")
    tags = puffin.compatible_tags(info)
    assert tags[:2] == ["pp310-pypy310_pp73-linux_x86_64", "pp310-pypy310_pp73-manylinux_2_17_x86_64"]
    assert "pp310-none-linux_x86_64" in tags
    assert tags.index("pp3-none-any") == tags.index("py310-none-any") - 1


def test_compatible_tags_match_packaging_for_explicit_platforms():
    """With the platform list fixed, compatible_tags equals packaging's cpython/generic + compatible tags."""
    tags_mod = pytest.importorskip("packaging.tags")
    plats = _platforms(puffin.compatible_tags(_linux(glibc="2.28")))
    for py in [(3, 10), (3, 11), (3, 12), (3, 13)]:
        info = _linux(py=py, glibc="2.28")
        expected = [str(t) for t in tags_mod.cpython_tags(py, ["cp%d%d" % py], plats)]
        expected += [str(t) for t in tags_mod.compatible_tags(py, "cp%d%d" % py, plats)]
        assert puffin.compatible_tags(info) == expected
    info = _linux(py=(3, 13), glibc="2.28", Py_GIL_DISABLED=1, Py_DEBUG=1)
    expected = [str(t) for t in tags_mod.cpython_tags((3, 13), ["cp313td", "cp313t"], plats)]
    expected += [str(t) for t in tags_mod.compatible_tags((3, 13), "cp313", plats)]
    assert puffin.compatible_tags(info) == expected
    info = _linux(py=(3, 10), implementation_name="pypy", py_version_nodot="310",
                  EXT_SUFFIX=".pypy310-pp73-x86_64-linux-gnu.so", glibc="2.28")
    expected = [str(t) for t in tags_mod.generic_tags("pp310", ["pypy310_pp73"], plats)]
    expected += [str(t) for t in tags_mod.compatible_tags((3, 10), "pp3", plats)]
    assert puffin.compatible_tags(info) == expected


@pytest.mark.parametrize("version,arch", [
    ((10, 15), "x86_64"), ((11, 0), "arm64"), ((14, 2), "x86_64"), ((15, 1), "arm64"),
    ((10, 4), "i386"), ((10, 5), "ppc64"), ((10, 6), "ppc"), ((10, 3), "x86_64"),
])
def test_mac_platforms_match_packaging(version, arch):
    """macOS platform lists equal packaging.tags.mac_platforms for the same version and arch."""
    tags_mod = pytest.importorskip("packaging.tags")
    assert puffin.mac_platforms(version, arch) == list(tags_mod.mac_platforms(version, arch))


def test_python_platform_linux_is_manylinux_2_28_x86_64():
    """--python-platform linux means x86_64 with manylinux_2_28 and older, as in uv 0.13
    (its baseline for images); linux_x86_64 comes last, as uv orders it."""
    tags = puffin.tags_for_platform("3.12", "linux")
    assert tags[:3] == ["cp312-cp312-manylinux_2_28_x86_64", "cp312-cp312-manylinux_2_27_x86_64",
                        "cp312-cp312-manylinux_2_26_x86_64"]
    assert "cp312-cp312-manylinux_2_29_x86_64" not in tags
    assert tags == puffin.tags_for_platform("3.12", "x86_64-unknown-linux-gnu")


def test_python_platform_explicit_manylinux_musllinux_macos_and_windows():
    """Explicit uv platform names map to their glibc, musl, macOS or Windows tags."""
    assert puffin.tags_for_platform("3.11", "x86_64-manylinux_2_28")[0] == "cp311-cp311-manylinux_2_28_x86_64"
    assert puffin.tags_for_platform("3.11", "aarch64-manylinux_2_17")[:2] \
        == ["cp311-cp311-manylinux_2_17_aarch64", "cp311-cp311-manylinux2014_aarch64"]
    assert puffin.tags_for_platform("3.11", "x86_64-unknown-linux-musl")[:4] \
        == ["cp311-cp311-musllinux_1_2_x86_64", "cp311-cp311-musllinux_1_1_x86_64",
            "cp311-cp311-musllinux_1_0_x86_64", "cp311-cp311-linux_x86_64"]
    assert puffin.tags_for_platform("3.11", "macos", env={})[0] == "cp311-cp311-macosx_13_0_arm64"
    assert puffin.tags_for_platform("3.11", "macos", env={"MACOSX_DEPLOYMENT_TARGET": "14.2"})[0] \
        == "cp311-cp311-macosx_14_0_arm64"
    assert puffin.tags_for_platform("3.11", "macos", env={"MACOSX_DEPLOYMENT_TARGET": "15.x"})[0] \
        == "cp311-cp311-macosx_13_0_arm64"
    assert puffin.tags_for_platform("3.11", "x86_64-apple-darwin", env={})[:4] == [
        "cp311-cp311-macosx_13_0_x86_64", "cp311-cp311-macosx_13_0_intel", "cp311-cp311-macosx_13_0_fat64",
        "cp311-cp311-macosx_13_0_fat32"]
    assert puffin.tags_for_platform("3.11", "windows")[:2] == ["cp311-cp311-win_amd64", "cp311-abi3-win_amd64"]
    assert puffin.tags_for_platform("3.11", "i686-pc-windows-msvc")[0] == "cp311-cp311-win32"


def test_unknown_python_platform_is_a_usage_error():
    """An unknown --python-platform names itself and lists what works."""
    with pytest.raises(puffin.UsageError) as info:
        puffin.tags_for_platform("3.12", "solaris")
    assert "solaris" in str(info.value) and info.value.hint


def test_platform_markers_override_only_platform_fields():
    """platform_markers keeps the Python markers and sets os/sys/platform ones, as uv does."""
    base = {"python_version": "3.12", "python_full_version": "3.12.1", "os_name": "posix",
            "sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux"}
    env = puffin.platform_markers("windows", base)
    assert env["python_full_version"] == "3.12.1"
    assert (env["os_name"], env["sys_platform"], env["platform_machine"], env["platform_system"]) \
        == ("nt", "win32", "AMD64", "Windows")
    env = puffin.platform_markers("macos", base, env={})
    assert (env["sys_platform"], env["platform_machine"]) == ("darwin", "arm64")


def test_tag_priority_picks_the_best_tag_of_a_wheel():
    """TagPriority ranks earlier tags higher; best() is the wheel's best rank or None."""
    prio = puffin.TagPriority(["cp312-cp312-linux_x86_64", "cp312-abi3-linux_x86_64", "py3-none-any"])
    assert prio.best(["py3-none-any"]) < prio.best(["cp312-abi3-linux_x86_64", "py3-none-any"])
    assert prio.best(["cp312-abi3-linux_x86_64", "py3-none-any"]) == prio.get("cp312-abi3-linux_x86_64")
    assert prio.best(["cp27-cp27mu-linux_x86_64"]) is None
    assert prio.best([]) is None
    assert "py3-none-any" in prio and len(prio) == 3


# ---- --python-platform as uv names it ---------------------------------------------------------

UV_PLATFORMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "uv_platform_tags.json")


def _platform_part(tags):
    out = []
    for tag in tags:
        plat = tag.split("-")[2]
        if plat not in out:
            out.append(plat)
    return out


def test_every_python_platform_uv_accepts_gives_the_platform_tags_uv_accepts():
    """The fixture holds, for each of the 46 --python-platform values uv 0.13.9 accepts, the
    platform tags it took (from fake wheels of every tag): puffin.py takes the same set, with
    linux_<arch> after every manylinux/musllinux tag as uv orders them."""
    with open(UV_PLATFORMS) as f:
        expected = json.load(f)
    assert len(expected) == 46
    for name, plats in expected.items():
        mine = _platform_part(puffin.tags_for_platform("3.12", name))
        assert set(mine) == set(plats), name
        linux = [p for p in mine if p.startswith("linux_")]
        if linux:
            assert mine.index(linux[0]) == len(mine) - 2, name   # last, before "any"


def test_the_linux_image_targets_start_at_manylinux_2_28():
    """x86_64-unknown-linux-gnu (and `linux`) rank manylinux_2_28 first, as uv's docs say for images."""
    for name in ("linux", "x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"):
        first = _platform_part(puffin.tags_for_platform("3.12", name))[0]
        assert first.startswith("manylinux_2_28_"), name


@pytest.mark.parametrize("name", ["x86_64-manylinux_2_30", "x86_64-musllinux_1_2", "win32", "X86_64-pc-windows-msvc"])
def test_a_python_platform_uv_refuses_is_a_usage_error(name):
    """Names uv 0.13.9 refuses are refused too, with the known ones in the hint."""
    with pytest.raises(puffin.UsageError) as e:
        puffin.tags_for_platform("3.12", name)
    assert "--python-platform" in str(e.value) and "x86_64-unknown-linux-gnu" in e.value.hint


def test_python_platform_markers_name_the_system_as_uv_does():
    """sys_platform, platform_system and platform_machine per target, as uv 0.13.9 sets them."""
    base = {"python_version": "3.12"}
    cases = {"aarch64-pc-windows-msvc": ("win32", "Windows", "ARM64"),
             "windows": ("win32", "Windows", "AMD64"),
             "x86_64-linux-android": ("android", "Android", "x86_64"),
             "arm64-apple-ios": ("ios", "iOS", "arm64"),
             "wasm32-pyodide2024": ("emscripten", "Emscripten", "wasm32"),
             "macos": ("darwin", "Darwin", "arm64"),
             "riscv64-unknown-linux": ("linux", "Linux", "riscv64")}
    for name, (sys_platform, system, machine) in cases.items():
        m = puffin.platform_markers(name, base)
        assert (m["sys_platform"], m["platform_system"], m["platform_machine"]) == (sys_platform, system, machine)
    assert puffin.platform_markers("wasm32-pyodide2024", base)["platform_release"] == "3.1.58"
