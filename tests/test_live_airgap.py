"""Live airgap: one wheelhouse from PyPI installs offline, and served as a static index.

The "done when" list of the airgap issue, end to end against the real PyPI:

A. ``puffin.py pip-download`` fills ONE wheelhouse for CPython 3.9 and 3.12 on
   ``x86_64-manylinux_2_28`` with a real set of 24 pinned projects (wheels for
   both targets, ``tomli`` for 3.9 only by marker, ``pip`` so ``pip check`` can
   run offline) plus the sdist-only ``docopt==0.6.2`` and, through
   ``--include-build-deps``, its build backend (setuptools). Then, with the
   network blocked (proxy variables pointing at a closed port, ``--offline``,
   and, when ``unshare -rn`` works here, a network namespace with no network at
   all), ``pip-sync WH/requirements.txt --offline`` fills a fresh venv of
   pyenv's 3.9 and of 3.12; pip goes in from the same wheelhouse; ``pip check``
   passes in both; docopt is importable, built offline from its sdist.
B. The same wheelhouse, indexed with ``puffin.py index WH`` and served by
   ``python -m http.server``, installs the set with puffin.py, pip and uv, each
   into its own fresh 3.12 venv, each with the same versions. puffin.py's
   requests, counted from http.server's access log: one page GET per project,
   each wheel's ``.metadata`` GET once and each wheel GET once (http.server
   knows no Range header, so a resolver reading wheels instead of the PEP 658
   files would show as a second GET of a wheel, or a GET of a wheel not installed).

Also: the wheelhouse's ``pylock.toml`` (``--lock-format pylock``, written on a copy
without fetching anything again) installs offline as requirements.txt does (a lock
whose files are all beside it asks no index). The build backend is in the
wheelhouse but not in the locks: the offline build finds it there, and the target
environments do not get it.

The wheelhouse is filled once per module (the download is retried once when it
fails, PyPI or DNS being slow) and shared; every test uses its own cache.
Run: ``build/venv-3.12/bin/python -m pytest -q -p no:cacheprovider -m live tests/test_live_airgap.py``.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
PUFFIN_SCRIPT = os.path.join(REPO_ROOT, "puffin.py")
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)
import support  # noqa: E402

PY39 = support.find_python("3.9")
PY312 = support.find_python("3.12")
PLATFORM = "x86_64-manylinux_2_28"
GLIBC_MAX = (2, 28)

# Pins with manylinux x86_64 wheels for both cp39 and cp312 (or pure-Python wheels),
# closed under their dependencies, so both targets resolve to the same versions.
PINS = """\
annotated-types==0.7.0
attrs==24.3.0
certifi==2024.12.14
charset-normalizer==3.4.1
click==8.1.8
idna==3.10
jinja2==3.1.5
markdown-it-py==3.0.0
markupsafe==3.0.2
mdurl==0.1.2
packaging==24.2
pip==24.3.1
pydantic==2.10.6
pydantic-core==2.27.2
pygments==2.19.1
python-dateutil==2.9.0.post0
pyyaml==6.0.2
requests==2.32.3
rich==13.9.4
six==1.17.0
tomli==2.2.1 ; python_version < "3.11"
typing-extensions==4.12.2
urllib3==2.3.0
docopt==0.6.2
"""
SDIST_ONLY = "docopt"
COMPILED = {"charset-normalizer", "markupsafe", "pydantic-core", "pyyaml"}  # cp39 and cp312 wheels each
BLACKHOLE = "http://127.0.0.1:9"   # the discard port: nothing listens there

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(PY39 is None or PY312 is None, reason="needs CPython 3.9 and 3.12 (pyenv or PATH)"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the wheelhouse is for manylinux x86_64"),
]


# ---- helpers ---------------------------------------------------------------------------------

def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_for(text: str, python: str) -> dict:
    """{name: version} of the ``name==version`` lines of a requirements text that
    apply to Python ``python`` ("3.9"): markers may only compare python_version."""
    out = {}
    for line in text.replace("\\\n", " ").splitlines():
        line = re.sub(r"\s*--hash=\S+", "", line.split(" #", 1)[0]).strip()
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.*))?$", line)
        if not match:
            continue
        name, version, marker = match.group(1), match.group(2), (match.group(3) or "").strip()
        if marker and not _python_marker_holds(marker, python):
            continue
        out[normalize(name)] = version
    return out


def _python_marker_holds(marker: str, python: str) -> bool:
    terms = re.findall(r"""python_version\s*(==|<|>=)\s*['"]([\d.]+)['"]""", marker)
    rest = re.sub(r"""python_version\s*(==|<|>=)\s*['"]([\d.]+)['"]|\bor\b|[()\s]""", "", marker)
    assert terms and not rest, "a marker this test cannot read: %r" % marker
    have = tuple(int(p) for p in python.split("."))

    def holds(op, value):
        want = tuple(int(p) for p in value.split("."))
        return {"==": have == want, "<": have < want, ">=": have >= want}[op]
    return any(holds(op, value) for op, value in terms)


def describe(proc) -> str:
    return "$ %s\nexit %s\n--- stdout\n%s\n--- stderr\n%s" % (
        " ".join(map(str, proc.args)), proc.returncode, (proc.stdout or "")[-4000:], (proc.stderr or "")[-4000:])


def run(cmd, env, cwd=None, timeout=600):
    started = time.monotonic()
    proc = subprocess.run([os.fspath(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    proc.seconds = time.monotonic() - started
    return proc


def live_env(**more) -> dict:
    """No machine pip/uv/puffin settings (the machine's CA bundles stay), pip without config files."""
    env = support.without_machine_settings()
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               UV_NO_CONFIG="1", PYTHONWARNINGS="ignore::SyntaxWarning")
    env.update(more)
    return env


def blocked_env(**more) -> dict:
    """live_env with every proxy variable (both cases) pointing at a closed local port."""
    env = live_env(**more)
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[key] = env[key.lower()] = BLACKHOLE
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return env


@functools.lru_cache(maxsize=None)
def unshare_prefix() -> tuple:
    """``("unshare", "-rn")`` when a user+network namespace can be made here, else ()."""
    exe = shutil.which("unshare")
    if exe is None:
        return ()
    try:
        ok = subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return (exe, "-rn") if ok else ()


def site_packages(venv: str, python: str) -> str:
    return os.path.join(venv, "lib", "python" + python, "site-packages")


def make_venv(base_python: str, path: str) -> str:
    proc = run([base_python, "-m", "venv", "--without-pip", path], env=live_env(), timeout=120)
    assert proc.returncode == 0, describe(proc)
    return os.path.join(path, "bin", "python")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the wheelhouse, filled once --------------------------------------------------------------

class Wheelhouse:
    """The module's wheelhouse: ``root`` (tmp dir), ``path`` (WH), ``reqs`` (reqs.in),
    ``download`` (the successful pip-download run), ``attempts``."""

    def __init__(self, root, path, reqs, download, attempts):
        self.root, self.path, self.reqs, self.download, self.attempts = root, path, reqs, download, attempts

    def files(self) -> list:
        return sorted(f for f in os.listdir(self.path) if f.endswith((".whl", ".tar.gz", ".zip")))

    def lock_text(self) -> str:
        with open(os.path.join(self.path, "requirements.txt"), encoding="utf-8") as f:
            return f.read()


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Wheelhouse:
    root = str(tmp_path_factory.mktemp("airgap"))
    wh = os.path.join(root, "WH")
    reqs = os.path.join(root, "reqs.in")
    with open(reqs, "w", encoding="utf-8") as f:
        f.write(PINS)
    cmd = [sys.executable, PUFFIN_SCRIPT, "pip-download", "-r", reqs, "-d", wh,
           "--python-version", "3.9", "--python-version", "3.12", "--python-platform", PLATFORM,
           "--allow-sdists", "--include-build-deps", "--timeout", "60"]
    for attempt in (1, 2):  # slow DNS or a PyPI hiccup: the download step is tried once more
        cache = os.path.join(root, "download-cache-%d" % attempt)
        proc = run(cmd + ["--cache-dir", cache], env=live_env(), cwd=root, timeout=600)
        if proc.returncode == 0:
            break
        time.sleep(5)
    assert proc.returncode == 0, "pip-download failed twice:\n" + describe(proc)
    return Wheelhouse(root, wh, reqs, proc, attempt)


# ---- A: the wheelhouse, and installing from it offline ---------------------------------------

def _wheel_tags(filename: str):
    parts = filename[:-len(".whl")].split("-")
    return parts[-3], parts[-2], parts[-1]


def test_one_wheelhouse_holds_the_set_for_cpython_39_and_312(wheelhouse):
    """Every project's files for both targets, docopt as its sdist with setuptools beside it,
    no file for another platform, and a requirements.txt with hashes and 3.9-only markers."""
    files = wheelhouse.files()
    lock = wheelhouse.lock_text()
    want39, want312 = pins_for(PINS, "3.9"), pins_for(PINS, "3.12")
    got39, got312 = pins_for(lock, "3.9"), pins_for(lock, "3.12")
    assert len(want312) >= 20
    # the lock pins the set for each target, tomli only for 3.9; the build backend is in
    # the folder (named in a comment), not among the pins: nothing installs it
    assert got39 == want39 and got312 == want312
    assert "tomli" in got39 and "tomli" not in got312
    assert re.search(r"^#    .*setuptools==", lock, re.M), lock
    assert any(f.startswith("setuptools-") for f in files)
    assert re.search(r"^tomli==2\.2\.1 ; python_version == '3\.9'", lock, re.M), lock
    assert "--no-index" in lock.splitlines() and "--find-links ." in lock.splitlines(), lock
    pins = "\n".join(line for line in lock.split("--find-links .", 1)[1].splitlines()
                     if not line.startswith("#")).strip()
    for entry in re.split(r"\n(?=[A-Za-z])", pins):
        assert "--hash=sha256:" in entry, entry
    # the files: docopt only as an sdist, every other project as wheels
    sdists = [f for f in files if not f.endswith(".whl")]
    assert sdists == ["docopt-0.6.2.tar.gz"]
    by_project = collections.defaultdict(list)
    for f in files:
        by_project[normalize(f.split("-", 1)[0])].append(f)
    assert set(by_project) == set(got39) | set(got312) | {"setuptools"}
    for name in COMPILED:
        interpreters = sorted(_wheel_tags(f)[0] for f in by_project[name])
        assert interpreters == ["cp312", "cp39"], by_project[name]
    for f in files:
        if not f.endswith(".whl"):
            continue
        _, abi, platform = _wheel_tags(f)
        for plat in platform.split("."):
            if plat == "any":
                continue
            match = re.match(r"^manylinux_(\d+)_(\d+)_x86_64$", plat) or \
                re.match(r"^manylinux(2014|2010|1)_x86_64$", plat)
            assert match, "a wheel for another platform: %s" % f
            if match.lastindex == 2:
                assert (int(match.group(1)), int(match.group(2))) <= GLIBC_MAX, f
    # the download itself: one line of resolution, one of files
    assert "Resolved" in wheelhouse.download.stderr and "for 2 targets" in wheelhouse.download.stderr, \
        describe(wheelhouse.download)


@pytest.mark.parametrize("python", ["3.9", "3.12"])
def test_the_set_installs_offline_and_pip_check_passes(wheelhouse, python, tmp_path):
    """Network blocked: pip-sync WH/requirements.txt --offline fills a fresh venv, pip comes from
    the wheelhouse, `pip check` passes, docopt is built from its sdist and imports."""
    base = PY39 if python == "3.9" else PY312
    venv = str(tmp_path / ("venv-" + python))
    vpy = make_venv(base, venv)
    site = site_packages(venv, python)
    cache = str(tmp_path / "cache")
    env = blocked_env()
    jail = list(unshare_prefix())
    before = wheelhouse.files()
    if jail:  # the namespace really has no network: not even a name lookup, nor a connect
        probe = run(jail + [vpy, "-c", "import socket; socket.create_connection(('pypi.org', 443), 5)"],
                    env=env, timeout=60)
        assert probe.returncode != 0, "unshare -rn left the network reachable:\n" + describe(probe)

    sync = run(jail + [vpy, PUFFIN_SCRIPT, "pip-sync", os.path.join(wheelhouse.path, "requirements.txt"),
                       "--offline", "--cache-dir", cache], env=env, timeout=600)
    assert sync.returncode == 0, describe(sync)
    want = pins_for(wheelhouse.lock_text(), python)
    assert support.dist_infos(site) == want, describe(sync)

    # pip from the same wheelhouse (it is in the set; asked for by name it is already there)
    pip = run(jail + [vpy, PUFFIN_SCRIPT, "pip-install", "pip==%s" % want["pip"], "--offline", "--no-index",
                      "--find-links", wheelhouse.path, "--cache-dir", cache], env=env, timeout=300)
    assert pip.returncode == 0, describe(pip)
    version = run(jail + [vpy, "-m", "pip", "--version"], env=env, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("pip %s from %s" % (want["pip"], site)), \
        describe(version)

    check = run(jail + [vpy, "-m", "pip", "check"], env=env, timeout=300)
    assert check.returncode == 0, describe(check)
    assert "No broken requirements found" in check.stdout, describe(check)

    # docopt: built offline from the sdist with the wheelhouse's setuptools for this Python
    imported = run(jail + [vpy, "-c", "import docopt; print(docopt.__version__, docopt.__file__)"],
                   env=env, timeout=120)
    assert imported.returncode == 0, describe(imported)
    assert imported.stdout.split()[0] == "0.6.2" and imported.stdout.split()[1].startswith(site)
    with open(os.path.join(site, "docopt-0.6.2.dist-info", "WHEEL"), encoding="utf-8") as f:
        wheel_meta = f.read()
    backends = {f.split("-")[1] for f in before if f.startswith("setuptools-")}
    assert any("Generator: setuptools (%s)" % v in wheel_meta for v in backends), wheel_meta
    assert "setuptools" not in support.dist_infos(site)
    # the imports that need compiled code for this Python work too
    smoke = run(jail + [vpy, "-c", "import pydantic, yaml, markupsafe, charset_normalizer, rich, requests; "
                                   "pydantic.TypeAdapter(int).validate_python('3'); print('ok')"],
                env=env, timeout=120)
    assert smoke.returncode == 0 and smoke.stdout.strip() == "ok", describe(smoke)
    assert wheelhouse.files() == before  # installing never writes into the wheelhouse


def test_the_wheelhouse_pylock_toml_installs_offline_too(wheelhouse, tmp_path):
    """--lock-format pylock on a copy of the wheelhouse fetches nothing again (every file is
    there with its hash), and pip-sync WH/pylock.toml --offline installs the same set."""
    wh = str(tmp_path / "WH")
    os.makedirs(wh)
    for f in wheelhouse.files():
        shutil.copy2(os.path.join(wheelhouse.path, f), wh)
    cmd = [sys.executable, PUFFIN_SCRIPT, "pip-download", "-r", wheelhouse.reqs, "-d", wh,
           "--python-version", "3.9", "--python-version", "3.12", "--python-platform", PLATFORM,
           "--allow-sdists", "--include-build-deps", "--timeout", "60", "--lock-format", "pylock"]
    for attempt in (1, 2):
        proc = run(cmd + ["--cache-dir", str(tmp_path / ("download-cache-%d" % attempt))],
                   env=live_env(), cwd=str(tmp_path), timeout=600)
        if proc.returncode == 0:
            break
        time.sleep(5)
    assert proc.returncode == 0, describe(proc)
    assert re.search(r"Downloaded 0 files .*; %d files already there" % len(wheelhouse.files()),
                     proc.stderr), describe(proc)
    assert os.path.isfile(os.path.join(wh, "pylock.toml")) and not os.path.exists(os.path.join(wh, "requirements.txt"))

    vpy = make_venv(PY312, str(tmp_path / "venv"))
    sync = run(list(unshare_prefix()) + [vpy, PUFFIN_SCRIPT, "pip-sync", os.path.join(wh, "pylock.toml"),
                                         "--offline", "--cache-dir", str(tmp_path / "cache")],
               env=blocked_env(), timeout=600)
    assert sync.returncode == 0, describe(sync)
    assert support.dist_infos(site_packages(str(tmp_path / "venv"), "3.12")) == \
        pins_for(wheelhouse.lock_text(), "3.12")


# ---- B: the same wheelhouse as a served static index ------------------------------------------

_LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


class Served:
    """``python -m http.server`` serving the wheelhouse: ``url`` (…/simple), ``requests()``
    -> [(method, path, status)] so far, from its access log."""

    def __init__(self, proc, url, log_path):
        self.proc, self.url, self.log_path = proc, url, log_path

    def requests(self) -> list:
        time.sleep(0.2)  # the last log lines of a finished client
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return [(m.group("method"), urllib.request.unquote(m.group("path")), int(m.group("status")))
                    for m in map(_LOG_LINE.search, f) if m]


@pytest.fixture(scope="module")
def served(wheelhouse):
    cache = os.path.join(wheelhouse.root, "index-cache")
    indexed = run([sys.executable, PUFFIN_SCRIPT, "index", wheelhouse.path, "--cache-dir", cache],
                  env=live_env(), timeout=300)
    assert indexed.returncode == 0, describe(indexed)
    assert os.path.isfile(os.path.join(wheelhouse.path, "simple", "index.html"))
    log_path = os.path.join(wheelhouse.root, "http-server.log")
    for _ in range(5):  # a port taken between finding it and binding it: another one
        port = free_port()
        log = open(log_path, "w", encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1",
                                 "--directory", wheelhouse.path, str(port)],
                                stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                        url + "/simple/", timeout=2) as resp:
                    resp.read()
                break
            except OSError:
                time.sleep(0.1)
        if proc.poll() is None:
            break
    assert proc.poll() is None, "http.server did not start"
    try:
        yield Served(proc, url + "/simple", log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _installed(tmp_path, name: str):
    venv = str(tmp_path / name)
    return make_venv(PY312, venv), site_packages(venv, "3.12")


def _check_same_versions(wheelhouse, site, who, proc):
    want = pins_for(PINS, "3.12")
    assert support.dist_infos(site) == want, "%s installed other versions:\n%s" % (who, describe(proc))


def test_puffin_installs_the_set_from_the_served_index_reading_metadata_files(wheelhouse, served, tmp_path):
    """puffin.py pip-install from http.server: the set at the pinned versions; one page per
    project, each installed wheel's .metadata once and the wheel once, no other wheel."""
    vpy, site = _installed(tmp_path, "venv-puffin")
    env = live_env()
    seen = len(served.requests())
    proc = run([vpy, PUFFIN_SCRIPT, "pip-install", "-r", wheelhouse.reqs, "--index-url", served.url,
                "--cache-dir", str(tmp_path / "cache")], env=env, timeout=600)
    assert proc.returncode == 0, describe(proc)
    _check_same_versions(wheelhouse, site, "puffin.py", proc)
    requests = served.requests()[seen:]
    assert requests, "no request reached http.server"
    assert {(m, s) for m, _, s in requests} == {("GET", 200)}, requests

    installed = support.dist_infos(site)
    wheels = {}  # installed project -> the one wheel in WH for CPython 3.12 on Linux
    for f in wheelhouse.files():
        if f.endswith(".whl") and normalize(f.split("-", 1)[0]) in installed:
            interp = _wheel_tags(f)[0]
            if interp.startswith("cp3") and interp != "cp312":
                continue
            assert normalize(f.split("-", 1)[0]) not in wheels, f
            wheels[normalize(f.split("-", 1)[0])] = f
    assert set(wheels) == set(installed) - {SDIST_ONLY}

    counts = collections.Counter(path for _, path, _ in requests)
    pages = {p: n for p, n in counts.items() if p.startswith("/simple/")}
    metadata = {p[1:-len(".metadata")]: n for p, n in counts.items() if p.endswith(".metadata")}
    archives = {p[1:]: n for p, n in counts.items() if p.endswith((".whl", ".tar.gz"))}
    other = set(counts) - set(pages) - {"/" + f + ".metadata" for f in metadata} - {"/" + f for f in archives}
    assert not other, "requests for neither a page, a .metadata nor an archive: %s" % sorted(other)
    # one page per project: every installed one, and the build backend of docopt
    build_backend = set(pages) - {"/simple/%s/" % n for n in installed}
    assert {"/simple/%s/" % n for n in installed} <= set(pages), sorted(pages)
    assert build_backend <= {"/simple/setuptools/", "/simple/wheel/"}, sorted(build_backend)
    assert {p: n for p, n in pages.items() if n != 1} == {}, "a page fetched more than once"
    # resolution read the PEP 658 files; each wheel was downloaded once, to be installed
    for name, f in sorted(wheels.items()):
        assert metadata.get(f) == 1, "%s: .metadata fetched %s times" % (f, metadata.get(f, 0))
        assert archives.get(f) == 1, "%s: fetched %s times" % (f, archives.get(f, 0))
    assert archives.get("docopt-0.6.2.tar.gz") == 1
    extra = {f: n for f, n in archives.items()
             if f not in wheels.values() and f != "docopt-0.6.2.tar.gz"}
    assert all(f.startswith(("setuptools-", "wheel-")) and n == 1 for f, n in extra.items()), \
        "wheels fetched that were neither installed nor a build backend: %s" % extra
    assert not [f for f in archives if re.search(r"-cp39-", f)], "a CPython 3.9 wheel was fetched"
    imported = run([vpy, "-c", "import docopt; print(docopt.__version__)"], env=env, timeout=60)
    assert imported.stdout.strip() == "0.6.2", describe(imported)


def test_pip_installs_the_same_versions_from_the_served_index(wheelhouse, served, tmp_path):
    """pip (the wheelhouse's own, put in offline by puffin.py) installs the same versions."""
    vpy, site = _installed(tmp_path, "venv-pip")
    pip_version = pins_for(PINS, "3.12")["pip"]
    boot = run([vpy, PUFFIN_SCRIPT, "pip-install", "pip==" + pip_version, "--offline", "--no-index",
                "--find-links", wheelhouse.path, "--cache-dir", str(tmp_path / "puffin-cache")],
               env=blocked_env(), timeout=300)
    assert boot.returncode == 0, describe(boot)
    seen = len(served.requests())
    proc = run([vpy, "-m", "pip", "install", "--index-url", served.url, "--cache-dir", str(tmp_path / "cache"),
                "-r", wheelhouse.reqs], env=live_env(), timeout=600)
    assert proc.returncode == 0, describe(proc)
    _check_same_versions(wheelhouse, site, "pip", proc)
    assert len(served.requests()) > seen, "pip did not use the served index"
    check = run([vpy, "-m", "pip", "check"], env=live_env(), timeout=120)
    assert check.returncode == 0, describe(check)


def test_uv_installs_the_same_versions_from_the_served_index(wheelhouse, served, tmp_path):
    """uv pip install --index-url the served index: the same versions."""
    uv = os.environ.get("PUFFIN_TEST_UV") or os.path.join(REPO_ROOT, "build", "tools", "bin", "uv")
    if not (os.path.isfile(uv) and os.access(uv, os.X_OK)):
        pytest.fail("uv was not found at %s: run `make test-live` (it installs uv into build/tools) "
                    "or set PUFFIN_TEST_UV" % uv, pytrace=False)
    vpy, site = _installed(tmp_path, "venv-uv")
    seen = len(served.requests())
    proc = run([uv, "pip", "install", "--no-config", "--cache-dir", str(tmp_path / "cache"),
                "--index-url", served.url, "--python", vpy, "-r", wheelhouse.reqs],
               env=live_env(), timeout=600)
    assert proc.returncode == 0, describe(proc)
    _check_same_versions(wheelhouse, site, "uv", proc)
    assert len(served.requests()) > seen, "uv did not use the served index"


def test_pins_for_reads_markers_and_continuations():
    text = "--no-index\nfoo==1.0 \\\n    --hash=sha256:ab\nbar==2 ; python_version == '3.9' \\\n" \
           "    --hash=sha256:cd\nbaz==3 ; (python_version == '3.9') or (python_version == '3.12')\n" \
           'tomli==2.2.1 ; python_version < "3.11"\n'
    assert pins_for(text, "3.9") == {"foo": "1.0", "bar": "2", "baz": "3", "tomli": "2.2.1"}
    assert pins_for(text, "3.12") == {"foo": "1.0", "baz": "3"}
