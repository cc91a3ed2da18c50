#!/usr/bin/env python3
"""Install the most-downloaded PyPI projects with puffin.py and with pip, and compare.

    scripts/install_many.py [-n 500] [--jobs 2]
    scripts/install_many.py --refresh-list RANKING.tsv [-n 500]

For each of the first N entries of scripts/top_wheels.txt (pinned `name==version`
lines, most downloaded first, each with a wheel for CPython 3.11 on manylinux
x86_64), it makes an empty venv, runs `VENV/bin/python puffin.py pip-install
--no-deps NAME==VERSION` and records the files that appeared; then it makes the
venv again at the same path and does the same with `pip --python VENV/bin/python
install --no-deps --no-compile`. Both installs land at the same path, so the
two file trees can be compared byte for byte: names, contents and the
executable bit, ignoring `__pycache__`, the INSTALLER file and RECORD's lines for
INSTALLER, REQUESTED, direct_url.json and `__pycache__` (RECORD rows are compared
as a set: their order is free), and puffin.py's `.puffin.lock` in the venv. The table goes to stdout and BUILD/install-many.md.

`--refresh-list RANKING.tsv` re-makes scripts/top_wheels.txt from a ranking
(tab-separated, a header line with a `name` column and a column whose name starts
with `rank`): it asks PyPI for the files of each project, in rank order, and pins the
newest final release that has a fitting wheel, until N projects are found. It must run under CPython 3.11 on
x86_64 Linux with `packaging` installed, since the wheel tags come from there.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUFFIN = os.path.join(REPO, "puffin.py")
LIST = os.path.join(REPO, "scripts", "top_wheels.txt")
TIMEOUT = 900  # seconds for one install (some wheels are hundreds of MB)


def clean_env(**extra: str) -> dict:
    """The caller's environment without index settings (PIP_*, UV_*, PUFFIN_*,
    pip.conf), so both installers use the default index."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "PUFFIN_"))
           and k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env.update(extra)
    return env


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ----------------------------------------------------------------------------
# The committed list
# ----------------------------------------------------------------------------

def read_list(path: str) -> list:
    """[(name, version)] of the `name==version` lines, in order."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, version = line.partition("==")
                entries.append((name.strip(), version.strip()))
    return entries


def read_ranking(path: str) -> list:
    """Project names of a ranking TSV, best rank first."""
    # Plain tab splitting: summaries hold stray quotes that a csv reader would join.
    with open(path, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        name_col = head.index("name")
        rank_col = next(i for i, h in enumerate(head) if h.startswith("rank"))
        ranked = []
        for line in f:
            row = line.rstrip("\n").split("\t")
            if len(row) > rank_col and row[rank_col].strip().isdigit():
                ranked.append((int(row[rank_col]), row[name_col]))
    return [name for _, name in sorted(ranked)]


def wheel_verdict(name: str, tags: set, timeout: float = 60) -> tuple:
    """(version, note) of the newest final release of name that has a wheel for
    tags (note: '' or a remark), else (None, reason)."""
    import urllib.error
    import urllib.request
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import (InvalidSdistFilename, InvalidWheelFilename,
                                 parse_sdist_filename, parse_wheel_filename)

    request = urllib.request.Request(f"https://pypi.org/simple/{canonical(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            files = json.load(resp).get("files", [])
    except urllib.error.HTTPError as e:
        return None, f"HTTP {e.code}"
    except (OSError, ValueError) as e:
        return None, f"lookup failed: {e}"
    pyver = "%d.%d.%d" % sys.version_info[:3]
    fitting, every = set(), set()
    for f in files:
        filename = f["filename"]
        try:
            if filename.endswith(".whl"):
                _, version, _, file_tags = parse_wheel_filename(filename)
            else:
                (_, version), file_tags = parse_sdist_filename(filename), frozenset()
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        if version.is_prerelease or f.get("yanked"):
            continue
        every.add(version)
        try:
            if f.get("requires-python") and pyver not in SpecifierSet(f["requires-python"]):
                continue
        except InvalidSpecifier:
            pass
        if file_tags & tags:
            fitting.add(version)
    if not fitting:
        latest = f"; latest {max(every)}" if every else ""
        return None, f"no wheel for CPython 3.11 manylinux x86_64{latest}"
    best, latest = max(fitting), max(every)
    return str(best), ("" if best == latest else f"latest {latest} has no wheel that fits")


def refresh_list(ranking: str, n: int, out: str) -> None:
    """Write the first n ranked projects whose latest release has a fitting wheel."""
    import platform
    from packaging.tags import sys_tags
    if sys.version_info[:2] != (3, 11) or platform.machine() != "x86_64" \
            or not sys.platform.startswith("linux"):
        sys.exit("--refresh-list must run under CPython 3.11 on x86_64 Linux")
    tags = set(sys_tags())
    lines, found = [], 0
    for name in read_ranking(ranking):
        if found >= n:
            break
        version, note = wheel_verdict(name, tags)
        if version is None:
            lines.append(f"# skip {name}: {note}")
        else:
            lines.append(f"{name}=={version}" + (f"  # {note}" if note else ""))
            found += 1
        print(lines[-1], file=sys.stderr, flush=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write("# The most-downloaded PyPI projects that have a wheel for CPython 3.11 on\n"
                "# manylinux x86_64, each pinned to its newest final release with such a wheel,\n"
                "# most downloaded first; projects left out are comments that say why.\n"
                f"# Made on {time.strftime('%Y-%m-%d')} by "
                f"`scripts/install_many.py --refresh-list RANKING.tsv -n {n}`.\n")
        f.write("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------
# Installing and comparing
# ----------------------------------------------------------------------------

def snapshot(root: str) -> dict:
    """relpath -> (sha256, executable, small text or None) for files and
    ('link', target, None) for symlinks; __pycache__ left out. The text of small
    files in bin/ and *.dist-info/ is kept to show how they differ."""
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for d in dirnames:  # symlinked folders are not walked: record the link
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                tree[os.path.relpath(full, root)] = ("link", os.readlink(full), None)
        for fn in filenames:
            full = os.path.join(dirpath, fn)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                tree[rel] = ("link", os.readlink(full), None)
                continue
            with open(full, "rb") as f:
                data = f.read()
            if rel.endswith(".dist-info/RECORD"):
                data = normalized_record(data)
            keep = len(data) < 20000 and (rel.startswith("bin" + os.sep) or ".dist-info" + os.sep in rel)
            executable = bool(os.stat(full).st_mode & stat.S_IXUSR)
            tree[rel] = (hashlib.sha256(data).hexdigest(), executable,
                         data.decode("utf-8", "replace") if keep else None)
    return tree


def normalized_record(data: bytes) -> bytes:
    ignored = ("/INSTALLER", "/REQUESTED", "/direct_url.json")
    rows = []
    for row in csv.reader(io.StringIO(data.decode("utf-8", "replace"))):
        if not row:
            continue
        path = row[0]
        if path.endswith(ignored) or "__pycache__" in path:
            continue
        rows.append(",".join(row))
    return "\n".join(sorted(rows)).encode()


# Files an installer leaves beside the packages, not part of any package:
# puffin.py's environment lock (uv leaves a `.lock` there likewise).
ENV_FILES = {".puffin.lock"}


def installed_files(before: dict, after: dict) -> dict:
    """What an install added or changed, without INSTALLER files."""
    return {p: v for p, v in after.items()
            if before.get(p) != v and not p.endswith(".dist-info/INSTALLER")
            and p not in ENV_FILES}


class Slot:
    """A folder where one job installs one project at a time."""

    def __init__(self, path: str, python: str):
        self.path = path
        self.venv = os.path.join(path, "venv")
        self.python = python

    def fresh(self) -> dict:
        shutil.rmtree(self.venv, ignore_errors=True)
        os.makedirs(self.path, exist_ok=True)
        subprocess.run([self.python, "-m", "venv", "--without-pip", self.venv], check=True,
                       env=clean_env(), stdin=subprocess.DEVNULL)
        return snapshot(self.venv)


def run(argv: list, env: dict, cwd: str) -> tuple:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired:
        out, rc = f"timed out after {TIMEOUT}s", -1
    return rc, out, time.perf_counter() - t0


def error_text(output: str, limit: int = 600) -> str:
    """The lines from the first error on (or the last lines), for the table."""
    lines = [ln.rstrip() for ln in output.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if ln.lower().startswith(("error", "traceback")):
            lines = lines[i:]
            break
    else:
        lines = lines[-6:]
    text = " / ".join(lines)
    return text if len(text) <= limit else text[:limit] + "..."


def first_difference(a: str, b: str) -> str:
    """Where two texts first differ, as `line N: puffin.py 'x' vs pip 'y'`."""
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<end>"
        y = lb[i] if i < len(lb) else "<end>"
        if x != y:
            return f"line {i + 1}: puffin.py {x[:100]!r} vs pip {y[:100]!r}"
    return "same lines, different bytes (line endings?)"


def compare(a: dict, b: dict) -> list:
    """Differences between puffin.py's tree a and pip's tree b."""
    diffs = []
    for p in sorted(set(a) | set(b)):
        if p not in b:
            diffs.append(f"only puffin.py: {p}")
        elif p not in a:
            diffs.append(f"only pip: {p}")
        elif a[p][0] == "link" or b[p][0] == "link":
            if a[p] != b[p]:
                diffs.append(f"symlink differs: {p} (puffin.py {a[p][:2]}, pip {b[p][:2]})")
        elif a[p][0] != b[p][0]:
            where = ""
            if a[p][2] is not None and b[p][2] is not None:
                where = " (" + first_difference(a[p][2], b[p][2]) + ")"
            diffs.append(f"content differs: {p}{where}")
        elif a[p][1] != b[p][1]:
            diffs.append(f"executable bit differs: {p} (puffin.py {a[p][1]}, pip {b[p][1]})")
    return diffs


def diff_kind(diff: str) -> str:
    """A diff line reduced to its kind, to count projects per kind."""
    what, _, path = diff.partition(": ")
    path = path.split(" (", 1)[0]
    if path.startswith("bin" + os.sep):
        where = "bin/ script"
    elif path.endswith(".dist-info/RECORD"):
        where = "RECORD"
    elif ".dist-info" + os.sep in path:
        where = "dist-info/" + path.rsplit(os.sep, 1)[-1]
    elif "site-packages" + os.sep in path:
        where = "site-packages file"
    else:
        where = "other file"
    return f"{what}: {where}"


def install_one(slot: Slot, name: str, version: str, opts) -> dict:
    req = f"{name}=={version}"
    py = os.path.join(slot.venv, "bin", "python")
    result = {"name": name, "version": version}

    before = slot.fresh()
    rc, out, secs = run([py, PUFFIN, "pip-install", "--no-deps", "--cache-dir",
                         opts.puffin_cache, req], clean_env(), slot.path)
    result["puffin_ok"], result["puffin_secs"] = rc == 0, secs
    result["puffin_error"] = "" if rc == 0 else error_text(out)
    puffin_tree = installed_files(before, snapshot(slot.venv)) if rc == 0 else {}

    before = slot.fresh()
    rc, out, secs = run([opts.pip_python, "-m", "pip", "--python", py, "install",
                         "--no-deps", "--no-compile", "-q", req],
                        clean_env(PIP_CACHE_DIR=opts.pip_cache), slot.path)
    result["pip_ok"], result["pip_secs"] = rc == 0, secs
    result["pip_error"] = "" if rc == 0 else error_text(out)
    pip_tree = installed_files(before, snapshot(slot.venv)) if rc == 0 else {}

    result["diffs"] = compare(puffin_tree, pip_tree) if result["puffin_ok"] and result["pip_ok"] else []
    if result["puffin_ok"] and result["pip_ok"] and not puffin_tree:
        result["diffs"].append("nothing was installed")
    result["files"] = len(pip_tree)
    return result


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------

def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(results: list, header: str) -> str:
    both = [r for r in results if r["puffin_ok"] and r["pip_ok"]]
    same = [r for r in both if not r["diffs"]]
    differ = [r for r in both if r["diffs"]]
    puffin_only = [r for r in results if not r["puffin_ok"] and r["pip_ok"]]
    pip_only = [r for r in results if r["puffin_ok"] and not r["pip_ok"]]
    neither = [r for r in results if not r["puffin_ok"] and not r["pip_ok"]]
    out = [f"# install-many: puffin.py vs pip, {len(results)} projects", "", header, "",
           "| result | projects |", "|---|---|",
           f"| installed by both, same files | {len(same)} |",
           f"| installed by both, files differ | {len(differ)} |",
           f"| failed by puffin.py only | {len(puffin_only)} |",
           f"| failed by pip only | {len(pip_only)} |",
           f"| failed by both | {len(neither)} |", ""]
    if puffin_only:
        out += ["## Failed by puffin.py only", "", "| project | puffin.py's error |", "|---|---|"]
        out += [f"| {r['name']}=={r['version']} | {cell(r['puffin_error'])} |" for r in puffin_only]
        out.append("")
    if differ:
        kinds = {}
        for r in differ:
            for k in sorted({diff_kind(d) for d in r["diffs"]}):
                kinds.setdefault(k, []).append(r["name"])
        out += ["## Kinds of differences", "", "| kind | projects | examples |", "|---|---|---|"]
        out += [f"| {cell(k)} | {len(v)} | {', '.join(v[:5])} |" for k, v in sorted(kinds.items())]
        out += [""]
        out += ["## Installed by both, files differ", "", "| project | differences |", "|---|---|"]
        for r in differ:
            shown = r["diffs"][:8] + ([f"... {len(r['diffs']) - 8} more"] if len(r["diffs"]) > 8 else [])
            out.append(f"| {r['name']}=={r['version']} | {cell('<br>'.join(shown))} |")
        out.append("")
    if pip_only:
        out += ["## Failed by pip only", "", "| project | pip's error |", "|---|---|"]
        out += [f"| {r['name']}=={r['version']} | {cell(r['pip_error'])} |" for r in pip_only]
        out.append("")
    if neither:
        out += ["## Failed by both", "", "| project | puffin.py's error | pip's error |", "|---|---|---|"]
        out += [f"| {r['name']}=={r['version']} | {cell(r['puffin_error'])} | {cell(r['pip_error'])} |"
                for r in neither]
        out.append("")
    out += ["## All projects", "", "| # | project | puffin.py | pip | files | puffin.py s | pip s |",
            "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(results, 1):
        files = ("same" if not r["diffs"] else f"{len(r['diffs'])} differ") if r in both else "-"
        out.append(f"| {i} | {r['name']}=={r['version']} | {'ok' if r['puffin_ok'] else 'FAIL'} "
                   f"| {'ok' if r['pip_ok'] else 'FAIL'} | {files} | {r['puffin_secs']:.1f} "
                   f"| {r['pip_secs']:.1f} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500, help="how many projects (default 500)")
    parser.add_argument("--jobs", type=int, default=2, help="projects installed at once (default 2)")
    parser.add_argument("--list", default=LIST, help="the list of name==version lines")
    parser.add_argument("--refresh-list", metavar="RANKING",
                        help="re-make the list from this ranking TSV and stop")
    parser.add_argument("--python", help="the CPython that makes the venvs "
                        "(default: the one behind this script's interpreter)")
    parser.add_argument("--pip", help="a Python with pip to run pip from "
                        "(default: BUILD/bench/tools/bin/python if there, else this one)")
    parser.add_argument("--build", default=os.path.join(REPO, "build"), help="the build folder")
    opts = parser.parse_args(argv)

    if opts.refresh_list:
        refresh_list(opts.refresh_list, opts.n, opts.list)
        return 0
    build = os.path.abspath(opts.build)
    root = os.path.join(build, "install-many")
    python = os.path.abspath(opts.python) if opts.python else (
        getattr(sys, "_base_executable", None) or sys.executable)
    tools_py = os.path.join(build, "bench", "tools", "bin", "python")
    opts.pip_python = os.path.abspath(opts.pip) if opts.pip else (
        tools_py if os.path.exists(tools_py) else sys.executable)
    opts.puffin_cache = os.path.join(root, "cache", "puffin")
    opts.pip_cache = os.path.join(root, "cache", "pip")
    entries = read_list(opts.list)[:opts.n]
    if len(entries) < opts.n:
        print(f"install-many: the list has only {len(entries)} projects; "
              f"`--refresh-list RANKING.tsv -n {opts.n}` makes a longer one", file=sys.stderr)

    pip_version = subprocess.run([opts.pip_python, "-m", "pip", "--version"], env=clean_env(),
                                 stdout=subprocess.PIPE).stdout.decode().split()[1]
    puffin_version = subprocess.run([python, PUFFIN, "--version"], stdout=subprocess.PIPE,
                                    env=clean_env()).stdout.decode().split()[-1]
    header = (f"puffin.py {puffin_version} and pip {pip_version}, `--no-deps`, into a fresh "
              f"CPython {'%d.%d.%d' % sys.version_info[:3]} venv each, "
              f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(header, file=sys.stderr)

    free = [Slot(os.path.join(root, f"slot{i}"), python) for i in range(max(1, opts.jobs))]
    lock = threading.Lock()

    def job(index_entry):
        i, (name, version) = index_entry
        with lock:
            slot = free.pop()
        try:
            r = install_one(slot, name, version, opts)
        finally:
            with lock:
                free.append(slot)
        state = ("ok" if not r["diffs"] else f"{len(r['diffs'])} DIFFS") if r["puffin_ok"] and r["pip_ok"] \
            else f"puffin.py {'ok' if r['puffin_ok'] else 'FAIL'}, pip {'ok' if r['pip_ok'] else 'FAIL'}"
        print(f"[{i + 1}/{len(entries)}] {name}=={version}: {state}", file=sys.stderr, flush=True)
        return r

    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
        results = list(pool.map(job, enumerate(entries)))
    header += f", took {time.time() - t0:.0f}s"
    text = markdown(results, header)
    os.makedirs(build, exist_ok=True)
    with open(os.path.join(build, "install-many.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(root, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    print(text)
    return 1 if any(not r["puffin_ok"] and r["pip_ok"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
