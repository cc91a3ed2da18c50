"""`puffin.py pip-uninstall` run as users run it: remove packages by RECORD
(files, generated scripts, `__pycache__`, folders left empty) and legacy
`.egg-info` installs by `installed-files.txt`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import support
from support import puffin_cli as puffin


APP_INIT = "__version__ = '1.0'\n\ndef main():\n    print('hello')\n"


def listing(root: str) -> set:
    """Every file and folder under ``root``, relative, lock and journal files left out."""
    out = set()
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            rel = os.path.relpath(os.path.join(dirpath, n), root)
            if not os.path.basename(rel).startswith(".puffin"):
                out.add(rel)
    return out


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("app", "1.0", files={"app/__init__.py": APP_INIT, "app/sub/mod.py": "X = 1\n"},
                    entry_points={"console_scripts": {"app-hello": "app:main"}},
                    data={"data": {"share/app/readme.txt": "data file\n"}})
        s.add_wheel("other", "2.0")
        s.add_wheel("third", "3.0")
        yield s
    assert not s.errors, "\n".join(s.errors)


def test_uninstall_removes_every_file_the_install_made(env, venv_factory):
    """Package files, __pycache__, data files, the console script and the dist-info all go;
    the venv is left exactly as it was before the install."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "other", env=env)
    assert code == 0, err
    before = listing(venv.path)
    code, _, err = puffin(venv.python, "pip-install", "app", "--compile-bytecode", env=env)
    assert code == 0, err
    assert os.path.isfile(os.path.join(venv.bin, "app-hello"))
    assert os.path.isfile(os.path.join(venv.path, "share", "app", "readme.txt"))
    subprocess.run([venv.python, "-c", "import app.sub.mod"], check=True)  # more __pycache__
    code, out, err = puffin(venv.python, "pip-uninstall", "app", env=env)
    assert (code, out) == (0, "")
    assert err.splitlines() == ["Uninstalled 1 package in [TIME]", " - app==1.0"]
    assert listing(venv.path) == before
    subprocess.run([venv.python, "-c", "import other"], check=True)


def test_uninstall_several_by_name_and_file_sorted_by_name(env, venv_factory, tmp_path):
    """Names and -r FILE together; the ` - ` lines are sorted; other packages stay."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "app", "other", "third", env=env)[0] == 0
    reqs = tmp_path / "r.txt"
    reqs.write_text("# the ones to go\napp\n")
    code, _, err = puffin(venv.python, "pip-uninstall", "third", "-r", reqs, env=env)
    assert code == 0
    assert err.splitlines() == ["Uninstalled 2 packages in [TIME]", " - app==1.0", " - third==3.0"]
    names = sorted(n for n in os.listdir(venv.site_packages) if n.endswith(".dist-info"))
    assert names == ["other-2.0.dist-info"]


def test_a_package_that_is_not_installed_is_skipped_with_a_warning(env, venv_factory):
    """Naming something absent warns and exits 0; what is there still goes."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "other", env=env)[0] == 0
    code, _, err = puffin(venv.python, "pip-uninstall", "nope", "other", env=env)
    assert code == 0
    assert err.splitlines() == ["warning: Skipping nope as it is not installed",
                                "Uninstalled 1 package in [TIME]", " - other==2.0"]
    code, _, err = puffin(venv.python, "pip-uninstall", "nope", env=env)
    assert code == 0
    assert "warning: Skipping nope as it is not installed" in err.splitlines()
    assert "Traceback" not in err


def test_dry_run_names_what_would_go_and_removes_nothing(env, venv_factory):
    """--dry-run: `Would uninstall 1 package` and the line; every file stays."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "app", env=env)[0] == 0
    before = listing(venv.path)
    code, _, err = puffin(venv.python, "pip-uninstall", "app", "--dry-run", env=env)
    assert code == 0
    assert err.splitlines() == ["Would uninstall 1 package", " - app==1.0"]
    assert listing(venv.path) == before


def test_uninstall_with_python_from_another_interpreter(env, venv_factory):
    """--python VENV: the named venv loses the package; puffin runs under any Python."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "other", env=env)[0] == 0
    code, _, err = puffin(sys.executable, "pip-uninstall", "other", "--python", venv.python, env=env)
    assert code == 0, err
    assert not any(n.endswith(".dist-info") for n in os.listdir(venv.site_packages))


def test_a_legacy_egg_info_install_is_removed_by_its_installed_files(env, venv_factory):
    """A setup.py-install style `.egg-info` folder with installed-files.txt: its files and the folder go."""
    venv = venv_factory()
    site = venv.site_packages
    before = listing(venv.path)
    pkg = os.path.join(site, "legacy")
    os.makedirs(pkg)
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write("VALUE = 1\n")
    egg = os.path.join(site, "legacy-0.3-py%d.%d.egg-info" % sys.version_info[:2])
    os.makedirs(egg)
    with open(os.path.join(egg, "PKG-INFO"), "w") as f:
        f.write("Metadata-Version: 1.1\nName: legacy\nVersion: 0.3\n")
    with open(os.path.join(egg, "top_level.txt"), "w") as f:
        f.write("legacy\n")
    with open(os.path.join(egg, "installed-files.txt"), "w") as f:
        f.write("../legacy/__init__.py\nPKG-INFO\ntop_level.txt\ninstalled-files.txt\n")
    code, out, _ = puffin(venv.python, "pip-freeze", env=env)
    assert out == "legacy==0.3\n"
    code, _, err = puffin(venv.python, "pip-uninstall", "legacy", env=env)
    assert code == 0, err
    assert err.splitlines() == ["Uninstalled 1 package in [TIME]", " - legacy==0.3"]
    assert listing(venv.path) == before
