"""Build controls (issue 14): -C/--config-settings, --no-build-isolation
(and --no-build-isolation-package), --build-constraints, for pip-install,
pip-sync, pip-compile and pip-download. Hermetic tests use the in-tree test
backend (tests/support.py); a live one uses setuptools from PyPI."""

from __future__ import annotations

import functools
import json
import os
import sys

import pytest

import support

puffin = functools.partial(support.puffin_cli, timeout=240)


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as srv:
        srv.add_wheel("helperpkg", "1.0")
        srv.add_wheel("buildhelper", "1.0")
        srv.add_wheel("buildhelper", "2.0", files={"buildhelper/__init__.py": "raise RuntimeError('2.0 is broken')\n"})
        yield srv


def settings_in(venv, name):
    path = os.path.join(venv.site_packages, name, "_config_settings.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def test_config_settings_reach_the_backend_and_key_the_cache(env, venv_factory, tmp_path):
    """-C KEY=VALUE (a key twice makes a list) reaches build_wheel; a build
    with other settings is another wheel, not the cached one."""
    proj = support.write_project(tmp_path / "proj", "cfgproj", "1.0")
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", proj, "-C", "mode=fast", "-C", "mode=slow",
                          "--config-settings", "other=1", env=env)
    assert code == 0, err
    assert settings_in(venv, "cfgproj") == {"mode": ["fast", "slow"], "other": "1"}
    code, _, err = puffin(venv.python, "pip-install", proj, "--reinstall", env=env)
    assert code == 0, err
    assert settings_in(venv, "cfgproj") is None
    code, _, err = puffin(venv.python, "pip-install", proj, "--reinstall", "-C", "mode=x", env=env)
    assert code == 0, err
    assert settings_in(venv, "cfgproj") == {"mode": "x"}
    code, _, err = puffin(venv.python, "pip-install", proj, "-C", "novalue", env=env)
    assert code == 2
    assert "invalid --config-settings 'novalue': expected KEY=VALUE" in err


def test_no_build_isolation_builds_with_the_targets_packages(env, venv_factory, tmp_path):
    """A backend that imports helperpkg: isolated, the build fails (its
    environment lacks it) and nothing is installed; with --no-build-isolation
    (or naming the package) it builds with the target's helperpkg."""
    proj = support.write_project(tmp_path / "proj", "needshelper", "1.0", build_imports=["helperpkg"])
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "helperpkg", env=env)
    assert code == 0, err
    code, _, err = puffin(venv.python, "pip-install", proj, env=env)
    assert code != 0
    assert "No module named 'helperpkg'" in err
    assert not os.path.isdir(os.path.join(venv.site_packages, "needshelper"))
    code, _, err = puffin(venv.python, "pip-install", proj, "--no-build-isolation", env=env)
    assert code == 0, err
    assert os.path.isdir(os.path.join(venv.site_packages, "needshelper"))
    other = venv_factory(name="other")
    code, _, err = puffin(other.python, "pip-install", "helperpkg", env=env)
    assert code == 0, err
    proj2 = support.write_project(tmp_path / "proj2", "needshelper2", "1.0", build_imports=["helperpkg"])
    code, _, err = puffin(other.python, "pip-install", proj2, "--no-build-isolation-package", "needshelper2",
                          env=env)
    assert code == 0, err
    code, _, err = puffin(other.python, "pip-install", proj2, "--reinstall", env=dict(env, UV_NO_BUILD_ISOLATION="1"))
    assert code == 0, err


def test_build_constraints_pin_build_requirements(env, venv_factory, tmp_path):
    """buildhelper 2.0 breaks the build; --build-constraints with
    buildhelper==1.0 makes the build environment take 1.0, for install,
    compile and download; a constraint nothing meets names the package."""
    proj = support.write_project(tmp_path / "proj", "constrained", "1.0", build_requires=["buildhelper"],
                                 build_imports=["buildhelper"], static=False, prepare_metadata=False)
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", proj, env=env)
    assert code != 0
    assert "2.0 is broken" in err
    pins = tmp_path / "build-constraints.txt"
    pins.write_text("buildhelper==1.0\n")
    code, _, err = puffin(venv.python, "pip-install", proj, "--build-constraints", str(pins), env=env)
    assert code == 0, err
    assert os.path.isdir(os.path.join(venv.site_packages, "constrained"))
    assert not os.path.isdir(os.path.join(venv.site_packages, "buildhelper"))   # only in the build env
    code, out, err = puffin(sys.executable, "pip-compile", "-", "-b", str(pins), "--no-header", env=env,
                            input="constrained @ file://%s\n" % proj, cwd=str(tmp_path))
    assert code == 0, err
    code, _, err = puffin(sys.executable, "pip-compile", "-", "--no-header", env=dict(env, UV_BUILD_CONSTRAINT=str(pins)),
                          input="constrained @ file://%s\n" % proj, cwd=str(tmp_path), )
    assert code == 0, err
    pins.write_text("buildhelper<1\n")
    proj2 = support.write_project(tmp_path / "proj2", "constrained2", "1.0", build_requires=["buildhelper"],
                                  build_imports=["buildhelper"])
    code, _, err = puffin(venv.python, "pip-install", proj2, "-b", str(pins), env=env)
    assert code == 1, err
    assert "buildhelper" in err and "constraints" in err
    assert not os.path.isdir(os.path.join(venv.site_packages, "constrained2"))


@pytest.mark.live
def test_setuptools_builds_honour_the_three_controls(clean_env, venv_factory, tmp_path):
    """With the real setuptools from PyPI: a build constraint chooses the
    setuptools that builds (the project records its version), a config
    setting changes the wheel's tag, and --no-build-isolation builds with a
    package found only in the target."""
    python = support.find_python("3.11") or sys.executable
    env = dict(clean_env, PUFFIN_CACHE_DIR=str(tmp_path / "cache"))
    proj = tmp_path / "stproj"
    (proj / "stproj").mkdir(parents=True)
    (proj / "stproj" / "__init__.py").write_text("")
    (proj / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools", "wheel"]\n'
                                         'build-backend = "setuptools.build_meta"\n')
    (proj / "setup.py").write_text(
        "import os, setuptools\n"
        "if os.environ.get('STPROJ_NEEDS_SIX'):\n    import six\n"
        "with open(os.path.join('stproj', 'built_with.txt'), 'w') as f:\n"
        "    f.write(setuptools.__version__)\n"
        "setuptools.setup(name='stproj', version='1.0', packages=['stproj'],\n"
        "                 package_data={'stproj': ['built_with.txt']})\n")
    pins = tmp_path / "b.txt"
    pins.write_text("setuptools==70.0.0\n")
    venv = venv_factory(python)
    code, _, err = puffin(venv.python, "pip-install", str(proj), "-b", str(pins),
                          "--config-settings=--build-option=--python-tag=py37", env=env, timeout=600)
    assert code == 0, err
    with open(os.path.join(venv.site_packages, "stproj", "built_with.txt")) as f:
        assert f.read() == "70.0.0"
    with open(os.path.join(venv.site_packages, "stproj-1.0.dist-info", "WHEEL")) as f:
        assert "Tag: py37-none-any" in f.read()
    # --no-build-isolation: setuptools, wheel and six come from the target
    code, _, err = puffin(venv.python, "pip-install", "setuptools", "wheel", "six", env=env, timeout=600)
    assert code == 0, err
    code, _, err = puffin(venv.python, "pip-install", str(proj), "--reinstall", "--no-build-isolation",
                          env=dict(env, STPROJ_NEEDS_SIX="1"), timeout=600)
    assert code == 0, err


def test_config_settings_on_a_requirement_line_apply_to_that_project(env, venv_factory, tmp_path):
    """pip's per-requirement options: `proj --config-settings K=V` reaches that
    project's hooks only (merged over -C); --global-option is said to be ignored."""
    one = support.write_project(tmp_path / "one", "oneproj", "1.0")
    two = support.write_project(tmp_path / "two", "twoproj", "1.0")
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("oneproj @ file://%s --config-settings mode=line -C extra=1\n"
                    "twoproj @ file://%s --global-option=--quiet\n" % (one, two))
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "-r", str(reqs), "-C", "mode=cli", "-C", "all=yes", env=env)
    assert code == 0, err
    assert settings_in(venv, "oneproj") == {"mode": "line", "extra": "1", "all": "yes"}
    assert settings_in(venv, "twoproj") == {"mode": "cli", "all": "yes"}
    assert "warning: --global-option on `twoproj` is ignored" in err


def test_build_failures_name_the_build_and_what_to_do(env, venv_factory, tmp_path):
    """A build requirement nothing can meet names the build it was for; a
    backend missing a module its build imports gets the hint to list it."""
    venv = venv_factory()
    proj = support.write_project(tmp_path / "nomod", "nomodproj", "1.0", build_imports=["helperpkg"])
    code, _, err = puffin(venv.python, "pip-install", proj, env=env)
    assert code == 2
    assert ("hint: the build of nomod imports `helperpkg`, which its build environment lacks: it belongs "
            "in [build-system] requires (or build with --no-build-isolation where it is installed)") in err
    pins = tmp_path / "b.txt"
    pins.write_text("buildhelper<1\n")
    proj2 = support.write_project(tmp_path / "needs", "needsproj", "1.0", build_requires=["buildhelper"])
    code, _, err = puffin(venv.python, "pip-install", proj2, "-b", str(pins), env=env)
    assert code == 1
    assert err.splitlines()[0].startswith("error: the build requirements of needs (buildhelper) cannot be met: ")
