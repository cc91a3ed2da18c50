"""`puffin.py pip-download`: resolve, then fill a folder (a wheelhouse) with every file,
and write a lock beside them that installs from that folder alone.

The tests run the script as users do against a local ``support.IndexServer`` (127.0.0.1
only), count the server's requests, look at the folder, then install from the folder
(moved elsewhere, with a fresh cache, every proxy pointing at a closed port and, where
``unshare -rn`` works, in a network namespace with no network at all).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import zipfile

import pytest

import support
from support import dist_infos, error_lines
from support import puffin_cli as puffin

# The wheels of the multi-target test are tagged for this platform (given explicitly, so the
# download does not depend on the machine; only installing them does).
X86_LINUX = "x86_64-manylinux_2_28"
ON_X86_LINUX = sys.platform.startswith("linux") and os.uname().machine == "x86_64"


# ---- helpers ------------------------------------------------------------------------------

def sha256_of(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def listing(folder) -> list:
    """The names in ``folder`` (sorted), [] when it does not exist."""
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def blocked(env: dict) -> dict:
    """``env`` with every proxy variable (both cases) pointing at a closed local port:
    any HTTP(S) request puffin makes fails."""
    env = dict(env)
    dead = "http://127.0.0.1:%d" % closed_port()
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[key] = env[key.lower()] = dead
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return env


def read_lock(path) -> tuple:
    """A requirements.txt written by pip-download: (option lines, {"name==version":
    (marker or None, [sha256 hex, ...])})."""
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    options, pins = [], {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--"):
            options.append(line)
            continue
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        req = line.split("--hash=")[0].strip()
        pin, _, marker = req.partition(";")
        pins[pin.strip()] = (marker.strip() or None, hashes)
    return options, pins


def load_toml(path) -> dict:
    """Parsed by tomllib where it exists (a reader other than puffin's own), else puffin's."""
    try:
        import tomllib
    except ImportError:  # Python 3.9, 3.10
        import puffin as puffin_module
        with open(path, encoding="utf-8") as f:
            return puffin_module.toml_loads(f.read())
    with open(path, "rb") as f:
        return tomllib.load(f)


def assert_lock_names_the_files(folder, unpinned=()):
    """Every --hash of DIR/requirements.txt is the sha256 of a file in DIR, and every
    distribution in DIR (but the ``unpinned`` filenames) is named by one: the lock and
    the folder agree."""
    _, pins = read_lock(os.path.join(folder, "requirements.txt"))
    in_folder = {sha256_of(os.path.join(folder, f)): f for f in listing(folder)
                 if f.endswith((".whl", ".tar.gz", ".zip")) and f not in unpinned}
    in_lock = {h for _, hashes in pins.values() for h in hashes}
    assert in_lock == set(in_folder), (in_lock, in_folder)


@pytest.fixture
def denv(clean_env, tmp_cache, index_server, tmp_path, monkeypatch):
    """The environment of a run: no machine settings, an empty cache, and the test's index
    server as the default index (so a stray index lookup is counted, never sent to PyPI).
    The working folder is the test's tmp_path (no uv.toml or pyproject.toml of the
    checkout is found from there)."""
    monkeypatch.chdir(tmp_path)
    return dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache, PUFFIN_INDEX_URL=index_server.index_url)


@pytest.fixture
def fresh_cache(tmp_path):
    """Return ``make() -> str``: a new empty cache folder each call."""
    made = []

    def make():
        path = tmp_path / ("cache-%d" % len(made))
        path.mkdir()
        made.append(path)
        return str(path)

    return make


def download(*args, env, cwd=None):
    return puffin(sys.executable, "pip-download", *args, env=env, cwd=cwd)


def publish_app(server):
    """app 1.0 -> lib>=1 (1.0 and 2.0 listed); an unrelated project beside them."""
    server.add_wheel("app", "1.0", deps=["lib>=1"])
    server.add_wheel("lib", "1.0")
    server.add_wheel("lib", "2.0")
    server.add_wheel("unrelated", "1.0")


APP_FILES = ["app-1.0-py3-none-any.whl", "lib-2.0-py3-none-any.whl"]


# ---- 1. a wheelhouse that installs elsewhere -------------------------------------------------

def test_download_fills_a_folder_with_a_hashed_relative_lock_that_installs_after_a_move(
        index_server, denv, venv_factory, tmp_path, fresh_cache):
    """app + its dependency land in DIR byte for byte; DIR/requirements.txt reads
    `--no-index`, `--find-links .` and one pin per file with its sha256, no absolute
    path; moved elsewhere, DIR2 installs into fresh venvs with pip-sync --offline and with
    pip-install -r --no-index --find-links DIR2, the index never asked."""
    publish_app(index_server)
    dest = tmp_path / "wh"
    code, out, err = download("app", "-d", dest, "--index-url", index_server.index_url, env=denv)
    assert code == 0, err
    assert out == ""
    assert "Resolved 2 packages for 1 target in [TIME]" in err
    assert "Downloaded 2 files (" in err and (") to %s in [TIME]" % dest) in err
    assert listing(dest) == APP_FILES + ["requirements.txt"]
    for filename in APP_FILES:
        assert read(dest / filename) == index_server.data(filename)
    assert index_server.requests_for("/files/unrelated*") == 0

    text = (dest / "requirements.txt").read_text()
    assert str(tmp_path) not in text and "127.0.0.1" not in text
    options, pins = read_lock(dest / "requirements.txt")
    assert options == ["--no-index", "--find-links ."]
    assert pins == {"app==1.0": (None, [sha256_of(dest / APP_FILES[0])]),
                    "lib==2.0": (None, [sha256_of(dest / APP_FILES[1])])}

    moved = tmp_path / "elsewhere" / "wh2"
    shutil.move(str(dest), str(moved))
    index_server.reset_counters()
    elsewhere = str(tmp_path / "elsewhere")
    venv = venv_factory(name="synced")
    code, _, err = puffin(venv.python, "pip-sync", moved / "requirements.txt", "--offline",
                          env=dict(denv, PUFFIN_CACHE_DIR=fresh_cache()), cwd=str(tmp_path))
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}
    support.assert_installed_whole(venv.site_packages, "lib", "2.0")

    other = venv_factory(name="installed")
    code, _, err = puffin(other.python, "pip-install", "-r", os.path.join("wh2", "requirements.txt"),
                          "--no-index", "--find-links", "wh2",
                          env=dict(denv, PUFFIN_CACHE_DIR=fresh_cache()), cwd=elsewhere)
    assert code == 0, err
    assert dist_infos(other.site_packages) == {"app": "1.0", "lib": "2.0"}
    assert index_server.total_requests == 0, index_server.paths()
    assert listing(moved) == APP_FILES + ["requirements.txt"]  # installing changed nothing there


def test_the_default_folder_is_the_current_one(index_server, denv, tmp_path):
    """Without -d the files and the lock go into the working folder."""
    publish_app(index_server)
    work = tmp_path / "here"
    work.mkdir()
    code, _, err = download("app", "--index-url", index_server.index_url, env=denv, cwd=str(work))
    assert code == 0, err
    assert listing(work) == APP_FILES + ["requirements.txt"]


def test_downloaded_files_are_readable_as_the_umask_allows(index_server, denv, tmp_path):
    """Every file in DIR has the mode a new file gets under the umask (as pip download's)."""
    publish_app(index_server)
    mask = os.umask(0o022)
    os.umask(mask)
    code, _, err = download("app", "-d", tmp_path / "wh", "--index-url", index_server.index_url, env=denv)
    assert code == 0, err
    modes = {f: oct(stat.S_IMODE(os.stat(tmp_path / "wh" / f).st_mode)) for f in listing(tmp_path / "wh")}
    assert modes == {f: oct(0o666 & ~mask) for f in modes}


# ---- 2. resuming --------------------------------------------------------------------------

def test_a_second_run_fetches_nothing_and_a_resumed_run_only_what_is_missing_or_wrong(
        index_server, denv, tmp_path, fresh_cache):
    """The folder itself is what a rerun resumes from (each rerun below has an empty cache):
    run 2 fetches no file and touches none; with one file deleted only it is fetched;
    a file with the wrong bytes is replaced by the right ones, the others left alone.
    With the first run's cache, a deleted file comes back from the cache, no request."""
    publish_app(index_server)
    dest = tmp_path / "wh"
    args = ("app", "-d", dest, "--index-url", index_server.index_url)
    code, _, err = download(*args, env=denv)
    assert code == 0, err
    assert index_server.requests_for("/files/*.whl") == 2
    before = support.file_stats(str(dest), ignore=["requirements.txt"])

    index_server.reset_counters()
    code, _, err = download(*args, env=dict(denv, PUFFIN_CACHE_DIR=fresh_cache()))
    assert code == 0, err
    assert index_server.requests_for("/files/*.whl") == 0, index_server.paths()
    assert "Downloaded 0 files (" in err and "; 2 files already there" in err
    assert support.file_stats(str(dest), ignore=["requirements.txt"]) == before

    os.unlink(dest / "lib-2.0-py3-none-any.whl")
    index_server.reset_counters()
    code, _, err = download(*args, env=dict(denv, PUFFIN_CACHE_DIR=fresh_cache()))
    assert code == 0, err
    assert index_server.requests_for("/files/*.whl") == 1, index_server.paths()
    assert index_server.requests_for("/files/lib-2.0-py3-none-any.whl") == 1
    assert "Downloaded 1 file (" in err and "; 1 file already there" in err
    assert read(dest / "lib-2.0-py3-none-any.whl") == index_server.data("lib-2.0-py3-none-any.whl")

    (dest / "app-1.0-py3-none-any.whl").write_bytes(b"not the wheel the lock names")
    lib_stat = os.stat(dest / "lib-2.0-py3-none-any.whl").st_mtime_ns
    index_server.reset_counters()
    code, _, err = download(*args, env=dict(denv, PUFFIN_CACHE_DIR=fresh_cache()))
    assert code == 0, err
    assert index_server.requests_for("/files/*.whl") == 1, index_server.paths()
    assert index_server.requests_for("/files/app-1.0-py3-none-any.whl") == 1
    assert "Downloaded 1 file (" in err and "; 1 file already there" in err
    assert read(dest / "app-1.0-py3-none-any.whl") == index_server.data("app-1.0-py3-none-any.whl")
    assert os.stat(dest / "lib-2.0-py3-none-any.whl").st_mtime_ns == lib_stat
    assert listing(dest) == APP_FILES + ["requirements.txt"]  # no temporary left behind
    assert_lock_names_the_files(str(dest))

    os.unlink(dest / "lib-2.0-py3-none-any.whl")
    index_server.reset_counters()
    code, _, err = download(*args, env=denv)  # the first run's cache has every wheel
    assert code == 0, err
    assert index_server.requests_for("/files/*") == 0, index_server.paths()
    assert read(dest / "lib-2.0-py3-none-any.whl") == index_server.data("lib-2.0-py3-none-any.whl")


# ---- 3. several targets in one run ----------------------------------------------------------

def publish_targets(server):
    """app needs lib (2.0 only for 3.10+), native (a cp39 wheel and a cp312 abi3 wheel,
    plus wheels no target takes), and old-only below 3.10."""
    server.add_wheel("app", "1.0", deps=["lib", "native", 'old-only ; python_version < "3.10"'])
    server.add_wheel("lib", "1.0")
    server.add_wheel("lib", "2.0", requires_python=">=3.10")
    for tag in ("cp39-cp39-manylinux_2_17_x86_64", "cp312-abi3-manylinux_2_17_x86_64",
                "cp311-cp311-manylinux_2_17_x86_64", "cp39-cp39-win_amd64",
                "cp39-cp39-manylinux_2_17_aarch64"):
        server.add_wheel("native", "1.0", tag=tag)
    server.add_wheel("old-only", "1.0")


TARGET_FILES = ["app-1.0-py3-none-any.whl", "lib-1.0-py3-none-any.whl", "lib-2.0-py3-none-any.whl",
                "native-1.0-cp312-abi3-manylinux_2_17_x86_64.whl",
                "native-1.0-cp39-cp39-manylinux_2_17_x86_64.whl", "old_only-1.0-py3-none-any.whl"]


def test_a_lock_downloads_each_file_once_whole_with_no_range_request_and_resumes(
        index_server, denv, tmp_path, fresh_cache):
    """A lock of pins: each file starts downloading as its page arrives and the
    resolver reads each wheel's METADATA from that download, so every file is
    fetched once, whole, with no range request; rerun into the same folder
    (empty cache), it fetches no file. (The index serves no PEP 658 files here,
    as PyPI's mirror seen from here does not: ranges would be the other way.)"""
    publish_app(index_server)
    index_server.pep658 = False
    lock_file = tmp_path / "lock.txt"
    lock_file.write_text("app==1.0\nlib==2.0\n")
    dest = tmp_path / "wh"
    args = ("-r", lock_file, "-d", dest, "--index-url", index_server.index_url)
    index_server.reset_counters()
    code, _, err = download(*args, env=denv)
    assert code == 0, err
    assert sorted(f for f in os.listdir(dest) if f.endswith(".whl")) == APP_FILES
    for name in APP_FILES:
        assert index_server.requests_for("/files/" + name) == 1, index_server.paths()
        assert read(dest / name) == index_server.data(name)
    assert [r.path for r in index_server.log if "range" in r.headers] == []

    index_server.reset_counters()
    code, _, err = download(*args, env=dict(denv, PUFFIN_CACHE_DIR=fresh_cache()))
    assert code == 0, err
    assert index_server.requests_for("/files/*.whl", method="GET") == len(
        [r for r in index_server.log if "range" in r.headers]), index_server.paths()  # metadata only
    assert "Downloaded 0 files (" in err and "; 2 files already there" in err


def test_two_python_versions_get_both_sets_of_files_and_markers_where_they_differ(
        index_server, denv, tmp_path):
    """--python-version 3.9 --python-version 3.12: each target's files land (and no
    other's); requirements.txt and pylock.toml pin what both share without a marker and
    what only one needs with `python_version == '...'`; a package both need at one
    version lists the hashes of both its files."""
    publish_targets(index_server)
    dest = tmp_path / "wh"
    code, _, err = download("app", "-d", dest, "--index-url", index_server.index_url,
                            "--python-version", "3.9", "--python-version", "3.12",
                            "--python-platform", X86_LINUX, "--lock-format", "both", env=denv)
    assert code == 0, err
    assert "Resolved 5 packages for 2 targets in [TIME]" in err
    assert listing(dest) == sorted(TARGET_FILES + ["pylock.toml", "requirements.txt"])
    for filename in TARGET_FILES:
        assert read(dest / filename) == index_server.data(filename)

    def h(filename):
        return sha256_of(dest / filename)

    _, pins = read_lock(dest / "requirements.txt")
    assert pins == {
        "app==1.0": (None, [h("app-1.0-py3-none-any.whl")]),
        "lib==1.0": ("python_version == '3.9'", [h("lib-1.0-py3-none-any.whl")]),
        "lib==2.0": ("python_version == '3.12'", [h("lib-2.0-py3-none-any.whl")]),
        "native==1.0": (None, sorted([h(TARGET_FILES[3]), h(TARGET_FILES[4])])),
        "old-only==1.0": ("python_version == '3.9'", [h("old_only-1.0-py3-none-any.whl")]),
    }
    lock = load_toml(dest / "pylock.toml")
    markers = {(p["name"], p["version"]): p.get("marker") for p in lock["packages"]}
    assert markers == {("app", "1.0"): None, ("lib", "1.0"): "python_version == '3.9'",
                       ("lib", "2.0"): "python_version == '3.12'", ("native", "1.0"): None,
                       ("old-only", "1.0"): "python_version == '3.9'"}
    native = [p for p in lock["packages"] if p["name"] == "native"][0]
    assert sorted(w["path"] for w in native["wheels"]) == sorted(TARGET_FILES[3:5])


@pytest.mark.skipif(not ON_X86_LINUX, reason="the wheels are for x86_64 Linux")
@pytest.mark.parametrize("python", ["3.9", "3.12"])
def test_each_target_installs_its_own_files_from_a_two_target_folder(
        index_server, denv, tmp_path, venv_factory, python, fresh_cache):
    """pip-sync of the two-target lock, offline, into a venv of each version installs
    that version's set: lib 1.0 + old-only on 3.9, lib 2.0 on 3.12, each its native wheel."""
    publish_targets(index_server)
    venv = venv_factory(python)   # skips when that Python is not here
    dest = tmp_path / "wh"
    code, _, err = download("app", "-d", dest, "--index-url", index_server.index_url,
                            "--python-version", "3.9", "--python-version", "3.12",
                            "--python-platform", X86_LINUX, env=denv)
    assert code == 0, err
    index_server.reset_counters()
    code, _, err = puffin(venv.python, "pip-sync", dest / "requirements.txt", "--offline",
                          env=blocked(dict(denv, PUFFIN_CACHE_DIR=fresh_cache())))
    assert code == 0, err
    want = {"3.9": {"app": "1.0", "lib": "1.0", "native": "1.0", "old-only": "1.0"},
            "3.12": {"app": "1.0", "lib": "2.0", "native": "1.0"}}[python]
    assert dist_infos(venv.site_packages) == want
    tag = "cp39-cp39" if python == "3.9" else "cp312-abi3"
    with open(os.path.join(venv.site_packages, "native-1.0.dist-info", "WHEEL")) as f:
        assert "Tag: %s-manylinux_2_17_x86_64" % tag in f.read()
    assert index_server.total_requests == 0, index_server.paths()


# ---- 4. sdists for a foreign target -----------------------------------------------------------

@pytest.mark.parametrize("platform", ["aarch64-manylinux_2_28", "macos"])
def test_a_foreign_target_refuses_an_sdist_only_project_unless_allowed(
        index_server, denv, tmp_path, platform):
    """Another platform's target takes wheels only: an sdist-only dependency is exit 1
    with an error naming it and nothing written; --allow-sdists downloads the sdist."""
    index_server.add_wheel("app", "1.0", deps=["srconly"])
    index_server.add_sdist("srconly", "1.0")
    dest = tmp_path / "wh"
    code, out, err = download("app", "-d", dest, "--index-url", index_server.index_url,
                              "--python-platform", platform, env=denv)
    assert code == 1, err
    assert out == ""
    lines = error_lines(err)
    assert "srconly" in lines[0]
    assert "no wheels" in lines[0]
    assert listing(dest) == []
    assert index_server.requests_for("/files/*.whl") == 0  # nothing fetched for a failed resolution

    code, _, err = download("app", "-d", dest, "--index-url", index_server.index_url,
                            "--python-platform", platform, "--allow-sdists", env=denv)
    assert code == 0, err
    assert listing(dest) == ["app-1.0-py3-none-any.whl", "requirements.txt", "srconly-1.0.tar.gz"]
    assert read(dest / "srconly-1.0.tar.gz") == index_server.data("srconly-1.0.tar.gz")
    _, pins = read_lock(dest / "requirements.txt")
    assert pins["srconly==1.0"] == (None, [sha256_of(dest / "srconly-1.0.tar.gz")])


def test_this_machine_takes_an_sdist_without_being_told(index_server, denv, tmp_path):
    """The target Python itself may build: its sdist-only project is downloaded as the sdist."""
    index_server.add_sdist("srconly", "1.0")
    code, _, err = download("srconly", "-d", tmp_path / "wh", "--index-url", index_server.index_url,
                            env=denv)
    assert code == 0, err
    assert listing(tmp_path / "wh") == ["requirements.txt", "srconly-1.0.tar.gz"]


def test_the_foreign_target_error_points_at_allow_sdists(index_server, denv, tmp_path):
    """The hint of that error names --allow-sdists (and not options the user did not pass)."""
    index_server.add_sdist("srconly", "1.0")
    code, _, err = download("srconly", "-d", tmp_path / "wh", "--index-url", index_server.index_url,
                            "--python-platform", "aarch64-manylinux_2_28", env=denv)
    assert code == 1
    assert "--allow-sdists" in err
    assert "--no-build" not in err


# ---- 5. --build and --include-build-deps ------------------------------------------------------

def publish_buildable(server):
    """srconly: an sdist whose [build-system] requires buildhelper (-> helperdep), served
    as wheels; it needs lib at run time."""
    server.add_sdist("srconly", "1.0", deps=["lib"], build_requires=["buildhelper>=1"])
    server.add_wheel("lib", "1.0")
    server.add_wheel("buildhelper", "1.0", deps=["helperdep"])
    server.add_wheel("buildhelper", "0.5")
    server.add_wheel("helperdep", "1.0")


def test_build_turns_this_machines_sdists_into_wheels_in_the_folder(
        index_server, denv, tmp_path, venv_factory, fresh_cache):
    """--build: DIR gets srconly's wheel (built once, with its build requirements from the
    index) instead of the sdist, the lock pins the wheel's hash, and the folder installs
    offline with no build."""
    publish_buildable(index_server)
    log = tmp_path / "build.log"
    env = dict(denv, PUFFIN_TEST_BUILD_LOG=str(log))
    dest = tmp_path / "wh"
    code, _, err = download("srconly", "-d", dest, "--index-url", index_server.index_url, "--build", env=env)
    assert code == 0, err
    assert listing(dest) == ["lib-1.0-py3-none-any.whl", "requirements.txt", "srconly-1.0-py3-none-any.whl"]
    assert log.read_text().splitlines().count("build_wheel srconly 1.0") == 1
    assert_lock_names_the_files(str(dest))
    with zipfile.ZipFile(dest / "srconly-1.0-py3-none-any.whl") as zf:
        assert "srconly/__init__.py" in zf.namelist()

    log.write_text("")
    venv = venv_factory()
    index_server.reset_counters()
    code, _, err = puffin(venv.python, "pip-sync", dest / "requirements.txt", "--offline",
                          env=blocked(dict(env, PUFFIN_CACHE_DIR=fresh_cache())))
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"lib": "1.0", "srconly": "1.0"}
    assert log.read_text() == ""  # installed from the built wheel: nothing to build
    assert index_server.total_requests == 0, index_server.paths()


def sdist_building(name: str, version: str, tag: str) -> bytes:
    """An sdist of the support backend whose build makes a wheel tagged ``tag`` (as a
    C extension's build makes a wheel for one Python only)."""
    tree = support.sdist_tree(name, version)
    config = json.loads(tree["puffin_test_backend.json"])
    config["tag"] = tag
    tree["puffin_test_backend.json"] = json.dumps(config).encode("utf-8")
    top = "%s-%s" % (support.escape_name(name), version)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tf:
        for path, data in tree.items():
            info = tarfile.TarInfo("%s/%s" % (top, path))
            info.size, info.mtime, info.mode = len(data), 315532800, 0o644
            tf.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_build_keeps_the_sdist_for_another_target_that_needs_it(index_server, denv, tmp_path):
    """--build for this machine's Python plus another version that may take sdists: DIR has
    the wheel built here and the sdist for the other target, and the lock names both."""
    here = "%d.%d" % sys.version_info[:2]
    other = "3.12" if here != "3.12" else "3.11"
    tag = "cp%d%d-none-any" % sys.version_info[:2]
    index_server.add("ext-1.0.tar.gz", sdist_building("ext", "1.0", tag), metadata=False)
    dest = tmp_path / "wh"
    code, _, err = download("ext", "-d", dest, "--index-url", index_server.index_url, "--build",
                            "--allow-sdists", "--python-version", here, "--python-version", other,
                            env=denv)
    assert code == 0, err
    assert listing(dest) == ["ext-1.0-%s.whl" % tag, "ext-1.0.tar.gz", "requirements.txt"]
    assert_lock_names_the_files(str(dest))


def test_include_build_deps_downloads_what_the_sdist_needs_to_build_offline(
        index_server, denv, tmp_path, venv_factory, fresh_cache):
    """--include-build-deps: the sdist's [build-system] requires (buildhelper, with its own
    dependency helperdep) join the folder, named in a comment of the lock but not pinned
    (they are not installed); pip-sync of it, offline with the network blocked, builds
    srconly with them from the folder alone and installs only srconly and lib."""
    publish_buildable(index_server)
    log = tmp_path / "build.log"
    env = dict(denv, PUFFIN_TEST_BUILD_LOG=str(log))
    dest = tmp_path / "wh"
    code, _, err = download("srconly", "-d", dest, "--index-url", index_server.index_url,
                            "--include-build-deps", env=env)
    assert code == 0, err
    assert "Resolved 4 packages for 1 target" in err
    assert listing(dest) == ["buildhelper-1.0-py3-none-any.whl", "helperdep-1.0-py3-none-any.whl",
                             "lib-1.0-py3-none-any.whl", "requirements.txt", "srconly-1.0.tar.gz"]
    _, pins = read_lock(dest / "requirements.txt")
    assert sorted(pins) == ["lib==1.0", "srconly==1.0"]
    comments = [ln for ln in (dest / "requirements.txt").read_text().splitlines() if ln.startswith("#")]
    assert "#    buildhelper==1.0 helperdep==1.0" in comments
    assert_lock_names_the_files(str(dest), unpinned=["buildhelper-1.0-py3-none-any.whl",
                                                     "helperdep-1.0-py3-none-any.whl"])

    venv = venv_factory()
    index_server.reset_counters()
    code, _, err = puffin(venv.python, "pip-sync", dest / "requirements.txt", "--offline",
                          env=blocked(dict(env, PUFFIN_CACHE_DIR=fresh_cache())))
    assert code == 0, err
    assert "build_wheel srconly 1.0" in log.read_text().splitlines()
    assert dist_infos(venv.site_packages) == {"lib": "1.0", "srconly": "1.0"}
    assert index_server.total_requests == 0, index_server.paths()


# ---- 6. pylock.toml ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["pylock", "both"])
def test_lock_format_pylock_writes_a_pep751_lock_of_relative_paths_that_installs_offline(
        index_server, denv, tmp_path, venv_factory, fresh_cache, fmt):
    """--lock-format pylock writes pylock.toml only (both: requirements.txt too): valid TOML,
    lock-version 1.0, each package with its wheel by path relative to DIR, size and sha256;
    moved elsewhere, pip-sync DIR2/pylock.toml --offline (nothing else: every file is in the
    folder, so no index is asked) installs it with the network blocked."""
    publish_app(index_server)
    dest = tmp_path / "wh"
    code, _, err = download("app", "-d", dest, "--index-url", index_server.index_url,
                            "--lock-format", fmt, env=denv)
    assert code == 0, err
    locks = ["pylock.toml"] + (["requirements.txt"] if fmt == "both" else [])
    assert listing(dest) == sorted(APP_FILES + locks)
    text = (dest / "pylock.toml").read_text()
    assert str(tmp_path) not in text and "127.0.0.1" not in text
    lock = load_toml(dest / "pylock.toml")
    assert lock["lock-version"] == "1.0"
    assert [(p["name"], p["version"]) for p in lock["packages"]] == [("app", "1.0"), ("lib", "2.0")]
    for package, filename in zip(lock["packages"], APP_FILES):
        [wheel] = package["wheels"]
        assert wheel["path"] == filename
        assert wheel["hashes"] == {"sha256": sha256_of(dest / filename)}
        assert wheel["size"] == os.path.getsize(dest / filename)

    moved = tmp_path / "elsewhere" / "wh2"
    shutil.move(str(dest), str(moved))
    venv = venv_factory()
    index_server.reset_counters()
    code, _, err = puffin(venv.python, "pip-sync", moved / "pylock.toml", "--offline",
                          env=blocked(dict(denv, PUFFIN_CACHE_DIR=fresh_cache())), cwd=str(tmp_path))
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}
    assert index_server.total_requests == 0, index_server.paths()


# ---- 7. --dry-run and --report ------------------------------------------------------------------

def test_dry_run_names_the_files_and_downloads_nothing(index_server, denv, tmp_path):
    """--dry-run: `Would download FILE` per file, no folder made, no file fetched (only metadata)."""
    publish_app(index_server)
    dest = tmp_path / "wh"
    code, out, err = download("app", "-d", dest, "--index-url", index_server.index_url, "--dry-run",
                              env=denv)
    assert code == 0, err
    assert out == ""
    assert [ln for ln in err.splitlines() if ln.startswith("Would download")] == [
        "Would download app-1.0-py3-none-any.whl", "Would download lib-2.0-py3-none-any.whl"]
    assert not dest.exists()
    assert index_server.requests_for("/files/*.whl") == 0, index_server.paths()


@pytest.mark.parametrize("dry_run", [True, False])
def test_report_dash_prints_pips_installation_report_on_stdout(index_server, denv, tmp_path, dry_run):
    """--report -: stdout is only pip's report JSON (version 1): each package with its
    metadata, its URL and sha256, `requested` for app only; the messages stay on stderr."""
    publish_app(index_server)
    dest = tmp_path / "wh"
    code, out, err = download("app", "-d", dest, "--index-url", index_server.index_url,
                              "--report", "-", *(["--dry-run"] if dry_run else []), env=denv)
    assert code == 0, err
    report = json.loads(out)
    assert report["version"] == "1"
    installs = {i["metadata"]["name"]: i for i in report["install"]}
    assert sorted(installs) == ["app", "lib"]
    assert installs["app"]["requested"] is True and installs["lib"]["requested"] is False
    assert installs["lib"]["metadata"]["version"] == "2.0"
    assert installs["app"]["metadata"]["requires_dist"] == ["lib>=1"]
    for name, filename in zip(("app", "lib"), APP_FILES):
        info = installs[name]["download_info"]
        assert info["url"] == index_server.file_url(filename)
        assert info["archive_info"]["hashes"] == {"sha256": support.sha256(index_server.data(filename))}
    assert "python_version" in report["environment"]
    assert "Resolved 2 packages" in err
    assert listing(dest) == ([] if dry_run else APP_FILES + ["requirements.txt"])


# ---- 8. installing with no network at all ---------------------------------------------------------

def test_the_folder_installs_with_the_network_blocked_and_the_index_gone(
        index_server, denv, tmp_path, venv_factory, fresh_cache):
    """Every proxy variable at a closed port and the index still up: pip-sync DIR/requirements.txt
    (no --offline) into a fresh venv with an empty cache succeeds and the index sees no
    request; then with the index stopped too, it succeeds again."""
    publish_app(index_server)
    dest = tmp_path / "wh"
    code, _, err = download("app", "-d", dest, "--index-url", index_server.index_url, env=denv)
    assert code == 0, err

    index_server.reset_counters()
    venv = venv_factory(name="a")
    code, _, err = puffin(venv.python, "pip-sync", dest / "requirements.txt",
                          env=blocked(dict(denv, PUFFIN_CACHE_DIR=fresh_cache())))
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}
    assert index_server.total_requests == 0, index_server.paths()

    index_server.stop()
    other = venv_factory(name="b")
    code, _, err = puffin(other.python, "pip-sync", dest / "requirements.txt", "--index-url",
                          "http://127.0.0.1:%d/simple" % closed_port(),
                          env=blocked(dict(denv, PUFFIN_CACHE_DIR=fresh_cache())))
    assert code == 0, err
    assert dist_infos(other.site_packages) == {"app": "1.0", "lib": "2.0"}


def _unshare() -> list:
    """["unshare", "-rn"] when this user may make a user + network namespace, else []."""
    exe = shutil.which("unshare")
    if exe is None:
        return []
    try:
        ok = subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return [exe, "-rn"] if ok else []


def test_the_folder_installs_in_a_namespace_without_a_network(
        index_server, denv, tmp_path, venv_factory, fresh_cache):
    """Under `unshare -rn` (no network interface up, not even loopback), pip-sync
    DIR/requirements.txt --offline fills a fresh venv; the index sees no request."""
    jail = _unshare()
    if not jail:
        pytest.skip("unshare -rn is not permitted here")
    publish_app(index_server)
    dest = tmp_path / "wh"
    code, _, err = download("app", "-d", dest, "--index-url", index_server.index_url, env=denv)
    assert code == 0, err
    venv = venv_factory()
    env = blocked(dict(denv, PUFFIN_CACHE_DIR=fresh_cache()))
    probe = subprocess.run(jail + [venv.python, "-c", "import socket; socket.create_connection(%r, 5)"
                                   % (("127.0.0.1", index_server.port),)],
                           env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0, "the namespace reached the index"
    index_server.reset_counters()
    proc = subprocess.run(jail + [venv.python, support.PUFFIN_SCRIPT, "pip-sync",
                                  str(dest / "requirements.txt"), "--offline"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}
    assert index_server.total_requests == 0, index_server.paths()


# ---- 9. errors ------------------------------------------------------------------------------------

def test_dest_naming_a_file_is_an_error_that_leaves_the_file_alone(index_server, denv, tmp_path):
    """-d FILE: exit 2, one error naming FILE (no traceback), FILE unchanged, nothing beside it."""
    publish_app(index_server)
    (tmp_path / "box").mkdir()
    target = tmp_path / "box" / "afile"
    target.write_text("mine\n")
    code, out, err = download("app", "-d", target, "--index-url", index_server.index_url, env=denv)
    assert code == 2, err
    assert out == ""
    assert str(target) in error_lines(err)[0]
    assert target.read_text() == "mine\n"
    assert listing(tmp_path / "box") == ["afile"]


def test_dest_naming_a_file_says_it_is_not_a_folder(index_server, denv, tmp_path):
    publish_app(index_server)
    target = tmp_path / "afile"
    target.write_text("mine\n")
    code, _, err = download("app", "-d", target, "--index-url", index_server.index_url, env=denv)
    assert code == 2
    first = error_lines(err)[0].lower()
    assert "not a directory" in first or "not a folder" in first, first


def test_the_lock_never_overwrites_the_requirements_file_it_was_read_from(index_server, denv, tmp_path):
    """-r requirements.txt in the folder being filled: the input is left as it was (whether
    the run refuses, or writes its lock elsewhere)."""
    publish_app(index_server)
    project = tmp_path / "project"
    project.mkdir()
    mine = "app  # what my project needs\n"
    (project / "requirements.txt").write_text(mine)
    code, _, err = download("-r", "requirements.txt", "--index-url", index_server.index_url, env=denv,
                            cwd=str(project))
    assert "Traceback" not in err
    assert code == 2 and "it is an input of this command" in err
    assert (project / "requirements.txt").read_text() == mine


def test_an_unknown_package_is_exit_1_and_writes_nothing(index_server, denv, tmp_path):
    """A project the index does not have: exit 1, an error naming it as not found, no folder."""
    publish_app(index_server)
    dest = tmp_path / "wh"
    code, out, err = download("app", "nosuch", "-d", dest, "--index-url", index_server.index_url, env=denv)
    assert code == 1, err
    assert out == ""
    first = error_lines(err)[0]
    assert "nosuch" in first and "not found" in first, first
    assert listing(dest) == []
    assert index_server.requests_for("/files/*.whl") == 0


def test_nothing_to_download_is_a_usage_error(denv, tmp_path):
    code, _, err = download("-d", tmp_path / "wh", env=denv)
    assert code == 2
    assert error_lines(err)[0] == "error: nothing to download: name packages, or pass -r FILE"
    assert not (tmp_path / "wh").exists()


@pytest.mark.parametrize("fault", ["wrong index hash", "corrupt body"])
def test_a_hash_mismatch_is_exit_2_and_leaves_no_half_file(index_server, denv, tmp_path, fault):
    """The bytes of lib's wheel are not those the index's sha256 names (a wrong listing, or a
    body corrupted in transit): exit 2, `Hash mismatch for lib-2.0-...`, no lib file (whole or
    partial) and no lock in DIR; what did verify (app) is whole."""
    index_server.add_wheel("app", "1.0", deps=["lib>=1"])
    if fault == "wrong index hash":
        index_server.add_wheel("lib", "2.0", hashes={"sha256": "0" * 64})
    else:
        index_server.add_wheel("lib", "2.0")
        index_server.inject("/files/lib-2.0-py3-none-any.whl", "corrupt", times=None)
    dest = tmp_path / "wh"
    code, out, err = download("app", "-d", dest, "--index-url", index_server.index_url, env=denv)
    assert code == 2, err
    assert out == ""
    lines = error_lines(err)
    assert lines[0] == "error: Hash mismatch for `lib-2.0-py3-none-any.whl`"
    stripped = [ln.strip() for ln in lines]
    assert "Expected:" in stripped and "Computed:" in stripped
    assert [f for f in listing(dest) if f != "app-1.0-py3-none-any.whl"] == []
    if listing(dest):
        assert read(dest / "app-1.0-py3-none-any.whl") == index_server.data("app-1.0-py3-none-any.whl")
