"""`puffin.py pip-compile --universal`: one lock for every platform and Python.

A local index holds an application whose requirements differ by platform and
Python, and packages whose newest versions need a newer Python than the
lock's lowest: the lock forks where uv forks (requirements of one package
under different markers, a version's Requires-Python above the lowest
Python), every line carries the marker of the environments that install it,
and `pip-sync` installs from that one lock into a CPython 3.9 and a 3.13
environment exactly what each needs, hashes checked. The packse lock
scenarios (tests/test_packse_scenarios.py) compare the answers with uv's.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

import puffin as puffin_module
import support
from support import dist_infos
from support import puffin_cli as puffin

M = puffin_module.MarkerSet
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def server():
    """app 1.0 (requires by platform and Python), and the packages it needs."""
    with support.IndexServer() as s:
        s.add_wheel("app", "1.0", deps=[
            "winhelper; sys_platform == 'win32'",
            "colorlib; platform_system == 'Windows'",
            "backport<2; python_version < '3.11'",
            "backport>=2; python_version >= '3.11'",
            "modern",
            "tomlish; python_version < '3.11'",
        ])
        s.add_wheel("winhelper", "1.0")
        s.add_wheel("colorlib", "0.4")
        for v in ("1.0", "1.5", "2.0", "2.1"):
            s.add_wheel("backport", v)
        s.add_sdist("backport", "2.1")
        s.add_wheel("modern", "1.0", requires_python=">=3.8")
        s.add_wheel("modern", "2.0", requires_python=">=3.10", deps=["tomlish>=2; python_version < '3.11'"])
        s.add_wheel("modern", "3.0", requires_python=">=3.12")
        s.add_wheel("tomlish", "1.0")
        s.add_wheel("newonly", "1.0", requires_python=">=3.12")
        # wheels for some Pythons only, no sdist, no Requires-Python
        for py in ("cp310", "cp311", "cp312"):
            s.add_wheel("binonly", "1.0", tag="%s-%s-manylinux_2_17_x86_64" % (py, py))
        for py in ("cp311", "cp312"):
            s.add_wheel("binonly", "2.0", tag="%s-%s-manylinux_2_17_x86_64" % (py, py))
        s.add_wheel("tomlish", "2.0")
        # two requirements of the root that cannot both hold on Linux
        s.add_wheel("clash", "1.0", deps=["backport<1.5; sys_platform == 'linux'",
                                           "backport>=2; sys_platform == 'linux'"])
        yield s
    assert not s.errors, "\n".join(s.errors)


def lines(out: str) -> list:
    """[(name, version, marker text)] of a lock."""
    found = []
    for line in out.splitlines():
        m = re.match(r"^([a-z0-9-]+)==(\S+)(?: ; (.*?))?(?: \\)?$", line)
        if m:
            found.append((m.group(1), m.group(2), m.group(3) or ""))
    return found


def compile_universal(env, tmp_path, *extra, python_version="3.9", text="app\n"):
    src = tmp_path / "requirements.in"
    src.write_text(text)
    return puffin(support.find_python("3.12") or "python3", "pip-compile", src, "--universal",
                  "--python-version", python_version, "--no-header", *extra, env=env, cwd=tmp_path)


EXPECTED = [
    ("app", "1.0", ""),
    ("backport", "1.5", "python_full_version < '3.11'"),
    ("backport", "2.1", "python_full_version >= '3.11'"),
    ("colorlib", "0.4", "sys_platform == 'win32'"),
    ("modern", "1.0", "python_full_version < '3.10'"),
    ("modern", "2.0", "python_full_version >= '3.10' and python_full_version < '3.12'"),
    ("modern", "3.0", "python_full_version >= '3.12'"),
    ("tomlish", "2.0", "python_full_version < '3.11'"),
    ("winhelper", "1.0", "sys_platform == 'win32'"),
]


def test_universal_lock_forks_on_markers_and_requires_python(env, tmp_path):
    """One line per version and environment set, markers as uv writes them, `# via` kept."""
    code, out, err = compile_universal(env, tmp_path)
    assert code == 0, err
    assert lines(out) == EXPECTED
    assert "backport==2.1 ; python_full_version >= '3.11'\n    # via app\n" in out
    assert "tomlish==2.0 ; python_full_version < '3.11'\n    # via\n    #   app\n    #   modern\n" in out
    assert "Resolved 9 packages in [TIME]" in err  # uv counts each version


def test_universal_markers_are_those_of_the_paths_that_lead_there(env, tmp_path):
    """Each marker is exactly the set of environments where some chain of requirements reaches
    the package (checked by evaluating every line in concrete environments)."""
    code, out, _ = compile_universal(env, tmp_path)
    assert code == 0
    for platform in ("linux", "win32", "darwin"):
        for minor in range(9, 14):
            environment = {"sys_platform": platform, "platform_system": {"win32": "Windows"}.get(
                platform, platform.title()), "python_version": "3.%d" % minor,
                "python_full_version": "3.%d.1" % minor}
            chosen = {n: v for n, v, m in lines(out)
                      if not m or puffin_module.Marker(m).evaluate(environment)}
            assert ("winhelper" in chosen) == (platform == "win32")
            assert chosen["backport"] == ("1.5" if minor < 11 else "2.1")
            assert chosen["modern"] == ("1.0" if minor < 10 else "2.0" if minor < 12 else "3.0")
            assert ("tomlish" in chosen) == (minor < 11)


def test_universal_lock_has_every_files_hash(env, tmp_path, server):
    """--generate-hashes lists every file of each pinned version (wheels and the sdist)."""
    code, out, err = compile_universal(env, tmp_path, "--generate-hashes")
    assert code == 0, err
    block = out.split("backport==2.1 ; python_full_version >= '3.11' \\\n", 1)[1].split("    # via", 1)[0]
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", block)) == 2


@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_one_universal_lock_syncs_each_python(env, tmp_path, venv_factory, version):
    """The same hashed lock installs into a 3.9 and a 3.13 venv what each needs, nothing else."""
    code, out, err = compile_universal(env, tmp_path, "--generate-hashes", "-o", "requirements.txt")
    assert code == 0, err
    venv = venv_factory(version)
    code, _, err = puffin(venv.python, "pip-sync", tmp_path / "requirements.txt", env=env)
    assert code == 0, err
    expected = ({"app": "1.0", "backport": "1.5", "modern": "1.0", "tomlish": "2.0"} if version == "3.9"
                else {"app": "1.0", "backport": "2.1", "modern": "3.0"})
    assert dist_infos(venv.site_packages) == expected
    code, out, err = puffin(venv.python, "pip-check", env=env)
    assert code == 0, out + err


def test_universal_and_python_platform_is_a_usage_error(env, tmp_path):
    code, out, err = compile_universal(env, tmp_path, "--python-platform", "linux")
    assert code == 2
    assert "error: --python-platform cannot be used with --universal" in err
    assert "hint:" in err
    assert not (tmp_path / "requirements.txt").exists()


def test_universal_lock_is_written_as_requirements_only(env, tmp_path):
    code, out, err = compile_universal(env, tmp_path, "-o", "pylock.toml")
    assert code == 2
    assert "universal resolution is written as requirements.txt only" in err
    assert not (tmp_path / "pylock.toml").exists()


def test_a_failure_says_which_environments_it_is_for(env, tmp_path):
    """Requirements that cannot both hold on Linux: the explanation names the marker."""
    code, out, err = compile_universal(env, tmp_path, text="clash\n")
    assert code == 1
    assert "sys_platform == 'linux'" in err, err
    assert "backport" in err


def test_a_failure_in_one_split_names_the_split(env, tmp_path):
    """A fork whose own requirements conflict: the error says which environments failed."""
    text = "backport>=2 ; sys_platform == 'linux'\nbackport<1.5 ; sys_platform == 'darwin'\n" \
           "tomlish<1 ; sys_platform == 'darwin'\n"
    code, out, err = compile_universal(env, tmp_path, text=text)
    assert code == 1
    assert "split of the universal resolution where `sys_platform == 'darwin'`" in err, err
    assert "tomlish" in err


def test_verbose_shows_the_splits(env, tmp_path):
    code, out, err = compile_universal(env, tmp_path, "-v")
    assert code == 0
    assert "split all environments into: python_full_version < '3.11'; python_full_version >= '3.11'" in err


def test_marker_algebra_against_evaluation():
    """MarkerSet operations agree with evaluating the markers in concrete environments."""
    texts = ["sys_platform == 'linux'", "python_version < '3.11'", "python_version >= '3.10'",
             "platform_system == 'Windows'", "os_name == 'nt' and python_full_version >= '3.9.2'",
             "'arm' in platform_machine", "python_version == '3.10' or sys_platform != 'darwin'",
             "python_version ~= '3.9'", "python_full_version != '3.11.*'"]
    envs = []
    for platform, system, osname in (("linux", "Linux", "posix"), ("win32", "Windows", "nt"),
                                     ("darwin", "Darwin", "posix")):
        for full in ("3.8.0", "3.9.1", "3.9.2", "3.10.0", "3.11.4", "3.12.0", "4.0.0"):
            for machine in ("x86_64", "arm64"):
                envs.append({"sys_platform": platform, "platform_system": system, "os_name": osname,
                             "python_version": ".".join(full.split(".")[:2]),
                             "python_full_version": full, "platform_machine": machine})

    def holds(mset, environment):
        return any(_cube_holds(cube, environment) for cube in mset.cubes)

    for a in texts:
        for b in texts:
            ma, mb = M.of(a), M.of(b)
            for combined, op in ((ma & mb, all), (ma | mb, any)):
                for e in envs:
                    want = op([puffin_module.Marker(a).evaluate(e), puffin_module.Marker(b).evaluate(e)])
                    assert holds(combined, e) == want, (a, b, e)
            for e in envs:
                assert holds(~ma, e) == (not puffin_module.Marker(a).evaluate(e)), (a, e)
        assert M.of(str(M.of(a))).equivalent(M.of(a)), a


def _cube_holds(cube, environment) -> bool:
    for var, dom in cube:
        if var == "python_full_version":
            rel = tuple(int(x) for x in environment[var].split("."))
            if not any(lo <= rel < hi for lo, hi in dom):
                return False
        elif var.startswith("?"):
            value = puffin_module.Marker(var[1:]).evaluate(environment)
            if value not in dom[1]:
                return False
        else:
            kind, values = dom
            if (environment[var] in values) != (kind == "in"):
                return False
    return True


def test_pip_install_r_takes_what_applies_from_a_universal_lock(env, tmp_path, venv_factory):
    """`pip-install -r` reads the lock's markers for the target: one version of each name."""
    code, out, err = compile_universal(env, tmp_path, "-o", "requirements.txt")
    assert code == 0, err
    venv = venv_factory("3.13")
    code, _, err = puffin(venv.python, "pip-install", "-r", tmp_path / "requirements.txt", env=env)
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"app": "1.0", "backport": "2.1", "modern": "3.0"}


def test_pip_download_fills_a_wheelhouse_for_several_pythons(env, tmp_path):
    """One universal lock, two targets: the wheelhouse has each target's versions."""
    code, out, err = compile_universal(env, tmp_path, "-o", "requirements.txt")
    assert code == 0, err
    code, out, err = puffin(support.find_python("3.12") or "python3", "pip-download", "-r",
                            tmp_path / "requirements.txt", "--python-version", "3.9",
                            "--python-version", "3.13", "-d", tmp_path / "wheels", env=env, cwd=tmp_path)
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "wheels").glob("*.whl"))
    assert names == ["app-1.0-py3-none-any.whl", "backport-1.5-py3-none-any.whl",
                     "backport-2.1-py3-none-any.whl", "modern-1.0-py3-none-any.whl",
                     "modern-3.0-py3-none-any.whl", "tomlish-2.0-py3-none-any.whl"]


def test_a_pyproject_requires_python_is_the_lowest_python(env, tmp_path):
    """Without --python-version, the input pyproject's requires-python gives the Pythons
    the lock is for: a requirement only for older ones is left out."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["app", "winhelper; python_version < \'3.10\'"]\n')
    code, out, err = puffin(support.find_python("3.12") or "python3", "pip-compile",
                            tmp_path / "pyproject.toml", "--universal", "--no-header", env=env, cwd=tmp_path)
    assert code == 0, err
    assert lines(out) == [("app", "1.0", ""), ("backport", "2.1", ""), ("colorlib", "0.4", "sys_platform == 'win32'"),
                          ("modern", "2.0", "python_full_version < '3.12'"),
                          ("modern", "3.0", "python_full_version >= '3.12'"),
                          ("winhelper", "1.0", "sys_platform == 'win32'")]


def test_universal_with_a_bad_python_version_is_a_usage_error(env, tmp_path):
    code, out, err = compile_universal(env, tmp_path, python_version="three")
    assert code == 2
    assert "error: invalid --python-version 'three': expected X.Y or X.Y.Z" in err
    assert "Traceback" not in err


def test_universal_with_an_invalid_requires_python_says_so(env, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0"\nrequires-python = ">=3.11,oops"\ndependencies = ["app"]\n')
    code, out, err = puffin(support.find_python("3.12") or "python3", "pip-compile", tmp_path / "pyproject.toml",
                            "--universal", "-o", "requirements.txt", env=env, cwd=tmp_path)
    assert code == 2, err
    assert "requires-python" in err and ">=3.11,oops" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "requirements.txt").exists()


def test_a_resolution_that_splits_without_end_stops_with_advice(env, tmp_path, monkeypatch, capsys):
    """More forks than the limit: a clear error and a hint, no lock written (the limit is lowered
    here to the three forks this input needs)."""
    monkeypatch.setattr(puffin_module, "_MAX_FORKS", 2)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "requirements.in").write_text("app\n")
    code = puffin_module.main(["pip-compile", str(tmp_path / "requirements.in"), "--universal",
                               "--python-version", "3.9", "-o", str(tmp_path / "requirements.txt")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "error: the universal resolution split into more than 2 forks" in err
    assert "hint: narrow it with --python-version or markers on the requirements" in err
    assert not (tmp_path / "requirements.txt").exists()


def test_a_requirement_only_for_newer_pythons_says_how_to_raise_the_lowest(env, tmp_path):
    """Every version needs a newer Python than the lock's lowest: exit 1, the split named,
    and a hint with the Python to raise it to (no internal error)."""
    code, out, err = compile_universal(env, tmp_path, "-o", "requirements.txt", text="newonly\n")
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert "newonly" in err and "Python>=3.12" in err
    assert "hint:" in err and "--python-version" in err and "e.g. to 3.12" in err, err
    assert not (tmp_path / "requirements.txt").exists()


def test_a_fork_takes_no_version_whose_wheels_are_all_for_other_pythons(env, tmp_path, server):
    """binonly 2.0 has wheels for CPython 3.11 and 3.12 only: the split for Python < 3.11
    takes 1.0 (which has a 3.10 wheel), as uv reads wheel tags against a fork's Pythons;
    the other split takes 2.0."""
    text = "binonly\nbackport<2 ; python_version < '3.11'\nbackport>=2 ; python_version >= '3.11'\n"
    code, out, err = compile_universal(env, tmp_path, python_version="3.10", text=text)
    assert code == 0, err
    assert [x for x in lines(out) if x[0] == "binonly"] == [
        ("binonly", "1.0", "python_full_version < '3.11'"),
        ("binonly", "2.0", "python_full_version >= '3.11'")]
    uv = os.environ.get("PUFFIN_TEST_UV") or os.path.join(ROOT, "build", "tools", "bin", "uv")
    if os.path.exists(uv):
        theirs = subprocess.run([uv, "pip", "compile", "-", "--universal", "--python-version", "3.10",
                                 "--index-url", server.index_url, "--no-header", "--no-annotate",
                                 "--no-config", "--cache-dir", str(tmp_path / "uv-cache")],
                                input=text, capture_output=True, text=True, env=env)
        assert theirs.returncode == 0, theirs.stderr
        assert [x for x in lines(theirs.stdout) if x[0] == "binonly"] == [
            x for x in lines(out) if x[0] == "binonly"]


def test_a_fork_with_only_wheels_for_other_pythons_says_which_python(env, tmp_path, server):
    """binonly>=2 has wheels for CPython 3.11 and 3.12 only: the split for Python 3.10
    cannot use it, and the failure says so naming that one Python (3.10, not a range)."""
    text = "binonly>=2\nbackport<2 ; python_version < '3.11'\nbackport>=2 ; python_version >= '3.11'\n"
    code, out, err = compile_universal(env, tmp_path, "-o", "requirements.txt", python_version="3.10", text=text)
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert "has no wheels for Python 3.10" in err and "3.10-3.10" not in err, err
    assert not (tmp_path / "requirements.txt").exists()
