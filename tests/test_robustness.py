"""Robustness (issue 18): what a user is left with when things go wrong around an
install, seen from the outside: processes killed in the middle of an uninstall or a
sync, half-made dist-info folders, a cache cleaned (or damaged) under a running
install, wheels that lie about their version, absurd inputs (600 nested -r files, a
200-character project name, a marker comparing two strings), credentials that must
not end up in a lock, and a full disk.

Each test checks the exit code, the `error:`/`warning:` lines (never a traceback or an
"internal error") and what is left on disk."""

from __future__ import annotations

import glob
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

import support
from support import assert_installed_whole, dist_infos, error_lines, escape_name
from support import puffin_cli as run_cli

# ---- packages ---------------------------------------------------------------------------------

BIG_MODULES = 300
BIG_FILES = dict({"big/__init__.py": "VERSION = '1.0'\n\ndef main():\n    print('big')\n"},
                 **{"big/m%03d.py" % i: "X = %d\n" % i for i in range(BIG_MODULES)})
BIG_SCRIPTS = {"console_scripts": {"big-cli": "big:main"}}

STURDY_FILES = {
    "sturdy/__init__.py": "from .core import answer\n",
    "sturdy/core.py": "def answer():\n    return 42\n" + "# padding\n" * 200,
    "sturdy/data.txt": "".join("line %d of the data file\n" % i for i in range(400)),
}

# a valid project name of 200 characters (already in its escaped, lower-case form)
LONG_NAME = "l" + "ong" * 66 + "y"

HEFTY_BLOB = random.Random(18).randbytes(2 << 20)  # 2 MiB that do not compress
FILE_SIZE_LIMIT = 1 << 20                          # RLIMIT_FSIZE of the "full disk" runs


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("big", "1.0", files=BIG_FILES, entry_points=BIG_SCRIPTS)
        s.add_wheel("keep", "1.0")
        s.add_wheel("solo", "1.0")
        s.add_wheel("app", "1.0", deps=["lib>=1"])
        s.add_wheel("lib", "1.0")
        s.add_wheel("sturdy", "1.0", files=STURDY_FILES)
        # named 1.0 (file name and dist-info folder), but its METADATA says 2.0
        s.add("vmix-1.0-py3-none-any.whl", vmix_wheel())
        s.add_wheel(LONG_NAME, "1.0")
        s.add_wheel("hefty", "1.0", files={"hefty/__init__.py": "", "hefty/blob.bin": HEFTY_BLOB})
        yield s
    assert not s.errors, "\n".join(s.errors)


def vmix_wheel() -> bytes:
    return support.make_wheel("vmix", "1.0", dist_info_files={"METADATA": support.make_metadata("vmix", "2.0")})


# ---- helpers ----------------------------------------------------------------------------------

def leftovers(root: str) -> list:
    """Journals, stashes and temporary files a run may leave when it goes wrong."""
    found = []
    for dirpath, dirs, files in os.walk(root):
        for name in files + dirs:
            if name.startswith((".tmp-", ".puffin-installing")) or ".puffin-" in name:
                found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


def site_names(venv) -> list:
    """What site-packages holds, hidden and underscore-prefixed files (puffin's own, `_*.pth`) aside."""
    return sorted(n for n in os.listdir(venv.site_packages) if not n.startswith((".", "_")))


def no_crash(err: str) -> None:
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert "RecursionError" not in err, err


def big_paths(venv) -> tuple:
    return (os.path.join(venv.site_packages, "big"), os.path.join(venv.site_packages, "big-1.0.dist-info"),
            os.path.join(venv.bin, "big-cli"))


def big_files_left(venv) -> int:
    """How many of big's files (modules, dist-info files, launcher) are still in place."""
    package, dist_info, launcher = big_paths(venv)
    left = int(os.path.lexists(launcher))
    for folder in (package, dist_info):
        try:
            left += len(os.listdir(folder))
        except OSError:
            pass
    return left


def assert_big_installed(venv) -> None:
    assert dist_infos(venv.site_packages).get("big") == "1.0"
    assert_installed_whole(venv.site_packages, "big", "1.0")
    for i in range(BIG_MODULES):
        assert os.path.isfile(os.path.join(venv.site_packages, "big", "m%03d.py" % i))
    assert support.run_python(venv, "import big, big.m299; print(big.VERSION, big.m299.X)") == "1.0 299"


def assert_big_absent(venv) -> None:
    package, dist_info, launcher = big_paths(venv)
    assert "big" not in dist_infos(venv.site_packages)
    assert not os.path.lexists(package), sorted(os.listdir(package))[:5]
    assert not os.path.lexists(dist_info)
    assert not os.path.lexists(launcher)


def assert_consistent(venv, env, big_expected: bool) -> None:
    """big whole (and importable) or wholly gone, as expected; pip-check happy; nothing left over."""
    if big_expected:
        assert_big_installed(venv)
    else:
        assert_big_absent(venv)
    assert leftovers(venv.path) == []
    code, out, err = run_cli(venv.python, "pip-check", env=env)
    assert code == 0, out + err
    no_crash(err)


def start_puffin(venv, *args, env):
    return subprocess.Popen([venv.python, support.PUFFIN_SCRIPT] + [os.fspath(a) for a in args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_after_removals(proc, venv, removed: int, timeout: float = 60.0) -> None:
    """SIGKILL ``proc`` as soon as at least ``removed`` of big's files are gone (or when it ends)."""
    total = big_files_left(venv)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if total - big_files_left(venv) >= removed:
            break
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout)


# kill moments: after this many of big's ~308 files are gone (the first ones, some in the
# middle, the last ones, and when everything is gone but the run has not ended); 10_000:
# never killed, the run ends by itself
KILL_MOMENTS = (1, 2, 4, 8, 20, 80, 200, 300, 306, 10_000)
SYNC_KILL_MOMENTS = (1, 4, 20, 150, 300, 10_000)


def run_ok(venv, env, *args):
    code, out, err = run_cli(venv.python, *args, env=env)
    assert "RECORD file not found" not in err, (args, err)
    no_crash(err)
    assert code == 0, (args, err)
    return out, err


# ---- 1. killed during an uninstall or a sync -----------------------------------------------------

def test_an_uninstall_killed_at_any_moment_is_finished_or_undone_by_the_next_command(env, venv_factory):
    """`pip-uninstall big` (300 modules) SIGKILLed at 10 moments: the next command works and
    leaves big whole or gone."""
    venv = venv_factory()
    run_ok(venv, env, "pip-install", "big==1.0")
    recoveries = [(("pip-install", "big==1.0", "--reinstall"), True), (("pip-uninstall", "big"), False),
                  (("pip-install", "big==1.0"), True)]
    for n, removed in enumerate(KILL_MOMENTS):
        if "big" not in dist_infos(venv.site_packages):
            run_ok(venv, env, "pip-install", "big==1.0")
        proc = start_puffin(venv, "pip-uninstall", "big", env=env)
        kill_after_removals(proc, venv, removed)
        args, installed = recoveries[n % len(recoveries)]
        run_ok(venv, env, *args)
        assert_consistent(venv, env, installed)


def test_a_sync_killed_while_removing_an_extraneous_package_is_repaired_by_the_next_command(env, venv_factory,
                                                                                         tmp_path):
    """`pip-sync` of a lock without big, SIGKILLed while it removes big: the next sync, install
    or uninstall works and leaves big whole or gone, keep untouched."""
    venv = venv_factory()
    lock = support.write_file(tmp_path / "requirements.txt", "keep==1.0\n")
    run_ok(venv, env, "pip-install", "big==1.0", "keep==1.0")
    recoveries = [(("pip-sync", lock), False), (("pip-install", "big==1.0", "--reinstall"), True),
                  (("pip-uninstall", "big"), False)]
    for n, removed in enumerate(SYNC_KILL_MOMENTS):
        if "big" not in dist_infos(venv.site_packages):
            run_ok(venv, env, "pip-install", "big==1.0")
        proc = start_puffin(venv, "pip-sync", lock, env=env)
        kill_after_removals(proc, venv, removed)
        args, installed = recoveries[n % len(recoveries)]
        run_ok(venv, env, *args)
        assert_consistent(venv, env, installed)
        assert dist_infos(venv.site_packages).get("keep") == "1.0"
        assert_installed_whole(venv.site_packages, "keep", "1.0")


# ---- 2. a dist-info folder with nothing (or only METADATA) in it ------------------------------------

EMPTY_DIST_INFOS = {
    "nothing": {},
    "METADATA": {"METADATA": support.make_metadata("solo", "1.0")},
    "METADATA+INSTALLER": {"METADATA": support.make_metadata("solo", "1.0"), "INSTALLER": b"puffin\n"},
}


def make_empty_dist_info(venv, contents: dict) -> str:
    path = os.path.join(venv.site_packages, "solo-1.0.dist-info")
    os.makedirs(path)
    for name, data in contents.items():
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    return path


@pytest.mark.parametrize("contents", sorted(EMPTY_DIST_INFOS))
def test_a_reinstall_replaces_an_empty_dist_info(contents, env, venv_factory):
    """solo-1.0.dist-info with no RECORD (and no files of solo): `pip-install solo --reinstall`
    installs solo whole."""
    venv = venv_factory()
    make_empty_dist_info(venv, EMPTY_DIST_INFOS[contents])
    run_ok(venv, env, "pip-install", "solo", "--reinstall")
    assert dist_infos(venv.site_packages) == {"solo": "1.0"}
    assert_installed_whole(venv.site_packages, "solo", "1.0")
    assert support.run_python(venv, "import solo; print(solo.__version__)") == "1.0"
    assert leftovers(venv.path) == []


@pytest.mark.parametrize("contents", sorted(EMPTY_DIST_INFOS))
def test_an_uninstall_of_an_empty_dist_info_says_how_to_repair_it(contents, env, venv_factory):
    """solo-1.0.dist-info with no RECORD: `pip-uninstall solo` refuses as pip and uv do (what
    it installed cannot be known), exit 2, with a hint naming puffin.py's own `--reinstall`;
    the folder stays."""
    venv = venv_factory()
    path = make_empty_dist_info(venv, EMPTY_DIST_INFOS[contents])
    code, out, err = run_cli(venv.python, "pip-uninstall", "solo", env=env)
    no_crash(err)
    assert code == 2, err
    lines = error_lines(err)
    assert lines[0] == "error: cannot uninstall solo 1.0: RECORD file not found"
    assert "--reinstall solo==1.0" in lines[1]
    assert os.path.isdir(path)


@pytest.mark.parametrize("contents", sorted(EMPTY_DIST_INFOS))
def test_a_plain_install_over_an_empty_dist_info_repairs_it_or_points_to_reinstall(contents, env, venv_factory):
    """`pip-install solo` over an empty solo-1.0.dist-info either installs solo whole or fails
    with an error that names --reinstall."""
    venv = venv_factory()
    make_empty_dist_info(venv, EMPTY_DIST_INFOS[contents])
    code, out, err = run_cli(venv.python, "pip-install", "solo", env=env)
    no_crash(err)
    if code == 0:
        assert dist_infos(venv.site_packages) == {"solo": "1.0"}
        assert_installed_whole(venv.site_packages, "solo", "1.0")
    else:
        assert code == 2, err
        assert "--reinstall" in "\n".join(error_lines(err))
    assert leftovers(venv.path) == []


# ---- 3. cache clean and prune while installs run -------------------------------------------------

RACE_SECONDS = 15
RACE_INSTALLS = [("big==1.0",), ("app",), ("solo", "sturdy"), ("big==1.0", "keep"), ("sturdy", "lib")]


def test_cache_clean_and_prune_running_beside_installs_break_neither(env, venv_factory, tmp_cache):
    """For 15 s `cache clean`/`cache prune` run in a loop beside installs sharing the cache:
    every run exits 0, no traceback, and what an install reports installed is whole."""
    stop = time.monotonic() + RACE_SECONDS
    problems, cleaner_runs = [], []

    def cleaner():
        n = 0
        while time.monotonic() < stop:
            action = ("clean", "prune")[n % 2]
            n += 1
            code, out, err = run_cli(sys.executable, "cache", action, "--cache-dir", tmp_cache, env=env)
            cleaner_runs.append(action)
            if code != 0 or "Traceback" in err or "internal error" in err:
                problems.append(("cache", action, code, err))

    thread = threading.Thread(target=cleaner, name="cache-cleaner", daemon=True)
    thread.start()
    installs = 0
    try:
        venv = None
        while time.monotonic() < stop or installs < 4:
            if installs % 3 == 0:
                venv = venv_factory(name="race%d" % installs)
            packages = RACE_INSTALLS[installs % len(RACE_INSTALLS)]
            code, out, err = run_cli(venv.python, "pip-install", *packages, "--reinstall",
                                     "--cache-dir", tmp_cache, env=env)
            installs += 1
            if code != 0 or "Traceback" in err or "internal error" in err:
                problems.append(("pip-install",) + packages + (code, err))
            elif "big==1.0" in packages:
                assert_installed_whole(venv.site_packages, "big", "1.0")
    finally:
        thread.join(RACE_SECONDS + 120)
    assert not problems, "%d of %d installs and %d cache runs went wrong; first ones: %r" % (
        len(problems), installs, len(cleaner_runs), problems[:3])
    assert installs >= 4 and len(cleaner_runs) >= 4


# ---- 4. a damaged cache entry ----------------------------------------------------------------------

def archive_folder(cache: str, name: str) -> str:
    [folder] = [p for p in glob.glob(os.path.join(cache, "archive-v0", name, "*"))
                if len(os.path.basename(p)) == 64 and os.path.isdir(p)]
    return folder


def damage_cache(cache: str, how: str) -> None:
    if how == "deleted":
        os.unlink(os.path.join(archive_folder(cache, "sturdy"), "sturdy", "core.py"))
    elif how == "truncated":
        path = os.path.join(archive_folder(cache, "sturdy"), "sturdy", "data.txt")
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size // 2)
    else:
        entries = [p for p in glob.glob(os.path.join(cache, "**", "*.json"), recursive=True)
                   if "sturdy" in os.path.relpath(p, cache)]
        assert entries, "no JSON cache entry of sturdy to corrupt"
        for path in entries:
            with open(path, "wb") as f:
                f.write(b'{"sturdy": [1, 2')


@pytest.mark.parametrize("refresh", [False, True], ids=["plain", "refresh"])
@pytest.mark.parametrize("how", ["deleted", "truncated", "json"])
def test_a_damaged_cache_entry_is_noticed_and_replaced(how, refresh, env, server, venv_factory, tmp_cache):
    """A cached unzipped wheel missing or with a truncated file, or corrupt JSON entries: the next
    install is whole (with or without --refresh), with a warning that mentions the cache."""
    first = venv_factory(name="first")
    run_ok(first, env, "pip-install", "sturdy")
    damage_cache(tmp_cache, how)
    venv = venv_factory(name="second")
    _out, err = run_ok(venv, env, "pip-install", "sturdy", *(["--refresh"] if refresh else []))
    assert dist_infos(venv.site_packages) == {"sturdy": "1.0"}
    assert_installed_whole(venv.site_packages, "sturdy", "1.0")
    for path, content in STURDY_FILES.items():
        with open(os.path.join(venv.site_packages, *path.split("/")), "rb") as f:
            assert f.read() == content.encode("utf-8"), path
    assert support.run_python(venv, "import sturdy; print(sturdy.answer())") == "42"
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning: ")]
    assert any("cache" in ln for ln in warnings), err


# ---- 5. a wheel whose METADATA has another version than its name ----------------------------------

@pytest.mark.parametrize("how", ["index", "path"])
def test_a_wheel_whose_metadata_has_another_version_is_refused(how, env, venv_factory, tmp_path):
    """vmix-1.0-py3-none-any.whl whose METADATA says Version 2.0: refused (as uv and pip do),
    exit 2, both versions named, nothing installed."""
    venv = venv_factory()
    if how == "index":
        req = "vmix"
    else:
        wheels = tmp_path / "wheels"
        wheels.mkdir()
        req = str(wheels / "vmix-1.0-py3-none-any.whl")
        with open(req, "wb") as f:
            f.write(vmix_wheel())
    code, out, err = run_cli(venv.python, "pip-install", req, env=env)
    assert (code, out) == (2, ""), err
    text = "\n".join(error_lines(err))
    assert "internal error" not in text
    assert "vmix" in text and "1.0" in text and "2.0" in text, text
    assert dist_infos(venv.site_packages) == {}
    assert leftovers(venv.path) == []


# ---- 6. requirement files nested 600 deep, and cycles ---------------------------------------------

def write_chain(folder, depth: int, last: str) -> str:
    """r0.txt includes r1.txt ... includes r{depth-1}.txt, whose text is ``last``; returns r0.txt's path."""
    for i in range(depth - 1):
        support.write_file(folder / ("r%d.txt" % i), "-r r%d.txt\n" % (i + 1))
    support.write_file(folder / ("r%d.txt" % (depth - 1)), last)
    return str(folder / "r0.txt")


@pytest.mark.parametrize("command", ["pip-install", "pip-compile"])
def test_requirement_files_nested_600_deep_are_read(command, env, venv_factory, tmp_path):
    """r0.txt -r r1.txt ... -r r599.txt (which names solo==1.0): installed or compiled, no RecursionError."""
    venv = venv_factory()
    top = write_chain(tmp_path, 600, "solo==1.0\n")
    if command == "pip-install":
        code, out, err = run_cli(venv.python, "pip-install", "-r", top, env=env)
    else:
        code, out, err = run_cli(venv.python, "pip-compile", top, "--no-header", "--no-annotate", env=env)
    no_crash(err)
    assert code == 0, err
    if command == "pip-install":
        assert dist_infos(venv.site_packages) == {"solo": "1.0"}
    else:
        assert out == "solo==1.0\n"


@pytest.mark.parametrize("depth", [2, 600])
def test_a_cycle_of_requirement_files_is_a_clear_error_or_handled(depth, env, venv_factory, tmp_path):
    """r0.txt -r ... -r r{depth-1}.txt, which includes r0.txt again: a clear error naming the
    files (no RecursionError), or solo installed."""
    venv = venv_factory()
    top = write_chain(tmp_path, depth, "solo==1.0\n-r r0.txt\n")
    code, out, err = run_cli(venv.python, "pip-install", "-r", top, env=env)
    no_crash(err)
    if code == 0:
        assert dist_infos(venv.site_packages) == {"solo": "1.0"}
    else:
        assert code == 2, err
        text = "\n".join(error_lines(err))
        assert "cycle" in text and "r0.txt" in text, text[:2000]
        assert dist_infos(venv.site_packages) == {}


# ---- 7. a project name of 200 characters -------------------------------------------------------------

def test_a_project_with_a_200_character_name_installs_and_uninstalls(env, venv_factory):
    """A valid 200-character name: install, reinstall and uninstall work (no file name of
    puffin's over 255 bytes, such as its journal)."""
    venv = venv_factory()
    for args in (["pip-install", LONG_NAME], ["pip-install", LONG_NAME, "--reinstall"]):
        _out, err = run_ok(venv, env, *args)
        assert "too long" not in err, err
        assert dist_infos(venv.site_packages) == {LONG_NAME: "1.0"}
        assert_installed_whole(venv.site_packages, LONG_NAME, "1.0")
        code = "import %s as m; print(m.__version__)" % escape_name(LONG_NAME)
        assert support.run_python(venv, code) == "1.0"
        assert leftovers(venv.path) == []
    _out, err = run_ok(venv, env, "pip-uninstall", LONG_NAME)
    assert "too long" not in err, err
    assert site_names(venv) == []
    assert leftovers(venv.path) == []


# ---- 8. a marker that compares two strings -------------------------------------------------------------

@pytest.mark.parametrize("command", ["pip-install", "pip-compile"])
def test_a_marker_comparing_two_strings_is_an_error_naming_the_file_and_line(command, env, venv_factory,
                                                                             tmp_path):
    """`six ; "a" in "abc"` in a requirements file: exit 2, an error naming the file, line 1 and the marker."""
    venv = venv_factory()
    reqs = support.write_file(tmp_path / "requirements.txt", 'six ; "a" in "abc"\n')
    args = ["pip-install", "-r", reqs] if command == "pip-install" else ["pip-compile", reqs]
    code, out, err = run_cli(venv.python, *args, env=env)
    assert (code, out) == (2, ""), err
    lines = error_lines(err)
    text = "\n".join(lines)
    assert lines[0] != "error: abc"
    assert "internal error" not in text
    assert "requirements.txt" in text, text
    assert "requirements.txt:1" in text or "line 1" in text, text
    assert "marker" in text.lower(), text
    assert dist_infos(venv.site_packages) == {}


# ---- 9. credentials of an index and --emit-index-url -----------------------------------------------------

@pytest.mark.parametrize("how", ["netrc", "command-line"])
def test_an_emitted_index_url_has_no_credentials_and_the_lock_syncs(how, index_server, clean_env, tmp_cache,
                                                                    venv_factory, tmp_path):
    """pip-compile --emit-index-url with user:password in the index URL: the lock has neither the password nor
    `****`, and pip-sync of it works with the credentials from netrc or the command line."""
    user, password = "alice", "s3cret-pw"
    index_server.auth = (user, password)
    index_server.add_wheel("solo", "1.0")
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    auth_index = index_server.auth_url("/simple")
    src = support.write_file(tmp_path / "requirements.in", "solo\n")
    lock = str(tmp_path / "requirements.txt")
    code, out, err = run_cli(sys.executable, "pip-compile", src, "-o", lock, "--emit-index-url",
                             "--index-url", auth_index, env=env)
    assert code == 0, err
    with open(lock, encoding="utf-8") as f:
        text = f.read()
    assert password not in text
    used = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert any(ln.startswith("--index-url ") for ln in used), text
    assert not [ln for ln in used if "****" in ln], text
    assert "solo==1.0" in used
    venv = venv_factory()
    if how == "netrc":
        netrc = support.write_file(tmp_path / "netrc",
                                   "machine 127.0.0.1 login %s password %s\n" % (user, password))
        os.chmod(netrc, 0o600)
        code, out, err = run_cli(venv.python, "pip-sync", lock, env=dict(env, NETRC=netrc))
    else:
        code, out, err = run_cli(venv.python, "pip-sync", lock, "--index-url", auth_index, env=env)
    assert code == 0, err
    assert password not in err + out
    assert dist_infos(venv.site_packages) == {"solo": "1.0"}
    assert_installed_whole(venv.site_packages, "solo", "1.0")


# ---- 10. a full disk (a file size limit on the process) -------------------------------------------------

_LIMITED = ("import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (%d, %d)); "
            "os.execv(sys.argv[1], sys.argv[1:])" % (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def run_limited(venv, *args, env):
    """puffin.py ARGS in ``venv``'s Python, unable to write a file past 1 MiB (writes fail with EFBIG)."""
    proc = subprocess.run([sys.executable, "-c", _LIMITED, venv.python, support.PUFFIN_SCRIPT] + list(args),
                          env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE (POSIX)")
@pytest.mark.parametrize("where", ["unzip", "download", "copy"])
def test_a_full_disk_is_an_error_naming_the_file_that_could_not_be_written(where, env, server, venv_factory,
                                                                         tmp_cache):
    """A 2 MiB file that cannot be written (unzipping into the cache, downloading a wheel of
    unknown size, copying into the venv): exit 2, `error:` naming the path that could not be
    written (in the cache, or in the venv for the copy), no retries, nothing installed."""
    venv = venv_factory()
    args = ["pip-install", "hefty"]
    if where == "copy":
        run_ok(venv_factory(name="filler"), env, "pip-install", "hefty")
        args += ["--link-mode", "copy"]
    server.json = where != "download"  # an HTML page gives no size: the wheel goes through a file
    try:
        code, out, err = run_limited(venv, *args, env=env)
    finally:
        server.json = True
    assert code == 2, err
    lines = error_lines(err)
    assert "internal error" not in lines[0]
    assert "retries" not in "\n".join(lines), lines
    place = venv.path if where == "copy" else tmp_cache
    assert place in lines[0], lines
    assert dist_infos(venv.site_packages) == {}
    assert site_names(venv) == []
    assert leftovers(venv.path) == []
