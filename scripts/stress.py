#!/usr/bin/env python3
"""Stress corpus: compile large public-style requirement sets with puffin.py and uv.

    scripts/stress.py [SET ...] [--cutoff DATE] [--cache DIR] [--cold]
                      [--timeout S] [--out JSON] [--python EXE] [--uv EXE]
                      [--puffin FILE] [--logs DIR] [--no-uv] [--universal]

For every set in scripts/stress/ (``NN-name.in``; or only those named on the
command line, as paths or as names such as ``07`` or ``07-django-saas``), it
runs, one after the other and each in an empty working folder:

    PYTHON puffin.py pip-compile SET --no-header --python-version 3.12
        --python-platform x86_64-manylinux_2_28 --exclude-newer DATE -v
    uv pip compile SET --no-header --python-version 3.12
        --python-platform x86_64-manylinux_2_28 --exclude-newer DATE --no-config
        --no-python-downloads

(uv's --no-python-downloads: else, with no Python 3.12 on the machine, uv
first tries to download one, and without that network it loses about ten
seconds per run on retries, which would land in its time) with the same cutoff for both (default 2026-11-01T00:00:00Z), then compares
the pins (``name==version`` and ``name @ url`` lines, names normalised as in
PEP 503) and reports, per set: ``same``, ``differs`` (with the packages that
differ and both versions), ``puffin failed`` / ``uv failed`` / ``both failed``
(with the first error line) or a timeout; the wall time of each tool, their
ratio (puffin / uv) and puffin's resolution numbers, parsed from its -v line
``resolution: N decisions, M backjumps, K conflicts``.

Environment of both tools: the caller's, less every ``PIP_*``, ``UV_*`` and
``PUFFIN_*`` variable, with ``PIP_CONFIG_FILE=/dev/null`` and a cache folder
of each tool's own under --cache (``puffin/`` as PUFFIN_CACHE_DIR, ``uv/`` as
UV_CACHE_DIR). The caches are shared between sets (warm after the first sets)
unless --cold, which empties both before each set.

With --universal, both compile one lock for every platform and every Python
from 3.10 on (``--universal --python-version 3.10`` instead of the target
above), and the lines are compared as (name, version, marker), markers as
sets of environments (two spellings of one marker are the same), with
puffin.py's MarkerSet.

A table goes to stdout at the end (and a line per set as it finishes); the
results go to --out as JSON, rewritten after every set, so an interrupted run
keeps what it did. The exit code is 0 whatever the results: this is a report.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "stress")
DEFAULT_PUFFIN = os.path.join(ROOT, "puffin.py")
DEFAULT_UV = os.path.join(ROOT, "build", "tools", "bin", "uv")
DEFAULT_CUTOFF = "2026-11-01T00:00:00Z"
TARGET = ["--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28"]

RESOLUTION_RE = re.compile(
    r"resolution: (\d+) decisions?, (\d+) backjumps?, (\d+) conflicts?(?:, (\S+) tried in (\d+) versions?)?")
PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)")
URL_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*@\s*(\S+)")
UV_RESOLVED_RE = re.compile(r"Resolved (\d+) packages? in ([\d.]+)(ms|s)\b")
ERROR_RE = re.compile(r"^\s*(error|fatal)\s*:", re.IGNORECASE)


def normalize(name):
    """PEP 503 name."""
    return re.sub(r"[-_.]+", "-", name).lower()


UNIVERSAL = False   # --universal: keys are name==version, values their markers


def parse_pins(text):
    """{name: version or '@ url'} from a lock in pip-compile's format (with
    --universal: {name==version: marker text})."""
    pins = {}
    for line in (text or "").splitlines():
        if not line or line[0] in "# \t-":
            continue
        line = line.strip()
        m = PIN_RE.match(line)
        if m and UNIVERSAL:
            pins["%s==%s" % (normalize(m.group(1)), m.group(2))] = line.partition(";")[2].strip()
            continue
        if m:
            pins[normalize(m.group(1))] = m.group(2)
            continue
        m = URL_RE.match(line)
        if m:
            pins[normalize(m.group(1))] = "@ " + m.group(2)
    return pins


def first_error(stderr, stdout=""):
    """The error a failed run gave: its first ``error:`` line (uv's ``×`` one
    with the reason after it), else a traceback's last line (puffin prints the
    traceback under -v before its ``error:`` line), else the last line said."""
    lines = [ln.rstrip() for ln in (stderr or "").splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if ERROR_RE.match(line):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if nxt[:1].isspace() or line.endswith(":"):   # uv: the reason follows ("  cause: ...")
                reason = nxt.strip().lstrip("╰─▶ ")
                reason = reason[len("cause:"):].strip() if reason.startswith("cause:") else reason
                return (line.strip().rstrip(":") + ": " + reason).strip()
            return line.strip()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("×"):
            reason = lines[i + 1].strip().lstrip("╰─▶ ") if i + 1 < len(lines) else ""
            return (line.strip() + " " + reason).strip()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            for later in lines[i + 1:]:
                if not later.startswith(" "):
                    return later.strip()
    if lines:
        return lines[-1].strip()
    out = [ln for ln in (stdout or "").splitlines() if ln.strip()]
    return out[-1].strip() if out else "(no output)"


def clean_env(cache_var, cache_dir):
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PIP_") or k.startswith("UV_") or k.startswith("PUFFIN_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env[cache_var] = cache_dir
    env.pop("VIRTUAL_ENV", None)    # neither tool should look at the caller's venv
    env.pop("CONDA_PREFIX", None)
    return env


def run(cmd, env, cwd, timeout):
    """Run ``cmd`` in its own process group; kill that group on timeout.

    Returns dict(rc, stdout, stderr, seconds, timeout)."""
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        return {"rc": None, "stdout": "", "stderr": "cannot start: %s" % exc,
                "seconds": 0.0, "timeout": False}
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # the group we started (puffin may run builds)
        except OSError:
            pass
        out, err = proc.communicate()
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
        raise
    seconds = time.perf_counter() - start
    return {"rc": proc.returncode, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace"), "seconds": seconds, "timeout": timed_out}


def wipe(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


def find_sets(names):
    every = sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.endswith(".in"))
    if not names:
        return every
    chosen = []
    for name in names:
        if os.path.isfile(name):
            chosen.append(os.path.abspath(name))
            continue
        hits = [p for p in every if os.path.basename(p) == name or os.path.basename(p) == name + ".in"
                or os.path.basename(p).startswith(name + "-")]
        if not hits:
            sys.exit("stress.py: no set matches %r (sets are in %s)" % (name, CORPUS))
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def compare(puffin_pins, uv_pins):
    """The packages whose pins differ: [(name, puffin's, uv's)], None for missing."""
    diffs = []
    for name in sorted(set(puffin_pins) | set(uv_pins)):
        a, b = puffin_pins.get(name), uv_pins.get(name)
        if UNIVERSAL and a is not None and b is not None:
            if not same_marker(a, b):
                diffs.append((name, a, b))
        elif a != b:
            diffs.append((name, a, b))
    return diffs


def same_marker(a, b):
    """Two marker texts for the same environments (from Python 3.10 on)."""
    sys.path.insert(0, ROOT)
    import puffin
    universe = puffin.MarkerSet.python(">=", "3.10")
    ma = puffin.MarkerSet.of(a or None) & universe
    mb = puffin.MarkerSet.of(b or None) & universe
    return ma.equivalent(mb)


def tool_summary(res, label):
    if res is None:
        return None
    d = {"seconds": round(res["seconds"], 3), "rc": res["rc"], "timeout": res["timeout"]}
    if res["timeout"]:
        d["error"] = "%s timed out" % label
    elif res["rc"] != 0:
        d["error"] = first_error(res["stderr"], res["stdout"])
    return d


def one_set(path, args, caches, puffin_cmd, uv_cmd):
    name = os.path.splitext(os.path.basename(path))[0]
    if args.cold:
        wipe(caches["puffin"])
        wipe(caches["uv"])
    penv = clean_env("PUFFIN_CACHE_DIR", caches["puffin"])
    uenv = clean_env("UV_CACHE_DIR", caches["uv"])
    with tempfile.TemporaryDirectory(prefix="puffin-stress-") as work:
        pres = run(puffin_cmd + [path] + TARGET + ["--no-header", "--exclude-newer", args.cutoff, "-v"],
                   penv, work, args.timeout)
        ures = None
        if not args.no_uv:
            ures = run(uv_cmd + [path] + TARGET + ["--no-header", "--exclude-newer", args.cutoff,
                                                    "--no-config", "--no-python-downloads"],
                       uenv, work, args.timeout)
    if args.logs:
        os.makedirs(args.logs, exist_ok=True)
        for tool, res in (("puffin", pres), ("uv", ures)):
            if res is None:
                continue
            for stream in ("stdout", "stderr"):
                with open(os.path.join(args.logs, "%s.%s.%s" % (name, tool, stream)), "w") as f:
                    f.write(res[stream])

    record = {"set": name, "file": path, "puffin": tool_summary(pres, "puffin"),
              "uv": tool_summary(ures, "uv")}
    found = RESOLUTION_RE.findall(pres["stderr"])
    if found:
        last = found[-1]
        record["puffin"]["resolution"] = {
            "decisions": int(last[0]), "backjumps": int(last[1]), "conflicts": int(last[2]),
            "most_tried": last[3] or None, "most_tries": int(last[4]) if last[4] else None,
            "resolutions": len(found)}
    if ures is not None:
        m = UV_RESOLVED_RE.search(ures["stderr"])
        if m:   # uv's own count and time (its process's wall time is in "seconds")
            record["uv"]["reported"] = {"packages": int(m.group(1)),
                                        "seconds": float(m.group(2)) / (1000.0 if m.group(3) == "ms" else 1.0)}
    p_ok = not pres["timeout"] and pres["rc"] == 0
    u_ok = ures is not None and not ures["timeout"] and ures["rc"] == 0
    ppins = parse_pins(pres["stdout"]) if p_ok else {}
    upins = parse_pins(ures["stdout"]) if u_ok else {}
    record["puffin"]["pins"] = len(ppins)
    if ures is not None:
        record["uv"]["pins"] = len(upins)
    if ures is None:
        result = "puffin ok" if p_ok else ("puffin timeout" if pres["timeout"] else "puffin failed")
    elif p_ok and u_ok:
        diffs = compare(ppins, upins)
        result = "same" if not diffs else "differs"
        if diffs:
            record["differences"] = [{"package": n, "puffin": a, "uv": b} for n, a, b in diffs]
    elif not p_ok and not u_ok:
        result = "both timeout" if pres["timeout"] and ures["timeout"] else "both failed"
    elif not p_ok:
        result = "puffin timeout" if pres["timeout"] else "puffin failed"
    else:
        result = "uv timeout" if ures["timeout"] else "uv failed"
    record["result"] = result
    if ures is not None and pres["seconds"] and ures["seconds"]:
        record["ratio"] = round(pres["seconds"] / ures["seconds"], 2)
    record["lock"] = {"puffin": ppins, "uv": upins} if args.keep_pins else None
    if record["lock"] is None:
        del record["lock"]
    return record


def fmt_s(tool):
    if tool is None:
        return "-"
    s = "%.1f" % tool["seconds"]
    return s + ("!" if tool.get("timeout") else "")


def row(rec):
    res = (rec["puffin"] or {}).get("resolution")
    dec = "%d/%d/%d" % (res["decisions"], res["backjumps"], res["conflicts"]) if res else "-"
    ratio = "%.2f" % rec["ratio"] if rec.get("ratio") is not None else "-"
    return [rec["set"], rec["result"], fmt_s(rec["puffin"]), fmt_s(rec["uv"]), ratio, dec]


def table(records):
    head = ["set", "result", "puffin s", "uv s", "ratio", "decisions/backjumps/conflicts"]
    rows = [head] + [row(r) for r in records]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def details(records):
    out = []
    for rec in records:
        if rec["result"] == "differs":
            out.append("%s: %d package(s) differ" % (rec["set"], len(rec["differences"])))
            for d in rec["differences"]:
                out.append("    %-32s puffin %-24s uv %s" % (d["package"], d["puffin"] or "(absent)",
                                                             d["uv"] or "(absent)"))
        for tool in ("puffin", "uv"):
            t = rec.get(tool)
            if t and t.get("error"):
                out.append("%s: %s: %s" % (rec["set"], tool, t["error"]))
    return "\n".join(out)


def tool_version(cmd, env):
    try:
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        return r.stdout.decode("utf-8", "replace").strip().splitlines()[0]
    except Exception as exc:   # noqa: BLE001 - a report, not a failure
        return "unknown (%s)" % exc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", help="set files or names (NN, NN-name); default: all of scripts/stress/")
    ap.add_argument("--cutoff", default=DEFAULT_CUTOFF, help="--exclude-newer for both tools (default %(default)s)")
    ap.add_argument("--cache", default="/tmp/puffin-stress-cache",
                    help="folder for the tools' caches, puffin/ and uv/ (default %(default)s)")
    ap.add_argument("--cold", action="store_true", help="empty both caches before each set")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per run (default %(default)s)")
    ap.add_argument("--out", default="/tmp/puffin-stress.json", help="JSON results (default %(default)s)")
    ap.add_argument("--python", default=sys.executable, help="the Python that runs puffin.py (default: this one)")
    ap.add_argument("--puffin", default=DEFAULT_PUFFIN, help="puffin.py to test (default %(default)s)")
    ap.add_argument("--uv", default=DEFAULT_UV, help="uv executable (default %(default)s)")
    ap.add_argument("--no-uv", action="store_true", help="run puffin.py only (no comparison)")
    ap.add_argument("--logs", default=None, help="write each run's stdout and stderr into this folder")
    ap.add_argument("--keep-pins", action="store_true", help="put both locks' pins into the JSON")
    ap.add_argument("--universal", action="store_true",
                    help="compile one lock for every platform and Python >= 3.10 (pip-compile --universal)")
    args = ap.parse_args(argv)
    if args.universal:
        global UNIVERSAL, TARGET
        UNIVERSAL = True
        TARGET = ["--universal", "--python-version", "3.10"]

    sets = find_sets(args.sets)
    caches = {"puffin": os.path.join(os.path.abspath(args.cache), "puffin"),
              "uv": os.path.join(os.path.abspath(args.cache), "uv")}
    for d in caches.values():
        os.makedirs(d, exist_ok=True)
    puffin_cmd = [args.python, os.path.abspath(args.puffin), "pip-compile"]
    uv_cmd = [args.uv, "pip", "compile"]
    meta = {
        "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cutoff": args.cutoff, "target": " ".join(TARGET), "cold": args.cold, "timeout": args.timeout,
        "cache": os.path.abspath(args.cache), "host": platform.node(),
        "puffin": tool_version([args.python, os.path.abspath(args.puffin), "--version"],
                               clean_env("PUFFIN_CACHE_DIR", caches["puffin"])),
        "python": tool_version([args.python, "--version"], os.environ.copy()),
        "uv": None if args.no_uv else tool_version([args.uv, "--version"],
                                                   clean_env("UV_CACHE_DIR", caches["uv"])),
    }
    print("stress: %d set(s), cutoff %s, %s caches under %s, timeout %gs"
          % (len(sets), args.cutoff, "cold" if args.cold else "shared", meta["cache"], args.timeout))
    print("        puffin: %s (%s); uv: %s" % (meta["puffin"], meta["python"], meta["uv"] or "not run"),
          flush=True)

    records = []

    def save():
        meta["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        counts = {}
        for r in records:
            counts[r["result"]] = counts.get(r["result"], 0) + 1
        try:
            with open(args.out, "w") as f:
                json.dump({"meta": meta, "summary": counts, "sets": records}, f, indent=2)
        except OSError as exc:
            print("stress: cannot write %s: %s" % (args.out, exc), file=sys.stderr)

    interrupted = False
    try:
        for i, path in enumerate(sets, 1):
            rec = one_set(path, args, caches, puffin_cmd, uv_cmd)
            records.append(rec)
            r = row(rec)
            print("[%d/%d] %-28s %-14s puffin %6ss  uv %6ss  ratio %5s  %s"
                  % (i, len(sets), r[0], r[1], r[2], r[3], r[4], r[5]), flush=True)
            save()
    except KeyboardInterrupt:
        interrupted = True
        print("\nstress: interrupted; reporting the %d set(s) done" % len(records))

    print()
    print(table(records))
    more = details(records)
    if more:
        print()
        print(more)
    counts = {}
    for r in records:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    print()
    print("summary: " + ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())))
    save()
    print("results: %s%s" % (args.out, " (partial)" if interrupted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
