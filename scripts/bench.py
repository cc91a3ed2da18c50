#!/usr/bin/env python3
"""Benchmark puffin.py against uv, pip and pip-tools, in one run.

    scripts/bench.py [--quick] [--loaded] [--tools VENV] [--reps N] [--slow-reps N]
                     [--only compile|universal|sync|download|seed|startup]
    scripts/bench.py --relock          # re-make the pip-sync locks with uv

What it measures (the sets are in scripts/bench_sets/):

- pip-compile, cold (empty cache) and warm (cache filled), of `jupyter.in` and
  `popular25.in`: puffin.py vs `uv pip compile` vs pip-tools' `pip-compile`;
- universal pip-compile (one lock for every platform and every Python from
  3.9 on), cold and warm, of the same two sets: `puffin.py pip-compile
  --universal --python-version 3.9` vs `uv pip compile --universal
  --python-version 3.9` (pip-tools has no universal mode); the lines (name,
  version, marker as a set of environments) are compared with uv's;
- pip-sync of the locks `small.txt` (7 pure-Python packages) and `large.txt`
  (~110 packages with numpy, pandas, scipy, django): cold (empty cache, fresh
  venv), warm (filled cache, fresh venv) and no-op (the same venv again):
  puffin.py vs `uv pip sync` vs `pip install --no-deps --no-compile -r LOCK`.
  puffin.py runs there both ways, side by side: as a script (the `puffin.py`
  column: `VENV/bin/python puffin.py pip-sync LOCK`) and installed (the
  `installed` column: puffin.py is installed once per bench run into its own
  tool venv BUILD/bench/puffin-tool with `python puffin.py self install
  --python TOOLVENV/bin/python`, so as a module with its bytecode and a
  launcher, and runs as `TOOLVENV/bin/puffin pip-sync --python VENV/bin/python
  LOCK`). Beside the script path's warm small sync the report gives the time
  to compile puffin.py (read and `compile()` in one process, best of 3,
  measured once per bench run), so what the script path spends above the
  compile is visible;
- download of the lock `large.txt` into a fresh empty folder, cold (empty
  cache) and warm (filled cache): `puffin.py pip-download -r LOCK -d DIR` vs
  `pip download -r LOCK -d DIR --no-deps` (the lock is complete, so pip need
  not resolve; puffin.py resolves it as pins, which comes to the same), with
  puffin.py both ways as for sync (the script, and the installed launcher:
  `TOOLVENV/bin/puffin pip-download ...`, its own ratio to pip). uv has no
  download command: its cell stays empty. Afterwards the folders must hold
  a file for every pin of the lock (a note in the report otherwise);
- seed, warm: a new venv with pip (and setuptools and wheel before Python
  3.12): `puffin.py venv DIR --seed` vs `uv venv DIR --seed --python PY` vs
  `python -m venv DIR` (the stdlib way, with ensurepip), in the pip column.
  One unmeasured seed of each tool first fills its cache;
- startup (with the sync scenarios, or alone with `--only startup`):
  `TOOLVENV/bin/puffin --version` (the installed launcher) vs
  `TOOLVENV/bin/python -c pass`, best of 20 each, interleaved; the script
  path's `python puffin.py --version` is shown beside them. Target: the
  launcher at most 1.5x `python -c pass` (wall time).

Every run is timed twice: wall time, and CPU time (user + sys of the child
and its waited-for children: the delta of `resource.getrusage(RUSAGE_CHILDREN)`
around the run). The report has a wall-time table and a CPU-time table, each
with the ratio to uv. A tool that waits on the network shows it in wall time;
a CPU regression shows in CPU time even when the network hides it.

`--loaded` runs a CPU hog during the timed runs: one busy-loop process
(`python -c "while True: pass"`, pinned to no CPU), started before the first
run and killed after the last (it is reaped only then, so its CPU time never
lands in a run's rusage delta). The report header says the run was loaded.

The disk is flushed before every timed command, so no run pays for the
writeback of the one before it. Each tool has its own cache folder under
BUILD/bench/cache/ (download and seed their own too: download-TOOL and
seed-TOOL there), every run gets a fresh venv (made with `python -m venv
--without-pip` for puffin.py and uv; a copy of a venv with the newest pip for
pip), and puffin.py runs as `VENV/bin/python puffin.py pip-sync LOCK`, its
main job, and (sync only) as `TOOLVENV/bin/puffin pip-sync --python
VENV/bin/python LOCK`, with a cache of its own. Runs are interleaved
(every repetition runs each tool once, in a rotating order) and the tables show
medians, so a noisy machine or network hurts every tool alike. pip runs with
`--no-compile` because neither puffin.py nor uv compile bytecode by default.
Everything runs on the real interpreter (the one behind this script's venv,
or --python), never a pyenv shim, which costs hundreds of milliseconds a call.

`--tools VENV` is a virtual environment that has `uv` and `pip-tools`
installed (default BUILD/bench/tools). Index settings of the calling
environment (PIP_*, UV_*, PUFFIN_* variables, pip.conf, uv.toml) are ignored
so that every tool talks to the default index. PYTHONDONTWRITEBYTECODE is
unset in every environment the bench runs a command in (the caller may have
it set): Python then caches bytecode as it normally would. The installed path
reads the bytecode `self install` compiled either way (the variable only
stops writing), but unset is how users run it; the script path never has its
main file cached (Python compiles a script on every run), which is what the
compile time beside the warm small sync shows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUFFIN = os.path.join(REPO, "puffin.py")
SETS = os.path.join(REPO, "scripts", "bench_sets")
TIMEOUT = 1800  # seconds for one command; pip-compile of jupyter cold is slow

COMPILE_SETS = ["jupyter", "popular25"]
SYNC_SETS = ["small", "large"]
DOWNLOAD_SETS = ["large"]
QUICK_COMPILE_SETS = ["popular25"]
QUICK_SYNC_SETS = ["small"]
INSTALLED = "puffin (installed)"   # puffin.py installed by `self install`, run by its launcher
STARTUP_REPS = 20
STARTUP_TARGET = 1.5   # max launcher --version / `python -c pass`, wall time
HOG_CODE = "while True: pass"

# (kind, phase) -> (max puffin/uv, min other/puffin); None: no target.
TARGETS = {
    ("compile", "cold"): (2.0, 3.0),
    ("compile", "warm"): (3.0, 3.0),
    ("universal", "cold"): (2.0, None),   # issue 17: within 2x uv cold, no slower warm
    ("universal", "warm"): (1.0, None),
    ("sync", "cold"): (1.5, None),
    ("sync", "warm"): (1.0, 10.0),  # "faster than uv": strictly below 1.0
    ("sync", "no-op"): (3.0, None),
    ("download", "cold"): (None, 5.0),  # uv has no download command
    ("download", "warm"): (None, None),
    ("seed", "warm"): (None, None),
}


# ----------------------------------------------------------------------------
# Environment and tools
# ----------------------------------------------------------------------------

def clean_env(**extra: str) -> dict:
    """The caller's environment without anything that points a tool at another
    index or configuration, so every tool sees the same default index."""
    drop_prefixes = ("PIP_", "UV_", "PUFFIN_")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(drop_prefixes)
           and k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME",
                         "PYTHONDONTWRITEBYTECODE")}
    env["PIP_CONFIG_FILE"] = os.devnull       # no pip.conf anywhere
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env["UV_NO_PROGRESS"] = "1"
    env.update(extra)
    return env


def base_python(requested: str | None) -> str:
    """The interpreter that makes the benchmark venvs: --python, else the
    interpreter behind the one running this script (never a venv's)."""
    if requested:
        return os.path.abspath(requested)
    base = getattr(sys, "_base_executable", None) or sys.executable
    return base if os.path.exists(base) else sys.executable


def child_cpu() -> float:
    """User + sys seconds of this process's waited-for children so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run(argv: list, env: dict, cwd: str, sync: bool = True) -> tuple:
    """Run argv; return (wall seconds, CPU seconds, returncode, stderr tail).

    CPU seconds are user + sys of the child (and of the children it waited
    for): the delta of getrusage(RUSAGE_CHILDREN) around the run. The disk is
    flushed first (``os.sync``): a cold run leaves about a gigabyte of dirty
    pages and deleted files behind, and without this their writeback and
    discards land on whichever tool happens to run next."""
    if sync and hasattr(os, "sync"):
        os.sync()
    c0 = child_cpu()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, child_cpu() - c0, -1, f"timed out after {TIMEOUT}s"
    elapsed = time.perf_counter() - t0
    cpu = child_cpu() - c0
    out = (proc.stderr or b"").decode("utf-8", "replace")
    if proc.returncode != 0:
        out += (proc.stdout or b"").decode("utf-8", "replace")
    return elapsed, cpu, proc.returncode, out


def check_call(argv: list, env: dict | None = None, cwd: str | None = None) -> None:
    subprocess.run(argv, env=env or clean_env(), cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def tool_version(argv: list) -> str:
    try:
        out = subprocess.run(argv, env=clean_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=120).stdout
        return out.decode().strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


class Bench:
    """Paths and commands of one benchmark run."""

    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.root = os.path.join(self.build, "bench")
        self.tools = os.path.abspath(args.tools or os.path.join(self.root, "tools"))
        self.python = base_python(args.python)
        self.uv = os.path.join(self.tools, "bin", "uv")
        self.tools_python = os.path.join(self.tools, "bin", "python")
        self.work = os.path.join(self.root, "work")
        self.pip_template = os.path.join(self.root, "pip-template")
        self.tool_venv = os.path.join(self.root, "puffin-tool")   # puffin.py installed
        self.launcher = os.path.join(self.tool_venv, "bin", "puffin")
        for path in (self.uv, self.tools_python):
            if not os.path.exists(path):
                sys.exit(f"bench: {path} is missing: make a venv with uv and pip-tools "
                         f"(`make bench-setup`) or pass --tools VENV")
        os.makedirs(self.work, exist_ok=True)

    # -- folders -----------------------------------------------------------
    @staticmethod
    def slug(tool: str) -> str:
        """tool as a folder name: "puffin (installed)" -> "puffin-installed"."""
        return re.sub(r"[^A-Za-z0-9.]+", "-", tool).strip("-")

    def cache(self, tool: str, kind: str = "") -> str:
        """tool's cache folder; download and seed (kind) keep their own."""
        tool = self.slug(tool)
        return os.path.join(self.root, "cache", f"{kind}-{tool}" if kind else tool)

    def clear_cache(self, tool: str, kind: str = "") -> None:
        shutil.rmtree(self.cache(tool, kind), ignore_errors=True)

    def venv(self, tool: str) -> str:
        return os.path.join(self.root, "venvs", self.slug(tool))

    def fresh_venv(self, tool: str) -> str:
        """A new empty venv for tool (a copy of the pip template for pip)."""
        path = self.venv(tool)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if tool == "pip":
            shutil.copytree(self.pip_template, path, symlinks=True)
        else:
            check_call([self.python, "-m", "venv", "--without-pip", path])
        return path

    def make_pip_template(self) -> None:
        """A venv with the newest pip, copied for every pip run (ensurepip is slow)."""
        marker = os.path.join(self.pip_template, ".ready")
        if os.path.exists(marker):
            return
        shutil.rmtree(self.pip_template, ignore_errors=True)
        check_call([self.python, "-m", "venv", self.pip_template])
        check_call([os.path.join(self.pip_template, "bin", "python"), "-m", "pip",
                    "install", "-q", "--upgrade", "pip"])
        open(marker, "w").close()

    def install_self(self) -> str:
        """Install puffin.py into a fresh tool venv with `self install` (module,
        bytecode, launcher); '' when that worked, else what went wrong."""
        shutil.rmtree(self.tool_venv, ignore_errors=True)
        check_call([self.python, "-m", "venv", "--without-pip", self.tool_venv])
        tool_py = os.path.join(self.tool_venv, "bin", "python")
        secs, _, rc, err = run([self.python, PUFFIN, "self", "install", "--cache-dir",
                                self.cache("self-install"), "--python", tool_py],
                               clean_env(), self.work)
        if rc != 0:
            return f"`self install` failed (exit {rc}): " + " ".join(err.strip().splitlines()[-3:])
        if not os.access(self.launcher, os.X_OK):
            return f"`self install` left no launcher at {self.launcher}"
        pycs = [f for _, _, files in os.walk(os.path.join(self.tool_venv, "lib"))
                for f in files if f.startswith("puffin.") and f.endswith(".pyc")]
        if not pycs:
            return f"`self install` left no bytecode of puffin in {self.tool_venv}"
        log(f"  puffin.py installed into {self.tool_venv} in {secs:.2f}s ({pycs[0]})")
        return ""

    # -- commands ----------------------------------------------------------
    def compile_cmd(self, tool: str, src: str, out: str, universal: bool = False) -> tuple:
        """(argv, env) of one pip-compile of src into out (a universal lock when asked)."""
        cache = self.cache(tool)
        target = ["--universal", "--python-version", "3.9"] if universal else ["--python", self.python]
        if tool == "puffin.py":
            return ([self.python, PUFFIN, "pip-compile", "--cache-dir", cache] + target + [src, "-o", out],
                    clean_env())
        if tool == "uv":
            return ([self.uv, "pip", "compile", "--no-config", "--cache-dir", cache] + target + [src, "-o", out],
                    clean_env())
        # pip-tools keeps its own dependency cache; pip under it keeps HTTP and wheels.
        return ([self.tools_python, "-m", "piptools", "compile", "--quiet",
                 "--cache-dir", os.path.join(cache, "piptools"), "-o", out, src],
                clean_env(PIP_CACHE_DIR=os.path.join(cache, "pip")))

    def sync_cmd(self, tool: str, lock: str, venv: str) -> tuple:
        """(argv, env) of one sync of lock into venv."""
        cache = self.cache(tool)
        py = os.path.join(venv, "bin", "python")
        if tool == "puffin.py":
            return [py, PUFFIN, "pip-sync", "--cache-dir", cache, lock], clean_env()
        if tool == INSTALLED:
            return ([self.launcher, "pip-sync", "--cache-dir", cache, "--python", py, lock],
                    clean_env())
        if tool == "uv":
            return ([self.uv, "pip", "sync", "--no-config", "--cache-dir", cache,
                     "--python", py, lock], clean_env())
        return ([py, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "-r", lock],
                clean_env(PIP_CACHE_DIR=cache))

    def download_cmd(self, tool: str, lock: str, dest: str) -> tuple:
        """(argv, env) of one download of lock's files into dest (no uv: it has none)."""
        cache = self.cache(tool, "download")
        if tool == "puffin.py":
            return ([self.python, PUFFIN, "pip-download", "-r", lock, "-d", dest,
                     "--cache-dir", cache], clean_env())
        if tool == INSTALLED:
            return ([self.launcher, "pip-download", "-r", lock, "-d", dest, "--cache-dir", cache],
                    clean_env())
        # pip from the template venv: `pip download` installs nothing into it.
        return ([os.path.join(self.pip_template, "bin", "python"), "-m", "pip", "download",
                 "-q", "--no-deps", "-r", lock, "-d", dest], clean_env(PIP_CACHE_DIR=cache))

    def seed_cmd(self, tool: str, venv: str) -> tuple:
        """(argv, env) of making the seeded venv venv (pip: the stdlib's venv, with ensurepip)."""
        cache = self.cache(tool, "seed")
        if tool == "puffin.py":
            return [self.python, PUFFIN, "venv", venv, "--seed", "--cache-dir", cache], clean_env()
        if tool == "uv":
            return ([self.uv, "venv", venv, "--seed", "--no-config", "--cache-dir", cache,
                     "--python", self.python], clean_env())
        return [self.python, "-m", "venv", venv], clean_env()


# ----------------------------------------------------------------------------
# Checks of what the tools produced
# ----------------------------------------------------------------------------

def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: str) -> dict:
    """name -> version of the `name==version` lines of a requirements file."""
    pins = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\#]+)", line)
                if m:
                    pins[canonical(m.group(1))] = m.group(3)
    except OSError:
        pass
    return pins


def installed(venv: str) -> dict:
    """name -> version of the dist-info folders in venv's site-packages."""
    found = {}
    lib = os.path.join(venv, "lib")
    for pyver in os.listdir(lib) if os.path.isdir(lib) else ():
        site = os.path.join(lib, pyver, "site-packages")
        for entry in os.listdir(site) if os.path.isdir(site) else ():
            if entry.endswith(".dist-info"):
                name, _, version = entry[:-len(".dist-info")].partition("-")
                found[canonical(name)] = version
    return found


def files_in(folder: str) -> int:
    """How many files are under folder."""
    return sum(len(files) for _, _, files in os.walk(folder))


def downloaded(folder: str) -> set:
    """(name, version) of the wheels and sdists in folder."""
    found = set()
    for entry in os.listdir(folder) if os.path.isdir(folder) else ():
        if entry.endswith(".whl"):
            parts = entry[:-4].split("-")
            if len(parts) >= 5:
                found.add((canonical(parts[0]), parts[1].lower()))
            continue
        for ext in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
            if entry.endswith(ext):
                name, _, version = entry[:-len(ext)].rpartition("-")
                if name:
                    found.add((canonical(name), version.lower()))
    return found


def pin_diff(expected: dict, got: dict, ignore=()) -> str:
    """'' when got matches expected, else a short description."""
    parts = []
    for name in sorted(set(expected) | set(got)):
        if name in ignore:
            continue
        a, b = expected.get(name), got.get(name)
        if a != b:
            parts.append(f"{name} {a or '-'} vs {b or '-'}")
    if not parts:
        return ""
    more = f" (+{len(parts) - 6} more)" if len(parts) > 6 else ""
    return "; ".join(parts[:6]) + more


# ----------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------

class Results:
    """Wall and CPU times per (kind, set, phase, tool), plus notes on failures
    and mismatches, the compile time of puffin.py and the startup times."""

    def __init__(self):
        self.times = {}
        self.cpu = {}
        self.failures = {}
        self.notes = []
        self.compile_time = None   # (wall, cpu) of compiling puffin.py, or None
        self.startup = {}          # label -> (best wall, best cpu), or None when it failed

    def add(self, key: tuple, tool: str, seconds: float, cpu: float, rc: int, err: str) -> None:
        if rc == 0:
            self.times.setdefault(key, {}).setdefault(tool, []).append(seconds)
            self.cpu.setdefault(key, {}).setdefault(tool, []).append(cpu)
        else:
            self.times.setdefault(key, {}).setdefault(tool, [])
            self.cpu.setdefault(key, {}).setdefault(tool, [])
            tail = "\n".join(err.strip().splitlines()[-6:])
            self.failures.setdefault((key, tool), f"exit {rc}: {tail}")

    def median(self, key: tuple, tool: str, cpu: bool = False):
        samples = (self.cpu if cpu else self.times).get(key, {}).get(tool) or []
        return statistics.median(samples) if samples else None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
            log(f"  note: {text}")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def rotate(items: list, n: int) -> list:
    n %= len(items)
    return items[n:] + items[:n]


def bench_compile(b: Bench, res: Results, name: str, rep: int, tools: list, universal: bool = False) -> None:
    src = os.path.join(SETS, name + ".in")
    kind = "universal" if universal else "compile"
    for phase in ("cold", "warm"):
        for tool in rotate(tools, rep):
            if phase == "cold":
                b.clear_cache(tool)
            out = os.path.join(b.work, f"{kind}-{name}-{tool}.txt")
            if os.path.exists(out):
                os.remove(out)  # pip-compile -o keeps old pins; start from nothing
            argv, env = b.compile_cmd(tool, src, out, universal)
            secs, cpu, rc, err = run(argv, env, b.work)
            key = (kind, name, phase)
            res.add(key, tool, secs, cpu, rc, err)
            log(f"  {kind:9} {name:9} {phase:5} {tool:18} {secs:7.2f}s  cpu {cpu:6.2f}s"
                + ("" if rc == 0 else f"  FAILED ({rc})"))
            if rc == 0 and tool != "uv":
                uv_out = os.path.join(b.work, f"{kind}-{name}-uv.txt")
                if os.path.exists(uv_out):
                    diff = (universal_diff(uv_out, out) if universal else
                            pin_diff(read_pins(uv_out), read_pins(out),
                                     ignore=("pip", "setuptools", "wheel", "distribute")))
                    if diff:
                        res.note(f"{kind} {name}: {tool} pins differ from uv's: {diff}")


def universal_diff(uv_out: str, out: str) -> str:
    """The lines of two universal locks that differ: (name, version) pairs, or a
    marker that names other environments (puffin.py's MarkerSet compares them)."""
    sys.path.insert(0, REPO)
    import puffin

    def lines(path):
        found = {}
        with open(path) as f:
            for line in f:
                if line[:1].isalnum() and "==" in line:
                    pin, _, marker = line.rstrip(" \\\n").partition(";")
                    found[pin.strip().lower()] = marker.strip()
        return found
    a, b = lines(uv_out), lines(out)
    universe = puffin.MarkerSet.python(">=", "3.9")
    bad = sorted(set(a) ^ set(b))
    bad += [k for k in set(a) & set(b) if not (puffin.MarkerSet.of(a[k] or None) & universe).equivalent(
        puffin.MarkerSet.of(b[k] or None) & universe)]
    return ", ".join(sorted(bad))


def bench_sync(b: Bench, res: Results, name: str, rep: int, tools: list) -> None:
    lock = os.path.join(SETS, name + ".txt")
    expected = read_pins(lock)
    for phase in ("cold", "warm", "no-op"):
        for tool in rotate(tools, rep):
            if phase == "cold":
                b.clear_cache(tool)
            venv = b.venv(tool) if phase == "no-op" else b.fresh_venv(tool)
            argv, env = b.sync_cmd(tool, lock, venv)
            secs, cpu, rc, err = run(argv, env, b.work)
            res.add(("sync", name, phase), tool, secs, cpu, rc, err)
            log(f"  sync    {name:9} {phase:5} {tool:18} {secs:7.2f}s  cpu {cpu:6.2f}s"
                + ("" if rc == 0 else f"  FAILED ({rc})"))
            if rc == 0:
                diff = pin_diff(expected, installed(venv), ignore=("pip", "setuptools", "wheel"))
                if diff:
                    res.note(f"sync {name} {phase}: {tool} left the venv unlike the lock: {diff}")


def bench_download(b: Bench, res: Results, name: str, rep: int, tools: list) -> None:
    lock = os.path.join(SETS, name + ".txt")
    expected = read_pins(lock)
    for phase in ("cold", "warm"):
        for tool in rotate(tools, rep):
            if phase == "cold":
                b.clear_cache(tool, "download")
            dest = os.path.join(b.work, f"download-{name}-{tool}")
            shutil.rmtree(dest, ignore_errors=True)  # every run into a fresh empty folder
            argv, env = b.download_cmd(tool, lock, dest)
            secs, cpu, rc, err = run(argv, env, b.work)
            res.add(("download", name, phase), tool, secs, cpu, rc, err)
            log(f"  download {name:8} {phase:5} {tool:18} {secs:7.2f}s  cpu {cpu:6.2f}s"
                + ("" if rc == 0 else f"  FAILED ({rc})"))
            if rc == 0 and phase == "cold" and not files_in(b.cache(tool, "download")):
                res.note(f"download {name}: {tool}'s cache is still empty after a cold run (does the "
                         f"index send no caching headers?): its warm runs download everything again")
            if rc == 0:
                got = downloaded(dest)
                missing = [f"{n}=={v}" for n, v in sorted(expected.items()) if (n, v.lower()) not in got]
                if missing:
                    more = f" (+{len(missing) - 6} more)" if len(missing) > 6 else ""
                    res.note(f"download {name} {phase}: {tool}'s folder has no file for "
                             + ", ".join(missing[:6]) + more)


def bench_seed(b: Bench, res: Results, rep: int, tools: list) -> None:
    """Fresh seeded venvs on a warm cache; at rep 0 one unmeasured seed of
    each tool first fills its cache (from empty)."""
    if rep == 0:
        for tool in tools:
            b.clear_cache(tool, "seed")
            venv = b.venv("seed-" + tool)
            shutil.rmtree(venv, ignore_errors=True)
            argv, env = b.seed_cmd(tool, venv)
            secs, _, rc, err = run(argv, env, b.work)
            log(f"  seed     (warm-up)      {tool:18} {secs:7.2f}s" + ("" if rc == 0 else f"  FAILED ({rc})"))
    seeded = {}
    for tool in rotate(tools, rep):
        venv = b.venv("seed-" + tool)
        shutil.rmtree(venv, ignore_errors=True)
        argv, env = b.seed_cmd(tool, venv)
        secs, cpu, rc, err = run(argv, env, b.work)
        res.add(("seed", "venv", "warm"), tool, secs, cpu, rc, err)
        log(f"  seed     venv     warm  {tool:18} {secs:7.2f}s  cpu {cpu:6.2f}s"
            + ("" if rc == 0 else f"  FAILED ({rc})"))
        if rc == 0:
            seeded[tool] = installed(venv)
            if "pip" not in seeded[tool]:
                res.note(f"seed: {tool} left no pip in the venv")
    if "puffin.py" in seeded and "uv" in seeded:
        diff = pin_diff(seeded["uv"], seeded["puffin.py"])
        if diff:
            res.note(f"seed: puffin.py seeded other packages than uv (uv vs puffin.py): {diff}")
    if rep == 0 and seeded:
        res.note("seed: " + "; ".join(
            f"{tool} seeded " + " ".join(f"{n}=={v}" for n, v in sorted(pkgs.items()))
            for tool, pkgs in seeded.items()))


COMPILE_CODE = """\
import sys, time
path = sys.argv[1]
best_wall = best_cpu = None
for _ in range(3):
    w, c = time.perf_counter(), time.process_time()
    with open(path, "rb") as f:
        compile(f.read(), path, "exec")
    w, c = time.perf_counter() - w, time.process_time() - c
    best_wall = w if best_wall is None else min(best_wall, w)
    best_cpu = c if best_cpu is None else min(best_cpu, c)
print(best_wall, best_cpu)
"""


def measure_compile(b: Bench, res: Results) -> None:
    """Once per bench run: how long the interpreter takes to read and compile
    puffin.py (what the script path pays on every run), best of 3 in one
    process, interpreter start-up left out."""
    proc = subprocess.run([b.python, "-c", COMPILE_CODE, PUFFIN], env=clean_env(),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=300)
    try:
        wall, cpu = (float(x) for x in proc.stdout.split())
    except ValueError:
        res.note("could not time the compile of puffin.py: "
                 + proc.stderr.decode("utf-8", "replace").strip()[-300:])
        return
    res.compile_time = (wall, cpu)
    log(f"  compile of puffin.py: {wall:.3f}s wall, {cpu:.3f}s cpu (best of 3)")


def bench_startup(b: Bench, res: Results) -> None:
    """`puffin --version` through the installed launcher vs `python -c pass`
    (the tool venv's python), and the script path's `--version` beside them:
    best of STARTUP_REPS each, interleaved."""
    tool_py = os.path.join(b.tool_venv, "bin", "python")
    cmds = {"python -c pass": [tool_py, "-c", "pass"],
            "puffin --version": [b.launcher, "--version"],
            "python puffin.py --version": [b.python, PUFFIN, "--version"]}
    samples = {label: [] for label in cmds}
    env = clean_env()
    labels = list(cmds)
    for rep in range(STARTUP_REPS):
        for label in rotate(labels, rep):
            secs, cpu, rc, err = run(cmds[label], env, b.work, sync=False)
            if rc != 0:
                res.failures.setdefault((("startup", label, ""), label), f"exit {rc}: {err.strip()[-300:]}")
                continue
            samples[label].append((secs, cpu))
    for label, got in samples.items():
        if got:
            res.startup[label] = (min(w for w, _ in got), min(c for _, c in got))
            log(f"  startup {label:28} {res.startup[label][0] * 1000:6.1f}ms  "
                f"cpu {res.startup[label][1] * 1000:6.1f}ms  (best of {len(got)})")
        else:
            res.startup[label] = None


class Hog:
    """With --loaded: one busy-loop process, pinned to no CPU, for as long as
    the bench runs. It is reaped only at the end, after every measurement, so
    its CPU time never shows in a run's RUSAGE_CHILDREN delta."""

    def __init__(self, python: str, enabled: bool):
        self.python, self.enabled, self.proc = python, enabled, None

    def __enter__(self):
        if self.enabled:
            self.proc = subprocess.Popen([self.python, "-c", HOG_CODE], env=clean_env(),
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            log(f"  loaded: CPU hog running as pid {self.proc.pid}")
        return self

    def alive(self) -> bool:
        return self.proc is None or self.proc.poll() is None

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        return False


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------

def fmt_secs(value) -> str:
    if value is None:
        return "FAILED"
    return f"{value:.2f}s" if value < 100 else f"{value:.0f}s"


def ratio_cell(num, den):
    if num is None or den is None or den == 0:
        return None, "-"
    r = num / den
    return r, f"{r:.2f}x"


def table(rows: list) -> list:
    """rows (the first one the header) as aligned lines, a rule under the header."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def fmt_ms(value) -> str:
    return "FAILED" if value is None else f"{value * 1000:.1f}ms"


def compile_cell(res: Results, key: tuple, p, cpu: bool) -> str:
    """Beside the script path's warm small sync: puffin.py's compile time and
    what the run spent above it."""
    if key != ("sync", "small", "warm") or res.compile_time is None:
        return ""
    c = res.compile_time[1 if cpu else 0]
    above = f", {p - c:.2f}s above it" if p is not None else ""
    return f"  [compile of puffin.py {c:.2f}s{above}]"


def report(res: Results, order: list, header: list) -> str:
    """The tables (wall, CPU, startup) and the summary, as plain text."""
    lines = list(header) + [""]
    inst = any(INSTALLED in res.times.get(key, {}) for key in order)
    summary = []

    # -- wall time, with the targets
    cols = (["scenario", "puffin.py"] + (["installed"] if inst else []) + ["uv", "pip/tools", "puffin/uv"]
            + (["inst/uv"] if inst else []) + ["target", "other/puffin", "target", ""])
    rows = [cols]
    for key in order:
        kind, name, phase = key
        other = "pip-tools" if kind == "compile" else "pip"
        p, i, u, o = (res.median(key, t) for t in ("puffin.py", INSTALLED, "uv", other))
        ran = res.times.get(key, {})
        max_uv, min_other = TARGETS[(kind, phase)]
        r_uv, r_uv_s = ratio_cell(p, u)
        r_i, r_i_s = ratio_cell(i, u)
        r_o, r_o_s = ratio_cell(o, p)
        verdicts = []
        t_uv = "-"
        if max_uv is not None:
            t_uv = "< 1x" if max_uv == 1.0 else f"<= {max_uv:g}x"
            ok = r_uv is not None and (r_uv < 1.0 if max_uv == 1.0 else r_uv <= max_uv)
            verdicts.append("ok" if ok else "MISS")
            summary.append((f"{kind} {name} {phase}", f"puffin.py/uv = {r_uv_s}", t_uv, ok))
        t_o = "-"
        if min_other is not None:
            t_o = f">= {min_other:g}x"
            ok = r_o is not None and r_o >= min_other
            verdicts.append("ok" if ok else "MISS")
            summary.append((f"{kind} {name} {phase}", f"{other}/puffin.py = {r_o_s}", t_o, ok))
        if max_uv is not None and INSTALLED in ran:
            ok = r_i is not None and (r_i < 1.0 if max_uv == 1.0 else r_i <= max_uv)
            verdicts.append("| inst " + ("ok" if ok else "MISS"))
            summary.append((f"{kind} {name} {phase}", f"installed/uv = {r_i_s}", t_uv, ok))
        if max_uv is None and min_other is not None and INSTALLED in ran:
            r_oi, r_oi_s = ratio_cell(o, i)   # pip over the installed path (download: no uv)
            ok = r_oi is not None and r_oi >= min_other
            verdicts.append("| inst " + ("ok" if ok else "MISS"))
            summary.append((f"{kind} {name} {phase}", f"{other}/installed = {r_oi_s}", t_o, ok))
        n = len(ran.get("puffin.py") or [])
        rows.append([f"{kind} {name} {phase}", fmt_secs(p)]
                    + ([fmt_secs(i) if INSTALLED in ran else "-"] if inst else [])
                    + [fmt_secs(u) if ran.get("uv") is not None else "-",
                       fmt_secs(o) if ran.get(other) is not None else "-", r_uv_s]
                    + ([r_i_s] if inst else [])
                    + [t_uv, r_o_s, t_o, " ".join(verdicts) + (f"  (n={n})" if n else "")
                       + compile_cell(res, key, p, cpu=False)])
    if order:
        lines.append("Wall time")
        lines.extend(table(rows))
        lines.append("")

        # -- CPU time (user + sys of the child), no targets
        cols = (["scenario (cpu)", "puffin.py"] + (["installed"] if inst else [])
                + ["uv", "pip/tools", "puffin/uv"] + (["inst/uv"] if inst else []) + [""])
        rows = [cols]
        for key in order:
            kind, name, phase = key
            other = "pip-tools" if kind == "compile" else "pip"
            p, i, u, o = (res.median(key, t, cpu=True) for t in ("puffin.py", INSTALLED, "uv", other))
            ran = res.cpu.get(key, {})
            rows.append([f"{kind} {name} {phase}", fmt_secs(p)]
                        + ([fmt_secs(i) if INSTALLED in ran else "-"] if inst else [])
                        + [fmt_secs(u) if ran.get("uv") is not None else "-",
                           fmt_secs(o) if ran.get(other) is not None else "-", ratio_cell(p, u)[1]]
                        + ([ratio_cell(i, u)[1]] if inst else [])
                        + [compile_cell(res, key, p, cpu=True).strip()])
        lines.append("CPU time (user + sys of the child and the children it waited for)")
        lines.extend(table(rows))
        lines.append("")

    # -- start-up
    if res.startup:
        base = (res.startup.get("python -c pass") or (None, None))
        rows = [("startup (best of %d)" % STARTUP_REPS, "wall", "cpu", "wall/python", "cpu/python",
                 "target", "")]
        for label, got in res.startup.items():
            w, c = got or (None, None)
            t, verdict = "-", ""
            r_w, r_w_s = ratio_cell(w, base[0])
            if label == "puffin --version":
                t = f"<= {STARTUP_TARGET:g}x"
                ok = r_w is not None and r_w <= STARTUP_TARGET
                verdict = "ok" if ok else "MISS"
                summary.append(("startup --version", f"launcher/python -c pass = {r_w_s}", t, ok))
            rows.append((label, fmt_ms(w), fmt_ms(c), r_w_s, ratio_cell(c, base[1])[1], t, verdict))
        lines.extend(table(rows))
        lines.append("")

    lines.append("times are medians of the runs; puffin/uv below 1 means puffin.py is faster;")
    lines.append("other/puffin is pip-tools' (compile), pip's (sync, download) or `python -m venv`'s")
    lines.append("(seed) time over puffin.py's; uv has no download command.")
    if inst:
        lines.append("installed: puffin.py installed by `self install` (module, bytecode, launcher), run as")
        lines.append("`TOOLVENV/bin/puffin pip-sync --python VENV/bin/python LOCK`; inst/uv is its ratio to uv.")
    if res.compile_time is not None:
        lines.append(f"compile of puffin.py: {res.compile_time[0]:.3f}s wall, {res.compile_time[1]:.3f}s cpu "
                     "(read + compile(), best of 3, no interpreter start-up)")
    if res.startup:
        lines.append("startup: the launcher's `--version` against the tool venv's `python -c pass`.")
    lines.append("")
    met = sum(1 for s in summary if s[3])
    lines.append(f"Summary: {met} of {len(summary)} targets met")
    for scen, ratio, target, ok in summary:
        lines.append(f"  {'ok  ' if ok else 'MISS'}  {scen:26} {ratio:32} target {target}")
    if res.failures:
        lines.append("")
        lines.append("Failures:")
        for ((kind, name, phase), tool), err in sorted(res.failures.items()):
            lines.append(f"  {kind} {name} {phase} {tool}: " + err.replace("\n", "\n      "))
    if res.notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  {n}" for n in res.notes)
    return "\n".join(lines)


def relock(b: Bench) -> None:
    """Re-make the pip-sync locks with uv, for CPython 3.11 on x86_64 Linux, wheels only."""
    for name in SYNC_SETS:
        src = os.path.relpath(os.path.join(SETS, name + ".in"), REPO)
        out = os.path.relpath(os.path.join(SETS, name + ".txt"), REPO)
        check_call([b.uv, "pip", "compile", "--no-config", "--quiet",
                    "--python-version", "3.11", "--python-platform", "x86_64-unknown-linux-gnu",
                    "--only-binary", ":all:",
                    "--custom-compile-command", "scripts/bench.py --relock",
                    src, "-o", out], cwd=REPO)
        print(f"{out}: {len(read_pins(os.path.join(REPO, out)))} packages")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: only popular25, small and seed, 2 repetitions (pip 1)")
    parser.add_argument("--reps", type=int, help="repetitions of puffin.py and uv (default 3)")
    parser.add_argument("--slow-reps", type=int,
                        help="repetitions of pip and pip-tools (default 2)")
    parser.add_argument("--only", choices=("compile", "universal", "sync", "download", "seed", "startup"),
                        help="run only this scenario (sync brings the startup row along)")
    parser.add_argument("--loaded", action="store_true",
                        help="run one busy-loop process (a CPU hog) during the timed runs")
    parser.add_argument("--tools", help="venv with uv and pip-tools (default BUILD/bench/tools)")
    parser.add_argument("--python", help="the CPython 3.11 that makes the venvs "
                        "(default: the one behind this script's interpreter)")
    parser.add_argument("--build", default=os.path.join(REPO, "build"), help="the build folder")
    parser.add_argument("--relock", action="store_true",
                        help="re-make scripts/bench_sets/*.txt with uv and stop")
    args = parser.parse_args(argv)

    b = Bench(args)
    if args.relock:
        relock(b)
        return 0
    reps = args.reps or (2 if args.quick else 3)
    slow_reps = min(reps, args.slow_reps or (1 if args.quick else 2))
    compile_sets = QUICK_COMPILE_SETS if args.quick else COMPILE_SETS
    universal_sets = QUICK_COMPILE_SETS if args.quick else COMPILE_SETS
    sync_sets = QUICK_SYNC_SETS if args.quick else SYNC_SETS
    download_sets = [] if args.quick else DOWNLOAD_SETS
    seed = True
    if args.only:
        compile_sets = compile_sets if args.only == "compile" else []
        universal_sets = universal_sets if args.only == "universal" else []
        sync_sets = sync_sets if args.only == "sync" else []
        download_sets = DOWNLOAD_SETS if args.only == "download" else []
        seed = args.only == "seed"
    startup = bool(sync_sets) or args.only == "startup"

    b.make_pip_template()
    pip_py = os.path.join(b.pip_template, "bin", "python")
    header = [
        f"puffin.py bench, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{platform.python_implementation()} {tool_version([b.python, '--version']).split()[-1]} "
        f"on {platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        f"  puffin.py {tool_version([b.python, PUFFIN, '--version']).split()[-1]}; "
        f"{tool_version([b.uv, '--version'])}; "
        f"pip {tool_version([pip_py, '-m', 'pip', '--version']).split()[1]}; "
        f"pip-tools {tool_version([b.tools_python, '-m', 'piptools', 'compile', '--version']).split()[-1]}",
        f"  {reps} runs of puffin.py and uv, {slow_reps} of pip and pip-tools, interleaved",
    ]
    if args.loaded:
        header.append(f"  LOADED: one busy-loop process (`python -c \"{HOG_CODE}\"`, pinned to no CPU) "
                      f"ran through all timed runs")
    for line in header:
        log(line)

    res = Results()
    installed_ok = False
    if sync_sets or startup or download_sets:
        why = b.install_self()
        installed_ok = not why
        if why:
            res.note(f"the installed path is left out: {why}")
        else:
            header.append(f"  installed path: `puffin.py self install --python {os.path.relpath(b.tool_venv, REPO)}"
                          f"/bin/python` once for this run; runs as its bin/puffin launcher")
    t0, load_start = time.time(), os.getloadavg()[0]
    with Hog(b.python, args.loaded) as hog:
        if sync_sets:
            measure_compile(b, res)
        if startup and installed_ok:
            bench_startup(b, res)
        for rep in range(reps):
            log(f"run {rep + 1} of {reps}")
            slow = rep < slow_reps
            for name in compile_sets:
                tools = ["puffin.py", "uv"] + (["pip-tools"] if slow else [])
                bench_compile(b, res, name, rep, tools)
            for name in universal_sets:
                bench_compile(b, res, name, rep, ["puffin.py", "uv"], universal=True)
            for name in sync_sets:
                tools = (["puffin.py"] + ([INSTALLED] if installed_ok else []) + ["uv"]
                         + (["pip"] if slow else []))
                bench_sync(b, res, name, rep, tools)
            for name in download_sets:
                bench_download(b, res, name, rep, ["puffin.py"] + ([INSTALLED] if installed_ok else [])
                               + (["pip"] if slow else []))
            if seed:
                bench_seed(b, res, rep, ["puffin.py", "uv"] + (["pip"] if slow else []))
        if not hog.alive():
            res.note("--loaded: the CPU hog ended before the last run: the load did not last")
    header.append(f"  took {time.time() - t0:.0f}s in all; load average at the start "
                  f"{load_start:.1f}, at the end {os.getloadavg()[0]:.1f} (above 1 per core: noisy)")

    order = [("compile", n, p) for n in compile_sets for p in ("cold", "warm")]
    order += [("universal", n, p) for n in universal_sets for p in ("cold", "warm")]
    order += [("sync", n, p) for n in sync_sets for p in ("cold", "warm", "no-op")]
    order += [("download", n, p) for n in download_sets for p in ("cold", "warm")]
    order += [("seed", "venv", "warm")] if seed else []
    text = report(res, order, header)
    print(text)
    out_dir = b.root
    with open(os.path.join(out_dir, "report.txt"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"header": header,
                   "loaded": bool(args.loaded),
                   "times": {" ".join(k): v for k, v in res.times.items()},
                   "cpu": {" ".join(k): v for k, v in res.cpu.items()},
                   "compile_puffin": res.compile_time,
                   "startup": res.startup,
                   "failures": {" ".join(k) + " " + t: e for (k, t), e in res.failures.items()},
                   "notes": res.notes}, f, indent=1)
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
