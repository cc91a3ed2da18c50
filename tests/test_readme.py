"""The README's "Airgapped machines" and "Docker images" sections, run as
written: every command of their code blocks (but `docker build` itself),
against the local test index instead of PyPI (PUFFIN_INDEX_URL), with the
network blocked on the offline side, and the Docker RUN lines against a
system-like Python: a copy of a CPython outside any venv, its own stdlib
folder marked externally managed (PEP 668), HOME not writable, no TTY."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time

import pytest

import support

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")


def section(title: str) -> str:
    text = open(README, encoding="utf-8").read()
    m = re.search(r"^## %s\n(.*?)(?=^## )" % re.escape(title), text, re.M | re.S)
    assert m, "README has no section %r" % title
    return m.group(1)


def blocks(text: str, lang: str) -> list:
    return re.findall(r"```%s\n(.*?)```" % lang, text, re.S)


def commands(block: str) -> list:
    """The shell lines of a block, continuation lines joined."""
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip() and not line.startswith("#")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(cmd: str, cwd, env, python=sys.executable) -> subprocess.CompletedProcess:
    """Run one README line: `python3`/`python` is the given interpreter, `puffin.py` the repo's."""
    argv = shlex.split(cmd)
    if argv[0] in ("python3", "python"):
        argv[0] = python
    argv = [os.path.join(ROOT, "puffin.py") if a == "puffin.py" else a for a in argv]
    return subprocess.run(argv, cwd=str(cwd), env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


def test_the_airgap_section_runs_as_written(index_server, clean_env, tmp_path):
    index_server.add_wheel("app", "1.0", deps=["lib>=1", "old39; python_version < '3.10'"])
    index_server.add_wheel("lib", "1.2")
    index_server.add_wheel("old39", "1.0")
    index_server.add_wheel("backend-kit", "2.0")
    index_server.add_sdist("legacy", "0.6", build_requires=["backend-kit"])
    (tmp_path / "requirements.in").write_text("app\nlegacy\n")
    online = dict(clean_env, PUFFIN_INDEX_URL=index_server.index_url,
                  PUFFIN_CACHE_DIR=str(tmp_path / "cache-online"))
    first, second, third = blocks(section("Airgapped machines"), "sh")
    for cmd in commands(first):
        r = sh(cmd, tmp_path, online)
        assert r.returncode == 0, (cmd, r.stderr)
    files = sorted(os.listdir(tmp_path / "wheelhouse"))
    assert "legacy-0.6.tar.gz" in files and "backend_kit-2.0-py3-none-any.whl" in files
    assert "old39-1.0-py3-none-any.whl" in files and "requirements.txt" in files

    # across the gap: a fresh folder, the index gone, proxies pointing nowhere
    other = tmp_path / "other-side"
    other.mkdir()
    shutil.copytree(tmp_path / "wheelhouse", other / "wheelhouse")
    shutil.copy(tmp_path / "requirements.in", other / "requirements.in")
    index_server.reset_counters()
    dead = "http://127.0.0.1:%d" % free_port()
    offline = dict(clean_env, PUFFIN_CACHE_DIR=str(other / "cache"), HTTP_PROXY=dead, HTTPS_PROXY=dead,
                   ALL_PROXY=dead, PUFFIN_INDEX_URL=dead + "/simple")
    for python in [p for p in (support.find_python("3.9"), support.find_python("3.12")) if p]:
        if (other / ".venv").exists():
            shutil.rmtree(other / ".venv")
        for cmd in commands(second):
            r = sh(cmd, other, offline, python=python)
            assert r.returncode == 0, (python, cmd, r.stderr)
        site = [os.path.join(d, n) for d, ns, _ in os.walk(other / ".venv") for n in ns if n == "site-packages"][0]
        want = {"app": "1.0", "lib": "1.2", "legacy": "0.6"}
        if "3.9" in os.path.basename(python) or python.endswith("3.9"):
            want["old39"] = "1.0"
        got = support.dist_infos(site)
        assert {k: v for k, v in got.items() if k != "old39"} == {k: v for k, v in want.items() if k != "old39"}
        assert "backend-kit" not in got   # built with it, not installed
    assert index_server.total_requests == 0

    # a fleet: the folder served as an index
    port = free_port()
    lines = [c.replace("8000", str(port)) for c in commands(third)]
    venv = tmp_path / "fleet"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (tmp_path / ".venv").mkdir(exist_ok=True)
    shutil.rmtree(tmp_path / ".venv")
    os.symlink(venv, tmp_path / ".venv")
    server = None
    try:
        for cmd in lines:
            if "http.server" in cmd:
                argv = [sys.executable] + shlex.split(cmd)[1:] + ["--bind", "127.0.0.1"]
                server = subprocess.Popen(argv, cwd=str(tmp_path), stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
                for _ in range(100):
                    try:
                        socket.create_connection(("127.0.0.1", port), 0.2).close()
                        break
                    except OSError:
                        time.sleep(0.05)
                continue
            r = sh(cmd, tmp_path, dict(clean_env, PUFFIN_CACHE_DIR=str(tmp_path / "cache-fleet")))
            assert r.returncode == 0, (cmd, r.stderr)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    site = [os.path.join(d, n) for d, ns, _ in os.walk(venv) for n in ns if n == "site-packages"][0]
    assert {"app", "lib", "legacy"} <= set(support.dist_infos(site))


@pytest.fixture
def system_like_python(tmp_path):
    """A CPython outside any venv whose stdlib folder carries EXTERNALLY-MANAGED:
    the binary copied (so its prefix is the copy's), the stdlib linked, an
    empty site-packages of its own."""
    base = support.find_python("3.12") or support.find_python("3.11")
    if not base:
        pytest.skip("no pyenv CPython 3.11/3.12")
    real = os.path.realpath(base)
    prefix = os.path.dirname(os.path.dirname(real))
    xy = "python" + re.search(r"(\d+\.\d+)", os.path.basename(real)).group(1)
    fake = tmp_path / "sys"
    (fake / "bin").mkdir(parents=True)
    shutil.copy2(real, fake / "bin" / os.path.basename(real))
    for alias in ("python3", "python"):
        os.symlink(os.path.basename(real), fake / "bin" / alias)
    lib = fake / "lib" / xy
    lib.mkdir(parents=True)
    for entry in os.listdir(os.path.join(prefix, "lib", xy)):
        if entry != "site-packages":
            os.symlink(os.path.join(prefix, "lib", xy, entry), lib / entry)
    (lib / "site-packages").mkdir()
    (lib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=Use the system package manager.\n")
    python = str(fake / "bin" / "python3")
    probe = subprocess.run([python, "-I", "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True)
    if probe.returncode != 0 or os.path.realpath(probe.stdout.strip()) != os.path.realpath(fake):
        pytest.skip("this CPython cannot run from a copied prefix: %s" % probe.stderr[-200:])
    return python, str(lib / "site-packages")


def image_env(clean_env, tmp_path, index_url, python):
    blocker = tmp_path / "no-home"
    blocker.write_text("HOME points below a file: nothing can be written there")
    env = dict(clean_env, HOME=str(blocker / "home"), PUFFIN_INDEX_URL=index_url,
               PATH=os.path.dirname(python) + os.pathsep + clean_env.get("PATH", ""))
    env.pop("XDG_CACHE_HOME", None)
    return env


def test_the_docker_run_line_installs_into_a_system_like_python(index_server, clean_env, tmp_path,
                                                              system_like_python):
    python, site = system_like_python
    index_server.add_wheel("app", "1.0", deps=["lib"], files={"app/__init__.py": b"X = 1\n"})
    index_server.add_wheel("lib", "2.0", files={"lib/__init__.py": b"Y = 2\n"})
    first, _second = blocks(section("Docker images"), "dockerfile")
    run_lines = [line[len("RUN "):] for line in first.splitlines() if line.startswith("RUN ")]
    assert len(run_lines) == 1
    image = tmp_path / "image"
    (image / "tmp").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "puffin.py"), image / "tmp" / "puffin.py")
    (image / "tmp" / "requirements.txt").write_text("app==1.0\nlib==2.0\n")
    cmd = run_lines[0].replace("/tmp/", str(image / "tmp") + "/")
    env = image_env(clean_env, tmp_path, index_server.index_url, python)
    # the marker is honoured: without the flag, a clear refusal and nothing installed
    refused = sh(cmd.replace(" --break-system-packages", ""), image, env, python=python)
    assert refused.returncode == 2 and "externally managed" in refused.stderr
    assert support.dist_infos(site) == {}
    r = sh(cmd, image, env, python=python)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(site) == {"app": "1.0", "lib": "2.0"}
    assert [f for f in os.listdir(os.path.join(site, "app", "__pycache__")) if f.endswith(".pyc")]
    assert "warning" not in r.stderr   # --no-cache: the unwritable HOME is never touched
    out = subprocess.run([python, "-c", "import app, lib; print(app.X + lib.Y)"], capture_output=True, text=True)
    assert out.stdout.strip() == "3"


def test_the_non_root_dockerfile_runs_in_a_venv(index_server, clean_env, tmp_path, system_like_python):
    python, site = system_like_python
    index_server.add_wheel("app", "1.0", deps=["lib"])
    index_server.add_wheel("lib", "2.0")
    index_server.add_wheel("pip", "99.0")
    index_server.add_wheel("setuptools", "99.0")
    index_server.add_wheel("wheel", "99.0")
    _first, second = blocks(section("Docker images"), "dockerfile")
    run_lines = [line[len("RUN "):] for line in second.splitlines() if line.startswith("RUN ")]
    home = tmp_path / "home-app"
    home.mkdir()
    shutil.copy(os.path.join(ROOT, "puffin.py"), home / "puffin.py")
    (home / "requirements.txt").write_text("app==1.0\nlib==2.0\n")
    env = image_env(clean_env, tmp_path, index_server.index_url, python)
    ran = 0
    for line in run_lines:
        for cmd in line.split(" && "):
            if cmd.split()[0] == "useradd":
                continue   # the test's user stands in for it: a test never adds users
            r = sh(cmd, home, env, python=python)
            assert r.returncode == 0, (cmd, r.stderr)
            ran += 1
    assert ran == 2
    venv_site = [os.path.join(d, n) for d, ns, _ in os.walk(home / ".venv") for n in ns if n == "site-packages"][0]
    got = support.dist_infos(venv_site)
    assert got["app"] == "1.0" and got["lib"] == "2.0" and got["pip"] == "99.0"   # the seed is kept
    assert support.dist_infos(site) == {}   # the system Python is untouched
