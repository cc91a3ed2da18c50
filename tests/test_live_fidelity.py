"""Live fidelity: puffin.py installs the most downloaded PyPI projects exactly as pip does.

For the 40 projects pinned in ``fixtures/live_top40.txt`` (the top of the PyPI
download ranking, each at a version with a wheel for CPython 3.11 on Linux
x86_64), two bare virtual environments are filled in parallel: one by pip
(``pip --python VENV install --no-deps --no-compile -r live_top40.txt``) and
one by ``VENV/bin/python puffin.py pip-install --no-deps -r live_top40.txt``.
Both environments live at ``.../<side>/venv`` so that only the parent folder
differs; every file is compared with that folder's path replaced by a marker
(console-script shebangs name the interpreter).

What must be equal: the set of files and folders, every file's contents and
permission bits, and each RECORD line for line, except the INSTALLER file
(``pip`` vs ``puffin``) and the hash and size on the INSTALLER line of RECORD.
RECORD lines of files that name the environment's path (scripts) are compared
without their hash, and every RECORD line of both sides is checked against the
file it describes. Then ``pip uninstall -y`` of everything must leave in
puffin.py's environment no more than it leaves in pip's own. Finally,
``pip check`` must pass after puffin.py installs a few packages with their
dependencies.

pip comes from a venv the test makes (``python -m venv``, then upgraded to
the pip pinned in the list). Machine pip configuration is ignored
(``PIP_CONFIG_FILE`` is the null device). Network steps are retried.
The venvs (and so the installs) are made with a CPython 3.11 found on the
machine (``support.find_python``), whatever runs pytest; Linux x86_64 only.
"""

from __future__ import annotations

import base64
import csv
import difflib
import hashlib
import io
import os
import platform
import re
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
PUFFIN_SCRIPT = os.path.join(REPO_ROOT, "puffin.py")
TOP40_FILE = os.path.join(TESTS_DIR, "fixtures", "live_top40.txt")

TARGET_VERSION = "3.11"  # the pinned list has a wheel of each package for it
sys.path.insert(0, TESTS_DIR)
import support  # noqa: E402

TARGET_PYTHON = support.find_python(TARGET_VERSION)

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64",
                       reason="the pinned list has wheels for Linux x86_64"),
    pytest.mark.skipif(TARGET_PYTHON is None, reason="needs a CPython %s (pyenv or PATH)" % TARGET_VERSION),
]

# The lock file puffin.py takes on the environment while it changes it (uv keeps a
# `.lock` there the same way); not an installed file.
ENV_LOCK_FILES = {".puffin.lock"}

_NETWORK_TROUBLE = re.compile(
    r"(?i)timed? ?out|temporary failure in name resolution|name or service not known|"
    r"connection (?:reset|refused|aborted|error)|network|remote end closed|"
    r"max retries exceeded|read error|incomplete ?read|\b50[0-4]\b|eof occurred|ssl"
)
MARK = b"{VENV}"


# ---- helpers -----------------------------------------------------------------------------


def read_pins(path: str = TOP40_FILE) -> list:
    """(name, version) of each ``name==version`` line of the list, in file order."""
    pins = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, version = line.partition("==")
                pins.append((name.strip(), version.strip()))
    return pins


PINS = read_pins()


def live_env(tmp_root: str) -> dict:
    """The process environment without machine pip/uv/puffin settings, for subprocesses."""
    env = support.without_machine_settings()
    env["PIP_CONFIG_FILE"] = os.devnull  # no machine pip.conf (extra indexes, constraints)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PUFFIN_CACHE_DIR"] = shared_puffin_cache(tmp_root)
    return env


def shared_puffin_cache(tmp_root: str) -> str:
    """One puffin.py cache for every live test of this run (a fixed folder of the base temp)."""
    path = os.path.join(tmp_root, "live-puffin-cache")
    os.makedirs(path, exist_ok=True)
    return path


def run(cmd, env, cwd=None, timeout=900, attempts=3) -> subprocess.CompletedProcess:
    """Run ``cmd``; retry (up to ``attempts``) when it failed with what looks like network trouble."""
    for attempt in range(1, attempts + 1):
        proc = subprocess.run([os.fspath(c) for c in cmd], env=env, cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if proc.returncode == 0 or attempt == attempts or not _NETWORK_TROUBLE.search(proc.stderr + proc.stdout):
            return proc
        time.sleep(5 * attempt)
    return proc


def describe(proc: subprocess.CompletedProcess) -> str:
    return "$ %s\nexit %d\n--- stdout\n%s\n--- stderr\n%s" % (
        " ".join(proc.args), proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:])


def make_venv(path: str, env: dict, with_pip: bool = False) -> str:
    """Make a venv at ``path`` with the target CPython 3.11; return its python."""
    cmd = [TARGET_PYTHON, "-m", "venv"] + ([] if with_pip else ["--without-pip"]) + [path]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
    return os.path.join(path, "bin", "python")


def site_packages(venv: str) -> str:
    return os.path.join(venv, "lib", "python" + TARGET_VERSION, "site-packages")


def snapshot(root: str) -> dict:
    """Every entry under ``root``: rel path -> tuple describing it, with ``root`` replaced by a marker.

    Folders: ``("dir",)``; symlinks: ``("link", target)``; files:
    ``("file", permission bits, sha256 of the normalized contents, names-the-root)``.
    """
    rootb = os.fsencode(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if rel in ENV_LOCK_FILES:
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path).replace(root, MARK.decode()))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            else:
                with open(path, "rb") as f:
                    data = f.read()
                names_root = rootb in data
                out[rel] = ("file", oct(st.st_mode & 0o7777),
                            hashlib.sha256(data.replace(rootb, MARK)).hexdigest(), names_root)
    return out


def dist_infos(venv: str) -> dict:
    """canonical name -> dist-info folder name, in the venv's site-packages."""
    found = {}
    for entry in os.listdir(site_packages(venv)):
        if entry.endswith(".dist-info"):
            found[support.normalize_name(entry[:-len(".dist-info")].rsplit("-", 1)[0])] = entry
    return found


def record_rows(venv: str, dist_info: str) -> list:
    with open(os.path.join(site_packages(venv), dist_info, "RECORD"), encoding="utf-8", newline="") as f:
        return [row for row in csv.reader(f) if row]


def venv_rel(venv: str, record_path: str) -> str:
    """A RECORD path (relative to site-packages) as a path relative to the venv root."""
    return os.path.relpath(os.path.normpath(os.path.join(site_packages(venv), record_path)), venv)


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def normalized_record(venv: str, dist_info: str, snap: dict) -> list:
    """RECORD lines with the INSTALLER line's hash/size and those of root-naming files blanked."""
    lines = []
    for row in record_rows(venv, dist_info):
        path = row[0]
        rel = venv_rel(venv, path)
        entry = snap.get(rel)
        if path == dist_info + "/INSTALLER" or (entry and entry[0] == "file" and entry[3]):
            row = [path, "{NOT-COMPARED}", "{NOT-COMPARED}"]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(row)
        lines.append(out.getvalue())
    return lines


def record_errors(venv: str, dist_info: str) -> list:
    """RECORD lines whose hash or size does not describe the installed file."""
    errors = []
    for row in record_rows(venv, dist_info):
        path = row[0]
        full = os.path.join(venv, venv_rel(venv, path))
        if len(row) < 3 or not row[1]:
            if not path.endswith("/RECORD"):
                errors.append("%s: no hash in RECORD" % path)
            continue
        if not os.path.isfile(full):
            errors.append("%s: listed in RECORD but missing" % path)
            continue
        with open(full, "rb") as f:
            data = f.read()
        if record_hash(data) != row[1] or str(len(data)) != row[2]:
            errors.append("%s: RECORD says %s,%s; file is %s,%d" % (path, row[1], row[2], record_hash(data), len(data)))
    return errors


def text_diff(root_a: str, root_b: str, rel: str, limit: int = 30) -> str:
    """A short unified diff of a text file on both sides, each root replaced by the marker."""
    try:
        with open(os.path.join(root_a, rel), encoding="utf-8") as f:
            a = f.read().replace(root_a, MARK.decode()).splitlines()
        with open(os.path.join(root_b, rel), encoding="utf-8") as f:
            b = f.read().replace(root_b, MARK.decode()).splitlines()
    except (OSError, UnicodeDecodeError):
        return "    (binary or unreadable)"
    diff = list(difflib.unified_diff(a, b, "pip", "puffin.py", lineterm="", n=1))
    return "\n".join("    " + line for line in diff[:limit])


def compare_entries(rels, pip_venv, pip_snap, puf_venv, puf_snap) -> list:
    """Human-readable differences between the two sides for the given venv-relative paths."""
    problems = []
    for rel in sorted(rels):
        a, b = pip_snap.get(rel), puf_snap.get(rel)
        if a == b:
            continue
        if a is None:
            problems.append("only puffin.py installed %s" % rel)
        elif b is None:
            problems.append("puffin.py did not install %s" % rel)
        elif a[0] != b[0]:
            problems.append("%s: %s for pip, %s for puffin.py" % (rel, a[0], b[0]))
        elif a[0] == "file" and a[1] != b[1]:
            problems.append("%s: mode %s for pip, %s for puffin.py" % (rel, a[1], b[1]))
        elif a[0] == "file":
            problems.append("%s: contents differ\n%s" % (
                rel, text_diff(pip_venv, puf_venv, rel)))
        else:
            problems.append("%s: %r for pip, %r for puffin.py" % (rel, a, b))
    return problems


def package_problems(res, key: str, version: str) -> list:
    """Differences between pip's and puffin.py's install of one package (before any uninstall)."""
    pip_info, puf_info = res.pip_dists.get(key), res.puf_dists.get(key)
    if not (pip_info and pip_info.endswith("-%s.dist-info" % version)):
        return ["pip did not install %s==%s (dist-info %r)" % (key, version, pip_info)]
    if puf_info != pip_info:
        return ["dist-info folder: pip %s, puffin.py %s" % (pip_info, puf_info)]
    problems = []
    rels = {venv_rel(res.pip_venv, row[0]) for row in record_rows(res.pip_venv, pip_info)}
    rels |= {venv_rel(res.puf_venv, row[0]) for row in record_rows(res.puf_venv, puf_info)}
    info_dir = os.path.relpath(os.path.join(site_packages(res.puf_venv), puf_info), res.puf_venv)
    installer, record = os.path.join(info_dir, "INSTALLER"), os.path.join(info_dir, "RECORD")
    problems += compare_entries(rels - {installer, record}, res.pip_venv, res.pip_snap,
                                res.puf_venv, res.puf_snap)
    with open(os.path.join(res.puf_venv, installer), "rb") as f:
        if f.read() != b"puffin\n":
            problems.append("INSTALLER of puffin.py's install is not 'puffin'")
    pip_record = normalized_record(res.pip_venv, pip_info, res.pip_snap)
    puf_record = normalized_record(res.puf_venv, puf_info, res.puf_snap)
    if pip_record != puf_record:
        diff = difflib.unified_diff(pip_record, puf_record, "pip RECORD", "puffin.py RECORD", n=1)
        problems.append("RECORD differs (INSTALLER line and root-naming files not compared):\n"
                        + "".join("    " + line for line in list(diff)[:40]))
    problems += ["puffin.py RECORD: " + e for e in record_errors(res.puf_venv, puf_info)]
    return problems


# ---- the installs (once per module) ----------------------------------------------------------


class Installs:
    """What both installs left; filled by the ``installs`` fixture."""


def _install_all(cmd_for, env, cwd) -> dict:
    """Install everything in one go; on failure, package by package. name -> error text (failures)."""
    proc = run(cmd_for(["-r", TOP40_FILE]), env, cwd)
    if proc.returncode == 0:
        return {}
    failures = {}
    for name, version in PINS:
        one = run(cmd_for(["%s==%s" % (name, version)]), env, cwd)
        if one.returncode != 0:
            failures[support.normalize_name(name)] = describe(one)
    if not failures:  # the bulk run failed although every package installs alone
        failures["(all at once)"] = describe(proc)
    return failures


@pytest.fixture(scope="module")
def installs(tmp_path_factory) -> Installs:
    """Install the pinned list with pip and with puffin.py into twin venvs, snapshot, uninstall."""
    root = str(tmp_path_factory.mktemp("fidelity"))
    env = live_env(str(tmp_path_factory.getbasetemp()))
    res = Installs()
    res.started = time.monotonic()

    # pip's side: pip from its own venv, upgraded to the pinned pip, driving bare venvs with --python.
    tools_python = make_venv(os.path.join(root, "pip-tool"), env, with_pip=True)
    pip_pin = dict((support.normalize_name(n), v) for n, v in PINS).get("pip")
    if pip_pin:
        proc = run([tools_python, "-m", "pip", "install", "-q", "pip==" + pip_pin], env)
        assert proc.returncode == 0, "could not bring pip to the pinned version\n" + describe(proc)
    pip = [tools_python, "-m", "pip"]
    res.pip = pip

    res.pip_venv = os.path.join(root, "pip", "venv")
    res.puf_venv = os.path.join(root, "puffin", "venv")
    pip_python = make_venv(res.pip_venv, env)
    puf_python = make_venv(res.puf_venv, env)
    res.baseline = {"pip": snapshot(res.pip_venv), "puffin": snapshot(res.puf_venv)}
    res.env = env
    names = [n for n, _ in PINS]

    def pip_cmd(args):
        return pip + ["--python", pip_python, "install", "--no-deps", "--no-compile", "--retries", "5",
                      "--timeout", "60"] + args

    def puffin_cmd(args):
        return [puf_python, PUFFIN_SCRIPT, "pip-install", "--no-deps"] + args

    with ThreadPoolExecutor(2) as pool:
        pip_job = pool.submit(_install_all, pip_cmd, env, root)
        puf_job = pool.submit(_install_all, puffin_cmd, env, root)
        res.pip_failures, res.puf_failures = pip_job.result(), puf_job.result()
    res.install_seconds = time.monotonic() - res.started

    res.pip_snap = snapshot(res.pip_venv)
    res.puf_snap = snapshot(res.puf_venv)
    res.pip_dists = dist_infos(res.pip_venv)
    res.puf_dists = dist_infos(res.puf_venv)
    res.package_problems = {support.normalize_name(n): package_problems(res, support.normalize_name(n), v) for n, v in PINS}
    skip = set()
    for info in res.pip_dists.values():
        for leaf in ("INSTALLER", "RECORD"):
            skip.add(os.path.relpath(os.path.join(site_packages(res.pip_venv), info, leaf), res.pip_venv))
    rels = (set(res.pip_snap) | set(res.puf_snap)) - skip
    res.tree_problems = compare_entries(rels, res.pip_venv, res.pip_snap, res.puf_venv, res.puf_snap)

    # pip uninstalls everything from both sides; what it leaves behind is compared.
    res.uninstall = {}
    for side, python in (("pip", pip_python), ("puffin", puf_python)):
        proc = run(pip + ["--python", python, "uninstall", "-y"] + names, env, root)
        res.uninstall[side] = proc
    res.after_uninstall = {"pip": snapshot(res.pip_venv), "puffin": snapshot(res.puf_venv)}
    return res


# ---- tests -------------------------------------------------------------------------------------


def test_pinned_list_is_forty_distinct_projects():
    """The committed list pins 40 distinct projects, one exact version each."""
    names = [support.normalize_name(n) for n, _ in PINS]
    assert len(names) == 40 and len(set(names)) == 40
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", v) for _, v in PINS)


def test_puffin_installs_every_pinned_package(installs):
    """puffin.py installs all 40 pinned packages with --no-deps (pip does too)."""
    assert not installs.pip_failures, "pip itself failed:\n" + "\n\n".join(installs.pip_failures.values())
    assert not installs.puf_failures, "puffin.py failed:\n" + "\n\n".join(
        "[%s]\n%s" % item for item in installs.puf_failures.items())


@pytest.mark.parametrize("name,version", PINS, ids=[n for n, _ in PINS])
def test_package_files_and_record_match_pip(installs, name, version):
    """The package's files (contents, modes) and RECORD match pip's, INSTALLER aside."""
    key = support.normalize_name(name)
    if key in installs.pip_failures:
        pytest.skip("pip could not install %s==%s" % (name, version))
    assert key not in installs.puf_failures, installs.puf_failures[key]
    problems = installs.package_problems[key]
    assert not problems, "%s==%s differs from pip's install:\n%s" % (name, version, "\n".join(problems))


def test_no_file_differs_anywhere_in_the_environment(installs):
    """Walking both whole environments finds no difference beyond INSTALLER and RECORD files."""
    problems = installs.tree_problems
    assert not problems, "\n".join(problems[:60])


def test_pip_uninstall_removes_everything_puffin_installed(installs):
    """`pip uninstall -y` of all 40 leaves puffin.py's venv as it leaves pip's own: as it was."""
    for side in ("pip", "puffin"):
        assert installs.uninstall[side].returncode == 0, describe(installs.uninstall[side])
    left = {}
    for side in ("pip", "puffin"):
        base, after = installs.baseline[side], installs.after_uninstall[side]
        left[side] = {rel: v for rel, v in after.items() if base.get(rel) != v}
    extra = sorted(set(left["puffin"]) - set(left["pip"]))
    assert not extra, "pip uninstall left behind in puffin.py's venv (not in pip's own):\n" + "\n".join(extra[:60])


def test_pip_check_passes_after_installing_with_dependencies(tmp_path_factory):
    """After puffin.py installs requests, flask and pandas with dependencies, `pip check` passes."""
    root = str(tmp_path_factory.mktemp("check"))
    env = live_env(str(tmp_path_factory.getbasetemp()))
    python = make_venv(os.path.join(root, "venv"), env)
    proc = run([python, PUFFIN_SCRIPT, "pip-install", "requests", "flask", "pandas"], env, root)
    assert proc.returncode == 0, describe(proc)
    assert "warning" not in proc.stderr.lower(), describe(proc)

    # pip from the interpreter's own bundled copy, in a venv of its own, pointed at ours.
    pip_python = make_venv(os.path.join(root, "pip-tool"), env, with_pip=True)
    check = run([pip_python, "-m", "pip", "--python", python, "check"], env, root)
    assert check.returncode == 0, describe(check)
    assert "No broken requirements found" in check.stdout

    ours = run([python, PUFFIN_SCRIPT, "pip-check"], env, root)
    assert ours.returncode == 0, describe(ours)
    listed = run([pip_python, "-m", "pip", "--python", python, "list", "--format", "freeze"], env, root)
    names = {support.normalize_name(line.split("==")[0]) for line in listed.stdout.splitlines() if "==" in line}
    assert {"requests", "flask", "pandas", "numpy", "urllib3", "werkzeug"} <= names, listed.stdout
