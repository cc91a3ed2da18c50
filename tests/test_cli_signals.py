"""Ctrl-C, SIGTERM and work left half done (issue 11), seen from outside: puffin.py runs
as a real process (``python puffin.py ...`` with ``subprocess.Popen``) and is stopped at
chosen moments, and the environment is looked at afterwards.

1. All or nothing: an install, a sync or an upgrade that fails on one of its packages
   leaves the environment exactly as it was.
2. SIGINT and SIGTERM at several moments of a cold install (a slow index: mid-download)
   and of a warm one (the cache filled first): the process exits soon, with 130 (SIGINT)
   or 143 (SIGTERM), a last `error: interrupted` / `error: terminated` line and no
   traceback, and nothing is left half installed.
3. Ctrl-C twice never hangs (and never shows a traceback).
4. Ctrl-C while puffin.py starts up: no traceback from puffin.py's code.
5. A running build is killed with its process group.
6. A repair that tells: an install killed half way is reported by pip-list, pip-freeze
   and pip-check, and the next install says what it repaired.

The timing of a signal is never asserted tighter than "the process exits within 4 s
of it"; the hard timeouts are far longer, so a hang fails with a clear message."""

from __future__ import annotations

import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

import support
from support import assert_installed_whole, dist_infos, run_python
from support import puffin_cli as run_cli

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals and process groups")

PUFFIN = support.PUFFIN_SCRIPT
EXIT_WITHIN = 4.0      # a signalled puffin.py must be gone this soon
HARD_TIMEOUT = 30.0    # ... and is killed (and the test failed) after this long
BUILD_TIMEOUT = 180    # builds make a build environment first: allow them more time
EXIT_CODE = {signal.SIGINT: 130, signal.SIGTERM: 143}
LAST_LINE = {signal.SIGINT: "error: interrupted", signal.SIGTERM: "error: terminated"}


# ---- helpers ------------------------------------------------------------------------------

def snapshot(venv) -> dict:
    """Every file of the venv with its size and mtime (puffin's lock file aside),
    plus every folder: what a run that failed must not change."""
    files = support.file_stats(venv.path, ignore=(".puffin.lock",))
    folders = sorted(os.path.relpath(d, venv.path) for d, _, _ in os.walk(venv.path))
    return {"files": files, "folders": folders}


def leftovers(root: str) -> list:
    """Journals and temporary files an install may leave when it goes wrong."""
    found = []
    for dirpath, dirs, files in os.walk(root):
        for name in files + dirs:
            if name.startswith((".tmp-", ".puffin-installing", ".puffin-stash-")):
                found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


def first_error(err: str) -> str:
    """The first `error:` line of stderr (a failed build may quote its backend's traceback below it)."""
    lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert lines, err
    return lines[0]


def last_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, killed and not yet reaped, does not)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pids_with_marker(marker: str) -> list:
    """Live processes whose command line holds ``marker``."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if marker.encode() in cmdline and alive(int(entry)):
            found.append(int(entry))
    return found


class Running:
    """puffin.py started with Popen in a session of its own, its stdout and stderr
    read as they come (``err_event`` is set by the first stderr line)."""

    def __init__(self, args, env, cwd=None):
        cmd = [sys.executable, PUFFIN] + [os.fspath(a) for a in args]
        self.err_event = threading.Event()
        self._out, self._err = [], []
        self.signalled_at = None
        self.ended_at = None
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out, None),
                                          daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err,
                                                                    self.err_event), daemon=True)]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, chunks, event):
        for line in iter(stream.readline, b""):
            chunks.append(line)
            if event is not None:
                event.set()
        stream.close()

    def send(self, sig) -> None:
        """Send ``sig`` to puffin.py (not its group), unless it has already ended."""
        if self.signalled_at is None:
            self.signalled_at = time.monotonic()
        self.proc.send_signal(sig)  # a no-op once the process was reaped

    def wait(self, timeout: float = HARD_TIMEOUT) -> int:
        """The exit code; a process still there after ``timeout`` is killed (with its
        process group) and the test fails."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.proc.wait()
            for t in self._threads:
                t.join(5)
            pytest.fail("puffin.py did not exit within %ss of the signal; stderr:\n%s"
                        % (timeout, self.stderr))
        self.ended_at = time.monotonic()
        for t in self._threads:
            t.join(10)
        return code

    def kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    @property
    def exit_delay(self) -> float:
        """Seconds from the (first) signal to the exit."""
        return self.ended_at - self.signalled_at

    @property
    def stdout(self) -> str:
        return b"".join(self._out).decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return b"".join(self._err).decode("utf-8", "replace")


def finished(err: str) -> bool:
    """Whether an install had finished (its summary printed, no error) when it stopped."""
    return bool(re.search(r"^Installed \d+ packages? in ", err, re.M)) and "error:" not in err


def assert_interrupted_cleanly(run: Running, code: int, sig) -> None:
    """What every signalled run must show: gone within 4 s, 130/143 (or 0 when it had
    already finished; or killed by the signal itself, if that came once the work was done
    and reported), no traceback, no internal error, and a last line saying so."""
    err = run.stderr
    assert run.exit_delay <= EXIT_WITHIN, "exit %.2fs after the signal; stderr:\n%s" % (run.exit_delay, err)
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    if code == -sig and finished(err):
        return
    assert code in (EXIT_CODE[sig], 0), "exit code %r; stderr:\n%s" % (code, err)
    if code == EXIT_CODE[sig]:
        assert last_line(err).startswith(LAST_LINE[sig]), err


# ---- a slow (or stalling) index -------------------------------------------------------------

class _SlowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def do_GET(self):
        index = self.server.index
        index.first_request.set()
        path = unquote(self.path.split("?", 1)[0])
        try:
            if path.startswith("/simple/"):
                page = index.page(support.normalize_name(path[len("/simple/"):].strip("/")))
                if page is None:
                    return self._send(404, b"not found\n", "text/plain")
                return self._send(200, page, "text/html; charset=utf-8")
            if path.startswith("/files/"):
                filename = path[len("/files/"):]
                if filename.endswith(".metadata") and filename[: -len(".metadata")] in index.files:
                    return self._send(200, index.files[filename[: -len(".metadata")]][2], "text/plain")
                if filename in index.files:
                    return self._send_wheel(index.files[filename][1])
            self._send(404, b"not found\n", "text/plain")
        except OSError:  # the client went away (it was interrupted): normal here
            self.close_connection = True

    def _send(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_wheel(self, data):
        index = self.server.index
        mode = index.mode
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if mode == "fast":
            self.wfile.write(data)
            return
        for offset in range(0, len(data), index.CHUNK):
            self.wfile.write(data[offset:offset + index.CHUNK])
            self.wfile.flush()
            if mode == "stall":
                self.close_connection = True
                return self._hold()
            if index.stopping.wait(index.PAUSE):
                return

    def _hold(self):
        """Send nothing more, until the client closes the connection or the server stops."""
        sock = self.connection
        while not self.server.index.stopping.is_set():
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                try:
                    if not sock.recv(1024):
                        return
                except OSError:
                    return


class SlowIndex:
    """A PEP 503 index on 127.0.0.1 (with PEP 658 metadata) whose pages and metadata
    answer at once and whose wheels come as ``mode`` says: ``"fast"`` (at once),
    ``"slow"`` (CHUNK bytes every PAUSE seconds) or ``"stall"`` (the first CHUNK, then
    nothing until the client goes away). ``first_request`` is set by any request."""

    CHUNK = 10 * 1024
    PAUSE = 0.05

    def __init__(self):
        self.files = {}  # filename -> (project, data, metadata)
        self.mode = "fast"
        self.first_request = threading.Event()
        self.stopping = threading.Event()
        self._httpd = None

    def add_wheel(self, name, version, **kwargs):
        data = support.make_wheel(name, version, **kwargs)
        self.files[support.wheel_filename(name, version)] = (support.normalize_name(name), data,
                                                             support.read_wheel_metadata(data))

    def page(self, project):
        import html
        links = []
        for filename, (proj, data, metadata) in sorted(self.files.items()):
            if proj != project:
                continue
            meta = "sha256=" + support.sha256(metadata)
            links.append('<a href="%s/files/%s#sha256=%s" data-dist-info-metadata="%s" '
                         'data-core-metadata="%s">%s</a><br />'
                         % (self.url, html.escape(filename), support.sha256(data), meta, meta,
                            html.escape(filename)))
        if not links:
            return None
        return ("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
                "<title>Links for %s</title></head><body>\n%s\n</body></html>\n"
                % (project, "\n".join(links))).encode("utf-8")

    def start(self):
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
        self._httpd.daemon_threads = True
        self._httpd.index = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._httpd.server_address[1]

    @property
    def index_url(self):
        return self.url + "/simple"


# Ten packages of ~200 KB each (incompressible): 20 chunks, about a second each when slow.
NAMES = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "ibis", "jay"]


@pytest.fixture(scope="module")
def slow_index():
    index = SlowIndex().start()
    for name in NAMES:
        blob = random.Random(name).getrandbits(8 * 200 * 1024).to_bytes(200 * 1024, "little")
        kwargs = {}
        if name == "ant":
            kwargs["entry_points"] = {"console_scripts": {"ant-cli": "ant:main"}}
        index.add_wheel(name, "1.0", files={"%s/__init__.py" % name: "__version__ = '1.0'\n\ndef main():\n"
                                            "    return 0\n",
                                            "%s/blob.bin" % name: blob}, **kwargs)
    yield index
    index.stop()


@pytest.fixture
def slow_env(clean_env, tmp_cache, slow_index):
    """The environment for puffin.py against ``slow_index`` (reset to fast, first
    request forgotten), with the test's own empty cache."""
    slow_index.mode = "fast"
    slow_index.first_request.clear()
    return dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=slow_index.index_url)


def assert_nothing_half_installed(venv, env, index, args, before) -> None:
    """After an interrupted run: the venv is unchanged, or at least pip-list reads it;
    either way the same command run again succeeds, every package imports whole and
    pip-check finds nothing wrong."""
    if snapshot(venv) != before:
        code, _, err = run_cli(sys.executable, "pip-list", "--python", venv.python, env=env)
        assert code == 0, err
        assert "Traceback" not in err, err
    index.mode = "fast"
    code, _, err = run_cli(sys.executable, *args, env=env)
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {n: "1.0" for n in NAMES}
    for name in NAMES:
        assert_installed_whole(venv.site_packages, name, "1.0")
    imported = run_python(venv, "import %s; print(%s)" % (", ".join(NAMES),
                                                          ", ".join(n + ".__version__" for n in NAMES)))
    assert imported.split() == ["1.0"] * len(NAMES)
    code, out, err = run_cli(sys.executable, "pip-check", "--python", venv.python, env=env)
    assert code == 0, out + err
    assert leftovers(venv.path) == []


# ---- 1. all or nothing --------------------------------------------------------------------

LETTERS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
BROKEN = "hotel"  # an sdist whose build fails


@pytest.fixture
def ten_packages(index_server):
    """alpha..juliet 1.0 on the index, hotel only as an sdist whose build_wheel fails;
    keep 1.0, a wheel, to have something installed beforehand."""
    for name in LETTERS:
        if name == BROKEN:
            index_server.add_sdist(name, "1.0", build_fails=["build_wheel"])
        else:
            index_server.add_wheel(name, "1.0")
    index_server.add_wheel("keep", "1.0", entry_points={"console_scripts": {"keep-cli": "keep:main"}})
    return index_server


def test_an_install_of_ten_packages_with_one_failing_build_changes_nothing(ten_packages, clean_env, tmp_cache,
                                                                          venv_factory):
    """`pip-install alpha ... juliet` where hotel's build fails: exit 2, an error naming hotel,
    and the venv byte for byte as before (the nine good wheels are not installed either)."""
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    index = ["--index-url", ten_packages.index_url]
    code, _, err = run_cli(sys.executable, "pip-install", "keep", *index, "--python", venv.python, env=env)
    assert code == 0, err
    before = snapshot(venv)
    code, _, err = run_cli(sys.executable, "pip-install", *LETTERS, *index, "--python", venv.python, env=env,
                             timeout=BUILD_TIMEOUT)
    assert code == 2, err
    assert BROKEN in first_error(err), err
    assert snapshot(venv) == before
    assert dist_infos(venv.site_packages) == {"keep": "1.0"}
    assert leftovers(venv.path) == []


def test_a_sync_with_one_failing_build_changes_nothing(ten_packages, clean_env, tmp_cache, venv_factory,
                                                       tmp_path):
    """`pip-sync` of a lock pinning alpha..juliet (hotel's build fails) over a venv holding keep:
    exit 2, an error naming hotel, keep not removed, nothing added: the venv as before."""
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    index = ["--index-url", ten_packages.index_url]
    code, _, err = run_cli(sys.executable, "pip-install", "keep", *index, "--python", venv.python, env=env)
    assert code == 0, err
    before = snapshot(venv)
    lock = support.write_file(tmp_path / "requirements.txt", "".join("%s==1.0\n" % n for n in LETTERS))
    code, _, err = run_cli(sys.executable, "pip-sync", lock, *index, "--python", venv.python, env=env,
                             timeout=BUILD_TIMEOUT)
    assert code == 2, err
    assert BROKEN in first_error(err), err
    assert snapshot(venv) == before
    assert dist_infos(venv.site_packages) == {"keep": "1.0"}
    assert leftovers(venv.path) == []


def test_an_upgrade_with_one_missing_wheel_keeps_every_old_version(index_server, clean_env, tmp_cache,
                                                                   venv_factory):
    """alpha..echo 1.0 installed, then `pip-install alpha==2.0 ... echo==2.0` where charlie 2.0's
    wheel is a 404: exit 2, an error naming charlie, every 1.0 still installed whole and the
    venv as before (no package upgraded alone)."""
    names = LETTERS[:5]
    for name in names:
        for version in ("1.0", "2.0"):
            index_server.add_wheel(name, version, files={"%s/__init__.py" % name: "__version__ = %r\n" % version})
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    index = ["--index-url", index_server.index_url]
    code, _, err = run_cli(sys.executable, "pip-install", *["%s==1.0" % n for n in names], *index,
                           "--python", venv.python, env=env)
    assert code == 0, err
    before = snapshot(venv)
    index_server.fail("/files/charlie-2.0-py3-none-any.whl", 404, times=None)
    code, _, err = run_cli(sys.executable, "pip-install", *["%s==2.0" % n for n in names], *index,
                             "--python", venv.python, env=env)
    assert code == 2, err
    assert "charlie" in first_error(err), err
    assert dist_infos(venv.site_packages) == {n: "1.0" for n in names}
    for name in names:
        assert_installed_whole(venv.site_packages, name, "1.0")
    assert snapshot(venv) == before
    assert leftovers(venv.path) == []


# ---- 2. SIGINT and SIGTERM at several moments ------------------------------------------------

# (cache, trigger, delay, signal): the signal goes `delay` seconds after the trigger:
# "request" -- the index saw puffin.py's first request; "stderr" -- puffin.py printed its
# first line (`Resolved ...`); "site" -- something new appeared in site-packages (linking).
MOMENTS = [
    ("cold", "request", 0.05, signal.SIGINT),
    ("cold", "request", 0.2, signal.SIGTERM),
    ("cold", "request", 0.5, signal.SIGINT),
    ("cold", "request", 1.0, signal.SIGTERM),
    ("cold", "stderr", 0.0, signal.SIGINT),
    ("cold", "stderr", 0.0, signal.SIGTERM),
    ("warm", "request", 0.05, signal.SIGTERM),
    ("warm", "stderr", 0.0, signal.SIGINT),
    ("warm", "site", 0.0, signal.SIGINT),
    ("warm", "site", 0.01, signal.SIGTERM),
]


def _moment_id(m):
    return "%s-%s-%gs-after-%s" % (m[0], signal.Signals(m[3]).name, m[2], m[1])


def wait_for_trigger(trigger, run: Running, index: SlowIndex, site: str, timeout: float = 20.0) -> None:
    """Wait until ``trigger`` happened, or puffin.py ended, or ``timeout`` passed."""
    before = set(os.listdir(site)) if os.path.isdir(site) else set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.proc.poll() is None:
        if trigger == "request" and index.first_request.is_set():
            return
        if trigger == "stderr" and run.err_event.is_set():
            return
        if trigger == "site" and os.path.isdir(site) and set(os.listdir(site)) != before:
            return
        time.sleep(0.001)


@pytest.mark.parametrize("moment", MOMENTS, ids=_moment_id)
def test_a_signal_during_an_install_exits_soon_and_leaves_nothing_half_installed(moment, slow_env, slow_index,
                                                                                 venv_factory):
    """SIGINT or SIGTERM at one moment of a cold (slow index, mid-download) or warm (cache
    filled first, fresh venv) install of ten packages: gone within 4 s, exit 130 / 143 (or 0
    when already done), no traceback or internal error, last line `error: interrupted` /
    `error: terminated`; the venv unchanged or, at worst, fixed by running the same command."""
    cache, trigger, delay, sig = moment
    if cache == "warm":
        filler = venv_factory(name="filler")
        code, _, err = run_cli(sys.executable, "pip-install", *NAMES, "--python", filler.python, env=slow_env)
        assert code == 0, err
        slow_index.mode = "fast"
    else:
        slow_index.mode = "slow"
    slow_index.first_request.clear()
    venv = venv_factory()
    before = snapshot(venv)
    args = ["pip-install", *NAMES, "--python", venv.python]
    run = Running(args, slow_env)
    try:
        wait_for_trigger(trigger, run, slow_index, venv.site_packages)
        if delay:
            time.sleep(delay)
        run.send(sig)
        code = run.wait()
    finally:
        run.kill_group()
    assert_interrupted_cleanly(run, code, sig)
    assert_nothing_half_installed(venv, slow_env, slow_index, args, before)


# ---- 3. Ctrl-C twice ------------------------------------------------------------------------

DOUBLE_RUNS = 100
DOUBLE_BUDGET = 20.0  # seconds: stop early (after at least 10 runs) on a slow machine
DOUBLE_WORKERS = 4


def test_ctrl_c_twice_never_hangs(slow_env, slow_index, venv_factory):
    """Up to 100 times (4 at once, within a time budget): `pip-install ant bee` against an
    index whose wheels stall, SIGINT once the first line is out (+0-40 ms) and again 10-30 ms
    later: it always exits (hard timeout 10 s), with 130, no traceback, no internal error and
    no `release unlocked lock`."""
    slow_index.mode = "stall"
    venv = venv_factory()
    args = ["pip-install", "ant", "bee", "--python", venv.python]
    rng = random.Random(11)
    plans = [(rng.uniform(0, 0.04), rng.uniform(0.01, 0.03)) for _ in range(DOUBLE_RUNS)]
    failures, done = [], []
    lock = threading.Lock()
    start = time.monotonic()

    def worker():
        while True:
            with lock:
                if failures or len(done) >= DOUBLE_RUNS or (
                        len(done) >= 10 and time.monotonic() - start > DOUBLE_BUDGET):
                    return
                number = len(done)
                first, gap = plans[number]
                done.append(number)
            run = Running(args, slow_env)
            try:
                run.err_event.wait(20)
                time.sleep(first)
                run.send(signal.SIGINT)
                time.sleep(gap)
                run.send(signal.SIGINT)
                try:
                    code = run.proc.wait(10)
                except subprocess.TimeoutExpired:
                    code = "hung"
                run.kill_group()
                if code == "hung":
                    run.proc.wait()
                for t in run._threads:
                    t.join(10)
            finally:
                run.kill_group()
            err = run.stderr
            problems = [p for p in ("Traceback", "internal error", "release unlocked lock") if p in err]
            if code != 130 or problems:
                with lock:
                    failures.append("run %d (%.3fs, then %.3fs): exit %r, %s; stderr:\n%s"
                                    % (number, first, gap, code, problems, err))

    threads = [threading.Thread(target=worker) for _ in range(DOUBLE_WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[0]
    assert dist_infos(venv.site_packages) == {}
    assert leftovers(venv.path) == []


# ---- 4. Ctrl-C during start-up ------------------------------------------------------------------

def _first_statement_line() -> int:
    """The line where puffin.py sets its first SIGINT handler: a signal in a
    statement up to there (the version, the check of the running Python)
    meets Python's default handler."""
    with open(PUFFIN, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if '__import__("_signal").signal(' in line:
                return number
    return 1


def _python_start_up(code: int, err: str) -> bool:
    """Outcomes Python itself gives a SIGINT that arrives before the first line of
    puffin.py runs, which puffin.py cannot change: killed before the interpreter set its
    handler (-2, nothing printed), `Fatal Python error: init_...` (interrupted while
    setting up its streams or importing site), `KeyboardInterrupt` alone (exit 1: while
    compiling puffin.py, sometimes reported as a bogus `SyntaxError`), or a
    traceback through puffin.py's module at (or before) its first statement, `from
    __future__ import ...` (the signal came after the compiler's last check, before
    puffin.py could set any handler)."""
    if code == -signal.SIGINT and not err.strip():
        return True
    if code == 1 and err.strip() == "KeyboardInterrupt":
        return True
    if code == 1 and "SyntaxError" in err and "puffin.py" in err:
        return True  # the parser, interrupted, reports a bogus syntax error (puffin.py compiles)
    if code != 0 and err.startswith("Fatal Python error: init_"):
        return True
    frames = re.findall(r'^  File "([^"]*)", line (\d+), in (.*)$', err, re.M)
    if err.startswith(("Failed checking if argv[0] is an import path entry",
                       "Exception ignored in: <function _get_module_lock.<locals>.cb")) \
            and "\nKeyboardInterrupt" in err:
        # interrupted in CPython's own check of sys.path[0] (zipimport), or in the import
        # machinery's module-lock callback while the default handler is still Python's (up to
        # importing `_signal` for puffin.py's first handler): Python prints that and goes on, so
        # puffin.py may then run to its end (exit 0, its output after)
        head, tail = err.split("\nKeyboardInterrupt", 1)
        frames = re.findall(r'^  File "([^"]*)", line (\d+), in (.*)$', head, re.M)
        return all(f[0].startswith("<frozen ") for f in frames) and (
            not tail.strip() or (code == 0 and "Traceback" not in tail and "error" not in tail))
    ours = [f for f in frames if os.path.basename(f[0]) == "puffin.py"]
    return (code in (1, -signal.SIGINT) and err.startswith("Traceback (most recent call last):")
            and err.rstrip().endswith("KeyboardInterrupt") and frames and frames[0] in ours
            and all(f[2] == "<module>" and int(f[1]) <= _first_statement_line() for f in ours))


@pytest.mark.parametrize("command", [["--version"], ["pip-list"]], ids=["version", "pip-list"])
def test_ctrl_c_during_start_up_shows_no_traceback(command, clean_env, tmp_cache, venv_factory):
    """SIGINT 1-20 ms after the process starts, and at moments spread over the whole
    start-up (measured from one undisturbed run): exit 130 (0 if it was already done) within
    4 s, never a traceback through puffin.py's code nor an internal error; Python's own
    reactions before puffin.py's first line runs are tolerated."""
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    args = list(command)
    if command != ["--version"]:
        venv = venv_factory()
        args += ["--python", venv.python]
    quiet = Running(args, env)
    code = quiet.wait()
    assert code == 0, quiet.stderr
    took = quiet.ended_at - quiet.started_at
    delays = [0.001, 0.005, 0.01, 0.02] + [took * f for f in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
                                                                1.0, 1.05)]
    for delay in delays:
        run = Running(args, env)
        try:
            time.sleep(max(0.0, delay - (time.monotonic() - run.started_at)))
            run.send(signal.SIGINT)
            code = run.wait()
        finally:
            run.kill_group()
        err = run.stderr
        what = "SIGINT after %.3fs: exit %r; stderr:\n%s" % (delay, code, err)
        assert run.exit_delay <= EXIT_WITHIN, what
        if _python_start_up(code, err):
            continue
        if code == -signal.SIGINT and "Traceback" not in err and "error" not in err:
            # killed by SIGINT's default action, silently: CPython's finalization puts the
            # default handler back (seen on 3.13 also before the output was complete: still
            # open); these commands only read, so nothing can be left half done
            continue
        assert "Traceback" not in err, what
        assert "internal error" not in err, what
        assert code in (130, 0), what


# ---- 5. a running build is killed with its process group ----------------------------------------

SLEEPY_BACKEND = r'''
import os, subprocess, sys, time

PIDS = %(pids)r
MARKER = %(marker)r


def _put(name, value):
    tmp = os.path.join(PIDS, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(str(value))
    os.replace(tmp, os.path.join(PIDS, name))


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", MARKER])
    _put("child.pid", child.pid)
    _put("backend.pid", os.getpid())
    time.sleep(30)
    raise RuntimeError("the sleepy backend was not stopped")
'''


def test_sigterm_during_a_build_kills_the_build_and_its_children(index_server, clean_env, tmp_cache,
                                                                  venv_factory, tmp_path):
    """An sdist whose backend starts a child and sleeps 30 s in build_wheel: SIGTERM to puffin.py
    while it builds: exit 143 within 4 s, `error: terminated` last, and within those 4 s neither
    the backend nor its child is left running; nothing installed."""
    pids = tmp_path / "pids"
    pids.mkdir()
    marker = "puffin-signal-test-%d-%d" % (os.getpid(), int(time.time() * 1000))
    pyproject = ('[build-system]\nrequires = []\nbuild-backend = "sleepy_backend"\nbackend-path = ["."]\n\n'
                 '[project]\nname = "sleepy"\nversion = "1.0"\n')
    index_server.add_sdist("sleepy", "1.0", pyproject=pyproject,
                           files={"sleepy/__init__.py": "",
                                  "sleepy_backend.py": SLEEPY_BACKEND % {"pids": str(pids), "marker": marker}})
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    run = Running(["pip-install", "sleepy", "--index-url", index_server.index_url, "--python", venv.python], env)
    started = []
    try:
        deadline = time.monotonic() + BUILD_TIMEOUT
        while time.monotonic() < deadline and run.proc.poll() is None:
            if (pids / "backend.pid").exists() and (pids / "child.pid").exists():
                break
            time.sleep(0.02)
        assert (pids / "backend.pid").exists(), "the build never started; stderr:\n" + run.stderr
        started = [int((pids / n).read_text()) for n in ("backend.pid", "child.pid")]
        assert all(alive(p) for p in started)
        run.send(signal.SIGTERM)
        code = run.wait()
        gone_by = run.signalled_at + EXIT_WITHIN
        while time.monotonic() < gone_by and any(alive(p) for p in started):
            time.sleep(0.02)
        remaining = [p for p in started if alive(p)] + pids_with_marker(marker)
    finally:
        run.kill_group()
        for pid in started + pids_with_marker(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    assert run.exit_delay <= EXIT_WITHIN, run.stderr
    assert code == 143, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert last_line(run.stderr).startswith("error: terminated"), run.stderr
    assert remaining == [], "build processes left running: %s" % remaining
    assert dist_infos(venv.site_packages) == {}
    assert leftovers(venv.path) == []


# ---- 6. a repair that tells --------------------------------------------------------------------

def _journal(site, dist_info, files, roots) -> str:
    """The journal install_wheel writes before the first file (and removes after RECORD)."""
    path = os.path.join(site, ".puffin-installing-%s.json" % dist_info)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"dist_info": os.path.join(site, dist_info), "files": files, "roots": roots}, f)
    return path


def make_killed_install(venv, env, index_server) -> None:
    """lib 1.0 (with a launcher) and done 1.0 installed by puffin.py; then the state a
    SIGKILL leaves: `half` 1.0 killed half way through its files (journal, some files, no
    RECORD), and `done` killed after its RECORD but before its journal was removed."""
    index_server.add_wheel("lib", "1.0", entry_points={"console_scripts": {"lib-cli": "lib:main"}},
                           files={"lib/__init__.py": "def main():\n    return 0\n", "lib/util.py": "X = 1\n"})
    index_server.add_wheel("done", "1.0")
    index_server.add_wheel("newpkg", "1.0")
    code, _, err = run_cli(sys.executable, "pip-install", "lib==1.0", "done==1.0", "--index-url",
                           index_server.index_url, "--python", venv.python, env=env)
    assert code == 0, err
    site, bin_dir = venv.site_packages, venv.bin
    roots = [site, bin_dir]
    # half: the journal lists everything to come; the package files and METADATA got written
    half_files = [os.path.join(site, "half", "__init__.py"), os.path.join(site, "half", "core.py"),
                  os.path.join(site, "half-1.0.dist-info", "METADATA"),
                  os.path.join(site, "half-1.0.dist-info", "WHEEL"),
                  os.path.join(bin_dir, "half-cli"),
                  os.path.join(site, "half-1.0.dist-info", "RECORD")]
    _journal(site, "half-1.0.dist-info", half_files, roots)
    for path, text in ((half_files[0], "from half.core import *\n"), (half_files[1], "Y = 2\n"),
                       (half_files[2], support.make_metadata("half", "1.0").decode())):
        support.write_file(path, text)
    # done: complete (RECORD written), only its journal is left
    with open(os.path.join(site, "done-1.0.dist-info", "RECORD"), encoding="utf-8") as f:
        done_files = [os.path.join(site, line.split(",")[0]) for line in f if line.strip()]
    _journal(site, "done-1.0.dist-info", done_files, roots)


@pytest.mark.parametrize("command", ["pip-list", "pip-freeze", "pip-check"])
def test_looking_at_an_environment_with_a_killed_install_warns_about_it(command, index_server, clean_env,
                                                                      tmp_cache, venv_factory):
    """pip-list, pip-freeze and pip-check on a venv where an install of `half` was killed: a
    `warning:` naming half and saying it was interrupted, a word on repairing it, no traceback;
    pip-check exits 1 (the others 0); looking changes nothing."""
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    make_killed_install(venv, env, index_server)
    before = snapshot(venv)
    code, out, err = run_cli(sys.executable, command, "--python", venv.python, env=env)
    assert code == (1 if command == "pip-check" else 0), out + err
    assert "Traceback" not in err, err
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning:") and "interrupted" in ln]
    assert warnings, err
    assert "half" in "\n".join(warnings), err
    assert "repair" in err.lower(), err
    if command != "pip-check":
        assert "lib" in out and "done" in out, out
    assert snapshot(venv) == before


def test_a_sigkill_while_linking_is_repaired_by_the_next_install(slow_env, slow_index, venv_factory):
    """A warm install of ten packages SIGKILLed as soon as site-packages changes (mid-linking):
    if a half install's journal was left, pip-list warns that an install was interrupted and the next
    `pip-install` of the same packages says `Repaired` with that package's name; either way
    it succeeds and leaves every package whole, nothing left over, pip-check clean."""
    filler = venv_factory(name="filler")
    code, _, err = run_cli(sys.executable, "pip-install", *NAMES, "--python", filler.python, env=slow_env)
    assert code == 0, err
    venv = venv_factory()
    args = ["pip-install", *NAMES, "--python", venv.python]
    run = Running(args, slow_env)
    try:
        wait_for_trigger("site", run, slow_index, venv.site_packages)
        run.send(signal.SIGKILL)
        run.wait()
    finally:
        run.kill_group()
    # journals of installs the kill cut short (one whose RECORD got written is complete)
    journals = [n for n in os.listdir(venv.site_packages) if n.startswith(".puffin-installing-")
                and not os.path.exists(os.path.join(venv.site_packages, n[len(".puffin-installing-"):-5],
                                                    "RECORD"))]
    half = sorted({re.sub(r"^\.puffin-installing-(.+)-[^-]+\.dist-info\.json$", r"\1", n) for n in journals})
    if journals:
        code, _, err = run_cli(sys.executable, "pip-list", "--python", venv.python, env=slow_env)
        assert code == 0, err
        assert "interrupted" in err, err
    code, _, err = run_cli(sys.executable, *args, env=slow_env)
    assert code == 0, err
    assert "Traceback" not in err, err
    for name in half:
        assert [ln for ln in err.splitlines() if "Repaired" in ln and name in ln], (journals, err)
    for name in NAMES:
        assert_installed_whole(venv.site_packages, name, "1.0")
    code, out, err = run_cli(sys.executable, "pip-check", "--python", venv.python, env=slow_env)
    assert code == 0, out + err
    assert leftovers(venv.path) == []


def test_the_next_install_repairs_a_killed_install_and_says_so(index_server, clean_env, tmp_cache, venv_factory):
    """`pip-install newpkg` on a venv where an install of `half` was killed: stderr says
    `Repaired` and names half; half's files and journal are gone; lib and done (whose journal
    was left after its RECORD) are kept whole, launcher too; newpkg is installed."""
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    make_killed_install(venv, env, index_server)
    keep = {rel: stat for rel, stat in snapshot(venv)["files"].items()
            if not rel.startswith(os.path.relpath(os.path.join(venv.site_packages, "half"), venv.path))
            and "half-1.0.dist-info" not in rel and not os.path.basename(rel).startswith(".puffin-installing-")}
    code, _, err = run_cli(sys.executable, "pip-install", "newpkg", "--index-url", index_server.index_url,
                           "--python", venv.python, env=env)
    assert code == 0, err
    repaired = [ln for ln in err.splitlines() if "Repaired" in ln]
    assert repaired and "half" in "\n".join(repaired), err
    assert not os.path.exists(os.path.join(venv.site_packages, "half"))
    assert not os.path.exists(os.path.join(venv.site_packages, "half-1.0.dist-info"))
    assert dist_infos(venv.site_packages) == {"lib": "1.0", "done": "1.0", "newpkg": "1.0"}
    for name in ("lib", "done", "newpkg"):
        assert_installed_whole(venv.site_packages, name, "1.0")
    assert os.path.isfile(os.path.join(venv.bin, "lib-cli"))
    after = snapshot(venv)["files"]
    assert {rel: after.get(rel) for rel in keep} == keep
    assert leftovers(venv.path) == []
