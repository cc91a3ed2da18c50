"""Shared pytest fixtures for puffin's tests.

- The repository root is put on ``sys.path`` so tests can ``import puffin``,
  and this directory so they can ``import support`` (builders + index server).
- ``index_server``: a fresh, started ``support.IndexServer`` per test.
- ``clean_env``: the process environment without the machine's pip/puffin/proxy
  settings; returns a dict for subprocesses.
- ``tmp_cache``: an empty cache directory.
- ``env``: ``clean_env`` + ``tmp_cache`` + the module's own ``server`` fixture as the index.
- ``run_puffin``: run ``puffin.py`` in a subprocess, with times filtered.
- ``venv_factory``: make bare virtual environments quickly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
for _path in (REPO_ROOT, TESTS_DIR):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import support  # noqa: E402

# Files whose tests exercise the process rather than the interpreter running
# the suite (signals, kills at many moments, processes racing on one cache):
# marked `once`; `make test` runs them under one CPython, with the live tests.
_ONCE_FILES = {"test_cli_signals.py", "test_robustness.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if os.path.basename(str(item.fspath)) in _ONCE_FILES:
            item.add_marker(pytest.mark.once)


# Beyond support.machine_settings: proxies, CA bundles and netrc would make a test
# depend on the machine it runs on too.
_ENV_NAMES = ("CONDA_DEFAULT_ENV", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
              "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "NETRC")


@pytest.fixture
def index_server():
    """A started ``support.IndexServer`` (empty), stopped after the test.

    Fails the test at teardown if a request handler raised (see ``server.errors``).
    """
    with support.IndexServer() as server:
        yield server
    # Exceptions inside request handlers are server bugs, not client behaviour.
    assert not server.errors, "IndexServer handler errors:\n" + "\n".join(server.errors)


@pytest.fixture
def clean_env(monkeypatch, tmp_path) -> dict:
    """Scrub the environment for this test; return it as a dict (for subprocesses).

    Removes ``PIP_*``, ``PUFFIN_*``, ``UV_*``, ``VIRTUAL_ENV``, ``CONDA_PREFIX``,
    ``PYTHONPATH``, proxy and CA-bundle variables (any case), points
    ``XDG_CACHE_HOME`` (and ``XDG_CONFIG_HOME``) into the test's tmp dir, and
    sets ``PIP_CONFIG_FILE`` to the null device (no pip.conf is read).
    Uses monkeypatch, so in-process ``puffin.main()`` calls see the same
    environment; later changes to ``os.environ`` are not reflected in the
    returned dict (take ``dict(os.environ)`` again if needed).
    """
    for key in support.machine_settings(more=_ENV_NAMES):
        monkeypatch.delenv(key, raising=False)
    xdg_cache = tmp_path / "xdg-cache"
    xdg_config = tmp_path / "xdg-config"
    xdg_cache.mkdir(exist_ok=True)
    xdg_config.mkdir(exist_ok=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg_config))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # the machine's pip.conf files are not read
    return dict(os.environ)


@pytest.fixture
def tmp_cache(tmp_path) -> str:
    """Path (str) of an empty cache directory for ``--cache-dir``/``PUFFIN_CACHE_DIR``."""
    path = tmp_path / "cache"
    path.mkdir(exist_ok=True)
    return str(path)


@pytest.fixture
def env(clean_env, tmp_cache, server):
    """The environment for running puffin.py against the test module's own
    ``server`` fixture (a ``support.IndexServer``): ``clean_env``, a fresh
    ``tmp_cache`` and the server as the index; the server's injected faults
    and request counters are reset first."""
    server.clear_faults()
    server.reset_counters()
    return dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=server.index_url)


class PuffinRun(tuple):
    """Result of ``run_puffin``: unpacks as ``(returncode, stdout, stderr)``;
    also ``.returncode``, ``.stdout``, ``.stderr`` (str, times filtered)."""

    __slots__ = ()

    def __new__(cls, returncode, stdout, stderr):
        return super().__new__(cls, (returncode, stdout, stderr))

    returncode = property(lambda self: self[0])
    stdout = property(lambda self: self[1])
    stderr = property(lambda self: self[2])


@pytest.fixture
def run_puffin(clean_env):
    """Return ``run(args, env=None, cwd=None, input=None, timeout=300, filter=True)``.

    Runs ``sys.executable puffin.py *args`` and returns a ``PuffinRun``
    ``(returncode, stdout, stderr)``.  ``env`` defaults to ``clean_env``; a
    given ``env`` is used as is (build it from ``clean_env``).  ``input`` is
    str fed to stdin.  Durations like ``in 1.23s``/``in 12ms`` are replaced by
    ``in [TIME]`` unless ``filter=False``.
    """

    def run(args, env=None, cwd=None, input=None, timeout=300, filter=True):  # noqa: A002
        return PuffinRun(*support.puffin_cli(sys.executable, *args, env=clean_env if env is None else env,
                                             cwd=cwd, input=input, timeout=timeout, filter=filter))

    return run


class Venv:
    """A virtual environment made by ``venv_factory``.

    ``path`` (root), ``python`` (its interpreter), ``bin`` (scripts dir),
    ``site_packages`` (purelib), ``version`` ("3.11"); ``os.fspath(venv)`` and
    ``str(venv)`` give ``path``.
    """

    def __init__(self, path: str, version: str):
        self.path, self.version = path, version
        if os.name == "nt":
            self.bin = os.path.join(path, "Scripts")
            self.python = os.path.join(self.bin, "python.exe")
            self.site_packages = os.path.join(path, "Lib", "site-packages")
        else:
            self.bin = os.path.join(path, "bin")
            self.python = os.path.join(self.bin, "python")
            self.site_packages = os.path.join(path, "lib", "python" + version, "site-packages")

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return "Venv(%r, python %s)" % (self.path, self.version)


def _python_version(python: str) -> str:
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        return "%d.%d" % sys.version_info[:2]
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _retarget(copy: str, template: str) -> None:
    """Rewrite the template's path in the text files that record it (activate scripts, pyvenv.cfg)."""
    for rel in ("pyvenv.cfg", "bin/activate", "bin/activate.csh", "bin/activate.fish",
                "Scripts/activate.bat", "Scripts/activate"):
        path = os.path.join(copy, rel)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
            if template in text:
                with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(text.replace(template, copy))


@pytest.fixture(scope="session")
def _venv_templates(tmp_path_factory):
    return {"root": str(tmp_path_factory.mktemp("venv-templates")), "made": {}}


@pytest.fixture
def venv_factory(_venv_templates, tmp_path):
    """Return ``make(python=None, name="venv") -> Venv``: a bare venv (no pip) in tmp_path.

    ``python``: None for the running interpreter, a version ("3.9", "3.12.1")
    found with ``support.find_python`` (the test is skipped if absent), or an
    interpreter path.  One template venv per interpreter is made per session
    with ``python -m venv --without-pip`` and copied (symlinks kept), which is
    ~30x faster than creating each venv.
    """
    made = _venv_templates["made"]

    def make(python=None, name="venv") -> Venv:
        if python is None:
            exe = sys.executable
        elif os.sep in str(python):
            exe = os.fspath(python)
        else:
            exe = support.find_python(str(python))
            if exe is None:
                pytest.skip("Python %s is not available" % python)
        key = os.path.realpath(exe)
        if key not in made:
            template = os.path.join(_venv_templates["root"], "t%d" % len(made))
            subprocess.run([exe, "-m", "venv", "--without-pip", template], check=True,
                           capture_output=True)
            made[key] = (template, _python_version(exe))
        template, version = made[key]
        target = str(tmp_path / name)
        shutil.copytree(template, target, symlinks=True)
        _retarget(target, template)
        return Venv(target, version)

    return make
