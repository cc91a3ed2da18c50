"""Section 7: installing one wheel into one environment, as pip lays it out."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

import puffin
import support
from support import make_scheme

PYTHON = "/opt/env/bin/python"  # only written into shebangs; never run


@pytest.fixture(autouse=True)
def _umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def install(wheel_path, scheme, **kwargs):
    dest_kwargs = {k: kwargs.pop(k) for k in ("link_mode", "python_version") if k in kwargs}
    dest = puffin.SchemeDestination(scheme, kwargs.pop("python", PYTHON), **dest_kwargs)
    with puffin.ZipWheelSource(wheel_path) as source:
        return puffin.install_wheel(source, dest, **kwargs)


def tree(root) -> dict:
    """{relative path: (mode, bytes)} of every file below ``root``."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, root)] = (stat.S_IMODE(os.lstat(full).st_mode), f.read())
    return out


def all_entries(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, dirs, files in os.walk(root) for n in dirs + files)


def record_rows(dist_info) -> list:
    with open(os.path.join(dist_info, "RECORD"), newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def record_hash(data: bytes) -> str:
    return support.record_hash(data)


# ---- what lands -----------------------------------------------------------------

def test_a_pure_wheel_lands_in_purelib_with_a_pip_style_record(tmp_path):
    """Files go to purelib; RECORD is sorted, CRLF-terminated, lists itself without hash."""
    wheel = support.make_wheel("demo", "1.0", files={"demo/__init__.py": "x = 1\n",
                                                     "demo/sub/data.txt": "hello"},
                               out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    assert dist_info == os.path.join(scheme["purelib"], "demo-1.0.dist-info")
    with open(os.path.join(scheme["purelib"], "demo", "sub", "data.txt"), "rb") as f:
        assert f.read() == b"hello"
    with open(os.path.join(dist_info, "RECORD"), "rb") as f:
        raw = f.read()
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == raw.count(b"\n")
    rows = record_rows(dist_info)
    assert rows == sorted(rows)
    assert ["demo-1.0.dist-info/RECORD", "", ""] in rows
    assert ["demo/__init__.py", record_hash(b"x = 1\n"), "6"] in rows
    assert ["demo-1.0.dist-info/INSTALLER", record_hash(b"puffin\n"), "7"] in rows
    assert not os.path.exists(os.path.join(dist_info, "REQUESTED"))
    assert not os.path.exists(os.path.join(dist_info, "direct_url.json"))


def test_a_platlib_wheel_lands_in_platlib_and_records_paths_relative_to_it(tmp_path):
    """Root-Is-Purelib: false puts the root in platlib; .data/purelib paths are relative to it."""
    wheel = support.make_wheel("native", "2.0", root_is_purelib=False, tag="cp311-cp311-linux_x86_64",
                               files={"native/__init__.py": ""},
                               data={"purelib": {"native_py/x.py": "y = 2\n"}},
                               out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    assert dist_info.startswith(scheme["platlib"])
    assert os.path.isfile(os.path.join(scheme["platlib"], "native", "__init__.py"))
    assert os.path.isfile(os.path.join(scheme["purelib"], "native_py", "x.py"))
    paths = [r[0] for r in record_rows(dist_info)]
    assert "../../lib/site-packages/native_py/x.py" in paths
    assert not os.path.exists(os.path.join(scheme["purelib"], "native"))


def test_data_folders_go_to_their_scheme_paths(tmp_path):
    """.data/{purelib,platlib,headers,data,scripts} land in the matching scheme folders."""
    wheel = support.make_wheel("demo", "1.0", data={
        "purelib": {"p.py": "p"}, "platlib": {"q.py": "q"}, "headers": {"demo.h": "h"},
        "data": {"share/demo/readme.txt": "d"}, "scripts": {"tool": ("echo\n", 0o755)}},
        out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    for key, rel in (("purelib", "p.py"), ("platlib", "q.py"), ("headers", "demo.h"),
                     ("data", "share/demo/readme.txt"), ("scripts", "tool")):
        assert os.path.isfile(os.path.join(scheme[key], rel)), key
    rows = {r[0]: r for r in record_rows(dist_info)}
    assert "../../include/demo/demo.h" in rows
    assert "../../share/demo/readme.txt" in rows
    assert "../../bin/tool" in rows
    assert not any(".data/" in p for p in rows)


def test_python_shebangs_of_data_scripts_are_rewritten_and_rehashed(tmp_path):
    """'#!python' lines become '#!<python>' (the rest of the line dropped as pip does)."""
    wheel = support.make_wheel("demo", "1.0", scripts={
        "a": "#!python\nprint('a')\n", "b": "#!pythonw -u\r\nprint('b')\n",
        "c": "#!/bin/sh\necho c\n", "d": ("#!python\nprint('d')\n", 0o644)},
        out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    bin_dir = scheme["scripts"]
    expected = {"a": b"#!" + PYTHON.encode() + b"\nprint('a')\n",
                "b": b"#!" + PYTHON.encode() + b"\nprint('b')\n",
                "c": b"#!/bin/sh\necho c\n",
                "d": b"#!" + PYTHON.encode() + b"\nprint('d')\n"}
    rows = {r[0]: r for r in record_rows(dist_info)}
    for name, content in expected.items():
        with open(os.path.join(bin_dir, name), "rb") as f:
            assert f.read() == content
        assert rows["../../bin/" + name] == ["../../bin/" + name, record_hash(content), str(len(content))]
    assert stat.S_IMODE(os.stat(os.path.join(bin_dir, "a")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(os.path.join(bin_dir, "c")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(os.path.join(bin_dir, "d")).st_mode) == 0o644


def test_executable_bits_of_members_are_kept(tmp_path):
    """A member stored with x bits is installed 0o755 (umask 022), others 0o644."""
    wheel = support.make_wheel("demo", "1.0", files={"demo/run.sh": ("echo\n", 0o755),
                                                     "demo/plain.txt": "x"}, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    install(wheel, scheme)
    site = scheme["purelib"]
    assert stat.S_IMODE(os.stat(os.path.join(site, "demo", "run.sh")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(os.path.join(site, "demo", "plain.txt")).st_mode) == 0o644


# pip 26's launcher: what the newest pip writes (for targets on Python 3.10+)
LAUNCHER = textwrap.dedent("""\
    import sys
    from {module} import {imp}
    if __name__ == '__main__':
        sys.argv[0] = sys.argv[0].removesuffix('.exe')
        sys.exit({func}())
    """)

# distlib's template, which pip up to 25.1 writes (and so pip 25.0, the newest for 3.8)
DISTLIB_LAUNCHER = textwrap.dedent("""\
    # -*- coding: utf-8 -*-
    import re
    import sys
    from {module} import {imp}
    if __name__ == '__main__':
        sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
        sys.exit({func}())
    """)

# pip 25.2-25.3 (25.3 is the newest for Python 3.9)
PIP25_LAUNCHER = textwrap.dedent("""\
    import sys
    from {module} import {imp}
    if __name__ == '__main__':
        if sys.argv[0].endswith('.exe'):
            sys.argv[0] = sys.argv[0][:-4]
        sys.exit({func}())
    """)


@pytest.mark.parametrize("python_version, pip_version, expected", [
    ((3, 13), None, LAUNCHER), ((3, 10), None, LAUNCHER), ((3, 9), None, PIP25_LAUNCHER),
    ((3, 8), None, DISTLIB_LAUNCHER), (None, None, LAUNCHER), ((3, 12), (24, 2), DISTLIB_LAUNCHER),
    ((3, 11), (25, 3), PIP25_LAUNCHER), ((3, 11), (26, 0), LAUNCHER)])
def test_launchers_follow_the_newest_pip_for_the_target_or_the_pip_named(
        tmp_path, python_version, pip_version, expected):
    """The launcher is the newest pip's for the target Python, or that of a given pip version."""
    wheel = support.make_wheel("demo", "1.0", entry_points={
        "console_scripts": {"demo-cli": "demo.cli:main"}}, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dest = puffin.SchemeDestination(scheme, PYTHON, python_version=python_version, pip_version=pip_version)
    with puffin.ZipWheelSource(wheel) as source:
        puffin.install_wheel(source, dest)
    with open(os.path.join(scheme["scripts"], "demo-cli"), "rb") as f:
        data = f.read()
    assert data == ("#!%s\n" % PYTHON).encode() + expected.format(
        module="demo.cli", imp="main", func="main").encode()


def test_entry_points_become_pip_launchers(tmp_path):
    """console and gui scripts (extras and dotted attributes too) get distlib's launcher, 0o755."""
    wheel = support.make_wheel("demo", "1.0", entry_points={
        "console_scripts": {"demo-cli": "demo.cli:main", "demo-sub": "demo.cli:App.run [fancy, more]"},
        "gui_scripts": {"demo-gui": "demo.gui:start"}}, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    rows = {r[0]: r for r in record_rows(dist_info)}
    for name, module, imp, func in (("demo-cli", "demo.cli", "main", "main"),
                                    ("demo-sub", "demo.cli", "App", "App.run"),
                                    ("demo-gui", "demo.gui", "start", "start")):
        path = os.path.join(scheme["scripts"], name)
        with open(path, "rb") as f:
            data = f.read()
        assert data == ("#!%s\n" % PYTHON).encode() + LAUNCHER.format(
            module=module, imp=imp, func=func).encode()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o755
        assert rows["../../bin/" + name][1:] == [record_hash(data), str(len(data))]


def test_a_python_path_with_a_space_gets_the_bin_sh_launcher(tmp_path):
    """As distlib does, a quoted interpreter path with a space needs the /bin/sh exec trick."""
    wheel = support.make_wheel("demo", "1.0", entry_points={"console_scripts": {"d": "demo:main"}},
                               out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    install(wheel, scheme, python="/opt/my env/bin/python")
    with open(os.path.join(scheme["scripts"], "d"), "rb") as f:
        head = f.read().split(b"import sys", 1)[0]
    assert head == b"#!/bin/sh\n'''exec' \"/opt/my env/bin/python\" \"$0\" \"$@\"\n' '''\n"


def test_a_very_long_python_path_gets_the_bin_sh_launcher(tmp_path):
    """A shebang over 127 bytes would be cut by Linux, so /bin/sh runs it, as with pip."""
    long_python = "/opt/" + "x" * 130 + "/bin/python"
    wheel = support.make_wheel("demo", "1.0", entry_points={"console_scripts": {"d": "demo:main"}},
                               out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    install(wheel, scheme, python=long_python)
    with open(os.path.join(scheme["scripts"], "d"), "rb") as f:
        assert f.read().startswith(b"#!/bin/sh\n'''exec' " + long_python.encode() + b' "$0" "$@"\n')


def test_pip_gets_its_versioned_launchers(tmp_path, monkeypatch):
    """The 'pip' entry point also makes pip3 and pip3.X; other versioned ones are dropped."""
    monkeypatch.delenv("ENSUREPIP_OPTIONS", raising=False)
    wheel = support.make_wheel("pip", "99.0", entry_points={"console_scripts": {
        "pip": "pip._internal.cli.main:main", "pip3": "pip._internal.cli.main:main",
        "pip3.1": "pip._internal.cli.main:main"}}, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    install(wheel, scheme, python_version=(3, 12))
    assert sorted(os.listdir(scheme["scripts"])) == ["pip", "pip3", "pip3.12"]


def test_an_entry_point_without_a_callable_is_refused_before_writing(tmp_path):
    """'name = module' (no ':attr') is an error, as in pip, and nothing lands."""
    wheel = support.make_wheel("demo", "1.0", entry_points={"console_scripts": {"d": "demo"}},
                               out_dir=tmp_path / "w")
    with pytest.raises(puffin.InstallError, match="callable"):
        install(wheel, make_scheme(tmp_path / "env"))
    assert not os.path.exists(tmp_path / "env")


def test_setuptools_wrappers_for_entry_points_in_data_scripts_are_skipped(tmp_path):
    """A .data/scripts file named like an entry point is replaced by the generated launcher."""
    wheel = support.make_wheel("demo", "1.0", scripts={"demo": "#!python\nold wrapper\n",
                                                       "demo-script.py": "x"},
                               entry_points={"console_scripts": {"demo": "demo:main"}},
                               out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    install(wheel, scheme)
    assert sorted(os.listdir(scheme["scripts"])) == ["demo"]
    with open(os.path.join(scheme["scripts"], "demo"), "rb") as f:
        assert b"from demo import main" in f.read()


def test_non_ascii_names_install(tmp_path):
    """Members with non-ASCII names land under the same names and in RECORD."""
    wheel = support.make_wheel("demo", "1.0", files={"démo/__init__.py": "", "démo/ünï.txt": "ü"},
                               data={"data": {"share/ñ.txt": "n"}}, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    assert os.path.isfile(os.path.join(scheme["purelib"], "démo", "ünï.txt"))
    paths = [r[0] for r in record_rows(dist_info)]
    assert "démo/ünï.txt" in paths and "../../share/ñ.txt" in paths


def test_a_symlink_member_inside_the_wheel_becomes_a_file_holding_its_target(tmp_path):
    """Like pip: zip symlinks are not followed or created; the link text is written."""
    wheel = support.make_wheel("demo", "1.0", files={"demo/real.py": "x"},
                               symlinks={"demo/alias.py": "real.py"}, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    alias = os.path.join(scheme["purelib"], "demo", "alias.py")
    assert not os.path.islink(alias)
    with open(alias, "rb") as f:
        assert f.read() == b"real.py"
    assert ["demo/alias.py", "", ""] in record_rows(dist_info)


def test_installer_requested_and_direct_url_are_written(tmp_path):
    """INSTALLER says puffin; REQUESTED is empty; direct_url.json is pip's sorted JSON."""
    wheel = support.make_wheel("demo", "1.0", out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    url = {"url": "file:///x/demo-1.0-py3-none-any.whl", "archive_info": {"hashes": {"sha256": "ab"}}}
    dist_info = install(wheel, scheme, requested=True, direct_url=url)
    with open(os.path.join(dist_info, "INSTALLER"), "rb") as f:
        assert f.read() == b"puffin\n"
    with open(os.path.join(dist_info, "REQUESTED"), "rb") as f:
        assert f.read() == b""
    with open(os.path.join(dist_info, "direct_url.json"), "rb") as f:
        assert f.read() == json.dumps(url, sort_keys=True).encode()
    rows = {r[0] for r in record_rows(dist_info)}
    assert {"demo-1.0.dist-info/REQUESTED", "demo-1.0.dist-info/direct_url.json"} <= rows
    dist = puffin.read_installed([scheme["purelib"]])[0]
    assert (dist.installer, dist.requested, dist.direct_url) == (
        "puffin", True, puffin.DirectUrl("file:///x/demo-1.0-py3-none-any.whl", "archive", hashes={"sha256": "ab"}))


def test_a_direct_url_object_from_the_standards_section_is_accepted(tmp_path):
    """direct_url may be section 2's DirectUrl; its to_json() is written."""
    wheel = support.make_wheel("demo", "1.0", out_dir=tmp_path / "w")
    durl = puffin.DirectUrl("file:///src/demo", "dir", editable=False)
    dist_info = install(wheel, make_scheme(tmp_path / "env"), direct_url=durl)
    with open(os.path.join(dist_info, "direct_url.json"), encoding="utf-8") as f:
        assert f.read() == durl.to_json()


def test_a_repeated_wheel_version_is_tolerated_and_a_newer_minor_warns(tmp_path):
    """Two Wheel-Version lines install (pip reads the first); 1.9 installs with a warning."""
    w1 = support.make_wheel("demo", "1.0", wheel_version=("1.0", "1.0"), out_dir=tmp_path / "a")
    install(w1, make_scheme(tmp_path / "env1"))
    w2 = support.make_wheel("demo", "1.0", wheel_version="1.9", out_dir=tmp_path / "b")
    install(w2, make_scheme(tmp_path / "env2"))
    assert any("Wheel-Version (1.9)" in w for w in puffin._WARNINGS)


# ---- refused wheels ------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"files": {"/etc/evil.py": "x"}}, "absolute"),
    ({"files": {"demo/../../evil.py": "x"}}, "leaves"),
    ({"files": {"../evil.py": "x"}}, "leaves"),
    ({"data": {"data": {"../../../evil": "x"}}}, "leaves"),
    ({"data": {"scripts": {"../evil": "x"}}}, "leaves"),
    ({"symlinks": {"demo/link": "../../../../etc/passwd"}}, "outside"),
    ({"symlinks": {"demo/link": "/etc/passwd"}}, "outside"),
    ({"record": False}, "RECORD"),
    ({"wheel_version": "2.0"}, "Wheel-Version 2.0"),
    ({"wheel_version": None}, "Wheel-Version"),
    ({"dist_info_dir": "other-1.0.dist-info"}, "does not start with"),
    ({"extra_members": [("second-1.0.dist-info/METADATA", "x")]}, "multiple"),
    ({"data": {"weird": {"x": "y"}}}, "unknown scheme key"),
    ({"dist_info_files": {"METADATA": None}}, "METADATA"),
    ({"entry_points": {"console_scripts": {"../escape": "demo:main"}}}, "script name"),
])
def test_a_malicious_or_broken_wheel_is_refused_with_nothing_written(tmp_path, kwargs, match):
    """Hostile paths, escaping symlinks, RECORD-less and newer-major wheels write nothing."""
    wheel = support.make_wheel("demo", "1.0", out_dir=tmp_path / "w", **kwargs)
    env = tmp_path / "env"
    env.mkdir()
    with pytest.raises(puffin.InstallError, match=match):
        install(wheel, make_scheme(env))
    assert all_entries(env) == []
    assert not os.path.exists(tmp_path / "etc") and not os.path.exists(tmp_path / "evil.py")


def test_extract_wheel_refuses_hostile_members_before_writing(tmp_path):
    """The cache's unzip checks every member first: an escaping symlink leaves the folder empty."""
    wheel = support.make_wheel("demo", "1.0", files={"demo/a.py": "a"},
                               symlinks={"zz/link": "../../x"}, out_dir=tmp_path / "w")
    target = tmp_path / "unzipped"
    target.mkdir()
    with pytest.raises(puffin.UnsafePathError):
        puffin.extract_wheel(wheel, str(target))
    assert all_entries(target) == []


# ---- atomicity ------------------------------------------------------------------

class FailingDestination(puffin.SchemeDestination):
    """Raises ``exc`` on the ``fail_at``-th write (files, launchers, dist-info files)."""

    def __init__(self, *args, fail_at, exc=OSError(28, "No space left on device"), **kwargs):
        super().__init__(*args, **kwargs)
        self.fail_at, self.exc, self.writes = fail_at, exc, 0

    def _tick(self):
        self.writes += 1
        if self.writes == self.fail_at:
            raise self.exc

    def write_file(self, *args, **kwargs):
        self._tick()
        return super().write_file(*args, **kwargs)

    def write_bytes(self, *args, **kwargs):
        self._tick()
        return super().write_bytes(*args, **kwargs)


def rich_wheel(out_dir):
    return support.make_wheel("demo", "1.0", files={"demo/__init__.py": "", "demo/a/b.py": "b",
                                                    "demo/c.txt": "c"},
                              data={"data": {"share/demo/d.txt": "d"}, "headers": {"h.h": "h"}},
                              scripts={"s": "#!python\n"},
                              entry_points={"console_scripts": {"demo": "demo:main"}},
                              out_dir=out_dir)


@pytest.mark.parametrize("fail_at", [1, 2, 4, 7, 9, 11])
def test_a_failure_midway_leaves_nothing_half_installed(tmp_path, fail_at):
    """Whichever write fails (a full disk, Ctrl-C), every file written so far is removed."""
    wheel = rich_wheel(tmp_path / "w")
    env = tmp_path / "env"
    env.mkdir()
    scheme = make_scheme(env)
    exc = KeyboardInterrupt() if fail_at == 7 else OSError(28, "No space left on device")
    dest = FailingDestination(scheme, PYTHON, fail_at=fail_at, exc=exc)
    with puffin.ZipWheelSource(wheel) as source, pytest.raises(type(exc)):
        puffin.install_wheel(source, dest)
    assert all_entries(env) == []


def test_the_failing_destination_really_reaches_the_record(tmp_path):
    """Sanity check for the test above: the rich wheel needs 12 writes, RECORD being the last."""
    wheel = rich_wheel(tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dest = FailingDestination(scheme, PYTHON, fail_at=12)
    with puffin.ZipWheelSource(wheel) as source, pytest.raises(OSError):
        puffin.install_wheel(source, dest)
    dest = FailingDestination(scheme, PYTHON, fail_at=13)
    with puffin.ZipWheelSource(wheel) as source:
        puffin.install_wheel(source, dest)
    assert dest.writes == 12


KILL_SCRIPT = """
import os, sys
sys.path.insert(0, sys.argv[1])
import puffin
wheel, env, kill_at = sys.argv[2], sys.argv[3], int(sys.argv[4])
scheme = {"purelib": env + "/lib/site-packages", "platlib": env + "/lib64/site-packages",
          "scripts": env + "/bin", "data": env, "headers": env + "/include/demo"}

class Killed(puffin.SchemeDestination):
    n = 0
    def _tick(self, after=False):
        if not after:
            self.n += 1
        if self.n == kill_at and after == (kill_at == 12):
            os._exit(9)
    def write_file(self, *a, **k):
        self._tick(); return super().write_file(*a, **k)
    def write_bytes(self, *a, **k):
        self._tick(); r = super().write_bytes(*a, **k); self._tick(after=True); return r

with puffin.ZipWheelSource(wheel) as source:
    puffin.install_wheel(source, Killed(scheme, "/opt/env/bin/python"))
"""


@pytest.mark.parametrize("kill_at", [3, 8, 11, 12])
def test_a_killed_install_is_repaired_by_the_next_run(tmp_path, kill_at):
    """A process killed mid-install leaves a journal; repair removes the half install
    (or keeps it when RECORD was written), and installing again gives the full result."""
    wheel = rich_wheel(tmp_path / "w")
    env = tmp_path / "env"
    scheme = make_scheme(env)
    repo = os.path.dirname(os.path.abspath(puffin.__file__))
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, repo, wheel, str(env), str(kill_at)],
                          capture_output=True)
    assert proc.returncode == 9, proc.stderr
    dists = puffin.read_installed([scheme["purelib"]])
    assert all(not d.complete for d in dists) or kill_at == 12
    repaired = puffin.repair_interrupted([scheme["purelib"]])
    if kill_at == 12:
        assert repaired == []
        assert [d.complete for d in puffin.read_installed([scheme["purelib"]])] == [True]
    else:
        assert [r.path for r in repaired] == [os.path.join(scheme["purelib"], "demo-1.0.dist-info")]
        assert [p for p in all_entries(env) if not os.path.isdir(os.path.join(env, p))] == []
    install(wheel, scheme)
    clean = make_scheme(tmp_path / "clean")
    install(wheel, clean)
    assert tree(env) == tree(tmp_path / "clean")


# ---- unzipped wheels in the cache ------------------------------------------------

def cache_wheel(tmp_path, wheel):
    target = tmp_path / "cache" / "demo-1.0"
    tmp = str(target) + ".tmp"
    os.makedirs(tmp)
    puffin.extract_wheel(wheel, tmp)
    os.replace(tmp, str(target))
    return str(target)


@pytest.mark.parametrize("link_mode", ["hardlink", "copy", "symlink"])
def test_installing_from_the_cache_matches_installing_from_the_zip_and_never_changes_it(tmp_path, link_mode):
    """Linked installs give the same files as zip installs; the cache folder is left as it was."""
    wheel = rich_wheel(tmp_path / "w")
    cached = cache_wheel(tmp_path, wheel)
    before = tree(cached)
    assert stat.S_IMODE(os.stat(os.path.join(cached, "demo-1.0.data", "scripts", "s")).st_mode) == 0o755
    scheme = make_scheme(tmp_path / "env")
    dest = puffin.SchemeDestination(scheme, PYTHON, link_mode=link_mode)
    source = puffin.DirWheelSource(cached, os.path.basename(wheel))
    puffin.install_wheel(source, dest, requested=True)
    puffin.install_wheel(puffin.DirWheelSource(cached, os.path.basename(wheel)), dest, requested=True)
    assert tree(cached) == before
    zip_scheme = make_scheme(tmp_path / "zipenv")
    install(wheel, zip_scheme, requested=True)
    got, want = tree(tmp_path / "env"), tree(tmp_path / "zipenv")
    if link_mode == "symlink":
        assert {k: v[1] for k, v in got.items()} == {k: v[1] for k, v in want.items()}
    else:
        assert got == want
    init = os.path.join(scheme["purelib"], "demo", "__init__.py")
    cached_init = os.path.join(cached, "demo", "__init__.py")
    if link_mode == "hardlink":
        assert os.path.samefile(init, cached_init)
        assert not os.path.samefile(os.path.join(scheme["scripts"], "s"),
                                    os.path.join(cached, "demo-1.0.data", "scripts", "s"))
    elif link_mode == "symlink":
        assert os.path.islink(init)
    else:
        assert not os.path.samefile(init, cached_init)


def test_a_non_python_data_script_is_linked_unchanged_from_the_cache(tmp_path):
    """Only '#!python' scripts are rewritten; others keep the wheel's RECORD row."""
    wheel = support.make_wheel("demo", "1.0", scripts={"sh": "#!/bin/sh\necho\n"}, out_dir=tmp_path / "w")
    cached = cache_wheel(tmp_path, wheel)
    scheme = make_scheme(tmp_path / "env")
    dest = puffin.SchemeDestination(scheme, PYTHON)
    dist_info = puffin.install_wheel(puffin.DirWheelSource(cached, os.path.basename(wheel)), dest)
    assert os.path.samefile(os.path.join(scheme["scripts"], "sh"),
                            os.path.join(cached, "demo-1.0.data", "scripts", "sh"))
    data = b"#!/bin/sh\necho\n"
    assert ["../../bin/sh", record_hash(data), str(len(data))] in record_rows(dist_info)


# ---- installed distributions and bytecode ---------------------------------------

def test_read_installed_finds_dist_infos_and_legacy_egg_infos(tmp_path):
    """dist-info folders, egg-info folders and files are listed by canonical name and version."""
    site = tmp_path / "site"
    scheme = make_scheme(tmp_path / "env")
    scheme["purelib"] = str(site)
    install(support.make_wheel("Demo_Pkg", "1.0", out_dir=tmp_path / "w"), scheme)
    egg_dir = site / "Old_Thing-2.0-py3.11.egg-info"
    egg_dir.mkdir()
    (egg_dir / "PKG-INFO").write_bytes(support.make_metadata("Old-Thing", "2.0"))
    (site / "distutils_thing-0.5-py3.11.egg-info").write_bytes(
        support.make_metadata("distutils-thing", "0.5"))
    (site / "broken-1.0.dist-info").mkdir()
    (site / "broken-1.0.dist-info" / "METADATA").write_bytes(support.make_metadata("broken", "1.0"))
    dists = puffin.read_installed([str(site)])
    assert [(d.name, str(d.version), d.kind) for d in dists] == [
        ("broken", "1.0", "dist-info"), ("demo-pkg", "1.0", "dist-info"),
        ("distutils-thing", "0.5", "egg-info"), ("old-thing", "2.0", "egg-info")]
    assert [d.complete for d in dists] == [False, True, True, True]
    assert dists[1].metadata.name == "Demo_Pkg"
    assert dists[3].metadata.version == puffin.Version("2.0")


def test_compile_installed_writes_pyc_and_lists_them_in_record_like_pip(tmp_path):
    """--compile-bytecode: .pyc for every installed .py, listed in RECORD with empty hashes."""
    wheel = support.make_wheel("demo", "1.0", files={"demo/__init__.py": "x = 1\n",
                                                     "demo/bad.py": "print 'python 2'\n",
                                                     "demo/x.txt": ""}, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(wheel, scheme)
    assert puffin.compile_installed([dist_info], sys.executable) == 1
    tag = sys.implementation.cache_tag
    pyc = "demo/__pycache__/__init__.%s.pyc" % tag
    assert os.path.isfile(os.path.join(scheme["purelib"], pyc))
    rows = record_rows(dist_info)
    assert [pyc, "", ""] in rows and rows == sorted(rows)
    assert not any("bad." in r[0] and r[0].endswith(".pyc") for r in rows)


# ---- fidelity against pip ------------------------------------------------------

@pytest.fixture(scope="module")
def pip_venv(tmp_path_factory):
    """One venv with pip (slow to make, so once per module)."""
    path = str(tmp_path_factory.mktemp("pipvenv") / "venv")
    subprocess.run([sys.executable, "-m", "venv", path], check=True, capture_output=True)
    python = os.path.join(path, "bin", "python")
    out = subprocess.run([python, "-c", "import sysconfig, sys, json, pip; print(json.dumps("
                          "[sysconfig.get_paths(), list(sys.version_info[:2]), pip.__version__]))"],
                         check=True, capture_output=True, text=True).stdout
    paths, version, pip_version = json.loads(out)
    # the launchers to compare are those of the pip in this venv (ensurepip's)
    pip_version = tuple(int(p) for p in pip_version.split(".")[:2])
    return {"path": path, "python": python, "paths": paths, "version": tuple(version),
            "pip": pip_version}


def pip_env():
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("PIP_", "PUFFIN_", "UV_", "PYTHON"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_pip(venv, *args):
    proc = subprocess.run([venv["python"], "-m", "pip", "--disable-pip-version-check",
                           "--no-input", "--no-cache-dir"] + list(args),
                          capture_output=True, text=True, env=pip_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def venv_scheme(venv, project) -> dict:
    """The scheme pip uses in a venv (headers under include/site/pythonX.Y/<name>)."""
    p = venv["paths"]
    return {"purelib": p["purelib"], "platlib": p["platlib"], "scripts": p["scripts"],
            "data": p["data"], "headers": os.path.join(venv["path"], "include", "site",
                                                       "python%d.%d" % venv["version"], project)}


def snapshot(venv) -> dict:
    return tree(venv["path"])


def changed(before, after) -> dict:
    return {k: v for k, v in after.items() if before.get(k) != v}


def without_installer(files: dict) -> dict:
    """Drop INSTALLER and its RECORD line (they name the installer, so differ by design)."""
    out = {}
    for path, (mode, data) in files.items():
        if path.endswith(".dist-info/INSTALLER"):
            continue
        if path.endswith(".dist-info/RECORD"):
            data = b"".join(line for line in data.splitlines(True)
                            if b".dist-info/INSTALLER," not in line)
        out[path] = (mode, data)
    return out


def fidelity_wheels(tmp_path):
    out = tmp_path / "wheels"
    wheels = [
        support.make_wheel("Fancy.Pkg", "1.0", files={
            "fancy_pkg/__init__.py": "x = 1\n", "fancy_pkg/run.sh": ("echo\n", 0o755),
            "fancy_pkg/ünï.txt": "ü", "fancy_pkg/empty.dat": ""},
            data={"purelib": {"fancy_extra.py": "y = 1\n"}, "headers": {"fancy.h": "h"},
                  "data": {"share/fancy/n.txt": "n"}},
            scripts={"fancy-sh": "#!python\nprint(1)\n", "fancy-w": "#!pythonw\r\nprint(2)\n",
                     "plain": "#!/bin/sh\necho\n", "fancy-cli": "#!python\nwrapper\n"},
            symlinks={"fancy_pkg/alias.txt": "run.sh"},
            entry_points={"console_scripts": {"fancy-cli": "fancy_pkg.cli:main",
                                              "fancy-sub": "fancy_pkg.cli:App.run [extra]"},
                          "gui_scripts": {"fancy-gui": "fancy_pkg:gui"}},
            out_dir=out),
        support.make_wheel("native", "2.0", root_is_purelib=False, tag="py3-none-any",
                           files={"native/__init__.py": "", "native/_speed.so": b"\x7fELF"},
                           data={"purelib": {"native_pure.py": ""}}, out_dir=out),
    ]
    bundled = os.path.join(os.path.dirname(subprocess.__file__), "ensurepip", "_bundled")
    if os.path.isdir(bundled):
        wheels += sorted(os.path.join(bundled, f) for f in os.listdir(bundled) if f.endswith(".whl")
                         and not f.startswith("pip-"))
    return wheels


def test_installs_are_byte_identical_to_pip_and_pip_uninstalls_them(tmp_path, pip_venv):
    """Same wheel, same venv: pip's and puffin's installs leave the same files, modes and
    RECORD (INSTALLER aside), and `pip uninstall` removes everything puffin installed."""
    for wheel in fidelity_wheels(tmp_path):
        project = puffin.parse_wheel_filename(os.path.basename(wheel))[0]
        run_pip(pip_venv, "uninstall", "-y", project)  # the venv may come with it (setuptools)
        base = snapshot(pip_venv)
        run_pip(pip_venv, "install", "--no-deps", "--no-index", "--no-compile", wheel)
        by_pip = changed(base, snapshot(pip_venv))
        assert by_pip, wheel
        run_pip(pip_venv, "uninstall", "-y", project)
        assert snapshot(pip_venv) == base
        dest = puffin.SchemeDestination(venv_scheme(pip_venv, project), pip_venv["python"],
                                        python_version=pip_venv["version"], pip_version=pip_venv["pip"])
        # pip records a PEP 610 archive_info for a wheel file; making that JSON is
        # section 2's job, so its bytes are handed over as they are
        durl = [v[1] for k, v in by_pip.items() if k.endswith(".dist-info/direct_url.json")]
        with puffin.ZipWheelSource(wheel) as source:
            puffin.install_wheel(source, dest, requested=True, direct_url=durl[0] if durl else None)
        by_puffin = changed(base, snapshot(pip_venv))
        assert sorted(by_puffin) == sorted(by_pip), (wheel, set(by_puffin) ^ set(by_pip))
        assert without_installer(by_puffin) == without_installer(by_pip), wheel
        run_pip(pip_venv, "uninstall", "-y", project)
        assert snapshot(pip_venv) == base, wheel


def test_the_pip_wheel_installs_like_pip_installs_it(tmp_path, pip_venv):
    """pip's own bundled wheel (versioned pip3/pip3.X launchers) lands as pip puts it."""
    bundled = os.path.join(os.path.dirname(subprocess.__file__), "ensurepip", "_bundled")
    wheels = [f for f in os.listdir(bundled) if f.startswith("pip-")] if os.path.isdir(bundled) else []
    if not wheels:
        pytest.skip("no bundled pip wheel")
    wheel = os.path.join(bundled, wheels[0])
    prefix = tmp_path / "prefix"
    run_pip(pip_venv, "install", "--no-deps", "--no-index", "--no-compile", "--prefix", str(prefix),
            "--no-warn-script-location", "--ignore-installed", wheel)
    site = os.path.join(str(prefix), "lib", "python%d.%d" % pip_venv["version"], "site-packages")
    by_pip = tree(str(prefix))
    puffin_prefix = tmp_path / "puffin-prefix"
    scheme = {"purelib": site.replace(str(prefix), str(puffin_prefix)),
              "platlib": site.replace(str(prefix), str(puffin_prefix)),
              "scripts": os.path.join(str(puffin_prefix), "bin"), "data": str(puffin_prefix),
              "headers": os.path.join(str(puffin_prefix), "include", "pip")}
    dest = puffin.SchemeDestination(scheme, pip_venv["python"], python_version=pip_venv["version"],
                                    pip_version=pip_venv["pip"])
    durl = [v[1] for k, v in by_pip.items() if k.endswith(".dist-info/direct_url.json")]
    with puffin.ZipWheelSource(wheel) as source:
        puffin.install_wheel(source, dest, requested=True, direct_url=durl[0] if durl else None)
    by_puffin = tree(str(puffin_prefix))
    assert len(by_puffin) > 100
    assert without_installer(by_puffin) == without_installer(by_pip)


def test_bytecode_compiles_in_parallel_processes_and_matches_one_process(tmp_path):
    """Many files are split over worker interpreters; the .pyc set is the same as with one."""
    files = {"many/m%03d.py" % i: "x = %d\n" % i for i in range(120)}
    wheel = support.make_wheel("many", "1.0", files=files, out_dir=tmp_path / "w")
    scheme = make_scheme(tmp_path / "env")
    install(wheel, scheme)
    paths = [os.path.join(scheme["purelib"], p) for p in sorted(files)]
    two = puffin.compile_bytecode(paths, sys.executable, workers=2)
    one = puffin.compile_bytecode(paths, sys.executable, workers=1)
    assert sorted(two) == sorted(one) and len(one) == 120
    assert all(os.path.isfile(p) for p in one)


def test_an_egg_info_without_a_version_in_its_name_reads_the_metadata(tmp_path):
    """'name.egg-info' (a develop-style folder) gets name and version from PKG-INFO."""
    site = tmp_path / "site"
    egg = site / "Thing.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_bytes(support.make_metadata("Thing", "3.1"))
    [dist] = puffin.read_installed([str(site)])
    assert (dist.name, str(dist.version)) == ("thing", "3.1")


def test_wheels_installed_in_parallel_threads_land_as_installed_one_by_one(tmp_path):
    """Installs run on the thread pool: eight wheels sharing folders give the sequential result."""
    import concurrent.futures
    wheels = [support.make_wheel("p%d" % i, "1.0", files={"ns/p%d/__init__.py" % i: "", "ns/p%d/x.sh" % i:
                                                          ("echo\n", 0o755)},
                                 entry_points={"console_scripts": {"p%d" % i: "ns.p%d:main" % i}},
                                 data={"data": {"share/all/p%d.txt" % i: "x"}}, out_dir=tmp_path / "w")
              for i in range(8)]
    par, seq = make_scheme(tmp_path / "par"), make_scheme(tmp_path / "seq")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda w: install(w, par), wheels))
    for w in wheels:
        install(w, seq)
    assert tree(tmp_path / "par") == tree(tmp_path / "seq")
