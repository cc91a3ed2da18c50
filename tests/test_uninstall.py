"""Section 7: uninstalling by RECORD (and legacy .egg-info), as pip does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import puffin
import support
from support import make_scheme

PYTHON = "/opt/env/bin/python"


def install(wheel_path, scheme, **kwargs):
    dest = puffin.SchemeDestination(scheme, PYTHON)
    with puffin.ZipWheelSource(wheel_path) as source:
        return puffin.install_wheel(source, dest, **kwargs)


def entries(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, dirs, files in os.walk(root) for n in dirs + files)


def scheme_dirs(scheme) -> list:
    """The scheme folders themselves (and their parents), which uninstall keeps; the
    headers folder is the project's own and goes with its last file."""
    root = scheme["data"]
    out = {"include"}
    for key in ("purelib", "platlib", "scripts"):
        p = scheme[key]
        while p != root:
            out.add(os.path.relpath(p, root))
            p = os.path.dirname(p)
    return sorted(out)


def only(site):
    dists = puffin.read_installed([site])
    assert len(dists) == 1
    return dists[0]


def test_uninstall_removes_every_file_launcher_and_empty_folder_it_installed(tmp_path):
    """After uninstall only the (pre-made) scheme folders remain; other packages are untouched."""
    env = tmp_path / "env"
    scheme = make_scheme(env)
    for d in ("purelib", "platlib", "scripts", "headers"):
        os.makedirs(scheme[d])
    other = os.path.join(scheme["purelib"], "other.py")
    with open(other, "w") as f:
        f.write("")
    wheel = support.make_wheel("demo", "1.0", files={"demo/__init__.py": "", "demo/deep/er/x.py": "",
                                                     "demo/data.txt": ""},
                               data={"data": {"share/demo/d.txt": "d"}, "headers": {"h.h": "h"},
                                     "platlib": {"demo_native.py": ""}},
                               scripts={"s": "#!python\n"},
                               entry_points={"console_scripts": {"demo": "demo:main"},
                                             "gui_scripts": {"demo-gui": "demo:gui"}},
                               out_dir=tmp_path / "w")
    install(wheel, scheme, requested=True)
    removed = puffin.uninstall(only(scheme["purelib"]), scheme)
    assert os.path.join(scheme["scripts"], "demo") in removed
    assert os.path.join(scheme["purelib"], "demo-1.0.dist-info") in removed
    assert entries(env) == sorted(scheme_dirs(scheme) + ["lib/site-packages/other.py"])


def test_uninstall_removes_bytecode_of_removed_modules_for_any_interpreter(tmp_path):
    """__pycache__ files of listed modules (any cache tag) go, and the emptied __pycache__ too."""
    scheme = make_scheme(tmp_path / "env")
    wheel = support.make_wheel("demo", "1.0", files={"demo/__init__.py": "", "demo/mod.py": ""},
                               out_dir=tmp_path / "w")
    dist_info = install(wheel, scheme)
    cache = os.path.join(scheme["purelib"], "demo", "__pycache__")
    os.makedirs(cache)
    for name in ("mod.cpython-311.pyc", "mod.cpython-39.opt-1.pyc", "__init__.cpython-312.pyc"):
        open(os.path.join(cache, name), "w").close()
    open(os.path.join(scheme["purelib"], "demo", "mod.pyc"), "w").close()
    assert puffin.compile_installed([dist_info], sys.executable) == 2
    puffin.uninstall(only(scheme["purelib"]), scheme)
    assert not os.path.exists(os.path.join(scheme["purelib"], "demo"))


def test_files_not_in_record_are_kept_with_their_folder(tmp_path):
    """A file the user added inside the package survives, like with pip."""
    scheme = make_scheme(tmp_path / "env")
    install(support.make_wheel("demo", "1.0", out_dir=tmp_path / "w"), scheme)
    mine = os.path.join(scheme["purelib"], "demo", "notes.txt")
    with open(mine, "w") as f:
        f.write("mine")
    puffin.uninstall(only(scheme["purelib"]), scheme)
    assert os.listdir(os.path.join(scheme["purelib"], "demo")) == ["notes.txt"]
    assert puffin.read_installed([scheme["purelib"]]) == []


def test_a_dist_info_without_record_cannot_be_uninstalled(tmp_path):
    """Like pip: a missing RECORD is an error that names the installer or suggests a reinstall."""
    site = tmp_path / "site"
    info = site / "demo-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_bytes(support.make_metadata("demo", "1.0"))
    (info / "INSTALLER").write_text("conda\n")
    with pytest.raises(puffin.InstallError, match="RECORD file not found") as exc:
        puffin.uninstall(only(str(site)), make_scheme(tmp_path))
    assert "installed by conda" in exc.value.hint
    assert info.exists()


def test_record_paths_outside_the_environment_are_not_removed(tmp_path):
    """A RECORD naming a file outside the scheme folders does not make uninstall delete it."""
    scheme = make_scheme(tmp_path / "env")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    dist_info = install(support.make_wheel("demo", "1.0", out_dir=tmp_path / "w"), scheme)
    with open(os.path.join(dist_info, "RECORD"), "a", encoding="utf-8") as f:
        f.write("../../../victim.txt,,\r\n")
    puffin.uninstall(only(scheme["purelib"]), scheme)
    assert victim.read_text() == "keep me"
    assert any("victim.txt" in w for w in puffin._WARNINGS)


def test_a_legacy_egg_info_is_uninstalled_by_installed_files_txt(tmp_path):
    """setup.py install --record style: installed-files.txt lists paths relative to the egg-info."""
    scheme = make_scheme(tmp_path / "env")
    site = scheme["purelib"]
    egg = os.path.join(site, "old-1.0-py3.11.egg-info")
    os.makedirs(os.path.join(site, "old"))
    os.makedirs(egg)
    for rel in ("old/__init__.py", "old/util.py"):
        open(os.path.join(site, rel), "w").close()
    with open(os.path.join(egg, "PKG-INFO"), "wb") as f:
        f.write(support.make_metadata("old", "1.0"))
    with open(os.path.join(egg, "installed-files.txt"), "w") as f:
        f.write("../old/__init__.py\n../old/util.py\nPKG-INFO\ninstalled-files.txt\n")
    removed = puffin.uninstall(only(site), scheme)
    assert os.path.join(site, "old", "util.py") in removed
    assert os.listdir(site) == []


def test_a_legacy_egg_info_without_a_file_list_goes_by_top_level_txt(tmp_path):
    """top_level.txt names the packages and modules; namespace packages are kept."""
    scheme = make_scheme(tmp_path / "env")
    site = scheme["purelib"]
    egg = os.path.join(site, "old-1.0-py3.11.egg-info")
    for d in ("old/sub", "ns", egg):
        os.makedirs(os.path.join(site, d))
    for rel in ("old/__init__.py", "old/sub/x.py", "oldmod.py", "ns/keep.py"):
        open(os.path.join(site, rel), "w").close()
    with open(os.path.join(egg, "PKG-INFO"), "wb") as f:
        f.write(support.make_metadata("old", "1.0"))
    with open(os.path.join(egg, "top_level.txt"), "w") as f:
        f.write("old\noldmod\nns\n")
    with open(os.path.join(egg, "namespace_packages.txt"), "w") as f:
        f.write("ns\n")
    puffin.uninstall(only(site), scheme)
    assert sorted(os.listdir(site)) == ["ns"]


def test_a_distutils_egg_info_file_is_refused(tmp_path):
    """Like pip: a bare .egg-info file does not say which files belong to it."""
    scheme = make_scheme(tmp_path / "env")
    os.makedirs(scheme["purelib"])
    path = os.path.join(scheme["purelib"], "old-1.0-py3.11.egg-info")
    with open(path, "wb") as f:
        f.write(support.make_metadata("old", "1.0"))
    with pytest.raises(puffin.InstallError, match="distutils"):
        puffin.uninstall(only(scheme["purelib"]), scheme)
    assert os.path.exists(path)


# ---- against pip -------------------------------------------------------------------

@pytest.fixture(scope="module")
def pip_venv(tmp_path_factory):
    """One venv with pip (slow to make, so once per module)."""
    path = str(tmp_path_factory.mktemp("pipvenv") / "venv")
    subprocess.run([sys.executable, "-m", "venv", path], check=True, capture_output=True)
    python = os.path.join(path, "bin", "python")
    code = ("import sysconfig, sys, json; print(json.dumps([sysconfig.get_paths(), "
            "list(sys.version_info[:2])]))")
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout
    import json
    paths, version = json.loads(out)
    return {"path": path, "python": python, "paths": paths, "version": tuple(version)}


def pip(venv, *args):
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("PIP_", "PUFFIN_", "UV_", "PYTHON"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run([venv["python"], "-m", "pip", "--disable-pip-version-check",
                           "--no-cache-dir"] + list(args), capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def listing(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, dirs, files in os.walk(root) for n in files + dirs)


def test_puffin_uninstalls_what_pip_installed_compiled_leaving_nothing(tmp_path, pip_venv):
    """pip install (with .pyc, launchers, data, headers) then puffin uninstall leaves the
    venv as `pip uninstall` leaves it (minus empty folders such as share/, which pip keeps)."""
    wheel = support.make_wheel("demo", "1.0", files={"demo/__init__.py": "", "demo/sub/m.py": "x = 1\n"},
                               data={"data": {"share/demo/d.txt": "d"}, "headers": {"h.h": "h"}},
                               scripts={"demo-s": "#!python\n"},
                               entry_points={"console_scripts": {"demo": "demo:main"}},
                               out_dir=tmp_path / "w")
    pip(pip_venv, "install", "--no-deps", "--no-index", wheel)
    pip(pip_venv, "uninstall", "-y", "demo")
    by_pip = listing(pip_venv["path"])
    pip(pip_venv, "install", "--no-deps", "--no-index", wheel)  # pip compiles by default
    site = pip_venv["paths"]["purelib"]
    assert os.path.isdir(os.path.join(site, "demo", "sub", "__pycache__"))
    dist = [d for d in puffin.read_installed([site]) if d.name == "demo"][0]
    assert dist.installer == "pip" and dist.requested
    p = pip_venv["paths"]
    scheme = {"purelib": p["purelib"], "platlib": p["platlib"], "scripts": p["scripts"],
              "data": p["data"], "headers": os.path.join(pip_venv["path"], "include", "site",
                                                         "python%d.%d" % pip_venv["version"], "demo")}
    puffin.uninstall(dist, scheme)
    left = listing(pip_venv["path"])
    assert set(left) <= set(by_pip)
    assert [p for p in by_pip if p not in left] == ["share"]


def test_record_lines_naming_folders_never_remove_a_folder_wholesale(tmp_path):
    """RECORD lines '.', '..' or a package folder remove no folder (or the site) with its contents."""
    scheme = make_scheme(tmp_path / "env")
    dist_info = install(support.make_wheel("demo", "1.0", out_dir=tmp_path / "w"), scheme)
    other = os.path.join(scheme["purelib"], "other", "keep.py")
    os.makedirs(os.path.dirname(other))
    open(other, "w").close()
    with open(os.path.join(dist_info, "RECORD"), "a", encoding="utf-8") as f:
        f.write(".,,\r\n..,,\r\nother,,\r\nother/,,\r\n")
    puffin.uninstall(only(scheme["purelib"]), scheme)
    assert os.path.isfile(other)
    assert sorted(os.listdir(scheme["purelib"])) == ["other"]


def _demo_wheel(tmp_path, version="1.0"):
    return support.make_wheel("demo", version, files={"demo/__init__.py": "v = %r\n" % version},
                              scripts={"s": "#!python\n"},
                              entry_points={"console_scripts": {"demo": "demo:main"}},
                              out_dir=tmp_path / ("w" + version))


def _stash_setup(tmp_path):
    env = tmp_path / "env"
    scheme = make_scheme(env)
    for d in ("purelib", "platlib", "scripts", "headers"):
        os.makedirs(scheme[d], exist_ok=True)
    install(_demo_wheel(tmp_path), scheme)
    return env, scheme, entries(env)


def test_a_stashed_uninstall_is_put_back_whole_by_restore(tmp_path):
    """An upgrade moves the old version aside (files, launcher, dist-info); restore()
    puts back exactly what was there, and no stash folder stays."""
    env, scheme, before = _stash_setup(tmp_path)
    stash = puffin.Stash()
    removed = puffin.uninstall(only(scheme["purelib"]), scheme, stash=stash)
    assert os.path.join(scheme["scripts"], "demo") in removed
    assert puffin.read_installed([scheme["purelib"]]) == []
    stash.restore()
    assert entries(env) == before
    assert only(scheme["purelib"]).version == puffin.Version("1.0")


def test_a_stash_is_deleted_by_commit(tmp_path):
    env, scheme, before = _stash_setup(tmp_path)
    stash = puffin.Stash()
    puffin.uninstall(only(scheme["purelib"]), scheme, stash=stash)
    stash.commit()
    left = entries(env)
    assert not [e for e in left if "demo" in e.replace("include/demo", "") or ".puffin-stash" in e]
    assert puffin.read_installed([scheme["purelib"]]) == []


def test_an_upgrade_killed_midway_gets_the_old_version_back_on_the_next_run(tmp_path):
    """Killed after the old version was moved aside and before the new one was
    finished: repair_interrupted (run first by every install) restores the old one."""
    env, scheme, before = _stash_setup(tmp_path)
    puffin.uninstall(only(scheme["purelib"]), scheme, stash=puffin.Stash())  # then "killed"
    assert any(n.startswith(".puffin-stash-") for n in os.listdir(scheme["purelib"]))
    puffin.repair_interrupted([scheme["purelib"]])
    assert entries(env) == before


def test_an_upgrade_killed_after_the_new_version_was_in_drops_the_stash(tmp_path):
    """Killed after the new version wrote its RECORD: the next run keeps the new
    version and deletes what was stashed."""
    env, scheme, before = _stash_setup(tmp_path)
    puffin.uninstall(only(scheme["purelib"]), scheme, stash=puffin.Stash())
    install(_demo_wheel(tmp_path, "2.0"), scheme)  # then "killed" before the commit
    puffin.repair_interrupted([scheme["purelib"]])
    assert only(scheme["purelib"]).version == puffin.Version("2.0")
    assert not any(n.startswith(".puffin-stash-") for n in os.listdir(scheme["purelib"]))
    assert not any(n.startswith(".puffin-stash-") for n in os.listdir(scheme["scripts"]))


class _Killed(BaseException):
    """A process killed mid-way (nothing after it runs)."""


def test_an_upgrade_killed_while_moving_the_old_version_aside_is_undone(tmp_path, monkeypatch):
    """Killed after some files were moved aside (the old RECORD, moved last, still in
    place): the next run puts every moved file back."""
    env, scheme, before = _stash_setup(tmp_path)
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(src)
        if len(calls) == 4:
            raise _Killed()
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(_Killed):
        puffin.uninstall(only(scheme["purelib"]), scheme, stash=puffin.Stash())
    monkeypatch.setattr(os, "replace", real)
    puffin.repair_interrupted([scheme["purelib"]])
    assert entries(env) == before


def test_a_stash_copies_what_cannot_be_renamed_across_filesystems(tmp_path, monkeypatch):
    """A rename that fails with EXDEV (a Docker overlay, a mount below the scheme
    folder) is done by copying; restore still brings everything back."""
    import errno
    env, scheme, before = _stash_setup(tmp_path)
    real = os.replace

    def replace(src, dst):
        if ".puffin-stash-" in dst and src.endswith(".py"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    stash = puffin.Stash()
    puffin.uninstall(only(scheme["purelib"]), scheme, stash=stash)
    assert puffin.read_installed([scheme["purelib"]]) == []
    stash.restore()
    assert entries(env) == before


def test_an_empty_stash_folder_left_by_a_kill_is_removed(tmp_path):
    """A stash folder made just before a kill (no manifest, nothing in it) goes on repair,
    and so does one a kill left while a finished upgrade deleted it (files, no manifest,
    named by no other stash's manifest): nothing could be put back from it."""
    site = tmp_path / "site"
    (site / ".puffin-stash-empty").mkdir(parents=True)
    (site / ".puffin-stash-full").mkdir()
    (site / ".puffin-stash-full" / "0").write_text("x")
    puffin.repair_interrupted([str(site)])
    assert sorted(os.listdir(site)) == []

def test_repair_removes_the_temporary_file_of_a_killed_script_write(tmp_path):
    """A kill while a launcher was being written leaves `.tmp-PID-THREAD-NAME`
    beside it: the repair of that install removes it with the rest."""
    import json
    site = tmp_path / "site"
    bindir = tmp_path / "bin"
    dist_info = site / "ant-1.0.dist-info"
    dist_info.mkdir(parents=True)
    bindir.mkdir()
    (site / "ant.py").write_text("")
    (bindir / ".tmp-2231-140715669579456-ant-cli").write_text("#!python\n")
    (bindir / ".tmp-1-2-unrelated").write_text("")
    journal = site / (".puffin-installing-%s.json" % dist_info.name)
    journal.write_text(json.dumps({"dist_info": str(dist_info), "roots": [str(site), str(bindir)],
                                   "files": [str(site / "ant.py"), str(bindir / "ant-cli")]}))
    repaired = puffin.repair_interrupted([str(site)])
    assert [r.kind for r in repaired] == ["install"]
    assert sorted(os.listdir(str(bindir))) == [".tmp-1-2-unrelated"]
    assert not dist_info.exists() and not journal.exists()
